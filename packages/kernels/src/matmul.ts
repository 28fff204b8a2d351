// Dense and 2:4-sparse GEMM kernels and the 2:4 mask + compression: one signature for wasm and JavaScript.
import { TesseraError } from '@tessera/core';
import { arr, int, pick, withArgs } from './call.js';
import { gemmJs, mask24CompressJs, sddmm24Js, spmm24Js, spmm24TJs } from './js/gemm.js';
import { wasm } from './runtime.js';

const MAX_DIM = 1 << 20;

/** K-chunk and column-block sizes of src/assembly/gemm.ts (KC rows of b, NB columns). */
const KC = 1024;
const NB = 64;
/** Largest packing scratch (bytes); beyond it b is read in place. */
const MAX_PACK = 1 << 26;

/**
 * Scratch bytes for packing b (k rows, n columns) before a product over `rows` rows of a: b's column blocks are copied
 * contiguous when n > NB (rows of b a large power of two apart would otherwise share a few cache sets), if `rows` is
 * large enough to repay the copy. 0: no packing.
 */
function packBytes(rows: number, bRows: number, n: number): number {
  if (n <= NB || rows < 8) return 0;
  const bytes = bRows * (n & ~15) * 4;
  return bytes <= MAX_PACK ? bytes : 0;
}

function dims(fn: string, m: number, k: number, n: number): void {
  int(m, fn, 'm', 0, MAX_DIM);
  int(k, fn, 'k', 0, MAX_DIM);
  int(n, fn, 'n', 0, MAX_DIM);
}

/**
 * Dense float32 GEMM `out[m×n] = a[m×k] · b[k×n]` (row-major), the SIMD GEMM the 2:4 FFN is compared with.
 * Float32 accumulation in wasm, float64 in JavaScript: equal to a float64 reference within float32 tolerance.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for a bad dimension (bound 2^20), `INVALID_DTYPE`/`INVALID_SHAPE` for
 * arrays of the wrong type or too short.
 * @example
 * ```ts
 * import { gemm } from '@tessera/kernels';
 * const out = new Float32Array(1);
 * gemm(new Float32Array([1, 2]), 1, 2, new Float32Array([3, 4]), 1, out);
 * out[0]; // → 11
 * ```
 */
export function gemm(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array): void {
  const fn = 'gemm';
  dims(fn, m, k, n);
  arr(a, Float32Array, fn, 'a', m * k);
  arr(b, Float32Array, fn, 'b', k * n);
  arr(out, Float32Array, fn, 'out', m * n);
  if (m * n === 0) return;
  const w = wasm();
  if (w === null) {
    gemmJs(a, m, k, b, n, out);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a, n: m * k, dir: 'in' },
      { a: b, n: k * n, dir: 'in' },
      { a: out, n: m * n, dir: 'out' },
    ],
    packBytes(m, Math.min(k, KC), n),
    (p, pack) => w.exports.gemm(p[0], m, k, p[1], n, p[2], pack),
  );
}

function checkSparse(fn: string, values: Float32Array, cols: Int32Array, m: number, k: number, colsOnly = false, scan = true): void {
  if (k % 4 !== 0) throw new TesseraError('INVALID_ARGUMENT', fn, 'k must be a multiple of 4 (2:4 groups)', k);
  if (!colsOnly) arr(values, Float32Array, fn, 'values', (m * k) / 2);
  arr(cols, Int32Array, fn, 'cols', (m * k) / 2);
  // entry t of a row lies in its group's columns [4⌊t/2⌋, 4⌊t/2⌋ + 4): the kernels' K-chunks rely on it, and it keeps
  // every read (spmm24, sddmm24) and write (spmm24T) inside the operands
  if (!scan) return;
  const h = k >> 1;
  for (let r = 0; r < m; r++)
    for (let t = 0; t < h; t++) {
      const i = r * h + t;
      if (cols[i] >> 2 !== t >> 1) throw badCol(fn, k, i, cols[i]);
    }
}

function badCol(fn: string, k: number, i: number, c: number): TesseraError {
  return new TesseraError(
    'INDEX_OUT_OF_RANGE',
    fn,
    `cols must lie in their 2:4 group (entry t of a row in columns [4⌊t/2⌋, 4⌊t/2⌋ + 4) of [0, ${k}))`,
    `cols[${i}] = ${c}`,
  );
}

/**
 * 2:4-sparse GEMM `out[m×n] = A · b[k×n]` with A (m×k) given by its kept values and their int32 columns (k/2 per
 * row, as `mask24Compress` writes them: entry t of a row in its group's columns [4⌊t/2⌋, 4⌊t/2⌋ + 4), two per group
 * of four, or one per pair of columns): half the multiply-adds of {@link gemm}, same loop structure.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for a bad dimension or k not a multiple of 4, `INDEX_OUT_OF_RANGE` for a
 * column outside its group, `INVALID_DTYPE`/`INVALID_SHAPE` for arrays of the wrong type or too short.
 * @example
 * ```ts
 * import { spmm24 } from '@tessera/kernels';
 * const out = new Float32Array(1);
 * // A = [2, 0, 0, 3], b = [1, 1, 1, 1]ᵀ
 * spmm24(new Float32Array([2, 3]), new Int32Array([0, 3]), 1, 4, new Float32Array([1, 1, 1, 1]), 1, out);
 * out[0]; // → 5
 * ```
 */
export function spmm24(values: Float32Array, cols: Int32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array): void {
  const fn = 'spmm24';
  dims(fn, m, k, n);
  const w = wasm();
  // the wasm kernel checks the columns itself (SIMD, before it writes anything)
  checkSparse(fn, values, cols, m, k, false, w === null);
  arr(b, Float32Array, fn, 'b', k * n);
  arr(out, Float32Array, fn, 'out', m * n);
  if (m * n === 0) {
    if (w !== null) checkSparse(fn, values, cols, m, k);
    return;
  }
  if (w === null) {
    spmm24Js(values, cols, m, k, b, n, out);
    return;
  }
  let bad = -1;
  withArgs(
    w.arena,
    fn,
    [
      { a: values, n: (m * k) / 2, dir: 'in' },
      { a: cols, n: (m * k) / 2, dir: 'in' },
      { a: b, n: k * n, dir: 'in' },
      { a: out, n: m * n, dir: 'out' },
    ],
    packBytes(m, Math.min(k, KC), n),
    (p, pack) => {
      bad = w.exports.spmm24(p[0], p[1], m, k, p[2], n, p[3], pack);
      if (bad >= 0) throw badCol(fn, k, bad, cols[bad]);
    },
  );
}

/**
 * Transposed 2:4-sparse GEMM `out[k×n] = Aᵀ · b[m×n]` (the weight-gradient product of a 2:4 layer), A as in
 * {@link spmm24}: the CSR of Aᵀ is built (a counting sort by column, O(kept entries)), then every output row is
 * summed in registers.
 *
 * @throws TesseraError as {@link spmm24}.
 * @example
 * ```ts
 * import { spmm24T } from '@tessera/kernels';
 * const out = new Float32Array(4);
 * spmm24T(new Float32Array([2, 3]), new Int32Array([0, 3]), 1, 4, new Float32Array([1]), 1, out);
 * Array.from(out); // → [2, 0, 0, 3]
 * ```
 */
export function spmm24T(values: Float32Array, cols: Int32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array): void {
  const fn = 'spmm24T';
  dims(fn, m, k, n);
  const w = wasm();
  // the wasm path checks the columns while it builds the CSR (SIMD, before it writes anything)
  checkSparse(fn, values, cols, m, k, false, w === null);
  arr(b, Float32Array, fn, 'b', m * n);
  arr(out, Float32Array, fn, 'out', k * n);
  if (k * n === 0) {
    if (w !== null) checkSparse(fn, values, cols, m, k);
    return;
  }
  if (w === null) {
    spmm24TJs(values, cols, m, k, b, n, out);
    return;
  }
  // the CSR of Aᵀ in scratch (a counting sort by column, O(kept entries)), then one pass per output row with the sum
  // in registers
  const nnz = (m * k) / 2;
  const csrBytes = (((k + 1) * 4 + 15) & ~15) + 8 * nnz;
  const pack = packBytes(k, m, n);
  withArgs(
    w.arena,
    fn,
    [
      { a: values, n: nnz, dir: 'in' },
      { a: cols, n: nnz, dir: 'in' },
      { a: b, n: m * n, dir: 'in' },
      { a: out, n: k * n, dir: 'out' },
    ],
    csrBytes + pack,
    (p, scratch) => {
      const rowPtr = scratch;
      const idx = scratch + (((k + 1) * 4 + 15) & ~15);
      const vals = idx + 4 * nnz;
      const bad = w.exports.csrTranspose24(p[0], p[1], m, k, rowPtr, idx, vals);
      if (bad >= 0) throw badCol(fn, k, bad, cols[bad]);
      w.exports.csrmm(rowPtr, idx, vals, k, p[2], n, p[3], pack === 0 ? 0 : scratch + csrBytes, m);
    },
  );
}

/**
 * Sampled dense-dense product at a 2:4 pattern (the input-gradient product of a 2:4 activation):
 * `out[r·k/2 + t] = a[r, :] · bt[cols[r·k/2 + t], :]` with a `m×d`, bt `k×d` and the pattern's columns `cols`
 * (k/2 per row, as `mask24Compress` writes them). Float32 sums in wasm, float64 in JavaScript.
 *
 * @throws TesseraError as {@link spmm24}.
 * @example
 * ```ts
 * import { sddmm24 } from '@tessera/kernels';
 * const out = new Float32Array(2);
 * // a = [1, 2]; bt rows: [1, 0], [0, 1], [1, 1], [2, 2]; kept columns 1 and 3
 * sddmm24(new Float32Array([1, 2]), 1, 2, new Float32Array([1, 0, 0, 1, 1, 1, 2, 2]), new Int32Array([1, 3]), 4, out);
 * Array.from(out); // → [2, 6]
 * ```
 */
export function sddmm24(a: Float32Array, m: number, d: number, bt: Float32Array, cols: Int32Array, k: number, out: Float32Array): void {
  const fn = 'sddmm24';
  dims(fn, m, k, d);
  checkSparse(fn, new Float32Array(0), cols, m, k, true);
  arr(a, Float32Array, fn, 'a', m * d);
  arr(bt, Float32Array, fn, 'bt', k * d);
  arr(out, Float32Array, fn, 'out', (m * k) / 2);
  if (m * k === 0) return;
  const w = wasm();
  if (w === null) {
    sddmm24Js(a, m, d, bt, cols, k, out);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a, n: m * d, dir: 'in' },
      { a: bt, n: k * d, dir: 'in' },
      { a: cols, n: (m * k) / 2, dir: 'in' },
      { a: out, n: (m * k) / 2, dir: 'out' },
    ],
    0,
    (p) => w.exports.sddmm24(p[0], m, d, p[1], p[2], k, p[3]),
  );
}

/**
 * 2:4 selection over `rows` rows of `k` float32 (k a multiple of 4): in every group of four the two largest keys
 * (`'magnitude'`: |x|, `'value'`: x; NaN ranks as −∞; ties keep the lower index) are kept. Writes the mask bytes
 * (1 = kept) into `mask` and/or the kept values and their columns (in order) into `values`/`cols`; pass null to
 * skip either.
 *
 * @throws TesseraError `INVALID_ARGUMENT`, `INVALID_DTYPE` or `INVALID_SHAPE` for bad arguments.
 * @example
 * ```ts
 * import { mask24Compress } from '@tessera/kernels';
 * const mask = new Uint8Array(4);
 * mask24Compress(new Float32Array([1, -3, 2, 0]), 1, 4, 'magnitude', mask, null, null);
 * Array.from(mask); // → [0, 1, 1, 0]
 * ```
 */
export function mask24Compress(
  x: Float32Array,
  rows: number,
  k: number,
  by: 'magnitude' | 'value',
  mask: Uint8Array | null,
  values: Float32Array | null,
  cols: Int32Array | null,
): void {
  const fn = 'mask24Compress';
  int(rows, fn, 'rows', 0, 2 ** 30);
  int(k, fn, 'k', 0, MAX_DIM);
  if (k % 4 !== 0) throw new TesseraError('INVALID_ARGUMENT', fn, 'k must be a multiple of 4', k);
  const byCode = pick(by, fn, 'by', ['magnitude', 'value']);
  const n = rows * k;
  arr(x, Float32Array, fn, 'x', n);
  if (mask !== null) arr(mask, Uint8Array, fn, 'mask', n);
  if ((values === null) !== (cols === null))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'values and cols go together', 'one of them null');
  if (values !== null) arr(values, Float32Array, fn, 'values', n / 2);
  if (cols !== null) arr(cols, Int32Array, fn, 'cols', n / 2);
  if (n === 0) return;
  const w = wasm();
  if (w === null) {
    mask24CompressJs(x, n, k, byCode, mask, values, cols);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a: x, n, dir: 'in' },
      { a: mask, n, dir: 'out' },
      { a: values, n: n / 2, dir: 'out' },
      { a: cols, n: n / 2, dir: 'out' },
    ],
    0,
    (p) => w.exports.mask24Compress(p[0], n, k, byCode, p[1], p[2], p[3]),
  );
}
