// IKJT / RecD dedup properties against the naive reference.
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupingArb, kjtDataArb, makeKjt } from '../test/arbitraries.js';
import { noLeaks } from '../test/helpers.js';
import { refDedupGroup, refExpand, toRef } from '../test/reference/naive.js';
import { dedup, expand } from './dedup.js';
import { InverseKeyedJaggedTensor, KeyedJaggedTensor } from './keyed-jagged-tensor.js';

const RUNS = { numRuns: 150, seed: 3 };

const caseArb = kjtDataArb({ maxKeys: 4, maxB: 8, maxLen: 2, idRange: 2 }).chain((d) => fc.tuple(fc.constant(d), groupingArb(d.keys)));

describe('dedup / expand', () => {
  it('expand(dedup(x, G)) == x bitwise for every grouping; idx and stored bags match the reference; U ≤ B; I1–I4 hold', () =>
    fc.assert(
      fc.property(caseArb, ([d, groups]) =>
        noLeaks((t) => {
          const x = t(makeKjt(d));
          const y = t(dedup(x, { groups }));
          expect(y).toBeInstanceOf(InverseKeyedJaggedTensor);
          y.validate({ dedupOrder: true });
          expect(y.stride).toBe(d.B);
          expect(y.inverseIndices).toBe(y.inverse);
          expect(t(y.expand()).bitwiseEqual(x)).toBe(true);
          expect(t(expand(y)).bitwiseEqual(x)).toBe(true);
          const rx = toRef(x);
          const ry = toRef(y);
          for (const g of y.groups) {
            const ks = g.map((k) => d.keys.indexOf(k));
            const r = refDedupGroup(rx, ks);
            for (const k of ks) {
              expect(Array.from(y.inverseIndicesOf(d.keys[k]))).toEqual(r.idx);
              expect(ry.bags[k]).toEqual(r.reps.map((b) => rx.bags[k][b]));
              expect(y.stridePerKey[k]).toBeLessThanOrEqual(d.B);
            }
          }
          const stats = y.stats;
          expect(stats.map((s) => s.keys)).toEqual(y.groups);
          for (const s of stats) expect(s.ratio).toBeCloseTo(s.unique === 0 ? 1 : d.B / s.unique, 12);
          const { ikjt } = dedup(x, groups);
          t(ikjt);
          expect(ikjt.bitwiseEqual(y)).toBe(true);
        }),
      ),
      RUNS,
    ));

  it('dedup ∘ expand is idempotent on dedup outputs (same U and idx)', () =>
    fc.assert(
      fc.property(caseArb, ([d, groups]) =>
        noLeaks((t) => {
          const x = t(makeKjt(d));
          const y = t(dedup(x, { groups }));
          const z = t(dedup(t(y.expand()), { groups }));
          expect(z.stridePerKey).toEqual(y.stridePerKey);
          expect(z.inverse.idx.map((r) => Array.from(r))).toEqual(y.inverse.idx.map((r) => Array.from(r)));
          expect(z.bitwiseEqual(y)).toBe(true);
        }),
      ),
      RUNS,
    ));

  it('a batch of B distinct samples gives U = B and idx = 0..B−1', () =>
    noLeaks((t) => {
      const B = 5;
      const x = t(
        KeyedJaggedTensor.fromLengths({ keys: ['a', 'b'], values: tf.range(0, 2 * B, 1, 'int32'), lengths: new Array(2 * B).fill(1) }),
      );
      const y = t(dedup(x));
      expect(y.stridePerKey).toEqual([B, B]);
      expect(Array.from(y.inverse.idx[0])).toEqual([0, 1, 2, 3, 4]);
      expect(y.dedupRatio).toBe(1);
    }));

  it('bit patterns decide: −0 and +0 weights are different bags; NaN payloads survive', () =>
    noLeaks((t) => {
      const nan2 = new Float32Array(new Uint32Array([0x7fc00001]).buffer)[0];
      const x = t(
        KeyedJaggedTensor.fromLengths({
          keys: ['a'],
          values: tf.tensor1d([1, 1, 1, 1], 'int32'),
          weights: tf.tensor1d(new Float32Array([0, -0, 0, nan2])),
          lengths: [1, 1, 1, 1],
        }),
      );
      const y = t(dedup(x));
      expect(Array.from(y.inverse.idx[0])).toEqual([0, 1, 0, 2]);
      expect(t(y.expand()).bitwiseEqual(x)).toBe(true);
    }));

  it('indexSelectDim1, permute, split and concat commute with expand (inverse rows carried, D4)', () =>
    fc.assert(
      fc.property(
        caseArb.chain(([d, g]) =>
          fc.tuple(
            fc.constant(d),
            fc.constant(g),
            fc.array(fc.integer({ min: 0, max: Math.max(0, d.B - 1) }), { maxLength: d.B === 0 ? 0 : 6 }),
            fc.shuffledSubarray(
              d.keys.map((_, i) => i),
              { minLength: 1 },
            ),
            fc.boolean(),
          ),
        ),
        ([d, groups, sel, perm, compact]) =>
          noLeaks((t) => {
            const x = t(makeKjt(d));
            const y = t(dedup(x, { groups }));
            const ys = t(y.indexSelectDim1(sel, { compact }));
            expect(ys).toBeInstanceOf(InverseKeyedJaggedTensor);
            (ys as InverseKeyedJaggedTensor).validate({ dedupOrder: compact });
            expect(t((ys as InverseKeyedJaggedTensor).expand()).bitwiseEqual(t(x.indexSelectDim1(sel)))).toBe(true);
            if (compact) {
              // compact drops unreferenced bags: every stored bag is referenced, first-occurrence order (I3)
              for (const g of (ys as InverseKeyedJaggedTensor).groups) {
                const row = (ys as InverseKeyedJaggedTensor).inverseIndicesOf(g[0]);
                expect(new Set(row).size).toBe(ys.stridePerKey[ys.keys.indexOf(g[0])]);
              }
            }
            const yp = t(y.permute(perm));
            expect(yp).toBeInstanceOf(InverseKeyedJaggedTensor);
            expect(yp.stride).toBe(d.B);
            expect(t((yp as InverseKeyedJaggedTensor).expand()).bitwiseEqual(t(x.permute(perm)))).toBe(true);
            const c = Math.floor(d.keys.length / 2);
            const parts = y.split([c, d.keys.length - c]).map(t);
            const xparts = x.split([c, d.keys.length - c]).map(t);
            parts.forEach((p, i) => {
              expect(p.stride).toBe(d.B);
              if (p.keys.length > 0) expect(t((p as InverseKeyedJaggedTensor).expand()).bitwiseEqual(xparts[i])).toBe(true);
            });
            const back = t(KeyedJaggedTensor.concat(parts));
            expect(back.bitwiseEqual(y)).toBe(true);
            // reference check of expansion through the naive model
            const ry = toRef(y);
            const idx = y.keys.map((k) => Array.from(y.inverseIndicesOf(k)));
            expect(refExpand(ry, idx)).toEqual(toRef(x));
          }),
      ),
      RUNS,
    ));
});

describe('dedup of 2-D float values (sequence rows)', () => {
  it('rows compare by bit pattern; expand(dedup(x)) == x bitwise; permute/split keep [nnz, D] rows', () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 18, maxLength: 18 }),
        fc.array(fc.constantFrom(0, -0, 1.5, Number.NaN), { minLength: 36, maxLength: 36 }),
        (K, B, lens, pool) =>
          noLeaks((t) => {
            const lengths = lens.slice(0, K * B);
            const nnz = lengths.reduce((a, b) => a + b, 0);
            const keys = Array.from({ length: K }, (_, i) => `k${i}`);
            const values = tf.tensor2d(
              new Float32Array(pool.slice(0, nnz * 2).concat(new Array(Math.max(0, nnz * 2 - pool.length)).fill(1))),
              [nnz, 2],
            );
            const x = t(KeyedJaggedTensor.fromLengths({ keys, values, lengths, stride: B }));
            const y = t(dedup(x));
            y.validate({ dedupOrder: true });
            expect(t(y.expand()).bitwiseEqual(x)).toBe(true);
            const p = keys.map((_, i) => K - 1 - i);
            expect(t(t(y.permute(p)).permute(p)).bitwiseEqual(y)).toBe(true);
            expect(t(KeyedJaggedTensor.concat(y.split(keys.map(() => 1)).map(t))).bitwiseEqual(y)).toBe(true);
          }),
      ),
      { numRuns: 100, seed: 12 },
    ));
});
