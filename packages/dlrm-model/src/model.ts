// DLRM (Naumov et al., arXiv 1906.00091) with number-for-number parity to facebookresearch/dlrm `dlrm_s_pytorch.py`
// (`DLRM_Net`, `sequential_forward`): bottom MLP with ReLU after every layer, sum-pooled embedding bags, the `dot` or
// `cat` interaction, a top MLP with ReLU after every layer but the last, which gets a Sigmoid, and the optional
// `--loss-threshold` clamp. Linear weights are stored [out, in] as PyTorch stores them; embedding tables are host
// Float32Arrays (see embedding.ts for why).
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, checkTensor, readSync } from '@tessera/core';
import type { InverseKeyedJaggedTensor, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { type FakeQuantizeMXOptions, fakeQuantizeMX } from '@tessera/mx-formats';
import { type DlrmConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { deviceFeatures, devicePooled, disposePooled } from './device.js';
import { poolFeatures, type ResolvedSparse, resolveSparse } from './embedding.js';
import { fail } from './errors.js';
import { interactionOp, tfjsInteraction } from './interaction.js';
import { type DlrmKernel, HOST_ALTERNATIVE, resolveKernel } from './kernel.js';
import { linear as linearOp } from './linear.js';
import { numpyLegacyRng } from './numpy-rng.js';

/** A batch: dense features [B, denseFeatures], the sparse part as a KJT or an IKJT (keys matched by name), labels [B, 1]. */
export interface DlrmBatch {
  dense: tf.Tensor2D;
  sparse: KeyedJaggedTensor | InverseKeyedJaggedTensor;
  labels?: tf.Tensor2D;
}

/** Initialisation of {@link DlrmModel.create}. */
export interface DlrmInit {
  /**
   * `'numpy-legacy'` (default): numpy's legacy MT19937 seeded with `seed` (default 123, the reference's
   * `--numpy-rand-seed`), which reproduces the reference's initial weights; or a function returning uniform floats in
   * [0, 1), from which uniforms and (polar Box–Muller) normals are drawn in the same order; or `'zeros'` (every
   * parameter 0, no draws: for a model whose weights are loaded next).
   */
  rng?: 'numpy-legacy' | 'zeros' | (() => number);
  seed?: number;
}

/** One tensor of a state dict: PyTorch shape and row-major float32 data. */
export interface StateTensor {
  shape: number[];
  data: Float32Array;
}

/** A state dict keyed by `DLRM_Net`'s PyTorch names (`emb_l.k.weight`, `bot_l.{2i}.weight`, …). */
export type StateDict = Map<string, StateTensor>;

/** MX fake quantization applied in the forward pass (straight-through gradients, `@tessera/mx-formats`). */
export interface DlrmFakeQuantization {
  /** Fake-quantize every Linear weight of both MLPs along its input axis. */
  mlp?: FakeQuantizeMXOptions;
  /** Fake-quantize the embedding rows a batch looks up (each row on its own, along d). */
  embeddings?: FakeQuantizeMXOptions;
}

interface Linear {
  w: tf.Variable;
  b: tf.Variable;
}

const CREATE = Symbol('create');

function remapWeights(ids: Int32Array, remapped: Int32Array, offsets: Int32Array, U: number, v: Float32Array): Float32Array {
  let n = 0;
  for (let j = offsets[0]; j < offsets[U]; j++) n = Math.max(n, remapped[j] + 1);
  const out = new Float32Array(n);
  for (let j = offsets[0]; j < offsets[U]; j++) out[remapped[j]] = v[ids[j]];
  return out;
}

/**
 * Options of {@link DlrmModel.forward}.
 * @example `model.forward(batch, { kernel: 'tfjs' })`
 */
export interface DlrmForwardOptions {
  /** Host kernels or tfjs ops (default `'auto'`: tfjs ops only where the backend cannot read synchronously). */
  kernel?: DlrmKernel;
}

/** Resolved batch: dense tensor and sparse bags. @internal */
export interface PreparedBatch {
  dense: tf.Tensor2D;
  sparse: ResolvedSparse;
}

/**
 * A DLRM whose parameters, names and shapes are those of `DLRM_Net`. Build it with {@link DlrmModel.create}; call
 * {@link DlrmModel.dispose} when done (it owns tf variables).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { DlrmModel } from '@tessera/dlrm-model';
 * await initBackend();
 * const model = DlrmModel.create({ denseFeatures: 4, embeddingDim: 2, tableSizes: [4, 3, 2], featureNames: ['a', 'b', 'c'],
 *   bottomMlp: [3, 2], topMlp: [4, 2, 1], interaction: 'dot' }, { seed: 123 });
 * const sparse = KeyedJaggedTensor.fromLengths({ keys: ['a', 'b', 'c'], values: tf.tensor1d([0, 3, 1, 2, 0, 1], 'int32'), lengths: [2, 0, 1, 1, 1, 1] });
 * const dense = tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [1, 0, 1, 0]]);
 * const p = model.forward({ dense, sparse }); // [2, 1] probabilities
 * tf.dispose([p, dense]); sparse.dispose(); model.dispose();
 * ```
 */
export class DlrmModel {
  /** The validated config (with derived `lnBot`, `lnTop`). */
  readonly config: ResolvedConfig;
  private readonly hostEmb: Float32Array[];
  private readonly hostV: Float32Array[] | null;
  // Copies of the tables as tf variables for the tfjs path (`kernel: 'tfjs'`), created on its first step. `fresh`
  // says which copy holds the current values: 'host' (the Float32Arrays; the variables, if any, are stale), 'device'
  // (the variables; the arrays are stale until read back) or 'both'.
  private dev: { emb: tf.Variable[]; v: tf.Variable[] | null } | null = null;
  private fresh: 'host' | 'device' | 'both' = 'host';
  private readonly bot: Linear[];
  private readonly top: Linear[];
  private slotsCache: Int32Array[] | null = null;
  private disposed = false;
  /** Fake quantization used by forward and training (null = off). */
  fakeQuantization: DlrmFakeQuantization | null = null;

  private constructor(token: typeof CREATE, cfg: ResolvedConfig, emb: Float32Array[], bot: Linear[], top: Linear[]) {
    if (token !== CREATE) fail('INVALID_ARGUMENT', 'DlrmModel', 'use DlrmModel.create', 'new DlrmModel');
    this.config = cfg;
    this.hostEmb = emb;
    this.bot = bot;
    this.top = top;
    this.hostV = cfg.weightedPooling === 'learned' ? cfg.tableSizes.map((n) => new Float32Array(n).fill(1)) : null;
  }

  /**
   * Embedding tables (`emb_l.k.weight`), [n_k, d] row-major, live: host optimizers update them in place and writes
   * are seen by the next step. After steps on the tfjs path (`kernel: 'tfjs'`) the current values are on the device;
   * this getter reads them back synchronously, which a backend without synchronous reads (webgpu in Node) cannot do:
   * there, `await model.syncHost()` first.
   *
   * @throws TesseraError `UNSUPPORTED` when the tables are on a device that cannot be read synchronously.
   * @example `model.embeddings[0][0]` (row 0, column 0 of table 0)
   */
  get embeddings(): Float32Array[] {
    this.pullHost('DlrmModel.embeddings');
    this.fresh = 'host'; // the caller may write into the arrays
    return this.hostEmb;
  }

  /**
   * Learned per-row pooling weights (`v_W_l.k`, [n_k]), or null unless `weightedPooling: 'learned'`; live, like
   * {@link DlrmModel.embeddings} (and read back from the device the same way).
   * @example `model.poolingWeights?.[0][3]`
   */
  get poolingWeights(): Float32Array[] | null {
    if (!this.hostV) return null;
    this.pullHost('DlrmModel.poolingWeights');
    this.fresh = 'host';
    return this.hostV;
  }

  /**
   * Copies the embedding tables (and learned pooling weights) from the device to the host arrays after training on
   * the tfjs path, with asynchronous reads: what makes {@link DlrmModel.embeddings} and
   * {@link DlrmModel.stateDict} usable on webgpu in Node. Does nothing when the host arrays are current.
   *
   * @example
   * ```ts
   * import { initBackend } from '@tessera/core';
   * import { DlrmModel } from '@tessera/dlrm-model';
   * await initBackend();
   * const m = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [3], featureNames: ['f'],
   *   bottomMlp: [2], topMlp: [1], interaction: 'dot' });
   * await m.syncHost();
   * m.embeddings[0].length; // → 6
   * m.dispose();
   * ```
   */
  async syncHost(): Promise<void> {
    this.checkAlive('DlrmModel.syncHost');
    if (this.fresh !== 'device' || !this.dev) return;
    const { emb, v } = this.dev;
    const data = await Promise.all([...emb, ...(v ?? [])].map((t) => t.data()));
    if (this.fresh !== 'device') return;
    emb.forEach((_, k) => {
      this.hostEmb[k].set(data[k] as Float32Array);
    });
    v?.forEach((_, k) => {
      (this.hostV as Float32Array[])[k].set(data[emb.length + k] as Float32Array);
    });
    this.fresh = 'both';
  }

  // Makes the host arrays current (synchronous read of the device copies when those are newer).
  private pullHost(fn: string): void {
    if (this.fresh !== 'device' || !this.dev) return;
    const alt = 'await model.syncHost() first';
    this.dev.emb.forEach((t, k) => {
      this.hostEmb[k].set(readSync(t, fn, 'the embedding tables (updated on the device)', alt) as Float32Array);
    });
    this.dev.v?.forEach((t, k) => {
      (this.hostV as Float32Array[])[k].set(readSync(t, fn, 'the pooling weights (updated on the device)', alt) as Float32Array);
    });
    this.fresh = 'both';
  }

  /** The tables as tf variables ([n_k, d] and [n_k]), uploaded when the host arrays are newer. @internal */
  deviceTables(): { emb: tf.Variable[]; v: tf.Variable[] | null } {
    const D = this.config.embeddingDim;
    if (!this.dev) {
      this.dev = {
        emb: this.hostEmb.map((T, k) => tf.tidy(() => tf.variable(tf.tensor2d(T, [this.config.tableSizes[k], D]), false))),
        v: this.hostV ? this.hostV.map((T) => tf.tidy(() => tf.variable(tf.tensor1d(T), false))) : null,
      };
      this.fresh = 'both';
    } else if (this.fresh === 'host') {
      const dev = this.dev;
      tf.tidy(() => {
        this.hostEmb.forEach((T, k) => {
          dev.emb[k].assign(tf.tensor2d(T, [this.config.tableSizes[k], D]));
        });
        this.hostV?.forEach((T, k) => {
          dev.v?.[k].assign(tf.tensor1d(T));
        });
      });
      this.fresh = 'both';
    }
    return this.dev;
  }

  /** Marks the device copies as the current values (after a tfjs-path optimizer step). @internal */
  markDeviceUpdated(): void {
    this.fresh = 'device';
  }

  /** The host tables for reading (no invalidation of the device copy). @internal */
  hostTables(fn: string): { emb: Float32Array[]; v: Float32Array[] | null } {
    this.pullHost(fn);
    return { emb: this.hostEmb, v: this.hostV };
  }

  /**
   * Builds a model with the reference's initialisation: numpy's legacy RNG (seeded once), drawing all embedding
   * tables in feature order (`U(−√(1/n_k), √(1/n_k))` as (n_k, d)), then the bottom MLP, then the top MLP (each
   * Linear n→m: `W ~ N(0, √(2/(m+n)))` as (m, n), then `b ~ N(0, √(1/m))`), drawn in float64 and cast to float32.
   * Learned pooling weights start at 1.
   *
   * @throws TesseraError `INVALID_ARGUMENT` on an invalid config or init (sizes over their bounds included),
   * `INVALID_KEY` on duplicate feature names.
   * @example
   * ```ts
   * import { initBackend } from '@tessera/core';
   * import { DlrmModel } from '@tessera/dlrm-model';
   * await initBackend();
   * const m = DlrmModel.create({ denseFeatures: 4, embeddingDim: 2, tableSizes: [4, 3, 2], featureNames: ['a', 'b', 'c'],
   *   bottomMlp: [3, 2], topMlp: [4, 2, 1], interaction: 'dot' }, { seed: 123 });
   * m.embeddings[0][0]; // ≈ 0.19646919
   * m.dispose();
   * ```
   */
  static create(cfg: DlrmConfig, init: DlrmInit = {}): DlrmModel {
    const fn = 'DlrmModel.create';
    const c = resolveConfig(cfg, fn);
    if (typeof init !== 'object' || init === null) fail('INVALID_ARGUMENT', fn, 'init must be an object', init);
    const seed = init.seed ?? 123;
    let uniform01: () => number;
    let normal: (mean: number, std: number) => number;
    if (init.rng === undefined || init.rng === 'numpy-legacy') {
      const r = numpyLegacyRng(seed);
      uniform01 = r.randomSample;
      normal = r.normal;
    } else if (init.rng === 'zeros') {
      uniform01 = () => 0.5;
      normal = () => 0;
    } else if (typeof init.rng === 'function') {
      const user = init.rng;
      const u = () => {
        const v = user();
        if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail('INVALID_ARGUMENT', fn, 'init.rng must return numbers in [0, 1)', v);
        return v;
      };
      uniform01 = u;
      let has = false;
      let cached = 0;
      normal = (mean, std) => {
        if (has) {
          has = false;
          return mean + std * cached;
        }
        let x1 = 0;
        let x2 = 0;
        let r2 = 0;
        let tries = 0;
        do {
          if (++tries > 1000)
            fail('INVALID_ARGUMENT', fn, 'init.rng must return varied uniform numbers (1000 rejected normal draws)', 'a degenerate stream');
          x1 = 2 * u() - 1;
          x2 = 2 * u() - 1;
          r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1 || r2 === 0);
        const f = Math.sqrt((-2 * Math.log(r2)) / r2);
        cached = f * x1;
        has = true;
        return mean + std * f * x2;
      };
    } else fail('INVALID_ARGUMENT', fn, "init.rng must be 'numpy-legacy' or a function", init.rng);
    const D = c.embeddingDim;
    const emb = c.tableSizes.map((n) => {
      const a = Math.sqrt(1 / n);
      const t = new Float32Array(n * D);
      for (let i = 0; i < t.length; i++) t[i] = -a + 2 * a * uniform01();
      return t;
    });
    const mlp = (ln: number[]): Linear[] => {
      const layers: Linear[] = [];
      for (let i = 0; i + 1 < ln.length; i++) {
        const n = ln[i];
        const m = ln[i + 1];
        const w = new Float32Array(m * n);
        const sw = Math.sqrt(2 / (m + n));
        for (let j = 0; j < w.length; j++) w[j] = normal(0, sw);
        const b = new Float32Array(m);
        const sb = Math.sqrt(1 / m);
        for (let j = 0; j < m; j++) b[j] = normal(0, sb);
        const wt = tf.tensor2d(w, [m, n]);
        const bt = tf.tensor1d(b);
        layers.push({ w: tf.variable(wt, true), b: tf.variable(bt, true) });
        tf.dispose([wt, bt]);
      }
      return layers;
    };
    const bot = mlp(c.lnBot);
    const top = mlp(c.lnTop);
    const model = new DlrmModel(CREATE, c, emb, bot, top);
    // where only the tfjs path can run (webgpu in Node), the tables live as tf variables from the start, like the
    // dense parameters (rather than appearing on the first forward)
    if (!canReadSync()) model.deviceTables();
    return model;
  }

  /** Names of the dense parameters in `named_parameters()` order (bottom then top; weight then bias). */
  denseParameterNames(): string[] {
    const names: string[] = [];
    this.bot.forEach((_, i) => {
      names.push(`bot_l.${2 * i}.weight`, `bot_l.${2 * i}.bias`);
    });
    this.top.forEach((_, i) => {
      names.push(`top_l.${2 * i}.weight`, `top_l.${2 * i}.bias`);
    });
    return names;
  }

  /**
   * The dense parameters as live tf variables keyed by PyTorch name (`bot_l.0.weight` [out, in], …). Optimizers
   * `assign` to them; do not dispose them.
   * @example `model.denseParameters().get('top_l.0.bias')`
   */
  denseParameters(): Map<string, tf.Variable> {
    this.checkAlive('DlrmModel.denseParameters');
    const m = new Map<string, tf.Variable>();
    this.bot.forEach((l, i) => {
      m.set(`bot_l.${2 * i}.weight`, l.w);
      m.set(`bot_l.${2 * i}.bias`, l.b);
    });
    this.top.forEach((l, i) => {
      m.set(`top_l.${2 * i}.weight`, l.w);
      m.set(`top_l.${2 * i}.bias`, l.b);
    });
    return m;
  }

  /** @internal */
  checkAlive(fn: string): void {
    if (this.disposed) fail('INVALID_ARGUMENT', fn, 'the model has been disposed', 'a disposed model');
  }

  /** Scratch row → slot maps for the row-gradient scatter (allocated on first use). @internal */
  slots(): Int32Array[] {
    if (!this.slotsCache) this.slotsCache = this.config.tableSizes.map((n) => new Int32Array(n).fill(-1));
    return this.slotsCache;
  }

  /** Validates a batch and resolves its sparse part. @internal */
  prepare(fn: string, batch: DlrmBatch): PreparedBatch {
    this.checkAlive(fn);
    if (typeof batch !== 'object' || batch === null) fail('INVALID_ARGUMENT', fn, 'batch must be { dense, sparse }', batch);
    const dense = checkTensor(batch.dense, fn, 'batch.dense', { dtype: 'float32', rank: 2 }) as tf.Tensor2D;
    const c = this.config;
    if (dense.shape[1] !== c.denseFeatures)
      fail('INVALID_SHAPE', fn, `batch.dense must have ${c.denseFeatures} columns (denseFeatures)`, `[${dense.shape.join(', ')}]`);
    const sparse = resolveSparse(fn, batch.sparse, c.featureNames, c.tableSizes);
    if (sparse.B !== dense.shape[0])
      fail('INVALID_SHAPE', fn, `batch.sparse has stride ${sparse.B} but batch.dense has ${dense.shape[0]} rows`, dense.shape[0]);
    if (batch.sparse.weights && c.weightedPooling !== 'none')
      fail('UNSUPPORTED', fn, 'KJT per-sample weights cannot be combined with weightedPooling', c.weightedPooling);
    return { dense, sparse };
  }

  /** Pooled embeddings [B, F·d] of a prepared batch (with embedding fake quantization when set). @internal */
  pooled(s: ResolvedSparse): tf.Tensor2D {
    const c = this.config;
    const D = c.embeddingDim;
    const F = c.tableSizes.length;
    const out = new Float32Array(s.B * F * D);
    const q = this.fakeQuantization?.embeddings;
    const host = this.hostTables('DlrmModel.forward');
    if (q) {
      const { tables, sparse } = this.quantizedRows(s, q, host.emb);
      // learned pooling weights are indexed by the original ids: apply them through per-feature compact copies
      const hv = host.v;
      const vw = hv ? s.features.map((f, k) => remapWeights(f.ids, sparse.features[k].ids, f.offsets, f.U, hv[k])) : null;
      poolFeatures(tables, vw, D, sparse, out);
    } else poolFeatures(host.emb, host.v, D, s, out);
    return tf.tensor2d(out, [s.B, F * D]);
  }

  // Fake-quantized compact tables holding only the rows this batch touches, and the batch with ids remapped to them.
  private quantizedRows(
    s: ResolvedSparse,
    q: FakeQuantizeMXOptions,
    emb: readonly Float32Array[],
  ): { tables: Float32Array[]; sparse: ResolvedSparse } {
    const D = this.config.embeddingDim;
    if (s.features.length === 0) return { tables: [], sparse: s };
    const ids = s.features[0].ids.slice();
    const tables = s.features.map((f, k) => {
      const remap = new Map<number, number>();
      for (let j = f.offsets[0]; j < f.offsets[f.U]; j++) {
        const id = f.ids[j];
        let r = remap.get(id);
        if (r === undefined) {
          r = remap.size;
          remap.set(id, r);
        }
        ids[j] = r;
      }
      const T = emb[k];
      const g = new Float32Array(remap.size * D);
      for (const [id, r] of remap) g.set(T.subarray(id * D, id * D + D), r * D);
      if (remap.size === 0) return g;
      const qd = tf.tidy(() => fakeQuantizeMX(tf.tensor2d(g, [remap.size, D]), { ...q, axis: 1 }));
      const out = Float32Array.from(readSync(qd, 'DlrmModel.forward', 'fake-quantized embedding rows', HOST_ALTERNATIVE) as Float32Array);
      qd.dispose();
      return out;
    });
    return { tables, sparse: { B: s.B, features: s.features.map((f) => ({ ...f, ids })) } };
  }

  /** The dense parameters in forward order (bot W, b, …, top W, b, …). @internal */
  paramList(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const l of this.bot) out.push(l.w, l.b);
    for (const l of this.top) out.push(l.w, l.b);
    return out;
  }

  /**
   * Pure forward from the dense input, the pooled embeddings and the dense parameters (in {@link paramList} order);
   * differentiable in all of them. @internal
   */
  forwardPure(dense: tf.Tensor2D, E: tf.Tensor2D, params: readonly tf.Tensor[], kernel: 'host' | 'tfjs' = 'host'): tf.Tensor2D {
    const c = this.config;
    const q0 = this.fakeQuantization?.mlp;
    // the tfjs path never reads back: the tfjs-op fake quantization (bit-exact with the host kernel, mx-formats)
    const q = q0 && kernel === 'tfjs' ? { kernel: 'tfjs' as const, ...q0 } : q0;
    const nb = this.bot.length;
    const linear = (h: tf.Tensor2D, i: number, act: 'relu' | 'sigmoid'): tf.Tensor2D => {
      let w = params[2 * i] as tf.Tensor2D;
      if (q) w = fakeQuantizeMX(w, { ...q, axis: 1 }) as tf.Tensor2D;
      const b = params[2 * i + 1];
      const z = linearOp(h, w, b as tf.Tensor1D);
      return act === 'relu' ? tf.relu(z) : tf.sigmoid(z);
    };
    let x = dense;
    for (let i = 0; i < nb; i++) x = linear(x, i, 'relu');
    const R =
      kernel === 'tfjs'
        ? tfjsInteraction(x, E, c.interaction, c.interactionItself)
        : interactionOp(x, E, c.interaction, c.interactionItself);
    let h = R;
    const nt = this.top.length;
    for (let i = 0; i < nt; i++) h = linear(h, nb + i, i === nt - 1 ? 'sigmoid' : 'relu');
    const t = c.lossThreshold;
    if (t > 0 && t < 1) h = tf.clipByValue(h, t, 1 - t);
    return h;
  }

  /**
   * Probabilities [B, 1] of a batch (KJT or IKJT: an IKJT pools its unique bags once and expands them by its inverse
   * indices). The caller owns the result. `options.kernel` (default `'auto'`, see {@link DlrmKernel}): `'tfjs'` pools
   * and interacts with tfjs ops from the tables' device copies and never reads a tensor back (read the result with
   * `await p.data()` on webgpu in Node).
   *
   * @throws TesseraError `INVALID_KEY` (a feature name missing from the KJT), `INVALID_SHAPE` (dense width or batch
   * size mismatch), `INVALID_DTYPE`, `INDEX_OUT_OF_RANGE` (an id outside its table), `UNSUPPORTED` (KJT weights
   * with weighted pooling, VBE without inverse indices), `INVALID_ARGUMENT` (disposed model).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * import { DlrmModel } from '@tessera/dlrm-model';
   * await initBackend();
   * const model = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [5], featureNames: ['f'],
   *   bottomMlp: [2], topMlp: [1], interaction: 'cat' });
   * const sparse = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 4], 'int32'), lengths: [1, 1] });
   * const dense = tf.zeros([2, 2]) as tf.Tensor2D;
   * const p = model.forward({ dense, sparse });
   * p.shape; // → [2, 1]
   * tf.dispose([p, dense]); sparse.dispose(); model.dispose();
   * ```
   */
  forward(batch: DlrmBatch, options: DlrmForwardOptions = {}): tf.Tensor2D {
    const fn = 'DlrmModel.forward';
    if (typeof options !== 'object' || options === null) fail('INVALID_ARGUMENT', fn, 'options must be { kernel? }', options);
    const kernel = resolveKernel(fn, options.kernel);
    const { dense, sparse } = this.prepare(fn, batch);
    if (kernel === 'tfjs') {
      const pooled = devicePooled(this, deviceFeatures(sparse, this.slots()), sparse.B);
      try {
        return tf.tidy(() => this.forwardPure(dense, pooled.E, this.paramList(), 'tfjs'));
      } finally {
        disposePooled(pooled);
      }
    }
    const E = this.pooled(sparse);
    try {
      return tf.tidy(() => this.forwardPure(dense, E, this.paramList()));
    } finally {
      E.dispose();
    }
  }

  /**
   * The interaction alone: `x` [B, d] (bottom-MLP output) and one pooled [B, d] tensor per feature → [B, num_int].
   *
   * @throws TesseraError `INVALID_SHAPE`/`INVALID_DTYPE` on mismatched inputs.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { DlrmModel } from '@tessera/dlrm-model';
   * await initBackend();
   * const m = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [3], featureNames: ['f'],
   *   bottomMlp: [2], topMlp: [1], interaction: 'dot' });
   * const x = tf.tensor2d([[1, 2]]);
   * const e = tf.tensor2d([[3, 4]]);
   * const r = m.interact(x, [e]);
   * Array.from(r.dataSync()); // → [1, 2, 11]
   * tf.dispose([x, e, r]); m.dispose();
   * ```
   */
  interact(x: tf.Tensor2D, pooled: readonly tf.Tensor2D[]): tf.Tensor2D {
    const fn = 'DlrmModel.interact';
    this.checkAlive(fn);
    const c = this.config;
    checkTensor(x, fn, 'x', { dtype: 'float32', rank: 2 });
    if (x.shape[1] !== c.embeddingDim) fail('INVALID_SHAPE', fn, `x must have ${c.embeddingDim} columns`, `[${x.shape.join(', ')}]`);
    if (!Array.isArray(pooled) || pooled.length !== c.tableSizes.length)
      fail('INVALID_SHAPE', fn, `pooled must hold ${c.tableSizes.length} tensors`, pooled);
    pooled.forEach((e, k) => {
      checkTensor(e, fn, `pooled[${k}]`, { dtype: 'float32', rank: 2 });
      if (e.shape[0] !== x.shape[0] || e.shape[1] !== c.embeddingDim)
        fail('INVALID_SHAPE', fn, `pooled[${k}] must have shape [${x.shape[0]}, ${c.embeddingDim}]`, `[${e.shape.join(', ')}]`);
    });
    const kernel = resolveKernel(fn, 'auto');
    return tf.tidy(() => {
      const E = tf.concat(pooled, 1) as tf.Tensor2D;
      return kernel === 'tfjs'
        ? tfjsInteraction(x, E, c.interaction, c.interactionItself)
        : interactionOp(x, E, c.interaction, c.interactionItself);
    });
  }

  /**
   * A copy of every parameter keyed by `DLRM_Net`'s names with PyTorch shapes: `emb_l.k.weight` [n_k, d],
   * `bot_l.{2i}.weight` [out, in] / `.bias` [out], `top_l.{2i}.*`, and `v_W_l.k` [n_k] with learned weighted pooling.
   *
   * @throws TesseraError `INVALID_ARGUMENT` on a disposed model.
   * @example `const sd = model.stateDict(); sd.get('top_l.0.weight')?.shape;`
   */
  stateDict(): StateDict {
    this.checkAlive('DlrmModel.stateDict');
    const sd: StateDict = new Map();
    const D = this.config.embeddingDim;
    const host = this.hostTables('DlrmModel.stateDict');
    host.emb.forEach((t, k) => {
      sd.set(`emb_l.${k}.weight`, { shape: [this.config.tableSizes[k], D], data: t.slice() });
    });
    for (const [name, v] of this.denseParameters()) {
      const data = readSync(
        v,
        'DlrmModel.stateDict',
        `'${name}'`,
        'await model.syncHost(), then read the dense parameters with await v.data()',
      );
      sd.set(name, { shape: [...v.shape], data: (data as Float32Array).slice() });
    }
    if (host.v)
      host.v.forEach((v, k) => {
        sd.set(`v_W_l.${k}`, { shape: [v.length], data: v.slice() });
      });
    return sd;
  }

  /**
   * {@link DlrmModel.stateDict} with asynchronous reads (tables via {@link DlrmModel.syncHost}, dense parameters with
   * `await v.data()`): works on every backend, webgpu in Node included.
   *
   * @throws TesseraError `INVALID_ARGUMENT` on a disposed model.
   * @example
   * ```ts
   * import { initBackend } from '@tessera/core';
   * import { DlrmModel } from '@tessera/dlrm-model';
   * await initBackend();
   * const m = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [3], featureNames: ['f'],
   *   bottomMlp: [2], topMlp: [1], interaction: 'dot' });
   * const sd = await m.stateDictAsync();
   * sd.get('emb_l.0.weight')?.shape; // → [3, 2]
   * m.dispose();
   * ```
   */
  async stateDictAsync(): Promise<StateDict> {
    const fn = 'DlrmModel.stateDictAsync';
    this.checkAlive(fn);
    await this.syncHost();
    const dense = [...this.denseParameters()];
    const values = await Promise.all(dense.map(([, v]) => v.data()));
    this.checkAlive(fn);
    const { emb, v } = this.hostTables(fn);
    const D = this.config.embeddingDim;
    const sd: StateDict = new Map();
    emb.forEach((t, k) => {
      sd.set(`emb_l.${k}.weight`, { shape: [this.config.tableSizes[k], D], data: t.slice() });
    });
    dense.forEach(([name, t], i) => {
      sd.set(name, { shape: [...t.shape], data: Float32Array.from(values[i] as Float32Array) });
    });
    v?.forEach((w, k) => {
      sd.set(`v_W_l.${k}`, { shape: [w.length], data: w.slice() });
    });
    return sd;
  }

  /**
   * Loads a state dict (PyTorch names and shapes, as {@link DlrmModel.stateDict} gives). Strict (default): every
   * expected name present and no other; non-strict: unknown names are ignored and missing ones keep their values.
   * Nothing is changed unless every tensor checks out.
   *
   * @throws TesseraError `INVALID_KEY` (missing or unexpected name), `INVALID_SHAPE` (wrong shape or data length),
   * `INVALID_DTYPE` (data not a Float32Array), `INVALID_ARGUMENT` (not a Map, disposed model).
   * @example `model.loadStateDict(other.stateDict());`
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean } = {}): void {
    const fn = 'DlrmModel.loadStateDict';
    this.checkAlive(fn);
    if (!(sd instanceof Map)) fail('INVALID_ARGUMENT', fn, 'sd must be a Map of name → { shape, data }', sd);
    const strict = opts.strict ?? true;
    const expected = new Map<string, number[]>();
    const D = this.config.embeddingDim;
    this.config.tableSizes.forEach((n, k) => {
      expected.set(`emb_l.${k}.weight`, [n, D]);
    });
    for (const [name, v] of this.denseParameters()) expected.set(name, [...v.shape]);
    if (this.poolingWeights)
      this.config.tableSizes.forEach((n, k) => {
        expected.set(`v_W_l.${k}`, [n]);
      });
    if (strict) {
      for (const name of sd.keys()) if (!expected.has(name)) fail('INVALID_KEY', fn, `unexpected key '${name}' (strict)`, name);
      for (const name of expected.keys()) if (!sd.has(name)) fail('INVALID_KEY', fn, `missing key '${name}' (strict)`, name);
    }
    for (const [name, shape] of expected) {
      const t = sd.get(name);
      if (!t) continue;
      if (typeof t !== 'object' || !Array.isArray(t.shape)) fail('INVALID_ARGUMENT', fn, `'${name}' must be { shape, data }`, t);
      const d: unknown = t.data;
      const okData = d instanceof Float32Array || d instanceof Float64Array || (Array.isArray(d) && d.every((v) => typeof v === 'number'));
      if (!okData) fail('INVALID_DTYPE', fn, `'${name}' data must be a Float32Array (or Float64Array / number[])`, t.data);
      if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i]))
        fail('INVALID_SHAPE', fn, `'${name}' must have shape [${shape.join(', ')}]`, `[${t.shape.join(', ')}]`);
      const n = shape.reduce((a, b) => a * b, 1);
      if ((t.data as ArrayLike<number>).length !== n) fail('INVALID_SHAPE', fn, `'${name}' data must hold ${n} values`, t.data.length);
    }
    const dense = this.denseParameters();
    // a strict load replaces every table: no need to read the device copies back first
    const tables = strict ? { emb: this.hostEmb, v: this.hostV } : this.hostTables(fn);
    this.fresh = 'host';
    for (const [name, shape] of expected) {
      const t = sd.get(name);
      if (!t) continue;
      const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
      if (name.startsWith('emb_l.')) tables.emb[Number(name.split('.')[1])].set(data);
      else if (name.startsWith('v_W_l.')) tables.v?.[Number(name.split('.')[1])].set(data);
      else {
        const v = dense.get(name) as tf.Variable;
        const nt = tf.tensor(data, shape, 'float32');
        v.assign(nt);
        nt.dispose();
      }
    }
  }

  /** Frees the model's tf variables (idempotent). @example `model.dispose();` */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of [...this.bot, ...this.top]) {
      l.w.dispose();
      l.b.dispose();
    }
    if (this.dev) tf.dispose([...this.dev.emb, ...(this.dev.v ?? [])]);
    this.dev = null;
  }
}
