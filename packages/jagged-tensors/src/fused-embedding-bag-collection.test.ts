// FusedEmbeddingBagCollection: one fused step equals the EmbeddingBagCollection's dense gradient (tf.grads) followed
// by the same update bit for bit, over KJTs and IKJTs (duplicate samples), shared and separate tables, weights and
// mean pooling, exact SGD and exact row-wise Adagrad, over several steps; bad input → TesseraError; nothing leaked.
import * as tf from '@tensorflow/tfjs-core';
import { expectBitsEqual } from '@tessera/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError, noLeaks } from '../test/helpers.js';
import { dedup } from './dedup.js';
import { EmbeddingBagCollection } from './embedding-bag-collection.js';
import { FusedEmbeddingBagCollection } from './fused-embedding-bag-collection.js';
import { KeyedJaggedTensor } from './keyed-jagged-tensor.js';

const R = 7;
const D = 5;

/** Dense reference update of one table (every row; untouched rows have a zero gradient and keep their bits). */
function refUpdate(w: Float32Array, s: Float32Array, g: Float32Array, opt: string, lr: number, eps: number): void {
  for (let r = 0; r < w.length / D; r++) {
    let m = lr;
    if (opt === 'exact_rowwise_adagrad') {
      let sum = 0;
      for (let d = 0; d < D; d++) sum += g[r * D + d] * g[r * D + d];
      s[r] = s[r] + sum / D;
      m = lr / (Math.sqrt(s[r]) + eps);
    }
    for (let d = 0; d < D; d++) w[r * D + d] = w[r * D + d] - m * g[r * D + d];
  }
}

const caseArb = fc.record({
  bags: fc.array(fc.array(fc.integer({ min: 0, max: R - 1 }), { maxLength: 4 }), { minLength: 1, maxLength: 4 }),
  picks: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }),
  weighted: fc.boolean(),
  mean: fc.boolean(),
  shared: fc.boolean(),
  ikjt: fc.boolean(),
  opt: fc.constantFrom('exact_sgd' as const, 'exact_rowwise_adagrad' as const),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe('FusedEmbeddingBagCollection', () => {
  it('a fused step = dense gradient (EmbeddingBagCollection + tf.grads) then update, bit for bit, over 2 steps', () =>
    fc.assert(
      fc.property(caseArb, (c) => {
        const B = c.picks.length;
        // samples repeat a few distinct bags (what dedup finds): key a takes bag p % n, key b bag q % n
        const lengths: number[] = [];
        const values: number[] = [];
        for (const k of [0, 1])
          for (const [p, q] of c.picks) {
            const bag = c.bags[(k === 0 ? p : q) % c.bags.length];
            lengths.push(bag.length);
            values.push(...bag);
          }
        const weights = c.weighted ? values.map((_, j) => ((j * 7) % 5) / 4 - 0.5) : null;
        const pooling = c.mean && !c.weighted ? ('mean' as const) : ('sum' as const);
        const tables = c.shared
          ? [{ name: 't', numEmbeddings: R, embeddingDim: D, featureNames: ['a', 'b'], pooling }]
          : [
              { name: 't', numEmbeddings: R, embeddingDim: D, featureNames: ['a'], pooling },
              { name: 'u', numEmbeddings: R, embeddingDim: D, featureNames: ['b'], pooling },
            ];
        const lr = 0.25;
        const eps = 1e-3;
        const kjt = KeyedJaggedTensor.fromLengths({
          keys: ['a', 'b'],
          values: tf.tensor1d(values, 'int32'),
          weights: weights ? tf.tensor1d(weights, 'float32') : null,
          lengths,
        });
        const x = c.ikjt ? dedup(kjt) : kjt;
        // the host kernels on both sides (the fused optimizer is a host kernel; its reference is the host lookup's
        // dense gradient: 'auto' would take the tfjs ops on webgpu in Node)
        const ebc = new EmbeddingBagCollection({ tables, seed: c.seed, kernel: 'host' });
        const fused = new FusedEmbeddingBagCollection({ tables, seed: c.seed, optimizer: c.opt, learningRate: lr, eps });
        const dy = tf.randomNormal([B, 2 * D], 0, 1, 'float32', c.seed) as tf.Tensor2D;
        try {
          const ref = tables.map((t) => ({ w: ebc.parameters()[t.name].dataSync().slice() as Float32Array, s: new Float32Array(R) }));
          for (let step = 0; step < 2; step++) {
            const kt = fused.forward(x);
            const kr = ebc.forward(x);
            expectBitsEqual(kt.values.dataSync() as Float32Array, kr.values.dataSync() as Float32Array);
            kt.dispose();
            kr.dispose();
            // reference: dense gradients of the same lookup, then the update of every row
            const vars = tables.map((t) => ebc.parameters()[t.name]);
            const grads = tf.grads(() => ebc.forward(x).values)(vars, dy);
            tables.forEach((_, i) => {
              refUpdate(ref[i].w, ref[i].s, grads[i].dataSync() as Float32Array, c.opt, lr, eps);
              tf.tidy(() => vars[i].assign(tf.tensor2d(ref[i].w, [R, D])));
            });
            tf.dispose(grads);
            fused.backward(x, dy);
            tables.forEach((t, i) => {
              const w = fused.weight(t.name);
              expectBitsEqual(w.dataSync() as Float32Array, ref[i].w);
              w.dispose();
              if (c.opt === 'exact_rowwise_adagrad') {
                const s = fused.momentum(t.name);
                expectBitsEqual(s.dataSync() as Float32Array, ref[i].s);
                s.dispose();
              }
            });
          }
        } finally {
          tf.dispose(dy);
          ebc.dispose();
          fused.dispose();
          if (x !== kjt) x.dispose();
          kjt.dispose();
        }
      }),
      { numRuns: 40 },
    ));

  it('IKJT and KJT steps agree within float32 rounding (the IKJT sums sample gradients per stored bag first)', () => {
    const kjt = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 2, 1, 2, 3, 1, 2], 'int32'), lengths: [2, 2, 1, 2] });
    const x = dedup(kjt);
    const make = () =>
      new FusedEmbeddingBagCollection({
        tables: [{ name: 't', numEmbeddings: 4, embeddingDim: 3, featureNames: ['f'] }],
        optimizer: 'exact_rowwise_adagrad',
        learningRate: 0.1,
        seed: 3,
      });
    const [a, b] = [make(), make()];
    const dy = tf.randomNormal([4, 3], 0, 1, 'float32', 5) as tf.Tensor2D;
    a.backward(kjt, dy);
    b.backward(x, dy);
    const [wa, wb] = [a.weight('t'), b.weight('t')];
    const va = wa.dataSync();
    const vb = wb.dataSync();
    for (let i = 0; i < va.length; i++) expect(Math.abs(va[i] - vb[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(va[i])));
    tf.dispose([wa, wb, dy]);
    a.dispose();
    b.dispose();
    x.dispose();
    kjt.dispose();
  });

  it('bad input → TesseraError, nothing leaked', () =>
    noLeaks((track) => {
      const tables = [{ name: 't', numEmbeddings: 3, embeddingDim: 2, featureNames: ['f'] }];
      expectError(() => new FusedEmbeddingBagCollection({ tables, optimizer: 'adam' as 'exact_sgd', learningRate: 1 }), 'INVALID_ARGUMENT');
      expectError(() => new FusedEmbeddingBagCollection({ tables, optimizer: 'exact_sgd', learningRate: Number.NaN }), 'INVALID_ARGUMENT');
      expectError(() => new FusedEmbeddingBagCollection({ tables, optimizer: 'exact_sgd', learningRate: 1, eps: -1 }), 'INVALID_ARGUMENT');
      expectError(() => new FusedEmbeddingBagCollection({ tables: [], optimizer: 'exact_sgd', learningRate: 1 }), 'INVALID_ARGUMENT');
      const ebc = new FusedEmbeddingBagCollection({ tables, optimizer: 'exact_sgd', learningRate: 1 });
      const x = track(KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([0, 3], 'int32'), lengths: [1, 1] }));
      const ok = track(KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([0, 2], 'int32'), lengths: [1, 1] }));
      const other = track(KeyedJaggedTensor.fromLengths({ keys: ['g'], values: tf.tensor1d([0], 'int32'), lengths: [1] }));
      expectError(() => ebc.forward(x), 'INDEX_OUT_OF_RANGE');
      expectError(() => ebc.forward(other), 'INVALID_KEY');
      const dy = track(tf.zeros([3, 2]) as tf.Tensor2D);
      expectError(() => ebc.backward(ok, dy), 'INVALID_SHAPE');
      const w0 = track(ebc.weight('t'));
      const dy2 = track(tf.zeros([2, 2]) as tf.Tensor2D);
      expectError(() => ebc.backward(x, dy2), 'INDEX_OUT_OF_RANGE');
      const w1 = track(ebc.weight('t'));
      expectBitsEqual(w1.dataSync() as Float32Array, w0.dataSync() as Float32Array);
      expectError(() => ebc.weight('nope'), 'INVALID_KEY');
      expectError(() => ebc.momentum('t'), 'UNSUPPORTED');
      ebc.dispose();
      expectError(() => ebc.forward(ok), 'INVALID_ARGUMENT');
      ebc.dispose();
    }));
});
