// AIE interleaved layout and safetensors I/O: round trips, sizes, and byte-level fuzzing (truncation at every
// length, random mutations): every damaged file is CORRUPT_DATA or decodes to exactly the saved tensor.
import { fc, test as ftest } from '@fast-check/vitest';
import { parseSafetensors, rng, serializeSafetensors, TesseraError } from '@tessera/core';
import { describe, expect, test } from 'vitest';
import { rowArb } from '../test/arbitraries.js';
import {
  BDR_MX4,
  BDR_MX6,
  BDR_MX9,
  type BDRTensor,
  bdrFormat,
  dequantizeBDRArray,
  fromAIELayout,
  loadBDR,
  quantizeBDRArray,
  saveBDR,
  toAIELayout,
} from './index.js';

const code = (e: unknown) => (e instanceof TesseraError ? e.code : e);
const same = (a: BDRTensor, b: BDRTensor) =>
  JSON.stringify([a.format, a.shape, a.axis, Array.from(a.exponents), Array.from(a.microexponents), Array.from(a.mantissas)]) ===
  JSON.stringify([b.format, b.shape, b.axis, Array.from(b.exponents), Array.from(b.microexponents), Array.from(b.mantissas)]);

describe('AIE interleaved layout', () => {
  test('18 / 12 / 8 bytes per 16-element block (9 / 6 / 4 bits per element)', () => {
    const x = rng(1).normalArray(64);
    expect([BDR_MX9, BDR_MX6, BDR_MX4].map((f) => toAIELayout(quantizeBDRArray(x, [64], f)).length)).toEqual([72, 48, 32]);
  });
  test('documented bit order: exponent byte, shift byte (bit j = pair j), LSB-first sign-magnitude mantissas', () => {
    // MX6: block max 3 → E = 1 (byte 128); pair 0 (1, 0.25) shifts (step 1/8): codes 8, 2; pair 1 (3, −0.5): codes 12, 16 | 2
    const b = toAIELayout(quantizeBDRArray(new Float32Array([1, 0.25, 3, -0.5]), [4], BDR_MX6));
    expect(b[0]).toBe(128);
    expect(b[1] & 0b11).toBe(0b01);
    const codes = [8, 2, 12, 0b10010];
    let w = 0;
    codes.forEach((c, i) => {
      w += c * 2 ** (5 * i);
    });
    expect([b[2], b[3], b[4]]).toEqual([w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff]);
  });
  ftest.prop([fc.constantFrom(BDR_MX9, BDR_MX6, BDR_MX4), rowArb(), fc.integer({ min: 1, max: 3 })], { numRuns: 100 })(
    'fromAIE(toAIE(t)) = t',
    (f, x, rows) => {
      const v = new Float32Array(x.length * rows);
      for (let r = 0; r < rows; r++) v.set(x, r * x.length);
      const t = quantizeBDRArray(v, [rows, x.length], f);
      expect(same(fromAIELayout(toAIELayout(t), f, [rows, x.length], 1), t)).toBe(true);
    },
  );
  test('errors', () => {
    const t = quantizeBDRArray(new Float32Array(20), [20], BDR_MX9);
    const b = toAIELayout(t);
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return code(e);
      }
      return 'no error';
    };
    expect(err(() => toAIELayout(quantizeBDRArray(new Float32Array(16), [16], bdrFormat({ k1: 16, d1: 8, k2: 4, d2: 1, m: 7 }))))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(err(() => fromAIELayout(b.subarray(1), BDR_MX9, [20], 0))).toBe('CORRUPT_DATA');
    const bad = b.slice();
    bad[bad.length - 1] = 0xff; // a padding element's code
    expect(err(() => fromAIELayout(bad, BDR_MX9, [20], 0))).toBe('CORRUPT_DATA');
    expect(err(() => fromAIELayout(b, BDR_MX9, [20], 1))).toBe('INVALID_ARGUMENT');
    expect(err(() => fromAIELayout(b, BDR_MX9, [-1], 0))).toBe('INVALID_SHAPE');
  });
});

describe('saveBDR / loadBDR', () => {
  const x = rng(5).normalArray(3 * 21);
  const t = quantizeBDRArray(x, [3, 21], BDR_MX6, { axis: 0 });
  test('round trip, with and without a name', () => {
    expect(same(loadBDR(saveBDR(t)), t)).toBe(true);
    expect(same(loadBDR(saveBDR(t, 'layer.weight'), 'layer.weight'), t)).toBe(true);
    expect(Array.from(dequantizeBDRArray(loadBDR(saveBDR(t))))).toEqual(Array.from(dequantizeBDRArray(t)));
    expect(
      code(
        (() => {
          try {
            loadBDR(saveBDR(t, 'a'), 'b');
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe('CORRUPT_DATA');
  });
  const bytes = saveBDR(t, 'w');
  const outcome = (b: Uint8Array): string => {
    try {
      return same(loadBDR(b, 'w'), t) ? 'same' : 'WRONG TENSOR';
    } catch (e) {
      return String(code(e));
    }
  };
  test(`truncation at every length (0 … ${bytes.length - 1}) is CORRUPT_DATA`, () => {
    for (let n = 0; n < bytes.length; n++) expect(outcome(bytes.subarray(0, n)), `length ${n}`).toBe('CORRUPT_DATA');
    expect(outcome(bytes)).toBe('same');
  });
  test('random single- and multi-byte mutations: CORRUPT_DATA or the same tensor, never a wrong one', () => {
    const r = rng(11);
    const seen = new Map<string, number>();
    for (let it = 0; it < 3000; it++) {
      const b = bytes.slice();
      const k = 1 + r.int(it % 2 === 0 ? 1 : 4);
      for (let j = 0; j < k; j++) b[r.int(b.length)] = r.int(256);
      const o = outcome(b);
      seen.set(o, (seen.get(o) ?? 0) + 1);
      expect(['CORRUPT_DATA', 'same']).toContain(o);
    }
    expect(seen.get('CORRUPT_DATA')).toBeGreaterThan(2500);
  });
  test('stored shapes are checked (same bytes, metadata and checksum, another shape)', () => {
    const { tensors, metadata } = parseSafetensors(bytes);
    for (const [k, shape] of [
      ['w.exponents', [1, 21]],
      ['w.exponents', [21]],
      ['w.mantissas', [1, tensors['w.mantissas'].shape[0]]],
      ['w.microexponents', [tensors['w.microexponents'].shape[0], 1]],
    ] as const) {
      const altered = { ...tensors, [k]: { ...tensors[k], shape: [...shape] } };
      expect(outcome(serializeSafetensors(altered, metadata)), `${k} [${shape.join(', ')}]`).toBe('CORRUPT_DATA');
    }
    expect(outcome(serializeSafetensors(tensors, metadata))).toBe('same');
  });
});
