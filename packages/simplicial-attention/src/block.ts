// A pre-norm transformer block whose attention is either windowed 2-simplicial or dot-product attention, with a
// Squared-ReLU FFN (dense, or @tessera/sparse-24's 2:4-sparse one) and optional MX fake quantization of its weights
// (@tessera/mx-formats). Roy et al. (arXiv 2507.02754 §8) interleave the two kinds: every 4th layer is 2-simplicial.
import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, checkOneOf, checkTensor, rng, TesseraError } from '@tessera/core';
import { type FakeQuantizeMXOptions, fakeQuantizeMX } from '@tessera/mx-formats';
import { SquaredReluFFN24 } from '@tessera/sparse-24';
import { dotProductAttention } from './dot-product.js';
import { attentionFlops } from './flops.js';
import { SIMPLICIAL_VARIANTS, type SimplicialVariant } from './options.js';
import { simplicialAttention } from './simplicial-attention.js';

/** Which attention a block runs. */
export type BlockAttention = 'simplicial' | 'dot';

/** Which FFN a block runs: dense Squared-ReLU (tfjs ops) or `@tessera/sparse-24`'s `SquaredReluFFN24` (2:4). */
export type BlockFfn = 'squared-relu' | 'squared-relu-24';

/**
 * Largest weight matrix a block allocates (elements): 2^26, i.e. 256 MiB of float32.
 *
 * @example
 * ```ts
 * import { BLOCK_MAX_WEIGHT_ELEMENTS } from '@tessera/simplicial-attention';
 * console.log(BLOCK_MAX_WEIGHT_ELEMENTS); // → 67108864
 * ```
 */
export const BLOCK_MAX_WEIGHT_ELEMENTS = 2 ** 26;

/** Options of {@link SimplicialTransformerBlock}. */
export interface SimplicialTransformerBlockOptions {
  /** Model width. */
  dModel: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads (GQA); must divide `heads`. Default `heads`. */
  kvHeads?: number;
  /** Head dimension; default `dModel / heads` (which must then be an integer). */
  headDim?: number;
  /** `'simplicial'` or `'dot'`. */
  attention: BlockAttention;
  /** Simplicial windows (defaults 512 and 32). */
  w1?: number;
  w2?: number;
  /** Simplicial logit form (default `'trilinear'`). */
  variant?: SimplicialVariant;
  /** Dot-product window (default Infinity). */
  window?: number;
  /** FFN hidden width (default 4·dModel; a multiple of 4 for `'squared-relu-24'`). */
  ffnHidden?: number;
  /** FFN kind (default `'squared-relu'`). */
  ffn?: BlockFfn;
  /**
   * MX fake quantization (straight-through) of the attention projections and the dense FFN weights, blocked along
   * the contraction axis (axis 0 of each `[in, out]` weight) unless `axis` says otherwise. The 2:4 FFN keeps its
   * own float32 weights.
   */
  fakeQuant?: FakeQuantizeMXOptions;
  /** Seed of the weight initialisation (N(0, 1/fan_in)); default 0. */
  seed?: number;
  /** RMSNorm epsilon (default 1e-6). */
  normEps?: number;
}

/** FLOPs of one block call (multiply-add = 2): projections, FFN and attention (see {@link attentionFlops}). */
export interface BlockFlops {
  forward: number;
  backward: number;
}

function rmsNorm(x: tf.Tensor, gain: tf.Tensor, eps: number): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), gain);
}

/**
 * A pre-norm transformer block, `h = x + Wo·Attn(RMSNorm(x))`, `y = h + FFN(RMSNorm(h))`, with Attn either
 * {@link simplicialAttention} (projections q, k1, k2, v1, v2) or {@link dotProductAttention} (q, k, v), both causal, and
 * a Squared-ReLU FFN `ReLU(x·W1)²·W2` (So et al., Primer; the 2:4 version is Haziza et al., arXiv 2503.16672).
 * Weights are tf variables ({@link trainableVariables}); {@link apply} is differentiable. {@link stack} builds the
 * paper's interleaving (every 4th layer 2-simplicial, the others dot-product).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { SimplicialTransformerBlock } from '@tessera/simplicial-attention';
 * await initBackend();
 * const block = new SimplicialTransformerBlock({ dModel: 16, heads: 2, attention: 'simplicial', w1: 8, w2: 4, ffn: 'squared-relu-24' });
 * const x = tf.randomNormal([2, 12, 16]) as tf.Tensor3D;
 * const y = block.apply(x);
 * console.log(y.shape); // → [2, 12, 16]
 * tf.dispose([x, y]);
 * block.dispose();
 * ```
 */
export class SimplicialTransformerBlock {
  readonly attention: BlockAttention;
  readonly dModel: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly ffnHidden: number;
  readonly ffn: BlockFfn;
  readonly variant: SimplicialVariant;
  readonly w1: number;
  readonly w2: number;
  readonly window: number;
  private readonly eps: number;
  private readonly fakeQuant: FakeQuantizeMXOptions | undefined;
  private readonly weights: Map<string, tf.Variable>;
  private readonly ffn24: SquaredReluFFN24 | null;

  /**
   * @throws TesseraError `INVALID_ARGUMENT` for sizes that are not positive integers, heads not a multiple of
   * kvHeads, `dModel / heads` not an integer without `headDim`, a weight matrix over {@link BLOCK_MAX_WEIGHT_ELEMENTS}
   * elements, or an unknown attention, FFN or variant.
   */
  constructor(o: SimplicialTransformerBlockOptions) {
    const fn = 'SimplicialTransformerBlock';
    if (typeof o !== 'object' || o === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', o);
    this.dModel = checkInteger(o.dModel, fn, 'dModel', { min: 1 });
    this.heads = checkInteger(o.heads, fn, 'heads', { min: 1 });
    this.kvHeads = checkInteger(o.kvHeads ?? this.heads, fn, 'kvHeads', { min: 1 });
    if (this.heads % this.kvHeads !== 0)
      throw new TesseraError('INVALID_ARGUMENT', fn, `heads (${this.heads}) must be a multiple of kvHeads`, this.kvHeads);
    if (o.headDim === undefined && this.dModel % this.heads !== 0) {
      throw new TesseraError(
        'INVALID_ARGUMENT',
        fn,
        `dModel must be a multiple of heads (${this.heads}) unless headDim is given`,
        this.dModel,
      );
    }
    this.headDim = checkInteger(o.headDim ?? this.dModel / this.heads, fn, 'headDim', { min: 1 });
    this.attention = checkOneOf(o.attention, fn, 'attention', ['simplicial', 'dot'] as const);
    this.ffn = checkOneOf(o.ffn ?? 'squared-relu', fn, 'ffn', ['squared-relu', 'squared-relu-24'] as const);
    this.ffnHidden = checkInteger(o.ffnHidden ?? 4 * this.dModel, fn, 'ffnHidden', { min: 1 });
    this.variant = checkOneOf(o.variant ?? 'trilinear', fn, 'variant', SIMPLICIAL_VARIANTS);
    const win = (v: unknown, name: string, dflt: number) => {
      const w = v ?? dflt;
      if (w !== Number.POSITIVE_INFINITY) checkInteger(w, fn, name, { min: 1 });
      return w as number;
    };
    this.w1 = win(o.w1, 'w1', 512);
    this.w2 = win(o.w2, 'w2', 32);
    this.window = win(o.window, 'window', Number.POSITIVE_INFINITY);
    this.eps = o.normEps ?? 1e-6;
    if (!(this.eps > 0 && Number.isFinite(this.eps)))
      throw new TesseraError('INVALID_ARGUMENT', fn, 'normEps must be a positive number', o.normEps);
    this.fakeQuant = o.fakeQuant;
    const seed = checkInteger(o.seed ?? 0, fn, 'seed');
    const D = this.dModel;
    const qOut = this.heads * this.headDim;
    const kvOut = this.kvHeads * this.headDim;
    const shapes: [string, number, number][] = [
      ['wq', D, qOut],
      ...((this.attention === 'simplicial' ? ['wk1', 'wk2', 'wv1', 'wv2'] : ['wk', 'wv']).map((n) => [n, D, kvOut]) as [
        string,
        number,
        number,
      ][]),
      ['wo', qOut, D],
    ];
    if (this.ffn === 'squared-relu') shapes.push(['ffnW1', D, this.ffnHidden], ['ffnW2', this.ffnHidden, D]);
    for (const [name, r, c] of shapes) {
      if (r * c > BLOCK_MAX_WEIGHT_ELEMENTS) {
        throw new TesseraError(
          'INVALID_ARGUMENT',
          fn,
          `weight ${name} [${r}, ${c}] must have at most ${BLOCK_MAX_WEIGHT_ELEMENTS} elements`,
          r * c,
        );
      }
    }
    if (this.ffn === 'squared-relu-24' && D * this.ffnHidden > BLOCK_MAX_WEIGHT_ELEMENTS) {
      throw new TesseraError(
        'INVALID_ARGUMENT',
        fn,
        `FFN weights must have at most ${BLOCK_MAX_WEIGHT_ELEMENTS} elements`,
        D * this.ffnHidden,
      );
    }
    // Build the 2:4 FFN first: its constructor validates ffnHidden (a multiple of 4) before any variable exists here.
    this.ffn24 = this.ffn === 'squared-relu-24' ? new SquaredReluFFN24({ dModel: D, hidden: this.ffnHidden, seed: seed + 101 }) : null;
    const r = rng(seed);
    this.weights = new Map();
    for (const [name, rows, cols] of shapes) {
      const data = r.normalArray(rows * cols, 0, 1 / Math.sqrt(rows));
      this.weights.set(
        name,
        tf.tidy(() => tf.variable(tf.tensor2d(data, [rows, cols]), true)),
      );
    }
    // tidy disposes the initial values; the variables survive it
    this.weights.set(
      'norm1',
      tf.tidy(() => tf.variable(tf.ones([D]), true)),
    );
    this.weights.set(
      'norm2',
      tf.tidy(() => tf.variable(tf.ones([D]), true)),
    );
  }

  /**
   * Builds `numLayers` blocks interleaved as Roy et al. do: layer l (1-based) is 2-simplicial when l is a multiple
   * of `simplicialEvery` (default 4), dot-product otherwise. Each layer gets seed `seed + l`.
   *
   * @throws TesseraError as the constructor, and `INVALID_ARGUMENT` for a bad `numLayers` (1..1024) or
   * `simplicialEvery`.
   * @example
   * ```ts
   * import { initBackend } from '@tessera/core';
   * import { SimplicialTransformerBlock } from '@tessera/simplicial-attention';
   * await initBackend();
   * const layers = SimplicialTransformerBlock.stack(4, { dModel: 8, heads: 2, w1: 8, w2: 4 });
   * console.log(layers.map((l) => l.attention).join(',')); // → dot,dot,dot,simplicial
   * for (const l of layers) l.dispose();
   * ```
   */
  static stack(
    numLayers: number,
    o: Omit<SimplicialTransformerBlockOptions, 'attention'> & { simplicialEvery?: number },
  ): SimplicialTransformerBlock[] {
    const fn = 'SimplicialTransformerBlock.stack';
    checkInteger(numLayers, fn, 'numLayers', { min: 1, max: 1024 });
    const every = checkInteger(o.simplicialEvery ?? 4, fn, 'simplicialEvery', { min: 1 });
    const out: SimplicialTransformerBlock[] = [];
    try {
      for (let l = 1; l <= numLayers; l++) {
        out.push(new SimplicialTransformerBlock({ ...o, attention: l % every === 0 ? 'simplicial' : 'dot', seed: (o.seed ?? 0) + l }));
      }
    } catch (e) {
      for (const b of out) b.dispose();
      throw e;
    }
    return out;
  }

  /** The trainable variables (projections, norms, FFN weights), for optimizers' `varList`. */
  get trainableVariables(): tf.Variable[] {
    const v = [...this.weights.values()];
    if (this.ffn24) v.push(this.ffn24.w1, this.ffn24.w2);
    return v;
  }

  /**
   * Statistics of the 2:4 FFN's last forward pass (null for the dense FFN, before the first call, and where the FFN
   * runs its tfjs-op path, i.e. where tensors cannot be read synchronously: webgpu in Node).
   */
  get ffnStats(): SquaredReluFFN24['lastStats'] {
    return this.ffn24?.lastStats ?? null;
  }

  private w(name: string): tf.Tensor {
    const v = this.weights.get(name) as tf.Variable;
    return this.fakeQuant ? fakeQuantizeMX(v, { axis: 0, ...this.fakeQuant }) : v;
  }

  /**
   * Applies the block to `x` `[B, n, dModel]` (causal), returning `[B, n, dModel]`.
   *
   * @throws TesseraError `INVALID_ARGUMENT` / `INVALID_DTYPE` / `INVALID_SHAPE` for a bad `x`.
   */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    const fn = 'SimplicialTransformerBlock.apply';
    checkTensor(x, fn, 'x', { dtype: 'float32', rank: 3 });
    const [B, n, D] = x.shape;
    if (D !== this.dModel) throw new TesseraError('INVALID_SHAPE', fn, `x must be [B, n, ${this.dModel}]`, `shape [${x.shape.join(', ')}]`);
    return tf.tidy(() => {
      const t = B * n;
      const hd = this.headDim;
      const a = tf.reshape(rmsNorm(x, this.w('norm1'), this.eps), [t, D]);
      const proj = (name: string, H: number) => tf.reshape(tf.matMul(a, this.w(name)), [B, n, H, hd]) as tf.Tensor4D;
      const q = proj('wq', this.heads);
      let att: tf.Tensor4D;
      if (this.attention === 'simplicial') {
        const r = simplicialAttention(
          q,
          proj('wk1', this.kvHeads),
          proj('wk2', this.kvHeads),
          proj('wv1', this.kvHeads),
          proj('wv2', this.kvHeads),
          {
            w1: this.w1,
            w2: this.w2,
            variant: this.variant,
          },
        );
        att = r.out;
      } else {
        att = dotProductAttention(q, proj('wk', this.kvHeads), proj('wv', this.kvHeads), { window: this.window }).out;
      }
      const h = tf.add(x, tf.reshape(tf.matMul(tf.reshape(att, [t, this.heads * hd]), this.w('wo')), [B, n, D]));
      const f = tf.reshape(rmsNorm(h, this.w('norm2'), this.eps), [t, D]);
      const y = this.ffn24 ? this.ffn24.apply(f) : tf.matMul(tf.square(tf.relu(tf.matMul(f, this.w('ffnW1')))), this.w('ffnW2'));
      return tf.add(h, tf.reshape(y, [B, n, D])) as tf.Tensor3D;
    });
  }

  /**
   * FLOPs of one {@link apply} on `[B, n, dModel]` and of its backward: the projection and FFN GEMMs (2·tokens·in·out
   * forward, twice that backward) plus {@link attentionFlops} of the block's attention (causal windows).
   *
   * @example
   * ```ts
   * import { initBackend } from '@tessera/core';
   * import { SimplicialTransformerBlock } from '@tessera/simplicial-attention';
   * await initBackend();
   * const b = new SimplicialTransformerBlock({ dModel: 8, heads: 1, attention: 'dot', ffnHidden: 8 });
   * console.log(b.flops(1, 1).forward); // → 800
   * b.dispose();
   * ```
   */
  flops(B: number, n: number): BlockFlops {
    checkInteger(B, 'SimplicialTransformerBlock.flops', 'B', { min: 1 });
    checkInteger(n, 'SimplicialTransformerBlock.flops', 'n', { min: 1 });
    const t = B * n;
    const D = this.dModel;
    const qOut = this.heads * this.headDim;
    const kvOut = this.kvHeads * this.headDim;
    const streams = this.attention === 'simplicial' ? 4 : 2;
    const gemm = 2 * t * (D * qOut + streams * D * kvOut + qOut * D + 2 * D * this.ffnHidden);
    const att =
      this.attention === 'simplicial'
        ? attentionFlops('simplicial', { B, H: this.heads, n, d: this.headDim, w1: this.w1, w2: this.w2 })
        : attentionFlops('dot', { B, H: this.heads, n, d: this.headDim, w: this.window });
    return { forward: gemm + att.forward, backward: 2 * gemm + att.backward };
  }

  /** Disposes every variable of the block. */
  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.ffn24?.dispose();
  }
}
