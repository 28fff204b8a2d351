// Property tests of simplicialAttention against the naive float64 quadruple loop (test/reference/naive.ts), the
// O(n³) tfjs reference and structural identities of the form (Roy et al. arXiv 2507.02754 §3–5).
import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import { describe, expect } from 'vitest';
import { dotProductAttention, simplicialAttention, simplicialAttentionReference } from '../src/index.js';
import { type AttnCase, caseArb, caseData, caseTensors, options, relDiff } from './arbitraries.js';
import { naiveBackward, naiveForward } from './reference/naive.js';

const naiveOpts = (c: AttnCase) => ({
  w1: c.w1,
  w2: c.w2,
  causal: c.causal,
  variant: c.variant,
  scale: c.scale ?? 1 / Math.sqrt(c.d),
});
const f64 = (a: Float32Array) => Float64Array.from(a);

/** Values of `ts`, read asynchronously (webgpu in Node has no synchronous reads), then disposed. */
async function readAll(ts: tf.Tensor[]): Promise<Float32Array[]> {
  try {
    return await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  } finally {
    tf.dispose(ts);
  }
}

async function run(
  c: AttnCase,
  data: Float32Array[],
  extra: Partial<ReturnType<typeof options>> = {},
): Promise<{ out: Float32Array; lse: Float32Array }> {
  const [out, lse] = await readAll(
    tf.tidy(() => {
      const [q, k1, k2, v1, v2] = caseTensors(c, data);
      const r = simplicialAttention(q, k1, k2, v1, v2, { ...options(c), ...extra });
      return [r.out, r.lse];
    }),
  );
  return { out, lse };
}

describe('simplicialAttention vs the naive float64 loop', () => {
  test.prop([caseArb()], { numRuns: 60 })('out and lse (windows, causal and not, GQA, both variants)', async (c) => {
    const data = caseData(c);
    const { out, lse } = await run(c, data);
    const ref = naiveForward({ q: f64(data[0]), k1: f64(data[1]), k2: f64(data[2]), v1: f64(data[3]), v2: f64(data[4]) }, c, naiveOpts(c));
    expect(relDiff(out, ref.out)).toBeLessThan(1e-5);
    expect(relDiff(lse, ref.lse, 1)).toBeLessThan(1e-5);
  });

  test.prop([caseArb({ maxN: 6, maxD: 6 })], { numRuns: 25 })('gradients vs the float64 backward formulas', async (c) => {
    const data = caseData(c);
    const dOut = rng(c.seed + 1).normalArray(data[0].length);
    const grads = await readAll(
      tf.tidy(() => {
        const xs = caseTensors(c, data);
        const dy = tf.tensor4d(dOut, xs[0].shape as [number, number, number, number]);
        const f = (...a: tf.Tensor[]) =>
          tf.sum(
            tf.mul(simplicialAttention(...(a as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]), options(c)).out, dy),
          );
        return tf.grads(f)(xs);
      }),
    );
    const ref = naiveBackward(
      { q: f64(data[0]), k1: f64(data[1]), k2: f64(data[2]), v1: f64(data[3]), v2: f64(data[4]) },
      f64(dOut),
      c,
      naiveOpts(c),
    );
    const want = [ref.dq, ref.dk1, ref.dk2, ref.dv1, ref.dv2];
    for (let idx = 0; idx < 5; idx++) expect(relDiff(grads[idx], want[idx], 1e-2), `gradient ${idx}`).toBeLessThan(5e-4);
  });

  test.prop([caseArb({ maxN: 7 })], { numRuns: 25 })('gradients vs tfjs autograd of the O(n³) reference', async (c) => {
    const data = caseData(c);
    const both = await readAll(
      tf.tidy(() => {
        const xs = caseTensors(c, data);
        const w = tf.tensor4d(rng(c.seed + 2).normalArray(data[0].length), xs[0].shape as [number, number, number, number]);
        type Five = [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const fast = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(simplicialAttention(...(a as Five), options(c)).out, w)))(xs);
        const slow = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(simplicialAttentionReference(...(a as Five), options(c)), w)))(xs);
        return [...fast, ...slow];
      }),
    );
    for (let idx = 0; idx < 5; idx++) expect(relDiff(both[idx], both[idx + 5], 1e-2), `gradient ${idx}`).toBeLessThan(5e-4);
  });
});

describe('structure', () => {
  test.prop([caseArb({ causal: true }), fc.nat()], { numRuns: 40 })(
    'causality: future tokens never change past outputs',
    async (c, cut) => {
      const t = cut % c.n; // positions ≥ t are replaced
      const data = caseData(c);
      const r = rng(c.seed + 3);
      const changed = data.map((a, idx) => {
        const H = idx === 0 ? c.Hq : c.Hkv;
        const b2 = Float32Array.from(a);
        for (let b = 0; b < c.B; b++) for (let e = (b * c.n + t) * H * c.d; e < (b + 1) * c.n * H * c.d; e++) b2[e] = r.normal(0, 3);
        return b2;
      });
      const x = await run(c, data);
      const y = await run(c, changed);
      for (let b = 0; b < c.B; b++) {
        const lo = b * c.n * c.Hq * c.d;
        expect(Array.from(y.out.subarray(lo, lo + t * c.Hq * c.d))).toEqual(Array.from(x.out.subarray(lo, lo + t * c.Hq * c.d)));
      }
    },
  );

  test.prop([caseArb({ causal: true }), fc.nat()], { numRuns: 40 })(
    'window limits: keys outside (i − w, i] never matter',
    async (c, pick) => {
      const i = pick % c.n;
      const data = caseData(c);
      const r = rng(c.seed + 4);
      const changed = data.map((a) => Float32Array.from(a));
      const H = c.Hkv;
      for (let b = 0; b < c.B; b++)
        for (let j = 0; j < c.n; j++) {
          for (const [idx, w] of [
            [1, c.w1],
            [3, c.w1],
            [2, c.w2],
            [4, c.w2],
          ] as const) {
            if (j > i - w) continue; // inside the window (or in the future, which causality covers)
            for (let e = (b * c.n + j) * H * c.d; e < (b * c.n + j + 1) * H * c.d; e++) changed[idx][e] = r.normal(0, 3);
          }
        }
      const x = await run(c, data);
      const y = await run(c, changed);
      for (let b = 0; b < c.B; b++) {
        const lo = (b * c.n + i) * c.Hq * c.d;
        expect(Array.from(y.out.subarray(lo, lo + c.Hq * c.d))).toEqual(Array.from(x.out.subarray(lo, lo + c.Hq * c.d)));
      }
    },
  );

  test.prop([caseArb({ maxN: 8 })], { numRuns: 20 })('w1 = w2 = n equals the unwindowed formula (reference with Infinity)', async (c) => {
    const data = caseData(c);
    const full = { ...c, w1: Number.POSITIVE_INFINITY, w2: Number.POSITIVE_INFINITY };
    const x = await run(c, data, { w1: c.n, w2: c.n });
    const y = await run(full, data);
    expect(Array.from(x.out)).toEqual(Array.from(y.out));
    const [ref] = await readAll([
      tf.tidy(() =>
        simplicialAttentionReference(
          ...(caseTensors(full, data) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]),
          options(full),
        ),
      ),
    ]);
    expect(relDiff(x.out, ref)).toBeLessThan(1e-5);
  });

  test.prop([caseArb(), fc.nat()], { numRuns: 30 })('head permutation equivariance (kv-heads and their q-head groups)', async (c, seed) => {
    const data = caseData(c);
    const group = c.Hq / c.Hkv;
    const perm = Array.from({ length: c.Hkv }, (_, g) => g);
    const r = rng(seed);
    for (let g = c.Hkv - 1; g > 0; g--) {
      const s = r.int(g + 1);
      [perm[g], perm[s]] = [perm[s], perm[g]];
    }
    const qPerm = Array.from({ length: c.Hq }, (_, h) => perm[Math.floor(h / group)] * group + (h % group));
    const permute = (a: Float32Array, p: number[]) => {
      const H = p.length;
      const outA = new Float32Array(a.length);
      for (let row = 0; row < c.B * c.n; row++)
        for (let h = 0; h < H; h++) outA.set(a.subarray((row * H + p[h]) * c.d, (row * H + p[h] + 1) * c.d), (row * H + h) * c.d);
      return outA;
    };
    const x = await run(c, data);
    const y = await run(
      c,
      data.map((a, idx) => permute(a, idx === 0 ? qPerm : perm)),
    );
    expect(Array.from(y.out)).toEqual(Array.from(permute(x.out, qPerm)));
  });

  test.prop([caseArb({ variant: 'trilinear' })], { numRuns: 30 })('GQA equals per-head evaluation with repeated K/V', async (c) => {
    const data = caseData(c);
    const group = c.Hq / c.Hkv;
    const repeat = (a: Float32Array) => {
      const outA = new Float32Array(a.length * group);
      for (let row = 0; row < c.B * c.n; row++)
        for (let h = 0; h < c.Hq; h++)
          outA.set(
            a.subarray((row * c.Hkv + Math.floor(h / group)) * c.d, (row * c.Hkv + Math.floor(h / group) + 1) * c.d),
            (row * c.Hq + h) * c.d,
          );
      return outA;
    };
    const x = await run(c, data);
    const y = await run({ ...c, Hkv: c.Hq }, [data[0], ...data.slice(1).map(repeat)]);
    expect(Array.from(y.out)).toEqual(Array.from(x.out));
  });

  test.prop([caseArb({ variant: 'trilinear' })], { numRuns: 30 })('swap symmetry (k1, v1, w1) ↔ (k2, v2, w2)', async (c) => {
    const data = caseData(c);
    const x = await run(c, data);
    const y = await run({ ...c, w1: c.w2, w2: c.w1 }, [data[0], data[2], data[1], data[4], data[3]]);
    expect(relDiff(y.out, x.out)).toBeLessThan(1e-5);
  });

  test.prop([caseArb({ variant: 'trilinear' })], { numRuns: 30 })('k2 = v2 = 1 is windowed dot-product attention over j', async (c) => {
    const data = caseData(c);
    const ones = new Float32Array(data[2].length).fill(1);
    const x = await run(c, [data[0], data[1], ones, data[3], ones]);
    const [y] = await readAll([
      tf.tidy(() => {
        const [q, k, , v] = caseTensors(c, data);
        return dotProductAttention(q, k, v, { window: c.w1, causal: c.causal, scale: c.scale }).out;
      }),
    ]);
    expect(relDiff(x.out, y)).toBeLessThan(1e-5);
  });

  test('first output is v1_0 ⊙ v2_0 (causal)', async () => {
    const c: AttnCase = { B: 1, n: 5, Hq: 2, Hkv: 1, d: 4, w1: 3, w2: 2, causal: true, variant: 'trilinear', scale: undefined, seed: 7 };
    const data = caseData(c);
    const { out } = await run(c, data);
    for (let h = 0; h < 2; h++) for (let l = 0; l < 4; l++) expect(out[h * 4 + l]).toBeCloseTo(data[3][l] * data[4][l], 6);
  });
});

describe('determinant variant', () => {
  function randomRotation(seed: number): number[][] {
    // QR-free: a rotation from a random unit quaternion
    const r = rng(seed);
    let [a, b, cc, d] = [r.normal(), r.normal(), r.normal(), r.normal()];
    const s = Math.hypot(a, b, cc, d);
    [a, b, cc, d] = [a / s, b / s, cc / s, d / s];
    return [
      [a * a + b * b - cc * cc - d * d, 2 * (b * cc - a * d), 2 * (b * d + a * cc)],
      [2 * (b * cc + a * d), a * a - b * b + cc * cc - d * d, 2 * (cc * d - a * b)],
      [2 * (b * d - a * cc), 2 * (cc * d + a * b), a * a - b * b - cc * cc + d * d],
    ];
  }
  test.prop([caseArb({ variant: 'determinant', maxD: 9 }), fc.nat()], { numRuns: 30 })(
    'invariant under one SO(3) rotation of every chunk of q, k1, k2',
    async (c, seed) => {
      const data = caseData(c);
      const R = randomRotation(seed);
      const rotate = (a: Float32Array) => {
        const outA = Float32Array.from(a);
        for (let row = 0; row < a.length / c.d; row++)
          for (let l = 0; l + 2 < c.d; l += 3) {
            const o = row * c.d + l;
            for (let e = 0; e < 3; e++) outA[o + e] = R[e][0] * a[o] + R[e][1] * a[o + 1] + R[e][2] * a[o + 2];
          }
        return outA;
      };
      const x = await run(c, data);
      const y = await run(c, [rotate(data[0]), rotate(data[1]), rotate(data[2]), data[3], data[4]]);
      expect(relDiff(y.out, x.out)).toBeLessThan(2e-5);
    },
  );

  // det[q; k2_j; k1_k] = −det[q; k1_k; k2_j]: swapping the streams (keys and values) with the scale negated gives the
  // same output, which holds only if swapping K and K′ negates every logit.
  test.prop([caseArb({ variant: 'determinant' })], { numRuns: 30 })(
    'swapping k1 and k2 negates the logits (d a multiple of 3)',
    async (c) => {
      const cc = {
        ...c,
        d: 3 * Math.max(1, Math.round(c.d / 3)),
        w2: c.w1,
        scale: c.scale !== undefined && Math.abs(c.scale) > 0.2 ? c.scale : 0.7,
      };
      const data = caseData(cc);
      const x = await run(cc, data);
      const y = await run({ ...cc, scale: -(cc.scale as number) }, [data[0], data[2], data[1], data[4], data[3]]);
      expect(relDiff(y.out, x.out)).toBeLessThan(1e-5);
      // and without negating the scale it is a different function (unless every logit is 0)
      const z = await run(cc, [data[0], data[2], data[1], data[4], data[3]]);
      if (cc.n > 1 && cc.w1 > 1) expect(relDiff(z.out, x.out)).toBeGreaterThan(1e-6);
    },
  );
});
