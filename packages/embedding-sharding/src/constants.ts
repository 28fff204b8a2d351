import { describe, TesseraError } from '@tessera/core';

// Planner constants, ported from pytorch/torchrec torchrec/distributed/planner/constants.py (units: bytes, ms).

/**
 * Converts a bandwidth in GiB/s into bytes/ms, the planner's unit (`X·1024³/1000`).
 *
 * @example
 * ```ts
 * import { gibPerSecToBytesPerMs } from '@tessera/embedding-sharding';
 * gibPerSecToBytesPerMs(12.5); // → 13421772.8
 * ```
 */
export function gibPerSecToBytesPerMs(gibPerSec: number): number {
  if (typeof gibPerSec !== 'number' || !Number.isFinite(gibPerSec) || gibPerSec < 0) {
    throw new TesseraError('INVALID_ARGUMENT', 'gibPerSecToBytesPerMs', 'gibPerSec must be a finite number ≥ 0', describe(gibPerSec));
  }
  return (gibPerSec * 1024 * 1024 * 1024) / 1000;
}

/**
 * Default planner constants (torchrec `planner/constants.py`). Bandwidths in bytes/ms, capacities in bytes.
 *
 * @example
 * ```ts
 * import { PLANNER_CONSTANTS } from '@tessera/embedding-sharding';
 * PLANNER_CONSTANTS.BATCH_SIZE; // → 512
 * ```
 */
export const PLANNER_CONSTANTS = Object.freeze({
  INTRA_NODE_BANDWIDTH: gibPerSecToBytesPerMs(600),
  CROSS_NODE_BANDWIDTH: gibPerSecToBytesPerMs(12.5),
  MIN_CW_DIM: 128,
  POOLING_FACTOR: 1.0,
  NUM_POOLINGS: 1.0,
  BIGINT_DTYPE: 8,
  HBM_CAP: 32 * 1024 * 1024 * 1024,
  DDR_CAP: 128 * 1024 * 1024 * 1024,
  DDR_MEM_BW: gibPerSecToBytesPerMs(51),
  HBM_MEM_BW: gibPerSecToBytesPerMs(897),
  HBM_TO_DDR_MEM_BW: gibPerSecToBytesPerMs(32),
  UVM_CACHING_RATIO: 0.2,
  KV_CACHING_RATIO: 0.2,
  BATCH_SIZE: 512,
  BATCHED_COPY_PERF_FACTOR: 2.455,
  FULL_BLOCK_EMB_DIM: 128,
  HALF_BLOCK_PENALTY: 1.15,
  QUARTER_BLOCK_PENALTY: 1.75,
  BWD_COMPUTE_MULTIPLIER: 2,
  WEIGHTED_FEATURE_BWD_COMPUTE_MULTIPLIER: 1,
  WEIGHTED_KERNEL_MULTIPLIER: 1.1,
  DP_ELEMENTWISE_KERNELS_PERF_FACTOR: 9.22,
  MAX_PROPOSALS: 10_000,
});
