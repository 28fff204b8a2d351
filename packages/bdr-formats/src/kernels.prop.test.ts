// The fast paths of the host kernels (pairs with round-half-even; byte-code dequantize; code tables) against the
// general paths of the same kernels and against the naive reference: bit-equal fields and values.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { normalRowArb, rowArb } from '../test/arbitraries.js';
import { refFakeQuantize } from '../test/reference/bdr.js';
import { BDR_MX4, BDR_MX6, BDR_MX9, bdrFormat } from './format.js';
import { dequantizeRows, quantizeRowsPacked } from './kernels/bdr-kernel.js';

const pairFormats = fc.oneof(
  fc.constantFrom(BDR_MX9, BDR_MX6, BDR_MX4),
  fc
    .record({ k1e: fc.integer({ min: 1, max: 6 }), m: fc.integer({ min: 1, max: 11 }) })
    .map(({ k1e, m }) => bdrFormat({ k1: 2 ** k1e, d1: 8, k2: 2, d2: 1, m })),
);
const o = { rounding: 'even' as const, clamp: 'field' as const };

describe('fast paths = general paths = reference', () => {
  test.prop([pairFormats, fc.oneof(rowArb({ maxLength: 128 }), normalRowArb()), fc.integer({ min: 1, max: 3 })], { numRuns: 300 })(
    'quantize+pack (pairs, RNE) and dequantize (byte codes / tables)',
    (f, x0, rows) => {
      // whole blocks so the fast paths apply
      const L = Math.ceil(x0.length / f.k1) * f.k1;
      const x = new Float32Array(rows * L);
      for (let i = 0; i < x.length; i++) x[i] = x0[(i * 7) % x0.length] * (i % 3 === 0 ? -1 : 1);
      const fast = quantizeRowsPacked(x, rows, L, f, o, 'test');
      const gen = quantizeRowsPacked(x, rows, L, f, o, 'test', true);
      expect(Array.from(fast.exponents)).toEqual(Array.from(gen.exponents));
      expect(Array.from(fast.microexponents)).toEqual(Array.from(gen.microexponents));
      expect(Array.from(fast.mantissas)).toEqual(Array.from(gen.mantissas));
      const a = new Float32Array(x.length);
      const b = new Float32Array(x.length);
      dequantizeRows(fast, rows, L, f, a);
      dequantizeRows(fast, rows, L, f, b, true);
      expect(new Uint32Array(a.buffer)).toEqual(new Uint32Array(b.buffer));
      const r = Float32Array.from(refFakeQuantize(Array.from(x.subarray(0, L)), f));
      expect(new Uint32Array(a.buffer, 0, L)).toEqual(new Uint32Array(r.buffer));
    },
  );
});
