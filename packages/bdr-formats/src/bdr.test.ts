// Unit tests: formats, errors, tensor entry points (fake = quantize→dequantize on the active backend, STE gradient,
// no leaks on success or error paths).
import * as tf from '@tensorflow/tfjs-core';
import { rng, TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, test } from 'vitest';
import { thrownInTidy } from '../test/errors.js';
import {
  BDR_MX4,
  BDR_MX6,
  BDR_MX9,
  bdrFormat,
  bfp,
  bitsPerElement,
  dequantizeBDR,
  dequantizeBDRArray,
  fakeQuantizeBDR,
  MSFP12,
  MSFP16,
  QUARK_BFP16,
  quantizeBDR,
  quantizeBDRArray,
  validateBDR,
} from './index.js';

const code = (e: unknown) => (e instanceof TesseraError ? e.code : e);

describe('formats', () => {
  test('presets and bits per element ([BDR] Table; MSFP/Quark bfp16)', () => {
    expect([BDR_MX9, BDR_MX6, BDR_MX4, MSFP16, MSFP12, QUARK_BFP16].map(bitsPerElement)).toEqual([9, 6, 4, 8.5, 4.5, 9]);
    expect([BDR_MX9.k1, BDR_MX9.d1, BDR_MX9.k2, BDR_MX9.d2, BDR_MX9.m]).toEqual([16, 8, 2, 1, 7]);
    expect([BDR_MX6.m, BDR_MX4.m, MSFP12.m, MSFP16.m, QUARK_BFP16.k1]).toEqual([4, 2, 3, 7, 8]);
    expect(bitsPerElement(bdrFormat({ k1: 16, d1: 8, k2: 8, d2: 1, m: 7 }))).toBe(8.625);
    expect(bitsPerElement(bfp(32, 3, 6))).toBe(4 + 6 / 32);
    expect(bfp(16, 7).name).toBe('BFP(k=16,m=7,d1=8)');
    expect(Object.isFrozen(BDR_MX9)).toBe(true);
  });
  test.each([
    [{ k1: 16, d1: 8, k2: 3, d2: 1, m: 4 }, 'k2 must divide'],
    [{ k1: 16, d1: 8, k2: 2, d2: 1, m: 0 }, 'm must be'],
    [{ k1: 16, d1: 0, k2: 2, d2: 1, m: 4 }, 'd1 must be'],
    [{ k1: 16, d1: 9, k2: 2, d2: 1, m: 4 }, 'd1 must be'],
    [{ k1: 16, d1: 8, k2: 2, d2: 5, m: 4 }, 'd2 must be'],
    [{ k1: 0, d1: 8, k2: 1, d2: 0, m: 4 }, 'k1 must be'],
    [{ k1: 2 ** 17, d1: 8, k2: 1, d2: 0, m: 4 }, 'k1 must be'],
    [{ k1: 16, d1: 8, k2: 32, d2: 1, m: 4 }, 'k2 must be'],
    [{ k1: 16, d1: 8, k2: 2, d2: 1, m: 24 }, 'm must be'],
    [{ k1: 16.5, d1: 8, k2: 2, d2: 1, m: 4 }, 'k1 must be an integer'],
  ])('bdrFormat rejects %o', (p, msg) => {
    let err: unknown;
    try {
      bdrFormat(p);
    } catch (e) {
      err = e;
    }
    expect(code(err)).toBe('INVALID_ARGUMENT');
    expect((err as Error).message).toContain(msg);
  });
});

describe('tensor entry points', () => {
  const x = rng(7).normalArray(3 * 40);
  x[5] = 0;
  x[6] = -0;
  x[7] = 2 ** -140;
  x[8] = -(2 ** -149);
  x[9] = -1e-30;
  for (const f of [BDR_MX9, BDR_MX6, BDR_MX4, MSFP12, QUARK_BFP16]) {
    for (const axis of [-1, 0]) {
      test(`${f.name}, axis ${axis}: fakeQuantizeBDR equals dequantizeBDR(quantizeBDR) bit for bit`, async () => {
        // Read asynchronously, and give quantizeBDR (host-only) a tensor of its own made from host data: with the
        // WGSL kernels of @tessera/webgpu registered, fakeQuantizeBDR runs on the GPU, its input is uploaded there,
        // and neither can be read synchronously in Node.
        await expectNoLeaks(async () => {
          const [fq, dq] = tf.tidy(() => {
            const fq = fakeQuantizeBDR(tf.tensor2d(x, [3, 40]), f, { axis });
            const dq = dequantizeBDR(quantizeBDR(tf.tensor2d(x, [3, 40]), f, { axis }));
            return [fq, dq];
          });
          expect(dq.shape).toEqual([3, 40]);
          const a = new Uint32Array(((await fq.data()) as Float32Array).slice().buffer);
          const b = new Uint32Array(((await dq.data()) as Float32Array).slice().buffer);
          tf.dispose([fq, dq]);
          expect(Array.from(a)).toEqual(Array.from(b));
        });
      });
    }
  }
  test('the gradient is the identity (straight-through), saturated and NaN elements included', async () => {
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => {
      const v = tf.tensor1d([1e6, 1, Number.NaN, -3, Number.POSITIVE_INFINITY, 0.001, 2, 5]);
      const w = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeBDR(t, BDR_MX4), w)))(v);
    });
    // read asynchronously: on webgpu the gradient lives on the device (no synchronous reads in Node)
    expect(Array.from(await g.data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before); // nothing leaked
  });
  test('quantizeBDRArray round trip values', () => {
    expect(Array.from(dequantizeBDRArray(quantizeBDRArray(new Float32Array([1, 0.25, 3, -0.5]), [4], BDR_MX6)))).toEqual([
      1, 0.25, 3, -0.5,
    ]);
    expect(Array.from(quantizeBDRArray(new Float32Array([1, 0.25, 3, -0.5]), [4], BDR_MX6).exponents)).toEqual([128]);
  });
  test('rank-3 tensors, every axis', () => {
    const v = rng(3).normalArray(2 * 17 * 5);
    for (const axis of [0, 1, 2, -2]) {
      const t = quantizeBDRArray(v, [2, 17, 5], BDR_MX9, { axis });
      expect(t.axis).toBe(axis < 0 ? axis + 3 : axis);
      const y = dequantizeBDRArray(t);
      expect(y.length).toBe(v.length);
      let err = 0;
      for (let i = 0; i < v.length; i++) err = Math.max(err, Math.abs(y[i] - v[i]));
      expect(err).toBeLessThan(0.05);
    }
  });
});

describe('errors (no leaks on error paths)', () => {
  const cases: [string, () => unknown, string][] = [
    ['non-finite packed input', () => quantizeBDR(tf.tensor1d([1, Number.NaN]), BDR_MX6), 'INVALID_ARGUMENT'],
    ['Inf packed input', () => quantizeBDRArray(new Float32Array([Number.NEGATIVE_INFINITY]), [1], BDR_MX6), 'INVALID_ARGUMENT'],
    ['int32 tensor', () => quantizeBDR(tf.tensor1d([1], 'int32'), BDR_MX6), 'INVALID_DTYPE'],
    ['scalar', () => fakeQuantizeBDR(tf.scalar(1), BDR_MX6), 'INVALID_SHAPE'],
    ['axis out of range', () => fakeQuantizeBDR(tf.ones([2, 2]), BDR_MX6, { axis: 2 }), 'INVALID_ARGUMENT'],
    ['bad rounding', () => fakeQuantizeBDR(tf.ones([2]), BDR_MX6, { rounding: 'up' as never }), 'INVALID_ARGUMENT'],
    ['stochastic without random', () => fakeQuantizeBDR(tf.ones([2]), BDR_MX6, { rounding: 'stochastic' }), 'INVALID_ARGUMENT'],
    ['bad clamp', () => fakeQuantizeBDR(tf.ones([2]), BDR_MX6, { clamp: 'none' as never }), 'INVALID_ARGUMENT'],
    ['quark clamp when packing', () => quantizeBDR(tf.ones([2]), BDR_MX6, { clamp: 'quark' }), 'INVALID_ARGUMENT'],
    ['padding error', () => fakeQuantizeBDR(tf.ones([20]), BDR_MX6, { padding: 'error' }), 'INVALID_SHAPE'],
    ['padding error (packed)', () => quantizeBDR(tf.ones([20]), BDR_MX6, { padding: 'error' }), 'INVALID_SHAPE'],
    ['invalid format object', () => fakeQuantizeBDR(tf.ones([2]), { ...BDR_MX6, k2: 5 }), 'INVALID_ARGUMENT'],
    ['shape mismatch', () => quantizeBDRArray(new Float32Array(3), [4], BDR_MX6), 'INVALID_SHAPE'],
    ['not a Float32Array', () => quantizeBDRArray([1, 2] as never, [2], BDR_MX6), 'INVALID_DTYPE'],
    [
      'truncated mantissas',
      () => dequantizeBDR({ ...quantizeBDRArray(new Float32Array(16), [16], BDR_MX6), mantissas: new Uint8Array(9) }),
      'INVALID_FORMAT',
    ],
    [
      'exponent outside d1 bits',
      () => validateBDR({ ...quantizeBDRArray(new Float32Array(4), [4], bfp(4, 3, 4)), exponents: new Uint8Array([16]) }),
      'INVALID_FORMAT',
    ],
    ['axis outside the shape', () => validateBDR({ ...quantizeBDRArray(new Float32Array(4), [4], BDR_MX6), axis: 1 }), 'INVALID_FORMAT'],
  ];
  test.each(cases)('%s', (_name, fn, want) => {
    expectNoLeaks(() => {
      const e = thrownInTidy(fn);
      expect(code(e)).toBe(want);
    });
  });
});
