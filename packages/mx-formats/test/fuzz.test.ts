// Fuzz suite: every public function of @tessera/mx-formats answers hostile and structure-aware arguments with a
// valid result or a TesseraError, within its time budget, leaking no tensor (harness: @tessera/testing fuzz.ts).

import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors } from '@tessera/core';
import {
  edgeNumberArb,
  type FuzzReport,
  fuzzFailures,
  fuzzLoader,
  fuzzPublicFunction,
  fuzzSummary,
  hostileValueArb,
  orHostile,
  tensorSpecArb,
  uncoveredExports,
} from '@tessera/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { MX_FORMATS, SCALE_MODES } from '../src/index.js';

const reports: FuzzReport[] = [];
afterAll(() => {
  console.log(fuzzSummary(reports, 'fuzz @tessera/mx-formats'));
});

const RUNS = 250;
const BUDGET = { numRuns: RUNS, totalBudgetMs: 1500 };

const floatX = fc.oneof(
  { arbitrary: tensorSpecArb({ dtypes: ['float32'], rank: [0, 3], maxDim: 40, maxSize: 512 }), weight: 4 },
  { arbitrary: tensorSpecArb(), weight: 1 },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const matrix = fc.oneof(
  { arbitrary: tensorSpecArb({ dtypes: ['float32'], rank: [2, 2], maxDim: 40, maxSize: 512 }), weight: 4 },
  { arbitrary: tensorSpecArb({ rank: [0, 3] }), weight: 1 },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const mxOptions = orHostile(
  fc.record(
    {
      format: orHostile(fc.constantFrom(...MX_FORMATS, 'mxfp4')),
      blockSize: fc.oneof(fc.constantFrom(1, 2, 4, 8, 16, 32), edgeNumberArb(), hostileValueArb()),
      axis: orHostile(fc.integer({ min: -3, max: 3 })),
      scaleMode: orHostile(fc.constantFrom(...SCALE_MODES)),
      rounding: orHostile(fc.constantFrom('even', 'nearest', 'floor')),
      padding: orHostile(fc.constantFrom('zero', 'error')),
      subnormals: orHostile(fc.constantFrom('keep', 'flush-elements', 'flush-block')),
      inputPrecision: orHostile(fc.constantFrom('float32', 'bfloat16')),
      scaleExponent: orHostile(fc.constantFrom('exact', 'float32-log2')),
      fp6Packing: orHostile(fc.constantFrom('packed', 'unpacked')),
      kernel: orHostile(fc.constantFrom('auto', 'tfjs', 'host')),
    },
    { requiredKeys: ['format'] },
  ),
);
const cast = orHostile(
  fc.record(
    { format: orHostile(fc.constantFrom(...MX_FORMATS)), blockSize: fc.oneof(fc.constantFrom(4, 8, 32), edgeNumberArb()) },
    { requiredKeys: ['format'] },
  ),
);

/** Valid MXTensors (host data only) and copies with one field replaced by a hostile or edge value. */
const validMx = fc
  .tuple(fc.constantFrom(...MX_FORMATS), fc.integer({ min: 1, max: 40 }), fc.constantFrom(4, 8, 32))
  .map(([format, n, blockSize]) =>
    api.quantizeMXArray(
      Float32Array.from({ length: n }, (_, i) => i - 3.5),
      [n],
      { format, blockSize },
    ),
  );
const mxTensor = fc.oneof(
  { arbitrary: validMx, weight: 2 },
  {
    arbitrary: fc
      .tuple(
        validMx,
        fc.constantFrom('format', 'shape', 'axis', 'blockSize', 'packing', 'scales', 'data', 'byteLength'),
        fc.oneof(hostileValueArb(), edgeNumberArb(), fc.constant(new Uint8Array(3))),
      )
      .map(([m, k, v]) => ({ ...m, [k]: v })),
    weight: 3,
  },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const nvOptions = orHostile(
  fc.record({
    axis: orHostile(fc.integer({ min: -3, max: 3 })),
    tensorScale: fc.oneof(fc.constantFrom('auto', 'none'), edgeNumberArb(), hostileValueArb()),
    padding: orHostile(fc.constantFrom('zero', 'error')),
    arithmetic: orHostile(fc.constantFrom('exact', 'float32')),
  }),
);
const validNv = fc.integer({ min: 1, max: 40 }).map((n) =>
  api.quantizeNVFP4Array(
    Float32Array.from({ length: n }, (_, i) => i - 3.5),
    [n],
  ),
);
const nvTensor = fc.oneof(
  validNv,
  fc
    .tuple(validNv, fc.constantFrom('format', 'shape', 'axis', 'blockSize', 'data', 'blockScales', 'tensorScale'), hostileValueArb())
    .map(([m, k, v]) => ({ ...m, [k]: v })),
  hostileValueArb(),
);
const shape = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 3 }),
  fc.constantFrom([1e12, 0], [0, 1e9], [1e9, 0]),
  fc.array(edgeNumberArb(), { maxLength: 3 }),
  hostileValueArb(),
);
const f32Values = fc.oneof(
  fc.integer({ min: 0, max: 64 }).map((n) => Float32Array.from({ length: n }, (_, i) => (i % 7) - 3)),
  fc.constant(new Float32Array(0)),
  hostileValueArb(),
);
const codes = fc.oneof(fc.uint8Array({ maxLength: 40 }), hostileValueArb());
const contents = fc.oneof(
  validMx.map((m) => api.mxToSafetensors(m)),
  fc
    .tuple(validMx, fc.constantFrom('format', 'shape', 'block_size', 'axis', 'packing', 'elem_dtype'), hostileValueArb())
    .map(([m, k, v]) => {
      const c = api.mxToSafetensors(m);
      let text = 'x';
      try {
        text = typeof v === 'string' ? v : (JSON.stringify(v) ?? 'x');
      } catch {
        // BigInt and cyclic values have no JSON form: keep 'x'
      }
      return { ...c, metadata: { ...c.metadata, [k]: text } };
    }),
  hostileValueArb(),
);
const name = fc.oneof(fc.constant(undefined), fc.constantFrom('w', ''), hostileValueArb());

type Entry = [string, (...a: never[]) => unknown, fc.Arbitrary<unknown>[]];
const codecEntries: Entry[] = (['FP4_E2M1', 'FP6_E2M3', 'FP6_E3M2', 'FP8_E4M3', 'FP8_E5M2', 'INT8_MX'] as const).flatMap((k): Entry[] => [
  [
    `${k}.encode`,
    (v: unknown, o: unknown) => api[k].encode(v as number, o as never),
    [orHostile(fc.double()), orHostile(fc.record({ rounding: orHostile(fc.constantFrom('even', 'nearest', 'floor')) }))],
  ],
  [`${k}.decode`, (c: unknown) => api[k].decode(c as number), [orHostile(fc.integer({ min: 0, max: 255 }))]],
]);
const entries: Entry[] = [
  ['quantizeMX', api.quantizeMX, [floatX, mxOptions]],
  ['quantizeMXAsync', api.quantizeMXAsync, [floatX, mxOptions]],
  ['quantizeMXArray', api.quantizeMXArray, [f32Values, shape, mxOptions]],
  ['fakeQuantizeMX', api.fakeQuantizeMX, [floatX, mxOptions]],
  ['dequantizeMX', api.dequantizeMX, [mxTensor]],
  ['dequantizeMXArray', api.dequantizeMXArray, [mxTensor, fc.oneof(fc.constant(undefined), f32Values)]],
  ['validateMX', api.validateMX, [mxTensor]],
  ['isMXTensor', api.isMXTensor, [mxTensor]],
  [
    'mxMatMul',
    api.mxMatMul,
    [
      matrix,
      matrix,
      orHostile(
        fc.record(
          { a: cast, b: cast, transposeA: orHostile(fc.boolean()), backward: orHostile(fc.constantFrom('ste', 'none')) },
          { requiredKeys: ['a', 'b'] },
        ),
      ),
    ],
  ],
  [
    'mxLinear',
    api.mxLinear,
    [matrix, matrix, orHostile(fc.record({ a: cast, w: cast, bias: tensorSpecArb({ rank: [1, 1] }) }, { requiredKeys: ['a', 'w'] }))],
  ],
  ['mxToSafetensors', api.mxToSafetensors, [mxTensor, name]],
  ['mxFromSafetensors', api.mxFromSafetensors, [contents, name]],
  ['saveMX', api.saveMX, [mxTensor, name]],
  ['quantizeNVFP4', api.quantizeNVFP4, [floatX, nvOptions]],
  ['quantizeNVFP4Array', api.quantizeNVFP4Array, [f32Values, shape, nvOptions]],
  ['fakeQuantizeNVFP4', api.fakeQuantizeNVFP4, [floatX, nvOptions]],
  ['dequantizeNVFP4', api.dequantizeNVFP4, [nvTensor]],
  ['dequantizeNVFP4Array', api.dequantizeNVFP4Array, [nvTensor]],
  ['validateNVFP4', api.validateNVFP4, [nvTensor]],
  ['packFP4', api.packFP4, [codes]],
  ['packFP6', api.packFP6, [codes]],
  ['unpackFP4', api.unpackFP4, [codes, orHostile(fc.integer({ min: 0, max: 100 }))]],
  ['unpackFP6', api.unpackFP6, [codes, orHostile(fc.integer({ min: 0, max: 100 }))]],
  [
    'scaleByte',
    api.scaleByte,
    [orHostile(fc.double()), orHostile(fc.constantFrom(api.FP4_E2M1, api.INT8_MX)), orHostile(fc.constantFrom(...SCALE_MODES))],
  ],
  ['E8M0.decode', (b: unknown) => api.E8M0.decode(b as number), [orHostile(fc.integer({ min: 0, max: 255 }))]],
  ['E8M0.fromExponent', (s: unknown) => api.E8M0.fromExponent(s as number), [orHostile(fc.integer({ min: -200, max: 200 }))]],
  [
    'E8M0.fromFloat',
    (x: unknown, b: unknown) => api.E8M0.fromFloat(x as number, b as never),
    [orHostile(fc.double()), orHostile(fc.constantFrom('ml_dtypes', 'saturate'))],
  ],
  ['E8M0.rceil', (d: unknown) => api.E8M0.rceil(d as number), [orHostile(fc.double())]],
  ...codecEntries,
];

/** Exports that are data, not functions: nothing to call. */
const EXEMPT: Record<string, string> = {
  ELEMENT_CODECS: 'frozen record of the codec objects; their encode/decode are fuzzed under FP4_E2M1.encode etc.',
  MX_FORMATS: 'frozen array of format names (data)',
  MX_PRESETS: 'frozen records of option presets (data)',
  MX_MAX_BLOCK_SIZE: 'a numeric constant (the documented bound)',
  MX_MAX_PADDING_FACTOR: 'a numeric constant (the documented bound)',
  SCALE_MODES: 'frozen array of scale mode names (data)',
};

describe('fuzz: every public function of @tessera/mx-formats', () => {
  it('every runtime export has a fuzz entry or a listed exemption', () => {
    const fuzzed = [...new Set(entries.map(([n]) => n.split('.')[0]))];
    expect(uncoveredExports(api as Record<string, unknown>, [...fuzzed, 'loadMX'], EXEMPT)).toEqual([]);
  });
  for (const [n, f, args] of entries) {
    it(n, async () => {
      // On webgpu the first fakeQuantizeMX call compiles the tfjs-op kernel's ~60 WGSL programs (2.1 s on the H200
      // under Dawn/Vulkan, once per process): a per-call budget of 2 s measures the shader compiler, not the function.
      const budget = n === 'fakeQuantizeMX' && tf.getBackend() === 'webgpu' ? { ...BUDGET, timeBudgetMs: 10_000 } : BUDGET;
      const r = await fuzzPublicFunction(n, f, args, budget);
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    });
  }
  it('loadMX (bytes: truncation at every length, mutations, hostile headers)', async () => {
    const seeds = (['mxfp8_e4m3', 'mxfp4_e2m1', 'mxfp6_e3m2'] as const).map((format) =>
      api.saveMX(
        api.quantizeMXArray(
          Float32Array.from({ length: 40 }, (_, i) => i / 3),
          [2, 20],
          { format, blockSize: 8 },
        ),
      ),
    );
    const r = await fuzzLoader('loadMX', api.loadMX, seeds, {
      numRuns: 300,
      names: ['qdata', 'scale'],
      metadata: parseSafetensors(seeds[0]).metadata,
    });
    reports.push(r);
    expect(fuzzFailures([r])).toBe('');
  });
});
