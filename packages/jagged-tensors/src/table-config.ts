import * as tf from '@tensorflow/tfjs-core';
import { checkSize, checkStringArray, checkTensor, type Rng } from '@tessera/core';
import { fail } from './errors.js';

/** The fields every embedding table config shares (torchrec `BaseEmbeddingConfig`). @internal */
export interface TableConfigBase {
  name: string;
  numEmbeddings: number;
  embeddingDim: number;
  featureNames: readonly string[];
  weight?: tf.Tensor2D;
}

/** Most rows of one embedding table: ids are int32 (torchrec `EmbeddingBagConfig.num_embeddings` as int32 ids). */
export const MAX_NUM_EMBEDDINGS = 2147483647;
/** Widest embedding row accepted (2^16). */
export const MAX_EMBEDDING_DIM = 65536;
/** Most float32 elements of one table, `numEmbeddings × embeddingDim` (2^28 = 1 GiB). */
export const MAX_TABLE_ELEMENTS = 2 ** 28;

/**
 * Validates the table list of an embedding collection: non-empty, unique table names, positive sizes, every feature
 * feeding one table only, and initial weights of the right dtype and shape. @internal
 */
export function validateTableConfigs(fn: string, tables: readonly TableConfigBase[] | undefined): void {
  if (!Array.isArray(tables) || tables.length === 0) fail('INVALID_ARGUMENT', fn, 'tables must be a non-empty array', tables);
  const names = new Set<string>();
  const feats = new Set<string>();
  if (tables.length > 4096) fail('INVALID_ARGUMENT', fn, 'tables must have at most 4096 entries', `${tables.length} tables`);
  for (const t of tables) {
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string') fail('INVALID_ARGUMENT', fn, 'each table needs a name', t);
    if (names.has(t.name)) fail('INVALID_KEY', fn, 'table names must be unique', `'${t.name}'`);
    names.add(t.name);
    // The table is allocated here, so its size alone decides the memory: bounded, with the bound in the message.
    checkSize(t.numEmbeddings, fn, `table '${t.name}': numEmbeddings`, { min: 1, max: MAX_NUM_EMBEDDINGS });
    checkSize(t.embeddingDim, fn, `table '${t.name}': embeddingDim`, { min: 1, max: MAX_EMBEDDING_DIM });
    if (t.numEmbeddings * t.embeddingDim > MAX_TABLE_ELEMENTS)
      fail(
        'INVALID_ARGUMENT',
        fn,
        `table '${t.name}': numEmbeddings × embeddingDim must be at most ${MAX_TABLE_ELEMENTS} (2^28 float32, 1 GiB)`,
        `${t.numEmbeddings} × ${t.embeddingDim}`,
      );
    checkStringArray(t.featureNames, fn, `table '${t.name}': featureNames`, { minLength: 1 });
    for (const f of t.featureNames) {
      if (feats.has(f)) fail('INVALID_KEY', fn, 'a feature may feed one table only', `'${f}'`);
      feats.add(f);
    }
    if (t.weight !== undefined) {
      const w = checkTensor(t.weight, fn, `table '${t.name}' weight`, { dtype: 'float32', rank: 2 });
      if (w.shape[0] !== t.numEmbeddings || w.shape[1] !== t.embeddingDim) {
        fail('INVALID_SHAPE', fn, `table '${t.name}' weight must be [${t.numEmbeddings}, ${t.embeddingDim}]`, `[${w.shape.join(', ')}]`);
      }
    }
  }
}

/** The table's weight variable: a copy of `t.weight`, or U(−√(1/R), √(1/R)) drawn from `r` (torchrec's default). @internal */
export function createTableWeight(t: TableConfigBase, r: Rng, trainable: boolean): tf.Variable<tf.Rank.R2> {
  const R = t.numEmbeddings;
  const D = t.embeddingDim;
  const bound = Math.sqrt(1 / R);
  return tf.tidy(() =>
    tf.variable(t.weight ? tf.clone(t.weight) : tf.tensor2d(r.uniformArray(R * D, -bound, bound), [R, D]), trainable),
  ) as tf.Variable<tf.Rank.R2>;
}
