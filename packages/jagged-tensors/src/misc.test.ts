// Smaller API surface: weights padding, empty KJTs, distSplits, createAsync, tensor lengths input.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { arrAsync, expectError, f32, i32, list, noLeaks, noLeaksAsync } from '../test/helpers.js';
import { JaggedTensor } from './jagged-tensor.js';
import { KeyedJaggedTensor } from './keyed-jagged-tensor.js';

describe('misc API', () => {
  it('toDenseWeights / toPaddedDenseWeights follow the values layout; null when unweighted', () =>
    noLeaksAsync(async (t) => {
      const jt = t(new JaggedTensor({ values: i32([1, 2, 3]), weights: f32([0.5, 1.5, 2]), lengths: [2, 0, 1] }));
      expect(await Promise.all((jt.toDenseWeights() ?? []).map((w) => arrAsync(t(w))))).toEqual([[0.5, 1.5], [], [2]]);
      expect(await t(jt.toPaddedDenseWeights({ desiredLength: 1, paddingValue: -1 }) as tf.Tensor).array()).toEqual([[0.5], [-1], [2]]);
      const plain = t(new JaggedTensor({ values: i32([1]), lengths: [1] }));
      expect(plain.toDenseWeights()).toBeNull();
      expect(plain.toPaddedDenseWeights()).toBeNull();
      await Promise.all([jt.values.data(), jt.weights?.data(), plain.values.data()]); // equal compares on the host
      expect(jt.equal(jt)).toBe(true);
      expect(jt.equal(plain)).toBe(false);
    }));
  it('lengths/offsets as int32 tensors are read once; float tensors are a dtype error', () =>
    noLeaks((t) => {
      const l = t(i32([2, 1]));
      const jt = t(new JaggedTensor({ values: i32([4, 5, 6]), lengths: l as tf.Tensor1D }));
      expect(list(jt.offsets)).toEqual([0, 2, 3]);
      const v = t(i32([1]));
      const bad = t(f32([1]));
      expectError(() => new JaggedTensor({ values: v, offsets: bad as tf.Tensor1D }), 'INVALID_DTYPE', 'J1');
    }));
  it('empty / emptyLike keep dtype, weightedness and VBE-ness', () =>
    noLeaks((t) => {
      const e = t(KeyedJaggedTensor.empty({ valuesDtype: 'float32', weighted: true }));
      expect([e.keys, e.stride, e.values.dtype, e.weights?.shape]).toEqual([[], 0, 'float32', [0]]);
      const x = t(new KeyedJaggedTensor({ keys: ['a'], values: tf.zeros([2, 3]), lengths: [2, 0], stridePerKeyPerRank: [[2]] }));
      const el = t(x.emptyLike());
      expect([el.values.shape, el.stridePerKeyPerRank, el.weights]).toEqual([[0, 3], [], null]);
    }));
  it('distSplits (torchrec dist_splits)', () =>
    noLeaks((t) => {
      const x = t(
        new KeyedJaggedTensor({
          keys: ['a', 'b', 'c'],
          values: i32([1, 2, 3, 4, 5]),
          weights: f32([1, 1, 1, 1, 1]),
          lengths: [1, 0, 2, 1, 0, 1],
        }),
      );
      expect(x.distSplits([2, 1])).toEqual([
        [4, 2],
        [4, 1],
        [4, 1],
      ]);
      expectError(() => x.distSplits([1]), 'INVALID_ARGUMENT');
    }));
  it('createAsync reads tensor lengths with data()', async () => {
    const v = i32([1, 2, 3]);
    const l = i32([1, 2]);
    const x = await KeyedJaggedTensor.createAsync({ keys: ['a'], values: v, lengths: l as tf.Tensor1D });
    expect(list(x.offsets)).toEqual([0, 1, 3]);
    x.dispose();
    l.dispose();
  });
});
