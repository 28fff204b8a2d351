// Naive float64 DLRM forward written from facebookresearch/dlrm `dlrm_s_pytorch.py` (sequential_forward): per-sample
// loops, no tensors. Slow on purpose; the oracle of the property tests.
import type { StateDict } from '../../src/index.js';

export interface RefArch {
  lnBot: number[];
  lnTop: number[];
  D: number;
  interaction: 'dot' | 'cat';
  itself: boolean;
}

/** Bags per feature: bags[f][b] = ids of sample b. */
export function referenceForward(sd: StateDict, a: RefArch, dense: number[][], bags: number[][][]): number[] {
  const get = (n: string) => (sd.get(n) as { data: Float32Array }).data;
  const linear = (h: number[], prefix: string, i: number, n: number, m: number) => {
    const W = get(`${prefix}.${2 * i}.weight`);
    const bias = get(`${prefix}.${2 * i}.bias`);
    const out: number[] = [];
    for (let o = 0; o < m; o++) {
      let s = bias[o];
      for (let k = 0; k < n; k++) s += W[o * n + k] * h[k];
      out.push(s);
    }
    return out;
  };
  return dense.map((xd, b) => {
    let x = xd;
    for (let i = 0; i + 1 < a.lnBot.length; i++) x = linear(x, 'bot_l', i, a.lnBot[i], a.lnBot[i + 1]).map((v) => Math.max(0, v));
    const es = bags.map((fb, f) => {
      const T = get(`emb_l.${f}.weight`);
      const e = new Array(a.D).fill(0);
      for (const id of fb[b]) for (let d = 0; d < a.D; d++) e[d] += T[id * a.D + d];
      return e;
    });
    let R: number[];
    if (a.interaction === 'cat') R = [...x, ...es.flat()];
    else {
      const T = [x, ...es];
      R = [...x];
      for (let i = 0; i < T.length; i++)
        for (let j = 0; j < i + (a.itself ? 1 : 0); j++) R.push(T[i].reduce((s, v, d) => s + v * T[j][d], 0));
    }
    let h = R;
    const L = a.lnTop.length - 1;
    for (let i = 0; i < L; i++) {
      h = linear(h, 'top_l', i, a.lnTop[i], a.lnTop[i + 1]);
      h = i === L - 1 ? h.map((v) => 1 / (1 + Math.exp(-v))) : h.map((v) => Math.max(0, v));
    }
    return h[0];
  });
}

/** Naive O(n²) Mann–Whitney AUC with ties counted one half. */
export function naiveAuc(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let num = 0;
  let pairs = 0;
  for (let i = 0; i < p.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < p.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      if (p[i] > p[j]) num += 1;
      else if (p[i] === p[j]) num += 0.5;
    }
  }
  return num / pairs;
}
