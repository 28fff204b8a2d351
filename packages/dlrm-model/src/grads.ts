// Loss and gradients of one batch, as the reference's backward produces them: dense gradients keyed by PyTorch
// parameter name, and row-sparse embedding gradients keyed by table index k (duplicate ids summed), computed from the
// gradient of the pooled outputs (never a dense [n_k, d] table gradient).
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '@tessera/core';
import { rowGradients } from './embedding.js';
import { fail } from './errors.js';
import { checkLabels, type LossKind, lossUnchecked } from './loss.js';
import { type DlrmBatch, DlrmModel } from './model.js';

/** Gradients of one batch, handed to {@link SparseAwareOptimizer.step}. */
export interface DlrmGrads {
  /** Dense gradients keyed by PyTorch name (`bot_l.0.weight` [out, in], …). Owned by whoever disposes the grads. */
  dense: Map<string, tf.Tensor>;
  /** Row-sparse gradient of `emb_l.k.weight` keyed by k: touched rows (coalesced) and their gradients ([rows, d]). */
  embeddingRows: Map<number, { rows: Int32Array; grad: Float32Array }>;
  /** Row-sparse gradient of `v_W_l.k` (learned weighted pooling only), keyed by k. */
  poolingWeightRows?: Map<number, { rows: Int32Array; grad: Float32Array }>;
}

/** Options of {@link dlrmGrads}. */
export interface DlrmGradsOptions {
  /** `wbce` class weights (`--loss-weights`). Default [1, 1]. */
  classWeights?: [number, number];
}

/**
 * Frees the dense gradient tensors of a {@link DlrmGrads}.
 * @example `disposeGrads(grads);`
 */
export function disposeGrads(g: DlrmGrads): void {
  if (typeof g !== 'object' || g === null || !(g.dense instanceof Map))
    fail('INVALID_ARGUMENT', 'disposeGrads', 'g must be a DlrmGrads ({ dense: Map, embeddingRows: Map })', g);
  for (const t of g.dense.values()) t.dispose();
}

/**
 * Mean loss and gradients of a labelled batch (forward → loss → backward, no update). The caller owns
 * `grads.dense` (free it with {@link disposeGrads}).
 *
 * @throws TesseraError as {@link DlrmModel.forward}, plus `INVALID_ARGUMENT` (missing labels, labels outside
 * [0, 1], unknown loss), `INVALID_SHAPE` (labels not [B, 1]).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { DlrmModel, dlrmGrads, disposeGrads } from '@tessera/dlrm-model';
 * await initBackend();
 * const model = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [5], featureNames: ['f'],
 *   bottomMlp: [2], topMlp: [1], interaction: 'dot' });
 * const sparse = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 4, 1], 'int32'), lengths: [2, 1] });
 * const dense = tf.tensor2d([[1, 0], [0, 1]]);
 * const labels = tf.tensor2d([[1], [0]]);
 * const { loss, grads } = dlrmGrads(model, { dense, sparse, labels }, 'bce');
 * Array.from(grads.embeddingRows.get(0)?.rows ?? []); // → [1, 4]
 * disposeGrads(grads); tf.dispose([dense, labels]); sparse.dispose(); model.dispose();
 * ```
 */
export function dlrmGrads(
  model: DlrmModel,
  batch: DlrmBatch,
  loss: LossKind,
  o: DlrmGradsOptions = {},
): { loss: number; grads: DlrmGrads } {
  const fn = 'dlrmGrads';
  if (!(model instanceof DlrmModel)) fail('INVALID_ARGUMENT', fn, 'model must be a DlrmModel', model);
  const { dense, sparse } = model.prepare(fn, batch);
  const kind = checkOneOf(loss, fn, 'loss', ['bce', 'mse', 'wbce'] as const);
  if (batch.labels === undefined) fail('INVALID_ARGUMENT', fn, 'batch.labels is required', 'undefined');
  const labels = checkLabels(fn, dense, batch.labels);
  const cw = o.classWeights ?? [1, 1];
  if (!Array.isArray(cw) || cw.length !== 2 || cw.some((w) => typeof w !== 'number' || !Number.isFinite(w)))
    fail('INVALID_ARGUMENT', fn, 'classWeights must be two finite numbers', cw);
  const E = model.pooled(sparse);
  const params = model.paramList();
  let value: tf.Scalar | null = null;
  let gs: tf.Tensor[] = [];
  try {
    const f = (...args: tf.Tensor[]) => lossUnchecked(model.forwardPure(dense, args[0] as tf.Tensor2D, args.slice(1)), labels, kind, cw);
    const r = tf.valueAndGrads(f)([E, ...params]);
    value = r.value;
    gs = r.grads;
    const lossValue = value.dataSync()[0];
    const c = model.config;
    const G = gs[0].dataSync() as Float32Array;
    const { emb, rowWeights } = rowGradients(
      model.embeddings,
      model.poolingWeights,
      c.weightedPooling === 'learned',
      c.embeddingDim,
      sparse,
      G,
      model.slots(),
    );
    const names = model.denseParameterNames();
    const denseG = new Map<string, tf.Tensor>();
    names.forEach((n, i) => {
      denseG.set(n, gs[i + 1]);
    });
    gs[0].dispose();
    gs = [];
    const grads: DlrmGrads = { dense: denseG, embeddingRows: new Map(emb.map((g, k) => [k, g])) };
    if (rowWeights) grads.poolingWeightRows = new Map(rowWeights.map((g, k) => [k, g]));
    return { loss: lossValue, grads };
  } catch (e) {
    tf.dispose(gs);
    throw e;
  } finally {
    E.dispose();
    value?.dispose();
  }
}
