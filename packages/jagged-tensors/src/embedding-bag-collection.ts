import type * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, rng } from '@tessera/core';
import type { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import type { KeyedTensor } from './keyed-tensor.js';
import { pooledLookupCore } from './lookup.js';
import type { EmbeddingBagKernel, PoolingMode } from './pooling.js';
import { createTableWeight, validateTableConfigs } from './table-config.js';

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
 * index; gradients flow to the table variables with duplicates summed into the unique bags, equal to
 * the gradients over the expanded KJT up to float32 summation order. `kernel` (default `'auto'`) picks the implementation
 * of the pooled lookup as `kernel` of {@link embeddingBag}: on webgpu in Node (no synchronous readback) `'auto'` runs
 * the 'embeddingBag' accelerator per feature if one is registered, else tfjs ops, and reads nothing back.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (bad config), `INVALID_KEY` (duplicate table or feature names; a feature
 * missing from the input), `UNSUPPORTED` (VBE input without inverse indices; weights with `mean`),
 * `INDEX_OUT_OF_RANGE` (an id outside its table).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { EmbeddingBagCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
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
  /** Implementation of the pooled lookup, as `kernel` of `embeddingBag` (default `'auto'`). */
  readonly kernel: EmbeddingBagKernel;

  constructor(o: { tables: readonly EmbeddingBagConfig[]; seed?: number; trainable?: boolean; kernel?: EmbeddingBagKernel }) {
    const fn = 'EmbeddingBagCollection';
    validateTableConfigs(fn, o?.tables);
    this.kernel = checkOneOf(o.kernel ?? 'auto', fn, 'kernel', ['auto', 'host', 'tfjs'] as const);
    for (const t of o.tables) checkOneOf(t.pooling ?? 'sum', fn, `table '${t.name}' pooling`, ['sum', 'mean'] as const);
    const r = rng(o.seed ?? 0);
    const trainable = o.trainable ?? true;
    this.tables = Object.freeze(
      o.tables.map((t) => {
        const weight = createTableWeight(t, r, trainable);
        return Object.freeze({
          name: t.name,
          numEmbeddings: t.numEmbeddings,
          embeddingDim: t.embeddingDim,
          featureNames: Object.freeze([...t.featureNames]),
          pooling: t.pooling ?? 'sum',
          weight,
        });
      }),
    );
    this.featureNames = Object.freeze(this.tables.flatMap((t) => t.featureNames));
    Object.freeze(this);
  }

  /**
   * Pools every configured feature of `x` (a non-VBE KJT or an IKJT) into a B-row {@link KeyedTensor}.
   * @throws TesseraError as the class doc says.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { EmbeddingBagCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const ebc = new EmbeddingBagCollection({ tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 4, featureNames: ['user', 'item'] }] });
   * const kt = ebc.forward(x);
   * [kt.keys, kt.values.shape]; // → [['user', 'item'], [2, 8]]
   * kt.dispose();
   * ebc.dispose();
   * x.dispose();
   * ```
   */
  forward(x: KeyedJaggedTensor): KeyedTensor {
    return pooledLookupCore('EmbeddingBagCollection.forward', this.tables, x, this.kernel);
  }

  /**
   * `{ tableName: weight variable }`.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { EmbeddingBagCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const ebc = new EmbeddingBagCollection({ tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 4, featureNames: ['user', 'item'] }] });
   * const { value, grads } = tf.variableGrads(() => tf.sum(ebc.forward(x).values) as tf.Scalar, Object.values(ebc.parameters()));
   * Object.keys(ebc.parameters()); // → ['t']
   * tf.dispose([value, ...Object.values(grads)]);
   * ebc.dispose();
   * x.dispose();
   * ```
   */
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
