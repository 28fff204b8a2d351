// Sharding-plan walkthrough: plan the 26 MLPerf DLRMv2 tables on 2 hosts × 8 GPUs and a synthetic 856-table set on
// 16 × 8 with torchrec's planner model, print the per-rank report, write the torchrec ShardingPlan JSON, compare
// planners against the lower bound Σ cost / W, draw the per-rank cost, and simulate a few sharded lookup steps
// (bytes per link class), including FlexShard-style tiers against row-wise on Zipf-accessed sequence tables.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, rng } from '@tessera/core';
import {
  createTopology,
  dlrmV2Tables,
  enumerate,
  evaluateAssignment,
  flexShardTiers,
  formatPlan,
  generateTableSet,
  greedyProposer,
  heuristicShard,
  hierarchicalPlan,
  manual,
  manualPlan,
  type Plan,
  perfTotal,
  perRankPerf,
  plan,
  reserveStorage,
  simulate,
  type TableSpec,
  toTorchrecPlan,
  uniformProposer,
  validatePlan,
} from '@tessera/embedding-sharding';
import { type EmbeddingTable, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { writePlot } from '../lib/plot.js';

await initBackend('cpu', { log: null });
mkdirSync('out', { recursive: true });
const GiB = 2 ** 30;
const ms = (t0: number) => (performance.now() - t0).toFixed(0);

// ---- 1. DLRMv2 (26 tables, Σ pooling factors 214) on 2 hosts × 8
const dlrm = dlrmV2Tables();
const topo16 = createTopology({ worldSize: 16, localWorldSize: 8, computeDevice: 'cuda', hbmCap: 80 * GiB });
let t0 = performance.now();
const dlrmPlan = plan(dlrm.tables, topo16, { constraints: dlrm.constraints, batchSize: 512 });
console.log(
  `DLRMv2: ${dlrm.tables.length} tables, ${(dlrm.tables.reduce((a, t) => a + t.rows * t.dim * 4, 0) / GiB).toFixed(1)} GiB fp32, planned in ${ms(t0)} ms (${dlrmPlan.stats.proposals} proposals)`,
);
const report = formatPlan(dlrmPlan);
console.log(report.split('\n').slice(0, 20).join('\n'));
console.log(`validatePlan: ${validatePlan(dlrmPlan, dlrm.tables).length} issues`);
const byType: Record<string, number> = {};
for (const o of dlrmPlan.options)
  byType[`${o.shardingType}/${o.computeKernel}`] = (byType[`${o.shardingType}/${o.computeKernel}`] ?? 0) + 1;
console.log('sharding types chosen:', byType);
writeFileSync('out/dlrmv2-plan.json', `${JSON.stringify(toTorchrecPlan(dlrmPlan), null, 1)}\n`);
writeFileSync('out/dlrmv2-plan.txt', `${report}\n`);
console.log('torchrec ShardingPlan JSON → out/dlrmv2-plan.json, full report → out/dlrmv2-plan.txt\n');

// ---- 2. synthetic 856 tables on 16 hosts × 8: planner comparison
const syn = generateTableSet({ count: 856, seed: 1 });
const topo128 = createTopology({ worldSize: 128, localWorldSize: 8, computeDevice: 'cuda', hbmCap: 80 * GiB });
const rows: { planner: string; critical: number; bound: number; ms: number }[] = [];
const record = (name: string, p: Plan, time: number) => {
  const per = perRankPerf(p);
  rows.push({ planner: name, critical: Math.max(...per), bound: per.reduce((a, b) => a + b, 0) / per.length, ms: time });
  return per;
};
t0 = performance.now();
const greedyPlan = plan(syn.tables, topo128, {
  constraints: syn.constraints,
  proposers: [greedyProposer({ threshold: 5 }), uniformProposer()],
});
const greedyPer = record('torchrec flow: greedy (threshold 5) + uniform', greedyPlan, performance.now() - t0);
t0 = performance.now();
const hier = hierarchicalPlan(syn.tables, topo128, syn.constraints);
record('hierarchical (hosts, then devices)', hier, performance.now() - t0);
t0 = performance.now();
const uni = plan(syn.tables, topo128, { constraints: syn.constraints, proposers: [uniformProposer()] });
record('torchrec flow: uniform only', uni, performance.now() - t0);
{
  // AutoShard-style heuristic (table-wise by lookup cost) on the torchrec cost of each table's table-wise option
  const reserved = reserveStorage(topo128, { tables: syn.tables, constraints: syn.constraints });
  const tw = enumerate(
    syn.tables,
    topo128,
    Object.fromEntries(
      syn.tables.map((t) => [
        t.name,
        { ...syn.constraints[t.name], shardingTypes: ['table_wise' as const], computeKernels: ['fused_uvm_caching' as const] },
      ]),
    ),
  );
  t0 = performance.now();
  const dev = heuristicShard(
    tw.map((o) => ({
      dim: o.table.dim,
      rows: o.table.rows,
      poolingFactor: o.inputLengths?.[0] ?? 1,
      sizeGiB: o.shards[0].storage.hbm / GiB,
    })),
    { ndevices: 128, maxMemoryGiB: reserved.devices[0].storage.hbm / GiB, cost: 'lookup' },
  );
  const time = performance.now() - t0;
  const per = new Array<number>(128).fill(0);
  dev.forEach((d, i) => {
    per[d] += perfTotal(tw[i].shards[0].perf);
  });
  const ev = evaluateAssignment(per, time);
  rows.push({ planner: 'AutoShard heuristic "lookup" (table-wise, UVM caching)', critical: ev.max, bound: ev.mean, ms: time });
}
console.log(
  `856 synthetic tables (${(syn.tables.reduce((a, t) => a + t.rows * t.dim * 4, 0) / 2 ** 40).toFixed(2)} TiB fp32) on 128 ranks:`,
);
console.log(
  `${'planner'.padEnd(56)} ${'critical ms'.padStart(12)} ${'Σ/W ms'.padStart(10)} ${'ratio'.padStart(7)} ${'plan ms'.padStart(8)}`,
);
for (const r of rows) {
  console.log(
    `${r.planner.padEnd(56)} ${r.critical.toFixed(3).padStart(12)} ${r.bound.toFixed(3).padStart(10)} ${(r.critical / r.bound).toFixed(3).padStart(7)} ${r.ms.toFixed(0).padStart(8)}`,
  );
}
console.log(`(costs: torchrec perf model, ms per step; greedy plan valid: ${validatePlan(greedyPlan, syn.tables).length === 0})\n`);
const files = await writePlot(
  {
    title: 'Per-rank modelled cost, 856 tables on 128 ranks (torchrec greedy flow)',
    width: 900,
    height: 260,
    data: { values: greedyPer.map((c, rank) => ({ rank, cost: c, host: `host ${Math.floor(rank / 8)}` })) },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: { field: 'rank', type: 'ordinal', axis: { values: Array.from({ length: 16 }, (_, i) => i * 8) } },
          y: { field: 'cost', type: 'quantitative', title: 'Σ shard perf (ms)' },
          color: { field: 'host', type: 'nominal', legend: null },
        },
      },
      {
        mark: { type: 'rule', color: 'black', strokeDash: [4, 3] },
        encoding: { y: { datum: greedyPer.reduce((a, b) => a + b, 0) / 128 } },
      },
    ],
  },
  'out/per-rank-cost',
);
console.log(`per-rank cost chart → ${files.png} (dashed line: Σ/W)\n`);

// ---- 3. simulate a few steps of a scaled-down DLRMv2 (rows capped at 20k, dim 16) under a planned layout
{
  const small: TableSpec[] = dlrm.tables.map((t) => ({ ...t, rows: Math.min(t.rows, 20_000), dim: 16 }));
  const p = plan(small, topo16, { constraints: dlrm.constraints });
  const g = rng(3);
  const weights = small.map((t) => tf.tensor2d(g.normalArray(t.rows * t.dim), [t.rows, t.dim]));
  const tables: EmbeddingTable[] = small.map((t, i) => ({
    name: t.name,
    weight: weights[i],
    featureNames: t.featureNames,
    pooling: 'sum',
  }));
  const pf = small.map((t) => dlrm.constraints[t.name].poolingFactors?.[0] ?? 1);
  for (let step = 0; step < 3; step++) {
    const batches = Array.from({ length: 16 }, () => {
      const ids: number[] = [];
      const lengths: number[] = [];
      small.forEach((t, i) => {
        for (let b = 0; b < 64; b++) {
          lengths.push(pf[i]);
          for (let j = 0; j < pf[i]; j++) ids.push(g.zipf(t.rows, 1.05));
        }
      });
      return KeyedJaggedTensor.fromLengths({ keys: small.map((t) => t.featureNames[0]), values: tf.tensor1d(ids, 'int32'), lengths });
    });
    const res = simulate(p, tables, batches);
    console.log(
      `step ${step}: ${res.workers} worker threads, lookups ${res.lookupsPerRank.reduce((a, b) => a + b, 0)}, intra-host ${(res.intraHostBytes / 1e6).toFixed(2)} MB, inter-host ${(res.interHostBytes / 1e6).toFixed(2)} MB, max modelled comm ${Math.max(...res.modelledTimeMs).toFixed(4)} ms`,
    );
    for (const o of res.outputs) o.dispose();
    for (const b of batches) b.dispose();
  }
  for (const w of weights) w.dispose();
}

// ---- 4. FlexShard-style tiers vs row-wise: 2 Zipf(1.05) sequence tables, 4 hosts × 8, same per-rank memory
{
  const topo32 = createTopology({ worldSize: 32, localWorldSize: 8, computeDevice: 'cuda' });
  const R = 100_000;
  const D = 16;
  const B = 32;
  const len = 20;
  const g = rng(5);
  const seq: TableSpec[] = [0, 1].map((i) => ({
    modulePath: 'seq',
    name: `hist${i}`,
    rows: R,
    dim: D,
    elementBytes: 4,
    moduleKind: 'sequence',
    featureNames: [`h${i}`],
    access: { zipfExponent: 1.05 },
  }));
  const weights = seq.map(() => tf.tensor2d(g.normalArray(R * D), [R, D]));
  const tables: EmbeddingTable[] = seq.map((t, i) => ({ name: t.name, weight: weights[i], featureNames: t.featureNames, pooling: 'none' }));
  const batches = Array.from({ length: 32 }, () =>
    KeyedJaggedTensor.fromLengths({
      keys: ['h0', 'h1'],
      values: tf.tensor1d([...g.zipfArray(B * len, R, 1.05), ...g.zipfArray(B * len, R, 1.05)], 'int32'),
      lengths: new Array(2 * B).fill(len),
    }),
  );
  const rw = manualPlan(seq, topo32, { hist0: manual.rowWise(), hist1: manual.rowWise() });
  const budget = 2 * Math.ceil(R / 32) * D * 4;
  const tiers = Object.fromEntries(
    seq.map((t, i) => [rw.options[i].fqn, flexShardTiers(t, topo32, { batchSize: B, lookupsPerSample: len, memoryBudgetBytes: budget })]),
  );
  const a = simulate(rw, tables, batches);
  const b = simulate({ ...rw, tiered: tiers }, tables, batches);
  const t = Object.values(tiers)[0];
  console.log(
    `\nFlexShard-style tiers (hot ${t.hotRows}, warm ${t.warmRows}, cold ${t.coldRows} rows; ${budget} B per rank per table, 2× the row-wise footprint):`,
  );
  console.log(
    `  row-wise   all-to-all: intra ${(a.allToAllBytes.intra / 1e6).toFixed(2)} MB, inter ${(a.allToAllBytes.inter / 1e6).toFixed(2)} MB`,
  );
  console.log(
    `  tiered     all-to-all: intra ${(b.allToAllBytes.intra / 1e6).toFixed(2)} MB, inter ${(b.allToAllBytes.inter / 1e6).toFixed(2)} MB`,
  );
  console.log(
    `  inter-host all-to-all bytes ${((1 - b.allToAllBytes.inter / a.allToAllBytes.inter) * 100).toFixed(1)}% fewer; all links ${((1 - (b.allToAllBytes.intra + b.allToAllBytes.inter) / (a.allToAllBytes.intra + a.allToAllBytes.inter)) * 100).toFixed(1)}% fewer`,
  );
  for (const r of [...a.sequenceOutputs, ...b.sequenceOutputs]) for (const j of Object.values(r)) j.dispose();
  for (const o of [...a.outputs, ...b.outputs]) o.dispose();
  for (const x of batches) x.dispose();
  for (const w of weights) w.dispose();
}
