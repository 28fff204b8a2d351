import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkOptions, checkTensor } from '@tessera/core';
import { hostValues, READ_ASYNC_ALTERNATIVE } from './host-values.js';
import type { MaskRanking } from './mask.js';

/** Options of {@link mask24Transposable}. */
export interface Mask24TransposableOptions {
  /**
   * `'greedy'` (default): xformers `LargestValuesGreedy` / PyTorch `_sparse_semi_structured_tile` with a stable sort.
   * `'optimal'`: the exhaustive optimum over every 4×4 mask with at most 2 per row and column.
   */
  algo?: 'greedy' | 'optimal';
  /** Ranking key; default `'value'`, as the xformers default. NaN ranks as −∞. */
  by?: MaskRanking;
}

const NEG_INF = Number.NEGATIVE_INFINITY;

/**
 * Every 4×4 mask code (`Σ mask[r][c]·2^(4r+c)`) with at most 2 cells per row and per column, in ascending code
 * order: 7 343 of them. Built lazily on first use (no work at import time).
 */
let ALL_MASKS: Uint16Array | null = null;
export function transposableMaskCodes(): Uint16Array {
  if (ALL_MASKS) return ALL_MASKS;
  const codes: number[] = [];
  for (let code = 0; code < 1 << 16; code++) {
    let ok = true;
    for (let r = 0; r < 4 && ok; r++) {
      const row = (code >> (4 * r)) & 15;
      if (popcount4(row) > 2) ok = false;
    }
    for (let c = 0; c < 4 && ok; c++) {
      let n = 0;
      for (let r = 0; r < 4; r++) n += (code >> (4 * r + c)) & 1;
      if (n > 2) ok = false;
    }
    if (ok) codes.push(code);
  }
  ALL_MASKS = Uint16Array.from(codes);
  return ALL_MASKS;
}

function popcount4(v: number): number {
  return (v & 1) + ((v >> 1) & 1) + ((v >> 2) & 1) + ((v >> 3) & 1);
}

function tileKeys(x: ArrayLike<number>, m: number, k: number, r0: number, c0: number, abs: boolean, keys: Float64Array): void {
  for (let i = 0; i < 16; i++) {
    const r = r0 + (i >> 2);
    const c = c0 + (i & 3);
    if (r >= m || c >= k) {
      keys[i] = NEG_INF; // out-of-bounds cells count as −∞
      continue;
    }
    let v = x[r * k + c];
    if (abs) v = Math.abs(v);
    keys[i] = v >= NEG_INF ? v : NEG_INF; // NaN → −∞
  }
}

/**
 * Greedy transposable mask of one tile: a stable descending sort of the 16 keys, then a cell is accepted iff its
 * row and its column each hold fewer than 2 accepted cells. Returns the mask code.
 * Out-of-bounds cells take part as −∞ (as the padded reference does) but are never written.
 */
export function greedyTileCode(keys: Float64Array): number {
  const order = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  // Stable insertion sort, descending.
  for (let i = 1; i < 16; i++) {
    const o = order[i];
    const key = keys[o];
    let j = i - 1;
    while (j >= 0 && keys[order[j]] < key) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = o;
  }
  const rows = [0, 0, 0, 0];
  const cols = [0, 0, 0, 0];
  let code = 0;
  for (const cell of order) {
    const r = cell >> 2;
    const c = cell & 3;
    if (rows[r] < 2 && cols[c] < 2) {
      rows[r]++;
      cols[c]++;
      code |= 1 << cell;
    }
  }
  return code;
}

/**
 * Optimal transposable mask of one tile: the mask (≤ 2 per row and column) with the largest kept-key sum. Cells of
 * key −∞ (NaN, −Inf under `'value'`, out of bounds) are never kept; +Inf keys count first. Ties go to more kept
 * cells, then to the smallest code. Returns the mask code.
 */
export function optimalTileCode(keys: Float64Array): number {
  const codes = transposableMaskCodes();
  let bestCode = 0;
  let bestInf = 0;
  let bestSum = 0;
  let bestCells = 0;
  for (let t = 0; t < codes.length; t++) {
    const code = codes[t];
    let inf = 0;
    let sum = 0;
    let cells = 0;
    let valid = true;
    for (let bits = code; bits !== 0; bits &= bits - 1) {
      const cell = 31 - Math.clz32(bits & -bits);
      const v = keys[cell];
      if (v === NEG_INF) {
        valid = false;
        break;
      }
      if (v === Number.POSITIVE_INFINITY) inf++;
      else sum += v;
      cells++;
    }
    if (!valid) continue;
    if (
      inf > bestInf ||
      (inf === bestInf && (sum > bestSum || (sum === bestSum && cells > bestCells))) // codes ascend: first wins the rest
    ) {
      bestCode = code;
      bestInf = inf;
      bestSum = sum;
      bestCells = cells;
    }
  }
  return bestCode;
}

/**
 * Host kernel of {@link mask24Transposable} on a row-major `[m, k]` array; writes 0/1 into `out`. Unchecked.
 *
 * @example
 * ```ts
 * import { mask24TransposableHostUnchecked } from '@tessera/sparse-24';
 * const x = new Float32Array([4, 3, 2, 1, 0, 0, 0.5, 0.5, 1, 2, 3, 4, 10, 2, -1, 5]);
 * mask24TransposableHostUnchecked(x, 4, 4, 'greedy', 'value', new Uint8Array(16));
 * ```
 */
export function mask24TransposableHostUnchecked<T extends Uint8Array | Float32Array>(
  x: ArrayLike<number>,
  m: number,
  k: number,
  algo: 'greedy' | 'optimal',
  by: MaskRanking,
  out: T,
): T {
  const keys = new Float64Array(16);
  const abs = by === 'magnitude';
  for (let r0 = 0; r0 < m; r0 += 4) {
    for (let c0 = 0; c0 < k; c0 += 4) {
      tileKeys(x, m, k, r0, c0, abs, keys);
      const code = algo === 'greedy' ? greedyTileCode(keys) : optimalTileCode(keys);
      for (let i = 0; i < 16; i++) {
        const r = r0 + (i >> 2);
        const c = c0 + (i & 3);
        if (r < m && c < k) out[r * k + c] = (code >> i) & 1;
      }
    }
  }
  return out;
}

/**
 * Transposable 2:4 mask of a matrix: each aligned 4×4 tile keeps at most 2 cells per row and
 * per column, so the same mask is 2:4 for `x` and for `xᵀ` (what the token-contracting backward GEMMs need on GPU).
 * `'greedy'` is xformers' default algorithm with a stable sort: it keeps 7 or 8 cells of a full finite tile.
 * `'optimal'` searches all 7 343 masks with ≤ 2 per row and column for the largest kept-key sum (ties: more cells,
 * then the smallest code), so it never keeps less than greedy; it costs about 7 343 mask sums per tile.
 * Dimensions that are not multiples of 4 are padded with −∞ cells. Returns a float32 0/1 tensor (caller owns it).
 *
 * @throws TesseraError `INVALID_ARGUMENT`, `INVALID_DTYPE` (not float32), `INVALID_SHAPE` (not rank 2).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { mask24Transposable } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[4, 3, 2, 1], [0, 0, 0.5, 0.5], [1, 2, 3, 4], [10, 2, -1, 5]]);
 * const m = mask24Transposable(x); // rows 1100 0110 0011 1001
 * tf.dispose([x, m]);
 * ```
 */
export function mask24Transposable(x: tf.Tensor, options: Mask24TransposableOptions = {}): tf.Tensor {
  const fn = 'mask24Transposable';
  checkTensor(x, fn, 'x', { dtype: 'float32', rank: 2 });
  const opts = checkOptions<Mask24TransposableOptions>(options, fn);
  const algo = checkOneOf(opts.algo ?? 'greedy', fn, 'options.algo', ['greedy', 'optimal'] as const);
  const by = checkOneOf(opts.by ?? 'value', fn, 'options.by', ['magnitude', 'value'] as const);
  const [m, k] = x.shape;
  // no elements: nothing to rank (the tile loop would otherwise walk m/4 rows of an [m, 0] tensor)
  if (x.size === 0) return tf.zeros([m, k], 'float32');
  const data = hostValues(x, fn, "'x'", READ_ASYNC_ALTERNATIVE) as Float32Array;
  const out = mask24TransposableHostUnchecked(data, m, k, algo, by, new Float32Array(m * k));
  return tf.tensor(out, [m, k], 'float32');
}
