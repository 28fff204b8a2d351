// The WebAssembly SIMD kernels of @tessera/kernels (float32) against their JavaScript twins (float64), through this
// package's `kernel` option, on random problems: forward out and lse, and the five gradients, for both variants,
// windows, causal or not, GQA and head dims with and without a SIMD tail.
import { test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import { setKernelBackend } from '@tessera/kernels';
import { describe, expect } from 'vitest';
import { dotProductAttention, simplicialAttention } from '../src/index.js';
import { caseArb, caseData, caseTensors, options, relDiff } from './arbitraries.js';

type Five = [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];

describe('wasm kernel', () => {
  test('is available in this runtime (even where TESSERA_KERNELS=js makes the JavaScript twins the default)', () => {
    expect(() => setKernelBackend('wasm')).not.toThrow();
    setKernelBackend(undefined);
  });

  test.prop([caseArb({ maxN: 12, maxD: 13 })], { numRuns: 40 })('equals the JavaScript kernel (forward and backward)', (c) => {
    const data = caseData(c);
    const w = rng(c.seed + 5).normalArray(data[0].length);
    const run = (kernel: 'wasm' | 'js') =>
      tf.tidy(() => {
        const xs = caseTensors(c, data);
        const wt = tf.tensor4d(w, xs[0].shape as [number, number, number, number]);
        const o = { ...options(c), kernel };
        const r = simplicialAttention(...(xs as Five), o);
        const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(simplicialAttention(...(a as Five), o).out, wt)))(xs);
        return { out: r.out.dataSync(), lse: r.lse.dataSync(), grads: g.map((t) => t.dataSync()) };
      });
    const a = run('wasm');
    const b = run('js');
    expect(relDiff(a.out, b.out)).toBeLessThan(1e-5);
    expect(relDiff(a.lse, b.lse, 1)).toBeLessThan(1e-5);
    // float32 accumulation (wasm) vs float64 (js): on the golden sets the wasm gradients are within 5e-7; random scales up
    // to 1.5 make sharper softmaxes and tiny gradients, hence the looser budget here
    for (let i = 0; i < 5; i++) expect(relDiff(a.grads[i], b.grads[i], 1e-2), `gradient ${i}`).toBeLessThan(5e-4);
  });
});

describe('wasm dot-product kernel', () => {
  test.prop([caseArb({ maxN: 14, maxD: 13 })], { numRuns: 30 })('equals the JavaScript kernel (forward and backward)', (c) => {
    const data = caseData(c);
    const w = rng(c.seed + 6).normalArray(data[0].length);
    const run = (kernel: 'wasm' | 'js') =>
      tf.tidy(() => {
        const [q, k, , v] = caseTensors(c, data);
        const wt = tf.tensor4d(w, q.shape);
        const o = { window: c.w1, causal: c.causal, scale: c.scale, kernel };
        const r = dotProductAttention(q, k, v, o);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) =>
          tf.sum(tf.mul(dotProductAttention(a as tf.Tensor4D, b as tf.Tensor4D, cc as tf.Tensor4D, o).out, wt)),
        )([q, k, v]);
        return { out: r.out.dataSync(), lse: r.lse.dataSync(), grads: g.map((t) => t.dataSync()) };
      });
    const a = run('wasm');
    const b = run('js');
    expect(relDiff(a.out, b.out)).toBeLessThan(1e-5);
    expect(relDiff(a.lse, b.lse, 1)).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) expect(relDiff(a.grads[i], b.grads[i], 1e-2), `gradient ${i}`).toBeLessThan(5e-4);
  });
});
