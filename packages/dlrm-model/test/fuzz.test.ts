// Fuzz suite: every public function of @tessera/dlrm-model answers hostile and structure-aware arguments with a
// valid result or a TesseraError, within its time budget, leaking no tensor (harness: @tessera/testing fuzz.ts).
// Arguments mix hostile values with a valid model, batch and config, and copies of the config with one field broken.
// Functions known to break the contract are listed in KNOWN with a reproduction (reported to the lead): they are not
// fuzzed until fixed, and an `it.todo` names each one.
import * as tf from '@tensorflow/tfjs-core';
import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
import {
  edgeNumberArb,
  type FuzzReport,
  fuzzFailures,
  fuzzPublicFunction,
  fuzzSummary,
  genericArgsArb,
  hostileValueArb,
  invokeExport,
  lazyValue,
  tensorSpecArb,
  uncoveredExports,
} from '@tessera/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

const reports: FuzzReport[] = [];
afterAll(() => {
  console.log(fuzzSummary(reports, 'fuzz @tessera/dlrm-model'));
});

const BUDGET = { numRuns: 60, totalBudgetMs: 1200 };
const config = () => ({
  denseFeatures: 2,
  embeddingDim: 2,
  tableSizes: [5, 3],
  featureNames: ['f', 'g'],
  bottomMlp: [2],
  topMlp: [3, 1],
  interaction: 'dot' as const,
});
const configArb = fc.oneof(
  { arbitrary: fc.constant(null).map(config), weight: 1 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(...Object.keys(config())),
        fc.oneof(hostileValueArb(), edgeNumberArb(), fc.constant([2 ** 40, 2]), fc.constant([1e6, 1e6])),
      )
      .map(([k, v]) => ({ ...config(), [k]: v })),
    weight: 3,
  },
);
const model = lazyValue('DlrmModel', () => api.DlrmModel.create(config()));
const batch = lazyValue('DlrmBatch', () => ({
  dense: tf.tensor2d([
    [1, 0],
    [0, 1],
  ]),
  sparse: KeyedJaggedTensor.fromLengths({ keys: ['f', 'g'], values: tf.tensor1d([1, 4, 1, 2, 0], 'int32'), lengths: [2, 1, 1, 1] }),
  labels: tf.tensor2d([[1], [0]]),
}));
const world = fc.oneof(
  { arbitrary: hostileValueArb(), weight: 3 },
  { arbitrary: edgeNumberArb(), weight: 2 },
  { arbitrary: tensorSpecArb({ rank: [0, 3], maxDim: 4 }), weight: 1 },
  { arbitrary: configArb, weight: 2 },
  { arbitrary: model, weight: 1 },
  { arbitrary: batch, weight: 1 },
  { arbitrary: fc.constantFrom('bce', 'mse'), weight: 1 },
  { arbitrary: fc.float32Array({ maxLength: 8 }), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 1 },
);

type Fn = (...a: never[]) => unknown;
const specific: Record<string, fc.Arbitrary<readonly unknown[]>> = {
  'DlrmModel.create': fc.tuple(configArb, fc.oneof(fc.constant(undefined), hostileValueArb())),
};

const EXEMPT: Record<string, string> = {
  CRITEO_CAT_COLUMNS: 'a numeric constant (26 categorical columns)',
  CRITEO_INT_COLUMNS: 'a numeric constant (13 integer columns)',
  CRITEO_FEATURE_NAMES: 'a frozen array of feature names (data)',
  MAX_EPOCHS: 'a numeric constant (the documented bound)',
  MAX_SYNTHETIC_ROWS: 'a numeric constant (the documented bound)',
  MAX_TABLE_ELEMENTS: 'a numeric constant (the documented bound)',
  DlrmModel: 'its constructor is private (throws INVALID_ARGUMENT); fuzzed as DlrmModel.create and its methods below',
};

/** Functions found to break the contract (reported with these reproductions); not fuzzed until fixed. */
const KNOWN: Record<string, string> = {};

const fns: [string, Fn][] = [
  ...(Object.entries(api).filter(([n, v]) => typeof v === 'function' && !(n in EXEMPT)) as [string, Fn][]),
  ['DlrmModel.create', api.DlrmModel.create as Fn],
];
const methods = ['forward', 'stateDict', 'loadStateDict', 'denseParameters', 'denseParameterNames'];

describe('fuzz: every public function of @tessera/dlrm-model', () => {
  it('every runtime export has a fuzz entry or a listed exemption', () => {
    expect(
      uncoveredExports(
        api as Record<string, unknown>,
        fns.map(([n]) => n).filter((n) => !n.includes('.')),
        EXEMPT,
      ),
    ).toEqual([]);
  });
  for (const [n, f] of fns) {
    if (n in KNOWN) continue;
    it(n, async () => {
      const r = await fuzzPublicFunction(n, (...a: unknown[]) => invokeExport(f, a), specific[n] ?? genericArgsArb(world, 4), BUDGET);
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    });
  }
  for (const m of methods) {
    const n = `DlrmModel.${m}`;
    if (n in KNOWN) continue;
    it(n, async () => {
      const r = await fuzzPublicFunction(
        n,
        (x: unknown, ...a: unknown[]) => (x as unknown as Record<string, (...b: unknown[]) => unknown>)[m](...a),
        fc.tuple(model, world, world).map((t) => [...t]),
        BUDGET,
      );
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    });
  }
  for (const [n, repro] of Object.entries(KNOWN)) it.todo(`${n}: known failure, not fuzzed until fixed: ${repro}`);
});
