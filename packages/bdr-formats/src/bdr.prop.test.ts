// Property tests of the host kernels (quantize+pack, dequantize, fake quantization) against the naive reference in
// test/reference, and the invariants of two-level BDR quantization ([BDR] §III).
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { formatArb, normalRowArb, rowArb } from '../test/arbitraries.js';
import { fieldExponent, type RefRounding, refBlock } from '../test/reference/bdr.js';
import { dequantizeBDRArray, quantizeBDRArray } from './bdr-tensor.js';
import { fakeQuantizeResolved } from './fake-quant.js';
import { type BDRFormat, bdrFormat, bfp } from './format.js';
import { packBits, unpackBits } from './kernels/bitstream.js';
import { resolveBDROptions } from './options.js';

const roundingArb = fc.constantFrom<RefRounding>('even', 'nearest', 'floor');

function fake(x: Float32Array, shape: number[], f: BDRFormat, o: Record<string, unknown> = {}): Float32Array {
  return fakeQuantizeResolved(x, shape, f, resolveBDROptions(o, shape.length, 'test'));
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (!Object.is(a[i], b[i])) return `[${i}] ${a[i]} vs ${b[i]}`;
  }
  return null;
}

/** The reference over a 1-D row: exponents, shifts, sign-magnitude codes and values. */
function refOf(x: Float32Array, f: BDRFormat, clamp: 'field' | 'quark', rounding: RefRounding, random?: () => number) {
  const E: number[] = [];
  const s: number[] = [];
  const codes: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < x.length; b += f.k1) {
    const blk = refBlock(Array.from(x.subarray(b, b + f.k1)), f, clamp, rounding, random);
    E.push(blk.E + 2 ** (f.d1 - 1) - 1);
    s.push(...blk.s);
    for (const q of blk.q) codes.push(((q < 0 || Object.is(q, -0) ? 1 : 0) << f.m) | Math.abs(q));
    y.push(...blk.y);
  }
  return { E, s, codes, y };
}

describe('kernels vs the naive reference', () => {
  test.prop([formatArb, rowArb(), roundingArb], { numRuns: 300 })('packed fields and dequantized values', (f, x, rounding) => {
    const t = quantizeBDRArray(x, [x.length], f, { rounding });
    const r = refOf(x, f, 'field', rounding);
    expect(Array.from(t.exponents)).toEqual(r.E);
    if (f.d2 > 0) expect(Array.from(unpackBits(t.microexponents, r.s.length, f.d2))).toEqual(r.s);
    else expect(t.microexponents.length).toBe(0);
    // the kernel's inline stream writer equals the generic packer of the reference codes
    expect(Array.from(t.mantissas)).toEqual(Array.from(packBits(r.codes, f.m + 1)));
    expect(sameBits(dequantizeBDRArray(t), r.y)).toBeNull();
  });

  test.prop([formatArb, rowArb({ nonFinite: true }), roundingArb, fc.constantFrom<'field' | 'quark'>('field', 'quark')], { numRuns: 300 })(
    'fake quantization (NaN/±Inf, both clamps)',
    (f, x, rounding, clamp) => {
      expect(sameBits(fake(x, [x.length], f, { rounding, clamp }), refOf(x, f, clamp, rounding).y)).toBeNull();
    },
  );

  test.prop([formatArb, rowArb(), fc.integer()], { numRuns: 100 })('stochastic rounding draws in element order', (f, x, seed) => {
    const mk = () => {
      let s = seed >>> 0;
      return () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s / 2 ** 32;
      };
    };
    const t = quantizeBDRArray(x, [x.length], f, { rounding: 'stochastic', random: mk() });
    const y = fake(x, [x.length], f, { rounding: 'stochastic', random: mk() });
    const r = refOf(x, f, 'field', 'stochastic', mk());
    expect(sameBits(dequantizeBDRArray(t), r.y)).toBeNull();
    expect(sameBits(y, r.y)).toBeNull();
  });

  test.prop([formatArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), fc.nat(2)], {
    numRuns: 100,
  })('any axis: equals the reference along that axis; fake = quantize→dequantize', (f, a, b, c, axisPick) => {
    const shape = [a, b, c];
    const n = a * b * c;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(Math.sin(i * 12.9898 + f.m) * 2 ** ((i % 13) - 6));
    const axis = axisPick;
    const y = dequantizeBDRArray(quantizeBDRArray(x, shape, f, { axis }));
    expect(sameBits(fake(x, shape, f, { axis }), y)).toBeNull();
    // one fibre along the axis
    const strides = [b * c, c, 1];
    const L = shape[axis];
    const fibre = new Float32Array(L);
    for (let l = 0; l < L; l++) fibre[l] = x[l * strides[axis]];
    const ry = refOf(fibre, f, 'field', 'even').y;
    for (let l = 0; l < L; l++) expect(Object.is(y[l * strides[axis]], ry[l])).toBe(true);
  });
});

describe('BDR invariants', () => {
  test.prop([formatArb, rowArb()], { numRuns: 200 })("clamp 'field': every x̂ = q·2^(E − s − m + 1) with |q| ≤ 2^m − 1", (f, x) => {
    const t = quantizeBDRArray(x, [x.length], f);
    const y = dequantizeBDRArray(t);
    const nSub = f.k1 / f.k2;
    const s = f.d2 > 0 ? unpackBits(t.microexponents, t.exponents.length * nSub, f.d2) : new Uint32Array(t.exponents.length * nSub);
    for (let i = 0; i < x.length; i++) {
      const b = Math.floor(i / f.k1);
      const E = t.exponents[b] - (2 ** (f.d1 - 1) - 1);
      const p = E - s[b * nSub + Math.floor((i % f.k1) / f.k2)] - f.m + 1;
      const q = y[i] / 2 ** p;
      expect(Number.isInteger(q)).toBe(true);
      expect(Math.abs(q)).toBeLessThanOrEqual(2 ** f.m - 1);
    }
  });

  test.prop([formatArb, rowArb()], { numRuns: 200 })(
    'a sub-block shifts only when every element fits, and as far as they all fit',
    (f, x) => {
      const t = quantizeBDRArray(x, [x.length], f);
      const nSub = f.k1 / f.k2;
      const s = f.d2 > 0 ? unpackBits(t.microexponents, t.exponents.length * nSub, f.d2) : new Uint32Array(t.exponents.length * nSub);
      for (let b = 0; b < t.exponents.length; b++) {
        const E = t.exponents[b] - (2 ** (f.d1 - 1) - 1);
        for (let j = 0; j < nSub; j++) {
          const sj = s[b * nSub + j];
          let ej = -127;
          for (let t2 = 0; t2 < f.k2; t2++) {
            const i = b * f.k1 + j * f.k2 + t2;
            if (i < x.length) ej = Math.max(ej, fieldExponent(x[i]));
          }
          // every element's exponent ≤ E − s: |x| < 2^(E − s + 1), so |x|/2^p < 2^m
          if (sj > 0) expect(ej).toBeLessThanOrEqual(E - sj);
          // maximal: one more shift would not fit (or the field is at its limit)
          if (sj < 2 ** f.d2 - 1) expect(ej).toBeGreaterThanOrEqual(E - sj);
        }
      }
    },
  );

  test.prop([formatArb, rowArb(), roundingArb], { numRuns: 200 })(
    'sign symmetry: Q(−x) = −Q(x), signed zeros included',
    (f, x, rounding) => {
      const y = fake(x, [x.length], f, { rounding });
      const yn = fake(
        x.map((v) => -v),
        [x.length],
        f,
        { rounding },
      );
      expect(
        sameBits(
          yn,
          y.map((v) => -v),
        ),
      ).toBeNull();
    },
  );

  test.prop([formatArb, rowArb(), rowArb()], { numRuns: 150 })(
    'block independence: changing one block changes no other field',
    (f, x, z) => {
      if (x.length <= f.k1) return;
      const x2 = x.slice();
      for (let i = 0; i < f.k1 && i < x.length; i++) x2[i] = z[i % z.length]; // rewrite block 0
      const t = quantizeBDRArray(x, [x.length], f);
      const t2 = quantizeBDRArray(x2, [x.length], f);
      expect(Array.from(t2.exponents.subarray(1))).toEqual(Array.from(t.exponents.subarray(1)));
      const nSub = f.k1 / f.k2;
      const nS = t.exponents.length * nSub;
      if (f.d2 > 0)
        expect(Array.from(unpackBits(t2.microexponents, nS, f.d2).subarray(nSub))).toEqual(
          Array.from(unpackBits(t.microexponents, nS, f.d2).subarray(nSub)),
        );
      const nE = t.exponents.length * f.k1;
      expect(Array.from(unpackBits(t2.mantissas, nE, f.m + 1).subarray(f.k1))).toEqual(
        Array.from(unpackBits(t.mantissas, nE, f.m + 1).subarray(f.k1)),
      );
    },
  );

  test.prop([formatArb, rowArb(), fc.integer({ min: 1, max: 40 })], { numRuns: 150 })(
    'padding invariance: quantize([x, 0…]) restricted to x = quantize(x)',
    (f, x, extra) => {
      const padded = new Float32Array(x.length + extra);
      padded.set(x);
      const y = fake(x, [x.length], f);
      const yp = fake(padded, [padded.length], f);
      expect(sameBits(yp.subarray(0, x.length), y)).toBeNull();
      // zero padding to whole blocks leaves every field unchanged
      const whole = new Float32Array(Math.ceil(x.length / f.k1) * f.k1);
      whole.set(x);
      const t = quantizeBDRArray(x, [x.length], f);
      const tw = quantizeBDRArray(whole, [whole.length], f);
      expect([Array.from(tw.exponents), Array.from(tw.microexponents), Array.from(tw.mantissas)]).toEqual([
        Array.from(t.exponents),
        Array.from(t.microexponents),
        Array.from(t.mantissas),
      ]);
    },
  );

  test.prop([formatArb.filter((f) => f.d1 === 8), normalRowArb(), fc.integer({ min: -40, max: 40 }), roundingArb], { numRuns: 200 })(
    'scale equivariance: Q(2^j·x) = 2^j·Q(x), exponents + j (normal range)',
    (f, x, j, rounding) => {
      const xs = x.map((v) => v * 2 ** j);
      const t = quantizeBDRArray(x, [x.length], f, { rounding });
      const ts = quantizeBDRArray(xs, [x.length], f, { rounding });
      // only blocks whose elements stay clear of the float32 subnormal range (the −127 rule) are equivariant
      for (let b = 0; b < t.exponents.length; b++) {
        let ok = true;
        for (let i = b * f.k1; i < Math.min(x.length, (b + 1) * f.k1); i++)
          if (x[i] !== 0 && (Math.abs(x[i]) < 2 ** -100 || Math.abs(xs[i]) < 2 ** -100)) ok = false;
        let allZero = true;
        for (let i = b * f.k1; i < Math.min(x.length, (b + 1) * f.k1); i++) if (x[i] !== 0) allZero = false;
        if (!ok || allZero) continue;
        expect(ts.exponents[b]).toBe(t.exponents[b] + j);
        const y = dequantizeBDRArray(t);
        const ys = dequantizeBDRArray(ts);
        for (let i = b * f.k1; i < Math.min(x.length, (b + 1) * f.k1); i++) expect(Object.is(ys[i], y[i] * 2 ** j)).toBe(true);
      }
    },
  );

  test.prop([fc.integer({ min: 1, max: 24 }), fc.array(fc.nat(), { maxLength: 100 })], { numRuns: 200 })(
    'pack→unpack identity on random codes (LSB-first stream)',
    (w, raw) => {
      const codes = raw.map((v) => v % 2 ** w);
      const bytes = packBits(codes, w);
      expect(bytes.length).toBe(Math.ceil((codes.length * w) / 8));
      expect(Array.from(unpackBits(bytes, codes.length, w))).toEqual(codes);
    },
  );

  test.prop(
    [
      fc.record({
        k1e: fc.integer({ min: 0, max: 5 }),
        d2: fc.integer({ min: 1, max: 4 }),
        m: fc.integer({ min: 1, max: 12 }),
        k2e: fc.integer({ min: 0, max: 5 }),
      }),
      rowArb(),
    ],
    { numRuns: 150 },
  )('identities: d2 = 0 (any k2) and k2 = k1 (any d2) equal plain BFP', ({ k1e, d2, m, k2e }, x) => {
    const k1 = 2 ** k1e;
    const ref = fake(x, [x.length], bfp(k1, m));
    const anyK2 = bdrFormat({ k1, d1: 8, k2: 2 ** Math.min(k1e, k2e), d2: 0, m });
    const k2k1 = bdrFormat({ k1, d1: 8, k2: k1, d2, m });
    expect(sameBits(fake(x, [x.length], anyK2), ref)).toBeNull();
    expect(sameBits(fake(x, [x.length], k2k1), ref)).toBeNull();
  });
});
