import { fc, test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { describe, expect, test } from 'vitest';
import { refNVFP4 } from '../test/reference/mx-reference.js';
import { FP4_E2M1, FP8_E4M3 } from './elements.js';
import {
  dequantizeNVFP4,
  dequantizeNVFP4Array,
  e4m3ScaleCode,
  fakeQuantizeNVFP4,
  quantizeNVFP4,
  quantizeNVFP4Array,
  validateNVFP4,
} from './nvfp4.js';
import { unpackFP4 } from './packing.js';

const nv = (v: number[], o = {}) => quantizeNVFP4Array(Float32Array.from(v), [v.length], o);

describe('NVFP4', () => {
  test('single level, block max 7: s_b = E4M3(7/6) = 1.125 (0x39), 7 saturates to 6 → 6.75', () => {
    const t = nv([7, 1, -2, 0.3]);
    expect(t.blockScales[0]).toBe(0x39);
    expect(t.tensorScale).toBeNull();
    expect(Array.from(dequantizeNVFP4Array(t))).toEqual([6.75, 1.125, -2.25, 0.5625]);
  });
  test('single level, amax 6: s_b = 1.0 (0x38); [6, 3, −1.5, 0.25] → 0x7, 0x5, 0xB, 0x0', () => {
    const t = nv([6, 3, -1.5, 0.25]);
    expect(t.blockScales[0]).toBe(0x38);
    expect(Array.from(unpackFP4(t.data, 16)).slice(0, 4)).toEqual([0x7, 0x5, 0xb, 0x0]);
    expect(t.byteLength).toBe(9);
  });
  test('zero block → s_b = 2^-6 (0x08), zero codes; NaN/Inf block → 0x7F and NaN; other blocks unaffected', () => {
    const x = [...new Array(16).fill(0), 1, Number.POSITIVE_INFINITY, ...new Array(14).fill(0), 3, ...new Array(15).fill(1)];
    const t = nv(x);
    expect(Array.from(t.blockScales)).toEqual([0x08, 0x7f, FP8_E4M3.encode(0.5)]);
    const y = dequantizeNVFP4Array(t);
    expect(Array.from(y.subarray(0, 16))).toEqual(new Array(16).fill(0));
    expect(Array.from(y.subarray(16, 32)).every(Number.isNaN)).toBe(true);
    expect(y[32]).toBe(3);
  });
  test('two-level: s_t = fl32(amax/2688) over finite values; an all-zero tensor uses s_t = 1', () => {
    const x = [1000, -3, 0.01, Number.NaN, ...new Array(12).fill(2), ...new Array(16).fill(0.5)];
    const t = nv(x, { tensorScale: 'auto' });
    expect(t.tensorScale).toBe(Math.fround(1000 / 2688));
    expect(t.byteLength).toBe(16 + 2 + 4);
    expect(nv(new Array(16).fill(0), { tensorScale: 'auto' }).tensorScale).toBe(1);
    expect(nv([1, 2], { tensorScale: 0.5 }).tensorScale).toBe(0.5);
  });
  fcTest.prop(
    [
      fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e4), max: Math.fround(1e4) }), {
        minLength: 1,
        maxLength: 70,
      }),
      fc.constantFrom('none' as const, 'auto' as const),
    ],
    { numRuns: 200 },
  )('equals the naive reference; s_b in [2^-6, 448]; |code value| ≤ 6; idempotent values', (v, ts) => {
    const x = Float32Array.from(v);
    const t = quantizeNVFP4Array(x, [x.length], { tensorScale: ts });
    const y = dequantizeNVFP4Array(t);
    const ref = refNVFP4(x, 1, x.length, t.tensorScale ?? 1);
    for (let i = 0; i < y.length; i++) expect(y[i] === ref[i] || (Number.isNaN(y[i]) && Number.isNaN(ref[i]))).toBe(true);
    for (const c of t.blockScales) {
      const s = FP8_E4M3.decode(c);
      expect(s >= 2 ** -6 && s <= 448).toBe(true);
    }
    for (const c of unpackFP4(t.data, t.blockScales.length * 16)) expect(Math.abs(FP4_E2M1.decode(c))).toBeLessThanOrEqual(6);
    const t2 = quantizeNVFP4Array(y, [y.length], { tensorScale: ts === 'auto' ? (t.tensorScale ?? 1) : 'none' });
    expect(Array.from(dequantizeNVFP4Array(t2))).toEqual(Array.from(y));
    // float32 arithmetic (torchao order) gives the same block scales away from float32 underflow
    if (x.every((a) => a === 0 || Math.abs(a) > 1e-30)) {
      const tf32 = quantizeNVFP4Array(x, [x.length], { tensorScale: ts, arithmetic: 'float32' });
      expect(Array.from(tf32.blockScales)).toEqual(Array.from(t.blockScales));
    }
  });
  test('axis 0 of a matrix, tensor API, fake quantization with STE, no leaks', async () => {
    const before = tf.memory().numTensors;
    const [f, y, g] = tf.tidy(() => {
      const x = tf.randomNormal([32, 3], 0, 1, 'float32', 7);
      const t = quantizeNVFP4(x, { axis: 0, tensorScale: 'auto' });
      expect(t.blockScales.length).toBe(6);
      const y = dequantizeNVFP4(t);
      const f = fakeQuantizeNVFP4(x, { axis: 0, tensorScale: 'auto' });
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeNVFP4(v), 3)))(x);
      return [f, y, g];
    });
    // read asynchronously: the gradient lives on the device on webgpu (no synchronous reads in Node)
    expect(Array.from(await f.data())).toEqual(Array.from(await y.data()));
    expect(Array.from(await g.data()).every((d) => d === 3)).toBe(true);
    tf.dispose([f, y, g]);
    expect(tf.memory().numTensors).toBe(before);
  });
  test('bad input → TesseraError', () => {
    const x = tf.ones([20]);
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof TesseraError ? e.code : 'other';
      }
      return 'none';
    };
    expect(codeOf(() => quantizeNVFP4(x, { padding: 'error' }))).toBe('INVALID_SHAPE');
    expect(codeOf(() => quantizeNVFP4(x, { axis: 1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => quantizeNVFP4(x, { tensorScale: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => tf.tidy(() => void quantizeNVFP4(tf.tensor1d([1], 'int32'))))).toBe('INVALID_DTYPE');
    expect(codeOf(() => validateNVFP4({ ...nv([1]), blockScales: new Uint8Array([0x80]) }))).toBe('INVALID_FORMAT');
    tf.dispose(x);
  });
});

describe('NVFP4 dequantize data alignment', () => {
  test('data at any byte offset decodes to the same bits (word reads vs byte reads)', () => {
    const x = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i * 1.7) * 2 ** ((i % 9) - 4));
    const t = quantizeNVFP4Array(x, [100]);
    const ref = new Uint32Array(dequantizeNVFP4Array(t).buffer);
    for (const off of [1, 2, 3, 4]) {
      const moved = new Uint8Array(t.data.length + off);
      moved.set(t.data, off);
      const got = new Uint32Array(dequantizeNVFP4Array({ ...t, data: moved.subarray(off) }).buffer);
      expect(Array.from(got)).toEqual(Array.from(ref));
    }
  });
});

describe('NVFP4 block scale encode', () => {
  fcTest.prop([fc.double({ noNaN: true, min: 2 ** -6, max: 448 })], { numRuns: 500 })(
    'e4m3ScaleCode = FP8_E4M3.encode on [2^-6, 448]',
    (v) => {
      expect(e4m3ScaleCode(v)).toBe(FP8_E4M3.encode(v));
    },
  );
  test('every E4M3 normal and every midpoint between neighbours', () => {
    for (let c = 0x08; c < 0x7e; c++) {
      const lo = FP8_E4M3.decode(c);
      const hi = FP8_E4M3.decode(c + 1);
      for (const v of [lo, (lo + hi) / 2, hi, (lo + hi) / 2 + 2 ** -40, (lo + hi) / 2 - 2 ** -40])
        expect(e4m3ScaleCode(v)).toBe(FP8_E4M3.encode(v));
    }
  });
});

describe('NVFP4 element rounding', () => {
  fcTest.prop([fc.double({ noNaN: true, min: -8, max: 8 })], { numRuns: 500 })('matches FP4_E2M1.encode (RNE, saturating)', (v) => {
    const x = Float32Array.from([v]);
    const t = quantizeNVFP4Array(x, [1], { tensorScale: 1 });
    const sb = FP8_E4M3.decode(t.blockScales[0]);
    expect(unpackFP4(t.data, 16)[0]).toBe(FP4_E2M1.encode(x[0] / sb));
  });
  test('every FP4 midpoint', () => {
    for (const m of [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5]) {
      const x = Float32Array.from([m, -m, 6]); // amax 6 → s_b = 1
      const codes = unpackFP4(quantizeNVFP4Array(x, [3]).data, 16);
      expect([codes[0], codes[1]]).toEqual([FP4_E2M1.encode(m), FP4_E2M1.encode(-m)]);
    }
  });
});
