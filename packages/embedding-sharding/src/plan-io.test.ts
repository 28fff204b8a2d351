import type { TesseraError } from '@tessera/core';
import { describe, expect, test } from 'vitest';
import { table } from '../test/helpers.js';
import {
  createTopology,
  formatPlan,
  fromTorchrecPlan,
  greedyProposer,
  manual,
  manualPlan,
  type Plan,
  plan,
  rate,
  toTorchrecPlan,
  uniformProposer,
  validatePlan,
} from './index.js';

const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
const tables = [table('a', 1000, 256), table('b', 10, 64), table('c', 5000, 64), table('d', 77, 128), table('e', 300, 128)];
const mp = () =>
  manualPlan(tables, topo, {
    a: manual.columnWise([1, 1]),
    b: manual.dataParallel(),
    c: manual.rowWise(),
    d: manual.tableRowWise(1),
    e: manual.tableWise(2),
  });

describe('manual plans and torchrec JSON', () => {
  test('manual shorthands place shards as torchrec construct_module_sharding_plan does', () => {
    const p = mp();
    expect(validatePlan(p, tables)).toEqual([]);
    const json = toTorchrecPlan(p);
    expect(json.plan.ebc.a).toEqual({
      sharding_type: 'column_wise',
      compute_kernel: 'fused',
      ranks: [1, 1],
      shards: [
        { shard_offsets: [0, 0], shard_sizes: [1000, 128], placement: 'rank:1/cuda:1' },
        { shard_offsets: [0, 128], shard_sizes: [1000, 128], placement: 'rank:1/cuda:1' },
      ],
    });
    expect(json.plan.ebc.b).toEqual({ sharding_type: 'data_parallel', compute_kernel: 'dense', ranks: [0, 1, 2, 3] });
    expect(json.plan.ebc.c.shards?.map((s) => s.placement)).toEqual(['rank:0/cuda:0', 'rank:1/cuda:1', 'rank:2/cuda:0', 'rank:3/cuda:1']);
    expect(json.plan.ebc.d.ranks).toEqual([2, 3]);
    expect(json.plan.ebc.d.shards?.map((s) => s.shard_sizes)).toEqual([
      [39, 128],
      [38, 128],
    ]);
    const grid = manualPlan([table('g', 100, 256)], topo, { g: manual.gridShard([1, 0]) });
    expect(grid.options[0].shards.map((s) => s.rank)).toEqual([2, 3, 0, 1]);
    expect(validatePlan(grid, [table('g', 100, 256)])).toEqual([]);
  });
  test('fromTorchrecPlan(toTorchrecPlan(p)) == p (geometry, ranks, perf, storage)', () => {
    for (const p of [mp(), plan(tables, topo)]) {
      const back = fromTorchrecPlan(JSON.parse(JSON.stringify(toTorchrecPlan(p))), tables, topo);
      const key = (x: Plan) =>
        x.options
          .map((o) =>
            JSON.stringify([o.fqn, o.shardingType, o.computeKernel, o.shards.map((s) => [s.size, s.offset, s.rank, s.storage, s.perf])]),
          )
          .sort();
      expect(key(back)).toEqual(key(p));
      expect(toTorchrecPlan(back)).toEqual(toTorchrecPlan(p));
    }
  });
  test('cpu placement strings', () => {
    const cpu = createTopology({ worldSize: 2, computeDevice: 'cpu' });
    const p = manualPlan([table('t', 10, 8)], cpu, { t: manual.tableWise(1) });
    expect(toTorchrecPlan(p).plan.ebc.t.shards?.[0].placement).toBe('rank:1/cpu');
  });
  test('fromTorchrecPlan reports every problem at once', () => {
    const json = toTorchrecPlan(mp()) as unknown as { plan: Record<string, Record<string, Record<string, unknown>>> };
    json.plan.ebc.zzz = { sharding_type: 'table_wise', compute_kernel: 'fused', ranks: [0], shards: [] };
    (json.plan.ebc.e.shards as { placement: string }[])[0].placement = 'rank:3/cuda:1';
    json.plan.ebc.c.ranks = [0, 1, 2];
    try {
      fromTorchrecPlan(json, tables, topo);
      expect.unreachable();
    } catch (e) {
      expect((e as TesseraError).code).toBe('INVALID_PLAN');
      const issues = (e as TesseraError).details.issues as string[];
      expect(issues.some((s) => s.includes("unknown table 'ebc.zzz'"))).toBe(true);
      expect(issues.some((s) => s.includes('placement'))).toBe(true);
      expect(issues.some((s) => s.includes('3 ranks for 4 shards'))).toBe(true);
    }
  });
  test('tiered tables need approximate: row_wise', () => {
    const p = { ...mp(), tiered: { 'ebc.c': { hotRows: 1, warmRows: 0, coldRows: 4999, intraBytesPerStep: 0, interBytesPerStep: 0 } } };
    expect(() => toTorchrecPlan(p)).toThrow(/tiered/);
    expect(toTorchrecPlan(p, { approximate: 'row_wise' }).plan.ebc.c.sharding_type).toBe('row_wise');
  });
});

describe('validatePlan', () => {
  test('reports every problem at once', () => {
    const p = mp();
    const opts = p.options.map((o) => ({ ...o, shards: o.shards.map((s) => ({ ...s })) }));
    opts[0].shards[1].offset = [0, 100]; // overlap + gap in CW
    opts[1].shards.pop(); // DP missing a rank
    opts[2].shards[3].rank = 9; // rank out of range
    opts[3].shards[1].rank = 0; // TWRW spanning hosts
    opts.push({ ...opts[4] }); // duplicate table e
    opts.push({ ...opts[4], fqn: 'ebc.ghost', table: table('ghost', 10, 8) }); // unknown
    const tight = { ...topo, devices: topo.devices.map((d) => ({ ...d, storage: { hbm: 100, ddr: 0 } })) };
    const issues = validatePlan({ options: opts, topology: tight }, [...tables, table('f', 10, 8)]);
    const rules = new Set(issues.map((i) => i.rule));
    for (const r of ['tiling', 'dp_ranks', 'ranks', 'spans_hosts', 'duplicate', 'unknown_table', 'missing', 'capacity'])
      expect(rules).toContain(r);
    expect(issues.every((i) => i.code === 'INVALID_PLAN')).toBe(true);
  });
  test('type not allowed for the module kind or device', () => {
    const cpu = createTopology({ worldSize: 2, computeDevice: 'cpu' });
    const seq = [table('s', 100, 8, { moduleKind: 'sequence' })];
    const p = manualPlan(seq, topo, { s: manual.tableRowWise(0) });
    expect(validatePlan(p, seq).map((i) => i.rule)).toContain('type_not_allowed');
    const q = manualPlan([table('r', 100, 8)], cpu, { r: manual.tableWise(0) });
    expect(
      validatePlan({ ...q, options: q.options.map((o) => ({ ...o, shardingType: 'row_wise' as const })) }, [table('r', 100, 8)]).map(
        (i) => i.rule,
      ),
    ).toContain('type_not_allowed');
  });
});

describe('formatPlan', () => {
  test('per-rank rows, critical rank, per-table shards with host', () => {
    const p = plan(tables, topo, { proposers: [greedyProposer(), uniformProposer()] });
    const s = formatPlan(p);
    expect(s).toMatch(/critical rank \d+/);
    expect(s.split('\n').filter((l) => /^\d+\*?\s/.test(l)).length).toBe(4);
    expect(s).toMatch(/→ rank \d \(host \d\)/);
    expect(s).toContain(rate(p).toPrecision(4));
  });
});
