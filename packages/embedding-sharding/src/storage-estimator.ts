// Embedding memory model and storage reservation (pytorch/torchrec torchrec/distributed/planner/shard_estimators.py
// `calculate_shard_storages`, planner/storage_reservations.py).
import { PLANNER_CONSTANTS as K } from './constants.js';
import { checkTables } from './enumerate.js';
import { checkNumber, checkTopology, fail } from './errors.js';
import { ESTIMATED_KERNELS } from './perf-estimator.js';
import { pyCeilMulDiv, pyRound } from './py-math.js';
import { withDeviceStorage } from './topology.js';
import type { ComputeKernel, Constraints, Estimator, ShardingOption, Storage, TableSpec, Topology } from './types.js';

/** Training pipeline whose input buffers count toward HBM (torchrec `PipelineType`). */
export type PipelineType = 'none' | 'train_sparse_dist' | 'train_prefetch_sparse_dist';

/** Options of {@link storageEstimator}. */
export interface StorageEstimatorOptions {
  inference?: boolean;
  /** Count output buffers as peak memory (torchrec `run_embedding_at_peak_memory`). */
  countEphemeral?: boolean;
  pipeline?: PipelineType;
  /** Multipass prefetch passes (torchrec `MultiPassPrefetchConfig.num_passes`, default 1). */
  prefetchPasses?: number;
}

const CACHED: ReadonlySet<ComputeKernel> = new Set([
  'fused_uvm_caching',
  'quant_uvm_caching',
  'key_value',
  'ssd_virtual_table',
  'dram_virtual_table',
]);
const QUANT: ReadonlySet<ComputeKernel> = new Set(['quant', 'quant_uvm', 'quant_uvm_caching']);

function optimizerMultiplier(t: TableSpec): number {
  switch (t.optimizer ?? 'none') {
    case 'none':
    case 'sgd':
      return 0;
    case 'adam':
      return 2;
    case 'rowwise_adagrad':
      return 1 / t.dim;
    default:
      return 1;
  }
}

/** Where the table bytes live and how many there are (torchrec sharder `storage_usage`). @internal */
export function tensorStorage(fn: string, t: TableSpec, kernel: ComputeKernel, device: Topology['computeDevice']): Storage {
  const quant = QUANT.has(kernel);
  const bytes = t.rows * t.dim * t.elementBytes + (quant ? t.rows * 4 : 0);
  if (kernel === 'fused_uvm' || kernel === 'fused_uvm_caching' || kernel === 'quant_uvm' || kernel === 'quant_uvm_caching') {
    if (device !== 'cuda') fail('UNSUPPORTED', fn, `kernel '${kernel}' needs a cuda topology`, device);
    return { hbm: 0, ddr: bytes };
  }
  if (device === 'cpu' || (quant && device === 'mtia')) return { hbm: 0, ddr: bytes };
  return { hbm: bytes, ddr: 0 };
}

function ioSizes(so: ShardingOption, c: Constraints | undefined, topo: Topology, fn: string): { inputs: number[]; outputs: number[] } {
  const inputLengths = so.inputLengths ?? c?.poolingFactors ?? [K.POOLING_FACTOR];
  const n = inputLengths.length;
  const numPoolings = c?.numPoolings && c.numPoolings.length > 0 ? c.numPoolings : new Array<number>(n).fill(1.0);
  const batchSizes = c?.batchSizes && c.batchSizes.length > 0 ? c.batchSizes : new Array<number>(n).fill(so.batchSize ?? K.BATCH_SIZE);
  if (numPoolings.length !== n || batchSizes.length !== n) {
    fail('INVALID_ARGUMENT', fn, `table '${so.table.name}': poolingFactors, numPoolings and batchSizes must have equal lengths`, [
      n,
      numPoolings.length,
      batchSizes.length,
    ]);
  }
  let sumIn = 0;
  for (let i = 0; i < n; i++) sumIn += inputLengths[i] * numPoolings[i] * batchSizes[i];
  let sumOut = 0;
  for (let i = 0; i < n; i++) sumOut += numPoolings[i] * batchSizes[i];
  const pooled = so.table.moduleKind === 'pooled';
  const IN = K.BIGINT_DTYPE;
  const OUT = c?.outputBytes ?? so.table.elementBytes;
  const W = topo.worldSize;
  const L = topo.localWorldSize;
  const C = so.table.dim;
  const shards = so.shards;
  switch (so.shardingType) {
    case 'data_parallel': {
      const bo = pooled ? sumOut : sumIn;
      return {
        inputs: shards.map(() => Math.ceil(sumIn * IN)),
        outputs: shards.map(() => Math.ceil(bo * C * OUT)),
      };
    }
    case 'table_wise': {
      const bo = pooled ? sumOut : sumIn;
      return { inputs: [Math.ceil(sumIn * W * IN)], outputs: [Math.ceil(bo * W * C * OUT)] };
    }
    case 'column_wise':
    case 'table_column_wise': {
      const bo = pooled ? sumOut : sumIn;
      return {
        inputs: shards.map(() => Math.ceil(sumIn * W * IN)),
        outputs: shards.map((s) => Math.ceil(bo * W * s.size[1] * OUT)),
      };
    }
    default: {
      const bi = sumIn / (so.shardingType === 'row_wise' ? W : L);
      const bo = pooled ? sumOut : bi;
      return {
        inputs: shards.map((s) => (s.size[0] * s.size[1] !== 0 ? Math.ceil(bi * W * IN) : 0)),
        outputs: shards.map((s) => (s.size[0] * s.size[1] !== 0 ? Math.ceil(bo * W * s.size[1] * OUT) : 0)),
      };
    }
  }
}

function specificSizes(storage: number, so: ShardingOption, inference: boolean, clf: number | null): number[] {
  const t = so.table;
  const total = t.rows * t.dim;
  const m = optimizerMultiplier(t);
  const memo = new Map<number, number>(); // shards of one option repeat a few sizes: divide once per size
  return so.shards.map((s) => {
    const area = s.size[0] * s.size[1];
    let tensor = memo.get(area);
    if (tensor === undefined) {
      tensor = so.shardingType === 'data_parallel' ? storage : pyCeilMulDiv(storage, area, total);
      memo.set(area, tensor);
    }
    if (inference) return tensor;
    const opt = Math.ceil(tensor * m);
    const aux = clf === null ? 0 : Math.ceil(s.size[0] * (4 + clf * 16));
    return aux + tensor + opt;
  });
}

function pipelineIo(inp: number, out: number, prefetch: number, o: StorageEstimatorOptions): number {
  if (o.inference) return 0;
  const eph = o.countEphemeral ? out : 0;
  if (o.pipeline === 'train_sparse_dist') return 2 * inp + eph;
  if (o.pipeline === 'train_prefetch_sparse_dist') {
    const passes = o.prefetchPasses || 1;
    return 3 * inp + Math.trunc((1 + 6 / passes) * prefetch) + eph;
  }
  return inp + out;
}

/**
 * The torchrec embedding storage estimator (`EmbeddingStorageEstimator`): fills `shard.storage` (bytes of HBM and
 * DDR) of every option: tensor bytes `ceil(S·shard/table)` (exact integer numerator, Python rounding), optimizer state,
 * cache auxiliary state for cached kernels (HBM = `round(DDR·clf)`), plus input/output buffers by pipeline type.
 *
 * @throws TesseraError `UNSUPPORTED` (uncosted kernels, UVM kernels off cuda), `INVALID_ARGUMENT` (bad options).
 * @example
 * ```ts
 * import { createTopology, enumerate, storageEstimator } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 8, computeDevice: 'cuda' });
 * const t = { modulePath: 'ebc', name: 't', rows: 1000, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] };
 * const [tw] = enumerate([t], topo, { t: { shardingTypes: ['table_wise'], computeKernels: ['fused'] } });
 * storageEstimator().estimate([tw], topo);
 * tw.shards[0].storage.hbm; // → 1337344
 * ```
 */
export function storageEstimator(constraints?: Record<string, Constraints>, o: StorageEstimatorOptions = {}): Estimator {
  const fn = 'storageEstimator';
  if (o.pipeline !== undefined && !['none', 'train_sparse_dist', 'train_prefetch_sparse_dist'].includes(o.pipeline)) {
    fail('INVALID_ARGUMENT', fn, "pipeline must be 'none', 'train_sparse_dist' or 'train_prefetch_sparse_dist'", o.pipeline);
  }
  if (o.prefetchPasses !== undefined) checkNumber(o.prefetchPasses, fn, 'prefetchPasses', 1, 1e6);
  return {
    estimate(options: ShardingOption[], topo: Topology): void {
      for (const so of options) {
        if (!ESTIMATED_KERNELS.includes(so.computeKernel)) {
          fail('UNSUPPORTED', fn, `compute kernel '${so.computeKernel}' of table '${so.table.name}' is not costed`, so.computeKernel);
        }
        const c = constraints?.[so.table.name];
        const clfRaw = so.cacheLoadFactor ?? c?.cacheLoadFactor;
        const clf = clfRaw ? clfRaw : K.UVM_CACHING_RATIO;
        const { inputs, outputs } = ioSizes(so, c, topo, fn);
        const ts = tensorStorage(fn, so.table, so.computeKernel, topo.computeDevice);
        const cached = CACHED.has(so.computeKernel);
        const hbmBase = cached ? pyRound(ts.ddr * clf) : ts.hbm;
        const inference = o.inference ?? false;
        const hbmSpec = specificSizes(hbmBase, so, inference, cached ? clf : null);
        const ddrSpec = specificSizes(ts.ddr, so, inference, null);
        const onDevice = topo.computeDevice === 'cuda' || topo.computeDevice === 'mtia';
        let prev: Storage | null = null;
        so.shards.forEach((sh, i) => {
          const hbm = onDevice ? hbmSpec[i] + pipelineIo(inputs[i], outputs[i], cached ? inputs[i] : 0, o) : 0;
          const ddr = topo.computeDevice === 'cpu' && !inference ? inputs[i] + outputs[i] + ddrSpec[i] : ddrSpec[i];
          // equal consecutive shards share one (never mutated) storage object
          if (!prev || prev.hbm !== hbm || prev.ddr !== ddr) prev = { hbm, ddr };
          sh.storage = prev;
        });
      }
    },
  };
}

/** Options of {@link reserveStorage}. */
export interface ReserveOptions {
  /** Fraction of HBM held back (default 0.15). */
  percentage?: number;
  /** Bytes of non-embedding (dense) parameters; the heuristic reserves 6× this on every rank. */
  denseParamBytes?: number;
  /** A dense estimate in bytes that replaces `6 × denseParamBytes` when given (torchrec `dense_tensor_estimate`). */
  denseEstimate?: number;
  /** `true` (default): torchrec `HeuristicalStorageReservation`; `false`: `FixedPercentageStorageReservation`. */
  heuristic?: boolean;
  /** Tables whose KJT inputs are reserved (heuristic only). */
  tables?: readonly TableSpec[];
  constraints?: Record<string, Constraints>;
  /** Planner batch size per rank (default 512). */
  batchSize?: number;
}

/**
 * Storage reservation (torchrec `HeuristicalStorageReservation(0.15)` by default): every device's HBM becomes
 * `⌊(1−p)·HBM⌋`, then the dense estimate and the KJT estimate `ceil(Σ_tables Σ_f pf_f·B_f·8)·20` are subtracted
 * (HBM on cuda/mtia, DDR on cpu). Returns a new topology.
 *
 * @throws TesseraError `PLANNER_INSUFFICIENT_STORAGE` when the reserved HBM goes negative; `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { createTopology, reserveStorage } from '@tessera/embedding-sharding';
 * const topo = reserveStorage(createTopology({ worldSize: 2, computeDevice: 'cuda', hbmCap: 1000 }), { percentage: 0.15 });
 * topo.devices[0].storage.hbm; // → 850
 * ```
 */
export function reserveStorage(topo: Topology, o: ReserveOptions = {}): Topology {
  const fn = 'reserveStorage';
  checkTopology(fn, topo);
  if (o === null || typeof o !== 'object') fail('INVALID_ARGUMENT', fn, 'options must be an object', o);
  if (o.tables !== undefined) checkTables(fn, o.tables);
  const p = o.percentage === undefined ? 0.15 : checkNumber(o.percentage, fn, 'percentage', 0, 1);
  const storages = topo.devices.map((d) => ({ hbm: Math.trunc((1 - p) * d.storage.hbm), ddr: d.storage.ddr }));
  if (o.heuristic === false) return withDeviceStorage(topo, storages);
  const onDevice = topo.computeDevice === 'cuda' || topo.computeDevice === 'mtia';
  const dense = o.denseEstimate
    ? checkNumber(o.denseEstimate, fn, 'denseEstimate')
    : Math.round(6 * checkNumber(o.denseParamBytes ?? 0, fn, 'denseParamBytes'));
  const B = o.batchSize ?? K.BATCH_SIZE;
  let sum = 0;
  for (const t of o.tables ?? []) {
    const c = o.constraints?.[t.name];
    const pfs = c?.poolingFactors ?? [K.POOLING_FACTOR];
    const bs = c?.batchSizes && c.batchSizes.length > 0 ? c.batchSizes : pfs.map(() => B);
    for (let i = 0; i < pfs.length; i++) sum += pfs[i] * bs[i];
  }
  const kjt = Math.ceil(sum * K.BIGINT_DTYPE) * 20;
  for (const s of storages) {
    if (onDevice) s.hbm -= dense + kjt;
    else s.ddr -= dense + kjt;
  }
  if (storages.length > 0 && storages[0].hbm < 0) {
    fail(
      'PLANNER_INSUFFICIENT_STORAGE',
      fn,
      `reserved HBM per rank is negative after ${p * 100}% + dense ${dense} B + KJT ${kjt} B`,
      storages[0].hbm,
      {
        percentage: p,
        dense,
        kjt,
      },
    );
  }
  return withDeviceStorage(topo, storages);
}
