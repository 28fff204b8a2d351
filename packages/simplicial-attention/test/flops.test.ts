// Valid-cell and FLOP counts against brute force, the FBGEMM convention against its formula written as loops, and
// the Clift triple product's identities.
import { fc, test } from '@fast-check/vitest';
import { TesseraError } from '@tessera/core';
import { describe, expect } from 'vitest';
import { attentionFlops, cliftTripleProduct, fbgemmSimplicialFlops, validPairs, validTriples } from '../src/index.js';

const wArb = fc.oneof(fc.integer({ min: 1, max: 80 }), fc.constant(Number.POSITIVE_INFINITY));

describe('valid cells', () => {
  test.prop([fc.integer({ min: 0, max: 70 }), wArb, wArb])('P2 and P3 closed forms equal brute-force counts', (n, w1, w2) => {
    let p2 = 0;
    let p3 = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (j > i || j <= i - w1) continue;
        p2++;
        for (let k = 0; k < n; k++) if (k <= i && k > i - w2) p3++;
      }
    expect(validPairs(n, w1)).toBe(p2);
    expect(validTriples(n, w1, w2)).toBe(p3);
    expect(validTriples(n, w2, w1)).toBe(p3);
  });
  test('documented values', () => {
    expect(validTriples(4096, 512, 32)).toBe(62_917_296);
    expect(validPairs(4, 2)).toBe(7);
    expect(validPairs(4, Number.POSITIVE_INFINITY)).toBe(10);
    expect(validTriples(3, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(14);
    expect(attentionFlops('dot', { B: 1, H: 1, n: 4, d: 2, w: 2 }).forward).toBe(56);
    expect(attentionFlops('simplicial', { B: 1, H: 1, n: 3, d: 1, w1: 3, w2: 3 }).backward).toBe(196);
    expect(fbgemmSimplicialFlops(1, 8, 1, 2, 16, 32)).toBe(1024);
  });
  test.prop([
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 300 }),
    fc.integer({ min: 1, max: 64 }),
    wArb,
    wArb,
  ])('attentionFlops follows the convention', (B, H, n, d, w1, w2) => {
    const s = attentionFlops('simplicial', { B, H, n, d, w1, w2 });
    const p3 = validTriples(n, w1, w2);
    expect(s).toEqual({ forward: 4 * d * p3 * B * H, backward: 14 * d * p3 * B * H, elementwise: 3 * d * validPairs(n, w1) * B * H });
    const t = attentionFlops('dot', { B, H, n, d, w: w1 });
    expect(t).toEqual({ forward: 4 * d * validPairs(n, w1) * B * H, backward: 10 * d * validPairs(n, w1) * B * H, elementwise: 0 });
  });
  test.prop([
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 9000 }),
    fc.integer({ min: 1, max: 8 }),
    fc.integer({ min: 1, max: 128 }),
    fc.integer({ min: 1, max: 1024 }),
    fc.integer({ min: 1, max: 1024 }),
  ])('fbgemmSimplicialFlops reproduces get_simplicial_tensor_core_tflops (w1 ≤ w2)', (bs, n, h, d, wa, wb) => {
    const [w1, w2] = wa <= wb ? [wa, wb] : [wb, wa];
    // pytorch/FBGEMM fbgemm_gpu/experimental/simplicial_attention/simplicial/utils.py, transcribed (× 1e12)
    const W1 = bs * h * w1 * d * w1 * w1 * 2 * 0.5 * 0.5 * 2;
    const W2 = bs * h * (w2 - w1) * d * w1 * w2 * 2 * 0.5 * 2;
    let want: number;
    if (n <= w1) want = bs * h * n * d * n * n * 2 * 0.5 * 0.5 * 2;
    else if (n <= w2) want = bs * h * (n - w1) * d * w1 * (n - w1) * 2 * 0.5 * 2 + W1;
    else want = bs * h * (n - w1 - w2) * d * w1 * w2 * 2 * 2 + W1 + W2;
    expect(fbgemmSimplicialFlops(bs, n, h, d, wa, wb)).toBeCloseTo(want, -2);
  });
  test('bad arguments', () => {
    expect(() => validPairs(-1, 2)).toThrow(TesseraError);
    expect(() => validTriples(4, 0, 2)).toThrow(/w1 must be >= 1/);
    expect(() => attentionFlops('triple' as 'dot', { B: 1, H: 1, n: 1, d: 1 })).toThrow(/kind must be one of/);
    expect(() => attentionFlops('dot', { B: 1, H: 1, n: 1.5, d: 1 })).toThrow(TesseraError);
    expect(() => fbgemmSimplicialFlops(1, 1, 1, 1, 0, 1)).toThrow(TesseraError);
  });
});

describe('cliftTripleProduct', () => {
  const vec = (d: number) => fc.float64Array({ minLength: d, maxLength: d, min: -4, max: 4, noNaN: true, noDefaultInfinity: true });
  const norm = (a: Float64Array) => Math.hypot(...a);
  const dotp = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  test('0 for orthogonal inputs, ‖a‖‖b‖‖c‖ for dependent ones', () => {
    expect(cliftTripleProduct(new Float64Array([2, 0, 0]), new Float64Array([0, 3, 0]), new Float64Array([0, 0, -1]))).toBe(0);
    expect(cliftTripleProduct(new Float64Array([1, 0]), new Float64Array([2, 0]), new Float64Array([3, 0]))).toBe(6);
  });
  test.prop([fc.integer({ min: 1, max: 6 }).chain((d) => fc.tuple(vec(d), vec(d), vec(d), fc.double({ min: -3, max: 3, noNaN: true })))])(
    'Gram identity, symmetry and the dependent case',
    ([a, b, c, t]) => {
      const v = cliftTripleProduct(a, b, c);
      const [aa, bb, cc, ab, ac, bc] = [dotp(a, a), dotp(b, b), dotp(c, c), dotp(a, b), dotp(a, c), dotp(b, c)];
      const gram = aa * (bb * cc - bc * bc) - ab * (ab * cc - bc * ac) + ac * (ab * bc - bb * ac);
      const scaleSq = aa * bb * cc + 1;
      expect(Math.abs(v * v - (aa * bb * cc - gram)) / scaleSq).toBeLessThan(1e-9);
      for (const p of [cliftTripleProduct(b, a, c), cliftTripleProduct(c, b, a), cliftTripleProduct(a, c, b)])
        expect(Math.abs(p - v)).toBeLessThan(1e-9 * (1 + v));
      const dep = cliftTripleProduct(
        a,
        b,
        b.map((x) => t * x),
      );
      expect(Math.abs(dep - norm(a) * norm(b) * norm(b) * Math.abs(t))).toBeLessThan(1e-9 * (1 + dep));
    },
  );
  test('bad arguments', () => {
    expect(() => cliftTripleProduct(new Float64Array(2), new Float64Array(3), new Float64Array(2))).toThrow(/same length/);
    expect(() => cliftTripleProduct([1] as unknown as Float64Array, new Float64Array(1), new Float64Array(1))).toThrow(TesseraError);
  });
});
