// Function-style namespaces (free functions in the style of torchrec's jagged ops): `jt.toPaddedDense(x, o)`,
// `kjt.permute(x, indices)`, `kt.regroup(kts, groups)` … Each entry delegates to the class method of the same name.

import { fail } from './errors.js';
import type { IntArrayLike } from './int-array.js';
import { JaggedTensor, type JtInit, type PadOptions, type Tolerance } from './jagged-tensor.js';
import { type Groups, KeyedJaggedTensor, type KjtInit, type KjtParts } from './keyed-jagged-tensor.js';
import { KeyedTensor } from './keyed-tensor.js';

// The namespace functions take the object as an argument: check its class first, so that a wrong or missing
// object is an INVALID_ARGUMENT and not a TypeError ("x.get is not a function").
function isJt(fn: string, x: unknown): JaggedTensor {
  if (!(x instanceof JaggedTensor)) fail('INVALID_ARGUMENT', fn, 'x must be a JaggedTensor', x);
  return x;
}
function isKjt(fn: string, x: unknown): KeyedJaggedTensor {
  if (!(x instanceof KeyedJaggedTensor)) fail('INVALID_ARGUMENT', fn, 'x must be a KeyedJaggedTensor', x);
  return x;
}
function isKt(fn: string, x: unknown): KeyedTensor {
  if (!(x instanceof KeyedTensor)) fail('INVALID_ARGUMENT', fn, 'x must be a KeyedTensor', x);
  return x;
}

/**
 * JaggedTensor functions.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { JaggedTensor, jt } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = new JaggedTensor({ values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [2, 1] });
 * const dense = jt.toPaddedDense(x, { desiredLength: 4 });
 * dense.arraySync(); // → [[1, 2, 0, 0], [3, 0, 0, 0]]
 * x.values.dispose(); dense.dispose();
 * ```
 */
export const jt = Object.freeze({
  create: (i: JtInit) => new JaggedTensor(i),
  createUnsafe: (i: { values: JaggedTensor['values']; weights?: JaggedTensor['weights']; lengths: Int32Array; offsets: Int32Array }) =>
    JaggedTensor.createUnsafe(i),
  validate: (x: JaggedTensor) => isJt('jt.validate', x).validate(),
  dispose: (x: JaggedTensor) => isJt('jt.dispose', x).dispose(),
  fromDense: JaggedTensor.fromDense,
  fromDenseLengths: JaggedTensor.fromDenseLengths,
  toDense: (x: JaggedTensor) => isJt('jt.toDense', x).toDense(),
  toDenseWeights: (x: JaggedTensor) => isJt('jt.toDenseWeights', x).toDenseWeights(),
  toPaddedDense: (x: JaggedTensor, o?: PadOptions) => isJt('jt.toPaddedDense', x).toPaddedDense(o),
  toPaddedDenseWeights: (x: JaggedTensor, o?: PadOptions) => isJt('jt.toPaddedDenseWeights', x).toPaddedDenseWeights(o),
  equal: (a: JaggedTensor, b: JaggedTensor, t?: Tolerance) => JaggedTensor.equal(a, b, t),
});

/**
 * KeyedJaggedTensor functions.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor, kjt } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
 * const y = kjt.permute(x, [1, 0]);
 * y.keys; // → ['item', 'user']
 * x.dispose(); y.dispose();
 * ```
 */
export const kjt = Object.freeze({
  create: (i: KjtInit) => new KeyedJaggedTensor(i),
  createUnsafe: (p: KjtParts) => KeyedJaggedTensor.createUnsafe(p),
  createAsync: (i: KjtInit) => KeyedJaggedTensor.createAsync(i),
  fromLengths: (i: KjtInit) => KeyedJaggedTensor.fromLengths(i),
  fromOffsets: (i: KjtInit) => KeyedJaggedTensor.fromOffsets(i),
  validate: (x: KeyedJaggedTensor) => isKjt('kjt.validate', x).validate(),
  dispose: (x: KeyedJaggedTensor) => isKjt('kjt.dispose', x).dispose(),
  get: (x: KeyedJaggedTensor, key: string) => isKjt('kjt.get', x).get(key),
  toDict: (x: KeyedJaggedTensor) => isKjt('kjt.toDict', x).toDict(),
  split: (x: KeyedJaggedTensor, segments: readonly number[]) => isKjt('kjt.split', x).split(segments),
  permute: (x: KeyedJaggedTensor, indices: readonly number[]) => isKjt('kjt.permute', x).permute(indices),
  concat: (xs: readonly KeyedJaggedTensor[]) => KeyedJaggedTensor.concat(xs),
  indexSelectDim1: (x: KeyedJaggedTensor, indices: IntArrayLike, o?: { compact?: boolean }) =>
    isKjt('kjt.indexSelectDim1', x).indexSelectDim1(indices, o),
  fromJtDict: (d: Readonly<Record<string, JaggedTensor>>) => KeyedJaggedTensor.fromJtDict(d),
  empty: (o?: { valuesDtype?: 'int32' | 'float32'; weighted?: boolean }) => KeyedJaggedTensor.empty(o),
  emptyLike: (x: KeyedJaggedTensor) => isKjt('kjt.emptyLike', x).emptyLike(),
  equal: (a: KeyedJaggedTensor, b: KeyedJaggedTensor, t?: Tolerance) => KeyedJaggedTensor.equal(a, b, t),
  distSplits: (x: KeyedJaggedTensor, keySplits: readonly number[]) => isKjt('kjt.distSplits', x).distSplits(keySplits),
});

/**
 * KeyedTensor functions.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedTensor, kt } from '@tessera/jagged-tensors';
 * await initBackend();
 * const a = KeyedTensor.fromTensorList(['x'], [tf.ones([2, 3])]);
 * const b = KeyedTensor.fromTensorList(['y'], [tf.zeros([2, 1])]);
 * const [g] = kt.regroup([a, b], [['x', 'y']]);
 * g.shape; // → [2, 4]
 * a.values.dispose(); b.values.dispose(); g.dispose();
 * ```
 */
export const kt = Object.freeze({
  fromTensorList: (keys: readonly string[], ts: readonly KeyedTensor['values'][]) => KeyedTensor.fromTensorList(keys, ts),
  get: (x: KeyedTensor, key: string) => isKt('kt.get', x).get(key),
  toDict: (x: KeyedTensor) => isKt('kt.toDict', x).toDict(),
  regroup: (kts: readonly KeyedTensor[], groups: Groups) => KeyedTensor.regroup(kts, groups),
  regroupAsDict: (kts: readonly KeyedTensor[], groups: Groups, names: readonly string[]) => KeyedTensor.regroupAsDict(kts, groups, names),
});
