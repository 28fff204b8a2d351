import * as tf from '@tensorflow/tfjs-core';
import { checkTensor, rng } from '@tessera/core';
import { fail } from './errors.js';
import type { JaggedTensor } from './jagged-tensor.js';
import type { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { sequenceLookupCore } from './lookup.js';

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
 * {@link jaggedIndexSelect} (torchrec issue #1895: IKJT expansion for sequence outputs). Gradients reach the tables
 * (duplicates summed), equal to those over `expand(x)` up to float32 summation order.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (bad config), `INVALID_KEY` (duplicate or missing features),
 * `UNSUPPORTED` (weighted input — weights have no meaning unpooled; VBE without inverse), `INDEX_OUT_OF_RANGE`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { EmbeddingCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
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
    if (!o || !Array.isArray(o.tables) || o.tables.length === 0)
      fail('INVALID_ARGUMENT', fn, 'tables must be a non-empty array', o?.tables);
    const names = new Set<string>();
    const feats = new Set<string>();
    for (const t of o.tables) {
      if (typeof t?.name !== 'string' || names.has(t.name)) fail('INVALID_KEY', fn, 'table names must be unique strings', t?.name);
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
      if (t.weight !== undefined) {
        const w = checkTensor(t.weight, fn, `table '${t.name}' weight`, { dtype: 'float32', rank: 2 });
        if (w.shape[0] !== t.numEmbeddings || w.shape[1] !== t.embeddingDim)
          fail('INVALID_SHAPE', fn, `table '${t.name}' weight must be [${t.numEmbeddings}, ${t.embeddingDim}]`, w.shape);
      }
    }
    const r = rng(o.seed ?? 0);
    this.tables = Object.freeze(
      o.tables.map((t) => {
        const bound = Math.sqrt(1 / t.numEmbeddings);
        const weight = tf.tidy(() =>
          tf.variable(
            t.weight
              ? tf.clone(t.weight)
              : tf.tensor2d(r.uniformArray(t.numEmbeddings * t.embeddingDim, -bound, bound), [t.numEmbeddings, t.embeddingDim]),
            o.trainable ?? true,
          ),
        ) as tf.Variable<tf.Rank.R2>;
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
   * @example `const seqs = ec.forward(ikjt);`
   */
  forward(x: KeyedJaggedTensor): Record<string, JaggedTensor> {
    return sequenceLookupCore(
      'EmbeddingCollection.forward',
      this.tables.map((t) => ({ ...t, pooling: 'none' as const })),
      x,
    );
  }

  /** `{ tableName: weight variable }`. @example `ec.parameters()` */
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
