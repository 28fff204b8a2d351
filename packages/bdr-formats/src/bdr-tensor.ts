import * as tf from '@tensorflow/tfjs-core';
import { axisLayout, checkTensor, describe, moveAxisBack, moveAxisLast, readSync, TesseraError } from '@tessera/core';
import { type BDRFormat, checkFormat } from './format.js';
import { dequantizeRows, planarSizes, quantizeRowsPacked } from './kernels/bdr-kernel.js';
import { type BDROptions, type ResolvedBDROptions, resolveBDROptions } from './options.js';

/**
 * A packed BDR tensor in tessera's planar layout. The blocked `axis` is moved last (the other axes keep their order)
 * and zero-padded to nBlocks·k1; then, row-major over (row, block):
 *
 * - `exponents`: one biased block exponent E + 2^(d1−1) − 1 per level-1 block (one byte each);
 * - `microexponents`: d2 bits per sub-block (the shift s), an LSB-first bitstream (empty when d2 = 0);
 * - `mantissas`: (m + 1) bits per element, sign-magnitude with the sign in the most significant bit, an LSB-first
 *   bitstream (bit j of the stream is bit j mod 8 of byte ⌊j/8⌋). Padding elements are code 0.
 *
 * Element i of sub-block j decodes to (−1)^sign·q·2^(E − s_j − (m − 1)).
 *
 * @example
 * ```ts
 * import { BDR_MX9, type BDRTensor, quantizeBDRArray } from '@tessera/bdr-formats';
 * const t: BDRTensor = quantizeBDRArray(new Float32Array(64), [4, 16], BDR_MX9);
 * [t.exponents.length, t.microexponents.length, t.mantissas.length]; // → [4, 4, 64]
 * ```
 */
export interface BDRTensor {
  readonly format: BDRFormat;
  /** Shape of the dense tensor this decodes to. */
  readonly shape: readonly number[];
  /** The blocked axis (non-negative). */
  readonly axis: number;
  readonly exponents: Uint8Array | Uint16Array;
  readonly microexponents: Uint8Array;
  readonly mantissas: Uint8Array;
}

function checkShape(shape: unknown, fn: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
    throw new TesseraError('INVALID_SHAPE', fn, 'shape must be an array of non-negative integers', describe(shape));
  return [...shape];
}

/** Quantizes host values (row-major, `shape`) with resolved options. @internal */
export function quantizeResolved(
  values: Float32Array,
  shape: readonly number[],
  f: BDRFormat,
  o: ResolvedBDROptions,
  fn: string,
): BDRTensor {
  const g = axisLayout(shape, o.axis);
  if (o.padding === 'error' && g.L % f.k1 !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${o.axis}] must be a multiple of k1 = ${f.k1} with padding 'error'`,
      `shape [${shape.join(', ')}]`,
    );
  // A tensor without elements has no blocks (rows or nBlocks is 0): answer at once instead of looping over the
  // other, possibly huge, dimensions (e.g. shape [1e12, 0] blocked along axis 0).
  const p =
    g.numel === 0
      ? { exponents: new Uint8Array(0), microexponents: new Uint8Array(0), mantissas: new Uint8Array(0) }
      : quantizeRowsPacked(moveAxisLast(values, g), g.rows, g.L, f, o, fn);
  return Object.freeze({ format: f, shape: Object.freeze([...shape]), axis: o.axis, ...p });
}

/**
 * {@link quantizeBDR} on a host `Float32Array` with an explicit row-major shape.
 *
 * @throws TesseraError as {@link quantizeBDR}; `INVALID_DTYPE` when `values` is not a Float32Array, `INVALID_SHAPE`
 * when the shape does not match its length.
 * @example
 * ```ts
 * import { BDR_MX6, quantizeBDRArray, dequantizeBDRArray } from '@tessera/bdr-formats';
 * const t = quantizeBDRArray(new Float32Array([1, 0.25, 3, -0.5]), [4], BDR_MX6);
 * Array.from(t.exponents);           // → [128]  (E = 1: max 3 has exponent 1)
 * Array.from(dequantizeBDRArray(t)); // → [1, 0.25, 3, -0.5]
 * ```
 */
export function quantizeBDRArray(values: Float32Array, shape: readonly number[], f: BDRFormat, options?: BDROptions): BDRTensor {
  const fn = 'quantizeBDRArray';
  if (!(values instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'values must be a Float32Array', describe(values));
  const sh = checkShape(shape, fn);
  const n = sh.reduce((p, d) => p * d, 1);
  if (n !== values.length) throw new TesseraError('INVALID_SHAPE', fn, `shape [${sh.join(', ')}] needs ${n} values`, values.length);
  const fmt = checkFormat(f, fn);
  const o = resolveBDROptions(options, sh.length, fn);
  if (o.clamp !== 'field') throw new TesseraError('INVALID_ARGUMENT', fn, "clamp must be 'field' when packing (2^m has no code)", o.clamp);
  return quantizeResolved(values, sh, fmt, o, fn);
}

/**
 * Quantizes a float32 tensor to a packed BDR format ([BDR] §III): per level-1 block of k1 elements along `axis`, a
 * shared exponent E from the exponent field of the block's max |x| (a zero or float32-subnormal max counts as −127,
 * as AMD Quark does); per sub-block of k2, a shift s = clamp(E − e_j, 0, 2^d2 − 1) from its own max; each element
 * rounded to q·2^(E − s − (m − 1)) with |q| ≤ 2^m − 1. The input is read with `dataSync` and not disposed (where
 * that is impossible, webgpu in Node, it throws `UNSUPPORTED`: read with `await x.data()` and call {@link quantizeBDRArray}).
 *
 * @throws TesseraError `INVALID_DTYPE` when x is not float32; `INVALID_ARGUMENT` for an invalid format or option,
 * `clamp: 'quark'`, or a NaN/±Inf element (no encoding exists); `INVALID_SHAPE` for a scalar, or a partial block with
 * `padding: 'error'`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { BDR_MX9, quantizeBDR, dequantizeBDR } from '@tessera/bdr-formats';
 * await initBackend();
 * const x = tf.tensor2d([[1, -0.5, 3, 0.1]]);
 * const t = quantizeBDR(x, BDR_MX9);
 * t.mantissas.length; // → 16  (16 padded elements × 8 bits)
 * const y = dequantizeBDR(t); // [[1, -0.5, 3, 0.09375]]
 * tf.dispose([x, y]);
 * ```
 */
export function quantizeBDR(x: tf.Tensor, f: BDRFormat, options?: BDROptions): BDRTensor {
  const fn = 'quantizeBDR';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const fmt = checkFormat(f, fn);
  const o = resolveBDROptions(options, x.rank, fn);
  if (o.clamp !== 'field') throw new TesseraError('INVALID_ARGUMENT', fn, "clamp must be 'field' when packing (2^m has no code)", o.clamp);
  const values =
    x.size === 0 ? new Float32Array(0) : readSync(x, fn, "'x'", 'await x.data() and pass the Float32Array to quantizeBDRArray');
  return quantizeResolved(values as Float32Array, x.shape, fmt, o, fn);
}

/**
 * Checks every invariant of a BDRTensor: a valid format, a shape of non-negative integers, an axis inside it, field
 * types and byte lengths that match, exponents inside the d1-bit range, and zero bits after the last field of each
 * stream.
 *
 * @throws TesseraError `INVALID_FORMAT` naming the first broken invariant.
 * @example
 * ```ts
 * import { BDR_MX4, quantizeBDRArray, validateBDR } from '@tessera/bdr-formats';
 * validateBDR(quantizeBDRArray(new Float32Array(32), [2, 16], BDR_MX4)); // passes
 * ```
 */
export function validateBDR(t: BDRTensor): void {
  const fn = 'validateBDR';
  const bad = (what: string, got?: unknown) => new TesseraError('INVALID_FORMAT', fn, what, got);
  if (typeof t !== 'object' || t === null) throw bad('t must be a BDRTensor', describe(t));
  let f: BDRFormat;
  try {
    f = checkFormat(t.format, fn);
  } catch (e) {
    throw bad('format must be a valid BDRFormat', e instanceof Error ? e.message : describe(t.format));
  }
  const shape = t.shape;
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
    throw bad('shape must be a non-empty array of non-negative integers', describe(shape));
  if (!Number.isInteger(t.axis) || t.axis < 0 || t.axis >= shape.length) throw bad(`axis must be in [0, ${shape.length - 1}]`, t.axis);
  const g = axisLayout(shape, t.axis);
  if (!Number.isSafeInteger(g.numel)) throw bad('shape has too many elements', describe(shape));
  const sz = planarSizes(f, g.rows, g.L);
  if (!(t.exponents instanceof Uint8Array || t.exponents instanceof Uint16Array))
    throw bad('exponents must be a Uint8Array', describe(t.exponents));
  if (!(t.microexponents instanceof Uint8Array)) throw bad('microexponents must be a Uint8Array', describe(t.microexponents));
  if (!(t.mantissas instanceof Uint8Array)) throw bad('mantissas must be a Uint8Array', describe(t.mantissas));
  if (t.exponents.length !== sz.exponents) throw bad(`exponents must hold ${sz.exponents} entries`, t.exponents.length);
  if (t.microexponents.length !== sz.microexponents)
    throw bad(`microexponents must hold ${sz.microexponents} bytes`, t.microexponents.length);
  if (t.mantissas.length !== sz.mantissas) throw bad(`mantissas must hold ${sz.mantissas} bytes`, t.mantissas.length);
  const emaxBiased = 2 ** f.d1 - 1;
  for (let i = 0; i < t.exponents.length; i++)
    if (t.exponents[i] > emaxBiased) throw bad(`exponents must be <= ${emaxBiased}`, `${t.exponents[i]} at ${i}`);
  const tail = (bytes: Uint8Array, bits: number, what: string) => {
    const used = bits % 8;
    if (used !== 0 && bytes.length > 0 && bytes[bytes.length - 1] >>> used !== 0)
      throw bad(`${what} must have zero bits after the last field`);
  };
  tail(t.microexponents, sz.blocks * (f.k1 / f.k2) * f.d2, 'microexponents');
  tail(t.mantissas, sz.blocks * f.k1 * (f.m + 1), 'mantissas');
  // padding elements of a short last block carry code 0 (a decoder drops them; a non-zero code means damage)
  const nB = Math.ceil(g.L / f.k1);
  const padStart = g.L - (nB - 1) * f.k1;
  if (padStart < f.k1 && g.numel > 0) {
    const w = f.m + 1;
    for (let r = 0; r < g.rows; r++) {
      const base = (r * nB + nB - 1) * f.k1;
      for (let i = padStart; i < f.k1; i++) {
        const bit = (base + i) * w;
        let c = 0;
        for (let k = 0; k < w; k++) c |= ((t.mantissas[(bit + k) >> 3] >> ((bit + k) & 7)) & 1) << k;
        if (c !== 0) throw bad('padding elements must have code 0', `code ${c} in row ${r}`);
      }
    }
  }
}

/**
 * Decodes a BDRTensor to host float32 values in its original shape (row-major). With `out`, writes there (it must
 * hold exactly the tensor's element count).
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not a valid BDRTensor; `INVALID_ARGUMENT` for an `out` of the
 * wrong type or length.
 * @example
 * ```ts
 * import { BDR_MX4, quantizeBDRArray, dequantizeBDRArray } from '@tessera/bdr-formats';
 * Array.from(dequantizeBDRArray(quantizeBDRArray(new Float32Array([3, 1, 0.3, 0.1]), [4], BDR_MX4))); // → [3, 1, 0.5, 0]
 * ```
 */
export function dequantizeBDRArray(t: BDRTensor, out?: Float32Array): Float32Array {
  validateBDR(t);
  const g = axisLayout(t.shape, t.axis);
  if (out !== undefined && (!(out instanceof Float32Array) || out.length !== g.numel))
    throw new TesseraError('INVALID_ARGUMENT', 'dequantizeBDRArray', `out must be a Float32Array of length ${g.numel}`, describe(out));
  const res = out ?? new Float32Array(g.numel);
  if (g.numel === 0) return res; // no elements, no blocks: nothing to decode (rows × L loops could be huge)
  const planar = { exponents: t.exponents as Uint8Array, microexponents: t.microexponents, mantissas: t.mantissas };
  if (g.inner === 1) {
    dequantizeRows(planar, g.rows, g.L, t.format, res);
    return res;
  }
  const tmp = new Float32Array(g.numel);
  dequantizeRows(planar, g.rows, g.L, t.format, tmp);
  return moveAxisBack(tmp, g, res);
}

/**
 * Decodes a BDRTensor to a float32 tensor of its original shape (owned by the caller).
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not a valid BDRTensor.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { BDR_MX6, quantizeBDR, dequantizeBDR } from '@tessera/bdr-formats';
 * await initBackend();
 * const x = tf.randomNormal([4, 32]);
 * const y = dequantizeBDR(quantizeBDR(x, BDR_MX6));
 * y.shape; // → [4, 32]
 * tf.dispose([x, y]);
 * ```
 */
export function dequantizeBDR(t: BDRTensor): tf.Tensor {
  const v = dequantizeBDRArray(t);
  return tf.tensor(v, [...t.shape], 'float32');
}
