// The planner loop (pytorch/torchrec torchrec/distributed/planner/planners.py `EmbeddingShardingPlanner.plan`) and the
// critical-rank rating (planner/perf_models.py `NoopPerfModel`).
import { PLANNER_CONSTANTS as K } from './constants.js';
import { checkTables, enumerate } from './enumerate.js';
import { checkInt, checkNumber, checkPlanObject, checkTopology, fail } from './errors.js';
import { greedyPerfPartitioner } from './partitioners.js';
import { perfEstimator } from './perf-estimator.js';
import { greedyProposer, gridSearchProposer, uniformProposer } from './proposers.js';
import { type ReserveOptions, reserveStorage, storageEstimator } from './storage-estimator.js';
import {
  type Constraints,
  type CostModel,
  compareStorage,
  type Estimator,
  fitsIn,
  type Partitioner,
  type Plan,
  type Proposer,
  perfTotal,
  type ShardingOption,
  type Storage,
  type TableSpec,
  type Topology,
} from './types.js';

/**
 * Critical-rank cost of a placed plan (torchrec `NoopPerfModel.rate`): max over ranks of Σ shard `perf.total` (ms).
 *
 * @throws TesseraError `INVALID_PLAN` when a shard has no rank or a rank outside [0, W).
 * @example
 * ```ts
 * import { createTopology, plan, rate } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const t = { modulePath: 'ebc', name: 't', rows: 1000, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] };
 * const p = plan([t], topo);
 * rate(p) > 0; // → true
 * ```
 */
export function rate(p: Plan): number {
  checkPlanObject('rate', p);
  return Math.max(...perRankPerf(p));
}

/**
 * Σ shard `perf.total` per rank, in torchrec's summation order.
 *
 * @example
 * ```ts
 * import { createTopology, perRankPerf, plan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const t = { modulePath: 'ebc', name: 't', rows: 1000, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] };
 * perRankPerf(plan([t], topo)).length; // → 2
 * ```
 */
export function perRankPerf(p: Plan): number[] {
  checkPlanObject('perRankPerf', p);
  const W = p.topology.worldSize;
  const perfs = new Array<number>(W).fill(0);
  for (const so of p.options) {
    for (const s of so.shards) {
      if (s.rank === null || !Number.isInteger(s.rank) || s.rank < 0 || s.rank >= W)
        fail('INVALID_PLAN', 'rate', `shard of '${so.fqn}' has no valid rank`, s.rank);
      perfs[s.rank] += perfTotal(s.perf);
    }
  }
  return perfs;
}

/** Options of {@link plan}. */
export interface PlanOptions {
  constraints?: Record<string, Constraints>;
  /** Batch size per rank (default 512). */
  batchSize?: number;
  /** Proposers in order (default: grid search, greedy by depth, greedy by sum, uniform — torchrec's defaults). */
  proposers?: Proposer[];
  partitioner?: Partitioner;
  perf?: Estimator;
  storage?: Estimator;
  /** Both estimators at once (overrides `perf`/`storage`). */
  costModel?: CostModel;
  /** HBM reservation fraction (default 0.15), or full reservation options. */
  reservation?: number | ReserveOptions;
  /**
   * Stop proposing after this many ms and keep the best plan so far (torchrec `timeout_seconds`). Default 10 000:
   * torchrec's default proposers walk one greedy step per table option, thousands of partitions for hundreds of
   * tables. `0` or `Infinity` = torchrec's unbounded search.
   */
  timeoutMs?: number;
  /** Plan a quantized (inference) module. */
  quantized?: boolean;
}

/**
 * Default planning time budget of {@link plan} in ms (after it, the best plan found so far is returned).
 *
 * @example
 * ```ts
 * import { DEFAULT_PLAN_TIMEOUT_MS } from '@tessera/embedding-sharding';
 * DEFAULT_PLAN_TIMEOUT_MS; // → 10000
 * ```
 */
export const DEFAULT_PLAN_TIMEOUT_MS = 10_000;

/** What the planner did. */
export interface PlanStats {
  proposals: number;
  plans: number;
  timeMs: number;
  rating: number;
}

/** Deep copy of options (shards copied, tables shared). @internal */
export function cloneOptions(options: readonly ShardingOption[]): ShardingOption[] {
  return options.map((so) => ({
    ...so,
    ...(so.inputLengths ? { inputLengths: [...so.inputLengths] } : {}),
    shards: so.shards.map((s) => ({
      size: [...s.size] as [number, number],
      offset: [...s.offset] as [number, number],
      rank: s.rank,
      perf: { ...s.perf },
      storage: { ...s.storage },
    })),
  }));
}

/**
 * Plans the tables on the topology with torchrec's flow: reserve storage (heuristic 15%), enumerate options and run
 * both estimators, then for each proposer and each new proposal (deduplicated) partition and rate; the lowest rating
 * wins (the earlier plan on ties). With no plan: `PLANNER_INSUFFICIENT_STORAGE` if the smallest proposal's storage
 * exceeds the summed reserved capacity, else `PLANNER_STRICT_CONSTRAINTS`; the message names the last table that could
 * not be placed, its sharding type, the bytes it needed and the reservation percentage. `plan.topology` is the reserved
 * topology.
 *
 * @throws TesseraError `PLANNER_INSUFFICIENT_STORAGE`, `PLANNER_STRICT_CONSTRAINTS`, `PLANNER_PARTITION` (from a custom
 * partitioner), `INVALID_ARGUMENT`, `INVALID_KEY`.
 * @example
 * ```ts
 * import { createTopology, plan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
 * const tables = [1000, 50_000, 200].map((rows, i) => ({ modulePath: 'ebc', name: `t${i}`, rows, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: [`f${i}`] }));
 * const p = plan(tables, topo);
 * p.options.length; // → 3
 * ```
 */
export function plan(tables: readonly TableSpec[], topo: Topology, o: PlanOptions = {}): Plan & { stats: PlanStats } {
  const fn = 'plan';
  const t0 = performance.now();
  checkTables(fn, tables);
  checkTopology(fn, topo);
  if (o === null || typeof o !== 'object') fail('INVALID_ARGUMENT', fn, 'options must be an object', o);
  const batchSize = o.batchSize === undefined ? K.BATCH_SIZE : checkInt(o.batchSize, fn, 'batchSize', 1, 1 << 30);
  // torchrec: `if self._timeout_seconds:` — 0 means no timeout, as does Infinity here
  const timeout =
    o.timeoutMs === undefined
      ? DEFAULT_PLAN_TIMEOUT_MS
      : o.timeoutMs === Number.POSITIVE_INFINITY || checkNumber(o.timeoutMs, fn, 'timeoutMs', 0) === 0
        ? undefined
        : o.timeoutMs;
  const res: ReserveOptions = typeof o.reservation === 'number' ? { percentage: o.reservation } : { ...(o.reservation ?? {}) };
  const percentage = res.percentage ?? 0.15;
  const reserved = reserveStorage(topo, { ...res, tables: res.tables ?? tables, constraints: res.constraints ?? o.constraints, batchSize });
  const perf = o.costModel?.perf ?? o.perf ?? perfEstimator(o.constraints);
  const storage = o.costModel?.storage ?? o.storage ?? storageEstimator(o.constraints);
  const space = enumerate(tables, topo, o.constraints, { batchSize, estimators: [perf, storage], quantized: o.quantized });
  if (space.length === 0)
    return { options: [], topology: reserved, stats: { proposals: 0, plans: 0, timeMs: performance.now() - t0, rating: 0 } };
  const ids = new Map<ShardingOption, number>(space.map((so, i) => [so, i]));
  const proposers = o.proposers ?? [gridSearchProposer(), greedyProposer(), greedyProposer({ useDepth: false }), uniformProposer()];
  const partitioner = o.partitioner ?? greedyPerfPartitioner();
  for (const p of proposers) p.load(space);
  let timedOut = false;
  const tSearch = performance.now(); // torchrec starts the timeout clock after loading the proposers
  const cache = new Map<string, { partitionable: boolean; rating?: number }>();
  let best: { proposal: ShardingOption[]; ranks: (number | null)[][] } | null = null;
  let bestRating = Number.POSITIVE_INFINITY;
  let lowest: Storage = { hbm: Number.MAX_VALUE, ddr: Number.MAX_VALUE };
  let lastError: { message: string; details: Record<string, unknown> } | null = null;
  let proposals = 0;
  let plans = 0;
  const W = topo.worldSize;
  outer: for (const proposer of proposers) {
    let proposal = proposer.propose();
    while (proposal) {
      // checked between proposals, as torchrec does; with no plan yet the failure is reported as usual
      if (timeout !== undefined && performance.now() - tSearch > timeout) {
        timedOut = true;
        break outer;
      }
      const key = proposal
        .map((so) => ids.get(so) ?? -1)
        .sort((a, b) => a - b)
        .join(',');
      const hit = cache.get(key);
      if (hit) {
        proposer.feedback({ partitionable: hit.partitionable, rating: hit.rating, storageConstraint: reserved });
        proposal = proposer.propose();
        continue;
      }
      proposals++;
      try {
        const placed = partitioner.partition(proposal, reserved);
        plans++;
        const perfs = new Array<number>(W).fill(0);
        for (const so of placed) for (const s of so.shards) perfs[s.rank as number] += perfTotal(s.perf);
        const rating = Math.max(...perfs);
        if (rating < bestRating) {
          bestRating = rating;
          best = { proposal: placed, ranks: placed.map((so) => so.shards.map((s) => s.rank)) };
        }
        cache.set(key, { partitionable: true, rating });
        proposer.feedback({ partitionable: true, plan: placed, rating, storageConstraint: reserved });
      } catch (e) {
        const err = e as { code?: string; message: string; details?: Record<string, unknown> };
        if (typeof err.code !== 'string' || !err.code.startsWith('PLANNER_')) throw e;
        lastError = { message: err.message, details: err.details ?? {} };
        let hbm = 0;
        let ddr = 0;
        for (const so of proposal) {
          for (const s of so.shards) {
            hbm += s.storage.hbm;
            ddr += s.storage.ddr;
          }
        }
        if (compareStorage({ hbm, ddr }, lowest) < 0) lowest = { hbm, ddr };
        cache.set(key, { partitionable: false });
        proposer.feedback({ partitionable: false, plan: proposal, storageConstraint: reserved });
      }
      for (const so of proposal) for (const s of so.shards) s.rank = null;
      proposal = proposer.propose();
    }
  }
  if (best) {
    const options = cloneOptions(best.proposal);
    options.forEach((so, i) => {
      so.shards.forEach((s, j) => {
        s.rank = best.ranks[i][j];
      });
    });
    return { options, topology: reserved, stats: { proposals, plans, timeMs: performance.now() - t0, rating: bestRating } };
  }
  if (timedOut && proposals === 0) {
    fail(
      'PLANNER_STRICT_CONSTRAINTS',
      fn,
      `planning timed out after ${timeout} ms before any proposal was partitioned; raise timeoutMs`,
      timeout,
      {
        timeoutMs: timeout,
      },
    );
  }
  const cap = reserved.devices.reduce((a, d) => ({ hbm: a.hbm + d.storage.hbm, ddr: a.ddr + d.storage.ddr }), {
    hbm: 0,
    ddr: 0,
  } as Storage);
  // the largest table (by its smallest per-shard footprint over all options), as torchrec PR #1192 reports it
  let largest: { so: ShardingOption; hbm: number; ddr: number } | null = null;
  const bestShard = new Map<string, { so: ShardingOption; hbm: number; ddr: number }>();
  for (const so of space) {
    const hbm = Math.max(...so.shards.map((x) => x.storage.hbm));
    const ddr = Math.max(...so.shards.map((x) => x.storage.ddr));
    const cur = bestShard.get(so.fqn);
    if (!cur || compareStorage({ hbm, ddr }, cur) < 0) bestShard.set(so.fqn, { so, hbm, ddr });
  }
  for (const e of bestShard.values()) if (!largest || compareStorage(e, largest) > 0) largest = e;
  const dev = reserved.devices[0].storage;
  const big = largest
    ? `; largest table '${largest.so.fqn}' needs at least HBM ${largest.hbm} B / DDR ${largest.ddr} B per shard (${largest.so.shardingType}, ${largest.so.computeKernel}) vs per-rank reserved HBM ${dev.hbm} B / DDR ${dev.ddr} B`
    : '';
  const tail = `; reservation ${percentage * 100}%; ${proposals} proposals evaluated; reserved capacity HBM ${cap.hbm} B, DDR ${cap.ddr} B; smallest proposal needs HBM ${lowest.hbm} B, DDR ${lowest.ddr} B${big}${lastError ? `; last error: ${lastError.message}` : ''}`;
  const details = {
    ...(lastError?.details ?? {}),
    reservation: percentage,
    lowestStorage: lowest,
    capacity: cap,
    ...(largest ? { largestTable: largest.so.table.name, largestShardingType: largest.so.shardingType } : {}),
  };
  if (!fitsIn(lowest, cap)) fail('PLANNER_INSUFFICIENT_STORAGE', fn, `no plan fits the reserved storage${tail}`, undefined, details);
  fail('PLANNER_STRICT_CONSTRAINTS', fn, `no plan satisfies the constraints${tail}`, undefined, details);
}
