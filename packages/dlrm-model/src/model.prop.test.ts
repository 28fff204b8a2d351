import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '@tessera/core';
import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { beforeEach, describe, expect } from 'vitest';
import { referenceForward } from '../test/reference/dlrm-reference.js';
import { DlrmModel, disposeGrads, dlrmGrads } from './index.js';

// Host-path tests (dlrmGrads, synchronous reads): skipped where no synchronous read exists (webgpu in Node), at run
// time because the suite's backend is set up after collection. test/backend-path.test.ts and test/golden-dlrm-tfjs.test.ts cover the tfjs path there.
const hostOnly = (ctx: { skip: (note?: string) => void }) => {
  if (!canReadSync()) ctx.skip('host kernels need synchronous reads');
};

// Random small batches with duplicated samples (sessions), so dedup finds U < B.
const batchArb = fc.record({
  F: fc.integer({ min: 1, max: 4 }),
  D: fc.integer({ min: 1, max: 4 }),
  B: fc.integer({ min: 1, max: 12 }),
  interaction: fc.constantFrom<'dot' | 'cat'>('dot', 'cat'),
  itself: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
  dupEvery: fc.integer({ min: 1, max: 6 }),
});

function build(a: { F: number; D: number; B: number; seed: number; dupEvery: number }) {
  let s = a.seed + 1;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const rows = 7;
  const bags: number[][][] = [];
  for (let f = 0; f < a.F; f++) {
    const fb: number[][] = [];
    for (let b = 0; b < a.B; b++) {
      if (b % a.dupEvery !== 0)
        fb.push(fb[b - 1]); // duplicate of the previous sample
      else fb.push(Array.from({ length: Math.floor(rnd() * 4) }, () => Math.floor(rnd() * rows)));
    }
    bags.push(fb);
  }
  const dense = Array.from({ length: a.B }, () => Array.from({ length: 3 }, () => rnd() * 2 - 1));
  const labels = dense.map(() => (rnd() < 0.5 ? 0 : 1));
  return { rows, bags, dense, labels, rnd };
}

describe('DlrmModel forward and gradients', () => {
  beforeEach((ctx) => hostOnly(ctx));
  test.prop([batchArb], { numRuns: 25 })('KJT = float64 reference; IKJT = KJT (probabilities, loss, gradients)', (a) => {
    const { rows, bags, dense, labels, rnd } = build(a);
    const names = Array.from({ length: a.F }, (_, f) => `f${f}`);
    const cfg = {
      denseFeatures: 3,
      embeddingDim: a.D,
      tableSizes: names.map(() => rows),
      featureNames: names,
      bottomMlp: [5, a.D],
      topMlp: [4, 1],
      interaction: a.interaction,
      interactionItself: a.itself,
    };
    const model = DlrmModel.create(cfg, { rng: rnd });
    const kjt = KeyedJaggedTensor.fromLengths({
      keys: names,
      values: tf.tensor1d(bags.flat(2), 'int32'),
      lengths: bags.flatMap((fb) => fb.map((b) => b.length)),
    });
    const ikjt = dedup(kjt);
    const d = tf.tensor2d(dense);
    const y = tf.tensor2d(labels, [a.B, 1]);
    try {
      const p1 = model.forward({ dense: d, sparse: kjt });
      const p2 = model.forward({ dense: d, sparse: ikjt });
      const v1 = p1.dataSync();
      const v2 = p2.dataSync();
      tf.dispose([p1, p2]);
      const ref = referenceForward(
        model.stateDict(),
        { lnBot: [3, 5, a.D], lnTop: model.config.lnTop, D: a.D, interaction: a.interaction, itself: a.itself },
        dense.map((r) => r.map(Math.fround)),
        bags,
      );
      for (let b = 0; b < a.B; b++) {
        expect(Math.abs(v1[b] - ref[b])).toBeLessThan(1e-6);
        expect(Math.abs(v2[b] - v1[b])).toBeLessThanOrEqual(1e-6);
      }
      const g1 = dlrmGrads(model, { dense: d, sparse: kjt, labels: y }, 'bce');
      const g2 = dlrmGrads(model, { dense: d, sparse: ikjt, labels: y }, 'bce');
      expect(Math.abs(g1.loss - g2.loss)).toBeLessThanOrEqual(1e-6);
      for (const [n, t] of g1.grads.dense) {
        const u = g2.grads.dense.get(n) as tf.Tensor;
        const x1 = t.dataSync();
        const x2 = u.dataSync();
        for (let i = 0; i < x1.length; i++) expect(Math.abs(x1[i] - x2[i])).toBeLessThanOrEqual(1e-6);
      }
      for (const [k, r1] of g1.grads.embeddingRows) {
        const r2 = g2.grads.embeddingRows.get(k) as { rows: Int32Array; grad: Float32Array };
        expect(Array.from(r2.rows)).toEqual(Array.from(r1.rows));
        for (let i = 0; i < r1.grad.length; i++) expect(Math.abs(r1.grad[i] - r2.grad[i])).toBeLessThanOrEqual(1e-6);
      }
      disposeGrads(g1.grads);
      disposeGrads(g2.grads);
    } finally {
      tf.dispose([d, y]);
      kjt.dispose();
      ikjt.dispose();
      model.dispose();
    }
  });
});
