// DLRM's losses (facebookresearch/dlrm `dlrm_s_pytorch.py`, `DLRM_Net.__init__` and `loss_fn_wrap`): `mse` is
// `torch.nn.MSELoss(reduction="mean")`; `bce` is `torch.nn.BCELoss(reduction="mean")` on probabilities, whose log terms
// PyTorch clamps at −100 and whose backward is (p − y)/max(p(1 − p), 1e-12) (aten `binary_cross_entropy_backward`);
// `wbce` is BCELoss(reduction="none") times `loss_ws[target]`, then the mean.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkTensor } from '@tessera/core';
import { fail } from './errors.js';

/** Loss of {@link dlrmLoss}: `'bce'` is the normal choice for click prediction. */
export type LossKind = 'bce' | 'mse' | 'wbce';

/** Checks labels: float32 [B, 1] like `p`, every value in [0, 1]. @internal */
export function checkLabels(fn: string, p: tf.Tensor, t: unknown): tf.Tensor2D {
  const tt = checkTensor(t, fn, 'labels', { dtype: 'float32', rank: 2 }) as tf.Tensor2D;
  if (tt.shape[0] !== p.shape[0] || tt.shape[1] !== 1)
    fail('INVALID_SHAPE', fn, `labels must have shape [${p.shape[0]}, 1]`, `[${tt.shape.join(', ')}]`);
  const v = tt.dataSync();
  for (let i = 0; i < v.length; i++)
    if (!(v[i] >= 0 && v[i] <= 1)) fail('INVALID_ARGUMENT', fn, 'labels must lie in [0, 1]', `labels[${i}] = ${v[i]}`);
  return tt;
}

/**
 * The mean loss of probabilities `p` ([B, 1]) against targets `t` ([B, 1], values in [0, 1]), differentiable with
 * respect to `p`. `bce`/`wbce` clamp each log term at −100 and use PyTorch's BCELoss backward; `classWeights`
 * (`--loss-weights`, default [1, 1]) weights each sample by the weight of its target class (`wbce` only; targets are
 * rounded to pick the class).
 *
 * @throws TesseraError `INVALID_ARGUMENT` (unknown kind, labels outside [0, 1], bad weights), `INVALID_SHAPE`,
 * `INVALID_DTYPE`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { dlrmLoss } from '@tessera/dlrm-model';
 * await initBackend();
 * const p = tf.tensor2d([[0.5], [0.5]]);
 * const t = tf.tensor2d([[1], [0]]);
 * const l = dlrmLoss(p, t, 'bce');
 * l.dataSync()[0]; // ≈ 0.6931 (ln 2)
 * tf.dispose([p, t, l]);
 * ```
 */
export function dlrmLoss(p: tf.Tensor2D, t: tf.Tensor2D, kind: LossKind, classWeights: [number, number] = [1, 1]): tf.Scalar {
  const fn = 'dlrmLoss';
  checkTensor(p, fn, 'p', { dtype: 'float32', rank: 2 });
  if (p.shape[1] !== 1) fail('INVALID_SHAPE', fn, 'p must have shape [B, 1]', `[${p.shape.join(', ')}]`);
  checkLabels(fn, p, t);
  checkOneOf(kind, fn, 'kind', ['bce', 'mse', 'wbce'] as const);
  if (!Array.isArray(classWeights) || classWeights.length !== 2 || classWeights.some((w) => typeof w !== 'number' || !Number.isFinite(w)))
    fail('INVALID_ARGUMENT', fn, 'classWeights must be two finite numbers', classWeights);
  return lossUnchecked(p, t, kind, classWeights);
}

/** {@link dlrmLoss} without validation (hot path). @internal */
export function lossUnchecked(p: tf.Tensor2D, t: tf.Tensor2D, kind: LossKind, classWeights: [number, number] = [1, 1]): tf.Scalar {
  if (kind === 'mse') return tf.tidy(() => tf.mean(tf.square(tf.sub(p, t)))) as tf.Scalar;
  const B = p.shape[0];
  const tv = t.dataSync() as Float32Array;
  const w = new Float32Array(B);
  for (let i = 0; i < B; i++) w[i] = kind === 'wbce' ? classWeights[Math.round(tv[i]) === 1 ? 1 : 0] : 1;
  const op = tf.customGrad(((pp: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([pp]);
    const pv = pp.dataSync() as Float32Array;
    let s = 0;
    for (let i = 0; i < B; i++) {
      const lp = Math.max(Math.log(pv[i]), -100);
      const l1p = Math.max(Math.log(1 - pv[i]), -100);
      s += -w[i] * (tv[i] * lp + (1 - tv[i]) * l1p);
    }
    return {
      value: tf.scalar(B === 0 ? Number.NaN : s / B),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = dy.dataSync()[0];
        const ps = saved[0].dataSync() as Float32Array;
        const out = new Float32Array(B);
        for (let i = 0; i < B; i++) {
          const pi = ps[i];
          const denom = Math.max(Math.fround(Math.fround(1 - pi) * pi), 1e-12);
          out[i] = ((w[i] * (pi - tv[i])) / denom) * (g / B);
        }
        return [tf.tensor2d(out, [B, 1])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(p) as tf.Scalar;
}
