// Naive float64 reference of the token-split backward (tessera's design model, as documented on SquaredReluFFN24):
// after warm-up, the token-contracting GEMMs (dW1, dW2) use S and dY1 masked additionally by a 2:4 mask along a fixed
// token permutation, except for the `denseFraction` hidden features with the most non-zeros in S.
import { rng } from '@tessera/core';
import { refMask24 } from './masks.js';

export function refTokenSplitGrads(
  x: Float32Array,
  w1: Float32Array,
  w2: Float32Array,
  g: Float32Array,
  t: number,
  d: number,
  h: number,
  denseFraction: number,
  seed: number,
): { dX: number[]; dW1: number[]; dW2: number[] } {
  const y1: number[] = [];
  for (let r = 0; r < t; r++) {
    for (let c = 0; c < h; c++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += x[r * d + i] * w1[i * h + c];
      y1.push(Math.fround(s));
    }
  }
  const y2 = y1.map((v) => (v > 0 ? v * v : 0));
  const m = refMask24(Float32Array.from(y2), 'value');
  const S = y2.map((v, i) => v * m[i]);
  // dense features: most non-zeros of S, ties to the lower index
  const count = Array.from({ length: h }, (_, c) => {
    let n = 0;
    for (let r = 0; r < t; r++) if (S[r * h + c] !== 0) n++;
    return n;
  });
  const order = Array.from({ length: h }, (_, c) => c).sort((a, b) => count[b] - count[a] || a - b);
  const dense = new Set(order.slice(0, Math.ceil(denseFraction * h)));
  const perm = Array.from({ length: t }, (_, i) => i);
  const r0 = rng(seed);
  for (let i = t - 1; i > 0; i--) {
    const j = r0.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const tm: number[] = new Array(t * h).fill(0);
  for (let c = 0; c < h; c++) {
    for (let p = 0; p < t; p += 4) {
      const grp = perm.slice(p, p + 4);
      if (dense.has(c) || grp.length <= 2) {
        for (const tok of grp) tm[tok * h + c] = 1;
        continue;
      }
      const ranked = grp.map((tok, i) => ({ tok, i, v: Math.abs(S[tok * h + c]) })).sort((a, b) => b.v - a.v || a.i - b.i);
      tm[ranked[0].tok * h + c] = 1;
      tm[ranked[1].tok * h + c] = 1;
    }
  }
  const dW2: number[] = new Array(h * d).fill(0);
  for (let c = 0; c < h; c++)
    for (let j = 0; j < d; j++) for (let r = 0; r < t; r++) dW2[c * d + j] += S[r * h + c] * tm[r * h + c] * g[r * d + j];
  const dY1: number[] = new Array(t * h).fill(0);
  for (let r = 0; r < t; r++) {
    for (let c = 0; c < h; c++) {
      if (!m[r * h + c] || y1[r * h + c] <= 0) continue;
      let ds = 0;
      for (let j = 0; j < d; j++) ds += g[r * d + j] * w2[c * d + j];
      dY1[r * h + c] = ds * 2 * y1[r * h + c];
    }
  }
  const dX: number[] = new Array(t * d).fill(0);
  for (let r = 0; r < t; r++) for (let i = 0; i < d; i++) for (let c = 0; c < h; c++) dX[r * d + i] += dY1[r * h + c] * w1[i * h + c];
  const dW1: number[] = new Array(d * h).fill(0);
  for (let i = 0; i < d; i++)
    for (let c = 0; c < h; c++) for (let r = 0; r < t; r++) dW1[i * h + c] += x[r * d + i] * dY1[r * h + c] * tm[r * h + c];
  return { dX, dW1, dW2 };
}
