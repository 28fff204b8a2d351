// float32 bit patterns biased toward the hard cases of block quantization: exact ties and grid points, FP32
// subnormals, the smallest normals (tiny scales), ±0, the largest finite value, NaN and ±Inf.
import { fc } from '@fast-check/vitest';

const shortArb = fc
  .tuple(
    fc.integer({ min: 100, max: 135 }),
    fc.oneof(fc.constantFrom(0, 8, 16, 24), fc.integer({ min: 0, max: 31 })),
    fc.constantFrom(0, 0, 1),
  )
  .map(([e, m, low]) => ((e << 23) | (m << 18) | low) >>> 0);
const bitsArb = fc.oneof(
  { weight: 12, arbitrary: shortArb },
  { weight: 3, arbitrary: fc.integer({ min: 0x3c000000, max: 0x41000000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x7fffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x007fffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x00800000, max: 0x02000000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0x3f900000, 0x3fa00000, 0x3e800000, 0x40a00000, 0x7f7fffff, 0x7f800000, 0x7fc00000) },
);

/** A Float32Array of 1…maxLength values from the hard-case bit patterns (either sign). */
export function hardFloat32Arb(maxLength = 96): fc.Arbitrary<Float32Array> {
  return fc
    .integer({ min: 1, max: maxLength })
    .chain((n) => fc.array(fc.tuple(bitsArb, fc.boolean()), { minLength: n, maxLength: n }))
    .map((v) => new Float32Array(new Uint32Array(v.map(([b, neg]) => (neg ? (b | 0x80000000) >>> 0 : b))).buffer));
}

/** Bit-level equality of two float32 arrays (NaN payloads included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}
