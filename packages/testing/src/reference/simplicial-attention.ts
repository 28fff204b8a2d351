// Naive float64 oracle of 2-simplicial attention, written from the definitions (Roy et al. arXiv 2507.02754 Eqs. 5–7
// for the trilinear and determinant logits, windows and softmax over (j, k); the backward of pytorch/FBGEMM
// fbgemm_gpu/experimental/simplicial_attention torch_simplicial_bwd) as plain loops over every (i, j, k) of the full
// cube with a window test. Slow on purpose (O(n² · n · d) per head); small n only. It is the test oracle of both
// @tessera/kernels' attention kernels and @tessera/simplicial-attention, kept apart from the fast kernels.
import { inAttentionWindow, type NaiveAttentionDims } from './attention-window.js';

/** The five operands of 2-simplicial attention as float64 arrays in the [B, n, H, d] layout (q with Hq heads). */
export interface NaiveSimplicialInputs {
  q: Float64Array;
  k1: Float64Array;
  k2: Float64Array;
  v1: Float64Array;
  v2: Float64Array;
}

/** Windows (`Infinity` = unbounded), causality, logit scale and logit variant of the oracle. */
export interface NaiveSimplicialOptions {
  w1: number;
  w2: number;
  causal: boolean;
  scale: number;
  variant: 'trilinear' | 'determinant';
}

/**
 * The logit A_ijk of one head before masking, `scale · ⟨q, a, b⟩` (trilinear) or, for `'determinant'`, the sum
 * over the head dimension's groups of three of the 3×3 determinant det[q; a; b] (any remainder trilinear).
 *
 * @example
 * ```ts
 * import { naiveSimplicialLogit } from '@tessera/testing';
 * const o = { w1: 4, w2: 4, causal: true, scale: 0.5, variant: 'trilinear' as const };
 * naiveSimplicialLogit([1, 2], [3, 4], [5, 6], o); // → 31.5
 * naiveSimplicialLogit([1, 0, 0], [0, 1, 0], [0, 0, 1], { ...o, scale: 1, variant: 'determinant' }); // → 1
 * ```
 */
export function naiveSimplicialLogit(q: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, o: NaiveSimplicialOptions): number {
  const d = q.length;
  let s = 0;
  let l = 0;
  if (o.variant === 'determinant') {
    for (; l + 2 < d; l += 3) {
      const [q0, q1, q2, a0, a1, a2, b0, b1, b2] = [q[l], q[l + 1], q[l + 2], a[l], a[l + 1], a[l + 2], b[l], b[l + 1], b[l + 2]];
      s += q0 * a1 * b2 + q1 * a2 * b0 + q2 * a0 * b1 - q0 * a2 * b1 - q1 * a0 * b2 - q2 * a1 * b0;
    }
  }
  for (; l < d; l++) s += q[l] * a[l] * b[l];
  return o.scale * s;
}

function row(x: Float64Array, b: number, t: number, h: number, n: number, H: number, d: number): Float64Array {
  const off = ((b * n + t) * H + h) * d;
  return x.subarray(off, off + d);
}

/**
 * 2-simplicial attention forward from its definition: `out` [B, n, Hq, d], `lse` [B, Hq, n] and the probabilities
 * `P[(b·Hq + h)·n + i]` as n×n arrays over (j, k). Query head h reads key/value head ⌊h / (Hq / Hkv)⌋.
 *
 * @example
 * ```ts
 * import { naiveSimplicialForward } from '@tessera/testing';
 * const dims = { B: 1, n: 2, Hq: 1, Hkv: 1, d: 1 };
 * const x = { q: Float64Array.of(1, 1), k1: Float64Array.of(1, 1), k2: Float64Array.of(1, 1), v1: Float64Array.of(1, 2), v2: Float64Array.of(1, 1) };
 * const { out, lse } = naiveSimplicialForward(x, dims, { w1: Infinity, w2: Infinity, causal: true, scale: 1, variant: 'trilinear' });
 * out[0]; // → 1
 * lse[0]; // → 1
 * ```
 */
export function naiveSimplicialForward(x: NaiveSimplicialInputs, dims: NaiveAttentionDims, o: NaiveSimplicialOptions) {
  const { B, n, Hq, Hkv, d } = dims;
  const g = Hq / Hkv;
  const out = new Float64Array(B * n * Hq * d);
  const lse = new Float64Array(B * Hq * n);
  const P: Float64Array[] = []; // index (b*Hq+h)*n+i → [n*n]
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++) {
      const kh = Math.floor(h / g);
      for (let i = 0; i < n; i++) {
        const A = new Float64Array(n * n).fill(Number.NEGATIVE_INFINITY);
        let m = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < n; j++)
          for (let k = 0; k < n; k++) {
            if (!inAttentionWindow(i, j, o.w1, o.causal) || !inAttentionWindow(i, k, o.w2, o.causal)) continue;
            A[j * n + k] = naiveSimplicialLogit(
              row(x.q, b, i, h, n, Hq, d),
              row(x.k1, b, j, kh, n, Hkv, d),
              row(x.k2, b, k, kh, n, Hkv, d),
              o,
            );
            m = Math.max(m, A[j * n + k]);
          }
        let sum = 0;
        for (let c = 0; c < n * n; c++) sum += Math.exp(A[c] - m);
        const p = A.map((a) => Math.exp(a - m) / sum);
        P.push(p);
        lse[(b * Hq + h) * n + i] = m + Math.log(sum);
        const oi = row(out, b, i, h, n, Hq, d);
        for (let j = 0; j < n; j++)
          for (let k = 0; k < n; k++) {
            const pjk = p[j * n + k];
            if (pjk === 0) continue;
            const vj = row(x.v1, b, j, kh, n, Hkv, d);
            const vk = row(x.v2, b, k, kh, n, Hkv, d);
            for (let l = 0; l < d; l++) oi[l] += pjk * vj[l] * vk[l];
          }
      }
    }
  return { out, lse, P };
}

/**
 * Gradients of Σ dOut ⊙ out with respect to the five operands, by the backward formulas (dA = P ⊙ (dS − D)), looping
 * over every (i, j, k) with P from {@link naiveSimplicialForward}. The logit's derivatives are taken as central
 * differences of {@link naiveSimplicialLogit} (exact up to rounding: the logit is linear in each operand), which keeps
 * the oracle independent of the variants' closed forms.
 *
 * @example
 * ```ts
 * import { naiveSimplicialBackward } from '@tessera/testing';
 * const dims = { B: 1, n: 1, Hq: 1, Hkv: 1, d: 1 };
 * const x = { q: Float64Array.of(1), k1: Float64Array.of(1), k2: Float64Array.of(1), v1: Float64Array.of(2), v2: Float64Array.of(3) };
 * const g = naiveSimplicialBackward(x, Float64Array.of(1), dims, { w1: 1, w2: 1, causal: true, scale: 1, variant: 'trilinear' });
 * g.out[0]; // → 6
 * g.dv1[0]; // → 3
 * g.dv2[0]; // → 2
 * ```
 */
export function naiveSimplicialBackward(x: NaiveSimplicialInputs, dOut: Float64Array, dims: NaiveAttentionDims, o: NaiveSimplicialOptions) {
  const { B, n, Hq, Hkv, d } = dims;
  const g = Hq / Hkv;
  const { out, P } = naiveSimplicialForward(x, dims, o);
  const dq = new Float64Array(x.q.length);
  const dk1 = new Float64Array(x.k1.length);
  const dk2 = new Float64Array(x.k2.length);
  const dv1 = new Float64Array(x.v1.length);
  const dv2 = new Float64Array(x.v2.length);
  const eps = 1e-6;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++) {
      const kh = Math.floor(h / g);
      for (let i = 0; i < n; i++) {
        const p = P[(b * Hq + h) * n + i];
        const dO = row(dOut, b, i, h, n, Hq, d);
        const Oi = row(out, b, i, h, n, Hq, d);
        let D = 0;
        for (let l = 0; l < d; l++) D += dO[l] * Oi[l];
        const qi = row(x.q, b, i, h, n, Hq, d);
        for (let j = 0; j < n; j++)
          for (let k = 0; k < n; k++) {
            const s = p[j * n + k];
            if (s === 0) continue;
            const k1j = row(x.k1, b, j, kh, n, Hkv, d);
            const k2k = row(x.k2, b, k, kh, n, Hkv, d);
            const v1j = row(x.v1, b, j, kh, n, Hkv, d);
            const v2k = row(x.v2, b, k, kh, n, Hkv, d);
            let dS = 0;
            for (let l = 0; l < d; l++) dS += dO[l] * v1j[l] * v2k[l];
            const dA = s * (dS - D);
            const off1 = ((b * n + j) * Hkv + kh) * d;
            const off2 = ((b * n + k) * Hkv + kh) * d;
            const offq = ((b * n + i) * Hq + h) * d;
            for (let l = 0; l < d; l++) {
              dv1[off1 + l] += s * dO[l] * v2k[l];
              dv2[off2 + l] += s * dO[l] * v1j[l];
            }
            // dA times ∂A/∂(each operand), by a central difference of the logit
            const grad = (target: Float64Array, off: number, which: 0 | 1 | 2) => {
              for (let l = 0; l < d; l++) {
                const e = new Float64Array(d);
                e[l] = eps;
                const plus = [qi, k1j, k2k].map((r, idx) => (idx === which ? r.map((v, c) => v + e[c]) : r));
                const minus = [qi, k1j, k2k].map((r, idx) => (idx === which ? r.map((v, c) => v - e[c]) : r));
                target[off + l] +=
                  (dA * (naiveSimplicialLogit(plus[0], plus[1], plus[2], o) - naiveSimplicialLogit(minus[0], minus[1], minus[2], o))) /
                  (2 * eps);
              }
            };
            grad(dq, offq, 0);
            grad(dk1, off1, 1);
            grad(dk2, off2, 2);
          }
      }
    }
  return { out, dq, dk1, dk2, dv1, dv2 };
}
