import * as tf from '@tensorflow/tfjs-core';
import {
  accelerator,
  bitsView,
  checkInteger,
  checkOneOf,
  checkShape,
  checkTensor,
  describe,
  moveAxisBack,
  moveAxisLast,
  readSync,
  TesseraError,
} from '@tessera/core';
import { nvfp4DequantizeRows, nvfp4QuantizeRows } from './kernels/index.js';
import { layoutOf } from './mx-tensor.js';
import { fp4Bytes } from './packing.js';

export { e4m3ScaleCode } from './kernels/nvfp4-rows.js';

/** NVFP4 block size (fixed). */
const K = 16;
/** 448 · 6: the largest E4M3 scale times the largest E2M1 element (torchao `per_tensor_amax_to_scale`). */
const RANGE = 448 * 6;

/**
 * An NVFP4 tensor: E2M1 codes packed two per byte (low nibble first), one positive E4M3 scale code per
 * block of 16 along `axis`, and an optional FP32 per-tensor scale (two-level scaling). The layout (axis moved last,
 * zero-padded to a multiple of 16) is the MX one.
 */
export interface NVFP4Tensor {
  readonly format: 'nvfp4';
  readonly shape: readonly number[];
  readonly axis: number;
  readonly blockSize: 16;
  /** E2M1 codes, two per byte. */
  readonly data: Uint8Array;
  /** E4M3 codes of the block scales (0x7F = NaN block). */
  readonly blockScales: Uint8Array;
  /** The FP32 per-tensor scale s_t, or null for single-level scaling (s_t = 1). */
  readonly tensorScale: number | null;
  /** data + blockScales + 4 bytes when a tensor scale is present. */
  readonly byteLength: number;
}

/** Options of {@link quantizeNVFP4}. */
export interface NVFP4Options {
  /** Blocked axis, default −1. */
  readonly axis?: number;
  /**
   * `'none'` (default; torchao's default `per_tensor_scale=None`): single-level, s_t = 1. `'auto'`: s_t =
   * fl32(amax_tensor / (448·6)) over the finite values (1 for an all-zero tensor). A number: that FP32 scale.
   */
  readonly tensorScale?: 'auto' | 'none' | number;
  /** `'zero'` (default) pads the last block; `'error'` throws when the axis is not a multiple of 16 (torchao). */
  readonly padding?: 'zero' | 'error';
  /** `'exact'` (default): float64 steps. `'float32'`: torchao's float32 order (reciprocal scale), for byte parity. */
  readonly arithmetic?: 'exact' | 'float32';
}

function resolve(x: { rank: number; shape: readonly number[] }, o: NVFP4Options, fn: string) {
  if (typeof o !== 'object' || o === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', describe(o));
  if (x.rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  const a = checkInteger(o.axis ?? -1, fn, 'axis');
  if (a < -x.rank || a >= x.rank) throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be in [${-x.rank}, ${x.rank - 1}]`, a);
  const axis = a < 0 ? a + x.rank : a;
  const ts = o.tensorScale ?? 'none';
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts) || !(Math.fround(ts) > 0))
      throw new TesseraError('INVALID_ARGUMENT', fn, 'tensorScale must be a finite float32 > 0', ts);
  } else checkOneOf(ts, fn, 'tensorScale', ['auto', 'none'] as const);
  const padding = checkOneOf(o.padding ?? 'zero', fn, 'padding', ['zero', 'error'] as const);
  const arithmetic = checkOneOf(o.arithmetic ?? 'exact', fn, 'arithmetic', ['exact', 'float32'] as const);
  if (padding === 'error' && x.shape[axis] % K !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${axis}] must be a multiple of 16 with padding 'error'`,
      `shape [${x.shape.join(', ')}]`,
    );
  return { axis, ts, arithmetic };
}

/**
 * {@link quantizeNVFP4} on a host `Float32Array` with its shape.
 *
 * @throws TesseraError as {@link quantizeNVFP4}; `INVALID_SHAPE` when shape and length disagree.
 * @example
 * ```ts
 * import { quantizeNVFP4Array } from '@tessera/mx-formats';
 * const t = quantizeNVFP4Array(new Float32Array([6, 3, -1.5, 0.25]), [4]);
 * t.blockScales; // → Uint8Array [0x38]  (s_b = 1.0)
 * ```
 */
export function quantizeNVFP4Array(values: Float32Array, shape: readonly number[], options: NVFP4Options = {}): NVFP4Tensor {
  const fn = 'quantizeNVFP4Array';
  if (!(values instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'values must be a Float32Array', describe(values));
  const sh = checkShape(shape, fn, 'shape');
  const n = sh.reduce((p, d) => p * d, 1);
  if (n !== values.length) throw new TesseraError('INVALID_SHAPE', fn, `shape must match the ${values.length} values`, describe(shape));
  shape = sh;
  return quantizeNVFP4Host(values, shape, resolve({ rank: shape.length, shape }, options, fn));
}

function quantizeNVFP4Host(values: Float32Array, shape: readonly number[], o: ReturnType<typeof resolve>): NVFP4Tensor {
  const g = layoutOf(shape, o.axis, K);
  // no elements, no blocks: skip the loops over the other (possibly huge) dimensions, e.g. shape [1e12, 0]
  const empty = g.numel === 0;
  const x = empty ? new Float32Array(0) : moveAxisLast(values, g);
  const f32 = o.arithmetic === 'float32';
  let st = 1;
  let tensorScale: number | null = null;
  if (o.ts === 'auto') {
    let amax = 0;
    const u = bitsView(x);
    for (let i = 0; i < u.length; i++) {
      const a = u[i] & 0x7fffffff;
      if (a < 0x7f800000 && a > amax) amax = a; // the tensor amax ignores NaN/±Inf (tessera rule)
    }
    const am = new Float32Array(new Uint32Array([amax]).buffer)[0];
    st = am === 0 ? 1 : Math.fround(am / RANGE) || 2 ** -149;
    tensorScale = st;
  } else if (typeof o.ts === 'number') {
    st = Math.fround(o.ts);
    tensorScale = st;
  }
  const { L, nBlocks } = g;
  const rows = empty ? 0 : g.rows;
  const data = new Uint8Array(fp4Bytes(rows * nBlocks * K)); // padding codes stay 0
  const scales = new Uint8Array(rows * nBlocks);
  if (!empty) nvfp4QuantizeRows(x, rows, L, st, f32, data, scales); // no elements: no rows to quantize
  return Object.freeze({
    format: 'nvfp4' as const,
    shape: Object.freeze([...shape]),
    axis: o.axis,
    blockSize: K,
    data,
    blockScales: scales,
    tensorScale,
    byteLength: data.length + scales.length + (tensorScale === null ? 0 : 4),
  });
}

/**
 * Quantizes a float32 tensor to NVFP4 (torchao `nvfp4_tensor.py`): blocks of 16 along `axis`, block scale
 * s_b = E4M3(clamp((amax/6)/s_t, 2^-6, 448)) rounded to nearest, elements E2M1(x/(s_t·s_b)) with round half to
 * even and saturation at ±6. A block with NaN/±Inf gets scale code 0x7F and decodes to NaN (tessera rule).
 *
 * @throws TesseraError `INVALID_DTYPE` when x is not float32; `INVALID_ARGUMENT` for a bad axis, tensorScale or
 * option; `INVALID_SHAPE` for a scalar or a partial block with `padding: 'error'`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { quantizeNVFP4, dequantizeNVFP4 } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor1d([7, 1, -2, 0.3]);
 * const t = quantizeNVFP4(x);          // s_b = E4M3(7/6) = 1.125 (0x39)
 * const y = dequantizeNVFP4(t);        // [6.75, 1.125, -2.25, 0.5625]
 * tf.dispose([x, y]);
 * ```
 */
export function quantizeNVFP4(x: tf.Tensor, options: NVFP4Options = {}): NVFP4Tensor {
  const fn = 'quantizeNVFP4';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const o = resolve(x, options, fn);
  const values =
    x.size === 0 ? new Float32Array(0) : readSync(x, fn, "'x'", 'await x.data() and pass the Float32Array to quantizeNVFP4Array');
  return quantizeNVFP4Host(values as Float32Array, x.shape, o);
}

/**
 * Checks the invariants of an NVFP4Tensor.
 *
 * @throws TesseraError `INVALID_FORMAT` on the first broken invariant.
 * @example
 * ```ts
 * import { quantizeNVFP4Array, validateNVFP4 } from '@tessera/mx-formats';
 * validateNVFP4(quantizeNVFP4Array(new Float32Array(16), [16]));
 * ```
 */
export function validateNVFP4(t: NVFP4Tensor): void {
  const bad = (what: string, got?: unknown) => new TesseraError('INVALID_FORMAT', 'validateNVFP4', what, got);
  if (typeof t !== 'object' || t === null || t.format !== 'nvfp4') throw bad("format must be 'nvfp4'", describe(t?.format));
  if (!Array.isArray(t.shape) || t.shape.length === 0 || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw bad('shape must be a non-empty array of non-negative integers', describe(t.shape));
  if (!Number.isInteger(t.axis) || t.axis < 0 || t.axis >= t.shape.length) throw bad('axis out of range', t.axis);
  if (t.blockSize !== K) throw bad('blockSize must be 16', t.blockSize);
  if (t.tensorScale !== null && !(typeof t.tensorScale === 'number' && t.tensorScale > 0 && Number.isFinite(t.tensorScale)))
    throw bad('tensorScale must be null or a finite number > 0', t.tensorScale);
  const g = layoutOf(t.shape, t.axis, K);
  if (!(t.blockScales instanceof Uint8Array) || t.blockScales.length !== g.rows * g.nBlocks)
    throw bad(`blockScales must be a Uint8Array of ${g.rows * g.nBlocks} bytes`, describe(t.blockScales));
  for (let i = 0; i < t.blockScales.length; i++)
    if (t.blockScales[i] & 0x80 || t.blockScales[i] < 0x08)
      throw bad('block scales must be positive E4M3 codes in [2^-6, 448] or 0x7F', `blockScales[${i}] = ${t.blockScales[i]}`);
  if (!(t.data instanceof Uint8Array) || t.data.length !== fp4Bytes(g.rows * g.nBlocks * K))
    throw bad(`data must be a Uint8Array of ${fp4Bytes(g.rows * g.nBlocks * K)} bytes`, describe(t.data));
}

/**
 * Dequantizes an NVFP4Tensor to a host Float32Array in its original shape: value(code)·s_b·s_t rounded once to
 * float32; a 0x7F block scale makes the block NaN.
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not valid.
 * @example
 * ```ts
 * import { quantizeNVFP4Array, dequantizeNVFP4Array } from '@tessera/mx-formats';
 * dequantizeNVFP4Array(quantizeNVFP4Array(new Float32Array([6, 3, -1.5, 0.25]), [4])); // [6, 3, -1.5, 0]
 * ```
 */
export function dequantizeNVFP4Array(t: NVFP4Tensor): Float32Array {
  validateNVFP4(t);
  const g = layoutOf(t.shape, t.axis, K);
  if (g.numel === 0) return new Float32Array(0);
  const st = t.tensorScale ?? 1;
  const out = new Float32Array(g.numel);
  nvfp4DequantizeRows(t.data, t.blockScales, g.rows, g.L, st, out);
  return moveAxisBack(out, g);
}

/**
 * Dequantizes an NVFP4Tensor to a new float32 tensor (owned by the caller).
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not valid.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { quantizeNVFP4, dequantizeNVFP4 } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.randomNormal([4, 64]);
 * const y = dequantizeNVFP4(quantizeNVFP4(x, { tensorScale: 'auto' }));
 * tf.dispose([x, y]);
 * ```
 */
export function dequantizeNVFP4(t: NVFP4Tensor): tf.Tensor {
  return tf.tensor(dequantizeNVFP4Array(t), [...t.shape], 'float32');
}

/** What an accelerator of `'fakeQuantizeNVFP4'` receives (see `registerAccelerator` of @tessera/core). @internal */
export type FakeQuantizeNVFP4Accelerator = (x: tf.Tensor, options: NVFP4Options) => tf.Tensor | undefined;

/**
 * NVFP4 fake quantization with a straight-through gradient: forward = dequantizeNVFP4(quantizeNVFP4(x, o)),
 * backward = identity. An accelerator registered for the active backend through
 * `registerAccelerator('fakeQuantizeNVFP4', backend, impl)` of @tessera/core runs first (`impl(x, options)` with the
 * options as given, e.g. the WGSL kernel of `@tessera/webgpu` after `registerWebGPUKernels()`; `undefined` declines);
 * otherwise the host kernel runs (read with `dataSync`).
 *
 * @throws TesseraError as {@link quantizeNVFP4}; `UNSUPPORTED` where the host kernel must run on a backend that
 * cannot read synchronously (webgpu in Node without a registered accelerator).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { fakeQuantizeNVFP4 } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.randomNormal([2, 32]);
 * const y = fakeQuantizeNVFP4(x, { tensorScale: 'auto' });
 * tf.dispose([x, y]);
 * ```
 */
export function fakeQuantizeNVFP4(x: tf.Tensor, options: NVFP4Options = {}): tf.Tensor {
  const fn = 'fakeQuantizeNVFP4';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const o = resolve(x, options, fn);
  if (x.size > 0) {
    const r = accelerator<FakeQuantizeNVFP4Accelerator>(fn)?.(x, options);
    if (r !== undefined) return r;
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor;
    if (xx.size === 0) return { value: tf.tensor(new Float32Array(0), xx.shape, 'float32'), gradFunc: (dy: tf.Tensor) => dy };
    const values = readSync(xx, fn, "'x'", 'register the @tessera/webgpu kernels (registerWebGPUKernels())');
    const t = quantizeNVFP4Host(values as Float32Array, xx.shape, o);
    return { value: tf.tensor(dequantizeNVFP4Array(t), xx.shape, 'float32'), gradFunc: (dy: tf.Tensor) => dy };
  });
  return f(x) as tf.Tensor;
}
