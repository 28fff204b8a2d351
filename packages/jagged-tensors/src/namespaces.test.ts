// The spec-style function namespaces and functional lookups delegate to the classes.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { arrAsync, expectError, i32, noLeaksAsync } from '../test/helpers.js';
import { jt, kjt, kt, pooledLookup, sequenceLookup } from './index.js';

describe('jt / kjt / kt namespaces and functional lookups', () => {
  it('delegate to the class methods', () =>
    noLeaksAsync(async (t) => {
      const j = t(jt.create({ values: i32([1, 2, 3]), lengths: [2, 1] }));
      expect(await t(jt.toPaddedDense(j, { desiredLength: 1, paddingValue: 9 })).array()).toEqual([[1], [3]]);
      const x = t(kjt.fromLengths({ keys: ['a', 'b'], values: i32([1, 2, 3, 4]), lengths: [1, 1, 2, 0] }));
      expect(await arrAsync(t(kjt.permute(x, [1, 0])).values)).toEqual([3, 4, 1, 2]);
      expect(
        kjt
          .split(x, [1, 1])
          .map(t)
          .map((p) => p.keys),
      ).toEqual([['a'], ['b']]);
      expect(await arrAsync(t(kjt.indexSelectDim1(x, [1])).values)).toEqual([2]);
      const c = t(kjt.concat(kjt.split(x, [2]).map(t)));
      await Promise.all([c.values.data(), x.values.data()]); // equal compares on the host
      expect(kjt.equal(c, x)).toBe(true);
      const k = t(kt.fromTensorList(['p', 'q'], [t(tf.ones([2, 1])), t(tf.zeros([2, 2]))]));
      expect(
        await kt
          .regroup([k], [['q', 'p']])
          .map(t)[0]
          .array(),
      ).toEqual([
        [0, 0, 1],
        [0, 0, 1],
      ]);
    }));
  it('pooledLookup / sequenceLookup over plain tables', () =>
    noLeaksAsync(async (t) => {
      const weight = t(
        tf.tensor2d([
          [1, 0],
          [0, 1],
          [2, 2],
        ]),
      );
      const x = t(kjt.fromLengths({ keys: ['f'], values: i32([0, 2, 1]), lengths: [2, 1] }));
      const p = t(pooledLookup([{ name: 't', weight, featureNames: ['f'], pooling: 'sum' }], x));
      expect(await p.values.array()).toEqual([
        [3, 2],
        [0, 1],
      ]);
      const s = sequenceLookup([{ name: 't', weight, featureNames: ['f'], pooling: 'none' }], x);
      expect(await t(s.f).values.array()).toEqual([
        [1, 0],
        [2, 2],
        [0, 1],
      ]);
      expectError(() => pooledLookup([{ name: 't', weight, featureNames: ['f'], pooling: 'none' }], x), 'INVALID_ARGUMENT');
      expectError(() => pooledLookup([], x), 'INVALID_ARGUMENT');
    }));
});
