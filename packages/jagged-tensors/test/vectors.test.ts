// The torchrec / FBGEMM test vectors (see test/fixtures/PROVENANCE.md), reproduced exactly. Data: test/fixtures/.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { JaggedTensor, KeyedJaggedTensor, KeyedTensor } from '../src/index.js';
import fx from './fixtures/torchrec-vectors.json' with { type: 'json' };
import { arr, f32, i32, list, noLeaks, noLeaksAsync } from './helpers.js';

describe('JaggedTensor vectors (TR test_jagged_tensor.py)', () => {
  it('fromDense', () =>
    noLeaks((t) => {
      const v = fx.jt.fromDense;
      const rows = v.rows.map((r) => t(i32(r)));
      const jt = t(JaggedTensor.fromDense(rows));
      expect(list(jt.lengths)).toEqual(v.lengths);
      expect(list(jt.offsets)).toEqual(v.offsets);
      expect(arr(jt.values)).toEqual(v.values);
    }));
  it('fromDenseLengths, unweighted and weighted', () =>
    noLeaks((t) => {
      const v = fx.jt.fromDenseLengths;
      const rows = t(tf.tensor2d(v.rows, undefined, 'int32'));
      expect(arr(t(JaggedTensor.fromDenseLengths(rows, v.lengths)).values)).toEqual(v.values);
      const w = fx.jt.fromDenseLengthsWeighted;
      const jt = t(JaggedTensor.fromDenseLengths(rows, w.lengths, t(tf.tensor2d(w.weights))));
      expect(arr(jt.values)).toEqual(w.values);
      expect(arr(jt.weights)).toEqual(w.weightsOut);
    }));
  it('toDense', () =>
    noLeaks((t) => {
      const v = fx.jt.toDense;
      const jt = t(new JaggedTensor({ values: i32(v.values), offsets: v.offsets }));
      const dense = jt.toDense();
      expect(dense.map((d) => arr(t(d)))).toEqual(v.dense);
    }));
  it('toPaddedDense (default, truncation, 2-D int32)', () =>
    noLeaksAsync(async (t) => {
      const v = fx.jt.toPaddedDense;
      const jt = t(new JaggedTensor({ values: i32(v.values), offsets: v.offsets }));
      const p = t(jt.toPaddedDense());
      expect(await p.array()).toEqual(v.padded);
      expect(p.dtype).toBe('int32');
      const tr = fx.jt.toPaddedDenseTruncate;
      expect(await t(jt.toPaddedDense({ desiredLength: tr.desiredLength, paddingValue: tr.paddingValue })).array()).toEqual(tr.padded);
      expect(await t(jt.toPaddedDense(tr.desiredLength, tr.paddingValue)).array()).toEqual(tr.padded);
      const d2 = fx.jt.toPaddedDense2d;
      const jt2 = t(new JaggedTensor({ values: tf.tensor2d(d2.values, undefined, 'int32'), lengths: d2.lengths }));
      const p2 = t(jt2.toPaddedDense({ desiredLength: d2.desiredLength }));
      expect(p2.shape).toEqual([4, 3, 3]);
      expect(p2.dtype).toBe('int32');
      expect(await p2.array()).toEqual(d2.padded);
    }));
});

describe('KeyedJaggedTensor vectors (TR test_keyed_jagged_tensor.py)', () => {
  it('canonical example', () =>
    noLeaks((t) => {
      const c = fx.kjt.canonical;
      const k = t(KeyedJaggedTensor.fromLengths({ keys: c.keys, values: i32(c.values), lengths: c.lengths }));
      expect(list(k.offsets)).toEqual(c.offsets);
      expect(k.stride).toBe(c.stride);
      expect(k.lengthPerKey).toEqual(c.lengthPerKey);
      expect(k.offsetPerKey).toEqual(c.offsetPerKey);
      expect({ ...k.indexPerKey }).toEqual(c.indexPerKey);
      const o = t(KeyedJaggedTensor.fromOffsets({ keys: c.keys, values: i32(c.values), offsets: c.offsets }));
      expect(k.equal(o)).toBe(true);
    }));

  const baseA = (vbe: boolean) => {
    const a = fx.kjt.baseA;
    return KeyedJaggedTensor.fromOffsets({
      keys: a.keys,
      values: i32(a.values),
      weights: f32(a.weights),
      offsets: a.offsets,
      stridePerKeyPerRank: vbe ? a.vbeMatrix : undefined,
    });
  };
  it('get / toDict / split / fromJtDict on base A', () =>
    noLeaks((t) => {
      const A = t(baseA(false));
      const exp = fx.kjt.baseA.get;
      for (const key of A.keys) {
        const e = exp[key as keyof typeof exp];
        const jt = t(A.get(key));
        expect([list(jt.lengths), arr(jt.values), arr(jt.weights)]).toEqual([e.lengths, e.values, e.weights]);
        const d = A.toDict();
        for (const j of Object.values(d)) t(j);
        expect(arr(d[key].values)).toEqual(e.values);
      }
      const parts = A.split([1, 1]).map(t);
      parts.forEach((p, i) => {
        const e = exp[A.keys[i] as keyof typeof exp];
        expect(p.keys).toEqual([A.keys[i]]);
        expect([list(p.lengths), arr(p.values), arr(p.weights)]).toEqual([e.lengths, e.values, e.weights]);
      });
      const dict = A.toDict();
      for (const j of Object.values(dict)) t(j);
      expect(t(KeyedJaggedTensor.fromJtDict(dict)).equal(A)).toBe(true);
    }));
  it('zero split keeps the parent stride (TR test_zero_split)', () =>
    noLeaks((t) => {
      const A = t(baseA(false));
      const [p0, p1] = A.split(fx.kjt.zeroSplit.segments).map(t);
      expect([p0.keys, list(p0.lengths), arr(p0.values), arr(p0.weights), p0.stride]).toEqual([[], [], [], [], fx.kjt.zeroSplit.stride]);
      expect(p0.values.dtype).toBe('int32');
      expect(p1.equal(A)).toBe(true);
      expect(p1.stride).toBe(3);
      expect(p1.values).not.toBe(A.values); // D10: new tensors
    }));
  it('VBE get on base A', () =>
    noLeaks((t) => {
      const A = t(baseA(true));
      const exp = fx.kjt.baseA.vbeGet;
      for (const key of A.keys) {
        const e = exp[key as keyof typeof exp];
        const jt = t(A.get(key));
        expect([list(jt.lengths), arr(jt.values), arr(jt.weights)]).toEqual([e.lengths, e.values, e.weights]);
      }
    }));
  it('permute: plain, weighted, repeats', () =>
    noLeaks((t) => {
      const p = fx.kjt.permute;
      for (const weighted of [false, true]) {
        const x = t(
          KeyedJaggedTensor.fromLengths({
            keys: p.keys,
            values: i32(p.values),
            weights: weighted ? f32(p.weights) : undefined,
            lengths: p.lengths,
          }),
        );
        for (const c of p.cases) {
          const y = t(x.permute(c.indices));
          expect(list(y.lengths)).toEqual(c.lengths);
          expect(arr(y.values)).toEqual(c.values);
          expect(y.offsetPerKey).toEqual(c.offsetPerKey);
          expect(y.keys).toEqual(c.indices.map((i) => p.keys[i]));
          expect(y.stride).toBe(3);
          if (weighted && c.weights) expect(arr(y.weights)).toEqual(c.weights);
          expect(y.weights === null).toBe(!weighted);
          expect(y.duplicateKeys).toBe(c.indices.length > 3);
        }
      }
    }));
  it('permute VBE', () =>
    noLeaks((t) => {
      const p = fx.kjt.permuteVbe;
      const x = t(
        KeyedJaggedTensor.fromLengths({ keys: p.keys, values: i32(p.values), lengths: p.lengths, stridePerKeyPerRank: p.matrix }),
      );
      for (const c of p.cases) {
        const y = t(x.permute(c.indices));
        expect(list(y.lengths)).toEqual(c.lengths);
        expect(arr(y.values)).toEqual(c.values);
        if (c.offsetPerKey) expect(y.offsetPerKey).toEqual(c.offsetPerKey);
        expect(y.stridePerKeyPerRank).toEqual(c.indices.map((i) => p.matrix[i]));
      }
    }));
  it('split VBE (TR test_split_vb)', () =>
    noLeaks((t) => {
      const s = fx.kjt.splitVbe;
      const x = t(
        KeyedJaggedTensor.fromLengths({ keys: s.keys, values: i32(s.values), lengths: s.lengths, stridePerKeyPerRank: s.matrix }),
      );
      expect(x.stride).toBe(s.stride);
      for (const c of s.cases) {
        const parts = x.split(c.segments).map(t);
        expect(parts.map((q) => q.keys)).toEqual(c.keys);
        expect(parts.map((q) => list(q.lengths))).toEqual(c.lengths);
        expect(parts.map((q) => arr(q.values))).toEqual(c.values);
        expect(parts.map((q) => q.stride)).toEqual(parts.map(() => s.stride));
      }
    }));
  it('concat (TR test_concat, adapted)', () =>
    noLeaks((t) => {
      const c = fx.kjt.concat;
      const whole = t(KeyedJaggedTensor.fromLengths({ keys: c.keys, values: i32(c.values), lengths: c.lengths }));
      const a = t(
        KeyedJaggedTensor.fromLengths({ keys: c.keys.slice(0, 1), values: i32(c.values.slice(0, 3)), lengths: c.lengths.slice(0, 4) }),
      );
      const b = t(KeyedJaggedTensor.fromLengths({ keys: c.keys.slice(1), values: i32(c.values.slice(3)), lengths: c.lengths.slice(4) }));
      const y = t(KeyedJaggedTensor.concat([a, b]));
      expect(y.equal(whole)).toBe(true);
      expect(list(y.offsets)).toEqual(list(whole.offsets));
      expect(y.lengthPerKey).toEqual(c.lengthPerKey);
      expect(y.stride).toBe(c.stride);
    }));
  it('indexSelectDim1 (FBGEMM keyed_jagged_index_select_dim1 docstring)', () =>
    noLeaks((t) => {
      const s = fx.kjt.indexSelectDim1;
      const x = t(KeyedJaggedTensor.fromLengths({ keys: s.keys, values: i32(s.values), lengths: s.lengths }));
      const y = t(x.indexSelectDim1(s.indices));
      expect(list(y.lengths)).toEqual(s.outLengths);
      expect(arr(y.values)).toEqual(s.outValues);
      expect(y.stride).toBe(s.indices.length);
    }));
});

describe('KeyedTensor vectors (TR test_keyed_tensor.py, EBC docstring)', () => {
  it('offsetPerKey of two tables', () =>
    noLeaks((t) => {
      const v = fx.kt.ebcOffsetPerKey;
      const kt = t(
        KeyedTensor.fromTensorList(
          ['t1', 't2'],
          v.dims.map((d) => t(tf.zeros([2, d]))),
        ),
      );
      expect(kt.offsetPerKey).toEqual(v.offsetPerKey);
    }));
  it('regroup with reuse and omissions', () =>
    noLeaksAsync(async (t) => {
      const v = fx.kt.regroup;
      const B = 3;
      const mk = (spec: Record<string, number>, base: number) => {
        const keys = Object.keys(spec);
        return t(
          KeyedTensor.fromTensorList(
            keys,
            keys.map((k, i) => t(tf.fill([B, spec[k]], base + i))),
          ),
        );
      };
      const kt1 = mk(v.kt1, 0);
      const kt2 = mk(v.kt2, 10);
      const colsOf = (g: string[]) =>
        g.flatMap((k) =>
          Array(({ ...v.kt1, ...v.kt2 } as Record<string, number>)[k]).fill(
            k in v.kt1 ? Object.keys(v.kt1).indexOf(k) : 10 + Object.keys(v.kt2).indexOf(k),
          ),
        );
      for (const [groups, widths] of [
        [v.groups, v.widths],
        [v.groups2, v.widths2],
      ] as [string[][], number[]][]) {
        const out = KeyedTensor.regroup([kt1, kt2], groups).map(t);
        expect(out.map((o) => o.shape[1])).toEqual(widths);
        for (const [g, o] of out.entries()) expect(((await o.array()) as number[][])[1]).toEqual(colsOf(groups[g]));
      }
    }));
});
