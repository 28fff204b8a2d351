import { fc, test as ftest } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  createTopology,
  fromTorchrecPlan,
  greedyProposer,
  memoryBalancedPartitioner,
  perfTotal,
  plan,
  rate,
  type TableSpec,
  toTorchrecPlan,
  uniformProposer,
  validatePlan,
} from './index.js';

const tableArb = fc.record({
  rows: fc.integer({ min: 1, max: 2_000_000 }),
  dim: fc.constantFrom(8, 16, 32, 64, 128, 256),
  pf: fc.integer({ min: 1, max: 50 }),
  seq: fc.boolean(),
});

function tilesExactly(t: TableSpec, shards: { size: [number, number]; offset: [number, number] }[], dp: boolean): boolean {
  if (dp) return shards.every((s) => s.size[0] === t.rows && s.size[1] === t.dim);
  let area = 0;
  for (const s of shards) {
    if (s.offset[0] + s.size[0] > t.rows || s.offset[1] + s.size[1] > t.dim) return false;
    area += s.size[0] * s.size[1];
  }
  return area === t.rows * t.dim;
}

describe('plan properties over random tables and topologies', () => {
  ftest.prop(
    [fc.array(tableArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.boolean()],
    {
      numRuns: 25,
    },
  )('tiles, placed once, within capacity, rating = max over ranks, JSON round trip', (specs, H, L, balanced) => {
    const tables: TableSpec[] = specs.map((s, i) => ({
      modulePath: 'm',
      name: `t${i}`,
      rows: s.rows,
      dim: s.dim,
      elementBytes: 4,
      moduleKind: s.seq ? 'sequence' : 'pooled',
      featureNames: [`f${i}`],
    }));
    const constraints = Object.fromEntries(specs.map((s, i) => [`t${i}`, { poolingFactors: [s.pf] }]));
    const topo = createTopology({ worldSize: H * L, localWorldSize: L, computeDevice: 'cuda', hbmCap: 2 ** 30 });
    let p: ReturnType<typeof plan>;
    try {
      p = plan(tables, topo, {
        constraints,
        proposers: [greedyProposer(), uniformProposer()],
        ...(balanced ? { partitioner: memoryBalancedPartitioner() } : {}),
      });
    } catch (e) {
      expect((e as { code: string }).code).toMatch(/^PLANNER_/);
      return;
    }
    expect(validatePlan(p, tables)).toEqual([]);
    for (const t of tables) {
      const opts = p.options.filter((o) => o.table.name === t.name);
      expect(opts.length).toBe(1);
      expect(tilesExactly(t, opts[0].shards, opts[0].shardingType === 'data_parallel')).toBe(true);
    }
    const used = topo.devices.map(() => 0);
    const perfs = topo.devices.map(() => 0);
    for (const o of p.options) {
      for (const s of o.shards) {
        used[s.rank as number] += s.storage.hbm;
        perfs[s.rank as number] += perfTotal(s.perf);
      }
    }
    used.forEach((u, r) => {
      expect(u).toBeLessThanOrEqual(p.topology.devices[r].storage.hbm);
    });
    expect(rate(p)).toBe(Math.max(...perfs));
    expect(p.stats.rating).toBe(rate(p));
    const back = fromTorchrecPlan(toTorchrecPlan(p), tables, topo, { constraints });
    expect(toTorchrecPlan(back)).toEqual(toTorchrecPlan(p));
  });
});
