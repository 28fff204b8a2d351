import * as tf from '@tensorflow/tfjs-core';
import { accelerator, axisLayout, checkTensor, moveAxisBack, moveAxisLast, readSync, TesseraError } from '@tessera/core';
import { type BDRFormat, checkFormat } from './format.js';
import { fakeQuantizeRows } from './kernels/bdr-kernel.js';
import { type BDROptions, type ResolvedBDROptions, resolveBDROptions } from './options.js';

/** Fake quantization of host values with resolved options (row-major, `shape`). @internal */
export function fakeQuantizeResolved(values: Float32Array, shape: readonly number[], f: BDRFormat, o: ResolvedBDROptions): Float32Array {
  const g = axisLayout(shape, o.axis);
  if (g.numel === 0) return new Float32Array(0); // no elements: answer at once (the other axes may be huge)
  const moved = moveAxisLast(values, g);
  const out = new Float32Array(g.numel);
  if (g.inner === 1) {
    fakeQuantizeRows(moved, g.rows, g.L, f, o, out);
    return out;
  }
  const tmp = new Float32Array(g.numel);
  fakeQuantizeRows(moved, g.rows, g.L, f, o, tmp);
  return moveAxisBack(tmp, g, out);
}

/** What an accelerator of `'fakeQuantizeBDR'` receives (see `registerAccelerator` of @tessera/core). @internal */
export type FakeQuantizeBDRAccelerator = (x: tf.Tensor, format: BDRFormat, options: BDROptions | undefined) => tf.Tensor | undefined;

/**
 * Fake BDR quantization for quantization-aware training: the forward value is the quantize→dequantize value
 * (bit for bit `dequantizeBDR(quantizeBDR(x, f, o))` for finite x with `clamp: 'field'`), the gradient is the
 * identity (straight-through estimator via `tf.customGrad`). An accelerator registered for the active backend through
 * `registerAccelerator('fakeQuantizeBDR', backend, impl)` of @tessera/core runs first (`impl(x, format, options)` with
 * the arguments as given, e.g. the WGSL kernel of `@tessera/webgpu` after `registerWebGPUKernels()`; `undefined`
 * declines). Otherwise the forward runs on the host (`dataSync`, the exact kernel, upload), which works on every tfjs
 * backend that can read synchronously (not webgpu in Node: there it throws `UNSUPPORTED`). Non-finite inputs follow AMD Quark's
 * `fake_quantize_mx6_mx9`: they are left out of the block and sub-block maxima, NaN stays NaN, ±Inf becomes ± the
 * largest magnitude of its sub-block's grid. `clamp: 'quark'` reproduces Quark's bound (a shifted sub-block may
 * reach 2^m; an Inf in a shifted sub-block becomes (2^(m+1) − 1)·2^p).
 *
 * @throws TesseraError `INVALID_DTYPE` when x is not float32; `INVALID_ARGUMENT` for an invalid format or option;
 * `INVALID_SHAPE` for a scalar, or a partial block with `padding: 'error'`; `UNSUPPORTED` where the host kernel must
 * run on a backend that cannot read synchronously (webgpu in Node without a registered accelerator).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { BDR_MX6, fakeQuantizeBDR } from '@tessera/bdr-formats';
 * await initBackend();
 * const w = tf.variable(tf.tensor2d([[1, 0.3, -2, 0.01]]));
 * const y = fakeQuantizeBDR(w, BDR_MX6);           // [[1, 0.25, -2, 0]]
 * const g = tf.grad((v: tf.Tensor) => tf.sum(fakeQuantizeBDR(v, BDR_MX6)))(w); // all ones (STE)
 * tf.dispose([w, y, g]);
 * ```
 */
export function fakeQuantizeBDR(x: tf.Tensor, f: BDRFormat, options?: BDROptions): tf.Tensor {
  const fn = 'fakeQuantizeBDR';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const fmt = checkFormat(f, fn);
  const o = resolveBDROptions(options, x.rank, fn);
  if (o.padding === 'error' && x.shape[o.axis] % fmt.k1 !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${o.axis}] must be a multiple of k1 = ${fmt.k1} with padding 'error'`,
      `shape [${x.shape.join(', ')}]`,
    );
  if (x.size > 0) {
    const r = accelerator<FakeQuantizeBDRAccelerator>(fn)?.(x, f, options);
    if (r !== undefined) return r;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor;
    // no elements: no read and no kernel (tfjs-backend-webgpu cannot upload an empty input)
    const host =
      t.size === 0 ? new Float32Array(0) : readSync(t, fn, "'x'", 'register the @tessera/webgpu kernels (registerWebGPUKernels())');
    const v = fakeQuantizeResolved(host as Float32Array, t.shape, fmt, o);
    return { value: tf.tensor(v, t.shape, 'float32'), gradFunc: (dy: tf.Tensor) => dy };
  });
  return op(x) as tf.Tensor;
}
