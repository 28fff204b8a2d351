import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { f32, loadFixture } from '../test/fixtures.js';
import { type RefElement, refDecode, refEncode, refGrid } from '../test/reference/mx-reference.js';
import { E8M0 } from './e8m0.js';
import { ELEMENT_CODECS, type ElementCodec, FP4_E2M1, FP6_E2M3, FP6_E3M2, FP8_E4M3, FP8_E5M2, INT8_MX } from './elements.js';

const GOLDEN: [ElementCodec, string][] = [
  [FP8_E4M3, 'float8_e4m3fn'],
  [FP8_E5M2, 'float8_e5m2'],
  [FP6_E3M2, 'float6_e3m2fn'],
  [FP6_E2M3, 'float6_e2m3fn'],
  [FP4_E2M1, 'float4_e2m1fn'],
];

const sameValue = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);

describe('element codecs vs the mx-elements golden set (ml_dtypes 0.6.0 / torch 2.11)', () => {
  for (const [codec, file] of GOLDEN) {
    const g = loadFixture(`mx-elements/${file}.json`);
    test(`${codec.name}: decode table, every code`, () => {
      const want = f32(g.decode.f32_bits);
      expect(g.decode.code.length).toBe(1 << codec.bits);
      for (let i = 0; i < g.decode.code.length; i++) {
        const c = g.decode.code[i];
        const got = codec.decode(c);
        if (!sameValue(got, want[i])) throw new Error(`${codec.name} decode(${c}) = ${got}, want ${want[i]}`);
        expect(sameValue(codec.decodeTable[c], want[i])).toBe(true);
      }
    });
    test(`${codec.name}: encode 20,000 inputs as a plain cast (defaults: RNE, no saturation)`, () => {
      const xs = f32(g.encode.x_bits);
      let bad = 0;
      const msgs: string[] = [];
      for (let i = 0; i < xs.length; i++) {
        const got = codec.encode(xs[i]);
        if (got !== g.encode.ml_code[i] || codec.encode(xs[i], { saturate: false }) !== got) {
          bad++;
          if (msgs.length < 5)
            msgs.push(
              `x=${xs[i]} (0x${g.encode.x_bits[i].toString(16)}): got 0x${got.toString(16)} want 0x${g.encode.ml_code[i].toString(16)}`,
            );
        }
      }
      expect(msgs).toEqual([]);
      expect(bad).toBe(0);
    });
    if (g.torch) {
      test(`${codec.name}: torch CPU casts agree except NaN payload codes`, () => {
        const xs = f32(g.encode.x_bits);
        for (let i = 0; i < xs.length; i++) {
          if (Number.isNaN(xs[i])) continue; // torch E5M2 writes 0x7F/0xFF for NaN, ml_dtypes 0x7E/0xFE
          expect(codec.encode(xs[i], { saturate: false })).toBe(g.torch.encode_cpu_code[i]);
        }
      });
    }
  }

  const e8 = loadFixture('mx-elements/float8_e8m0fnu.json');
  test('E8M0: decode every byte (byte 0 is the float32 subnormal 2^-127, 0xFF NaN)', () => {
    const want = f32(e8.decode.f32_bits);
    for (let i = 0; i < 256; i++) expect(sameValue(E8M0.decode(e8.decode.code[i]), want[i])).toBe(true);
    expect(E8M0.decode(0)).toBe(2 ** -127);
  });
  test('E8M0.fromFloat: ml_dtypes behaviour on 20,000 inputs, torch behaviour on its codes', () => {
    const xs = f32(e8.encode.x_bits);
    for (let i = 0; i < xs.length; i++) {
      expect(E8M0.fromFloat(xs[i])).toBe(e8.encode.ml_code[i]);
      expect(E8M0.fromFloat(xs[i], 'torch')).toBe(e8.torch.encode_cpu_code[i]);
    }
    // E8M0 cast probes (PyTorch float8_e8m0fnu rounding)
    expect([1.4999, 1.5, 3, -4, 0].map((v) => E8M0.fromFloat(v, 'torch'))).toEqual([127, 128, 129, 129, 0]);
    expect([0, -2].map((v) => E8M0.fromFloat(v))).toEqual([255, 255]);
  });
});

describe('INT8 (MX fixed point 1.6)', () => {
  test('decode is k/64, 0x80 is −2', () => {
    for (let c = 0; c < 256; c++) expect(INT8_MX.decode(c)).toBe((c >= 128 ? c - 256 : c) / 64);
    expect(INT8_MX.decode(0x40)).toBe(1);
  });
  test('encode: grid k/64, |k| ≤ 127, ties to even, 0x80 never produced', () => {
    expect(INT8_MX.encode(2)).toBe(0x7f);
    expect(INT8_MX.encode(-2)).toBe(0x81);
    expect(INT8_MX.encode(-1e9)).toBe(0x81);
    expect(INT8_MX.encode(65.5 / 64)).toBe(66);
    expect(INT8_MX.encode(66.5 / 64)).toBe(66);
    expect(INT8_MX.encode(66.5 / 64, { rounding: 'nearest' })).toBe(67);
    expect(INT8_MX.encode(-0.25 / 64)).toBe(0); // no −0
  });
});

describe('every code round-trips, midpoints round to even', () => {
  for (const codec of Object.values(ELEMENT_CODECS)) {
    test(`${codec.name}: encode(decode(c)) = c and decode matches the reference formula`, () => {
      for (let c = 0; c < 1 << codec.bits; c++) {
        const v = codec.decode(c);
        expect(sameValue(v, refDecode(codec.name as RefElement, c))).toBe(true);
        if (Number.isNaN(v)) {
          expect(Number.isNaN(codec.decode(codec.encode(v, { saturate: false })))).toBe(true);
          continue;
        }
        const back = codec.encode(v, { saturate: false });
        if (codec === INT8_MX && c === 0x80) expect(back).toBe(0x81);
        else expect(back).toBe(c);
      }
    });
    test(`${codec.name}: midpoints and midpoint ± 1 float32 ulp`, () => {
      const grid = refGrid(codec.name as RefElement);
      for (let i = 0; i + 1 < grid.length; i++) {
        const [lo, cl] = grid[i];
        const [hi, ch] = grid[i + 1];
        const mid = (lo + hi) / 2;
        const even = cl % 2 === 0 ? cl : ch;
        for (const sgn of [1, -1]) {
          const enc = (v: number, o = {}) => codec.encode(sgn * v, o);
          const signed = (c: number) => (sgn > 0 ? c : refEncode(codec.name as RefElement, -(refDecode(codec.name as RefElement, c) || 0)));
          expect(enc(mid)).toBe(sgn > 0 ? even : refEncode(codec.name as RefElement, -refDecode(codec.name as RefElement, even)));
          expect(enc(mid, { rounding: 'nearest' })).toBe(signed(ch));
          expect(enc(mid, { rounding: 'floor' })).toBe(signed(cl));
          const below = Math.fround(mid * (1 - 2 ** -23));
          const above = Math.fround(mid * (1 + 2 ** -23));
          if (below > lo) expect(enc(below)).toBe(signed(cl));
          expect(enc(above)).toBe(signed(ch));
        }
      }
    });
  }
  test('MX saturation vs plain-cast overflow', () => {
    for (const v of [464, 480, 1e6, Number.POSITIVE_INFINITY]) expect(FP8_E4M3.encode(v, { saturate: true })).toBe(0x7e);
    expect(FP8_E4M3.encode(480)).toBe(0x7f); // default: plain-cast overflow
    expect(FP8_E4M3.encode(-480, { saturate: true })).toBe(0xfe);
    expect(FP8_E4M3.encode(480, { saturate: false })).toBe(0x7f);
    expect(FP8_E4M3.encode(464, { saturate: false })).toBe(0x7e);
    expect(FP8_E4M3.encode(-500, { saturate: false })).toBe(0xff);
    expect(FP8_E5M2.encode(57344, { saturate: false })).toBe(0x7b);
    expect(FP8_E5M2.encode(61440, { saturate: false })).toBe(0x7c);
    expect(FP8_E5M2.encode(-61440, { saturate: false })).toBe(0xfc);
    expect(FP8_E5M2.encode(61440, { saturate: true })).toBe(0x7b);
    expect(FP8_E5M2.encode(1e9)).toBe(0x7c);
    expect(FP6_E3M2.encode(100, { saturate: false })).toBe(0x1f);
    expect(FP4_E2M1.encode(-7)).toBe(0xf);
    expect(FP4_E2M1.encode(-0.1)).toBe(0x8); // −0
    expect(FP6_E2M3.encode(7.75)).toBe(0x1f);
  });
  test('stochastic rounding uses the caller source and needs one', () => {
    expect(FP4_E2M1.encode(2.5, { rounding: 'stochastic', random: () => 0.49 })).toBe(0x4);
    expect(FP4_E2M1.encode(2.5, { rounding: 'stochastic', random: () => 0.5 })).toBe(0x5);
    expect(() => FP4_E2M1.encode(2.5, { rounding: 'stochastic' })).toThrow(/random source/);
    expect(() => FP4_E2M1.encode(1, { rounding: 'up' as never })).toThrow(/rounding must be one of/);
  });
});

describe('codec vs the naive reference on random float32 inputs', () => {
  const arb = fc.float({ noDefaultInfinity: true, noNaN: true, min: Math.fround(-1e6), max: Math.fround(1e6) });
  for (const codec of Object.values(ELEMENT_CODECS)) {
    fcTest.prop([arb, fc.constantFrom('even', 'nearest', 'floor' as const)], { numRuns: 300 })(
      `${codec.name} saturating encode = reference`,
      (v, r) => {
        const scaled = Math.fround(v / 2 ** (codec.bits === 8 ? 10 : 16));
        expect(codec.encode(scaled, { rounding: r, saturate: true })).toBe(refEncode(codec.name as RefElement, scaled, r));
        expect(codec.encode(v, { rounding: r, saturate: true })).toBe(refEncode(codec.name as RefElement, v, r));
      },
    );
  }
});
