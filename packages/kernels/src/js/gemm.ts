// JavaScript twins of src/assembly/gemm.ts: dense GEMM, 2:4 spmm24 / spmm24T (through the CSR of Aᵀ, as the wasm
// path), sddmm24 and the 2:4 mask + compression. These are the one JavaScript copy of tessera's host GEMMs: the
// fallback where WebAssembly SIMD does not run (or TESSERA_KERNELS=js) and the reference the wasm kernels are checked
// against. The products accumulate in float64 (a block of output columns at a time, four terms per pass over it) and
// round once per output, so they agree with the wasm kernels (float32 accumulation) within float32 tolerance; the mask
// is bit for bit the wasm one.

/** Output columns per block: the touched B panel (K × 64 floats) stays in cache across the rows of A. */
const NBJ = 64;

/** out[m×n] = a[m×k]·b[k×n]. @internal */
export function gemmJs(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array): void {
  const acc = new Float64Array(Math.min(n, NBJ));
  const k4 = k - (k % 4);
  for (let j0 = 0; j0 < n; j0 += NBJ) {
    const w = Math.min(n, j0 + NBJ) - j0;
    for (let r = 0; r < m; r++) {
      acc.fill(0);
      const ra = r * k;
      let t = 0;
      for (; t < k4; t += 4) {
        const a0 = a[ra + t];
        const a1 = a[ra + t + 1];
        const a2 = a[ra + t + 2];
        const a3 = a[ra + t + 3];
        const p0 = t * n + j0;
        const p1 = p0 + n;
        const p2 = p1 + n;
        const p3 = p2 + n;
        for (let j = 0; j < w; j++) acc[j] += a0 * b[p0 + j] + a1 * b[p1 + j] + a2 * b[p2 + j] + a3 * b[p3 + j];
      }
      for (; t < k; t++) {
        const a0 = a[ra + t];
        const p0 = t * n + j0;
        for (let j = 0; j < w; j++) acc[j] += a0 * b[p0 + j];
      }
      const o = r * n + j0;
      for (let j = 0; j < w; j++) out[o + j] = acc[j];
    }
  }
}

/** out[rows×n]: row r = Σ over its `count(r)` terms t of vals[t]·b[idx[t], :] (shared by spmm24 and the CSR form). */
function gatherRows(
  vals: Float32Array,
  idx: Int32Array,
  start: (r: number) => number,
  end: (r: number) => number,
  rows: number,
  b: Float32Array,
  n: number,
  out: Float32Array,
): void {
  const acc = new Float64Array(Math.min(n, NBJ));
  for (let j0 = 0; j0 < n; j0 += NBJ) {
    const w = Math.min(n, j0 + NBJ) - j0;
    for (let r = 0; r < rows; r++) {
      acc.fill(0);
      const e = end(r);
      let t = start(r);
      for (; t + 4 <= e; t += 4) {
        const v0 = vals[t];
        const v1 = vals[t + 1];
        const v2 = vals[t + 2];
        const v3 = vals[t + 3];
        const p0 = idx[t] * n + j0;
        const p1 = idx[t + 1] * n + j0;
        const p2 = idx[t + 2] * n + j0;
        const p3 = idx[t + 3] * n + j0;
        for (let j = 0; j < w; j++) acc[j] += v0 * b[p0 + j] + v1 * b[p1 + j] + v2 * b[p2 + j] + v3 * b[p3 + j];
      }
      for (; t < e; t++) {
        const v0 = vals[t];
        const p0 = idx[t] * n + j0;
        for (let j = 0; j < w; j++) acc[j] += v0 * b[p0 + j];
      }
      const o = r * n + j0;
      for (let j = 0; j < w; j++) out[o + j] = acc[j];
    }
  }
}

/** out[m×n] = A·b[k×n], A 2:4-compressed (values, int32 columns; k/2 per row). @internal */
export function spmm24Js(
  values: Float32Array,
  cols: Int32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out: Float32Array,
): void {
  const h = k >> 1;
  gatherRows(
    values,
    cols,
    (r) => r * h,
    (r) => (r + 1) * h,
    m,
    b,
    n,
    out,
  );
}

/** Compressed-sparse-row form of Aᵀ (k rows) from the kept entries of a 2:4 A (m rows): O(kept entries). @internal */
export interface TransposedCsr {
  readonly rowPtr: Int32Array;
  readonly idx: Int32Array;
  readonly vals: Float32Array;
}

/** Builds the CSR of Aᵀ from A's kept values and columns (k/2 per row); rows of Aᵀ list A's rows in order. @internal */
export function transposeKept(values: Float32Array, cols: Int32Array, m: number, k: number): TransposedCsr {
  const h = k >> 1;
  const rowPtr = new Int32Array(k + 1);
  for (let i = 0; i < m * h; i++) rowPtr[cols[i] + 1]++;
  for (let c = 0; c < k; c++) rowPtr[c + 1] += rowPtr[c];
  const fill = rowPtr.slice(0, k);
  const idx = new Int32Array(m * h);
  const vals = new Float32Array(m * h);
  for (let r = 0; r < m; r++)
    for (let t = 0; t < h; t++) {
      const c = cols[r * h + t];
      const dst = fill[c]++;
      idx[dst] = r;
      vals[dst] = values[r * h + t];
    }
  return { rowPtr, idx, vals };
}

/** CSR × dense: out[rows×n] row r = Σ_{t ∈ [rowPtr[r], rowPtr[r+1])} vals[t]·b[idx[t], :]. @internal */
export function csrmmJs(csr: TransposedCsr, rows: number, b: Float32Array, n: number, out: Float32Array): void {
  const { rowPtr, idx, vals } = csr;
  gatherRows(
    vals,
    idx,
    (r) => rowPtr[r],
    (r) => rowPtr[r + 1],
    rows,
    b,
    n,
    out,
  );
}

/** out[k×n] = Aᵀ·b[m×n], A (m×k) 2:4-compressed: through the CSR of Aᵀ, as the wasm path. @internal */
export function spmm24TJs(
  values: Float32Array,
  cols: Int32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out: Float32Array,
): void {
  csrmmJs(transposeKept(values, cols, m, k), k, b, n, out);
}

/**
 * out[r·k/2 + t] = a[r, :] · bt[cols[r·k/2 + t], :] (float64 sums). Blocks of 32 columns of the pattern, whose kept
 * entries are a contiguous run of every row's slots, so the 32 rows of bt a block reads stay in cache across all rows
 * of a; a group's two dot products are computed together. @internal
 */
export function sddmm24Js(a: Float32Array, m: number, d: number, bt: Float32Array, cols: Int32Array, k: number, out: Float32Array): void {
  const h = k >> 1;
  const d2 = d - (d % 2);
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
}

/** The two largest of four NaN-free keys as best | second << 2 (strict >: the lower index wins ties). @internal */
export function top2(k0: number, k1: number, k2: number, k3: number): number {
  let b = 0;
  let kb = k0;
  if (k1 > kb) {
    b = 1;
    kb = k1;
  }
  if (k2 > kb) {
    b = 2;
    kb = k2;
  }
  if (k3 > kb) b = 3;
  let s = -1;
  let ks = 0;
  if (b !== 0) {
    s = 0;
    ks = k0;
  }
  if (b !== 1 && (s < 0 || k1 > ks)) {
    s = 1;
    ks = k1;
  }
  if (b !== 2 && (s < 0 || k2 > ks)) {
    s = 2;
    ks = k2;
  }
  if (b !== 3 && (s < 0 || k3 > ks)) s = 3;
  return b | (s << 2);
}

/** Ranking key: |v| (by = 0) or v (by = 1), NaN as −∞. */
function key(v: number, by: number): number {
  const q = by === 0 ? Math.abs(v) : v;
  return Number.isNaN(q) ? Number.NEGATIVE_INFINITY : q;
}

/** 2:4 mask (bytes) and/or compression of n values in rows of k (see mask24Compress). @internal */
export function mask24CompressJs(
  x: Float32Array,
  n: number,
  k: number,
  by: number,
  mask: Uint8Array | null,
  values: Float32Array | null,
  cols: Int32Array | null,
): void {
  for (let g = 0; g < n; g += 4) {
    const t = top2(key(x[g], by), key(x[g + 1], by), key(x[g + 2], by), key(x[g + 3], by));
    const i0 = t & 3;
    const i1 = t >> 2;
    if (mask !== null) {
      mask[g] = i0 === 0 || i1 === 0 ? 1 : 0;
      mask[g + 1] = i0 === 1 || i1 === 1 ? 1 : 0;
      mask[g + 2] = i0 === 2 || i1 === 2 ? 1 : 0;
      mask[g + 3] = i0 === 3 || i1 === 3 ? 1 : 0;
    }
    if (values !== null && cols !== null) {
      const lo = i0 < i1 ? i0 : i1;
      const hi = i0 < i1 ? i1 : i0;
      const o = g >> 1;
      values[o] = x[g + lo];
      values[o + 1] = x[g + hi];
      const c = g % k;
      cols[o] = c + lo;
      cols[o + 1] = c + hi;
    }
  }
}
