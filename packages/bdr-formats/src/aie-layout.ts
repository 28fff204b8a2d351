import { axisLayout, describe, TesseraError } from '@tessera/core';
import { type BDRTensor, validateBDR } from './bdr-tensor.js';
import { type BDRFormat, checkFormat } from './format.js';
import { planarSizes } from './kernels/bdr-kernel.js';

/** Bytes per 16-element block of the interleaved layout: 1 exponent + 1 shift byte + 16·(m + 1) mantissa bits. */
function aieBlockBytes(m: number): number {
  return 2 + 2 * (m + 1);
}

function checkAIEFormat(f: BDRFormat, fn: string): void {
  if (f.k1 !== 16 || f.d1 !== 8 || f.k2 !== 2 || f.d2 !== 1 || ![2, 4, 7].includes(f.m))
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      'the interleaved layout exists only for MX4/MX6/MX9 (k1 = 16, d1 = 8, k2 = 2, d2 = 1, m = 2/4/7)',
      `k1=${f.k1}, d1=${f.d1}, k2=${f.k2}, d2=${f.d2}, m=${f.m}`,
    );
}

/**
 * Converts an MX4/MX6/MX9 BDRTensor to an interleaved block layout modelled on the AMD AI Engine-ML v2 description
 * (AMD UG1639): per 16-element block, in the planar order of blocks, 1 byte of biased shared exponent (bias 127),
 * 1 byte of eight shift bits (bit j, LSB first, is the microexponent of pair j: a set bit lowers the pair's exponent
 * by one), then the 16 sign-magnitude mantissas of m + 1 bits (8 / 5 / 3) as an LSB-first bitstream, sign in each
 * field's top bit: 18 / 12 / 8 bytes per block (9 / 6 / 4 bits per element). These bit orders, the sign encoding
 * and the bias are tessera's choices; they have **not** been checked against AMD hardware or UG1639's bit-level
 * tables, so no hardware compatibility is claimed.
 *
 * @throws TesseraError `INVALID_FORMAT` for an invalid BDRTensor; `INVALID_ARGUMENT` for a format other than
 * MX4/MX6/MX9's parameters.
 * @example
 * ```ts
 * import { BDR_MX6, quantizeBDRArray, toAIELayout, fromAIELayout } from '@tessera/bdr-formats';
 * const t = quantizeBDRArray(new Float32Array(32).fill(1), [2, 16], BDR_MX6);
 * const bytes = toAIELayout(t);
 * bytes.length;                                     // → 24  (2 blocks × 12 bytes)
 * fromAIELayout(bytes, BDR_MX6, [2, 16], 1).shape; // → [2, 16]
 * ```
 */
export function toAIELayout(t: BDRTensor): Uint8Array {
  validateBDR(t);
  checkAIEFormat(t.format, 'toAIELayout');
  const nb = t.exponents.length;
  const mb = 2 * (t.format.m + 1);
  const bb = aieBlockBytes(t.format.m);
  const out = new Uint8Array(nb * bb);
  for (let b = 0; b < nb; b++) {
    const o = b * bb;
    out[o] = t.exponents[b];
    out[o + 1] = t.microexponents[b]; // 8 pairs × 1 bit: byte b of the planar stream
    out.set(t.mantissas.subarray(b * mb, (b + 1) * mb), o + 2);
  }
  return out;
}

/**
 * Inverse of {@link toAIELayout}: rebuilds the planar BDRTensor of the given format, dense shape and blocked axis.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for a format other than MX4/MX6/MX9's parameters, a non-Uint8Array or a bad
 * axis; `INVALID_SHAPE` for a bad shape; `CORRUPT_DATA` when the byte count does not match the shape or the bytes
 * break an invariant (non-zero padding codes).
 * @example
 * ```ts
 * import { BDR_MX9, quantizeBDRArray, toAIELayout, fromAIELayout, dequantizeBDRArray } from '@tessera/bdr-formats';
 * const t = quantizeBDRArray(new Float32Array([0.5, -1, 2, 0.125]), [4], BDR_MX9);
 * Array.from(dequantizeBDRArray(fromAIELayout(toAIELayout(t), BDR_MX9, [4], 0))); // → [0.5, -1, 2, 0.125]
 * ```
 */
export function fromAIELayout(bytes: Uint8Array, f: BDRFormat, shape: readonly number[], axis: number): BDRTensor {
  const fn = 'fromAIELayout';
  if (!(bytes instanceof Uint8Array)) throw new TesseraError('INVALID_ARGUMENT', fn, 'bytes must be a Uint8Array', describe(bytes));
  const fmt = checkFormat(f, fn);
  checkAIEFormat(fmt, fn);
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
    throw new TesseraError('INVALID_SHAPE', fn, 'shape must be a non-empty array of non-negative integers', describe(shape));
  if (!Number.isInteger(axis) || axis < -shape.length || axis >= shape.length)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be in [${-shape.length}, ${shape.length - 1}]`, describe(axis));
  const ax = axis < 0 ? axis + shape.length : axis;
  const g = axisLayout(shape, ax);
  const sz = planarSizes(fmt, g.rows, g.L);
  const bb = aieBlockBytes(fmt.m);
  if (bytes.length !== sz.blocks * bb)
    throw new TesseraError('CORRUPT_DATA', fn, `bytes must hold ${sz.blocks} blocks of ${bb} bytes (${sz.blocks * bb})`, bytes.length);
  const mb = 2 * (fmt.m + 1);
  const exponents = new Uint8Array(sz.blocks);
  const microexponents = new Uint8Array(sz.blocks);
  const mantissas = new Uint8Array(sz.blocks * mb);
  for (let b = 0; b < sz.blocks; b++) {
    const o = b * bb;
    exponents[b] = bytes[o];
    microexponents[b] = bytes[o + 1];
    mantissas.set(bytes.subarray(o + 2, o + bb), b * mb);
  }
  const t: BDRTensor = Object.freeze({ format: fmt, shape: Object.freeze([...shape]), axis: ax, exponents, microexponents, mantissas });
  try {
    validateBDR(t);
  } catch (e) {
    if (e instanceof TesseraError) throw new TesseraError('CORRUPT_DATA', fn, `bytes do not form a valid BDR tensor (${e.message})`);
    throw e;
  }
  return t;
}
