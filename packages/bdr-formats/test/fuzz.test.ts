// Fuzz suite: every public function of @tessera/bdr-formats answers hostile and structure-aware arguments with a
// valid result or a TesseraError, within its time budget, leaking no tensor (harness: @tessera/testing fuzz.ts).
// Empty tensors with huge dimensions (e.g. [1e12, 0]) are part of the float inputs: every entry must answer them at
// once (a regression test below pins the cases that used to loop over the huge axis).

import * as tf from '@tensorflow/tfjs-core';
import {
  edgeNumberArb,
  type FuzzReport,
  fuzzFailures,
  fuzzLoader,
  fuzzPublicFunction,
  fuzzSummary,
  genericArgsArb,
  hostileValueArb,
  invokeExport,
  orHostile,
  tensorSpecArb,
  uncoveredExports,
} from '@tessera/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

const reports: FuzzReport[] = [];
afterAll(() => {
  console.log(fuzzSummary(reports, 'fuzz @tessera/bdr-formats'));
});

const BUDGET = { numRuns: 200, totalBudgetMs: 1500 };
const formats = [api.BDR_MX4, api.BDR_MX6, api.BDR_MX9, api.MSFP12, api.MSFP16, api.QUARK_BFP16];
const format = fc.oneof(
  { arbitrary: fc.constantFrom(...formats), weight: 4 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(...formats),
        fc.constantFrom('k1', 'k2', 'd1', 'd2', 'm', 'name', 'scaleExponentBits'),
        fc.oneof(edgeNumberArb(), hostileValueArb()),
      )
      .map(([f, k, v]) => ({ ...f, [k]: v })),
    weight: 2,
  },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const floatX = fc.oneof(
  { arbitrary: tensorSpecArb({ dtypes: ['float32'], rank: [1, 3], maxDim: 40, maxSize: 512 }), weight: 4 },
  { arbitrary: tensorSpecArb(), weight: 1 },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const options = fc.oneof(
  fc.constant(undefined),
  fc.record({
    axis: orHostile(fc.integer({ min: -3, max: 3 })),
    rounding: orHostile(fc.constantFrom('even', 'nearest', 'floor')),
    clamp: orHostile(fc.constantFrom('field', 'quark')),
    padding: orHostile(fc.constantFrom('zero', 'error')),
  }),
  hostileValueArb(),
);
const values = fc.oneof(
  fc.integer({ min: 0, max: 64 }).map((n) => Float32Array.from({ length: n }, (_, i) => (i % 9) - 4.5)),
  hostileValueArb(),
);
const shape = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 3 }),
  fc.constantFrom([1e12, 0], [0, 1e9]),
  fc.array(edgeNumberArb(), { maxLength: 3 }),
  hostileValueArb(),
);
const validBdr = fc.tuple(fc.constantFrom(...formats), fc.integer({ min: 1, max: 48 })).map(([f, n]) =>
  api.quantizeBDRArray(
    Float32Array.from({ length: n }, (_, i) => i - 7.25),
    [n],
    f,
  ),
);
const bdrTensor = fc.oneof(
  { arbitrary: validBdr, weight: 2 },
  {
    arbitrary: fc
      .tuple(
        validBdr,
        fc.constantFrom('format', 'shape', 'axis', 'exponents', 'microexponents', 'mantissas', 'signs', 'byteLength'),
        fc.oneof(hostileValueArb(), edgeNumberArb()),
      )
      .map(([t, k, v]) => ({ ...t, [k]: v })),
    weight: 3,
  },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const world = fc.oneof(
  { arbitrary: hostileValueArb(), weight: 3 },
  { arbitrary: edgeNumberArb(), weight: 1 },
  { arbitrary: format, weight: 2 },
  { arbitrary: floatX, weight: 2 },
  { arbitrary: bdrTensor, weight: 2 },
  { arbitrary: values, weight: 1 },
  { arbitrary: options, weight: 1 },
);

type Fn = (...a: never[]) => unknown;
const specific: Record<string, fc.Arbitrary<unknown>[]> = {
  quantizeBDR: [floatX, format, options],
  fakeQuantizeBDR: [floatX, format, options],
  quantizeBDRArray: [values, shape, format, options],
  dequantizeBDR: [bdrTensor],
  dequantizeBDRArray: [bdrTensor, fc.oneof(fc.constant(undefined), values)],
  validateBDR: [bdrTensor],
  saveBDR: [bdrTensor, fc.oneof(fc.constant(undefined), hostileValueArb())],
  toAIELayout: [bdrTensor],
  fromAIELayout: [fc.oneof(fc.uint8Array({ maxLength: 64 }), hostileValueArb()), format, shape, orHostile(fc.integer({ min: -2, max: 2 }))],
  bitsPerElement: [format],
  qsnrBound: [format, fc.oneof(fc.constant(undefined), edgeNumberArb(), hostileValueArb())],
  qsnr: [fc.oneof(values, floatX), fc.oneof(values, floatX)],
  bdrQuantizer: [format, options],
  bfp: [edgeNumberArb(), edgeNumberArb(), fc.oneof(fc.constant(undefined), edgeNumberArb())],
};

/** Exports that are not callable. */
const EXEMPT: Record<string, string> = {
  BDR_MX4: 'a frozen format value (data); used as an argument throughout',
  BDR_MX6: 'a frozen format value (data); used as an argument throughout',
  BDR_MX9: 'a frozen format value (data); used as an argument throughout',
  MSFP12: 'a frozen format value (data); used as an argument throughout',
  MSFP16: 'a frozen format value (data); used as an argument throughout',
  QUARK_BFP16: 'a frozen format value (data); used as an argument throughout',
  SWEEP_LIMITS: 'a frozen record of the documented sweep bounds (data)',
};

const fns = Object.entries(api).filter(([n, v]) => typeof v === 'function' && !(n in EXEMPT)) as [string, Fn][];

describe('fuzz: every public function of @tessera/bdr-formats', () => {
  it('every runtime export has a fuzz entry or a listed exemption', () => {
    expect(uncoveredExports(api as Record<string, unknown>, [...fns.map(([n]) => n)], EXEMPT)).toEqual([]);
  });
  for (const [n, f] of fns) {
    const args = specific[n] ? fc.tuple(...specific[n]) : genericArgsArb(world, 4);
    it(n, async () => {
      const r = await fuzzPublicFunction(n, (...a: unknown[]) => invokeExport(f, a), args, BUDGET);
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    });
  }
  it('empty tensors with a huge blocked or outer axis are answered at once (used to loop over outer × L)', () => {
    for (const shape of [
      [1e9, 0],
      [1e12, 0],
      [0, 1e12],
      [1e9, 0, 1e9],
    ]) {
      for (const axis of [0, -1]) {
        const t0 = performance.now();
        const x = tf.zeros(shape);
        try {
          const q = api.quantizeBDR(x, api.BDR_MX9, { axis });
          expect([q.shape, q.exponents.length, q.microexponents.length, q.mantissas.length]).toEqual([shape, 0, 0, 0]);
          const y = api.dequantizeBDR(q);
          const z = api.fakeQuantizeBDR(x, api.MSFP12, { axis });
          expect([y.shape, z.shape]).toEqual([shape, shape]);
          tf.dispose([y, z]);
          expect(api.dequantizeBDRArray(api.quantizeBDRArray(new Float32Array(0), shape, api.BDR_MX6, { axis })).length).toBe(0);
        } finally {
          x.dispose();
        }
        expect(performance.now() - t0, `shape [${shape}] axis ${axis}`).toBeLessThan(1000);
      }
    }
  });
  it('loadBDR (bytes: truncation at every length, mutations, hostile headers)', async () => {
    const seeds = [api.BDR_MX6, api.MSFP12].map((f) =>
      api.saveBDR(
        api.quantizeBDRArray(
          Float32Array.from({ length: 32 }, (_, i) => i / 3 - 5),
          [2, 16],
          f,
        ),
      ),
    );
    const r = await fuzzLoader('loadBDR', (b) => api.loadBDR(b), seeds, { numRuns: 300 });
    reports.push(r);
    expect(fuzzFailures([r])).toBe('');
  });
});
