// The feature interaction of DLRM (arXiv 1906.00091 §3; facebookresearch/dlrm `dlrm_s_pytorch.py`,
// `interact_features`): `dot` stacks T = [x, e_1..e_F] ([B, N, d], bottom output first), takes Z = T·Tᵀ and keeps
// the strictly-lower triangle row-major ((1,0),(2,0),(2,1),(3,0)…; j ≤ i with self-interaction), then R = [x, Zflat];
// `cat` is R = [x, e_1..e_F]. The dot op is one host kernel under `tf.customGrad` that computes only the P kept
// dot products (not the whole N×N bmm) and scatters their gradient straight into dT.
import * as tf from '@tensorflow/tfjs-core';
import { interactionPairs } from './config.js';

/**
 * Zflat[b, p] = ⟨T[b, i_p], T[b, j_p]⟩ for the pairs of {@link interactionPairs}; differentiable.
 * @internal
 */
export function dotInteraction(T: tf.Tensor3D, itself: boolean): tf.Tensor2D {
  const [B, N, D] = T.shape;
  const pairs = interactionPairs(N, itself);
  const P = pairs.length / 2;
  const op = tf.customGrad(((t: tf.Tensor3D, save: (ts: tf.Tensor[]) => void) => {
    save([t]);
    const x = t.dataSync() as Float32Array;
    const out = new Float32Array(B * P);
    const nd = N * D;
    for (let b = 0; b < B; b++) {
      const base = b * nd;
      for (let p = 0; p < P; p++) {
        const oi = base + pairs[2 * p] * D;
        const oj = base + pairs[2 * p + 1] * D;
        let s = 0;
        for (let d = 0; d < D; d++) s += x[oi + d] * x[oj + d];
        out[b * P + p] = s;
      }
    }
    return {
      value: tf.tensor2d(out, [B, P]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = dy.dataSync() as Float32Array;
        const xs = saved[0].dataSync() as Float32Array;
        const dT = new Float32Array(B * nd);
        for (let b = 0; b < B; b++) {
          const base = b * nd;
          for (let p = 0; p < P; p++) {
            const c = g[b * P + p];
            if (c === 0) continue;
            const oi = base + pairs[2 * p] * D;
            const oj = base + pairs[2 * p + 1] * D;
            for (let d = 0; d < D; d++) {
              dT[oi + d] += c * xs[oj + d];
              dT[oj + d] += c * xs[oi + d];
            }
          }
        }
        return [tf.tensor3d(dT, [B, N, D])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(T) as tf.Tensor2D;
}
