// Scaled dot-product attention with the layout, GQA rule and windows of simplicialAttention: the baseline.
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, readSync } from '@tessera/core';
import { dotAttentionBackward, dotAttentionForward } from '@tessera/kernels';
import { runKernel } from './kernel-choice.js';
import { type AttentionDims, checkQkv, type DotProductOptions, type ResolvedDot, resolveDot } from './options.js';

/** `t`'s values on the host (core's `readSync`: `UNSUPPORTED` where the backend cannot read synchronously). */
function hostData(t: tf.Tensor, fn: string, what: string): Float32Array {
  if (t.size === 0) return new Float32Array(0);
  return readSync(t, fn, what, "leave kernel unset, or use kernel 'auto' or 'tfjs' (tfjs ops), or the cpu or wasm backend") as Float32Array;
}

/**
 * Scaled dot-product attention, `out_i = Σ_j softmax_j(scale·⟨q_i, k_j⟩) v_j`, in the layout of
 * {@link simplicialAttention} (`[B, n, H, d]`, Hq a multiple of Hkv, q-head h reads kv-head `⌊h/(Hq/Hkv)⌋`), causal
 * by default and optionally windowed (`i − window < j ≤ i`). Host kernels inside one tf.customGrad (FlashAttention-2
 * backward formulas, probabilities recomputed from `lse`); memory O(n·d). `lse` is the natural-log
 * log-sum-exp and carries no gradient. `kernel: 'tfjs'` (the default where tensors cannot be read synchronously,
 * i.e. webgpu in Node) computes the same with tfjs ops over the full score matrix, differentiated by tfjs autograd.
 *
 * @param q - queries `[B, n, Hq, d]`, float32
 * @param k - keys `[B, n, Hkv, d]`
 * @param v - values `[B, n, Hkv, d]`
 * @param o - `causal` (default true), `window` (default Infinity), `scale` (default 1/√d)
 * @returns `out` `[B, n, Hq, d]` and `lse` `[B, Hq, n]`, owned by the caller
 * @throws TesseraError `INVALID_ARGUMENT` (not a tensor, disposed, bad window, scale or causal), `INVALID_DTYPE`,
 * `INVALID_SHAPE` (ranks, mismatched sizes, Hq not a multiple of Hkv), `UNSUPPORTED` (`kernel: 'wasm'` where
 * WebAssembly SIMD is unavailable; `kernel: 'wasm'` or `'js'` on a backend that cannot read synchronously, i.e.
 * webgpu in Node, where `'auto'` runs the tfjs-op path).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { dotProductAttention } from '@tessera/simplicial-attention';
 * await initBackend();
 * const q = tf.randomNormal([1, 8, 4, 16], 0, 1, 'float32', 1) as tf.Tensor4D;
 * const k = tf.randomNormal([1, 8, 2, 16], 0, 1, 'float32', 2) as tf.Tensor4D; // GQA: 2 kv-heads for 4 q-heads
 * const v = tf.randomNormal([1, 8, 2, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
 * const { out, lse } = dotProductAttention(q, k, v, { window: 4 });
 * console.log(out.shape, lse.shape); // → [1, 8, 4, 16] [1, 4, 8]
 * tf.dispose([q, k, v, out, lse]);
 * ```
 */
export function dotProductAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  o?: DotProductOptions,
): { out: tf.Tensor4D; lse: tf.Tensor3D } {
  const fn = 'dotProductAttention';
  const dims = checkQkv(fn, q, { k, v });
  const ro = resolveDot(o, fn, dims);
  if (ro.kernel === 'tfjs' || (ro.kernel === 'auto' && !canReadSync())) return dotProductTfjs(q, k, v, ro, dims);
  const kernel = ro.kernel;
  let lse: Float32Array | null = null;
  const f = tf.customGrad(((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor) => {
    const qd = hostData(qi, fn, 'q');
    const kd = hostData(ki, fn, 'k');
    const vd = hostData(vi, fn, 'v');
    const { B, n, Hq, Hkv, d } = dims;
    const r = { out: new Float32Array(qd.length), lse: new Float32Array(B * Hq * n) };
    const ran = runKernel(kernel, fn, () =>
      dotAttentionForward(qd, kd, vd, B, n, Hq, Hkv, d, ro.window, ro.causal, ro.scale, r.out, r.lse),
    ).backend;
    lse = r.lse;
    const value = tf.tensor(r.out, qi.shape, 'float32');
    const gradFunc = (dy: tf.Tensor) => {
      const dyd = hostData(dy, fn, 'the upstream gradient');
      const g = { dq: new Float32Array(qd.length), dk: new Float32Array(kd.length), dv: new Float32Array(vd.length) };
      // the backward runs on the kernels that ran the forward (their roundings differ)
      runKernel(ran, fn, () =>
        dotAttentionBackward(qd, kd, vd, r.out, dyd, r.lse, B, n, Hq, Hkv, d, ro.window, ro.causal, ro.scale, g.dq, g.dk, g.dv),
      );
      return [tf.tensor(g.dq, qi.shape, 'float32'), tf.tensor(g.dk, ki.shape, 'float32'), tf.tensor(g.dv, vi.shape, 'float32')];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = f(q, k, v) as tf.Tensor4D;
  return { out, lse: tf.tensor3d(lse as unknown as Float32Array, [dims.B, dims.Hq, dims.n], 'float32') };
}

/**
 * The tfjs-op path of {@link dotProductAttention}: GQA by broadcasting the kv-heads, the full `[n, n]` score matrix
 * `scale·Q·Kᵀ` with the window/causal mask as −∞, `lse` = logsumexp over keys, `P = exp(S − lse)`, `out = P·V`;
 * gradients by tfjs autograd (O(n²) memory per head, unlike the host kernels' O(n·d)). Every row keeps at least its
 * own key (j = i), so no row is all −∞. `lse` is computed apart and is not connected to `out`'s gradient. @internal
 */
function dotProductTfjs(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  ro: ResolvedDot,
  dims: AttentionDims,
): { out: tf.Tensor4D; lse: tf.Tensor3D } {
  const { B, n, Hq, Hkv, d } = dims;
  const mask = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const inside = ro.causal ? j <= i && i - j < ro.window : Math.abs(i - j) < ro.window;
      mask[i * n + j] = inside ? 0 : Number.NEGATIVE_INFINITY;
    }
  // broadcast (rank 4) rather than tf.gather, whose gradient has no wasm kernel
  const rep = (x: tf.Tensor) =>
    Hkv === Hq ? x : tf.reshape(tf.broadcastTo(tf.reshape(x, [B * n, Hkv, 1, d]), [B * n, Hkv, Hq / Hkv, d]), [B, n, Hq, d]);
  const scores = (qi: tf.Tensor, ki: tf.Tensor) =>
    tf.add(
      tf.mul(tf.matMul(tf.transpose(qi, [0, 2, 1, 3]), tf.transpose(rep(ki), [0, 2, 1, 3]), false, true), ro.scale),
      tf.tensor(mask, [1, 1, n, n]),
    );
  const out = tf.tidy(() => {
    const s = scores(q, k);
    const p = tf.exp(tf.sub(s, tf.logSumExp(s, -1, true)));
    return tf.transpose(tf.matMul(p, tf.transpose(rep(v), [0, 2, 1, 3])), [0, 2, 1, 3]) as tf.Tensor4D;
  });
  const lse = tf.tidy(() => tf.logSumExp(scores(q, k), -1) as tf.Tensor3D);
  return { out, lse };
}
