// The dlrm golden set (facebookresearch/dlrm DLRM_Net, see test/fixtures/PROVENANCE.md) on the tfjs path
// (`kernel: 'tfjs'`): forward, BCE loss, gradients and one SGD step over a KJT and an IKJT, every value read with
// `await data()`, so this file runs unchanged where no synchronous read exists (TESSERA_BACKEND=webgpu in Node).
// Tolerances: those of the host-path golden test (probabilities, loss and parameters 1e-6, gradients 1e-5 — PyTorch
// itself computes in float32, in its own order); the tfjs path is float32 throughout as PyTorch is.
import * as tf from '@tensorflow/tfjs-core';
import type { KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { describe, expect, it } from 'vitest';
import { deviceLossAndGrads, disposeDeviceGrads } from '../src/grads.js';
import { DlrmModel, sgd, trainStepAsync } from '../src/index.js';
import { f32, GOLDEN, type GoldenConfig, goldenBatch, goldenConfig, goldenIkjt, stateDictOf } from './golden.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Number.POSITIVE_INFINITY : m;
}

async function runConfig(c: GoldenConfig, ikjt: boolean): Promise<void> {
  const model = DlrmModel.create(goldenConfig(c), { rng: 'zeros' });
  model.loadStateDict(stateDictOf(c.params_before));
  const { dense, labels, sparse: kjt } = goldenBatch(c);
  const sparse: KeyedJaggedTensor = ikjt ? goldenIkjt(c) : kjt;
  const batch = { dense, sparse, labels };
  try {
    const p = model.forward(batch, { kernel: 'tfjs' });
    const probs = await p.data();
    p.dispose();
    expect(maxAbsDiff(probs, f32(c.prob_bits)), 'probabilities').toBeLessThanOrEqual(1e-6);
    const { loss, grads } = deviceLossAndGrads('test', model, batch, 'bce');
    try {
      const lossRef = Array.isArray(c.loss_bits) ? f32(c.loss_bits)[0] : f32([c.loss_bits])[0];
      expect(Math.abs((await loss.data())[0] - lossRef), 'loss').toBeLessThanOrEqual(1e-6);
      for (const [name, g] of grads.dense) expect(maxAbsDiff(await g.data(), f32(c.grads[name].f32_bits)), name).toBeLessThanOrEqual(1e-5);
      expect(grads.dense.size + grads.embeddingRows.size).toBe(Object.keys(c.grads).length);
      for (const [k, { rows, grad }] of grads.embeddingRows) {
        const ref = c.grads[`emb_l.${k}.weight`];
        const g = await grad.data();
        const dense16 = new Float32Array(ref.shape[0] * 16);
        rows.forEach((r, i) => {
          dense16.set(g.subarray(i * 16, i * 16 + 16), r * 16);
        });
        expect(maxAbsDiff(dense16, f32(ref.f32_bits)), `emb_l.${k}`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      loss.dispose();
      disposeDeviceGrads(grads);
    }
    await trainStepAsync(model, sgd(0.1), batch, 'bce', { kernel: 'tfjs' });
    const sd = await model.stateDictAsync();
    for (const [name, t] of Object.entries(c.params_after_sgd))
      expect(maxAbsDiff((sd.get(name) as { data: Float32Array }).data, f32(t.f32_bits)), name).toBeLessThanOrEqual(1e-6);
    const p2 = model.forward(batch, { kernel: 'tfjs' });
    expect(maxAbsDiff(await p2.data(), f32(c.prob_after_sgd_bits)), 'probabilities after the step').toBeLessThanOrEqual(1e-6);
    p2.dispose();
  } finally {
    model.dispose();
    tf.dispose([dense, labels]);
    kjt.dispose();
    if (sparse !== kjt) sparse.dispose();
  }
}

describe("dlrm golden set on the tfjs path (kernel: 'tfjs', asynchronous reads only)", () => {
  for (const c of GOLDEN.configs) {
    it(`${c.name}: KJT forward, loss, gradients and one SGD step`, async () => {
      await runConfig(c, false);
    });
    it(`${c.name}: IKJT (reverse stored order, permuted keys)`, async () => {
      await runConfig(c, true);
    });
  }
});
