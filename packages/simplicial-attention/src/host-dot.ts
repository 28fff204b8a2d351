// Host kernels of windowed scaled dot-product attention, the baseline of 2-simplicial attention: same layout
// [B, n, H, d], same GQA rule and window convention (i − w < j ≤ i), built from the same dot/axpy loops so that the
// per-token time comparison at equal FLOPs measures the algorithms, not two different implementation styles.
// Forward: a_j = s⟨q_i, k_j⟩, two passes over the window (max, then exp-sum and Σ p_j v_j). Backward (FlashAttention-2
// formulas): p = exp(a − lse), dA = p(⟨dO_i, v_j⟩ − ⟨dO_i, O_i⟩), dQ_i += s·dA·k_j, dK_j += s·dA·q_i, dV_j += p·dO_i.
import { axpy, axpy4, dot, dot4, ger4 } from './host-blas.js';
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
  const quad = new Float64Array(4);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvBase = b * n * kvStride + Math.floor(h / group) * d;
      for (let i = 0; i < n; i++) {
        const qo = (b * n + i) * qStride + h * d;
        const [j0, j1] = windowRange(i, w, n, causal);
        let m = Number.NEGATIVE_INFINITY;
        let j = j0;
        for (; j + 3 <= j1; j += 4) {
          const o0 = kvBase + j * kvStride;
          dot4(q, qo, k, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d, quad);
          for (let c = 0; c < 4; c++) {
            const a = scale * quad[c];
            logits[j - j0 + c] = a;
            if (a > m) m = a;
          }
        }
        for (; j <= j1; j++) {
          const a = scale * dot(q, qo, k, kvBase + j * kvStride, d);
          logits[j - j0] = a;
          if (a > m) m = a;
        }
        acc.fill(0);
        let l = 0;
        for (j = j0; j + 3 <= j1; j += 4) {
          const o0 = kvBase + j * kvStride;
          const c = j - j0;
          const p0 = Math.exp(logits[c] - m);
          const p1 = Math.exp(logits[c + 1] - m);
          const p2 = Math.exp(logits[c + 2] - m);
          const p3 = Math.exp(logits[c + 3] - m);
          l += p0 + p1 + p2 + p3;
          axpy4(acc, 0, p0, p1, p2, p3, v, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d);
        }
        for (; j <= j1; j++) {
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
  const quadA = new Float64Array(4);
  const quadS = new Float64Array(4);
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
        let j = j0;
        for (; j + 3 <= j1; j += 4) {
          const o0 = kvBase + j * kvStride;
          const o1 = o0 + kvStride;
          const o2 = o1 + kvStride;
          const o3 = o2 + kvStride;
          dot4(q, qo, k, o0, o1, o2, o3, d, quadA);
          dot4(dO, 0, v, o0, o1, o2, o3, d, quadS);
          const p0 = Math.exp(scale * quadA[0] - L);
          const p1 = Math.exp(scale * quadA[1] - L);
          const p2 = Math.exp(scale * quadA[2] - L);
          const p3 = Math.exp(scale * quadA[3] - L);
          const g0 = scale * p0 * (quadS[0] - D);
          const g1 = scale * p1 * (quadS[1] - D);
          const g2 = scale * p2 * (quadS[2] - D);
          const g3 = scale * p3 * (quadS[3] - D);
          axpy4(dq, qo, g0, g1, g2, g3, k, o0, o1, o2, o3, d);
          ger4(dk, o0, o1, o2, o3, g0, g1, g2, g3, q, qo, d);
          ger4(dv, o0, o1, o2, o3, p0, p1, p2, p3, dO, 0, d);
        }
        for (; j <= j1; j++) {
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
