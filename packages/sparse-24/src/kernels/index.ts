// The host GEMMs of this package: thin wrappers over the kernels of @tessera/kernels (gemm, spmm24, spmm24T, sddmm24),
// which run WebAssembly SIMD by default and their JavaScript twins where it does not run (TESSERA_KERNELS=js, no
// WebAssembly SIMD). Those twins are the one JavaScript copy of these GEMMs; the naive float64 references the tests
// compare both against are in test/reference/matmul.ts. The transpose helper is a JavaScript data move.
import { gemm, sddmm24, spmm24, spmm24T } from '@tessera/kernels';

export { transposeHostUnchecked } from './transpose.js';

/**
 * Dense `out[m, n] = a[m, k] · b[k, n]` (overwrites `out`) on the WebAssembly SIMD GEMM of `@tessera/kernels`
 * (JavaScript where it does not run). Unchecked here: `@tessera/kernels` checks the lengths (TesseraError).
 *
 * @example
 * ```ts
 * import { gemmHostUnchecked } from '@tessera/sparse-24';
 * const c = gemmHostUnchecked(new Float32Array([1, 2]), 1, 2, new Float32Array([3, 4]), 1); // [11]
 * ```
 */
export function gemmHostUnchecked(
  a: Float32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out = new Float32Array(m * n),
): Float32Array {
  gemm(a, m, k, b, n, out);
  return out;
}

/**
 * 2:4-sparse `out[m, n] = A · b[k, n]`, A (m × k) given by its kept `values` and absolute columns `cols` (k/2 per
 * row), on the WebAssembly SIMD kernel of `@tessera/kernels` (JavaScript where it does not run): half the
 * multiply-adds of the dense one.
 *
 * @example
 * ```ts
 * import { spmmHostUnchecked } from '@tessera/sparse-24';
 * // A = [0, 2, 0, 3] · [1, 1, 1, 1]ᵀ
 * spmmHostUnchecked(new Float32Array([2, 3]), new Int32Array([1, 3]), 1, 4, new Float32Array([1, 1, 1, 1]), 1); // [5]
 * ```
 */
export function spmmHostUnchecked(
  values: Float32Array,
  cols: Int32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out = new Float32Array(m * n),
): Float32Array {
  spmm24(values, cols, m, k, b, n, out);
  return out;
}

/**
 * `out[k, n] = Aᵀ · b[m, n]` for a 2:4 A (as {@link spmmHostUnchecked}), on the WebAssembly SIMD kernel of
 * `@tessera/kernels` (JavaScript where it does not run): a gather over the CSR of Aᵀ, each output row summed once.
 *
 * @example
 * ```ts
 * import { spmmTHostUnchecked } from '@tessera/sparse-24';
 * spmmTHostUnchecked(new Float32Array([2, 3]), new Int32Array([1, 3]), 1, 4, new Float32Array([1]), 1); // [0, 2, 0, 3]
 * ```
 */
export function spmmTHostUnchecked(
  values: Float32Array,
  cols: Int32Array,
  m: number,
  k: number,
  b: Float32Array,
  n: number,
  out = new Float32Array(k * n),
): Float32Array {
  spmm24T(values, cols, m, k, b, n, out);
  return out;
}

/**
 * `out[r, t] = a[r, :] · bt[cols[r, t], :]` at the kept positions of a 2:4 pattern (`a` m×d, `bt` k×d, k/2 columns
 * per row), on the WebAssembly SIMD kernel of `@tessera/kernels` (JavaScript where it does not run).
 *
 * @example
 * ```ts
 * import { sddmmHostUnchecked } from '@tessera/sparse-24';
 * sddmmHostUnchecked(new Float32Array([1, 2]), 1, 2, new Float32Array([1, 0, 0, 1, 1, 1, 2, 2]), new Int32Array([1, 3]), 4); // [2, 6]
 * ```
 */
export function sddmmHostUnchecked(
  a: Float32Array,
  m: number,
  d: number,
  bt: Float32Array,
  cols: Int32Array,
  k: number,
  out = new Float32Array((m * k) >> 1),
): Float32Array {
  sddmm24(a, m, d, bt, cols, k, out);
  return out;
}
