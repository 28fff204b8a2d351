// The feature interaction of DLRM (arXiv 1906.00091 §3; facebookresearch/dlrm `dlrm_s_pytorch.py`,
// `interact_features`): `dot` stacks T = [x, e_1..e_F] ([B, N, d], bottom output first), takes Z = T·Tᵀ and keeps
// the strictly-lower triangle row-major ((1,0),(2,0),(2,1),(3,0)…; j ≤ i with self-interaction), then R = [x, Zflat];
// `cat` is R = [x, e_1..e_F]. Both are one host kernel under `tf.customGrad` taking x [B, d] and the pooled
// embeddings E [B, F·d]: it computes only the P kept dot products (not the whole N×N bmm), writes R directly, and
// its backward scatters into dx and dE. Why: tfjs's concat gradient slices along axis 1 through the generic
// element-by-element slice path, which cost more than the whole rest of a training step on the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { interactionPairs } from './config.js';

/**
 * R = [x, Zflat] (`dot`) or [x, E] (`cat`) for x [B, d] and E [B, F·d]; differentiable in x and E.
 * @internal
 */
export function interactionOp(x: tf.Tensor2D, E: tf.Tensor2D, mode: 'dot' | 'cat', itself: boolean): tf.Tensor2D {
  const [B, D] = x.shape;
  const FD = E.shape[1];
  const N = FD / D + 1;
  const pairs = mode === 'dot' ? interactionPairs(N, itself) : new Int32Array(0);
  const P = pairs.length / 2;
  const W = mode === 'dot' ? D + P : D + FD;
  const op = tf.customGrad(((xt: tf.Tensor, et: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([xt, et]);
    const xv = xt.dataSync() as Float32Array;
    const ev = et.dataSync() as Float32Array;
    const out = new Float32Array(B * W);
    for (let b = 0; b < B; b++) {
      out.set(xv.subarray(b * D, b * D + D), b * W);
      if (mode === 'cat') {
        out.set(ev.subarray(b * FD, b * FD + FD), b * W + D);
        continue;
      }
      for (let p = 0; p < P; p++) {
        const i = pairs[2 * p];
        const j = pairs[2 * p + 1];
        const ta = i === 0 ? xv : ev;
        const to = i === 0 ? b * D : b * FD + (i - 1) * D;
        const ua = j === 0 ? xv : ev;
        const uo = j === 0 ? b * D : b * FD + (j - 1) * D;
        let s = 0;
        for (let d = 0; d < D; d++) s += ta[to + d] * ua[uo + d];
        out[b * W + D + p] = s;
      }
    }
    return {
      value: tf.tensor2d(out, [B, W]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = dy.dataSync() as Float32Array;
        const xs = saved[0].dataSync() as Float32Array;
        const es = saved[1].dataSync() as Float32Array;
        const dx = new Float32Array(B * D);
        const dE = new Float32Array(B * FD);
        // T and dT rows as (array, offset): row 0 is x, row n ≥ 1 is feature n − 1 of E.
        for (let b = 0; b < B; b++) {
          dx.set(g.subarray(b * W, b * W + D), b * D);
          if (mode === 'cat') {
            dE.set(g.subarray(b * W + D, b * W + W), b * FD);
            continue;
          }
          for (let p = 0; p < P; p++) {
            const c = g[b * W + D + p];
            if (c === 0) continue;
            const i = pairs[2 * p];
            const j = pairs[2 * p + 1];
            const ta = i === 0 ? xs : es;
            const to = i === 0 ? b * D : b * FD + (i - 1) * D;
            const ua = j === 0 ? xs : es;
            const uo = j === 0 ? b * D : b * FD + (j - 1) * D;
            const dta = i === 0 ? dx : dE;
            const dua = j === 0 ? dx : dE;
            for (let d = 0; d < D; d++) {
              dta[to + d] += c * ua[uo + d];
              dua[uo + d] += c * ta[to + d];
            }
          }
        }
        return [tf.tensor2d(dx, [B, D]), tf.tensor2d(dE, [B, FD])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, E) as tf.Tensor2D;
}
