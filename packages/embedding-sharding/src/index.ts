// @tessera/embedding-sharding — public API.

export type { HeuristicCost, HeuristicTable } from './autoshard.js';
export { evaluateAssignment, heuristicShard, MAX_HEURISTIC_TABLES } from './autoshard.js';
export { gibPerSecToBytesPerMs, PLANNER_CONSTANTS } from './constants.js';
export type { TableSampleStats, TableSet, TableSetOptions } from './datasets.js';
export { criteo1tbTables, dlrmV2Tables, generateTableSet } from './datasets.js';
export type { EnumerateOptions } from './enumerate.js';
export { allowedComputeKernels, allowedShardingTypes, enumerate, MAX_TABLES } from './enumerate.js';
export type { FlexShardOptions, FlexShardTierPlan } from './flexshard.js';
export { flexShardTiers } from './flexshard.js';
export type { GeometryOptions } from './geometry.js';
export { shardGeometry } from './geometry.js';
export { hierarchicalPlan } from './hierarchical.js';
export { greedyPerfPartitioner, memoryBalancedPartitioner } from './partitioners.js';
export { ESTIMATED_KERNELS, perfEstimator } from './perf-estimator.js';
export type { FromTorchrecOptions, ManualSharding, PlanIssue, TorchrecParameterSharding, TorchrecPlanJson } from './plan-io.js';
export { formatPlan, fromTorchrecPlan, manual, manualPlan, placementOf, toTorchrecPlan, validatePlan } from './plan-io.js';
export type { PlanOptions, PlanStats } from './planner.js';
export { DEFAULT_PLAN_TIMEOUT_MS, perRankPerf, plan, rate } from './planner.js';
export { dynamicProgrammingProposer, greedyProposer, gridSearchProposer, uniformProposer } from './proposers.js';
export type { SimulateOptions, SimulateResult } from './simulate.js';
export { MAX_SIM_IDS, simulate } from './simulate.js';
export type { PipelineType, ReserveOptions, StorageEstimatorOptions } from './storage-estimator.js';
export { reserveStorage, storageEstimator } from './storage-estimator.js';
export type { Collective } from './topology.js';
export { commsBandwidth, createTopology, kernelBandwidth, MAX_WORLD_SIZE } from './topology.js';
export type {
  CacheStats,
  ComputeDevice,
  ComputeKernel,
  Constraints,
  CostModel,
  Device,
  Estimator,
  PartitionBy,
  Partitioner,
  Perf,
  Plan,
  Proposer,
  ProposerFeedback,
  Shard,
  ShardingOption,
  ShardingType,
  Storage,
  TableSpec,
  TierPlan,
  Topology,
  TopologyInit,
} from './types.js';
export { COMPUTE_KERNELS, partitionByOf, perfTotal, SHARDING_TYPES } from './types.js';
