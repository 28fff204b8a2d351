import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkOptions, checkTensor, TesseraError } from '@tessera/core';
import { mask24Compress } from '@tessera/kernels';
import { hostValues, READ_ASYNC_ALTERNATIVE } from './host-values.js';

/** How entries are ranked when a mask is chosen: by `|x|` (`'magnitude'`) or by `x` itself (`'value'`). */
export type MaskRanking = 'magnitude' | 'value';

/** Options of {@link mask24}. */
export interface Mask24Options {
  /** Ranking key; default `'magnitude'` (PyTorch / torchao magnitude pruning). NaN always ranks as −∞. */
  by?: MaskRanking;
}

/**
 * Host kernel of {@link mask24}: for every aligned group of 4 in `x` (`x.length % 4 == 0`), writes 1 at the two
 * entries with the largest key and 0 elsewhere. Ties go to the lower index (a stable descending sort), so −0 ties
 * +0; NaN ranks as −∞. Runs the 2:4 mask kernel of `@tessera/kernels` (WebAssembly SIMD by default, its JavaScript
 * twin under `TESSERA_KERNELS=js`), which ranks float32 values: an `x` that is not a Float32Array is converted first.
 * `out` may be a `Uint8Array` or `Float32Array` of `x.length`. Unchecked: the caller guarantees the lengths.
 *
 * @example
 * ```ts
 * import { mask24HostUnchecked } from '@tessera/sparse-24';
 * const m = mask24HostUnchecked(new Float32Array([1, -3, 2, 0]), 'magnitude', new Uint8Array(4)); // [0, 1, 1, 0]
 * ```
 */
export function mask24HostUnchecked<T extends Uint8Array | Float32Array>(x: ArrayLike<number>, by: MaskRanking, out: T): T {
  const n = x.length;
  if (n === 0) return out;
  const xf = x instanceof Float32Array ? x : Float32Array.from(x);
  const mask = out instanceof Uint8Array ? out : new Uint8Array(n);
  mask24Compress(xf, n / 4, 4, by, mask, null, null);
  if (mask !== (out as Uint8Array)) (out as Float32Array).set(mask);
  return out;
}

/**
 * Row 2:4 mask: along the last (reduction) axis, keeps the 2 largest entries of every aligned group
 * of 4 and zeroes the other 2. Returns a float32 0/1 tensor of `x`'s shape (the caller owns it). Ranking is by
 * `|x|` (default) or by `x`; ties go to the lower index and −0 ties +0; NaN ranks as −∞. The result equals
 * PyTorch's `torch.sort(|x| per group, descending=True, stable=True)[:2]` masks bit for bit.
 *
 * @param x - float32 tensor of rank ≥ 1 whose last dimension is a multiple of 4
 * @throws TesseraError `INVALID_ARGUMENT` (not a tensor / bad option), `INVALID_DTYPE` (not float32),
 * `INVALID_SHAPE` (rank 0 or last dimension not a multiple of 4).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { mask24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[0.5, -3, 2, 1, 1, 1, 1, 1]]);
 * const m = mask24(x); // [[0, 1, 1, 0, 1, 1, 0, 0]]
 * tf.dispose([x, m]);
 * ```
 */
export function mask24(x: tf.Tensor, options: Mask24Options = {}): tf.Tensor {
  const fn = 'mask24';
  checkTensor(x, fn, 'x', { dtype: 'float32', rank: [1, 8] });
  const by = checkOneOf(checkOptions<Mask24Options>(options, fn).by ?? 'magnitude', fn, 'options.by', ['magnitude', 'value'] as const);
  const k = x.shape[x.rank - 1];
  if (k % 4 !== 0) {
    throw new TesseraError('INVALID_SHAPE', fn, 'the last dimension of x must be a multiple of 4', `shape [${x.shape.join(', ')}]`, {
      rule: '1.1',
    });
  }
  const data = hostValues(x, fn, "'x'", READ_ASYNC_ALTERNATIVE) as Float32Array;
  return tf.tensor(mask24HostUnchecked(data, by, new Float32Array(data.length)), x.shape, 'float32');
}

/**
 * Whether `x` is 2:4 sparse along its last axis: every aligned group of 4 holds at most 2 non-zeros (`x != 0`, so
 * −0 counts as zero and NaN as non-zero). A last dimension that is not a multiple of 4 gives `false`.
 *
 * @param x - a tensor (any numeric dtype), or a flat Float32Array / Int32Array read as consecutive groups of 4
 * @throws TesseraError `INVALID_ARGUMENT` when `x` is neither a tensor nor a typed array.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { isSparse24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 0, 2, 0, 0, 3, 0]]);
 * isSparse24(x); // true
 * x.dispose();
 * ```
 */
export function isSparse24(x: tf.Tensor | Float32Array | Int32Array): boolean {
  const fn = 'isSparse24';
  let data: ArrayLike<number>;
  let k: number;
  if (x instanceof Float32Array || x instanceof Int32Array) {
    data = x;
    k = x.length;
  } else {
    checkTensor(x, fn, 'x', { rank: [1, 8] });
    if (x.dtype === 'string' || x.dtype === 'complex64') throw new TesseraError('INVALID_DTYPE', fn, 'x must be numeric', x.dtype);
    k = x.shape[x.rank - 1];
    if (k % 4 !== 0) return false;
    data = hostValues(x, fn, "'x'", 'pass a Float32Array read with await x.data()') as Float32Array;
  }
  if (k % 4 !== 0) return false;
  for (let g = 0; g < data.length; g += 4) {
    const n = (data[g] !== 0 ? 1 : 0) + (data[g + 1] !== 0 ? 1 : 0) + (data[g + 2] !== 0 ? 1 : 0) + (data[g + 3] !== 0 ? 1 : 0);
    if (n > 2) return false;
  }
  return true;
}
