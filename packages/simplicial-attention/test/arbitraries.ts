// Random small attention problems for the property tests.
import { fc } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import type { SimplicialOptions } from '../src/index.js';

export interface AttnCase {
  B: number;
  n: number;
  Hq: number;
  Hkv: number;
  d: number;
  w1: number;
  w2: number;
  causal: boolean;
  variant: 'trilinear' | 'determinant';
  scale: number | undefined;
  seed: number;
}

const windowArb = (n: number) => fc.oneof(fc.integer({ min: 1, max: n + 1 }), fc.constant(Number.POSITIVE_INFINITY));

export function caseArb(
  o: { maxN?: number; maxD?: number; causal?: boolean; variant?: 'trilinear' | 'determinant' } = {},
): fc.Arbitrary<AttnCase> {
  const maxN = o.maxN ?? 9;
  return fc
    .record({
      B: fc.integer({ min: 1, max: 2 }),
      n: fc.integer({ min: 1, max: maxN }),
      Hkv: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 2 }),
      d: fc.integer({ min: 1, max: o.maxD ?? 7 }),
      causal: o.causal === undefined ? fc.boolean() : fc.constant(o.causal),
      variant: o.variant === undefined ? fc.constantFrom('trilinear' as const, 'determinant' as const) : fc.constant(o.variant),
      scale: fc.option(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { nil: undefined }),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    })
    .chain((r) =>
      fc.record({ w1: windowArb(r.n), w2: windowArb(r.n) }).map(({ w1, w2 }) => ({
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
}

export function options(c: AttnCase): SimplicialOptions {
  return { w1: c.w1, w2: c.w2, causal: c.causal, variant: c.variant, scale: c.scale };
}

/** Host data of q, k1, k2, v1, v2 for a case (normal draws). */
export function caseData(c: AttnCase): Float32Array[] {
  const r = rng(c.seed);
  const qn = c.B * c.n * c.Hq * c.d;
  const kn = c.B * c.n * c.Hkv * c.d;
  return [r.normalArray(qn), r.normalArray(kn), r.normalArray(kn), r.normalArray(kn), r.normalArray(kn)];
}

/** The five tensors of a case (caller disposes, or call inside tf.tidy). */
export function caseTensors(c: AttnCase, data = caseData(c)): tf.Tensor4D[] {
  return data.map((a, idx) => tf.tensor4d(a, [c.B, c.n, idx === 0 ? c.Hq : c.Hkv, c.d]));
}

/** max |a − b| / max(max |b|, floor). */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let num = 0;
  let den = floor;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
