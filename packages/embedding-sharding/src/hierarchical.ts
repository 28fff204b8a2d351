// Neo-style hierarchical placement (arXiv 2104.05158 describes hosts joined by slower links than the GPUs inside a
// host): tables go to hosts first by longest-processing-time greedy under host capacity, then to devices inside the
// host with the torchrec device greedy. The procedure is this package's design model, costed with the torchrec
// estimators.
import { PLANNER_CONSTANTS as K } from './constants.js';
import { checkTables, enumerate } from './enumerate.js';
import { checkTopology, fail } from './errors.js';
import { type Dev, devicePartition, uniformPartition } from './partitioners.js';
import { cloneOptions } from './planner.js';
import { reserveStorage } from './storage-estimator.js';
import { type Constraints, type Plan, perfTotal, type ShardingOption, type TableSpec, type Topology } from './types.js';

const HOST_LOCAL = new Set(['table_wise', 'column_wise', 'table_row_wise', 'table_column_wise']);

/**
 * Hierarchical (host, then device) placement: for each table the host-local option (TW, CW, TWCW or TWRW) with the
 * least per-shard critical cost that fits in one host; tables in descending Σ cost go to the least-loaded host whose
 * remaining capacity (L × reserved HBM) fits (longest-processing-time greedy); inside the host TWRW shards go one per
 * device and TW/CW/TWCW shards to the least-loaded fitting device (torchrec's tie rules).
 *
 * @throws TesseraError `PLANNER_PARTITION` naming a table no host can take; `PLANNER_INSUFFICIENT_STORAGE` from the
 * reservation; `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { createTopology, hierarchicalPlan, validatePlan } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 8, localWorldSize: 4, computeDevice: 'cuda' });
 * const tables = [1e5, 2e6, 3e3, 5e5].map((rows, i) => ({ modulePath: 'ebc', name: `t${i}`, rows, dim: 64, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: [`f${i}`] }));
 * validatePlan(hierarchicalPlan(tables, topo), tables).length; // → 0
 * ```
 */
export function hierarchicalPlan(
  tables: readonly TableSpec[],
  topo: Topology,
  constraints?: Record<string, Constraints>,
  o: { batchSize?: number; reservation?: number } = {},
): Plan {
  const fn = 'hierarchicalPlan';
  checkTables(fn, tables);
  checkTopology(fn, topo);
  if (o === null || typeof o !== 'object') fail('INVALID_ARGUMENT', fn, 'options must be an object', o);
  const batchSize = o.batchSize ?? K.BATCH_SIZE;
  const reserved = reserveStorage(topo, { percentage: o.reservation ?? 0.15, tables, constraints, batchSize });
  const restricted: Record<string, Constraints> = {};
  for (const t of tables) {
    const c = constraints?.[t.name] ?? {};
    const types = (c.shardingTypes ?? ['table_wise', 'column_wise', 'table_row_wise', 'table_column_wise']).filter((s) =>
      HOST_LOCAL.has(s),
    );
    restricted[t.name] = { ...c, shardingTypes: types.length > 0 ? types : ['table_wise'] };
  }
  const space = enumerate(tables, topo, restricted, { batchSize });
  const L = topo.localWorldSize;
  const H = topo.worldSize / L;
  const devs: Dev[] = reserved.devices.map((d) => ({ rank: d.rank, storage: { ...d.storage }, perf: { ...d.perf } }));
  const hosts = Array.from({ length: H }, (_, h) => devs.slice(h * L, (h + 1) * L));
  const hostCap = hosts.map((hd) => hd.reduce((a, d) => a + d.storage.hbm, 0));
  const byFqn = new Map<string, ShardingOption[]>();
  for (const so of space) {
    const l = byFqn.get(so.fqn) ?? [];
    l.push(so);
    byFqn.set(so.fqn, l);
  }
  const maxShard = (so: ShardingOption) => Math.max(...so.shards.map((s) => perfTotal(s.perf)));
  const sumHbm = (so: ShardingOption) => so.shards.reduce((a, s) => a + s.storage.hbm, 0);
  const sumPerf = (so: ShardingOption) => so.shards.reduce((a, s) => a + perfTotal(s.perf), 0);
  const picks: ShardingOption[] = [];
  for (const [fqn, opts] of byFqn) {
    const fitting = opts.filter(
      (so) => sumHbm(so) <= Math.max(...hostCap) && so.shards.every((s) => s.storage.hbm <= Math.max(...devs.map((d) => d.storage.hbm))),
    );
    const pool = fitting.length > 0 ? fitting : opts;
    pool.sort((a, b) => maxShard(a) - maxShard(b) || sumPerf(a) - sumPerf(b));
    if (!pool[0]) fail('PLANNER_PARTITION', fn, `no option for '${fqn}'`, fqn);
    picks.push(pool[0]);
  }
  const order = picks.map((so, i) => ({ so, i, c: sumPerf(so) })).sort((a, b) => b.c - a.c || a.i - b.i);
  const hostLoad = new Float64Array(H);
  for (const { so } of order) {
    const need = sumHbm(so);
    const hostOrder = Array.from({ length: H }, (_, h) => h).sort((a, b) => hostLoad[a] - hostLoad[b] || a - b);
    let placed = false;
    for (const h of hostOrder) {
      const free = hosts[h].reduce((a, d) => a + d.storage.hbm, 0);
      if (need > free) continue;
      const copies = hosts[h].map((d) => ({ rank: d.rank, storage: { ...d.storage }, perf: { ...d.perf } }));
      try {
        if (so.shardingType === 'table_row_wise') uniformPartition(so, copies);
        else devicePartition(so, copies, L);
      } catch (e) {
        if ((e as { code?: string }).code !== 'PLANNER_PARTITION') throw e;
        continue;
      }
      hosts[h].forEach((d, i) => {
        d.storage = copies[i].storage;
        d.perf = copies[i].perf;
      });
      hostLoad[h] += sumPerf(so);
      placed = true;
      break;
    }
    if (!placed) {
      fail(
        'PLANNER_PARTITION',
        fn,
        `no host fits '${so.fqn}' (${so.shardingType}, HBM ${need} B); host capacity ${Math.max(...hostCap)} B`,
        need,
        {
          table: so.table.name,
          shardingType: so.shardingType,
        },
      );
    }
  }
  return { options: cloneOptions(picks), topology: reserved };
}
