// Host kernels of windowed scaled dot-product attention, the baseline of 2-simplicial attention: same layout
// [B, n, H, d], same GQA rule and window convention (i − w < j ≤ i), built from the same dot/axpy loops so that the
// per-token time comparison at equal FLOPs measures the algorithms, not two different implementation styles.
// Forward: a_j = s⟨q_i, k_j⟩, two passes over the window (max, then exp-sum and Σ p_j v_j). Backward (FlashAttention-2
// formulas): p = exp(a − lse), dA = p(⟨dO_i, v_j⟩ − ⟨dO_i, O_i⟩), dQ_i += s·dA·k_j, dK_j += s·dA·q_i, dV_j += p·dO_i.
import { axpy, dot } from './host-blas.js';
import type { AttentionDims, ResolvedDot } from './options.js';
import { windowRange } from './options.js';

/** Forward host kernel: `out` `[B, n, Hq, d]`, `lse` `[B, Hq, n]`. No validation. @internal */
export function dotForwardHostUnchecked(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  dims: AttentionDims,
  o: ResolvedDot,
): { out: Float32Array; lse: Float32Array } {
  const { B, n, Hq, Hkv, d } = dims;
  const { window: w, causal, scale } = o;
  const group = Hq / Hkv;
  const qStride = Hq * d;
  const kvStride = Hkv * d;
  const out = new Float32Array(B * n * Hq * d);
  const lse = new Float32Array(B * Hq * n);
  const logits = new Float64Array(n);
  const acc = new Float64Array(d);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvBase = b * n * kvStride + Math.floor(h / group) * d;
      for (let i = 0; i < n; i++) {
        const qo = (b * n + i) * qStride + h * d;
        const [j0, j1] = windowRange(i, w, n, causal);
        let m = Number.NEGATIVE_INFINITY;
        for (let j = j0; j <= j1; j++) {
          const a = scale * dot(q, qo, k, kvBase + j * kvStride, d);
          logits[j - j0] = a;
          if (a > m) m = a;
        }
        acc.fill(0);
        let l = 0;
        for (let j = j0; j <= j1; j++) {
          const p = Math.exp(logits[j - j0] - m);
          l += p;
          axpy(acc, 0, p, v, kvBase + j * kvStride, d);
        }
        const inv = 1 / l;
        for (let e = 0; e < d; e++) out[qo + e] = acc[e] * inv;
        lse[(b * Hq + h) * n + i] = m + Math.log(l);
      }
    }
  }
  return { out, lse };
}

/** Backward host kernel: gradients of Σ dOut ⊙ out with respect to q, k, v. No validation. @internal */
export function dotBackwardHostUnchecked(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  out: Float32Array | Float64Array,
  dOut: Float32Array | Float64Array,
  lse: Float32Array | Float64Array,
  dims: AttentionDims,
  o: ResolvedDot,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const { B, n, Hq, Hkv, d } = dims;
  const { window: w, causal, scale } = o;
  const group = Hq / Hkv;
  const qStride = Hq * d;
  const kvStride = Hkv * d;
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const dO = new Float64Array(d);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvBase = b * n * kvStride + Math.floor(h / group) * d;
      for (let i = 0; i < n; i++) {
        const qo = (b * n + i) * qStride + h * d;
        let D = 0;
        for (let e = 0; e < d; e++) {
          dO[e] = dOut[qo + e];
          D += dO[e] * out[qo + e];
        }
        const L = lse[(b * Hq + h) * n + i];
        const [j0, j1] = windowRange(i, w, n, causal);
        for (let j = j0; j <= j1; j++) {
          const jo = kvBase + j * kvStride;
          const p = Math.exp(scale * dot(q, qo, k, jo, d) - L);
          const dA = p * (dot(dO, 0, v, jo, d) - D);
          axpy(dq, qo, scale * dA, k, jo, d);
          axpy(dk, jo, scale * dA, q, qo, d);
          axpy(dv, jo, p, dO, 0, d);
        }
      }
    }
  }
  return { dq: Float32Array.from(dq), dk: Float32Array.from(dk), dv: Float32Array.from(dv) };
}
