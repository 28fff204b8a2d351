import { f32ToBits, floorLog2Bits, TesseraError } from '@tessera/core';
import { rceilByte } from './e8m0.js';
import type { ElementCodec } from './elements.js';

/** How the block scale exponent is chosen from the block's amax. */
export type ScaleMode = 'floor' | 'ceil' | 'even' | 'rceil';

/**
 * All scale modes.
 *
 * @example
 * ```ts
 * import { SCALE_MODES } from '@tessera/mx-formats';
 * SCALE_MODES; // → ['floor', 'ceil', 'even', 'rceil']
 * ```
 */
export const SCALE_MODES: readonly ScaleMode[] = Object.freeze(['floor', 'ceil', 'even', 'rceil'] as const);

/**
 * Unbiased scale exponent s (not yet clamped) for a finite, non-zero amax given by its float32 bits. @internal
 * `float32Log2` emulates microxcaling's ⌊float32 log2(amax)⌋ for `floor` only.
 */
export function scaleExponentBits(amaxBits: number, c: ElementCodec, mode: ScaleMode, float32Log2 = false): number {
  const a = amaxBits & 0x7fffffff;
  switch (mode) {
    case 'floor': {
      if (float32Log2) {
        // microxcaling: floor(torch.log2(amax)) in float32 (best effort: a correctly rounded float32 log2).
        f32[0] = 0;
        u32[0] = a;
        return Math.floor(Math.fround(Math.log2(f32[0]))) - c.emax;
      }
      return floorLog2Bits(a) - c.emax;
    }
    case 'ceil': {
      const e = floorLog2Bits(a);
      const ef = a >>> 23;
      const pow2 = ef !== 0 ? (a & 0x7fffff) === 0 : (a & (a - 1)) === 0;
      return e + (pow2 ? 0 : 1) - c.emax;
    }
    case 'even': {
      // r_M(amax): round the significand to M bits, ties away; a carry bumps the exponent (torchao EVEN, PR #516).
      const e = floorLog2Bits(a);
      const ef = a >>> 23;
      let sig: number; // 24-bit significand with the leading one at bit 23
      if (ef !== 0) sig = (a & 0x7fffff) | 0x800000;
      else sig = a << (Math.clz32(a) - 8);
      const M = c.mantissaBits;
      const carry = sig + (1 << (23 - M - 1)) >= 0x1000000 ? 1 : 0;
      return e + carry - c.emax;
    }
    default: {
      // RCEIL: the smallest s with d ≤ 2^s, d = fl32(amax / maxNormal) (torchao _f32_to_e8m0_rceil).
      f32[0] = 0;
      u32[0] = a;
      const d = Math.fround(f32[0] / c.maxNormal);
      const b = rceilByte(f32ToBits(d));
      return b === 0xff ? 128 : b - 127;
    }
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The E8M0 scale byte MX assigns to a block whose largest magnitude is `amax`: 0xFF when amax is NaN or
 * ±Inf, 0 for a zero block (1 for MXINT8, microxcaling's 2^-126 convention), else `clamp(s, −127, 127) + 127` with
 * s from the scale mode. `amax` is rounded to float32.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for an unknown mode or a negative amax.
 * @example
 * ```ts
 * import { scaleByte, FP8_E4M3, FP4_E2M1 } from '@tessera/mx-formats';
 * scaleByte(150, FP8_E4M3, 'floor'); // → 126
 * scaleByte(150, FP8_E4M3, 'ceil');  // → 127
 * scaleByte(7, FP4_E2M1, 'rceil');   // → 128
 * ```
 */
export function scaleByte(amax: number, element: ElementCodec, mode: ScaleMode = 'floor'): number {
  if (!SCALE_MODES.includes(mode))
    throw new TesseraError('INVALID_ARGUMENT', 'scaleByte', `scaleMode must be one of ${SCALE_MODES.join(', ')}`, mode);
  if (typeof amax !== 'number' || amax < 0) throw new TesseraError('INVALID_ARGUMENT', 'scaleByte', 'amax must be a number >= 0', amax);
  if (typeof element !== 'object' || element === null || typeof element.exponentBits !== 'number' || typeof element.emax !== 'number')
    throw new TesseraError('INVALID_ARGUMENT', 'scaleByte', 'element must be an element codec (e.g. FP8_E4M3)', element);
  const bits = f32ToBits(amax) & 0x7fffffff;
  if (bits >= 0x7f800000) return 0xff;
  if (bits === 0) return element.exponentBits === 0 ? 1 : 0; // zero block: see the kernel (MXINT8 → 2^-126)
  const s = scaleExponentBits(bits, element, mode);
  return (s < -127 ? -127 : s > 127 ? 127 : s) + 127;
}
