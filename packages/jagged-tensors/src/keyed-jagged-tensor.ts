import * as tf from '@tensorflow/tfjs-core';
import { checkBoolean, checkInteger, checkIntegerArray, checkOneOf, checkOptions, describe } from '@tessera/core';
import { awaitData } from './device.js';
import { fail } from './errors.js';
import { concatInt32, type IntArrayLike } from './int-array.js';
import { bitsEqual, checkTolerance, JaggedTensor, type Tolerance, tensorsClose } from './jagged-tensor.js';
import {
  carryInverse,
  checkConcatValues,
  concatParts,
  cumsum,
  emptyParts,
  indexSelectParts,
  partsOf,
  permuteParts,
  slicedKeysParts,
  withBagsParts,
} from './kjt-ops.js';
import {
  checkKjt,
  checkLiveOperand,
  deriveKjt,
  freezeMatrix,
  type Groups,
  type InverseIndices,
  type KjtInit,
  type KjtParts,
  resolveGroups,
} from './kjt-validator.js';
import { bitsOf, emptyRows, takeRanges } from './rows.js';

export type { Groups, InverseIndices, KjtInit, KjtParts } from './kjt-validator.js';
export { cumsum, partsOf, resolveGroups };

const TRUSTED = Symbol('trusted');

/** One per-group summary of a deduplicated batch. */
export interface GroupStats {
  keys: readonly string[];
  /** B. */
  batch: number;
  /** U: distinct bags (signatures) stored. */
  unique: number;
  /** B / U (1 when B = 0). */
  ratio: number;
}

/**
 * A batch of sparse features keyed on dim 0 and jagged on the last dim (torchrec `KeyedJaggedTensor`).
 * `lengths` is key-major (all bags of key 0, then key 1 …) and `values` follows the same order. Every derived
 * field (`stride`, `stridePerKey`, `lengthPerKey`, `offsetPerKey`, `lengthsOffsetPerKey`, `indexPerKey`) is computed
 * eagerly and frozen. The constructor validates K1–K10; supplied `lengthPerKey`/`offsetPerKey`
 * are checked, never trusted. A KJT with `inverse` set is an {@link InverseKeyedJaggedTensor}.
 *
 * @throws TesseraError `INVALID_ARGUMENT`/`INVALID_DTYPE`/`INVALID_FORMAT` (K1), `INVALID_FORMAT` (K2, K5–K10, I2),
 * `INVALID_SHAPE` (K3), `INVALID_KEY` (K4, K8 names, I1 missing row).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const kjt = KeyedJaggedTensor.fromLengths({
 *   keys: ['F0', 'F1'], values: tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), lengths: [2, 0, 1, 1, 1, 3],
 * });
 * kjt.stride; // 3
 * kjt.offsetPerKey; // [0, 3, 8]
 * kjt.dispose();
 * ```
 */
export class KeyedJaggedTensor {
  declare readonly format: 'kjt';
  declare readonly keys: readonly string[];
  declare readonly values: tf.Tensor;
  declare readonly weights: tf.Tensor1D | null;
  declare readonly lengths: Int32Array;
  declare readonly offsets: Int32Array;
  declare readonly stride: number;
  declare readonly stridePerKey: readonly number[];
  declare readonly stridePerKeyPerRank: readonly (readonly number[])[] | null;
  declare readonly lengthPerKey: readonly number[];
  declare readonly offsetPerKey: readonly number[];
  declare readonly lengthsOffsetPerKey: readonly number[];
  /** key → position; empty when `duplicateKeys`. */
  declare readonly indexPerKey: Readonly<Record<string, number>>;
  declare readonly inverse: InverseIndices | null;
  declare readonly groups: Groups | null;
  declare readonly duplicateKeys: boolean;

  constructor(init: KjtInit, trusted?: typeof TRUSTED) {
    const parts = trusted === TRUSTED ? (init as unknown as KjtParts) : checkKjt('KeyedJaggedTensor', init);
    if (!parts.inverse && new.target === InverseKeyedJaggedTensor) {
      fail('INVALID_ARGUMENT', 'InverseKeyedJaggedTensor', 'inverse indices are required', 'none');
    }
    if (parts.inverse && new.target === KeyedJaggedTensor) {
      // biome-ignore lint/correctness/noConstructorReturn: a KJT with inverse indices is an IKJT
      return new InverseKeyedJaggedTensor(parts as unknown as KjtInit, TRUSTED);
    }
    const d = deriveKjt(parts);
    const ipk: Record<string, number> = Object.create(null);
    if (!parts.duplicateKeys)
      parts.keys.forEach((k, i) => {
        ipk[k] = i;
      });
    Object.assign(this, parts, d, { format: 'kjt', indexPerKey: Object.freeze(ipk) });
    Object.freeze(this);
  }

  /**
   * Validating constructor (`new KeyedJaggedTensor(init)`).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.create({ keys: ['a', 'b'], values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [1, 0, 2, 0] });
   * [x.stride, Array.from(x.lengthPerKey)]; // → [2, [1, 2]]
   * x.dispose();
   * ```
   */
  static create(init: KjtInit): KeyedJaggedTensor {
    return new KeyedJaggedTensor(init);
  }

  /**
   * torchrec `from_lengths_sync`: same as the constructor.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [1, 2] });
   * x.stride; // → 2
   * x.dispose();
   * ```
   */
  static fromLengths(init: KjtInit): KeyedJaggedTensor {
    return new KeyedJaggedTensor(init);
  }

  /**
   * torchrec `from_offsets_sync`: same as the constructor.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromOffsets({ keys: ['a'], values: tf.tensor1d([1, 2, 3], 'int32'), offsets: [0, 1, 3] });
   * x.lengths; // → Int32Array [1, 2]
   * x.dispose();
   * ```
   */
  static fromOffsets(init: KjtInit): KeyedJaggedTensor {
    return new KeyedJaggedTensor(init);
  }

  /**
   * Like {@link KeyedJaggedTensor.create}, reading tensor lengths/offsets with `data()` instead of `dataSync()`.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const lengths = tf.tensor1d([1, 2], 'int32');
   * const x = await KeyedJaggedTensor.createAsync({ keys: ['a'], values: tf.tensor1d([1, 2, 3], 'int32'), lengths });
   * x.lengths; // → Int32Array [1, 2]
   * x.dispose();
   * lengths.dispose();
   * ```
   */
  static async createAsync(init: KjtInit): Promise<KeyedJaggedTensor> {
    if (typeof init !== 'object' || init === null)
      fail('INVALID_ARGUMENT', 'KeyedJaggedTensor.createAsync', 'init must be an object', init);
    const read = async (x: unknown) =>
      typeof x === 'object' && x !== null && 'dataId' in x && (x as tf.Tensor).dtype === 'int32' && !(x as tf.Tensor).isDisposed
        ? Int32Array.from((await (x as tf.Tensor).data()) as Int32Array)
        : x;
    return new KeyedJaggedTensor({
      ...init,
      lengths: (await read(init.lengths)) as IntArrayLike,
      offsets: (await read(init.offsets)) as IntArrayLike,
    });
  }

  /**
   * Builds a KJT from resolved parts without validation (internal hot paths; the caller guarantees K1–K10).
   * @example `KeyedJaggedTensor.createUnsafe(parts)`
   */
  static createUnsafe(parts: KjtParts): KeyedJaggedTensor {
    return makeKjt(parts);
  }

  /**
   * Empty KJT: keys [], stride 0, empty values of `valuesDtype`.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const e = KeyedJaggedTensor.empty({ weighted: true });
   * [e.keys, e.stride, e.weights !== null]; // → [[], 0, true]
   * e.dispose();
   * ```
   */
  static empty(o: { valuesDtype?: 'int32' | 'float32'; weighted?: boolean } = {}): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.empty';
    const opts = checkOptions<{ valuesDtype?: unknown; weighted?: unknown }>(o, fn);
    const dtype = checkOneOf(opts.valuesDtype ?? 'int32', fn, 'valuesDtype', ['int32', 'float32'] as const);
    const weighted = checkBoolean(opts.weighted, fn, 'weighted', false);
    const values = tf.zeros([0], dtype);
    const weights = weighted ? (tf.zeros([0], 'float32') as tf.Tensor1D) : null;
    return makeKjt({ ...emptyParts(), values, weights });
  }

  /**
   * `{ key: JaggedTensor }` → KJT, keys in insertion order. Equal bag counts → non-VBE; otherwise VBE with `[[U_k]]`.
   * Weighted all-or-none (D6). Every JT must include its empty bags.
   *
   * @throws TesseraError `INVALID_ARGUMENT` on an empty dict, `INVALID_FORMAT` on a weighted/unweighted mix,
   * `INVALID_DTYPE`/`INVALID_SHAPE` on mismatched values.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { JaggedTensor, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * import { initBackend } from '@tessera/core';
   * await initBackend();
   * const a = new JaggedTensor({ values: tf.tensor1d([1, 2], 'int32'), lengths: [2, 0] });
   * const kjt = KeyedJaggedTensor.fromJtDict({ a });
   * a.dispose(); kjt.dispose();
   * ```
   */
  static fromJtDict(dict: Readonly<Record<string, JaggedTensor>>): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.fromJtDict';
    const keys = Object.keys(checkOptions(dict, fn, 'dict'));
    if (keys.length === 0) fail('INVALID_ARGUMENT', fn, 'dict must have at least one key', dict);
    const jts = keys.map((k) => {
      const j = dict[k];
      if (!(j instanceof JaggedTensor)) fail('INVALID_ARGUMENT', fn, `dict['${k}'] must be a JaggedTensor`, j);
      // a JT whose values were disposed would fail inside tf.concat with a tfjs TypeError
      checkLiveOperand(fn, `dict['${k}']`, j);
      return j;
    });
    const weighted = jts[0].weights !== null;
    if (jts.some((j) => (j.weights !== null) !== weighted)) fail('INVALID_FORMAT', fn, 'weights must be all-or-none (D6)', 'a mix');
    checkConcatValues(
      fn,
      jts.map((j) => j.values),
    );
    const U = jts.map((j) => j.lengths.length);
    const vbe = U.some((u) => u !== U[0]);
    const lengths = concatInt32(jts.map((j) => j.lengths));
    const values = tf.concat(
      jts.map((j) => j.values),
      0,
    );
    let weights: tf.Tensor1D | null = null;
    try {
      weights = weighted ? (tf.concat(jts.map((j) => j.weights as tf.Tensor1D)) as tf.Tensor1D) : null;
      return new KeyedJaggedTensor({ keys, values, weights, lengths, stridePerKeyPerRank: vbe ? U.map((u) => [u]) : null });
    } catch (e) {
      values.dispose();
      weights?.dispose();
      throw e;
    }
  }

  /**
   * Concatenates KJTs key-wise: keys must be disjoint (D5), weights all-or-none, non-VBE strides equal,
   * VBE all-or-none with equal R, inverse rows all-or-none with equal B, values dtype and trailing dims equal.
   *
   * @throws TesseraError `INVALID_ARGUMENT` (empty list), `INVALID_KEY` (a key in two inputs), `INVALID_FORMAT`
   * (mixed weights / VBE / inverse, strides), `INVALID_DTYPE`/`INVALID_SHAPE` (values).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['a', 'b'], values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [1, 0, 2, 0] });
   * const parts = x.split([1, 1]);
   * const y = KeyedJaggedTensor.concat(parts);
   * y.bitwiseEqual(x); // → true
   * for (const p of [x, y, ...parts]) p.dispose();
   * ```
   */
  static concat(list: readonly KeyedJaggedTensor[]): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.concat';
    if (!Array.isArray(list) || list.length === 0) fail('INVALID_ARGUMENT', fn, 'list must be a non-empty array of KJTs', list);
    // an index loop, not forEach: a sparse array's holes must be checked too
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      if (!(x instanceof KeyedJaggedTensor)) fail('INVALID_ARGUMENT', fn, `list[${i}] must be a KeyedJaggedTensor`, x);
      checkLiveOperand(fn, `list[${i}]`, x);
    }
    return makeKjt(concatParts(fn, list));
  }

  /** torchrec's name for {@link KeyedJaggedTensor.inverse}: `{ names, idx }` (one row of length B per name) or null. */
  get inverseIndices(): InverseIndices | null {
    return this.inverse;
  }

  /** K, the number of keys. */
  get numKeys(): number {
    return this.keys.length;
  }

  /** Whether the batch size varies per key (`stridePerKeyPerRank` set). */
  get variableStride(): boolean {
    return this.stridePerKeyPerRank !== null;
  }

  /**
   * Re-runs every construction check (K1–K10, I1–I2). @throws TesseraError as the constructor.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * x.validate(); // throws if a rule is broken
   * x.dispose();
   * ```
   */
  validate(): void {
    checkKjt('KeyedJaggedTensor.validate', partsOf(this), { allowDuplicateKeys: this.duplicateKeys });
  }

  /**
   * The JT of one key: its block of lengths and its values/weights. On an IKJT it holds the stored (unique) bags.
   *
   * @throws TesseraError `INVALID_KEY` for an unknown key or a key that occurs twice (D9).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const jt = x.get('user');
   * jt.lengths; // → Int32Array [2, 2]
   * jt.dispose();
   * x.dispose();
   * ```
   */
  get(key: string): JaggedTensor {
    checkLiveOperand('KeyedJaggedTensor.get', 'this', this);
    const k = this.keyIndex('KeyedJaggedTensor.get', key);
    const lop = this.lengthsOffsetPerKey;
    const opk = this.offsetPerKey;
    const lengths = this.lengths.slice(lop[k], lop[k + 1]);
    const offsets = cumsum(lengths);
    const values = takeRanges(this.values, [[opk[k], opk[k + 1]]]);
    const weights = this.weights ? (takeRanges(this.weights, [[opk[k], opk[k + 1]]]) as tf.Tensor1D) : null;
    return JaggedTensor.createUnsafe({ values, weights, lengths, offsets });
  }

  /**
   * `{ key: get(key) }` in key order, not cached. @throws TesseraError `INVALID_KEY` when keys repeat.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const d = x.toDict();
   * Object.keys(d); // → ['user', 'item']
   * for (const jt of Object.values(d)) jt.dispose();
   * x.dispose();
   * ```
   */
  toDict(): Record<string, JaggedTensor> {
    if (this.duplicateKeys) fail('INVALID_KEY', 'KeyedJaggedTensor.toDict', 'keys must be unique', describe([...this.keys]), 'K4');
    const out: Record<string, JaggedTensor> = {};
    for (const k of this.keys) out[k] = this.get(k);
    return out;
  }

  /**
   * Splits consecutive keys into parts of `segments[i]` keys (Σ = K). Every part keeps the parent stride; a
   * 0-key part is empty with the same dtype and weightedness; inverse rows go with their keys (D4). New tensors
   * always (D10).
   *
   * @throws TesseraError `INVALID_ARGUMENT` when segments are not integers >= 0 summing to K.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const [a, b] = x.split([1, 1]);
   * [a.keys, b.keys]; // → [['user'], ['item']]
   * for (const t of [a, b, x]) t.dispose();
   * ```
   */
  split(segments: readonly number[]): KeyedJaggedTensor[] {
    const fn = 'KeyedJaggedTensor.split';
    checkLiveOperand(fn, 'this', this);
    if (!Array.isArray(segments)) fail('INVALID_ARGUMENT', fn, 'segments must be an array of integers', segments);
    for (let i = 0; i < segments.length; i++) checkInteger(segments[i], fn, `segments[${i}]`, { min: 0 });
    const total = segments.reduce((a, b) => a + b, 0);
    if (total !== this.keys.length) fail('INVALID_ARGUMENT', fn, `segments must sum to K = ${this.keys.length}`, total);
    const out: KeyedJaggedTensor[] = [];
    let start = 0;
    for (const s of segments) {
      out.push(this.slicedKeys(start, start + s));
      start += s;
    }
    return out;
  }

  /**
   * Reorders keys: output key j is input key `indices[j]`; repeats and omissions allowed. Each key's block of
   * lengths/values/weights moves as a unit; stride and weightedness are kept; inverse rows follow their keys (D4);
   * repeats set `duplicateKeys`.
   *
   * @throws TesseraError `INDEX_OUT_OF_RANGE` when an index is outside [0, K).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const swapped = x.permute([1, 0]);
   * [swapped.keys, swapped.lengths]; // → [['item', 'user'], Int32Array [1, 1, 2, 2]]
   * swapped.dispose();
   * x.dispose();
   * ```
   */
  permute(indices: readonly number[]): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.permute';
    checkLiveOperand(fn, 'this', this);
    return makeKjt(permuteParts(fn, this, indices));
  }

  /**
   * Selects the same samples in every key (FBGEMM `keyed_jagged_index_select_dim1`): output bag (k, j) = input bag
   * (k, indices[j]); stride = indices.length. On an IKJT it selects inverse columns and keeps the stored bags; with
   * `compact` it drops unreferenced bags and renumbers them in first-occurrence order.
   *
   * @throws TesseraError `INDEX_OUT_OF_RANGE` (index outside [0, stride)), `UNSUPPORTED` (VBE without inverse).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const second = x.indexSelectDim1([1]);
   * [second.stride, second.lengths]; // → [1, Int32Array [2, 1]]
   * second.dispose();
   * x.dispose();
   * ```
   */
  indexSelectDim1(indices: IntArrayLike, o: { compact?: boolean } = {}): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.indexSelectDim1';
    checkLiveOperand(fn, 'this', this);
    const compact = checkOptions<{ compact?: unknown }>(o, fn).compact;
    return makeKjt(indexSelectParts(fn, this, indices, checkBoolean(compact, fn, 'compact', false)));
  }

  /**
   * Alias of {@link KeyedJaggedTensor.indexSelectDim1}.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const y = x.indexSelect([1, 0]);
   * y.lengths; // → Int32Array [2, 2, 1, 1]
   * y.dispose();
   * x.dispose();
   * ```
   */
  indexSelect(indices: IntArrayLike, o: { compact?: boolean } = {}): KeyedJaggedTensor {
    return this.indexSelectDim1(indices, o);
  }

  /**
   * Empty KJT keeping dtype, trailing dims, weightedness and VBE-ness.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const e = x.emptyLike();
   * [e.values.dtype, e.values.size]; // → ['int32', 0]
   * e.dispose();
   * x.dispose();
   * ```
   */
  emptyLike(): KeyedJaggedTensor {
    return makeKjt({
      ...emptyParts(),
      values: emptyRows(this.values),
      weights: this.weights ? (emptyRows(this.weights) as tf.Tensor1D) : null,
      stridePerKeyPerRank: this.stridePerKeyPerRank ? [] : null,
    });
  }

  /**
   * Same keys in order, same lengths/stride/VBE matrix/inverse exactly; values and weights as in JT `equal`.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const a = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: tf.tensor1d([1, 2, 3]), lengths: [1, 2] });
   * const b = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: tf.tensor1d([1, 2, 3.0001]), lengths: [1, 2] });
   * [a.equal(b, { rtol: 1e-3 }), a.bitwiseEqual(b)]; // → [true, false]
   * a.dispose();
   * b.dispose();
   * ```
   */
  equal(other: KeyedJaggedTensor, tol?: Tolerance): boolean {
    return KeyedJaggedTensor.equal(this, other, tol);
  }

  /**
   * Static form of {@link KeyedJaggedTensor.equal}.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const a = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [1, 2] });
   * const b = KeyedJaggedTensor.fromOffsets({ keys: ['a'], values: tf.tensor1d([1, 2, 3], 'int32'), offsets: [0, 1, 3] });
   * KeyedJaggedTensor.equal(a, b); // → true
   * a.dispose();
   * b.dispose();
   * ```
   */
  static equal(a: KeyedJaggedTensor, b: KeyedJaggedTensor, tol?: Tolerance): boolean {
    const fn = 'KeyedJaggedTensor.equal';
    if (!(a instanceof KeyedJaggedTensor) || !(b instanceof KeyedJaggedTensor))
      fail('INVALID_ARGUMENT', fn, 'a and b must be KeyedJaggedTensors', b);
    checkLiveOperand(fn, 'a', a);
    checkLiveOperand(fn, 'b', b);
    checkTolerance(fn, tol);
    const j = (x: unknown) => JSON.stringify(x);
    if (j(a.keys) !== j(b.keys) || a.stride !== b.stride || j(a.stridePerKeyPerRank) !== j(b.stridePerKeyPerRank)) return false;
    if (a.lengths.length !== b.lengths.length || a.lengths.some((v, i) => v !== b.lengths[i])) return false;
    if ((a.inverse === null) !== (b.inverse === null)) return false;
    if (a.inverse && b.inverse) {
      if (j(a.inverse.names) !== j(b.inverse.names)) return false;
      if (a.inverse.idx.some((r, i) => j(Array.from(r)) !== j(Array.from((b.inverse as InverseIndices).idx[i])))) return false;
    }
    if (!tensorsClose(a.values, b.values, tol, fn)) return false;
    if ((a.weights === null) !== (b.weights === null)) return false;
    return a.weights === null || tensorsClose(a.weights, b.weights as tf.Tensor, tol, fn);
  }

  /**
   * Bitwise equality of everything (values/weights by bit pattern).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const a = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: tf.tensor1d([0, 1]), lengths: [1, 1] });
   * const b = KeyedJaggedTensor.fromLengths({ keys: ['a'], values: tf.tensor1d([-0, 1]), lengths: [1, 1] });
   * [a.equal(b), a.bitwiseEqual(b)]; // → [true, false]
   * a.dispose();
   * b.dispose();
   * ```
   */
  bitwiseEqual(other: KeyedJaggedTensor): boolean {
    if (!KeyedJaggedTensor.equal(this, other, { rtol: Number.POSITIVE_INFINITY, atol: Number.POSITIVE_INFINITY })) return false;
    if (!bitsEqual(this.values, other.values, 'KeyedJaggedTensor.bitwiseEqual')) return false;
    return this.weights === null || bitsEqual(this.weights, other.weights as tf.Tensor, 'KeyedJaggedTensor.bitwiseEqual');
  }

  /**
   * torchrec `dist_splits`: `[Σ stridePerKey per split, Σ lengthPerKey per split, (keySplits if VBE), (lengthPerKey
   * split again if weighted)]`.
   * @throws TesseraError `INVALID_ARGUMENT` when keySplits do not sum to K.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * x.distSplits([1, 1]); // → [[2, 2], [4, 2]]
   * x.dispose();
   * ```
   */
  distSplits(keySplits: readonly number[]): number[][] {
    const fn = 'KeyedJaggedTensor.distSplits';
    if (checkIntegerArray(keySplits, fn, 'keySplits', { min: 0 }).reduce((a, b) => a + b, 0) !== this.keys.length) {
      fail('INVALID_ARGUMENT', fn, `keySplits must sum to K = ${this.keys.length}`, keySplits);
    }
    const sums = (arr: readonly number[]) => {
      const out: number[] = [];
      let s = 0;
      for (const n of keySplits) {
        out.push(arr.slice(s, s + n).reduce((a, b) => a + b, 0));
        s += n;
      }
      return out;
    };
    const res = [sums(this.stridePerKey), sums(this.lengthPerKey)];
    if (this.stridePerKeyPerRank) res.push([...keySplits]);
    if (this.weights) res.push(sums(this.lengthPerKey));
    return res;
  }

  /** Frees `values` and `weights`. @example `kjt.dispose()` */
  dispose(): void {
    this.values.dispose();
    this.weights?.dispose();
  }

  /** @internal */
  keyIndex(fn: string, key: string): number {
    if (typeof key !== 'string') fail('INVALID_KEY', fn, 'key must be a string', key);
    const k = this.keys.indexOf(key);
    if (k < 0) fail('INVALID_KEY', fn, 'unknown key', `'${key}' (keys ${describe([...this.keys])})`);
    if (this.keys.lastIndexOf(key) !== k) fail('INVALID_KEY', fn, 'the key occurs more than once (ambiguous, D9)', `'${key}'`, 'K4');
    return k;
  }

  /** Inverse rows and groups restricted to `keys` (D4). @internal */
  carryInverse(keys: readonly string[]): { inverse: InverseIndices | null; groups: Groups | null } {
    return carryInverse(this, keys);
  }

  /** Sub-KJT of keys [a, b). @internal */
  slicedKeys(a: number, b: number): KeyedJaggedTensor {
    return makeKjt(slicedKeysParts(this, a, b));
  }

  /** New KJT with the same keys whose bags are the listed global bags of this one (in order). @internal */
  withBags(bags: Int32Array, rest: Pick<KjtParts, 'stride' | 'stridePerKeyPerRank' | 'inverse' | 'groups'>): KeyedJaggedTensor {
    return makeKjt(withBagsParts(this, bags, rest));
  }
}

/**
 * A {@link KeyedJaggedTensor} with inverse indices (RecD IKJT): key k stores U_k distinct bags
 * (`stridePerKeyPerRank = [[U_k]]`) and `inverse` maps each of the B samples to one of them; `stride` = B. Keys of
 * one group share one inverse row. Built by {@link dedup}; `expand()` gives back the B-row KJT.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedJaggedTensor, dedup } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const kjt = KeyedJaggedTensor.fromLengths({ keys: ['u'], values: tf.tensor1d([5, 6, 5, 6], 'int32'), lengths: [2, 2] });
 * const ikjt = dedup(kjt);
 * ikjt.dedupRatio; // 2
 * const back = ikjt.expand();
 * tf.dispose([kjt.values, ikjt.values, back.values]);
 * ```
 */
export class InverseKeyedJaggedTensor extends KeyedJaggedTensor {
  declare readonly inverse: InverseIndices;
  declare readonly groups: Groups;

  /** Stored bag count U_k per key (alias of `stridePerKey`), as a record. */
  get uniqueCounts(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    this.keys.forEach((k, i) => {
      out[k] = this.stridePerKey[i];
    });
    return out;
  }

  /** Per-group `{ keys, batch: B, unique: U, ratio: B/U }`. */
  get stats(): GroupStats[] {
    return this.groups.map((g) => {
      const unique = this.stridePerKey[this.keys.indexOf(g[0])];
      return { keys: g, batch: this.stride, unique, ratio: unique === 0 ? 1 : this.stride / unique };
    });
  }

  /**
   * Overall dedup ratio: bags of the expanded batch over bags stored, `K·B / Σ U_k` (1 for an empty batch).
   * Per-group ratios are in {@link InverseKeyedJaggedTensor.stats}.
   */
  get dedupRatio(): number {
    const stored = this.stridePerKey.reduce((a, b) => a + b, 0);
    return stored === 0 ? 1 : (this.keys.length * this.stride) / stored;
  }

  /** Self-reference so that `dedup(x).ikjt` also reads as a `{ ikjt, stats }` result. */
  get ikjt(): InverseKeyedJaggedTensor {
    return this;
  }

  /**
   * The inverse row of a key. @throws TesseraError `INVALID_KEY` for an unknown key.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const ikjt = dedup(x);
   * [ikjt.inverseIndicesOf('user'), ikjt.inverseIndicesOf('item')]; // → [Int32Array [0, 0], Int32Array [0, 1]]
   * ikjt.dispose();
   * x.dispose();
   * ```
   */
  inverseIndicesOf(key: string): Int32Array {
    if (typeof key !== 'string') fail('INVALID_KEY', 'InverseKeyedJaggedTensor.inverseIndicesOf', 'key must be a string', key);
    const j = this.inverse.names.indexOf(key);
    if (j < 0) fail('INVALID_KEY', 'InverseKeyedJaggedTensor.inverseIndicesOf', 'unknown key', `'${key}'`);
    return this.inverse.idx[j];
  }

  /**
   * The non-VBE KJT with B bags per key: bag (k, b) = stored bag `idx_k[b]` (torchrec's expansion
   * oracle). Weightedness kept.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const ikjt = dedup(x);
   * const back = ikjt.expand();
   * back.bitwiseEqual(x); // → true
   * for (const t of [ikjt, back, x]) t.dispose();
   * ```
   */
  expand(): KeyedJaggedTensor {
    const K = this.keys.length;
    const B = this.stride;
    const lop = this.lengthsOffsetPerKey;
    const bags = new Int32Array(K * B);
    for (let k = 0; k < K; k++) {
      const row = this.inverseIndicesOf(this.keys[k]);
      for (let b = 0; b < B; b++) bags[k * B + b] = lop[k] + row[b];
    }
    return this.withBags(bags, { stride: B, stridePerKeyPerRank: null, inverse: null, groups: null });
  }

  /**
   * Checks I1–I2 plus, with `dedupOrder`, the dedup-output rules I3 (first-occurrence order) and I4 (stored
   * signatures of a group pairwise distinct, U ≤ B).
   * @throws TesseraError `INVALID_FORMAT` with rule I3 or I4, or as {@link KeyedJaggedTensor.validate}.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const ikjt = dedup(x);
   * ikjt.validate({ dedupOrder: true }); // dedup's output satisfies I1–I4
   * ikjt.dispose();
   * x.dispose();
   * ```
   */
  override validate(o: { dedupOrder?: boolean } = {}): void {
    const opts = checkOptions<{ dedupOrder?: unknown }>(o, 'InverseKeyedJaggedTensor.validate');
    const dedupOrder = checkBoolean(opts.dedupOrder, 'InverseKeyedJaggedTensor.validate', 'dedupOrder', false);
    super.validate();
    if (!dedupOrder) return;
    const fn = 'InverseKeyedJaggedTensor.validate';
    const B = this.stride;
    for (const g of this.groups) {
      const row = this.inverseIndicesOf(g[0]);
      const U = this.stridePerKey[this.keys.indexOf(g[0])];
      if (U > B) fail('INVALID_FORMAT', fn, `U must be <= B = ${B}`, `U = ${U} for group ${describe([...g])}`, 'I4');
      let next = 0;
      for (let b = 0; b < B; b++) {
        if (row[b] > next)
          fail(
            'INVALID_FORMAT',
            fn,
            'inverse rows must be in first-occurrence order',
            `idx[${b}] = ${row[b]} before ${next} occurred`,
            'I3',
          );
        if (row[b] === next) next++;
      }
      if (next !== U)
        fail('INVALID_FORMAT', fn, 'every stored bag must be referenced', `${next} of ${U} referenced in group ${describe([...g])}`, 'I4');
      const sigs = new Set<string>();
      for (let u = 0; u < U; u++) {
        const s = g.map((k) => bagSignature(this, this.keys.indexOf(k), u)).join('|');
        if (sigs.has(s))
          fail('INVALID_FORMAT', fn, 'stored bags of a group must be pairwise distinct', `group ${describe([...g])} bag ${u}`, 'I4');
        sigs.add(s);
      }
    }
  }
}

function bagSignature(x: KeyedJaggedTensor, k: number, u: number): string {
  const bag = x.lengthsOffsetPerKey[k] + u;
  const w = x.values.shape[1] ?? 1;
  const s = x.offsets[bag];
  const e = x.offsets[bag + 1];
  const fn = 'InverseKeyedJaggedTensor.validate';
  const alt = `dedupOrder compares stored bags on the host: ${awaitData('x.values')}`;
  const v = Array.from(bitsOf(x.values, fn, 'the values', alt).subarray(s * w, e * w));
  const ws = x.weights ? Array.from(bitsOf(x.weights, fn, 'the weights', alt).subarray(s, e)) : [];
  return `${v.join(',')};${ws.join(',')}`;
}

/** Builds a KJT or IKJT from trusted parts (freezing arrays of metadata). @internal */
export function makeKjt(p: KjtParts): KeyedJaggedTensor {
  const parts: KjtParts = {
    ...p,
    keys: Object.freeze([...p.keys]),
    stridePerKeyPerRank: p.stridePerKeyPerRank ? freezeMatrix(p.stridePerKeyPerRank) : null,
    inverse: p.inverse ? Object.freeze({ names: Object.freeze([...p.inverse.names]), idx: Object.freeze([...p.inverse.idx]) }) : null,
    groups: p.groups ? Object.freeze(p.groups.map((g) => Object.freeze([...g]))) : null,
  };
  const Ctor = parts.inverse ? InverseKeyedJaggedTensor : KeyedJaggedTensor;
  return new Ctor(parts as unknown as KjtInit, TRUSTED);
}
