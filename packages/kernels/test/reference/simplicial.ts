// Naive float64 oracles of the attention kernels, written from the definitions (Roy et al. arXiv 2507.02754 Eqs. 5–7,
// the backward of pytorch/FBGEMM torch_simplicial_bwd, FlashAttention-2's backward for the dot-product baseline) as
// plain loops over every (i, j, k) of the full cube with a window test. Slow on purpose; small n only. Shared in
// substance with @tessera/simplicial-attention's test oracle (the kernels moved here from that package).

export interface Naive5 {
  q: Float64Array;
  k1: Float64Array;
  k2: Float64Array;
  v1: Float64Array;
  v2: Float64Array;
}

export interface NaiveOptions {
  w1: number; // Infinity = unbounded
  w2: number;
  causal: boolean;
  scale: number;
  variant: 'trilinear' | 'determinant';
}

export interface Dims {
  B: number;
  n: number;
  Hq: number;
  Hkv: number;
  d: number;
}

/** Whether key j is in the window w of query i. */
export function inWindow(i: number, j: number, w: number, causal: boolean): boolean {
  return causal ? j <= i && j > i - w : Math.abs(i - j) < w;
}

/** The logit A_ijk (before masking) of one head, from the rows of q, k1, k2. */
export function naiveLogit(q: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, o: NaiveOptions): number {
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

/** Forward: out [B, n, Hq, d], lse [B, Hq, n], and the probabilities P[b][h][i] as n×n arrays. */
export function naiveForward(x: Naive5, dims: Dims, o: NaiveOptions) {
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
            if (!inWindow(i, j, o.w1, o.causal) || !inWindow(i, k, o.w2, o.causal)) continue;
            A[j * n + k] = naiveLogit(row(x.q, b, i, h, n, Hq, d), row(x.k1, b, j, kh, n, Hkv, d), row(x.k2, b, k, kh, n, Hkv, d), o);
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

/** Gradients of Σ dOut ⊙ out, by the backward formulas, looping over every (i, j, k) and using P from naiveForward. */
export function naiveBackward(x: Naive5, dOut: Float64Array, dims: Dims, o: NaiveOptions) {
  const { B, n, Hq, Hkv, d } = dims;
  const g = Hq / Hkv;
  const { out, P } = naiveForward(x, dims, o);
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
            // dA times ∂A/∂(each operand): the logit is linear in each, so a central difference of naiveLogit is exact
            // up to rounding; use it to keep the oracle independent of the variant's closed-form derivatives.
            const grad = (vec: Float64Array, target: Float64Array, off: number, which: 0 | 1 | 2) => {
              for (let l = 0; l < d; l++) {
                const e = new Float64Array(d);
                e[l] = eps;
                const plus = [qi, k1j, k2k].map((r, idx) => (idx === which ? r.map((v, c) => v + e[c]) : r));
                const minus = [qi, k1j, k2k].map((r, idx) => (idx === which ? r.map((v, c) => v - e[c]) : r));
                target[off + l] +=
                  (dA * (naiveLogit(plus[0], plus[1], plus[2], o) - naiveLogit(minus[0], minus[1], minus[2], o))) / (2 * eps);
              }
              return vec;
            };
            grad(qi, dq, offq, 0);
            grad(k1j, dk1, off1, 1);
            grad(k2k, dk2, off2, 2);
          }
      }
    }
  return { out, dq, dk1, dk2, dv1, dv2 };
}

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

/** Dot-product attention backward from its definition: gradients of Σ dOut ⊙ out via the full softmax per query. */
export function naiveDotBackward(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  dOut: Float64Array,
  dims: Dims,
  o: { w: number; causal: boolean; scale: number },
) {
  const { B, n, Hq, Hkv, d } = dims;
  const g = Hq / Hkv;
  const { out, lse } = naiveDot(q, k, v, dims, o);
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
          if (!inWindow(i, j, o.w, o.causal)) continue;
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
