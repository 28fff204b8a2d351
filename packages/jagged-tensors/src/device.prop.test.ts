// The tfjs-op (device) path of the pooled lookups against the host kernels, and the accelerator hook of embeddingBag.
// Tolerance of tfjs vs host: the host kernel sums each bag sequentially in float32 with the weighted term w·T formed
// in float64 (one rounding per add); the tfjs ops round w·T to float32 first and sum in scatterND's order,
// then divide by the length for mean. Each output element therefore differs by at most a few float32 roundings of
// the partial sums: |tfjs − host| ≤ 2^-20 · Σ_j |w_j·T[i_j]| (about 8 ulps of the sum of magnitudes, bags of ≤ 4 ids
// here), and the same bound on Σ |c_j·gOut| for the table gradient, plus 2^-140 where results are subnormal (their
// rounding error is absolute, 2^-150 per operation).
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, registerAccelerator, TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupingArb, kjtDataArb, makeKjt } from '../test/arbitraries.js';
import { sumAll } from '../test/helpers.js';
import { dedup } from './dedup.js';
import { JaggedTensor } from './jagged-tensor.js';
import type { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { pooledLookup } from './lookup.js';
import { type EmbeddingBagKernel, embeddingBag } from './pooling.js';

const BOUND = 2 ** -20;

/** Values of each tensor, read asynchronously (works on every backend), disposing the tensors. */
async function take(...ts: tf.Tensor[]): Promise<Float32Array[]> {
  try {
    return (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
  } finally {
    tf.dispose(ts);
  }
}

function expectWithin(actual: Float32Array, expected: Float32Array, magnitude: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= BOUND * magnitude[i] + 2 ** -140))
      throw new Error(`${label}[${i}]: tfjs ${actual[i]} vs host ${expected[i]} (|Δ| ${d} > 2^-20 · ${magnitude[i]})`);
  }
}

const tableArb = (R: number, D: number) =>
  fc.array(fc.float({ min: Math.fround(-2), max: Math.fround(2), noNaN: true }), { minLength: R * D, maxLength: R * D });

describe('tfjs-op pooled lookup = host kernels (skipped where the host path cannot read synchronously)', () => {
  it('embeddingBag sum / mean / weighted: forward and table gradient within 2^-20 · Σ|terms|', async (ctx) => {
    if (!canReadSync()) ctx.skip();
    await fc.assert(
      fc.asyncProperty(
        kjtDataArb({ maxKeys: 1, maxB: 6, maxLen: 4, idRange: 5 }),
        tableArb(5, 3),
        fc.constantFrom('sum', 'mean'),
        fc.array(fc.float({ min: Math.fround(-1), max: Math.fround(1), noNaN: true }), { minLength: 18, maxLength: 18 }),
        async (d, flat, modeIn, g) => {
          const mode = d.weights ? 'sum' : (modeIn as 'sum' | 'mean');
          const kjt = makeKjt(d);
          const jt = kjt.get('f0');
          const table = tf.tensor2d(flat, [5, 3]);
          const absTable = tf.abs(table);
          const gy = tf.tensor2d(g.slice(0, d.B * 3), [d.B, 3]);
          const absGy = tf.abs(gy);
          const run = (T: tf.Tensor2D, G: tf.Tensor2D, kernel: EmbeddingBagKernel) => {
            const { value, grads } = tf.valueAndGrads((x: tf.Tensor) =>
              sumAll(tf.mul(embeddingBag(x as tf.Tensor2D, jt, { mode, kernel }), G)),
            )([T]);
            const out = embeddingBag(T, jt, { mode, kernel });
            value.dispose();
            return [out, grads[0]];
          };
          try {
            const [tfjsOut, tfjsGrad] = run(table, gy, 'tfjs');
            const [hostOut, hostGrad] = run(table, gy, 'host');
            const [magOut, magGrad] = run(absTable, absGy, 'host'); // Σ|w·T| per element (weights here are >= 0)
            const [a, b, m, ga, gb, gm] = await take(tfjsOut, hostOut, magOut, tfjsGrad, hostGrad, magGrad);
            expectWithin(a, b, m, 'pooled');
            expectWithin(ga, gb, gm, 'table gradient');
          } finally {
            tf.dispose([table, absTable, gy, absGy]);
            jt.dispose();
            kjt.dispose();
          }
        },
      ),
      { numRuns: 60, seed: 14 },
    );
  });

  it('pooledLookup over KJT and IKJT (shared tables, weights, mean): tfjs = host within 2^-20 · Σ|terms|', async (ctx) => {
    if (!canReadSync()) ctx.skip();
    const dataArb = kjtDataArb({ maxKeys: 3, maxB: 6, maxLen: 3, idRange: 4 }).chain((d) => fc.tuple(fc.constant(d), groupingArb(d.keys)));
    await fc.assert(
      fc.asyncProperty(dataArb, tableArb(4, 3), tableArb(4, 2), fc.constantFrom('sum', 'mean'), async ([d, groups], f0, f1, modeIn) => {
        const mode = d.weights ? 'sum' : (modeIn as 'sum' | 'mean');
        const kjt = makeKjt(d);
        const ikjt = dedup(kjt, { groups });
        const w0 = tf.tensor2d(f0, [4, 3]);
        const w1 = tf.tensor2d(f1, [4, 2]);
        const a0 = tf.abs(w0) as tf.Tensor2D;
        const a1 = tf.abs(w1) as tf.Tensor2D;
        const tablesOf = (t0: tf.Tensor2D, t1: tf.Tensor2D) => {
          const tables = [{ name: 't0', weight: t0, featureNames: d.keys.slice(0, 1), pooling: mode }];
          if (d.keys.length > 1) tables.push({ name: 't1', weight: t1, featureNames: d.keys.slice(1), pooling: mode });
          return tables;
        };
        const two = d.keys.length > 1;
        const run = (x: KeyedJaggedTensor, ts: [tf.Tensor2D, tf.Tensor2D], kernel: EmbeddingBagKernel) => {
          const width = 3 + 2 * (d.keys.length - 1);
          const G = tf.tidy(() => tf.reshape(tf.range(0, d.B * width, 1, 'float32'), [d.B, width]));
          const { value, grads } = tf.valueAndGrads((t0: tf.Tensor, t1?: tf.Tensor) => {
            const kt = pooledLookup(tablesOf(t0 as tf.Tensor2D, (t1 ?? ts[1]) as tf.Tensor2D), x, { kernel });
            const loss = sumAll(tf.mul(kt.values, G));
            kt.dispose();
            return loss;
          })(two ? ts : [ts[0]]);
          const kt = pooledLookup(tablesOf(...ts), x, { kernel });
          tf.dispose([value, G]);
          return [kt.values, ...grads];
        };
        try {
          for (const x of [kjt, ikjt]) {
            const A = await take(...run(x, [w0, w1], 'tfjs'));
            const H = await take(...run(x, [w0, w1], 'host'));
            const M = await take(...run(x, [a0, a1], 'host'));
            ['pooled', 'gradient t0', 'gradient t1'].slice(0, A.length).forEach((label, i) => {
              expectWithin(A[i], H[i], M[i], label);
            });
          }
        } finally {
          tf.dispose([w0, w1, a0, a1]);
          ikjt.dispose();
          kjt.dispose();
        }
      }),
      { numRuns: 40, seed: 15 },
    );
  });
});

describe("embeddingBag consults the 'embeddingBag' accelerator of the active backend", () => {
  it('called with (table, jt, { mode, perSampleWeights }) after validation; undefined falls back; forced kernels skip it', async () => {
    const table = tf.tensor2d([
      [1, 0],
      [0, 1],
      [2, 2],
    ]);
    const jt = new JaggedTensor({ values: tf.tensor1d([0, 2, 1], 'int32'), lengths: [2, 0, 1] });
    const w = tf.tensor1d([2, 0.5, -1]);
    const calls: unknown[][] = [];
    let answer: 'decline' | 'fill' = 'decline';
    const remove = registerAccelerator('embeddingBag', tf.getBackend(), (...args: unknown[]) => {
      calls.push(args);
      return answer === 'decline' ? undefined : tf.fill([3, 2], 7);
    });
    try {
      // declined: the package's own path runs and gives its usual result
      const out = embeddingBag(table, jt, { perSampleWeights: w });
      expect(calls.length).toBe(1);
      const [t0, j0, o0] = calls[0] as [tf.Tensor, JaggedTensor, { mode: string; perSampleWeights: tf.Tensor | null }];
      expect(t0).toBe(table);
      expect(j0).toBe(jt);
      expect(o0.mode).toBe('sum');
      expect(o0.perSampleWeights).toBe(w);
      expect(await out.array()).toEqual([
        [3, 1],
        [0, 0],
        [0, -1],
      ]);
      out.dispose();
      // mean without weights: the accelerator sees mode 'mean' and null weights
      embeddingBag(table, jt, { mode: 'mean' }).dispose();
      expect((calls[1][2] as { mode: string }).mode).toBe('mean');
      expect((calls[1][2] as { perSampleWeights: unknown }).perSampleWeights).toBeNull();
      // an answer is returned as the result
      answer = 'fill';
      const acc = embeddingBag(table, jt);
      expect(Array.from(await acc.data())).toEqual([7, 7, 7, 7, 7, 7]);
      acc.dispose();
      // a forced kernel never consults it; nor does an invalid call (validation first)
      const n = calls.length;
      for (const kernel of canReadSync() ? (['host', 'tfjs'] as const) : (['tfjs'] as const)) embeddingBag(table, jt, { kernel }).dispose();
      expect(() => embeddingBag(table, jt, { mode: 'max' as 'sum' })).toThrow(TesseraError);
      const bad = new JaggedTensor({ values: tf.tensor1d([3], 'int32'), lengths: [1] });
      try {
        if (canReadSync()) expect(() => embeddingBag(table, bad)).toThrow(/INDEX_OUT_OF_RANGE|ids must be in \[0, 3\)/);
      } finally {
        bad.dispose();
      }
      expect(calls.length).toBe(n);
      // an empty lookup does not reach it either (zeros, connected to the table)
      const empty = new JaggedTensor({ values: tf.tensor1d([], 'int32'), lengths: [0, 0] });
      try {
        const [z, gz] = await take(
          ...(() => {
            const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => sumAll(embeddingBag(x as tf.Tensor2D, empty)))([table]);
            return [value, grads[0]];
          })(),
        );
        expect(Array.from(z)).toEqual([0]);
        expect(Array.from(gz)).toEqual([0, 0, 0, 0, 0, 0]);
      } finally {
        empty.dispose();
      }
      expect(calls.length).toBe(n);
    } finally {
      remove();
      tf.dispose([table, w]);
      jt.dispose();
    }
  });

  it('the pooled lookups use it per feature, with the backward of the tfjs ops; no leaks', async () => {
    const seen: number[][] = [];
    const remove = registerAccelerator('embeddingBag', tf.getBackend(), (...args: unknown[]) => {
      const [T, j, o] = args as [tf.Tensor2D, JaggedTensor, { mode: 'sum' | 'mean'; perSampleWeights: tf.Tensor1D | null }];
      seen.push(Array.from(j.offsets));
      return seen.length % 2 === 1 ? embeddingBag(T, j, { ...o, kernel: 'tfjs' }) : undefined; // first answers, second declines
    });
    const weight = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const x = makeKjt({ keys: ['a', 'b'], B: 2, lengths: [2, 1, 0, 1], values: [0, 2, 1, 2], weights: null });
    try {
      await expectNoLeaks(async () => {
        const tables = [{ name: 't', weight, featureNames: ['a', 'b'], pooling: 'sum' as const }];
        const { value, grads } = tf.valueAndGrads((w: tf.Tensor) =>
          sumAll(pooledLookup([{ ...tables[0], weight: w as tf.Tensor2D }], x).values),
        )([weight]);
        const kt = pooledLookup(tables, x);
        expect(await kt.values.array()).toEqual([
          [6, 8, 0, 0],
          [3, 4, 5, 6],
        ]);
        expect(await grads[0].array()).toEqual([
          [1, 1],
          [1, 1],
          [2, 2],
        ]);
        tf.dispose([value, grads[0]]);
        kt.dispose();
      });
      expect(seen).toEqual([
        [0, 2, 3],
        [0, 0, 1],
        [0, 2, 3],
        [0, 0, 1],
      ]);
    } finally {
      remove();
      weight.dispose();
      x.dispose();
    }
  });
});
