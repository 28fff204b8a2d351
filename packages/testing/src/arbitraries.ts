import fc from 'fast-check';

/** Options of {@link shapeArb}. */
export interface ShapeArbOptions {
  minRank?: number;
  maxRank?: number;
  minDim?: number;
  maxDim?: number;
  /** Upper bound on the element count (shapes above it are filtered out). */
  maxSize?: number;
}

/**
 * fast-check arbitrary for tensor shapes.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { shapeArb } from '@tessera/testing';
 * fc.assert(fc.property(shapeArb({ minRank: 1, maxRank: 3, maxDim: 5 }), (s) => s.length >= 1));
 * ```
 */
export function shapeArb(o: ShapeArbOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 4, minDim = 1, maxDim = 8, maxSize = 4096 } = o;
  return fc
    .array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank })
    .filter((s) => s.reduce((a, b) => a * b, 1) <= maxSize);
}

/** Which special float32 values {@link float32Arb} may produce. */
export interface Float32ArbOptions {
  /** Lower bound (a float32); ignored for ±Inf/NaN extras. */
  min?: number;
  /** Upper bound (a float32). */
  max?: number;
  /** Mix in float32 subnormals (default true). */
  subnormals?: boolean;
  /** Allow ±0 (default true). */
  zeros?: boolean;
  /** Allow ±Infinity (default false). */
  infinities?: boolean;
  /** Allow NaN (default false). */
  nan?: boolean;
}

/**
 * fast-check arbitrary for float32 values, with subnormals and ±0 by default and ±Inf / NaN on request.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { float32Arb } from '@tessera/testing';
 * fc.assert(fc.property(float32Arb({ nan: true }), (x) => Math.fround(x) === x || Number.isNaN(x)));
 * ```
 */
export function float32Arb(o: Float32ArbOptions = {}): fc.Arbitrary<number> {
  const { subnormals = true, zeros = true, infinities = false, nan = false } = o;
  const min = o.min === undefined ? undefined : Math.fround(o.min);
  const max = o.max === undefined ? undefined : Math.fround(o.max);
  const bounded = min !== undefined || max !== undefined;
  const base = fc.float({ noNaN: true, noDefaultInfinity: true, min, max }).filter((x) => zeros || x !== 0);
  const parts: fc.Arbitrary<number>[] = [base];
  if (subnormals) {
    const sub = fc
      .tuple(fc.boolean(), fc.integer({ min: 1, max: 0x7fffff }))
      .map(([neg, m]) => (neg ? -1 : 1) * m * 2 ** -149)
      .filter((x) => !bounded || ((min === undefined || x >= min) && (max === undefined || x <= max)));
    parts.push(sub);
  }
  if (infinities) parts.push(fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
  if (nan) parts.push(fc.constant(Number.NaN));
  return parts.length === 1 ? base : fc.oneof(...parts);
}

/**
 * fast-check arbitrary for `Float32Array`s of float32 values (see {@link float32Arb} for the value options).
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { float32ArrayArb } from '@tessera/testing';
 * fc.assert(fc.property(float32ArrayArb({ minLength: 4, maxLength: 4 }), (a) => a.length === 4));
 * ```
 */
export function float32ArrayArb(o: Float32ArbOptions & { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<Float32Array> {
  const { minLength = 0, maxLength = 64 } = o;
  return fc.array(float32Arb(o), { minLength, maxLength }).map((a) => Float32Array.from(a));
}

/** Host data of a float32 tensor produced by {@link float32TensorArb}. Build the tensor inside the test. */
export interface Float32TensorData {
  shape: number[];
  values: Float32Array;
}

/**
 * fast-check arbitrary for float32 tensor data (shape + row-major values). It yields host data, not a tf tensor,
 * so a shrinking run never leaks tensors: create the tensor with `tf.tensor(values, shape)` inside the property.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import * as tf from '@tensorflow/tfjs-core';
 * import { float32TensorArb } from '@tessera/testing';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * fc.assert(fc.property(float32TensorArb({ shape: { minRank: 1 } }), ({ shape, values }) => {
 *   const t = tf.tensor(values, shape);
 *   const ok = t.size === values.length;
 *   t.dispose();
 *   return ok;
 * }));
 * ```
 */
export function float32TensorArb(o: { shape?: ShapeArbOptions; values?: Float32ArbOptions } = {}): fc.Arbitrary<Float32TensorData> {
  return shapeArb(o.shape).chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.array(float32Arb(o.values), { minLength: n, maxLength: n }).map((v) => ({ shape, values: Float32Array.from(v) }));
  });
}
