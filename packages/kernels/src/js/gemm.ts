// JavaScript twins of src/assembly/gemm.ts: dense GEMM, 2:4 spmm24 / spmm24T and the 2:4 mask + compression.
// The products accumulate in float64 and round once per output (within float32 tolerance of the wasm kernels, which
// accumulate in float32); the mask is bit for bit the wasm one.

/** out[m×n] = a[m×k]·b[k×n]. @internal */
export function gemmJs(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array): void {
  const acc = new Float64Array(n);
  for (let r = 0; r < m; r++) {
    acc.fill(0);
    for (let t = 0; t < k; t++) {
      const v = a[r * k + t];
      const p = t * n;
      for (let j = 0; j < n; j++) acc[j] += v * b[p + j];
    }
    out.set(acc, r * n);
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
  const acc = new Float64Array(n);
  for (let r = 0; r < m; r++) {
    acc.fill(0);
    for (let t = 0; t < h; t++) {
      const v = values[r * h + t];
      const p = cols[r * h + t] * n;
      for (let j = 0; j < n; j++) acc[j] += v * b[p + j];
    }
    out.set(acc, r * n);
  }
}

/** out[k×n] = Aᵀ·b[m×n], A (m×k) 2:4-compressed. @internal */
export function spmm24TJs(
  values: Float32Array,
  cols: Int32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out: Float32Array,
): void {
  const h = k >> 1;
  const acc = new Float64Array(k * n);
  for (let r = 0; r < m; r++) {
    for (let t = 0; t < h; t++) {
      const v = values[r * h + t];
      const o = cols[r * h + t] * n;
      const p = r * n;
      for (let j = 0; j < n; j++) acc[o + j] += v * b[p + j];
    }
  }
  out.set(acc.subarray(0, k * n));
}

/** out[r·k/2 + t] = a[r, :] · bt[cols[r·k/2 + t], :] (float64 sums). @internal */
export function sddmm24Js(a: Float32Array, m: number, d: number, bt: Float32Array, cols: Int32Array, k: number, out: Float32Array): void {
  const h = k >> 1;
  for (let r = 0; r < m; r++)
    for (let t = 0; t < h; t++) {
      const br = cols[r * h + t] * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += a[r * d + j] * bt[br + j];
      out[r * h + t] = s;
    }
}

/** The two largest of four keys as best | second << 2 (strict >: the lower index wins ties). @internal */
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
  const ks4 = [k0, k1, k2, k3];
  for (let i = 0; i < 4; i++) {
    if (i === b) continue;
    if (s < 0 || ks4[i] > ks) {
      s = i;
      ks = ks4[i];
    }
  }
  return b | (s << 2);
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
  const key = (v: number) => {
    const q = by === 0 ? Math.abs(v) : v;
    return Number.isNaN(q) ? Number.NEGATIVE_INFINITY : q;
  };
  for (let g = 0; g < n; g += 4) {
    const t = top2(key(x[g]), key(x[g + 1]), key(x[g + 2]), key(x[g + 3]));
    const i0 = t & 3;
    const i1 = t >> 2;
    if (mask !== null) {
      for (let i = 0; i < 4; i++) mask[g + i] = i === i0 || i === i1 ? 1 : 0;
    }
    if (values !== null && cols !== null) {
      const lo = Math.min(i0, i1);
      const hi = Math.max(i0, i1);
      const o = g >> 1;
      values[o] = x[g + lo];
      values[o + 1] = x[g + hi];
      cols[o] = (g % k) + lo;
      cols[o + 1] = (g % k) + hi;
    }
  }
}
