// Where the tables live between the host and the tfjs paths: writes on either side are seen by the other, an
// optimizer with state refuses to switch paths, and kernel selection validates its argument.
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, TesseraError } from '@tessera/core';
import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { describe, expect, it } from 'vitest';
import { adagrad, DlrmModel, dlrmLoss, sgd, trainStep, trainStepAsync } from './index.js';

const cfg = {
  denseFeatures: 2,
  embeddingDim: 3,
  tableSizes: [6, 4],
  featureNames: ['a', 'b'],
  bottomMlp: [4, 3],
  topMlp: [3, 1],
  interaction: 'dot' as const,
};

async function withBatch<T>(
  f: (batch: { dense: tf.Tensor2D; sparse: KeyedJaggedTensor; labels: tf.Tensor2D }) => T | Promise<T>,
): Promise<T> {
  const sparse = KeyedJaggedTensor.fromLengths({
    keys: ['a', 'b'],
    values: tf.tensor1d([0, 5, 2, 1, 3, 3], 'int32'),
    lengths: [2, 1, 0, 1, 2, 0],
  });
  const dense = tf.tensor2d([
    [0.5, -1],
    [1, 0.25],
    [-0.5, 0.75],
  ]);
  const labels = tf.tensor2d([[1], [0], [1]]);
  try {
    return await f({ dense, sparse, labels });
  } finally {
    tf.dispose([dense, labels]);
    sparse.dispose();
  }
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(2e-5 + 2e-4 * Math.abs(b[i]));
};

// Mixes the host path in: skipped where no synchronous read exists (webgpu in Node), at run time.
const hostOnly = (ctx: { skip: (note?: string) => void }) => {
  if (!canReadSync()) ctx.skip('host kernels need synchronous reads');
};

describe('host and device copies of the tables', () => {
  it('alternating host and tfjs steps (sgd) equals host steps only; untouched rows stay bit-identical', (ctx) => {
    hostOnly(ctx);
    return withBatch((batch) => {
      const a = DlrmModel.create(cfg, { seed: 5 });
      const b = DlrmModel.create(cfg, { seed: 5 });
      const before = b.embeddings.map((t) => t.slice());
      try {
        for (let i = 0; i < 4; i++) trainStep(a, sgd(0.2), batch, 'bce', { kernel: 'host' });
        for (let i = 0; i < 4; i++) trainStep(b, sgd(0.2), batch, 'bce', { kernel: i % 2 ? 'host' : 'tfjs' });
        const sa = a.stateDict();
        const sb = b.stateDict();
        for (const [n, t] of sa) close((sb.get(n) as { data: Float32Array }).data, t.data);
        // rows no batch touches: table a rows 4, table b row 0 and 2
        const untouched: [number, number][] = [
          [0, 4],
          [1, 0],
          [1, 2],
        ];
        for (const [k, r] of untouched)
          expect(Array.from(b.embeddings[k].subarray(3 * r, 3 * r + 3))).toEqual(Array.from(before[k].subarray(3 * r, 3 * r + 3)));
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  });

  it('host writes into model.embeddings and loadStateDict reach the next tfjs step; syncHost is a no-op when current', async (ctx) => {
    hostOnly(ctx);
    await withBatch(async (batch) => {
      const m = DlrmModel.create(cfg, { seed: 1 });
      try {
        trainStep(m, sgd(0.1), batch, 'bce', { kernel: 'tfjs' }); // tables now on the device
        m.embeddings[0].fill(0); // read back, then written on the host
        m.embeddings[1].fill(0);
        const p = m.forward(batch, { kernel: 'tfjs' });
        const q = m.forward(batch, { kernel: 'host' });
        close(await p.data(), await q.data());
        tf.dispose([p, q]);
        const other = DlrmModel.create(cfg, { seed: 9 });
        m.loadStateDict(other.stateDict());
        const r = m.forward(batch, { kernel: 'tfjs' });
        const s = other.forward(batch, { kernel: 'host' });
        close(await r.data(), await s.data());
        tf.dispose([r, s]);
        other.dispose();
        await m.syncHost();
        expect(m.embeddings[0].length).toBe(18);
      } finally {
        m.dispose();
      }
    });
  });

  it('an optimizer with state stays on the path of its first step; unknown kernels are refused', async (ctx) => {
    hostOnly(ctx);
    await withBatch(async (batch) => {
      const m = DlrmModel.create(cfg, { seed: 1 });
      const opt = adagrad({ lr: 0.1 });
      try {
        await trainStepAsync(m, opt, batch, 'bce', { kernel: 'tfjs' });
        expect(() => trainStep(m, opt, batch, 'bce', { kernel: 'host' })).toThrow(/one optimizer per path/);
        expect(() => trainStep(m, sgd(0.1), batch, 'bce', { kernel: 'gpu' as never })).toThrow(TesseraError);
        expect(() => m.forward(batch, { kernel: 'x' as never })).toThrow(/kernel/);
        const custom = { step: () => {} };
        expect(() => trainStep(m, custom, batch, 'bce', { kernel: 'tfjs' })).toThrow(/stepDevice/);
        const p = m.forward(batch, { kernel: 'tfjs' });
        const l1 = dlrmLoss(p, batch.labels, 'wbce', [0.3, 2], { kernel: 'tfjs' });
        const l2 = dlrmLoss(p, batch.labels, 'wbce', [0.3, 2], { kernel: 'host' });
        close(await l1.data(), await l2.data());
        tf.dispose([p, l1, l2]);
      } finally {
        opt.dispose?.();
        m.dispose();
      }
    });
  });
});
