// Benchmark table sets: Criteo 1TB and MLPerf DLRMv2 cardinalities (pytorch/torchrec benchmarks/README.md,
// facebookresearch/dlrm torchrec_dlrm/README.MD and scripts/materialize_synthetic_multihot_dataset.py), and a seeded
// synthetic generator shaped like the 856-table set of facebookresearch/dlrm_datasets.
import { rng } from '@tessera/core';
import { checkInt, checkNumber } from './errors.js';
import type { Constraints, TableSpec } from './types.js';

const CRITEO_1TB_ROWS = [
  45833188, 36746, 17245, 7413, 20243, 3, 7114, 1441, 62, 29275261, 1572176, 345138, 10, 2209, 11267, 128, 4, 974, 14, 48937457, 11316796,
  40094537, 452104, 12606, 104, 35,
];
const DLRMV2_ROWS = [
  40000000, 39060, 17295, 7424, 20265, 3, 7122, 1543, 63, 40000000, 3067956, 405282, 10, 2209, 11938, 155, 4, 976, 14, 40000000, 40000000,
  40000000, 590152, 12973, 108, 36,
];
const DLRMV2_POOLING = [3, 2, 1, 2, 6, 1, 1, 1, 1, 7, 3, 8, 1, 6, 9, 5, 1, 1, 1, 12, 100, 27, 10, 3, 1, 1];

/** Reuse statistics of one sampled batch of a table (AutoShard `gen_dlrm_data.py` features). */
export interface TableSampleStats {
  /** Ids drawn (batch × pooling factor). */
  lookups: number;
  /** Distinct ids among them. */
  uniqueIds: number;
  /** 17 bins: fraction of distinct ids drawn (0,1], (1,2], (2,4], …, (2^14, 2^15], (2^15, ∞) times. */
  reuseHistogram: number[];
}

/** A table set plus the per-table constraints carrying its pooling factors. */
export interface TableSet {
  tables: TableSpec[];
  constraints: Record<string, Constraints>;
  /** Per table (by name), when `sampleBatch` was given. */
  stats?: Record<string, TableSampleStats>;
}

const mk = (rows: number[], pf: number[] | null, dim: number, modulePath: string): TableSet => {
  const tables = rows.map((r, i) => ({
    modulePath,
    name: `t_cat_${i}`,
    rows: r,
    dim,
    elementBytes: 4,
    moduleKind: 'pooled' as const,
    featureNames: [`cat_${i}`],
  }));
  const constraints: Record<string, Constraints> = {};
  if (pf) {
    tables.forEach((t, i) => {
      constraints[t.name] = { poolingFactors: [pf[i]] };
    });
  }
  return { tables, constraints };
};

/**
 * The 26 Criteo 1TB categorical tables (dim 128, fp32, pooling factor 1), 177,944,275 rows in all.
 *
 * @example
 * ```ts
 * import { criteo1tbTables } from '@tessera/embedding-sharding';
 * criteo1tbTables().tables.length; // → 26
 * ```
 */
export function criteo1tbTables(o: { dim?: number; modulePath?: string } = {}): TableSet {
  return mk(CRITEO_1TB_ROWS, null, o.dim ?? 128, o.modulePath ?? 'sparse_arch.embedding_bag_collection');
}

/**
 * The 26 MLPerf DLRMv2 tables (dim 128, fp32) with their multi-hot sizes as pooling factors (Σ 214), 204,184,588 rows.
 *
 * @example
 * ```ts
 * import { dlrmV2Tables } from '@tessera/embedding-sharding';
 * const { tables, constraints } = dlrmV2Tables();
 * constraints[tables[20].name].poolingFactors; // → [100]
 * ```
 */
export function dlrmV2Tables(o: { dim?: number; modulePath?: string } = {}): TableSet {
  return mk(DLRMV2_ROWS, DLRMV2_POOLING, o.dim ?? 128, o.modulePath ?? 'sparse_arch.embedding_bag_collection');
}

/** Options of {@link generateTableSet}. */
export interface TableSetOptions {
  count?: number;
  seed?: number;
  /** Fraction of tables made unpooled (sequence) tables. */
  sequenceFraction?: number;
  minRows?: number;
  maxRows?: number;
  modulePath?: string;
  /** Draw one batch of this many samples per table (Zipf ids) and report unique counts and reuse histograms. */
  sampleBatch?: number;
}

/** AutoShard's 17-bin reuse histogram of one batch of ids. @internal */
export function reuseHistogram(ids: Int32Array): { unique: number; hist: number[] } {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const hist = new Array<number>(17).fill(0);
  for (const c of counts.values()) {
    let b = 0;
    while (b < 16 && c > 2 ** b) b++;
    hist[b]++;
  }
  const u = counts.size;
  return { unique: u, hist: hist.map((h) => (u > 0 ? h / u : 0)) };
}

/**
 * A seeded synthetic table set shaped like the 856-table DLRM dataset: rows log-uniform in [1e2, 1e8], dim uniform in
 * {16, 32, 64, 128}, pooling factor an integer log-uniform in [1, 100], Zipf access with exponent in [1.0, 1.2].
 * With `sampleBatch`, one batch of Zipf ids per table gives its distinct-id count and AutoShard's 17-bin reuse
 * histogram.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (count not in [1, 100000], fraction outside [0, 1]).
 * @example
 * ```ts
 * import { generateTableSet } from '@tessera/embedding-sharding';
 * const { tables } = generateTableSet({ count: 10, seed: 1 });
 * tables.length; // → 10
 * ```
 */
export function generateTableSet(o: TableSetOptions = {}): TableSet {
  const fn = 'generateTableSet';
  const count = checkInt(o.count ?? 856, fn, 'count', 1, 100_000);
  const frac = checkNumber(o.sequenceFraction ?? 0, fn, 'sequenceFraction', 0, 1);
  const lo = checkNumber(o.minRows ?? 1e2, fn, 'minRows', 1);
  const hi = checkNumber(o.maxRows ?? 1e8, fn, 'maxRows', lo);
  const sampleBatch = o.sampleBatch === undefined ? 0 : checkInt(o.sampleBatch, fn, 'sampleBatch', 1, 1 << 16);
  const r = rng(o.seed ?? 0);
  const sampler = rng((o.seed ?? 0) + 0x5eed);
  const tables: TableSpec[] = [];
  const constraints: Record<string, Constraints> = {};
  const stats: Record<string, TableSampleStats> = {};
  for (let i = 0; i < count; i++) {
    const rows = Math.max(1, Math.round(Math.exp(r.uniform(Math.log(lo), Math.log(hi)))));
    const dim = [16, 32, 64, 128][r.int(4)];
    const pf = Math.min(100, Math.max(1, Math.floor(Math.exp(r.uniform(0, Math.log(101))))));
    const zipfExponent = r.uniform(1.0, 1.2);
    const sequence = r.uniform() < frac;
    const name = `t${i}`;
    tables.push({
      modulePath: o.modulePath ?? 'sparse.ebc',
      name,
      rows,
      dim,
      elementBytes: 4,
      moduleKind: sequence ? 'sequence' : 'pooled',
      featureNames: [`f${i}`],
      access: { zipfExponent },
    });
    constraints[name] = { poolingFactors: [pf] };
    if (sampleBatch > 0) {
      const ids = sampler.zipfArray(sampleBatch * pf, rows, zipfExponent);
      const h = reuseHistogram(ids);
      stats[name] = { lookups: ids.length, uniqueIds: h.unique, reuseHistogram: h.hist };
    }
  }
  return sampleBatch > 0 ? { tables, constraints, stats } : { tables, constraints };
}
