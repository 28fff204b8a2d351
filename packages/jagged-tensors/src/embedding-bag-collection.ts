import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkTensor, rng } from '@tessera/core';
import { fail } from './errors.js';
import type { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import type { KeyedTensor } from './keyed-tensor.js';
import { pooledLookupCore } from './lookup.js';
import type { PoolingMode } from './pooling.js';

/** One table of an {@link EmbeddingBagCollection} (torchrec `EmbeddingBagConfig`). */
export interface EmbeddingBagConfig {
  name: string;
  numEmbeddings: number;
  embeddingDim: number;
  /** Features looked up in this table (several features may share one table). */
  featureNames: readonly string[];
  pooling?: PoolingMode;
  /** Initial weights `[numEmbeddings, embeddingDim]` (copied into a variable). Default: U(−√(1/R), √(1/R)). */
  weight?: tf.Tensor2D;
}

/** A table of a collection, with its trainable weight. */
export interface EmbeddingBagTable {
  readonly name: string;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly featureNames: readonly string[];
  readonly pooling: PoolingMode;
  readonly weight: tf.Variable<tf.Rank.R2>;
}

/**
 * Pooled embedding lookups for every feature of a KJT (torchrec `EmbeddingBagCollection`). The output is a
 * {@link KeyedTensor} keyed by feature name (tables in order, then each table's features), width = table dim, B rows.
 * Over an {@link InverseKeyedJaggedTensor} it pools only the U_k stored bags and expands the rows by the inverse
 * index (spec §3.4); gradients flow to the table variables with duplicates summed into the unique bags, equal to
 * the gradients over the expanded KJT up to float32 summation order.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (bad config), `INVALID_KEY` (duplicate table or feature names; a feature
 * missing from the input), `UNSUPPORTED` (VBE input without inverse indices; weights with `mean`),
 * `INDEX_OUT_OF_RANGE` (an id outside its table).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { EmbeddingBagCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * const ebc = new EmbeddingBagCollection({
 *   tables: [{ name: 't1', numEmbeddings: 10, embeddingDim: 3, featureNames: ['f1'] }], seed: 1,
 * });
 * const kjt = KeyedJaggedTensor.fromLengths({ keys: ['f1'], values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [2, 1] });
 * const kt = ebc.forward(kjt); // values [2, 3]
 * kt.dispose(); kjt.dispose(); ebc.dispose();
 * ```
 */
export class EmbeddingBagCollection {
  readonly tables: readonly EmbeddingBagTable[];
  /** Output keys in order. */
  readonly featureNames: readonly string[];

  constructor(o: { tables: readonly EmbeddingBagConfig[]; seed?: number; trainable?: boolean }) {
    const fn = 'EmbeddingBagCollection';
    if (!o || !Array.isArray(o.tables) || o.tables.length === 0)
      fail('INVALID_ARGUMENT', fn, 'tables must be a non-empty array', o?.tables);
    const names = new Set<string>();
    const feats = new Set<string>();
    for (const t of o.tables) {
      if (typeof t?.name !== 'string') fail('INVALID_ARGUMENT', fn, 'each table needs a name', t);
      if (names.has(t.name)) fail('INVALID_KEY', fn, 'table names must be unique', `'${t.name}'`);
      names.add(t.name);
      if (!Number.isInteger(t.numEmbeddings) || t.numEmbeddings < 1)
        fail('INVALID_ARGUMENT', fn, `table '${t.name}': numEmbeddings must be an integer >= 1`, t.numEmbeddings);
      if (!Number.isInteger(t.embeddingDim) || t.embeddingDim < 1)
        fail('INVALID_ARGUMENT', fn, `table '${t.name}': embeddingDim must be an integer >= 1`, t.embeddingDim);
      if (!Array.isArray(t.featureNames) || t.featureNames.length === 0)
        fail('INVALID_ARGUMENT', fn, `table '${t.name}': featureNames must be non-empty`, t.featureNames);
      for (const f of t.featureNames) {
        if (feats.has(f)) fail('INVALID_KEY', fn, 'a feature may feed one table only', `'${f}'`);
        feats.add(f);
      }
      checkOneOf(t.pooling ?? 'sum', fn, `table '${t.name}' pooling`, ['sum', 'mean'] as const);
      if (t.weight !== undefined) {
        const w = checkTensor(t.weight, fn, `table '${t.name}' weight`, { dtype: 'float32', rank: 2 });
        if (w.shape[0] !== t.numEmbeddings || w.shape[1] !== t.embeddingDim) {
          fail('INVALID_SHAPE', fn, `table '${t.name}' weight must be [${t.numEmbeddings}, ${t.embeddingDim}]`, `[${w.shape.join(', ')}]`);
        }
      }
    }
    const r = rng(o.seed ?? 0);
    const trainable = o.trainable ?? true;
    this.tables = Object.freeze(
      o.tables.map((t) => {
        const R = t.numEmbeddings;
        const D = t.embeddingDim;
        const bound = Math.sqrt(1 / R);
        const weight = t.weight
          ? tf.tidy(() => tf.variable(tf.clone(t.weight as tf.Tensor2D), trainable))
          : tf.tidy(() => tf.variable(tf.tensor2d(r.uniformArray(R * D, -bound, bound), [R, D]), trainable));
        return Object.freeze({
          name: t.name,
          numEmbeddings: R,
          embeddingDim: D,
          featureNames: Object.freeze([...t.featureNames]),
          pooling: t.pooling ?? 'sum',
          weight: weight as tf.Variable<tf.Rank.R2>,
        });
      }),
    );
    this.featureNames = Object.freeze(this.tables.flatMap((t) => t.featureNames));
    Object.freeze(this);
  }

  /**
   * Pools every configured feature of `x` (a non-VBE KJT or an IKJT) into a B-row {@link KeyedTensor}.
   * @throws TesseraError as the class doc says.
   * @example `const kt = ebc.forward(kjt);`
   */
  forward(x: KeyedJaggedTensor): KeyedTensor {
    return pooledLookupCore('EmbeddingBagCollection.forward', this.tables, x);
  }

  /** `{ tableName: weight variable }`. @example `tf.variableGrads(loss, Object.values(ebc.parameters()))` */
  parameters(): Record<string, tf.Variable<tf.Rank.R2>> {
    const out: Record<string, tf.Variable<tf.Rank.R2>> = {};
    for (const t of this.tables) out[t.name] = t.weight;
    return out;
  }

  /** Frees the table variables. @example `ebc.dispose()` */
  dispose(): void {
    for (const t of this.tables) t.weight.dispose();
  }
}
