// Training loop in the reference's step order (facebookresearch/dlrm `dlrm_s_pytorch.py`, `run()`):
// forward → loss → zero_grad → backward → optimizer.step() → lr_scheduler.step().
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, readSync, TesseraError } from '@tessera/core';
import { fail } from './errors.js';
import { type DeviceGrads, type DlrmGrads, deviceLossAndGrads, disposeDeviceGrads, disposeGrads, dlrmGrads } from './grads.js';
import { type DlrmKernel, resolveKernel } from './kernel.js';
import type { LossKind } from './loss.js';
import type { LrPolicyScheduler } from './lr-policy.js';
import { type DlrmBatch, type DlrmFakeQuantization, DlrmModel } from './model.js';
import { type SparseAwareOptimizer, sgd } from './optimizers.js';

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** lr for this step (default: the optimizer's). */
  lr?: number;
  /** `wbce` class weights. */
  classWeights?: [number, number];
  /**
   * Host kernels or tfjs ops (default `'auto'`: `'host'` where the backend reads synchronously, `'tfjs'` on webgpu
   * in Node); see {@link DlrmKernel}.
   */
  kernel?: DlrmKernel;
}

function checkOptimizer(fn: string, optimizer: unknown): SparseAwareOptimizer {
  if (typeof optimizer !== 'object' || optimizer === null || typeof (optimizer as SparseAwareOptimizer).step !== 'function')
    fail('INVALID_ARGUMENT', fn, 'optimizer must have a step(model, grads, lr) method', optimizer);
  return optimizer as SparseAwareOptimizer;
}

// The tfjs-path step up to the update: the loss stays a tensor (the caller reads it, synchronously or not).
function deviceStep(
  fn: string,
  model: DlrmModel,
  optimizer: SparseAwareOptimizer,
  batch: DlrmBatch,
  loss: LossKind,
  o: TrainStepOptions,
): tf.Scalar {
  if (typeof optimizer.stepDevice !== 'function')
    fail('UNSUPPORTED', fn, "kernel 'tfjs' needs an optimizer with stepDevice (sgd, adagrad, rowWiseSparseAdagrad)", optimizer);
  const r = deviceLossAndGrads(fn, model, batch, loss, { classWeights: o.classWeights });
  const grads: DeviceGrads = r.grads;
  try {
    optimizer.stepDevice(model, grads, o.lr);
  } catch (e) {
    r.loss.dispose();
    throw e;
  } finally {
    disposeDeviceGrads(grads);
  }
  return r.loss;
}

/**
 * One training step: loss and gradients of the batch, then `optimizer.step(model, grads, lr)` with a
 * {@link DlrmGrads} (dense gradients by PyTorch name, embedding rows by table index). Returns the batch's loss
 * before the update. With `kernel: 'tfjs'` (or `'auto'` on webgpu) the step runs as tfjs ops and the optimizer's
 * `stepDevice` updates the tables on the device; returning the loss synchronously then needs a synchronous read,
 * which webgpu in Node cannot do: use {@link trainStepAsync} there.
 *
 * @throws TesseraError as {@link dlrmGrads} and the optimizer's `step`; `UNSUPPORTED` on a backend without
 * synchronous reads (before anything is computed).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { DlrmModel, sgd, trainStep } from '@tessera/dlrm-model';
 * await initBackend();
 * const model = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [5], featureNames: ['f'],
 *   bottomMlp: [2], topMlp: [1], interaction: 'dot' });
 * const sparse = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 4], 'int32'), lengths: [1, 1] });
 * const dense = tf.tensor2d([[1, 0], [0, 1]]);
 * const labels = tf.tensor2d([[1], [0]]);
 * const { loss } = trainStep(model, sgd(0.1), { dense, sparse, labels }, 'bce');
 * tf.dispose([dense, labels]); sparse.dispose(); model.dispose();
 * ```
 */
export function trainStep(
  model: DlrmModel,
  optimizer: SparseAwareOptimizer,
  batch: DlrmBatch,
  loss: LossKind,
  o: TrainStepOptions = {},
): { loss: number } {
  const fn = 'trainStep';
  checkOptimizer(fn, optimizer);
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', fn, 'options must be { lr?, classWeights?, kernel? }', o);
  const kernel = resolveKernel(fn, o.kernel);
  if (kernel === 'tfjs') {
    if (!canReadSync())
      throw new TesseraError(
        'UNSUPPORTED',
        fn,
        `returns the loss synchronously, which the ${tf.getBackend()} backend cannot read in this runtime (no OffscreenCanvas: Node); await trainStepAsync(model, optimizer, batch, loss) instead`,
      );
    const l = deviceStep(fn, model, optimizer, batch, loss, o);
    try {
      return { loss: readSync(l, fn, 'the loss', 'await trainStepAsync(…)')[0] };
    } finally {
      l.dispose();
    }
  }
  const r = dlrmGrads(model, batch, loss, { classWeights: o.classWeights });
  const grads: DlrmGrads = r.grads;
  try {
    optimizer.step(model, grads, o.lr);
  } finally {
    disposeGrads(grads);
  }
  return { loss: r.loss };
}

/**
 * {@link trainStep} that reads the loss with `await loss.data()`: the step for backends without synchronous reads
 * (tfjs-backend-webgpu in Node), where `kernel: 'auto'` runs it as tfjs ops with the tables, dense parameters and
 * optimizer state on the GPU and nothing read back but the loss. On other backends it is `trainStep`.
 *
 * @throws TesseraError as {@link trainStep} (without the `UNSUPPORTED` for synchronous reads).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { DlrmModel, sgd, trainStepAsync } from '@tessera/dlrm-model';
 * await initBackend();
 * const model = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [5], featureNames: ['f'],
 *   bottomMlp: [2], topMlp: [1], interaction: 'dot' });
 * const sparse = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 4], 'int32'), lengths: [1, 1] });
 * const dense = tf.tensor2d([[1, 0], [0, 1]]);
 * const labels = tf.tensor2d([[1], [0]]);
 * const { loss } = await trainStepAsync(model, sgd(0.1), { dense, sparse, labels }, 'bce', { kernel: 'tfjs' });
 * Number.isFinite(loss); // → true
 * tf.dispose([dense, labels]); sparse.dispose(); model.dispose();
 * ```
 */
export async function trainStepAsync(
  model: DlrmModel,
  optimizer: SparseAwareOptimizer,
  batch: DlrmBatch,
  loss: LossKind,
  o: TrainStepOptions = {},
): Promise<{ loss: number }> {
  const fn = 'trainStepAsync';
  checkOptimizer(fn, optimizer);
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', fn, 'options must be { lr?, classWeights?, kernel? }', o);
  if (resolveKernel(fn, o.kernel) === 'host') return trainStep(model, optimizer, batch, loss, { ...o, kernel: 'host' });
  const l = deviceStep(fn, model, optimizer, batch, loss, o);
  try {
    return { loss: (await l.data())[0] };
  } finally {
    l.dispose();
  }
}

/** What {@link train}'s `onStep` receives after every step. */
export interface TrainStepInfo {
  epoch: number;
  /** Global step, from 1. */
  step: number;
  loss: number;
  lr: number;
  /** Samples in this batch. */
  samples: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Default `sgd(0.1)` (the reference's Kaggle bench lr). */
  optimizer?: SparseAwareOptimizer;
  /** Loss (default `'bce'`, the normal choice for click prediction; the reference CLI defaults to mse). */
  loss?: LossKind;
  /** Passes over `batches` (default 1; more than 1 needs an array or a function returning a fresh iterable). */
  epochs?: number;
  /** LR policy stepped after each step (reference order). */
  scheduler?: LrPolicyScheduler;
  classWeights?: [number, number];
  /** MX fake quantization during training (restored afterwards). */
  fakeQuantization?: DlrmFakeQuantization | null;
  /** Called after every step. */
  onStep?: (info: TrainStepInfo) => void;
  /** Batches are disposed after their step when true (default false). */
  disposeBatches?: boolean;
  /** Host kernels or tfjs ops (default `'auto'`); see {@link DlrmKernel}. */
  kernel?: DlrmKernel;
}

/**
 * Upper bound on `epochs` of {@link train}.
 * @example
 * ```ts
 * import { MAX_EPOCHS } from '@tessera/dlrm-model';
 * MAX_EPOCHS; // → 10000
 * ```
 */
export const MAX_EPOCHS = 10_000;

/**
 * What {@link train} reads batches from: an iterable or async iterable of batches, or a function returning a fresh one
 * (called once per epoch, so an epoch can re-read a file or regenerate data).
 */
export type BatchSource = Iterable<DlrmBatch> | AsyncIterable<DlrmBatch> | (() => Iterable<DlrmBatch> | AsyncIterable<DlrmBatch>);

/**
 * Trains over `batches` for `epochs` passes and returns the per-step losses. Each step is {@link trainStepAsync},
 * so training runs on webgpu in Node too (tfjs path, see {@link DlrmKernel}).
 *
 * @throws TesseraError `INVALID_ARGUMENT` on bad options (epochs outside [1, 10000], several epochs over a one-shot
 * iterator), and whatever {@link trainStep} throws.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { DlrmModel, sgd, train } from '@tessera/dlrm-model';
 * await initBackend();
 * const model = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [5], featureNames: ['f'],
 *   bottomMlp: [2], topMlp: [1], interaction: 'dot' });
 * const sparse = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 4], 'int32'), lengths: [1, 1] });
 * const dense = tf.tensor2d([[1, 0], [0, 1]]);
 * const labels = tf.tensor2d([[1], [0]]);
 * const { losses } = await train(model, [{ dense, sparse, labels }], { optimizer: sgd(0.5), loss: 'bce', epochs: 20 });
 * losses.length; // → 20
 * tf.dispose([dense, labels]); sparse.dispose(); model.dispose();
 * ```
 */
export async function train(model: DlrmModel, batches: BatchSource, o: TrainOptions = {}): Promise<{ steps: number; losses: number[] }> {
  const fn = 'train';
  if (!(model instanceof DlrmModel)) fail('INVALID_ARGUMENT', fn, 'model must be a DlrmModel', model);
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', fn, 'options must be { optimizer?, loss?, epochs?, onStep? }', o);
  const optimizer = checkOptimizer(fn, o.optimizer ?? sgd(0.1));
  const kernel = resolveKernel(fn, o.kernel);
  const loss = o.loss ?? 'bce';
  if (o.onStep !== undefined && typeof o.onStep !== 'function') fail('INVALID_ARGUMENT', fn, 'onStep must be a function', o.onStep);
  const epochs = o.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > MAX_EPOCHS)
    fail('INVALID_ARGUMENT', fn, `epochs must be an integer in [1, ${MAX_EPOCHS}]`, epochs);
  const iterable = (x: unknown) => typeof x === 'object' && x !== null && (Symbol.iterator in x || Symbol.asyncIterator in x);
  if (typeof batches !== 'function' && !iterable(batches))
    fail('INVALID_ARGUMENT', fn, 'batches must be an iterable, an async iterable or a function returning one', batches);
  const reiterable = typeof batches === 'function' || Array.isArray(batches);
  if (epochs > 1 && !reiterable)
    fail('INVALID_ARGUMENT', fn, 'several epochs need an array of batches or a function returning an iterable', typeof batches);
  const prevQ = model.fakeQuantization;
  if (o.fakeQuantization !== undefined) model.fakeQuantization = o.fakeQuantization;
  const losses: number[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const it = typeof batches === 'function' ? batches() : batches;
      if (!iterable(it)) fail('INVALID_ARGUMENT', fn, 'the batches function must return an iterable', it);
      for await (const batch of it as AsyncIterable<DlrmBatch>) {
        const lr = o.scheduler ? o.scheduler.lrAt(o.scheduler.stepCount + 1) : undefined;
        let r: { loss: number };
        try {
          r = await trainStepAsync(model, optimizer, batch, loss, { lr, classWeights: o.classWeights, kernel });
        } finally {
          if (o.disposeBatches) disposeBatch(batch);
        }
        o.scheduler?.step();
        step += 1;
        losses.push(r.loss);
        o.onStep?.({ epoch, step, loss: r.loss, lr: lr ?? optimizer.lr ?? Number.NaN, samples: batch.dense.shape[0] });
      }
    }
  } finally {
    model.fakeQuantization = prevQ;
  }
  return { steps: step, losses };
}

/** Disposes a batch's tensors (dense, labels, the KJT). @example `disposeBatch(batch);` */
export function disposeBatch(b: DlrmBatch): void {
  if (typeof b !== 'object' || b === null) fail('INVALID_ARGUMENT', 'disposeBatch', 'b must be a DlrmBatch', b);
  for (const t of [b.dense, b.labels, b.sparse])
    if (t !== undefined && (typeof t !== 'object' || t === null || typeof (t as { dispose?: unknown }).dispose !== 'function'))
      fail('INVALID_ARGUMENT', 'disposeBatch', 'b must hold tensors and a KJT', t);
  b.dense?.dispose();
  b.labels?.dispose();
  b.sparse?.dispose();
}
