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
 * import { initBackend, checkTensor } from '@tessera/core';
 * await initBackend();
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

/** Largest array length {@link checkIntegerArray} and {@link checkShape} read by default (2^26 entries). */
export const MAX_ARRAY_LENGTH = 2 ** 26;
/** Largest rank {@link checkShape} accepts by default (tfjs kernels go up to rank 6; 8 leaves headroom). */
export const MAX_RANK = 8;

/** Bounds of {@link checkIntegerArray}. */
export interface IntegerArrayRequirement {
  /** Smallest allowed entry (default −2^53 + 1). */
  min?: number;
  /** Largest allowed entry (default 2^53 − 1). */
  max?: number;
  /** Fewest entries (default 0). */
  minLength?: number;
  /** Most entries (default {@link MAX_ARRAY_LENGTH}). */
  maxLength?: number;
}

function boundsText(min: number, max: number): string {
  if (max === Number.POSITIVE_INFINITY || max === Number.MAX_SAFE_INTEGER) return `>= ${min}`;
  if (min === Number.NEGATIVE_INFINITY || min === Number.MIN_SAFE_INTEGER) return `<= ${max}`;
  return `in [${min}, ${max}]`;
}

/**
 * Validates an array of integers: a real array or typed array (not an array-like such as `{ length: 1e10 }`), at
 * most `maxLength` entries, every entry a safe integer in `[min, max]`. The work is proportional to the array.
 * Returns a fresh `number[]` copy.
 *
 * @throws TesseraError `INVALID_ARGUMENT` naming the first bad entry, or the length bound.
 * @example
 * ```ts
 * import { checkIntegerArray } from '@tessera/core';
 * checkIntegerArray([2, 0, 1], 'f', 'lengths', { min: 0 }); // → [2, 0, 1]
 * ```
 */
export function checkIntegerArray(v: unknown, fn: string, name: string, req: IntegerArrayRequirement = {}): number[] {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER, minLength = 0, maxLength = MAX_ARRAY_LENGTH } = req;
  const typed = ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
  if (!Array.isArray(v) && !typed) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be an array of integers`, describe(v));
  const a = v as ArrayLike<unknown>;
  if (a.length > maxLength)
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must have at most ${maxLength} entries`, `${a.length} entries`);
  if (a.length < minLength)
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must have at least ${minLength} entries`, `${a.length} entries`);
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isSafeInteger(x))
      throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must hold integers`, `${name}[${i}] = ${describe(x)}`);
    if (x < min || x > max)
      throw new TesseraError('INVALID_ARGUMENT', fn, `${name} entries must be ${boundsText(min, max)}`, `${name}[${i}] = ${x}`);
    out[i] = x;
  }
  return out;
}

/** Bounds of {@link checkShape}. */
export interface ShapeRequirement {
  /** Exact rank, or `[min, max]` inclusive (default `[0, MAX_RANK]`). */
  rank?: number | readonly [number, number];
  /** Largest element count (product of the dimensions); default unbounded. */
  maxSize?: number;
  /** Largest single dimension (default 2^53 − 1). */
  maxDim?: number;
}

/**
 * Validates a shape: an array of non-negative safe integers of an allowed rank, with an optional bound on the element
 * count. Empty shapes with huge dimensions (`[1e12, 0]`) are valid shapes of zero elements. Returns a copy.
 *
 * @throws TesseraError `INVALID_SHAPE` for a malformed shape or a broken bound (the bound is in the message).
 * @example
 * ```ts
 * import { checkShape } from '@tessera/core';
 * checkShape([2, 3], 'f', 'shape', { rank: 2 }); // → [2, 3]
 * ```
 */
export function checkShape(v: unknown, fn: string, name: string, req: ShapeRequirement = {}): number[] {
  const [lo, hi] = req.rank === undefined ? [0, MAX_RANK] : typeof req.rank === 'number' ? [req.rank, req.rank] : req.rank;
  if (!Array.isArray(v)) throw new TesseraError('INVALID_SHAPE', fn, `${name} must be an array of non-negative integers`, describe(v));
  if (v.length < lo || v.length > hi) {
    const want = lo === hi ? `rank ${lo}` : `rank ${lo}..${hi}`;
    throw new TesseraError('INVALID_SHAPE', fn, `${name} must have ${want}`, describe(v));
  }
  const maxDim = req.maxDim ?? Number.MAX_SAFE_INTEGER;
  let size = 1;
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const d = v[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new TesseraError('INVALID_SHAPE', fn, `${name} must be an array of non-negative integers`, describe(v));
    if (d > maxDim) throw new TesseraError('INVALID_SHAPE', fn, `${name} dimensions must be <= ${maxDim}`, describe(v));
    size *= d;
    out.push(d);
  }
  if (req.maxSize !== undefined && size > req.maxSize)
    throw new TesseraError('INVALID_SHAPE', fn, `${name} must have at most ${req.maxSize} elements`, `${describe(v)} (${size} elements)`);
  return out;
}

/**
 * Validates an options argument: `undefined` gives `{}`; anything else must be a non-null, non-array object. With
 * `known`, unknown keys are rejected (catches typos such as `blocksize`).
 *
 * @throws TesseraError `INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * import { checkOptions } from '@tessera/core';
 * const o = checkOptions({ by: 'value' }, 'mask24', 'options', ['by']); // → { by: 'value' }
 * ```
 */
export function checkOptions<T extends object = Record<string, unknown>>(
  v: unknown,
  fn: string,
  name = 'options',
  known?: readonly string[],
): T {
  if (v === undefined) return {} as T;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be an object`, describe(v));
  if (known) {
    for (const k in v) {
      if (Object.hasOwn(v, k) && !known.includes(k))
        throw new TesseraError('INVALID_ARGUMENT', fn, `${name} has an unknown key (known: ${known.join(', ')})`, k);
    }
  }
  return v as T;
}

/**
 * Validates a finite number inside `[min, max]` (NaN, ±Infinity, BigInt and strings are rejected).
 *
 * @throws TesseraError `INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * import { checkFiniteNumber } from '@tessera/core';
 * checkFiniteNumber(0.5, 'f', 'rate', { min: 0, max: 1 }); // → 0.5
 * ```
 */
export function checkFiniteNumber(v: unknown, fn: string, name: string, range: { min?: number; max?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a finite number`, describe(v));
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = range;
  if (v < min || v > max) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be ${boundsText(min, max)}`, v);
  return v;
}

/**
 * Validates a size parameter that alone decides how much memory or time a call takes (a block size, a table size):
 * an integer in `[min, max]` where `max` is the documented bound. The message names the bound.
 *
 * @throws TesseraError `INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * import { checkSize } from '@tessera/core';
 * checkSize(32, 'quantizeMX', 'blockSize', { min: 1, max: 65536 }); // → 32
 * ```
 */
export function checkSize(v: unknown, fn: string, name: string, bound: { min?: number; max: number }): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be an integer`, describe(v));
  const min = bound.min ?? 0;
  if (v < min) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be >= ${min}`, v);
  if (v > bound.max) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be at most ${bound.max} (the documented bound)`, v);
  return v;
}

/**
 * Validates an array of strings (feature names, keys), optionally requiring unique entries.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for a non-array or a non-string entry, `INVALID_KEY` for a repeat.
 * @example
 * ```ts
 * import { checkStringArray } from '@tessera/core';
 * checkStringArray(['a', 'b'], 'f', 'keys', { unique: true }); // → ['a', 'b']
 * ```
 */
export function checkStringArray(
  v: unknown,
  fn: string,
  name: string,
  req: { unique?: boolean; minLength?: number; maxLength?: number } = {},
): string[] {
  const { unique = false, minLength = 0, maxLength = MAX_ARRAY_LENGTH } = req;
  if (!Array.isArray(v)) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be an array of strings`, describe(v));
  if (v.length < minLength || v.length > maxLength)
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must have ${minLength}..${maxLength} entries`, `${v.length} entries`);
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (typeof s !== 'string')
      throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must hold strings`, `${name}[${i}] = ${describe(s)}`);
    if (unique) {
      if (seen.has(s)) throw new TesseraError('INVALID_KEY', fn, `${name} must be unique`, `'${describe(s)}' twice`);
      seen.add(s);
    }
  }
  return [...(v as string[])];
}

/**
 * Validates a boolean option (`undefined` gives `dflt`).
 *
 * @throws TesseraError `INVALID_ARGUMENT` otherwise.
 * @example
 * ```ts
 * import { checkBoolean } from '@tessera/core';
 * checkBoolean(undefined, 'f', 'weighted', false); // → false
 * ```
 */
export function checkBoolean(v: unknown, fn: string, name: string, dflt?: boolean): boolean {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'boolean') throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a boolean`, describe(v));
  return v;
}
