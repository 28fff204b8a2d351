import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describe as describeValue, TESSERA_ERROR_CODES, TesseraError } from './errors.js';
import { checkInteger, checkOneOf, checkTensor } from './validate.js';

describe('TesseraError', () => {
  it('formats fn: what, got value [rule]', () => {
    const e = new TesseraError('INVALID_DTYPE', 'quantizeMX', 'x must be float32', 'int32');
    expect(e.message).toBe('quantizeMX: x must be float32, got int32');
    expect(e.code).toBe('INVALID_DTYPE');
    expect(e.fn).toBe('quantizeMX');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('TesseraError');
    const r = new TesseraError('INVALID_FORMAT', 'KeyedJaggedTensor', 'lengths must be non-negative', [1, -2], { rule: 'K3' });
    expect(r.message).toBe('KeyedJaggedTensor: lengths must be non-negative, got [1, -2] [K3]');
    expect(r.details.rule).toBe('K3');
    expect(new TesseraError('UNSUPPORTED', 'f', 'no').message).toBe('f: no');
  });
  it('lists every code once', () => {
    expect(new Set(TESSERA_ERROR_CODES).size).toBe(TESSERA_ERROR_CODES.length);
    expect(TESSERA_ERROR_CODES).toContain('CORRUPT_DATA');
  });
  it('describes received values briefly', () => {
    expect(describeValue(Array.from({ length: 20 }, (_, i) => i))).toBe('[0, 1, 2, 3, 4, 5, 6, 7, … (20 items)]');
    expect(describeValue(new Int32Array(5))).toBe('Int32Array(5)');
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue(null)).toBe('null');
  });
});

describe('validators', () => {
  it('checkTensor enforces tensor-ness, disposal, dtype and rank', () => {
    const x = tf.zeros([2, 3]);
    expect(checkTensor(x, 'op', 'x', { dtype: 'float32', rank: 2 })).toBe(x);
    expect(() => checkTensor(x, 'op', 'x', { dtype: 'int32' })).toThrow('op: x must be int32, got float32');
    expect(() => checkTensor(x, 'op', 'x', { rank: [3, 4] })).toThrow('op: x must have rank 3..4, got shape [2, 3]');
    expect(() => checkTensor([1, 2], 'op', 'x')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    x.dispose();
    expect(() => checkTensor(x, 'op', 'x')).toThrow(/must not be disposed/);
  });
  it('checkInteger and checkOneOf', () => {
    expect(checkInteger(32, 'f', 'blockSize', { min: 1 })).toBe(32);
    expect(() => checkInteger(0, 'f', 'blockSize', { min: 1 })).toThrow('f: blockSize must be >= 1, got 0');
    expect(() => checkInteger(1.5, 'f', 'k')).toThrow('f: k must be an integer, got 1.5');
    expect(() => checkInteger(9, 'f', 'k', { min: 0, max: 3 })).toThrow('f: k must be in [0, 3], got 9');
    expect(checkOneOf('sum', 'f', 'mode', ['sum', 'mean'] as const)).toBe('sum');
    expect(() => checkOneOf('max', 'f', 'mode', ['sum', 'mean'] as const)).toThrow("f: mode must be one of 'sum', 'mean', got max");
  });
});

describe('describe() is bounded (hardening: deep JSON values)', () => {
  const deep = (n: number): unknown => {
    let v: unknown = 0;
    for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
    return v;
  };
  it('a 5,000-level value (as parsed from a 15 kB JSON file) is described and an error can be built', () => {
    const v = JSON.parse(`${'['.repeat(5000)}1${']'.repeat(5000)}`);
    expect(describeValue(v).length).toBeLessThanOrEqual(200);
    const e = new TesseraError('CORRUPT_DATA', 'loadX', 'bad value', v);
    expect(e.message.startsWith('loadX: bad value, got [[[')).toBe(true);
    expect(describeValue(deep(100_000)).length).toBeLessThanOrEqual(200);
  });
  it('cyclic, huge, hostile and exotic values never throw', () => {
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const getter = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    for (const v of [
      cyc,
      hostile,
      getter,
      1n,
      Symbol('s'),
      { length: 1e10 },
      new Array(1e9),
      'x'.repeat(1e6),
      () => 1,
      Object.create(null),
    ]) {
      const d = describeValue(v);
      expect(typeof d).toBe('string');
      expect(d.length).toBeLessThanOrEqual(200);
      expect(() => new TesseraError('INVALID_ARGUMENT', 'f', 'w', v)).not.toThrow();
    }
    expect(describeValue(1n)).toBe('1n');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
    expect(describeValue([[1, 2], 3])).toBe('[[1, 2], 3]');
    expect(describeValue({ a: 'x', b: [1] })).toBe('{"a":"x","b":[1]}');
  });
});

describe('shared argument checks', () => {
  it('checkIntegerArray: arrays only, bounded, integers in range', async () => {
    const { checkIntegerArray } = await import('./validate.js');
    expect(checkIntegerArray(Int32Array.from([1, 2]), 'f', 'a')).toEqual([1, 2]);
    expect(() => checkIntegerArray({ length: 1e10 }, 'f', 'a')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => checkIntegerArray('ab', 'f', 'a')).toThrow('f: a must be an array of integers, got ab');
    expect(() => checkIntegerArray([NaN], 'f', 'a')).toThrow('f: a must hold integers, got a[0] = NaN');
    expect(() => checkIntegerArray([1n], 'f', 'a')).toThrow('got a[0] = 1n');
    expect(() => checkIntegerArray([-1], 'f', 'a', { min: 0 })).toThrow('f: a entries must be >= 0, got a[0] = -1');
    expect(() => checkIntegerArray([1, 2, 3], 'f', 'a', { maxLength: 2 })).toThrow('at most 2 entries');
  });
  it('checkShape, checkOptions, checkFiniteNumber, checkSize, checkStringArray, checkBoolean', async () => {
    const v = await import('./validate.js');
    expect(v.checkShape([1e12, 0], 'f', 's')).toEqual([1e12, 0]);
    expect(() => v.checkShape([0.5, 2], 'f', 's')).toThrow(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    expect(() => v.checkShape([-1, -1], 'f', 's')).toThrow(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    expect(() => v.checkShape('ab', 'f', 's')).toThrow(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    expect(() => v.checkShape([1000, 1000], 'f', 's', { maxSize: 10 })).toThrow('at most 10 elements');
    expect(() => v.checkShape([1, 1, 1, 1, 1, 1, 1, 1, 1], 'f', 's')).toThrow('rank 0..8');
    expect(v.checkOptions(undefined, 'f')).toEqual({});
    expect(() => v.checkOptions(null, 'f')).toThrow('f: options must be an object, got null');
    expect(() => v.checkOptions([], 'f')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => v.checkOptions({ blocksize: 1 }, 'f', 'options', ['blockSize'])).toThrow('unknown key');
    expect(() => v.checkFiniteNumber(Number.NaN, 'f', 'x')).toThrow('f: x must be a finite number, got NaN');
    expect(() => v.checkFiniteNumber(2, 'f', 'x', { max: 1 })).toThrow('f: x must be <= 1, got 2');
    expect(() => v.checkSize(2 ** 30, 'f', 'blockSize', { min: 1, max: 65536 })).toThrow('f: blockSize must be at most 65536');
    expect(() => v.checkSize(1e300, 'f', 'blockSize', { min: 1, max: 65536 })).toThrow('at most 65536');
    expect(() => v.checkStringArray(['a', 'a'], 'f', 'keys', { unique: true })).toThrow(expect.objectContaining({ code: 'INVALID_KEY' }));
    expect(() => v.checkStringArray('ab', 'f', 'keys')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(v.checkBoolean(undefined, 'f', 'b', true)).toBe(true);
    expect(() => v.checkBoolean('yes', 'f', 'b')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
