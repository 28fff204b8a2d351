import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float32Arb, float32ArrayArb, float32TensorArb, shapeArb } from './arbitraries.js';
import { expectBitsEqual, expectSqnrAtLeast, expectUlpClose, firstBitMismatch, maxUlpDistance, ulpDistance } from './compare.js';
import { expectNoLeaks } from './leaks.js';
import { expectTensorBitsEqual, expectTensorClose, expectTensorUlpClose, tensorValues } from './tensor-compare.js';

describe('expectNoLeaks', () => {
  it('passes clean code and returns its result', async () => {
    // read asynchronously: dataSync() throws on webgpu in Node
    const three = await expectNoLeaks(async () => {
      const s = tf.tidy(() => tf.sum(tf.ones([3])));
      try {
        return (await s.data())[0];
      } finally {
        s.dispose();
      }
    });
    expect(three).toBe(3);
    expect(expectNoLeaks(() => tf.tidy(() => tf.ones([2]).shape))).toEqual([2]);
  });
  it('catches a leak, including on an error path and in async code', async () => {
    let leaked: tf.Tensor | undefined;
    expect(() =>
      expectNoLeaks(() => {
        leaked = tf.ones([2]);
      }),
    ).toThrow(/changed the live tensor count by 1/);
    leaked?.dispose();
    expect(() =>
      expectNoLeaks(() => {
        leaked = tf.ones([2]);
        throw new Error('boom');
      }),
    ).toThrow(/failing call leaked 1/);
    leaked?.dispose();
    await expect(
      expectNoLeaks(async () => {
        leaked = tf.ones([1]);
      }),
    ).rejects.toThrow(/changed the live tensor count/);
    leaked?.dispose();
    expect(() =>
      expectNoLeaks(() => {
        throw new Error('plain');
      }),
    ).toThrow('plain');
  });
});

describe('comparisons', () => {
  it('bits, ulps and SQNR', () => {
    expect(firstBitMismatch([1, 0], [1, -0])).toBe(1);
    expect(firstBitMismatch([Number.NaN], [Number.NaN])).toBe(-1);
    expect(firstBitMismatch([Number.NaN], [Number.NaN], { nanEqual: false })).toBe(-1); // same canonical NaN bits
    expect(() => expectBitsEqual([1, 2], [1, 3])).toThrow('bit mismatch at index 1: got 2 expected 3');
    expect(() => expectBitsEqual([1], [1, 2])).toThrow(/length/);
    expect(ulpDistance(1, 1 + 2 ** -23)).toBe(1);
    expect(ulpDistance(-0, 0)).toBe(0);
    expect(ulpDistance(2 ** -149, -(2 ** -149))).toBe(2);
    expect(ulpDistance(1, Number.NaN)).toBe(Number.POSITIVE_INFINITY);
    expect(maxUlpDistance([1, 2], [1, 2])).toBe(0);
    expect(() => expectUlpClose([1 + 2 ** -22], [1], 1)).toThrow(/2 ulp > 1/);
    expect(expectSqnrAtLeast([1, 2, 3], [1, 2, 3], 100)).toBe(Number.POSITIVE_INFINITY);
    expect(() => expectSqnrAtLeast([1, 2, 3], [1, 2, 4], 20)).toThrow(/SQNR/);
    expect(() => expectSqnrAtLeast([1, 2], [1, Number.NaN], -1000)).toThrow(/SQNR/);
  });
});

describe('asynchronous tensor comparisons (every backend, webgpu in Node included)', () => {
  it('tensorValues, expectTensorBitsEqual, expectTensorUlpClose, expectTensorClose: pass and fail as their sync twins', async () => {
    await expectNoLeaks(async () => {
      const t = tf.tensor2d([
        [1, -0],
        [Number.NaN, 0.5],
      ]);
      const third = tf.tidy(() => tf.div(tf.tensor1d([1]), tf.tensor1d([3])));
      try {
        expect(Array.from(await tensorValues(t))).toEqual([1, -0, Number.NaN, 0.5]);
        await expectTensorBitsEqual(t, [1, -0, Number.NaN, 0.5]);
        await expect(expectTensorBitsEqual(t, [1, 0, Number.NaN, 0.5])).rejects.toThrow('bit mismatch at index 1: got -0 expected 0');
        await expect(expectTensorBitsEqual(t, [1, -0, Number.NaN, 0.5], { nanEqual: false })).resolves.toBeUndefined(); // same canonical NaN
        await expectTensorBitsEqual(t, t);
        await expect(expectTensorBitsEqual(t, third)).rejects.toThrow(/shape \[2, 2\] vs expected \[1\]/);
        await expectTensorUlpClose(third, [1 / 3], 1);
        await expect(expectTensorUlpClose(third, [1 / 3 + 2 ** -22], 1)).rejects.toThrow(/ulp > 1/);
        await expectTensorClose(t, [1 + 1e-6, 0, Number.NaN, 0.5]);
        await expect(expectTensorClose(t, [1.1, 0, Number.NaN, 0.5])).rejects.toThrow(/index 0: got 1 expected 1.1/);
        await expect(expectTensorClose(t, [1, 0, 0, 0.5])).rejects.toThrow(/index 2: got NaN/);
        await expect(expectTensorClose(t, [1, 0], { label: 'L' })).rejects.toThrow('L: length 4 vs expected 2');
      } finally {
        tf.dispose([t, third]);
      }
    });
  });
});

describe('arbitraries', () => {
  it('shapes respect their bounds', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3, maxDim: 5, maxSize: 40 }), (s) => {
        return s.length >= 1 && s.length <= 3 && s.every((d) => d >= 1 && d <= 5) && s.reduce((a, b) => a * b, 1) <= 40;
      }),
    );
  });
  it('float32 values are float32, produce subnormals and honour special-value switches', () => {
    const seen = { sub: false, nan: false, inf: false, negZero: false };
    fc.assert(
      fc.property(float32Arb({ nan: true, infinities: true }), (x) => {
        if (Number.isNaN(x)) seen.nan = true;
        else {
          expect(Math.fround(x)).toBe(x);
          if (!Number.isFinite(x)) seen.inf = true;
          else if (x !== 0 && Math.abs(x) < 2 ** -126) seen.sub = true;
          if (Object.is(x, -0)) seen.negZero = true;
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
    expect(seen).toEqual({ sub: true, nan: true, inf: true, negZero: true });
    fc.assert(fc.property(float32Arb({ min: -1, max: 1, zeros: false }), (x) => x >= -1 && x <= 1 && x !== 0));
    fc.assert(fc.property(float32ArrayArb({ minLength: 3, maxLength: 3 }), (a) => a.length === 3 && a.every(Number.isFinite)));
  });
  it('tensor data has matching shape and length', () => {
    fc.assert(
      fc.property(float32TensorArb({ shape: { maxRank: 3, maxDim: 4 } }), ({ shape, values }) => {
        return values.length === shape.reduce((a, b) => a * b, 1);
      }),
    );
  });
});
