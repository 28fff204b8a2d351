// Public entry points of windowed 2-simplicial attention: validation, then the host kernels of @tessera/kernels
// (simplicialForward / simplicialBackward) inside one tf.customGrad, so tf.grads / optimizers see an ordinary differentiable op.
import * as tf from '@tensorflow/tfjs-core';
import { accelerator, readSync } from '@tessera/core';
import { simplicialBackward as simplicialBackwardKernel, simplicialForward as simplicialForwardKernel } from '@tessera/kernels';
import { runKernel } from './kernel-choice.js';
import { type AttentionDims, checkQkv, checkShape, type ResolvedSimplicial, resolveSimplicial, type SimplicialOptions } from './options.js';

type F32 = Float32Array;
type Five = { q: F32; k1: F32; k2: F32; v1: F32; v2: F32 };
type HostGrads = { dq: F32; dk1: F32; dk2: F32; dv1: F32; dv2: F32 };

/** Forward on the chosen kernels (@tessera/kernels' choice under 'auto'); says which ran. */
function forwardHost(fn: string, x: Five, dims: AttentionDims, o: ResolvedSimplicial): { out: F32; lse: F32; wasm: boolean } {
  const { B, n, Hq, Hkv, d } = dims;
  const out = new Float32Array(B * n * Hq * d);
  const lse = new Float32Array(B * Hq * n);
  const r = runKernel(o.kernel, fn, () =>
    simplicialForwardKernel(x.q, x.k1, x.k2, x.v1, x.v2, B, n, Hq, Hkv, d, o.w1, o.w2, o.causal, o.scale, o.variant, out, lse),
  );
  return { out, lse, wasm: r.backend === 'wasm' };
}

/** Backward on the chosen kernels. */
function backwardHost(fn: string, x: Five, out: F32, dOut: F32, lse: F32, dims: AttentionDims, o: ResolvedSimplicial): HostGrads {
  const { B, n, Hq, Hkv, d } = dims;
  const g: HostGrads = {
    dq: new Float32Array(x.q.length),
    dk1: new Float32Array(x.k1.length),
    dk2: new Float32Array(x.k2.length),
    dv1: new Float32Array(x.v1.length),
    dv2: new Float32Array(x.v2.length),
  };
  runKernel(o.kernel, fn, () =>
    simplicialBackwardKernel(
      x.q,
      x.k1,
      x.k2,
      x.v1,
      x.v2,
      out,
      dOut,
      lse,
      B,
      n,
      Hq,
      Hkv,
      d,
      o.w1,
      o.w2,
      o.causal,
      o.scale,
      o.variant,
      g.dq,
      g.dk1,
      g.dk2,
      g.dv1,
      g.dv2,
    ),
  );
  return g;
}

/**
 * Result of {@link simplicialAttention}: `out` `[B, n, Hq, d]` and the natural-log `lse` `[B, Hq, n]`. A type alias (not
 * an interface) so that it can be returned from `tf.tidy`.
 */
export type SimplicialResult = {
  out: tf.Tensor4D;
  lse: tf.Tensor3D;
};

/** The five gradients returned by {@link simplicialBackward}, shaped like q, k1, k2, v1, v2. */
export type SimplicialGrads = {
  dq: tf.Tensor4D;
  dk1: tf.Tensor4D;
  dk2: tf.Tensor4D;
  dv1: tf.Tensor4D;
  dv2: tf.Tensor4D;
};

/** The way out named where the host kernels cannot read their inputs (webgpu in Node). @internal */
export const SIMPLICIAL_ALTERNATIVE = 'register the @tessera/webgpu kernels (registerWebGPUKernels()) and leave kernel unset or auto';

/** `t`'s values on the host (core's `readSync`: `UNSUPPORTED` where the backend cannot read synchronously). */
function hostData(t: tf.Tensor, fn: string, what: string): Float32Array {
  if (t.size === 0) return new Float32Array(0);
  return readSync(t, fn, what, SIMPLICIAL_ALTERNATIVE) as Float32Array;
}

/**
 * What an accelerator of `'simplicialAttention'` receives (see `registerAccelerator` of @tessera/core): the five
 * inputs as given and the options (`{}` when the caller passed none); it returns the result of
 * {@link simplicialAttention} (differentiable `out`, `lse`) or `undefined` to decline. @internal
 */
export type SimplicialAttentionAccelerator = (
  q: tf.Tensor4D,
  k1: tf.Tensor4D,
  k2: tf.Tensor4D,
  v1: tf.Tensor4D,
  v2: tf.Tensor4D,
  options: SimplicialOptions,
) => SimplicialResult | undefined;

/**
 * Windowed 2-simplicial attention (Roy et al., "Fast and Simplex", arXiv 2507.02754, Eqs. 5–7; pytorch/FBGEMM
 * `fbgemm_gpu/experimental/simplicial_attention/simplicial/ops/pytorch/two_simplicial_attention.py::torch_fwd_ref`).
 * Per batch and query head, with kv-head `⌊h/(Hq/Hkv)⌋` (GQA):
 * `A_ijk = scale·Σ_l q_il·k1_jl·k2_kl` over `i − w1 < j ≤ i`, `i − w2 < k ≤ i` (causal), one softmax over the (j, k)
 * pairs, `out_i = Σ_jk S_ijk (v1_j ⊙ v2_k)`. `variant: 'determinant'` replaces the logit by
 * `scale·Σ_c det[q_i^(c); k1_j^(c); k2_k^(c)]` over 3-dim chunks (paper §5), rotation-invariant.
 *
 * Numerically stable (online max subtraction); `lse` is `ln Σ_jk exp(A_ijk)`. Time O(n·w1·w2·d), memory O(n·d)
 * plus O(w2 + d) scratch: the logit cube is never formed. `out` is differentiable with respect to all five inputs
 * (tf.customGrad, backward recomputes the probabilities from `lse`); `lse` carries no gradient.
 *
 * With `kernel` unset or `'auto'`, an accelerator registered for the active tfjs backend through
 * `registerAccelerator('simplicialAttention', backend, impl)` of @tessera/core runs first, as
 * `impl(q, k1, k2, v1, v2, options)` (`{}` when no options were passed); `registerWebGPUKernels()` of
 * `@tessera/webgpu` registers its WGSL kernels this way. It returns `undefined` to decline. Otherwise the host kernels
 * run, which need synchronous reads: on webgpu in Node they throw `UNSUPPORTED`.
 *
 * @param q - queries `[B, n, Hq, d]`, float32
 * @param k1 - keys of the first stream `[B, n, Hkv, d]`; Hq must be a multiple of Hkv
 * @param k2 - keys of the second stream `[B, n, Hkv, d]`
 * @param v1 - values of the first stream `[B, n, Hkv, d]`
 * @param v2 - values of the second stream `[B, n, Hkv, d]`
 * @param o - windows (default 512 and 32), `causal` (default true), `scale` (default 1/√d), `variant`
 * @returns `out` `[B, n, Hq, d]` and `lse` `[B, Hq, n]`, owned by the caller
 * @throws TesseraError `INVALID_ARGUMENT` (not a tensor, disposed, bad window, scale, causal, variant or kernel),
 * `INVALID_DTYPE` (not float32), `INVALID_SHAPE` (ranks, mismatched sizes, Hq not a multiple of Hkv), `UNSUPPORTED`
 * (`kernel: 'wasm'` where WebAssembly SIMD is unavailable; the host kernels on a backend that cannot read
 * synchronously, i.e. webgpu in Node without a registered accelerator).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { simplicialAttention } from '@tessera/simplicial-attention';
 * await initBackend();
 * const [q, k1, k2, v1, v2] = [1, 2, 3, 4, 5].map((s) => tf.randomNormal<tf.Rank.R4>([1, 16, 2, 8], 0, 1, 'float32', s));
 * const { out, lse } = simplicialAttention(q, k1, k2, v1, v2, { w1: 8, w2: 4 });
 * console.log(out.shape, lse.shape); // → [1, 16, 2, 8] [1, 2, 16]
 * tf.dispose([q, k1, k2, v1, v2, out, lse]);
 * ```
 */
export function simplicialAttention(
  q: tf.Tensor4D,
  k1: tf.Tensor4D,
  k2: tf.Tensor4D,
  v1: tf.Tensor4D,
  v2: tf.Tensor4D,
  o?: SimplicialOptions,
): SimplicialResult {
  const fn = 'simplicialAttention';
  const dims = checkQkv(fn, q, { k1, k2, v1, v2 });
  const ro = resolveSimplicial(o, fn, dims);
  if (ro.kernel === 'auto') {
    const r = accelerator<SimplicialAttentionAccelerator>(fn)?.(q, k1, k2, v1, v2, o ?? {});
    if (r !== undefined) return r;
  }
  let lse: Float32Array | null = null;
  const f = tf.customGrad(((qi: tf.Tensor, k1i: tf.Tensor, k2i: tf.Tensor, v1i: tf.Tensor, v2i: tf.Tensor) => {
    const x = {
      q: hostData(qi, fn, 'q'),
      k1: hostData(k1i, fn, 'k1'),
      k2: hostData(k2i, fn, 'k2'),
      v1: hostData(v1i, fn, 'v1'),
      v2: hostData(v2i, fn, 'v2'),
    };
    const res = forwardHost(fn, x, dims, ro);
    lse = res.lse;
    const value = tf.tensor(res.out, qi.shape, 'float32');
    const gradFunc = (dy: tf.Tensor) => {
      // the backward runs on the kernel that ran the forward (their roundings differ)
      const g = backwardHost(fn, x, res.out, hostData(dy, fn, 'the upstream gradient'), res.lse, dims, {
        ...ro,
        kernel: res.wasm ? 'wasm' : 'js',
      });
      return [
        tf.tensor(g.dq, qi.shape, 'float32'),
        tf.tensor(g.dk1, k1i.shape, 'float32'),
        tf.tensor(g.dk2, k2i.shape, 'float32'),
        tf.tensor(g.dv1, v1i.shape, 'float32'),
        tf.tensor(g.dv2, v2i.shape, 'float32'),
      ];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = f(q, k1, k2, v1, v2) as tf.Tensor4D;
  return { out, lse: tf.tensor3d(lse as unknown as Float32Array, [dims.B, dims.Hq, dims.n], 'float32') };
}

/**
 * The backward of {@link simplicialAttention} on its own: gradients of `Σ dOut ⊙ out` with respect to q, k1, k2,
 * v1 and v2 (FBGEMM `torch_simplicial_bwd` formulas restricted to the windows: `dS = ⟨dO_i, v1_j ⊙ v2_k⟩`,
 * `dA = S(dS − ⟨dO_i, O_i⟩)`, `dV1_j = Σ S (dO_i ⊙ v2_k)`, `dV2_k = Σ S (dO_i ⊙ v1_j)`,
 * `dQ_i = s Σ dA (k1_j ⊙ k2_k)`, `dK1_j = s Σ dA (q_i ⊙ k2_k)`, `dK2_k = s Σ dA (q_i ⊙ k1_j)`). The probabilities are
 * recomputed from `lse`; `out` supplies `⟨dO_i, O_i⟩`. Options must be those of the forward call.
 *
 * @param out - the forward output `[B, n, Hq, d]`
 * @param dOut - the gradient of the loss with respect to `out`, `[B, n, Hq, d]`
 * @param lse - the forward log-sum-exp `[B, Hq, n]`
 * @throws TesseraError as {@link simplicialAttention}, and `INVALID_SHAPE` when out, dOut or lse do not match q.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { simplicialAttention, simplicialBackward } from '@tessera/simplicial-attention';
 * await initBackend();
 * const [q, k1, k2, v1, v2] = [1, 2, 3, 4, 5].map((s) => tf.randomNormal<tf.Rank.R4>([1, 8, 1, 4], 0, 1, 'float32', s));
 * const o = { w1: 4, w2: 2 };
 * const { out, lse } = simplicialAttention(q, k1, k2, v1, v2, o);
 * const dOut = tf.onesLike(out);
 * const g = simplicialBackward(q, k1, k2, v1, v2, out, dOut, lse, o);
 * console.log(g.dk2.shape); // → [1, 8, 1, 4]
 * tf.dispose([q, k1, k2, v1, v2, out, lse, dOut, g.dq, g.dk1, g.dk2, g.dv1, g.dv2]);
 * ```
 */
export function simplicialBackward(
  q: tf.Tensor4D,
  k1: tf.Tensor4D,
  k2: tf.Tensor4D,
  v1: tf.Tensor4D,
  v2: tf.Tensor4D,
  out: tf.Tensor4D,
  dOut: tf.Tensor4D,
  lse: tf.Tensor3D,
  o?: SimplicialOptions,
): SimplicialGrads {
  const fn = 'simplicialBackward';
  const dims = checkQkv(fn, q, { k1, k2, v1, v2 });
  const ro = resolveSimplicial(o, fn, dims);
  checkShape(fn, 'out', out, q.shape);
  checkShape(fn, 'dOut', dOut, q.shape);
  checkShape(fn, 'lse', lse, [dims.B, dims.Hq, dims.n]);
  const x = {
    q: hostData(q, fn, 'q'),
    k1: hostData(k1, fn, 'k1'),
    k2: hostData(k2, fn, 'k2'),
    v1: hostData(v1, fn, 'v1'),
    v2: hostData(v2, fn, 'v2'),
  };
  const g = backwardHost(fn, x, hostData(out, fn, 'out'), hostData(dOut, fn, 'dOut'), hostData(lse, fn, 'lse'), dims, ro);
  return {
    dq: tf.tensor4d(g.dq, q.shape, 'float32'),
    dk1: tf.tensor4d(g.dk1, k1.shape, 'float32'),
    dk2: tf.tensor4d(g.dk2, k2.shape, 'float32'),
    dv1: tf.tensor4d(g.dv1, v1.shape, 'float32'),
    dv2: tf.tensor4d(g.dv2, v2.shape, 'float32'),
  };
}
