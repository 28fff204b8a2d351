// Plain float64 references for the GEMM kernels (slow on purpose).

/** C = A·B in float64, plus Σ|a||b| per output (the scale of float32 rounding error). */
export function refGemm(
  a: ArrayLike<number>,
  m: number,
  k: number,
  b: ArrayLike<number>,
  n: number,
): { c: Float64Array; abs: Float64Array } {
  const c = new Float64Array(m * n);
  const abs = new Float64Array(m * n);
  for (let r = 0; r < m; r++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let i = 0; i < k; i++) {
        s += a[r * k + i] * b[i * n + j];
        t += Math.abs(a[r * k + i] * b[i * n + j]);
      }
      c[r * n + j] = s;
      abs[r * n + j] = t;
    }
  return { c, abs };
}

/** Dense m×k matrix of a 2:4-compressed one. */
export function densify(values: Float32Array, cols: Int32Array, m: number, k: number): Float64Array {
  const d = new Float64Array(m * k);
  const h = k / 2;
  for (let r = 0; r < m; r++) for (let t = 0; t < h; t++) d[r * k + cols[r * h + t]] += values[r * h + t];
  return d;
}

/** Transpose of an m×k matrix. */
export function transpose(a: ArrayLike<number>, m: number, k: number): Float64Array {
  const t = new Float64Array(m * k);
  for (let r = 0; r < m; r++) for (let c = 0; c < k; c++) t[c * m + r] = a[r * k + c];
  return t;
}
