import { describe, expect, test } from 'vitest';
import ceilCases from '../test/fixtures/py-ceil.json';
import vectors from '../test/fixtures/torchrec-vectors.json';
import { pin, relClose, table } from '../test/helpers.js';
import {
  createTopology,
  enumerate,
  perfEstimator,
  perfTotal,
  reserveStorage,
  SHARDING_TYPES,
  type ShardingType,
  storageEstimator,
} from './index.js';
import { pyCeilMulDiv, pyRound } from './py-math.js';

const all = { t0: { shardingTypes: [...SHARDING_TYPES] } };

describe('perfEstimator — torchrec test_1_table_perf', () => {
  const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
  const opts = enumerate([table('t0', 100, 10)], topo, all);
  for (const [k, t, fc, fm, bc, bm, n] of vectors.one_table_perf as [string, ShardingType, number, number, number, number, number][]) {
    test(`${k} · ${t}`, () => {
      const o = opts.find((x) => x.computeKernel === k && x.shardingType === t);
      expect(o).toBeDefined();
      expect(o?.shards.length).toBe(n);
      for (const s of o?.shards ?? []) {
        // grid shards in torchrec's test add inter-host terms only in its 2-host topology; this one is single-host
        expect(relClose(s.perf.fwdCompute, fc)).toBe(true);
        expect(relClose(s.perf.fwdComms, fm)).toBe(true);
        expect(relClose(s.perf.bwdCompute, bc)).toBe(true);
        expect(relClose(s.perf.bwdComms, bm)).toBe(true);
        expect(s.perf.prefetchCompute).toBe(0);
      }
    });
  }
  test('every enumerated option is one of the vectors (16 without GRID)', () => {
    expect(enumerate([table('t0', 100, 10)], topo).length).toBe(16);
  });
});

describe('perfEstimator — torchrec test_sequence_2_table_perf (EmbeddingCollection)', () => {
  const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
  const tables = [table('table_0', 128, 32, { moduleKind: 'sequence' }), table('table_1', 256, 32, { moduleKind: 'sequence' })];
  const opts = enumerate(tables, topo);
  test('types allowed for sequence tables: DP, TW, CW, RW', () => {
    expect([...new Set(opts.map((o) => o.shardingType))]).toEqual(['data_parallel', 'table_wise', 'column_wise', 'row_wise']);
  });
  for (const [k, t, total] of vectors.sequence_total_perf as [string, string, number][]) {
    test(`${k} · ${t}`, () => {
      const o = opts.filter((x) => x.computeKernel === k && x.shardingType === t).at(-1);
      for (const s of o?.shards ?? []) expect(relClose(perfTotal(s.perf), total)).toBe(true);
    });
  }
});

describe('perfEstimator — torchrec test_inference_1_table_perf (quantized, inference)', () => {
  const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
  // torchrec's quantized 100×10 table: uint8 rows of 10 values + 4 bytes scale/bias, aligned to 16 bytes
  const q = { ...table('t0', 100, 16), elementBytes: 1 };
  const opts = enumerate([q], topo, undefined, { quantized: true, estimators: [perfEstimator(undefined, { inference: true })] });
  for (const [k, t, total] of vectors.inference_quant_total_perf as [string, string, number][]) {
    test(`${k} · ${t}`, () => {
      const o = opts.find((x) => x.computeKernel === k && x.shardingType === t);
      expect(o).toBeDefined();
      for (const s of o?.shards ?? []) expect(relClose(perfTotal(s.perf), total)).toBe(true);
    });
  }
});

describe('perfEstimator — regression vectors from the formulas', () => {
  test('W=L=8, d=64: TW and RW', () => {
    const topo = createTopology({ worldSize: 8, computeDevice: 'cuda' });
    const [tw] = enumerate([table('t', 1000, 64)], topo, pin(['t'], 'table_wise'));
    const p = tw.shards[0].perf;
    expect(relClose(p.fwdCompute, 0.0025431315104166665)).toBe(true);
    expect(relClose(p.fwdComms, 0.0016276041666666667)).toBe(true);
    expect(relClose(p.bwdCompute, 0.005086263020833333)).toBe(true);
    expect(relClose(p.bwdComms, 0.0016276041666666667)).toBe(true);
    const [rw] = enumerate([table('t', 1000, 64)], topo, pin(['t'], 'row_wise'));
    const q = rw.shards[0].perf;
    expect(relClose(q.fwdCompute, 0.001229038472425446)).toBe(true);
    expect(relClose(q.fwdComms, 0.0016276041666666667)).toBe(true);
    expect(relClose(q.bwdComms, 0.004300358835005574)).toBe(true);
  });
  test('W=16, L=8, d=128, pf 10: TWRW and TW (inter-host)', () => {
    const topo = createTopology({ worldSize: 16, localWorldSize: 8, computeDevice: 'cuda' });
    const c = (t: ShardingType) => ({ t: { shardingTypes: [t], computeKernels: ['fused' as const], poolingFactors: [10] } });
    const [twrw] = enumerate([table('t', 100_000, 128)], topo, c('table_row_wise'));
    const p = twrw.shards[0].perf;
    expect(relClose(p.fwdCompute, 0.009883340518743032)).toBe(true);
    expect(relClose(p.fwdComms, 0.045572916666666664)).toBe(true);
    expect(relClose(p.bwdComms, 0.056263935340022296)).toBe(true);
    const [tw] = enumerate([table('t', 100_000, 128)], topo, c('table_wise'));
    expect(relClose(tw.shards[0].perf.fwdComms, 0.3125)).toBe(true);
  });
  test('inference: TW/RW forward only; TWRW and DP keep backward terms (torchrec behaviour)', () => {
    const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
    const opts = enumerate(
      [table('t', 1000, 64)],
      topo,
      { t: { shardingTypes: [...SHARDING_TYPES] } },
      { estimators: [perfEstimator(undefined, { inference: true })] },
    );
    for (const o of opts) {
      const p = o.shards[0].perf;
      if (o.shardingType === 'table_wise' || o.shardingType === 'row_wise' || o.shardingType === 'column_wise')
        expect(p.bwdCompute + p.bwdComms).toBe(0);
      if (o.shardingType === 'table_row_wise' || o.shardingType === 'data_parallel') expect(p.bwdCompute).toBeGreaterThan(0);
    }
  });
  test('monotone in pooling factor and batch size', () => {
    const topo = createTopology({ worldSize: 8, localWorldSize: 4, computeDevice: 'cuda' });
    let prev = 0;
    for (const pf of [1, 2, 5, 20]) {
      const opts = enumerate([table('t', 5000, 32)], topo, { t: { poolingFactors: [pf] } });
      const total = opts.reduce((a, o) => a + perfTotal(o.shards[0].perf), 0);
      expect(total).toBeGreaterThan(prev);
      prev = total;
    }
    prev = 0;
    for (const batchSize of [64, 512, 4096]) {
      const opts = enumerate([table('t', 5000, 32)], topo, undefined, { batchSize });
      const total = opts.reduce((a, o) => a + perfTotal(o.shards[0].perf), 0);
      expect(total).toBeGreaterThan(prev);
      prev = total;
    }
  });
  test('weighted features add the index-weights kernel', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
    const [a] = enumerate([table('t', 100, 10)], topo, pin(['t'], 'table_wise'));
    const [b] = enumerate([table('t', 100, 10, { weighted: true })], topo, pin(['t'], 'table_wise'));
    expect(b.shards[0].perf.bwdCompute).toBeCloseTo(b.shards[0].perf.fwdCompute * 3.1, 12);
    expect(b.shards[0].perf.fwdCompute).toBeGreaterThan(a.shards[0].perf.fwdCompute);
  });
  test('unsupported kernels throw UNSUPPORTED', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
    expect(() => enumerate([table('t', 100, 10)], topo, pin(['t'], 'table_wise', ['key_value']))).toThrow(/not costed/);
  });
});

describe('storageEstimator', () => {
  test('TW 1000x64 fused cuda W=8 → 1,337,344; RW shard → 1,084,672', () => {
    const topo = createTopology({ worldSize: 8, computeDevice: 'cuda' });
    const [tw] = enumerate([table('t', 1000, 64)], topo, pin(['t'], 'table_wise'));
    expect(tw.shards[0].storage).toEqual({ hbm: 1_337_344, ddr: 0 });
    const [rw] = enumerate([table('t', 1000, 64)], topo, pin(['t'], 'row_wise'));
    expect(rw.shards[0].size).toEqual([125, 64]);
    expect(rw.shards[0].storage).toEqual({ hbm: 1_084_672, ddr: 0 });
  });
  test('UVM kernels in DDR, caching HBM = round(DDR·clf) + aux, optimizer state, cpu DDR io', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
    const t = table('t', 1000, 64, { optimizer: 'adam' });
    const [uvm] = enumerate([t], topo, pin(['t'], 'table_wise', ['fused_uvm']));
    const S = 1000 * 64 * 4;
    expect(uvm.shards[0].storage.ddr).toBe(3 * S);
    const [cache] = enumerate([t], topo, pin(['t'], 'table_wise', ['fused_uvm_caching']));
    const hbmBase = Math.round(S * 0.2);
    const io = 512 * 2 * 8 + 512 * 2 * 64 * 4;
    expect(cache.shards[0].storage.hbm).toBe(Math.ceil(1000 * (4 + 0.2 * 16)) + 3 * hbmBase + io);
    const cpu = createTopology({ worldSize: 2, computeDevice: 'cpu' });
    const [c] = enumerate([table('t', 1000, 64)], cpu, pin(['t'], 'table_wise'));
    expect(c.shards[0].storage).toEqual({ hbm: 0, ddr: S + io });
    const [ra] = enumerate([table('t', 1000, 64, { optimizer: 'rowwise_adagrad' })], cpu, pin(['t'], 'table_wise'));
    expect(ra.shards[0].storage.ddr).toBe(S + S / 64 + io);
  });
  test('pipelines and inference', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
    const t = table('t', 1000, 64);
    const S = 1000 * 64 * 4;
    const inp = 512 * 2 * 8;
    const est = (o: Parameters<typeof storageEstimator>[1]) =>
      enumerate([t], topo, pin(['t'], 'table_wise'), { estimators: [storageEstimator(undefined, o)] })[0].shards[0].storage.hbm;
    expect(est({ pipeline: 'train_sparse_dist' })).toBe(S + 2 * inp);
    expect(est({ pipeline: 'train_prefetch_sparse_dist' })).toBe(S + 3 * inp);
    expect(est({ inference: true })).toBe(S);
  });
  test('quant kernels add 4 bytes per row; on mtia they sit in DDR', () => {
    const mtia = createTopology({ worldSize: 2, computeDevice: 'mtia' });
    const t = { ...table('t', 1000, 64), elementBytes: 1 };
    const [q] = enumerate([t], mtia, pin(['t'], 'table_wise', ['quant']), {
      quantized: true,
      estimators: [storageEstimator(undefined, { inference: true })],
    });
    expect(q.shards[0].storage).toEqual({ hbm: 0, ddr: 1000 * 64 + 4000 });
  });
  test('exact integer numerator: ceil(S·p/P) as Python evaluates it (fixture from Python)', () => {
    let naiveOff = 0;
    for (const [S, p, P, want] of [...ceilCases.cases, ...ceilCases.differing]) {
      expect(pyCeilMulDiv(S, p, P)).toBe(want);
      if (Math.ceil((S * p) / P) !== want) naiveOff++;
    }
    expect(ceilCases.differing.length).toBeGreaterThan(0);
    expect(naiveOff).toBeGreaterThan(0); // a double numerator really would be off here
  });
  test('pyRound rounds half to even', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6].map(pyRound)).toEqual([0, 2, 2, 2, 3]);
  });
});

describe('reserveStorage', () => {
  test('heuristic 15% + KJT estimate; fixed percentage only', () => {
    const topo = createTopology({ worldSize: 2, computeDevice: 'cuda', hbmCap: 1e9 });
    const r = reserveStorage(topo, { tables: [table('a', 10, 4), table('b', 10, 4)], constraints: { b: { poolingFactors: [3, 2] } } });
    const kjt = Math.ceil((512 + 3 * 512 + 2 * 512) * 8) * 20;
    expect(r.devices[0].storage.hbm).toBe(Math.trunc(0.85 * 1e9) - kjt);
    expect(reserveStorage(topo, { heuristic: false, percentage: 0.5 }).devices[1].storage.hbm).toBe(5e8);
    expect(() => reserveStorage(createTopology({ worldSize: 1, computeDevice: 'cuda', hbmCap: 1000 }), { denseEstimate: 10_000 })).toThrow(
      /negative/,
    );
  });
});

describe('estimators on hand-built options (only the fields of the public ShardingOption contract)', () => {
  test('same figures as enumerate; pooling factors from constraints, batch 512 by default', () => {
    const topo = createTopology({ worldSize: 8, localWorldSize: 4, computeDevice: 'cuda' });
    const t = table('t', 5000, 64);
    const c = { t: { poolingFactors: [7] } };
    const zero = { fwdCompute: 0, fwdComms: 0, bwdCompute: 0, bwdComms: 0, prefetchCompute: 0 };
    for (const st of ['table_wise', 'row_wise', 'table_row_wise', 'data_parallel'] as const) {
      const [ref] = enumerate([t], topo, {
        t: { ...c.t, shardingTypes: [st], computeKernels: [st === 'data_parallel' ? 'dense' : 'fused'] },
      });
      const own = {
        fqn: 'ebc.t',
        table: t,
        shardingType: st,
        computeKernel: ref.computeKernel,
        partitionBy: ref.partitionBy,
        shards: ref.shards.map((s) => ({ size: s.size, offset: s.offset, rank: null, perf: zero, storage: { hbm: 0, ddr: 0 } })),
      };
      perfEstimator(c).estimate([own], topo);
      storageEstimator(c).estimate([own], topo);
      expect(own.shards.map((s) => [s.perf, s.storage])).toEqual(ref.shards.map((s) => [s.perf, s.storage]));
    }
  });
});
