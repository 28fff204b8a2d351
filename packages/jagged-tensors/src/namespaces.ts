// Function-style namespaces (free functions in the style of torchrec's jagged ops): `jt.toPaddedDense(x, o)`,
// `kjt.permute(x, indices)`, `kt.regroup(kts, groups)` … Each entry delegates to the class method of the same name.

import type { IntArrayLike } from './int-array.js';
import { JaggedTensor, type JtInit, type PadOptions, type Tolerance } from './jagged-tensor.js';
import { type Groups, KeyedJaggedTensor, type KjtInit, type KjtParts } from './keyed-jagged-tensor.js';
import { KeyedTensor } from './keyed-tensor.js';

/**
 * JaggedTensor functions.
 * @example `const dense = jt.toPaddedDense(x, { desiredLength: 4 });`
 */
export const jt = Object.freeze({
  create: (i: JtInit) => new JaggedTensor(i),
  createUnsafe: (i: { values: JaggedTensor['values']; weights?: JaggedTensor['weights']; lengths: Int32Array; offsets: Int32Array }) =>
    JaggedTensor.createUnsafe(i),
  validate: (x: JaggedTensor) => x.validate(),
  dispose: (x: JaggedTensor) => x.dispose(),
  fromDense: JaggedTensor.fromDense,
  fromDenseLengths: JaggedTensor.fromDenseLengths,
  toDense: (x: JaggedTensor) => x.toDense(),
  toDenseWeights: (x: JaggedTensor) => x.toDenseWeights(),
  toPaddedDense: (x: JaggedTensor, o?: PadOptions) => x.toPaddedDense(o),
  toPaddedDenseWeights: (x: JaggedTensor, o?: PadOptions) => x.toPaddedDenseWeights(o),
  equal: (a: JaggedTensor, b: JaggedTensor, t?: Tolerance) => JaggedTensor.equal(a, b, t),
});

/**
 * KeyedJaggedTensor functions.
 * @example `const y = kjt.permute(x, [1, 0]);`
 */
export const kjt = Object.freeze({
  create: (i: KjtInit) => new KeyedJaggedTensor(i),
  createUnsafe: (p: KjtParts) => KeyedJaggedTensor.createUnsafe(p),
  createAsync: (i: KjtInit) => KeyedJaggedTensor.createAsync(i),
  fromLengths: (i: KjtInit) => KeyedJaggedTensor.fromLengths(i),
  fromOffsets: (i: KjtInit) => KeyedJaggedTensor.fromOffsets(i),
  validate: (x: KeyedJaggedTensor) => x.validate(),
  dispose: (x: KeyedJaggedTensor) => x.dispose(),
  get: (x: KeyedJaggedTensor, key: string) => x.get(key),
  toDict: (x: KeyedJaggedTensor) => x.toDict(),
  split: (x: KeyedJaggedTensor, segments: readonly number[]) => x.split(segments),
  permute: (x: KeyedJaggedTensor, indices: readonly number[]) => x.permute(indices),
  concat: (xs: readonly KeyedJaggedTensor[]) => KeyedJaggedTensor.concat(xs),
  indexSelectDim1: (x: KeyedJaggedTensor, indices: IntArrayLike, o?: { compact?: boolean }) => x.indexSelectDim1(indices, o),
  fromJtDict: (d: Readonly<Record<string, JaggedTensor>>) => KeyedJaggedTensor.fromJtDict(d),
  empty: (o?: { valuesDtype?: 'int32' | 'float32'; weighted?: boolean }) => KeyedJaggedTensor.empty(o),
  emptyLike: (x: KeyedJaggedTensor) => x.emptyLike(),
  equal: (a: KeyedJaggedTensor, b: KeyedJaggedTensor, t?: Tolerance) => KeyedJaggedTensor.equal(a, b, t),
  distSplits: (x: KeyedJaggedTensor, keySplits: readonly number[]) => x.distSplits(keySplits),
});

/**
 * KeyedTensor functions.
 * @example `const [g] = kt.regroup([a, b], [['x', 'y']]);`
 */
export const kt = Object.freeze({
  fromTensorList: (keys: readonly string[], ts: readonly KeyedTensor['values'][]) => KeyedTensor.fromTensorList(keys, ts),
  get: (x: KeyedTensor, key: string) => x.get(key),
  toDict: (x: KeyedTensor) => x.toDict(),
  regroup: (kts: readonly KeyedTensor[], groups: Groups) => KeyedTensor.regroup(kts, groups),
  regroupAsDict: (kts: readonly KeyedTensor[], groups: Groups, names: readonly string[]) => KeyedTensor.regroupAsDict(kts, groups, names),
});
