// Regressions for parameters that alone could demand unbounded memory or time (blockSize; an empty tensor with a
// huge blocked axis) and for loaders that accepted stored shapes other than the ones written.
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, serializeSafetensors, TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  dequantizeMX,
  dequantizeNVFP4,
  fakeQuantizeMX,
  fakeQuantizeNVFP4,
  loadMX,
  MX_MAX_BLOCK_SIZE,
  mxFromSafetensors,
  mxLinear,
  quantizeMX,
  quantizeMXArray,
  quantizeNVFP4,
  quantizeNVFP4Array,
  saveMX,
} from '../src/index.js';

function expectCode(fn: () => unknown, code: string): TesseraError {
  let err: unknown;
  expectNoLeaks(() => {
    try {
      fn();
    } catch (e) {
      err = e;
    }
  });
  expect(err).toBeInstanceOf(TesseraError);
  expect((err as TesseraError).code).toBe(code);
  return err as TesseraError;
}

describe('blockSize is bounded (cost follows the input, not the option)', () => {
  it('2^30, 2^24, 2^26, 2^31, 2^53, 1e300 on a 1-element input: INVALID_ARGUMENT naming the bound, at once', () => {
    const x = tf.tensor1d([1.5]);
    for (const blockSize of [2 ** 30, 2 ** 24, 2 ** 26, 2 ** 31, 2 ** 53, 1e300, MX_MAX_BLOCK_SIZE + 1]) {
      const t0 = performance.now();
      const e = expectCode(() => quantizeMX(x, { format: 'mxfp8_e4m3', blockSize }), 'INVALID_ARGUMENT');
      expect(e.message).toContain(`at most ${MX_MAX_BLOCK_SIZE}`);
      expectCode(() => fakeQuantizeMX(x, { format: 'mxfp4_e2m1', blockSize }), 'INVALID_ARGUMENT');
      expectCode(() => quantizeMXArray(new Float32Array(1), [1], { format: 'mxint8', blockSize }), 'INVALID_ARGUMENT');
      expect(performance.now() - t0).toBeLessThan(1000);
    }
    // the bound itself works on a 1-element input
    const m = quantizeMX(x, { format: 'mxint8', blockSize: MX_MAX_BLOCK_SIZE });
    expect(m.scales.length).toBe(1);
    x.dispose();
  });
  it('padding a short axis of many rows to a large block is refused (at most 32 × size + 2^20 codes)', () => {
    const x = tf.zeros([4096, 1]);
    const e = expectCode(() => fakeQuantizeMX(x, { format: 'mxfp8_e4m3', blockSize: 65536 }), 'INVALID_ARGUMENT');
    expect(e.message).toContain('32 × size + 2^20');
    expectCode(() => quantizeMX(x, { format: 'mxfp8_e4m3', blockSize: 65536 }), 'INVALID_ARGUMENT');
    const w = tf.zeros([4, 1]);
    const e2 = expectCode(() => mxLinear(x, w, { a: { format: 'mxint8', blockSize: 65536 }, w: { format: 'mxint8' } }), 'INVALID_ARGUMENT');
    expect(e2.message).toContain('32 × size + 2^20');
    tf.dispose([x, w]);
  });
});

describe('empty tensors with a huge blocked axis return at once', () => {
  it('[1e12, 0] and [1e9, 0] along axis 0 and axis 1', () => {
    for (const shape of [
      [1e12, 0],
      [1e9, 0],
      [0, 1e12],
    ]) {
      for (const axis of [0, 1]) {
        const t0 = performance.now();
        const m = quantizeMXArray(new Float32Array(0), shape, { format: 'mxfp8_e4m3', axis });
        expect(m.data.length).toBe(0);
        const dm = dequantizeMX(m);
        expect(dm.shape).toEqual(shape);
        dm.dispose();
        const n = quantizeNVFP4Array(new Float32Array(0), shape, { axis });
        const d = dequantizeNVFP4(n);
        expect(d.size).toBe(0);
        tf.dispose(d);
        expect(performance.now() - t0).toBeLessThan(1000);
      }
    }
  });
  it('the tensor entry points too (quantizeMX, fakeQuantizeMX, quantizeNVFP4, fakeQuantizeNVFP4)', () => {
    const x = tf.zeros([1e9, 0]);
    const t0 = performance.now();
    expect(quantizeMX(x, { format: 'mxint8', axis: 0 }).scales.length).toBe(0);
    for (const kernel of ['host', 'tfjs'] as const) {
      const y = fakeQuantizeMX(x, { format: 'mxint8', axis: 0, kernel });
      expect(y.shape).toEqual([1e9, 0]);
      y.dispose();
    }
    expect(quantizeNVFP4(x, { axis: 0 }).data.length).toBe(0);
    const z = fakeQuantizeNVFP4(x, { axis: -1 });
    z.dispose();
    expect(performance.now() - t0).toBeLessThan(2000);
    x.dispose();
  });
});

describe('loadMX checks every stored shape', () => {
  it('scale and qdata with the right byte counts but other shapes are CORRUPT_DATA', () => {
    const m = quantizeMXArray(new Float32Array(64), [2, 32], { format: 'mxfp8_e4m3' });
    const { tensors, metadata } = parseSafetensors(saveMX(m));
    const bad = (name: 'qdata' | 'scale', shape: number[]) =>
      serializeSafetensors({ ...tensors, [name]: { ...tensors[name], shape } }, metadata);
    expectCode(() => loadMX(bad('scale', [1, 2])), 'CORRUPT_DATA');
    expectCode(() => loadMX(bad('qdata', [64])), 'CORRUPT_DATA');
    expectCode(() => loadMX(bad('qdata', [1, 64])), 'CORRUPT_DATA');
    expect(loadMX(saveMX(m)).shape).toEqual([2, 32]);
    expectCode(() => mxFromSafetensors(null as never), 'INVALID_ARGUMENT');
    expectCode(
      () =>
        mxFromSafetensors({
          tensors: { qdata: { dtype: 'U8', shape: [1], data: 'x' }, scale: { dtype: 'U8', shape: [1], data: null } },
          metadata: { format: 'mxint8', shape: '[1]', block_size: '32', axis: '0', packing: 'byte' },
        } as never),
      'CORRUPT_DATA',
    );
  });
  it('a 5,000-level nested shape in the metadata is an error, not a RangeError', () => {
    const m = quantizeMXArray(new Float32Array(32), [32], { format: 'mxint8' });
    const { tensors, metadata } = parseSafetensors(saveMX(m));
    const bytes = serializeSafetensors(tensors, { ...metadata, shape: `${'['.repeat(5000)}1${']'.repeat(5000)}` });
    expect(() => loadMX(bytes)).toThrow(TesseraError);
  });
});
