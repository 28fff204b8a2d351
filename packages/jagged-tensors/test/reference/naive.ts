// Naive reference implementations written from torchrec's documented semantics: plain arrays of bags, obviously
// correct, slow on purpose. A KJT is modelled as, per key, a list of bags; a bag is a list of value rows (each row a
// number[] of width 1 for 1-D values) and, if weighted, a parallel list of weights.
import type { KeyedJaggedTensor } from '../../src/index.js';

export interface RefBag {
  rows: number[][];
  w: number[] | null;
}
export interface RefKjt {
  keys: string[];
  bags: RefBag[][];
  weighted: boolean;
}

export function toRef(x: KeyedJaggedTensor): RefKjt {
  const width = x.values.shape[1] ?? 1;
  const v = Array.from(x.values.dataSync() as ArrayLike<number>);
  const w = x.weights ? Array.from(x.weights.dataSync()) : null;
  const bags: RefBag[][] = [];
  let bag = 0;
  for (let k = 0; k < x.keys.length; k++) {
    const kb: RefBag[] = [];
    for (let u = 0; u < x.stridePerKey[k]; u++, bag++) {
      const rows: number[][] = [];
      const ws: number[] = [];
      for (let r = x.offsets[bag]; r < x.offsets[bag + 1]; r++) {
        rows.push(v.slice(r * width, r * width + width));
        if (w) ws.push(w[r]);
      }
      kb.push({ rows, w: w ? ws : null });
    }
    bags.push(kb);
  }
  return { keys: [...x.keys], bags, weighted: w !== null };
}

export const refPermute = (x: RefKjt, idx: number[]): RefKjt => ({
  keys: idx.map((i) => x.keys[i]),
  bags: idx.map((i) => x.bags[i]),
  weighted: x.weighted,
});

export function refSplit(x: RefKjt, segs: number[]): RefKjt[] {
  const out: RefKjt[] = [];
  let s = 0;
  for (const n of segs) {
    out.push({ keys: x.keys.slice(s, s + n), bags: x.bags.slice(s, s + n), weighted: x.weighted });
    s += n;
  }
  return out;
}

export const refIndexSelect = (x: RefKjt, sel: number[]): RefKjt => ({
  keys: x.keys,
  bags: x.bags.map((kb) => sel.map((b) => kb[b])),
  weighted: x.weighted,
});

/** Padded rows of one key: N entries per bag, truncated or padded with `pad`. 1-D values. */
export const refPadded = (bags: RefBag[], n: number, pad: number): number[][] =>
  bags.map((b) => Array.from({ length: n }, (_, j) => (j < b.rows.length ? b.rows[j][0] : pad)));

const bits = (x: number) => new Int32Array(new Float32Array([x]).buffer)[0];

/** Signature of one bag: ids and float32 bit patterns of the weights. */
export const sig = (b: RefBag) => JSON.stringify([b.rows.map((r) => r.map(bits)), b.w ? b.w.map(bits) : null]);

/** Reference dedup of one group of key indices: first-occurrence unique list and inverse row. */
export function refDedupGroup(x: RefKjt, ks: number[]): { idx: number[]; reps: number[] } {
  const B = x.bags[ks[0]]?.length ?? 0;
  const seen: string[] = [];
  const reps: number[] = [];
  const idx: number[] = [];
  for (let b = 0; b < B; b++) {
    const s = ks.map((k) => sig(x.bags[k][b])).join('|');
    let u = seen.indexOf(s);
    if (u < 0) {
      u = seen.length;
      seen.push(s);
      reps.push(b);
    }
    idx.push(u);
  }
  return { idx, reps };
}

/** Reference expansion: bag (k, b) = stored bag idx_k[b]. */
export const refExpand = (x: RefKjt, idx: number[][]): RefKjt => ({
  keys: x.keys,
  bags: x.bags.map((kb, k) => idx[k].map((u) => kb[u])),
  weighted: x.weighted,
});

/** Float64 pooled lookup of one key's bags (sum: Σ w·T[id]; mean: Σ T[id] / n; empty → 0). */
export function refPool(table: number[][], bags: RefBag[], mode: 'sum' | 'mean'): number[][] {
  const D = table[0]?.length ?? 0;
  return bags.map((b) => {
    const out = new Array(D).fill(0);
    b.rows.forEach((r, j) => {
      const w = b.w ? b.w[j] : 1;
      for (let d = 0; d < D; d++) out[d] += w * table[r[0]][d];
    });
    if (mode === 'mean' && b.rows.length > 0) for (let d = 0; d < D; d++) out[d] /= b.rows.length;
    return out;
  });
}

/** Float64 gradient of Σ_b Σ_d g[b][d]·pool[b][d] with respect to the table. */
export function refPoolGrad(R: number, D: number, bags: RefBag[], g: number[][], mode: 'sum' | 'mean'): number[][] {
  const dT = Array.from({ length: R }, () => new Array(D).fill(0));
  bags.forEach((b, u) => {
    const n = b.rows.length;
    b.rows.forEach((r, j) => {
      const c = (b.w ? b.w[j] : 1) / (mode === 'mean' ? n : 1);
      for (let d = 0; d < D; d++) dT[r[0]][d] += c * g[u][d];
    });
  });
  return dT;
}
