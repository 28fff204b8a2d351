import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { describe, expect, test } from 'vitest';
import { thrownInTidy } from '../test/errors.js';
import { fakeQuantizeMX } from './fake-quant.js';
import type { MXCast } from './matmul.js';
import { mxLinear, mxMatMul } from './matmul.js';

const E4: MXCast = { format: 'mxfp8_e4m3', blockSize: 8 };
const FP4: MXCast = { format: 'mxfp4_e2m1', blockSize: 8 };
const E5: MXCast = { format: 'mxfp8_e5m2', blockSize: 4 };
/** The float32 bits of t, read asynchronously (so the tests run where synchronous reads are impossible: webgpu in Node). */
const bits = async (t: tf.Tensor) => Array.from(new Uint32Array(((await t.data()) as Float32Array).slice().buffer));

/** tf.tidy for an async body: every tensor made inside is disposed at the end (tests run one at a time). */
async function scoped(f: () => Promise<void>): Promise<void> {
  tf.engine().startScope();
  try {
    await f();
  } finally {
    tf.engine().endScope();
  }
}
const fq = (x: tf.Tensor, c: MXCast, axis: number) => fakeQuantizeMX(x, { ...c, axis });

describe('mxMatMul', () => {
  test('forward = tf.matMul(fq(A, −1), fq(B, −2)) exactly, with and without transposes', async () => {
    await scoped(async () => {
      const a = tf.randomNormal([6, 24], 0, 1, 'float32', 1);
      const b = tf.randomNormal([24, 5], 0, 3, 'float32', 2);
      const want = tf.matMul(fq(a, E4, -1), fq(b, FP4, -2));
      expect(await bits(mxMatMul(a, b, { a: E4, b: FP4 }))).toEqual(await bits(want));
      const at = tf.transpose(a);
      const bt = tf.transpose(b);
      expect(await bits(mxMatMul(at, bt, { a: E4, b: FP4, transposeA: true, transposeB: true }))).toEqual(await bits(want));
      // quantize-then-transpose ≠ transpose-then-quantize: blocking B^T along its own last axis differs
      const wrong = tf.matMul(fq(a, E4, -1), tf.transpose(fq(bt, FP4, -2)));
      expect(await bits(wrong)).not.toEqual(await bits(want));
    });
  });

  test('default backward: four re-quantizations along the reduction axes', async () => {
    await scoped(async () => {
      const a = tf.randomNormal([2, 8, 16], 0, 1, 'float32', 3);
      const b = tf.randomNormal([2, 16, 12], 0, 1, 'float32', 4);
      const w = tf.randomNormal([2, 8, 12], 0, 1, 'float32', 5);
      const bw = { gradA: { gradOutput: E5, b: FP4 }, gradB: { a: E4, gradOutput: E5 } };
      const [dA, dB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mxMatMul(x, y, { a: E4, b: E4, backward: bw }), w)))([a, b]);
      // dY = w; dA = Q(dY, N)·Q(B, N)ᵀ; dB = Q(A, M)ᵀ·Q(dY, M)
      const wantA = tf.matMul(fq(w, E5, -1), fq(b, FP4, -1), false, true);
      const wantB = tf.matMul(fq(a, E4, -2), fq(w, E5, -2), true, false);
      expect(await bits(dA)).toEqual(await bits(wantA));
      expect(await bits(dB)).toEqual(await bits(wantB));
      // unset backward casts inherit the forward ones (gradOutput from a)
      const [dA2, dB2] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mxMatMul(x, y, { a: E4, b: FP4 }), w)))([a, b]);
      expect(await bits(dA2)).toEqual(await bits(tf.matMul(fq(w, E4, -1), fq(b, FP4, -1), false, true)));
      expect(await bits(dB2)).toEqual(await bits(tf.matMul(fq(a, E4, -2), fq(w, E4, -2), true, false)));
    });
  });

  test("backward 'ste' and 'none'; rank-2 B with batched A sums dB over the batch", async () => {
    await scoped(async () => {
      const a = tf.randomNormal([3, 4, 16], 0, 1, 'float32', 6);
      const b = tf.randomNormal([16, 8], 0, 1, 'float32', 7);
      const w = tf.randomNormal([3, 4, 8], 0, 1, 'float32', 8);
      const loss = (backward: 'ste' | 'none') => (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(mxMatMul(x, y, { a: E4, b: FP4, backward }), w));
      const [sA, sB] = tf.grads(loss('ste'))([a, b]);
      const a2 = tf.reshape(a, [12, 16]);
      const w2 = tf.reshape(w, [12, 8]);
      expect(await bits(sA)).toEqual(await bits(tf.reshape(tf.matMul(w2, fq(b, FP4, -2), false, true), [3, 4, 16])));
      expect(await bits(sB)).toEqual(await bits(tf.matMul(fq(a2, E4, -1), w2, true, false)));
      const [nA, nB] = tf.grads(loss('none'))([a, b]);
      expect(await bits(nA)).toEqual(await bits(tf.reshape(tf.matMul(w2, b, false, true), [3, 4, 16])));
      expect(await bits(nB)).toEqual(await bits(tf.matMul(a2, w2, true, false)));
      // 'ste' equals autograd through fakeQuantizeMX + tf.matMul
      const [fA, fB] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(tf.reshape(tf.matMul(tf.reshape(fq(x, E4, -1), [12, 16]), fq(y, FP4, -2)), [3, 4, 8]), w)),
      )([a, b]);
      expect(await bits(sA)).toEqual(await bits(fA));
      expect(await bits(sB)).toEqual(await bits(fB));
    });
  });

  test('values representable in both formats: result ≈ tf.matMul (float32 tolerance)', async () => {
    await scoped(async () => {
      const a = tf.tensor2d([
        [1, -0.5, 2, 0.5, 1.5, -3, 4, 0.5],
        [6, 1, -1, 2, 3, 0, 0.5, -4],
      ]);
      const b = tf.transpose(a);
      const y = mxMatMul(a, b, { a: FP4, b: FP4 });
      expect(await bits(y)).toEqual(await bits(tf.matMul(a, b)));
    });
  });

  test('mxLinear: y = x·Wᵀ + bias, gradients for x, W, bias; outputPrecision bfloat16', async () => {
    await scoped(async () => {
      const x = tf.randomNormal([5, 16], 0, 1, 'float32', 9);
      const W = tf.randomNormal([3, 16], 0, 1, 'float32', 10);
      const bias = tf.tensor1d([0.5, -1, 2]);
      const y = mxLinear(x, W, { a: E4, w: FP4, bias });
      expect(y.shape).toEqual([5, 3]);
      const want = tf.add(tf.matMul(fq(x, E4, -1), fq(W, FP4, -1), false, true), bias);
      expect(await bits(y)).toEqual(await bits(want));
      const [gx, gw, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(mxLinear(p, q, { a: E4, w: FP4, bias: r })))([
        x,
        W,
        bias,
      ]);
      expect(gx.shape).toEqual([5, 16]);
      expect(gw.shape).toEqual([3, 16]);
      expect(Array.from(await gb.data())).toEqual([5, 5, 5]);
      const yb = mxLinear(x, W, { a: E4, w: FP4, outputPrecision: 'bfloat16' });
      expect((await bits(yb)).every((u) => (u & 0xffff) === 0)).toBe(true);
    });
  });

  test('bad input → TesseraError, nothing leaked', () => {
    const before = tf.memory().numTensors;
    const cases: [() => unknown, string][] = [
      [() => mxMatMul(tf.ones([2, 3]), tf.ones([4, 2]), { a: E4, b: E4 }), 'INVALID_SHAPE'],
      [() => mxMatMul(tf.ones([3]), tf.ones([3, 2]), { a: E4, b: E4 }), 'INVALID_SHAPE'],
      [() => mxMatMul(tf.ones([2, 3], 'int32'), tf.ones([3, 2]), { a: E4, b: E4 }), 'INVALID_DTYPE'],
      [() => mxMatMul(tf.ones([2, 3]), tf.ones([3, 2]), { a: { format: 'nope' as never }, b: E4 }), 'INVALID_ARGUMENT'],
      [() => mxMatMul(tf.ones([2, 3]), tf.ones([3, 2]), { a: E4, b: E4, backward: 'sometimes' as never }), 'INVALID_ARGUMENT'],
      [() => mxLinear(tf.ones([2, 3]), tf.ones([4, 3]), { a: E4, w: E4, bias: tf.ones([3]) }), 'INVALID_SHAPE'],
    ];
    for (const [fn, code] of cases) {
      const err = thrownInTidy(fn);
      expect(err).toBeInstanceOf(TesseraError);
      expect((err as TesseraError).code).toBe(code);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
