import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { expect } from 'vitest';

export const i32 = (a: readonly number[]) => tf.tensor1d(a as number[], 'int32');
export const f32 = (a: readonly number[]) => tf.tensor1d(a as number[], 'float32');
export const arr = (t: tf.Tensor | null) => (t ? Array.from(t.dataSync() as ArrayLike<number>) : null);
export const list = (a: ArrayLike<number>) => Array.from(a);

/** Asserts `fn` throws a TesseraError with the code (and rule id if given), leaking no tensor. */
export function expectError(fn: () => unknown, code: string, rule?: string): TesseraError {
  let err: unknown;
  expectNoLeaks(() => {
    try {
      fn();
    } catch (e) {
      err = e;
    }
  });
  expect(err, 'expected a TesseraError').toBeInstanceOf(TesseraError);
  const te = err as TesseraError;
  expect(te.code).toBe(code);
  if (rule !== undefined) expect(te.details.rule).toBe(rule);
  return te;
}

/** Runs `fn` inside a leak check after disposing everything it returns in `track`. */
export function noLeaks(fn: (track: <T extends { dispose(): void } | tf.Tensor>(x: T) => T) => void): void {
  expectNoLeaks(() => {
    const owned: { dispose(): void }[] = [];
    try {
      fn((x) => {
        owned.push(x);
        return x;
      });
    } finally {
      for (const o of owned) o.dispose();
    }
  });
}
