import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { accelerator, registerAccelerator } from './accelerators.js';
import { TesseraError } from './errors.js';

describe('registerAccelerator / accelerator', () => {
  it('registers per operation and backend, defaults to the active backend, and removes only its own entry', () => {
    const a = (x: number) => x + 1;
    const b = (x: number) => x + 2;
    const removeA = registerAccelerator('testOp', tf.getBackend(), a);
    try {
      expect(accelerator('testOp')).toBe(a);
      expect(accelerator('testOp', 'some-other-backend')).toBeUndefined();
      expect(accelerator('otherOp')).toBeUndefined();
      const removeB = registerAccelerator('testOp', tf.getBackend(), b); // replaces a
      expect(accelerator<(x: number) => number>('testOp')?.(1)).toBe(3);
      removeA(); // a is no longer registered: removes nothing
      expect(accelerator('testOp')).toBe(b);
      removeB();
      expect(accelerator('testOp')).toBeUndefined();
    } finally {
      removeA();
    }
  });
  it('rejects bad registrations with INVALID_ARGUMENT', () => {
    expect(() => registerAccelerator('', 'cpu', () => 1)).toThrow(TesseraError);
    expect(() => registerAccelerator('op', '', () => 1)).toThrow(/backend must be a non-empty string/);
    expect(() => registerAccelerator('op', 'cpu', 3 as never)).toThrow(/impl must be a function/);
  });
});
