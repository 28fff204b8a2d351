// The backward kernel (the float64 JavaScript twin in @tessera/kernels), fed float32-representable inputs, against
// float64 central finite differences of the naive forward (≤ 1e-6 relative to each gradient's largest magnitude): a
// check of the backward formulas that does not share any code or derivation with them.
import { test } from '@fast-check/vitest';
import { rng } from '@tessera/core';
import { setKernelBackend, simplicialBackward, simplicialForward } from '@tessera/kernels';
import { afterAll, expect } from 'vitest';
import { caseArb } from './arbitraries.js';
import { naiveForward } from './reference/naive.js';

afterAll(() => setKernelBackend(undefined));

test.prop([caseArb({ maxN: 5, maxD: 6 })], { numRuns: 12 })('backward kernel = float64 central differences', (c) => {
  const r = rng(c.seed);
  const qn = c.B * c.n * c.Hq * c.d;
  const kn = c.B * c.n * c.Hkv * c.d;
  const x = {
    q: Float64Array.from(r.normalArray(qn)),
    k1: Float64Array.from(r.normalArray(kn)),
    k2: Float64Array.from(r.normalArray(kn)),
    v1: Float64Array.from(r.normalArray(kn)),
    v2: Float64Array.from(r.normalArray(kn)),
  };
  const w = Float64Array.from(r.normalArray(qn)); // loss = Σ w ⊙ out
  const o = {
    w1: Math.min(c.w1, c.n),
    w2: Math.min(c.w2, c.n),
    causal: c.causal,
    scale: c.scale ?? 1 / Math.sqrt(c.d),
    variant: c.variant,
  };
  const naiveOpts = { ...o, w1: c.w1, w2: c.w2 };
  setKernelBackend('js');
  const f32 = (a: Float64Array) => Float32Array.from(a); // exact: every input is a float32 value
  const xs = [f32(x.q), f32(x.k1), f32(x.k2), f32(x.v1), f32(x.v2)] as const;
  const dims = [c.B, c.n, c.Hq, c.Hkv, c.d, o.w1, o.w2, o.causal, o.scale, o.variant] as const;
  // the kernel's backward needs out (for ⟨dO, O⟩) and lse: take them from the naive loop (rounded to float32)
  const ref = naiveForward(x, c, naiveOpts);
  const g = {
    dq: new Float32Array(qn),
    dk1: new Float32Array(kn),
    dk2: new Float32Array(kn),
    dv1: new Float32Array(kn),
    dv2: new Float32Array(kn),
  };
  simplicialBackward(...xs, f32(ref.out), f32(w), f32(ref.lse), ...dims, g.dq, g.dk1, g.dk2, g.dv1, g.dv2);
  // the forward kernel agrees with the naive loop too (sanity for the options mapping)
  const f = { out: new Float32Array(qn), lse: new Float32Array(c.B * c.Hq * c.n) };
  simplicialForward(...xs, ...dims, f.out, f.lse);
  for (let e = 0; e < f.out.length; e++) expect(Math.abs(f.out[e] - ref.out[e])).toBeLessThan(1e-5 * (1 + Math.abs(ref.out[e])));
  const loss = () => naiveForward(x, c, naiveOpts).out.reduce((s, v, e) => s + v * w[e], 0);
  const h = 1e-5;
  const names = ['q', 'k1', 'k2', 'v1', 'v2'] as const;
  const got = [g.dq, g.dk1, g.dk2, g.dv1, g.dv2];
  // out, dOut and lse reach the kernel rounded to float32 (2^-24 relative). A rounded lse scales every probability by
  // about 1 ± 2^-24·|lse|; a rounded out moves D_i = ⟨dO_i, O_i⟩ by about 2^-24·|D_i|, which shifts dA by p·δD and the
  // q, k1, k2 gradients by δD·∂lse/∂x, with |∂A/∂x| ≤ 2·|scale|·max|x|² (two terms per element in the determinant form).
  // The budget adds both terms to the 1e-6 of the float64 check; they vanish for exactly representable values.
  const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let maxD = 0;
  for (let i = 0; i < qn / c.d; i++) {
    let D = 0;
    for (let l = 0; l < c.d; l++) D += w[i * c.d + l] * ref.out[i * c.d + l];
    maxD = Math.max(maxD, Math.abs(D));
  }
  const mx = Math.max(maxAbs(x.q), maxAbs(x.k1), maxAbs(x.k2));
  const relIn = 1e-6 + 2 ** -23 * maxAbs(ref.lse);
  const absIn = 2 ** -22 * maxD * Math.abs(o.scale) * 2 * mx * mx * c.n; // summed over the queries that see a key
  names.forEach((name, idx) => {
    const a = x[name];
    const fd = new Float64Array(a.length);
    for (let e = 0; e < a.length; e++) {
      const keep = a[e];
      a[e] = keep + h;
      const lp = loss();
      a[e] = keep - h;
      const lm = loss();
      a[e] = keep;
      fd[e] = (lp - lm) / (2 * h);
    }
    let num = 0;
    let den = 1e-3;
    for (let e = 0; e < a.length; e++) {
      num = Math.max(num, Math.abs(got[idx][e] - fd[e]));
      den = Math.max(den, Math.abs(fd[e]));
    }
    expect(num, `d${name}`).toBeLessThan(relIn * den + (idx < 3 ? absIn : 0));
  });
});
