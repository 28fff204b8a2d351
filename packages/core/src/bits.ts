/**
 * Float bit-level helpers: float32 ⇄ bits, exact binary exponents, and float16 / bfloat16 conversion with
 * round-to-nearest-even. All scalar helpers treat their input as a float32 (`Math.fround` is applied first).
 */

import { describe, TesseraError } from './errors.js';

function notNumber(fn: string, name: string, v: unknown): never {
  throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a number`, describe(v));
}

type ArrayCtor = Float32ArrayConstructor | Uint16ArrayConstructor;
function checkArrays(fn: string, src: unknown, Src: ArrayCtor, out: unknown, Out: ArrayCtor): void {
  if (!(src instanceof Src)) throw new TesseraError('INVALID_ARGUMENT', fn, `src must be a ${Src.name}`, describe(src));
  if (out !== undefined && (!(out instanceof Out) || out.length < src.length))
    throw new TesseraError('INVALID_ARGUMENT', fn, `out must be a ${Out.name} of at least ${src.length} elements`, describe(out));
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * Returns the IEEE-754 bit pattern of `x` rounded to float32, as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { f32ToBits } from '@tessera/core';
 * f32ToBits(1);   // → 0x3f800000
 * f32ToBits(-0);  // → 0x80000000
 * ```
 */
export function f32ToBits(x: number): number {
  if (typeof x !== 'number') notNumber('f32ToBits', 'x', x);
  scratchF32[0] = x;
  return scratchU32[0];
}

/**
 * Returns the float32 value whose IEEE-754 bit pattern is `bits` (the low 32 bits are used).
 *
 * @example
 * ```ts
 * import { bitsToF32 } from '@tessera/core';
 * bitsToF32(0x3f800000); // → 1
 * bitsToF32(0x00000001); // → 1.401298464324817e-45 (smallest subnormal)
 * ```
 */
export function bitsToF32(bits: number): number {
  if (typeof bits !== 'number') notNumber('bitsToF32', 'bits', bits);
  scratchU32[0] = bits >>> 0;
  return scratchF32[0];
}

/**
 * A zero-copy `Uint32Array` view of a `Float32Array`'s bits (same buffer, offset and length).
 *
 * @example
 * ```ts
 * import { bitsView } from '@tessera/core';
 * const x = new Float32Array([1, -2]);
 * bitsView(x)[0]; // → 0x3f800000
 * ```
 */
export function bitsView(x: Float32Array): Uint32Array {
  if (!(x instanceof Float32Array)) throw new TesseraError('INVALID_ARGUMENT', 'bitsView', 'x must be a Float32Array', describe(x));
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/**
 * Exact `floor(log2(|x|))` of `x` rounded to float32, read from the exponent bits (no `Math.log2`, so no
 * rounding error near powers of two). Subnormals are handled: `floorLog2(2 ** -149) === -149`.
 * Returns `-Infinity` for ±0, `Infinity` for ±Infinity and `NaN` for NaN.
 *
 * @example
 * ```ts
 * import { floorLog2 } from '@tessera/core';
 * floorLog2(1);        // → 0
 * floorLog2(0.75);     // → -1
 * floorLog2(-6);       // → 2
 * floorLog2(2 ** -140); // → -140 (float32 subnormal)
 * ```
 */
export function floorLog2(x: number): number {
  if (typeof x !== 'number') notNumber('floorLog2', 'x', x);
  return floorLog2Bits(f32ToBits(x));
}

/**
 * {@link floorLog2} on a float32 bit pattern (for hot loops that already hold a `Uint32Array` view).
 *
 * @example
 * ```ts
 * import { floorLog2Bits } from '@tessera/core';
 * floorLog2Bits(0x40c00000); // 6.0 → 2
 * ```
 */
export function floorLog2Bits(bits: number): number {
  if (typeof bits !== 'number') notNumber('floorLog2Bits', 'bits', bits);
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  if (exp !== 0) return exp - 127;
  if (mant === 0) return Number.NEGATIVE_INFINITY;
  // subnormal: value = mant · 2^-149, and the highest set bit of mant is bit (31 - clz32(mant)).
  return 31 - Math.clz32(mant) - 149;
}

/**
 * Converts a float32 bit pattern to a float16 bit pattern with round-to-nearest-even. Overflow gives ±Inf,
 * underflow gives float16 subnormals or ±0, NaN stays NaN (quiet, sign kept).
 *
 * @example
 * ```ts
 * import { f32BitsToF16Bits, f32ToBits } from '@tessera/core';
 * f32BitsToF16Bits(f32ToBits(1));     // → 0x3c00
 * f32BitsToF16Bits(f32ToBits(65520)); // → 0x7c00 (the tie above 65504 rounds to Inf)
 * ```
 */
export function f32BitsToF16Bits(bits: number): number {
  if (typeof bits !== 'number') notNumber('f32BitsToF16Bits', 'bits', bits);
  const x = bits >>> 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = mant & ((1 << shift) - 1);
    let r = mant >>> shift;
    if (rem > half || (rem === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1)) r++; // a carry into the exponent is correct, up to Inf
  return sign | r;
}

/**
 * Converts a float16 bit pattern to the float32 bit pattern of the same value (exact).
 *
 * @example
 * ```ts
 * import { f16BitsToF32Bits, bitsToF32 } from '@tessera/core';
 * bitsToF32(f16BitsToF32Bits(0x3c00)); // → 1
 * bitsToF32(f16BitsToF32Bits(0x0001)); // → 2 ** -24
 * ```
 */
export function f16BitsToF32Bits(h: number): number {
  if (typeof h !== 'number') notNumber('f16BitsToF32Bits', 'h', h);
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // subnormal: normalise
  const p = 31 - Math.clz32(mant); // value = mant · 2^-24 = 1.f · 2^(p - 24)
  const m = (mant << (10 - p)) & 0x3ff;
  return (sign | ((p + 103) << 23) | (m << 13)) >>> 0;
}

/**
 * Converts a float32 bit pattern to a bfloat16 bit pattern with round-to-nearest-even (NaN stays a quiet NaN).
 *
 * @example
 * ```ts
 * import { f32BitsToBf16Bits, f32ToBits } from '@tessera/core';
 * f32BitsToBf16Bits(f32ToBits(1)); // → 0x3f80
 * ```
 */
export function f32BitsToBf16Bits(bits: number): number {
  if (typeof bits !== 'number') notNumber('f32BitsToBf16Bits', 'bits', bits);
  const x = bits >>> 0;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Converts a bfloat16 bit pattern to the float32 bit pattern of the same value (exact).
 *
 * @example
 * ```ts
 * import { bf16BitsToF32Bits, bitsToF32 } from '@tessera/core';
 * bitsToF32(bf16BitsToF32Bits(0x3f80)); // → 1
 * ```
 */
export function bf16BitsToF32Bits(b: number): number {
  if (typeof b !== 'number') notNumber('bf16BitsToF32Bits', 'b', b);
  return ((b & 0xffff) << 16) >>> 0;
}

/**
 * Rounds every element of a `Float32Array` to float16 (round-to-nearest-even) and returns the bit patterns.
 *
 * @example
 * ```ts
 * import { float32ToFloat16Bits } from '@tessera/core';
 * float32ToFloat16Bits(new Float32Array([1, -2])); // → Uint16Array [0x3c00, 0xc000]
 * ```
 */
export function float32ToFloat16Bits(src: Float32Array, out?: Uint16Array): Uint16Array {
  checkArrays('float32ToFloat16Bits', src, Float32Array, out, Uint16Array);
  const dst = out ?? new Uint16Array(src.length);
  const u = bitsView(src);
  for (let i = 0; i < u.length; i++) dst[i] = f32BitsToF16Bits(u[i]);
  return dst;
}

/**
 * Decodes float16 bit patterns into a `Float32Array` (exact).
 *
 * @example
 * ```ts
 * import { float16BitsToFloat32 } from '@tessera/core';
 * float16BitsToFloat32(new Uint16Array([0x3c00])); // → Float32Array [1]
 * ```
 */
export function float16BitsToFloat32(src: Uint16Array, out?: Float32Array): Float32Array {
  checkArrays('float16BitsToFloat32', src, Uint16Array, out, Float32Array);
  const dst = out ?? new Float32Array(src.length);
  const o = bitsView(dst);
  for (let i = 0; i < src.length; i++) o[i] = f16BitsToF32Bits(src[i]);
  return dst;
}

/**
 * Rounds every element of a `Float32Array` to bfloat16 (round-to-nearest-even) and returns the bit patterns.
 *
 * @example
 * ```ts
 * import { float32ToBfloat16Bits } from '@tessera/core';
 * float32ToBfloat16Bits(new Float32Array([1])); // → Uint16Array [0x3f80]
 * ```
 */
export function float32ToBfloat16Bits(src: Float32Array, out?: Uint16Array): Uint16Array {
  checkArrays('float32ToBfloat16Bits', src, Float32Array, out, Uint16Array);
  const dst = out ?? new Uint16Array(src.length);
  const u = bitsView(src);
  for (let i = 0; i < u.length; i++) dst[i] = f32BitsToBf16Bits(u[i]);
  return dst;
}

/**
 * Decodes bfloat16 bit patterns into a `Float32Array` (exact).
 *
 * @example
 * ```ts
 * import { bfloat16BitsToFloat32 } from '@tessera/core';
 * bfloat16BitsToFloat32(new Uint16Array([0x3f80])); // → Float32Array [1]
 * ```
 */
export function bfloat16BitsToFloat32(src: Uint16Array, out?: Float32Array): Float32Array {
  checkArrays('bfloat16BitsToFloat32', src, Uint16Array, out, Float32Array);
  const dst = out ?? new Float32Array(src.length);
  const o = bitsView(dst);
  for (let i = 0; i < src.length; i++) o[i] = (src[i] << 16) >>> 0;
  return dst;
}
