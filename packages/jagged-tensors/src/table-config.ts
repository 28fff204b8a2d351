import * as tf from '@tensorflow/tfjs-core';
import { checkTensor, type Rng } from '@tessera/core';
import { fail } from './errors.js';

/** The fields every embedding table config shares (torchrec `BaseEmbeddingConfig`). @internal */
export interface TableConfigBase {
  name: string;
  numEmbeddings: number;
  embeddingDim: number;
  featureNames: readonly string[];
  weight?: tf.Tensor2D;
}

/**
 * Validates the table list of an embedding collection: non-empty, unique table names, positive sizes, every feature
 * feeding one table only, and initial weights of the right dtype and shape. @internal
 */
export function validateTableConfigs(fn: string, tables: readonly TableConfigBase[] | undefined): void {
  if (!Array.isArray(tables) || tables.length === 0) fail('INVALID_ARGUMENT', fn, 'tables must be a non-empty array', tables);
  const names = new Set<string>();
  const feats = new Set<string>();
  for (const t of tables) {
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
