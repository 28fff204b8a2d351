// Shard sizes and offsets (pytorch/torchrec torchrec/distributed/sharding_plan.py `calculate_shard_sizes_and_offsets`).
import { PLANNER_CONSTANTS as K } from './constants.js';
import { checkInt, fail } from './errors.js';
import { SHARDING_TYPES, type ShardingType } from './types.js';

/** Options of {@link shardGeometry}. */
export interface GeometryOptions {
  worldSize: number;
  localWorldSize: number;
  /** Column-wise block lower bound; `0` or unset = 128 (torchrec `MIN_CW_DIM`). */
  minPartition?: number;
  /** Per-rank memory sizes for uneven row-wise splits (length `worldSize`). */
  deviceMemorySizes?: readonly number[];
  /** ZCH buckets for row-wise sharding (`rows % numBuckets` must be 0). */
  numBuckets?: number;
}

/** Rows are JS numbers: at most 2⁵³ − 1. */
const MAX_ROWS = Number.MAX_SAFE_INTEGER;
const MAX_SHARDS = 1 << 20;

/**
 * Shard sizes and offsets (`[rows, cols]` each) of an `[rows, cols]` table under a sharding type, exactly as torchrec
 * computes them: DP → `worldSize` full copies; TW → one; RW over `worldSize` and TWRW over `localWorldSize` ranks with
 * block `⌈R/N⌉` (trailing shards short or empty); uneven RW by memory share `⌊nb·m_r/Σm⌋·bucketSize`; ZCH buckets;
 * CW/TWCW column blocks of the smallest divisor of C in `[minPartition, C)` that is a multiple of 4 (else C); GRID =
 * column blocks × TWRW row blocks, column block first.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (rows/cols not positive integers, unknown type, `rows % numBuckets ≠ 0`,
 * bad memory sizes).
 * @example
 * ```ts
 * import { shardGeometry } from '@tessera/embedding-sharding';
 * shardGeometry(10, 64, 'row_wise', { worldSize: 4, localWorldSize: 4 }).sizes.map((s) => s[0]); // → [3, 3, 3, 1]
 * shardGeometry(10, 256, 'column_wise', { worldSize: 4, localWorldSize: 4 }).offsets; // → [[0, 0], [0, 128]]
 * ```
 */
export function shardGeometry(
  rows: number,
  cols: number,
  type: ShardingType,
  o: GeometryOptions,
): { sizes: [number, number][]; offsets: [number, number][] } {
  const fn = 'shardGeometry';
  checkInt(rows, fn, 'rows', 1, MAX_ROWS);
  checkInt(cols, fn, 'cols', 1, 1 << 20);
  if (!SHARDING_TYPES.includes(type)) fail('INVALID_ARGUMENT', fn, `type must be one of ${SHARDING_TYPES.join(', ')}`, type);
  if (o === null || typeof o !== 'object') fail('INVALID_ARGUMENT', fn, 'options must be an object', o);
  const W = checkInt(o.worldSize, fn, 'worldSize', 1, MAX_SHARDS);
  const L = checkInt(o.localWorldSize, fn, 'localWorldSize', 1, MAX_SHARDS);
  const minPartition = o.minPartition ? checkInt(o.minPartition, fn, 'minPartition', 1, 1 << 30) : undefined;
  const nb = o.numBuckets === undefined || o.numBuckets === null ? undefined : checkInt(o.numBuckets, fn, 'numBuckets', 1, MAX_ROWS);
  switch (type) {
    case 'data_parallel': {
      // one shared [R, C] / [0, 0] pair repeated W times, as torchrec's `[[rows, columns]] * world_size`
      const size: [number, number] = [rows, cols];
      const zero: [number, number] = [0, 0];
      return { sizes: new Array(W).fill(size), offsets: new Array(W).fill(zero) };
    }
    case 'table_wise':
      return { sizes: [[rows, cols]], offsets: [[0, 0]] };
    case 'row_wise':
      if (o.deviceMemorySizes && o.deviceMemorySizes.length > 0) return unevenRw(fn, rows, W, cols, o.deviceMemorySizes, nb);
      return rw(fn, rows, W, cols, nb);
    case 'table_row_wise':
      return rw(fn, rows, L, cols, undefined);
    case 'column_wise':
    case 'table_column_wise':
      return cw(cols, rows, minPartition);
    case 'grid_shard': {
      const r = rw(fn, rows, L, cols, undefined);
      const blk = cwBlockSize(cols, minPartition);
      const n = Math.floor(cols / blk);
      const sizes: [number, number][] = [];
      const offsets: [number, number][] = [];
      for (let c = 0; c < n; c++) {
        for (let i = 0; i < r.sizes.length; i++) {
          sizes.push([r.sizes[i][0], blk]);
          offsets.push([r.offsets[i][0], blk * c]);
        }
      }
      return { sizes, offsets };
    }
  }
}

function cumulativeOffsets(sizes: [number, number][]): [number, number][] {
  const offsets: [number, number][] = [[0, 0]];
  for (let i = 0; i < sizes.length - 1; i++) offsets.push([sizes[i][0] + offsets[i][0], 0]);
  return offsets;
}

function rw(fn: string, R: number, N: number, C: number, nb: number | undefined) {
  const sizes: [number, number][] = [];
  if (nb) {
    if (R % nb !== 0) fail('INVALID_ARGUMENT', fn, `rows must be divisible by numBuckets (${nb})`, R);
    const bucket = R / nb;
    const per = Math.floor(nb / N);
    const extra = nb % N;
    for (let r = 0; r < N; r++) sizes.push([bucket * (r < extra ? per + 1 : per), C]);
  } else {
    const blk = Math.ceil(R / N);
    const last = Math.floor(R / blk);
    const lastBlk = R - blk * last;
    for (let r = 0; r < N; r++) sizes.push([r < last ? blk : r === last ? lastBlk : 0, C]);
  }
  return { sizes, offsets: cumulativeOffsets(sizes) };
}

function unevenRw(fn: string, R: number, N: number, C: number, mem: readonly number[], nb: number | undefined) {
  if (mem.length !== N) fail('INVALID_ARGUMENT', fn, `deviceMemorySizes must have worldSize (${N}) entries`, mem.length);
  let total = 0;
  for (const m of mem) {
    if (typeof m !== 'number' || !(m >= 0) || !Number.isFinite(m))
      fail('INVALID_ARGUMENT', fn, 'deviceMemorySizes must be finite and ≥ 0', m);
    total += m;
  }
  if (!(total > 0)) fail('INVALID_ARGUMENT', fn, 'deviceMemorySizes must not sum to 0', total);
  let buckets = R;
  let bucketSize = 1;
  if (nb !== undefined) {
    if (R % nb !== 0) fail('INVALID_ARGUMENT', fn, `rows must be divisible by numBuckets (${nb})`, R);
    buckets = nb;
    bucketSize = R / nb;
  }
  const sizes: [number, number][] = [];
  let done = 0;
  for (let r = 0; r < N; r++) {
    if (r < N - 1) {
      const local = Math.trunc(buckets * (mem[r] / total)) * bucketSize;
      done += local;
      sizes.push([local, C]);
    } else sizes.push([R - done, C]);
  }
  return { sizes, offsets: cumulativeOffsets(sizes) };
}

function findBaseDim(lb: number, dim: number): number {
  for (let i = lb; i < dim; i++) if (dim % i === 0 && i % 4 === 0) return i;
  return dim;
}

/** Column block of CW/TWCW/GRID shards (torchrec `_get_block_size_for_cw_shard`). @internal */
export function cwBlockSize(cols: number, minPartition: number | undefined): number {
  let blk = Math.min(findBaseDim(minPartition ? minPartition : K.MIN_CW_DIM, cols), cols);
  if (cols % blk !== 0) blk = cols;
  return blk;
}

function cw(C: number, R: number, minPartition: number | undefined) {
  const blk = cwBlockSize(C, minPartition);
  const n = Math.floor(C / blk);
  const sizes: [number, number][] = [];
  const offsets: [number, number][] = [];
  for (let j = 0; j < n; j++) {
    sizes.push([R, blk]);
    offsets.push([0, blk * j]);
  }
  return { sizes, offsets };
}
