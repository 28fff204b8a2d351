// @tessera/dlrm-model/data — the Node-only part: Criteo TSV files, and the RecD preprocessing pipeline on an
// embedded, in-process DuckDB (`@duckdb/node-api`, no server). RecD (Zhao et al., arXiv 2211.05239 §4) clusters the
// samples of one session next to each other so that a batch holds their duplicated features (deduplicated as an
// IKJT) and so that columnar storage compresses them (RecD reports up to 3.71× smaller data).
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { dedup, type Groups, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { type CriteoReadOptions, type CriteoReadStats, type CriteoRow, readCriteoRows } from '../criteo.js';
import type { DlrmBatch } from '../model.js';

export type { CriteoReadOptions, CriteoReadStats } from '../criteo.js';

/**
 * Streams a Criteo TSV file (Kaggle `train.txt`, a Terabyte `day_N`) row by row with the rules of
 * `parseCriteoTsvLine`; a malformed line throws `CORRUPT_DATA` naming its line and field, or with `skipMalformed`
 * is counted in `stats`.
 *
 * @throws TesseraError `CORRUPT_DATA`, `INVALID_ARGUMENT` (unreadable path).
 * @example
 * ```ts
 * import { readCriteoTsvFile } from '@tessera/dlrm-model/data';
 * // for await (const row of readCriteoTsvFile('train.txt', { skipMalformed: true })) { ... }
 * ```
 */
export function readCriteoTsvFile(path: string, o: CriteoReadOptions = {}, stats?: CriteoReadStats): AsyncGenerator<CriteoRow> {
  if (typeof path !== 'string' || path === '')
    throw new TesseraError('INVALID_ARGUMENT', 'readCriteoTsvFile', 'path must be a non-empty string', path);
  return readCriteoRows(createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>, o, stats);
}

/** How {@link preprocessCriteoToParquet} orders the samples in the Parquet file. */
export type ClusterMode = 'session' | 'random' | 'none';

/** Options of {@link preprocessCriteoToParquet}. */
export interface PreprocessOptions {
  /** Criteo TSV input (label, I1..I13, C1..C26). */
  input: string;
  /** Parquet output; a sidecar `<output>.json` gets the table sizes. */
  output: string;
  /** `'session'` (default): ORDER BY the session columns, then line; `'random'`: a seeded shuffle; `'none'`: line order. */
  clusterBy?: ClusterMode;
  /** Columns that identify a session (default `['C1']`, the user id of the synthetic log). */
  sessionColumns?: readonly string[];
  /** `--max-ind-range`: hashes mod this before re-indexing. */
  maxIndRange?: number;
  /** Seed of the `'random'` order. */
  seed?: number;
  /** Parquet compression (default `'zstd'`). */
  compression?: 'zstd' | 'snappy' | 'uncompressed';
  /** Parquet row-group size (default 122 880, DuckDB's). */
  rowGroupSize?: number;
  /** Skip malformed lines (counted as `skipped`) instead of failing. */
  skipMalformed?: boolean;
}

/** What {@link preprocessCriteoToParquet} did. */
export interface PreprocessResult {
  rows: number;
  skipped: number;
  bytesIn: number;
  bytesOut: number;
  /** First-appearance table sizes C1..C26 (in file order, as the reference's `data_utils.py`). */
  tableSizes: number[];
  featureNames: string[];
  clusterBy: ClusterMode;
}

const INTS = Array.from({ length: 13 }, (_, i) => `I${i + 1}`);
const CATS = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);
/**
 * Largest Parquet row-group size accepted.
 * @example
 * ```ts
 * import { MAX_ROW_GROUP } from '@tessera/dlrm-model/data';
 * MAX_ROW_GROUP; // → 4194304
 * ```
 */
export const MAX_ROW_GROUP = 1 << 22;

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * TSV → Parquet in DuckDB: parses every line with the Criteo rules (empty → 0, negative ints → 0, hex → uint32, mod
 * maxIndRange), re-indexes each categorical column by first appearance in file order, and writes `rid` (0-based
 * sample number in the file), `label`, `I1..I13` (int32) and `C1..C26` (int32 ids) ordered by `clusterBy`. Reports
 * the bytes before and after.
 *
 * @throws TesseraError `CORRUPT_DATA` on a malformed line (DuckDB's message names it) unless `skipMalformed`,
 * `INVALID_ARGUMENT` on bad options or unreadable files.
 * @example
 * ```ts
 * import { preprocessCriteoToParquet } from '@tessera/dlrm-model/data';
 * // const r = await preprocessCriteoToParquet({ input: 'train.tsv', output: 'train.parquet', clusterBy: 'session' });
 * // r.bytesIn / r.bytesOut
 * ```
 */
export async function preprocessCriteoToParquet(o: PreprocessOptions): Promise<PreprocessResult> {
  const fn = 'preprocessCriteoToParquet';
  if (typeof o !== 'object' || o === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', o);
  for (const k of ['input', 'output'] as const)
    if (typeof o[k] !== 'string' || o[k] === '') throw new TesseraError('INVALID_ARGUMENT', fn, `${k} must be a non-empty path`, o[k]);
  const clusterBy = o.clusterBy ?? 'session';
  if (!['session', 'random', 'none'].includes(clusterBy))
    throw new TesseraError('INVALID_ARGUMENT', fn, "clusterBy must be 'session', 'random' or 'none'", clusterBy);
  const sessionColumns = o.sessionColumns ?? ['C1'];
  for (const c of sessionColumns)
    if (![...INTS, ...CATS, 'label'].includes(c))
      throw new TesseraError('INVALID_ARGUMENT', fn, 'sessionColumns must name Criteo columns', c);
  const m = o.maxIndRange ?? 0;
  if (!Number.isInteger(m) || m < -1 || m > 2 ** 32)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'maxIndRange must be an integer in [-1, 2^32]', m);
  const comp = o.compression ?? 'zstd';
  if (!['zstd', 'snappy', 'uncompressed'].includes(comp))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'compression must be zstd, snappy or uncompressed', comp);
  const rg = o.rowGroupSize ?? 122_880;
  if (!Number.isInteger(rg) || rg < 1 || rg > MAX_ROW_GROUP)
    throw new TesseraError('INVALID_ARGUMENT', fn, `rowGroupSize must be in [1, ${MAX_ROW_GROUP}]`, rg);
  const seed = o.seed ?? 0;
  let bytesIn: number;
  try {
    bytesIn = statSync(o.input).size;
  } catch {
    throw new TesseraError('INVALID_ARGUMENT', fn, 'input must be a readable file', o.input);
  }
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const cols = ['label', ...INTS, ...CATS].map((n) => `'${n}': 'VARCHAR'`).join(', ');
    const ignore = o.skipMalformed ? ', ignore_errors = true' : '';
    try {
      await c.run(
        `CREATE TABLE raw AS SELECT row_number() OVER () - 1 AS line, * FROM read_csv(${sqlString(o.input)}, delim = '\t', header = false, quote = '', escape = '', auto_detect = false, null_padding = false, columns = {${cols}}${ignore})`,
      );
    } catch (e) {
      throw new TesseraError('CORRUPT_DATA', fn, `the TSV could not be read: ${(e as Error).message.split('\n')[0]}`, o.input);
    }
    const hex = (n: string) => {
      const v = `coalesce(CAST('0x' || NULLIF(${n}, '') AS UBIGINT), 0)`;
      return m > 0 ? `(${v} % ${m})` : v;
    };
    const intExpr = (n: string) => `greatest(coalesce(CAST(NULLIF(${n}, '') AS INTEGER), 0), 0)`;
    const labelExpr = `CAST(coalesce(NULLIF(label, ''), '0') AS INTEGER)`;
    // Validate: labels 0/1, ints integral, cats 1..8 hex digits, so bad lines fail or are skipped as in the JS reader.
    const labelTry = `TRY_CAST(coalesce(NULLIF(label, ''), '0') AS INTEGER)`;
    const bad = [
      `${labelTry} IS NULL`,
      `${labelTry} NOT IN (0, 1)`,
      ...INTS.map((n) => `(${n} <> '' AND NOT regexp_full_match(${n}, '[+-]?[0-9]{1,10}'))`),
      ...CATS.map((n) => `(${n} <> '' AND NOT regexp_full_match(${n}, '[0-9a-fA-F]{1,8}'))`),
    ].join(' OR ');
    let skipped = 0;
    let badRows: { line: number }[] = [];
    try {
      badRows = (await c.runAndReadAll(`SELECT line FROM raw WHERE ${bad} ORDER BY line`)).getRowObjectsJS() as { line: number }[];
    } catch (e) {
      throw new TesseraError('CORRUPT_DATA', fn, `validation failed: ${(e as Error).message.split('\n')[0]}`, o.input);
    }
    if (badRows.length > 0) {
      if (!o.skipMalformed)
        throw new TesseraError('CORRUPT_DATA', fn, `malformed Criteo line ${Number(badRows[0].line) + 1}`, o.input, {
          line: Number(badRows[0].line) + 1,
        });
      skipped = badRows.length;
      await c.run(`DELETE FROM raw WHERE ${bad}`);
    }
    if (o.skipMalformed) {
      // read_csv's ignore_errors dropped lines with a wrong field count: count the input lines to report them.
      const total = await countLines(o.input);
      const kept = Number((await c.runAndReadAll('SELECT count(*) AS n FROM raw')).getRowObjectsJS()[0].n) + skipped;
      skipped += Math.max(0, total - kept);
    }
    await c.run(
      `CREATE TABLE parsed AS SELECT row_number() OVER (ORDER BY line) - 1 AS rid, ${labelExpr} AS label, ${INTS.map((n) => `${intExpr(n)} AS ${n}`).join(', ')}, ${CATS.map((n) => `${hex(n)} AS ${n}`).join(', ')} FROM raw`,
    );
    // First-appearance ids per column (file order), as data_utils.py.
    for (const n of CATS) {
      await c.run(
        `CREATE TABLE map_${n} AS SELECT ${n} AS h, CAST(row_number() OVER (ORDER BY min(rid)) - 1 AS INTEGER) AS id FROM parsed GROUP BY ${n}`,
      );
    }
    const order =
      clusterBy === 'session'
        ? `${sessionColumns.map((s) => `p.${s}`).join(', ')}, p.rid`
        : clusterBy === 'random'
          ? `hash(p.rid + ${Math.trunc(seed)}), p.rid`
          : 'p.rid';
    const select = `SELECT p.rid::INTEGER AS rid, p.label::TINYINT AS label, ${INTS.map((n) => `p.${n}::INTEGER AS ${n}`).join(', ')}, ${CATS.map((n) => `map_${n}.id AS ${n}`).join(', ')} FROM parsed p ${CATS.map((n) => `JOIN map_${n} ON map_${n}.h = p.${n}`).join(' ')} ORDER BY ${order}`;
    await c.run(`COPY (${select}) TO ${sqlString(o.output)} (FORMAT parquet, COMPRESSION ${comp}, ROW_GROUP_SIZE ${rg})`);
    const sizes = (
      await c.runAndReadAll(`SELECT ${CATS.map((n) => `(SELECT count(*) FROM map_${n}) AS ${n}`).join(', ')}`)
    ).getRowObjectsJS()[0];
    let tableSizes = CATS.map((n) => Number(sizes[n]));
    if (m > 0) tableSizes = tableSizes.map((s) => Math.min(s, m));
    const rows = Number((await c.runAndReadAll('SELECT count(*) AS n FROM parsed')).getRowObjectsJS()[0].n);
    const result: PreprocessResult = {
      rows,
      skipped,
      bytesIn,
      bytesOut: statSync(o.output).size,
      tableSizes,
      featureNames: [...CATS],
      clusterBy,
    };
    writeFileSync(`${o.output}.json`, JSON.stringify(result, null, 1));
    return result;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

async function countLines(path: string): Promise<number> {
  const buf = await readFile(path);
  let n = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
  if (buf.length > 0 && buf[buf.length - 1] !== 10) n++;
  return n;
}

/** Options of {@link readParquetBatches}. */
export interface ParquetBatchOptions {
  /** Samples per batch (the last batch may be smaller); at most 1 << 20. */
  batchSize: number;
  /** `'kjt'` (default) or `'ikjt'` (RecD: deduplicated with `dedup`, see `groups`). */
  format?: 'kjt' | 'ikjt';
  /** IKJT key groups sharing one inverse row (e.g. the session-scoped features). Default: one group per key. */
  groups?: Groups;
  /** Read only rows [offset, offset + limit) of the file order. */
  offset?: number;
  limit?: number;
}

/** One batch read back from Parquet: the model batch plus each sample's `rid` (line number in the source TSV). */
export interface ParquetBatch extends DlrmBatch {
  rid: Int32Array;
}

/**
 * Reads a Parquet file written by {@link preprocessCriteoToParquet} back as batches, in file order: dense =
 * ln(1 + I) [B, 13], labels [B, 1], and C1..C26 as a KJT (one id per bag) or an IKJT. The caller disposes each
 * batch (`disposeBatch`).
 *
 * @throws TesseraError `INVALID_ARGUMENT` on bad options or an unreadable file.
 * @example
 * ```ts
 * import { readParquetBatches } from '@tessera/dlrm-model/data';
 * // for await (const b of readParquetBatches('train.parquet', { batchSize: 2048, format: 'ikjt' })) { ... }
 * ```
 */
export async function* readParquetBatches(path: string, o: ParquetBatchOptions): AsyncGenerator<ParquetBatch> {
  const fn = 'readParquetBatches';
  if (typeof path !== 'string' || path === '') throw new TesseraError('INVALID_ARGUMENT', fn, 'path must be a non-empty string', path);
  const B = o?.batchSize;
  if (!Number.isInteger(B) || B < 1 || B > 1 << 20)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'batchSize must be an integer in [1, 2^20]', B);
  const format = o.format ?? 'kjt';
  if (format !== 'kjt' && format !== 'ikjt') throw new TesseraError('INVALID_ARGUMENT', fn, "format must be 'kjt' or 'ikjt'", format);
  const offset = o.offset ?? 0;
  const limit = o.limit;
  if (!Number.isInteger(offset) || offset < 0) throw new TesseraError('INVALID_ARGUMENT', fn, 'offset must be an integer >= 0', offset);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'limit must be an integer >= 0', limit);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const cols = ['rid', 'label', ...INTS, ...CATS];
    let res: Awaited<ReturnType<typeof c.stream>>;
    try {
      res = await c.stream(
        `SELECT ${cols.join(', ')} FROM read_parquet(${sqlString(path)}) ORDER BY file_row_number${limit !== undefined ? ` LIMIT ${limit}` : ''} OFFSET ${offset}`,
      );
    } catch (e) {
      throw new TesseraError('INVALID_ARGUMENT', fn, `cannot read the Parquet file: ${(e as Error).message.split('\n')[0]}`, path);
    }
    let pending: number[][] = cols.map(() => []);
    const flush = (n: number): ParquetBatch => {
      const take = pending.map((a) => a.slice(0, n));
      pending = pending.map((a) => a.slice(n));
      return makeBatch(take, n, format, o.groups);
    };
    for (;;) {
      const ch = await res.fetchChunk();
      if (!ch || ch.rowCount === 0) break;
      for (let j = 0; j < cols.length; j++) {
        const v = ch.getColumnValues(j) as number[];
        const dst = pending[j];
        for (let i = 0; i < v.length; i++) dst.push(Number(v[i]));
      }
      while (pending[0].length >= B) yield flush(B);
    }
    if (pending[0].length > 0) yield flush(pending[0].length);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

function makeBatch(cols: number[][], B: number, format: 'kjt' | 'ikjt', groups: Groups | undefined): ParquetBatch {
  const rid = Int32Array.from(cols[0]);
  const labels = Float32Array.from(cols[1]);
  const dense = new Float32Array(B * 13);
  for (let i = 0; i < 13; i++) {
    const col = cols[2 + i];
    for (let b = 0; b < B; b++) dense[b * 13 + i] = Math.fround(Math.log(Math.fround(col[b]) + 1));
  }
  const values = new Int32Array(B * 26);
  for (let k = 0; k < 26; k++) values.set(cols[15 + k], k * B);
  const kjt = KeyedJaggedTensor.fromLengths({ keys: CATS, values: tf.tensor1d(values, 'int32'), lengths: new Int32Array(B * 26).fill(1) });
  let sparse: KeyedJaggedTensor = kjt;
  if (format === 'ikjt') {
    sparse = dedup(kjt, { groups: groups ?? [] });
    kjt.dispose();
  }
  return { rid, dense: tf.tensor2d(dense, [B, 13]), labels: tf.tensor2d(labels, [B, 1]), sparse };
}

export { runCli } from '../cli.js';
