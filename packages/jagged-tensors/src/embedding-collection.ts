import type * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import type { JaggedTensor } from './jagged-tensor.js';
import type { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { sequenceLookupCore } from './lookup.js';
import { createTableWeight, validateTableConfigs } from './table-config.js';

/** One table of an {@link EmbeddingCollection} (torchrec `EmbeddingConfig`). */
export interface EmbeddingConfig {
  name: string;
  numEmbeddings: number;
  embeddingDim: number;
  featureNames: readonly string[];
  /** Initial weights (copied into a variable). Default: U(−√(1/R), √(1/R)). */
  weight?: tf.Tensor2D;
}

/**
 * Unpooled (sequence) embedding lookups (torchrec `EmbeddingCollection`): `forward(x)` returns, per feature, a
 * {@link JaggedTensor} with the same lengths as the input and values `T[ids]` `[nnz, D]`. Over an
 * {@link InverseKeyedJaggedTensor} it looks up the stored (unique) rows once and expands them to B bags with
 * {@link jaggedIndexSelect} (pytorch/torchrec issue 1895: IKJT expansion for sequence outputs). Gradients reach the tables
 * (duplicates summed), equal to those over `expand(x)` up to float32 summation order.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (bad config), `INVALID_KEY` (duplicate or missing features),
 * `UNSUPPORTED` (weighted input — weights have no meaning unpooled; VBE without inverse), `INDEX_OUT_OF_RANGE`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { EmbeddingCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const ec = new EmbeddingCollection({ tables: [{ name: 't', numEmbeddings: 5, embeddingDim: 2, featureNames: ['f'] }] });
 * const kjt = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [2, 1] });
 * const out = ec.forward(kjt); // out.f.values: [3, 2]
 * out.f.dispose(); kjt.dispose(); ec.dispose();
 * ```
 */
export class EmbeddingCollection {
  readonly tables: readonly {
    name: string;
    numEmbeddings: number;
    embeddingDim: number;
    featureNames: readonly string[];
    weight: tf.Variable<tf.Rank.R2>;
  }[];

  constructor(o: { tables: readonly EmbeddingConfig[]; seed?: number; trainable?: boolean }) {
    const fn = 'EmbeddingCollection';
    validateTableConfigs(fn, o?.tables);
    const r = rng(o.seed ?? 0);
    this.tables = Object.freeze(
      o.tables.map((t) => {
        const weight = createTableWeight(t, r, o.trainable ?? true);
        return Object.freeze({
          name: t.name,
          numEmbeddings: t.numEmbeddings,
          embeddingDim: t.embeddingDim,
          featureNames: Object.freeze([...t.featureNames]),
          weight,
        });
      }),
    );
    Object.freeze(this);
  }

  /**
   * Sequence lookup of every configured feature: `{ feature: JT }` with B bags each (values `[nnz_f, D]`).
   * @throws TesseraError as the class doc says.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { dedup, EmbeddingCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const ec = new EmbeddingCollection({ tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 4, featureNames: ['user', 'item'] }] });
   * const ikjt = dedup(x);
   * const seqs = ec.forward(ikjt);
   * seqs.user.values.shape; // → [4, 4]
   * for (const jt of Object.values(seqs)) jt.dispose();
   * ec.dispose();
   * ikjt.dispose();
   * x.dispose();
   * ```
   */
  forward(x: KeyedJaggedTensor): Record<string, JaggedTensor> {
    return sequenceLookupCore(
      'EmbeddingCollection.forward',
      this.tables.map((t) => ({ ...t, pooling: 'none' as const })),
      x,
    );
  }

  /**
   * `{ tableName: weight variable }`.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { dedup, EmbeddingCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const ec = new EmbeddingCollection({ tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 4, featureNames: ['user', 'item'] }] });
   * Object.keys(ec.parameters()); // → ['t']
   * ec.dispose();
   * x.dispose();
   * ```
   */
  parameters(): Record<string, tf.Variable<tf.Rank.R2>> {
    const o: Record<string, tf.Variable<tf.Rank.R2>> = {};
    for (const t of this.tables) o[t.name] = t.weight;
    return o;
  }

  /** Frees the table variables. @example `ec.dispose()` */
  dispose(): void {
    for (const t of this.tables) t.weight.dispose();
  }
}
