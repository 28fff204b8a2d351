// Option resolution and input validation shared by every attention entry point (kept off the hot path, as torchrec
// keeps `jagged_tensor_validator.py` apart from the kernels).
import type * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkTensor, TesseraError } from '@tessera/core';

/** Logit form of 2-simplicial attention: Roy et al. (arXiv 2507.02754) Eq. 5, or the §5 determinant form. */
export type SimplicialVariant = 'trilinear' | 'determinant';

/**
 * The simplicial variants, in documentation order.
 *
 * @example
 * ```ts
 * import { SIMPLICIAL_VARIANTS } from '@tessera/simplicial-attention';
 * console.log(SIMPLICIAL_VARIANTS.join(', ')); // → trilinear, determinant
 * ```
 */
export const SIMPLICIAL_VARIANTS: readonly SimplicialVariant[] = Object.freeze(['trilinear', 'determinant'] as const);

/**
 * Options of {@link simplicialAttention}, {@link simplicialBackward} and {@link simplicialAttentionReference}.
 *
 * Windows: with `causal: true` (default) key j of the first stream is valid for query i when `i − w1 < j ≤ i`, key k
 * of the second stream when `i − w2 < k ≤ i` (pytorch/FBGEMM `torch_fwd_ref`). With `causal: false` the windows are
 * symmetric: `|i − j| < w1`, `|i − k| < w2`. `Infinity` means unbounded, so `{ w1: Infinity, w2: Infinity }` is the
 * full (unwindowed) cube.
 */
export interface SimplicialOptions {
  /** Window of the (k1, v1) stream; a positive integer or `Infinity`. Default 512 (FBGEMM `SimplicialAttention`). */
  w1?: number;
  /** Window of the (k2, v2) stream; a positive integer or `Infinity`. Default 32 (FBGEMM `SimplicialAttention`). */
  w2?: number;
  /** Causal windows (default true). */
  causal?: boolean;
  /** Logit scale; default `1/√d`. Any finite number. */
  scale?: number;
  /** `'trilinear'` (default) or `'determinant'`. */
  variant?: SimplicialVariant;
  /**
   * Kernel: `'auto'` (default) runs the WebAssembly SIMD kernels (float32 arithmetic) where WebAssembly is available
   * and the scalar JavaScript kernels (float64 arithmetic) otherwise; `'wasm'` or `'js'` force one.
   */
  kernel?: SimplicialKernel;
}

/** Which implementation runs {@link simplicialAttention}'s host loops. */
export type SimplicialKernel = 'auto' | 'wasm' | 'js';

/** Options of {@link dotProductAttention}. */
export interface DotProductOptions {
  /** Causal mask (default true): key j is valid for query i when `i − window < j ≤ i`. */
  causal?: boolean;
  /** Window length; a positive integer or `Infinity` (default, unwindowed). Non-causal windows are `|i − j| < window`. */
  window?: number;
  /** Logit scale; default `1/√d`. */
  scale?: number;
  /**
   * Kernel, as for {@link SimplicialOptions}: `'auto'` (default, WebAssembly SIMD where available; tfjs ops where
   * tensors cannot be read synchronously, i.e. webgpu in Node), `'wasm'`, `'js'`, or `'tfjs'` (tfjs ops on the
   * tensors' backend: the full `[n, n]` score matrix, masked, softmax, tfjs autograd).
   */
  kernel?: SimplicialKernel | 'tfjs';
}

/** Sizes of one attention call: batch, sequence, query heads, key/value heads, head dim. @internal */
export interface AttentionDims {
  B: number;
  n: number;
  Hq: number;
  Hkv: number;
  d: number;
}

/** Options after defaults, with windows clipped to the sequence length. @internal */
export interface ResolvedSimplicial {
  w1: number;
  w2: number;
  causal: boolean;
  scale: number;
  variant: SimplicialVariant;
  kernel: SimplicialKernel;
}

/** Resolved dot-product options. @internal */
export interface ResolvedDot {
  window: number;
  causal: boolean;
  scale: number;
  kernel: SimplicialKernel | 'tfjs';
}

function checkWindow(v: unknown, fn: string, name: string, n: number): number {
  if (v === Number.POSITIVE_INFINITY) return n;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a positive integer or Infinity`, v);
  }
  return Math.min(v, n);
}

function checkScale(v: unknown, fn: string, d: number): number {
  if (v === undefined) return 1 / Math.sqrt(d);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TesseraError('INVALID_ARGUMENT', fn, 'scale must be a finite number', v);
  return v;
}

function checkCausal(v: unknown, fn: string): boolean {
  if (v === undefined) return true;
  if (typeof v !== 'boolean') throw new TesseraError('INVALID_ARGUMENT', fn, 'causal must be a boolean', v);
  return v;
}

function checkOptionsObject(o: unknown, fn: string): void {
  if (o !== undefined && (typeof o !== 'object' || o === null || Array.isArray(o))) {
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', o);
  }
}

/** Applies defaults and validates simplicial options. @internal */
export function resolveSimplicial(o: SimplicialOptions | undefined, fn: string, dims: AttentionDims): ResolvedSimplicial {
  checkOptionsObject(o, fn);
  const opts = o ?? {};
  return {
    w1: checkWindow(opts.w1 ?? 512, fn, 'w1', dims.n),
    w2: checkWindow(opts.w2 ?? 32, fn, 'w2', dims.n),
    causal: checkCausal(opts.causal, fn),
    scale: checkScale(opts.scale, fn, dims.d),
    variant: checkOneOf(opts.variant ?? 'trilinear', fn, 'variant', SIMPLICIAL_VARIANTS),
    kernel: checkOneOf(opts.kernel ?? 'auto', fn, 'kernel', ['auto', 'wasm', 'js'] as const),
  };
}

/** Applies defaults and validates dot-product options. @internal */
export function resolveDot(o: DotProductOptions | undefined, fn: string, dims: AttentionDims): ResolvedDot {
  checkOptionsObject(o, fn);
  const opts = o ?? {};
  return {
    window: checkWindow(opts.window ?? Number.POSITIVE_INFINITY, fn, 'window', dims.n),
    causal: checkCausal(opts.causal, fn),
    scale: checkScale(opts.scale, fn, dims.d),
    kernel: checkOneOf(opts.kernel ?? 'auto', fn, 'kernel', ['auto', 'wasm', 'js', 'tfjs'] as const),
  };
}

function shapeOf(t: tf.Tensor): string {
  return `shape [${t.shape.join(', ')}]`;
}

/**
 * Validates q `[B, n, Hq, d]` and the key/value tensors `[B, n, Hkv, d]` (all float32, Hq a multiple of Hkv,
 * FBGEMM's GQA rule) and returns the sizes. @internal
 */
export function checkQkv(fn: string, q: unknown, kv: Record<string, unknown>): AttentionDims {
  const qt = checkTensor(q, fn, 'q', { dtype: 'float32', rank: 4 });
  const [B, n, Hq, d] = qt.shape;
  if (B < 1 || n < 1 || Hq < 1 || d < 1) throw new TesseraError('INVALID_SHAPE', fn, 'q must have no empty dimension', shapeOf(qt));
  let Hkv = -1;
  for (const [name, t] of Object.entries(kv)) {
    const x = checkTensor(t, fn, name, { dtype: 'float32', rank: 4 });
    const [b, m, h, e] = x.shape;
    if (b !== B || m !== n || e !== d) {
      throw new TesseraError('INVALID_SHAPE', fn, `${name} must be [${B}, ${n}, Hkv, ${d}] like q [B, n, Hq, d]`, shapeOf(x));
    }
    if (Hkv === -1) Hkv = h;
    else if (h !== Hkv)
      throw new TesseraError('INVALID_SHAPE', fn, `${name} must have ${Hkv} heads like the other keys and values`, shapeOf(x));
  }
  if (Hkv < 1 || Hq % Hkv !== 0) {
    throw new TesseraError('INVALID_SHAPE', fn, `the query heads (${Hq}) must be a multiple of the key/value heads`, Hkv);
  }
  return { B, n, Hq, Hkv, d };
}

/** Checks an extra tensor argument against an expected shape. @internal */
export function checkShape(fn: string, name: string, t: unknown, shape: readonly number[]): tf.Tensor {
  const x = checkTensor(t, fn, name, { dtype: 'float32', rank: shape.length });
  if (x.shape.some((s, i) => s !== shape[i])) {
    throw new TesseraError('INVALID_SHAPE', fn, `${name} must be [${shape.join(', ')}]`, shapeOf(x));
  }
  return x;
}

/** Index range [lo, hi] of the keys valid for query i under a window w (already clipped to n). @internal */
export function windowRange(i: number, w: number, n: number, causal: boolean): [number, number] {
  const lo = i - w + 1 > 0 ? i - w + 1 : 0;
  const hi = causal ? i : i + w - 1 < n - 1 ? i + w - 1 : n - 1;
  return [lo, hi];
}
