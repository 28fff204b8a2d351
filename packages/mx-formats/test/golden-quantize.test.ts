// microxcaling `_quantize_mx` golden set (golden README "mx-quantize"): dequantized values bit-exact,
// scale bytes equal to the recorded exponents.
import { describe, expect, test } from 'vitest';
import { dequantizeMXArray, type MXFormat, quantizeMXArray } from '../src/index.js';
import { f32, GOLDEN_QUANTIZE_FILES, loadFixture } from './fixtures.js';

const FILES = GOLDEN_QUANTIZE_FILES;

/** Bit-equal float32, NaN = NaN, and ±0 equal (the reference writes +0 for −0 inputs; golden README). */
function mismatches(got: Float32Array, want: Float32Array): string[] {
  const out: string[] = [];
  const gu = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const wu = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (want[i] === 0 && got[i] === 0) continue;
    if (gu[i] !== wu[i]) out.push(`[${i}] got ${got[i]} want ${want[i]}`);
  }
  return out;
}

for (const [file, format] of FILES) {
  const g = loadFixture(`mx-quantize/${file}.json`);
  describe(`${format} vs microxcaling (${file}.json)`, () => {
    for (const c of g.cases) {
      for (const rounding of ['even', 'nearest'] as const) {
        test(`${c.name} ${c.shape.join('x')}, rounding ${rounding}`, () => {
          const x = f32(c.x_bits);
          const m = quantizeMXArray(x, c.shape, { format, rounding, blockSize: 32 });
          const y = dequantizeMXArray(m);
          expect(mismatches(y, f32(c.y_bits[rounding])).slice(0, 5)).toEqual([]);
          // scale bytes: exactly the recorded e8m0 (an all-zero int8 block is byte 1, microxcaling's 2^-126)
          const want = c.blocks.e8m0.map((b: number | null) => (b === null ? 0xff : b));
          expect(Array.from(m.scales)).toEqual(want);
          // shared_exp is the unbiased byte wherever the block is finite and non-zero
          c.blocks.shared_exp.forEach((s: number | null, i: number) => {
            if (s !== null && c.blocks.amax_bits[i] !== 0) expect(m.scales[i] - 127).toBe(s);
          });
        });
      }
    }
  });
}

interface QuirkEntry {
  name: string;
  x_bits: number[];
  reference_y_bits: Record<'even' | 'nearest', number[]>;
  exact_model_y_bits: Record<'even' | 'nearest', number[]>;
}

describe('quirks.json (documentation of the reference)', () => {
  const q = loadFixture('mx-quantize/quirks.json');
  const fmt = Object.fromEntries(FILES) as Record<string, MXFormat>;
  for (const [file, entries] of Object.entries(q.formats) as [string, QuirkEntry[]][]) {
    for (const e of entries) {
      for (const rounding of ['even', 'nearest'] as const) {
        test(`${file} ${e.name} ${rounding}: default (exact) = exact model`, () => {
          const y = dequantizeMXArray(quantizeMXArray(f32(e.x_bits), [32], { format: fmt[file], rounding }));
          expect(mismatches(y, f32(e.exact_model_y_bits[rounding]))).toEqual([]);
        });
        if (e.name.startsWith('amax_')) {
          test(`${file} ${e.name} ${rounding}: scaleExponent 'float32-log2' = reference`, () => {
            const y = dequantizeMXArray(
              quantizeMXArray(f32(e.x_bits), [32], { format: fmt[file], rounding, scaleExponent: 'float32-log2' }),
            );
            expect(mismatches(y, f32(e.reference_y_bits[rounding]))).toEqual([]);
          });
        }
      }
    }
  }
});
