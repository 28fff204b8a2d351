// Test helpers for users of @tessera/embedding-sharding: the benchmark table sets and torchrec's estimator vectors.
import type { ComputeKernel, ShardingType } from '../types.js';

export type { TableSampleStats, TableSet, TableSetOptions } from '../datasets.js';
export { criteo1tbTables, dlrmV2Tables, generateTableSet } from '../datasets.js';

/** One expected shard perf of torchrec's `test_1_table_perf`. */
export interface TorchrecPerfVector {
  computeKernel: ComputeKernel;
  shardingType: ShardingType;
  fwdCompute: number;
  fwdComms: number;
  bwdCompute: number;
  bwdComms: number;
  shards: number;
}

/**
 * torchrec's `test_1_table_perf` (pytorch/torchrec torchrec/distributed/planner/tests/test_shard_estimators.py): a
 * 100 × 10 fp32 pooled table, one feature, pooling factor 1, batch 512, `Topology(world_size=2, compute_device="cuda")`;
 * the figures of every shard of each option (grid shards as on a single host).
 *
 * @example
 * ```ts
 * import { createTopology, enumerate, SHARDING_TYPES } from '@tessera/embedding-sharding';
 * import { TORCHREC_ONE_TABLE_PERF } from '@tessera/embedding-sharding/testing';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const t = { modulePath: 'ebc', name: 't0', rows: 100, dim: 10, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f0'] };
 * const opts = enumerate([t], topo, { t0: { shardingTypes: [...SHARDING_TYPES] } });
 * const v = TORCHREC_ONE_TABLE_PERF[1];
 * opts.find((o) => o.computeKernel === v.computeKernel && o.shardingType === v.shardingType)?.shards[0].perf.fwdCompute === v.fwdCompute; // → true
 * ```
 */
export const TORCHREC_ONE_TABLE_PERF: readonly TorchrecPerfVector[] = Object.freeze([
  {
    computeKernel: 'dense',
    shardingType: 'data_parallel',
    fwdCompute: 9.356002212235228e-5,
    fwdComms: 0,
    bwdCompute: 0.00018712004424470456,
    bwdComms: 0.000225593945387348,
    shards: 2,
  },
  {
    computeKernel: 'fused',
    shardingType: 'table_wise',
    fwdCompute: 0.000327460077428233,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.000654920154856466,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused_uvm',
    shardingType: 'table_wise',
    fwdCompute: 0.09179115295410156,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.18358230590820312,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused_uvm_caching',
    shardingType: 'table_wise',
    fwdCompute: 0.01432837509527439,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.02865675019054878,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused',
    shardingType: 'column_wise',
    fwdCompute: 0.000327460077428233,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.000654920154856466,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused_uvm',
    shardingType: 'column_wise',
    fwdCompute: 0.09179115295410156,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.18358230590820312,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused_uvm_caching',
    shardingType: 'column_wise',
    fwdCompute: 0.01432837509527439,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.02865675019054878,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused',
    shardingType: 'table_column_wise',
    fwdCompute: 0.000327460077428233,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.000654920154856466,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused_uvm',
    shardingType: 'table_column_wise',
    fwdCompute: 0.09179115295410156,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.18358230590820312,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused_uvm_caching',
    shardingType: 'table_column_wise',
    fwdCompute: 0.01432837509527439,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.02865675019054878,
    bwdComms: 6.357828776041667e-5,
    shards: 1,
  },
  {
    computeKernel: 'fused',
    shardingType: 'row_wise',
    fwdCompute: 6.804365245261984e-5,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.0001360873049052397,
    bwdComms: 0.00016798276699240525,
    shards: 2,
  },
  {
    computeKernel: 'fused_uvm',
    shardingType: 'row_wise',
    fwdCompute: 0.019073486328125,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.03814697265625,
    bwdComms: 0.029329458872477215,
    shards: 2,
  },
  {
    computeKernel: 'fused_uvm_caching',
    shardingType: 'row_wise',
    fwdCompute: 0.0029773246951219513,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.0059546493902439025,
    bwdComms: 0.004631910866838161,
    shards: 2,
  },
  {
    computeKernel: 'fused',
    shardingType: 'table_row_wise',
    fwdCompute: 6.804365245261984e-5,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.0001360873049052397,
    bwdComms: 0.00016798276699240525,
    shards: 2,
  },
  {
    computeKernel: 'fused_uvm',
    shardingType: 'table_row_wise',
    fwdCompute: 0.019073486328125,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.03814697265625,
    bwdComms: 0.029329458872477215,
    shards: 2,
  },
  {
    computeKernel: 'fused_uvm_caching',
    shardingType: 'table_row_wise',
    fwdCompute: 0.0029773246951219513,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.0059546493902439025,
    bwdComms: 0.004631910866838161,
    shards: 2,
  },
  {
    computeKernel: 'fused',
    shardingType: 'grid_shard',
    fwdCompute: 6.804365245261984e-5,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.0001360873049052397,
    bwdComms: 0.00016798276699240525,
    shards: 2,
  },
  {
    computeKernel: 'fused_uvm',
    shardingType: 'grid_shard',
    fwdCompute: 0.019073486328125,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.03814697265625,
    bwdComms: 0.029329458872477215,
    shards: 2,
  },
  {
    computeKernel: 'fused_uvm_caching',
    shardingType: 'grid_shard',
    fwdCompute: 0.0029773246951219513,
    fwdComms: 6.357828776041667e-5,
    bwdCompute: 0.0059546493902439025,
    bwdComms: 0.004631910866838161,
    shards: 2,
  },
]);
