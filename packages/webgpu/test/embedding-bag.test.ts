import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { TesseraError } from '@tessera/core';
import { embeddingBag, JaggedTensor } from '@tessera/jagged-tensors';
import { expectBitsEqual, expectNoLeaks, expectUlpClose } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { embeddingBagWebGPU } from '../src/index.js';
import { GPU_ONLY, mixedData, ON_WEBGPU } from './gpu.js';

const R = 300;
const D = 37;

function bags(seed: number, B: number): { ids: Int32Array; lengths: number[]; weights: Float32Array } {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const lengths = Array.from({ length: B }, (_, b) => (b % 7 === 3 ? 0 : next() % 9));
  const nnz = lengths.reduce((a, b) => a + b, 0);
  const ids = Int32Array.from({ length: nnz }, () => next() % R);
  const weights = Float32Array.from({ length: nnz }, () => (next() / 2 ** 32) * 2 - 0.5);
  return { ids, lengths, weights };
}

/** Host embeddingBag of @tessera/jagged-tensors on the cpu backend: pooled values and the table gradient of Σ g ⊙ pooled. */
async function hostRef(
  table: Float32Array,
  ids: Int32Array,
  lengths: number[],
  weights: Float32Array | null,
  mode: 'sum' | 'mean',
  g: Float32Array,
) {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    const jt = new JaggedTensor({ values: tf.tensor1d(ids, 'int32'), lengths, weights: weights ? tf.tensor1d(weights) : undefined });
    const res = tf.tidy(() => {
      const t = tf.tensor2d(table, [R, D]);
      const gt = tf.tensor2d(g, [lengths.length, D]);
      const pooled = embeddingBag(t, jt, { mode });
      const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(embeddingBag(x as tf.Tensor2D, jt, { mode }), gt)))(t);
      return { pooled: (pooled.dataSync() as Float32Array).slice(), grad: (grad.dataSync() as Float32Array).slice() };
    });
    jt.dispose();
    return res;
  } finally {
    await tf.setBackend(prev);
  }
}

describe(`embeddingBagWebGPU vs the host kernel of @tessera/jagged-tensors${GPU_ONLY}`, () => {
  it.skipIf(!ON_WEBGPU)(
    'sum bit for bit, weighted sum within 2^-20·Σ|w·T| (bit for bit where fma is fused), mean within 1 ulp; table gradients within 1e-6 of max |grad|',
    async () => {
      const table = mixedData(R * D, 5).map((v) => (Number.isFinite(v) && Math.abs(v) < 1e6 && Math.abs(v) > 1e-30 ? v : 0.5));
      const B = 64;
      const { ids, lengths, weights } = bags(9, B);
      const g = mixedData(B * D, 6).map((v) => (Number.isFinite(v) && Math.abs(v) < 1e6 ? v : 1));
      for (const [mode, w] of [
        ['sum', null],
        ['sum', weights],
        ['mean', null],
      ] as const) {
        const ref = await hostRef(table, ids, lengths, w, mode, g);
        const before = tf.memory().numTensors;
        const jt = new JaggedTensor({ values: tf.tensor1d(ids, 'int32'), lengths, weights: w ? tf.tensor1d(w) : undefined });
        const t = tf.tensor2d(table, [R, D]);
        const gt = tf.tensor2d(g, [B, D]);
        const pooled = embeddingBagWebGPU(t, jt, { mode });
        const got = (await pooled.data()) as Float32Array;
        const label = `${mode}${w ? ' weighted' : ''}`;
        if (mode === 'mean') expectUlpClose(got, ref.pooled, 1, { label });
        else if (!w) expectBitsEqual(got, ref.pooled, { label });
        else {
          // the host rounds w·T + acc once (float64 product); WGSL's fma is fused on GPUs with an FMA unit and then
          // agrees bit for bit, but the spec allows an unfused one: bound by 2^-20 · Σ_j |w_j·T[i_j]| of the bag
          const off = [0];
          for (const l of lengths) off.push(off[off.length - 1] + l);
          let exact = 0;
          for (let b = 0; b < B; b++)
            for (let c = 0; c < D; c++) {
              let mag = 0;
              for (let j = off[b]; j < off[b + 1]; j++) mag += Math.abs(w[j] * table[ids[j] * D + c]);
              const i = b * D + c;
              expect(Math.abs(got[i] - ref.pooled[i]), `${label} [${b}, ${c}]`).toBeLessThanOrEqual(2 ** -20 * mag);
              if (Object.is(got[i], ref.pooled[i])) exact++;
            }
          console.log(`[embeddingBagWebGPU] weighted sum: ${exact} of ${B * D} elements bit-identical to the host kernel`);
        }
        const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(embeddingBagWebGPU(x as tf.Tensor2D, jt, { mode }), gt)))(t);
        const gv = (await grad.data()) as Float32Array;
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < gv.length; i++) {
          worst = Math.max(worst, Math.abs(gv[i] - ref.grad[i]));
          scale = Math.max(scale, Math.abs(ref.grad[i]));
        }
        expect(worst, `${label} gradient`).toBeLessThanOrEqual(1e-6 * scale);
        tf.dispose([t, gt, pooled, grad]);
        jt.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    },
  );
});

describe('embeddingBagWebGPU validation (every backend)', () => {
  it('rejects bad input with TesseraError codes, leaking nothing', () => {
    const table = tf.zeros([4, 2]) as tf.Tensor2D;
    const jt = new JaggedTensor({ values: tf.tensor1d([0, 1], 'int32'), lengths: [1, 1] });
    const w3 = tf.ones([3]) as tf.Tensor1D;
    const w2 = tf.ones([2]) as tf.Tensor1D;
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TesseraError);
        return (e as TesseraError).code;
      }
      return 'no error';
    };
    expectNoLeaks(() => {
      expect(code(() => embeddingBagWebGPU(table, {} as JaggedTensor))).toBe('INVALID_ARGUMENT');
      expect(code(() => embeddingBagWebGPU(table, jt, { mode: 'max' as never }))).toBe('INVALID_ARGUMENT');
      expect(code(() => embeddingBagWebGPU(table, jt, { perSampleWeights: w3 }))).toBe('INVALID_SHAPE');
      expect(code(() => embeddingBagWebGPU(table, jt, { mode: 'mean', perSampleWeights: w2 }))).toBe('UNSUPPORTED');
      if (!ON_WEBGPU) expect(code(() => embeddingBagWebGPU(table, jt))).toBe('BACKEND_UNAVAILABLE');
    });
    tf.dispose([table, w3, w2]);
    jt.dispose();
  });
});
