// Regressions: a null options object, a stored `packed` tensor whose shape is not [m, k/2], and sizes that alone
// decide an allocation.
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, serializeSafetensors, TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  compress24,
  loadSparse24,
  mask24,
  mask24Transposable,
  SquaredReluFFN24,
  saveSparse24,
  sparse24FromSafetensors,
  spmm24,
} from '../src/index.js';

function expectCode(fn: () => unknown, code: string): TesseraError {
  let err: unknown;
  expectNoLeaks(() => {
    try {
      fn();
    } catch (e) {
      err = e;
    }
  });
  expect(err).toBeInstanceOf(TesseraError);
  expect((err as TesseraError).code).toBe(code);
  return err as TesseraError;
}

describe('options objects are checked', () => {
  it('mask24(x, null) and friends', () => {
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    for (const o of [null, 'ab', 5, [1]]) {
      expectCode(() => mask24(x, o as never), 'INVALID_ARGUMENT');
      expectCode(() => compress24(x, o as never), 'INVALID_ARGUMENT');
    }
    const y = tf.zeros([4, 4]);
    expectCode(() => mask24Transposable(y, null as never), 'INVALID_ARGUMENT');
    const m = mask24(x);
    const s = compress24(m);
    m.dispose();
    expectCode(() => spmm24(s, y, null as never), 'INVALID_ARGUMENT');
    expectCode(() => loadSparse24(saveSparse24(s), null as never), 'INVALID_ARGUMENT');
    expectCode(() => sparse24FromSafetensors(null as never), 'INVALID_ARGUMENT');
    tf.dispose([x, y]);
  });
});

describe('loadSparse24 checks the stored shapes', () => {
  it('packed [4, 1] for a [1, 8] matrix is CORRUPT_DATA', () => {
    const x = tf.tensor2d([[1, 0, 2, 0, 0, 3, 0, 4]]);
    const s = compress24(x);
    x.dispose();
    const { tensors, metadata } = parseSafetensors(saveSparse24(s));
    expect(tensors.packed.shape).toEqual([1, 4]);
    for (const shape of [
      [4, 1],
      [2, 2],
      [1, 4, 1],
    ]) {
      const bytes = serializeSafetensors({ ...tensors, packed: { ...tensors.packed, shape } }, metadata);
      expectCode(() => loadSparse24(bytes), 'CORRUPT_DATA');
    }
    const meta = serializeSafetensors({ ...tensors, meta: { ...tensors.meta, shape: [tensors.meta.data.length, 1] } }, metadata);
    if (tensors.meta.shape[0] !== tensors.meta.data.length) expectCode(() => loadSparse24(meta), 'CORRUPT_DATA');
    expect(loadSparse24(saveSparse24(s)).shape).toEqual([1, 8]);
  });
  it('a 5,000-level nested JSON header value is CORRUPT_DATA', () => {
    const h = new TextEncoder().encode(`{"packed":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    const bytes = new Uint8Array(8 + h.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(h.length), true);
    bytes.set(h, 8);
    expectCode(() => loadSparse24(bytes), 'CORRUPT_DATA');
  });
});

describe('SquaredReluFFN24 sizes are bounded', () => {
  it('dModel × hidden beyond 2^26, or a dimension beyond 2^20, is INVALID_ARGUMENT before any allocation', () => {
    for (const [dModel, hidden] of [
      [1e6, 1e6],
      [2 ** 21, 4],
      [8192, 16384],
      [1e300, 4],
    ]) {
      const e = expectCode(() => new SquaredReluFFN24({ dModel, hidden }), 'INVALID_ARGUMENT');
      expect(e.message).toMatch(/at most/);
    }
    expectCode(() => new SquaredReluFFN24({ dModel: 4, hidden: 4, tokenSplit: 'ab' } as never), 'INVALID_ARGUMENT');
    expectCode(() => new SquaredReluFFN24({ dModel: 4, hidden: 4, steMul0: 1n } as never), 'INVALID_ARGUMENT');
  });
});
