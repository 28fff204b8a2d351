// Enumeration of sharding options (pytorch/torchrec torchrec/distributed/planner/enumerators.py `EmbeddingEnumerator`).
import { PLANNER_CONSTANTS as K } from './constants.js';
import { checkInt, checkTopology, fail } from './errors.js';
import { shardGeometry } from './geometry.js';
import { perfEstimator } from './perf-estimator.js';
import { storageEstimator } from './storage-estimator.js';
import {
  COMPUTE_KERNELS,
  type ComputeDevice,
  type ComputeKernel,
  type Constraints,
  type Estimator,
  partitionByOf,
  SHARDING_TYPES,
  type ShardingOption,
  type ShardingType,
  type TableSpec,
  type Topology,
  zeroPerf,
} from './types.js';

/**
 * Largest number of tables one call accepts (options and shards grow with tables × world size).
 *
 * @example
 * ```ts
 * import { MAX_TABLES } from '@tessera/embedding-sharding';
 * MAX_TABLES; // → 100000
 * ```
 */
export const MAX_TABLES = 100_000;

/** Largest table accepted: rows are JS numbers. */
const MAX_ROWS = Number.MAX_SAFE_INTEGER;

/** Kernels enumerated only when constraints name them (torchrec `GUARDED_COMPUTE_KERNELS`). */
const GUARDED: ReadonlySet<ComputeKernel> = new Set(['key_value', 'ssd_virtual_table', 'dram_virtual_table']);

/**
 * Sharding types a module kind implements on a device (torchrec sharders' `sharding_types`): pooled
 * (EmbeddingBagCollection) → DP, TW, CW, TWCW (+ RW, TWRW, GRID on cuda; mtia has no DP); sequence
 * (EmbeddingCollection) → DP, TW, CW, RW; quantized (inference) modules → TW, RW, CW.
 *
 * @example
 * ```ts
 * import { allowedShardingTypes } from '@tessera/embedding-sharding';
 * allowedShardingTypes('sequence', 'cuda'); // → ['data_parallel', 'table_wise', 'column_wise', 'row_wise']
 * ```
 */
export function allowedShardingTypes(kind: TableSpec['moduleKind'], device: ComputeDevice, quantized = false): ShardingType[] {
  if (quantized) return ['table_wise', 'row_wise', 'column_wise'];
  if (kind === 'sequence') return ['data_parallel', 'table_wise', 'column_wise', 'row_wise'];
  if (device === 'mtia') return ['table_wise', 'column_wise', 'table_column_wise', 'row_wise', 'table_row_wise', 'grid_shard'];
  const t: ShardingType[] = ['data_parallel', 'table_wise', 'column_wise', 'table_column_wise'];
  if (device === 'cuda') t.push('row_wise', 'table_row_wise', 'grid_shard');
  return t;
}

/**
 * Compute kernels a sharding type allows on a device (torchrec sharders' `compute_kernels`): DP → `dense`; others →
 * `fused` (+ UVM, UVM caching, key-value and virtual tables on cuda); quantized modules → `quant` (+ UVM variants on
 * cuda).
 *
 * @example
 * ```ts
 * import { allowedComputeKernels } from '@tessera/embedding-sharding';
 * allowedComputeKernels('data_parallel', 'cuda'); // → ['dense']
 * ```
 */
export function allowedComputeKernels(type: ShardingType, device: ComputeDevice, quantized = false): ComputeKernel[] {
  if (quantized) return device === 'cuda' ? ['quant', 'quant_uvm', 'quant_uvm_caching'] : ['quant'];
  if (type === 'data_parallel') return ['dense'];
  const k: ComputeKernel[] = ['fused'];
  if (device === 'cuda') k.push('fused_uvm', 'fused_uvm_caching', 'key_value', 'ssd_virtual_table', 'dram_virtual_table');
  return k;
}

/** Validates one table spec. @internal */
export function checkTable(fn: string, t: TableSpec, i: number): void {
  if (t === null || typeof t !== 'object') fail('INVALID_ARGUMENT', fn, `tables[${i}] must be an object`, t);
  if (typeof t.name !== 'string' || t.name === '') fail('INVALID_ARGUMENT', fn, `tables[${i}].name must be a non-empty string`, t.name);
  if (typeof t.modulePath !== 'string') fail('INVALID_ARGUMENT', fn, `table '${t.name}' modulePath must be a string`, t.modulePath);
  if (typeof t.rows !== 'number' || !Number.isInteger(t.rows) || t.rows < 1 || t.rows > MAX_ROWS) {
    fail('INVALID_ARGUMENT', fn, `table '${t.name}' rows must be an integer in [1, 2^53)`, t.rows);
  }
  checkInt(t.dim, fn, `table '${t.name}' dim`, 1, 1 << 20);
  if (typeof t.elementBytes !== 'number' || !(t.elementBytes > 0) || t.elementBytes > 16) {
    fail('INVALID_ARGUMENT', fn, `table '${t.name}' elementBytes must be in (0, 16]`, t.elementBytes);
  }
  if (t.moduleKind !== 'pooled' && t.moduleKind !== 'sequence')
    fail('INVALID_ARGUMENT', fn, `table '${t.name}' moduleKind must be 'pooled' or 'sequence'`, t.moduleKind);
  if (!Array.isArray(t.featureNames)) fail('INVALID_ARGUMENT', fn, `table '${t.name}' featureNames must be an array`, t.featureNames);
}

/** Validates a table list: objects, unique fqns. @internal */
export function checkTables(fn: string, tables: readonly TableSpec[]): void {
  if (!Array.isArray(tables)) fail('INVALID_ARGUMENT', fn, 'tables must be an array', tables);
  if (tables.length > MAX_TABLES) fail('INVALID_ARGUMENT', fn, `at most ${MAX_TABLES} tables`, tables.length);
  const seen = new Set<string>();
  tables.forEach((t, i) => {
    checkTable(fn, t, i);
    const fqn = `${t.modulePath}.${t.name}`;
    if (seen.has(fqn)) fail('INVALID_KEY', fn, 'table fqns (modulePath.name) must be unique', fqn);
    seen.add(fqn);
  });
}

/** Options of {@link enumerate}. */
export interface EnumerateOptions {
  /** Planner batch size per rank (default 512). */
  batchSize?: number;
  /** Estimators run on the options (default: torchrec perf + storage estimators with the same constraints). */
  estimators?: Estimator[];
  /** Plan a quantized (inference) module: quant kernels, TW/RW/CW. */
  quantized?: boolean;
}

/**
 * One {@link ShardingOption} per table × allowed sharding type × allowed compute kernel (torchrec
 * `EmbeddingEnumerator`), with shard geometry and both estimates filled. Types: the module kind's list intersected with
 * `constraints.shardingTypes` (GRID only when named); kernels: the allowed list intersected with
 * `constraints.computeKernels` (key-value and virtual tables only when named; `dense` dropped when `fused` remains).
 *
 * @throws TesseraError `INVALID_ARGUMENT` (bad tables/constraints), `INVALID_KEY` (duplicate fqn),
 * `PLANNER_STRICT_CONSTRAINTS` (a table left with no type × kernel combination).
 * @example
 * ```ts
 * import { createTopology, enumerate } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const t = { modulePath: 'ebc', name: 't0', rows: 100, dim: 10, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f0'] };
 * enumerate([t], topo).length; // → 16
 * ```
 */
export function enumerate(
  tables: readonly TableSpec[],
  topo: Topology,
  constraints?: Record<string, Constraints>,
  o: EnumerateOptions = {},
): ShardingOption[] {
  const fn = 'enumerate';
  checkTables(fn, tables);
  checkTopology(fn, topo);
  const batchSize = o.batchSize === undefined ? K.BATCH_SIZE : checkInt(o.batchSize, fn, 'batchSize', 1, 1 << 30);
  const out: ShardingOption[] = [];
  for (const t of tables) {
    const c = constraints?.[t.name];
    if (c?.deviceGroup && c.deviceGroup !== topo.computeDevice) continue;
    const inputLengths = c?.poolingFactors ?? [K.POOLING_FACTOR];
    if (
      !Array.isArray(inputLengths) ||
      inputLengths.length === 0 ||
      inputLengths.some((x) => typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x))
    ) {
      fail('INVALID_ARGUMENT', fn, `table '${t.name}' poolingFactors must be a non-empty list of finite numbers ≥ 0`, inputLengths);
    }
    if (c?.shardingTypes)
      for (const s of c.shardingTypes)
        if (!SHARDING_TYPES.includes(s)) fail('INVALID_ARGUMENT', fn, `table '${t.name}': unknown sharding type`, s);
    if (c?.computeKernels)
      for (const k of c.computeKernels)
        if (!COMPUTE_KERNELS.includes(k)) fail('INVALID_ARGUMENT', fn, `table '${t.name}': unknown compute kernel`, k);
    const allowed = allowedShardingTypes(t.moduleKind, topo.computeDevice, o.quantized);
    const types =
      c?.shardingTypes && c.shardingTypes.length > 0
        ? allowed.filter((s) => c.shardingTypes?.includes(s))
        : allowed.filter((s) => s !== 'grid_shard');
    const before = out.length;
    for (const st of types) {
      const allowedK = allowedComputeKernels(st, topo.computeDevice, o.quantized);
      let kernels =
        c?.computeKernels && c.computeKernels.length > 0
          ? allowedK.filter((k) => c.computeKernels?.includes(k))
          : allowedK.filter((k) => !GUARDED.has(k));
      if (kernels.includes('dense') && kernels.includes('fused')) kernels = kernels.filter((k) => k !== 'dense');
      // one geometry per type, shared (read-only size/offset pairs) by its kernels' options
      const g =
        kernels.length > 0
          ? shardGeometry(t.rows, t.dim, st, {
              worldSize: topo.worldSize,
              localWorldSize: topo.localWorldSize,
              minPartition: c?.minPartition,
              deviceMemorySizes: topo.deviceMemorySizes ?? undefined,
              numBuckets: c?.numBuckets,
            })
          : { sizes: [], offsets: [] };
      for (const ck of kernels) {
        const perf0 = zeroPerf();
        const storage0 = { hbm: 0, ddr: 0 };
        out.push({
          fqn: `${t.modulePath}.${t.name}`,
          table: t,
          shardingType: st,
          computeKernel: ck,
          partitionBy: partitionByOf(st),
          shards: g.sizes.map((size, i) => ({ size, offset: g.offsets[i], rank: null, perf: perf0, storage: storage0 })),
          inputLengths: [...inputLengths],
          batchSize,
          ...(c?.cacheLoadFactor !== undefined ? { cacheLoadFactor: c.cacheLoadFactor } : {}),
          ...(c?.colocate ? { dependency: `colocate:${c.colocate}` } : {}),
        });
      }
    }
    if (out.length === before) {
      fail(
        'PLANNER_STRICT_CONSTRAINTS',
        fn,
        `no sharding type × compute kernel left for table '${t.name}' after constraints (allowed types: ${allowed.join(', ')})`,
        c,
        {
          table: t.name,
        },
      );
    }
  }
  const estimators = o.estimators ?? [perfEstimator(constraints), storageEstimator(constraints)];
  for (const e of estimators) e.estimate(out, topo);
  return out;
}
