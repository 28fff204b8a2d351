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
