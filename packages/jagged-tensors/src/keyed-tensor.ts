import * as tf from '@tensorflow/tfjs-core';
import { checkStringArray, checkTensor, describe } from '@tessera/core';
import { fail } from './errors.js';
import type { Groups } from './kjt-validator.js';

/** Constructor input of a {@link KeyedTensor}. */
export interface KtInit {
  keys: readonly string[];
  /** Width of each key along dim 1. */
  lengthPerKey: readonly number[];
  /** `[B, Σ widths]`. Kept by reference. */
  values: tf.Tensor;
}

/**
 * Pooled outputs keyed along dim 1 (torchrec `KeyedTensor`, `key_dim = 1`): `values` is `[B, Σ w_k]` and key k
 * occupies columns `offsetPerKey[k] .. offsetPerKey[k+1]`.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (keys/widths), `INVALID_KEY` (duplicate keys), `INVALID_SHAPE` (values
 * not rank 2 or widths not summing to `values.shape[1]`).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedTensor } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const kt = KeyedTensor.fromTensorList(['t1', 't2'], [tf.ones([2, 3]), tf.zeros([2, 4])]);
 * kt.offsetPerKey; // [0, 3, 7]
 * const t2 = kt.get('t2'); // [2, 4]
 * t2.dispose(); kt.dispose();
 * ```
 */
export class KeyedTensor {
  declare readonly format: 'kt';
  declare readonly keys: readonly string[];
  declare readonly lengthPerKey: readonly number[];
  declare readonly offsetPerKey: readonly number[];
  declare readonly values: tf.Tensor2D;
  declare readonly keyDim: 1;
  declare readonly indexPerKey: Readonly<Record<string, number>>;

  constructor(init: KtInit) {
    const fn = 'KeyedTensor';
    const { keys, lengthPerKey } = init ?? ({} as KtInit);
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string'))
      fail('INVALID_ARGUMENT', fn, 'keys must be an array of strings', keys);
    if (new Set(keys).size !== keys.length) fail('INVALID_KEY', fn, 'keys must be unique', describe([...keys]));
    if (!Array.isArray(lengthPerKey) || lengthPerKey.length !== keys.length || lengthPerKey.some((w) => !Number.isInteger(w) || w < 0)) {
      fail('INVALID_ARGUMENT', fn, `lengthPerKey must hold ${keys.length} integers >= 0`, lengthPerKey);
    }
    const values = checkTensor(init.values, fn, 'values', { rank: 2 }) as tf.Tensor2D;
    const opk = [0];
    for (const w of lengthPerKey) opk.push(opk[opk.length - 1] + w);
    if (opk[opk.length - 1] !== values.shape[1]) {
      fail('INVALID_SHAPE', fn, `sum(lengthPerKey) must equal values.shape[1] = ${values.shape[1]}`, opk[opk.length - 1]);
    }
    const ipk: Record<string, number> = Object.create(null);
    keys.forEach((k, i) => {
      ipk[k] = i;
    });
    Object.assign(this, {
      format: 'kt',
      keys: Object.freeze([...keys]),
      lengthPerKey: Object.freeze([...lengthPerKey]),
      offsetPerKey: Object.freeze(opk),
      values,
      keyDim: 1,
      indexPerKey: Object.freeze(ipk),
    });
    Object.freeze(this);
  }

  /**
   * Concatenates `[B, w_k]` tensors along dim 1; widths come from `shape[1]`.
   * @throws TesseraError `INVALID_ARGUMENT` (count mismatch / empty), `INVALID_SHAPE` (rank or B mismatch).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const kt = KeyedTensor.fromTensorList(['a', 'b'], [tf.ones([2, 3]), tf.zeros([2, 1])]);
   * [kt.keys, kt.lengthPerKey, kt.values.shape]; // → [['a', 'b'], [3, 1], [2, 4]]
   * kt.dispose();
   * ```
   */
  static fromTensorList(keys: readonly string[], tensors: readonly tf.Tensor[]): KeyedTensor {
    const fn = 'KeyedTensor.fromTensorList';
    if (!Array.isArray(tensors) || !Array.isArray(keys) || tensors.length !== keys.length || tensors.length === 0) {
      fail(
        'INVALID_ARGUMENT',
        fn,
        'keys and tensors must be non-empty arrays of equal length',
        `${keys?.length} keys, ${tensors?.length} tensors`,
      );
    }
    // index loops, not forEach: a sparse array's holes must be checked too
    for (let i = 0; i < tensors.length; i++) checkTensor(tensors[i], fn, `tensors[${i}]`, { rank: 2 });
    const B = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.shape[0] !== B) fail('INVALID_SHAPE', fn, `every tensor must have ${B} rows`, `tensors[${i}] shape [${t.shape.join(', ')}]`);
    });
    const widths = tensors.map((t) => t.shape[1]);
    // every check the constructor makes on keys runs before the concat, so a bad call allocates nothing
    for (let i = 0; i < keys.length; i++)
      if (typeof keys[i] !== 'string') fail('INVALID_ARGUMENT', fn, 'keys must be an array of strings', keys);
    if (new Set(keys).size !== keys.length) fail('INVALID_KEY', fn, 'keys must be unique', describe([...keys]));
    const values = tf.concat(tensors as tf.Tensor2D[], 1);
    try {
      return new KeyedTensor({ keys, lengthPerKey: widths, values });
    } catch (e) {
      values.dispose();
      throw e;
    }
  }

  /**
   * Columns of one key, `[B, w_k]`. @throws TesseraError `INVALID_KEY` for an unknown key.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const kt = KeyedTensor.fromTensorList(['a', 'b'], [tf.ones([2, 3]), tf.zeros([2, 1])]);
   * const a = kt.get('a');
   * a.shape; // → [2, 3]
   * a.dispose();
   * kt.dispose();
   * ```
   */
  get(key: string): tf.Tensor2D {
    checkTensor(this.values, 'KeyedTensor.get', 'values');
    const k = typeof key === 'string' && Object.hasOwn(this.indexPerKey, key) ? this.indexPerKey[key] : undefined;
    if (k === undefined) fail('INVALID_KEY', 'KeyedTensor.get', 'unknown key', key);
    return sliceCols(this.values, this.offsetPerKey[k], this.lengthPerKey[k]);
  }

  /**
   * `{ key: get(key) }` in key order.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const kt = KeyedTensor.fromTensorList(['a', 'b'], [tf.ones([2, 3]), tf.zeros([2, 1])]);
   * const d = kt.toDict();
   * Object.keys(d); // → ['a', 'b']
   * tf.dispose(Object.values(d));
   * kt.dispose();
   * ```
   */
  toDict(): Record<string, tf.Tensor2D> {
    const out: Record<string, tf.Tensor2D> = {};
    for (const k of this.keys) out[k] = this.get(k);
    return out;
  }

  /**
   * Output g = concat along dim 1 of the named keys' columns, in group order. Keys may repeat across groups or be
   * omitted; a key name in two input KTs is an error (D8); all KTs must have the same B.
   *
   * @throws TesseraError `INVALID_ARGUMENT` (empty inputs or groups), `INVALID_KEY` (unknown key or key in two
   * KTs), `INVALID_SHAPE` (B differs).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const kt1 = KeyedTensor.fromTensorList(['a', 'b'], [tf.ones([2, 3]), tf.zeros([2, 1])]);
   * const kt2 = KeyedTensor.fromTensorList(['c'], [tf.fill([2, 2], 5)]);
   * const [g0] = KeyedTensor.regroup([kt1, kt2], [['a', 'c']]);
   * g0.arraySync(); // → [[1, 1, 1, 5, 5], [1, 1, 1, 5, 5]]
   * g0.dispose();
   * kt1.dispose();
   * kt2.dispose();
   * ```
   */
  static regroup(kts: readonly KeyedTensor[], groups: Groups): tf.Tensor2D[] {
    const fn = 'KeyedTensor.regroup';
    if (!Array.isArray(kts) || kts.length === 0) fail('INVALID_ARGUMENT', fn, 'kts must be a non-empty array of KeyedTensors', kts);
    const where = new Map<string, [KeyedTensor, number]>();
    for (let i = 0; i < kts.length; i++)
      if (!(kts[i] instanceof KeyedTensor)) fail('INVALID_ARGUMENT', fn, `kts[${i}] must be a KeyedTensor`, kts[i]);
    kts.forEach((kt, i) => {
      if (!(kt instanceof KeyedTensor)) fail('INVALID_ARGUMENT', fn, `kts[${i}] must be a KeyedTensor`, kt);
      checkTensor(kt.values, fn, `kts[${i}].values`);
      if (kt.values.shape[0] !== kts[0].values.shape[0])
        fail('INVALID_SHAPE', fn, `every KT must have ${kts[0].values.shape[0]} rows`, kt.values.shape[0]);
      kt.keys.forEach((k, j) => {
        if (where.has(k)) fail('INVALID_KEY', fn, 'a key may appear in one input KT only (D8)', `'${k}'`);
        where.set(k, [kt, j]);
      });
    });
    if (!Array.isArray(groups) || groups.length === 0)
      fail('INVALID_ARGUMENT', fn, 'groups must be a non-empty array of key arrays', groups);
    for (const g of groups) {
      if (!Array.isArray(g) || g.length === 0) fail('INVALID_ARGUMENT', fn, 'each group must be a non-empty array of keys', g);
      for (const k of g) if (!where.has(k)) fail('INVALID_KEY', fn, 'unknown key', `'${k}'`);
    }
    return groups.map((g) =>
      tf.tidy(() => {
        const parts = g.map((k: string) => {
          const [kt, j] = where.get(k) as [KeyedTensor, number];
          return sliceCols(kt.values, kt.offsetPerKey[j], kt.lengthPerKey[j]);
        });
        return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
      }),
    );
  }

  /**
   * {@link KeyedTensor.regroup} returning `{ names[i]: group i }`.
   * @throws TesseraError `INVALID_ARGUMENT` when names and groups differ in length, or as `regroup`.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const kt = KeyedTensor.fromTensorList(['a', 'b'], [tf.ones([2, 3]), tf.zeros([2, 1])]);
   * const { ga } = KeyedTensor.regroupAsDict([kt], [['a']], ['ga']);
   * ga.shape; // → [2, 3]
   * ga.dispose();
   * kt.dispose();
   * ```
   */
  static regroupAsDict(kts: readonly KeyedTensor[], groups: Groups, names: readonly string[]): Record<string, tf.Tensor2D> {
    if (!Array.isArray(names) || !Array.isArray(groups) || names.length !== groups.length) {
      fail('INVALID_ARGUMENT', 'KeyedTensor.regroupAsDict', 'names must have one entry per group', names);
    }
    // one output per name: repeated names would drop (and leak) a regrouped tensor
    checkStringArray(names, 'KeyedTensor.regroupAsDict', 'names', { unique: true });
    const out: Record<string, tf.Tensor2D> = {};
    KeyedTensor.regroup(kts, groups).forEach((t, i) => {
      out[names[i]] = t;
    });
    return out;
  }

  /** Frees `values`. @example `kt.dispose()` */
  dispose(): void {
    this.values.dispose();
  }
}

// tfjs-backend-cpu's slice fails on zero-size inputs (their data is not a typed array): build empty blocks directly.
function sliceCols(x: tf.Tensor2D, start: number, width: number): tf.Tensor2D {
  if (width === 0 || x.size === 0) return tf.zeros([x.shape[0], width], x.dtype);
  return tf.slice(x, [0, start], [-1, width]);
}
