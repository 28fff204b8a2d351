// The tfjs path (`kernel: 'tfjs'`) against the host path on the active backend (cpu, or wasm with
// TESSERA_BACKEND=wasm): forward probabilities, loss, dense and row gradients, and every parameter after a few
// optimizer steps. Tolerance (|a − b| ≤ ATOL + RTOL·|b|): the host kernels accumulate dot products, logs and the
// loss sum in float64 and round once, and update parameters in float64; the tfjs path does every op in float32 in its
// own order (matMul blocks, segment sums), so each value may differ by a few float32 ulps per op it went through
// (~1e-7 relative each, a few dozen ops deep), amplified by the optimizer's division by √state: 2e-5 absolute plus
// 2e-4 relative covers it with margin and still fails on any wrong index, weight, sign or missing term (those change
// values by O(1e-2) or more at these sizes). Row lists (which rows a step touches, first-touch order) must be equal.
import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '@tessera/core';
import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { beforeEach, describe, expect } from 'vitest';
import { type DeviceGrads, deviceLossAndGrads, disposeDeviceGrads } from './grads.js';
import {
  adagrad,
  DlrmModel,
  disposeGrads,
  dlrmGrads,
  type LossKind,
  rowWiseSparseAdagrad,
  type SparseAwareOptimizer,
  sgd,
  trainStep,
} from './index.js';

const ATOL = 2e-5;
const RTOL = 2e-4;

// Host-path tests (dlrmGrads, synchronous reads): skipped where no synchronous read exists (webgpu in Node), at run
// time because the suite's backend is set up after collection. There test/backend-path.test.ts compares the tfjs path with the host kernels on cpu.
const hostOnly = (ctx: { skip: (note?: string) => void }) => {
  if (!canReadSync()) ctx.skip('host kernels need synchronous reads');
};

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i] - b[i]) <= ATOL + RTOL * Math.abs(b[i]);
    if (!ok) expect.fail(`${what}[${i}]: tfjs ${a[i]} vs host ${b[i]}`);
  }
}

const arb = fc.record({
  F: fc.integer({ min: 1, max: 3 }),
  D: fc.integer({ min: 1, max: 4 }),
  B: fc.integer({ min: 1, max: 8 }),
  interaction: fc.constantFrom<'dot' | 'cat'>('dot', 'cat'),
  itself: fc.boolean(),
  pooling: fc.constantFrom<'none' | 'learned' | 'kjt-weights'>('none', 'learned', 'kjt-weights'),
  ikjt: fc.boolean(),
  loss: fc.constantFrom<LossKind>('bce', 'mse', 'wbce'),
  opt: fc.constantFrom('sgd', 'adagrad', 'rowwise'),
  seed: fc.integer({ min: 0, max: 10_000 }),
});

type A = typeof arb extends fc.Arbitrary<infer T> ? T : never;

function setup(a: A) {
  let s = a.seed + 1;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const rows = 6;
  const names = Array.from({ length: a.F }, (_, f) => `f${f}`);
  const bags: number[][][] = names.map(() => {
    const fb: number[][] = [];
    for (let b = 0; b < a.B; b++)
      fb.push(b > 0 && rnd() < 0.3 ? fb[b - 1] : Array.from({ length: Math.floor(rnd() * 4) }, () => Math.floor(rnd() * rows)));
    return fb;
  });
  const ids = bags.flat(2);
  const kjt = KeyedJaggedTensor.fromLengths({
    keys: names,
    values: tf.tensor1d(ids, 'int32'),
    lengths: bags.flatMap((fb) => fb.map((b) => b.length)),
    weights: a.pooling === 'kjt-weights' ? tf.tensor1d(ids.map(() => 0.25 + rnd())) : undefined,
  });
  const sparse = a.ikjt ? dedup(kjt) : kjt;
  const dense = tf.tensor2d(
    Array.from({ length: a.B * 3 }, () => rnd() * 2 - 1),
    [a.B, 3],
  );
  const labels = tf.tensor2d(
    Array.from({ length: a.B }, () => (rnd() < 0.5 ? 0 : 1)),
    [a.B, 1],
  );
  const cfg = {
    denseFeatures: 3,
    embeddingDim: a.D,
    tableSizes: names.map(() => rows),
    featureNames: names,
    bottomMlp: [5, a.D],
    topMlp: [4, 1],
    interaction: a.interaction,
    interactionItself: a.itself,
    weightedPooling: a.pooling === 'learned' ? ('learned' as const) : ('none' as const),
  };
  const seed = a.seed;
  const models = [DlrmModel.create(cfg, { seed }), DlrmModel.create(cfg, { seed })];
  if (a.pooling === 'learned')
    for (const m of models) for (const w of m.poolingWeights ?? []) for (let i = 0; i < w.length; i++) w[i] = 0.5 + ((i * 7919) % 13) / 13;
  const dispose = () => {
    for (const m of models) m.dispose();
    tf.dispose([dense, labels]);
    if (sparse !== kjt) sparse.dispose();
    kjt.dispose();
  };
  return { batch: { dense, sparse, labels }, models, dispose };
}

// Smooth variants of the adaptive optimizers: their first step divides g by |g|, so a gradient that is zero up to
// rounding on one path would flip a whole lr-sized update; a positive initial state keeps the comparison meaningful.
function makeOpt(kind: string): SparseAwareOptimizer {
  if (kind === 'sgd') return sgd(0.05);
  if (kind === 'adagrad') return adagrad({ lr: 0.05, initialAccumulatorValue: 0.1 });
  return rowWiseSparseAdagrad({ lr: 0.05, eps: 0.1 });
}

describe('tfjs path = host path', () => {
  beforeEach((ctx) => hostOnly(ctx));
  test.prop([arb], { numRuns: 30 })('forward, loss, gradients, and parameters after 3 optimizer steps', (a) => {
    const { batch, models, dispose } = setup(a);
    const [host, dev] = models;
    const opts = [makeOpt(a.opt), makeOpt(a.opt)];
    try {
      // forward
      const p1 = host.forward(batch, { kernel: 'host' });
      const p2 = dev.forward(batch, { kernel: 'tfjs' });
      expectClose(p2.dataSync(), p1.dataSync(), 'p');
      tf.dispose([p1, p2]);
      // loss and gradients
      const h = dlrmGrads(host, batch, a.loss, { classWeights: [0.7, 1.3] });
      let d: { loss: tf.Scalar; grads: DeviceGrads } | null = deviceLossAndGrads('test', dev, batch, a.loss, { classWeights: [0.7, 1.3] });
      try {
        expectClose(d.loss.dataSync(), [h.loss], 'loss');
        for (const [n, g] of h.grads.dense) expectClose((d.grads.dense.get(n) as tf.Tensor).dataSync(), g.dataSync(), n);
        expect([...d.grads.embeddingRows.keys()]).toEqual(
          [...h.grads.embeddingRows.keys()].filter((k) => h.grads.embeddingRows.get(k)?.rows.length),
        );
        for (const [k, r] of d.grads.embeddingRows) {
          const hr = h.grads.embeddingRows.get(k) as { rows: Int32Array; grad: Float32Array };
          expect(Array.from(r.rows)).toEqual(Array.from(hr.rows));
          expectClose(r.grad.dataSync(), hr.grad, `emb ${k}`);
        }
        for (const [k, r] of d.grads.poolingWeightRows ?? []) {
          const hr = h.grads.poolingWeightRows?.get(k) as { rows: Int32Array; grad: Float32Array };
          expect(Array.from(r.rows)).toEqual(Array.from(hr.rows));
          expectClose(r.grad.dataSync(), hr.grad, `v ${k}`);
        }
      } finally {
        disposeGrads(h.grads);
        if (d) {
          disposeDeviceGrads(d.grads);
          d.loss.dispose();
          d = null;
        }
      }
      // three optimizer steps on each path, then every parameter
      for (let i = 0; i < 3; i++) {
        const l1 = trainStep(host, opts[0], batch, a.loss, { kernel: 'host' }).loss;
        const l2 = trainStep(dev, opts[1], batch, a.loss, { kernel: 'tfjs' }).loss;
        expectClose([l2], [l1], `loss of step ${i}`);
      }
      const s1 = host.stateDict();
      const s2 = dev.stateDict();
      for (const [n, t] of s1) expectClose((s2.get(n) as { data: Float32Array }).data, t.data, n);
    } finally {
      for (const o of opts) o.dispose?.();
      dispose();
    }
  });
});
