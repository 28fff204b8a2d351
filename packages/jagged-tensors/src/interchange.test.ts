import * as tf from '@tensorflow/tfjs-core';
import { serializeSafetensors } from '@tessera/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupingArb, kjtDataArb, makeKjt } from '../test/arbitraries.js';
import { expectError, noLeaks } from '../test/helpers.js';
import { dedup } from './dedup.js';
import { fromTorchrec, loadKjt, saveKjt, toTorchrec } from './interchange.js';
import { InverseKeyedJaggedTensor, KeyedJaggedTensor } from './keyed-jagged-tensor.js';

const plain = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v)));

describe('torchrec interchange and safetensors', () => {
  it('fromTorchrec(toTorchrec(x)), JSON round trip and saveKjt/loadKjt are bitwise identities (KJT and IKJT)', () =>
    fc.assert(
      fc.property(
        kjtDataArb({ maxKeys: 3, maxB: 6, idRange: 2 }).chain((d) => fc.tuple(fc.constant(d), groupingArb(d.keys), fc.boolean())),
        ([d, groups, asIkjt]) =>
          noLeaks((t) => {
            const k = t(makeKjt(d));
            const x = asIkjt ? t(dedup(k, { groups })) : k;
            const o = toTorchrec(x);
            expect(o.stride).toBe(d.B);
            expect(t(fromTorchrec(o)).bitwiseEqual(x)).toBe(true);
            const j = t(fromTorchrec(plain(o)));
            expect(j.equal(x)).toBe(true);
            const y = t(loadKjt(saveKjt(x)));
            expect(y.bitwiseEqual(x)).toBe(true);
            expect(y.constructor).toBe(x.constructor);
            if (y instanceof InverseKeyedJaggedTensor) expect(y.groups).toEqual((x as InverseKeyedJaggedTensor).groups);
          }),
      ),
      { numRuns: 100, seed: 9 },
    ));
  it('torchrec field names and an IKJT stride of B (PRs #2925/#3119)', () =>
    noLeaks((t) => {
      const x = t(KeyedJaggedTensor.fromLengths({ keys: ['a', 'b'], values: tf.tensor1d([1, 1, 2, 3], 'int32'), lengths: [1, 1, 1, 1] }));
      const y = t(dedup(x));
      const o = toTorchrec(y);
      expect(Object.keys(o)).toEqual(
        expect.arrayContaining(['keys', 'values', 'lengths', 'weights', 'stride', 'stride_per_key_per_rank', 'inverse_indices']),
      );
      expect(o.stride).toBe(2);
      expect(o.stride_per_key_per_rank).toEqual([[1], [2]]);
      expect(plain(o.inverse_indices)).toEqual([
        ['a', 'b'],
        [
          [0, 0],
          [0, 1],
        ],
      ]);
    }));
  it('invalid objects and corrupt files are errors without leaks', () => {
    expectError(
      () =>
        fromTorchrec({
          keys: ['a'],
          values: [1, 2],
          lengths: [1],
          weights: null,
          stride: 1,
          stride_per_key_per_rank: null,
          inverse_indices: null,
        }),
      'INVALID_FORMAT',
      'K2',
    );
    expectError(
      () =>
        fromTorchrec({
          keys: ['a'],
          values: [1.5],
          lengths: [1],
          weights: null,
          stride: 1,
          stride_per_key_per_rank: null,
          inverse_indices: null,
        }),
      'INVALID_DTYPE',
    );
    expectError(() => loadKjt(new Uint8Array([1, 2, 3])), 'CORRUPT_DATA');
    const noFormat = serializeSafetensors({ values: { dtype: 'I32', shape: [0], data: new Int32Array(0) } }, {});
    expectError(() => loadKjt(noFormat), 'CORRUPT_DATA');
  });
});
