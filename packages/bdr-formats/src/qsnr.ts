import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, readSync, TesseraError } from '@tessera/core';
import { type BDRFormat, checkFormat } from './format.js';

function hostValues(v: unknown, fn: string, name: string): { data: ArrayLike<number>; shape?: readonly number[] } {
  if (v instanceof Float32Array) return { data: v };
  if (typeof v === 'object' && v !== null && 'dataSync' in v && 'shape' in v && 'dtype' in v) {
    const t = v as Tensor;
    if (t.isDisposed) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must not be disposed`, 'a disposed tensor');
    if (t.dtype !== 'float32') throw new TesseraError('INVALID_DTYPE', fn, `${name} must be float32`, t.dtype);
    const data = t.size === 0 ? new Float32Array(0) : readSync(t, fn, name, 'await t.data() and pass Float32Arrays');
    return { data: data as Float32Array, shape: t.shape };
  }
  throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a Float32Array or a float32 tf.Tensor`, describe(v));
}

/**
 * Quantization signal-to-noise ratio in dB: QSNR(x, x̂) = −10·log10(Σ(x̂ − x)² / Σx²), sums in float64 over the whole
 * array (Rouhani et al., arXiv:2302.08007 §IV-A, E‖Q(x) − x‖²/E‖x‖² over the data; equal to torchao's
 * `compute_error` SQNR). x̂ = x gives +Infinity. Tensors are read with `dataSync` (on webgpu in Node, `UNSUPPORTED`: pass Float32Arrays
 * read with `await t.data()`) and not disposed.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when an argument is not a Float32Array or tensor, x is all zeros, or a
 * value is NaN/±Inf; `INVALID_DTYPE` for a non-float32 tensor; `INVALID_SHAPE` when lengths or shapes differ.
 * @example
 * ```ts
 * import { qsnr } from '@tessera/bdr-formats';
 * qsnr(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 2, 3, 4.5])); // ≈ 20.792 dB (30 / 0.25 = 120)
 * ```
 */
export function qsnr(x: Float32Array | Tensor, xq: Float32Array | Tensor): number {
  const fn = 'qsnr';
  const a = hostValues(x, fn, 'x');
  const b = hostValues(xq, fn, 'xq');
  if (a.data.length !== b.data.length)
    throw new TesseraError('INVALID_SHAPE', fn, `xq must have the length of x (${a.data.length})`, b.data.length);
  if (a.shape && b.shape && (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape?.[i])))
    throw new TesseraError('INVALID_SHAPE', fn, `xq must have the shape of x [${a.shape.join(', ')}]`, `[${b.shape.join(', ')}]`);
  let num = 0;
  let den = 0;
  const xa = a.data;
  const xb = b.data;
  for (let i = 0; i < xa.length; i++) {
    const d = xb[i] - xa[i];
    num += d * d;
    den += xa[i] * xa[i];
  }
  if (!Number.isFinite(num) || !Number.isFinite(den)) {
    for (let i = 0; i < xa.length; i++)
      if (!Number.isFinite(xa[i]) || !Number.isFinite(xb[i]))
        throw new TesseraError('INVALID_ARGUMENT', fn, 'x and xq must be finite', `${xa[i]} vs ${xb[i]} at index ${i}`);
  }
  if (den === 0) throw new TesseraError('INVALID_ARGUMENT', fn, 'x must not be all zeros (QSNR is undefined)', `${xa.length} zeros`);
  return -10 * Math.log10(num / den);
}

/**
 * The Theorem-1 lower bound on QSNR of a BDR format (Rouhani et al., arXiv:2302.08007, appendix), in dB, for
 * vectors of length N (default ∞): with β = 2^d2 − 1,
 * QSNR ≥ 6.02·m + 10·log10(2^(2β) / (min(N, k1) + (2^(2β) − 1)·k2)); for d2 = 0 this is 6.02·m − 10·log10(min(N, k1)).
 * The constants are as transcribed from the paper's appendix; the property tests check QSNR ≥ bound on Gaussian data.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for an invalid format or a vector length that is not a positive integer
 * (or Infinity).
 * @example
 * ```ts
 * import { BDR_MX9, MSFP16, qsnrBound } from '@tessera/bdr-formats';
 * qsnrBound(BDR_MX9).toFixed(2); // → '34.74'
 * qsnrBound(MSFP16).toFixed(2);  // → '30.10'
 * ```
 */
export function qsnrBound(f: BDRFormat, vectorLength: number = Number.POSITIVE_INFINITY): number {
  const fn = 'qsnrBound';
  const g = checkFormat(f, fn);
  if (
    typeof vectorLength !== 'number' ||
    !(vectorLength === Number.POSITIVE_INFINITY || (Number.isSafeInteger(vectorLength) && vectorLength >= 1))
  )
    throw new TesseraError('INVALID_ARGUMENT', fn, 'vectorLength must be a positive integer or Infinity', describe(vectorLength));
  const beta = 2 ** g.d2 - 1;
  const n = Math.min(vectorLength, g.k1);
  const k2 = g.d2 === 0 ? g.k1 : g.k2; // (2^0 − 1)·k2 = 0 whatever k2 is
  return 6.02 * g.m + 10 * Math.log10(2 ** (2 * beta) / (n + (2 ** (2 * beta) - 1) * k2));
}
