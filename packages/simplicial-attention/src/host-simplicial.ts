// Host kernels of windowed 2-simplicial attention (Roy et al., arXiv 2507.02754, Eqs. 5–7), forward and backward.
//
// Why host kernels: a tfjs-op formulation either materialises the [n, n, n] logit cube (the O(n³) reference) or
// gathers windows into [n, w1, d] and [n, w2, d] copies and runs many small ops; on the cpu and wasm backends the
// op dispatch and copies dominate. These loops touch only the windows, keep O(w2 + d) scratch per query, and are
// built from contiguous dot products and axpys over the head dimension (host-blas.ts).
//
// Forward, per (batch, q-head h, query i), with kv-head g = ⌊h/(Hq/Hkv)⌋ (pytorch/FBGEMM
// fbgemm_gpu/experimental/simplicial_attention/simplicial/ops/triton/fwd.py packs the q-heads of a group onto one
// K/V head): for each j in window 1, t = s·(q_i ⊙ k1_j) (or the chunk-wise cross product q_i × k1_j of the
// determinant form, so that A_ijk = ⟨t, k2_k⟩ in both forms); logits a_k = ⟨t, k2_k⟩ over window 2; an online
// max/sum (the FBGEMM kernel's m_i, l_i); acc += v1_j ⊙ Σ_k p_k v2_k. Then O_i = acc/l and lse_i = m + ln l
// (natural log).
//
// Backward (FBGEMM torch_simplicial_bwd formulas, restricted to the window): the probabilities are recomputed as
// P = exp(A − lse) from the saved lse (no probability tensor is stored), D_i = ⟨dO_i, O_i⟩, and per (i, j):
//   r = dO_i ⊙ v1_j;  for k: p, dS = ⟨r, v2_k⟩, dA = p(dS − D_i);
//   u += p·v2_k (→ dV1_j += dO_i ⊙ u);  dV2_k += p·r;  z += dA·k2_k;  dK2_k += dA·t;
//   then dQ_i += s·(k1_j ⊙ z) and dK1_j += s·(q_i ⊙ z) (cross products in the determinant form).
// That is 12·d FLOPs per valid triple (two dots and four axpys), below the 14·d of seven separate contractions.
import { axpy, axpy4, axpyHadamard, dot, dot4, ger4 } from './host-blas.js';
import type { AttentionDims, ResolvedSimplicial } from './options.js';
import { windowRange } from './options.js';

/** The five operands of a simplicial call as float64 host arrays, each row-major `[B, n, H, d]`. @internal */
export interface SimplicialHostInputs {
  q: Float64Array;
  k1: Float64Array;
  k2: Float64Array;
  v1: Float64Array;
  v2: Float64Array;
}

/** t = s·(q ⊙ a), or s·(q × a) per 3-dim chunk (leftover dims trilinear). */
function makeT(t: Float64Array, q: Float64Array, qo: number, a: Float64Array, ao: number, s: number, d: number, det: boolean): void {
  let l = 0;
  if (det) {
    for (; l + 2 < d; l += 3) {
      const x0 = q[qo + l];
      const x1 = q[qo + l + 1];
      const x2 = q[qo + l + 2];
      const y0 = a[ao + l];
      const y1 = a[ao + l + 1];
      const y2 = a[ao + l + 2];
      t[l] = s * (x1 * y2 - x2 * y1);
      t[l + 1] = s * (x2 * y0 - x0 * y2);
      t[l + 2] = s * (x0 * y1 - x1 * y0);
    }
  }
  for (; l < d; l++) t[l] = s * q[qo + l] * a[ao + l];
}

/** dq += s·∂⟨t(q,a), z⟩/∂q and da += s·∂⟨t(q,a), z⟩/∂a (t without its scale). */
function gradT(
  dq: Float64Array,
  dqo: number,
  da: Float64Array,
  dao: number,
  q: Float64Array,
  qo: number,
  a: Float64Array,
  ao: number,
  z: Float64Array,
  s: number,
  d: number,
  det: boolean,
): void {
  let l = 0;
  if (det) {
    for (; l + 2 < d; l += 3) {
      const x0 = q[qo + l];
      const x1 = q[qo + l + 1];
      const x2 = q[qo + l + 2];
      const y0 = a[ao + l];
      const y1 = a[ao + l + 1];
      const y2 = a[ao + l + 2];
      const z0 = z[l];
      const z1 = z[l + 1];
      const z2 = z[l + 2];
      // ⟨q × a, z⟩ = q·(a × z) = a·(z × q)
      dq[dqo + l] += s * (y1 * z2 - y2 * z1);
      dq[dqo + l + 1] += s * (y2 * z0 - y0 * z2);
      dq[dqo + l + 2] += s * (y0 * z1 - y1 * z0);
      da[dao + l] += s * (z1 * x2 - z2 * x1);
      da[dao + l + 1] += s * (z2 * x0 - z0 * x2);
      da[dao + l + 2] += s * (z0 * x1 - z1 * x0);
    }
  }
  for (; l < d; l++) {
    dq[dqo + l] += s * a[ao + l] * z[l];
    da[dao + l] += s * q[qo + l] * z[l];
  }
}

/**
 * Forward host kernel. Returns `out` `[B, n, Hq, d]` and `lse` `[B, Hq, n]` (natural log). No validation: the
 * caller guarantees sizes and resolved options. @internal
 */
export function simplicialForwardHostUnchecked(
  x: SimplicialHostInputs,
  dims: AttentionDims,
  o: ResolvedSimplicial,
): { out: Float32Array; lse: Float32Array } {
  const { B, n, Hq, Hkv, d } = dims;
  const { w1, w2, causal, scale } = o;
  const det = o.variant === 'determinant';
  const { q, k1, k2, v1, v2 } = x;
  const group = Hq / Hkv;
  const out = new Float32Array(B * n * Hq * d);
  const lse = new Float32Array(B * Hq * n);
  const t = new Float64Array(d);
  const u = new Float64Array(d);
  const acc = new Float64Array(d);
  const logits = new Float64Array(Math.min(n, causal ? w2 : 2 * w2 - 1));
  const quad = new Float64Array(4);
  const qStride = Hq * d;
  const kvStride = Hkv * d;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvBase = b * n * kvStride + Math.floor(h / group) * d;
      for (let i = 0; i < n; i++) {
        const qo = (b * n + i) * qStride + h * d;
        const [j0, j1] = windowRange(i, w1, n, causal);
        const [k0, kEnd] = windowRange(i, w2, n, causal);
        let m = Number.NEGATIVE_INFINITY;
        let l = 0;
        acc.fill(0);
        for (let j = j0; j <= j1; j++) {
          const jo = kvBase + j * kvStride;
          makeT(t, q, qo, k1, jo, scale, d, det);
          let mj = Number.NEGATIVE_INFINITY;
          let k = k0;
          for (; k + 3 <= kEnd; k += 4) {
            const o0 = kvBase + k * kvStride;
            dot4(t, 0, k2, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d, quad);
            for (let c = 0; c < 4; c++) {
              logits[k - k0 + c] = quad[c];
              if (quad[c] > mj) mj = quad[c];
            }
          }
          for (; k <= kEnd; k++) {
            const a = dot(t, 0, k2, kvBase + k * kvStride, d);
            logits[k - k0] = a;
            if (a > mj) mj = a;
          }
          if (mj > m) {
            // rescale what was accumulated under the old maximum (m = −∞ before the first j: alpha = 0, acc = 0)
            const alpha = Math.exp(m - mj);
            if (alpha !== 1) {
              for (let e = 0; e < d; e++) acc[e] *= alpha;
              l *= alpha;
            }
            m = mj;
          }
          u.fill(0);
          let sum = 0;
          for (k = k0; k + 3 <= kEnd; k += 4) {
            const o0 = kvBase + k * kvStride;
            const c = k - k0;
            const p0 = Math.exp(logits[c] - m);
            const p1 = Math.exp(logits[c + 1] - m);
            const p2 = Math.exp(logits[c + 2] - m);
            const p3 = Math.exp(logits[c + 3] - m);
            sum += p0 + p1 + p2 + p3;
            axpy4(u, 0, p0, p1, p2, p3, v2, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d);
          }
          for (; k <= kEnd; k++) {
            const p = Math.exp(logits[k - k0] - m);
            sum += p;
            axpy(u, 0, p, v2, kvBase + k * kvStride, d);
          }
          l += sum;
          axpyHadamard(acc, 0, 1, u, 0, v1, jo, d);
        }
        const inv = 1 / l;
        for (let e = 0; e < d; e++) out[qo + e] = acc[e] * inv;
        lse[(b * Hq + h) * n + i] = m + Math.log(l);
      }
    }
  }
  return { out, lse };
}

/** The five gradients of a simplicial call as float32 host arrays (shapes of q, k1, k2, v1, v2). @internal */
export interface SimplicialHostGrads {
  dq: Float32Array;
  dk1: Float32Array;
  dk2: Float32Array;
  dv1: Float32Array;
  dv2: Float32Array;
}

/**
 * Backward host kernel: gradients of Σ dOut ⊙ out with respect to the five operands, from the saved `out` and
 * `lse` (probabilities recomputed, never stored). No validation. @internal
 */
export function simplicialBackwardHostUnchecked(
  x: SimplicialHostInputs,
  out: Float32Array | Float64Array,
  dOut: Float32Array | Float64Array,
  lse: Float32Array | Float64Array,
  dims: AttentionDims,
  o: ResolvedSimplicial,
): SimplicialHostGrads {
  const { B, n, Hq, Hkv, d } = dims;
  const { w1, w2, causal, scale } = o;
  const det = o.variant === 'determinant';
  const { q, k1, k2, v1, v2 } = x;
  const group = Hq / Hkv;
  const qStride = Hq * d;
  const kvStride = Hkv * d;
  const dq = new Float64Array(q.length);
  const dk1 = new Float64Array(k1.length);
  const dk2 = new Float64Array(k2.length);
  const dv1 = new Float64Array(v1.length);
  const dv2 = new Float64Array(v2.length);
  const t = new Float64Array(d);
  const r = new Float64Array(d);
  const u = new Float64Array(d);
  const z = new Float64Array(d);
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
        const [j0, j1] = windowRange(i, w1, n, causal);
        const [k0, kEnd] = windowRange(i, w2, n, causal);
        for (let j = j0; j <= j1; j++) {
          const jo = kvBase + j * kvStride;
          makeT(t, q, qo, k1, jo, scale, d, det);
          for (let e = 0; e < d; e++) r[e] = dO[e] * v1[jo + e];
          u.fill(0);
          z.fill(0);
          let k = k0;
          for (; k + 3 <= kEnd; k += 4) {
            const o0 = kvBase + k * kvStride;
            const o1 = o0 + kvStride;
            const o2 = o1 + kvStride;
            const o3 = o2 + kvStride;
            dot4(t, 0, k2, o0, o1, o2, o3, d, quadA);
            dot4(r, 0, v2, o0, o1, o2, o3, d, quadS);
            const p0 = Math.exp(quadA[0] - L);
            const p1 = Math.exp(quadA[1] - L);
            const p2 = Math.exp(quadA[2] - L);
            const p3 = Math.exp(quadA[3] - L);
            const dA0 = p0 * (quadS[0] - D);
            const dA1 = p1 * (quadS[1] - D);
            const dA2 = p2 * (quadS[2] - D);
            const dA3 = p3 * (quadS[3] - D);
            axpy4(u, 0, p0, p1, p2, p3, v2, o0, o1, o2, o3, d);
            ger4(dv2, o0, o1, o2, o3, p0, p1, p2, p3, r, 0, d);
            axpy4(z, 0, dA0, dA1, dA2, dA3, k2, o0, o1, o2, o3, d);
            ger4(dk2, o0, o1, o2, o3, dA0, dA1, dA2, dA3, t, 0, d);
          }
          for (; k <= kEnd; k++) {
            const ko = kvBase + k * kvStride;
            const p = Math.exp(dot(t, 0, k2, ko, d) - L);
            const dA = p * (dot(r, 0, v2, ko, d) - D);
            axpy(u, 0, p, v2, ko, d);
            axpy(dv2, ko, p, r, 0, d);
            axpy(z, 0, dA, k2, ko, d);
            axpy(dk2, ko, dA, t, 0, d);
          }
          axpyHadamard(dv1, jo, 1, dO, 0, u, 0, d);
          gradT(dq, qo, dk1, jo, q, qo, k1, jo, z, scale, d, det);
        }
      }
    }
  }
  return {
    dq: Float32Array.from(dq),
    dk1: Float32Array.from(dk1),
    dk2: Float32Array.from(dk2),
    dv1: Float32Array.from(dv1),
    dv2: Float32Array.from(dv2),
  };
}
