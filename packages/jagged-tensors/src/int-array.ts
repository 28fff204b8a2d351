import type * as tf from '@tensorflow/tfjs-core';
import { checkIntegerArray, describe, readSync } from '@tessera/core';
import { fail } from './errors.js';

/** Integer structure accepted by constructors: host `Int32Array`, a plain number array, or an int32 `tf.Tensor1D`. */
export type IntArrayLike = Int32Array | readonly number[] | tf.Tensor1D;

const I32_MAX = 2147483647;

function isTensor(x: unknown): x is tf.Tensor {
  return typeof x === 'object' && x !== null && 'dataId' in x && 'dtype' in x && 'shape' in x;
}

/**
 * Reads an integer array argument into a fresh host `Int32Array` (a tensor is read once with `dataSync`).
 * Float or bool tensors and typed arrays are dtype errors (TR `test_float_lengths_offsets_throws`).
 */
export function readInt32(x: unknown, fn: string, name: string, rule?: string): Int32Array {
  if (x instanceof Int32Array) return x.slice();
  if (Array.isArray(x)) {
    const out = new Int32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (typeof v !== 'number' || !Number.isInteger(v))
        fail('INVALID_DTYPE', fn, `${name} must hold integers`, `${name}[${i}] = ${describe(v)}`, rule);
      if (v < -I32_MAX - 1 || v > I32_MAX) fail('INVALID_ARGUMENT', fn, `${name} must fit in int32`, `${name}[${i}] = ${v}`, rule);
      out[i] = v;
    }
    return out;
  }
  if (isTensor(x)) {
    if (x.isDisposed) fail('INVALID_ARGUMENT', fn, `${name} must not be disposed`, 'a disposed tensor', rule);
    if (x.dtype !== 'int32') fail('INVALID_DTYPE', fn, `${name} must be int32`, x.dtype, rule);
    if (x.rank !== 1) fail('INVALID_SHAPE', fn, `${name} must have rank 1`, `shape [${x.shape.join(', ')}]`, rule);
    // structure is host data: a tensor only a GPU holds cannot be read here (KeyedJaggedTensor.createAsync can)
    return Int32Array.from(
      readSync(x, fn, name, `pass ${name} as an Int32Array or number[] (or build a KJT with KeyedJaggedTensor.createAsync)`) as Int32Array,
    );
  }
  if (ArrayBuffer.isView(x)) fail('INVALID_DTYPE', fn, `${name} must be an Int32Array`, (x as object).constructor.name, rule);
  return fail('INVALID_ARGUMENT', fn, `${name} must be an Int32Array, number[] or int32 tf.Tensor1D`, x, rule);
}

/**
 * `[0, cumsum(x)]` (FBGEMM `asynchronous_complete_cumsum`) as a new `Int32Array` of length `x.length + 1`. `x` holds
 * lengths: an array or typed array of integers >= 0 (at most 2^26 of them).
 *
 * @throws TesseraError `INVALID_ARGUMENT` when `x` is not an array of integers >= 0, `INVALID_FORMAT` when the total
 * exceeds int32.
 * @example
 * ```ts
 * import { completeCumsum } from '@tessera/jagged-tensors';
 * completeCumsum(Int32Array.from([2, 0, 1])); // Int32Array [0, 2, 2, 3]
 * ```
 */
export function completeCumsum(x: ArrayLike<number>): Int32Array {
  // Checked at the entry (NaN, 1.5, -4, strings, null and array-likes used to give silent zeros or a TypeError).
  if (!(x instanceof Int32Array)) checkIntegerArray(x, 'completeCumsum', 'x', { min: 0 });
  else
    for (let i = 0; i < x.length; i++)
      if (x[i] < 0) fail('INVALID_ARGUMENT', 'completeCumsum', 'x entries must be >= 0', `x[${i}] = ${x[i]}`);
  const out = new Int32Array(x.length + 1);
  let acc = 0;
  for (let i = 0; i < x.length; i++) {
    acc += x[i];
    if (acc > I32_MAX) fail('INVALID_FORMAT', 'completeCumsum', 'the total must fit in int32', acc);
    out[i + 1] = acc;
  }
  return out;
}

/** Concatenation of int32 arrays into one fresh `Int32Array`. @internal */
export function concatInt32(parts: readonly Int32Array[]): Int32Array {
  let n = 0;
  for (const a of parts) n += a.length;
  const out = new Int32Array(n);
  let p = 0;
  for (const a of parts) {
    out.set(a, p);
    p += a.length;
  }
  return out;
}

/**
 * Resolves lengths/offsets per rules J1–J3 (a KJT reports them as K1). Returns fresh host arrays.
 * @internal
 */
export function resolveLengthsOffsets(
  fn: string,
  lengthsIn: unknown,
  offsetsIn: unknown,
  rules: { r1: string; r2: string; r3: string },
): { lengths: Int32Array; offsets: Int32Array } {
  const hasL = lengthsIn !== undefined && lengthsIn !== null;
  const hasO = offsetsIn !== undefined && offsetsIn !== null;
  if (!hasL && !hasO) fail('INVALID_ARGUMENT', fn, 'at least one of lengths or offsets must be given', 'neither', rules.r1);
  const lengths = hasL ? readInt32(lengthsIn, fn, 'lengths', rules.r1) : null;
  const offsets = hasO ? readInt32(offsetsIn, fn, 'offsets', rules.r1) : null;
  if (lengths) {
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] < 0) fail('INVALID_FORMAT', fn, 'lengths must be >= 0', `lengths[${i}] = ${lengths[i]}`, rules.r2);
    }
  }
  if (offsets) {
    if (offsets.length === 0)
      fail('INVALID_FORMAT', fn, 'offsets must have at least one entry (offsets[0] = 0)', 'an empty array', rules.r2);
    if (offsets[0] !== 0) fail('INVALID_FORMAT', fn, 'offsets[0] must be 0', offsets[0], rules.r2);
    for (let i = 1; i < offsets.length; i++) {
      if (offsets[i] < offsets[i - 1]) {
        fail(
          'INVALID_FORMAT',
          fn,
          'offsets must be non-decreasing',
          `offsets[${i - 1}] = ${offsets[i - 1]} > offsets[${i}] = ${offsets[i]}`,
          rules.r2,
        );
      }
    }
  }
  if (lengths && offsets) {
    if (offsets.length !== lengths.length + 1) {
      fail(
        'INVALID_FORMAT',
        fn,
        'offsets.length must equal lengths.length + 1',
        `${offsets.length} offsets for ${lengths.length} lengths`,
        rules.r2,
      );
    }
    for (let i = 0; i < lengths.length; i++) {
      if (offsets[i + 1] - offsets[i] !== lengths[i]) {
        fail(
          'INVALID_FORMAT',
          fn,
          'lengths must equal diff(offsets)',
          `lengths[${i}] = ${lengths[i]} but offsets give ${offsets[i + 1] - offsets[i]}`,
          rules.r3,
        );
      }
    }
    return { lengths, offsets };
  }
  if (lengths) return { lengths, offsets: completeCumsum(lengths) };
  const o = offsets as Int32Array;
  const l = new Int32Array(o.length - 1);
  for (let i = 0; i < l.length; i++) l[i] = o[i + 1] - o[i];
  return { lengths: l, offsets: o };
}

/** Sum of an integer array as a JS number. @internal */
export function sumInt(x: ArrayLike<number>, start = 0, end = x.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s += x[i];
  return s;
}
