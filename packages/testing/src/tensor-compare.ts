// Comparisons that read tensors asynchronously (`await t.data()`), so that a test runs on every tfjs backend: on
// tfjs-backend-webgpu in Node `dataSync()` throws (it reads through an OffscreenCanvas, which Node lacks), while
// `data()` maps the GPU buffer and resolves.
import type * as tf from '@tensorflow/tfjs-core';
import { expectBitsEqual, expectUlpClose } from './compare.js';

type Expected = ArrayLike<number> | tf.Tensor;

async function valuesOf(x: Expected, label: string, shape?: readonly number[]): Promise<ArrayLike<number>> {
  if (typeof x === 'object' && x !== null && 'dataId' in x && 'shape' in x) {
    const t = x as tf.Tensor;
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])))
      throw new Error(`${label}: shape [${shape.join(', ')}] vs expected [${t.shape.join(', ')}]`);
    return (await t.data()) as ArrayLike<number>;
  }
  return x as ArrayLike<number>;
}

/**
 * The values of `t` as a flat typed array, read asynchronously (`await t.data()`), which works on every backend,
 * including webgpu in Node where `dataSync()` throws.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { tensorValues } from '@tessera/testing';
 * await initBackend();
 * const t = tf.tensor2d([[1, 2], [3, 4]]);
 * Array.from(await tensorValues(t)); // → [1, 2, 3, 4]
 * t.dispose();
 * ```
 */
export async function tensorValues(t: tf.Tensor): Promise<tf.TypedArray> {
  return (await t.data()) as tf.TypedArray;
}

/**
 * Asynchronous {@link expectBitsEqual} of a tensor's values (read with `await t.data()`) against an array or a tensor
 * of the same shape: rejects unless they are bit-identical as float32 (NaN matches NaN unless `nanEqual: false`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { expectTensorBitsEqual } from '@tessera/testing';
 * await initBackend();
 * const t = tf.tensor1d([1, -0, 0.5]);
 * await expectTensorBitsEqual(t, [1, -0, 0.5]);
 * t.dispose();
 * ```
 */
export async function expectTensorBitsEqual(
  actual: tf.Tensor,
  expected: Expected,
  o: { nanEqual?: boolean; label?: string } = {},
): Promise<void> {
  const label = o.label ?? 'expectTensorBitsEqual';
  const e = await valuesOf(expected, label, actual.shape);
  expectBitsEqual((await actual.data()) as ArrayLike<number>, e, { ...o, label });
}

/**
 * Asynchronous {@link expectUlpClose} of a tensor's values (read with `await t.data()`): rejects unless every element
 * is within `maxUlp` float32 ulps of the expected one (an array, or a tensor of the same shape).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { expectTensorUlpClose } from '@tessera/testing';
 * await initBackend();
 * const t = tf.tidy(() => tf.div(tf.tensor1d([1]), tf.tensor1d([3])));
 * await expectTensorUlpClose(t, [1 / 3], 1);
 * t.dispose();
 * ```
 */
export async function expectTensorUlpClose(
  actual: tf.Tensor,
  expected: Expected,
  maxUlp: number,
  o: { label?: string } = {},
): Promise<void> {
  const label = o.label ?? 'expectTensorUlpClose';
  const e = await valuesOf(expected, label, actual.shape);
  expectUlpClose((await actual.data()) as ArrayLike<number>, e, maxUlp, { label });
}

/**
 * Rejects unless every value of `actual` (read with `await t.data()`) satisfies `|a − e| ≤ atol + rtol·|e|` against
 * `expected` (an array, or a tensor of the same shape); NaN matches only NaN. Defaults: `rtol` 1e-5, `atol` 1e-8.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { expectTensorClose } from '@tessera/testing';
 * await initBackend();
 * const t = tf.tidy(() => tf.sqrt(tf.tensor1d([2])));
 * await expectTensorClose(t, [Math.SQRT2], { rtol: 1e-6 });
 * t.dispose();
 * ```
 */
export async function expectTensorClose(
  actual: tf.Tensor,
  expected: Expected,
  o: { rtol?: number; atol?: number; label?: string } = {},
): Promise<void> {
  const { rtol = 1e-5, atol = 1e-8 } = o;
  const label = o.label ?? 'expectTensorClose';
  const e = await valuesOf(expected, label, actual.shape);
  const a = (await actual.data()) as ArrayLike<number>;
  if (a.length !== e.length) throw new Error(`${label}: length ${a.length} vs expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = e[i];
    const ok =
      Number.isNaN(x) || Number.isNaN(y) ? Number.isNaN(x) && Number.isNaN(y) : x === y || Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) throw new Error(`${label}: index ${i}: got ${x} expected ${y} (|Δ| ${Math.abs(x - y)} > ${atol} + ${rtol}·|expected|)`);
  }
}
