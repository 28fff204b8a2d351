// qsnr, qsnrBound, quantizers, sweep and paretoFront.
import { fc, test as ftest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng, TesseraError } from '@tessera/core';
import { ELEMENT_CODECS, FP8_E4M3, INT8_MX } from '@tessera/mx-formats';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, test } from 'vitest';
import { formatArb } from '../test/arbitraries.js';
import { refFakeQuantize, refQsnr } from '../test/reference/bdr.js';
import {
  BDR_MX4,
  BDR_MX6,
  BDR_MX9,
  bdrFormat,
  bdrQuantizer,
  bfp,
  fakeQuantizeBDR,
  MSFP16,
  mxQuantizer,
  nvfp4Quantizer,
  paretoFront,
  perTensorQuantizer,
  qsnr,
  qsnrBound,
  sweep,
} from './index.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof TesseraError ? e.code : e;
  }
  return 'no error';
};

describe('qsnr', () => {
  test('definition: −10·log10(Σ(x̂ − x)² / Σx²), arrays and tensors', () => {
    const x = new Float32Array([1, 2, 3, 4]);
    const y = new Float32Array([1, 2, 3, 4.5]);
    expect(qsnr(x, y)).toBeCloseTo(10 * Math.log10(30 / 0.25), 12);
    expect(qsnr(x, x)).toBe(Number.POSITIVE_INFINITY);
    expectNoLeaks(() =>
      tf.tidy(() => {
        expect(qsnr(tf.tensor(x), tf.tensor(y))).toBe(qsnr(x, y));
      }),
    );
    const r = rng(2).normalArray(1000);
    const q = bdrQuantizer(BDR_MX6).fakeQuantize(r);
    expect(qsnr(r, q)).toBeCloseTo(refQsnr(r, q), 10);
  });
  test('errors', () => {
    expect(code(() => qsnr(new Float32Array(3), new Float32Array(3)))).toBe('INVALID_ARGUMENT');
    expect(code(() => qsnr(new Float32Array(3), new Float32Array(2)))).toBe('INVALID_SHAPE');
    expect(code(() => qsnr(new Float32Array([1, Number.NaN]), new Float32Array(2)))).toBe('INVALID_ARGUMENT');
    expect(code(() => qsnr([1, 2] as never, new Float32Array(2)))).toBe('INVALID_ARGUMENT');
    expectNoLeaks(() =>
      tf.tidy(() => {
        expect(code(() => qsnr(tf.ones([2, 3]), tf.ones([3, 2])))).toBe('INVALID_SHAPE');
        expect(code(() => qsnr(tf.ones([2], 'int32'), tf.ones([2])))).toBe('INVALID_DTYPE');
      }),
    );
  });
});

describe('qsnrBound (Theorem 1)', () => {
  test('formula values', () => {
    expect(qsnrBound(BDR_MX9)).toBeCloseTo(6.02 * 7 + 10 * Math.log10(4 / (16 + 3 * 2)), 12);
    expect(qsnrBound(MSFP16)).toBeCloseTo(6.02 * 7 - 10 * Math.log10(16), 12);
    expect(qsnrBound(MSFP16, 4)).toBeCloseTo(6.02 * 7 - 10 * Math.log10(4), 12);
    expect([qsnrBound(BDR_MX9), qsnrBound(BDR_MX6), qsnrBound(BDR_MX4)].map((v) => v.toFixed(2))).toEqual(['34.74', '16.68', '4.64']);
    expect(code(() => qsnrBound(BDR_MX9, 0))).toBe('INVALID_ARGUMENT');
    expect(code(() => qsnrBound(BDR_MX9, 2.5))).toBe('INVALID_ARGUMENT');
  });
  ftest.prop([formatArb.filter((f) => f.d1 === 8), fc.integer({ min: 0, max: 2 ** 31 - 1 })], { numRuns: 60 })(
    'QSNR ≥ bound on random Gaussian vectors',
    (f, seed) => {
      const x = rng(seed).normalArray(4096);
      expect(qsnr(x, bdrQuantizer(f).fakeQuantize(x))).toBeGreaterThanOrEqual(qsnrBound(f, x.length));
    },
  );
});

describe('quantizers', () => {
  test('bdrQuantizer equals the reference and fakeQuantizeBDR', async () => {
    const x = rng(3).normalArray(100);
    for (const f of [BDR_MX9, BDR_MX4, bfp(8, 3)]) {
      const y = bdrQuantizer(f).fakeQuantize(x);
      expect(Array.from(y)).toEqual(refFakeQuantize(Array.from(x), f));
      // read asynchronously: with @tessera/webgpu's kernels registered the result stays on the GPU
      const t = tf.tidy(() => fakeQuantizeBDR(tf.tensor1d(x), f));
      const got = Array.from(await t.data());
      t.dispose();
      expect(got).toEqual(Array.from(y));
    }
    expect(bdrQuantizer(BDR_MX6, { clamp: 'quark' }).name).toBe('BDR_MX6 (clamp quark)');
  });
  test('perTensorQuantizer equals the codec encode/decode of x/s (every element codec)', () => {
    const x = rng(4).normalArray(3000);
    x[0] = 0;
    x[1] = -0;
    x[2] = 1e-30;
    for (const codec of Object.values(ELEMENT_CODECS)) {
      let amax = 0;
      for (const v of x) amax = Math.max(amax, Math.abs(v));
      const s = amax / codec.maxNormal;
      const want = Array.from(x, (v) => Math.fround(codec.decode(codec.encode(v / s, { saturate: true })) * s));
      const got = Array.from(perTensorQuantizer(codec).fakeQuantize(x));
      for (let i = 0; i < got.length; i++)
        expect(got[i] === want[i] || (got[i] === 0 && want[i] === 0), `${codec.name} [${i}] ${x[i]}: ${got[i]} vs ${want[i]}`).toBe(true);
    }
    expect(perTensorQuantizer(INT8_MX).bitsPerElement).toBe(8);
    expect(Array.from(perTensorQuantizer(FP8_E4M3).fakeQuantize(new Float32Array([448, 400, -1])))).toEqual([448, 384, -1]);
  });
  test('mx and nvfp4 quantizers: names, costs, values', () => {
    expect(mxQuantizer({ format: 'mxfp4_e2m1' }).bitsPerElement).toBe(4.25);
    expect(mxQuantizer({ format: 'mxfp8_e4m3', scaleMode: 'rceil' }).name).toBe('MXFP8_E4M3 rceil');
    expect(Array.from(mxQuantizer({ format: 'mxfp4_e2m1' }).fakeQuantize(new Float32Array([7, 1, 0.3])))).toEqual([6, 1, 0.5]);
    expect(Array.from(nvfp4Quantizer({ tensorScale: 'none' }).fakeQuantize(new Float32Array([6, 3, -1.5, 0.25])))).toEqual([6, 3, -1.5, 0]);
    expect(code(() => mxQuantizer({ format: 'mxfp9' as never }))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantizer({ format: 'mxfp8_e4m3', blockSize: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => perTensorQuantizer({} as never))).toBe('INVALID_ARGUMENT');
  });
});

describe('sweep and paretoFront', () => {
  const data = rng(9).normalArray(8192);
  test('grid: valid combinations only, deduplicated, sorted; rows carry bound and format', () => {
    const rows = sweep({ k1: [16, 32], d1: [8], k2: [2, 3, 16], d2: [0, 1], m: [4, 7] }, data, { sortBy: 'qsnr' });
    // k2 = 3 never divides; d2 = 0 rows collapse to BFP: per (k1, m): BFP + k2 ∈ {2, 16} with d2 = 1
    expect(rows.length).toBe(2 * 2 * 3);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1].qsnr).toBeGreaterThanOrEqual(rows[i].qsnr);
    for (const r of rows) {
      expect(r.format).toBeDefined();
      expect(r.bound).toBeCloseTo(qsnrBound(r.format!, data.length), 12);
      expect(r.qsnr).toBeGreaterThan(r.bound!);
    }
    // a k2 that never divides k1 still leaves the BFP rows (d2 = 0)
    expect(sweep({ k1: [16], d1: [8], k2: [3], d2: [0, 1], m: [4] }, data).map((r) => r.name)).toEqual(['BFP(k=16,m=4,d1=8)']);
    const byBits = sweep({ k1: [16], d1: [8], k2: [2], d2: [0, 1], m: [2, 4, 7] }, data, { sortBy: 'bits' });
    expect(byBits.map((r) => r.bitsPerElement)).toEqual([3.5, 4, 5.5, 6, 8.5, 9]);
  });
  test('quantizer lists keep their order without sortBy; QSNR equals qsnr of the fake quantization', () => {
    const qs = [bdrQuantizer(BDR_MX4), mxQuantizer({ format: 'mxfp8_e4m3' }), perTensorQuantizer(FP8_E4M3)];
    const rows = sweep(qs, data);
    expect(rows.map((r) => r.name)).toEqual(['BDR_MX4', 'MXFP8_E4M3', 'FP8_E4M3 per-tensor']);
    for (let i = 0; i < rows.length; i++) expect(rows[i].qsnr).toBe(qsnr(data, qs[i].fakeQuantize(data)));
    expect(rows[1].bound).toBeUndefined();
  });
  test('pareto front', () => {
    const rows = [
      { name: 'a', bitsPerElement: 4, qsnr: 15 },
      { name: 'b', bitsPerElement: 6, qsnr: 14 },
      { name: 'c', bitsPerElement: 9, qsnr: 46 },
      { name: 'd', bitsPerElement: 9, qsnr: 40 },
      { name: 'e', bitsPerElement: 8.5, qsnr: 42 },
    ];
    expect(paretoFront(rows).map((r) => r.name)).toEqual(['a', 'e', 'c']);
    // k2 = k1 with d2 = 1 has plain BFP's values at a higher cost: dominated
    const dominated = bdrFormat({ k1: 16, d1: 8, k2: 16, d2: 1, m: 4 });
    const sw = sweep(
      [bdrQuantizer(BDR_MX9), bdrQuantizer(BDR_MX6), bdrQuantizer(BDR_MX4), bdrQuantizer(bfp(16, 4)), bdrQuantizer(dominated)],
      data,
    );
    expect(paretoFront(sw).map((r) => r.name)).toEqual(['BDR_MX4', 'BFP(k=16,m=4,d1=8)', 'BDR_MX6', 'BDR_MX9']);
  });
  test('errors', () => {
    expect(code(() => sweep([], [1] as never))).toBe('INVALID_DTYPE');
    expect(code(() => sweep([], new Float32Array(4)))).toBe('INVALID_ARGUMENT');
    expect(code(() => sweep([], new Float32Array([1, Number.NaN])))).toBe('INVALID_ARGUMENT');
    expect(code(() => sweep([], data, { sortBy: 'name' as never }))).toBe('INVALID_ARGUMENT');
    expect(code(() => sweep({ k1: [16], d1: [9], k2: [2], d2: [1], m: [4] }, data))).toBe('INVALID_ARGUMENT');
    expect(code(() => sweep({ k1: [], d1: [8], k2: [2], d2: [1], m: [4] }, data))).toBe('INVALID_ARGUMENT');
    const big = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(code(() => sweep({ k1: big, d1: [8], k2: big, d2: [0, 1], m: big }, data))).toBe('INVALID_ARGUMENT');
    expect(code(() => sweep([{ name: 'bad', bitsPerElement: 1, fakeQuantize: () => new Float32Array(1) }], data))).toBe('INVALID_ARGUMENT');
    expect(code(() => paretoFront([{ name: 'x' }] as never))).toBe('INVALID_ARGUMENT');
  });
});
