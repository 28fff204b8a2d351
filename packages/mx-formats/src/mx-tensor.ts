import * as tf from '@tensorflow/tfjs-core';
import { type AxisLayout, axisLayout, checkTensor, describe, moveAxisBack, moveAxisLast, readSync, TesseraError } from '@tessera/core';
import { dequantizeRows, type MXPacking, packedBytes, quantizeRows } from './kernels/index.js';
import {
  canonicalFormat,
  checkMXPadding,
  elementOf,
  MX_MAX_BLOCK_SIZE,
  type MXFormat,
  type MXOptions,
  type ResolvedMXOptions,
  resolveMXOptions,
} from './options.js';

/**
 * An MX-quantized tensor: E8M0 scale bytes and element codes, both host `Uint8Array`s, kept separate
 * as torchao does. Layout: the blocked `axis` is moved last (other axes keep their order) and zero-padded to
 * nBlocks·blockSize; `data` holds those codes row-major, packed per `packing`; `scales` holds one byte per block in
 * the same order (torchao's (…, K/32) for axis −1).
 *
 * Packings: `'byte'` (FP8, INT8), `'fp4x2'` (two per byte, first in the low nibble), `'fp6x4in3'` (4 codes in 3
 * bytes, LSB-first bitstream), `'fp6-unpacked'` (one code per byte, bits 0–5).
 */
export interface MXTensor {
  readonly format: MXFormat;
  /** Shape of the dense tensor this decodes to. */
  readonly shape: readonly number[];
  /** The blocked axis (non-negative). */
  readonly axis: number;
  readonly blockSize: number;
  readonly packing: MXPacking;
  /** E8M0 bytes, one per block (0xFF = NaN block). */
  readonly scales: Uint8Array;
  /** Element codes, packed. */
  readonly data: Uint8Array;
  /** `scales.length + data.length`. */
  readonly byteLength: number;
}

/** Geometry of a tensor with its blocked axis moved last (core's {@link AxisLayout}) and its block count. @internal */
export interface Layout extends AxisLayout {
  nBlocks: number;
}

/** {@link axisLayout} plus the number of blocks of size `k` along the axis. @internal */
export function layoutOf(shape: readonly number[], axis: number, k: number): Layout {
  const g = axisLayout(shape, axis);
  return { ...g, nBlocks: Math.ceil(g.L / k) };
}

/** The packing an MX format uses under the given FP6 choice. @internal */
export function packingOf(format: MXFormat, fp6Packing: 'packed' | 'unpacked'): MXPacking {
  const bits = elementOf(format).bits;
  if (bits === 4) return 'fp4x2';
  if (bits === 6) return fp6Packing === 'packed' ? 'fp6x4in3' : 'fp6-unpacked';
  return 'byte';
}

/** Bytes of `data` for n codes in a packing. @internal */
export function dataBytes(packing: MXPacking, n: number): number {
  return packedBytes(packing, n);
}

function checkShape(shape: unknown, fn: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
    throw new TesseraError('INVALID_SHAPE', fn, 'shape must be an array of non-negative integers', describe(shape));
  return [...shape];
}

/** Quantizes host values with already-resolved options. @internal */
export function quantizeResolved(values: Float32Array, shape: readonly number[], o: ResolvedMXOptions, fn: string): MXTensor {
  const g = layoutOf(shape, o.axis, o.blockSize);
  if (o.padding === 'error' && g.L % o.blockSize !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${o.axis}] must be a multiple of blockSize ${o.blockSize} with padding 'error'`,
      `shape [${shape.join(', ')}]`,
    );
  checkMXPadding(shape, o.axis, o.blockSize, fn);
  const packing = packingOf(o.format, o.fp6Packing);
  // A tensor without elements has no blocks (rows or nBlocks is 0): answer at once instead of looping over the
  // other, possibly huge, dimensions (e.g. shape [1e12, 0]).
  const empty = g.numel === 0;
  const { data, scales } = empty
    ? { data: new Uint8Array(0), scales: new Uint8Array(0) }
    : quantizeRows(moveAxisLast(values, g), g.rows, g.L, o, packing);
  return Object.freeze({
    format: o.format,
    shape: Object.freeze([...shape]),
    axis: o.axis,
    blockSize: o.blockSize,
    packing,
    scales,
    data,
    byteLength: scales.length + data.length,
  });
}

/**
 * {@link quantizeMX} on a host `Float32Array` with an explicit shape (row-major).
 *
 * @throws TesseraError as {@link quantizeMX}; `INVALID_DTYPE` when `values` is not a Float32Array, `INVALID_SHAPE`
 * when the shape does not match its length.
 * @example
 * ```ts
 * import { quantizeMXArray } from '@tessera/mx-formats';
 * const m = quantizeMXArray(new Float32Array([1, 2, 3, 7]), [4], { format: 'mxfp4_e2m1' });
 * m.scales; // → Uint8Array [127]
 * ```
 */
export function quantizeMXArray(values: Float32Array, shape: readonly number[], options: MXOptions): MXTensor {
  const fn = 'quantizeMXArray';
  if (!(values instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'values must be a Float32Array', describe(values));
  const sh = checkShape(shape, fn);
  const n = sh.reduce((p, d) => p * d, 1);
  if (n !== values.length) throw new TesseraError('INVALID_SHAPE', fn, `shape [${sh.join(', ')}] needs ${n} values`, values.length);
  return quantizeResolved(values, sh, resolveMXOptions(options, sh.length, fn), fn);
}

/**
 * Quantizes a float32 tensor to an MX format (OCP MX v1.0): per block of `blockSize` elements along
 * `axis`, an E8M0 scale X = 2^s from the block's max magnitude (`scaleMode`), then each element rounded onto the
 * element grid (`rounding`) after dividing by X, and clamped to ±max. A block holding NaN or ±Inf gets scale 0xFF and
 * decodes to NaN. A partial last block is zero-padded. The input is read synchronously (`dataSync`) and not disposed; where that is
 * impossible (webgpu in Node) it throws `UNSUPPORTED` naming {@link quantizeMXAsync}.
 *
 * Options (defaults): `format` (required), `blockSize` 32, `axis` −1, `scaleMode` `'floor'`, `rounding` `'even'`,
 * `padding` `'zero'`, `subnormals` `'keep'`, `inputPrecision` `'float32'`, `scaleExponent` `'exact'`,
 * `fp6Packing` `'packed'`, `random` (for `'stochastic'`).
 *
 * @throws TesseraError `INVALID_DTYPE` when x is not float32; `INVALID_ARGUMENT` for an unknown format, rounding or
 * mode, a non-positive blockSize, an axis out of range; `INVALID_SHAPE` for a scalar, or a partial block with
 * `padding: 'error'`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { quantizeMX, dequantizeMX } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[0.1, -2.5, 3, 448]]);
 * const m = quantizeMX(x, { format: 'mxfp8_e4m3' });
 * m.scales;           // → Uint8Array [127]  (X = 1: ⌊log2 448⌋ − 8 = 0)
 * const y = dequantizeMX(m); // [[0.1015625, -2.5, 3, 448]]
 * tf.dispose([x, y]);
 * ```
 */
export function quantizeMX(x: tf.Tensor, options: MXOptions): MXTensor {
  const fn = 'quantizeMX';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const o = resolveMXOptions(options, x.rank, fn);
  const values =
    x.size === 0 ? new Float32Array(0) : readSync(x, fn, "'x'", 'await quantizeMXAsync(x, options), which reads with x.data()');
  return quantizeResolved(values as Float32Array, x.shape, o, fn);
}

/**
 * {@link quantizeMX} reading the tensor with `await x.data()` (no synchronous download on async backends).
 *
 * @throws TesseraError as {@link quantizeMX}.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { quantizeMXAsync } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.ones([64]);
 * const m = await quantizeMXAsync(x, { format: 'mxint8' });
 * x.dispose();
 * ```
 */
export async function quantizeMXAsync(x: tf.Tensor, options: MXOptions): Promise<MXTensor> {
  const fn = 'quantizeMXAsync';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const o = resolveMXOptions(options, x.rank, fn);
  return quantizeResolved((await x.data()) as Float32Array, x.shape, o, fn);
}

/**
 * Checks every invariant of an MXTensor: known format and a packing that fits it, shape, axis, blockSize, the
 * lengths of `scales` and `data`, unpacked FP6 codes within 6 bits, and `byteLength`.
 *
 * @throws TesseraError `INVALID_FORMAT` on the first broken invariant.
 * @example
 * ```ts
 * import { quantizeMXArray, validateMX } from '@tessera/mx-formats';
 * validateMX(quantizeMXArray(new Float32Array(32), [32], { format: 'mxint8' })); // passes
 * ```
 */
export function validateMX(t: MXTensor): void {
  const fn = 'validateMX';
  const bad = (what: string, got?: unknown) => new TesseraError('INVALID_FORMAT', fn, what, got);
  if (typeof t !== 'object' || t === null) throw bad('t must be an MXTensor object', describe(t));
  let format: MXFormat;
  try {
    format = canonicalFormat(t.format, fn);
  } catch {
    throw bad('format must be an MX format', describe(t.format));
  }
  if (!Array.isArray(t.shape) || t.shape.length === 0 || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw bad('shape must be a non-empty array of non-negative integers', describe(t.shape));
  if (!Number.isInteger(t.axis) || t.axis < 0 || t.axis >= t.shape.length) throw bad(`axis must be in [0, ${t.shape.length - 1}]`, t.axis);
  if (!Number.isSafeInteger(t.blockSize) || t.blockSize < 1 || t.blockSize > MX_MAX_BLOCK_SIZE)
    throw bad(`blockSize must be an integer in [1, ${MX_MAX_BLOCK_SIZE}]`, t.blockSize);
  const allowed: MXPacking[] = elementOf(format).bits === 6 ? ['fp6x4in3', 'fp6-unpacked'] : [packingOf(format, 'packed')];
  if (!allowed.includes(t.packing)) throw bad(`packing of ${format} must be ${allowed.join(' or ')}`, describe(t.packing));
  if (!(t.scales instanceof Uint8Array)) throw bad('scales must be a Uint8Array', describe(t.scales));
  if (!(t.data instanceof Uint8Array)) throw bad('data must be a Uint8Array', describe(t.data));
  const g = layoutOf(t.shape, t.axis, t.blockSize);
  if (t.scales.length !== g.rows * g.nBlocks) throw bad(`scales must hold ${g.rows * g.nBlocks} bytes`, t.scales.length);
  const need = dataBytes(t.packing, g.rows * g.nBlocks * t.blockSize);
  if (t.data.length !== need) throw bad(`data must hold ${need} bytes`, t.data.length);
  if (t.packing === 'fp6-unpacked') {
    for (let i = 0; i < t.data.length; i++)
      if (t.data[i] > 0x3f) throw bad('unpacked FP6 codes must have bits 6-7 clear', `data[${i}] = ${t.data[i]}`);
  }
  if (t.byteLength !== t.scales.length + t.data.length) throw bad('byteLength must be scales.length + data.length', t.byteLength);
}

/**
 * Whether `u` is a valid {@link MXTensor} (runs {@link validateMX}).
 *
 * @example
 * ```ts
 * import { isMXTensor } from '@tessera/mx-formats';
 * isMXTensor({}); // → false
 * ```
 */
export function isMXTensor(u: unknown): u is MXTensor {
  try {
    validateMX(u as MXTensor);
    return true;
  } catch {
    return false;
  }
}

/**
 * Dequantizes to a host `Float32Array` in the original shape (row-major): element value × 2^(byte − 127), rounded
 * once to float32; a 0xFF scale makes the block NaN. Padding is dropped. Pass `out` to reuse a buffer.
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not a valid MXTensor; `INVALID_ARGUMENT` when `out` is not a
 * Float32Array of the tensor's size.
 * @example
 * ```ts
 * import { quantizeMXArray, dequantizeMXArray } from '@tessera/mx-formats';
 * const m = quantizeMXArray(new Float32Array([7, 1, 0.3]), [3], { format: 'mxfp4_e2m1' });
 * dequantizeMXArray(m); // → Float32Array [6, 1, 0.5]  (FLOOR saturates 7 → 6)
 * ```
 */
export function dequantizeMXArray(t: MXTensor, out?: Float32Array): Float32Array {
  validateMX(t);
  if (out !== undefined) {
    const n = t.shape.reduce((p, d) => p * d, 1);
    if (!(out instanceof Float32Array) || out.length !== n)
      throw new TesseraError('INVALID_ARGUMENT', 'dequantizeMXArray', `out must be a Float32Array of ${n} elements`, describe(out));
  }
  return dequantizeMXArrayUnchecked(t, out);
}

/** {@link dequantizeMXArray} without validation (the object must be valid). @internal */
export function dequantizeMXArrayUnchecked(t: MXTensor, out?: Float32Array): Float32Array {
  const g = layoutOf(t.shape, t.axis, t.blockSize);
  if (g.numel === 0) return out ?? new Float32Array(0);
  const c = elementOf(canonicalFormat(t.format, 'dequantizeMX'));
  if (g.inner === 1) {
    const dst = out ?? new Float32Array(g.numel);
    dequantizeRows(t.data, t.packing, t.scales, g.rows, g.L, t.blockSize, c, dst);
    return dst;
  }
  const tmp = dequantizeRows(t.data, t.packing, t.scales, g.rows, g.L, t.blockSize, c, new Float32Array(g.numel));
  return moveAxisBack(tmp, g, out);
}

/**
 * Dequantizes an MXTensor to a new float32 tensor of its original shape (the caller owns it).
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not a valid MXTensor.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { quantizeMX, dequantizeMX } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.randomNormal([4, 64]);
 * const y = dequantizeMX(quantizeMX(x, { format: 'mxfp6_e2m3' }));
 * tf.dispose([x, y]);
 * ```
 */
export function dequantizeMX(t: MXTensor): tf.Tensor {
  const values = dequantizeMXArray(t);
  return tf.tensor(values, [...t.shape], 'float32');
}
