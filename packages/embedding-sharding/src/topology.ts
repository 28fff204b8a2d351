// Topology, comms bandwidth and kernel bandwidth (pytorch/torchrec torchrec/distributed/planner/types.py
// `Topology`, `BasicCommsBandwidths`; planner/constants.py `kernel_bw_lookup`).
import { gibPerSecToBytesPerMs, PLANNER_CONSTANTS as K } from './constants.js';
import { checkInt, checkNumber, checkTopology, fail } from './errors.js';
import type { ComputeDevice, ComputeKernel, Device, Topology, TopologyInit } from './types.js';
import { zeroPerf } from './types.js';

/**
 * Largest world size accepted (bounds the per-rank arrays).
 *
 * @example
 * ```ts
 * import { MAX_WORLD_SIZE } from '@tessera/embedding-sharding';
 * MAX_WORLD_SIZE; // → 65536
 * ```
 */
export const MAX_WORLD_SIZE = 65_536;

/**
 * Builds a topology (torchrec `Topology`). Capacities are bytes; bandwidths are GiB/s and stored as bytes/ms
 * (`X·1024³/1000`). Defaults follow torchrec `planner/constants.py`: HBM 32 GiB (0 on cpu), DDR 128 GiB,
 * `localWorldSize = worldSize`, HBM 897, DDR 51, HBM↔DDR 32, intra-host 600, inter-host 12.5 GiB/s. As in torchrec a cap
 * of `0` means "default". Per-rank caps may be given as arrays of length `worldSize`; they also drive uneven
 * row-wise splits.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (world size not in [1, 65536], `worldSize % localWorldSize ≠ 0`,
 * unknown device, negative capacity or bandwidth, array caps of the wrong length).
 * @example
 * ```ts
 * import { createTopology } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 16, localWorldSize: 8, computeDevice: 'cuda' });
 * topo.devices.length; // → 16
 * topo.interHostBw; // → 13421772.8
 * ```
 */
export function createTopology(init: TopologyInit): Topology {
  const fn = 'createTopology';
  if (init === null || typeof init !== 'object') fail('INVALID_ARGUMENT', fn, 'init must be an object', init);
  const W = checkInt(init.worldSize, fn, 'worldSize', 1, MAX_WORLD_SIZE);
  const dev = init.computeDevice as ComputeDevice;
  if (dev !== 'cpu' && dev !== 'cuda' && dev !== 'mtia') fail('INVALID_ARGUMENT', fn, "computeDevice must be 'cpu', 'cuda' or 'mtia'", dev);
  const L = init.localWorldSize ? checkInt(init.localWorldSize, fn, 'localWorldSize', 1, W) : W;
  if (W % L !== 0) fail('INVALID_ARGUMENT', fn, `worldSize must be a multiple of localWorldSize (${L})`, W);
  const caps = (v: number | number[] | undefined, dflt: number, name: string): { per: number[]; custom: boolean } => {
    if (Array.isArray(v)) {
      if (v.length !== W) fail('INVALID_ARGUMENT', fn, `${name} as an array must have worldSize (${W}) entries`, v.length);
      return { per: v.map((x, i) => checkNumber(x, fn, `${name}[${i}]`)), custom: true };
    }
    if (v !== undefined) checkNumber(v, fn, name);
    return { per: new Array<number>(W).fill(v ? v : dflt), custom: false };
  };
  const hbm = caps(init.hbmCap, K.HBM_CAP, 'hbmCap');
  const ddr = caps(init.ddrCap, K.DDR_CAP, 'ddrCap');
  const onDevice = dev === 'cuda' || dev === 'mtia';
  const hbmPer = onDevice ? hbm.per : new Array<number>(W).fill(0);
  const bw = (v: number | undefined, dflt: number, name: string) =>
    v === undefined ? dflt : gibPerSecToBytesPerMs(checkNumber(v, fn, name, Number.MIN_VALUE));
  const devices: Device[] = hbmPer.map((h, rank) => ({ rank, storage: { hbm: h, ddr: ddr.per[rank] }, perf: zeroPerf() }));
  const memType = onDevice ? hbm : ddr;
  return {
    init: Object.freeze({ ...init }),
    devices,
    worldSize: W,
    localWorldSize: L,
    computeDevice: dev,
    hbmMemBw: bw(init.hbmMemBw, K.HBM_MEM_BW, 'hbmMemBw'),
    ddrMemBw: bw(init.ddrMemBw, K.DDR_MEM_BW, 'ddrMemBw'),
    hbmToDdrMemBw: bw(init.hbmToDdrMemBw, K.HBM_TO_DDR_MEM_BW, 'hbmToDdrMemBw'),
    intraHostBw: bw(init.intraHostBw, K.INTRA_NODE_BANDWIDTH, 'intraHostBw'),
    interHostBw: bw(init.interHostBw, K.CROSS_NODE_BANDWIDTH, 'interHostBw'),
    bwdComputeMultiplier:
      init.bwdComputeMultiplier === undefined
        ? K.BWD_COMPUTE_MULTIPLIER
        : checkNumber(init.bwdComputeMultiplier, fn, 'bwdComputeMultiplier'),
    weightedFeatureBwdComputeMultiplier:
      init.weightedFeatureBwdComputeMultiplier === undefined
        ? K.WEIGHTED_FEATURE_BWD_COMPUTE_MULTIPLIER
        : checkNumber(init.weightedFeatureBwdComputeMultiplier, fn, 'weightedFeatureBwdComputeMultiplier'),
    unevenShardingPerfMultiplier:
      init.unevenShardingPerfMultiplier === undefined
        ? 1
        : checkNumber(init.unevenShardingPerfMultiplier, fn, 'unevenShardingPerfMultiplier'),
    deviceMemorySizes: memType.custom ? memType.per : null,
  };
}

/** Same topology with new device storages (perf reset to 0). @internal */
export function withDeviceStorage(topo: Topology, storages: readonly { hbm: number; ddr: number }[]): Topology {
  return { ...topo, devices: topo.devices.map((d, i) => ({ rank: d.rank, storage: { ...storages[i] }, perf: zeroPerf() })) };
}

/** Collective kinds of the comms model. */
export type Collective = 'all_to_all' | 'reduce_scatter' | 'all_gather' | 'all_reduce';

/**
 * Bandwidth (bytes/ms) of a collective over `worldSize` ranks, `localWorldSize` per host (torchrec
 * `BasicCommsBandwidths.get_bw`): all-reduce → inter-host·L ("one NIC per GPU"); otherwise intra-host when the group
 * fits in one host, else inter-host.
 *
 * @example
 * ```ts
 * import { commsBandwidth, createTopology } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 16, localWorldSize: 8, computeDevice: 'cuda' });
 * commsBandwidth(topo, 'all_to_all', 8, 8) === topo.intraHostBw; // → true
 * ```
 */
export function commsBandwidth(topo: Topology, coll: Collective, worldSize: number, localWorldSize: number): number {
  checkTopology('commsBandwidth', topo);
  if (!['all_to_all', 'reduce_scatter', 'all_gather', 'all_reduce'].includes(coll))
    fail('INVALID_ARGUMENT', 'commsBandwidth', "coll must be 'all_to_all', 'reduce_scatter', 'all_gather' or 'all_reduce'", coll);
  checkNumber(worldSize, 'commsBandwidth', 'worldSize', 1);
  checkNumber(localWorldSize, 'commsBandwidth', 'localWorldSize', 1);
  return commsBw(topo, coll, worldSize, localWorldSize);
}

/** {@link commsBandwidth} without argument checks (estimator hot path). @internal */
export function commsBw(topo: Topology, coll: Collective, worldSize: number, localWorldSize: number): number {
  if (coll === 'all_reduce') return topo.interHostBw * localWorldSize;
  return worldSize <= localWorldSize ? topo.intraHostBw : topo.interHostBw;
}

/**
 * Kernel memory bandwidth in bytes/ms (torchrec `kernel_bw_lookup`), or `undefined` when torchrec has no entry
 * for the (device, kernel) pair.
 *
 * @example
 * ```ts
 * import { createTopology, kernelBandwidth } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * kernelBandwidth(topo, 'fused') === topo.hbmMemBw; // → true
 * ```
 */
export function kernelBandwidth(
  topo: Topology,
  kernel: ComputeKernel,
  cachingRatio?: number,
  prefetchPipeline = false,
): number | undefined {
  checkTopology('kernelBandwidth', topo);
  if (cachingRatio !== undefined) checkNumber(cachingRatio, 'kernelBandwidth', 'cachingRatio', 0, 1);
  return kernelBw(topo, kernel, cachingRatio, prefetchPipeline);
}

/** {@link kernelBandwidth} without argument checks (estimator hot path). @internal */
export function kernelBw(topo: Topology, kernel: ComputeKernel, cachingRatio?: number, prefetchPipeline = false): number | undefined {
  const clf = cachingRatio ?? K.UVM_CACHING_RATIO;
  const hbm = topo.hbmMemBw;
  const ddr = topo.ddrMemBw;
  const h2d = topo.hbmToDdrMemBw;
  const dev = topo.computeDevice;
  if (prefetchPipeline && dev === 'cuda' && kernel === 'fused_uvm_caching') return 1 * hbm;
  if (dev === 'cpu') {
    if (kernel === 'dense') return 0.5 * ddr;
    if (kernel === 'fused' || kernel === 'quant') return 1 * ddr;
    return undefined;
  }
  if (kernel === 'dense') return 0.5 * hbm;
  if (kernel === 'fused' || kernel === 'quant') return 1 * hbm;
  if (dev === 'mtia') return undefined;
  switch (kernel) {
    case 'fused_uvm':
    case 'quant_uvm':
      return h2d / 10;
    case 'fused_uvm_caching':
    case 'quant_uvm_caching':
      return (clf * hbm + (1 - clf) * h2d) / 10;
    case 'key_value':
    case 'ssd_virtual_table':
    case 'dram_virtual_table':
      return h2d;
    default:
      return undefined;
  }
}
