import type { DataType, Tensor } from '@tensorflow/tfjs-core';
import { describe, TesseraError } from './errors.js';

/** What {@link checkTensor} requires of a tensor argument. */
export interface TensorRequirement {
  /** Accepted dtypes (one or several). */
  dtype?: DataType | readonly DataType[];
  /** Exact rank, or `[min, max]` inclusive. */
  rank?: number | readonly [number, number];
}

function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' && x !== null && 'dtype' in x && 'shape' in x && 'dataId' in x && Array.isArray((x as { shape: unknown }).shape)
  );
}

/**
 * Validates a tensor argument of a public function and throws a {@link TesseraError} in the house style
 * (`fn: name must be float32, got int32`). Returns the tensor for chaining.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when `x` is not a tensor or is disposed, `INVALID_DTYPE` on a dtype
 * mismatch, `INVALID_SHAPE` on a rank mismatch.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { checkTensor } from '@tessera/core';
 * const x = tf.zeros([2, 3]);
 * checkTensor(x, 'myOp', 'x', { dtype: 'float32', rank: 2 }); // passes
 * x.dispose();
 * ```
 */
export function checkTensor(x: unknown, fn: string, name: string, req: TensorRequirement = {}): Tensor {
  if (!isTensor(x)) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a tf.Tensor`, describe(x));
  if (x.isDisposed) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must not be disposed`, 'a disposed tensor');
  if (req.dtype !== undefined) {
    const ok = typeof req.dtype === 'string' ? [req.dtype] : req.dtype;
    if (!ok.includes(x.dtype)) throw new TesseraError('INVALID_DTYPE', fn, `${name} must be ${ok.join(' or ')}`, x.dtype);
  }
  if (req.rank !== undefined) {
    const [lo, hi] = typeof req.rank === 'number' ? [req.rank, req.rank] : req.rank;
    if (x.rank < lo || x.rank > hi) {
      const want = lo === hi ? `rank ${lo}` : `rank ${lo}..${hi}`;
      throw new TesseraError('INVALID_SHAPE', fn, `${name} must have ${want}`, `shape [${x.shape.join(', ')}]`);
    }
  }
  return x;
}

/**
 * Validates an integer option: finite, integral and inside `[min, max]`.
 *
 * @throws TesseraError `INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * import { checkInteger } from '@tessera/core';
 * checkInteger(32, 'quantizeMX', 'blockSize', { min: 1 }); // → 32
 * ```
 */
export function checkInteger(v: unknown, fn: string, name: string, range: { min?: number; max?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be an integer`, describe(v));
  }
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = range;
  if (v < min || v > max) {
    const bounds = max === Number.POSITIVE_INFINITY ? `>= ${min}` : min === Number.NEGATIVE_INFINITY ? `<= ${max}` : `in [${min}, ${max}]`;
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be ${bounds}`, v);
  }
  return v;
}

/**
 * Validates that an option is one of a fixed set of strings.
 *
 * @throws TesseraError `INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * import { checkOneOf } from '@tessera/core';
 * const mode = checkOneOf('sum', 'embeddingBag', 'mode', ['sum', 'mean'] as const); // 'sum'
 * ```
 */
export function checkOneOf<T extends string>(v: unknown, fn: string, name: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`, describe(v));
  }
  return v as T;
}
