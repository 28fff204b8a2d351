import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect } from 'vitest';
import { flushSlack, maxRelError, refMatmul, refTranspose } from '../test/reference/matmul.js';
import { compress24, decompress24Raw } from './compress.js';
import { gemmHostUnchecked, sddmmHostUnchecked, spmmHostUnchecked, transposeHostUnchecked } from './kernels/index.js';
import { kernelForm } from './sparse24-tensor.js';
import { spmm24, spmm24T } from './spmm.js';

const value = fc.float({ min: Math.fround(-100), max: Math.fround(100), noNaN: true });
const problem = fc
  .record({ m: fc.integer({ min: 1, max: 9 }), g: fc.integer({ min: 1, max: 7 }), n: fc.integer({ min: 1, max: 11 }) })
  .chain(({ m, g, n }) =>
    fc.record({
      m: fc.constant(m),
      k: fc.constant(4 * g),
      n: fc.constant(n),
      a: fc.array(value, { minLength: m * 4 * g, maxLength: m * 4 * g }),
      b: fc.array(value, { minLength: 4 * g * n, maxLength: 4 * g * n }),
      layout: fc.constantFrom('simple' as const),
    }),
  );

describe('spmm24 properties (float32, 1e-5 relative to Σ|a||b|)', () => {
  test.prop([problem], { numRuns: 150 })(
    'host and tfjs kernels equal the dense product of the decompressed operand',
    async ({ m, k, n, a, b }) => {
      const at = tf.tensor(Float32Array.from(a), [m, k]);
      const bt = tf.tensor(Float32Array.from(b), [k, n]);
      const s = compress24(at, { prune: 'magnitude' });
      const dense = decompress24Raw(s).data as Float32Array;
      const { c, absSum } = refMatmul(dense, m, k, Float32Array.from(b), n);
      // On a real GPU (the suite on TESSERA_BACKEND=webgpu) the tfjs ops flush float32 subnormals: the H200 run lost a
      // product −1.72 × 6.8e-39 (a subnormal operand) whose exact value, 1.0000000326·2^-126, just passed the
      // absolute floor of maxRelError. The loss such a flush can cause is forgiven there, and only there (flushSlack).
      const gpu = tf.getBackend() === 'webgpu';
      for (const kernel of ['host', 'tfjs'] as const) {
        const y = spmm24(s, bt, { kernel });
        const slack = gpu && kernel === 'tfjs' ? flushSlack(dense, m, k, b, n) : undefined;
        expect(maxRelError(await y.data(), c, absSum, slack)).toBeLessThanOrEqual(1e-5); // asynchronous: webgpu in Node
        y.dispose();
      }
      // Transposed form: Aᵀ·B2 with B2 [m, n] (the default kernel: tfjs ops where tensors cannot be read synchronously)
      const b2 = Float32Array.from(b.slice(0, m * n).concat(new Array(Math.max(0, m * n - b.length)).fill(1)));
      const b2t = tf.tensor(b2, [m, n]);
      const yT = spmm24T(s, b2t);
      const aT = refTranspose(dense, m, k);
      const ref = refMatmul(aT, k, m, b2, n);
      expect(maxRelError(await yT.data(), ref.c, ref.absSum, gpu ? flushSlack(aT, k, m, b2, n) : undefined)).toBeLessThanOrEqual(1e-5);
      tf.dispose([at, bt, b2t, yT]);
    },
  );

  test.prop([problem], { numRuns: 100 })('dense host kernel, sddmm and transpose equal the oracle', ({ m, k, n, a, b }) => {
    const af = Float32Array.from(a);
    const bf = Float32Array.from(b);
    const { c, absSum } = refMatmul(af, m, k, bf, n);
    expect(maxRelError(gemmHostUnchecked(af, m, k, bf, n), c, absSum)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(transposeHostUnchecked(af, m, k))).toEqual(refTranspose(af, m, k));
    // sddmm: X [m, n'] · Yᵀ sampled at the 2:4 pattern of a, with Y [k, n']
    const s = compress24({ dtype: 'float32', shape: [m, k], data: af }, { prune: 'magnitude' });
    const form = kernelForm(s);
    const d = 3;
    const x = Float32Array.from({ length: m * d }, (_, i) => ((i * 7) % 5) - 2);
    const y = Float32Array.from({ length: k * d }, (_, i) => ((i * 3) % 7) - 3);
    const got = sddmmHostUnchecked(x, m, d, y, form.cols, k);
    const full = refMatmul(x, m, d, refTranspose(y, k, d), k);
    for (let r = 0; r < m; r++)
      for (let t = 0; t < k / 2; t++) expect(got[r * (k / 2) + t]).toBe(full.c[r * k + form.cols[r * (k / 2) + t]]);
    // spmm host with explicit form equals dense kernel on decompressed data
    const dense = decompress24Raw(s).data as Float32Array;
    const ref2 = refMatmul(dense, m, k, bf, n);
    expect(maxRelError(spmmHostUnchecked(form.values, form.cols, m, k, bf, n), ref2.c, ref2.absSum)).toBeLessThanOrEqual(1e-5);
  });

  test.prop([fc.array(fc.integer({ min: -4096, max: 4096 }), { minLength: 32 * 64, maxLength: 32 * 64 })], { numRuns: 10 })(
    'CUTLASS float16 operand: host kernel equals the oracle on the decoded float16 values',
    async (ints) => {
      const x = tf.tensor(
        Float32Array.from(ints, (v) => v / 64),
        [32, 64],
      );
      const s = compress24(x, { layout: 'cutlass', dtype: 'float16', prune: 'magnitude' });
      const b = tf.tidy(() => tf.reshape(tf.linspace(-1, 1, 64 * 5), [64, 5]));
      const y = spmm24(s, b);
      const { c, absSum } = refMatmul(kernelDense(s), 32, 64, await b.data(), 5);
      expect(maxRelError(await y.data(), c, absSum)).toBeLessThanOrEqual(1e-5);
      // the kernel's decoded operand is exactly the float16 decompression
      const raw = decompress24Raw(s);
      expect(raw.dtype).toBe('float16');
      expect(Array.from(kernelDense(s))).toEqual(Array.from(new Float32Array(raw.data.length).map((_, i) => f16(raw.data[i]))));
      tf.dispose([x, b, y]);
    },
  );
});

/** float16 bits → number (golden README decoder). */
function f16(h: number): number {
  const sg = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sg * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : sg * Number.POSITIVE_INFINITY;
  return sg * (1 + m / 1024) * 2 ** (e - 15);
}

/** Dense float32 view of a compressed operand through its kernel form. */
function kernelDense(s: ReturnType<typeof compress24>): Float32Array {
  const [m, k] = s.shape;
  const f = kernelForm(s);
  const out = new Float32Array(m * k);
  for (let r = 0; r < m; r++) for (let t = 0; t < k / 2; t++) out[r * k + f.cols[r * (k / 2) + t]] = f.values[r * (k / 2) + t];
  return out;
}
