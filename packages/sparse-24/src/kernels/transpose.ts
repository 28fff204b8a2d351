// Row-major transpose of a float32 matrix (JavaScript; a data move, not a GEMM, so it has no @tessera/kernels twin).

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
