// Regressions for inputs whose cost must follow the element count, not the shape: an empty tensor with a huge
// blocked (or outer/inner) axis used to be walked axis by axis in the axis move, the row loops and the padding
// checks (quantizeBDR(tf.zeros([1e9, 0]), BDR_MX9, { axis: 0 }) took seconds, [1e12, 0] never returned).
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  BDR_MX4,
  BDR_MX6,
  BDR_MX9,
  dequantizeBDR,
  dequantizeBDRArray,
  fakeQuantizeBDR,
  fromAIELayout,
  loadBDR,
  MSFP12,
  QUARK_BFP16,
  quantizeBDR,
  quantizeBDRArray,
  saveBDR,
  toAIELayout,
  validateBDR,
} from '../src/index.js';

const SHAPES: number[][] = [[1e9, 0], [1e12, 0], [0, 1e12], [1e9, 0, 1e9], [1e12, 0, 3], [0]];
const FORMATS = [BDR_MX4, BDR_MX6, BDR_MX9, MSFP12, QUARK_BFP16];

/** Runs `f` and checks it finished well under a second (the old code took seconds to forever). */
function fast<T>(what: string, f: () => T): T {
  const t0 = performance.now();
  const r = f();
  expect(performance.now() - t0, what).toBeLessThan(500);
  return r;
}

describe('empty tensors with huge dimensions are answered at once', () => {
  it('quantizeBDR → dequantizeBDR: an empty BDRTensor of the same shape, no blocks', () => {
    for (const shape of SHAPES)
      for (let axis = -shape.length; axis < shape.length; axis++)
        for (const f of FORMATS)
          expectNoLeaks(() => {
            const x = tf.zeros(shape);
            const q = fast(`quantizeBDR [${shape}] axis ${axis}`, () => quantizeBDR(x, f, { axis }));
            expect(q.shape).toEqual(shape);
            expect(q.axis).toBe(axis < 0 ? axis + shape.length : axis);
            expect([q.exponents.length, q.microexponents.length, q.mantissas.length]).toEqual([0, 0, 0]);
            fast('validateBDR', () => validateBDR(q));
            const y = fast(`dequantizeBDR [${shape}] axis ${axis}`, () => dequantizeBDR(q));
            expect(y.shape).toEqual(shape);
            expect(y.dtype).toBe('float32');
            tf.dispose([x, y]);
          });
  });

  it('fakeQuantizeBDR: an empty tensor of the same shape, and an empty gradient', () => {
    for (const shape of SHAPES)
      for (const axis of [0, -1])
        expectNoLeaks(() => {
          const x = tf.zeros(shape);
          const y = fast(`fakeQuantizeBDR [${shape}] axis ${axis}`, () => fakeQuantizeBDR(x, BDR_MX9, { axis }));
          expect(y.shape).toEqual(shape);
          // the upstream gradient is given rather than made by tf.sum: tfjs-backend-webgpu cannot sum an empty tensor
          const dy = tf.zeros(shape);
          const g = fast('grad', () => tf.grad((v: tf.Tensor) => fakeQuantizeBDR(v, MSFP12, { axis }))(x, dy));
          expect(g.shape).toEqual(shape);
          tf.dispose([x, y, dy, g]);
        });
  });

  it('array entry points, the AIE layout and the safetensors round trip', () => {
    for (const shape of SHAPES)
      for (const axis of [0, -1]) {
        const q = fast(`quantizeBDRArray [${shape}]`, () => quantizeBDRArray(new Float32Array(0), shape, BDR_MX6, { axis }));
        expect(q.mantissas.length).toBe(0);
        expect(fast('dequantizeBDRArray', () => dequantizeBDRArray(q))).toEqual(new Float32Array(0));
        expect(fast('dequantizeBDRArray(out)', () => dequantizeBDRArray(q, new Float32Array(0)))).toEqual(new Float32Array(0));
        const bytes = fast('toAIELayout', () => toAIELayout(q));
        expect(bytes.length).toBe(0);
        expect(fast('fromAIELayout', () => fromAIELayout(bytes, BDR_MX6, shape, axis)).shape).toEqual(shape);
        const back = fast('saveBDR → loadBDR', () => loadBDR(saveBDR(q)));
        expect([back.shape, back.axis]).toEqual([shape, q.axis]);
      }
  });

  it("padding: 'error' still checks the blocked axis of an empty tensor (cheaply)", () => {
    const x = tf.zeros([1e12 + 1, 0]);
    try {
      expect(() => fast('quantizeBDR', () => quantizeBDR(x, BDR_MX9, { axis: 0, padding: 'error' }))).toThrow(/multiple of k1/);
      expect(() => fast('fakeQuantizeBDR', () => fakeQuantizeBDR(x, BDR_MX9, { axis: 0, padding: 'error' }))).toThrow(/multiple of k1/);
    } finally {
      x.dispose();
    }
  });
});
