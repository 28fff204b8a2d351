// FlexShard-style tiered row placement for sequence tables (arXiv 2301.02959: per-row sharding, rows replicated by
// access probability). The tier model below is this package's design, not the paper's algorithm: hot rows on every
// device, warm rows per host (row-split over the host's L devices), cold rows row-split over all W devices.

import { checkTable } from './enumerate.js';
import { checkInt, checkNumber, fail } from './errors.js';
import type { TableSpec, TierPlan, Topology } from './types.js';

/** Generalised harmonic number H(k, s) = Σ_{i=1..k} i^−s, exact up to 4096 terms then Euler–Maclaurin. @internal */
export function harmonic(k: number, s: number): number {
  const m = Math.min(k, 4096);
  let h = 0;
  for (let i = m; i >= 1; i--) h += i ** -s;
  if (k <= m) return h;
  // Σ_{i=m+1..k} f(i) ≈ ∫_m^k f + (f(k) − f(m))/2 + (f'(k) − f'(m))/12, f(x) = x^−s
  const F = (x: number) => (Math.abs(s - 1) < 1e-12 ? Math.log(x) : x ** (1 - s) / (1 - s));
  const f = (x: number) => x ** -s;
  const df = (x: number) => -s * x ** (-s - 1);
  return h + F(k) - F(m) + (f(k) - f(m)) / 2 + (df(k) - df(m)) / 12;
}

/** Access CDF: probability that a lookup hits one of the `k` most popular rows. @internal */
export function accessCdf(t: TableSpec): (k: number) => number {
  const R = t.rows;
  const a = t.access;
  if (a && 'cdf' in a) {
    const cdf = a.cdf;
    const n = cdf.length;
    // cdf[i] = P(rank ≤ (i+1)·R/n): interpolate
    return (k) => {
      if (k <= 0) return 0;
      if (k >= R) return 1;
      const x = (k / R) * n - 1;
      if (x < 0) return cdf[0] * ((k / R) * n);
      const i = Math.floor(x);
      return i + 1 >= n ? 1 : cdf[i] + (cdf[i + 1] - cdf[i]) * (x - i);
    };
  }
  const s = a && 'zipfExponent' in a ? a.zipfExponent : 0;
  if (s === 0) return (k) => Math.min(1, Math.max(0, k / R));
  const HR = harmonic(R, s);
  return (k) => (k <= 0 ? 0 : k >= R ? 1 : harmonic(k, s) / HR);
}

/** Options of {@link flexShardTiers}. */
export interface FlexShardOptions {
  /** Samples per rank per step. */
  batchSize: number;
  /** Ids looked up per sample in this table. */
  lookupsPerSample: number;
  /** Per-device bytes for this table (tiers must fit; at least the row-wise footprint ⌈R/W⌉·d·s). */
  memoryBudgetBytes: number;
  /** Number of candidate hot-tier sizes scanned (default 256). */
  candidates?: number;
}

/** A tier plan with the model's figures. */
export interface FlexShardTierPlan extends TierPlan {
  /** Bytes per device the tiers use. */
  bytesPerDevice: number;
  /** Probabilities of hitting each tier. */
  pHot: number;
  pWarm: number;
  pCold: number;
  /** Modelled step time (ms) of the lookup all-to-all plus the hot-row gradient all-reduce. */
  modelledTimeMs: number;
}

/**
 * Chooses FlexShard-style tiers for one sequence table at an explicit per-device memory budget: `hotRows` replicated
 * on every device, `warmRows` replicated per host and row-split over its L devices, `coldRows` row-split over all W.
 * Rows are ranked by access probability (Zipf from `table.access`, or a CDF). For each candidate hot size the warm tier
 * takes the rest of the budget; the candidate with the least modelled time wins, counting remote lookups
 * (`P(warm)·(L−1)/L + P(cold)·(L−1)/W` of the bytes intra-host, `P(cold)·(W−L)/W` inter-host) and a ring all-reduce of
 * the touched hot rows. With a budget equal to the row-wise footprint, H = M = 0 (plain row-wise).
 *
 * @throws TesseraError `PLANNER_INSUFFICIENT_STORAGE` when the budget is below the row-wise footprint;
 * `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { createTopology, flexShardTiers } from '@tessera/embedding-sharding';
 * const topo = createTopology({ worldSize: 8, localWorldSize: 4, computeDevice: 'cuda' });
 * const t = { modulePath: 'ec', name: 'hist', rows: 100_000, dim: 64, elementBytes: 4, moduleKind: 'sequence' as const, featureNames: ['h'], access: { zipfExponent: 1.05 } };
 * const rw = Math.ceil(100_000 / 8) * 64 * 4;
 * flexShardTiers(t, topo, { batchSize: 512, lookupsPerSample: 20, memoryBudgetBytes: rw }).hotRows; // → 0
 * ```
 */
export function flexShardTiers(t: TableSpec, topo: Topology, o: FlexShardOptions): FlexShardTierPlan {
  const fn = 'flexShardTiers';
  checkTable(fn, t, 0);
  const B = checkInt(o?.batchSize, fn, 'batchSize', 1, 1 << 30);
  const lps = checkNumber(o.lookupsPerSample, fn, 'lookupsPerSample', 0, 1e6);
  const budget = checkNumber(o.memoryBudgetBytes, fn, 'memoryBudgetBytes');
  const nCand = checkInt(o.candidates ?? 256, fn, 'candidates', 2, 100_000);
  const W = topo.worldSize;
  const L = topo.localWorldSize;
  const R = t.rows;
  const rowBytes = t.dim * t.elementBytes;
  const slots = Math.floor(budget / rowBytes); // rows a device can hold
  const rwRows = Math.ceil(R / W);
  if (slots < rwRows) {
    fail(
      'PLANNER_INSUFFICIENT_STORAGE',
      fn,
      `budget ${budget} B holds ${slots} rows of '${t.name}', below the row-wise footprint of ${rwRows} rows (${rwRows * rowBytes} B)`,
      budget,
      {
        table: t.name,
      },
    );
  }
  const cdf = accessCdf(t);
  const lookups = W * B * lps; // global lookups per step
  const used = (H: number, M: number) => H + Math.ceil(M / L) + Math.ceil((R - H - M) / W);
  const warmFor = (H: number): number => {
    if (W === L) return 0; // one host: warm = cold
    const free = slots - H - Math.ceil((R - H) / W);
    if (free < 0) return -1;
    let M = Math.min(R - H, Math.floor(free / (1 / L - 1 / W)));
    while (M > 0 && used(H, M) > slots) M--;
    return M;
  };
  // H candidates: 0 and a geometric grid up to the largest feasible hot tier
  const maxH = Math.max(0, Math.min(R, Math.floor((slots - R / W) / (1 - 1 / W))));
  const cands = new Set<number>([0]);
  for (let i = 0; i < nCand && maxH > 0; i++) cands.add(Math.max(0, Math.min(maxH, Math.round(maxH ** (i / (nCand - 1))))));
  let best: FlexShardTierPlan | null = null;
  const bwIntra = topo.intraHostBw;
  const bwInter = W > L ? topo.interHostBw : topo.intraHostBw;
  for (let H of cands) {
    while (H > 0 && used(H, 0) > slots) H--;
    const M = warmFor(H);
    if (M < 0) continue;
    const C = R - H - M;
    const pHot = cdf(H);
    const pWarm = cdf(H + M) - pHot;
    const pCold = 1 - pHot - pWarm;
    const intra = lookups * rowBytes * (pWarm * ((L - 1) / L) + pCold * ((L - 1) / W));
    const inter = lookups * rowBytes * pCold * ((W - L) / W);
    const touched = Math.min(H, lookups * pHot);
    const ar = W > 1 ? (2 * (W - 1) * touched * rowBytes) / W / bwInter : 0;
    const time = intra / bwIntra + (W > L ? inter / bwInter : 0) + ar;
    const cand: FlexShardTierPlan = {
      hotRows: H,
      warmRows: M,
      coldRows: C,
      intraBytesPerStep: intra,
      interBytesPerStep: inter,
      bytesPerDevice: used(H, M) * rowBytes,
      pHot,
      pWarm,
      pCold,
      modelledTimeMs: time,
    };
    if (!best || time < best.modelledTimeMs) best = cand;
  }
  return best as FlexShardTierPlan;
}
