// Embedding bags and the EmbeddingBagCollection against the float64 reference.
import * as tf from '@tensorflow/tfjs-core';
import { expectBitsEqual, expectNoLeaks, expectUlpClose } from '@tessera/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupingArb, kjtDataArb, makeKjt } from '../test/arbitraries.js';
import { expectError, f32, i32, noLeaks, noLeaksAsync, sequentialSums, sumAll } from '../test/helpers.js';
import { refPool, refPoolGrad, toRef } from '../test/reference/naive.js';
import { dedup } from './dedup.js';
import { EmbeddingBagCollection } from './embedding-bag-collection.js';
import { JaggedTensor } from './jagged-tensor.js';
import { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { embeddingBag } from './pooling.js';

const tableArb = (R: number, D: number) =>
  fc.array(fc.float({ min: Math.fround(-2), max: Math.fround(2), noNaN: true }), { minLength: R * D, maxLength: R * D });
const rowsOf = (flat: number[], D: number) => Array.from({ length: flat.length / D }, (_, r) => flat.slice(r * D, r * D + D));

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
}

describe('embeddingBag', () => {
  it('sum / mean / weighted sum match the float64 reference; empty bags give zeros; gradients match', () =>
    fc.assert(
      fc.asyncProperty(
        kjtDataArb({ maxKeys: 1, maxB: 6, maxLen: 4, idRange: 5 }),
        tableArb(5, 3),
        fc.constantFrom('sum', 'mean'),
        fc.array(fc.float({ min: Math.fround(-1), max: Math.fround(1), noNaN: true }), { minLength: 18, maxLength: 18 }),
        (d, flat, modeIn, g) =>
          noLeaksAsync(async (t) => {
            const mode = d.weights ? 'sum' : (modeIn as 'sum' | 'mean');
            const kjt = t(makeKjt(d));
            const bags = toRef(kjt).bags[0]; // reads the ids while they are host data
            const jt = t(kjt.get('f0'));
            const table = t(tf.tensor2d(flat, [5, 3]));
            const out = t(embeddingBag(table, jt, { mode }));
            const ref = refPool(rowsOf(flat, 3), bags, mode);
            expect(out.shape).toEqual([d.B, 3]);
            const outV = await out.data();
            expectClose(outV, ref.flat(), 1e-5);
            bags.forEach((b, i) => {
              if (b.rows.length === 0) expect(Array.from(outV.slice(i * 3, i * 3 + 3))).toEqual([0, 0, 0]);
            });
            const gy = t(tf.tensor2d(g.slice(0, d.B * 3), [d.B, 3]));
            const [gT] = tf
              .grads((T: tf.Tensor) => sumAll(tf.mul(embeddingBag(T as tf.Tensor2D, jt, { mode }), gy)))([table])
              .map(t);
            expectClose(await gT.data(), refPoolGrad(5, 3, bags, rowsOf(g.slice(0, d.B * 3), 3), mode).flat(), 1e-5);
          }),
      ),
      { numRuns: 120, seed: 11 },
    ));

  it('perSampleWeights overrides the JT weights; weights with mean are UNSUPPORTED', () =>
    noLeaksAsync(async (t) => {
      const table = t(
        tf.tensor2d([
          [1, 0],
          [0, 1],
          [2, 2],
        ]),
      );
      const jt = t(new JaggedTensor({ values: i32([0, 2, 1]), lengths: [2, 0, 1] }));
      expect(await t(embeddingBag(table, jt)).array()).toEqual([
        [3, 2],
        [0, 0],
        [0, 1],
      ]);
      expect(await t(embeddingBag(table, jt, { mode: 'mean' })).array()).toEqual([
        [1.5, 1],
        [0, 0],
        [0, 1],
      ]);
      const w = t(f32([2, 0.5, -1]));
      expect(await t(embeddingBag(table, jt, { perSampleWeights: w })).array()).toEqual([
        [3, 1],
        [0, 0],
        [0, -1],
      ]);
      expectError(() => embeddingBag(table, jt, { mode: 'mean', perSampleWeights: w }), 'UNSUPPORTED');
    }));

  it('out-of-range ids and bad inputs are errors, never clamps; no leaks on error paths', () =>
    noLeaks((t) => {
      const table = t(tf.zeros([4, 2])) as tf.Tensor2D;
      for (const bad of [4, -1, 1 << 30]) {
        const jt = t(new JaggedTensor({ values: i32([0, bad]), lengths: [1, 1] }));
        const e = expectError(() => embeddingBag(table, jt), 'INDEX_OUT_OF_RANGE');
        expect(e.details).toMatchObject({ sample: 1, position: 0, id: bad, rows: 4 });
        expectError(() => tf.grads((T: tf.Tensor) => tf.sum(embeddingBag(T as tf.Tensor2D, jt)))([table]), 'INDEX_OUT_OF_RANGE');
      }
      const fjt = t(new JaggedTensor({ values: f32([0, 1]), lengths: [2] }));
      expectError(() => embeddingBag(table, fjt), 'INVALID_DTYPE');
      const v = t(i32([0, 1]));
      expectError(() => new JaggedTensor({ values: v, lengths: [3, -1] }), 'INVALID_FORMAT', 'J2');
      const jt = t(new JaggedTensor({ values: i32([0]), lengths: [1] }));
      const intTable = t(tf.zeros([2, 2], 'int32')) as tf.Tensor2D;
      expectError(() => embeddingBag(intTable, jt), 'INVALID_DTYPE');
      expectError(() => embeddingBag(table, jt, { mode: 'max' as 'sum' }), 'INVALID_ARGUMENT');
    }));
});

const dataArb = kjtDataArb({ maxKeys: 3, maxB: 8, maxLen: 3, idRange: 3 }).chain((d) => fc.tuple(fc.constant(d), groupingArb(d.keys)));

function makeEbc(keys: string[], mode: 'sum' | 'mean', seed: number): EmbeddingBagCollection {
  // table 0 serves the first key, table 1 the others (a shared table), dims 3 and 4.
  const tables = [{ name: 't0', numEmbeddings: 3, embeddingDim: 3, featureNames: keys.slice(0, 1), pooling: mode }];
  if (keys.length > 1) tables.push({ name: 't1', numEmbeddings: 3, embeddingDim: 4, featureNames: keys.slice(1), pooling: mode });
  return new EmbeddingBagCollection({ tables, seed });
}

describe('EmbeddingBagCollection over KJT and IKJT', () => {
  it('pooling commutes with expansion (sum bit-exact, mean within 1 ulp); gradients over IKJT equal those over expand(IKJT)', () =>
    fc.assert(
      fc.asyncProperty(dataArb, fc.integer(), fc.constantFrom('sum', 'mean'), ([d, groups], seed, modeIn) =>
        noLeaksAsync(async (t) => {
          const mode = d.weights ? 'sum' : (modeIn as 'sum' | 'mean');
          const ebc = t(makeEbc(d.keys, mode, seed));
          const kjt = t(makeKjt(d));
          const ikjt = t(dedup(kjt, { groups }));
          const a = t(ebc.forward(kjt));
          const b = t(ebc.forward(ikjt));
          expect(b.keys).toEqual(a.keys);
          expect(b.values.shape).toEqual([d.B, a.values.shape[1]]);
          const [av, bv] = (await Promise.all([a.values.data(), b.values.data()])) as Float32Array[];
          if (!sequentialSums())
            expectClose(bv, Array.from(av), 1e-6); // tfjs ops on a GPU: atomic adds, any order
          else if (mode === 'sum') expectBitsEqual(bv, av);
          else expectUlpClose(bv, av, 1);
          const vars = Object.values(ebc.parameters());
          const G = t(tf.randomNormal(a.values.shape, 0, 1, 'float32', seed & 0xffff));
          const loss = (x: KeyedJaggedTensor) => () => sumAll(tf.mul(ebc.forward(x).values, G));
          const ga = tf.variableGrads(loss(kjt), vars);
          const gb = tf.variableGrads(loss(ikjt), vars);
          for (const name of Object.keys(ga.grads)) {
            expectClose(await gb.grads[name].data(), Array.from(await ga.grads[name].data()), 1e-5);
          }
          tf.dispose([ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
        }),
      ),
      { numRuns: 100, seed: 5 },
    ));

  it('output layout: keys in table order, widths = table dims (t1 dim 3, t2 dim 4 → [0,3,7])', () =>
    noLeaksAsync(async (t) => {
      const ebc = t(
        new EmbeddingBagCollection({
          tables: [
            { name: 't1', numEmbeddings: 4, embeddingDim: 3, featureNames: ['f1'] },
            { name: 't2', numEmbeddings: 4, embeddingDim: 4, featureNames: ['f2'] },
          ],
        }),
      );
      const kjt = t(KeyedJaggedTensor.fromLengths({ keys: ['f2', 'f1'], values: i32([0, 1, 2, 3]), lengths: [1, 1, 2, 0] }));
      const kt = t(ebc.forward(kjt));
      expect(kt.keys).toEqual(['f1', 'f2']);
      expect(kt.offsetPerKey).toEqual([0, 3, 7]);
      const w1 = ebc.parameters().t1;
      const f1 = t(kt.get('f1'));
      const expected = t(tf.tidy(() => tf.stack([tf.add(tf.gather(w1, 2), tf.gather(w1, 3)), tf.zeros([3])])));
      expectClose(await f1.data(), Array.from(await expected.data()), 1e-6);
    }));

  it('errors: missing feature, VBE without inverse, weights with mean, out-of-range id, bad config', () =>
    noLeaks((t) => {
      const ebc = t(
        new EmbeddingBagCollection({ tables: [{ name: 't', numEmbeddings: 2, embeddingDim: 2, featureNames: ['a'], pooling: 'mean' }] }),
      );
      const vals = t(i32([0, 1, 1]));
      const other = new KeyedJaggedTensor({ keys: ['b'], values: vals, lengths: [1, 2] });
      expectError(() => ebc.forward(other), 'INVALID_KEY');
      const vbe = new KeyedJaggedTensor({ keys: ['a'], values: vals, lengths: [1, 2], stridePerKeyPerRank: [[2]] });
      expectError(() => ebc.forward(vbe), 'UNSUPPORTED');
      const w = t(f32([1, 1, 1]));
      const weighted = new KeyedJaggedTensor({ keys: ['a'], values: vals, weights: w, lengths: [1, 2] });
      expectError(() => ebc.forward(weighted), 'UNSUPPORTED');
      const big = t(i32([0, 2]));
      expectError(() => ebc.forward(new KeyedJaggedTensor({ keys: ['a'], values: big, lengths: [1, 1] })), 'INDEX_OUT_OF_RANGE');
      expectError(() => new EmbeddingBagCollection({ tables: [] }), 'INVALID_ARGUMENT');
      expectError(
        () =>
          new EmbeddingBagCollection({
            tables: [
              { name: 't', numEmbeddings: 2, embeddingDim: 2, featureNames: ['a'] },
              { name: 'u', numEmbeddings: 2, embeddingDim: 2, featureNames: ['a'] },
            ],
          }),
        'INVALID_KEY',
      );
      const w32 = t(tf.zeros([3, 2])) as tf.Tensor2D;
      expectError(
        () => new EmbeddingBagCollection({ tables: [{ name: 't', numEmbeddings: 2, embeddingDim: 2, featureNames: ['a'], weight: w32 }] }),
        'INVALID_SHAPE',
      );
    }));
});

it('expectNoLeaks is active for this file', () => expectNoLeaks(() => undefined));
