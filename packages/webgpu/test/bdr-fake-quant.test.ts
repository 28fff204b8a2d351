import * as tf from '@tensorflow/tfjs-core';
import { BDR_MX4, BDR_MX6, BDR_MX9, type BDRFormat, bdrFormat, bdrQuantizer, bfp, MSFP12, MSFP16, QUARK_BFP16 } from '@tessera/bdr-formats';
import { axisLayout, moveAxisBack, moveAxisLast, TesseraError } from '@tessera/core';
import { expectBitsEqual, expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { setBDRKernelVariant } from '../src/bdr-fake-quant.js';
import { fakeQuantizeBDRWebGPU, type WebGPUBDROptions } from '../src/index.js';
import { GPU_ONLY, mixedData, ON_WEBGPU } from './gpu.js';

/** The host kernel of @tessera/bdr-formats (fakeQuantizeRows through bdrQuantizer), row by row of the axis-last layout. */
function host(x: Float32Array, shape: number[], f: BDRFormat, o: WebGPUBDROptions = {}): Float32Array {
  const g = axisLayout(shape, o.axis ?? -1);
  const moved = moveAxisLast(x, g);
  const q = bdrQuantizer(f, { rounding: o.rounding, clamp: o.clamp });
  const out = new Float32Array(moved.length);
  for (let r = 0; r < g.rows; r++) out.set(q.fakeQuantize(moved.subarray(r * g.L, (r + 1) * g.L)), r * g.L);
  return moveAxisBack(out, g);
}

async function gpu(x: Float32Array, shape: number[], f: BDRFormat, o: WebGPUBDROptions = {}): Promise<Float32Array> {
  const t = tf.tensor(x, shape, 'float32');
  const y = fakeQuantizeBDRWebGPU(t, f, o);
  const v = (await y.data()) as Float32Array;
  tf.dispose([t, y]);
  return v;
}

/** Mixed data with non-finite values and magnitudes near FLT_MAX (E = 127) spread over the blocks. */
function data(n: number, seed: number): Float32Array {
  const x = mixedData(n, seed);
  for (let i = 5; i < n; i += 97) x[i] = Number.NaN;
  for (let i = 11; i < n; i += 131) x[i] = i & 1 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (let i = 17; i < n; i += 113) x[i] = (i & 1 ? -1 : 1) * 3.3e38 * (1 - (i % 7) / 100);
  return x;
}

const PRESETS = [BDR_MX4, BDR_MX6, BDR_MX9, MSFP12, MSFP16, QUARK_BFP16];
const ROUNDINGS = ['rne', 'ties-away', 'truncate'] as const;

describe(`fakeQuantizeBDRWebGPU = bdr-formats host fake quantization, bit for bit${GPU_ONLY}`, () => {
  it.skipIf(!ON_WEBGPU)('presets × roundings × clamps, both programs (vectorised and thread per block)', async () => {
    const shape = [32, 96];
    const x = data(32 * 96, 5);
    try {
      for (const v of ['auto', 'vec4-reload', 'block'] as const) {
        setBDRKernelVariant(v);
        for (const f of PRESETS)
          for (const rounding of v === 'vec4-reload' ? (['rne'] as const) : ROUNDINGS)
            for (const clamp of ['field', 'quark'] as const) {
              const o = { rounding, clamp };
              expectBitsEqual(await gpu(x, shape, f, o), host(x, shape, f, o), { label: `${v} ${f.name} ${JSON.stringify(o)}` });
            }
      }
    } finally {
      setBDRKernelVariant('auto');
    }
  });

  it.skipIf(!ON_WEBGPU)('other formats, partial blocks, other axes, every float32 binade', async () => {
    const formats = [
      bdrFormat({ k1: 12, d1: 6, k2: 3, d2: 2, m: 5 }),
      bdrFormat({ k1: 32, d1: 8, k2: 8, d2: 1, m: 3 }),
      bdrFormat({ k1: 8, d1: 4, k2: 1, d2: 4, m: 23 }),
      bdrFormat({ k1: 4, d1: 8, k2: 2, d2: 3, m: 22 }),
      bdrFormat({ k1: 256, d1: 8, k2: 4, d2: 2, m: 7 }),
      bdrFormat({ k1: 16, d1: 3, k2: 16, d2: 1, m: 2 }),
      bfp(1, 4),
      bfp(300, 11, 5),
    ];
    const x = data(6 * 7 * 48, 9);
    for (const f of formats)
      for (const [shape, axis] of [
        [[6, 7, 48], -1],
        [[6, 7, 48], 1],
        [[6, 7, 48], 0],
        [[14, 144], -1],
      ] as [number[], number][])
        for (const clamp of ['field', 'quark'] as const) {
          const o = { axis, clamp, rounding: 'rne' as const };
          expectBitsEqual(await gpu(x, shape, f, o), host(x, shape, f, o), { label: `${f.name} [${shape}] ${JSON.stringify(o)}` });
        }
    // block b holds values of binade b − 149 (subnormals first), varied mantissas and signs
    const n = 16 * 278;
    const y = new Float32Array(n);
    const u = new Uint32Array(y.buffer);
    for (let b = 0; b < 278; b++)
      for (let j = 0; j < 16; j++) {
        const e = b - 149;
        const m = ((j * 2654435761) >>> 9) & 0x7fffff;
        u[b * 16 + j] =
          ((e < -126 ? (m & ((1 << (e + 149)) - 1)) | (1 << (e + 149)) : e <= 127 ? ((e + 127) << 23) | m : 0) |
            (j & 1 ? 0x80000000 : 0)) >>>
          0;
      }
    for (const f of [...PRESETS, ...formats])
      for (const rounding of ROUNDINGS)
        for (const clamp of ['field', 'quark'] as const) {
          const o = { rounding, clamp };
          expectBitsEqual(await gpu(y, [n], f, o), host(y, [n], f, o), { label: `binades ${f.name} ${JSON.stringify(o)}` });
        }
  });

  it.skipIf(!ON_WEBGPU)('straight-through gradient and no leaks', async () => {
    const x = tf.tensor(mixedData(256, 3), [8, 32]);
    const w = tf.randomNormal([8, 32]);
    const before = tf.memory().numTensors;
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeBDRWebGPU(v, BDR_MX6), w)))(x);
    expectBitsEqual(await g.data(), await w.data());
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});

describe('fakeQuantizeBDRWebGPU validation (every backend)', () => {
  it('rejects bad input with TesseraError codes, leaking nothing', () => {
    const x = tf.zeros([4, 32]);
    const xi = tf.zeros([2], 'int32');
    const sc = tf.scalar(1);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TesseraError);
        return (e as TesseraError).code;
      }
      return 'no error';
    };
    expectNoLeaks(() => {
      expect(code(() => fakeQuantizeBDRWebGPU(xi, BDR_MX6))).toBe('INVALID_DTYPE');
      expect(code(() => fakeQuantizeBDRWebGPU(x, null as never))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeBDRWebGPU(x, { ...BDR_MX6, k2: 3 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeBDRWebGPU(x, BDR_MX6, { axis: 2 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeBDRWebGPU(x, BDR_MX6, { rounding: 'up' as never }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeBDRWebGPU(x, BDR_MX6, { clamp: 'none' as never }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeBDRWebGPU(x, BDR_MX6, { rounding: 'stochastic' }))).toBe('UNSUPPORTED');
      expect(code(() => fakeQuantizeBDRWebGPU(x, bfp(12, 4), { padding: 'error' }))).toBe('INVALID_SHAPE');
      expect(code(() => fakeQuantizeBDRWebGPU(sc, BDR_MX6))).toBe('INVALID_SHAPE');
      if (!ON_WEBGPU) expect(code(() => fakeQuantizeBDRWebGPU(x, BDR_MX6))).toBe('BACKEND_UNAVAILABLE');
    });
    tf.dispose([x, xi, sc]);
  });
});
