import { describe, TesseraError } from '@tessera/core';

// The planner vocabulary: sharding types, compute kernels, table specs, constraints, shards and plans
// (pytorch/torchrec torchrec/distributed/types.py, embedding_types.py, planner/types.py).

/** How a table is split over ranks (torchrec `ShardingType`). */
export type ShardingType =
  | 'data_parallel'
  | 'table_wise'
  | 'column_wise'
  | 'row_wise'
  | 'table_row_wise'
  | 'table_column_wise'
  | 'grid_shard';

/**
 * Every sharding type, in torchrec's `ShardingType` declaration order.
 *
 * @example
 * ```ts
 * import { SHARDING_TYPES } from '@tessera/embedding-sharding';
 * SHARDING_TYPES.length; // → 7
 * ```
 */
export const SHARDING_TYPES: readonly ShardingType[] = Object.freeze([
  'data_parallel',
  'table_wise',
  'column_wise',
  'row_wise',
  'table_row_wise',
  'table_column_wise',
  'grid_shard',
]);

/** Embedding lookup kernel (torchrec `EmbeddingComputeKernel`). */
export type ComputeKernel =
  | 'dense'
  | 'fused'
  | 'fused_uvm'
  | 'fused_uvm_caching'
  | 'quant'
  | 'quant_uvm'
  | 'quant_uvm_caching'
  | 'key_value'
  | 'customized_kernel'
  | 'ssd_virtual_table'
  | 'dram_virtual_table';

/**
 * Every compute kernel, in torchrec's declaration order.
 *
 * @example
 * ```ts
 * import { COMPUTE_KERNELS } from '@tessera/embedding-sharding';
 * COMPUTE_KERNELS[1]; // → 'fused'
 * ```
 */
export const COMPUTE_KERNELS: readonly ComputeKernel[] = Object.freeze([
  'dense',
  'fused',
  'fused_uvm',
  'fused_uvm_caching',
  'quant',
  'quant_uvm',
  'quant_uvm_caching',
  'key_value',
  'customized_kernel',
  'ssd_virtual_table',
  'dram_virtual_table',
]);

/** Placement class of a sharding type (torchrec `PartitionByType`). */
export type PartitionBy = 'uniform' | 'device' | 'host' | 'multi_host';

/** Compute device of a topology. */
export type ComputeDevice = 'cpu' | 'cuda' | 'mtia';

/** One embedding table to place (a torchrec `EmbeddingBagConfig` / `EmbeddingConfig` plus what the cost model needs). */
export interface TableSpec {
  /** Module path in the model (torchrec plan key), e.g. `'sparse.ebc'`. */
  modulePath: string;
  /** Table name (unique within its module). */
  name: string;
  /** Number of rows R (≤ 2⁵³). */
  rows: number;
  /** Embedding dim C. */
  dim: number;
  /** Bytes per element of the table (4 for fp32, 2 for fp16, 1 for int8). */
  elementBytes: number;
  /** `'pooled'` = EmbeddingBagCollection, `'sequence'` = EmbeddingCollection (unpooled). */
  moduleKind: 'pooled' | 'sequence';
  /** Features looked up in this table. */
  featureNames: readonly string[];
  /** Weighted (id-score-list) features. */
  weighted?: boolean;
  /** Optimizer whose state the storage estimate counts (default `'none'`). */
  optimizer?: 'none' | 'sgd' | 'adam' | 'rowwise_adagrad' | 'other';
  /** Access distribution over rows (used by FlexShard tiers). */
  access?: { zipfExponent: number } | { cdf: Float64Array };
}

/** Cache statistics of a `fused_uvm_caching` table (torchrec `CacheStatistics`). */
export interface CacheStats {
  /** Expected distinct ids per global batch. */
  expectedLookups: number;
  /** Expected miss rate at a cache load factor. */
  expectedMissRate(clf: number): number;
}

/** Per-table planner constraints (torchrec `ParameterConstraints`), keyed by table name. */
export interface Constraints {
  shardingTypes?: ShardingType[];
  computeKernels?: ComputeKernel[];
  /** Column-wise block lower bound (`0`/unset = 128). */
  minPartition?: number;
  /** Mean ids per bag, one per input feature (default `[1.0]`). */
  poolingFactors?: number[];
  /** Poolings per sample, one per input (default 1 each). */
  numPoolings?: number[];
  /** Per-feature batch sizes (default: the planner batch size). For an IKJT feature use B / dedup ratio. */
  batchSizes?: number[];
  /** Cache load factor of cached kernels (default 0.2). */
  cacheLoadFactor?: number;
  /** Cache statistics for `fused_uvm_caching` prefetch cost. */
  cacheStats?: CacheStats;
  /** Prefetch-pipelined cache (a pipelined `fused_uvm_caching` is costed like `fused`). */
  prefetchPipeline?: boolean;
  /** Output element bytes (default: the table's element bytes). */
  outputBytes?: number;
  /** Tables naming the same group are placed on one rank as one unit (table-wise only). */
  colocate?: string;
  /** Communication element bytes (quantized comms); each defaults to the table element bytes. */
  commBytes?: { a2aFwd?: number; a2aBwd?: number; rsFwd?: number; rsBwd?: number };
  /** Only plan this table for this compute device (torchrec `device_group`). */
  deviceGroup?: ComputeDevice;
  /** Number of ZCH buckets (row-wise sharding by buckets; R must be a multiple). */
  numBuckets?: number;
}

/** Per-shard time estimate in ms (torchrec `Perf`). */
export interface Perf {
  fwdCompute: number;
  fwdComms: number;
  bwdCompute: number;
  bwdComms: number;
  prefetchCompute: number;
}

/** Bytes of HBM and DDR (torchrec `Storage`). */
export interface Storage {
  hbm: number;
  ddr: number;
}

/** One device of a topology. */
export interface Device {
  rank: number;
  storage: Storage;
  perf: Perf;
}

/** Topology constructor input. Capacities in bytes, bandwidths in GiB/s. */
export interface TopologyInit {
  worldSize: number;
  computeDevice: ComputeDevice;
  localWorldSize?: number;
  hbmCap?: number | number[];
  ddrCap?: number | number[];
  hbmMemBw?: number;
  ddrMemBw?: number;
  hbmToDdrMemBw?: number;
  intraHostBw?: number;
  interHostBw?: number;
  bwdComputeMultiplier?: number;
  weightedFeatureBwdComputeMultiplier?: number;
  unevenShardingPerfMultiplier?: number;
}

/** A cluster of devices (torchrec `Topology`). Bandwidths are stored in bytes/ms. */
export interface Topology {
  readonly init: Readonly<TopologyInit>;
  readonly devices: readonly Device[];
  readonly worldSize: number;
  readonly localWorldSize: number;
  readonly computeDevice: ComputeDevice;
  readonly hbmMemBw: number;
  readonly ddrMemBw: number;
  readonly hbmToDdrMemBw: number;
  readonly intraHostBw: number;
  readonly interHostBw: number;
  readonly bwdComputeMultiplier: number;
  readonly weightedFeatureBwdComputeMultiplier: number;
  readonly unevenShardingPerfMultiplier: number;
  /** Per-rank memory sizes given as arrays (torchrec custom topology data); drives uneven row-wise splits. */
  readonly deviceMemorySizes: readonly number[] | null;
}

/** One shard of a table: a `[rows, cols]` block at `[rowOffset, colOffset]`. */
export interface Shard {
  size: [number, number];
  offset: [number, number];
  rank: number | null;
  perf: Perf;
  storage: Storage;
}

/** One way of sharding one table (torchrec `ShardingOption`). */
export interface ShardingOption {
  /** `modulePath + '.' + name`. */
  fqn: string;
  table: TableSpec;
  shardingType: ShardingType;
  computeKernel: ComputeKernel;
  partitionBy: PartitionBy;
  shards: Shard[];
  /** Grouping key: options with the same dependency are partitioned together. */
  dependency?: string;
  /** Pooling factor per input feature (default: the constraints' `poolingFactors`, else `[1.0]`). */
  inputLengths?: number[];
  /** Planner batch size per rank (default 512). */
  batchSize?: number;
  /** Cache load factor from constraints, if any. */
  cacheLoadFactor?: number;
}

/** FlexShard-style tiers of one sequence table. */
export interface TierPlan {
  hotRows: number;
  warmRows: number;
  coldRows: number;
  intraBytesPerStep: number;
  interBytesPerStep: number;
}

/** A placed plan: every option's shards carry a rank. */
export interface Plan {
  options: readonly ShardingOption[];
  topology: Topology;
  tiered?: Readonly<Record<string, TierPlan>>;
}

/** Fills `shard.perf` or `shard.storage` of every option (torchrec `ShardEstimator`). */
export interface Estimator {
  estimate(options: ShardingOption[], topo: Topology): void;
}

/** A pluggable cost model: one estimator for time, one for memory. */
export interface CostModel {
  perf: Estimator;
  storage: Estimator;
}

/** Feedback to a proposer after a proposal was partitioned (or failed). */
export interface ProposerFeedback {
  partitionable: boolean;
  plan?: ShardingOption[];
  rating?: number;
  /** The reserved topology (the dynamic-programming proposer needs its HBM). */
  storageConstraint?: Topology;
}

/** Proposes sets of options, one per table (torchrec `Proposer`). */
export interface Proposer {
  load(space: readonly ShardingOption[]): void;
  propose(): ShardingOption[] | null;
  feedback(f: ProposerFeedback): void;
}

/** Assigns ranks to the shards of a proposal (torchrec `Partitioner`). Throws `PLANNER_PARTITION`. */
export interface Partitioner {
  partition(proposal: ShardingOption[], topo: Topology): ShardingOption[];
}

/**
 * Sum of the five perf terms (torchrec `Perf.total`, same summation order).
 *
 * @example
 * ```ts
 * import { perfTotal } from '@tessera/embedding-sharding';
 * perfTotal({ fwdCompute: 1, fwdComms: 2, bwdCompute: 3, bwdComms: 4, prefetchCompute: 0 }); // → 10
 * ```
 */
export function perfTotal(p: Perf): number {
  if (p === null || typeof p !== 'object') throw new TesseraError('INVALID_ARGUMENT', 'perfTotal', 'p must be a Perf object', describe(p));
  return p.fwdCompute + p.bwdCompute + p.fwdComms + p.bwdComms + p.prefetchCompute;
}

/** A zero perf. @internal */
export function zeroPerf(): Perf {
  return { fwdCompute: 0, fwdComms: 0, bwdCompute: 0, bwdComms: 0, prefetchCompute: 0 };
}

/** Component-wise sum (torchrec `Perf.__add__`). @internal */
export function addPerf(a: Perf, b: Perf): Perf {
  return {
    fwdCompute: a.fwdCompute + b.fwdCompute,
    fwdComms: a.fwdComms + b.fwdComms,
    bwdCompute: a.bwdCompute + b.bwdCompute,
    bwdComms: a.bwdComms + b.bwdComms,
    prefetchCompute: a.prefetchCompute + b.prefetchCompute,
  };
}

/** `a.hbm ≤ b.hbm && a.ddr ≤ b.ddr` (torchrec `Storage.fits_in`). @internal */
export function fitsIn(a: Storage, b: Storage): boolean {
  return a.hbm <= b.hbm && a.ddr <= b.ddr;
}

/** Lexicographic (hbm, ddr) comparison (torchrec `Storage` dataclass order). @internal */
export function compareStorage(a: Storage, b: Storage): number {
  if (a.hbm !== b.hbm) return a.hbm < b.hbm ? -1 : 1;
  if (a.ddr !== b.ddr) return a.ddr < b.ddr ? -1 : 1;
  return 0;
}

/**
 * Partition class of a sharding type (torchrec `get_partition_by_type`).
 *
 * @example
 * ```ts
 * import { partitionByOf } from '@tessera/embedding-sharding';
 * partitionByOf('table_row_wise'); // → 'host'
 * ```
 */
export function partitionByOf(t: ShardingType): PartitionBy {
  switch (t) {
    case 'table_wise':
    case 'column_wise':
      return 'device';
    case 'table_row_wise':
    case 'table_column_wise':
      return 'host';
    case 'row_wise':
    case 'data_parallel':
      return 'uniform';
    case 'grid_shard':
      return 'multi_host';
  }
}
