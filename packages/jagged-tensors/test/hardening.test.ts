// Regressions for bad input that used to escape as a TypeError/RangeError, hang, or leak a tensor. Each case is the
// reported input, kept small enough to run in milliseconds.
import * as tf from '@tensorflow/tfjs-core';
import { serializeSafetensors } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import {
  completeCumsum,
  EmbeddingBagCollection,
  EmbeddingCollection,
  fromTorchrec,
  JaggedTensor,
  KeyedJaggedTensor,
  loadKjt,
  saveKjt,
  type TorchrecKjt,
} from '../src/index.js';
import { expectError, i32 } from './helpers.js';

const base = (): TorchrecKjt => ({
  keys: ['a'],
  values: [1, 2, 3],
  lengths: [2, 1],
  weights: null,
  stride: 2,
  stride_per_key_per_rank: null,
  inverse_indices: null,
});

function kjtFile(
  metadata: Record<string, string>,
  extra: Record<string, { dtype: 'I32' | 'F32'; shape: number[]; data: Int32Array | Float32Array }> = {},
) {
  return serializeSafetensors(
    {
      values: { dtype: 'I32', shape: [3], data: Int32Array.from([1, 2, 3]) },
      lengths: { dtype: 'I32', shape: [2], data: Int32Array.from([2, 1]) },
      ...extra,
    },
    {
      format: 'tessera.kjt.v1',
      keys: '["a"]',
      stride: '2',
      stride_per_key_per_rank: 'null',
      inverse_names: 'null',
      groups: 'null',
      ...metadata,
    },
  );
}

describe('loaders: deep JSON and wrong metadata types are CORRUPT_DATA', () => {
  it('a 5,000-level nested JSON value in any metadata field', () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    for (const k of ['keys', 'inverse_names', 'groups']) expectError(() => loadKjt(kjtFile({ [k]: deep })), 'CORRUPT_DATA');
    // an array of arrays is the right type: the KJT rule on its entries (K7) rejects it
    expectError(() => loadKjt(kjtFile({ stride_per_key_per_rank: deep })), 'INVALID_FORMAT', 'K7');
  });
  it('inverse_names stored as a JSON string', () => {
    expectError(() => loadKjt(kjtFile({ inverse_names: '"ab"' })), 'CORRUPT_DATA');
    expectError(() => loadKjt(kjtFile({ keys: '"ab"' })), 'CORRUPT_DATA');
    expectError(() => loadKjt(kjtFile({ groups: '{"a":1}' })), 'CORRUPT_DATA');
  });
  it('stored shapes are checked: weights [nnz], lengths rank 1, values rank 1-2, inverse rows [K, stride]', () => {
    expectError(() => loadKjt(kjtFile({}, { weights: { dtype: 'F32', shape: [2], data: new Float32Array(2) } })), 'CORRUPT_DATA');
    expectError(
      () =>
        loadKjt(
          kjtFile({ inverse_names: '["a"]', stride: '2' }, { inverse_indices: { dtype: 'I32', shape: [1, 3], data: new Int32Array(3) } }),
        ),
      'CORRUPT_DATA',
    );
    expectError(() => loadKjt(kjtFile({}, { inverse_indices: { dtype: 'I32', shape: [1, 2], data: new Int32Array(2) } })), 'CORRUPT_DATA');
  });
  it('a valid file still round-trips', () => {
    const k = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: i32([1, 2, 3]), lengths: [2, 1] });
    const back = loadKjt(saveKjt(k));
    expect(back.equal(k)).toBe(true);
    k.dispose();
    back.dispose();
  });
});

describe('fromTorchrec validates before allocating (no leak, no TypeError)', () => {
  it('hostile weights', () => {
    for (const weights of [[1n, 2n], [Symbol()], { length: 1e10 }, 'ab', [1, 'x', 3]]) {
      expectError(() => fromTorchrec({ ...base(), weights } as unknown as TorchrecKjt), 'INVALID_ARGUMENT');
    }
  });
  it('hostile values and trailing shapes', () => {
    for (const values of [null, { length: 1e10 }, [1n], 'abc'])
      expectError(() => fromTorchrec({ ...base(), values } as unknown as TorchrecKjt), 'INVALID_ARGUMENT');
    for (const t of ['ab', [-1, -1], [0.5, 2], [0], [1e12]])
      expectError(() => fromTorchrec({ ...base(), values_trailing_shape: t } as unknown as TorchrecKjt), 'INVALID_SHAPE');
  });
});

describe('completeCumsum validates its input', () => {
  it('rejects NaN, fractions, negatives, strings, null, array-likes', () => {
    for (const x of [[Number.NaN, 1.5, -4], [-4], 'ab', null, { length: 1e10 }, [1n]])
      expectError(() => completeCumsum(x as never), 'INVALID_ARGUMENT');
    expect(Array.from(completeCumsum([2, 0, 1]))).toEqual([0, 2, 2, 3]);
    expect(Array.from(completeCumsum(new Int32Array(0)))).toEqual([0]);
  });
});

describe('KeyedJaggedTensor: checked caches, dead operands', () => {
  it('lengthPerKey / offsetPerKey of the wrong type', () => {
    for (const lengthPerKey of [null, 'ab', { length: 1e10 }, [Number.NaN]]) {
      const values = i32([1, 2, 3]);
      expectError(() => new KeyedJaggedTensor({ keys: ['a'], values, lengths: [2, 1], lengthPerKey } as never), 'INVALID_ARGUMENT');
      expectError(
        () => new KeyedJaggedTensor({ keys: ['a'], values, lengths: [2, 1], offsetPerKey: lengthPerKey } as never),
        'INVALID_ARGUMENT',
      );
      values.dispose();
    }
  });
  it('fromJtDict over a JaggedTensor whose values were disposed', () => {
    const a = new JaggedTensor({ values: i32([1, 2]), lengths: [2, 0] });
    const b = new JaggedTensor({ values: i32([3]), lengths: [1, 0] });
    a.dispose();
    expectError(() => KeyedJaggedTensor.fromJtDict({ a, b }), 'INVALID_ARGUMENT');
    expectError(() => KeyedJaggedTensor.fromJtDict('ab' as never), 'INVALID_ARGUMENT');
    b.dispose();
  });
  it('concat / permute / indexSelectDim1 over disposed KJTs', () => {
    const k = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: i32([1, 2, 3]), lengths: [2, 1] });
    const j = KeyedJaggedTensor.fromLengths({ keys: ['b'], values: i32([4]), lengths: [1, 0] });
    j.dispose();
    expectError(() => KeyedJaggedTensor.concat([k, j]), 'INVALID_ARGUMENT');
    expectError(() => j.permute([0]), 'INVALID_ARGUMENT');
    expectError(() => j.indexSelectDim1([0]), 'INVALID_ARGUMENT');
    expectError(() => k.indexSelectDim1([0], null as never), 'INVALID_ARGUMENT');
    k.dispose();
  });
});

describe('embedding tables: sizes are bounded before anything is allocated', () => {
  it('numEmbeddings 1e12, embeddingDim 1e6 and other huge tables', () => {
    for (const [numEmbeddings, embeddingDim] of [
      [1e12, 1e6],
      [2 ** 31, 1],
      [1, 2 ** 17],
      [2 ** 20, 2 ** 10],
      [1e300, 1],
    ]) {
      const e = expectError(
        () => new EmbeddingBagCollection({ tables: [{ name: 't', numEmbeddings, embeddingDim, featureNames: ['f'] }] }),
        'INVALID_ARGUMENT',
      );
      expect(e.message).toMatch(/at most \d+/);
      expectError(
        () => new EmbeddingCollection({ tables: [{ name: 't', numEmbeddings, embeddingDim, featureNames: ['f'] }] }),
        'INVALID_ARGUMENT',
      );
    }
    expectError(() => new EmbeddingBagCollection(null as never), 'INVALID_ARGUMENT');
    expectError(() => new EmbeddingBagCollection({ tables: [null] } as never), 'INVALID_ARGUMENT');
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});

describe('KJT validation and free operations live apart from the classes', () => {
  it('kjt-validator.ts and kjt-ops.ts import no KJT class at run time (no cycle through the IKJT constructor)', async () => {
    const { readFileSync } = await import('node:fs');
    for (const f of ['kjt-validator.ts', 'kjt-ops.ts']) {
      const src = readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8');
      const runtimeImports = [...src.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)].map((m) => m[1]);
      expect(runtimeImports.filter((p) => p.includes('keyed-jagged-tensor') || p.includes('dedup'))).toEqual([]);
    }
  });
});
