// AMD Quark fake_quantize_mx6_mx9 golden set (test/fixtures/PROVENANCE.md): fakeQuantizeBDR with clamp 'quark' is
// bit-exact (NaN matches NaN), and the block exponents and pair shifts of quantizeBDR match on finite cases.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, test } from 'vitest';
import { BDR_MX6, BDR_MX9, type BDRFormat, bdrFormat, fakeQuantizeBDR, quantizeBDRArray } from '../src/index.js';

interface GoldenCase {
  name: string;
  block_size: number;
  shape: [number, number];
  x_bits: number[];
  y_bits: number[];
  blocks: { block_exp: number[]; pair_shift: number[] };
}

const load = (file: string): GoldenCase[] => JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')).cases;
const f32 = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);

function firstMismatch(got: Float32Array, want: Float32Array): number {
  const gu = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const wu = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < got.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (gu[i] !== wu[i]) return i;
  }
  return -1;
}

for (const [file, base] of [
  ['mx6.json', BDR_MX6],
  ['mx9.json', BDR_MX9],
] as const) {
  describe(`Quark golden ${file}`, () => {
    for (const c of load(file)) {
      const f: BDRFormat = c.block_size === 16 ? base : bdrFormat({ ...base, name: undefined, k1: c.block_size });
      test(`${c.name}, block ${c.block_size}: fakeQuantizeBDR clamp 'quark' bit-exact`, async () => {
        const x = f32(c.x_bits);
        const want = f32(c.y_bits);
        // read asynchronously: with @tessera/webgpu's kernels registered the result stays on the GPU
        const got = await expectNoLeaks(async () => {
          const t = tf.tidy(() => fakeQuantizeBDR(tf.tensor2d(x, c.shape), f, { clamp: 'quark' }));
          const v = ((await t.data()) as Float32Array).slice();
          t.dispose();
          return v;
        });
        const i = firstMismatch(got, want);
        expect(i, i < 0 ? '' : `index ${i}: x ${x[i]}, got ${got[i]}, want ${want[i]}`).toBe(-1);
      });
      test(`${c.name}, block ${c.block_size}: exponents and pair shifts`, () => {
        const x = f32(c.x_bits);
        // the packed path rejects non-finite values; Quark counts them as 0 for the maxima, and so does this copy
        const xf = x.map((v) => (Number.isFinite(v) ? v : 0));
        const t = quantizeBDRArray(xf, c.shape, f);
        expect(Array.from(t.exponents).map((e) => e - 127)).toEqual(c.blocks.block_exp);
        const shifts = Array.from({ length: c.blocks.pair_shift.length }, (_, j) => (t.microexponents[j >> 3] >> (j & 7)) & 1);
        expect(shifts).toEqual(c.blocks.pair_shift);
      });
    }
  });
}
