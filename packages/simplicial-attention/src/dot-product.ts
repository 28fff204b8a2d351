// Scaled dot-product attention with the layout, GQA rule and windows of simplicialAttention: the baseline.
import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '@tessera/core';
import { dotAttentionBackward, dotAttentionForward } from '@tessera/kernels';
import { runKernel } from './kernel-choice.js';
import { checkQkv, type DotProductOptions, resolveDot } from './options.js';

/** `t`'s values on the host (core's `readSync`: `UNSUPPORTED` where the backend cannot read synchronously). */
function hostData(t: tf.Tensor, fn: string, what: string): Float32Array {
  if (t.size === 0) return new Float32Array(0);
  return readSync(t, fn, what, 'dotProductAttention runs host kernels only: use the cpu or wasm backend') as Float32Array;
}

/**
 * Scaled dot-product attention, `out_i = Σ_j softmax_j(scale·⟨q_i, k_j⟩) v_j`, in the layout of
 * {@link simplicialAttention} (`[B, n, H, d]`, Hq a multiple of Hkv, q-head h reads kv-head `⌊h/(Hq/Hkv)⌋`), causal
 * by default and optionally windowed (`i − window < j ≤ i`). Host kernels inside one tf.customGrad (FlashAttention-2
 * backward formulas, probabilities recomputed from `lse`); memory O(n·d). `lse` is the natural-log
 * log-sum-exp and carries no gradient.
 *
 * @param q - queries `[B, n, Hq, d]`, float32
 * @param k - keys `[B, n, Hkv, d]`
 * @param v - values `[B, n, Hkv, d]`
 * @param o - `causal` (default true), `window` (default Infinity), `scale` (default 1/√d)
 * @returns `out` `[B, n, Hq, d]` and `lse` `[B, Hq, n]`, owned by the caller
 * @throws TesseraError `INVALID_ARGUMENT` (not a tensor, disposed, bad window, scale or causal), `INVALID_DTYPE`,
 * `INVALID_SHAPE` (ranks, mismatched sizes, Hq not a multiple of Hkv), `UNSUPPORTED` (`kernel: 'wasm'` where
 * WebAssembly SIMD is unavailable; any call on a backend that cannot read synchronously, i.e. webgpu in Node).
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
  let lse: Float32Array | null = null;
  const f = tf.customGrad(((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor) => {
    const qd = hostData(qi, fn, 'q');
    const kd = hostData(ki, fn, 'k');
    const vd = hostData(vi, fn, 'v');
    const { B, n, Hq, Hkv, d } = dims;
    const r = { out: new Float32Array(qd.length), lse: new Float32Array(B * Hq * n) };
    const ran = runKernel(ro.kernel, fn, () =>
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
