// Naive float64 scaled dot-product attention with windows and GQA (the baseline's oracle), and the same formula in
// tfjs ops over the full [n, n] score matrix (differentiable by tfjs autograd).
import * as tf from '@tensorflow/tfjs-core';
import { type Dims, inWindow } from './naive.js';

export function naiveDot(q: Float64Array, k: Float64Array, v: Float64Array, dims: Dims, o: { w: number; causal: boolean; scale: number }) {
  const { B, n, Hq, Hkv, d } = dims;
  const g = Hq / Hkv;
  const out = new Float64Array(B * n * Hq * d);
  const lse = new Float64Array(B * Hq * n);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < n; i++) {
        const a: number[] = [];
        const js: number[] = [];
        for (let j = 0; j < n; j++) {
          if (!inWindow(i, j, o.w, o.causal)) continue;
          let s = 0;
          for (let l = 0; l < d; l++) s += q[((b * n + i) * Hq + h) * d + l] * k[((b * n + j) * Hkv + Math.floor(h / g)) * d + l];
          a.push(o.scale * s);
          js.push(j);
        }
        const m = Math.max(...a);
        const sum = a.reduce((acc, x) => acc + Math.exp(x - m), 0);
        lse[(b * Hq + h) * n + i] = m + Math.log(sum);
        js.forEach((j, c) => {
          const p = Math.exp(a[c] - m) / sum;
          for (let l = 0; l < d; l++) out[((b * n + i) * Hq + h) * d + l] += p * v[((b * n + j) * Hkv + Math.floor(h / g)) * d + l];
        });
      }
  return { out, lse };
}

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
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mask[i * n + j] = inWindow(i, j, o.w, o.causal) ? 0 : Number.NEGATIVE_INFINITY;
    const s = tf.add(tf.mul(tf.matMul(qt, kt, false, true), o.scale), tf.tensor(mask, [1, 1, n, n]));
    const out = tf.matMul(tf.softmax(s), vt);
    return tf.transpose(out, [0, 2, 1, 3]) as tf.Tensor4D;
  });
}
