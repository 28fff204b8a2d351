// Embedding-bag pooled forward and backward kernels: one signature for wasm and JavaScript.
import { TesseraError } from '@tessera/core';
import { arr, int, pick, withArgs } from './call.js';
import { bagBackwardJs, bagForwardJs, rowsIndexAddJs, rowsSelectJs } from './js/bag.js';
import { type Arena, wasm } from './runtime.js';

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

// ---- what a call copies into kernel memory ----
// Arrays already in kernel memory (alloc) are used in place. Of the others only what the bags read is copied: the
// ids and weights of offsets[0] .. offsets[nBags] (a KJT's features share one ids array) with the offsets rebased
// to 0, and, for a table or table gradient in host memory, only the rows the bags touch when they read few of its
// rows (the ids renumbered to a compact block of distinct rows, gathered in and, for the gradient, written back): a
// lookup then costs what its ids cost, not what the table costs.

/** Tables of at most this many rows renumber ids through a reused Int32Array; larger ones through a Map. */
const SLOT_MAP_MAX = 1 << 24;
let slotMap = new Int32Array(0);

/** Distinct ids of ids[s .. e) in first-use order (`list`, `count` of them) and every id renumbered (`local`). */
function compactIds(ids: Int32Array, s: number, e: number, tableRows: number): { list: Int32Array; count: number; local: Int32Array } {
  const n = e - s;
  const local = new Int32Array(n);
  const list = new Int32Array(Math.min(n, tableRows));
  let count = 0;
  if (tableRows <= SLOT_MAP_MAX) {
    if (slotMap.length < tableRows) slotMap = new Int32Array(tableRows); // 0: unseen, else slot + 1 (reset below)
    const m = slotMap;
    for (let j = 0; j < n; j++) {
      const id = ids[s + j];
      let k = m[id];
      if (k === 0) {
        list[count] = id;
        k = ++count;
        m[id] = k;
      }
      local[j] = k - 1;
    }
    for (let i = 0; i < count; i++) m[list[i]] = 0;
  } else {
    const m = new Map<number, number>();
    for (let j = 0; j < n; j++) {
      const id = ids[s + j];
      let k = m.get(id);
      if (k === undefined) {
        list[count] = id;
        k = count++;
        m.set(id, k);
      }
      local[j] = k;
    }
  }
  return { list, count, local };
}

/**
 * Gathers rows list[0 .. count) of a D-wide host table into a new block of kernel memory (no host-side copy in
 * between); returns its byte address. The caller frees it.
 */
function gatherRows(arena: Arena, fn: string, table: Float32Array, D: number, list: Int32Array, count: number): number {
  const ptr = arena.alloc(count * D * 4, fn);
  const f = arena.f32;
  const base = ptr >> 2;
  // a row of 16 floats or more is one memcpy (TypedArray.set of a subarray); shorter rows are copied by element
  if (D >= 16) for (let i = 0; i < count; i++) f.set(table.subarray(list[i] * D, list[i] * D + D), base + i * D);
  else
    for (let i = 0; i < count; i++) {
      const s = list[i] * D;
      const o = base + i * D;
      for (let d = 0; d < D; d++) f[o + d] = table[s + d];
    }
  return ptr;
}

/** Writes the compact block at `ptr` back to rows list[0 .. count) of the host table. */
function scatterRows(arena: Arena, ptr: number, D: number, list: Int32Array, count: number, table: Float32Array): void {
  const f = arena.f32;
  const base = ptr >> 2;
  if (D >= 16) for (let i = 0; i < count; i++) table.set(f.subarray(base + i * D, base + i * D + D), list[i] * D);
  else
    for (let i = 0; i < count; i++) {
      const s = base + i * D;
      const o = list[i] * D;
      for (let d = 0; d < D; d++) table[o + d] = f[s + d];
    }
}

/** The bags' ids, weights and offsets as the kernel reads them: the used range, offsets rebased to it. */
function bagRange(
  ids: Int32Array,
  offsets: Int32Array,
  weights: Float32Array | null,
  nBags: number,
): { ids: Int32Array; offsets: Int32Array; weights: Float32Array | null; n: number } {
  const s = offsets[0];
  const e = offsets[nBags];
  let off = offsets.subarray(0, nBags + 1);
  if (s !== 0) {
    off = new Int32Array(nBags + 1);
    for (let u = 0; u <= nBags; u++) off[u] = offsets[u] - s;
  }
  return { ids: ids.subarray(s, e), offsets: off, weights: weights === null ? null : weights.subarray(s, e), n: e - s };
}

/**
 * Whether to renumber the ids of a host-memory table of `tableRows` rows to a compact block of the rows they touch:
 * a random row gathered from a large host array costs about as much as copying 8–16 rows in sequence (cache and TLB
 * misses that a JavaScript loop cannot overlap), so only when the bags read fewer than an eighth of its rows.
 */
function compactWorth(arena: Arena, a: Float32Array, n: number, tableRows: number): boolean {
  return !arena.owns(a) && n * 8 < tableRows;
}

/**
 * Embedding-bag pooled forward (torch.nn.functional.embedding_bag): for every bag u (ids[offsets[u] ..
 * offsets[u+1]) of a `D`-wide float32 table with `tableRows` rows), `out[row·ld + col + d]` = Σ w_j·table[ids[j]·D + d]
 * (w_j = weights[j], or 1 when weights is null), divided by the bag size for `'mean'`; row = rows[u] (−1 skips the
 * bag), or u when rows is null. The accumulator is float32, each weighted term formed in float64. A table in kernel
 * memory ({@link alloc}) is read in place; a table in host memory is copied per call: only the rows the bags touch
 * when the bags read fewer ids than an eighth of its rows, else all of it.
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
  const r = bagRange(ids, offsets, weights, nBags);
  let T = table;
  let nT = tableRows * D;
  let bagIds = r.ids;
  let block = -1;
  try {
    if (compactWorth(w.arena, table, r.n, tableRows)) {
      const c = compactIds(r.ids, 0, r.n, tableRows);
      block = gatherRows(w.arena, fn, table, D, c.list, c.count);
      nT = c.count * D;
      // a view of the block, taken after its allocation: withArgs reads its address before allocating anything
      T = new Float32Array(w.arena.buffer, block, nT);
      bagIds = c.local;
    }
    withArgs(
      w.arena,
      fn,
      [
        { a: T, n: nT, dir: 'in' },
        { a: bagIds, n: r.n, dir: 'in' },
        { a: r.offsets, n: nBags + 1, dir: 'in' },
        { a: r.weights, n: r.n, dir: 'in' },
        { a: rows, n: nBags, dir: 'in' },
        { a: out, n: outRows * ld, dir: 'inout' },
      ],
      0,
      (p) => w.exports.bagForward(p[0], D, p[1], p[2], p[3], nBags, m, p[4], p[5], ld, col),
    );
  } finally {
    if (block >= 0) w.arena.free(block);
  }
}

/**
 * Embedding-bag backward: scatter-adds the pooled gradient rows `g[row·ld + col .. + D)` of every bag into the
 * table gradient `dT` (`tableRows × D`, accumulated into: zero it first), `dT[ids[j]·D + d] += c_j·g[…]` with
 * c_j = w_j·(1/size for `'mean'`) formed in float64; rows as in {@link embeddingBagForward}. A `dT` in host memory
 * is copied in and out per call: only the rows the bags touch when the bags read fewer ids than an eighth of its rows,
 * else all of it.
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
  const r = bagRange(ids, offsets, weights, nBags);
  let Y = dT;
  let nY = tableRows * D;
  let bagIds = r.ids;
  let block = -1;
  try {
    let c: ReturnType<typeof compactIds> | null = null;
    if (compactWorth(w.arena, dT, r.n, tableRows)) {
      c = compactIds(r.ids, 0, r.n, tableRows);
      block = gatherRows(w.arena, fn, dT, D, c.list, c.count);
      nY = c.count * D;
      // a view of the block, taken after its allocation: withArgs reads its address before allocating anything
      Y = new Float32Array(w.arena.buffer, block, nY);
      bagIds = c.local;
    }
    withArgs(
      w.arena,
      fn,
      [
        { a: g, n: gRows * ld, dir: 'in' },
        { a: bagIds, n: r.n, dir: 'in' },
        { a: r.offsets, n: nBags + 1, dir: 'in' },
        { a: r.weights, n: r.n, dir: 'in' },
        { a: rows, n: nBags, dir: 'in' },
        { a: Y, n: nY, dir: 'inout' },
      ],
      0,
      (p) => w.exports.bagBackward(p[0], ld, col, D, p[1], p[2], p[3], nBags, m, p[4], p[5]),
    );
    if (c !== null) scatterRows(w.arena, block, D, c.list, c.count, dT);
  } finally {
    if (block >= 0) w.arena.free(block);
  }
}

function checkRows(fn: string, D: number, lds: number, cols: number, ldo: number, colo: number): void {
  int(D, fn, 'D', 1, 1 << 20);
  int(lds, fn, 'srcLd', 1);
  int(cols, fn, 'srcCol', 0);
  int(ldo, fn, 'ld', 1);
  int(colo, fn, 'col', 0);
  if (cols + D > lds) throw new TesseraError('INVALID_ARGUMENT', fn, `srcCol + D must be <= srcLd (${lds})`, cols + D);
  if (colo + D > ldo) throw new TesseraError('INVALID_ARGUMENT', fn, `col + D must be <= ld (${ldo})`, colo + D);
}

/**
 * Row gather (torch.index_select along rows): `out[i·ld + col + d] = src[index[i]·srcLd + srcCol + d]` for i < n,
 * d < D, a plain copy; index −1 leaves row i as it is; `src` has `srcRows` rows of stride `srcLd` (`src` and `out`
 * may be one array when no row read is written). Expands the pooled rows of the stored bags of a deduplicated batch
 * (an inverse index) into one row per sample.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for bad counts or column blocks, `INDEX_OUT_OF_RANGE` for an index outside
 * [−1, srcRows), `INVALID_DTYPE`/`INVALID_SHAPE` for arrays of the wrong type or too short.
 * @example
 * ```ts
 * import { indexSelectRows } from '@tessera/kernels';
 * const out = new Float32Array(6);
 * indexSelectRows(new Float32Array([1, 2, 3, 4]), 2, 2, 0, 2, new Int32Array([1, 1, 0]), 3, out, 2, 0);
 * Array.from(out); // → [3, 4, 3, 4, 1, 2]
 * ```
 */
export function indexSelectRows(
  src: Float32Array,
  srcRows: number,
  srcLd: number,
  srcCol: number,
  D: number,
  index: Int32Array,
  n: number,
  out: Float32Array,
  ld: number,
  col: number,
): void {
  const fn = 'indexSelectRows';
  checkRows(fn, D, srcLd, srcCol, ld, col);
  int(srcRows, fn, 'srcRows', 0);
  int(n, fn, 'n', 0);
  arr(src, Float32Array, fn, 'src', srcRows * srcLd);
  arr(index, Int32Array, fn, 'index', n);
  arr(out, Float32Array, fn, 'out', n * ld);
  for (let i = 0; i < n; i++)
    if (index[i] < -1 || index[i] >= srcRows)
      throw new TesseraError('INDEX_OUT_OF_RANGE', fn, `index must be in [-1, ${srcRows})`, `index[${i}] = ${index[i]}`);
  if (n === 0) return;
  const w = wasm();
  if (w === null) {
    rowsSelectJs(src, srcLd, srcCol, D, index, n, out, ld, col);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a: src, n: srcRows * srcLd, dir: 'in' },
      { a: index, n, dir: 'in' },
      { a: out, n: n * ld, dir: 'inout' },
    ],
    0,
    (p) => w.exports.rowsSelect(p[0], srcLd, srcCol, D, p[1], n, p[2], ld, col),
  );
}

/**
 * Row scatter-add (torch.index_add_ along rows): `out[index[i]·ld + col + d] += src[i·srcLd + srcCol + d]` for
 * i < n in order of i, float32 adds, index −1 skipping row i; `out` has `outRows` rows of stride `ld` (`src` and
 * `out` may be one array when no row read is written). Sums the output-gradient rows of the samples that share a
 * stored bag of a deduplicated batch.
 *
 * @throws TesseraError as {@link indexSelectRows} (an index outside [−1, outRows)).
 * @example
 * ```ts
 * import { indexAddRows } from '@tessera/kernels';
 * const out = new Float32Array(4);
 * indexAddRows(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 0, 2, new Int32Array([1, 1, 0]), 3, out, 2, 2, 0);
 * Array.from(out); // → [5, 6, 4, 6]
 * ```
 */
export function indexAddRows(
  src: Float32Array,
  srcLd: number,
  srcCol: number,
  D: number,
  index: Int32Array,
  n: number,
  out: Float32Array,
  outRows: number,
  ld: number,
  col: number,
): void {
  const fn = 'indexAddRows';
  checkRows(fn, D, srcLd, srcCol, ld, col);
  int(outRows, fn, 'outRows', 0);
  int(n, fn, 'n', 0);
  arr(src, Float32Array, fn, 'src', n * srcLd);
  arr(index, Int32Array, fn, 'index', n);
  arr(out, Float32Array, fn, 'out', outRows * ld);
  for (let i = 0; i < n; i++)
    if (index[i] < -1 || index[i] >= outRows)
      throw new TesseraError('INDEX_OUT_OF_RANGE', fn, `index must be in [-1, ${outRows})`, `index[${i}] = ${index[i]}`);
  if (n === 0) return;
  const w = wasm();
  if (w === null) {
    rowsIndexAddJs(src, srcLd, srcCol, D, index, n, out, ld, col);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a: src, n: n * srcLd, dir: 'in' },
      { a: index, n, dir: 'in' },
      { a: out, n: outRows * ld, dir: 'inout' },
    ],
    0,
    (p) => w.exports.rowsIndexAdd(p[0], srcLd, srcCol, D, p[1], n, p[2], ld, col),
  );
}
