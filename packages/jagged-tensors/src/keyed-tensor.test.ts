import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError, noLeaks } from '../test/helpers.js';
import { KeyedTensor } from './keyed-tensor.js';

describe('KeyedTensor', () => {
  it('fromTensorList / get / toDict round-trip each key exactly', () =>
    noLeaks((t) => {
      const a = t(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      );
      const b = t(tf.tensor2d([[5], [6]]));
      const kt = t(KeyedTensor.fromTensorList(['a', 'b'], [a, b]));
      expect(kt.lengthPerKey).toEqual([2, 1]);
      expect(kt.offsetPerKey).toEqual([0, 2, 3]);
      expect(kt.keyDim).toBe(1);
      expect(t(kt.get('b')).arraySync()).toEqual([[5], [6]]);
      const d = kt.toDict();
      expect(t(d.a).arraySync()).toEqual([
        [1, 2],
        [3, 4],
      ]);
      t(d.b);
      expect(Object.keys(d)).toEqual(['a', 'b']);
    }));
  it('regroup = concat of the named column blocks (property over random widths and groups)', () =>
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        (widths, B, rawGroups) =>
          noLeaks((t) => {
            const keys = widths.map((_, i) => `k${i}`);
            const half = Math.ceil(keys.length / 2);
            let c = 0;
            const mk = (ks: string[]) =>
              t(
                KeyedTensor.fromTensorList(
                  ks,
                  ks.map((k) =>
                    t(
                      tf.tensor2d(
                        Array.from({ length: B * widths[keys.indexOf(k)] }, () => c++),
                        [B, widths[keys.indexOf(k)]],
                      ),
                    ),
                  ),
                ),
              );
            const kts = keys.length > 1 ? [mk(keys.slice(0, half)), mk(keys.slice(half))] : [mk(keys)];
            const groups = rawGroups.map((g) => g.map((i) => keys[i % keys.length]));
            const out = KeyedTensor.regroup(kts, groups).map(t);
            const all: Record<string, number[][]> = {};
            for (const kt of kts)
              for (const k of kt.keys) {
                const w = widths[keys.indexOf(k)];
                const flat = Array.from(t(kt.get(k)).dataSync());
                all[k] = Array.from({ length: B }, (_, b) => flat.slice(b * w, b * w + w));
              }
            groups.forEach((g, gi) => {
              const expected = Array.from({ length: B }, (_, b) => g.flatMap((k) => all[k][b]));
              expect(out[gi].shape).toEqual([B, g.reduce((s, k) => s + widths[keys.indexOf(k)], 0)]);
              expect(Array.from(out[gi].dataSync())).toEqual(expected.flat());
            });
            const dict = KeyedTensor.regroupAsDict(
              kts,
              groups,
              groups.map((_, i) => `g${i}`),
            );
            for (const v of Object.values(dict)) t(v);
            expect(Object.keys(dict)).toEqual(groups.map((_, i) => `g${i}`));
          }),
      ),
      { numRuns: 100, seed: 7 },
    ));
  it('errors: unknown key, a key in two KTs (D8), B mismatch, width mismatch', () =>
    noLeaks((t) => {
      const x = t(KeyedTensor.fromTensorList(['a'], [t(tf.zeros([2, 3]))]));
      const y = t(KeyedTensor.fromTensorList(['a'], [t(tf.zeros([2, 1]))]));
      const z = t(KeyedTensor.fromTensorList(['z'], [t(tf.zeros([3, 1]))]));
      expectError(() => x.get('q'), 'INVALID_KEY');
      expectError(() => KeyedTensor.regroup([x, y], [['a']]), 'INVALID_KEY');
      expectError(() => KeyedTensor.regroup([x, z], [['a']]), 'INVALID_SHAPE');
      expectError(() => KeyedTensor.regroup([x], [['q']]), 'INVALID_KEY');
      expectError(() => KeyedTensor.regroupAsDict([x], [['a']], []), 'INVALID_ARGUMENT');
      expectError(() => new KeyedTensor({ keys: ['a'], lengthPerKey: [2], values: x.values }), 'INVALID_SHAPE');
      expectError(() => new KeyedTensor({ keys: ['a', 'a'], lengthPerKey: [1, 2], values: x.values }), 'INVALID_KEY');
      expectError(() => KeyedTensor.fromTensorList(['a', 'b'], [x.values, z.values]), 'INVALID_SHAPE');
    }));
});
