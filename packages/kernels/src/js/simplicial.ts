// JavaScript twins of src/assembly/simplicial.ts: windowed 2-simplicial attention (Roy et al., "Fast and Simplex",
// arXiv 2507.02754, Eqs. 5–7) and the dot-product attention baseline, forward and backward, in float64 arithmetic
// (the WebAssembly kernels use float32; the two agree within float32 tolerance, see test/simplicial.prop.test.ts).
// Moved here from @tessera/simplicial-attention, which calls them through src/simplicial.ts.
//
// Simplicial forward, per (batch, q-head h, query i), with kv-head g = ⌊h/(Hq/Hkv)⌋ (pytorch/FBGEMM
// fbgemm_gpu/experimental/simplicial_attention/simplicial/ops/triton/fwd.py packs the q-heads of a group onto one
// K/V head): for each j in window 1, t = s·(q_i ⊙ k1_j) (or the chunk-wise cross product q_i × k1_j of the
// determinant form, so that A_ijk = ⟨t, k2_k⟩ in both forms); logits a_k = ⟨t, k2_k⟩ over window 2; an online
// max/sum (the FBGEMM kernel's m_i, l_i); acc += v1_j ⊙ Σ_k p_k v2_k. Then O_i = acc/l and lse_i = m + ln l
// (natural log).
//
// Simplicial backward (FBGEMM torch_simplicial_bwd formulas, restricted to the window): the probabilities are
// recomputed as P = exp(A − lse) from the saved lse (no probability tensor is stored), D_i = ⟨dO_i, O_i⟩, and per (i, j):
//   r = dO_i ⊙ v1_j;  for k: p, dS = ⟨r, v2_k⟩, dA = p(dS − D_i);
//   u += p·v2_k (→ dV1_j += dO_i ⊙ u);  dV2_k += p·r;  z += dA·k2_k;  dK2_k += dA·t;
//   then dQ_i += s·(k1_j ⊙ z) and dK1_j += s·(q_i ⊙ z) (cross products in the determinant form).
// That is 12·d FLOPs per valid triple (two dots and four axpys), below the 14·d of seven separate contractions.
//
// Dot-product attention: same layout [B, n, H, d], GQA rule and window convention (i − w < j ≤ i). Forward: a_j =
// s⟨q_i, k_j⟩, two passes over the window (max, then exp-sum and Σ p_j v_j). Backward (FlashAttention-2 formulas):
// p = exp(a − lse), dA = p(⟨dO_i, v_j⟩ − ⟨dO_i, O_i⟩), dQ_i += s·dA·k_j, dK_j += s·dA·q_i, dV_j += p·dO_i.
//
// Everything is built from contiguous level-1 loops over the head dimension, unrolled by four with independent
// accumulators (V8 keeps them in registers); all operands are Float64Array so every call site stays monomorphic.

/** Index range [lo, hi] of the keys valid for query i under a window w (already clipped to n). */
function windowRange(i: number, w: number, n: number, causal: boolean): [number, number] {
  const lo = i - w + 1 > 0 ? i - w + 1 : 0;
  const hi = causal ? i : i + w - 1 < n - 1 ? i + w - 1 : n - 1;
  return [lo, hi];
}

const f64 = (a: Float32Array, n: number): Float64Array => Float64Array.from(a.subarray(0, n));

/** Σ_l a[ao+l]·b[bo+l] for l < d. */
function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let l = 0;
  for (; l + 3 < d; l += 4) {
    s0 += a[ao + l] * b[bo + l];
    s1 += a[ao + l + 1] * b[bo + l + 1];
    s2 += a[ao + l + 2] * b[bo + l + 2];
    s3 += a[ao + l + 3] * b[bo + l + 3];
  }
  for (; l < d; l++) s0 += a[ao + l] * b[bo + l];
  return s0 + s1 + (s2 + s3);
}

/** y[yo+l] += c·x[xo+l] for l < d. */
function axpy(y: Float64Array, yo: number, c: number, x: Float64Array, xo: number, d: number): void {
  let l = 0;
  for (; l + 3 < d; l += 4) {
    y[yo + l] += c * x[xo + l];
    y[yo + l + 1] += c * x[xo + l + 1];
    y[yo + l + 2] += c * x[xo + l + 2];
    y[yo + l + 3] += c * x[xo + l + 3];
  }
  for (; l < d; l++) y[yo + l] += c * x[xo + l];
}

/** y[yo+l] += c·a[ao+l]·b[bo+l] for l < d (a scaled Hadamard product, accumulated). */
function axpyHadamard(y: Float64Array, yo: number, c: number, a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): void {
  let l = 0;
  for (; l + 3 < d; l += 4) {
    y[yo + l] += c * a[ao + l] * b[bo + l];
    y[yo + l + 1] += c * a[ao + l + 1] * b[bo + l + 1];
    y[yo + l + 2] += c * a[ao + l + 2] * b[bo + l + 2];
    y[yo + l + 3] += c * a[ao + l + 3] * b[bo + l + 3];
  }
  for (; l < d; l++) y[yo + l] += c * a[ao + l] * b[bo + l];
}

/**
 * Four dot products sharing one operand: out[c] = Σ_l a[ao+l]·b[bo_c+l] for c < 4 (a register-blocked GEMV step: five
 * loads per four multiply-adds instead of eight).
 */
function dot4(
  a: Float64Array,
  ao: number,
  b: Float64Array,
  b0: number,
  b1: number,
  b2: number,
  b3: number,
  d: number,
  out: Float64Array,
): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let l = 0; l < d; l++) {
    const x = a[ao + l];
    s0 += x * b[b0 + l];
    s1 += x * b[b1 + l];
    s2 += x * b[b2 + l];
    s3 += x * b[b3 + l];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

/** y[yo+l] += c0·x[x0+l] + c1·x[x1+l] + c2·x[x2+l] + c3·x[x3+l] (one load and store of y per four multiply-adds). */
function axpy4(
  y: Float64Array,
  yo: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  x: Float64Array,
  x0: number,
  x1: number,
  x2: number,
  x3: number,
  d: number,
): void {
  for (let l = 0; l < d; l++) y[yo + l] += c0 * x[x0 + l] + c1 * x[x1 + l] + c2 * x[x2 + l] + c3 * x[x3 + l];
}

/** y_c[l] += c_c·x[xo+l] into four rows y[y0..], y[y1..], y[y2..], y[y3..] (a rank-1 update of four rows). */
function ger4(
  y: Float64Array,
  y0: number,
  y1: number,
  y2: number,
  y3: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  x: Float64Array,
  xo: number,
  d: number,
): void {
  for (let l = 0; l < d; l++) {
    const v = x[xo + l];
    y[y0 + l] += c0 * v;
    y[y1 + l] += c1 * v;
    y[y2 + l] += c2 * v;
    y[y3 + l] += c3 * v;
  }
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

/** Simplicial forward: `out` [B, n, Hq, d] and `lse` [B, Hq, n] (natural log). Windows already clipped to n. @internal */
export function simplicialForwardJs(
  q32: Float32Array,
  k132: Float32Array,
  k232: Float32Array,
  v132: Float32Array,
  v232: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  w1: number,
  w2: number,
  causal: boolean,
  scale: number,
  det: boolean,
  out: Float32Array,
  lse: Float32Array,
): void {
  const nq = B * n * Hq * d;
  const nkv = B * n * Hkv * d;
  const q = f64(q32, nq);
  const k1 = f64(k132, nkv);
  const k2 = f64(k232, nkv);
  const v1 = f64(v132, nkv);
  const v2 = f64(v232, nkv);
  const group = Hq / Hkv;
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
}

/** Simplicial backward: gradients of Σ dOut ⊙ out written into dq, dk1, dk2, dv1, dv2 (probabilities recomputed from lse). @internal */
export function simplicialBackwardJs(
  q32: Float32Array,
  k132: Float32Array,
  k232: Float32Array,
  v132: Float32Array,
  v232: Float32Array,
  out: Float32Array,
  dOut: Float32Array,
  lse: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  w1: number,
  w2: number,
  causal: boolean,
  scale: number,
  det: boolean,
  dq32: Float32Array,
  dk132: Float32Array,
  dk232: Float32Array,
  dv132: Float32Array,
  dv232: Float32Array,
): void {
  const nq = B * n * Hq * d;
  const nkv = B * n * Hkv * d;
  const q = f64(q32, nq);
  const k1 = f64(k132, nkv);
  const k2 = f64(k232, nkv);
  const v1 = f64(v132, nkv);
  const v2 = f64(v232, nkv);
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
  dq32.set(dq);
  dk132.set(dk1);
  dk232.set(dk2);
  dv132.set(dv1);
  dv232.set(dv2);
}

/** Dot-product attention forward: `out` [B, n, Hq, d], `lse` [B, Hq, n]. Window already clipped to n. @internal */
export function dotAttentionForwardJs(
  q32: Float32Array,
  k32: Float32Array,
  v32: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  w: number,
  causal: boolean,
  scale: number,
  out: Float32Array,
  lse: Float32Array,
): void {
  const q = f64(q32, B * n * Hq * d);
  const k = f64(k32, B * n * Hkv * d);
  const v = f64(v32, B * n * Hkv * d);
  const group = Hq / Hkv;
  const qStride = Hq * d;
  const kvStride = Hkv * d;
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
}

/** Dot-product attention backward: gradients of Σ dOut ⊙ out written into dq, dk, dv. @internal */
export function dotAttentionBackwardJs(
  q32: Float32Array,
  k32: Float32Array,
  v32: Float32Array,
  out: Float32Array,
  dOut: Float32Array,
  lse: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  w: number,
  causal: boolean,
  scale: number,
  dq32: Float32Array,
  dk32: Float32Array,
  dv32: Float32Array,
): void {
  const q = f64(q32, B * n * Hq * d);
  const k = f64(k32, B * n * Hkv * d);
  const v = f64(v32, B * n * Hkv * d);
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
  dq32.set(dq);
  dk32.set(dk);
  dv32.set(dv);
}
