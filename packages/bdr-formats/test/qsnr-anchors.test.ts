// QSNR on iid N(0,1), 2^21 samples, fixed seed, against the regression anchors computed from the definitions (exact
// exponents, RNE, saturation, MX block 32; sampling noise ≈ ±0.02 dB): every row within ±0.05 dB, and the orderings
// and design-space steps reported by Rouhani et al. (arXiv:2302.08007 §IV) hold.
import { rng } from '@tessera/core';
import { FP8_E4M3, FP8_E5M2, type MXFormat } from '@tessera/mx-formats';
import { describe, expect, test } from 'vitest';
import {
  BDR_MX4,
  BDR_MX6,
  BDR_MX9,
  type BDRFormat,
  bdrFormat,
  bdrQuantizer,
  bfp,
  mxQuantizer,
  nvfp4Quantizer,
  perTensorQuantizer,
  type Quantizer,
  qsnrBound,
  sweep,
} from '../src/index.js';

const x = rng(20261203).normalArray(2 ** 21);
const db = (q: Quantizer) => sweep([q], x)[0].qsnr;
const near = (got: number, want: number, what: string) =>
  expect(Math.abs(got - want), `${what}: ${got.toFixed(3)} vs ${want}`).toBeLessThanOrEqual(0.05);

const MX: [MXFormat, number, number][] = [
  ['mxint8', 41.67, 41.61],
  ['mxfp8_e4m3', 30.64, 31.52],
  ['mxfp8_e5m2', 25.35, 25.54],
  ['mxfp6_e2m3', 30.94, 30.96],
  ['mxfp6_e3m2', 25.35, 25.54],
  ['mxfp4_e2m1', 18.78, 18.75],
];
const bdr = (k2: number, d2: number, m: number) => bdrFormat({ k1: 16, d1: 8, k2, d2, m });

describe('QSNR anchors on N(0,1), 2^21 samples (±0.05 dB)', () => {
  test('OCP MX (FLOOR / RCEIL), NVFP4, per-tensor FP8', () => {
    for (const [format, f, r] of MX) {
      near(db(mxQuantizer({ format })), f, `${format} floor`);
      near(db(mxQuantizer({ format, scaleMode: 'rceil' })), r, `${format} rceil`);
    }
    near(db(nvfp4Quantizer()), 20.43, 'NVFP4 two-level');
    near(db(nvfp4Quantizer({ tensorScale: 'none' })), 20.43, 'NVFP4 single-level');
    near(db(perTensorQuantizer(FP8_E4M3)), 31.54, 'FP8 E4M3 per-tensor');
    near(db(perTensorQuantizer(FP8_E5M2)), 25.56, 'FP8 E5M2 per-tensor');
  });
  const rows: [string, BDRFormat, number, number | null][] = [
    ['BDR_MX9', BDR_MX9, 46.52, 34.74],
    ['BDR_MX6', BDR_MX6, 28.3, 16.68],
    ['BDR_MX4', BDR_MX4, 15.71, 4.64],
    ['BFP k16 m7', bfp(16, 7), 42.78, 30.1],
    ['BFP k16 m4', bfp(16, 4), 24.69, 12.04],
    ['BFP k16 m2', bfp(16, 2), 12.53, 0.0],
    ['m7 (2,2)', bdr(2, 2, 7), 47.38, null],
    ['m7 (8,1)', bdr(8, 1, 7), 44.08, null],
    ['m7 (4,1)', bdr(4, 1, 7), 45.37, null],
    ['m7 (1,1)', bdr(1, 1, 7), 47.41, null],
    ['m4 (2,2)', bdr(2, 2, 4), 29.09, null],
    ['m4 (8,1)', bdr(8, 1, 4), 25.96, null],
    ['m4 (4,1)', bdr(4, 1, 4), 27.2, null],
    ['m4 (1,1)', bdr(1, 1, 4), 29.13, null],
  ];
  test('BDR and BFP rows, bounds, and every anchor above its Theorem-1 bound', () => {
    const got = sweep(
      rows.map(([, f]) => bdrQuantizer(f)),
      x,
    );
    rows.forEach(([what, f, want, bound], i) => {
      near(got[i].qsnr, want, what);
      if (bound !== null) expect(Math.abs(qsnrBound(f) - bound)).toBeLessThan(0.005);
      expect(got[i].bound).toBe(qsnrBound(f, x.length));
      expect(got[i].qsnr).toBeGreaterThan(got[i].bound as number);
    });
    const q = Object.fromEntries(rows.map(([what], i) => [what, got[i].qsnr]));
    // orderings of [BDR] §IV: MX9 − MSFP16-like ≈ 3.7 dB; MX6 between FP8 E4M3 and E5M2 (per-tensor)
    expect(q.BDR_MX9 - q['BFP k16 m7']).toBeGreaterThan(3.6);
    expect(q.BDR_MX9 - q['BFP k16 m7']).toBeLessThan(3.9);
    expect(q.BDR_MX6).toBeLessThan(db(perTensorQuantizer(FP8_E4M3)));
    expect(q.BDR_MX6).toBeGreaterThan(db(perTensorQuantizer(FP8_E5M2)));
    expect(q.BDR_MX9 - db(perTensorQuantizer(FP8_E4M3))).toBeGreaterThan(14.5);
    // design-space steps from MX9 / MX6: d2 1 → 2 gains (+0.86 / +0.79), k2 8 → 2 (+2.44 / +2.34), k2 2 → 1 (+0.89 / +0.83)
    for (const [m, base] of [
      ['m7', 'BDR_MX9'],
      ['m4', 'BDR_MX6'],
    ]) {
      const d2step = q[`${m} (2,2)`] - q[base];
      const k2step = q[base] - q[`${m} (8,1)`];
      const k1step = q[`${m} (1,1)`] - q[base];
      expect(d2step).toBeGreaterThan(0.6);
      expect(d2step).toBeLessThan(1.0);
      expect(k2step).toBeGreaterThan(2.2);
      expect(k2step).toBeLessThan(2.6);
      expect(k1step).toBeGreaterThan(0.6);
      expect(k1step).toBeLessThan(1.0);
      expect(k2step).toBeGreaterThan(k1step);
      expect(k1step).toBeGreaterThan(0);
    }
  });
});
