// AutoShard's heuristic table-wise baselines and evaluation metric (daochenzha/autoshard autoshard/sharders.py and
// eval.py; the size-lookup cost comes from daochenzha/dreamshard dreamshard/sharders.py).
import { rng } from '@tessera/core';
import { checkInt, checkNumber, fail } from './errors.js';

/** One table as the AutoShard baselines see it. */
export interface HeuristicTable {
  dim: number;
  rows: number;
  poolingFactor: number;
  /** Table size in GiB (AutoShard: rows·dim·2 bytes, fp16). */
  sizeGiB: number;
}

/** Cost key of an AutoShard/DreamShard baseline. */
export type HeuristicCost = 'size' | 'dim' | 'lookup' | 'size_lookup' | 'random' | 'naive';

/**
 * Largest table count accepted by {@link heuristicShard}.
 *
 * @example
 * ```ts
 * import { MAX_HEURISTIC_TABLES } from '@tessera/embedding-sharding';
 * MAX_HEURISTIC_TABLES; // → 1000000
 * ```
 */
export const MAX_HEURISTIC_TABLES = 1_000_000;

/**
 * AutoShard's greedy baselines: whole tables to `ndevices` under a per-device memory cap. Tables are sorted by (cost,
 * size, index) descending and each goes to the feasible device (Σsize + size ≤ cap) with the lowest Σcost, ties to the
 * lower Σsize, then the lower index. Costs: `size`, `dim`, `lookup` = dim·pf, `size_lookup` = dim·pf·log10(rows);
 * `random` (uniform device, ignores memory, seeded) and `naive` (i mod ndevices) ignore the cap, as in the reference
 * code. Returns the device of each table.
 *
 * @throws TesseraError `PLANNER_PARTITION` when no device can take a table (the reference silently uses the last
 * device); `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * import { heuristicShard } from '@tessera/embedding-sharding';
 * const tables = [4, 1, 3, 2].map((g) => ({ dim: 16, rows: 1000, poolingFactor: 1, sizeGiB: g }));
 * heuristicShard(tables, { ndevices: 2, maxMemoryGiB: 6, cost: 'size' }); // → [0, 0, 1, 1]
 * ```
 */
export function heuristicShard(
  tables: readonly HeuristicTable[],
  o: { ndevices: number; maxMemoryGiB: number; cost: HeuristicCost; seed?: number },
): number[] {
  const fn = 'heuristicShard';
  if (!Array.isArray(tables) || tables.length > MAX_HEURISTIC_TABLES)
    fail('INVALID_ARGUMENT', fn, `tables must be an array of at most ${MAX_HEURISTIC_TABLES}`, tables);
  const n = checkInt(o?.ndevices, fn, 'ndevices', 1, 65_536);
  const cap = checkNumber(o.maxMemoryGiB, fn, 'maxMemoryGiB');
  const kinds: HeuristicCost[] = ['size', 'dim', 'lookup', 'size_lookup', 'random', 'naive'];
  if (!kinds.includes(o.cost)) fail('INVALID_ARGUMENT', fn, `cost must be one of ${kinds.join(', ')}`, o.cost);
  tables.forEach((t, i) => {
    for (const k of ['dim', 'rows', 'poolingFactor', 'sizeGiB'] as const) checkNumber(t?.[k], fn, `tables[${i}].${k}`);
  });
  if (o.cost === 'naive') return tables.map((_, i) => i % n);
  if (o.cost === 'random') {
    const r = rng(o.seed ?? 0);
    return tables.map(() => r.int(n));
  }
  const cost = (t: HeuristicTable): number => {
    switch (o.cost) {
      case 'size':
        return t.sizeGiB;
      case 'dim':
        return t.dim;
      case 'lookup':
        return t.dim * t.poolingFactor;
      default:
        return t.dim * t.poolingFactor * Math.log10(t.rows);
    }
  };
  const order = tables.map((t, i) => ({ c: cost(t), s: t.sizeGiB, i }));
  order.sort((a, b) => b.c - a.c || b.s - a.s || b.i - a.i);
  const sumCost = new Float64Array(n);
  const sumSize = new Float64Array(n);
  const out = new Array<number>(tables.length);
  for (const e of order) {
    let best = -1;
    for (let d = 0; d < n; d++) {
      if (sumSize[d] + e.s > cap) continue;
      if (best < 0 || sumCost[d] < sumCost[best] || (sumCost[d] === sumCost[best] && sumSize[d] < sumSize[best])) best = d;
    }
    if (best < 0) {
      fail('PLANNER_PARTITION', fn, `no device can take table ${e.i} (${e.s} GiB) under the ${cap} GiB cap`, e.s, {
        table: e.i,
        sizeGiB: e.s,
        capGiB: cap,
      });
    }
    out[e.i] = best;
    sumCost[best] += e.c;
    sumSize[best] += e.s;
  }
  return out;
}

/**
 * AutoShard's evaluation metric (`eval.py`): max, min and mean per-device cost and balance = min/max (1 = perfect),
 * plus the sharding wall time passed in.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (empty or negative costs).
 * @example
 * ```ts
 * import { evaluateAssignment } from '@tessera/embedding-sharding';
 * evaluateAssignment([2, 4, 3], 1.5).balance; // → 0.5
 * ```
 */
export function evaluateAssignment(
  costPerDevice: readonly number[],
  shardingTimeMs: number,
): { max: number; min: number; mean: number; balance: number; shardingTimeMs: number } {
  const fn = 'evaluateAssignment';
  if (!Array.isArray(costPerDevice) || costPerDevice.length === 0)
    fail('INVALID_ARGUMENT', fn, 'costPerDevice must be a non-empty array', costPerDevice);
  costPerDevice.forEach((c, i) => {
    checkNumber(c, fn, `costPerDevice[${i}]`);
  });
  checkNumber(shardingTimeMs, fn, 'shardingTimeMs');
  const max = Math.max(...costPerDevice);
  const min = Math.min(...costPerDevice);
  const mean = costPerDevice.reduce((a, b) => a + b, 0) / costPerDevice.length;
  return { max, min, mean, balance: max > 0 ? min / max : 1, shardingTimeMs };
}
