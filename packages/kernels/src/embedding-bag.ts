// Embedding-bag pooled forward and backward kernels: one signature for wasm and JavaScript.
import { TesseraError } from '@tessera/core';
import { arr, int, pick, withArgs } from './call.js';
import { bagBackwardJs, bagForwardJs } from './js/bag.js';
import { wasm } from './runtime.js';

function checkBags(
  fn: string,
  D: number,
  ids: Int32Array,
  offsets: Int32Array,
  weights: Float32Array | null,
  nBags: number,
  mode: string,
  tableRows: number,
  rows: Int32Array | null,
  outRows: number,
  ld: number,
  col: number,
): number {
  int(D, fn, 'D', 1, 1 << 20);
  int(nBags, fn, 'nBags', 0);
  int(tableRows, fn, 'tableRows', 0);
  int(ld, fn, 'ld', 1);
  int(col, fn, 'col', 0);
  if (col + D > ld) throw new TesseraError('INVALID_ARGUMENT', fn, `col + D must be <= ld (${ld})`, col + D);
  const m = pick(mode, fn, 'mode', ['sum', 'mean']);
  arr(offsets, Int32Array, fn, 'offsets', nBags + 1);
  const nIds = offsets[nBags];
  if (!(offsets[0] >= 0)) throw new TesseraError('INVALID_ARGUMENT', fn, 'offsets[0] must be >= 0', offsets[0]);
  for (let u = 0; u < nBags; u++)
    if (offsets[u + 1] < offsets[u])
      throw new TesseraError('INVALID_ARGUMENT', fn, 'offsets must be non-decreasing', `offsets[${u + 1}] = ${offsets[u + 1]}`);
  arr(ids, Int32Array, fn, 'ids', nIds);
  // Only the ids the bags use (offsets[0] .. offsets[nBags]) index this table: a KJT's later features share ids.
  for (let j = offsets[0]; j < nIds; j++)
    if (ids[j] >>> 0 >= tableRows)
      throw new TesseraError('INDEX_OUT_OF_RANGE', fn, `ids must be in [0, ${tableRows})`, `ids[${j}] = ${ids[j]}`);
  if (weights !== null) arr(weights, Float32Array, fn, 'weights', nIds);
  if (rows !== null) {
    arr(rows, Int32Array, fn, 'rows', nBags);
    for (let u = 0; u < nBags; u++)
      if (rows[u] < -1 || rows[u] >= outRows)
        throw new TesseraError('INDEX_OUT_OF_RANGE', fn, `rows must be in [-1, ${outRows})`, `rows[${u}] = ${rows[u]}`);
  } else if (nBags > outRows) throw new TesseraError('INVALID_SHAPE', fn, `needs ${nBags} output rows`, outRows);
  return m;
}

/**
 * Embedding-bag pooled forward (torch.nn.functional.embedding_bag): for every bag u (ids[offsets[u] ..
 * offsets[u+1]) of a `D`-wide float32 table with `tableRows` rows), `out[row·ld + col + d]` = Σ w_j·table[ids[j]·D + d]
 * (w_j = weights[j], or 1 when weights is null), divided by the bag size for `'mean'`; row = rows[u] (−1 skips the
 * bag), or u when rows is null. The accumulator is float32, each weighted term formed in float64.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for bad counts or offsets, `INDEX_OUT_OF_RANGE` for an id or row out of
 * range, `INVALID_DTYPE`/`INVALID_SHAPE` for arrays of the wrong type or too short.
 * @example
 * ```ts
 * import { embeddingBagForward } from '@tessera/kernels';
 * const table = new Float32Array([1, 2, 10, 20, 100, 200]); // 3 rows, D = 2
 * const out = new Float32Array(4);
 * embeddingBagForward(table, 3, 2, new Int32Array([0, 2, 1]), new Int32Array([0, 2, 3]), null, 2, 'sum', null, out, 2, 0);
 * Array.from(out); // → [101, 202, 10, 20]
 * ```
 */
export function embeddingBagForward(
  table: Float32Array,
  tableRows: number,
  D: number,
  ids: Int32Array,
  offsets: Int32Array,
  weights: Float32Array | null,
  nBags: number,
  mode: 'sum' | 'mean',
  rows: Int32Array | null,
  out: Float32Array,
  ld: number,
  col: number,
): void {
  const fn = 'embeddingBagForward';
  if (!(out instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'out must be a Float32Array', String(out));
  const outRows = Math.floor(out.length / ld);
  const m = checkBags(fn, D, ids, offsets, weights, nBags, mode, tableRows, rows, outRows, ld, col);
  arr(table, Float32Array, fn, 'table', tableRows * D);
  if (nBags === 0) return;
  const w = wasm();
  if (w === null) {
    bagForwardJs(table, D, ids, offsets, weights, nBags, m, rows, out, ld, col);
    return;
  }
  const nIds = offsets[nBags];
  withArgs(
    w.arena,
    fn,
    [
      { a: table, n: tableRows * D, dir: 'in' },
      { a: ids, n: nIds, dir: 'in' },
      { a: offsets, n: nBags + 1, dir: 'in' },
      { a: weights, n: nIds, dir: 'in' },
      { a: rows, n: nBags, dir: 'in' },
      { a: out, n: outRows * ld, dir: 'inout' },
    ],
    0,
    (p) => w.exports.bagForward(p[0], D, p[1], p[2], p[3], nBags, m, p[4], p[5], ld, col),
  );
}

/**
 * Embedding-bag backward: scatter-adds the pooled gradient rows `g[row·ld + col .. + D)` of every bag into the
 * table gradient `dT` (`tableRows × D`, accumulated into: zero it first), `dT[ids[j]·D + d] += c_j·g[…]` with
 * c_j = w_j·(1/size for `'mean'`) formed in float64; rows as in {@link embeddingBagForward}.
 *
 * @throws TesseraError as {@link embeddingBagForward}.
 * @example
 * ```ts
 * import { embeddingBagBackward } from '@tessera/kernels';
 * const dT = new Float32Array(6);
 * embeddingBagBackward(new Float32Array([1, 1, 2, 2]), 2, 0, 2, new Int32Array([0, 2, 0]), new Int32Array([0, 2, 3]), null, 2, 'sum', null, dT, 3);
 * Array.from(dT); // → [3, 3, 0, 0, 1, 1]
 * ```
 */
export function embeddingBagBackward(
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
  dT: Float32Array,
  tableRows: number,
): void {
  const fn = 'embeddingBagBackward';
  if (!(g instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'g must be a Float32Array', String(g));
  const gRows = Math.floor(g.length / ld);
  const m = checkBags(fn, D, ids, offsets, weights, nBags, mode, tableRows, rows, gRows, ld, col);
  arr(dT, Float32Array, fn, 'dT', tableRows * D);
  if (nBags === 0) return;
  const w = wasm();
  if (w === null) {
    bagBackwardJs(g, ld, col, D, ids, offsets, weights, nBags, m, rows, dT);
    return;
  }
  const nIds = offsets[nBags];
  withArgs(
    w.arena,
    fn,
    [
      { a: g, n: gRows * ld, dir: 'in' },
      { a: ids, n: nIds, dir: 'in' },
      { a: offsets, n: nBags + 1, dir: 'in' },
      { a: weights, n: nIds, dir: 'in' },
      { a: rows, n: nBags, dir: 'in' },
      { a: dT, n: tableRows * D, dir: 'inout' },
    ],
    0,
    (p) => w.exports.bagBackward(p[0], ld, col, D, p[1], p[2], p[3], nBags, m, p[4], p[5]),
  );
}
