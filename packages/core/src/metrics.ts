import { describe, TesseraError } from './errors.js';

type NumArray = ArrayLike<number>;

/**
 * Signal-to-quantisation-noise ratio in decibels: `10·log10(Σ ref² / Σ (ref − approx)²)`, computed in float64.
 * Returns `Infinity` when the two agree exactly. Pairs where `ref` is not finite are skipped (they carry no
 * signal power); a NaN or infinite error where `ref` is finite gives `-Infinity`, so a broken codec never looks good.
 *
 * @throws TesseraError `INVALID_SHAPE` when the lengths differ.
 * @example
 * ```ts
 * import { sqnrDb } from '@tessera/core';
 * sqnrDb([1, 2, 3], [1, 2, 3.1]); // → ≈ 31.5 dB
 * ```
 */
export function sqnrDb(ref: NumArray, approx: NumArray): number {
  const isNumArray = (a: unknown) =>
    Array.isArray(a) ||
    (ArrayBuffer.isView(a) && !(a instanceof DataView) && !(a instanceof BigInt64Array) && !(a instanceof BigUint64Array));
  if (!isNumArray(ref) || !isNumArray(approx))
    throw new TesseraError(
      'INVALID_ARGUMENT',
      'sqnrDb',
      'ref and approx must be number arrays or typed arrays',
      `${describe(ref)}, ${describe(approx)}`,
    );
  if (ref.length !== approx.length)
    throw new TesseraError('INVALID_SHAPE', 'sqnrDb', 'ref and approx must have the same length', `${ref.length} vs ${approx.length}`);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i];
    const a = approx[i];
    if (typeof r !== 'number' || typeof a !== 'number')
      throw new TesseraError(
        'INVALID_ARGUMENT',
        'sqnrDb',
        'ref and approx must hold numbers',
        `index ${i}: ${describe(r)}, ${describe(a)}`,
      );
    if (!Number.isFinite(r)) continue;
    if (Number.isNaN(a)) return Number.NEGATIVE_INFINITY;
    signal += r * r;
    const d = r - a;
    noise += d * d;
  }
  if (noise === 0) return Number.POSITIVE_INFINITY;
  if (!Number.isFinite(noise)) return Number.NEGATIVE_INFINITY;
  return 10 * Math.log10(signal / noise);
}
