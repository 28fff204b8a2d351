// DLRM's losses (facebookresearch/dlrm `dlrm_s_pytorch.py`, `DLRM_Net.__init__` and `loss_fn_wrap`): `mse` is
// `torch.nn.MSELoss(reduction="mean")`; `bce` is `torch.nn.BCELoss(reduction="mean")` on probabilities, whose log terms
// PyTorch clamps at −100 and whose backward is (p − y)/max(p(1 − p), 1e-12) (aten `binary_cross_entropy_backward`);
// `wbce` is BCELoss(reduction="none") times `loss_ws[target]`, then the mean.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkTensor, readSync, TesseraError } from '@tessera/core';
import { fail } from './errors.js';
import { type DlrmKernel, HOST_ALTERNATIVE, resolveKernel } from './kernel.js';

/** Loss of {@link dlrmLoss}: `'bce'` is the normal choice for click prediction. */
export type LossKind = 'bce' | 'mse' | 'wbce';

/**
 * Checks labels: float32 [B, 1] like `p`, every value in [0, 1]. With `device` (the tfjs path), the value check runs
 * only where the labels can be read synchronously (any backend but webgpu in Node, or labels still host-resident
 * there); labels already on such a device are not checked. @internal
 */
export function checkLabels(fn: string, p: tf.Tensor, t: unknown, device = false): tf.Tensor2D {
  const tt = checkTensor(t, fn, 'labels', { dtype: 'float32', rank: 2 }) as tf.Tensor2D;
  if (tt.shape[0] !== p.shape[0] || tt.shape[1] !== 1)
    fail('INVALID_SHAPE', fn, `labels must have shape [${p.shape[0]}, 1]`, `[${tt.shape.join(', ')}]`);
  let v: tf.TypedArray;
  try {
    v = readSync(tt, fn, 'the labels', HOST_ALTERNATIVE);
  } catch (e) {
    if (device && e instanceof TesseraError && e.code === 'UNSUPPORTED') return tt;
    throw e;
  }
  for (let i = 0; i < v.length; i++)
    if (!(v[i] >= 0 && v[i] <= 1)) fail('INVALID_ARGUMENT', fn, 'labels must lie in [0, 1]', `labels[${i}] = ${v[i]}`);
  return tt;
}

/**
 * The mean loss of probabilities `p` ([B, 1]) against targets `t` ([B, 1], values in [0, 1]), differentiable with
 * respect to `p`. `bce`/`wbce` clamp each log term at −100 and use PyTorch's BCELoss backward; `classWeights`
 * (`--loss-weights`, default [1, 1]) weights each sample by the weight of its target class (`wbce` only; targets are
 * rounded to pick the class). `options.kernel` (default `'auto'`): `'host'` computes on the host in float64,
 * `'tfjs'` with tfjs ops in float32 (no synchronous read: webgpu in Node), see {@link DlrmKernel}.
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
export function dlrmLoss(
  p: tf.Tensor2D,
  t: tf.Tensor2D,
  kind: LossKind,
  classWeights: [number, number] = [1, 1],
  options: { kernel?: DlrmKernel } = {},
): tf.Scalar {
  const fn = 'dlrmLoss';
  checkTensor(p, fn, 'p', { dtype: 'float32', rank: 2 });
  if (p.shape[1] !== 1) fail('INVALID_SHAPE', fn, 'p must have shape [B, 1]', `[${p.shape.join(', ')}]`);
  const kernel = resolveKernel(fn, options?.kernel);
  checkLabels(fn, p, t, kernel === 'tfjs');
  checkOneOf(kind, fn, 'kind', ['bce', 'mse', 'wbce'] as const);
  if (!Array.isArray(classWeights) || classWeights.length !== 2 || classWeights.some((w) => typeof w !== 'number' || !Number.isFinite(w)))
    fail('INVALID_ARGUMENT', fn, 'classWeights must be two finite numbers', classWeights);
  return kernel === 'tfjs' ? tfjsLoss(p, t, kind, classWeights) : lossUnchecked(p, t, kind, classWeights);
}

const READ = 'DLRM host loss (kernel: host)';

/**
 * The loss as tfjs ops only (`kernel: 'tfjs'`, no host read): the same formulas as the host kernel — each log term
 * clamped at −100, PyTorch's BCELoss backward (p − y)/max(p(1 − p), 1e-12) through `tf.customGrad` — in float32
 * (the host kernel takes the logs and the sum in float64). `wbce` picks the class weight by y ≥ 0.5 (= the host's
 * `Math.round(y) === 1` on [0, 1]).
 * @internal
 */
export function tfjsLoss(p: tf.Tensor2D, t: tf.Tensor2D, kind: LossKind, classWeights: [number, number] = [1, 1]): tf.Scalar {
  if (kind === 'mse') return tf.tidy(() => tf.mean(tf.square(tf.sub(p, t)))) as tf.Scalar;
  const B = p.shape[0];
  const op = tf.customGrad(((pp: tf.Tensor2D, save: (ts: tf.Tensor[]) => void) => {
    save([pp]);
    const weight = () =>
      kind === 'wbce' ? tf.where(tf.greaterEqual(t, 0.5), tf.scalar(classWeights[1]), tf.scalar(classWeights[0])) : null;
    const value = tf.tidy(() => {
      const terms = tf.add(tf.mul(t, tf.maximum(tf.log(pp), -100)), tf.mul(tf.sub(1, t), tf.maximum(tf.log(tf.sub(1, pp)), -100)));
      const w = weight();
      return tf.neg(tf.mean(w ? tf.mul(w, terms) : terms));
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const ps = saved[0];
          const w = weight();
          const num = w ? tf.mul(w, tf.sub(ps, t)) : tf.sub(ps, t);
          return tf.mul(tf.div(num, tf.maximum(tf.mul(tf.sub(1, ps), ps), 1e-12)), tf.div(dy, B));
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(p) as tf.Scalar;
}

/** {@link dlrmLoss} without validation (hot path). @internal */
export function lossUnchecked(p: tf.Tensor2D, t: tf.Tensor2D, kind: LossKind, classWeights: [number, number] = [1, 1]): tf.Scalar {
  if (kind === 'mse') return tf.tidy(() => tf.mean(tf.square(tf.sub(p, t)))) as tf.Scalar;
  const B = p.shape[0];
  const tv = readSync(t, READ, 'the labels', HOST_ALTERNATIVE) as Float32Array;
  const w = new Float32Array(B);
  for (let i = 0; i < B; i++) w[i] = kind === 'wbce' ? classWeights[Math.round(tv[i]) === 1 ? 1 : 0] : 1;
  const op = tf.customGrad(((pp: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([pp]);
    const pv = readSync(pp, READ, 'p', HOST_ALTERNATIVE) as Float32Array;
    let s = 0;
    for (let i = 0; i < B; i++) {
      const lp = Math.max(Math.log(pv[i]), -100);
      const l1p = Math.max(Math.log(1 - pv[i]), -100);
      s += -w[i] * (tv[i] * lp + (1 - tv[i]) * l1p);
    }
    return {
      value: tf.scalar(B === 0 ? Number.NaN : s / B),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = readSync(dy, READ, 'dy', HOST_ALTERNATIVE)[0];
        const ps = readSync(saved[0], READ, 'p', HOST_ALTERNATIVE) as Float32Array;
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
