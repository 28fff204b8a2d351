import { fc, test as ftest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { table } from '../test/helpers.js';
import { harmonic } from './flexshard.js';
import {
  createTopology,
  evaluateAssignment,
  flexShardTiers,
  generateTableSet,
  type HeuristicTable,
  heuristicShard,
  hierarchicalPlan,
  rate,
  validatePlan,
} from './index.js';

describe('heuristicShard (AutoShard baselines)', () => {
  const tables: HeuristicTable[] = [4, 1, 3, 2].map((g, i) => ({
    dim: 16 * (i + 1),
    rows: 1000 * (i + 1),
    poolingFactor: 4 - i,
    sizeGiB: g,
  }));
  test('size greedy: largest first to the least-cost feasible device, ties to smaller size then lower index', () => {
    expect(heuristicShard(tables, { ndevices: 2, maxMemoryGiB: 6, cost: 'size' })).toEqual([0, 0, 1, 1]);
  });
  test('dim, lookup and size_lookup keys', () => {
    // dims 16,32,48,64 → order t3,t2,t1,t0
    expect(heuristicShard(tables, { ndevices: 2, maxMemoryGiB: 100, cost: 'dim' })).toEqual([0, 1, 1, 0]);
    // lookup = dim·pf: 64, 96, 96, 64 → order t2, t1, t0, t3 (ties: larger size first)
    expect(heuristicShard(tables, { ndevices: 2, maxMemoryGiB: 100, cost: 'lookup' })).toEqual([1, 1, 0, 0]);
    expect(heuristicShard(tables, { ndevices: 3, maxMemoryGiB: 100, cost: 'size_lookup' }).length).toBe(4);
  });
  test('naive and seeded random ignore memory', () => {
    expect(heuristicShard(tables, { ndevices: 3, maxMemoryGiB: 0.1, cost: 'naive' })).toEqual([0, 1, 2, 0]);
    const a = heuristicShard(tables, { ndevices: 3, maxMemoryGiB: 0.1, cost: 'random', seed: 4 });
    expect(heuristicShard(tables, { ndevices: 3, maxMemoryGiB: 0.1, cost: 'random', seed: 4 })).toEqual(a);
  });
  test('infeasible → PLANNER_PARTITION naming the table', () => {
    expect(() => heuristicShard(tables, { ndevices: 1, maxMemoryGiB: 5, cost: 'size' })).toThrow(/no device can take table/);
  });
  ftest.prop([fc.array(fc.double({ min: 0.01, max: 3, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 8 })], {
    numRuns: 50,
  })('respects the cap or throws', (sizes, n) => {
    const ts = sizes.map((s, i) => ({ dim: 16, rows: 100 + i, poolingFactor: 1 + (i % 3), sizeGiB: s }));
    try {
      const dev = heuristicShard(ts, { ndevices: n, maxMemoryGiB: 7, cost: 'lookup' });
      const used = new Array(n).fill(0);
      dev.forEach((d, i) => {
        used[d] += ts[i].sizeGiB;
      });
      for (const u of used) expect(u).toBeLessThanOrEqual(7 + 1e-9);
    } catch (e) {
      expect((e as { code: string }).code).toBe('PLANNER_PARTITION');
    }
  });
  test('evaluateAssignment: balance = min/max in (0, 1]', () => {
    expect(evaluateAssignment([2, 4, 3], 1)).toEqual({ max: 4, min: 2, mean: 3, balance: 0.5, shardingTimeMs: 1 });
    expect(evaluateAssignment([0, 0], 0).balance).toBe(1);
    expect(() => evaluateAssignment([], 0)).toThrow();
  });
});

describe('flexShardTiers', () => {
  const topo = createTopology({ worldSize: 16, localWorldSize: 4, computeDevice: 'cuda' });
  const t = table('hist', 200_000, 32, { moduleKind: 'sequence', access: { zipfExponent: 1.05 } });
  const rowBytes = 32 * 4;
  const rw = Math.ceil(200_000 / 16) * rowBytes;
  const o = { batchSize: 512, lookupsPerSample: 20 };
  test('budget = row-wise footprint reproduces row-wise (H = M = 0) with its traffic', () => {
    const p = flexShardTiers(t, topo, { ...o, memoryBudgetBytes: rw });
    expect([p.hotRows, p.warmRows, p.coldRows]).toEqual([0, 0, 200_000]);
    const lookups = 16 * 512 * 20;
    expect(p.interBytesPerStep).toBeCloseTo(lookups * rowBytes * (12 / 16), 3);
    expect(p.intraBytesPerStep).toBeCloseTo(lookups * rowBytes * (3 / 16), 3);
  });
  test('more budget: tiers fit it, traffic and modelled time never exceed row-wise', () => {
    const base = flexShardTiers(t, topo, { ...o, memoryBudgetBytes: rw });
    for (const k of [1.25, 2, 4, 8]) {
      const p = flexShardTiers(t, topo, { ...o, memoryBudgetBytes: rw * k });
      expect(p.bytesPerDevice).toBeLessThanOrEqual(rw * k);
      expect(p.hotRows + p.warmRows + p.coldRows).toBe(200_000);
      expect(p.interBytesPerStep).toBeLessThanOrEqual(base.interBytesPerStep);
      expect(p.modelledTimeMs).toBeLessThanOrEqual(base.modelledTimeMs);
    }
  });
  test('budget below row-wise → PLANNER_INSUFFICIENT_STORAGE', () => {
    expect(() => flexShardTiers(t, topo, { ...o, memoryBudgetBytes: rw - rowBytes })).toThrow(/row-wise footprint/);
  });
  test('harmonic numbers: exact head, Euler–Maclaurin tail', () => {
    let h = 0;
    for (let i = 1; i <= 100_000; i++) h += i ** -1.1;
    expect(harmonic(100_000, 1.1)).toBeCloseTo(h, 9);
  });
});

describe('hierarchicalPlan', () => {
  test('valid plans on random table sets; every table inside one host', () => {
    const { tables, constraints } = generateTableSet({ count: 60, seed: 2, maxRows: 1e6 });
    const topo = createTopology({ worldSize: 16, localWorldSize: 4, computeDevice: 'cuda', hbmCap: 2 ** 31 });
    const p = hierarchicalPlan(tables, topo, constraints);
    expect(validatePlan(p, tables)).toEqual([]);
    for (const so of p.options) expect(new Set(so.shards.map((s) => Math.floor((s.rank as number) / 4))).size).toBe(1);
    expect(rate(p)).toBeGreaterThan(0);
  });
  test('a table no host can hold → PLANNER_PARTITION', () => {
    const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda', hbmCap: 2 ** 26 });
    expect(() => hierarchicalPlan([table('big', 5e6, 64)], topo, { big: { computeKernels: ['fused'] } })).toThrow(/no host fits 'ebc.big'/);
  });
});

describe('generateTableSet', () => {
  test('seeded; ranges of the 856-table model; sampled reuse statistics', () => {
    const a = generateTableSet({ count: 50, seed: 9, sampleBatch: 64 });
    const b = generateTableSet({ count: 50, seed: 9, sampleBatch: 64 });
    expect(a).toEqual(b);
    for (const t of a.tables) {
      expect(t.rows).toBeGreaterThanOrEqual(100);
      expect(t.rows).toBeLessThanOrEqual(1e8);
      expect([16, 32, 64, 128]).toContain(t.dim);
      const pf = a.constraints[t.name].poolingFactors?.[0] as number;
      expect(pf >= 1 && pf <= 100).toBe(true);
      const s = a.stats?.[t.name];
      expect(s?.lookups).toBe(64 * pf);
      expect(s?.uniqueIds).toBeLessThanOrEqual(s?.lookups as number);
      expect(s?.reuseHistogram.length).toBe(17);
      expect(s?.reuseHistogram.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    }
    expect(generateTableSet({ count: 3 }).stats).toBeUndefined();
  });
});
