import { TesseraError } from '@tessera/core';
import { describe, expect, test } from 'vitest';
import { pin, table } from '../test/helpers.js';
import {
  createTopology,
  dlrmV2Tables,
  dynamicProgrammingProposer,
  enumerate,
  greedyPerfPartitioner,
  greedyProposer,
  gridSearchProposer,
  memoryBalancedPartitioner,
  type Proposer,
  perfTotal,
  plan,
  rate,
  uniformProposer,
  validatePlan,
} from './index.js';

describe('greedyPerfPartitioner', () => {
  test('torchrec test_tw_balanced_perf_device: 4 equal TW tables on W=2 → [0,1,0,1]', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
    const names = ['t0', 't1', 't2', 't3'];
    const opts = enumerate(
      names.map((n) => table(n, 100, 10)),
      topo,
      pin(names, 'table_wise'),
    );
    expect(
      greedyPerfPartitioner()
        .partition(opts, topo)
        .map((o) => o.shards[0].rank),
    ).toEqual([0, 1, 0, 1]);
  });
  test('larger tables first; ties by rank mod L then rank', () => {
    const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
    const opts = enumerate([table('s', 100, 16), table('b', 10_000, 16), table('m', 1000, 16)], topo, pin(['s', 'b', 'm'], 'table_wise'));
    const placed = greedyPerfPartitioner().partition(opts, topo);
    // b (largest) goes first to rank 0; then m to rank 2 (rank mod 2 = 0 before rank 1), then s to rank 1
    expect(Object.fromEntries(placed.map((o) => [o.table.name, o.shards[0].rank]))).toEqual({ b: 0, m: 2, s: 1 });
  });
  test('TWRW stays on one host; capacity overflow → PLANNER_PARTITION naming the table', () => {
    const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
    const [o] = enumerate([table('t', 1000, 16)], topo, pin(['t'], 'table_row_wise'));
    const ranks = greedyPerfPartitioner()
      .partition([o], topo)[0]
      .shards.map((s) => s.rank);
    expect(new Set(ranks.map((r) => Math.floor((r as number) / 2))).size).toBe(1);
    const tiny = createTopology({ worldSize: 2, computeDevice: 'cuda', hbmCap: 1000 });
    const [big] = enumerate([table('huge', 100_000, 64)], tiny, pin(['huge'], 'table_wise'));
    try {
      greedyPerfPartitioner().partition([big], tiny);
      expect.unreachable();
    } catch (e) {
      expect((e as TesseraError).code).toBe('PLANNER_PARTITION');
      expect((e as Error).message).toMatch(/huge.*table_wise/);
    }
  });
  test('memoryBalancedPartitioner keeps the rating within tolerance and never raises max HBM', () => {
    const topo = createTopology({ worldSize: 4, computeDevice: 'cuda', hbmCap: 1e9 });
    const tables = Array.from({ length: 12 }, (_, i) => table(`t${i}`, 20_000 * (1 + (i % 5)), 32, { featureNames: [`f${i}`] }));
    const c = pin(
      tables.map((t) => t.name),
      'table_wise',
    );
    const g = greedyPerfPartitioner({ sortBy: 'perf' }).partition(enumerate(tables, topo, c), topo);
    const base = rate({ options: g, topology: topo });
    const maxHbm = (opts: typeof g) => {
      const h = [0, 0, 0, 0];
      for (const o of opts) for (const s of o.shards) h[s.rank as number] += s.storage.hbm;
      return Math.max(...h);
    };
    const m = memoryBalancedPartitioner().partition(enumerate(tables, topo, c), topo);
    expect(rate({ options: m, topology: topo })).toBeLessThanOrEqual(base * 1.02 + 1e-15);
    expect(maxHbm(m)).toBeLessThanOrEqual(maxHbm(g));
  });
});

describe('proposers', () => {
  const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
  const space = enumerate([table('a', 100, 10), table('b', 1000, 10)], topo);
  test('grid search enumerates the product, last table fastest; skipped over the cap', () => {
    const g = gridSearchProposer();
    g.load(space);
    let n = 0;
    for (let p = g.propose(); p; p = g.propose()) {
      n++;
      g.feedback({ partitionable: true });
    }
    expect(n).toBe(16 * 16);
    const small = gridSearchProposer(10);
    small.load(space);
    expect(small.propose()).toBeNull();
  });
  test('greedy starts at the best option per table and advances the largest-storage table', () => {
    const g = greedyProposer();
    g.load(space);
    const first = g.propose() as NonNullable<ReturnType<typeof g.propose>>;
    for (const so of first) {
      const best = Math.min(...space.filter((x) => x.fqn === so.fqn).map((x) => Math.max(...x.shards.map((s) => perfTotal(s.perf)))));
      expect(Math.max(...so.shards.map((s) => perfTotal(s.perf)))).toBe(best);
    }
    g.feedback({ partitionable: true, rating: 1 });
    const second = g.propose() as NonNullable<ReturnType<typeof g.propose>>;
    expect(second.filter((x, i) => x !== first[i]).length).toBe(1);
    let n = 2;
    while (g.propose()) {
      g.feedback({ partitionable: false });
      n++;
    }
    expect(n).toBeLessThanOrEqual(1 + 15 + 15 + 1);
  });
  test('uniform proposes one plan per type shared by all tables', () => {
    const u = uniformProposer();
    u.load(space);
    const types: string[] = [];
    for (let p = u.propose(); p; p = u.propose()) {
      expect(new Set(p.map((x) => x.shardingType)).size).toBe(1);
      types.push(p[0].shardingType);
      u.feedback({ partitionable: true });
    }
    expect(types).toEqual(['data_parallel', 'table_wise', 'column_wise', 'table_column_wise', 'row_wise', 'table_row_wise']);
  });
  test('dynamic programming proposer yields valid plans through plan()', () => {
    const p = plan([table('a', 100, 10), table('b', 1000, 10)], topo, { proposers: [dynamicProgrammingProposer()] });
    expect(validatePlan(p, [table('a', 100, 10), table('b', 1000, 10)])).toEqual([]);
  });
});

describe('plan', () => {
  test('DLRMv2 26 tables on 2 hosts × 8: valid, rating = max per-rank', () => {
    const { tables, constraints } = dlrmV2Tables();
    const topo = createTopology({ worldSize: 16, localWorldSize: 8, computeDevice: 'cuda', hbmCap: 80 * 2 ** 30 });
    const p = plan(tables, topo, { constraints, proposers: [greedyProposer(), uniformProposer()] });
    expect(validatePlan(p, tables)).toEqual([]);
    expect(p.stats.rating).toBe(rate(p));
  });
  test('lowest rating wins among proposers; deterministic', () => {
    const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
    const tables = [table('a', 5000, 64), table('b', 100, 128), table('c', 200_000, 32)];
    const p1 = plan(tables, topo, { timeoutMs: Number.POSITIVE_INFINITY });
    const p2 = plan(tables, topo, { timeoutMs: Number.POSITIVE_INFINITY });
    expect(rate(p1)).toBe(rate(p2));
    expect(p1.options.map((o) => o.shardingType)).toEqual(p2.options.map((o) => o.shardingType));
    for (const pr of [[greedyProposer()], [uniformProposer()], [greedyProposer({ useDepth: false })]]) {
      expect(rate(p1)).toBeLessThanOrEqual(rate(plan(tables, topo, { proposers: pr })));
    }
  });
  test('a table larger than every device → PLANNER_INSUFFICIENT_STORAGE naming the table, type and reservation', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda', hbmCap: 2 ** 30 });
    try {
      plan([table('giant', 1e9, 128)], topo, { constraints: pin(['giant'], 'table_wise') });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TesseraError);
      expect((e as TesseraError).code).toBe('PLANNER_INSUFFICIENT_STORAGE');
      expect((e as Error).message).toMatch(/giant/);
      expect((e as Error).message).toMatch(/table_wise/);
      expect((e as Error).message).toMatch(/reservation 15%/);
    }
  });
  test('constraints that cannot be met while storage suffices → PLANNER_STRICT_CONSTRAINTS', () => {
    const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda', hbmCap: 2 ** 24 });
    // two tables that fit together in total but each only fits on a rank alone; a colocate group forces them together
    const tables = [table('x', 35_000, 64), table('y', 35_000, 64)];
    const c = {
      x: { shardingTypes: ['table_wise' as const], computeKernels: ['fused' as const], colocate: 'g' },
      y: { shardingTypes: ['table_wise' as const], computeKernels: ['fused' as const], colocate: 'g' },
    };
    expect(() => plan(tables, topo, { constraints: c })).toThrow(/constraints/);
  });
  test('input errors: negative rows, zero ranks, no options after constraints', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
    expect(() => plan([table('n', -5, 8)], topo)).toThrow(/rows/);
    expect(() => createTopology({ worldSize: 0, computeDevice: 'cuda' })).toThrow(/worldSize/);
    expect(() =>
      plan([table('t', 10, 8)], topo, { constraints: { t: { shardingTypes: ['row_wise'], computeKernels: ['dense'] } } }),
    ).toThrow(/no sharding type/);
  });
});

describe('colocate and manual placement (torchrec issue #2642)', () => {
  test('tables sharing a colocate group land on one rank', () => {
    const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
    const tables = [table('x', 1000, 32), table('y', 2000, 32), table('z', 500, 32)];
    const c = {
      x: { shardingTypes: ['table_wise' as const], computeKernels: ['fused' as const], colocate: 'g' },
      y: { shardingTypes: ['table_wise' as const], computeKernels: ['fused' as const], colocate: 'g' },
      z: { shardingTypes: ['table_wise' as const], computeKernels: ['fused' as const] },
    };
    const p = plan(tables, topo, { constraints: c });
    const rankOf = (n: string) => p.options.find((o) => o.table.name === n)?.shards[0].rank;
    expect(rankOf('x')).toBe(rankOf('y'));
    expect(rankOf('z')).not.toBe(rankOf('x'));
    expect(validatePlan(p, tables)).toEqual([]);
  });
});

test('failure names the largest table, its cheapest sharding type and the per-rank capacity (torchrec PR #1192)', () => {
  const topo = createTopology({ worldSize: 2, computeDevice: 'cuda', hbmCap: 2 ** 28, ddrCap: 2 ** 20 });
  try {
    plan([table('small', 100, 8), table('huge', 5e7, 64)], topo);
    expect.unreachable();
  } catch (e) {
    expect((e as Error).message).toMatch(/largest table 'ebc.huge' needs at least HBM \d+ B/);
    expect((e as { details: { largestTable: string } }).details.largestTable).toBe('huge');
  }
});

test('timeoutMs keeps the best plan found so far; 0 and Infinity search everything', () => {
  const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
  const tables = Array.from({ length: 6 }, (_, i) => table(`t${i}`, 1000 * (i + 1), 32));
  const full = plan(tables, topo, { timeoutMs: 0 });
  expect(plan(tables, topo, { timeoutMs: Number.POSITIVE_INFINITY }).stats.proposals).toBe(full.stats.proposals);
  // a proposer that takes 20 ms per proposal: a 300 ms budget lets a few of the ~90 through
  const slow = (): Proposer => {
    const g = greedyProposer();
    return {
      load: (s) => g.load(s),
      propose: () => {
        const end = performance.now() + 20;
        while (performance.now() < end);
        return g.propose();
      },
      feedback: (f) => g.feedback(f),
    };
  };
  const quick = plan(tables, topo, { timeoutMs: 300, proposers: [slow()] });
  const all = plan(tables, topo, { timeoutMs: 0, proposers: [greedyProposer()] });
  expect(quick.stats.proposals).toBeGreaterThanOrEqual(1);
  expect(quick.stats.proposals).toBeLessThan(all.stats.proposals);
  expect(rate(quick)).toBeGreaterThanOrEqual(rate(all));
  expect(() => plan(tables, topo, { timeoutMs: 1e-9 })).toThrow(/timed out/);
});
