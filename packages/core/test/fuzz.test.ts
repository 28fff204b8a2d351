// Fuzz suite: every public function of @tessera/core answers hostile and structure-aware arguments with a valid
// result or a TesseraError, within its time budget, leaking no tensor. The harness lives in @tessera/testing, which
// depends on core, so core imports its sources (no package cycle).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  edgeNumberArb,
  type FuzzReport,
  fuzzFailures,
  fuzzLoader,
  fuzzPublicFunction,
  fuzzSummary,
  hostileValueArb,
  intArrayArb,
  orHostile,
  tensorSpecArb,
  uncoveredExports,
} from '../../testing/src/index.js';
import * as api from '../src/index.js';

const reports: FuzzReport[] = [];
afterAll(() => {
  console.log(fuzzSummary(reports, 'fuzz @tessera/core'));
});

const BUDGET = { numRuns: 150, totalBudgetMs: 1200 };
const num = orHostile(fc.oneof(fc.double(), edgeNumberArb(), fc.integer({ min: 0, max: 0xffffffff })));
const f32 = fc.oneof(fc.float32Array({ maxLength: 40 }), hostileValueArb());
const u16 = fc.oneof(fc.uint16Array({ maxLength: 40 }), hostileValueArb());
// fn and name of the check* helpers are the caller's source-code labels (string literals), and their requirement
// objects are constants in the caller's code: fuzz the checked value, keep the labels and requirements well-typed.
// TesseraError itself gets hostile labels.
const name = fc.constantFrom('f', 'x');
const hostileName = orHostile(name);
// draw counts: small, or hostile, or past the documented bound (2^28); never the slow-but-valid range in between
const count = fc.oneof(
  fc.nat(1000),
  hostileValueArb().filter((v) => !(typeof v === 'number' && v > 1000 && v <= 2 ** 28)),
);
const anyTensor = fc.oneof(tensorSpecArb(), hostileValueArb());
const dtypes = ['F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'U16', 'I8', 'U8', 'BOOL'] as const;
const raw = fc.oneof(
  fc.tuple(fc.constantFrom('F32', 'I32', 'U8', 'BOOL', 'I64', 'F16'), fc.integer({ min: 0, max: 6 })).map(([dtype, n]) => {
    const data =
      dtype === 'F32'
        ? new Float32Array(n)
        : dtype === 'I32'
          ? new Int32Array(n)
          : dtype === 'I64'
            ? new BigInt64Array(n)
            : dtype === 'F16'
              ? new Uint16Array(n)
              : new Uint8Array(n);
    return { dtype, shape: [n], data };
  }),
  fc.record({
    dtype: orHostile(fc.constantFrom(...dtypes)),
    shape: orHostile(fc.array(fc.nat(4), { maxLength: 3 })),
    data: hostileValueArb(),
  }),
  hostileValueArb(),
);
const rawDict = fc.oneof(fc.dictionary(fc.constantFrom('a', 'b', '__metadata__', '', '__proto__'), raw, { maxKeys: 3 }), hostileValueArb());
const metadata = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 4 }), orHostile(fc.string({ maxLength: 4 })), { maxKeys: 3 }),
  hostileValueArb(),
);
const tensorDict = fc.oneof(
  fc.dictionary(fc.constantFrom('a', 'b', '__metadata__'), fc.oneof(tensorSpecArb(), raw), { maxKeys: 3 }),
  hostileValueArb(),
);
// layouts of small shapes (their numel matches some drawn arrays), forged ones, and hostile values
const layout = fc.oneof(
  fc.array(fc.nat(6), { minLength: 1, maxLength: 3 }).chain((shape) => fc.nat(shape.length - 1).map((axis) => api.axisLayout(shape, axis))),
  fc.record({ outer: num, L: num, inner: num, rows: num, numel: num }),
  hostileValueArb(),
);
const rngOf = (seed: number) => api.rng(seed);

type Entry = [string, (...a: never[]) => unknown, fc.Arbitrary<unknown>[]];
const scalarBits = [
  'bf16BitsToF32Bits',
  'bitsToF32',
  'f16BitsToF32Bits',
  'f32BitsToBf16Bits',
  'f32BitsToF16Bits',
  'f32ToBits',
  'floorLog2',
  'floorLog2Bits',
] as const;
const entries: Entry[] = [
  ...scalarBits.map((k): Entry => [k, api[k] as (x: never) => unknown, [num]]),
  ['bitsView', api.bitsView, [f32]],
  ['float32ToFloat16Bits', api.float32ToFloat16Bits, [f32, fc.oneof(fc.constant(undefined), u16)]],
  ['float32ToBfloat16Bits', api.float32ToBfloat16Bits, [f32, fc.oneof(fc.constant(undefined), u16)]],
  ['float16BitsToFloat32', api.float16BitsToFloat32, [u16, fc.oneof(fc.constant(undefined), f32)]],
  ['bfloat16BitsToFloat32', api.bfloat16BitsToFloat32, [u16, fc.oneof(fc.constant(undefined), f32)]],
  ['describe', api.describe, [hostileValueArb()]],
  [
    'TesseraError',
    (...a: unknown[]) => new api.TesseraError(...(a as [never, string, string, unknown, never])),
    [
      orHostile(fc.constantFrom(...api.TESSERA_ERROR_CODES)),
      hostileName,
      hostileName,
      hostileValueArb(),
      orHostile(fc.record({ rule: orHostile(fc.string()) })),
    ],
  ],
  ['sqnrDb', api.sqnrDb, [f32, f32]],
  ['axisLayout', api.axisLayout, [orHostile(fc.array(fc.nat(6), { maxLength: 4 })), orHostile(fc.integer({ min: -5, max: 5 }))]],
  ['moveAxisLast', api.moveAxisLast, [f32, layout, fc.oneof(fc.constant(undefined), f32)]],
  ['moveAxisBack', api.moveAxisBack, [f32, layout, fc.oneof(fc.constant(undefined), f32)]],
  ['rng', api.rng, [num]],
  [
    'rng.uniformArray',
    (s: unknown, n: unknown, lo: unknown, hi: unknown) => rngOf(s as number).uniformArray(n as number, lo as number, hi as number),
    [fc.nat(), count, num, num],
  ],
  [
    'rng.normalArray',
    (s: unknown, n: unknown, m: unknown, sd: unknown) => rngOf(s as number).normalArray(n as number, m as number, sd as number),
    [fc.nat(), count, num, num],
  ],
  [
    'rng.zipfArray',
    (s: unknown, n: unknown, r: unknown, e: unknown) => rngOf(s as number).zipfArray(n as number, r as number, e as number),
    [fc.nat(), count, num, num],
  ],
  ['rng.int', (s: unknown, n: unknown) => rngOf(s as number).int(n as number), [fc.nat(), num]],
  ['rng.zipf', (s: unknown, n: unknown, e: unknown) => rngOf(s as number).zipf(n as number, e as number), [fc.nat(), num, num]],
  ['rng.uniform', (s: unknown, lo: unknown, hi: unknown) => rngOf(s as number).uniform(lo as number, hi as number), [fc.nat(), num, num]],
  ['rng.normal', (s: unknown, m: unknown, sd: unknown) => rngOf(s as number).normal(m as number, sd as number), [fc.nat(), num, num]],
  ['parseSafetensors', api.parseSafetensors, [fc.oneof(fc.uint8Array({ maxLength: 64 }), hostileValueArb())]],
  ['loadSafetensors', api.loadSafetensors, [fc.oneof(fc.uint8Array({ maxLength: 64 }), hostileValueArb())]],
  ['serializeSafetensors', api.serializeSafetensors, [rawDict, fc.oneof(fc.constant(undefined), metadata)]],
  ['saveSafetensors', api.saveSafetensors, [tensorDict, orHostile(fc.record({ metadata }))]],
  ['rawToTensor', api.rawToTensor, [raw, fc.oneof(fc.constant(undefined), hostileName)]],
  ['checkTensor', api.checkTensor, [anyTensor, name, name, fc.record({ dtype: fc.constantFrom('float32', 'int32'), rank: fc.nat(4) })]],
  ['checkInteger', api.checkInteger, [num, name, name, fc.record({ min: fc.integer(), max: fc.integer() })]],
  [
    'checkIntegerArray',
    api.checkIntegerArray,
    [intArrayArb(), name, name, fc.record({ min: fc.integer(), max: fc.integer(), maxLength: fc.nat(100) })],
  ],
  ['checkShape', api.checkShape, [intArrayArb(), name, name, fc.record({ rank: fc.nat(4), maxSize: fc.nat(1000) })]],
  ['checkOneOf', api.checkOneOf, [hostileValueArb(), name, name, fc.constant(['a', 'b'])]],
  ['checkOptions', api.checkOptions, [hostileValueArb(), name, name, fc.oneof(fc.constant(undefined), fc.constant(['a']))]],
  ['checkFiniteNumber', api.checkFiniteNumber, [num, name, name, fc.record({ min: fc.double(), max: fc.double() })]],
  ['checkSize', api.checkSize, [num, name, name, fc.record({ min: fc.nat(10), max: fc.nat(100) })]],
  ['checkStringArray', api.checkStringArray, [hostileValueArb(), name, name, fc.record({ unique: fc.boolean() })]],
  ['checkBoolean', api.checkBoolean, [hostileValueArb(), name, name, fc.oneof(fc.constant(undefined), fc.boolean())]],
  [
    'registerAccelerator',
    (op: unknown, b: unknown, f: unknown) => {
      // a valid registration is removed again at once, so the fuzz run leaves no accelerator behind
      const remove = api.registerAccelerator(op as string, b as string, f as never);
      remove();
    },
    [orHostile(fc.constantFrom('fuzzOp', '')), orHostile(fc.constantFrom('cpu', 'fuzzBackend')), orHostile(fc.constant(() => 1))],
  ],
  ['accelerator', api.accelerator, [hostileValueArb(), fc.oneof(fc.constant(undefined), hostileValueArb())]],
  ['canReadSync', api.canReadSync, [orHostile(fc.constantFrom('cpu', 'wasm', 'webgpu', 'webgl', 'tensorflow'))]],
  ['readSync', api.readSync, [anyTensor, name, name, fc.oneof(fc.constant(undefined), name)]],
  // only values that cannot switch the process's backend (a valid name would change it under the other tests)
  ['initBackend', api.initBackend, [hostileValueArb().filter((v) => v !== undefined && typeof v !== 'string'), hostileValueArb()]],
];

const EXEMPT: Record<string, string> = {
  TESSERA_ERROR_CODES: 'frozen array of the error codes (data)',
  DESCRIBE_MAX_DEPTH: 'a numeric constant (the documented bound of describe)',
  DESCRIBE_MAX_LENGTH: 'a numeric constant (the documented bound of describe)',
  MAX_ARRAY_LENGTH: 'a numeric constant (the default bound of checkIntegerArray)',
  MAX_RANK: 'a numeric constant (the default bound of checkShape)',
  registerAllGradients: 'takes no argument: registers tfjs gradients once; nothing to fuzz',
};

describe('fuzz: every public function of @tessera/core', () => {
  it('every runtime export has a fuzz entry or a listed exemption', () => {
    const fuzzed = [...new Set(entries.map(([n]) => n.split('.')[0]))];
    expect(uncoveredExports(api as Record<string, unknown>, fuzzed, EXEMPT)).toEqual([]);
  });
  for (const [n, f, args] of entries) {
    it(n, async () => {
      const r = await fuzzPublicFunction(n, f, args, BUDGET);
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    });
  }
  it('parseSafetensors and loadSafetensors (bytes: truncation at every length, mutations, hostile headers)', async () => {
    const seed = api.serializeSafetensors(
      {
        a: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
        b: { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, -2n]) },
        c: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      },
      { format: 'pt' },
    );
    for (const [n, load] of [
      ['parseSafetensors', api.parseSafetensors],
      ['loadSafetensors', api.loadSafetensors],
    ] as const) {
      const r = await fuzzLoader(`${n} (bytes)`, load, [seed], { numRuns: 400, names: ['a', 'b', 'c'], metadata: { format: 'pt' } });
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    }
  });
});
