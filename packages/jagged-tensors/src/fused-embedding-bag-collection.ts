// Pooled embedding lookups trained with a fused optimizer (torchrec torchrec/modules/fused_embedding_modules.py
// `FusedEmbeddingBagCollection`; FBGEMM fbgemm_gpu/split_table_batched_embeddings_ops_training.py with
// `optimizer=EmbOptimType.EXACT_SGD / EXACT_ROWWISE_ADAGRAD`): the tables live in kernel memory across steps, and the
// backward applies the optimizer to the touched rows in place, so no dense [R, D] table gradient is ever formed.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkOptions, checkTensor, readSync, rng } from '@tessera/core';
import { alloc, FUSED_OPTIMIZERS, type FusedOptimizer, type KernelArray } from '@tessera/kernels';
import { awaitData } from './device.js';
import type { EmbeddingBagConfig } from './embedding-bag-collection.js';
import { fail } from './errors.js';
import { type FusedTable, fusedUpdateFeatures, poolFeatures } from './kernels/index.js';
import type { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { KeyedTensor } from './keyed-tensor.js';
import { pooledFeaturesOf } from './lookup.js';
import { checkIds, type PooledFeature, type PoolingMode } from './pooling.js';
import { createTableWeight, validateTableConfigs } from './table-config.js';

export type { FusedOptimizer } from '@tessera/kernels';

// its tables live in host kernel memory: every call reads its tensor arguments on the host
const FUSED_ALT = 'FusedEmbeddingBagCollection keeps its tables in host kernel memory; on this backend use EmbeddingBagCollection';

/** Options of a {@link FusedEmbeddingBagCollection} (torchrec `fused_params` / FBGEMM TBE arguments). */
export interface FusedEmbeddingBagOptions {
  tables: readonly EmbeddingBagConfig[];
  /** `'exact_sgd'` or `'exact_rowwise_adagrad'` (FBGEMM `EmbOptimType.EXACT_SGD` / `EXACT_ROWWISE_ADAGRAD`). */
  optimizer: FusedOptimizer;
  /** Learning rate, finite and ≥ 0 (FBGEMM `learning_rate`). */
  learningRate: number;
  /** Row-wise Adagrad's ε, finite and ≥ 0 (FBGEMM `eps`). Default 1e-8. */
  eps?: number;
  /** Row-wise Adagrad's initial state per row (FBGEMM `optimizer_state` init, 0 there). Default 0. */
  initialAccumulatorValue?: number;
  /** Seed of the default table initialisation, as {@link EmbeddingBagCollection}. */
  seed?: number;
}

interface Table {
  readonly name: string;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly featureNames: readonly string[];
  readonly pooling: PoolingMode;
  readonly store: FusedTable;
}

/**
 * Pooled embedding lookups trained by a fused optimizer (torchrec `FusedEmbeddingBagCollection`): `forward` pools
 * every feature of a KJT or an IKJT from tables resident in kernel memory, `backward` takes the gradient of that
 * output and updates, in place, only the rows the lookup touched — EXACT_SGD (`w ← w − lr·g`) or
 * EXACT_ROWWISE_ADAGRAD (`s ← s + mean_d g²`, `w ← w − lr·g/(√s + ε)`), duplicate ids summed first — with no dense
 * table gradient. Over an IKJT the sample gradients are summed per stored bag and each stored bag is scattered once,
 * so the backward, like the forward, costs what the deduplicated ids cost. Initialised as an
 * {@link EmbeddingBagCollection} with the same configs and seed; one step equals that collection's dense gradient
 * (`tf.grads`) followed by the same update, bit for bit. The output is not differentiable through `tf.grads`: call
 * `backward` with its gradient.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (bad config, optimizer, learning rate or eps), `INVALID_KEY`,
 * `UNSUPPORTED`, `INDEX_OUT_OF_RANGE` as {@link EmbeddingBagCollection}; `INVALID_SHAPE` for an output gradient of
 * the wrong shape; `INVALID_ARGUMENT` after `dispose`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { FusedEmbeddingBagCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * await initBackend();
 * const ebc = new FusedEmbeddingBagCollection({
 *   tables: [{ name: 't', numEmbeddings: 4, embeddingDim: 2, featureNames: ['f'], weight: tf.ones([4, 2]) }],
 *   optimizer: 'exact_sgd',
 *   learningRate: 0.5,
 * });
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 1, 3], 'int32'), lengths: [2, 1] });
 * const kt = ebc.forward(x); // [[2, 2], [1, 1]]
 * const dy = tf.onesLike(kt.values);
 * ebc.backward(x, dy); // row 1 (used twice) moves by 2 × 0.5, row 3 by 0.5
 * const w = ebc.weight('t');
 * Array.from(w.dataSync()); // → [1, 1, 0, 0, 1, 1, 0.5, 0.5]
 * tf.dispose([dy, w]); kt.dispose(); x.dispose(); ebc.dispose();
 * ```
 */
export class FusedEmbeddingBagCollection {
  /** The tables: name, size, features and pooling (values through {@link FusedEmbeddingBagCollection.weight}). */
  readonly tables: readonly Omit<Table, 'store'>[];
  /** Output keys in order. */
  readonly featureNames: readonly string[];
  readonly optimizer: FusedOptimizer;
  readonly learningRate: number;
  readonly eps: number;
  private readonly t: Table[];
  private live = true;

  constructor(o: FusedEmbeddingBagOptions) {
    const fn = 'FusedEmbeddingBagCollection';
    o = checkOptions<FusedEmbeddingBagOptions>(o, fn);
    validateTableConfigs(fn, o.tables);
    for (const t of o.tables) checkOneOf(t.pooling ?? 'sum', fn, `table '${t.name}' pooling`, ['sum', 'mean'] as const);
    this.optimizer = checkOneOf(o.optimizer, fn, 'optimizer', FUSED_OPTIMIZERS);
    this.learningRate = finite(fn, 'learningRate', o.learningRate);
    this.eps = finite(fn, 'eps', o.eps ?? 1e-8);
    const init = finite(fn, 'initialAccumulatorValue', o.initialAccumulatorValue ?? 0);
    const r = rng(o.seed ?? 0);
    const made: Table[] = [];
    try {
      for (const c of o.tables) {
        const v = createTableWeight(c, r, false);
        let weight: KernelArray<Float32Array> | null = null;
        try {
          weight = alloc(Float32Array, c.numEmbeddings * c.embeddingDim);
          weight.array.set(readSync(v, fn, `table '${c.name}' weight`, FUSED_ALT) as Float32Array);
        } finally {
          v.dispose();
        }
        const momentum = this.optimizer === 'exact_rowwise_adagrad' ? alloc(Float32Array, c.numEmbeddings) : null;
        if (momentum !== null && init !== 0) momentum.array.fill(init);
        made.push({
          name: c.name,
          numEmbeddings: c.numEmbeddings,
          embeddingDim: c.embeddingDim,
          featureNames: Object.freeze([...c.featureNames]),
          pooling: c.pooling ?? 'sum',
          store: { weight, momentum, rows: c.numEmbeddings, dim: c.embeddingDim },
        });
      }
    } catch (e) {
      for (const t of made) free(t.store);
      throw e;
    }
    this.t = made;
    this.tables = Object.freeze(made.map(({ store: _, ...rest }) => Object.freeze(rest)));
    this.featureNames = Object.freeze(made.flatMap((t) => t.featureNames));
  }

  /**
   * Pools every configured feature of `x` (a non-VBE KJT or an IKJT) from the resident tables into a B-row
   * {@link KeyedTensor} (not differentiable through `tf.grads`: pass its gradient to `backward`).
   * @throws TesseraError as the class doc says.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { FusedEmbeddingBagCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const ebc = new FusedEmbeddingBagCollection({
   *   tables: [{ name: 't', numEmbeddings: 10, embeddingDim: 4, featureNames: ['user', 'item'] }],
   *   optimizer: 'exact_rowwise_adagrad', learningRate: 0.1,
   * });
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
   * const kt = ebc.forward(x);
   * kt.values.shape; // → [2, 8]
   * kt.dispose(); x.dispose(); ebc.dispose();
   * ```
   */
  forward(x: KeyedJaggedTensor): KeyedTensor {
    const fn = 'FusedEmbeddingBagCollection.forward';
    const p = this.plan(fn, x);
    const host = this.t.map((t) => ({ data: () => t.store.weight.array, rows: t.numEmbeddings, dim: t.embeddingDim }));
    const out = poolFeatures(host, p.features, p.rows, p.width, p.cols);
    return new KeyedTensor({
      keys: this.featureNames,
      lengthPerKey: this.t.flatMap((t) => t.featureNames.map(() => t.embeddingDim)),
      values: tf.tensor2d(out, [p.rows, p.width], 'float32'),
    });
  }

  /**
   * The fused backward and optimizer step: `dPooled` is the gradient of `forward(x)` (its `values`, `[B, Σ D]`, or
   * the KeyedTensor); the rows of every table that `x` touches are updated in place. `dPooled` is not disposed.
   * @throws TesseraError as the class doc says.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { FusedEmbeddingBagCollection, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const ebc = new FusedEmbeddingBagCollection({
   *   tables: [{ name: 't', numEmbeddings: 3, embeddingDim: 1, featureNames: ['f'], weight: tf.zeros([3, 1]) }],
   *   optimizer: 'exact_rowwise_adagrad', learningRate: 1, eps: 0,
   * });
   * const x = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([2], 'int32'), lengths: [1] });
   * const dy = tf.tensor2d([[4]]);
   * ebc.backward(x, dy); // state of row 2: 16; row 2 ← 0 − 1 · 4 / √16
   * const w = ebc.weight('t');
   * Array.from(w.dataSync()); // → [0, 0, -1]
   * tf.dispose([dy, w]); x.dispose(); ebc.dispose();
   * ```
   */
  backward(x: KeyedJaggedTensor, dPooled: tf.Tensor2D | KeyedTensor): void {
    const fn = 'FusedEmbeddingBagCollection.backward';
    const p = this.plan(fn, x);
    const g = dPooled instanceof KeyedTensor ? dPooled.values : dPooled;
    checkTensor(g, fn, 'dPooled', { dtype: 'float32', rank: 2 });
    if (g.shape[0] !== p.rows || g.shape[1] !== p.width)
      fail('INVALID_SHAPE', fn, `dPooled must be [${p.rows}, ${p.width}]`, `[${g.shape.join(', ')}]`);
    fusedUpdateFeatures(
      readSync(g, fn, 'dPooled', `${FUSED_ALT}, or ${awaitData('dPooled')}`) as Float32Array,
      this.t.map((t) => t.store),
      p.features,
      p.width,
      p.cols,
      this.optimizer,
      this.learningRate,
      this.eps,
    );
  }

  /**
   * A copy of table `name`'s current values, `[numEmbeddings, embeddingDim]` (caller-owned).
   * @example `const w = ebc.weight('t'); … w.dispose();`
   */
  weight(name: string): tf.Tensor2D {
    const t = this.table('FusedEmbeddingBagCollection.weight', name);
    return tf.tensor2d(t.store.weight.array.slice(), [t.numEmbeddings, t.embeddingDim], 'float32');
  }

  /**
   * A copy of table `name`'s row-wise Adagrad state, `[numEmbeddings]` (caller-owned; `UNSUPPORTED` for exact SGD,
   * which keeps none).
   * @example `const s = ebc.momentum('t'); … s.dispose();`
   */
  momentum(name: string): tf.Tensor1D {
    const fn = 'FusedEmbeddingBagCollection.momentum';
    const t = this.table(fn, name);
    if (t.store.momentum === null) fail('UNSUPPORTED', fn, 'exact_sgd keeps no optimizer state', this.optimizer);
    return tf.tensor1d(t.store.momentum.array.slice(), 'float32');
  }

  /** Frees the resident tables and state; the collection must not be used afterwards. @example `ebc.dispose()` */
  dispose(): void {
    if (!this.live) return;
    this.live = false;
    for (const t of this.t) free(t.store);
  }

  private table(fn: string, name: string): Table {
    this.check(fn);
    if (typeof name !== 'string') fail('INVALID_ARGUMENT', fn, 'name must be a string', name);
    const t = this.t.find((x) => x.name === name);
    if (t === undefined) fail('INVALID_KEY', fn, `no table named '${name}'`, name);
    return t;
  }

  private check(fn: string): void {
    if (!this.live) fail('INVALID_ARGUMENT', fn, 'the collection was disposed', 'disposed');
  }

  private plan(fn: string, x: KeyedJaggedTensor): { features: PooledFeature[]; rows: number; width: number; cols: number[] } {
    this.check(fn);
    const features = pooledFeaturesOf(fn, this.t, x);
    for (const f of features) checkIds(f.spec, this.t[f.table].numEmbeddings);
    const s0 = features[0].spec;
    const rows = s0.inverse ? s0.inverse.length : s0.offsets.length - 1;
    const cols: number[] = [];
    let width = 0;
    for (const f of features) {
      cols.push(width);
      width += this.t[f.table].embeddingDim;
    }
    return { features, rows, width, cols };
  }
}

function finite(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('INVALID_ARGUMENT', fn, `${name} must be a finite number >= 0`, v);
  return v;
}

function free(s: FusedTable): void {
  s.weight.free();
  s.momentum?.free();
}
