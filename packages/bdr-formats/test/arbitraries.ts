// fast-check arbitraries for BDR formats and data.
import fc from 'fast-check';
import { type BDRFormat, bdrFormat } from '../src/format.js';

/** A valid format with small blocks (k1 ≤ 32), any d1 in 1..8, d2 in 0..4, m in 1..23 (biased to small m). */
export const formatArb: fc.Arbitrary<BDRFormat> = fc
  .record({
    k1exp: fc.integer({ min: 0, max: 5 }),
    k2exp: fc.integer({ min: 0, max: 5 }),
    odd: fc.constantFrom(1, 1, 1, 3),
    d1: fc.oneof(fc.constant(8), fc.integer({ min: 1, max: 8 })),
    d2: fc.integer({ min: 0, max: 4 }),
    m: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 23 })),
  })
  .map(({ k1exp, k2exp, odd, d1, d2, m }) => {
    const k2 = 2 ** Math.min(k1exp, k2exp);
    return bdrFormat({ k1: 2 ** k1exp * odd, d1, k2, d2, m });
  });

/** float32 values of wide dynamic range: log-uniform magnitudes, zeros, subnormals, and exact small grids. */
export function valueArb(o: { nonFinite?: boolean } = {}): fc.Arbitrary<number> {
  const parts: fc.Arbitrary<number>[] = [
    fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: -30, max: 30 })).map(([v, e]) => Math.fround(v * 2 ** e)),
    fc.tuple(fc.integer({ min: -255, max: 255 }), fc.integer({ min: -10, max: 4 })).map(([q, e]) => Math.fround(q * 2 ** e)),
    fc.constantFrom(0, -0, 2 ** -149, -(2 ** -140), 2 ** -126, 1.5 * 2 ** -127),
    fc.float({ noNaN: true, noDefaultInfinity: true }),
  ];
  if (o.nonFinite) parts.push(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
  return fc.oneof(...parts);
}

/** A row of 1..80 values. */
export function rowArb(o: { nonFinite?: boolean; maxLength?: number } = {}): fc.Arbitrary<Float32Array> {
  return fc.array(valueArb(o), { minLength: 1, maxLength: o.maxLength ?? 80 }).map((a) => Float32Array.from(a));
}

/** Standard-normal-ish rows with per-row scale 2^e (no subnormals, no overflow). */
export function normalRowArb(): fc.Arbitrary<Float32Array> {
  return fc
    .tuple(fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 64 }), fc.integer({ min: -20, max: 20 }))
    .map(([a, e]) => Float32Array.from(a, (v) => Math.fround(v * 2 ** e)));
}
