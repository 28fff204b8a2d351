// Embedding wall-time model (pytorch/torchrec torchrec/distributed/planner/shard_estimators.py
// `EmbeddingPerfEstimator.perf_func_emb_wall_time` and its per-type helpers), evaluated in the same operation order.
import { PLANNER_CONSTANTS as K } from './constants.js';
import { fail } from './errors.js';
import { commsBw, kernelBw } from './topology.js';
import type { ComputeKernel, Constraints, Estimator, Perf, ShardingOption, ShardingType, Topology } from './types.js';

/**
 * Kernels the estimators cost; the others (key-value, virtual tables, customized) are accepted in plans only.
 *
 * @example
 * ```ts
 * import { ESTIMATED_KERNELS } from '@tessera/embedding-sharding';
 * ESTIMATED_KERNELS.includes('key_value'); // → false
 * ```
 */
export const ESTIMATED_KERNELS: readonly ComputeKernel[] = Object.freeze([
  'dense',
  'fused',
  'fused_uvm',
  'fused_uvm_caching',
  'quant',
  'quant_uvm',
  'quant_uvm_caching',
]);

/** Everything the per-shard formulas read. @internal */
export interface PerfInputs {
  shardingType: ShardingType;
  batchSizes: number[];
  worldSize: number;
  localWorldSize: number;
  inputLengths: number[];
  numPoolings: number[];
  tableBytes: number;
  fwdA2a: number;
  bwdA2a: number;
  fwdRs: number;
  bwdRs: number;
  deviceBw: number;
  isPooled: boolean;
  isWeighted: boolean;
  isInference: boolean;
  expectedCacheFetches: number;
}

/** Per-option inputs resolved from the table, its constraints and the topology. @internal */
export function resolvePerfInputs(
  fn: string,
  so: ShardingOption,
  c: Constraints | undefined,
  topo: Topology,
  inference: boolean,
): PerfInputs {
  const t = so.table;
  if (!ESTIMATED_KERNELS.includes(so.computeKernel)) {
    fail(
      'UNSUPPORTED',
      fn,
      `compute kernel '${so.computeKernel}' of table '${t.name}' is not costed (plans may still use it)`,
      so.computeKernel,
    );
  }
  const inputLengths = so.inputLengths ?? c?.poolingFactors ?? [K.POOLING_FACTOR];
  const n = inputLengths.length;
  const numPoolings = c?.numPoolings && c.numPoolings.length > 0 ? c.numPoolings : new Array<number>(n).fill(1.0);
  const batchSizes = c?.batchSizes && c.batchSizes.length > 0 ? c.batchSizes : new Array<number>(n).fill(so.batchSize ?? K.BATCH_SIZE);
  if (numPoolings.length !== n || batchSizes.length !== n) {
    fail('INVALID_ARGUMENT', fn, `table '${t.name}': poolingFactors, numPoolings and batchSizes must have equal lengths`, [
      n,
      numPoolings.length,
      batchSizes.length,
    ]);
  }
  const clf = so.cacheLoadFactor ?? c?.cacheLoadFactor;
  const deviceBw = kernelBw(topo, so.computeKernel, clf, c?.prefetchPipeline ?? false);
  if (deviceBw === undefined) {
    fail(
      'UNSUPPORTED',
      fn,
      `no kernel bandwidth for compute device '${topo.computeDevice}' and kernel '${so.computeKernel}'`,
      so.computeKernel,
    );
  }
  let expectedCacheFetches = 0;
  if (clf !== undefined && c?.cacheStats && so.computeKernel === 'fused_uvm_caching') {
    expectedCacheFetches = c.cacheStats.expectedMissRate(clf) * c.cacheStats.expectedLookups;
  }
  const s = t.elementBytes;
  const cb = c?.commBytes ?? {};
  return {
    shardingType: so.shardingType,
    batchSizes,
    worldSize: topo.worldSize,
    localWorldSize: topo.localWorldSize,
    inputLengths,
    numPoolings,
    tableBytes: s,
    fwdA2a: cb.a2aFwd ?? s,
    bwdA2a: cb.a2aBwd ?? s,
    fwdRs: cb.rsFwd ?? s,
    bwdRs: cb.rsBwd ?? s,
    deviceBw,
    isPooled: t.moduleKind === 'pooled',
    isWeighted: t.weighted ?? false,
    isInference: inference,
    expectedCacheFetches,
  };
}

function sumInputs(p: PerfInputs): number {
  let s = 0;
  for (let i = 0; i < p.inputLengths.length; i++) s += p.inputLengths[i] * p.numPoolings[i] * p.batchSizes[i];
  return s;
}
function sumOutputs(p: PerfInputs): number {
  let s = 0;
  for (let i = 0; i < p.numPoolings.length; i++) s += p.numPoolings[i] * p.batchSizes[i];
  return s;
}

/** Perf of one shard with `[rows, dim]` under the resolved inputs (torchrec formulas). @internal */
export function shardPerf(p: PerfInputs, topo: Topology, rows: number, dim: number): Perf {
  const t = p.shardingType;
  const W = p.worldSize;
  const L = p.localWorldSize;
  const IN = K.BIGINT_DTYPE;
  const bwdMul = topo.bwdComputeMultiplier;
  const wMul = topo.weightedFeatureBwdComputeMultiplier;
  const prefetch = (fetches: number) => (fetches * dim * p.tableBytes) / topo.hbmToDdrMemBw;
  if (t === 'table_wise' || t === 'column_wise' || t === 'table_column_wise') {
    const bi = sumInputs(p);
    const bo = p.isPooled ? sumOutputs(p) : bi;
    let inRead = Math.ceil(bi * W * IN);
    if (p.isWeighted) inRead *= 2;
    const lookup = bi * W * Math.max(dim, 32) * p.tableBytes;
    const fwdOut = bo * W * dim * p.fwdA2a;
    const bwdOut = bo * W * dim * p.bwdA2a;
    let pen = 1;
    if (dim < K.FULL_BLOCK_EMB_DIM) pen = dim >= 64 ? K.HALF_BLOCK_PENALTY : K.QUARTER_BLOCK_PENALTY;
    const bw = commsBw(topo, 'all_to_all', W, L);
    const fwdComms = fwdOut / bw;
    const fwdCompute = ((inRead + lookup + fwdOut) * pen) / p.deviceBw;
    if (p.isInference) return { fwdCompute, fwdComms, bwdCompute: 0, bwdComms: 0, prefetchCompute: 0 };
    const bwdComms = bwdOut / bw;
    const idxW = p.isWeighted ? fwdCompute * K.WEIGHTED_KERNEL_MULTIPLIER : 0;
    let bwdCompute = fwdCompute * bwdMul;
    if (p.isWeighted) bwdCompute = bwdCompute * wMul;
    return { fwdCompute, fwdComms, bwdCompute: bwdCompute + idxW, bwdComms, prefetchCompute: prefetch(p.expectedCacheFetches) };
  }
  if (t === 'row_wise') {
    const bi = sumInputs(p) / W;
    const bo = p.isPooled ? sumOutputs(p) : bi;
    let inRead = Math.ceil(bi * W * IN);
    if (p.isWeighted) inRead *= 2;
    const lookup = bi * W * dim * p.tableBytes;
    const fwdOut = p.isPooled ? bo * W * dim * p.fwdRs : bo * W * dim * p.fwdA2a;
    const bwdOut = p.isPooled ? bo * W * dim * p.bwdRs : bo * W * dim * p.bwdA2a;
    const fwdComms = fwdOut / commsBw(topo, 'reduce_scatter', W, L);
    const fwdCompute = (inRead + lookup + fwdOut) / p.deviceBw;
    if (p.isInference) return { fwdCompute, fwdComms, bwdCompute: 0, bwdComms: 0, prefetchCompute: 0 };
    const bwdComms = bwdOut / commsBw(topo, 'all_gather', W, L);
    const copy = (bwdOut * K.BATCHED_COPY_PERF_FACTOR) / p.deviceBw;
    const idxW = p.isWeighted ? fwdCompute * K.WEIGHTED_KERNEL_MULTIPLIER : 0;
    let bwdCompute = fwdCompute * bwdMul;
    if (p.isWeighted) bwdCompute = bwdCompute * wMul;
    return {
      fwdCompute,
      fwdComms,
      bwdCompute: bwdCompute + idxW,
      bwdComms: bwdComms + copy,
      prefetchCompute: prefetch(p.expectedCacheFetches / W),
    };
  }
  if (t === 'table_row_wise' || t === 'grid_shard') {
    // torchrec computes the backward terms here even in inference mode
    const bi = sumInputs(p) / L;
    const bo = p.isPooled ? sumOutputs(p) : bi;
    let inRead = Math.ceil(bi * W * IN);
    if (p.isWeighted) inRead *= 2;
    const lookup = bi * W * dim * p.tableBytes;
    const fwdOut = bo * W * dim * p.fwdRs;
    const bwdOut = bo * W * dim * p.bwdRs;
    let fwdComms = fwdOut / commsBw(topo, 'reduce_scatter', L, L);
    if (W > L) {
      const inter = bo * (W / L) * dim * p.fwdA2a;
      fwdComms += inter / commsBw(topo, 'all_to_all', Math.trunc(W / L), 1);
    }
    const fwdCompute = (inRead + lookup + fwdOut) / p.deviceBw;
    let bwdComms = bwdOut / commsBw(topo, 'all_gather', L, L);
    if (W > L) {
      const inter = bo * (W / L) * dim * p.bwdA2a;
      bwdComms += inter / commsBw(topo, 'all_to_all', Math.trunc(W / L), 1);
    }
    const idxW = p.isWeighted ? fwdCompute * K.WEIGHTED_KERNEL_MULTIPLIER : 0;
    const copy = (bwdOut * K.BATCHED_COPY_PERF_FACTOR) / p.deviceBw;
    let bwdCompute = fwdCompute * bwdMul;
    if (p.isWeighted) bwdCompute = bwdCompute * wMul;
    return {
      fwdCompute,
      fwdComms,
      bwdCompute: bwdCompute + idxW,
      bwdComms: bwdComms + copy,
      prefetchCompute: prefetch(p.expectedCacheFetches / L),
    };
  }
  // data_parallel (torchrec also ignores inference mode here)
  const bi = sumInputs(p);
  const bo = p.isPooled ? sumOutputs(p) : bi;
  let inRead = Math.ceil(bi * IN);
  if (p.isWeighted) inRead *= 2;
  const lookup = bi * dim * p.tableBytes;
  const outWrite = bo * dim * p.tableBytes;
  const tableSize = rows * dim * p.tableBytes;
  const fwdCompute = (inRead + lookup + outWrite) / p.deviceBw;
  const nodes = Math.min(W / L, 2);
  let allReduce = (tableSize * (2 * nodes - 1)) / nodes / commsBw(topo, 'all_reduce', W, L);
  if (W > 2 * L) allReduce *= 2;
  const opt = (tableSize * K.DP_ELEMENTWISE_KERNELS_PERF_FACTOR) / p.deviceBw;
  let bwdCompute = fwdCompute * bwdMul;
  if (p.isWeighted) bwdCompute = bwdCompute * wMul;
  const idxW = p.isWeighted ? fwdCompute * K.WEIGHTED_KERNEL_MULTIPLIER : 0;
  return { fwdCompute, fwdComms: 0, bwdCompute: bwdCompute + idxW, bwdComms: allReduce + opt, prefetchCompute: 0 };
}

/**
 * The torchrec embedding perf estimator (`EmbeddingPerfEstimator`): fills `shard.perf` (ms) of every option from the
 * table, its constraints (`poolingFactors`, `numPoolings`, `batchSizes`, cache load factor, comm element bytes) and
 * the topology. With `inference`, table-wise and row-wise shards get forward terms only (as in torchrec;
 * row-wise-per-host, grid and data-parallel shards keep their backward terms there too).
 *
 * @throws TesseraError `UNSUPPORTED` for kernels it does not cost (key-value, virtual tables, customized) or with no
 * bandwidth on the device; `INVALID_ARGUMENT` when the per-feature lists differ in length.
 * @example
 * ```ts
 * import { createTopology, enumerate, perfEstimator } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const t = { modulePath: 'ebc', name: 't0', rows: 100, dim: 10, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f0'] };
 * const opts = enumerate([t], topo).filter((o) => o.shardingType === 'table_wise' && o.computeKernel === 'fused');
 * perfEstimator().estimate(opts, topo);
 * opts[0].shards[0].perf.fwdCompute; // → 0.000327460077428233
 * ```
 */
export function perfEstimator(constraints?: Record<string, Constraints>, o: { inference?: boolean } = {}): Estimator {
  const inference = o.inference ?? false;
  return {
    estimate(options: ShardingOption[], topo: Topology): void {
      for (const so of options) {
        const p = resolvePerfInputs('perfEstimator', so, constraints?.[so.table.name], topo, inference);
        // consecutive shards of one option mostly share a size: reuse the last result (estimators replace perf
        // objects, never mutate them, so equal shards may share one)
        let lr = -1;
        let lc = -1;
        let last: Perf | null = null;
        for (const sh of so.shards) {
          if (!last || sh.size[0] !== lr || sh.size[1] !== lc) {
            lr = sh.size[0];
            lc = sh.size[1];
            last = shardPerf(p, topo, lr, lc);
          }
          sh.perf = last;
        }
      }
    },
  };
}
