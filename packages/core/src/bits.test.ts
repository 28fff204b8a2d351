import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float32Arb } from '../../testing/src/arbitraries.js';
import { decodeFloat16, floorLog2Reference, roundToBfloat16, roundToFloat16 } from '../test/reference/float16.js';
import {
  bf16BitsToF32Bits,
  bfloat16BitsToFloat32,
  bitsToF32,
  bitsView,
  f16BitsToF32Bits,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  f32ToBits,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  floorLog2,
  floorLog2Bits,
} from './bits.js';

const f16Value = (x: number) => bitsToF32(f16BitsToF32Bits(f32BitsToF16Bits(f32ToBits(x))));

describe('float32 bits', () => {
  it('round-trips known patterns', () => {
    expect(f32ToBits(1)).toBe(0x3f800000);
    expect(f32ToBits(-0)).toBe(0x80000000);
    expect(f32ToBits(Number.NEGATIVE_INFINITY)).toBe(0xff800000);
    expect(bitsToF32(0x00000001)).toBe(2 ** -149);
    expect(Object.is(bitsToF32(0x80000000), -0)).toBe(true);
    const a = new Float32Array([1, -2]);
    expect(Array.from(bitsView(a))).toEqual([0x3f800000, 0xc0000000]);
  });
  it('bits round trip for every float32 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (b) => {
        const x = bitsToF32(b);
        return Number.isNaN(x) || f32ToBits(x) === b;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('floorLog2', () => {
  it('handles powers of two, neighbours, subnormals and specials', () => {
    expect(floorLog2(1)).toBe(0);
    expect(floorLog2(0.75)).toBe(-1);
    expect(floorLog2(-6)).toBe(2);
    expect(floorLog2(2 ** -149)).toBe(-149);
    expect(floorLog2(2 ** -127)).toBe(-127);
    expect(floorLog2(2 ** -126)).toBe(-126);
    expect(floorLog2(bitsToF32(0x007fffff))).toBe(-127);
    expect(floorLog2(bitsToF32(0x3f7fffff))).toBe(-1); // just below 1: Math.log2 would round to 0
    expect(floorLog2(3.4028234663852886e38)).toBe(127);
    expect(floorLog2(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(floorLog2(-0)).toBe(Number.NEGATIVE_INFINITY);
    expect(floorLog2(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(floorLog2(Number.NaN)).toBeNaN();
    expect(floorLog2Bits(0x40c00000)).toBe(2);
  });
  it('equals the float64 power-walk reference on every kind of float32', () => {
    fc.assert(
      fc.property(float32Arb({ infinities: true, nan: true }), (x) => {
        const got = floorLog2(x);
        const want = floorLog2Reference(x);
        return Number.isNaN(want) ? Number.isNaN(got) : got === want;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('float16', () => {
  it('decodes all 65536 codes exactly and re-encodes them (exhaustive)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const want = decodeFloat16(h);
      const got = bitsToF32(f16BitsToF32Bits(h));
      if (Number.isNaN(want)) {
        expect(got).toBeNaN();
        expect(f32BitsToF16Bits(f16BitsToF32Bits(h)) & 0x7c00).toBe(0x7c00);
        continue;
      }
      if (!Object.is(got, want)) expect({ h, got }).toEqual({ h, got: want });
      if (f32BitsToF16Bits(f16BitsToF32Bits(h)) !== h) expect(f32BitsToF16Bits(f16BitsToF32Bits(h))).toBe(h);
    }
  });
  it('rounds every midpoint between adjacent float16 values to even (exhaustive over positive finite codes)', () => {
    for (let h = 0; h < 0x7bff; h++) {
      const lo = decodeFloat16(h);
      const hi = decodeFloat16(h + 1);
      const mid = (lo + hi) / 2; // exact in float32 for float16 neighbours
      expect(Math.fround(mid)).toBe(mid);
      const want = h % 2 === 0 ? h : h + 1;
      const got = f32BitsToF16Bits(f32ToBits(mid));
      if (got !== want) expect({ h, got }).toEqual({ h, got: want });
    }
  });
  it('handles overflow, underflow and NaN', () => {
    expect(f32BitsToF16Bits(f32ToBits(65504))).toBe(0x7bff);
    expect(f32BitsToF16Bits(f32ToBits(65519.996))).toBe(0x7bff);
    expect(f32BitsToF16Bits(f32ToBits(65520))).toBe(0x7c00);
    expect(f32BitsToF16Bits(f32ToBits(-1e10))).toBe(0xfc00);
    expect(f32BitsToF16Bits(f32ToBits(2 ** -25))).toBe(0x0000); // tie with 0 → even
    expect(f32BitsToF16Bits(f32ToBits(-(2 ** -25) * 1.0001))).toBe(0x8001);
    expect(f32BitsToF16Bits(f32ToBits(2 ** -149))).toBe(0);
    expect(f32BitsToF16Bits(0x7fc00000) & 0x7e00).toBe(0x7e00);
    expect(f32BitsToF16Bits(0xffc00001) & 0xfe00).toBe(0xfe00);
  });
  it('equals the naive float64 rounding reference (property)', () => {
    fc.assert(
      fc.property(float32Arb({ infinities: true, min: -70000, max: 70000 }), (x) => {
        const got = f16Value(x);
        const want = roundToFloat16(x);
        return Object.is(got, want);
      }),
      { numRuns: 5000 },
    );
  });
  it('array helpers agree with the scalar ones', () => {
    const src = new Float32Array([1, -2.5, 1e-6, 70000, Number.NaN]);
    const h = float32ToFloat16Bits(src);
    expect(Array.from(h.slice(0, 4))).toEqual([0x3c00, 0xc100, f32BitsToF16Bits(f32ToBits(1e-6)), 0x7c00]);
    const back = float16BitsToFloat32(h);
    expect(back[0]).toBe(1);
    expect(back[1]).toBe(-2.5);
    expect(back[4]).toBeNaN();
  });
});

describe('bfloat16', () => {
  it('equals the naive reference (property) and decodes exactly', () => {
    fc.assert(
      fc.property(float32Arb({ infinities: true }), (x) => {
        const got = bitsToF32(bf16BitsToF32Bits(f32BitsToBf16Bits(f32ToBits(x))));
        return Object.is(got, roundToBfloat16(Math.fround(x)));
      }),
      { numRuns: 5000 },
    );
  });
  it('rounds ties to even and keeps NaN quiet', () => {
    expect(f32BitsToBf16Bits(0x3f808000)).toBe(0x3f80); // tie, even stays
    expect(f32BitsToBf16Bits(0x3f818000)).toBe(0x3f82); // tie, odd rounds up
    expect(f32BitsToBf16Bits(0x7f7fffff)).toBe(0x7f80); // overflow to Inf
    expect(f32BitsToBf16Bits(0x7f800001) & 0x7fc0).toBe(0x7fc0);
    const arr = float32ToBfloat16Bits(new Float32Array([1, -3]));
    expect(Array.from(bfloat16BitsToFloat32(arr))).toEqual([1, -3]);
  });
});
