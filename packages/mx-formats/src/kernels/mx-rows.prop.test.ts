// The fused encode-and-pack fast paths of the host quantizer against its general per-element path (same bits).
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { dequantizeMXArray, packingOf, quantizeMXArray } from '../mx-tensor.js';
import { MX_FORMATS, resolveMXOptions } from '../options.js';
import { SCALE_MODES } from '../scale.js';
import { type MXPacking, quantizeRowsJs as quantizeRows } from './mx-rows.js';

/** float32 bit patterns biased toward the hard cases: element-subnormal ranges, FP32 subnormals, ±0, ties, NaN/±Inf. */
/** Few significant bits (grid points and exact ties), optionally with the last bit set (just above a tie). */
const shortArb = fc
  .tuple(
    fc.integer({ min: 122, max: 130 }),
    fc.oneof(fc.constantFrom(0, 8, 16, 24), fc.integer({ min: 0, max: 31 })),
    fc.constantFrom(0, 0, 1),
  )
  .map(([e, m, low]) => ((e << 23) | (m << 18) | low) >>> 0);
const bitsArb = fc.oneof(
  { weight: 16, arbitrary: shortArb },
  { weight: 3, arbitrary: fc.integer({ min: 0x3c000000, max: 0x41000000 }) }, // about 2^-7 … 8
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x7fffffff }) }, // anything (NaN/Inf blocks are rare)
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x007fffff }) }, // FP32 subnormals
  { weight: 1, arbitrary: fc.integer({ min: 0x00800000, max: 0x02000000 }) }, // smallest normals (tiny scales)
  { weight: 1, arbitrary: fc.constantFrom(0, 0x3f900000, 0x3fa00000, 0x3e800000, 0x40a00000, 0x7f7fffff) },
);
const valuesArb = fc
  .integer({ min: 1, max: 96 })
  .chain((n) => fc.array(fc.tuple(bitsArb, fc.boolean()), { minLength: n, maxLength: n }))
  .map((v) => {
    const u = new Uint32Array(v.map(([b, neg]) => (neg ? (b | 0x80000000) >>> 0 : b)));
    return new Float32Array(u.buffer);
  });

test.prop(
  [
    valuesArb,
    fc.constantFrom(...MX_FORMATS),
    fc.constantFrom(1, 2, 3, 4, 6, 8, 16, 32),
    fc.constantFrom(...SCALE_MODES),
    fc.constantFrom('even' as const, 'nearest' as const, 'floor' as const),
    fc.constantFrom('packed' as const, 'unpacked' as const),
    fc.integer({ min: 1, max: 3 }),
  ],
  { numRuns: 1000 },
)(
  'fused fast path = general path, every packing, rounding and scale mode',
  (x, format, blockSize, scaleMode, rounding, fp6Packing, rows) => {
    const L = Math.max(1, Math.floor(x.length / rows));
    const src = x.subarray(0, rows * L);
    const o = resolveMXOptions({ format, blockSize, scaleMode, rounding, fp6Packing }, 1, 'test');
    const packing: MXPacking = packingOf(format, fp6Packing);
    const fast = quantizeRows(src, rows, L, o, packing);
    const slow = quantizeRows(src, rows, L, o, packing, true);
    expect(Array.from(fast.scales)).toEqual(Array.from(slow.scales));
    expect(Array.from(fast.data)).toEqual(Array.from(slow.data));
  },
);

test.prop([valuesArb, fc.constantFrom(...MX_FORMATS), fc.constantFrom(1, 3, 4, 8, 16, 32), fc.integer({ min: 1, max: 3 })], {
  numRuns: 150,
})('dequantize reads the same values from data at any byte offset (word reads vs byte reads)', (x, format, blockSize, off) => {
  const m = quantizeMXArray(x, [x.length], { format, blockSize });
  const moved = new Uint8Array(m.data.length + off);
  moved.set(m.data, off);
  const shifted = { ...m, data: moved.subarray(off) };
  const a = new Uint32Array(dequantizeMXArray(m).buffer);
  const b = new Uint32Array(dequantizeMXArray(shifted).buffer);
  expect(Array.from(b)).toEqual(Array.from(a));
});
