import * as tf from '@tensorflow/tfjs-core';
import {
  canReadSync,
  checkFiniteNumber,
  checkInteger,
  checkOneOf,
  checkOptions,
  checkSize,
  checkTensor,
  describe,
  rng,
  TesseraError,
} from '@tessera/core';
import { mask24Compress } from '@tessera/kernels';
import { FFN_ALTERNATIVE, hostValues, READ_ASYNC_ALTERNATIVE } from './host-values.js';
import { gemmHostUnchecked, sddmmHostUnchecked, spmmHostUnchecked, spmmTHostUnchecked, transposeHostUnchecked } from './kernels/index.js';

/**
 * Gradient modes of the 2:4 activation sparsifier (xformers `sp24.py`):
 * - `'24sparse'`: `dY2 = dS ⊙ M`, kept compressed, so `dX` and `dW1` are 2:4-sparse GEMMs (half the multiply-adds);
 * - `'24dense'`: the same numbers, computed densely (`dS` in full, then masked);
 * - `'ste'`: straight-through, `dY2 = dS ⊙ (M·steMul1 + (1−M)·steMul0)` (identity with the default multipliers).
 */
export type Ffn24Gradient = '24sparse' | '24dense' | 'ste';

/** Options of the token-split / dense-fallback recipe (a design model: unverified against the paper). */
export interface TokenSplitOptions {
  /** Fraction of hidden features (the least sparse of the batch) kept dense in the token-contracting GEMMs; 0.05. */
  denseFraction?: number;
  /** Seed of the fixed token permutation; default 0. */
  seed?: number;
  /** Number of initial training steps (backward passes) run fully dense; default 1000. */
  warmupSteps?: number;
}

/**
 * Where {@link SquaredReluFFN24.apply} runs: `'host'` (the host kernels: compressed 2:4 GEMMs, exact statistics),
 * `'tfjs'` (tfjs ops on the tensors' backend: masked dense GEMMs, no download), `'auto'` (default: `'tfjs'` where
 * tensors cannot be read synchronously, i.e. webgpu in Node, else `'host'`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { SquaredReluFFN24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const ffn = new SquaredReluFFN24({ dModel: 8, hidden: 16, kernel: 'tfjs' });
 * const x = tf.randomNormal([4, 8]);
 * const y = ffn.apply(x); // [4, 8], tfjs ops only
 * tf.dispose([x, y]);
 * ffn.dispose();
 * ```
 */
export type FfnKernel = 'auto' | 'host' | 'tfjs';

/** Options of {@link SquaredReluFFN24}. */
export interface SquaredReluFFN24Options {
  /** Model width d (input and output features). */
  dModel: number;
  /** Hidden width h; a multiple of 4 for 2:4 sparsity. */
  hidden: number;
  /** `'24'` (default): 2:4 activation sparsity; `'dense'`: plain Squared-ReLU FFN with the same host kernels. */
  sparsity?: '24' | 'dense';
  /** Backward gradient mode; default `'24sparse'`. */
  gradient?: Ffn24Gradient;
  /** `'ste'` multiplier of the dropped positions (xformers `bw_mul0`); default 1. */
  steMul0?: number;
  /** `'ste'` multiplier of the kept positions (xformers `bw_mul1`); default 1. */
  steMul1?: number;
  /** `'maskOnly'` (default) or `'tokenSplit'`, the dense-fallback recipe (see {@link TokenSplitOptions}). */
  backwardRecipe?: 'maskOnly' | 'tokenSplit';
  /** Parameters of `backwardRecipe: 'tokenSplit'`. */
  tokenSplit?: TokenSplitOptions;
  /** Seed of the weight initialisation (N(0, 1/fan_in)); default 0. Ignored for weights passed in `w1` / `w2`. */
  seed?: number;
  /** Initial W1 `[dModel, hidden]` (copied). */
  w1?: tf.Tensor;
  /** Initial W2 `[hidden, dModel]` (copied). */
  w2?: tf.Tensor;
  /** Where {@link SquaredReluFFN24.apply} runs; default `'auto'` (see {@link FfnKernel}). */
  kernel?: FfnKernel;
}

/** Activation statistics of one forward pass. */
export interface FfnSparsityStats {
  /** Tokens × hidden values of Y2 = ReLU(Y1)². */
  readonly values: number;
  /** Natural sparsity: fraction of Y2 that is exactly zero. */
  readonly naturalSparsity: number;
  /** Fraction of groups of 4 (along hidden, per token) that already had at most 2 non-zeros. */
  readonly groupsAlready24: number;
  /** Non-zeros dropped by the 2:4 mask (groups with more than 2 non-zeros lose their smallest). */
  readonly droppedCount: number;
  /** droppedCount / non-zeros of Y2. */
  readonly droppedFraction: number;
  /** Σ dropped Y2 / Σ Y2: the share of activation mass removed. */
  readonly droppedMass: number;
  /** Whether this pass ran sparse (false during a token-split warm-up or with `sparsity: 'dense'`). */
  readonly sparse: boolean;
}

/** Host tensors of one forward pass, kept for the backward. */
export interface FfnContext {
  readonly t: number;
  readonly x: Float32Array;
  readonly y1: Float32Array;
  /** Sparse pass: kept Y2 values and their hidden columns, `[t, h/2]` each. */
  readonly kept?: { values: Float32Array; cols: Int32Array };
  /** Dense pass: Y2 `[t, h]`. */
  readonly y2?: Float32Array;
  readonly y: Float32Array;
  readonly stats: FfnSparsityStats;
}

/** Host gradients of one backward pass. */
export interface FfnGrads {
  readonly dX: Float32Array;
  readonly dW1: Float32Array;
  readonly dW2: Float32Array;
}

/** Largest `dModel` or `hidden` of a {@link SquaredReluFFN24} (2^20). */
export const FFN_MAX_DIM = 2 ** 20;
/** Most float32 elements of one FFN weight, `dModel × hidden` (2^26 = 256 MiB). */
export const FFN_MAX_WEIGHT_ELEMENTS = 2 ** 26;

/**
 * Squared-ReLU FFN with 2:4 activation sparsity (Haziza et al., arXiv 2503.16672):
 * `Y1 = X·W1`, `Y2 = ReLU(Y1)²`, `M = mask24(Y2)` along hidden per token, `Y3 = (M ⊙ Y2)·W2`, the second GEMM on the
 * compressed activations (half the multiply-adds). Values that do not fit 2:4 are dropped; {@link lastStats} reports
 * natural sparsity, the fraction of groups that already were 2:4 and the dropped count and mass.
 *
 * Backward (`gradient`): `dW2 = Sᵀ·dY3` (sparse), `dS = dY3·W2ᵀ`, `dY2 = dS ⊙ M` (`'24sparse'`, `'24dense'`) or
 * `dS ⊙ (M·steMul1 + (1−M)·steMul0)` (`'ste'`), `dY1 = dY2 ⊙ 2·ReLU(Y1)`, `dX = dY1·W1ᵀ`, `dW1 = Xᵀ·dY1`. With
 * `'24sparse'` only the kept positions of dS are computed and dX, dW1 are 2:4 GEMMs.
 *
 * `backwardRecipe: 'tokenSplit'` emulates the paper's dense-fallback recipe as tessera models it (unverified):
 * dense warm-up steps; then, in the GEMMs that contract over tokens (dW1, dW2), every hidden feature except the
 * `denseFraction` least sparse ones of the batch is also 2:4-sparsified along a fixed token permutation (top 2 of
 * |S| per 4 permuted tokens), the same token mask serving both GEMMs. dX is unchanged.
 *
 * Weights are tf variables (`w1` `[d, h]`, `w2` `[h, d]`); {@link apply} is differentiable (tf.customGrad) with
 * respect to its input and both weights, so tf optimizers train it. Call {@link dispose} when done.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { SquaredReluFFN24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const ffn = new SquaredReluFFN24({ dModel: 8, hidden: 32, seed: 1 });
 * const x = tf.randomNormal([4, 8]);
 * const y = ffn.apply(x);                   // [4, 8]
 * console.log(ffn.lastStats?.naturalSparsity);
 * tf.dispose([x, y]);
 * ffn.dispose();
 * ```
 */
export class SquaredReluFFN24 {
  /** W1 `[dModel, hidden]`. */
  readonly w1: tf.Variable;
  /** W2 `[hidden, dModel]`. */
  readonly w2: tf.Variable;
  readonly dModel: number;
  readonly hidden: number;
  readonly sparsity: '24' | 'dense';
  readonly gradient: Ffn24Gradient;
  readonly backwardRecipe: 'maskOnly' | 'tokenSplit';
  /** Where {@link apply} runs (see {@link FfnKernel}). */
  readonly kernel: FfnKernel;
  /** Statistics of the last host forward pass (null before the first; the tfjs-op path leaves it null). */
  lastStats: FfnSparsityStats | null = null;
  /** Backward passes run so far (drives the token-split warm-up). */
  steps = 0;
  private readonly steMul0: number;
  private readonly steMul1: number;
  private readonly split: Required<TokenSplitOptions>;

  /**
   * @throws TesseraError `INVALID_ARGUMENT` for bad sizes or options, `INVALID_SHAPE` / `INVALID_DTYPE` for bad
   * initial weights.
   */
  constructor(options: SquaredReluFFN24Options) {
    const fn = 'SquaredReluFFN24';
    if (typeof options !== 'object' || options === null)
      throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', options);
    // the constructor allocates two [dModel, hidden] weights: their sizes are bounded before anything is drawn
    this.dModel = checkSize(options.dModel, fn, 'dModel', { min: 1, max: FFN_MAX_DIM });
    this.hidden = checkSize(options.hidden, fn, 'hidden', { min: 4, max: FFN_MAX_DIM });
    if (this.dModel * this.hidden > FFN_MAX_WEIGHT_ELEMENTS)
      throw new TesseraError(
        'INVALID_ARGUMENT',
        fn,
        `dModel × hidden must be at most ${FFN_MAX_WEIGHT_ELEMENTS} (2^26 float32 per weight)`,
        `${this.dModel} × ${this.hidden}`,
      );
    this.sparsity = checkOneOf(options.sparsity ?? '24', fn, 'sparsity', ['24', 'dense'] as const);
    if (this.sparsity === '24' && this.hidden % 4 !== 0) {
      throw new TesseraError('INVALID_ARGUMENT', fn, 'hidden must be a multiple of 4 for 2:4 sparsity', this.hidden, { rule: '1.1' });
    }
    this.gradient = checkOneOf(options.gradient ?? '24sparse', fn, 'gradient', ['24sparse', '24dense', 'ste'] as const);
    this.backwardRecipe = checkOneOf(options.backwardRecipe ?? 'maskOnly', fn, 'backwardRecipe', ['maskOnly', 'tokenSplit'] as const);
    this.steMul0 = checkFiniteNumber(options.steMul0 ?? 1, fn, 'steMul0');
    this.steMul1 = checkFiniteNumber(options.steMul1 ?? 1, fn, 'steMul1');
    const ts = checkOptions<TokenSplitOptions>(options.tokenSplit ?? undefined, fn, 'tokenSplit');
    const denseFraction = checkFiniteNumber(ts.denseFraction ?? 0.05, fn, 'tokenSplit.denseFraction', { min: 0, max: 1 });
    this.split = {
      denseFraction,
      seed: checkInteger(ts.seed ?? 0, fn, 'tokenSplit.seed'),
      warmupSteps: checkInteger(ts.warmupSteps ?? 1000, fn, 'tokenSplit.warmupSteps', { min: 0 }),
    };
    this.kernel = checkOneOf(options.kernel ?? 'auto', fn, 'kernel', ['auto', 'host', 'tfjs'] as const);
    const d = this.dModel;
    const h = this.hidden;
    const init = (given: tf.Tensor | undefined, shape: [number, number], name: string, fanIn: number, seed: number): tf.Tensor => {
      if (given !== undefined) {
        checkTensor(given, fn, name, { dtype: 'float32', rank: 2 });
        if (given.shape[0] !== shape[0] || given.shape[1] !== shape[1]) {
          throw new TesseraError('INVALID_SHAPE', fn, `${name} must be [${shape.join(', ')}]`, `shape [${given.shape.join(', ')}]`);
        }
        // a copy on the backend where the host cannot read it (webgpu in Node), else through the host as before
        if (!canReadSync()) return tf.clone(given);
        return tf.tensor(Float32Array.from(hostValues(given, fn, name, READ_ASYNC_ALTERNATIVE) as Float32Array), shape, 'float32');
      }
      return tf.tensor(rng(seed).normalArray(shape[0] * shape[1], 0, 1 / Math.sqrt(fanIn)), shape, 'float32');
    };
    const seed = checkInteger(options.seed ?? 0, fn, 'seed');
    // tidy disposes the initial values; variables survive it.
    this.w1 = tf.tidy(() => tf.variable(init(options.w1, [d, h], 'w1', d, seed), true));
    this.w2 = tf.tidy(() => tf.variable(init(options.w2, [h, d], 'w2', h, seed + 1), true));
  }

  /** Whether the next pass runs 2:4 sparse (not during a token-split warm-up, never with `sparsity: 'dense'`). */
  get sparseNow(): boolean {
    return this.sparsity === '24' && !(this.backwardRecipe === 'tokenSplit' && this.steps < this.split.warmupSteps);
  }

  /**
   * Forward pass on the host. `x` is `[t, dModel]` row-major; weights are read from the variables unless given.
   * Returns the context the backward needs (and sets {@link lastStats}).
   */
  forwardHost(
    x: Float32Array,
    t: number,
    w1 = hostValues(this.w1, 'SquaredReluFFN24.forwardHost', 'w1', FFN_ALTERNATIVE) as Float32Array,
    w2 = hostValues(this.w2, 'SquaredReluFFN24.forwardHost', 'w2', FFN_ALTERNATIVE) as Float32Array,
  ): FfnContext {
    const d = this.dModel;
    const h = this.hidden;
    // O(1) checks of the host arguments (the loops below trust these lengths)
    const fn = 'SquaredReluFFN24.forwardHost';
    const tt = checkInteger(t, fn, 't', { min: 0 });
    if (!(x instanceof Float32Array) || x.length !== tt * d)
      throw new TesseraError('INVALID_ARGUMENT', fn, `x must be a Float32Array of t × dModel = ${tt * d} values`, describe(x));
    if (!(w1 instanceof Float32Array) || w1.length !== d * h || !(w2 instanceof Float32Array) || w2.length !== d * h)
      throw new TesseraError('INVALID_ARGUMENT', fn, `w1 and w2 must be Float32Arrays of dModel × hidden = ${d * h} values`, describe(w1));
    const y1 = gemmHostUnchecked(x, t, d, w1, h);
    const sparse = this.sparseNow;
    let zeros = 0;
    let nonZeros = 0;
    let already = 0;
    let dropped = 0;
    let droppedMass = 0;
    let mass = 0;
    let ctx: FfnContext;
    if (sparse) {
      const half = h >> 1;
      const n = t * h;
      // M = top 2 of Y2 = ReLU(Y1)² per group of 4 along hidden (ties to the lower index) on the 2:4 mask + compress
      // kernel of @tessera/kernels, ranked by ReLU(Y1): the square of a float32 is exact in float64, so ReLU(Y1) and
      // Y2 order (and tie) alike.
      const relu = new Float32Array(n);
      for (let i = 0; i < n; i++) relu[i] = y1[i] > 0 ? y1[i] : 0;
      const values = new Float32Array(t * half);
      const cols = new Int32Array(t * half);
      if (n > 0) mask24Compress(relu, t, h, 'value', null, values, cols);
      for (let g = 0; g < n; g += 4) {
        const a0 = relu[g] * relu[g];
        const a1 = relu[g + 1] * relu[g + 1];
        const a2 = relu[g + 2] * relu[g + 2];
        const a3 = relu[g + 3] * relu[g + 3];
        const nz = (a0 > 0 ? 1 : 0) + (a1 > 0 ? 1 : 0) + (a2 > 0 ? 1 : 0) + (a3 > 0 ? 1 : 0);
        nonZeros += nz;
        zeros += 4 - nz;
        const sum = a0 + a1 + a2 + a3;
        mass += sum;
        const o = g >> 1;
        const lo = values[o] * values[o];
        const hi = values[o + 1] * values[o + 1];
        if (nz <= 2) already++;
        else {
          dropped += nz - 2;
          // the best first (the lower column on a tie), then the second
          droppedMass += hi > lo ? sum - hi - lo : sum - lo - hi;
        }
        // the kept Y2 values, in column order
        values[o] = lo;
        values[o + 1] = hi;
      }
      const y = spmmHostUnchecked(values, cols, t, h, w2, d);
      ctx = { t, x, y1, kept: { values, cols }, y, stats: undefined as unknown as FfnSparsityStats };
    } else {
      const y2 = new Float32Array(t * h);
      for (let i = 0; i < y2.length; i++) {
        const v = y1[i] > 0 ? y1[i] * y1[i] : 0;
        y2[i] = v;
        mass += v;
        if (v > 0) nonZeros++;
        else zeros++;
      }
      for (let g = 0; g + 4 <= y2.length; g += 4) {
        const nz = (y2[g] > 0 ? 1 : 0) + (y2[g + 1] > 0 ? 1 : 0) + (y2[g + 2] > 0 ? 1 : 0) + (y2[g + 3] > 0 ? 1 : 0);
        if (nz <= 2) already++;
      }
      const y = gemmHostUnchecked(y2, t, h, w2, d);
      ctx = { t, x, y1, y2, y, stats: undefined as unknown as FfnSparsityStats };
    }
    const groups = (t * h) >> 2;
    const stats: FfnSparsityStats = Object.freeze({
      values: t * h,
      naturalSparsity: zeros / (t * h),
      groupsAlready24: groups > 0 ? already / groups : 1,
      droppedCount: dropped,
      droppedFraction: nonZeros > 0 ? dropped / nonZeros : 0,
      droppedMass: mass > 0 ? droppedMass / mass : 0,
      sparse,
    });
    this.lastStats = stats;
    return { ...ctx, stats };
  }

  /** Backward pass on the host for upstream gradient `dy` `[t, dModel]`; increments {@link steps}. */
  backwardHost(
    ctx: FfnContext,
    dy: Float32Array,
    w1 = hostValues(this.w1, 'SquaredReluFFN24.backwardHost', 'w1', FFN_ALTERNATIVE) as Float32Array,
    w2 = hostValues(this.w2, 'SquaredReluFFN24.backwardHost', 'w2', FFN_ALTERNATIVE) as Float32Array,
  ): FfnGrads {
    const d = this.dModel;
    const h = this.hidden;
    const t = ctx.t;
    const { x, y1 } = ctx;
    this.steps++;
    const w1T = transposeHostUnchecked(w1, d, h); // [h, d]
    if (ctx.kept === undefined) {
      // Dense Squared-ReLU FFN.
      const y2 = ctx.y2 as Float32Array;
      const dW2 = gemmHostUnchecked(transposeHostUnchecked(y2, t, h), h, t, dy, d);
      const dY1 = gemmHostUnchecked(dy, t, d, transposeHostUnchecked(w2, h, d), h);
      for (let i = 0; i < dY1.length; i++) dY1[i] = y1[i] > 0 ? dY1[i] * 2 * y1[i] : 0;
      return this.denseTail(x, t, dY1, w1T, dW2);
    }
    const { values, cols } = ctx.kept;
    const half = h >> 1;
    // Token-split: the token-axis mask for the token-contracting GEMMs (design model, see the class doc).
    const tokenMask = this.backwardRecipe === 'tokenSplit' ? this.tokenMask(values, cols, t) : null;
    const sVals = tokenMask ? values.map((v, i) => v * tokenMask[i]) : values;
    const dW2 = spmmTHostUnchecked(sVals, cols, t, h, dy, d);
    if (this.gradient === '24sparse') {
      // dS only where M keeps: half the multiply-adds; dY1 then carries M's pattern.
      const dY1 = sddmmHostUnchecked(dy, t, d, w2, cols, h);
      for (let i = 0; i < dY1.length; i++) {
        const v = y1[Math.floor(i / half) * h + cols[i]];
        dY1[i] = v > 0 ? dY1[i] * 2 * v : 0;
      }
      const dX = spmmHostUnchecked(dY1, cols, t, h, w1T, d);
      const dY1w = tokenMask ? dY1.map((v, i) => v * tokenMask[i]) : dY1;
      const dW1 = transposeHostUnchecked(spmmTHostUnchecked(dY1w, cols, t, h, x, d), h, d);
      return { dX, dW1, dW2 };
    }
    // '24dense' and 'ste': dS in full.
    const dS = gemmHostUnchecked(dy, t, d, transposeHostUnchecked(w2, h, d), h);
    const keep = new Uint8Array(t * h);
    for (let r = 0; r < t; r++) for (let s = 0; s < half; s++) keep[r * h + cols[r * half + s]] = 1;
    const m0 = this.gradient === 'ste' ? this.steMul0 : 0;
    const m1 = this.gradient === 'ste' ? this.steMul1 : 1;
    for (let i = 0; i < dS.length; i++) {
      const v = y1[i];
      dS[i] = v > 0 ? dS[i] * (keep[i] ? m1 : m0) * 2 * v : 0;
    }
    if (tokenMask) {
      // The token mask applies to dW1's operand at the kept positions; elsewhere ('ste') the dense gradient stays.
      const dY1w = Float32Array.from(dS);
      for (let r = 0; r < t; r++) for (let s = 0; s < half; s++) dY1w[r * h + cols[r * half + s]] *= tokenMask[r * half + s];
      const dX = gemmHostUnchecked(dS, t, h, w1T, d);
      const dW1 = gemmHostUnchecked(transposeHostUnchecked(x, t, d), d, t, dY1w, h);
      return { dX, dW1, dW2 };
    }
    return this.denseTail(x, t, dS, w1T, dW2);
  }

  private denseTail(x: Float32Array, t: number, dY1: Float32Array, w1T: Float32Array, dW2: Float32Array): FfnGrads {
    const d = this.dModel;
    const h = this.hidden;
    const dX = gemmHostUnchecked(dY1, t, h, w1T, d);
    const dW1 = gemmHostUnchecked(transposeHostUnchecked(x, t, d), d, t, dY1, h);
    return { dX, dW1, dW2 };
  }

  /**
   * Token-split mask over the kept entries `[t, h/2]`: 1 for features in the dense fraction (highest density of S
   * over the batch), else 2:4 along the permuted tokens by |S| (top 2 per 4 consecutive permuted tokens; a short
   * last group keeps its top 2).
   */
  private tokenMask(values: Float32Array, cols: Int32Array, t: number): Float32Array {
    const h = this.hidden;
    const half = h >> 1;
    const dense = new Float64Array(h);
    // S[token, c] as a dense [t, h] view of the kept values.
    const s = new Float32Array(t * h);
    for (let r = 0; r < t; r++) {
      for (let i = 0; i < half; i++) {
        const c = cols[r * half + i];
        s[r * h + c] = values[r * half + i];
        if (values[r * half + i] !== 0) dense[c]++;
      }
    }
    const nDense = Math.ceil(this.split.denseFraction * h);
    const order = Array.from({ length: h }, (_, c) => c).sort((a, b) => dense[b] - dense[a] || a - b);
    const isDense = new Uint8Array(h);
    for (let i = 0; i < nDense; i++) isDense[order[i]] = 1;
    // Fixed permutation of the tokens (Fisher–Yates with the recipe's seed).
    const perm = Array.from({ length: t }, (_, i) => i);
    const r = rng(this.split.seed);
    for (let i = t - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const keepTok = new Uint8Array(t * h);
    for (let c = 0; c < h; c++) {
      for (let g = 0; g < t; g += 4) {
        const idx = perm.slice(g, g + 4);
        if (isDense[c] || idx.length <= 2) {
          for (const tok of idx) keepTok[tok * h + c] = 1;
          continue;
        }
        // top 2 of |S| among the group, ties to the earlier permuted position
        const ranked = idx.map((tok, p) => ({ tok, p, v: Math.abs(s[tok * h + c]) })).sort((a, b) => b.v - a.v || a.p - b.p);
        keepTok[ranked[0].tok * h + c] = 1;
        keepTok[ranked[1].tok * h + c] = 1;
      }
    }
    const out = new Float32Array(t * half);
    for (let rr = 0; rr < t; rr++) for (let i = 0; i < half; i++) out[rr * half + i] = keepTok[rr * h + cols[rr * half + i]];
    return out;
  }

  /**
   * Differentiable forward: `x` float32 `[t, dModel]` (or `[..., dModel]`) → `[..., dModel]`. Gradients flow to `x`,
   * `w1` and `w2` through the backward of the configured mode, on the host kernels or with tfjs ops (see
   * {@link FfnKernel}). The caller owns the result.
   *
   * @throws TesseraError `UNSUPPORTED` on the tfjs-op path for the token-split recipe after its warm-up (unless
   * `denseFraction` is 1), and on the host path where tensors cannot be read synchronously.
   *
   * @throws TesseraError `INVALID_DTYPE` / `INVALID_SHAPE` for a bad `x`.
   */
  apply(x: tf.Tensor): tf.Tensor {
    const fn = 'SquaredReluFFN24.apply';
    checkTensor(x, fn, 'x', { dtype: 'float32', rank: [2, 4] });
    const d = this.dModel;
    if (x.shape[x.rank - 1] !== d)
      throw new TesseraError('INVALID_SHAPE', fn, `the last dimension of x must be ${d}`, `shape [${x.shape.join(', ')}]`);
    const t = x.size / d;
    const outShape = x.shape;
    if (this.kernel === 'tfjs' || (this.kernel === 'auto' && !canReadSync())) return this.applyTfjs(x, t);
    const f = tf.customGrad(((xi: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor) => {
      const w1d = hostValues(w1, fn, 'w1', FFN_ALTERNATIVE) as Float32Array;
      const w2d = hostValues(w2, fn, 'w2', FFN_ALTERNATIVE) as Float32Array;
      const ctx = this.forwardHost(hostValues(xi, fn, "'x'", FFN_ALTERNATIVE) as Float32Array, t, w1d, w2d);
      const value = tf.tensor(ctx.y, outShape, 'float32');
      const gradFunc = (dy: tf.Tensor) => {
        const g = this.backwardHost(ctx, hostValues(dy, fn, 'the upstream gradient', FFN_ALTERNATIVE) as Float32Array, w1d, w2d);
        return [
          tf.tensor(g.dX, outShape, 'float32'),
          tf.tensor(g.dW1, [d, this.hidden], 'float32'),
          tf.tensor(g.dW2, [this.hidden, d], 'float32'),
        ];
      };
      return { value, gradFunc };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, this.w1, this.w2);
  }

  /**
   * The tfjs-op path of {@link apply}: `Y1 = X·W1`, `R = ReLU(Y1)` (0 where Y1 is not > 0, NaN included, as the host),
   * `Y2 = R²`, `S = M ⊙ Y2` with `M` = {@link mask24Tfjs} of R (the host's selection: top 2 per group of 4, ties to the
   * lower index), `Y3 = S·W2`; masked dense GEMMs (the 2:4 structure is not exploited), the backward recomputes the
   * forward from the saved x and weights. Statistics are not computed ({@link lastStats} stays null).
   */
  private applyTfjs(x: tf.Tensor, t: number): tf.Tensor {
    const fn = 'SquaredReluFFN24.apply';
    const d = this.dModel;
    const sparse = this.sparseNow;
    if (sparse && this.backwardRecipe === 'tokenSplit' && this.split.denseFraction < 1)
      throw new TesseraError(
        'UNSUPPORTED',
        fn,
        "the token-split recipe after its warm-up runs on the host only (its token mask sorts on the host): use kernel 'host' on the cpu or wasm backend, or tokenSplit.denseFraction 1",
        `kernel ${this.kernel}, step ${this.steps}`,
      );
    const gradient = this.gradient;
    const m0 = gradient === 'ste' ? this.steMul0 : 0;
    const m1 = gradient === 'ste' ? this.steMul1 : 1;
    this.lastStats = null;
    const forward = (x2: tf.Tensor2D, w1: tf.Tensor2D) => {
      const y1 = tf.matMul(x2, w1);
      const r = tf.where(tf.greater(y1, 0), y1, tf.zerosLike(y1));
      const y2 = tf.mul(r, r);
      const mask = sparse ? mask24Tfjs(r as tf.Tensor2D) : null;
      return { r, mask, s: mask ? tf.mul(y2, mask) : y2 };
    };
    const f = tf.customGrad(((xi: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, save: tf.GradSaveFunc) => {
      save([xi, w1, w2]);
      const value = tf.tidy(() => {
        const { s } = forward(tf.reshape(xi, [t, d]) as tf.Tensor2D, w1 as tf.Tensor2D);
        return tf.reshape(tf.matMul(s as tf.Tensor2D, w2 as tf.Tensor2D), xi.shape);
      });
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        this.steps++;
        return tf.tidy(() => {
          const [xs, w1s, w2s] = saved as [tf.Tensor, tf.Tensor2D, tf.Tensor2D];
          const x2 = tf.reshape(xs, [t, d]) as tf.Tensor2D;
          const dy2 = tf.reshape(dy, [t, d]) as tf.Tensor2D;
          const { r, mask, s } = forward(x2, w1s);
          const dW2 = tf.matMul(s as tf.Tensor2D, dy2, true, false); // Sᵀ·dY3 [h, d]
          let dS: tf.Tensor = tf.matMul(dy2, w2s, false, true); // dY3·W2ᵀ [t, h]
          if (mask) dS = tf.mul(dS, gradient === 'ste' ? tf.add(tf.mul(mask, m1), tf.mul(tf.sub(1, mask), m0)) : mask);
          const dY1 = tf.mul(dS, tf.mul(r, 2)) as tf.Tensor2D;
          const dX = tf.matMul(dY1, w1s, false, true); // [t, d]
          const dW1 = tf.matMul(x2, dY1, true, false); // [d, h]
          return [tf.reshape(dX, xs.shape), dW1, dW2];
        });
      };
      return { value, gradFunc };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, this.w1, this.w2);
  }

  /** Disposes the weight variables. */
  dispose(): void {
    this.w1.dispose();
    this.w2.dispose();
  }
}

// LOWER[i][j] = 1 where j < i: among equal values the lower index ranks first.
const LOWER = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (j < i ? 1 : 0)));

/**
 * The 2:4 activation mask with tfjs ops: in every group of 4 along the last axis of `r` (`[t, h]`, no NaN) keeps
 * the 2 largest values, ties to the lower index, exactly the host kernel's selection (`mask24Compress` of
 * @tessera/kernels, `'value'`): the rank of element i is the number of elements j with r_j > r_i plus those with
 * r_j = r_i and j < i, and i is kept iff its rank is below 2. Returns a float32 0/1 mask `[t, h]`. @internal
 */
export function mask24Tfjs(r: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [t, h] = r.shape;
    const g = tf.reshape(r, [t, h / 4, 4]);
    const ri = tf.expandDims(g, 3); // [t, g, 4, 1]
    const rj = tf.expandDims(g, 2); // [t, g, 1, 4]
    const before = tf.add(tf.cast(tf.greater(rj, ri), 'float32'), tf.mul(tf.cast(tf.equal(rj, ri), 'float32'), tf.tensor2d(LOWER)));
    const rank = tf.sum(before, -1);
    return tf.reshape(tf.cast(tf.less(rank, 2), 'float32'), [t, h]) as tf.Tensor2D;
  });
}
