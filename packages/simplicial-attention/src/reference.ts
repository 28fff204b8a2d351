// The O(n³) reference of 2-simplicial attention in plain tfjs ops, written like pytorch/FBGEMM
// fbgemm_gpu/experimental/simplicial_attention/simplicial/ops/pytorch/two_simplicial_attention.py::torch_fwd_ref:
// the whole logit cube, a mask of −∞ outside the windows, one softmax over the flattened (j, k), then the values.
// Differentiable by tfjs autograd, so it is also the oracle the custom backward is checked against.
import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import {
  type AttentionDims,
  checkQkv,
  type ResolvedSimplicial,
  resolveSimplicial,
  type SimplicialOptions,
  windowRange,
} from './options.js';

/**
 * Largest logit cube `B·Hq·n³` {@link simplicialAttentionReference} accepts (64 MiB of float32 logits).
 *
 * @example
 * ```ts
 * import { REFERENCE_MAX_CELLS } from '@tessera/simplicial-attention';
 * console.log(Math.floor(Math.cbrt(REFERENCE_MAX_CELLS))); // → 256 (largest n for one head)
 * ```
 */
export const REFERENCE_MAX_CELLS = 2 ** 24;

/**
 * [B, n, H, d] → [B·Hq, n, d], repeating kv-heads for GQA (q-head h reads kv-head ⌊h/(Hq/Hkv)⌋). Broadcast, not
 * tf.gather: gather's gradient (UnsortedSegmentSum) has no wasm kernel in tfjs 4.22.
 */
function heads(x: tf.Tensor, dims: AttentionDims): tf.Tensor3D {
  const { B, n, Hq, Hkv, d } = dims;
  let y = x;
  // rank 4: tfjs implements the tile (broadcastTo) gradient only up to rank 4
  if (x.shape[2] !== Hq) y = tf.reshape(tf.broadcastTo(tf.reshape(x, [B * n, Hkv, 1, d]), [B * n, Hkv, Hq / Hkv, d]), [B, n, Hq, d]);
  return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * Hq, n, d]);
}

/** Chunk-wise cross products x × y over the last axis (size a multiple of 3). */
function chunkCross(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const shapeX = x.shape;
  const c = shapeX[shapeX.length - 1] / 3;
  const xs = tf.reshape(x, [...shapeX.slice(0, -1), c, 3]);
  const ys = tf.reshape(y, [...y.shape.slice(0, -1), c, 3]);
  const ax = xs.rank - 1;
  const [x0, x1, x2] = tf.split(xs, 3, ax);
  const [y0, y1, y2] = tf.split(ys, 3, ax);
  const cross = tf.concat(
    [tf.sub(tf.mul(x1, y2), tf.mul(x2, y1)), tf.sub(tf.mul(x2, y0), tf.mul(x0, y2)), tf.sub(tf.mul(x0, y1), tf.mul(x1, y0))],
    ax,
  );
  return tf.reshape(cross, [...cross.shape.slice(0, -2), 3 * c]);
}

/** The [n, n, n] additive mask: 0 where (j, k) is valid for query i, −∞ elsewhere. */
function cubeMask(n: number, o: ResolvedSimplicial): tf.Tensor {
  const m = new Float32Array(n * n * n).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const [j0, j1] = windowRange(i, o.w1, n, o.causal);
    const [k0, k1] = windowRange(i, o.w2, n, o.causal);
    for (let j = j0; j <= j1; j++) m.fill(0, (i * n + j) * n + k0, (i * n + j) * n + k1 + 1);
  }
  return tf.tensor(m, [1, n, n, n], 'float32');
}

/**
 * The O(n³) reference of {@link simplicialAttention}: forms the full `[B·Hq, n, n, n]` logit cube with tfjs ops,
 * masks it to the windows and takes one softmax over (j, k). Same options and semantics, differentiable by tfjs
 * autograd; for tests and small n only (`B·Hq·n³ ≤ 2^24`).
 *
 * @throws TesseraError as {@link simplicialAttention}, and `INVALID_SHAPE` when `B·Hq·n³` exceeds 2^24.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { simplicialAttention, simplicialAttentionReference } from '@tessera/simplicial-attention';
 * await initBackend();
 * const [q, k1, k2, v1, v2] = [1, 2, 3, 4, 5].map((s) => tf.randomNormal<tf.Rank.R4>([1, 6, 1, 4], 0, 1, 'float32', s));
 * const ref = simplicialAttentionReference(q, k1, k2, v1, v2, { w1: 3, w2: 2 });
 * const { out, lse } = simplicialAttention(q, k1, k2, v1, v2, { w1: 3, w2: 2 });
 * console.log(tf.max(tf.abs(tf.sub(ref, out))).dataSync()[0] < 1e-5); // → true
 * tf.dispose([q, k1, k2, v1, v2, ref, out, lse]);
 * ```
 */
export function simplicialAttentionReference(
  q: tf.Tensor4D,
  k1: tf.Tensor4D,
  k2: tf.Tensor4D,
  v1: tf.Tensor4D,
  v2: tf.Tensor4D,
  o?: SimplicialOptions,
): tf.Tensor4D {
  const fn = 'simplicialAttentionReference';
  const dims = checkQkv(fn, q, { k1, k2, v1, v2 });
  const ro = resolveSimplicial(o, fn, dims);
  const { B, n, Hq, d } = dims;
  const cells = B * Hq * n * n * n;
  if (cells > REFERENCE_MAX_CELLS) {
    throw new TesseraError('INVALID_SHAPE', fn, `B·Hq·n³ must be <= ${REFERENCE_MAX_CELLS} (the O(n³) logit cube)`, cells);
  }
  return tf.tidy(() => {
    const BH = B * Hq;
    const qh = heads(q, dims);
    const k1h = heads(k1, dims);
    const qi = tf.reshape(qh, [BH, n, 1, d]);
    const kj = tf.reshape(k1h, [BH, 1, n, d]);
    let t: tf.Tensor; // [BH, n(i), n(j), d]
    const c = ro.variant === 'determinant' ? 3 * Math.floor(d / 3) : 0;
    if (c === 0) t = tf.mul(qi, kj);
    else {
      const cross = chunkCross(tf.slice(qi, [0, 0, 0, 0], [BH, n, 1, c]), tf.slice(kj, [0, 0, 0, 0], [BH, 1, n, c]));
      const parts = [tf.broadcastTo(cross, [BH, n, n, c])];
      if (c < d) parts.push(tf.mul(tf.slice(qi, [0, 0, 0, c], [BH, n, 1, d - c]), tf.slice(kj, [0, 0, 0, c], [BH, 1, n, d - c])));
      t = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
    }
    const logits = tf.mul(tf.matMul(tf.reshape(t, [BH, n * n, d]), heads(k2, dims), false, true), ro.scale); // [BH, n·n, n]
    const masked = tf.add(tf.reshape(logits, [BH, n, n, n]), cubeMask(n, ro));
    const p = tf.softmax(tf.reshape(masked, [BH, n, n * n])); // joint softmax over (j, k)
    const y = tf.matMul(tf.reshape(p, [BH, n * n, n]), heads(v2, dims)); // [BH, n·n, d] = Σ_k p v2_k per (i, j)
    const out = tf.sum(tf.mul(tf.reshape(y, [BH, n, n, d]), tf.reshape(heads(v1, dims), [BH, 1, n, d])), 2); // [BH, n, d]
    return tf.transpose(tf.reshape(out, [B, Hq, n, d]), [0, 2, 1, 3]) as tf.Tensor4D;
  });
}
