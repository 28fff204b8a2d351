import { bitsToF32, f32ToBits, TesseraError } from '@tessera/core';

/**
 * How `E8M0.fromFloat` (see {@link E8M0}) treats zero, negative and non-finite inputs: as ml_dtypes 0.6.0's
 * `float8_e8m0fnu` cast or as PyTorch's `torch.float8_e8m0fnu` cast.
 */
export type E8M0CastBehaviour = 'ml_dtypes' | 'torch';

/** 2^(b − 127) for every byte b (0xFF → NaN); byte 0 is the float32 subnormal 2^-127. */
const POW2: Float64Array = (() => {
  const t = new Float64Array(256);
  for (let b = 0; b < 255; b++) t[b] = 2 ** (b - 127);
  t[255] = Number.NaN;
  return t;
})();

/**
 * The E8M0 scale type of OCP MX: unsigned, bias 127, byte b means 2^(b − 127), 0xFF is the only NaN.
 *
 * - `decode(b)` is exact, including b = 0 → 2^-127 (a float32 subnormal).
 * - `fromExponent(s)` is how MX makes a scale: `clamp(s, −127, 127) + 127` (never 0xFF).
 * - `fromFloat(x)` is a generic cast, which MX never uses. It follows ml_dtypes 0.6.0 by default (1.m ≥ 1.5 rounds
 *   up, 2^-127 < x < 2^-126 → 1, x ≥ 1.5·2^127 → 0xFF, and 0, −0, negatives, NaN and ±Inf → 0xFF); with
 *   `'torch'` it follows PyTorch 2.11 (the sign is ignored and ±0 → 0).
 * - `rceil(d)` is torchao's `_f32_to_e8m0_rceil`: the smallest b with d ≤ 2^(b−127) (a subnormal d gives 1 if
 *   d > 2^-127, else 0), and 0xFF once that exceeds 254 or d is NaN/Inf.
 *
 * @example
 * ```ts
 * import { E8M0 } from '@tessera/mx-formats';
 * E8M0.decode(127);        // → 1
 * E8M0.fromExponent(-130); // → 0 (clamped)
 * E8M0.fromFloat(3);       // → 129 (1.5·2^1 rounds up)
 * E8M0.rceil(1.5);         // → 128
 * ```
 */
export const E8M0 = Object.freeze({
  NAN: 0xff as const,
  /** The value of byte `b` (NaN for 0xFF). */
  decode(b: number): number {
    if (!Number.isInteger(b) || b < 0 || b > 255)
      throw new TesseraError('INVALID_ARGUMENT', 'E8M0.decode', 'byte must be an integer in [0, 255]', b);
    return POW2[b];
  },
  /** The scale byte of the unbiased exponent `s`, clamped to [−127, 127]. */
  fromExponent(s: number): number {
    if (typeof s !== 'number' || !Number.isInteger(s))
      throw new TesseraError('INVALID_ARGUMENT', 'E8M0.fromExponent', 's must be an integer', s);
    return (s < -127 ? -127 : s > 127 ? 127 : s) + 127;
  },
  /** Generic float → E8M0 cast (input rounded to float32 first); see the behaviours above. */
  fromFloat(x: number, behaviour: E8M0CastBehaviour = 'ml_dtypes'): number {
    if (behaviour !== 'ml_dtypes' && behaviour !== 'torch')
      throw new TesseraError('INVALID_ARGUMENT', 'E8M0.fromFloat', "behaviour must be 'ml_dtypes' or 'torch'", behaviour);
    if (typeof x !== 'number') throw new TesseraError('INVALID_ARGUMENT', 'E8M0.fromFloat', 'x must be a number', x);
    let bits = f32ToBits(x);
    if (behaviour === 'torch') bits &= 0x7fffffff;
    if (bits >>> 31 !== 0) return 0xff; // negative or −0 (ml_dtypes)
    if (bits === 0) return behaviour === 'torch' ? 0 : 0xff;
    const ef = bits >>> 23;
    if (ef === 0xff) return 0xff;
    if (ef === 0) return bits <= 0x00400000 ? 0 : 1; // float32 subnormal: ≤ 2^-127 → 0, else 1
    const up = (bits & 0x400000) !== 0 ? 1 : 0; // 1.m ≥ 1.5 rounds up
    const b = ef + up;
    return b >= 255 ? 0xff : b;
  },
  /** torchao's RCEIL conversion of the quotient d = fl32(amax / maxNormal) to a scale byte. */
  rceil(d: number): number {
    if (typeof d !== 'number') throw new TesseraError('INVALID_ARGUMENT', 'E8M0.rceil', 'd must be a number', d);
    return rceilByte(f32ToBits(d));
  },
});

/** RCEIL byte from the float32 bits of d, unclamped above (255 when the exponent passes 127 or d is not finite). @internal */
export function rceilByte(dBits: number): number {
  const a = dBits & 0x7fffffff;
  if (a >= 0x7f800000) return 0xff;
  if (a === 0) return 0;
  const ef = a >>> 23;
  if (ef === 0) return a > 0x00400000 ? 1 : 0;
  const s = ef - 127 + ((a & 0x7fffff) !== 0 ? 1 : 0);
  const b = s + 127;
  return b > 254 ? 0xff : b;
}

/** Table of 2^(b−127) as float64 (index 255 is NaN). @internal */
export const E8M0_VALUES: Float64Array = POW2;

/** float32 value of 2^-127, the value of scale byte 0. @internal */
export const E8M0_MIN = bitsToF32(0x00400000);
