// Criteo Kaggle/Terabyte click logs, as facebookresearch/dlrm `data_utils.py` reads them: a line is
// `label \t I1..I13 \t C1..C26`; an empty field becomes "0"; ints are clamped at 0; categoricals are 32-bit hex
// hashes, re-indexed per column to 0..count−1 in order of first appearance over the whole file (or, our option,
// `hash mod tableSize`); dense features are ln(1 + x) in float32. The Kaggle day split is `divmod(total, 7)`.
// Everything here is browser-safe; the file readers live in `@tessera/dlrm-model/data`.
import * as tf from '@tensorflow/tfjs-core';
import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { fail } from './errors.js';
import type { DlrmBatch } from './model.js';

/**
 * Dense (integer) columns of a Criteo line.
 * @example
 * ```ts
 * import { CRITEO_INT_COLUMNS } from '@tessera/dlrm-model';
 * CRITEO_INT_COLUMNS; // → 13
 * ```
 */
export const CRITEO_INT_COLUMNS = 13;
/**
 * Categorical columns of a Criteo line.
 * @example
 * ```ts
 * import { CRITEO_CAT_COLUMNS } from '@tessera/dlrm-model';
 * CRITEO_CAT_COLUMNS; // → 26
 * ```
 */
export const CRITEO_CAT_COLUMNS = 26;
/**
 * Feature names C1…C26 of the categorical columns.
 * @example
 * ```ts
 * import { CRITEO_FEATURE_NAMES } from '@tessera/dlrm-model';
 * CRITEO_FEATURE_NAMES[0]; // → 'C1'
 * ```
 */
export const CRITEO_FEATURE_NAMES: readonly string[] = Object.freeze(Array.from({ length: 26 }, (_, i) => `C${i + 1}`));
/** Longest line accepted (bytes of text); a longer one is malformed. */
export const MAX_LINE_LENGTH = 1 << 16;

/** One parsed Criteo sample. */
export interface CriteoRow {
  label: 0 | 1;
  /** I1..I13 (missing → 0, negatives → 0). */
  ints: Int32Array;
  /** C1..C26 as uint32 hashes (missing → 0), reduced `% maxIndRange` when that is > 0. */
  cats: Uint32Array;
}

/** Options of {@link parseCriteoTsvLine}. */
export interface CriteoParseOptions {
  /** `--max-ind-range`: hashes are reduced modulo this when > 0. */
  maxIndRange?: number;
  /** Line number (1-based) named in error messages. */
  lineNumber?: number;
}

const HEX = /^[0-9a-fA-F]{1,8}$/;
const INT = /^[+-]?\d+$/;
const FLOAT_INT = /^[+-]?\d+(\.\d*)?$/;

function where(o: CriteoParseOptions | undefined, col: string): string {
  return o?.lineNumber !== undefined ? `line ${o.lineNumber}, field ${col}` : `field ${col}`;
}

function fieldName(i: number): string {
  return i === 0 ? 'label' : i <= 13 ? `I${i}` : `C${i - 13}`;
}

function checkMaxInd(fn: string, m: unknown): number {
  if (m === undefined) return 0;
  if (typeof m !== 'number' || !Number.isInteger(m) || m < -1 || m > 2 ** 32)
    fail('INVALID_ARGUMENT', fn, 'maxIndRange must be an integer in [-1, 2^32]', m);
  return m > 0 ? m : 0;
}

function parseFields(fn: string, fields: string[], o: CriteoParseOptions | undefined, intsAsFloats: boolean): CriteoRow {
  if (fields.length !== 40)
    fail('CORRUPT_DATA', fn, `a Criteo line must have 40 fields (${where(o, 'count')})`, fields.length, { line: o?.lineNumber });
  const m = checkMaxInd(fn, o?.maxIndRange);
  const lab = fields[0] === '' ? '0' : fields[0];
  if (lab !== '0' && lab !== '1')
    fail('CORRUPT_DATA', fn, `the label must be 0 or 1 (${where(o, 'label')})`, lab, { line: o?.lineNumber, field: 'label' });
  const ints = new Int32Array(13);
  for (let i = 0; i < 13; i++) {
    const s = fields[1 + i];
    if (s === '') continue;
    if (!(intsAsFloats ? FLOAT_INT : INT).test(s))
      fail('CORRUPT_DATA', fn, `${fieldName(1 + i)} must be an integer (${where(o, fieldName(1 + i))})`, s, {
        line: o?.lineNumber,
        field: fieldName(1 + i),
      });
    const v = Math.trunc(Number(s));
    if (!(Math.abs(v) <= 2147483647))
      fail('CORRUPT_DATA', fn, `${fieldName(1 + i)} must fit in int32 (${where(o, fieldName(1 + i))})`, s, {
        line: o?.lineNumber,
        field: fieldName(1 + i),
      });
    ints[i] = v < 0 ? 0 : v;
  }
  const cats = new Uint32Array(26);
  for (let i = 0; i < 26; i++) {
    const s = fields[14 + i];
    if (s === '') continue;
    if (!HEX.test(s))
      fail('CORRUPT_DATA', fn, `${fieldName(14 + i)} must be up to 8 hex digits (${where(o, fieldName(14 + i))})`, s, {
        line: o?.lineNumber,
        field: fieldName(14 + i),
      });
    const v = Number.parseInt(s, 16);
    cats[i] = m > 0 ? v % m : v;
  }
  return { label: lab === '1' ? 1 : 0, ints, cats };
}

/**
 * Parses one Criteo TSV line (`label \t I1..I13 \t C1..C26`, trailing `\n`/`\r\n` stripped): empty → 0, negative ints
 * → 0, hex categoricals → uint32 (mod `maxIndRange` when > 0).
 *
 * @throws TesseraError `CORRUPT_DATA` naming the line (when `lineNumber` is given) and the field: wrong field count,
 * label not 0/1, a non-integer int, a categorical that is not 1–8 hex digits, a line over 65 536 characters;
 * `INVALID_ARGUMENT` for a bad `maxIndRange`.
 * @example
 * ```ts
 * import { parseCriteoTsvLine } from '@tessera/dlrm-model';
 * const line = ['1', '5', '', '-2', ...Array(10).fill('1'), '68fd1e64', ...Array(25).fill('')].join('\t');
 * const row = parseCriteoTsvLine(line);
 * row.label; // → 1
 * Array.from(row.ints.slice(0, 3)); // → [5, 0, 0]
 * row.cats[0]; // → 1761418852
 * ```
 */
export function parseCriteoTsvLine(line: string, o: CriteoParseOptions = {}): CriteoRow {
  const fn = 'parseCriteoTsvLine';
  if (typeof line !== 'string') fail('INVALID_ARGUMENT', fn, 'line must be a string', line);
  if (line.length > MAX_LINE_LENGTH)
    fail('CORRUPT_DATA', fn, `a line must be at most ${MAX_LINE_LENGTH} characters (${where(o, 'length')})`, line.length);
  let s = line;
  if (s.endsWith('\n')) s = s.slice(0, -1);
  if (s.endsWith('\r')) s = s.slice(0, -1);
  return parseFields(fn, s.split('\t'), o, false);
}

/**
 * Parses the DeepCTR `criteo_sample.txt` CSV (header `label,I1..I13,C1..C26`, comma-separated, ints written as floats
 * such as `260.0`, truncated) into rows with the same rules as {@link parseCriteoTsvLine}.
 *
 * @throws TesseraError `CORRUPT_DATA` (bad header, malformed line, naming its line number).
 * @example
 * ```ts
 * import { parseDeepCtrCsv } from '@tessera/dlrm-model';
 * const header = ['label', ...Array.from({ length: 13 }, (_, i) => `I${i + 1}`), ...Array.from({ length: 26 }, (_, i) => `C${i + 1}`)].join(',');
 * const rows = parseDeepCtrCsv(`${header}\n0,,3,260.0${',0'.repeat(10)},05db9164${','.repeat(25)}\n`);
 * rows[0].ints[2]; // → 260
 * ```
 */
export function parseDeepCtrCsv(text: string): CriteoRow[] {
  const fn = 'parseDeepCtrCsv';
  if (typeof text !== 'string') fail('INVALID_ARGUMENT', fn, 'text must be a string', text);
  const lines = text.split(/\r?\n/);
  const header = lines[0].split(',');
  if (header.length !== 40 || header[0] !== 'label' || header[1] !== 'I1' || header[14] !== 'C1')
    fail('CORRUPT_DATA', fn, 'the header must be label,I1..I13,C1..C26', lines[0].slice(0, 40));
  const rows: CriteoRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '' && i === lines.length - 1) break;
    rows.push(parseFields(fn, lines[i].split(','), { lineNumber: i + 1 }, true));
  }
  return rows;
}

/**
 * `data_utils.py`'s per-column re-indexing: each categorical column maps its hashes to 0..count−1 in order of first
 * appearance (`observe` every row of the file first, then `index`; or `observeAndIndex` in one pass).
 *
 * @example
 * ```ts
 * import { FirstAppearanceIndexer } from '@tessera/dlrm-model';
 * const ix = new FirstAppearanceIndexer();
 * const row = { label: 0 as const, ints: new Int32Array(13), cats: new Uint32Array(26).fill(7) };
 * ix.observe(row);
 * ix.tableSizes()[0]; // → 1
 * ```
 */
export class FirstAppearanceIndexer {
  private readonly maps: Map<number, number>[];
  private readonly maxIndRange: number;

  /** @param o - `maxIndRange` > 0 caps each table size at it (the reference's `min(count, max_ind_range)`). */
  constructor(o: { columns?: number; maxIndRange?: number } = {}) {
    const cols = o.columns ?? CRITEO_CAT_COLUMNS;
    if (!Number.isInteger(cols) || cols < 1 || cols > 4096)
      fail('INVALID_ARGUMENT', 'FirstAppearanceIndexer', 'columns must be in [1, 4096]', cols);
    this.maps = Array.from({ length: cols }, () => new Map());
    this.maxIndRange = checkMaxInd('FirstAppearanceIndexer', o.maxIndRange);
  }

  /** Records the hashes of a row. @example `ix.observe(row)` */
  observe(r: CriteoRow): void {
    const c = r.cats;
    if (c.length !== this.maps.length)
      fail('INVALID_SHAPE', 'FirstAppearanceIndexer.observe', `a row must have ${this.maps.length} categoricals`, c.length);
    for (let k = 0; k < c.length; k++) {
      const m = this.maps[k];
      if (!m.has(c[k])) m.set(c[k], m.size);
    }
  }

  /** The ids of an observed row. @throws TesseraError `INVALID_KEY` for a hash never observed. @example `ix.index(row)` */
  index(r: CriteoRow): Int32Array {
    const out = new Int32Array(this.maps.length);
    for (let k = 0; k < out.length; k++) {
      const v = this.maps[k].get(r.cats[k]);
      if (v === undefined) fail('INVALID_KEY', 'FirstAppearanceIndexer.index', `hash of C${k + 1} was never observed`, r.cats[k]);
      out[k] = v;
    }
    return out;
  }

  /** Observes then indexes (one pass over a stream). @example `ix.observeAndIndex(row)` */
  observeAndIndex(r: CriteoRow): Int32Array {
    this.observe(r);
    return this.index(r);
  }

  /** `ln_emb`: distinct values per column (capped at maxIndRange when set). @example `ix.tableSizes()` */
  tableSizes(): number[] {
    return this.maps.map((m) => (this.maxIndRange > 0 ? Math.min(m.size, this.maxIndRange) : m.size));
  }
}

/**
 * Stateless ids `hash mod tableSizes[k]` (our `categorical: 'modulo'` option, not in the reference): streams without
 * a first pass.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when tableSizes does not hold 26 positive integers.
 * @example
 * ```ts
 * import { moduloIds } from '@tessera/dlrm-model';
 * const row = { label: 0 as const, ints: new Int32Array(13), cats: new Uint32Array(26).fill(10) };
 * moduloIds(row, Array(26).fill(4))[0]; // → 2
 * ```
 */
export function moduloIds(r: CriteoRow, tableSizes: readonly number[]): Int32Array {
  if (typeof r !== 'object' || r === null || !(r.cats instanceof Uint32Array))
    fail('INVALID_ARGUMENT', 'moduloIds', 'r must be a CriteoRow (cats: Uint32Array)', r);
  if (!Array.isArray(tableSizes) || tableSizes.length !== r.cats.length || tableSizes.some((n) => !Number.isInteger(n) || n < 1))
    fail('INVALID_ARGUMENT', 'moduloIds', `tableSizes must be ${r.cats.length} positive integers`, tableSizes);
  const out = new Int32Array(r.cats.length);
  for (let k = 0; k < out.length; k++) out[k] = r.cats[k] % tableSizes[k];
  return out;
}

/**
 * The Kaggle split of `data_utils.py`: `q, r = divmod(total, 7)`, days 0..r−1 get q + 1 rows; train = days 0–5; day 6
 * is halved with `array_split`: test = its first half (the extra row when odd), val = the second. Ranges are
 * [start, end) row indices.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when total is not a non-negative integer.
 * @example
 * ```ts
 * import { kaggleDaySplit } from '@tessera/dlrm-model';
 * kaggleDaySplit(200).test; // → [172, 186]
 * ```
 */
export function kaggleDaySplit(total: number): { days: number[]; train: [number, number]; test: [number, number]; val: [number, number] } {
  if (!Number.isInteger(total) || total < 0) fail('INVALID_ARGUMENT', 'kaggleDaySplit', 'total must be an integer >= 0', total);
  const q = Math.floor(total / 7);
  const r = total % 7;
  const days = Array.from({ length: 7 }, (_, d) => (d < r ? q + 1 : q));
  const trainEnd = days.slice(0, 6).reduce((a, b) => a + b, 0);
  const half = Math.ceil(days[6] / 2);
  return { days, train: [0, trainEnd], test: [trainEnd, trainEnd + half], val: [trainEnd + half, total] };
}

/** ln(1 + x) in float32, computed as `log(float32(x) + 1)` (`data_utils.py`). @internal */
export function denseTransform(x: number): number {
  return Math.fround(Math.log(Math.fround(x) + 1));
}

/**
 * A {@link DlrmBatch} from parsed rows and their ids: dense = ln(1 + ints) [B, 13], one id per bag for each feature
 * (the reference's `collate_wrapper_criteo_offset`), labels [B, 1]. The caller owns the tensors.
 *
 * @throws TesseraError `INVALID_ARGUMENT`/`INVALID_SHAPE` on mismatched inputs.
 * @example
 * ```ts
 * import { initBackend } from '@tessera/core';
 * import { criteoBatch, CRITEO_FEATURE_NAMES, disposeBatch } from '@tessera/dlrm-model';
 * await initBackend();
 * const row = { label: 1 as const, ints: new Int32Array(13).fill(1), cats: new Uint32Array(26) };
 * const b = criteoBatch([row], [new Int32Array(26)], CRITEO_FEATURE_NAMES);
 * b.dense.shape; // → [1, 13]
 * disposeBatch(b);
 * ```
 */
export function criteoBatch(rows: readonly CriteoRow[], ids: readonly Int32Array[], featureNames: readonly string[]): DlrmBatch {
  const fn = 'criteoBatch';
  if (!Array.isArray(rows) || !Array.isArray(ids) || rows.length !== ids.length)
    fail('INVALID_SHAPE', fn, 'rows and ids must be arrays of equal length', `${rows?.length} vs ${ids?.length}`);
  const F = featureNames.length;
  const B = rows.length;
  const dense = new Float32Array(B * 13);
  const labels = new Float32Array(B);
  const values = new Int32Array(B * F);
  for (let b = 0; b < B; b++) {
    const r = rows[b];
    if (r.ints.length !== 13) fail('INVALID_SHAPE', fn, 'each row must have 13 ints', r.ints.length);
    if (ids[b].length !== F) fail('INVALID_SHAPE', fn, `ids[${b}] must have ${F} entries (one per feature)`, ids[b].length);
    for (let i = 0; i < 13; i++) dense[b * 13 + i] = denseTransform(r.ints[i]);
    labels[b] = r.label;
    for (let k = 0; k < F; k++) values[k * B + b] = ids[b][k];
  }
  return {
    dense: tf.tensor2d(dense, [B, 13]),
    labels: tf.tensor2d(labels, [B, 1]),
    sparse: KeyedJaggedTensor.fromLengths({
      keys: featureNames,
      values: tf.tensor1d(values, 'int32'),
      lengths: new Int32Array(B * F).fill(1),
    }),
  };
}

/** Options of {@link readCriteoRows}. */
export interface CriteoReadOptions {
  maxIndRange?: number;
  /** Skip malformed lines (counted in `stats.skipped`, with the first few errors) instead of throwing. */
  skipMalformed?: boolean;
}

/** Counters filled while {@link readCriteoRows} runs. */
export interface CriteoReadStats {
  lines: number;
  rows: number;
  skipped: number;
  /** Messages of the first 10 skipped lines. */
  errors: string[];
}

/**
 * Streams Criteo TSV text (chunks of a file, split at any point) into rows, line by line. Blank lines are ignored.
 * A malformed line throws `CORRUPT_DATA` naming its line number and field, or with `skipMalformed` is counted in
 * `stats` and skipped; no good line is lost either way.
 *
 * @throws TesseraError `CORRUPT_DATA` (malformed line without `skipMalformed`), `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { readCriteoRows } from '@tessera/dlrm-model';
 * const good = ['0', ...Array(13).fill('1'), ...Array(26).fill('a')].join('\t');
 * const stats = { lines: 0, rows: 0, skipped: 0, errors: [] as string[] };
 * const rows = [];
 * for await (const r of readCriteoRows([good + '\nbad line\n' + good], { skipMalformed: true }, stats)) rows.push(r);
 * rows.length; // → 2
 * stats.skipped; // → 1
 * ```
 */
export async function* readCriteoRows(
  chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  o: CriteoReadOptions = {},
  stats: CriteoReadStats = { lines: 0, rows: 0, skipped: 0, errors: [] },
): AsyncGenerator<CriteoRow> {
  const decoder = new TextDecoder();
  let rest = '';
  const handle = (line: string): CriteoRow | null => {
    stats.lines += 1;
    if (line === '' || line === '\r') return null;
    try {
      const r = parseCriteoTsvLine(line, { maxIndRange: o.maxIndRange, lineNumber: stats.lines });
      stats.rows += 1;
      return r;
    } catch (e) {
      if (!o.skipMalformed) throw e;
      stats.skipped += 1;
      if (stats.errors.length < 10) stats.errors.push((e as Error).message);
      return null;
    }
  };
  let dropping = false; // inside an over-long line already reported
  for await (const c of chunks as AsyncIterable<string | Uint8Array>) {
    rest += typeof c === 'string' ? c : decoder.decode(c, { stream: true });
    let start = 0;
    let nl = rest.indexOf('\n');
    if (dropping) {
      if (nl < 0) {
        rest = '';
        continue;
      }
      dropping = false;
      start = nl + 1;
      nl = rest.indexOf('\n', start);
    }
    while (nl >= 0) {
      const r = handle(rest.slice(start, nl));
      if (r) yield r;
      start = nl + 1;
      nl = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
    if (rest.length > MAX_LINE_LENGTH) {
      // A line this long is malformed: report it once and drop it up to its end.
      const r = handle(rest);
      if (r) yield r;
      rest = '';
      dropping = true;
    }
  }
  rest += decoder.decode();
  if (rest !== '') {
    const r = handle(rest);
    if (r) yield r;
  }
}
