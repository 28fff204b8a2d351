// Windowed scaled dot-product attention with GQA in tfjs ops over the full [n, n] score matrix (differentiable by
// tfjs autograd), next to the naive float64 oracle of the baseline, which lives in @tessera/testing.
import * as tf from '@tensorflow/tfjs-core';
import { inAttentionWindow } from '@tessera/testing';

export { naiveDotAttention as naiveDot } from '@tessera/testing';

/** The same attention in tfjs ops (full score matrix with an additive −∞ mask). */
export function tfDot(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, o: { w: number; causal: boolean; scale: number }): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, n, Hq, d] = q.shape;
    const Hkv = k.shape[2];
    // broadcast (rank 4) rather than tf.gather, whose gradient has no wasm kernel
    const rep = (x: tf.Tensor) =>
      Hkv === Hq ? x : tf.reshape(tf.broadcastTo(tf.reshape(x, [B * n, Hkv, 1, d]), [B * n, Hkv, Hq / Hkv, d]), [B, n, Hq, d]);
    const qt = tf.transpose(q, [0, 2, 1, 3]);
    const kt = tf.transpose(rep(k), [0, 2, 1, 3]);
    const vt = tf.transpose(rep(v), [0, 2, 1, 3]);
    const mask = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) mask[i * n + j] = inAttentionWindow(i, j, o.w, o.causal) ? 0 : Number.NEGATIVE_INFINITY;
    const s = tf.add(tf.mul(tf.matMul(qt, kt, false, true), o.scale), tf.tensor(mask, [1, 1, n, n]));
    const out = tf.matMul(tf.softmax(s), vt);
    return tf.transpose(out, [0, 2, 1, 3]) as tf.Tensor4D;
  });
}
