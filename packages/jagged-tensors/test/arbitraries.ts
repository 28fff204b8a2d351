// Test-only fast-check arbitraries of small KJTs: few keys, short bags, ids from a tiny range and weights from a tiny set (incl.
// −0 and +0) so that duplicate bags and bit-pattern edge cases are frequent.
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { KeyedJaggedTensor } from '../src/index.js';

/** Plain data of a small KJT (see {@link kjtDataArb}). */
export interface KjtData {
  keys: string[];
  B: number;
  lengths: number[];
  values: number[];
  weights: number[] | null;
}

/**
 * fast-check arbitrary of small KJT data: few keys, short bags, ids from a tiny range and weights from
 * {0.5, 1, −0, 0, 1.5}, so duplicate bags and bit-pattern edge cases are frequent. Data only (no tensors): build the
 * KJT inside the property with {@link makeKjt} and dispose it there.
 * @example `fc.assert(fc.property(kjtDataArb(), (d) => { const x = makeKjt(d); x.dispose(); }))`
 */
export const kjtDataArb = (o: { maxKeys?: number; maxB?: number; maxLen?: number; idRange?: number; weighted?: boolean } = {}) =>
  fc
    .record({
      K: fc.integer({ min: 1, max: o.maxKeys ?? 4 }),
      B: fc.integer({ min: 0, max: o.maxB ?? 6 }),
      weighted: o.weighted === undefined ? fc.boolean() : fc.constant(o.weighted),
      seed: fc.integer(),
    })
    .chain(({ K, B, weighted }) =>
      fc.array(fc.integer({ min: 0, max: o.maxLen ?? 3 }), { minLength: K * B, maxLength: K * B }).chain((lengths) => {
        const nnz = lengths.reduce((a, b) => a + b, 0);
        return fc.record({
          keys: fc.constant(Array.from({ length: K }, (_, i) => `f${i}`)),
          B: fc.constant(B),
          lengths: fc.constant(lengths),
          values: fc.array(fc.integer({ min: 0, max: (o.idRange ?? 3) - 1 }), { minLength: nnz, maxLength: nnz }),
          weights: weighted ? fc.array(fc.constantFrom(0.5, 1, -0, 0, 1.5), { minLength: nnz, maxLength: nnz }) : fc.constant(null),
        });
      }),
    );

/**
 * Builds the KJT of {@link KjtData} (caller-owned).
 * @example `const x = makeKjt({ keys: ['a'], B: 1, lengths: [1], values: [3], weights: null });`
 */
export function makeKjt(d: KjtData): KeyedJaggedTensor {
  return KeyedJaggedTensor.fromLengths({
    keys: d.keys,
    values: tf.tensor1d(d.values, 'int32'),
    weights: d.weights ? tf.tensor1d(d.weights, 'float32') : null,
    lengths: d.lengths,
    stride: d.keys.length ? d.B : undefined,
  });
}

/**
 * fast-check arbitrary of a grouping of `keys` for `dedup` (some keys left out: they get their own group).
 * @example `groupingArb(['a', 'b', 'c'])`
 */
export const groupingArb = (keys: string[]) =>
  fc.array(fc.integer({ min: -1, max: keys.length - 1 }), { minLength: keys.length, maxLength: keys.length }).map((labels) => {
    const groups: string[][] = [];
    labels.forEach((g, i) => {
      if (g < 0) return;
      groups[g] ??= [];
      groups[g].push(keys[i]);
    });
    return groups.filter((g) => g && g.length > 0);
  });
