import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { dequantizeMXArray, MX_FORMATS, type MXOptions, quantizeMXArray, SCALE_MODES } from '@tessera/mx-formats';
import { expectBitsEqual, expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { fakeQuantizeMXWebGPU, type WebGPUMXOptions } from '../src/index.js';
import { setMXKernelVariant } from '../src/mx-fake-quant.js';
import { GPU_ONLY, mixedData, ON_WEBGPU } from './gpu.js';

/** The host path of @tessera/mx-formats: quantize then dequantize, on host arrays. */
function host(x: Float32Array, shape: number[], o: WebGPUMXOptions): Float32Array {
  return dequantizeMXArray(quantizeMXArray(x, shape, o as MXOptions));
}

async function gpu(x: Float32Array, shape: number[], o: WebGPUMXOptions): Promise<Float32Array> {
  const t = tf.tensor(x, shape, 'float32');
  const y = fakeQuantizeMXWebGPU(t, o);
  const v = (await y.data()) as Float32Array;
  tf.dispose([t, y]);
  return v;
}

describe(`fakeQuantizeMXWebGPU = mx-formats host quantize→dequantize, bit for bit${GPU_ONLY}`, () => {
  it.skipIf(!ON_WEBGPU)(
    'every format × scale mode × rounding, mixed data with subnormals, zeros and ties; all three programs',
    async () => {
      expect(tf.getBackend()).toBe('webgpu');
      const shape = [64, 96];
      const x = mixedData(64 * 96, 7);
      try {
        for (const v of ['vec4', 'vec4-reload', 'tiled', 'block'] as const) {
          setMXKernelVariant(v);
          for (const format of MX_FORMATS)
            for (const scaleMode of v === 'vec4' ? SCALE_MODES : (['floor'] as const))
              for (const rounding of ['even', 'nearest', 'floor'] as const)
                for (const blockSize of v === 'vec4' && rounding === 'even' ? [32, 4, 16] : [32]) {
                  const o = { format, scaleMode, rounding, blockSize };
                  expectBitsEqual(await gpu(x, shape, o), host(x, shape, o), { label: `${v} ${JSON.stringify(o)}` });
                }
        }
      } finally {
        setMXKernelVariant('auto');
      }
    },
  );

  it.skipIf(!ON_WEBGPU)('block sizes, partial blocks, other axes, subnormal modes, NaN/Inf blocks', async () => {
    const x = mixedData(6 * 7 * 45, 11);
    x[5] = Number.NaN;
    x[300] = Number.POSITIVE_INFINITY;
    x[1000] = Number.NEGATIVE_INFINITY;
    x[1201] = 3.4e38;
    x[1500] = -3.3e38;
    const shape = [6, 7, 45];
    for (const format of MX_FORMATS)
      for (const blockSize of [1, 7, 8, 16, 32, 45, 64, 300])
        for (const axis of [-1, 0, 1])
          for (const subnormals of ['keep', 'flush-elements', 'flush-block'] as const) {
            const o = { format, blockSize, axis, subnormals, scaleMode: blockSize === 7 ? ('rceil' as const) : ('even' as const) };
            expectBitsEqual(await gpu(x, shape, o), host(x, shape, o), { label: JSON.stringify(o) });
          }
  });

  it.skipIf(!ON_WEBGPU)('extreme scales: tiny and huge blocks, every FP32 binade', async () => {
    const n = 32 * 278;
    const x = new Float32Array(n);
    const u = new Uint32Array(x.buffer);
    // block b holds values of binade b − 149 (subnormals first) with varied mantissas and signs
    for (let b = 0; b < 278; b++)
      for (let j = 0; j < 32; j++) {
        const e = b - 149;
        if (e < -126)
          u[b * 32 + j] = ((((j * 2654435761) >>> 0) & ((1 << (e + 149)) - 1)) | (1 << (e + 149)) | (j & 1 ? 0x80000000 : 0)) >>> 0;
        else if (e <= 127) u[b * 32 + j] = (((e + 127) << 23) | (((j * 2654435761) >>> 9) & 0x7fffff) | (j & 1 ? 0x80000000 : 0)) >>> 0;
      }
    for (const format of MX_FORMATS)
      for (const scaleMode of SCALE_MODES) {
        const o = { format, scaleMode };
        expectBitsEqual(await gpu(x, [n], o), host(x, [n], o), { label: JSON.stringify(o) });
      }
  });

  it.skipIf(!ON_WEBGPU)('straight-through gradient and no leaks', async () => {
    const x = tf.tensor(mixedData(256, 3), [8, 32]);
    const w = tf.randomNormal([8, 32]);
    const before = tf.memory().numTensors;
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeMXWebGPU(v, { format: 'mxfp4_e2m1' }), w)))(x);
    expectBitsEqual(await g.data(), await w.data());
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});

describe('fakeQuantizeMXWebGPU validation (every backend)', () => {
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
      expect(code(() => fakeQuantizeMXWebGPU(xi, { format: 'mxfp8_e4m3' }))).toBe('INVALID_DTYPE');
      expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'fp8' as never }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'mxint8', blockSize: 0 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'mxint8', blockSize: 65537 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'mxint8', axis: 2 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'mxint8', rounding: 'stochastic' }))).toBe('UNSUPPORTED');
      expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'mxint8', inputPrecision: 'bfloat16' }))).toBe('UNSUPPORTED');
      expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'mxint8', blockSize: 3, padding: 'error' }))).toBe('INVALID_SHAPE');
      expect(code(() => fakeQuantizeMXWebGPU(sc, { format: 'mxint8' }))).toBe('INVALID_SHAPE');
      if (!ON_WEBGPU) expect(code(() => fakeQuantizeMXWebGPU(x, { format: 'mxint8' }))).toBe('BACKEND_UNAVAILABLE');
    });
    tf.dispose([x, xi, sc]);
  });
});
