// Embedding-bag backward fused with the optimizer update (FBGEMM TBE with EmbOptimType.EXACT_SGD /
// EXACT_ROWWISE_ADAGRAD): one signature for wasm and JavaScript.
import { describe, TesseraError } from '@tessera/core';
import { arr, int, pick, withArgs } from './call.js';
import { bagFusedUpdateJs } from './js/bag-fused.js';
import { wasm } from './runtime.js';

/** The fused optimizers, named as FBGEMM's `EmbOptimType` (lower case). */
export const FUSED_OPTIMIZERS = ['exact_sgd', 'exact_rowwise_adagrad'] as const;
/** A fused optimizer of {@link embeddingBagBackwardFused}. */
export type FusedOptimizer = (typeof FUSED_OPTIMIZERS)[number];

/**
 * Embedding-bag backward fused with the optimizer step (FBGEMM `SplitTableBatchedEmbeddingBagsCodegen` with
 * `optimizer=EmbOptimType.EXACT_SGD` or `EXACT_ROWWISE_ADAGRAD`; pytorch/FBGEMM
 * fbgemm_gpu/codegen/genscript/optimizers.py, `sgd()` and `rowwise_adagrad()`): the pooled gradient rows
 * `g[row·ld + col .. + D)` of the bags (rows, weights and `mode` as {@link embeddingBagBackward}) are summed per
 * distinct id — bags in order, ids in order, each term c_j·g added in float64 and rounded to float32, exactly the
 * dense scatter-add of {@link embeddingBagBackward} — and only the touched rows of `table` are updated in place, in
 * order of first use, with float64 arithmetic rounded once to float32:
 * - `'exact_sgd'`: `w ← w − lr·g`;
 * - `'exact_rowwise_adagrad'`: `s ← s + Σ_d g_d² / D` (one float32 `momentum` entry per row, the mean of the
 *   squared gradient over the row, summed in float64), `w ← w − lr / (√s + eps) · g`.
 * No dense table gradient is formed: the cost follows the ids, not the table. A `table` (and `momentum`) in kernel
 * memory ({@link alloc}) is updated in place; one in host memory is copied in and out per call.
 *
 * @returns the number of distinct rows updated
 * @throws TesseraError `INVALID_ARGUMENT` for bad counts, offsets, optimizer, learning rate or eps,
 * `INDEX_OUT_OF_RANGE` for an id or row out of range, `INVALID_DTYPE`/`INVALID_SHAPE` for arrays of the wrong type
 * or too short (`momentum` must hold `tableRows` floats for row-wise Adagrad).
 * @example
 * ```ts
 * import { embeddingBagBackwardFused } from '@tessera/kernels';
 * const table = new Float32Array([1, 1, 2, 2, 3, 3]); // 3 rows, D = 2
 * const g = new Float32Array([1, 2, 10, 20]); // gradients of 2 bags
 * // bag 0 = ids [0, 2], bag 1 = ids [0]: row 0 gets 1 + 10, row 2 gets 1; row 1 is untouched
 * embeddingBagBackwardFused(g, 2, 0, 2, new Int32Array([0, 2, 0]), new Int32Array([0, 2, 3]), null, 2, 'sum', null, table, 3, 'exact_sgd', 0.5, 0, null);
 * Array.from(table); // → [-4.5, -10, 2, 2, 2.5, 2]
 * ```
 */
export function embeddingBagBackwardFused(
  g: Float32Array,
  ld: number,
  col: number,
  D: number,
  ids: Int32Array,
  offsets: Int32Array,
  weights: Float32Array | null,
  nBags: number,
  mode: 'sum' | 'mean',
  rows: Int32Array | null,
  table: Float32Array,
  tableRows: number,
  optimizer: FusedOptimizer,
  learningRate: number,
  eps: number,
  momentum: Float32Array | null,
): number {
  const fn = 'embeddingBagBackwardFused';
  if (!(g instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'g must be a Float32Array', describe(g));
  int(D, fn, 'D', 1, 1 << 20);
  int(nBags, fn, 'nBags', 0);
  int(tableRows, fn, 'tableRows', 0);
  int(ld, fn, 'ld', 1);
  int(col, fn, 'col', 0);
  if (col + D > ld) throw new TesseraError('INVALID_ARGUMENT', fn, `col + D must be <= ld (${ld})`, col + D);
  const m = pick(mode, fn, 'mode', ['sum', 'mean']);
  const opt = pick(optimizer, fn, 'optimizer', FUSED_OPTIMIZERS);
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate < 0)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'learningRate must be a finite number >= 0', describe(learningRate));
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'eps must be a finite number >= 0', describe(eps));
  const gRows = Math.floor(g.length / ld);
  arr(offsets, Int32Array, fn, 'offsets', nBags + 1);
  const s0 = offsets[0];
  const nEnd = offsets[nBags];
  if (!(s0 >= 0)) throw new TesseraError('INVALID_ARGUMENT', fn, 'offsets[0] must be >= 0', s0);
  for (let u = 0; u < nBags; u++)
    if (offsets[u + 1] < offsets[u])
      throw new TesseraError('INVALID_ARGUMENT', fn, 'offsets must be non-decreasing', `offsets[${u + 1}] = ${offsets[u + 1]}`);
  arr(ids, Int32Array, fn, 'ids', nEnd);
  for (let j = s0; j < nEnd; j++)
    if (ids[j] >>> 0 >= tableRows)
      throw new TesseraError('INDEX_OUT_OF_RANGE', fn, `ids must be in [0, ${tableRows})`, `ids[${j}] = ${ids[j]}`);
  if (weights !== null) arr(weights, Float32Array, fn, 'weights', nEnd);
  if (rows !== null) {
    arr(rows, Int32Array, fn, 'rows', nBags);
    for (let u = 0; u < nBags; u++)
      if (rows[u] < -1 || rows[u] >= gRows)
        throw new TesseraError('INDEX_OUT_OF_RANGE', fn, `rows must be in [-1, ${gRows})`, `rows[${u}] = ${rows[u]}`);
  } else if (nBags > gRows) throw new TesseraError('INVALID_SHAPE', fn, `g needs ${nBags} rows of ${ld}`, gRows);
  arr(table, Float32Array, fn, 'table', tableRows * D);
  if (opt === 1) arr(momentum, Float32Array, fn, 'momentum', tableRows);
  const state = opt === 1 ? momentum : null;
  const n = nEnd - s0;
  if (nBags === 0 || n === 0) return 0;
  // the used range of ids and weights, offsets rebased to it (a KJT's features share one ids array)
  let off = offsets.subarray(0, nBags + 1);
  if (s0 !== 0) {
    off = new Int32Array(nBags + 1);
    for (let u = 0; u <= nBags; u++) off[u] = offsets[u] - s0;
  }
  const bIds = ids.subarray(s0, nEnd);
  const bW = weights === null ? null : weights.subarray(s0, nEnd);
  const distinct = Math.min(n, tableRows);
  const w = wasm();
  if (w === null) {
    return bagFusedUpdateJs(
      g,
      ld,
      col,
      D,
      bIds,
      off,
      bW,
      nBags,
      m,
      rows,
      table,
      state,
      opt,
      learningRate,
      eps,
      new Int32Array(tableRows),
      new Int32Array(distinct),
      new Float32Array(distinct * D),
    );
  }
  // scratch: the slot map (tableRows int32, zeroed here), the distinct ids, their accumulator rows
  const up = (b: number) => Math.ceil(b / 64) * 64;
  const slotB = up(tableRows * 4);
  const listB = up(distinct * 4);
  const accB = distinct * D * 4;
  if (slotB + listB + accB > 2 ** 32)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'scratch would exceed 4 GiB of kernel memory', slotB + listB + accB);
  let count = 0;
  withArgs(
    w.arena,
    fn,
    [
      { a: g, n: gRows * ld, dir: 'in' },
      { a: bIds, n, dir: 'in' },
      { a: off, n: nBags + 1, dir: 'in' },
      { a: bW, n, dir: 'in' },
      { a: rows, n: nBags, dir: 'in' },
      { a: table, n: tableRows * D, dir: 'inout' },
      { a: state, n: tableRows, dir: 'inout' },
    ],
    slotB + listB + accB,
    (p, scratch) => {
      new Int32Array(w.arena.buffer, scratch, tableRows).fill(0);
      count = w.exports.bagFusedUpdate(
        p[0],
        ld,
        col,
        D,
        p[1],
        p[2],
        p[3],
        nBags,
        m,
        p[4],
        p[5],
        p[6],
        opt,
        learningRate,
        eps,
        scratch,
        scratch + slotB,
        scratch + slotB + listB,
      );
    },
  );
  return count;
}
