// Loss and gradients of one batch, as the reference's backward produces them: dense gradients keyed by PyTorch
// parameter name, and row-sparse embedding gradients keyed by table index k (duplicate ids summed), computed from the
// gradient of the pooled outputs (never a dense [n_k, d] table gradient).
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, readSync } from '@tessera/core';
import { type DeviceRowGrad, deviceFeatures, devicePooled, deviceRowGradients, disposePooled } from './device.js';
import { type ResolvedSparse, rowGradients } from './embedding.js';
import { fail } from './errors.js';
import { HOST_ALTERNATIVE, resolveKernel } from './kernel.js';
import { checkLabels, type LossKind, lossUnchecked, tfjsLoss } from './loss.js';
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

/**
 * Gradients of the tfjs path (`kernel: 'tfjs'`), handed to {@link SparseAwareOptimizer.stepDevice}: dense gradients
 * by PyTorch name and each table's touched rows with their coalesced gradient, all tensors (owned by the step).
 * @example `for (const [k, { rows, grad }] of grads.embeddingRows) { … }` (inside a custom `stepDevice`)
 */
export interface DeviceGrads {
  dense: Map<string, tf.Tensor>;
  /** Per table: touched rows (host, first-touch order) and their coalesced gradient [rows, d]. */
  embeddingRows: Map<number, DeviceRowGrad>;
  poolingWeightRows?: Map<number, DeviceRowGrad<tf.Tensor1D>>;
}

/** Frees a {@link DeviceGrads}. @internal */
export function disposeDeviceGrads(g: DeviceGrads): void {
  for (const t of g.dense.values()) t.dispose();
  for (const r of g.embeddingRows.values()) r.grad.dispose();
  for (const r of g.poolingWeightRows?.values() ?? []) r.grad.dispose();
}

interface Checked {
  dense: tf.Tensor2D;
  sparse: ResolvedSparse;
  kind: LossKind;
  labels: tf.Tensor2D;
  cw: [number, number];
}

function checkArgs(fn: string, model: DlrmModel, batch: DlrmBatch, loss: LossKind, o: DlrmGradsOptions, device: boolean): Checked {
  if (!(model instanceof DlrmModel)) fail('INVALID_ARGUMENT', fn, 'model must be a DlrmModel', model);
  const { dense, sparse } = model.prepare(fn, batch);
  const kind = checkOneOf(loss, fn, 'loss', ['bce', 'mse', 'wbce'] as const);
  if (batch.labels === undefined) fail('INVALID_ARGUMENT', fn, 'batch.labels is required', 'undefined');
  const labels = checkLabels(fn, dense, batch.labels, device);
  const cw = o.classWeights ?? [1, 1];
  if (!Array.isArray(cw) || cw.length !== 2 || cw.some((w) => typeof w !== 'number' || !Number.isFinite(w)))
    fail('INVALID_ARGUMENT', fn, 'classWeights must be two finite numbers', cw);
  return { dense, sparse, kind, labels, cw };
}

/**
 * Loss and gradients of a batch on the tfjs path: tfjs ops only, no synchronous read of any tensor (the ids, offsets
 * and labels are read where they are host-resident). The caller owns `loss` and `grads`. @internal
 */
export function deviceLossAndGrads(
  fn: string,
  model: DlrmModel,
  batch: DlrmBatch,
  loss: LossKind,
  o: DlrmGradsOptions = {},
): { loss: tf.Scalar; grads: DeviceGrads } {
  const { dense, sparse, kind, labels, cw } = checkArgs(fn, model, batch, loss, o, true);
  const feats = deviceFeatures(sparse, model.slots());
  const pooled = devicePooled(model, feats, sparse.B);
  const params = model.paramList();
  let value: tf.Scalar | null = null;
  let gs: tf.Tensor[] = [];
  try {
    const f = (...args: tf.Tensor[]) => tfjsLoss(model.forwardPure(dense, args[0] as tf.Tensor2D, args.slice(1), 'tfjs'), labels, kind, cw);
    const r = tf.valueAndGrads(f)([pooled.E, ...params]);
    value = r.value;
    gs = r.grads;
    const { emb, v } = deviceRowGradients(model, feats, pooled, gs[0] as tf.Tensor2D);
    const denseG = new Map<string, tf.Tensor>();
    model.denseParameterNames().forEach((n, i) => {
      denseG.set(n, gs[i + 1]);
    });
    gs[0].dispose();
    gs = [];
    const grads: DeviceGrads = { dense: denseG, embeddingRows: emb };
    if (v) grads.poolingWeightRows = v;
    const out = { loss: value, grads };
    value = null;
    return out;
  } catch (e) {
    tf.dispose(gs);
    throw e;
  } finally {
    value?.dispose();
    disposePooled(pooled);
  }
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
 * Mean loss and gradients of a labelled batch (forward → loss → backward, no update), computed with the host kernels
 * (it returns host row gradients and the loss as a number, so it needs synchronous reads; on webgpu in Node train
 * with {@link trainStepAsync}). The caller owns `grads.dense` (free it with {@link disposeGrads}).
 *
 * @throws TesseraError as {@link DlrmModel.forward}, plus `UNSUPPORTED` on a backend without synchronous reads, `INVALID_ARGUMENT` (missing labels, labels outside
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
  resolveKernel(fn, 'host');
  const { dense, sparse, kind, labels, cw } = checkArgs(fn, model, batch, loss, o, false);
  const E = model.pooled(sparse);
  const params = model.paramList();
  let value: tf.Scalar | null = null;
  let gs: tf.Tensor[] = [];
  try {
    const f = (...args: tf.Tensor[]) => lossUnchecked(model.forwardPure(dense, args[0] as tf.Tensor2D, args.slice(1)), labels, kind, cw);
    const r = tf.valueAndGrads(f)([E, ...params]);
    value = r.value;
    gs = r.grads;
    const lossValue = readSync(value, fn, 'the loss', HOST_ALTERNATIVE)[0];
    const c = model.config;
    const G = readSync(gs[0], fn, 'the pooled-embedding gradient', HOST_ALTERNATIVE) as Float32Array;
    const host = model.hostTables(fn);
    const { emb, rowWeights } = rowGradients(host.emb, host.v, c.weightedPooling === 'learned', c.embeddingDim, sparse, G, model.slots());
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
