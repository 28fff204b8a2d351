import * as tf from '@tensorflow/tfjs-core';
import { float16BitsToFloat32, float32ToFloat16Bits } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { f32FromBits, loadGolden } from '../test/golden.js';
import { maxRelError, refMatmul } from '../test/reference/matmul.js';
import { compress24, decompress24Raw } from './compress.js';
import { sparseLinear, spmm24, spmm24T } from './spmm.js';

const ulp16 = (v: number) => 2 ** (Math.floor(Math.log2(Math.max(v, 2 ** -14))) - 10);
const toF16 = (v: number) => float16BitsToFloat32(float32ToFloat16Bits(new Float32Array([v])))[0];

describe('spmm24 against the golden products (PyTorch cuSPARSELt / float64 reference)', () => {
  for (const g of loadGolden()) {
    for (const c of g.cutlass) {
      it(`${g.file} ${c.name}`, async () => {
        await expectNoLeaks(async () => {
          const s = compress24({ dtype: 'float16', shape: [c.m, c.k], data: Uint16Array.from(c.dense_f16_bits) }, { layout: 'cutlass' });
          const bf = float16BitsToFloat32(Uint16Array.from(c.rhs_f16_bits));
          const b = tf.tensor(bf, [c.k, c.n], 'float32');
          for (const kernel of ['host', 'tfjs'] as const) {
            const y = spmm24(s, b, { kernel });
            const got = (await y.data()) as Float32Array; // asynchronous: webgpu in Node cannot read synchronously
            y.dispose();
            const ref = f32FromBits(c.reference_f32_bits);
            const a = float16BitsToFloat32(Uint16Array.from(c.dense_f16_bits));
            const { absSum } = refMatmul(a, c.m, c.k, bf, c.n);
            expect(maxRelError(got, Float64Array.from(ref), absSum)).toBeLessThan(1e-6);
            // Rounded to float16, ours obeys the README's bound for the stored products.
            const cus = float16BitsToFloat32(Uint16Array.from(c.cusparselt_mm_f16_bits));
            for (let i = 0; i < got.length; i++) {
              const bound = ulp16(Math.abs(ref[i])) + 2 ** -9;
              expect(Math.abs(toF16(got[i]) - ref[i])).toBeLessThanOrEqual(bound);
              expect(Math.abs(cus[i] - ref[i])).toBeLessThanOrEqual(bound);
            }
          }
          b.dispose();
        });
      });
    }
  }
});

describe('spmm24 on every storage dtype and layout', () => {
  it('int8 (CUTLASS, int32 meta), float32 (CUTLASS 1:2) and simple float16 equal the oracle', async () => {
    await expectNoLeaks(async () => {
      const i8 = new Int8Array(16 * 128);
      for (let i = 0; i < i8.length; i += 4) {
        i8[i + ((i >> 2) % 4)] = ((i * 7) % 255) - 127;
        i8[i + 3 - ((i >> 3) % 2)] = ((i * 13) % 255) - 127;
      }
      const f32 = new Float32Array(32 * 32);
      for (let i = 0; i < f32.length; i += 2) f32[i + ((i >> 1) % 2)] = (i % 17) - 8.5;
      const f16 = float32ToFloat16Bits(Float32Array.from({ length: 8 * 12 }, (_, i) => (i % 4 < 2 ? (i % 9) - 4 : 0)));
      const cases = [
        { s: compress24({ dtype: 'int8', shape: [16, 128], data: i8 }, { layout: 'cutlass' }), dense: Float32Array.from(i8) },
        { s: compress24({ dtype: 'float32', shape: [32, 32], data: f32 }, { layout: 'cutlass' }), dense: f32 },
        { s: compress24({ dtype: 'float16', shape: [8, 12], data: f16 }), dense: float16BitsToFloat32(f16) },
      ];
      for (const { s, dense } of cases) {
        const [m, k] = s.shape;
        const bData = Float32Array.from({ length: k * 3 }, (_, i) => Math.sin(i));
        const b = tf.tensor(bData, [k, 3]);
        const y = spmm24(s, b);
        const { c, absSum } = refMatmul(dense, m, k, bData, 3);
        expect(maxRelError(await y.data(), c, absSum), `${s.layout} ${s.dtype}`).toBeLessThanOrEqual(1e-6);
        tf.dispose([b, y]);
      }
    });
  });
});

describe('spmm24T and sparseLinear', () => {
  it('spmm24T equals the float64 oracle of Aᵀ·B', async () => {
    await expectNoLeaks(async () => {
      const a = tf.tensor2d([
        [1, 0, 0, 2, 0, -3, 4, 0],
        [0, 0, 5, 6, 7, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0, 0],
      ]);
      const b = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const s = compress24(a); // before any kernel uses a: its values are still on the host on every backend
      const y = spmm24T(s, b);
      const z = tf.matMul(a, b, true, false);
      expect(Array.from(await y.data())).toEqual(Array.from(await z.data()));
      const yt = spmm24T(s, b, { kernel: 'tfjs' });
      expect(Array.from(await yt.data())).toEqual(Array.from(await z.data()));
      tf.dispose([a, b, y, z, yt]);
    });
  });
  it('sparseLinear = x·Wᵀ + b for host and tfjs kernels', async () => {
    await expectNoLeaks(async () => {
      const w = tf.tensor2d([
        [1, 0, 0, 2],
        [0, 3, 4, 0],
        [0, 0, -1, 1],
      ]);
      const x = tf.tensor2d([
        [1, 2, 3, 4],
        [-1, 0.5, 0, 2],
      ]);
      const bias = tf.tensor1d([0.5, -1, 2]);
      // the host kernel first, while x, w and bias are still host values (readable on every backend)
      const ys = (['host', 'tfjs'] as const).map((kernel) => sparseLinear(x, compress24(w), bias, { kernel }));
      const want = tf.tidy(() => tf.add(tf.matMul(x, w, false, true), bias));
      for (const y of ys) expect(Array.from(await y.data())).toEqual(Array.from(await want.data()));
      tf.dispose([w, x, bias, want, ...ys]);
    });
  });
  it('rejects sparse @ sparse, shape mismatches and non-sparse operands', () => {
    expectNoLeaks(() => {
      const a = tf.tensor2d([[1, 0, 0, 2]]);
      const s = compress24(a);
      const b = tf.ones([3, 2]);
      expect(() => spmm24(s, s as never)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
      expect(() => spmm24(s, b)).toThrow(/spmm24: b must have 4 rows \(a is \[1, 4\]\), got shape \[3, 2\]/);
      expect(() => spmm24(a as never, b)).toThrow(/a must be a Sparse24Tensor/);
      expect(() => sparseLinear(b, s)).toThrow(/x must have 4 columns/);
      tf.dispose([a, b]);
    });
  });
});

describe('a large operand read in place from kernel memory', () => {
  it('spmm24 / spmm24T on a 64 × 512 operand (kept in kernel memory once) equal the float64 product, also after the memory grew', async () => {
    const { alloc } = await import('@tessera/kernels');
    await expectNoLeaks(async () => {
      const m = 64;
      const k = 512;
      const n = 20;
      let s0 = 3;
      const rnd = () => {
        s0 = (s0 * 1103515245 + 12345) >>> 0;
        return s0 / 2 ** 32 - 0.5;
      };
      const x = Float32Array.from({ length: m * k }, rnd);
      const s = compress24({ dtype: 'float32', shape: [m, k], data: x }, { prune: 'magnitude' });
      const dense = decompress24Raw(s).data as Float32Array;
      const bd = Float32Array.from({ length: k * n }, rnd);
      const b = tf.tensor(bd, [k, n], 'float32');
      const ref = refMatmul(dense, m, k, bd, n);
      for (let round = 0; round < 2; round++) {
        const y = spmm24(s, b);
        expect(maxRelError((await y.data()) as Float32Array, ref.c, ref.absSum)).toBeLessThanOrEqual(1e-5);
        y.dispose();
        // grow kernel memory between the calls: the cached form's views must follow
        const big = alloc(Float32Array, 2 ** 22);
        big.free();
      }
      const bt = Float32Array.from({ length: m * n }, rnd);
      const btT = tf.tensor(bt, [m, n], 'float32');
      const yT = spmm24T(s, btT);
      const dT = new Float32Array(k * m);
      for (let r = 0; r < m; r++) for (let c = 0; c < k; c++) dT[c * m + r] = dense[r * k + c];
      const refT = refMatmul(dT, k, m, bt, n);
      expect(maxRelError((await yT.data()) as Float32Array, refT.c, refT.absSum)).toBeLessThanOrEqual(1e-5);
      tf.dispose([b, btT, yT]);
    });
  });
});
