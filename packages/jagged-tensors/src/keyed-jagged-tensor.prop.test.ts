// Property tests of JT/KJT structure ops against the naive reference.
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kjtDataArb, makeKjt } from '../test/arbitraries.js';
import { noLeaks, noLeaksAsync } from '../test/helpers.js';
import { refIndexSelect, refPadded, refPermute, refSplit, toRef } from '../test/reference/naive.js';
import { completeCumsum } from './int-array.js';
import { JaggedTensor } from './jagged-tensor.js';
import { KeyedJaggedTensor } from './keyed-jagged-tensor.js';

const RUNS = { numRuns: 150, seed: 20261123 };

const derivedOk = (x: KeyedJaggedTensor) => {
  x.validate();
  expect(Array.from(x.offsets)).toEqual(Array.from(completeCumsum(x.lengths)));
  const lpk = x.keys.map((_, k) => x.offsets[x.lengthsOffsetPerKey[k + 1]] - x.offsets[x.lengthsOffsetPerKey[k]]);
  expect(x.lengthPerKey).toEqual(lpk);
  expect(x.offsetPerKey).toEqual(Array.from(completeCumsum(lpk)));
};

describe('KJT properties vs the naive reference', () => {
  it('generated KJTs validate; fromLengths and fromOffsets agree; derived fields match their definitions', () =>
    fc.assert(
      fc.property(kjtDataArb(), (d) =>
        noLeaks((t) => {
          const x = t(makeKjt(d));
          derivedOk(x);
          const y = t(
            KeyedJaggedTensor.fromOffsets({
              keys: d.keys,
              values: tf.clone(x.values),
              weights: x.weights ? tf.clone(x.weights) : null,
              offsets: x.offsets,
              stride: d.B,
            }),
          );
          expect(y.equal(x)).toBe(true);
        }),
      ),
      RUNS,
    ));

  it('permute matches the reference; permute then inverse permute is the identity; composition', () =>
    fc.assert(
      fc.property(
        kjtDataArb().chain((d) =>
          fc.tuple(
            fc.constant(d),
            fc.shuffledSubarray(
              d.keys.map((_, i) => i),
              { minLength: d.keys.length, maxLength: d.keys.length },
            ),
            fc.array(fc.integer({ min: 0, max: d.keys.length - 1 }), { maxLength: 6 }),
          ),
        ),
        ([d, p, q]) =>
          noLeaks((t) => {
            const x = t(makeKjt(d));
            const y = t(x.permute(p));
            expect(toRef(y)).toEqual(refPermute(toRef(x), p));
            derivedOk(y);
            const inv = p.map((_, j) => p.indexOf(j));
            expect(t(y.permute(inv)).bitwiseEqual(x)).toBe(true);
            // repeats/omissions: permute(permute(x, p), q) == permute(x, j ↦ p[q[j]])
            const yq = t(y.permute(q));
            expect(toRef(yq)).toEqual(toRef(t(x.permute(q.map((j) => p[j])))));
            expect(yq.weights === null).toBe(d.weights === null);
          }),
      ),
      RUNS,
    ));

  it('split matches the reference; concat(split(x, s)) == x; get(k) == k-th part of split([1,…,1])', () =>
    fc.assert(
      fc.property(
        kjtDataArb().chain((d) =>
          fc.tuple(
            fc.constant(d),
            fc.array(fc.integer({ min: 0, max: d.keys.length }), { maxLength: 3 }).map((cuts) => {
              const c = [0, ...cuts.sort((a, b) => a - b), d.keys.length];
              return c.slice(1).map((v, i) => v - c[i]);
            }),
          ),
        ),
        ([d, segs]) =>
          noLeaks((t) => {
            const x = t(makeKjt(d));
            const parts = x.split(segs).map(t);
            expect(parts.map(toRef)).toEqual(refSplit(toRef(x), segs));
            for (const part of parts) {
              expect(part.stride).toBe(x.stride);
              derivedOk(part);
            }
            expect(t(KeyedJaggedTensor.concat(parts)).bitwiseEqual(x)).toBe(true);
            const ones = x.split(x.keys.map(() => 1)).map(t);
            x.keys.forEach((k, i) => {
              const jt = t(x.get(k));
              const pj = t(ones[i].get(k));
              expect(jt.equal(pj)).toBe(true);
            });
            const dict = x.toDict();
            for (const j of Object.values(dict)) t(j);
            expect(t(KeyedJaggedTensor.fromJtDict(dict)).bitwiseEqual(x)).toBe(true);
          }),
      ),
      RUNS,
    ));

  it('indexSelectDim1 matches the reference; identity selection is x; it commutes with permute', () =>
    fc.assert(
      fc.property(
        kjtDataArb().chain((d) =>
          fc.tuple(fc.constant(d), fc.array(fc.integer({ min: 0, max: Math.max(0, d.B - 1) }), { maxLength: d.B === 0 ? 0 : 8 })),
        ),
        ([d, sel]) =>
          noLeaks((t) => {
            const x = t(makeKjt(d));
            const y = t(x.indexSelectDim1(sel));
            expect(toRef(y)).toEqual(refIndexSelect(toRef(x), sel));
            expect(y.stride).toBe(sel.length);
            derivedOk(y);
            expect(t(x.indexSelectDim1(Array.from({ length: d.B }, (_, i) => i))).bitwiseEqual(x)).toBe(true);
            const p = d.keys.map((_, i) => d.keys.length - 1 - i);
            expect(t(t(x.permute(p)).indexSelectDim1(sel)).bitwiseEqual(t(y.permute(p)))).toBe(true);
          }),
      ),
      RUNS,
    ));

  it('VBE: concat(split) == x and fromJtDict(toDict(x)) == x with per-key batch sizes', () =>
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 4 }),
        (perKey, cut) =>
          noLeaks((t) => {
            const lengths = perKey.flat();
            const nnz = lengths.reduce((a, b) => a + b, 0);
            const keys = perKey.map((_, i) => `k${i}`);
            const x = t(
              new KeyedJaggedTensor({
                keys,
                values: tf.range(0, nnz, 1, 'int32'),
                lengths,
                stridePerKeyPerRank: perKey.map((l) => [l.length]),
              }),
            );
            derivedOk(x);
            const c = Math.min(cut, keys.length);
            const parts = x.split([c, keys.length - c]).map(t);
            expect(parts.map((p) => p.stride)).toEqual([x.stride, x.stride]);
            expect(t(KeyedJaggedTensor.concat(parts)).bitwiseEqual(x)).toBe(true);
            const dict = x.toDict();
            for (const j of Object.values(dict)) t(j);
            const y = t(KeyedJaggedTensor.fromJtDict(dict));
            expect(toRef(y)).toEqual(toRef(x));
          }),
      ),
      RUNS,
    ));
});

describe('JT padded-dense properties', () => {
  it('fromDenseLengths ∘ toPaddedDense round-trips when N >= max length; truncation keeps the first N values', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 5 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: -9, max: 9 }),
        (rows, extra, cut, pad) =>
          noLeaksAsync(async (t) => {
            const lengths = rows.map((r) => r.length);
            const jt = t(new JaggedTensor({ values: tf.tensor1d(rows.flat(), 'int32'), lengths }));
            const maxLen = Math.max(0, ...lengths);
            const n = maxLen + extra;
            const dense = tf.tidy(() => jt.toPaddedDense({ desiredLength: n, paddingValue: pad }));
            const back = t(JaggedTensor.fromDenseLengths(dense, lengths));
            dense.dispose();
            await Promise.all([back.values.data(), jt.values.data()]); // equal compares on the host
            expect(back.equal(jt)).toBe(true);
            const bags = rows.map((r) => ({ rows: r.map((v) => [v]), w: null }));
            const trunc = t(jt.toPaddedDense({ desiredLength: cut, paddingValue: pad }));
            expect(trunc.shape).toEqual([rows.length, cut]);
            // arraySync() flattens zero-size dims, so compare the flat data
            expect(Array.from(await trunc.data())).toEqual(refPadded(bags, cut, pad).flat());
          }),
      ),
      RUNS,
    ));
});
