// SQNR on N(0,1), 2^20 samples, fixed seed, against a reference table (computed
// with 2^21 samples; sampling noise ≈ ±0.02 dB). Tolerance ±0.1 dB.
import { rng, sqnrDb } from '@tessera/core';
import { describe, expect, test } from 'vitest';
import { dequantizeMXArray, dequantizeNVFP4Array, type MXFormat, quantizeMXArray, quantizeNVFP4Array } from '../src/index.js';

const EXPECTED: [MXFormat, number, number][] = [
  // format, FLOOR dB, RCEIL dB
  ['mxint8', 41.67, 41.61],
  ['mxfp8_e4m3', 30.64, 31.52],
  ['mxfp8_e5m2', 25.35, 25.54],
  ['mxfp6_e2m3', 30.94, 30.96],
  ['mxfp6_e3m2', 25.35, 25.54],
  ['mxfp4_e2m1', 18.78, 18.75],
];

describe('SQNR on N(0,1), 2^20 samples (seed 20261124)', () => {
  const x = rng(20261124).normalArray(2 ** 20);
  for (const [format, floorDb, rceilDb] of EXPECTED) {
    test(`${format}: FLOOR ${floorDb} dB, RCEIL ${rceilDb} dB (±0.1)`, () => {
      const f = sqnrDb(x, dequantizeMXArray(quantizeMXArray(x, [x.length], { format })));
      const r = sqnrDb(x, dequantizeMXArray(quantizeMXArray(x, [x.length], { format, scaleMode: 'rceil' })));
      expect(Math.abs(f - floorDb)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(r - rceilDb)).toBeLessThanOrEqual(0.1);
      // torchao's randn sanity floors (_test_mx): ≥ 18 dB for MXFP8 E4M3, ≥ 13 dB for the others
      expect(f).toBeGreaterThanOrEqual(format === 'mxfp8_e4m3' ? 18 : 13);
    });
  }
  test('NVFP4 two-level and single-level: 20.43 dB (±0.1)', () => {
    for (const tensorScale of ['auto', 'none'] as const) {
      const s = sqnrDb(x, dequantizeNVFP4Array(quantizeNVFP4Array(x, [x.length], { tensorScale })));
      expect(Math.abs(s - 20.43)).toBeLessThanOrEqual(0.1);
    }
  });
});
