import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, checkOneOf, checkOptions, checkTensor, TesseraError } from '@tessera/core';
import { decompress24 } from './compress.js';
import { hostValues, SPMM_ALTERNATIVE } from './host-values.js';
import { spmmHostUnchecked, spmmTHostUnchecked, transposeHostUnchecked } from './kernels/index.js';
import { kernelForm, type Sparse24Tensor, validateSparse24 } from './sparse24-tensor.js';

/** Options of {@link spmm24} / {@link spmm24T} / {@link sparseLinear}. */
export interface Spmm24Options {
  /**
   * `'host'` (the default where tensors can be read synchronously): the typed-array kernel that visits only the kept
   * entries (half the multiply-adds of the dense product). `'tfjs'`: decompress, then `tf.matMul` on the active
   * backend (any backend, GPU included; it does the full dense multiply-adds, as no tfjs backend has 2:4 kernels);
   * the default where tensors cannot be read synchronously (webgpu in Node, see `canReadSync` of @tessera/core).
   */
  kernel?: 'host' | 'tfjs';
}

/** `'host'` where tensors can be read synchronously, else `'tfjs'` (the device path). */
function defaultKernel(): 'host' | 'tfjs' {
  return canReadSync() ? 'host' : 'tfjs';
}

function isSparse(x: unknown): x is Sparse24Tensor {
  return typeof x === 'object' && x !== null && 'meta' in x && 'values' in x && 'layout' in x;
}

/**
 * Frozen tensors (every one compress24 and the loaders make) already validated: their fields cannot change, and the
 * kernel form cached for them (built from the validated metadata) keeps every column in its group whatever happens to
 * the arrays' contents later, so the O(m·k) metadata scan runs once per tensor, not once per product.
 */
const VALIDATED = new WeakSet<Sparse24Tensor>();

function checkSparse(fn: string, a: unknown): Sparse24Tensor {
  if (!isSparse(a)) throw new TesseraError('INVALID_ARGUMENT', fn, 'a must be a Sparse24Tensor (see compress24)', a);
  if (VALIDATED.has(a)) return a;
  validateSparse24(a, fn);
  if (Object.isFrozen(a)) VALIDATED.add(a);
  return a;
}

function checkDense(fn: string, name: string, b: unknown): tf.Tensor {
  if (isSparse(b))
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      `${name} must be dense: sparse @ sparse is not supported (as in PyTorch)`,
      'a Sparse24Tensor',
    );
  return checkTensor(b, fn, name, { dtype: 'float32', rank: 2 });
}

/**
 * 2:4-sparse × dense matrix product `decompress(a) · b`. `a` is `[m, k]` (any layout and value dtype;
 * float16 values are decoded exactly, int8 values used as integers), `b` float32 `[k, n]`; returns float32
 * `[m, n]` (caller owns it). The host kernel (`@tessera/kernels`' `spmm24`) computes `out[r,:] += v·b[col,:]` over
 * the kept entries only, summed in float32 by the WebAssembly SIMD kernel (in float64 by its JavaScript twin under
 * `TESSERA_KERNELS=js`), within float32 tolerance of a float64 reference. The decoded operand is kept in kernel memory
 * once per tensor, so later products read it in place.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (not a Sparse24Tensor / bad option), `INVALID_FORMAT`, `INVALID_DTYPE`,
 * `INVALID_SHAPE` (`b` not `[k, n]`), `UNSUPPORTED` (`b` sparse).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, spmm24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const a = tf.tensor2d([[1, 0, 0, 2], [0, 3, 4, 0]]);
 * const b = tf.ones([4, 3]);
 * const y = spmm24(compress24(a), b); // [[3, 3, 3], [7, 7, 7]]
 * tf.dispose([a, b, y]);
 * ```
 */
export function spmm24(a: Sparse24Tensor, b: tf.Tensor, options: Spmm24Options = {}): tf.Tensor {
  const fn = 'spmm24';
  const s = checkSparse(fn, a);
  const bt = checkDense(fn, 'b', b);
  const kernel = checkOneOf(checkOptions<Spmm24Options>(options, fn).kernel ?? defaultKernel(), fn, 'options.kernel', [
    'host',
    'tfjs',
  ] as const);
  const [m, k] = s.shape;
  if (bt.shape[0] !== k)
    throw new TesseraError('INVALID_SHAPE', fn, `b must have ${k} rows (a is [${m}, ${k}])`, `shape [${bt.shape.join(', ')}]`);
  const n = bt.shape[1] as number;
  if (kernel === 'tfjs') {
    return tf.tidy(() => {
      const dense = decompress24(s);
      return tf.matMul(dense.dtype === 'float32' ? dense : tf.cast(dense, 'float32'), bt);
    });
  }
  const form = kernelForm(s);
  const out = spmmHostUnchecked(form.values, form.cols, m, k, hostValues(bt, fn, "'b'", SPMM_ALTERNATIVE) as Float32Array, n);
  return tf.tensor(out, [m, n], 'float32');
}

/**
 * Transposed product `decompress(a)ᵀ · b` for `a` `[m, k]` and `b` float32 `[m, n]` → `[k, n]` (
 * the form the backward GEMMs contracting over tokens use). The host kernel visits only the kept entries.
 *
 * @throws TesseraError as {@link spmm24} (`b` must have `m` rows).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, spmm24T } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const a = tf.tensor2d([[1, 0, 0, 2]]);
 * const b = tf.tensor2d([[5]]);
 * const y = spmm24T(compress24(a), b); // [[5], [0], [0], [10]]
 * tf.dispose([a, b, y]);
 * ```
 */
export function spmm24T(a: Sparse24Tensor, b: tf.Tensor, options: Spmm24Options = {}): tf.Tensor {
  const fn = 'spmm24T';
  const s = checkSparse(fn, a);
  const bt = checkDense(fn, 'b', b);
  const kernel = checkOneOf(checkOptions<Spmm24Options>(options, fn).kernel ?? defaultKernel(), fn, 'options.kernel', [
    'host',
    'tfjs',
  ] as const);
  const [m, k] = s.shape;
  if (bt.shape[0] !== m)
    throw new TesseraError('INVALID_SHAPE', fn, `b must have ${m} rows (a is [${m}, ${k}])`, `shape [${bt.shape.join(', ')}]`);
  const n = bt.shape[1] as number;
  if (kernel === 'tfjs') {
    return tf.tidy(() => {
      const dense = decompress24(s);
      return tf.matMul(dense.dtype === 'float32' ? dense : tf.cast(dense, 'float32'), bt, true, false);
    });
  }
  const form = kernelForm(s);
  const out = spmmTHostUnchecked(form.values, form.cols, m, k, hostValues(bt, fn, "'b'", SPMM_ALTERNATIVE) as Float32Array, n);
  return tf.tensor(out, [k, n], 'float32');
}

/**
 * Linear layer with a 2:4-sparse weight: `x · decompress(w)ᵀ + bias` (PyTorch `Linear` convention: `w` is
 * `[out, in]` with groups of 4 along `in`). `x` float32 `[t, in]`, optional `bias` float32 `[out]`;
 * returns `[t, out]`. The host kernel computes `(w · xᵀ)ᵀ`, visiting only the kept weights.
 *
 * @throws TesseraError as {@link spmm24}; `INVALID_SHAPE` when `x` or `bias` do not match `w`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, sparseLinear } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const w = tf.tensor2d([[1, 0, 0, 2], [0, 3, 4, 0]]);   // [out=2, in=4]
 * const x = tf.ones([5, 4]);
 * const y = sparseLinear(x, compress24(w));            // [5, 2], rows [3, 7]
 * tf.dispose([w, x, y]);
 * ```
 */
export function sparseLinear(x: tf.Tensor, w: Sparse24Tensor, bias?: tf.Tensor, options: Spmm24Options = {}): tf.Tensor {
  const fn = 'sparseLinear';
  const s = checkSparse(fn, w);
  const xt = checkDense(fn, 'x', x);
  const kernel = checkOneOf(checkOptions<Spmm24Options>(options, fn).kernel ?? defaultKernel(), fn, 'options.kernel', [
    'host',
    'tfjs',
  ] as const);
  const [out, inF] = s.shape;
  if (xt.shape[1] !== inF)
    throw new TesseraError('INVALID_SHAPE', fn, `x must have ${inF} columns (w is [${out}, ${inF}])`, `shape [${xt.shape.join(', ')}]`);
  if (bias !== undefined) {
    checkTensor(bias, fn, 'bias', { dtype: 'float32', rank: 1 });
    if (bias.shape[0] !== out) throw new TesseraError('INVALID_SHAPE', fn, `bias must be [${out}]`, `shape [${bias.shape.join(', ')}]`);
  }
  const t = xt.shape[0];
  if (kernel === 'tfjs') {
    return tf.tidy(() => {
      const dense = decompress24(s);
      const y = tf.matMul(xt, dense.dtype === 'float32' ? dense : tf.cast(dense, 'float32'), false, true);
      return bias ? tf.add(y, bias) : y;
    });
  }
  const form = kernelForm(s);
  const xT = transposeHostUnchecked(hostValues(xt, fn, "'x'", SPMM_ALTERNATIVE) as Float32Array, t, inF);
  const yT = spmmHostUnchecked(form.values, form.cols, out, inF, xT, t);
  const y = transposeHostUnchecked(yT, out, t);
  if (bias) {
    const bd = hostValues(bias, fn, "'bias'", SPMM_ALTERNATIVE) as Float32Array;
    for (let r = 0; r < t; r++) for (let c = 0; c < out; c++) y[r * out + c] += bd[c];
  }
  return tf.tensor(y, [t, out], 'float32');
}
