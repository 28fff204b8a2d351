// dotProductAttention against the naive float64 loop and tfjs autograd of the full-matrix formula.
import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, rng } from '@tessera/core';
import { describe, expect } from 'vitest';
import { dotProductAttention } from '../src/index.js';
import { caseArb, caseData, caseTensors, relDiff } from './arbitraries.js';
import { naiveDot, tfDot } from './reference/naive-dot.js';

type T4 = tf.Tensor4D;

/** Values of `ts`, read asynchronously (webgpu in Node has no synchronous reads), then disposed. */
async function readAll(ts: tf.Tensor[]): Promise<Float32Array[]> {
  try {
    return await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  } finally {
    tf.dispose(ts);
  }
}

describe('dotProductAttention', () => {
  test.prop([caseArb({ maxN: 12 })], { numRuns: 50 })('out and lse equal the naive float64 loop', async (c) => {
    const data = caseData(c);
    const o = { w: c.w1, causal: c.causal, scale: c.scale ?? 1 / Math.sqrt(c.d) };
    const [out, lse] = await readAll(
      tf.tidy(() => {
        const [q, k, , v] = caseTensors(c, data);
        const r = dotProductAttention(q, k, v, { window: c.w1, causal: c.causal, scale: c.scale });
        return [r.out, r.lse];
      }),
    );
    const ref = naiveDot(Float64Array.from(data[0]), Float64Array.from(data[1]), Float64Array.from(data[3]), c, o);
    expect(relDiff(out, ref.out)).toBeLessThan(1e-5);
    expect(relDiff(lse, ref.lse, 1)).toBeLessThan(1e-5);
  });

  test.prop([caseArb({ maxN: 10 })], { numRuns: 30 })('gradients equal tfjs autograd of the full-matrix formula', async (c) => {
    const data = caseData(c);
    const o = { w: c.w1, causal: c.causal, scale: c.scale ?? 1 / Math.sqrt(c.d) };
    const both = await readAll(
      tf.tidy(() => {
        const [q, k, , v] = caseTensors(c, data);
        const w = tf.tensor4d(rng(c.seed + 9).normalArray(data[0].length), q.shape);
        const fast = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) =>
          tf.sum(tf.mul(dotProductAttention(a as T4, b as T4, cc as T4, { window: c.w1, causal: c.causal, scale: c.scale }).out, w)),
        )([q, k, v]);
        const slow = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) => tf.sum(tf.mul(tfDot(a as T4, b as T4, cc as T4, o), w)))([
          q,
          k,
          v,
        ]);
        return [...fast, ...slow];
      }),
    );
    for (let idx = 0; idx < 3; idx++) expect(relDiff(both[idx], both[idx + 3], 1e-2)).toBeLessThan(2e-4);
  });

  // kernel 'tfjs' (the path where tensors cannot be read synchronously) against the host kernels, on cpu/wasm: the
  // same function summed in other orders (full score matrix, tfjs logSumExp/exp vs the kernels' online softmax),
  // so 1e-5 of the largest output/lse magnitude and 2e-4 of the largest gradient (the host-vs-autograd bound above).
  test.prop([caseArb({ maxN: 10 })], { numRuns: 25 })("kernel 'tfjs' equals the host kernels (out, lse, gradients)", async (c) => {
    // no host kernels where tensors cannot be read synchronously (webgpu in Node): nothing to compare with there; the
    // properties above run the tfjs path on that backend against the float64 loop and tfjs autograd
    if (!canReadSync()) return;
    const data = caseData(c);
    const runWith = (kernel: 'tfjs' | 'auto') =>
      readAll(
        tf.tidy(() => {
          const [q, k, , v] = caseTensors(c, data);
          const w = tf.tensor4d(rng(c.seed + 5).normalArray(data[0].length), q.shape);
          const o = { window: c.w1, causal: c.causal, scale: c.scale, kernel };
          const r = dotProductAttention(q, k, v, o);
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) =>
            tf.sum(tf.mul(dotProductAttention(a as T4, b as T4, cc as T4, o).out, w)),
          )([q, k, v]);
          return [r.out, r.lse, ...g];
        }),
      );
    const dev = await runWith('tfjs');
    const host = await runWith('auto');
    expect(relDiff(dev[0], host[0])).toBeLessThan(1e-5);
    expect(relDiff(dev[1], host[1], 1)).toBeLessThan(1e-5);
    for (let idx = 2; idx < 5; idx++) expect(relDiff(dev[idx], host[idx], 1e-2), `gradient ${idx - 2}`).toBeLessThan(2e-4);
  });

  test.prop([caseArb({ causal: true }), fc.nat()], { numRuns: 20 })('causal: future tokens never change past outputs', async (c, cut) => {
    const t = cut % c.n;
    const data = caseData(c);
    const changed = data.map((a, idx) => {
      const H = idx === 0 ? c.Hq : c.Hkv;
      const b2 = Float32Array.from(a);
      for (let b = 0; b < c.B; b++) for (let e = (b * c.n + t) * H * c.d; e < (b + 1) * c.n * H * c.d; e++) b2[e] = 5;
      return b2;
    });
    const outs = await readAll(
      [data, changed].map((dd) =>
        tf.tidy(() => {
          const [q, k, , v] = caseTensors(c, dd);
          return dotProductAttention(q, k, v, { window: c.w1 }).out;
        }),
      ),
    );
    for (let b = 0; b < c.B; b++) {
      const lo = b * c.n * c.Hq * c.d;
      const hi = lo + t * c.Hq * c.d;
      expect(Array.from(outs[1].subarray(lo, hi))).toEqual(Array.from(outs[0].subarray(lo, hi)));
    }
  });
});
