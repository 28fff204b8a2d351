// Partitioners (pytorch/torchrec torchrec/distributed/planner/partitioners.py): GreedyPerfPartitioner and
// MemoryBalancedPartitioner, with torchrec's placement order and tie rules.
import { checkInt, checkNumber, fail } from './errors.js';
import {
  compareStorage,
  fitsIn,
  type Partitioner,
  type Perf,
  perfTotal,
  type ShardingOption,
  type Storage,
  type Topology,
} from './types.js';

/** A partitioner's private copy of a device. @internal */
export interface Dev {
  rank: number;
  storage: Storage;
  perf: Perf;
}

function partitionError(what: string, details: Record<string, unknown>): never {
  fail('PLANNER_PARTITION', 'partition', what, undefined, details);
}

function optionStorage(so: ShardingOption): Storage {
  let hbm = 0;
  let ddr = 0;
  for (const s of so.shards) {
    hbm += s.storage.hbm;
    ddr += s.storage.ddr;
  }
  return { hbm, ddr };
}

function optionPerf(so: ShardingOption): number {
  let p = 0;
  for (const s of so.shards) p += perfTotal(s.perf);
  return p;
}

/** Min device by (perf.total, rank mod L, rank) among those the storage fits (torchrec `OrderedDeviceHardware`). */
function pickDevice(devs: Dev[], need: Storage, L: number): Dev | null {
  let best: Dev | null = null;
  let bt = 0;
  for (const d of devs) {
    if (!fitsIn(need, d.storage)) continue;
    const t = perfTotal(d.perf);
    if (best === null || t < bt || (t === bt && (d.rank % L < best.rank % L || (d.rank % L === best.rank % L && d.rank < best.rank)))) {
      best = d;
      bt = t;
    }
  }
  return best;
}

function assign(d: Dev, so: ShardingOption, i: number): void {
  const s = so.shards[i];
  s.rank = d.rank;
  // devices are private copies made by the partitioner: update in place (same arithmetic as torchrec's __add__/__sub__)
  d.storage.hbm -= s.storage.hbm;
  d.storage.ddr -= s.storage.ddr;
  const p = d.perf;
  p.fwdCompute += s.perf.fwdCompute;
  p.fwdComms += s.perf.fwdComms;
  p.bwdCompute += s.perf.bwdCompute;
  p.bwdComms += s.perf.bwdComms;
  p.prefetchCompute += s.perf.prefetchCompute;
}

/** One shard per device, shard i → devs[i] (torchrec `_uniform_partition`). @internal */
export function uniformPartition(so: ShardingOption, devs: Dev[]): void {
  if (so.shards.length !== devs.length) {
    partitionError(
      `uniform partition of '${so.fqn}' (${so.shardingType}) needs one shard per device: ${so.shards.length} shards, ${devs.length} devices`,
      {
        table: so.table.name,
      },
    );
  }
  for (let i = 0; i < devs.length; i++) {
    const need = so.shards[i].storage;
    if (!fitsIn(need, devs[i].storage)) {
      partitionError(
        `shard ${i} of '${so.fqn}' (${so.shardingType}, HBM ${need.hbm} B, DDR ${need.ddr} B) does not fit on rank ${devs[i].rank} (HBM ${devs[i].storage.hbm} B, DDR ${devs[i].storage.ddr} B left)`,
        { table: so.table.name, shardingType: so.shardingType, need, capacity: devs[i].storage },
      );
    }
    assign(devs[i], so, i);
  }
}

/** Each shard to the least-loaded fitting device (torchrec `_device_partition`). @internal */
export function devicePartition(so: ShardingOption, devs: Dev[], L: number): void {
  for (let i = 0; i < so.shards.length; i++) {
    const need = so.shards[i].storage;
    const d = pickDevice(devs, need, L);
    if (!d) {
      const largest = devs.reduce((a, b) => (compareStorage(a.storage, b.storage) >= 0 ? a : b)).storage;
      partitionError(
        `no rank fits shard ${i} of '${so.fqn}' (${so.shardingType}, HBM ${need.hbm} B, DDR ${need.ddr} B); largest free device storage HBM ${largest.hbm} B, DDR ${largest.ddr} B`,
        { table: so.table.name, shardingType: so.shardingType, need, capacity: largest },
      );
    }
    assign(d, so, i);
  }
}

/** Colocated tables (one group name): every shard of every option on one device. */
function colocatePartition(group: ShardingOption[], devs: Dev[], L: number): void {
  const need = group.reduce(
    (a, so) => {
      const s = optionStorage(so);
      return { hbm: a.hbm + s.hbm, ddr: a.ddr + s.ddr };
    },
    { hbm: 0, ddr: 0 } as Storage,
  );
  const d = pickDevice(devs, need, L);
  if (!d) {
    partitionError(`no rank fits colocated group ${group.map((g) => `'${g.fqn}'`).join(', ')} (HBM ${need.hbm} B, DDR ${need.ddr} B)`, {
      tables: group.map((g) => g.table.name),
      need,
    });
  }
  for (const so of group) for (let i = 0; i < so.shards.length; i++) assign(d, so, i);
}

function hostPerf(h: Dev[]): number {
  let p = 0;
  for (const d of h) p += perfTotal(d.perf);
  return p;
}

function sortHosts(hosts: Dev[][]): Dev[][] {
  const keyed = hosts.map((h, i) => ({ h, i, k: hostPerf(h) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
  return keyed.map((e) => e.h);
}

const cloneDev = (d: Dev): Dev => ({ rank: d.rank, storage: { ...d.storage }, perf: { ...d.perf } });

function commit(orig: Dev[], copies: Dev[]): void {
  const byRank = new Map(copies.map((c) => [c.rank, c]));
  for (const d of orig) {
    const c = byRank.get(d.rank) as Dev;
    d.storage = c.storage;
    d.perf = c.perf;
  }
}

function cohostPartition(group: ShardingOption[], storageSum: Storage, hosts: Dev[][]): void {
  for (const host of sortHosts(hosts)) {
    const copies = host.map(cloneDev);
    const cap = copies.reduce((a, d) => ({ hbm: a.hbm + d.storage.hbm, ddr: a.ddr + d.storage.ddr }), { hbm: 0, ddr: 0 } as Storage);
    if (!fitsIn(storageSum, cap)) continue;
    let ok = true;
    for (const so of group) {
      try {
        if (so.shardingType === 'table_row_wise') uniformPartition(so, copies);
        else if (so.shardingType === 'table_column_wise') devicePartition(so, copies, copies.length);
        else partitionError(`unexpected host-level sharding type ${so.shardingType}`, { table: so.table.name });
      } catch (e) {
        if ((e as { code?: string }).code !== 'PLANNER_PARTITION') throw e;
        ok = false;
        break;
      }
    }
    if (ok) {
      commit(host, copies);
      return;
    }
  }
  const so = group[0];
  partitionError(
    `no host fits '${so.fqn}' (${so.shardingType}, HBM ${storageSum.hbm} B, DDR ${storageSum.ddr} B over the host's ${hosts[0]?.length ?? 0} ranks)`,
    { table: so.table.name, shardingType: so.shardingType, need: storageSum },
  );
}

function multiHostPartition(group: ShardingOption[], hosts: Dev[][]): void {
  if (group.length !== 1) partitionError(`a multi-host group must hold one option, got ${group.length}`, {});
  const so = group[0];
  const L = hosts[0].length;
  const n = so.shards.length;
  if (n % L !== 0)
    partitionError(`grid shards of '${so.fqn}' (${n}) must be a multiple of the local world size (${L})`, { table: so.table.name });
  const need = n / L;
  const sorted = sortHosts(hosts);
  let hostIndex = 0;
  let allUsed = false;
  for (;;) {
    let devs: Dev[];
    if (need >= sorted.length) {
      allUsed = true;
      devs = [];
      for (let i = 0; i < need; i++) devs.push(...sorted[i % sorted.length]);
    } else devs = sorted.slice(hostIndex, hostIndex + need).flat();
    hostIndex++;
    const copies = devs.map(cloneDev);
    let ok = true;
    try {
      uniformPartition(so, copies);
    } catch (e) {
      if ((e as { code?: string }).code !== 'PLANNER_PARTITION') throw e;
      ok = false;
    }
    if (ok) {
      // devices may repeat when hosts are reused; write each copy back in order (the last write wins, as in torchrec)
      for (let i = 0; i < devs.length; i++) {
        devs[i].storage = copies[i].storage;
        devs[i].perf = copies[i].perf;
      }
      return;
    }
    if (hostIndex + need > sorted.length || allUsed) break;
  }
  partitionError(`no hosts fit grid-sharded '${so.fqn}'`, { table: so.table.name, shardingType: so.shardingType });
}

interface Group {
  options: ShardingOption[];
  storageSum: Storage;
  perfSum: number;
  paramCount: number;
}

function groupAndSort(proposal: ShardingOption[], sortBy: 'storage' | 'perf', balanceModules: boolean): Group[] {
  const paramCount = new Map<string, number>();
  for (const so of proposal) paramCount.set(so.table.modulePath, (paramCount.get(so.table.modulePath) ?? 0) + 1);
  const groups = new Map<string, Group>();
  for (const so of proposal) {
    if (so.partitionBy === 'uniform') continue;
    const key = so.dependency ?? so.fqn;
    const g = groups.get(key);
    if (!g) {
      groups.set(key, {
        options: [so],
        storageSum: optionStorage(so),
        perfSum: optionPerf(so),
        paramCount: -(paramCount.get(so.table.modulePath) as number),
      });
    } else {
      g.options.push(so);
      const s = optionStorage(so);
      g.storageSum = { hbm: g.storageSum.hbm + s.hbm, ddr: g.storageSum.ddr + s.ddr };
      g.perfSum += optionPerf(so);
    }
  }
  const list = [...groups.values()].map((g, i) => ({ g, i }));
  const cmp = (a: Group, b: Group): number => {
    if (balanceModules && a.paramCount !== b.paramCount) return a.paramCount < b.paramCount ? -1 : 1;
    if (sortBy === 'storage') return compareStorage(a.storageSum, b.storageSum);
    return a.perfSum < b.perfSum ? -1 : a.perfSum > b.perfSum ? 1 : 0;
  };
  // Python sort(reverse=True) is stable: equal keys keep their first-seen order
  list.sort((x, y) => cmp(y.g, x.g) || x.i - y.i);
  return list.map((e) => e.g);
}

/** Greedy placement with an optional per-device HBM cap override. @internal */
export function greedyPartition(
  proposal: ShardingOption[],
  topo: Topology,
  sortBy: 'storage' | 'perf',
  balanceModules: boolean,
  hbmPerDevice?: number,
): ShardingOption[] {
  const devs: Dev[] = topo.devices.map((d) => ({
    rank: d.rank,
    storage: { hbm: hbmPerDevice || d.storage.hbm, ddr: d.storage.ddr },
    perf: { ...d.perf },
  }));
  const L = topo.localWorldSize;
  const hosts: Dev[][] = [];
  for (let h = 0; h < Math.floor(topo.worldSize / L); h++) hosts.push(devs.slice(h * L, (h + 1) * L));
  for (const so of proposal) if (so.partitionBy === 'uniform') uniformPartition(so, devs);
  for (const g of groupAndSort(proposal, sortBy, balanceModules)) {
    const pb = g.options[0].partitionBy;
    if (pb === 'multi_host') multiHostPartition(g.options, hosts);
    else if (pb === 'host') cohostPartition(g.options, g.storageSum, hosts);
    else if (g.options.length > 1) colocatePartition(g.options, devs, L);
    else devicePartition(g.options[0], devs, L);
  }
  return proposal;
}

/**
 * torchrec `GreedyPerfPartitioner`: uniform options (RW, DP) first, shard i → rank i; then the other options grouped
 * by `dependency` (or fqn) and sorted descending by Σ storage (or Σ perf; with `balanceModules` smaller modules first);
 * device groups go shard by shard to the fitting device with the least (perf, rank mod L, rank); host groups (TWRW,
 * TWCW) to the least-loaded host that fits; grid options over windows of perf-sorted hosts. Sets `shard.rank` in place.
 *
 * @throws TesseraError `PLANNER_PARTITION` naming the table, its sharding type, the bytes needed and the capacity.
 * @example
 * ```ts
 * import { createTopology, enumerate, greedyPerfPartitioner } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const tables = [0, 1, 2, 3].map((i) => ({ modulePath: 'ebc', name: `t${i}`, rows: 100, dim: 10, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: [`f${i}`] }));
 * const c = Object.fromEntries(tables.map((t) => [t.name, { shardingTypes: ['table_wise' as const], computeKernels: ['fused' as const] }]));
 * const placed = greedyPerfPartitioner().partition(enumerate(tables, topo, c), topo);
 * placed.map((o) => o.shards[0].rank); // → [0, 1, 0, 1]
 * ```
 */
export function greedyPerfPartitioner(o: { sortBy?: 'storage' | 'perf'; balanceModules?: boolean } = {}): Partitioner {
  const sortBy = o.sortBy ?? 'storage';
  if (sortBy !== 'storage' && sortBy !== 'perf')
    fail('INVALID_ARGUMENT', 'greedyPerfPartitioner', "sortBy must be 'storage' or 'perf'", sortBy);
  const balance = o.balanceModules ?? false;
  return { partition: (proposal, topo) => greedyPartition(proposal, topo, sortBy, balance) };
}

function rateRanks(plan: ShardingOption[], W: number): number {
  const perfs = new Array<number>(W).fill(0);
  for (const so of plan) for (const s of so.shards) perfs[s.rank as number] += perfTotal(s.perf);
  return Math.max(...perfs);
}

/**
 * torchrec `MemoryBalancedPartitioner`: the greedy plan sorted by perf is the default; then a binary search over a
 * per-device HBM cap between max(mean HBM, largest shard) and the default plan's max HBM keeps the smallest cap whose
 * plan rates within `(1 + tolerance)` of the default (at most `maxSearchCount` tries, stopping under a 10 MiB window).
 *
 * @throws TesseraError `PLANNER_PARTITION` when even the default plan does not fit.
 * @example
 * ```ts
 * import { createTopology, enumerate, memoryBalancedPartitioner } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const t = { modulePath: 'ebc', name: 't', rows: 100, dim: 16, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] };
 * const opts = enumerate([t], topo, { t: { shardingTypes: ['table_wise'], computeKernels: ['fused'] } });
 * memoryBalancedPartitioner().partition(opts, topo)[0].shards[0].rank; // → 0
 * ```
 */
export function memoryBalancedPartitioner(o: { maxSearchCount?: number; tolerance?: number; balanceModules?: boolean } = {}): Partitioner {
  const fn = 'memoryBalancedPartitioner';
  const maxSearch = checkInt(o.maxSearchCount ?? 10, fn, 'maxSearchCount', 0, 1000);
  const tol = checkNumber(o.tolerance ?? 0.02, fn, 'tolerance', 0, 1e6);
  const balance = o.balanceModules ?? false;
  return {
    partition(proposal, topo) {
      const plan = greedyPartition(proposal, topo, 'perf', balance);
      let best = plan.map((so) => so.shards.map((s) => s.rank));
      const original = rateRanks(plan, topo.worldSize);
      const hbmByRank = new Array<number>(topo.worldSize).fill(0);
      let req = 0;
      let maxShard = 0;
      for (const so of plan) {
        for (const s of so.shards) {
          if (s.rank === null) continue;
          hbmByRank[s.rank] += s.storage.hbm;
          req += s.storage.hbm;
          maxShard = Math.max(maxShard, s.storage.hbm);
        }
      }
      let maxHbm = Math.max(...hbmByRank);
      let minHbm = Math.max(Math.trunc(req / topo.worldSize), maxShard);
      const diff = 10 * 1024 * 1024;
      let count = 0;
      while (count < maxSearch && minHbm + diff < maxHbm) {
        count++;
        for (const so of proposal) for (const s of so.shards) s.rank = null;
        const mid = Math.floor((maxHbm + minHbm) / 2);
        try {
          const np = greedyPartition(proposal, topo, 'perf', balance, mid);
          const r = rateRanks(np, topo.worldSize);
          if (r > original * (1 + tol)) minHbm = mid;
          else {
            best = np.map((so) => so.shards.map((s) => s.rank));
            maxHbm = mid;
          }
        } catch (e) {
          if ((e as { code?: string }).code !== 'PLANNER_PARTITION') throw e;
          minHbm = mid;
        }
      }
      plan.forEach((so, i) => {
        so.shards.forEach((s, j) => {
          s.rank = best[i][j];
        });
      });
      return plan;
    },
  };
}
