// The computation the browser smoke test runs in headless Chromium and, for reference, in Node: an MX
// quantization, a RecD KJT dedup and a gradient through fake quantization, all on the cpu backend so that the two
// runs must agree bit for bit. Also reports what `initBackend()` picks on its own (auto) in each environment.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tessera/core';
import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { dequantizeMXArray, fakeQuantizeMX, quantizeMX } from '@tessera/mx-formats';

export interface SmokeResult {
  auto: { name: string; skipped: string[] };
  backend: string;
  mx: { scales: number[]; data: number[]; dequantized: number[] };
  dedup: { uniqueCounts: Record<string, number>; inverse: number[]; values: number[]; dedupRatio: number };
  gradient: number[];
  numTensors: number;
}

export async function smoke(): Promise<SmokeResult> {
  const auto = await initBackend(undefined, { log: null });
  await initBackend('cpu', { log: null });
  const before = tf.memory().numTensors;

  const x = tf.tensor2d(
    Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.37) * 3 ** ((i % 7) - 3)),
    [2, 32],
  );
  const m = quantizeMX(x, { format: 'mxfp4_e2m1' });
  const mx = { scales: Array.from(m.scales), data: Array.from(m.data), dequantized: Array.from(dequantizeMXArray(m)) };

  const kjt = KeyedJaggedTensor.fromLengths({
    keys: ['user', 'item'],
    values: tf.tensor1d([7, 8, 7, 8, 7, 8, 1, 2, 1, 3], 'int32'),
    lengths: [2, 2, 2, 1, 1, 2],
  });
  const ikjt = dedup(kjt);
  const dd = {
    uniqueCounts: { ...ikjt.uniqueCounts },
    inverse: Array.from(ikjt.inverseIndicesOf('user')).concat(Array.from(ikjt.inverseIndicesOf('item'))),
    values: Array.from(ikjt.values.dataSync()),
    dedupRatio: ikjt.dedupRatio,
  };
  ikjt.dispose();
  kjt.dispose();

  const gradient = tf.tidy(() => {
    const f = (v: tf.Tensor) => tf.sum(tf.square(tf.mul(fakeQuantizeMX(v, { format: 'mxfp8_e4m3' }), tf.scalar(1.5))));
    return Array.from(tf.grad(f)(x).dataSync());
  });
  x.dispose();
  return {
    auto: { name: auto.name, skipped: auto.skipped.map((s) => `${s.module} (${s.reason})`) },
    backend: tf.getBackend(),
    mx,
    dedup: dd,
    gradient,
    numTensors: tf.memory().numTensors - before,
  };
}
