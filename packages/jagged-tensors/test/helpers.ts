import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, TesseraError } from '@tessera/core';
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

/** Values of a tensor read asynchronously (works on every backend; `dataSync` throws on webgpu in Node). */
export const arrAsync = async (t: tf.Tensor | null) => (t ? Array.from((await t.data()) as ArrayLike<number>) : null);

/** A loss summing every element that runs no op over an empty input (tfjs-backend-webgpu fails on those). */
export const sumAll = (x: tf.Tensor): tf.Scalar =>
  (x.size === 0 ? tf.sum(tf.concat([tf.reshape(x, [-1]), tf.zeros([1], x.dtype)])) : tf.sum(x)) as tf.Scalar;

/** {@link noLeaks} for an async body (tensors read with `await t.data()`). */
export async function noLeaksAsync(fn: (track: <T extends { dispose(): void } | tf.Tensor>(x: T) => T) => Promise<void>): Promise<void> {
  await expectNoLeaks(async () => {
    const owned: { dispose(): void }[] = [];
    try {
      await fn((x) => {
        owned.push(x);
        return x;
      });
    } finally {
      for (const o of owned) o.dispose();
    }
  });
}

/**
 * True where the pooled lookups sum each bag sequentially in bag order (the host kernels), so equal bags give equal
 * bits; false where they may run as tfjs ops on a backend that cannot read synchronously (webgpu's scatterND adds
 * atomically, in no fixed order). An accelerator (the WGSL kernel of @tessera/webgpu) sums sequentially, but the
 * calls it declines (a batch with an empty bag) take the tfjs ops, so it does not make the sums sequential: the H200
 * gave different bits for equal bags from run to run with it registered.
 */
export const sequentialSums = () => canReadSync();
