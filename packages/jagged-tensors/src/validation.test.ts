// Every validator rule (J1–J5, K1–K10, I1–I4, listed in the README's Errors section) with a failing example asserting its code and rule id,
// and no leaked tensor on the error path.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { arr, expectError, f32, i32, noLeaks } from '../test/helpers.js';
import { dedup } from './dedup.js';
import { JaggedTensor } from './jagged-tensor.js';
import { InverseKeyedJaggedTensor, KeyedJaggedTensor, type KjtInit } from './keyed-jagged-tensor.js';

function withT<T>(make: () => tf.Tensor[], f: (ts: tf.Tensor[]) => T): T {
  const ts = make();
  try {
    return f(ts);
  } finally {
    tf.dispose(ts);
  }
}

describe('JaggedTensor rules', () => {
  it('J1: neither lengths nor offsets; float lengths/offsets', () =>
    withT(
      () => [i32([1, 2]), tf.tensor1d([1, 1], 'float32')],
      ([v, fl]) => {
        expectError(() => new JaggedTensor({ values: v }), 'INVALID_ARGUMENT', 'J1');
        expectError(() => new JaggedTensor({ values: v, lengths: fl as tf.Tensor1D }), 'INVALID_DTYPE', 'J1');
        expectError(() => new JaggedTensor({ values: v, offsets: [0, 1.5, 2] }), 'INVALID_DTYPE', 'J1');
        expectError(
          () => new JaggedTensor({ values: v, lengths: Float32Array.from([1, 1]) as unknown as Int32Array }),
          'INVALID_DTYPE',
          'J1',
        );
      },
    ));
  it('J2: negative length, offsets[0] != 0, decreasing offsets, wrong offsets length', () =>
    withT(
      () => [i32([1, 2])],
      ([v]) => {
        expectError(() => new JaggedTensor({ values: v, lengths: [3, -1] }), 'INVALID_FORMAT', 'J2');
        expectError(() => new JaggedTensor({ values: v, offsets: [1, 2] }), 'INVALID_FORMAT', 'J2');
        expectError(() => new JaggedTensor({ values: v, offsets: [0, 2, 1, 2] }), 'INVALID_FORMAT', 'J2');
        expectError(() => new JaggedTensor({ values: v, lengths: [2], offsets: [0, 2, 2] }), 'INVALID_FORMAT', 'J2');
      },
    ));
  it('J3: lengths and offsets disagree', () =>
    withT(
      () => [i32([1, 2])],
      ([v]) => expectError(() => new JaggedTensor({ values: v, lengths: [1, 1], offsets: [0, 2, 2] }), 'INVALID_FORMAT', 'J3'),
    ));
  it('J4: sum(lengths) != values rows (rows, not numel, for 2-D values)', () =>
    withT(
      () => [i32([1, 2, 3]), tf.zeros([2, 3])],
      ([v, v2]) => {
        expectError(() => new JaggedTensor({ values: v, lengths: [1, 1] }), 'INVALID_FORMAT', 'J4');
        expectError(() => new JaggedTensor({ values: v2, lengths: [3, 3] }), 'INVALID_FORMAT', 'J4');
        noLeaks(() => expect(new JaggedTensor({ values: v2, lengths: [2, 0] }).lengths.length).toBe(2));
      },
    ));
  it('J5: weights shape mismatch', () =>
    withT(
      () => [i32([1, 2]), f32([1])],
      ([v, w]) => expectError(() => new JaggedTensor({ values: v, weights: w, lengths: [2] }), 'INVALID_SHAPE', 'J5'),
    ));
  it('fromDenseLengths: a length above N is J2; negative desiredLength is an argument error', () =>
    withT(
      () => [tf.zeros([2, 2], 'int32'), i32([1, 2])],
      ([d, v]) => {
        expectError(() => JaggedTensor.fromDenseLengths(d, [3, 0]), 'INVALID_FORMAT', 'J2');
        const jt = new JaggedTensor({ values: v, lengths: [2] });
        expectError(() => jt.toPaddedDense({ desiredLength: -1 }), 'INVALID_ARGUMENT');
      },
    ));
  it('D7: toPaddedDense of empty lengths returns [B, 0]', () =>
    noLeaks((t) => {
      const jt = t(new JaggedTensor({ values: tf.zeros([0], 'int32'), lengths: [0, 0] }));
      expect(t(jt.toPaddedDense()).shape).toEqual([2, 0]);
    }));
});

const base = (v: tf.Tensor): KjtInit => ({ keys: ['a', 'b'], values: v, lengths: [1, 0, 2, 1] });

describe('KeyedJaggedTensor rules', () => {
  it('K1: lengths/offsets rules on a KJT', () =>
    withT(
      () => [i32([1, 2, 3, 4]), f32([0, 0, 0, 0])],
      ([v, fl]) => {
        expectError(() => new KeyedJaggedTensor({ keys: ['a'], values: v }), 'INVALID_ARGUMENT', 'K1');
        expectError(() => new KeyedJaggedTensor({ keys: ['a'], values: v, lengths: fl as tf.Tensor1D }), 'INVALID_DTYPE', 'K1');
        expectError(() => new KeyedJaggedTensor({ keys: ['a', 'b'], values: v, lengths: [5, -1] }), 'INVALID_FORMAT', 'K1');
        expectError(
          () => new KeyedJaggedTensor({ keys: ['a', 'b'], values: v, lengths: [2, 2], offsets: [0, 1, 4] }),
          'INVALID_FORMAT',
          'K1',
        );
      },
    ));
  it('K2: sum(lengths) != values rows', () =>
    withT(
      () => [i32([1, 2, 3])],
      ([v]) => expectError(() => new KeyedJaggedTensor(base(v)), 'INVALID_FORMAT', 'K2'),
    ));
  it('K3: weights shape', () =>
    withT(
      () => [i32([1, 2, 3, 4]), f32([1, 2])],
      ([v, w]) => expectError(() => new KeyedJaggedTensor({ ...base(v), weights: w }), 'INVALID_SHAPE', 'K3'),
    ));
  it('K4: duplicate keys (allowed only through permute; get/toDict on them throw)', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) => {
        expectError(() => new KeyedJaggedTensor({ ...base(v), keys: ['a', 'a'] }), 'INVALID_KEY', 'K4');
        noLeaks((t) => {
          const x = new KeyedJaggedTensor(base(v));
          const y = t(x.permute([0, 0, 1]));
          expect(y.duplicateKeys).toBe(true);
          expectError(() => y.get('a'), 'INVALID_KEY', 'K4');
          expectError(() => y.toDict(), 'INVALID_KEY', 'K4');
          expect(arr(t(y.get('b')).values)).toEqual([2, 3, 4]);
        });
      },
    ));
  it('K5: no keys but lengths', () =>
    withT(
      () => [i32([1])],
      ([v]) => expectError(() => new KeyedJaggedTensor({ keys: [], values: v, lengths: [1] }), 'INVALID_FORMAT', 'K5'),
    ));
  it('K6: numel(lengths) not a multiple of K (names both numbers)', () =>
    withT(
      () => [i32([1, 2, 3])],
      ([v]) => {
        const e = expectError(() => new KeyedJaggedTensor({ keys: ['a', 'b'], values: v, lengths: [1, 1, 1] }), 'INVALID_FORMAT', 'K6');
        expect(e.message).toContain('K = 2');
        expect(e.message).toContain('lengths.length = 3');
      },
    ));
  it('K7: VBE matrix shape, negative entries, sum mismatch', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) => {
        expectError(() => new KeyedJaggedTensor({ ...base(v), stridePerKeyPerRank: [[4]] }), 'INVALID_FORMAT', 'K7');
        expectError(() => new KeyedJaggedTensor({ ...base(v), stridePerKeyPerRank: [[2], [1, 1]] }), 'INVALID_FORMAT', 'K7');
        expectError(() => new KeyedJaggedTensor({ ...base(v), stridePerKeyPerRank: [[5], [-1]] }), 'INVALID_FORMAT', 'K7');
        expectError(() => new KeyedJaggedTensor({ ...base(v), stridePerKeyPerRank: [[1], [1]] }), 'INVALID_FORMAT', 'K7');
      },
    ));
  it('K8: inverse names not unique; row length != stride', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) => {
        const m = [[2], [2]];
        expectError(
          () =>
            new KeyedJaggedTensor({
              ...base(v),
              stridePerKeyPerRank: m,
              inverse: {
                names: ['a', 'a'],
                idx: [
                  [0, 1],
                  [0, 1],
                ],
              },
            }),
          'INVALID_KEY',
          'K8',
        );
        expectError(
          () =>
            new KeyedJaggedTensor({
              ...base(v),
              stride: 2,
              stridePerKeyPerRank: m,
              inverse: {
                names: ['a', 'b'],
                idx: [
                  [0, 1],
                  [0, 1, 1],
                ],
              },
            }),
          'INVALID_FORMAT',
          'K8',
        );
      },
    ));
  it('K9: explicit stride inconsistent (non-VBE, VBE < max U, VBE != row length)', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) => {
        expectError(() => new KeyedJaggedTensor({ ...base(v), stride: 3 }), 'INVALID_FORMAT', 'K9');
        expectError(() => new KeyedJaggedTensor({ ...base(v), stride: 2, stridePerKeyPerRank: [[3], [1]] }), 'INVALID_FORMAT', 'K9');
        expectError(
          () =>
            new KeyedJaggedTensor({
              ...base(v),
              stride: 3,
              stridePerKeyPerRank: [[2], [2]],
              inverse: {
                names: ['a', 'b'],
                idx: [
                  [0, 1],
                  [1, 0],
                ],
              },
            }),
          'INVALID_FORMAT',
          'K9',
        );
      },
    ));
  it('K10: supplied lengthPerKey/offsetPerKey are checked', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) => {
        expectError(() => new KeyedJaggedTensor({ ...base(v), lengthPerKey: [2, 2] }), 'INVALID_FORMAT', 'K10');
        expectError(() => new KeyedJaggedTensor({ ...base(v), offsetPerKey: [0, 1, 3] }), 'INVALID_FORMAT', 'K10');
        noLeaks(() => expect(new KeyedJaggedTensor({ ...base(v), lengthPerKey: [1, 3], offsetPerKey: [0, 1, 4] }).stride).toBe(2));
      },
    ));
  it('I1: a key without inverse row; an inverse index outside [0, U_k)', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) => {
        const m = [[2], [2]];
        expectError(
          () => new KeyedJaggedTensor({ ...base(v), stridePerKeyPerRank: m, inverse: { names: ['a'], idx: [[0, 1]] } }),
          'INVALID_KEY',
          'I1',
        );
        expectError(
          () =>
            new KeyedJaggedTensor({
              ...base(v),
              stridePerKeyPerRank: m,
              inverse: {
                names: ['a', 'b'],
                idx: [
                  [0, 2],
                  [0, 1],
                ],
              },
            }),
          'INVALID_FORMAT',
          'I1',
        );
      },
    ));
  it('I2: keys of one group with different inverse rows', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) =>
        expectError(
          () =>
            new KeyedJaggedTensor({
              ...base(v),
              stridePerKeyPerRank: [[2], [2]],
              inverse: {
                names: ['a', 'b'],
                idx: [
                  [0, 1],
                  [1, 0],
                ],
              },
              groups: [['a', 'b']],
            }),
          'INVALID_FORMAT',
          'I2',
        ),
    ));
  it('I3: inverse rows not in first-occurrence order', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) =>
        noLeaks(() => {
          const x = new KeyedJaggedTensor({
            ...base(v),
            stridePerKeyPerRank: [[2], [2]],
            inverse: {
              names: ['a', 'b'],
              idx: [
                [1, 0],
                [0, 1],
              ],
            },
          });
          expect(x).toBeInstanceOf(InverseKeyedJaggedTensor);
          (x as InverseKeyedJaggedTensor).validate();
          expectError(() => (x as InverseKeyedJaggedTensor).validate({ dedupOrder: true }), 'INVALID_FORMAT', 'I3');
        }),
    ));
  it('I4: two stored bags of a group equal; an unreferenced stored bag', () =>
    withT(
      () => [i32([5, 5, 3, 4])],
      ([v]) =>
        noLeaks(() => {
          // key a stores bags [5] and [] … make them equal: lengths [1,1] ids 5,5
          const x = new KeyedJaggedTensor({
            keys: ['a', 'b'],
            values: v,
            lengths: [1, 1, 1, 1],
            stridePerKeyPerRank: [[2], [2]],
            inverse: {
              names: ['a', 'b'],
              idx: [
                [0, 1],
                [0, 1],
              ],
            },
          }) as InverseKeyedJaggedTensor;
          expectError(() => x.validate({ dedupOrder: true }), 'INVALID_FORMAT', 'I4');
          const y = new KeyedJaggedTensor({
            keys: ['a', 'b'],
            values: v,
            lengths: [1, 1, 1, 1],
            stride: 2,
            stridePerKeyPerRank: [[2], [2]],
            inverse: {
              names: ['a', 'b'],
              idx: [
                [0, 0],
                [0, 1],
              ],
            },
          }) as InverseKeyedJaggedTensor;
          expectError(() => y.validate({ dedupOrder: true }), 'INVALID_FORMAT', 'I4');
        }),
    ));
  it('dedup output satisfies I1–I4', () =>
    withT(
      () => [i32([5, 5, 6, 1, 1, 1])],
      ([v]) =>
        noLeaks((t) => {
          const x = new KeyedJaggedTensor({ keys: ['a', 'b'], values: v, lengths: [1, 1, 1, 1, 1, 1] });
          const y = t(dedup(x, { groups: [['a', 'b']] }));
          y.validate({ dedupOrder: true });
          expect(y.uniqueCounts).toEqual({ a: 2, b: 2 });
        }),
    ));
  it('operations reject bad arguments without leaking', () =>
    withT(
      () => [i32([1, 2, 3, 4])],
      ([v]) =>
        noLeaks((t) => {
          const x = new KeyedJaggedTensor(base(v));
          expectError(() => x.permute([2]), 'INDEX_OUT_OF_RANGE');
          expectError(() => x.split([1]), 'INVALID_ARGUMENT');
          expectError(() => x.split([3, -1]), 'INVALID_ARGUMENT');
          expectError(() => x.indexSelectDim1([2]), 'INDEX_OUT_OF_RANGE');
          expectError(() => x.get('zz'), 'INVALID_KEY');
          expectError(() => KeyedJaggedTensor.concat([]), 'INVALID_ARGUMENT');
          expectError(() => KeyedJaggedTensor.concat([x, x]), 'INVALID_KEY');
          const vb = t(x.permute([0, 1]));
          const vbe = new KeyedJaggedTensor({ ...base(vb.values), stridePerKeyPerRank: [[3], [1]] });
          expectError(() => vbe.indexSelectDim1([0]), 'UNSUPPORTED');
          expectError(() => dedup(vbe), 'UNSUPPORTED');
          expectError(() => dedup(x, { groups: [['a'], ['a']] }), 'INVALID_KEY');
          expectError(() => dedup(x, { groups: [['zz']] }), 'INVALID_KEY');
          const w = new KeyedJaggedTensor({ ...base(vb.values), keys: ['c', 'd'], weights: t(f32([1, 1, 1, 1])) });
          expectError(() => KeyedJaggedTensor.concat([x, w]), 'INVALID_FORMAT');
        }),
    ));
});
