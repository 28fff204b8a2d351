// Several tables cached in kernel memory in one pooled op: caching a later table grows the memory, which detaches
// the views of earlier ones; every lookup must still read its own table (the JavaScript kernels give the reference).
import * as tf from '@tensorflow/tfjs-core';
import { setKernelBackend } from '@tessera/kernels';
import { expect, test } from 'vitest';
import type { BagSpec } from '../pooling.js';
import { pooledOp } from '../pooling.js';

test('pooled op over three large tables = the JavaScript kernels', async () => {
  const D = 64;
  const R = 40000; // 10 MB per table: each one grows kernel memory
  const specOf = (seed: number): BagSpec => ({
    ids: Int32Array.from({ length: 64 }, (_, i) => (i * 7919 + seed) % R),
    offsets: Int32Array.from({ length: 9 }, (_, u) => u * 8),
    weights: null,
    mode: 'sum',
    inverse: null,
    fn: 'test',
    table: `t${seed}`,
    feature: `f${seed}`,
  });
  const run = async (be: 'wasm' | 'js') => {
    setKernelBackend(be);
    // fresh tables per run: the host cache is keyed by the tensor data
    const tables = [1, 2, 3].map((s) =>
      tf.tidy(() => tf.reshape(tf.add(tf.mul(tf.range(0, R * D, 1, 'float32'), 1e-3 * s), s), [R, D]) as tf.Tensor2D),
    );
    // host kernels read the tables synchronously: on webgpu in Node only after an asynchronous read left a host copy
    await Promise.all(tables.map((t) => t.data()));
    const y = pooledOp(
      tables,
      [0, 1, 2].map((t) => ({ table: t, spec: specOf(t + 1) })),
    );
    const v = (await y.data()).slice() as Float32Array;
    tf.dispose([...tables, y]);
    return v;
  };
  const a = await run('wasm');
  const b = await run('js');
  setKernelBackend(undefined);
  expect(Array.from(new Uint32Array(a.buffer))).toEqual(Array.from(new Uint32Array(b.buffer)));
});
