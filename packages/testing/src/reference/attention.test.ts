// The naive attention oracles against their own definitions: probabilities sum to one inside the windows and are
// zero outside, lse is log Σ exp, and each backward equals central finite differences of its forward.
import { describe, expect, it } from 'vitest';
import { inAttentionWindow, type NaiveAttentionDims } from './attention-window.js';
import { naiveDotAttention, naiveDotAttentionBackward } from './dot-product-attention.js';
import { type NaiveSimplicialInputs, naiveSimplicialBackward, naiveSimplicialForward } from './simplicial-attention.js';

function values(len: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: len }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** Central differences of Σ dOut ⊙ f(x) with respect to every entry of x. */
function numericGrad(x: Float64Array, dOut: Float64Array, f: () => Float64Array): Float64Array {
  const g = new Float64Array(x.length);
  const h = 1e-5;
  const loss = () => f().reduce((acc, v, i) => acc + v * dOut[i], 0);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = loss();
    x[i] = keep - h;
    const down = loss();
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

const dims: NaiveAttentionDims = { B: 1, n: 4, Hq: 2, Hkv: 1, d: 4 };
const rows = (H: number) => dims.B * dims.n * H * dims.d;

describe('naive 2-simplicial attention oracle', () => {
  for (const variant of ['trilinear', 'determinant'] as const)
    for (const causal of [true, false])
      it(`${variant}, ${causal ? 'causal' : 'two-sided'} windows: P, lse and the backward agree with the definitions`, () => {
        const o = { w1: 3, w2: 2, causal, scale: 0.7, variant };
        const x: NaiveSimplicialInputs = {
          q: values(rows(2), 1),
          k1: values(rows(1), 2),
          k2: values(rows(1), 3),
          v1: values(rows(1), 4),
          v2: values(rows(1), 5),
        };
        const dOut = values(rows(2), 6);
        const { lse, P } = naiveSimplicialForward(x, dims, o);
        const n = dims.n;
        for (let bh = 0; bh < dims.Hq; bh++)
          for (let i = 0; i < n; i++) {
            const p = P[bh * n + i];
            expect(p.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
            for (let j = 0; j < n; j++)
              for (let k = 0; k < n; k++)
                if (!inAttentionWindow(i, j, o.w1, causal) || !inAttentionWindow(i, k, o.w2, causal)) expect(p[j * n + k]).toBe(0);
            expect(Number.isFinite(lse[bh * n + i])).toBe(true);
          }
        const g = naiveSimplicialBackward(x, dOut, dims, o);
        for (const [name, key] of [
          ['dq', 'q'],
          ['dk1', 'k1'],
          ['dk2', 'k2'],
          ['dv1', 'v1'],
          ['dv2', 'v2'],
        ] as const) {
          const want = numericGrad(x[key], dOut, () => naiveSimplicialForward(x, dims, o).out);
          const got = g[name];
          for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${name}[${i}]`).toBeLessThan(1e-6);
        }
      });
});

describe('naive dot-product attention oracle', () => {
  it('the backward agrees with finite differences of the forward (windows, GQA)', () => {
    const o = { w: 2, causal: true, scale: 0.5 };
    const q = values(rows(2), 7);
    const k = values(rows(1), 8);
    const v = values(rows(1), 9);
    const dOut = values(rows(2), 10);
    const g = naiveDotAttentionBackward(q, k, v, dOut, dims, o);
    for (const [got, x] of [
      [g.dq, q],
      [g.dk, k],
      [g.dv, v],
    ] as const) {
      const want = numericGrad(x, dOut, () => naiveDotAttention(q, k, v, dims, o).out);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6);
    }
  });
});
