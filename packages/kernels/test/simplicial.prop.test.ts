// The attention kernels on both backends against the naive float64 oracles (@tessera/testing), and the
// WebAssembly SIMD kernels (float32 arithmetic) against their JavaScript twins (float64): forward out and lse, the
// gradients of both backwards, both simplicial variants, windows (clipped or not), causal or not, grouped-query heads
// and head dims with and without a SIMD tail. Not bit for bit: the twins differ in accumulation precision, so the
// budgets are float32 ones (the golden FBGEMM set in @tessera/simplicial-attention pins the absolute accuracy).
import { fc, test } from '@fast-check/vitest';
import { rng } from '@tessera/core';
import { type NaiveAttentionDims, naiveDotAttentionBackward, naiveSimplicialBackward } from '@tessera/testing';
import { afterAll, describe, expect } from 'vitest';
import {
  alloc,
  dotAttentionBackward,
  dotAttentionForward,
  type KernelBackend,
  setKernelBackend,
  simplicialBackward,
  simplicialForward,
} from '../src/index.js';

afterAll(() => setKernelBackend(undefined));

interface Case extends NaiveAttentionDims {
  w1: number;
  w2: number;
  causal: boolean;
  variant: 'trilinear' | 'determinant';
  scale: number;
  seed: number;
}

const caseArb = (maxN: number, maxD: number): fc.Arbitrary<Case> =>
  fc
    .record({
      B: fc.integer({ min: 1, max: 2 }),
      n: fc.integer({ min: 1, max: maxN }),
      Hkv: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 2 }),
      d: fc.integer({ min: 1, max: maxD }),
      causal: fc.boolean(),
      variant: fc.constantFrom('trilinear' as const, 'determinant' as const),
      scale: fc.double({ min: -1.5, max: 1.5, noNaN: true }),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    })
    .chain((r) =>
      fc.record({ w1: fc.integer({ min: 1, max: r.n + 2 }), w2: fc.integer({ min: 1, max: r.n + 2 }) }).map(({ w1, w2 }) => ({
        B: r.B,
        n: r.n,
        Hq: r.Hkv * r.group,
        Hkv: r.Hkv,
        d: r.d,
        w1,
        w2,
        causal: r.causal,
        variant: r.variant,
        scale: r.scale,
        seed: r.seed,
      })),
    );

/** max |a − b| / max(max |b|, floor). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let num = 0;
  let den = floor;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

function data(c: Case) {
  const r = rng(c.seed);
  const nq = c.B * c.n * c.Hq * c.d;
  const nkv = c.B * c.n * c.Hkv * c.d;
  const [q, k1, k2, v1, v2] = [nq, nkv, nkv, nkv, nkv].map((len) => r.normalArray(len));
  return { q, k1, k2, v1, v2, dOut: r.normalArray(nq), nq, nkv, nl: c.B * c.Hq * c.n };
}

function runSimplicial(c: Case, be: KernelBackend) {
  setKernelBackend(be);
  const x = data(c);
  const out = new Float32Array(x.nq).fill(Number.NaN);
  const lse = new Float32Array(x.nl).fill(Number.NaN);
  const a = [x.q, x.k1, x.k2, x.v1, x.v2] as const;
  const dims = [c.B, c.n, c.Hq, c.Hkv, c.d, c.w1, c.w2, c.causal, c.scale, c.variant] as const;
  simplicialForward(...a, ...dims, out, lse);
  const grads = [x.nq, x.nkv, x.nkv, x.nkv, x.nkv].map((len) => new Float32Array(len).fill(Number.NaN));
  simplicialBackward(...a, out, x.dOut, lse, ...dims, grads[0], grads[1], grads[2], grads[3], grads[4]);
  return { x, out, lse, grads };
}

function runDot(c: Case, be: KernelBackend) {
  setKernelBackend(be);
  const x = data(c);
  const out = new Float32Array(x.nq).fill(Number.NaN);
  const lse = new Float32Array(x.nl).fill(Number.NaN);
  const dims = [c.B, c.n, c.Hq, c.Hkv, c.d, c.w1, c.causal, c.scale] as const;
  dotAttentionForward(x.q, x.k1, x.v1, ...dims, out, lse);
  const grads = [x.nq, x.nkv, x.nkv].map((len) => new Float32Array(len).fill(Number.NaN));
  dotAttentionBackward(x.q, x.k1, x.v1, out, x.dOut, lse, ...dims, grads[0], grads[1], grads[2]);
  return { x, out, lse, grads };
}

const f64 = (a: Float32Array) => Float64Array.from(a);

describe('simplicialForward / simplicialBackward', () => {
  test.prop([caseArb(7, 9), fc.constantFrom('wasm' as const, 'js' as const)], { numRuns: 30 })(
    'equal the naive float64 oracle within float32 tolerance',
    (c, be) => {
      const r = runSimplicial(c, be);
      const o = { w1: c.w1, w2: c.w2, causal: c.causal, scale: c.scale, variant: c.variant };
      const ref = naiveSimplicialBackward(
        { q: f64(r.x.q), k1: f64(r.x.k1), k2: f64(r.x.k2), v1: f64(r.x.v1), v2: f64(r.x.v2) },
        f64(r.x.dOut),
        c,
        o,
      );
      expect(relDiff(r.out, ref.out)).toBeLessThan(1e-5);
      const want = [ref.dq, ref.dk1, ref.dk2, ref.dv1, ref.dv2];
      // the oracle takes logit derivatives by central differences (step 1e-6): about 1e-9 absolute on top of float32
      for (let i = 0; i < 5; i++) expect(relDiff(r.grads[i], want[i], 1e-2), `gradient ${i}`).toBeLessThan(5e-4);
    },
  );

  test.prop([caseArb(12, 13)], { numRuns: 40 })('WebAssembly equals the JavaScript twin within float32 tolerance', (c) => {
    const a = runSimplicial(c, 'wasm');
    const b = runSimplicial(c, 'js');
    expect(relDiff(a.out, b.out)).toBeLessThan(1e-5);
    expect(relDiff(a.lse, b.lse, 1)).toBeLessThan(1e-5);
    // random scales up to 1.5 make sharp softmaxes and tiny gradients, hence the budget relative to a 1e-2 floor
    for (let i = 0; i < 5; i++) expect(relDiff(a.grads[i], b.grads[i], 1e-2), `gradient ${i}`).toBeLessThan(5e-4);
  });
});

describe('dotAttentionForward / dotAttentionBackward', () => {
  test.prop([caseArb(9, 9), fc.constantFrom('wasm' as const, 'js' as const)], { numRuns: 30 })(
    'equal the naive float64 oracle within float32 tolerance',
    (c, be) => {
      const r = runDot(c, be);
      const ref = naiveDotAttentionBackward(f64(r.x.q), f64(r.x.k1), f64(r.x.v1), f64(r.x.dOut), c, {
        w: c.w1,
        causal: c.causal,
        scale: c.scale,
      });
      expect(relDiff(r.out, ref.out)).toBeLessThan(1e-5);
      expect(relDiff(r.lse, ref.lse, 1)).toBeLessThan(1e-5);
      const want = [ref.dq, ref.dk, ref.dv];
      // the backward takes out and lse as float32 (as the forward stored them): dS = P·(dP − rowsum(dOut·out)) cancels
      // when dP ≈ D, so sharp softmaxes (scales up to 1.5) leave ~1e-6 absolute; same budget as the simplicial case
      for (let i = 0; i < 3; i++) expect(relDiff(r.grads[i], want[i], 1e-2), `gradient ${i}`).toBeLessThan(5e-4);
    },
  );

  test.prop([caseArb(14, 13)], { numRuns: 30 })('WebAssembly equals the JavaScript twin within float32 tolerance', (c) => {
    const a = runDot(c, 'wasm');
    const b = runDot(c, 'js');
    expect(relDiff(a.out, b.out)).toBeLessThan(1e-5);
    expect(relDiff(a.lse, b.lse, 1)).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) expect(relDiff(a.grads[i], b.grads[i], 1e-2), `gradient ${i}`).toBeLessThan(5e-5);
  });
});

test.prop([caseArb(6, 9)], { numRuns: 10 })('arrays in kernel memory (alloc) give the same bits as plain arrays', (c) => {
  const plain = runSimplicial(c, 'wasm');
  const x = plain.x;
  const held = [x.q, x.k1, x.k2, x.v1, x.v2, x.dOut].map((a) => {
    const k = alloc(Float32Array, a.length);
    k.array.set(a);
    return k;
  });
  const outs = [x.nq, x.nl, x.nq, x.nkv, x.nkv, x.nkv, x.nkv].map((len) => alloc(Float32Array, len));
  try {
    const v = () => held.map((k) => k.array); // views re-derived after any growth
    const o = () => outs.map((k) => k.array);
    const dims = [c.B, c.n, c.Hq, c.Hkv, c.d, c.w1, c.w2, c.causal, c.scale, c.variant] as const;
    simplicialForward(v()[0], v()[1], v()[2], v()[3], v()[4], ...dims, o()[0], o()[1]);
    expect(Array.from(o()[0])).toEqual(Array.from(plain.out));
    expect(Array.from(o()[1])).toEqual(Array.from(plain.lse));
    simplicialBackward(v()[0], v()[1], v()[2], v()[3], v()[4], o()[0], v()[5], o()[1], ...dims, o()[2], o()[3], o()[4], o()[5], o()[6]);
    for (let i = 0; i < 5; i++) expect(Array.from(o()[2 + i])).toEqual(Array.from(plain.grads[i]));
  } finally {
    for (const k of [...held, ...outs]) k.free();
  }
});
