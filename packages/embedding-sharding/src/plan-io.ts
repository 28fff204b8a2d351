// Plan validation, printing, torchrec ShardingPlan JSON export/import and manual shorthands
// (pytorch/torchrec torchrec/distributed/planner/planners.py `to_sharding_plan`, distributed/types.py
// `ShardingPlan._serialize`, distributed/sharding_plan.py `construct_module_sharding_plan`).
import { PLANNER_CONSTANTS as K } from './constants.js';
import { allowedComputeKernels, allowedShardingTypes, checkTables } from './enumerate.js';
import { checkInt, checkPlanObject, checkTopology, fail } from './errors.js';
import { cwBlockSize, shardGeometry } from './geometry.js';
import { perfEstimator } from './perf-estimator.js';
import { perRankPerf } from './planner.js';
import { storageEstimator } from './storage-estimator.js';
import {
  COMPUTE_KERNELS,
  type ComputeKernel,
  type Constraints,
  type Estimator,
  type Plan,
  partitionByOf,
  perfTotal,
  SHARDING_TYPES,
  type Shard,
  type ShardingOption,
  type ShardingType,
  type TableSpec,
  type Topology,
  zeroPerf,
} from './types.js';

/** One problem found by {@link validatePlan}. */
export interface PlanIssue {
  /** Always `'INVALID_PLAN'`. */
  code: string;
  /** Short rule name: missing, duplicate, unknown_table, type_not_allowed, kernel_not_allowed, tiling, ranks, placement, dp_ranks, spans_hosts, grid_shards, capacity. */
  rule: string;
  table?: string;
  message: string;
}

/**
 * Placement string torchrec writes for a rank (`rank:{r}/cuda:{r mod L}`, `rank:{r}/cpu`).
 *
 * @example
 * ```ts
 * import { createTopology, placementOf } from '@tessera/embedding-sharding';
 * placementOf(createTopology({ worldSize: 16, localWorldSize: 8, computeDevice: 'cuda' }), 11); // → 'rank:11/cuda:3'
 * ```
 */
export function placementOf(topo: Topology, rank: number): string {
  checkTopology('placementOf', topo);
  checkInt(rank, 'placementOf', 'rank', 0, topo.worldSize - 1);
  return topo.computeDevice === 'cpu' ? `rank:${rank}/cpu` : `rank:${rank}/${topo.computeDevice}:${rank % topo.localWorldSize}`;
}

function tilingProblem(so: ShardingOption): string | null {
  const R = so.table.rows;
  const C = so.table.dim;
  if (so.shardingType === 'data_parallel') {
    for (const s of so.shards) {
      if (s.size[0] !== R || s.size[1] !== C || s.offset[0] !== 0 || s.offset[1] !== 0) return 'data-parallel shards must be full replicas';
    }
    return null;
  }
  let area = 0;
  const nz: number[] = [];
  for (let i = 0; i < so.shards.length; i++) {
    const s = so.shards[i];
    const [r, c] = s.size;
    const [ro, co] = s.offset;
    if (![r, c, ro, co].every((x) => Number.isInteger(x) && x >= 0)) return `shard ${i} has a negative or non-integer size/offset`;
    if (ro + r > R || co + c > C) return `shard ${i} [${s.size}] at [${s.offset}] is out of bounds of [${R}, ${C}]`;
    area += r * c;
    if (r * c > 0) nz.push(i);
  }
  // overlap check: sort by (rowOffset, colOffset) and sweep pairs sharing rows (shard counts are small)
  for (let a = 0; a < nz.length; a++) {
    for (let b = a + 1; b < nz.length; b++) {
      const x = so.shards[nz[a]];
      const y = so.shards[nz[b]];
      if (
        x.offset[0] < y.offset[0] + y.size[0] &&
        y.offset[0] < x.offset[0] + x.size[0] &&
        x.offset[1] < y.offset[1] + y.size[1] &&
        y.offset[1] < x.offset[1] + x.size[1]
      ) {
        return `shards ${nz[a]} and ${nz[b]} overlap`;
      }
    }
  }
  if (area !== R * C) return `shards cover ${area} of ${R * C} elements (gap)`;
  return null;
}

/**
 * Checks a plan against its tables and topology and returns every problem found (empty = valid): each shardable table
 * exactly once, no unknown tables, sharding type and kernel allowed for the device and module kind, shards tiling
 * `[R, C]` exactly (zero-row row-wise shards are fine), every shard on a rank in `[0, W)`, data-parallel on all ranks,
 * TWRW/TWCW inside one host, grid shards a multiple of L, and per-rank Σ storage within the plan topology's capacity.
 *
 * @example
 * ```ts
 * import { createTopology, plan, validatePlan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const tables = [{ modulePath: 'ebc', name: 't', rows: 1000, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] }];
 * validatePlan(plan(tables, topo), tables); // → []
 * ```
 */
export function validatePlan(p: Plan, tables: readonly TableSpec[]): PlanIssue[] {
  const fn = 'validatePlan';
  checkPlanObject(fn, p);
  checkTables(fn, tables);
  const issues: PlanIssue[] = [];
  const add = (rule: string, message: string, table?: string) =>
    issues.push({ code: 'INVALID_PLAN', rule, message, ...(table ? { table } : {}) });
  const topo = p.topology;
  const W = topo.worldSize;
  const L = topo.localWorldSize;
  const known = new Map(tables.map((t) => [`${t.modulePath}.${t.name}`, t]));
  const count = new Map<string, number>();
  const used = new Array<{ hbm: number; ddr: number }>(W).fill({ hbm: 0, ddr: 0 }).map(() => ({ hbm: 0, ddr: 0 }));
  for (const so of p.options) {
    const name = so.table?.name ?? so.fqn;
    count.set(so.fqn, (count.get(so.fqn) ?? 0) + 1);
    const t = known.get(so.fqn);
    if (!t) {
      add('unknown_table', `table '${so.fqn}' is not among the given tables`, name);
      continue;
    }
    if (!SHARDING_TYPES.includes(so.shardingType) || !allowedShardingTypes(t.moduleKind, topo.computeDevice).includes(so.shardingType)) {
      add(
        'type_not_allowed',
        `sharding type '${so.shardingType}' is not allowed for a ${t.moduleKind} table on ${topo.computeDevice}`,
        name,
      );
    }
    const okKernels = new Set<ComputeKernel>([
      ...allowedComputeKernels(so.shardingType, topo.computeDevice),
      ...allowedComputeKernels(so.shardingType, topo.computeDevice, true),
    ]);
    if (!COMPUTE_KERNELS.includes(so.computeKernel) || !okKernels.has(so.computeKernel)) {
      add(
        'kernel_not_allowed',
        `compute kernel '${so.computeKernel}' is not allowed with '${so.shardingType}' on ${topo.computeDevice}`,
        name,
      );
    }
    const tp = t.rows === so.table.rows && t.dim === so.table.dim ? tilingProblem(so) : 'the option describes a different table shape';
    if (tp) add('tiling', `'${so.fqn}': ${tp}`, name);
    const ranks: number[] = [];
    so.shards.forEach((s: Shard, i: number) => {
      if (s.rank === null || !Number.isInteger(s.rank) || s.rank < 0 || s.rank >= W) {
        add('ranks', `'${so.fqn}' shard ${i} has rank ${s.rank}, outside [0, ${W})`, name);
        return;
      }
      ranks.push(s.rank);
      used[s.rank].hbm += s.storage.hbm;
      used[s.rank].ddr += s.storage.ddr;
    });
    if (so.shardingType === 'data_parallel' && (so.shards.length !== W || new Set(ranks).size !== W)) {
      add('dp_ranks', `data-parallel '${so.fqn}' must have one replica on every one of the ${W} ranks`, name);
    }
    if (so.shardingType === 'row_wise' && so.shards.length !== W)
      add('ranks', `row-wise '${so.fqn}' must have ${W} shards, got ${so.shards.length}`, name);
    if (
      (so.shardingType === 'table_row_wise' || so.shardingType === 'table_column_wise') &&
      new Set(ranks.map((r) => Math.floor(r / L))).size > 1
    ) {
      add('spans_hosts', `'${so.fqn}' (${so.shardingType}) spans more than one host`, name);
    }
    if (so.shardingType === 'grid_shard' && so.shards.length % L !== 0) {
      add('grid_shards', `grid-sharded '${so.fqn}' has ${so.shards.length} shards, not a multiple of ${L}`, name);
    }
  }
  for (const [fqn, t] of known) {
    const n = count.get(fqn) ?? 0;
    if (n === 0) add('missing', `table '${fqn}' is not in the plan`, t.name);
    if (n > 1) add('duplicate', `table '${fqn}' appears ${n} times in the plan`, t.name);
  }
  used.forEach((u, r) => {
    const cap = topo.devices[r].storage;
    if (u.hbm > cap.hbm || u.ddr > cap.ddr) {
      add('capacity', `rank ${r} uses HBM ${u.hbm} B / DDR ${u.ddr} B, over its capacity HBM ${cap.hbm} B / DDR ${cap.ddr} B`);
    }
  });
  return issues;
}

const GiB = 1024 ** 3;
const fmtG = (b: number) => (b / GiB).toFixed(3);
const fmtMs = (x: number) => x.toPrecision(4);

function pad(rows: string[][]): string {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ')).join('\n');
}

/**
 * A printable report of a plan, like torchrec's planner stats: per rank (host, shards, HBM/DDR in GiB, the five perf
 * terms and the total in ms, `*` on the critical rank), then per table its type, kernel and every shard (rows, cols,
 * offsets, rank, host).
 *
 * @example
 * ```ts
 * import { createTopology, formatPlan, plan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const tables = [{ modulePath: 'ebc', name: 't', rows: 1000, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] }];
 * formatPlan(plan(tables, topo)).includes('critical rank'); // → true
 * ```
 */
export function formatPlan(p: Plan): string {
  checkPlanObject('formatPlan', p);
  const topo = p.topology;
  const W = topo.worldSize;
  const L = topo.localWorldSize;
  const per = Array.from({ length: W }, () => ({ n: 0, hbm: 0, ddr: 0, ...zeroPerf() }));
  for (const so of p.options) {
    for (const s of so.shards) {
      if (s.rank === null || s.rank < 0 || s.rank >= W) continue;
      const r = per[s.rank];
      r.n++;
      r.hbm += s.storage.hbm;
      r.ddr += s.storage.ddr;
      r.fwdCompute += s.perf.fwdCompute;
      r.fwdComms += s.perf.fwdComms;
      r.bwdCompute += s.perf.bwdCompute;
      r.bwdComms += s.perf.bwdComms;
      r.prefetchCompute += s.perf.prefetchCompute;
    }
  }
  const totals = perRankPerf(p);
  const crit = totals.indexOf(Math.max(...totals));
  const rows: string[][] = [
    ['rank', 'host', 'shards', 'HBM GiB', 'DDR GiB', 'fwd comp', 'fwd comm', 'bwd comp', 'bwd comm', 'prefetch', 'total ms'],
  ];
  per.forEach((r, i) => {
    rows.push([
      `${i}${i === crit ? '*' : ''}`,
      String(Math.floor(i / L)),
      String(r.n),
      fmtG(r.hbm),
      fmtG(r.ddr),
      fmtMs(r.fwdCompute),
      fmtMs(r.fwdComms),
      fmtMs(r.bwdCompute),
      fmtMs(r.bwdComms),
      fmtMs(r.prefetchCompute),
      fmtMs(totals[i]),
    ]);
  });
  const sum = totals.reduce((a, b) => a + b, 0);
  const lines = [
    `plan: ${p.options.length} tables on ${W} ranks (${W / L} hosts × ${L}), ${topo.computeDevice}`,
    pad(rows),
    `critical rank ${crit}: ${fmtMs(totals[crit])} ms; lower bound Σ/W ${fmtMs(sum / W)} ms; ratio ${(totals[crit] / (sum / W || 1)).toFixed(3)}`,
    '',
    'tables:',
  ];
  for (const so of p.options) {
    lines.push(
      `  ${so.fqn}  ${so.shardingType}  ${so.computeKernel}  [${so.table.rows}, ${so.table.dim}]  pf ${(so.inputLengths ?? []).join('/') || 'default'}`,
    );
    for (const s of so.shards) {
      lines.push(
        `    rows ${s.size[0]} cols ${s.size[1]} @ [${s.offset[0]}, ${s.offset[1]}] → rank ${s.rank} (host ${s.rank === null ? '-' : Math.floor(s.rank / L)})  ${fmtMs(perfTotal(s.perf))} ms`,
      );
    }
  }
  return lines.join('\n');
}

/** torchrec `ParameterSharding` JSON (as `ShardingPlan._serialize` writes it). */
export interface TorchrecParameterSharding {
  sharding_type: ShardingType;
  compute_kernel: ComputeKernel;
  ranks: number[];
  shards?: { shard_offsets: number[]; shard_sizes: number[]; placement: string }[];
}

/** torchrec `ShardingPlan` JSON. */
export interface TorchrecPlanJson {
  plan: Record<string, Record<string, TorchrecParameterSharding>>;
}

/**
 * torchrec's ShardingPlan JSON (`ShardingPlan._serialize`): `{plan: {modulePath: {table: {sharding_type,
 * compute_kernel, ranks, shards: [{shard_offsets, shard_sizes, placement}]}}}}`, `shards` omitted for data-parallel.
 * Tiered (FlexShard) tables have no torchrec equivalent: `UNSUPPORTED` unless `{approximate: 'row_wise'}`, which
 * writes them as plain row-wise.
 *
 * @throws TesseraError `UNSUPPORTED` (tiered tables), `INVALID_PLAN` (a shard without rank).
 * @example
 * ```ts
 * import { createTopology, plan, toTorchrecPlan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const tables = [{ modulePath: 'ebc', name: 't', rows: 1000, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] }];
 * const json = toTorchrecPlan(plan(tables, topo));
 * Object.keys(json.plan.ebc); // → ['t']
 * ```
 */
export function toTorchrecPlan(p: Plan, o: { approximate?: 'row_wise' } = {}): TorchrecPlanJson {
  const fn = 'toTorchrecPlan';
  checkPlanObject(fn, p);
  const out: TorchrecPlanJson = { plan: {} };
  for (const so of p.options) {
    if (p.tiered?.[so.fqn] && o.approximate !== 'row_wise') {
      fail(
        'UNSUPPORTED',
        fn,
        `table '${so.fqn}' uses tiered row replication, which torchrec cannot express; pass { approximate: 'row_wise' }`,
        so.fqn,
      );
    }
    const ranks = so.shards.map((s: Shard, i: number) => {
      if (s.rank === null) fail('INVALID_PLAN', fn, `shard ${i} of '${so.fqn}' has no rank`, s.rank);
      return s.rank;
    });
    const ps: TorchrecParameterSharding = { sharding_type: so.shardingType, compute_kernel: so.computeKernel, ranks };
    if (so.shardingType !== 'data_parallel') {
      ps.shards = so.shards.map((s: Shard) => ({
        shard_offsets: [...s.offset],
        shard_sizes: [...s.size],
        placement: placementOf(p.topology, s.rank as number),
      }));
    }
    const mod = so.table.modulePath;
    out.plan[mod] ??= {};
    out.plan[mod][so.table.name] = ps;
  }
  return out;
}

/** Options of {@link fromTorchrecPlan}. */
export interface FromTorchrecOptions {
  constraints?: Record<string, Constraints>;
  batchSize?: number;
  /** Estimators used to refill perf and storage (default: torchrec's). */
  estimators?: Estimator[];
}

/**
 * Parses torchrec ShardingPlan JSON (as written by {@link toTorchrecPlan} or torchrec's `_serialize`) back into a
 * {@link Plan}, recomputing each shard's perf and storage with the estimators. Every structural problem is collected
 * and thrown at once.
 *
 * @throws TesseraError `INVALID_PLAN` (unknown module/table, bad type or kernel, ranks/shards mismatch, placement
 * inconsistent with its rank, malformed JSON), with `details.issues`.
 * @example
 * ```ts
 * import { createTopology, fromTorchrecPlan, plan, toTorchrecPlan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const tables = [{ modulePath: 'ebc', name: 't', rows: 1000, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] }];
 * const back = fromTorchrecPlan(toTorchrecPlan(plan(tables, topo)), tables, topo);
 * back.options.length; // → 1
 * ```
 */
export function fromTorchrecPlan(json: unknown, tables: readonly TableSpec[], topo: Topology, o: FromTorchrecOptions = {}): Plan {
  const fn = 'fromTorchrecPlan';
  checkTables(fn, tables);
  checkTopology(fn, topo);
  const problems: string[] = [];
  const root = json as TorchrecPlanJson;
  if (!root || typeof root !== 'object' || !root.plan || typeof root.plan !== 'object')
    fail('INVALID_PLAN', fn, 'json must be {plan: {module: {table: …}}}', json);
  const byFqn = new Map(tables.map((t) => [`${t.modulePath}.${t.name}`, t]));
  const options: ShardingOption[] = [];
  const batchSize = o.batchSize ?? K.BATCH_SIZE;
  for (const [mod, params] of Object.entries(root.plan)) {
    if (!params || typeof params !== 'object') {
      problems.push(`module '${mod}' is not an object`);
      continue;
    }
    for (const [name, ps] of Object.entries(params as Record<string, TorchrecParameterSharding>)) {
      const t = byFqn.get(`${mod}.${name}`);
      if (!t) {
        problems.push(`unknown table '${mod}.${name}'`);
        continue;
      }
      if (!SHARDING_TYPES.includes(ps?.sharding_type)) {
        problems.push(`'${name}': unknown sharding_type ${JSON.stringify(ps?.sharding_type)}`);
        continue;
      }
      if (!COMPUTE_KERNELS.includes(ps.compute_kernel))
        problems.push(`'${name}': unknown compute_kernel ${JSON.stringify(ps.compute_kernel)}`);
      if (!Array.isArray(ps.ranks) || !ps.ranks.every((r) => Number.isInteger(r))) {
        problems.push(`'${name}': ranks must be a list of integers`);
        continue;
      }
      let shards: ShardingOption['shards'];
      if (ps.sharding_type === 'data_parallel') {
        shards = ps.ranks.map((r) => ({ size: [t.rows, t.dim], offset: [0, 0], rank: r, perf: zeroPerf(), storage: { hbm: 0, ddr: 0 } }));
      } else {
        if (!Array.isArray(ps.shards)) {
          problems.push(`'${name}': shards missing for ${ps.sharding_type}`);
          continue;
        }
        if (ps.shards.length !== ps.ranks.length) problems.push(`'${name}': ${ps.ranks.length} ranks for ${ps.shards.length} shards`);
        shards = [];
        ps.shards.forEach((s, i) => {
          const ok = (a: unknown) => Array.isArray(a) && a.length === 2 && a.every((x) => Number.isInteger(x));
          if (!ok(s?.shard_sizes) || !ok(s?.shard_offsets)) {
            problems.push(`'${name}' shard ${i}: shard_sizes/shard_offsets must be [rows, cols] integers`);
            return;
          }
          const rank = ps.ranks[i] ?? null;
          if (rank !== null && s.placement !== placementOf(topo, rank)) {
            problems.push(
              `'${name}' shard ${i}: placement '${s.placement}' does not match rank ${rank} (expected '${placementOf(topo, rank)}')`,
            );
          }
          shards.push({
            size: [s.shard_sizes[0], s.shard_sizes[1]],
            offset: [s.shard_offsets[0], s.shard_offsets[1]],
            rank,
            perf: zeroPerf(),
            storage: { hbm: 0, ddr: 0 },
          });
        });
      }
      options.push({
        fqn: `${mod}.${name}`,
        table: t,
        shardingType: ps.sharding_type,
        computeKernel: ps.compute_kernel,
        partitionBy: partitionByOf(ps.sharding_type),
        shards,
        inputLengths: [...(o.constraints?.[t.name]?.poolingFactors ?? [K.POOLING_FACTOR])],
        batchSize,
      });
    }
  }
  if (problems.length > 0)
    fail('INVALID_PLAN', fn, `${problems.length} problem(s): ${problems.join('; ')}`, undefined, { issues: problems });
  const est = o.estimators ?? [perfEstimator(o.constraints), storageEstimator(o.constraints)];
  const costed = options.filter((so) =>
    (['dense', 'fused', 'fused_uvm', 'fused_uvm_caching', 'quant', 'quant_uvm', 'quant_uvm_caching'] as string[]).includes(
      so.computeKernel,
    ),
  );
  for (const e of est) e.estimate(costed, topo);
  return { options, topology: topo };
}

/** A manual sharding choice for one table (torchrec `construct_module_sharding_plan` shorthands). */
export interface ManualSharding {
  readonly kind: ShardingType;
  readonly rank?: number;
  readonly ranks?: readonly number[];
  readonly hostIndex?: number;
  readonly hostIndexes?: readonly number[];
  readonly computeKernel?: ComputeKernel;
}

/**
 * Manual shorthands mirroring torchrec `sharding_plan.py`: `tableWise(rank)`, `rowWise()`, `columnWise(ranks)`
 * (C/len(ranks)-column blocks on those ranks, which may repeat), `tableRowWise(hostIndex)`, `dataParallel()`,
 * `gridShard(hostIndexes)` (column block j on host `hostIndexes[j]`). Build a plan with {@link manualPlan}.
 *
 * @example
 * ```ts
 * import { manual } from '@tessera/embedding-sharding';
 * manual.tableWise(3); // → { kind: 'table_wise', rank: 3 }
 * ```
 */
export const manual = Object.freeze({
  tableWise: (rank: number, computeKernel?: ComputeKernel): ManualSharding => ({
    kind: 'table_wise',
    rank: checkInt(rank, 'manual.tableWise', 'rank', 0),
    ...(checkKernel('manual.tableWise', computeKernel) ? { computeKernel } : {}),
  }),
  rowWise: (computeKernel?: ComputeKernel): ManualSharding => ({
    kind: 'row_wise',
    ...(checkKernel('manual.rowWise', computeKernel) ? { computeKernel } : {}),
  }),
  columnWise: (ranks: number[], computeKernel?: ComputeKernel): ManualSharding => ({
    kind: 'column_wise',
    ranks: intList('manual.columnWise', 'ranks', ranks),
    ...(checkKernel('manual.columnWise', computeKernel) ? { computeKernel } : {}),
  }),
  tableRowWise: (hostIndex: number): ManualSharding => ({
    kind: 'table_row_wise',
    hostIndex: checkInt(hostIndex, 'manual.tableRowWise', 'hostIndex', 0),
  }),
  dataParallel: (): ManualSharding => ({ kind: 'data_parallel' }),
  gridShard: (hostIndexes: number[]): ManualSharding => ({
    kind: 'grid_shard',
    hostIndexes: intList('manual.gridShard', 'hostIndexes', hostIndexes),
  }),
});

function intList(fn: string, name: string, xs: unknown): number[] {
  if (!Array.isArray(xs) || xs.length === 0 || xs.length > 1 << 20)
    fail('INVALID_ARGUMENT', fn, `${name} must be a non-empty array of integers ≥ 0`, xs);
  return xs.map((x, i) => checkInt(x, fn, `${name}[${i}]`, 0));
}

function checkKernel(fn: string, k: unknown): boolean {
  if (k === undefined) return false;
  if (!COMPUTE_KERNELS.includes(k as ComputeKernel))
    fail('INVALID_ARGUMENT', fn, `computeKernel must be one of ${COMPUTE_KERNELS.join(', ')}`, k);
  return true;
}

/**
 * A plan from manual choices, one per table name (torchrec `construct_module_sharding_plan`), with perf and storage
 * estimated.
 *
 * @throws TesseraError `INVALID_KEY` (a choice for an unknown table, a table without choice), `INVALID_ARGUMENT`
 * (rank/host out of range, columns not divisible by `ranks.length`).
 * @example
 * ```ts
 * import { createTopology, manual, manualPlan, validatePlan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
 * const tables = ['a', 'b'].map((name) => ({ modulePath: 'ebc', name, rows: 100, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: [name] }));
 * const p = manualPlan(tables, topo, { a: manual.tableWise(3), b: manual.tableRowWise(1) });
 * validatePlan(p, tables).length; // → 0
 * ```
 */
export function manualPlan(
  tables: readonly TableSpec[],
  topo: Topology,
  choices: Readonly<Record<string, ManualSharding>>,
  o: FromTorchrecOptions = {},
): Plan {
  const fn = 'manualPlan';
  checkTables(fn, tables);
  checkTopology(fn, topo);
  if (choices === null || typeof choices !== 'object')
    fail('INVALID_ARGUMENT', fn, 'choices must be a record of table name → manual sharding', choices);
  const W = topo.worldSize;
  const L = topo.localWorldSize;
  const H = W / L;
  for (const k of Object.keys(choices)) if (!tables.some((t) => t.name === k)) fail('INVALID_KEY', fn, 'choice for an unknown table', k);
  const options: ShardingOption[] = tables.map((t) => {
    const m = choices[t.name];
    if (!m || typeof m !== 'object') fail('INVALID_KEY', fn, `no manual choice for table '${t.name}'`, t.name);
    const kernel: ComputeKernel = m.computeKernel ?? (m.kind === 'data_parallel' ? 'dense' : 'fused');
    let sizes: [number, number][];
    let offsets: [number, number][];
    let ranks: number[];
    const geo = (type: ShardingType, minPartition?: number) =>
      shardGeometry(t.rows, t.dim, type, {
        worldSize: W,
        localWorldSize: L,
        minPartition,
        deviceMemorySizes: topo.deviceMemorySizes ?? undefined,
      });
    switch (m.kind) {
      case 'table_wise': {
        checkInt(m.rank, fn, `'${t.name}' rank`, 0, W - 1);
        ({ sizes, offsets } = geo('table_wise'));
        ranks = [m.rank as number];
        break;
      }
      case 'row_wise':
      case 'data_parallel':
        ({ sizes, offsets } = geo(m.kind));
        ranks = sizes.map((_, i) => i);
        break;
      case 'column_wise': {
        const rs = m.ranks ?? [];
        if (rs.length === 0) fail('INVALID_ARGUMENT', fn, `'${t.name}' columnWise needs ranks`, rs);
        rs.forEach((r, i) => {
          checkInt(r, fn, `'${t.name}' ranks[${i}]`, 0, W - 1);
        });
        if (t.dim % rs.length !== 0)
          fail('INVALID_ARGUMENT', fn, `'${t.name}' dim ${t.dim} cannot be evenly divided across ${rs.length} ranks`, rs);
        const g = geo('column_wise', t.dim / rs.length);
        const n = Math.min(g.sizes.length, rs.length);
        sizes = g.sizes.slice(0, n);
        offsets = g.offsets.slice(0, n);
        ranks = rs.slice(0, n);
        break;
      }
      case 'table_row_wise': {
        const h = checkInt(m.hostIndex, fn, `'${t.name}' hostIndex`, 0, H - 1);
        ({ sizes, offsets } = geo('table_row_wise'));
        ranks = sizes.map((_, i) => h * L + i);
        break;
      }
      case 'grid_shard': {
        const hs = m.hostIndexes ?? [];
        hs.forEach((h, i) => {
          checkInt(h, fn, `'${t.name}' hostIndexes[${i}]`, 0, H - 1);
        });
        const g = geo('grid_shard');
        const blocks = Math.floor(t.dim / cwBlockSize(t.dim, undefined));
        if (hs.length !== blocks)
          fail('INVALID_ARGUMENT', fn, `'${t.name}' gridShard needs one host index per column block (${blocks})`, hs);
        sizes = g.sizes;
        offsets = g.offsets;
        ranks = sizes.map((_, i) => hs[Math.floor(i / L)] * L + (i % L));
        break;
      }
      default:
        fail('INVALID_ARGUMENT', fn, `'${t.name}': unknown manual sharding`, m);
    }
    return {
      fqn: `${t.modulePath}.${t.name}`,
      table: t,
      shardingType: m.kind,
      computeKernel: kernel,
      partitionBy: partitionByOf(m.kind),
      shards: sizes.map((size, i) => ({ size, offset: offsets[i], rank: ranks[i], perf: zeroPerf(), storage: { hbm: 0, ddr: 0 } })),
      inputLengths: [...(o.constraints?.[t.name]?.poolingFactors ?? [K.POOLING_FACTOR])],
      batchSize: o.batchSize ?? K.BATCH_SIZE,
    };
  });
  for (const e of o.estimators ?? [perfEstimator(o.constraints), storageEstimator(o.constraints)]) e.estimate(options, topo);
  return { options, topology: topo };
}
