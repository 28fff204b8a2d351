// JavaScript host GEMM kernels over Float32Arrays (row-major): the reference and fallback of the WebAssembly SIMD
// kernels of @tessera/kernels, which src/kernels/index.ts picks by default. The sparse and dense kernels share one loop shape, so the
// bench compares like with like: the output row segment is updated by a 4-term fused axpy over a block of columns
// of B (`o[j] += a0·b0[j] + a1·b1[j] + a2·b2[j] + a3·b3[j]`, products summed in float64, stored as float32).
// The dense kernel takes 4 consecutive k; the sparse one takes the 4 kept entries of 2 consecutive groups, so it
// issues exactly half the multiply-adds. Columns of B are processed in blocks so that the touched part of B stays
// in cache when N is large (only the skipped multiply-adds are claimed, nothing else).

/** Column block width: the B panel (K × 64 floats, 1 MiB at K = 4096: one L2) is reused across all rows of A. */
function blockOf(n: number): number {
  return n <= 64 ? n : 64;
}

/**
 * Dense `out[m, n] = a[m, k] · b[k, n]` (overwrites `out`). Unchecked: lengths are the caller's responsibility.
 *
 * @example
 * ```ts
 * import { gemmHostUnchecked } from '@tessera/sparse-24';
 * const c = gemmHostUnchecked(new Float32Array([1, 2]), 1, 2, new Float32Array([3, 4]), 1); // [11]
 * ```
 */
export function gemmHostUncheckedJs(
  a: Float32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out = new Float32Array(m * n),
): Float32Array {
  out.fill(0);
  const nb = blockOf(n);
  const k4 = k - (k % 4);
  for (let j0 = 0; j0 < n; j0 += nb) {
    const j1 = Math.min(n, j0 + nb);
    for (let r = 0; r < m; r++) {
      const ro = r * n;
      const ra = r * k;
      let t = 0;
      for (; t < k4; t += 4) {
        const a0 = a[ra + t];
        const a1 = a[ra + t + 1];
        const a2 = a[ra + t + 2];
        const a3 = a[ra + t + 3];
        const p0 = t * n;
        const p1 = p0 + n;
        const p2 = p1 + n;
        const p3 = p2 + n;
        for (let j = j0; j < j1; j++) out[ro + j] += a0 * b[p0 + j] + a1 * b[p1 + j] + a2 * b[p2 + j] + a3 * b[p3 + j];
      }
      for (; t < k; t++) {
        const a0 = a[ra + t];
        const p0 = t * n;
        for (let j = j0; j < j1; j++) out[ro + j] += a0 * b[p0 + j];
      }
    }
  }
  return out;
}

/**
 * Sparse gather form `out[m, n] = A · b[k, n]` for a 2:4 `A` given as its kept `values` and absolute `cols`
 * (`[m, k/2]` each): `out[r, :] += v · b[col, :]` over the kept entries only, i.e. half the multiply-adds of the
 * dense product. Overwrites `out`. Unchecked.
 *
 * @example
 * ```ts
 * import { spmmHostUnchecked } from '@tessera/sparse-24';
 * // A = [[0, 2, 0, 3]] → values [2, 3], cols [1, 3]; b = 4×1 ones
 * spmmHostUnchecked(new Float32Array([2, 3]), new Int32Array([1, 3]), 1, 4, new Float32Array([1, 1, 1, 1]), 1); // [5]
 * ```
 */
export function spmmHostUncheckedJs(
  values: Float32Array,
  cols: Int32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out = new Float32Array(m * n),
): Float32Array {
  out.fill(0);
  const nb = blockOf(n);
  const h = k >> 1; // kept entries per row
  const h4 = h - (h % 4);
  for (let j0 = 0; j0 < n; j0 += nb) {
    const j1 = Math.min(n, j0 + nb);
    for (let r = 0; r < m; r++) {
      const ro = r * n;
      const rv = r * h;
      let t = 0;
      for (; t < h4; t += 4) {
        const v0 = values[rv + t];
        const v1 = values[rv + t + 1];
        const v2 = values[rv + t + 2];
        const v3 = values[rv + t + 3];
        const p0 = cols[rv + t] * n;
        const p1 = cols[rv + t + 1] * n;
        const p2 = cols[rv + t + 2] * n;
        const p3 = cols[rv + t + 3] * n;
        for (let j = j0; j < j1; j++) out[ro + j] += v0 * b[p0 + j] + v1 * b[p1 + j] + v2 * b[p2 + j] + v3 * b[p3 + j];
      }
      for (; t < h; t++) {
        const v0 = values[rv + t];
        const p0 = cols[rv + t] * n;
        for (let j = j0; j < j1; j++) out[ro + j] += v0 * b[p0 + j];
      }
    }
  }
  return out;
}

/** Compressed-sparse-row view of `Aᵀ` built from a 2:4 `A`'s kept entries (O(nnz), no multiply-adds). */
export interface TransposedCsr {
  readonly rowPtr: Int32Array;
  readonly rows: Int32Array;
  readonly values: Float32Array;
}

/** Builds the CSR of `Aᵀ` (`k` rows) from the kept entries of `A` (`m` rows). Unchecked. */
export function transposeKept(values: Float32Array, cols: Int32Array, m: number, k: number): TransposedCsr {
  const h = k >> 1;
  const rowPtr = new Int32Array(k + 1);
  for (let i = 0; i < m * h; i++) rowPtr[cols[i] + 1]++;
  for (let c = 0; c < k; c++) rowPtr[c + 1] += rowPtr[c];
  const fill = rowPtr.slice(0, k);
  const rows = new Int32Array(m * h);
  const vals = new Float32Array(m * h);
  for (let r = 0; r < m; r++) {
    for (let t = 0; t < h; t++) {
      const c = cols[r * h + t];
      const dst = fill[c]++;
      rows[dst] = r;
      vals[dst] = values[r * h + t];
    }
  }
  return { rowPtr, rows, values: vals };
}

/**
 * Sparse scatter form `out[k, n] = Aᵀ · b[m, n]` for a 2:4 `A` `[m, k]`: computed as a gather
 * over the CSR of `Aᵀ`, with the same 4-term fused axpy as the other kernels; half the dense multiply-adds.
 * Overwrites `out`. Unchecked.
 *
 * @example
 * ```ts
 * import { spmmTHostUnchecked } from '@tessera/sparse-24';
 * // A = [[0, 2, 0, 3]], b = [[1]] → Aᵀb = [0, 2, 0, 3]
 * spmmTHostUnchecked(new Float32Array([2, 3]), new Int32Array([1, 3]), 1, 4, new Float32Array([1]), 1);
 * ```
 */
export function spmmTHostUncheckedJs(
  values: Float32Array,
  cols: Int32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out = new Float32Array(k * n),
): Float32Array {
  const csr = transposeKept(values, cols, m, k);
  out.fill(0);
  const nb = blockOf(n);
  const { rowPtr, rows, values: vals } = csr;
  for (let j0 = 0; j0 < n; j0 += nb) {
    const j1 = Math.min(n, j0 + nb);
    for (let c = 0; c < k; c++) {
      const ro = c * n;
      const end = rowPtr[c + 1];
      let t = rowPtr[c];
      for (; t + 4 <= end; t += 4) {
        const v0 = vals[t];
        const v1 = vals[t + 1];
        const v2 = vals[t + 2];
        const v3 = vals[t + 3];
        const p0 = rows[t] * n;
        const p1 = rows[t + 1] * n;
        const p2 = rows[t + 2] * n;
        const p3 = rows[t + 3] * n;
        for (let j = j0; j < j1; j++) out[ro + j] += v0 * b[p0 + j] + v1 * b[p1 + j] + v2 * b[p2 + j] + v3 * b[p3 + j];
      }
      for (; t < end; t++) {
        const v0 = vals[t];
        const p0 = rows[t] * n;
        for (let j = j0; j < j1; j++) out[ro + j] += v0 * b[p0 + j];
      }
    }
  }
  return out;
}

/**
 * Sampled dense-dense product at the kept positions of a 2:4 pattern: `out[r, t] = a[r, :] · bt[cols[r, t], :]`
 * for `a` `[m, d]` and `bt` `[k, d]` (so the dense product would be `a · btᵀ`). Half the multiply-adds of the dense
 * product; used for `dS ⊙ M` in the FFN backward. `cols` must list 2 ascending columns per group of 4 (every
 * kernel form does), so the slots of a block of columns are a contiguous range: the kernel walks blocks of `bt`
 * rows that stay in cache across all rows of `a`, and computes the group's two dot products together. Unchecked.
 *
 * @example
 * ```ts
 * import { sddmmHostUnchecked } from '@tessera/sparse-24';
 * sddmmHostUnchecked(new Float32Array([1, 2]), 1, 2, new Float32Array([1, 0, 0, 1, 1, 1, 2, 2]), new Int32Array([1, 3]), 4);
 * // → [2, 6]
 * ```
 */
export function sddmmHostUncheckedJs(
  a: Float32Array,
  m: number,
  d: number,
  bt: Float32Array,
  cols: Int32Array,
  k: number,
  out = new Float32Array((m * k) >> 1),
): Float32Array {
  const h = k >> 1;
  const d2 = d - (d % 2);
  // 32 rows of bt per block: 32·d floats (128 KiB at d = 1024) stay in L2 while every row of a visits them.
  const CB = 32;
  for (let c0 = 0; c0 < k; c0 += CB) {
    const s0 = c0 >> 1;
    const s1 = Math.min(k, c0 + CB) >> 1;
    for (let r = 0; r < m; r++) {
      const ra = r * d;
      const ro = r * h;
      for (let t = s0; t < s1; t += 2) {
        const pb = cols[ro + t] * d;
        const pc = cols[ro + t + 1] * d;
        let u0 = 0;
        let u1 = 0;
        let w0 = 0;
        let w1 = 0;
        let j = 0;
        for (; j < d2; j += 2) {
          const x0 = a[ra + j];
          const x1 = a[ra + j + 1];
          u0 += x0 * bt[pb + j];
          u1 += x1 * bt[pb + j + 1];
          w0 += x0 * bt[pc + j];
          w1 += x1 * bt[pc + j + 1];
        }
        if (j < d) {
          u0 += a[ra + j] * bt[pb + j];
          w0 += a[ra + j] * bt[pc + j];
        }
        out[ro + t] = u0 + u1;
        out[ro + t + 1] = w0 + w1;
      }
    }
  }
  return out;
}

/**
 * Row-major transpose of a `[rows, cols]` Float32Array (blocked for cache). Unchecked.
 *
 * @example
 * ```ts
 * import { transposeHostUnchecked } from '@tessera/sparse-24';
 * transposeHostUnchecked(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function transposeHostUnchecked(a: Float32Array, rows: number, cols: number, out = new Float32Array(rows * cols)): Float32Array {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = a[r * cols + c];
    }
  }
  return out;
}
