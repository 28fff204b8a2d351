// Kernel choice for the host GEMMs: the WebAssembly SIMD kernels of @tessera/kernels (gemm, spmm24, spmm24T: same
// loop structure dense and sparse, float32 accumulation) by default; the JavaScript kernels of host-gemm.ts (float64
// products, one rounding per output) where those do not run (TESSERA_KERNELS=js, no WebAssembly SIMD). Both agree
// with a float64 reference within float32 tolerance (tests) (sddmm too); the transpose helper is JavaScript only.
import { gemm, kernelBackend, sddmm24, spmm24, spmm24T } from '@tessera/kernels';
import { gemmHostUncheckedJs, sddmmHostUncheckedJs, spmmHostUncheckedJs, spmmTHostUncheckedJs } from './host-gemm.js';

export {
  gemmHostUncheckedJs,
  sddmmHostUncheckedJs,
  spmmHostUncheckedJs,
  spmmTHostUncheckedJs,
  transposeHostUnchecked,
  transposeKept,
} from './host-gemm.js';

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
  if (kernelBackend() !== 'wasm') return gemmHostUncheckedJs(a, m, k, b, n, out);
  gemm(a, m, k, b, n, out);
  return out;
}

/**
 * 2:4-sparse `out[m, n] = A · b[k, n]`, A (m × k) given by its kept `values` and absolute columns `cols` (k/2 per
 * row), on the WebAssembly SIMD kernel (half the multiply-adds of the dense one).
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
  if (kernelBackend() !== 'wasm') return spmmHostUncheckedJs(values, cols, m, k, b, n, out);
  spmm24(values, cols, m, k, b, n, out);
  return out;
}

/**
 * `out[k, n] = Aᵀ · b[m, n]` for a 2:4 A (as {@link spmmHostUnchecked}), on the WebAssembly SIMD kernel (a
 * scatter-add of each kept entry's row product).
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
  if (kernelBackend() !== 'wasm') return spmmTHostUncheckedJs(values, cols, m, k, b, n, out);
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
  if (kernelBackend() !== 'wasm') return sddmmHostUncheckedJs(a, m, d, bt, cols, k, out);
  sddmm24(a, m, d, bt, cols, k, out);
  return out;
}
