// The backward host kernel, fed float64 inputs, against float64 central finite differences of the naive forward
// (≤ 1e-6 relative to each gradient's largest magnitude): a check of the backward formulas that does not share any
// code or derivation with them.
import { test } from '@fast-check/vitest';
import { rng } from '@tessera/core';
import { expect } from 'vitest';
import { simplicialBackwardHostUnchecked, simplicialForwardHostUnchecked } from '../src/host-simplicial.js';
import { caseArb } from './arbitraries.js';
import { naiveForward } from './reference/naive.js';

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
    kernel: 'js' as const,
  };
  const naiveOpts = { ...o, w1: c.w1, w2: c.w2 };
  // the kernel's backward needs out (for ⟨dO, O⟩) and lse: take them in float64 from the naive loop
  const ref = naiveForward(x, c, naiveOpts);
  const g = simplicialBackwardHostUnchecked(x, ref.out, w, ref.lse, c, o);
  // the forward kernel agrees with the naive loop too (sanity for the options mapping)
  const f = simplicialForwardHostUnchecked(x, c, o);
  for (let e = 0; e < f.out.length; e++) expect(Math.abs(f.out[e] - ref.out[e])).toBeLessThan(1e-5 * (1 + Math.abs(ref.out[e])));
  const loss = () => naiveForward(x, c, naiveOpts).out.reduce((s, v, e) => s + v * w[e], 0);
  const h = 1e-5;
  const names = ['q', 'k1', 'k2', 'v1', 'v2'] as const;
  const got = [g.dq, g.dk1, g.dk2, g.dv1, g.dv2];
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
    expect(num / den, `d${name}`).toBeLessThan(1e-6);
  });
});
