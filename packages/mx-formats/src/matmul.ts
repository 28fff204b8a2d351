import * as tf from '@tensorflow/tfjs-core';
import { accelerator, canReadSync, checkOneOf, checkTensor, describe, readSync, TesseraError } from '@tessera/core';
import {
  autoPicksTfjs,
  type FakeQuantizeMXAccelerator,
  fakeQuantizeTfjs,
  floorLog2T,
  MX_HOST_ALTERNATIVE,
  pow2,
  pow2Table,
} from './fake-quant.js';
import { dequantizeMXArrayUnchecked, quantizeResolved } from './mx-tensor.js';
import { checkMXPadding, type MXOptions, type ResolvedMXOptions, resolveMXOptions } from './options.js';

/** One MX cast inside a GEMM: the MX options without `axis` (the GEMM fixes it). */
export type MXCast = Omit<MXOptions, 'axis'>;

/** Backward casts of {@link mxMatMul}. Each defaults to that operand's forward cast; `gradOutput` to `a`'s. */
export interface MXBackwardCasts {
  /** dA = Q(dY along N, gradOutput) · Q(B along N, b)ᵀ */
  readonly gradA?: { readonly gradOutput?: MXCast; readonly b?: MXCast };
  /** dB = Q(A along M, a)ᵀ · Q(dY along M, gradOutput) */
  readonly gradB?: { readonly a?: MXCast; readonly gradOutput?: MXCast };
}

/** Options of {@link mxMatMul}. */
export interface MXMatMulOptions {
  /** Cast of A[..., M, K], blocked along K. */
  readonly a: MXCast;
  /** Cast of B[..., K, N], blocked along K. */
  readonly b: MXCast;
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
  /** `'bfloat16'` rounds the output to bf16 (RNE), as microxcaling's `bfloat` option. Default `'float32'`. */
  readonly outputPrecision?: 'float32' | 'bfloat16';
  /**
   * Casts object (default `{}`: four re-quantizations along each backward GEMM's reduction axis, microxcaling
   * `quantize_backprop=True`), `'ste'` (dA = dY·Q(B)ᵀ, dB = Q(A)ᵀ·dY) or `'none'` (dA = dY·Bᵀ, dB = Aᵀ·dY).
   */
  readonly backward?: 'ste' | 'none' | MXBackwardCasts;
}

/**
 * Most elements of an {@link mxMatMul} / {@link mxLinear} product (2^28 float32 = 1 GiB); larger products are
 * `INVALID_SHAPE` before any work (the README lists the bound). @internal
 */
export const MX_MAX_MATMUL_OUTPUT = 2 ** 28;

/**
 * MX forward value along a given axis, chosen as `fakeQuantizeMX`'s `kernel: 'auto'` does (no gradient needed: called
 * inside the GEMM's own customGrad): a registered `'fakeQuantizeMX'` accelerator, else the tfjs kernel on cpu/wasm
 * and where host reads are impossible, else the host kernel.
 */
function q(x: tf.Tensor, cast: MXCast, axis: number, fn: string): tf.Tensor {
  const o: ResolvedMXOptions = resolveMXOptions({ ...cast, axis }, x.rank, fn);
  checkMXPadding(x.shape, o.axis, o.blockSize, fn);
  if (x.size === 0) return tf.tensor(new Float32Array(0), x.shape, 'float32');
  const r = accelerator<FakeQuantizeMXAccelerator>('fakeQuantizeMX')?.(x, { ...cast, axis });
  if (r !== undefined) return r;
  if (autoPicksTfjs(o)) return fakeQuantizeTfjs(x, o);
  const m = quantizeResolved(readSync(x, fn, 'an operand', MX_HOST_ALTERNATIVE) as Float32Array, x.shape, o, fn);
  return tf.tensor(dequantizeMXArrayUnchecked(m), x.shape, 'float32');
}

/** Swaps the last two axes. */
function swap(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/** a[..., M, K] · b[K, N] or b[..., K, N] (same batch dims). */
function mm(a: tf.Tensor, b: tf.Tensor, ta = false, tb = false): tf.Tensor {
  if (a.rank === 2 && b.rank === 2) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb);
  if (b.rank === 2 && !ta) {
    const K = a.shape[a.rank - 1];
    const y = tf.matMul(tf.reshape(a, [-1, K]) as tf.Tensor2D, b as tf.Tensor2D, false, tb);
    return tf.reshape(y, [...a.shape.slice(0, -1), y.shape[1] as number]);
  }
  const batch = a.shape.slice(0, -2);
  const a3 = tf.reshape(a, [-1, a.shape[a.rank - 2], a.shape[a.rank - 1]]) as tf.Tensor3D;
  const b3 = tf.reshape(b, [-1, b.shape[b.rank - 2], b.shape[b.rank - 1]]) as tf.Tensor3D;
  const y = tf.matMul(a3, b3, ta, tb);
  return tf.reshape(y, [...batch, y.shape[1] as number, y.shape[2] as number]);
}

/** Σ over batch of aᵀ·g for a[..., M, K], g[..., M, N] → [K, N] (the gradient of a rank-2 B). */
function batchedATg(a: tf.Tensor, g: tf.Tensor): tf.Tensor {
  const K = a.shape[a.rank - 1];
  const N = g.shape[g.rank - 1];
  return tf.matMul(tf.reshape(a, [-1, K]) as tf.Tensor2D, tf.reshape(g, [-1, N]) as tf.Tensor2D, true, false);
}

/**
 * bfloat16 rounding (RNE) with tfjs ops, for backends that cannot read synchronously: |y| scaled by an exact power of
 * two onto [2^7, 2^8) (or the subnormal grid 2^-133), rounded half to even by `tf.round`, scaled back; the same bits
 * as the host's `(u + 0x7fff + lsb) & 0xffff0000` (overflow to ±Inf, NaN and ±0 kept). @internal
 */
export function roundBf16Tfjs(y: tf.Tensor): tf.Tensor {
  const P = tf.tensor1d(pow2Table(), 'float32');
  const a = tf.abs(y);
  const e = tf.maximum(floorLog2T(P, a), -126); // the binade, or the subnormal range
  const s = tf.sub(7, e); // up to 133: two factors, each inside the table's 2^128
  const half = tf.floor(tf.mul(s, 0.5));
  const r = tf.round(tf.mul(tf.mul(a, pow2(P, half)), pow2(P, tf.sub(s, half)))); // banker's rounding: ties to even
  // r·2^(e−7) in two exact steps, so that no factor is a float32 subnormal (2^-133 … 2^-127 for the smallest
  // binades), which a GPU reads as 0: r·2^(e−7−t) (≥ 1) then ·2^t, t = max(e − 7, −126); the one rounding, where the
  // result is subnormal, is the host's.
  const e7 = tf.sub(e, 7);
  const t = tf.maximum(e7, -126);
  const mag = tf.mul(tf.mul(r, pow2(P, tf.sub(e7, t))), pow2(P, t));
  const negative = tf.logicalOr(tf.less(y, 0), tf.less(tf.div(1, y), 0)); // −0 (1/−0 = −Inf) too
  return tf.where(tf.isNaN(y), y, tf.where(negative, tf.neg(mag), mag));
}

function roundBf16(y: tf.Tensor, fn: string): tf.Tensor {
  if (!canReadSync()) return roundBf16Tfjs(y);
  const v = (
    readSync(y, fn, 'the product', "use outputPrecision 'float32' (the bfloat16 rounding runs on the host)") as Float32Array
  ).slice();
  const u = new Uint32Array(v.buffer);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) continue;
    u[i] = ((x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000) >>> 0;
  }
  return tf.tensor(v, y.shape, 'float32');
}

/**
 * MX matrix multiplication (microxcaling `mx/matmul.py`): A[..., M, K] is MX-quantized along K, B[..., K, N]
 * (or a rank-2 B shared by every batch) along K, and the dequantized operands are multiplied with a float32
 * `tf.matMul`. This is the OCP MX dot product up to accumulation order and precision, which OCP leaves
 * implementation-defined. With `transposeA`/`transposeB`, blocks follow each operand's logical K.
 *
 * Differentiable (`tf.customGrad`). By default the backward re-quantizes the saved unquantized inputs along each
 * backward GEMM's reduction axis: dA = Q(dY, N)·Q(B, N)ᵀ and dB = Q(A, M)ᵀ·Q(dY, M) (pytorch/ao#1501); see
 * {@link MXMatMulOptions.backward} for `'ste'` and `'none'`. Forward casts use the tfjs kernel of `fakeQuantizeMX`.
 *
 * @throws TesseraError `INVALID_DTYPE` for non-float32 operands, `INVALID_SHAPE` for ranks < 2, mismatched K or
 * batch dims, `INVALID_ARGUMENT` for bad casts or options.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { mxMatMul } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const a = tf.randomNormal([8, 64]);
 * const b = tf.randomNormal([64, 16]);
 * const y = mxMatMul(a, b, { a: { format: 'mxfp8_e4m3' }, b: { format: 'mxfp8_e4m3' } }); // [8, 16]
 * tf.dispose([a, b, y]);
 * ```
 */
export function mxMatMul(a: tf.Tensor, b: tf.Tensor, options: MXMatMulOptions): tf.Tensor {
  const fn = 'mxMatMul';
  checkTensor(a, fn, 'a', { dtype: 'float32', rank: [2, 8] });
  checkTensor(b, fn, 'b', { dtype: 'float32', rank: [2, 8] });
  if (typeof options !== 'object' || options === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', describe(options));
  const ta = options.transposeA ?? false;
  const tb = options.transposeB ?? false;
  const K = a.shape[a.rank - (ta ? 2 : 1)];
  const Kb = b.shape[b.rank - (tb ? 1 : 2)];
  if (K !== Kb) throw new TesseraError('INVALID_SHAPE', fn, 'the inner dimensions of a and b must agree', `${K} vs ${Kb}`);
  if (b.rank !== 2 && (b.rank !== a.rank || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])))
    throw new TesseraError('INVALID_SHAPE', fn, 'b must be rank 2 or have the batch dims of a', `a [${a.shape}], b [${b.shape}]`);
  // the product allocates M × N (× batch) floats whatever K is (K may be 0): bound it before any work
  const M = a.shape[a.rank - (ta ? 1 : 2)];
  const N = b.shape[b.rank - (tb ? 2 : 1)];
  const out = a.shape.slice(0, -2).reduce((p, d) => p * d, 1) * M * N;
  if (out > MX_MAX_MATMUL_OUTPUT)
    throw new TesseraError('INVALID_SHAPE', fn, `the product must have at most ${MX_MAX_MATMUL_OUTPUT} elements (2^28)`, `${out} elements`);
  const outPrec = checkOneOf(options.outputPrecision ?? 'float32', fn, 'outputPrecision', ['float32', 'bfloat16'] as const);
  const castA = options.a;
  const castB = options.b;
  // validate every cast now, so that errors surface before any tensor is made
  resolveMXOptions({ ...castA, axis: -1 }, 2, fn);
  resolveMXOptions({ ...castB, axis: -1 }, 2, fn);
  const bw = options.backward ?? {};
  let mode: 'ste' | 'none' | 'casts';
  let casts = { dyN: castA, bN: castB, aM: castA, dyM: castA };
  if (bw === 'ste' || bw === 'none') mode = bw;
  else if (typeof bw === 'object' && bw !== null) {
    mode = 'casts';
    casts = {
      dyN: bw.gradA?.gradOutput ?? castA,
      bN: bw.gradA?.b ?? castB,
      aM: bw.gradB?.a ?? castA,
      dyM: bw.gradB?.gradOutput ?? castA,
    };
    for (const c of Object.values(casts)) resolveMXOptions({ ...c, axis: -1 }, 2, fn);
  } else throw new TesseraError('INVALID_ARGUMENT', fn, "backward must be 'ste', 'none' or an object of casts", describe(bw));

  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [aIn, bIn] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    save([aIn, bIn]);
    const value = tf.tidy(() => {
      const aL = ta ? swap(aIn) : aIn;
      const bL = tb ? swap(bIn) : bIn;
      // K = 0: the product is zeros; no GEMM over empty operands (tfjs-backend-webgpu cannot upload them)
      const y = K === 0 ? tf.zeros([...aL.shape.slice(0, -1), bL.shape[bL.rank - 1]]) : mm(q(aL, castA, -1, fn), q(bL, castB, -2, fn));
      return outPrec === 'bfloat16' && y.size > 0 ? roundBf16(y, fn) : y;
    });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [aS, bS] = saved;
      const aL = ta ? swap(aS) : aS;
      const bL = tb ? swap(bS) : bS;
      let dAL: tf.Tensor;
      let dBL: tf.Tensor;
      if (mode === 'none') {
        dAL = mm(dy, bL, false, true);
        dBL = bL.rank === 2 ? batchedATg(aL, dy) : mm(aL, dy, true, false);
      } else if (mode === 'ste') {
        const qa = q(aL, castA, -1, fn);
        const qb = q(bL, castB, -2, fn);
        dAL = mm(dy, qb, false, true);
        dBL = bL.rank === 2 ? batchedATg(qa, dy) : mm(qa, dy, true, false);
      } else {
        dAL = mm(q(dy, casts.dyN, -1, fn), q(bL, casts.bN, -1, fn), false, true);
        const qaM = q(aL, casts.aM, -2, fn);
        const qdyM = q(dy, casts.dyM, -2, fn);
        dBL = bL.rank === 2 ? batchedATg(qaM, qdyM) : mm(qaM, qdyM, true, false);
      }
      return [ta ? swap(dAL) : dAL, tb ? swap(dBL) : dBL];
    };
    return { value, gradFunc };
  });
  return f(a, b) as tf.Tensor;
}

/** Options of {@link mxLinear}. */
export interface MXLinearOptions {
  /** Cast of the input x (microxcaling `a_elem_format`), blocked along in_features. */
  readonly a: MXCast;
  /** Cast of the weight W[out, in] (microxcaling `w_elem_format`), blocked along in_features. */
  readonly w: MXCast;
  /** Optional bias [out] (added in float32, not quantized). */
  readonly bias?: tf.Tensor;
  /**
   * Backward casts as in {@link mxMatMul} with B = Wᵀ: `gradA.b` is W along out_features (`w_elem_format_bp`),
   * `gradA.gradOutput` dY along out_features (`a_elem_format_bp_os`), `gradB.a` and `gradB.gradOutput` x and dY
   * along the token axis (`a_elem_format_bp_ex`). Unset casts inherit the forward ones.
   */
  readonly backward?: MXMatMulOptions['backward'];
  readonly outputPrecision?: 'float32' | 'bfloat16';
}

/**
 * A linear layer y = x·Wᵀ + bias with MX operands (microxcaling `mx/linear.py`), for PyTorch-layout weights
 * W[out_features, in_features]; x is [..., in_features]. Differentiable in x, W and bias.
 *
 * @throws TesseraError as {@link mxMatMul}; `INVALID_SHAPE` when the bias is not [out_features].
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { mxLinear } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.randomNormal([4, 32]);
 * const w = tf.randomNormal([8, 32]);
 * const y = mxLinear(x, w, { a: { format: 'mxfp8_e4m3' }, w: { format: 'mxfp4_e2m1' } }); // [4, 8]
 * tf.dispose([x, w, y]);
 * ```
 */
export function mxLinear(x: tf.Tensor, weight: tf.Tensor, options: MXLinearOptions): tf.Tensor {
  const fn = 'mxLinear';
  checkTensor(weight, fn, 'weight', { dtype: 'float32', rank: 2 });
  if (typeof options !== 'object' || options === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', describe(options));
  if (options.bias !== undefined) {
    checkTensor(options.bias, fn, 'bias', { dtype: 'float32', rank: 1 });
    if (options.bias.shape[0] !== weight.shape[0])
      throw new TesseraError('INVALID_SHAPE', fn, `bias must have ${weight.shape[0]} elements`, options.bias.shape[0]);
  }
  return tf.tidy(() => {
    const y = mxMatMul(x, weight, {
      a: options.a,
      b: options.w,
      transposeB: true,
      backward: options.backward,
      outputPrecision: options.outputPrecision,
    });
    return options.bias ? tf.add(y, options.bias) : y;
  });
}
