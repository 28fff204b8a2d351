// The public dlrm golden set (facebookresearch/dlrm, see test/fixtures/PROVENANCE.md): initialisation, forward,
// BCE loss, gradients and one SGD step, over a KJT and over an IKJT.
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '@tessera/core';
import { InverseKeyedJaggedTensor, type KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { describe, expect, it } from 'vitest';
import { DlrmModel, disposeGrads, dlrmGrads, sgd } from '../src/index.js';
import { f32, GOLDEN, type GoldenConfig, goldenBatch, goldenConfig, goldenIkjt, stateDictOf } from './golden.js';

const scalar = (v: number[] | number) => (Array.isArray(v) ? f32(v)[0] : f32([v])[0]);

// Host-path tests (dlrmGrads, synchronous reads): skipped where no synchronous read exists (webgpu in Node), at run
// time because the suite's backend is set up after collection. test/golden-dlrm-tfjs.test.ts runs the same set on the tfjs path there.
const hostOnly = (ctx: { skip: (note?: string) => void }) => {
  if (!canReadSync()) ctx.skip('host kernels need synchronous reads');
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function densified(rows: Int32Array, grad: Float32Array, n: number, D: number): Float32Array {
  const out = new Float32Array(n * D);
  rows.forEach((r, i) => {
    out.set(grad.subarray(i * D, i * D + D), r * D);
  });
  return out;
}

function runConfig(c: GoldenConfig, sparseOf: (c: GoldenConfig, kjt: KeyedJaggedTensor) => KeyedJaggedTensor) {
  const model = DlrmModel.create(goldenConfig(c), { seed: 123 });
  model.loadStateDict(stateDictOf(c.params_before));
  const { dense, labels, sparse: kjt } = goldenBatch(c);
  const sparse = sparseOf(c, kjt);
  try {
    const p = model.forward({ dense, sparse });
    const probs = p.dataSync().slice();
    p.dispose();
    expect(maxAbsDiff(probs, f32(c.prob_bits))).toBeLessThanOrEqual(1e-6);
    const { loss, grads } = dlrmGrads(model, { dense, sparse, labels }, 'bce');
    expect(Math.abs(loss - scalar(c.loss_bits))).toBeLessThanOrEqual(1e-6);
    for (const [name, g] of grads.dense) expect(maxAbsDiff(g.dataSync(), f32(c.grads[name].f32_bits)), name).toBeLessThanOrEqual(1e-5);
    expect(grads.dense.size + grads.embeddingRows.size).toBe(Object.keys(c.grads).length);
    for (const [k, { rows, grad }] of grads.embeddingRows) {
      const ref = c.grads[`emb_l.${k}.weight`];
      expect(maxAbsDiff(densified(rows, grad, ref.shape[0], 16), f32(ref.f32_bits)), `emb_l.${k}`).toBeLessThanOrEqual(1e-5);
    }
    sgd(0.1).step(model, grads);
    disposeGrads(grads);
    const sd = model.stateDict();
    for (const [name, t] of Object.entries(c.params_after_sgd)) {
      expect(maxAbsDiff((sd.get(name) as { data: Float32Array }).data, f32(t.f32_bits)), name).toBeLessThanOrEqual(1e-6);
    }
    const p2 = model.forward({ dense, sparse });
    expect(maxAbsDiff(p2.dataSync(), f32(c.prob_after_sgd_bits))).toBeLessThanOrEqual(1e-6);
    p2.dispose();
    return probs;
  } finally {
    model.dispose();
    tf.dispose([dense, labels]);
    kjt.dispose();
    if (sparse !== kjt) sparse.dispose();
  }
}

describe('dlrm golden set (facebookresearch/dlrm DLRM_Net)', () => {
  for (const c of GOLDEN.configs) {
    it(`${c.name}: init from numpy's legacy RNG (seed 123) equals params_before bit for bit`, () => {
      const model = DlrmModel.create(goldenConfig(c), { seed: 123 });
      const sd = model.stateDict();
      model.dispose();
      expect([...sd.keys()].sort()).toEqual(Object.keys(c.params_before).sort());
      for (const [name, t] of Object.entries(c.params_before)) {
        const got = sd.get(name) as { shape: number[]; data: Float32Array };
        expect(got.shape, name).toEqual(t.shape);
        expect(Array.from(new Uint32Array(got.data.buffer)), name).toEqual(t.f32_bits);
      }
    });
    it(`${c.name}: KJT forward, loss, gradients and one SGD step`, (ctx) => {
      hostOnly(ctx);
      runConfig(c, (_c, kjt) => kjt);
    });
    it(`${c.name}: IKJT (reverse stored order, permuted keys) gives the same`, (ctx) => {
      hostOnly(ctx);
      const a = runConfig(c, (_c, kjt) => kjt);
      const b = runConfig(c, (cc) => {
        const ik = goldenIkjt(cc);
        expect(ik).toBeInstanceOf(InverseKeyedJaggedTensor);
        return ik;
      });
      expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
    });
    it(`${c.name}: intermediate interaction output`, async () => {
      const model = DlrmModel.create(goldenConfig(c), { seed: 123 });
      const x = tf.tensor2d(f32(c.intermediate.bottom_mlp_out_bits), [8, 16]);
      const es = c.intermediate.embedding_bag_out_bits.map((b) => tf.tensor2d(f32(b), [8, 16]));
      const r = model.interact(x, es);
      const ref = f32(c.intermediate.interaction_out_bits);
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(maxAbsDiff(await r.data(), ref)).toBeLessThanOrEqual(1e-5 * scale);
      tf.dispose([x, r, ...es]);
      model.dispose();
    });
  }
});
