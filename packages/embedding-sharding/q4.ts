import {
  createTopology,
  flexShardTiers,
  generateTableSet,
  greedyProposer,
  hierarchicalPlan,
  plan,
  rate,
  validatePlan,
} from './src/index.js';

const g = generateTableSet({ count: 856, seed: 1 });
const big = createTopology({ worldSize: 128, localWorldSize: 8, computeDevice: 'cuda', hbmCap: 80 * 2 ** 30 });
const t0 = performance.now();
const p = hierarchicalPlan(g.tables, big, g.constraints);
console.log('hier', performance.now() - t0, rate(p), validatePlan(p, g.tables).length);
const topo = createTopology({ worldSize: 32, localWorldSize: 8, computeDevice: 'cuda' });
const t = {
  modulePath: 'ec',
  name: 'hist',
  rows: 1_000_000,
  dim: 64,
  elementBytes: 4,
  moduleKind: 'sequence' as const,
  featureNames: ['h'],
  access: { zipfExponent: 1.05 },
};
const rw = Math.ceil(1e6 / 32) * 256;
for (const m of [1, 1.5, 2, 4])
  console.log(m, flexShardTiers(t, topo, { batchSize: 512, lookupsPerSample: 20, memoryBudgetBytes: rw * m }));
