// Fuzz suite: every public function of @tessera/jagged-tensors (free functions, constructors, static and instance
// methods, the jt/kjt/kt/ops namespaces) answers hostile and structure-aware arguments with a valid result or a
// TesseraError, within its time budget, leaking no tensor (harness: @tessera/testing fuzz.ts).
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
  intArrayArb,
  lazyValue,
  orHostile,
  tensorSpecArb,
  uncoveredExports,
} from '@tessera/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { JaggedTensor, KeyedJaggedTensor, KeyedTensor } from '../src/index.js';

const reports: FuzzReport[] = [];
afterAll(() => {
  console.log(fuzzSummary(reports, 'fuzz @tessera/jagged-tensors'));
});

const BUDGET = { numRuns: 100, totalBudgetMs: 1000 };
const i32 = (a: number[]) => tf.tensor1d(a, 'int32');
const f32 = (a: number[]) => tf.tensor1d(a, 'float32');

// Structure-aware values: valid objects of each kind (built fresh for every case), disposed ones, and look-alikes.
const kjtV = lazyValue('kjt', () =>
  KeyedJaggedTensor.fromLengths({ keys: ['a', 'b'], values: i32([1, 2, 3, 4, 5]), lengths: [2, 0, 1, 2] }),
);
const wkjtV = lazyValue('weighted kjt', () =>
  KeyedJaggedTensor.fromLengths({ keys: ['a'], values: i32([1, 2, 1]), weights: f32([0.5, 1, 2]), lengths: [2, 1, 0] }),
);
const ikjtV = lazyValue(
  'ikjt',
  () =>
    new KeyedJaggedTensor({
      keys: ['u'],
      values: i32([5, 6, 7]),
      lengths: [2, 1],
      stridePerKeyPerRank: [[2]],
      inverse: { names: ['u'], idx: [[0, 1, 0]] },
    }),
);
const vbeV = lazyValue('vbe kjt', () =>
  KeyedJaggedTensor.fromLengths({ keys: ['a', 'b'], values: i32([1, 2, 3]), lengths: [1, 1, 1], stridePerKeyPerRank: [[1], [2]] }),
);
const deadKjtV = lazyValue('disposed kjt', () => {
  const k = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: i32([1, 2]), lengths: [2, 0] });
  k.dispose();
  return k;
});
const emptyKjtV = lazyValue('empty kjt', () => KeyedJaggedTensor.empty({ weighted: true }));
const jtV = lazyValue('jt', () => new JaggedTensor({ values: i32([1, 7, 8]), lengths: [1, 0, 2] }));
const fjtV = lazyValue('float jt', () => new JaggedTensor({ values: tf.ones([3, 2]), weights: f32([1, 2, 3]), lengths: [2, 1] }));
const deadJtV = lazyValue('disposed jt', () => {
  const j = new JaggedTensor({ values: i32([1]), lengths: [1] });
  j.dispose();
  return j;
});
const ktV = lazyValue('kt', () => new KeyedTensor({ keys: ['x', 'y'], lengthPerKey: [2, 1], values: tf.ones([2, 3]) }));
const deadKtV = lazyValue('disposed kt', () => {
  const k = new KeyedTensor({ keys: ['z'], lengthPerKey: [1], values: tf.ones([2, 1]) });
  k.dispose();
  return k;
});
const tableV = lazyValue('table [10, 4]', () => tf.ones([10, 4]));
const kjtArb = fc.oneof(
  { arbitrary: fc.oneof(kjtV, wkjtV, ikjtV, vbeV, emptyKjtV), weight: 4 },
  { arbitrary: deadKjtV, weight: 1 },
  { arbitrary: fc.oneof(jtV, ktV, hostileValueArb()), weight: 1 },
);
// receivers of instance methods: objects of the right class, valid or disposed (a method is not called on others)
const kjtRecv = fc.oneof({ arbitrary: fc.oneof(kjtV, wkjtV, ikjtV, vbeV, emptyKjtV), weight: 4 }, { arbitrary: deadKjtV, weight: 1 });
const jtRecv = fc.oneof({ arbitrary: fc.oneof(jtV, fjtV), weight: 4 }, { arbitrary: deadJtV, weight: 1 });
const ktRecv = fc.oneof({ arbitrary: ktV, weight: 4 }, { arbitrary: deadKtV, weight: 1 });
const jtArb = fc.oneof({ arbitrary: fc.oneof(jtV, fjtV), weight: 4 }, { arbitrary: fc.oneof(deadJtV, kjtV, hostileValueArb()), weight: 1 });
const ktArb = fc.oneof({ arbitrary: ktV, weight: 4 }, { arbitrary: fc.oneof(deadKtV, kjtV, hostileValueArb()), weight: 1 });
// padded lengths: small, or past the documented bound (B × N × D <= 2^26, checked at once); the valid-but-large
// range in between is slow by nature (it allocates what it is asked for) and is not fuzzed
const padLength = fc.oneof(fc.nat(64), fc.constantFrom(2 ** 27, 2 ** 31, 2 ** 53, 1e12, 1e300, -1, 0.5, Number.NaN), hostileValueArb());
const tensorArb = fc.oneof(
  { arbitrary: tensorSpecArb({ dtypes: ['int32', 'float32'], rank: [1, 2], maxDim: 6 }), weight: 3 },
  { arbitrary: tensorSpecArb(), weight: 1 },
  { arbitrary: hostileValueArb(), weight: 1 },
);
const keys = fc.oneof(fc.constantFrom(['a'], ['a', 'b'], ['u'], ['x', 'y'], [], ['a', 'a']), hostileValueArb());
const key = fc.oneof(fc.constantFrom('a', 'b', 'u', 'x', 'zz'), hostileValueArb());
const lengths = intArrayArb({ maxLength: 6, min: 0, max: 3 });
const indices = intArrayArb({ maxLength: 5, min: -1, max: 4 });
const groups = fc.oneof(fc.constantFrom([['a', 'b']], [['u']], [['x'], ['y']], [['a'], ['a']], [[]]), hostileValueArb());
const kjtInit = orHostile(
  fc.record(
    {
      keys,
      values: tensorArb,
      weights: fc.oneof(fc.constant(null), tensorArb),
      lengths,
      offsets: intArrayArb({ maxLength: 6, min: 0, max: 6 }),
      stride: orHostile(fc.nat(4)),
      stridePerKeyPerRank: fc.oneof(fc.constant(null), fc.constant([[1], [2]]), hostileValueArb()),
      inverse: fc.oneof(
        fc.constant(null),
        fc.record({ names: keys, idx: fc.oneof(fc.constant([[0, 1, 0]]), hostileValueArb()) }),
        hostileValueArb(),
      ),
      groups: fc.oneof(fc.constant(null), groups),
      lengthPerKey: intArrayArb({ maxLength: 3 }),
      offsetPerKey: intArrayArb({ maxLength: 3 }),
    },
    { requiredKeys: ['keys', 'values'] },
  ),
);
const jtInit = orHostile(
  fc.record(
    { values: tensorArb, weights: fc.oneof(fc.constant(null), tensorArb), lengths, offsets: lengths },
    { requiredKeys: ['values'] },
  ),
);
const torchrec = orHostile(
  fc.record(
    {
      keys,
      values: fc.oneof(fc.constant([1, 2, 3]), fc.constant(Float32Array.from([1, 2, 3])), hostileValueArb()),
      lengths,
      weights: fc.oneof(fc.constant(null), fc.constant([1, 1, 1]), hostileValueArb()),
      stride: orHostile(fc.nat(4)),
      stride_per_key_per_rank: fc.oneof(fc.constant(null), hostileValueArb()),
      inverse_indices: fc.oneof(fc.constant(null), fc.constant([['a'], [[0, 0]]]), hostileValueArb()),
      values_dtype: orHostile(fc.constantFrom('int32', 'float32')),
      values_trailing_shape: fc.oneof(fc.constant([]), fc.constant([3]), hostileValueArb(), fc.array(edgeNumberArb(), { maxLength: 2 })),
      groups: fc.oneof(fc.constant(null), groups),
    },
    { requiredKeys: ['keys', 'values', 'lengths'] },
  ),
);
const tableConfig = fc.record(
  {
    name: orHostile(fc.constantFrom('t', 't2')),
    numEmbeddings: fc.oneof(fc.integer({ min: 1, max: 20 }), edgeNumberArb()),
    embeddingDim: fc.oneof(fc.integer({ min: 1, max: 4 }), edgeNumberArb()),
    featureNames: fc.oneof(fc.constant(['a']), fc.constant(['a', 'b']), hostileValueArb()),
    pooling: orHostile(fc.constantFrom('sum', 'mean')),
    weight: tensorSpecArb({ dtypes: ['float32'], rank: [2, 2] }),
  },
  { requiredKeys: ['name', 'numEmbeddings', 'embeddingDim', 'featureNames'] },
);
const collectionOptions = orHostile(
  fc.record({
    tables: orHostile(fc.array(orHostile(tableConfig), { maxLength: 2 })),
    seed: orHostile(fc.nat()),
    trainable: orHostile(fc.boolean()),
  }),
);
const fusedOptions = orHostile(
  fc.record({
    tables: orHostile(fc.array(orHostile(tableConfig), { maxLength: 2 })),
    optimizer: orHostile(fc.constantFrom('exact_sgd', 'exact_rowwise_adagrad')),
    learningRate: fc.oneof(fc.constantFrom(0, 0.1), edgeNumberArb(), hostileValueArb()),
    eps: fc.oneof(fc.constant(undefined), fc.constant(1e-8), edgeNumberArb()),
    seed: orHostile(fc.nat()),
  }),
);
const fusedV = lazyValue(
  'fused ebc',
  () =>
    new api.FusedEmbeddingBagCollection({
      tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 2, featureNames: ['a', 'b'] }],
      optimizer: 'exact_rowwise_adagrad',
      learningRate: 0.1,
    }),
);
const lookupTables = orHostile(
  fc.array(
    orHostile(
      fc.record({
        name: orHostile(fc.constantFrom('t', 't2')),
        weight: fc.oneof(tableV, tensorSpecArb({ dtypes: ['float32'], rank: [2, 2] })),
        featureNames: fc.oneof(fc.constant(['a']), fc.constant(['a', 'b']), fc.constant(['u']), hostileValueArb()),
        pooling: orHostile(fc.constantFrom('sum', 'mean', 'none')),
      }),
    ),
    { maxLength: 2 },
  ),
);
const sessionOptions = orHostile(
  fc.record(
    {
      batchSize: fc.oneof(fc.integer({ min: 0, max: 16 }), edgeNumberArb()),
      meanSessionLength: fc.oneof(fc.double({ min: 1, max: 5, noNaN: true }), edgeNumberArb()),
      fixedSessionLength: orHostile(fc.boolean()),
      batching: orHostile(fc.constantFrom('clustered', 'shuffled')),
      poolSessions: orHostile(fc.integer({ min: 1, max: 8 })),
      features: orHostile(
        fc.array(
          orHostile(
            fc.record({
              name: orHostile(fc.constantFrom('f', 'g')),
              rows: fc.oneof(fc.integer({ min: 1, max: 100 }), edgeNumberArb()),
              meanPoolingFactor: fc.oneof(fc.double({ min: 0, max: 4, noNaN: true }), edgeNumberArb()),
              maxPoolingFactor: orHostile(fc.integer({ min: 1, max: 8 })),
              zipfExponent: orHostile(fc.double({ min: 0, max: 2, noNaN: true })),
              scope: orHostile(fc.constantFrom('session', 'sample')),
              changeProb: orHostile(fc.double({ min: 0, max: 1, noNaN: true })),
            }),
          ),
          { maxLength: 2 },
        ),
      ),
      hashIds: orHostile(fc.boolean()),
      seed: orHostile(fc.nat()),
    },
    { requiredKeys: ['batchSize', 'meanSessionLength', 'features'] },
  ),
);

type Fn = (...a: never[]) => unknown;
type Entry = [string, Fn, fc.Arbitrary<unknown>[]];
const call =
  <T>(m: (x: T, ...a: unknown[]) => unknown) =>
  (x: unknown, ...a: unknown[]) =>
    m(x as T, ...a);
const entries: Entry[] = [
  ['completeCumsum', api.completeCumsum, [lengths]],
  ['dedup', api.dedup, [kjtArb, fc.oneof(fc.constant(undefined), fc.record({ groups }), groups, hostileValueArb())]],
  ['expand', api.expand, [kjtArb]],
  ['isIkjt', api.isIkjt, [kjtArb]],
  ['toTorchrec', api.toTorchrec, [kjtArb]],
  ['fromTorchrec', api.fromTorchrec, [torchrec]],
  [
    'saveKjt',
    api.saveKjt,
    [kjtArb, orHostile(fc.record({ metadata: orHostile(fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }))) }))],
  ],
  ['jaggedIndexSelect', api.jaggedIndexSelect, [tensorArb, lengths, indices]],
  [
    'embeddingBag',
    api.embeddingBag,
    [
      fc.oneof(tableV, tensorArb),
      jtArb,
      orHostile(fc.record({ mode: orHostile(fc.constantFrom('sum', 'mean')), perSampleWeights: fc.oneof(fc.constant(null), tensorArb) })),
    ],
  ],
  ['pooledLookup', api.pooledLookup, [lookupTables, kjtArb]],
  ['sequenceLookup', api.sequenceLookup, [lookupTables, kjtArb]],
  [
    'defaultSessionFeatures',
    api.defaultSessionFeatures,
    [
      fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 30 }), edgeNumberArb(), hostileValueArb()),
      orHostile(fc.record({ rows: fc.oneof(fc.nat(1000), edgeNumberArb()) })),
    ],
  ],
  ['generateSessionBatch', api.generateSessionBatch, [sessionOptions]],
  ['EmbeddingBagCollection', (o: unknown) => new api.EmbeddingBagCollection(o as never), [collectionOptions]],
  ['EmbeddingCollection', (o: unknown) => new api.EmbeddingCollection(o as never), [collectionOptions]],
  ['FusedEmbeddingBagCollection', (o: unknown) => new api.FusedEmbeddingBagCollection(o as never), [fusedOptions]],
  [
    'FusedEmbeddingBagCollection.forward',
    (e: unknown, x: unknown) => (e as api.FusedEmbeddingBagCollection).forward(x as never),
    [fusedV, kjtArb],
  ],
  [
    'FusedEmbeddingBagCollection.backward',
    (e: unknown, x: unknown, g: unknown) => (e as api.FusedEmbeddingBagCollection).backward(x as never, g as never),
    [fusedV, kjtArb, fc.oneof(tensorArb, ktArb)],
  ],
  [
    'FusedEmbeddingBagCollection.weight',
    (e: unknown, n: unknown) => (e as api.FusedEmbeddingBagCollection).weight(n as never),
    [fusedV, fc.oneof(fc.constantFrom('t', 'x'), hostileValueArb())],
  ],
  [
    'FusedEmbeddingBagCollection.momentum',
    (e: unknown, n: unknown) => (e as api.FusedEmbeddingBagCollection).momentum(n as never),
    [fusedV, fc.oneof(fc.constantFrom('t', 'x'), hostileValueArb())],
  ],
  [
    'EmbeddingBagCollection.forward',
    (e: unknown, x: unknown) => (e as api.EmbeddingBagCollection).forward(x as never),
    [
      lazyValue(
        'ebc',
        () => new api.EmbeddingBagCollection({ tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 2, featureNames: ['a', 'b'] }] }),
      ),
      kjtArb,
    ],
  ],
  [
    'EmbeddingCollection.forward',
    (e: unknown, x: unknown) => (e as api.EmbeddingCollection).forward(x as never),
    [
      lazyValue(
        'ec',
        () => new api.EmbeddingCollection({ tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 2, featureNames: ['u'] }] }),
      ),
      kjtArb,
    ],
  ],
  ['JaggedTensor', (i: unknown) => new JaggedTensor(i as never), [jtInit]],
  [
    'JaggedTensor.fromDense',
    (r: unknown, w: unknown) => JaggedTensor.fromDense(r as never, w as never),
    [
      fc.oneof(fc.array(tensorArb, { maxLength: 3 }), hostileValueArb()),
      fc.oneof(fc.constant(undefined), fc.array(tensorArb, { maxLength: 3 })),
    ],
  ],
  [
    'JaggedTensor.fromDenseLengths',
    (v: unknown, l: unknown, w: unknown) => JaggedTensor.fromDenseLengths(v as never, l as never, w as never),
    [tensorArb, lengths, fc.oneof(fc.constant(undefined), tensorArb)],
  ],
  [
    'JaggedTensor.toPaddedDense',
    call<JaggedTensor>((x, d, p) => x.toPaddedDense(d as never, p as never)),
    [
      jtRecv,
      fc.oneof(
        fc.constant(undefined),
        padLength,
        fc.record({ desiredLength: padLength, paddingValue: orHostile(fc.double()) }),
        hostileValueArb(),
      ),
      orHostile(fc.double()),
    ],
  ],
  [
    'JaggedTensor.toPaddedDenseWeights',
    call<JaggedTensor>((x, d) => x.toPaddedDenseWeights(d as never)),
    [jtRecv, fc.oneof(fc.constant(undefined), padLength)],
  ],
  ['JaggedTensor.toDense', call<JaggedTensor>((x) => x.toDense()), [jtRecv]],
  ['JaggedTensor.toDenseWeights', call<JaggedTensor>((x) => x.toDenseWeights()), [jtRecv]],
  ['JaggedTensor.validate', call<JaggedTensor>((x) => x.validate()), [jtRecv]],
  [
    'JaggedTensor.equal',
    (a: unknown, b: unknown, t: unknown) => JaggedTensor.equal(a as never, b as never, t as never),
    [jtArb, jtArb, orHostile(fc.record({ rtol: fc.double(), atol: fc.double() }))],
  ],
  ['KeyedJaggedTensor', (i: unknown) => new KeyedJaggedTensor(i as never), [kjtInit]],
  ['KeyedJaggedTensor.createAsync', (i: unknown) => KeyedJaggedTensor.createAsync(i as never), [kjtInit]],
  [
    'KeyedJaggedTensor.empty',
    (o: unknown) => KeyedJaggedTensor.empty(o as never),
    [orHostile(fc.record({ valuesDtype: orHostile(fc.constantFrom('int32', 'float32')), weighted: orHostile(fc.boolean()) }))],
  ],
  [
    'KeyedJaggedTensor.fromJtDict',
    (d: unknown) => KeyedJaggedTensor.fromJtDict(d as never),
    [fc.oneof(fc.record({ a: jtArb }), fc.record({ a: jtArb, b: jtArb }), hostileValueArb())],
  ],
  [
    'KeyedJaggedTensor.concat',
    (l: unknown) => KeyedJaggedTensor.concat(l as never),
    [fc.oneof(fc.array(kjtArb, { maxLength: 3 }), hostileValueArb())],
  ],
  ['KeyedJaggedTensor.get', call<KeyedJaggedTensor>((x, k) => x.get(k as never)), [kjtRecv, key]],
  ['KeyedJaggedTensor.toDict', call<KeyedJaggedTensor>((x) => x.toDict()), [kjtRecv]],
  [
    'KeyedJaggedTensor.split',
    call<KeyedJaggedTensor>((x, s) => x.split(s as never)),
    [kjtRecv, intArrayArb({ maxLength: 3, min: 0, max: 2 })],
  ],
  ['KeyedJaggedTensor.permute', call<KeyedJaggedTensor>((x, i) => x.permute(i as never)), [kjtRecv, indices]],
  [
    'KeyedJaggedTensor.indexSelectDim1',
    call<KeyedJaggedTensor>((x, i, o) => x.indexSelectDim1(i as never, o as never)),
    [kjtRecv, indices, orHostile(fc.record({ compact: orHostile(fc.boolean()) }))],
  ],
  ['KeyedJaggedTensor.emptyLike', call<KeyedJaggedTensor>((x) => x.emptyLike()), [kjtRecv]],
  ['KeyedJaggedTensor.equal', (a: unknown, b: unknown) => KeyedJaggedTensor.equal(a as never, b as never), [kjtArb, kjtArb]],
  ['KeyedJaggedTensor.bitwiseEqual', call<KeyedJaggedTensor>((a, b) => a.bitwiseEqual(b as never)), [kjtRecv, kjtArb]],
  ['KeyedJaggedTensor.distSplits', call<KeyedJaggedTensor>((x, s) => x.distSplits(s as never)), [kjtRecv, intArrayArb({ maxLength: 3 })]],
  ['KeyedJaggedTensor.validate', call<KeyedJaggedTensor>((x) => x.validate()), [kjtRecv]],
  ['InverseKeyedJaggedTensor.inverseIndicesOf', call<api.InverseKeyedJaggedTensor>((x, k) => x.inverseIndicesOf(k as never)), [ikjtV, key]],
  [
    'InverseKeyedJaggedTensor.validate',
    call<api.InverseKeyedJaggedTensor>((x, o) => x.validate(o as never)),
    [ikjtV, orHostile(fc.record({ dedupOrder: orHostile(fc.boolean()) }))],
  ],
  [
    'KeyedTensor',
    (i: unknown) => new KeyedTensor(i as never),
    [orHostile(fc.record({ keys, lengthPerKey: intArrayArb({ maxLength: 3 }), values: tensorArb }))],
  ],
  [
    'KeyedTensor.fromTensorList',
    (k: unknown, t: unknown) => KeyedTensor.fromTensorList(k as never, t as never),
    [keys, fc.oneof(fc.array(tensorArb, { maxLength: 3 }), hostileValueArb())],
  ],
  ['KeyedTensor.get', call<KeyedTensor>((x, k) => x.get(k as never)), [ktRecv, key]],
  ['KeyedTensor.toDict', call<KeyedTensor>((x) => x.toDict()), [ktRecv]],
  [
    'KeyedTensor.regroup',
    (k: unknown, g: unknown) => KeyedTensor.regroup(k as never, g as never),
    [fc.oneof(fc.array(ktArb, { maxLength: 2 }), hostileValueArb()), groups],
  ],
  [
    'KeyedTensor.regroupAsDict',
    (k: unknown, g: unknown, n: unknown) => KeyedTensor.regroupAsDict(k as never, g as never, n as never),
    [fc.oneof(fc.array(ktArb, { maxLength: 2 }), hostileValueArb()), groups, keys],
  ],
];

// Namespace members get generic arguments: each argument drawn from every kind of value above.
const anyArg = fc.oneof(kjtArb, jtArb, ktArb, tensorArb, lengths, keys, key, groups, fc.constant(undefined));
const NAMESPACE_UNCHECKED = new Set(['createUnsafe']);
for (const ns of ['jt', 'kjt', 'kt', 'ops'] as const) {
  for (const [m, f] of Object.entries(api[ns] as Record<string, Fn>)) {
    if (NAMESPACE_UNCHECKED.has(m)) continue;
    entries.push([`${ns}.${m}`, f, [anyArg, anyArg, anyArg]]);
  }
}

const EXEMPT: Record<string, string> = {};

describe('fuzz: every public function of @tessera/jagged-tensors', () => {
  it('every runtime export has a fuzz entry or a listed exemption', () => {
    const fuzzed = [...new Set(entries.map(([n]) => n.split('.')[0]))];
    expect(uncoveredExports(api as Record<string, unknown>, [...fuzzed, 'loadKjt'], EXEMPT)).toEqual([]);
  });
  for (const [n, f, args] of entries) {
    it(n, async () => {
      const r = await fuzzPublicFunction(n, f, args, BUDGET);
      reports.push(r);
      expect(fuzzFailures([r])).toBe('');
    });
  }
  it('loadKjt (bytes: truncation at every length, mutations, hostile headers)', async () => {
    const k = KeyedJaggedTensor.fromLengths({
      keys: ['a', 'b'],
      values: i32([1, 2, 3, 4]),
      weights: f32([1, 2, 3, 4]),
      lengths: [2, 0, 1, 1],
    });
    const src = KeyedJaggedTensor.fromLengths({ keys: ['u'], values: i32([5, 6, 5, 6]), lengths: [2, 2] });
    const ik = api.dedup(src);
    const seeds = [api.saveKjt(k), api.saveKjt(ik)];
    k.dispose();
    src.dispose();
    ik.dispose();
    const r = await fuzzLoader('loadKjt', api.loadKjt, seeds, {
      numRuns: 300,
      names: ['values', 'lengths', 'weights', 'inverse_indices'],
      metadata: parseSafetensors(seeds[1]).metadata,
    });
    reports.push(r);
    expect(fuzzFailures([r])).toBe('');
  });
});
