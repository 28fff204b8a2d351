import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupingArb, kjtDataArb, makeKjt } from '../test/arbitraries.js';
import { arrAsync, expectError, i32, noLeaks, noLeaksAsync, sumAll } from '../test/helpers.js';
import { dedup } from './dedup.js';
import { EmbeddingCollection } from './embedding-collection.js';
import { jaggedIndexSelect, ops } from './ops.js';

describe('jaggedIndexSelect', () => {
  it('matches the reference (concatenate the selected bags) and its gradient scatter-adds', () =>
    fc.assert(
      fc.asyncProperty(
        fc
          .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 })
          .chain((lengths) => fc.tuple(fc.constant(lengths), fc.array(fc.integer({ min: 0, max: lengths.length - 1 }), { maxLength: 8 }))),
        ([lengths, sel]) =>
          noLeaksAsync(async (t) => {
            const nnz = lengths.reduce((a, b) => a + b, 0);
            const v = t(
              tf.tensor2d(
                Array.from({ length: nnz * 2 }, (_, i) => i / 4),
                [nnz, 2],
              ),
            );
            const out = jaggedIndexSelect(v, lengths, sel);
            t(out.values);
            const offs = Array.from(ops.completeCumsum(Int32Array.from(lengths)));
            const rows = sel.flatMap((b) => Array.from({ length: lengths[b] }, (_, j) => offs[b] + j));
            expect(Array.from(out.lengths)).toEqual(sel.map((b) => lengths[b]));
            expect(await arrAsync(out.values)).toEqual(rows.flatMap((r) => [r / 2, r / 2 + 0.25]));
            const g = t(
              tf.tensor2d(
                Array.from({ length: rows.length * 2 }, (_, i) => i + 1),
                [rows.length, 2],
              ),
            );
            const [dv] = tf
              .grads((x: tf.Tensor) => jaggedIndexSelect(x, lengths, sel).values)([v], g)
              .map(t);
            const expected = new Array(nnz * 2).fill(0);
            rows.forEach((r, i) => {
              expected[2 * r] += 2 * i + 1;
              expected[2 * r + 1] += 2 * i + 2;
            });
            expect(await arrAsync(dv)).toEqual(expected);
          }),
      ),
      { numRuns: 100, seed: 4 },
    ));
  it('rejects out-of-range indices and inconsistent lengths', () =>
    noLeaks((t) => {
      const v = t(i32([1, 2, 3]));
      expectError(() => jaggedIndexSelect(v, [2, 1], [2]), 'INDEX_OUT_OF_RANGE');
      expectError(() => jaggedIndexSelect(v, [2, 2], [0]), 'INVALID_FORMAT', 'J4');
      expectError(() => jaggedIndexSelect(v, [4, -1], [0]), 'INVALID_FORMAT', 'J2');
    }));
});

describe('EmbeddingCollection (unpooled lookup)', () => {
  it('values are table rows; over an IKJT equal to over expand(IKJT) bitwise, gradients equal', () =>
    fc.assert(
      fc.asyncProperty(
        kjtDataArb({ maxKeys: 3, maxB: 6, maxLen: 3, idRange: 3, weighted: false }).chain((d) =>
          fc.tuple(fc.constant(d), groupingArb(d.keys)),
        ),
        fc.integer(),
        ([d, groups], seed) =>
          noLeaksAsync(async (t) => {
            const ec = t(
              new EmbeddingCollection({ tables: [{ name: 't', numEmbeddings: 3, embeddingDim: 2, featureNames: d.keys }], seed }),
            );
            const kjt = t(makeKjt(d));
            const ikjt = t(dedup(kjt, { groups }));
            const a = ec.forward(kjt);
            const b = ec.forward(ikjt);
            const table = await ec.parameters().t.data();
            for (const k of d.keys) {
              t(a[k]);
              t(b[k]);
              expect(Array.from(b[k].lengths)).toEqual(Array.from(a[k].lengths));
              expect(await arrAsync(b[k].values)).toEqual(await arrAsync(a[k].values));
              const ids = (await arrAsync(t(kjt.get(k)).values)) as number[];
              expect(await arrAsync(a[k].values)).toEqual(ids.flatMap((id) => [table[2 * id], table[2 * id + 1]]));
            }
            const w = ec.parameters().t;
            const loss = (x: typeof kjt) => () =>
              tf.addN(Object.values(ec.forward(x)).map((j, i) => sumAll(tf.mul(j.values, i + 1)))) as tf.Scalar;
            const ga = tf.variableGrads(loss(kjt), [w]);
            const gb = tf.variableGrads(loss(ikjt), [w]);
            const x = (await arrAsync(ga.grads[w.name])) as number[];
            const y = (await arrAsync(gb.grads[w.name])) as number[];
            x.forEach((v, i) => {
              expect(Math.abs(v - y[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v)));
            });
            tf.dispose([ga.value, gb.value, ...Object.values(ga.grads), ...Object.values(gb.grads)]);
          }),
      ),
      { numRuns: 60, seed: 8 },
    ));
  it('errors: weighted input, missing feature, out-of-range id', () =>
    noLeaks((t) => {
      const ec = t(new EmbeddingCollection({ tables: [{ name: 't', numEmbeddings: 2, embeddingDim: 2, featureNames: ['a'] }] }));
      const kd = { keys: ['a'], B: 2, lengths: [1, 1], values: [0, 1], weights: [1, 1] };
      const wk = t(makeKjt(kd));
      expectError(() => ec.forward(wk), 'UNSUPPORTED');
      const other = t(makeKjt({ ...kd, keys: ['b'], weights: null }));
      expectError(() => ec.forward(other), 'INVALID_KEY');
      const big = t(makeKjt({ ...kd, values: [0, 2], weights: null }));
      expectError(() => ec.forward(big), 'INDEX_OUT_OF_RANGE');
    }));
});
