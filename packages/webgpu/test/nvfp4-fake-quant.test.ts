import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { dequantizeNVFP4Array, quantizeNVFP4Array } from '@tessera/mx-formats';
import { expectBitsEqual, expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { fakeQuantizeNVFP4WebGPU } from '../src/index.js';
import { GPU_ONLY, mixedData, ON_WEBGPU } from './gpu.js';

async function gpu(x: Float32Array, shape: number[], axis = -1): Promise<Float32Array> {
  const t = tf.tensor(x, shape, 'float32');
  const y = fakeQuantizeNVFP4WebGPU(t, { axis });
  const v = (await y.data()) as Float32Array;
  tf.dispose([t, y]);
  return v;
}

describe(`fakeQuantizeNVFP4WebGPU = mx-formats host NVFP4 quantize→dequantize, bit for bit${GPU_ONLY}`, () => {
  it.skipIf(!ON_WEBGPU)('mixed data, partial blocks, other axes, NaN/Inf blocks, clamped scales, every binade', async () => {
    const shape = [5, 9, 37];
    const x = mixedData(5 * 9 * 37, 23);
    x[3] = Number.NaN;
    x[400] = Number.NEGATIVE_INFINITY;
    x[700] = 3e38;
    x[900] = 5000; // scale clamped at 448
    for (let i = 1000; i < 1016; i++) x[i] = 1e-3 * (i - 1008); // scale clamped at 2^-6
    for (const axis of [-1, 0, 1])
      expectBitsEqual(await gpu(x, shape, axis), dequantizeNVFP4Array(quantizeNVFP4Array(x, shape, { axis })), { label: `axis ${axis}` });
    const n = 16 * 278;
    const y = new Float32Array(n);
    const u = new Uint32Array(y.buffer);
    for (let b = 0; b < 278; b++)
      for (let j = 0; j < 16; j++) {
        const e = b - 149;
        const m = ((j * 2654435761) >>> 9) & 0x7fffff;
        u[b * 16 + j] =
          (e < -126 ? (m & ((1 << (e + 149)) - 1)) | (1 << (e + 149)) : e <= 127 ? ((e + 127) << 23) | m : 0) | (j & 1 ? 0x80000000 : 0);
      }
    expectBitsEqual(await gpu(y, [n]), dequantizeNVFP4Array(quantizeNVFP4Array(y, [n])), { label: 'binades' });
  });
});

describe('fakeQuantizeNVFP4WebGPU validation (every backend)', () => {
  it('rejects bad input with TesseraError codes, leaking nothing', () => {
    const x = tf.zeros([4, 32]);
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
      expect(code(() => fakeQuantizeNVFP4WebGPU(x, { axis: 5 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeNVFP4WebGPU(x, { tensorScale: 'auto' }))).toBe('UNSUPPORTED');
      expect(code(() => fakeQuantizeNVFP4WebGPU(x, { arithmetic: 'float32' }))).toBe('UNSUPPORTED');
      expect(code(() => fakeQuantizeNVFP4WebGPU(x, { axis: 0, padding: 'error' }))).toBe('INVALID_SHAPE');
      if (!ON_WEBGPU) expect(code(() => fakeQuantizeNVFP4WebGPU(x))).toBe('BACKEND_UNAVAILABLE');
    });
    x.dispose();
  });
});
