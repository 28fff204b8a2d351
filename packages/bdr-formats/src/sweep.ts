import { describe, TesseraError } from '@tessera/core';
import { type BDRFormat, bdrFormat } from './format.js';
import { qsnr, qsnrBound } from './qsnr.js';
import { bdrQuantizer, type Quantizer } from './quantizer.js';

/**
 * A grid of BDR parameters; {@link sweep} takes the cartesian product and skips invalid combinations.
 *
 * @example
 * ```ts
 * import { rng } from '@tessera/core';
 * import { type BDRGrid, sweep } from '@tessera/bdr-formats';
 * const grid: BDRGrid = { k1: [16], d1: [8], k2: [2, 4, 8], d2: [1], m: [4] };
 * sweep(grid, rng(0).normalArray(1024), { sortBy: 'qsnr' }).length; // → 3
 * ```
 */
export interface BDRGrid {
  readonly k1: readonly number[];
  readonly d1: readonly number[];
  readonly k2: readonly number[];
  readonly d2: readonly number[];
  readonly m: readonly number[];
}

/**
 * One row of a {@link sweep}: QSNR in dB on the data, cost in bits/element, and the Theorem-1 bound for BDR rows.
 *
 * @example
 * ```ts
 * import { rng } from '@tessera/core';
 * import { BDR_MX9, bdrQuantizer, type SweepRow, sweep } from '@tessera/bdr-formats';
 * const [row]: SweepRow[] = sweep([bdrQuantizer(BDR_MX9)], rng(0).normalArray(1024));
 * row.qsnr > (row.bound ?? 0); // → true
 * ```
 */
export interface SweepRow {
  readonly name: string;
  readonly bitsPerElement: number;
  readonly qsnr: number;
  readonly bound?: number;
  readonly format?: BDRFormat;
}

/**
 * Upper bounds enforced by {@link sweep}: at most 10,000 candidates (quantizers or grid combinations) and 2^26 values.
 *
 * @example
 * ```ts
 * import { SWEEP_LIMITS } from '@tessera/bdr-formats';
 * SWEEP_LIMITS.maxValues; // → 67108864
 * ```
 */
export const SWEEP_LIMITS = Object.freeze({ maxCandidates: 10_000, maxValues: 2 ** 26 });

/**
 * The valid formats of a grid, deduplicated (with d2 = 0 the sub-block size is irrelevant, so those rows use k2 = k1).
 * @internal
 */
export function gridFormats(grid: BDRGrid, fn: string): BDRFormat[] {
  const keys = ['k1', 'd1', 'k2', 'd2', 'm'] as const;
  for (const k of keys)
    if (!Array.isArray(grid[k]) || grid[k].length === 0)
      throw new TesseraError('INVALID_ARGUMENT', fn, `grid.${k} must be a non-empty array`, describe(grid[k]));
  const total = keys.reduce((p, k) => p * grid[k].length, 1);
  if (total > SWEEP_LIMITS.maxCandidates)
    throw new TesseraError('INVALID_ARGUMENT', fn, `grid must have at most ${SWEEP_LIMITS.maxCandidates} combinations`, total);
  const out: BDRFormat[] = [];
  const seen = new Set<string>();
  for (const k1 of grid.k1)
    for (const d1 of grid.d1)
      for (const k2 of grid.k2)
        for (const d2 of grid.d2)
          for (const m of grid.m) {
            const k2e = d2 === 0 ? k1 : k2; // with d2 = 0 the sub-block size plays no part
            if (typeof k1 === 'number' && typeof k2e === 'number' && (k2e > k1 || k1 % k2e !== 0)) continue;
            const f = bdrFormat({ k1, d1, k2: k2e, d2, m }); // throws INVALID_ARGUMENT on bad values
            if (seen.has(f.name)) continue;
            seen.add(f.name);
            out.push(f);
          }
  return out;
}

/**
 * Measures every candidate on the same data: QSNR (dB) of its fake quantization, its bits/element, and for BDR
 * candidates the Theorem-1 bound for the data length. Candidates are quantizers (from {@link bdrQuantizer},
 * {@link mxQuantizer}, {@link nvfp4Quantizer}, {@link perTensorQuantizer} or your own) or a {@link BDRGrid}.
 * `sortBy: 'qsnr'` sorts by QSNR descending, `'bits'` by bits ascending then QSNR descending; without it rows keep
 * the candidates' order. Runs on host kernels; about a second per 40 formats on 2^20 values on one core.
 *
 * @throws TesseraError `INVALID_DTYPE` when data is not a Float32Array; `INVALID_ARGUMENT` for empty, all-zero or
 * non-finite data, more than 2^26 values, more than 10,000 candidates, an invalid grid value or sortBy, or a
 * quantizer that returns the wrong length.
 * @example
 * ```ts
 * import { rng } from '@tessera/core';
 * import { BDR_MX6, BDR_MX9, bdrQuantizer, mxQuantizer, sweep } from '@tessera/bdr-formats';
 * const data = rng(1).normalArray(4096);
 * const rows = sweep([bdrQuantizer(BDR_MX9), bdrQuantizer(BDR_MX6), mxQuantizer({ format: 'mxfp8_e4m3' })], data, { sortBy: 'qsnr' });
 * rows[0].name; // → 'BDR_MX9'
 * ```
 */
export function sweep(
  candidates: readonly Quantizer[] | BDRGrid,
  data: Float32Array,
  options: { readonly sortBy?: 'qsnr' | 'bits' } = {},
): SweepRow[] {
  const fn = 'sweep';
  if (!(data instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'data must be a Float32Array', describe(data));
  if (data.length === 0 || data.length > SWEEP_LIMITS.maxValues)
    throw new TesseraError('INVALID_ARGUMENT', fn, `data must hold 1 … ${SWEEP_LIMITS.maxValues} values`, data.length);
  let nonZero = false;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new TesseraError('INVALID_ARGUMENT', fn, 'data must be finite', `${data[i]} at index ${i}`);
    if (data[i] !== 0) nonZero = true;
  }
  if (!nonZero) throw new TesseraError('INVALID_ARGUMENT', fn, 'data must not be all zeros (QSNR is undefined)');
  const sortBy = options?.sortBy;
  if (sortBy !== undefined && sortBy !== 'qsnr' && sortBy !== 'bits')
    throw new TesseraError('INVALID_ARGUMENT', fn, "sortBy must be 'qsnr' or 'bits'", describe(sortBy));
  let qs: readonly Quantizer[];
  if (Array.isArray(candidates)) {
    if (candidates.length > SWEEP_LIMITS.maxCandidates)
      throw new TesseraError('INVALID_ARGUMENT', fn, `at most ${SWEEP_LIMITS.maxCandidates} quantizers`, candidates.length);
    for (const q of candidates)
      if (
        typeof q !== 'object' ||
        q === null ||
        typeof q.fakeQuantize !== 'function' ||
        typeof q.name !== 'string' ||
        typeof q.bitsPerElement !== 'number'
      )
        throw new TesseraError(
          'INVALID_ARGUMENT',
          fn,
          'every candidate must be a Quantizer (name, bitsPerElement, fakeQuantize)',
          describe(q),
        );
    qs = candidates;
  } else if (typeof candidates === 'object' && candidates !== null) {
    qs = gridFormats(candidates as BDRGrid, fn).map((f) => bdrQuantizer(f));
  } else throw new TesseraError('INVALID_ARGUMENT', fn, 'candidates must be an array of quantizers or a BDRGrid', describe(candidates));
  const rows: SweepRow[] = qs.map((q) => {
    const y = q.fakeQuantize(data);
    if (!(y instanceof Float32Array) || y.length !== data.length)
      throw new TesseraError(
        'INVALID_ARGUMENT',
        fn,
        `quantizer '${q.name}' must return a Float32Array of length ${data.length}`,
        describe(y),
      );
    const row: SweepRow = { name: q.name, bitsPerElement: q.bitsPerElement, qsnr: qsnr(data, y) };
    return q.format ? { ...row, bound: qsnrBound(q.format, data.length), format: q.format } : row;
  });
  if (sortBy === 'qsnr') rows.sort((a, b) => b.qsnr - a.qsnr);
  else if (sortBy === 'bits') rows.sort((a, b) => a.bitsPerElement - b.bitsPerElement || b.qsnr - a.qsnr);
  return rows;
}

/**
 * The Pareto-optimal rows: those that no other row beats on both cost and accuracy (fewer or equal bits/element and
 * higher or equal QSNR, one of them strictly). Sorted by bits/element ascending.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when rows is not an array of rows.
 * @example
 * ```ts
 * import { paretoFront } from '@tessera/bdr-formats';
 * paretoFront([
 *   { name: 'a', bitsPerElement: 4, qsnr: 15 },
 *   { name: 'b', bitsPerElement: 6, qsnr: 14 },
 *   { name: 'c', bitsPerElement: 9, qsnr: 46 },
 * ]).map((r) => r.name); // → ['a', 'c']
 * ```
 */
export function paretoFront<R extends SweepRow>(rows: readonly R[]): R[] {
  if (!Array.isArray(rows) || rows.some((r) => typeof r?.bitsPerElement !== 'number' || typeof r?.qsnr !== 'number'))
    throw new TesseraError('INVALID_ARGUMENT', 'paretoFront', 'rows must be an array of { bitsPerElement, qsnr }', describe(rows));
  const front = rows.filter(
    (r) =>
      !rows.some(
        (o) =>
          o !== r && o.bitsPerElement <= r.bitsPerElement && o.qsnr >= r.qsnr && (o.bitsPerElement < r.bitsPerElement || o.qsnr > r.qsnr),
      ),
  );
  return front.sort((a, b) => a.bitsPerElement - b.bitsPerElement || b.qsnr - a.qsnr);
}
