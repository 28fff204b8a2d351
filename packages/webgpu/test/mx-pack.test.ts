import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { dequantizeMXArray, MX_FORMATS, type MXOptions, type MXTensor, quantizeMXArray, SCALE_MODES } from '@tessera/mx-formats';
import { expectBitsEqual, expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { dequantizeMXWebGPU, quantizeMXWebGPU, readMXWebGPU, type WebGPUMXPackOptions } from '../src/index.js';
import { GPU_ONLY, mixedData, ON_WEBGPU } from './gpu.js';

async function gpuQuantize(x: Float32Array, shape: number[], o: WebGPUMXPackOptions): Promise<MXTensor> {
  const t = tf.tensor(x, shape, 'float32');
  const q = quantizeMXWebGPU(t, o);
  const m = await readMXWebGPU(q);
  tf.dispose([t, q.data, q.scales]);
  return m;
}

/** Compares every field and byte of two MXTensors, naming the first differing byte. */
function expectSameMX(got: MXTensor, want: MXTensor, label: string): void {
  expect({ ...got, scales: undefined, data: undefined }, label).toEqual({ ...want, scales: undefined, data: undefined });
  for (const f of ['scales', 'data'] as const) {
    expect(got[f].length, `${label} ${f}.length`).toBe(want[f].length);
    const i = got[f].findIndex((b, j) => b !== want[f][j]);
    if (i >= 0) throw new Error(`${label}: ${f}[${i}] = ${got[f][i]}, host ${want[f][i]}`);
  }
}

describe(`quantizeMXWebGPU / dequantizeMXWebGPU = mx-formats quantizeMX / dequantizeMX, byte for byte${GPU_ONLY}`, () => {
  it.skipIf(!ON_WEBGPU)('every format × scale mode × rounding; both FP6 packings; dequantize from host and GPU bytes', async () => {
    const shape = [24, 96];
    const x = mixedData(24 * 96, 13);
    x[40] = Number.NaN;
    x[200] = Number.NEGATIVE_INFINITY;
    x[777] = 3.3e38;
    for (const format of MX_FORMATS)
      for (const scaleMode of SCALE_MODES)
        for (const rounding of ['even', 'nearest', 'floor'] as const)
          for (const fp6Packing of format.startsWith('mxfp6') && rounding === 'even'
            ? (['packed', 'unpacked'] as const)
            : (['packed'] as const)) {
            const o = { format, scaleMode, rounding, fp6Packing };
            const label = JSON.stringify(o);
            const want = quantizeMXArray(x, shape, o as MXOptions);
            const got = await gpuQuantize(x, shape, o);
            expectSameMX(got, want, label);
            const y = dequantizeMXWebGPU(want);
            expectBitsEqual((await y.data()) as Float32Array, dequantizeMXArray(want), { label: `dequantize ${label}` });
            y.dispose();
          }
  });

  it.skipIf(!ON_WEBGPU)('block sizes, partial blocks, other axes, subnormal modes; GPU-resident round trip', async () => {
    const shape = [5, 6, 45];
    const x = mixedData(5 * 6 * 45, 17);
    x[9] = Number.POSITIVE_INFINITY;
    for (const format of MX_FORMATS)
      for (const blockSize of [1, 7, 32, 45])
        for (const axis of [-1, 0, 1])
          for (const subnormals of ['keep', 'flush-elements', 'flush-block'] as const) {
            const o = { format, blockSize, axis, subnormals, scaleMode: blockSize === 7 ? ('rceil' as const) : ('floor' as const) };
            const label = JSON.stringify(o);
            const want = quantizeMXArray(x, shape, o as MXOptions);
            const t = tf.tensor(x, shape, 'float32');
            const q = quantizeMXWebGPU(t, o);
            expectSameMX(await readMXWebGPU(q), want, label);
            const y = dequantizeMXWebGPU(q);
            expect(y.shape).toEqual(shape);
            expectBitsEqual((await y.data()) as Float32Array, dequantizeMXArray(want), { label: `dequantize ${label}` });
            tf.dispose([t, q.data, q.scales, y]);
          }
  });

  it.skipIf(!ON_WEBGPU)('dequantize of arbitrary bytes: every code, NaN/Inf codes, every scale byte', async () => {
    for (const format of MX_FORMATS) {
      const bits = format === 'mxfp4_e2m1' ? 4 : format.startsWith('mxfp6') ? 6 : 8;
      for (const packing of bits === 6 ? (['fp6x4in3', 'fp6-unpacked'] as const) : ([bits === 4 ? 'fp4x2' : 'byte'] as const)) {
        // 256 blocks of 32: block b has scale byte b; codes run through every value
        const n = 256 * 32;
        const codes = Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 5)) % (1 << bits));
        let data: Uint8Array;
        if (packing === 'fp4x2') data = Uint8Array.from({ length: n / 2 }, (_, j) => codes[2 * j] | (codes[2 * j + 1] << 4));
        else if (packing === 'fp6x4in3') {
          data = new Uint8Array((n * 6) / 8);
          for (let g = 0; g < n / 4; g++) {
            const w = codes[4 * g] | (codes[4 * g + 1] << 6) | (codes[4 * g + 2] << 12) | (codes[4 * g + 3] << 18);
            data.set([w & 0xff, (w >> 8) & 0xff, w >> 16], 3 * g);
          }
        } else data = codes;
        const scales = Uint8Array.from({ length: 256 }, (_, b) => b);
        const m: MXTensor = { format, shape: [n], axis: 0, blockSize: 32, packing, scales, data, byteLength: 256 + data.length };
        const y = dequantizeMXWebGPU(m);
        expectBitsEqual((await y.data()) as Float32Array, dequantizeMXArray(m), { label: `${format} ${packing}` });
        y.dispose();
      }
    }
  });
});

describe('quantizeMXWebGPU / dequantizeMXWebGPU validation (every backend)', () => {
  it('rejects bad input with TesseraError codes, leaking nothing', () => {
    const x = tf.zeros([4, 32]);
    const xi = tf.zeros([2], 'int32');
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
      expect(code(() => quantizeMXWebGPU(xi, { format: 'mxfp8_e4m3' }))).toBe('INVALID_DTYPE');
      expect(code(() => quantizeMXWebGPU(x, { format: 'fp8' as never }))).toBe('INVALID_ARGUMENT');
      expect(code(() => quantizeMXWebGPU(x, { format: 'mxint8', fp6Packing: 'dense' as never }))).toBe('INVALID_ARGUMENT');
      expect(code(() => quantizeMXWebGPU(x, { format: 'mxint8', rounding: 'stochastic' }))).toBe('UNSUPPORTED');
      expect(code(() => quantizeMXWebGPU(x, { format: 'mxint8', blockSize: 3, padding: 'error' }))).toBe('INVALID_SHAPE');
      expect(code(() => quantizeMXWebGPU(x, { format: 'mxint8', blockSize: 65537 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => dequantizeMXWebGPU({ format: 'mxint8' } as never))).toBe('INVALID_FORMAT');
      expect(code(() => dequantizeMXWebGPU(null as never))).toBe('INVALID_ARGUMENT');
      if (!ON_WEBGPU) expect(code(() => quantizeMXWebGPU(x, { format: 'mxint8' }))).toBe('BACKEND_UNAVAILABLE');
    });
    tf.dispose([x, xi]);
  });
});
