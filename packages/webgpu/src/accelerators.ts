// The WGSL kernels of this package as accelerators of the owning packages' operations, through core's per-backend
// dispatch table (`registerAccelerator`, in the spirit of torch.library's per-dispatch-key kernels): after
// `registerWebGPUKernels()`, mx-formats' `fakeQuantizeMX`/`fakeQuantizeNVFP4`, bdr-formats' `fakeQuantizeBDR`,
// simplicial-attention's `simplicialAttention` and jagged-tensors' `embeddingBag`, called with their default kernel
// choice on the webgpu backend, run these kernels instead of downloading to a host kernel. Each mapping below
// translates the owner's options into this package's and declines (returns `undefined`, so the owner runs its own
// path) for anything the kernel does not compute with the same semantics.
import type * as tf from '@tensorflow/tfjs-core';
import type { BDRFormat, BDROptions } from '@tessera/bdr-formats';
import { registerAccelerator, TesseraError } from '@tessera/core';
import type { EmbeddingBagOptions, JaggedTensor } from '@tessera/jagged-tensors';
import type { FakeQuantizeMXOptions, NVFP4Options } from '@tessera/mx-formats';
import type { SimplicialOptions, SimplicialResult } from '@tessera/simplicial-attention';
import { fakeQuantizeBDRWebGPU, type WebGPUBDROptions } from './bdr-fake-quant.js';
import { embeddingBagWebGPU, type WebGPUEmbeddingBagOptions } from './embedding-bag.js';
import { fakeQuantizeMXWebGPU, type WebGPUMXOptions } from './mx-fake-quant.js';
import { fakeQuantizeNVFP4WebGPU, type WebGPUNVFP4Options } from './nvfp4-fake-quant.js';
import {
  SIMPLICIAL_WEBGPU_MAX_D,
  SIMPLICIAL_WEBGPU_MAX_W2_SPAN,
  simplicialAttentionWebGPU,
  type WebGPUSimplicialOptions,
} from './simplicial.js';

const isObj = (o: unknown): boolean => typeof o === 'object' && o !== null;
const oneOf = <T extends string>(v: unknown, dflt: T, allowed: readonly T[]): T | undefined => {
  const x = v === undefined ? dflt : v;
  return typeof x === 'string' && (allowed as readonly string[]).includes(x) ? (x as T) : undefined;
};
const intIn = (v: unknown, dflt: number, min: number, max: number): number | undefined => {
  const x = v === undefined ? dflt : v;
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max ? x : undefined;
};
/** The axis in [0, rank) of an axis option (default −1), or undefined. */
const axisOf = (v: unknown, rank: number): number | undefined => {
  const a = intIn(v, -1, -rank, rank - 1);
  return a === undefined ? undefined : a < 0 ? a + rank : a;
};

const MX_FORMATS = ['mxfp8_e4m3', 'mxfp8_e5m2', 'mxfp6_e3m2', 'mxfp6_e2m3', 'mxfp4_e2m1', 'mxint8', 'mxfp4'] as const;
const MX_ROUNDINGS = ['even', 'nearest', 'floor', 'rne', 'ties-away', 'truncate'] as const;

/**
 * `fakeQuantizeMX`'s options (mx-formats) as {@link fakeQuantizeMXWebGPU}'s, or `undefined` where the WGSL kernel
 * does not give the same bits: stochastic rounding, `inputPrecision: 'bfloat16'`, `scaleExponent: 'float32-log2'`,
 * a kernel other than `'auto'`, a partial block with `padding: 'error'` (the owner throws), anything unrecognised.
 * `fp6Packing`/`unpacked` only choose a storage layout and do not change fake-quantized values. @internal
 */
export function mxOptionsForWebGPU(shape: readonly number[], o: FakeQuantizeMXOptions): WebGPUMXOptions | undefined {
  if (!isObj(o) || shape.length === 0) return undefined;
  if (o.kernel !== undefined && o.kernel !== 'auto') return undefined;
  const format = oneOf(o.format, 'mxfp8_e4m3', MX_FORMATS);
  const rounding = oneOf(o.rounding, 'even', MX_ROUNDINGS);
  const scaleMode = oneOf(o.scaleMode, 'floor', ['floor', 'ceil', 'even', 'rceil'] as const);
  const padding = oneOf(o.padding, 'zero', ['zero', 'error'] as const);
  const subnormals = oneOf(o.subnormals, 'keep', ['keep', 'flush-elements', 'flush-block'] as const);
  const blockSize = intIn(o.blockSize, 32, 1, 65536);
  const axis = axisOf(o.axis, shape.length);
  if (o.format === undefined || format === undefined || rounding === undefined || scaleMode === undefined) return undefined;
  if (padding === undefined || subnormals === undefined || blockSize === undefined || axis === undefined) return undefined;
  if (oneOf(o.inputPrecision, 'float32', ['float32'] as const) === undefined) return undefined;
  if (oneOf(o.scaleExponent, 'exact', ['exact'] as const) === undefined) return undefined;
  if (padding === 'error' && shape[axis] % blockSize !== 0) return undefined;
  return { format, blockSize, axis, scaleMode, rounding, padding, subnormals };
}

/**
 * `fakeQuantizeNVFP4`'s options (mx-formats) as {@link fakeQuantizeNVFP4WebGPU}'s, or `undefined`: the kernel is
 * single-level (`tensorScale: 'none'`, the default) with `arithmetic: 'exact'` (the default). @internal
 */
export function nvfp4OptionsForWebGPU(shape: readonly number[], o: NVFP4Options | undefined): WebGPUNVFP4Options | undefined {
  const opts = o ?? {};
  if (!isObj(opts) || shape.length === 0) return undefined;
  if (oneOf(opts.tensorScale, 'none', ['none'] as const) === undefined) return undefined;
  if (oneOf(opts.arithmetic, 'exact', ['exact'] as const) === undefined) return undefined;
  const padding = oneOf(opts.padding, 'zero', ['zero', 'error'] as const);
  const axis = axisOf(opts.axis, shape.length);
  if (padding === undefined || axis === undefined) return undefined;
  if (padding === 'error' && shape[axis] % 16 !== 0) return undefined;
  return { axis, padding };
}

const BDR_ROUNDINGS = ['rne', 'even', 'ties-away', 'nearest', 'truncate', 'floor'] as const;

/**
 * `fakeQuantizeBDR`'s format and options (bdr-formats) as {@link fakeQuantizeBDRWebGPU}'s, or `undefined`:
 * stochastic rounding, a format outside bdr-formats' bounds, a partial block with `padding: 'error'`. @internal
 */
export function bdrArgsForWebGPU(
  shape: readonly number[],
  f: BDRFormat,
  o: BDROptions | undefined,
): { format: BDRFormat; options: WebGPUBDROptions } | undefined {
  const opts = o ?? {};
  if (!isObj(opts) || !isObj(f) || shape.length === 0) return undefined;
  const k1 = intIn(f.k1, Number.NaN, 1, 65536);
  const k2 = intIn(f.k2, Number.NaN, 1, 65536);
  const d1 = intIn(f.d1, Number.NaN, 1, 8);
  const d2 = intIn(f.d2, Number.NaN, 0, 4);
  const m = intIn(f.m, Number.NaN, 1, 23);
  if (k1 === undefined || k2 === undefined || d1 === undefined || d2 === undefined || m === undefined) return undefined;
  if (k2 > k1 || k1 % k2 !== 0) return undefined;
  const rounding = oneOf(opts.rounding, 'rne', BDR_ROUNDINGS);
  const clamp = oneOf(opts.clamp, 'field', ['field', 'quark'] as const);
  const padding = oneOf(opts.padding, 'zero', ['zero', 'error'] as const);
  const axis = axisOf(opts.axis, shape.length);
  if (rounding === undefined || clamp === undefined || padding === undefined || axis === undefined) return undefined;
  if (padding === 'error' && shape[axis] % k1 !== 0) return undefined;
  return { format: { name: String(f.name), k1, d1, k2, d2, m }, options: { axis, rounding, clamp, padding } };
}

/**
 * `simplicialAttention`'s options (simplicial-attention) as {@link simplicialAttentionWebGPU}'s, or `undefined`:
 * the determinant variant, a forced host kernel (`kernel: 'wasm' | 'js'`), d above
 * {@link SIMPLICIAL_WEBGPU_MAX_D} or a window-2 span above {@link SIMPLICIAL_WEBGPU_MAX_W2_SPAN}. @internal
 */
export function simplicialOptionsForWebGPU(
  qShape: readonly number[],
  o: SimplicialOptions | undefined,
): WebGPUSimplicialOptions | undefined {
  const opts = o ?? {};
  if (!isObj(opts) || qShape.length !== 4) return undefined;
  if (opts.kernel !== undefined && opts.kernel !== 'auto') return undefined;
  if (oneOf(opts.variant, 'trilinear', ['trilinear'] as const) === undefined) return undefined;
  const [, n, , d] = qShape;
  const win = (v: unknown, dflt: number) => {
    const w = v === undefined ? dflt : v;
    if (w === Number.POSITIVE_INFINITY) return n;
    return typeof w === 'number' && Number.isInteger(w) && w >= 1 ? Math.min(w, n) : undefined;
  };
  const w1 = win(opts.w1, 512);
  const w2 = win(opts.w2, 32);
  const causal = opts.causal ?? true;
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  if (w1 === undefined || w2 === undefined || typeof causal !== 'boolean') return undefined;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) return undefined;
  if (d > SIMPLICIAL_WEBGPU_MAX_D || Math.min(n, causal ? w2 : 2 * w2 - 1) > SIMPLICIAL_WEBGPU_MAX_W2_SPAN) return undefined;
  return { w1: opts.w1 ?? 512, w2: opts.w2 ?? 32, causal, scale };
}

/**
 * `embeddingBag`'s options (jagged-tensors) as {@link embeddingBagWebGPU}'s, or `undefined` for a `kernel` other
 * than `'auto'`, an empty table, no bags or no ids (tfjs-backend-webgpu cannot bind empty buffers) and for weights with `mean`. One difference
 * remains and is documented: an id outside [0, R) contributes nothing on the GPU, where the host throws
 * `INDEX_OUT_OF_RANGE` (checking would need a readback). @internal
 */
export function embeddingBagOptionsForWebGPU(
  table: { shape: readonly number[]; size: number },
  jt: { values: { size: number }; offsets: ArrayLike<number>; weights: unknown },
  o: EmbeddingBagOptions | undefined,
): WebGPUEmbeddingBagOptions | undefined {
  const opts = o ?? {};
  if (!isObj(opts) || table.size === 0 || jt.values.size === 0 || jt.offsets.length < 2) return undefined;
  const kernel = (opts as { kernel?: unknown }).kernel;
  if (kernel !== undefined && kernel !== 'auto') return undefined;
  const mode = oneOf(opts.mode, 'sum', ['sum', 'mean'] as const);
  if (mode === undefined) return undefined;
  const weighted =
    (opts.perSampleWeights !== undefined && opts.perSampleWeights !== null) || (jt.weights !== null && jt.weights !== undefined);
  if (weighted && mode === 'mean') return undefined;
  return opts.perSampleWeights !== undefined ? { mode, perSampleWeights: opts.perSampleWeights } : { mode };
}

/** Runs a kernel, declining (undefined) where it rejects its arguments with a TesseraError: the owner's own path then runs and reports. */
function orDecline<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof TesseraError) return undefined;
    throw e;
  }
}

/** The accelerators, by operation name (the owning function's public name). @internal */
export const WEBGPU_ACCELERATORS = {
  fakeQuantizeMX: (x: tf.Tensor, options: FakeQuantizeMXOptions): tf.Tensor | undefined => {
    if (x.dtype !== 'float32') return undefined;
    const o = mxOptionsForWebGPU(x.shape, options);
    return o && orDecline(() => fakeQuantizeMXWebGPU(x, o));
  },
  fakeQuantizeNVFP4: (x: tf.Tensor, options?: NVFP4Options): tf.Tensor | undefined => {
    if (x.dtype !== 'float32') return undefined;
    const o = nvfp4OptionsForWebGPU(x.shape, options);
    return o && orDecline(() => fakeQuantizeNVFP4WebGPU(x, o));
  },
  fakeQuantizeBDR: (x: tf.Tensor, format: BDRFormat, options?: BDROptions): tf.Tensor | undefined => {
    if (x.dtype !== 'float32') return undefined;
    const a = bdrArgsForWebGPU(x.shape, format, options);
    return a && orDecline(() => fakeQuantizeBDRWebGPU(x, a.format, a.options));
  },
  simplicialAttention: (
    q: tf.Tensor4D,
    k1: tf.Tensor4D,
    k2: tf.Tensor4D,
    v1: tf.Tensor4D,
    v2: tf.Tensor4D,
    options?: SimplicialOptions,
  ): SimplicialResult | undefined => {
    const o = simplicialOptionsForWebGPU(q.shape, options);
    return o && orDecline(() => simplicialAttentionWebGPU(q, k1, k2, v1, v2, o));
  },
  embeddingBag: (table: tf.Tensor2D, jt: JaggedTensor, options?: EmbeddingBagOptions): tf.Tensor2D | undefined => {
    const o = embeddingBagOptionsForWebGPU(table, jt, options);
    return o && orDecline(() => embeddingBagWebGPU(table, jt, o));
  },
} as const;

/**
 * Registers this package's WGSL kernels with `@tessera/core`'s dispatch table for the `webgpu` backend, so the
 * owning packages' own functions use them under their default kernel choice: mx-formats' `fakeQuantizeMX` and
 * `fakeQuantizeNVFP4`, bdr-formats' `fakeQuantizeBDR`, simplicial-attention's `simplicialAttention` and
 * jagged-tensors' `embeddingBag`. Options a kernel does not serve with the same semantics (stochastic rounding,
 * bfloat16 inputs, an NVFP4 tensor scale, the determinant variant, …) are declined, and the owner runs its own
 * path. Returns a function that removes every registration again. Nothing runs until an owner is called on the
 * webgpu backend, so registering is harmless elsewhere.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { accelerator, initBackend } from '@tessera/core';
 * import { fakeQuantizeMX } from '@tessera/mx-formats';
 * import { registerWebGPUKernels } from '@tessera/webgpu';
 * const unregister = registerWebGPUKernels();
 * accelerator('fakeQuantizeMX', 'webgpu') !== undefined; // → true
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const w = tf.randomNormal([1024, 256]);
 *   const wq = fakeQuantizeMX(w, { format: 'mxfp8_e4m3' }); // the WGSL kernel, the host kernel's bits
 *   tf.dispose([w, wq]);
 * }
 * unregister();
 * accelerator('fakeQuantizeMX', 'webgpu'); // → undefined
 * ```
 */
export function registerWebGPUKernels(): () => void {
  const removers = Object.entries(WEBGPU_ACCELERATORS).map(([op, impl]) => registerAccelerator(op, 'webgpu', impl));
  return () => {
    for (const r of removers) r();
  };
}
