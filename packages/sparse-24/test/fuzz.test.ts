// Fuzz suite: every public function of @tessera/sparse-24 answers hostile and structure-aware arguments with a valid
// result or a TesseraError, within its time budget, leaking no tensor (harness: @tessera/testing fuzz.ts).
import { parseSafetensors } from '@tessera/core';
import {
  edgeNumberArb,
  type FuzzReport,
  fuzzFailures,
  fuzzLoader,
  fuzzPublicFunction,
  fuzzSummary,
  hostileValueArb,
  lazyValue,
  orHostile,
  tensorSpecArb,
  uncoveredExports,
} from '@tessera/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

const reports: FuzzReport[] = [];
afterAll(() => {
  console.log(fuzzSummary(reports, 'fuzz @tessera/sparse-24'));
});

const BUDGET = { numRuns: 300, totalBudgetMs: 2000 };

/** A 2:4 sparse [m, k] Float32Array (two non-zeros in every group of 4). */
function sparseData(m: number, k: number, seed: number): Float32Array {
  const d = new Float32Array(m * k);
  for (let g = 0; g < (m * k) / 4; g++) {
    const a = (g + seed) % 4;
    const b = (a + 1 + ((g * 7 + seed) % 3)) % 4;
    d[g * 4 + a] = (g % 5) + 1;
    d[g * 4 + b] = -((g % 3) + 0.5);
  }
  return d;
}
const dims = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.nat());
const dense = fc.oneof(
  {
    arbitrary: dims.map(([m, g, s]) => ({ dtype: 'float32' as const, shape: [m, g * 4] as const, data: sparseData(m, g * 4, s) })),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(dims, fc.constantFrom('dtype', 'shape', 'data'), fc.oneof(hostileValueArb(), edgeNumberArb()))
      .map(([[m, g, s], k, v]) => ({ dtype: 'float32', shape: [m, g * 4], data: sparseData(m, g * 4, s), [k]: v })),
    weight: 2,
  },
);
const validS24 = dims.map(([m, g, s]) => api.compress24({ dtype: 'float32', shape: [m, g * 4], data: sparseData(m, g * 4, s) }));
const cutlassS24 = fc
  .nat()
  .map((s) =>
    api.compress24({ dtype: 'float32', shape: [32, 32], data: sparseData(32, 32, s) }, { layout: 'cutlass', prune: 'magnitude' }),
  );
const s24 = fc.oneof(
  { arbitrary: validS24, weight: 3 },
  { arbitrary: cutlassS24, weight: 1 },
  {
    arbitrary: fc
      .tuple(
        validS24,
        fc.constantFrom('format', 'layout', 'dtype', 'shape', 'values', 'packed', 'meta', 'metaShape'),
        fc.oneof(hostileValueArb(), edgeNumberArb(), fc.constant(new Float32Array(2)), fc.constant(new Uint8Array(1))),
      )
      .map(([s, k, v]) => ({ ...s, [k]: v })),
    weight: 3,
  },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const tensorX = fc.oneof(
  { arbitrary: tensorSpecArb({ dtypes: ['float32'], rank: [1, 3], maxDim: 12, maxSize: 256 }), weight: 4 },
  { arbitrary: tensorSpecArb(), weight: 1 },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const rhs = fc.oneof(
  { arbitrary: tensorSpecArb({ dtypes: ['float32'], rank: [2, 2], maxDim: 16, maxSize: 256 }), weight: 3 },
  { arbitrary: tensorSpecArb(), weight: 1 },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const spmmOptions = orHostile(fc.record({ kernel: orHostile(fc.constantFrom('host', 'tfjs')) }));
const compressOptions = orHostile(
  fc.record({
    layout: orHostile(fc.constantFrom('simple', 'cutlass')),
    prune: orHostile(fc.constantFrom('none', 'magnitude', 'value', 'position')),
    dtype: orHostile(fc.constantFrom('float32', 'float16', 'int8')),
  }),
);
const ioOptions = orHostile(fc.record({ prefix: orHostile(fc.constantFrom('', 'w.')) }));
const contents = fc.oneof(
  validS24.map((s) => api.sparse24ToSafetensors(s)),
  fc
    .tuple(
      validS24,
      fc.constantFrom('format', 'layout', 'dtype', 'shape'),
      fc.constantFrom('', 'x', '1,1', '-4,8', '1e12,4', 'simple', 'float16'),
    )
    .map(([s, k, v]) => {
      const c = api.sparse24ToSafetensors(s);
      return { ...c, metadata: { ...c.metadata, [k]: v } };
    }),
  fc
    .tuple(validS24, fc.constantFrom('packed', 'meta'), fc.constantFrom('shape', 'dtype', 'data'), hostileValueArb())
    .map(([s, t, k, v]) => {
      const c = api.sparse24ToSafetensors(s);
      return { ...c, tensors: { ...c.tensors, [t]: { ...c.tensors[t], [k]: v } } };
    }),
  hostileValueArb(),
);
const ffn = lazyValue('SquaredReluFFN24(8, 16)', () => new api.SquaredReluFFN24({ dModel: 8, hidden: 16, seed: 1 }));
const ffnOptions = orHostile(
  fc.record(
    {
      dModel: fc.oneof(fc.integer({ min: 1, max: 8 }), edgeNumberArb()),
      hidden: fc.oneof(fc.constantFrom(4, 8, 16), edgeNumberArb()),
      sparsity: orHostile(fc.constantFrom('24', 'dense')),
      gradient: orHostile(fc.constantFrom('24sparse', '24dense', 'ste')),
      backwardRecipe: orHostile(fc.constantFrom('maskOnly', 'tokenSplit')),
      steMul0: orHostile(fc.double()),
      tokenSplit: orHostile(fc.record({ denseFraction: orHostile(fc.double()), warmupSteps: orHostile(fc.nat(10)) })),
      seed: orHostile(fc.nat()),
      w1: tensorSpecArb({ dtypes: ['float32'], rank: [2, 2] }),
    },
    { requiredKeys: ['dModel', 'hidden'] },
  ),
);

type Entry = [string, (...a: never[]) => unknown, fc.Arbitrary<unknown>[]];
const entries: Entry[] = [
  ['compress24', api.compress24, [fc.oneof(dense, tensorX), compressOptions]],
  ['decompress24', api.decompress24, [s24]],
  ['decompress24Raw', api.decompress24Raw, [s24]],
  ['validateSparse24', api.validateSparse24, [s24]],
  ['mask24', api.mask24, [tensorX, orHostile(fc.record({ by: orHostile(fc.constantFrom('magnitude', 'value')) }))]],
  [
    'mask24Transposable',
    api.mask24Transposable,
    [
      tensorX,
      orHostile(fc.record({ algo: orHostile(fc.constantFrom('greedy', 'optimal')), by: orHostile(fc.constantFrom('magnitude', 'value')) })),
    ],
  ],
  [
    'isSparse24',
    api.isSparse24,
    [
      fc.oneof(
        tensorX,
        fc.constant(new Float32Array([1, 0, 0, 2])),
        fc.constant(new Int32Array(3)),
        tensorSpecArb({ dtypes: ['int32', 'bool'] }),
      ),
    ],
  ],
  ['spmm24', api.spmm24, [s24, rhs, spmmOptions]],
  ['spmm24T', api.spmm24T, [s24, rhs, spmmOptions]],
  ['sparseLinear', api.sparseLinear, [rhs, s24, fc.oneof(fc.constant(undefined), tensorSpecArb({ rank: [1, 1] })), spmmOptions]],
  ['sparse24ToSafetensors', api.sparse24ToSafetensors, [s24, ioOptions]],
  ['sparse24FromSafetensors', api.sparse24FromSafetensors, [contents, ioOptions]],
  ['saveSparse24', api.saveSparse24, [s24, ioOptions]],
  ['SquaredReluFFN24', (o: unknown) => new api.SquaredReluFFN24(o as never), [ffnOptions]],
  ['SquaredReluFFN24.apply', (f: unknown, x: unknown) => (f as api.SquaredReluFFN24).apply(x as never), [ffn, tensorX]],
  [
    'SquaredReluFFN24.forwardHost',
    (f: unknown, x: unknown, t: unknown) => (f as api.SquaredReluFFN24).forwardHost(x as never, t as never).y,
    [ffn, fc.oneof(fc.constant(new Float32Array(16)), hostileValueArb()), orHostile(fc.constantFrom(0, 1, 2))],
  ],
];

const EXEMPT: Record<string, string> = {
  CUTLASS_MIN_SHAPE: 'frozen record of minimum CUTLASS tile shapes (data)',
  gemmHostUnchecked: '…Unchecked host kernel: skips validation by contract (architecture rule 2), documented in its TSDoc',
  sddmmHostUnchecked: '…Unchecked host kernel: skips validation by contract (architecture rule 2)',
  spmmHostUnchecked: '…Unchecked host kernel: skips validation by contract (architecture rule 2)',
  spmmTHostUnchecked: '…Unchecked host kernel: skips validation by contract (architecture rule 2)',
  transposeHostUnchecked: '…Unchecked host kernel: skips validation by contract (architecture rule 2)',
  mask24HostUnchecked: '…Unchecked host kernel of mask24: skips validation by contract (architecture rule 2)',
  mask24TransposableHostUnchecked: '…Unchecked host kernel of mask24Transposable: skips validation by contract',
};

describe('fuzz: every public function of @tessera/sparse-24', () => {
  it('every runtime export has a fuzz entry or a listed exemption', () => {
    const fuzzed = [...new Set(entries.map(([n]) => n.split('.')[0]))];
    expect(uncoveredExports(api as Record<string, unknown>, [...fuzzed, 'loadSparse24'], EXEMPT)).toEqual([]);
  });
  for (const [n, f, args] of entries) {
    it(n, async () => {
      const r = await fuzzPublicFunction(n, f, args, BUDGET);
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    });
  }
  it('loadSparse24 (bytes: truncation at every length, mutations, hostile headers)', async () => {
    const simple = api.compress24({ dtype: 'float32', shape: [2, 8], data: sparseData(2, 8, 1) });
    const cutlass = api.compress24(
      { dtype: 'float32', shape: [32, 32], data: sparseData(32, 32, 2) },
      { layout: 'cutlass', prune: 'magnitude' },
    );
    const seeds = [api.saveSparse24(simple), api.saveSparse24(cutlass)];
    const r = await fuzzLoader('loadSparse24', (b) => api.loadSparse24(b), seeds, {
      numRuns: 300,
      names: ['packed', 'meta'],
      metadata: parseSafetensors(seeds[0]).metadata,
    });
    reports.push(r);
    expect(fuzzFailures([r])).toBe('');
  });
});
