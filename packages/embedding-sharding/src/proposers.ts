// Proposers (pytorch/torchrec torchrec/distributed/planner/proposers.py): grid search, greedy (by depth or by sum),
// uniform and dynamic programming.
import { PLANNER_CONSTANTS as K } from './constants.js';
import { checkInt, fail } from './errors.js';
import { type Proposer, type ProposerFeedback, perfTotal, type ShardingOption } from './types.js';

/** torchrec `_sharding_option_score`: max (depth) or sum of shard `perf.total`. @internal */
export function optionScore(so: ShardingOption, useDepth = true): number {
  if (useDepth) {
    let m = Number.NEGATIVE_INFINITY;
    for (const s of so.shards) m = Math.max(m, perfTotal(s.perf));
    return m;
  }
  let sum = 0;
  for (const s of so.shards) sum += perfTotal(s.perf);
  return sum;
}

function stableSortBy<T>(xs: T[], key: (x: T) => number): T[] {
  const keyed = xs.map((x, i) => ({ x, i, k: key(x) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
  return keyed.map((e) => e.x);
}

/** Bound on the dynamic-programming table (tables × bins), 4 float64/int32 arrays of that size. */
const MAX_DP_CELLS = 1 << 24;

function groupByFqn(space: readonly ShardingOption[]): Map<string, ShardingOption[]> {
  const m = new Map<string, ShardingOption[]>();
  for (const so of space) {
    let l = m.get(so.fqn);
    if (!l) m.set(so.fqn, (l = []));
    l.push(so);
  }
  return m;
}

/**
 * torchrec `GreedyProposer`: each table starts at its best option (score = max shard perf with `useDepth`, else the
 * sum); after each feedback the table whose current option has the lexicographically largest (max shard HBM, Σ HBM,
 * max shard DDR, Σ DDR) — among tables with a next option — advances. `threshold`: stop after that many consecutive
 * ratings worse than the best.
 *
 * @example
 * ```ts
 * import { greedyProposer } from '@tessera/embedding-sharding';
 * const p = greedyProposer({ useDepth: false });
 * p.load([]);
 * p.propose(); // → null
 * ```
 */
export function greedyProposer(o: { useDepth?: boolean; threshold?: number } = {}): Proposer {
  const useDepth = o.useDepth ?? true;
  const threshold = o.threshold ? checkInt(o.threshold, 'greedyProposer', 'threshold', 1) : undefined;
  let byFqn = new Map<string, ShardingOption[]>();
  let current = new Map<string, number>();
  let best = Number.POSITIVE_INFINITY;
  let inferior = 0;
  return {
    load(space) {
      byFqn = groupByFqn(space);
      for (const [k, l] of byFqn)
        byFqn.set(
          k,
          stableSortBy(l, (x) => optionScore(x, useDepth)),
        );
      current = new Map([...byFqn.keys()].map((k) => [k, 0]));
    },
    propose() {
      if (current.size === 0) return null;
      return [...current].map(([fqn, i]) => (byFqn.get(fqn) as ShardingOption[])[i]);
    },
    feedback(f: ProposerFeedback) {
      if (threshold && f.rating) {
        inferior++;
        if (f.rating < best) {
          best = f.rating;
          inferior = 0;
        }
        if (inferior > threshold) {
          current = new Map();
          return;
        }
      }
      let largest: string | null = null;
      let ls = [0, 0, 0, 0];
      for (const [fqn, opts] of byFqn) {
        const i = current.get(fqn) as number;
        if (i + 1 < opts.length) {
          const sh = opts[i].shards;
          let mh = Number.NEGATIVE_INFINITY;
          let sumh = 0;
          let md = Number.NEGATIVE_INFINITY;
          let sumd = 0;
          for (const s of sh) {
            mh = Math.max(mh, s.storage.hbm);
            sumh += s.storage.hbm;
            md = Math.max(md, s.storage.ddr);
            sumd += s.storage.ddr;
          }
          const cs = [mh, sumh, md, sumd];
          if (lexGreater(cs, ls)) {
            largest = fqn;
            ls = cs;
          }
        }
      }
      if (largest !== null) current.set(largest, (current.get(largest) as number) + 1);
      else current = new Map();
    },
  };
}

function lexGreater(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

/**
 * torchrec `UniformProposer`: one proposal per sharding type available to every table, each table at its best
 * option of that type (types in first-seen order).
 *
 * @example
 * ```ts
 * import { uniformProposer } from '@tessera/embedding-sharding';
 * const p = uniformProposer();
 * p.load([]);
 * p.propose(); // → null
 * ```
 */
export function uniformProposer(o: { useDepth?: boolean } = {}): Proposer {
  const useDepth = o.useDepth ?? true;
  let groups: ShardingOption[][] = [];
  let idx = 0;
  return {
    load(space) {
      groups = [];
      idx = 0;
      const all = new Set<string>();
      const byType = new Map<string, Map<string, ShardingOption[]>>();
      for (const so of space) {
        all.add(so.fqn);
        let m = byType.get(so.shardingType);
        if (!m) byType.set(so.shardingType, (m = new Map()));
        let l = m.get(so.fqn);
        if (!l) m.set(so.fqn, (l = []));
        l.push(so);
      }
      for (const m of byType.values()) {
        if (m.size !== all.size) continue;
        groups.push([...m.values()].map((l) => stableSortBy(l, (x) => optionScore(x, useDepth))[0]));
      }
    },
    propose() {
      return idx < groups.length ? groups[idx] : null;
    },
    feedback() {
      idx++;
    },
  };
}

/**
 * torchrec `GridSearchProposer`: the Cartesian product of every table's options (sorted by depth score), skipped
 * entirely when it exceeds `maxProposals` (default 10 000).
 *
 * @example
 * ```ts
 * import { gridSearchProposer } from '@tessera/embedding-sharding';
 * const p = gridSearchProposer(100);
 * p.load([]);
 * p.propose(); // → null
 * ```
 */
export function gridSearchProposer(maxProposals: number = K.MAX_PROPOSALS): Proposer {
  checkInt(maxProposals, 'gridSearchProposer', 'maxProposals', 0, 1e9);
  let lists: ShardingOption[][] = [];
  let total = 0;
  let idx = 0;
  return {
    load(space) {
      idx = 0;
      lists = [...groupByFqn(space).values()].map((l) => stableSortBy(l, (x) => optionScore(x)));
      total = lists.reduce((a, l) => a * l.length, 1);
      if (lists.length === 0 || total > maxProposals) total = 0;
    },
    propose() {
      if (idx >= total) return null;
      // itertools.product order: the last table varies fastest
      let r = idx;
      const pick = new Array<ShardingOption>(lists.length);
      for (let t = lists.length - 1; t >= 0; t--) {
        const n = lists[t].length;
        pick[t] = lists[t][r % n];
        r = Math.floor(r / n);
      }
      return pick;
    },
    feedback() {
      idx++;
    },
  };
}

/**
 * torchrec `DynamicProgrammingProposer`: first proposes each table's lowest-HBM option; after that feedback it bins
 * the reserved HBM into `hbmBinsPerDevice·W` bins and runs a DP over tables minimising Σ perf under each total-HBM
 * bin, proposing the per-bin optima from the largest bin down.
 *
 * @example
 * ```ts
 * import { dynamicProgrammingProposer } from '@tessera/embedding-sharding';
 * const p = dynamicProgrammingProposer();
 * p.load([]);
 * p.propose(); // → []
 * ```
 */
export function dynamicProgrammingProposer(o: { hbmBinsPerDevice?: number } = {}): Proposer {
  const binsPerDevice = Math.max(o.hbmBinsPerDevice ?? 100, 1);
  let byFqn = new Map<string, ShardingOption[]>();
  let inited = false;
  let proposals: number[][] = [];
  let cur = -1;
  return {
    load(space) {
      inited = false;
      proposals = [];
      cur = -1;
      const sorted = stableSortBy([...space], (x) => x.shards.reduce((a, s) => a + s.storage.hbm, 0));
      byFqn = groupByFqn(sorted);
    },
    propose() {
      const lists = [...byFqn.values()];
      if (!inited) return lists.map((l) => l[0]);
      if (cur >= 0) return lists.map((l, i) => l[proposals[cur][i]]);
      return null;
    },
    feedback(f) {
      if (inited) {
        cur++;
        if (cur >= proposals.length) cur = -1;
        return;
      }
      inited = true;
      const topo = f.storageConstraint;
      if (!topo) fail('INVALID_ARGUMENT', 'dynamicProgrammingProposer', 'feedback needs storageConstraint (the reserved topology)', f);
      const lists = [...byFqn.values()];
      const T = lists.length;
      if (T === 0) return;
      const hbmTotal = topo.devices.reduce((a, d) => a + d.storage.hbm, 0);
      const bins = binsPerDevice * topo.devices.length;
      if (T * bins > MAX_DP_CELLS) {
        fail(
          'INVALID_ARGUMENT',
          'dynamicProgrammingProposer',
          `tables × HBM bins must be at most ${MAX_DP_CELLS} (lower hbmBinsPerDevice)`,
          T * bins,
        );
      }
      const binSize = hbmTotal / bins;
      const hbm = lists.map((l) => l.map((so) => so.shards.reduce((a, s) => a + s.storage.hbm, 0) / binSize));
      const perf = lists.map((l) => l.map((so) => so.shards.reduce((a, s) => a + perfTotal(s.perf), 0)));
      const dpPerf = lists.map(() => new Float64Array(bins).fill(Number.POSITIVE_INFINITY));
      const dpHbm = lists.map(() => new Float64Array(bins).fill(Number.POSITIVE_INFINITY));
      const btOpt = lists.map(() => new Int32Array(bins).fill(-1));
      const btPrev = lists.map(() => new Int32Array(bins).fill(-1));
      for (let j = 0; j < lists[0].length; j++) {
        if (hbm[0][j] < bins) {
          const h = Math.trunc(hbm[0][j]);
          if (dpPerf[0][h] > perf[0][j]) {
            dpPerf[0][h] = perf[0][j];
            dpHbm[0][h] = hbm[0][j];
            btOpt[0][h] = j;
            btPrev[0][h] = -1;
          }
        }
      }
      for (let i = 1; i < T; i++) {
        for (let j = 0; j < lists[i].length; j++) {
          for (let b = 0; b < bins; b++) {
            const pp = dpPerf[i - 1][b];
            if (pp < Number.POSITIVE_INFINITY) {
              const nh = dpHbm[i - 1][b] + hbm[i][j];
              if (nh < bins) {
                const ni = Math.trunc(nh);
                const np = pp + perf[i][j];
                if (dpPerf[i][ni] > np) {
                  dpPerf[i][ni] = np;
                  dpHbm[i][ni] = nh;
                  btOpt[i][ni] = j;
                  btPrev[i][ni] = b;
                }
              }
            }
          }
        }
      }
      proposals = [];
      for (let c = bins - 1; c >= 0; c--) {
        let opt = btOpt[T - 1][c];
        if (opt < 0) continue;
        const idx = new Array<number>(T).fill(-1);
        idx[T - 1] = opt;
        let h = btPrev[T - 1][c];
        for (let i = T - 2; i >= 0; i--) {
          opt = btOpt[i][h];
          idx[i] = opt;
          h = btPrev[i][h];
        }
        proposals.push(idx);
      }
      if (proposals.length > 0) cur = 0;
    },
  };
}
