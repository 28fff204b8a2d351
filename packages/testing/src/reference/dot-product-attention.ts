// Naive float64 oracle of windowed scaled dot-product attention with grouped-query heads (the baseline next to
// 2-simplicial attention), forward from the definition softmax(scale · q kᵀ) v over the window, and the backward of
// FlashAttention-2 (Dao, arXiv 2307.08691, Algorithm 2) written per query over the full softmax. Slow on purpose.
import { inAttentionWindow, type NaiveAttentionDims } from './attention-window.js';

/** Window (`Infinity` = unbounded), causality and logit scale of the dot-product oracle. */
export interface NaiveDotOptions {
  w: number;
  causal: boolean;
  scale: number;
}

/**
 * Dot-product attention forward: `out` [B, n, Hq, d] and `lse` [B, Hq, n]; q, k, v in the [B, n, H, d] layout, query
 * head h reading key/value head ⌊h / (Hq / Hkv)⌋.
 *
 * @example
 * ```ts
 * import { naiveDotAttention } from '@tessera/testing';
 * const dims = { B: 1, n: 2, Hq: 1, Hkv: 1, d: 1 };
 * const { out, lse } = naiveDotAttention(Float64Array.of(0, 0), Float64Array.of(1, 1), Float64Array.of(2, 4), dims, { w: 2, causal: true, scale: 1 });
 * [...out]; // → [2, 3]
 * lse[0]; // → 0
 * ```
 */
export function naiveDotAttention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  dims: NaiveAttentionDims,
  o: NaiveDotOptions,
): { out: Float64Array; lse: Float64Array } {
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
          if (!inAttentionWindow(i, j, o.w, o.causal)) continue;
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

/**
 * Dot-product attention backward from its definition: the gradients of Σ dOut ⊙ out with respect to q, k and v
 * through the full softmax of each query, with the forward's `out` and `lse`.
 *
 * @example
 * ```ts
 * import { naiveDotAttentionBackward } from '@tessera/testing';
 * const dims = { B: 1, n: 1, Hq: 1, Hkv: 1, d: 1 };
 * const g = naiveDotAttentionBackward(Float64Array.of(1), Float64Array.of(1), Float64Array.of(3), Float64Array.of(2), dims, { w: 1, causal: true, scale: 1 });
 * g.out[0]; // → 3
 * g.dv[0]; // → 2
 * g.dq[0]; // → 0
 * ```
 */
export function naiveDotAttentionBackward(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  dOut: Float64Array,
  dims: NaiveAttentionDims,
  o: NaiveDotOptions,
) {
  const { B, n, Hq, Hkv, d } = dims;
  const g = Hq / Hkv;
  const { out, lse } = naiveDotAttention(q, k, v, dims, o);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < n; i++) {
        const qo = ((b * n + i) * Hq + h) * d;
        let D = 0;
        for (let l = 0; l < d; l++) D += dOut[qo + l] * out[qo + l];
        for (let j = 0; j < n; j++) {
          if (!inAttentionWindow(i, j, o.w, o.causal)) continue;
          const ko = ((b * n + j) * Hkv + Math.floor(h / g)) * d;
          let a = 0;
          let dS = 0;
          for (let l = 0; l < d; l++) {
            a += q[qo + l] * k[ko + l];
            dS += dOut[qo + l] * v[ko + l];
          }
          const p = Math.exp(o.scale * a - lse[(b * Hq + h) * n + i]);
          const dA = p * (dS - D);
          for (let l = 0; l < d; l++) {
            dq[qo + l] += o.scale * dA * k[ko + l];
            dk[ko + l] += o.scale * dA * q[qo + l];
            dv[ko + l] += p * dOut[qo + l];
          }
        }
      }
  return { out, lse, dq, dk, dv };
}
