import type * as tf from '@tensorflow/tfjs-core';
import { checkTensor } from '@tessera/core';
import { fail } from './errors.js';
import { completeCumsum, type IntArrayLike, readInt32, resolveLengthsOffsets } from './int-array.js';
import { bagRows, gatherRows } from './rows.js';

/**
 * FBGEMM `jagged_index_select`: output bag m = input bag `indices[m]` of the jagged `values`
 * (`[nnz]` or `[nnz, D]`) with `lengths`. This is the IKJT expansion op for sequence (unpooled) data. Differentiable
 * for float values: the backward scatter-adds each output row into its input row.
 *
 * @returns fresh `values` (caller-owned) and host `lengths`
 * @throws TesseraError `INDEX_OUT_OF_RANGE` (an index outside [0, B)), `INVALID_FORMAT` (lengths negative or not
 * summing to the rows of values), `INVALID_DTYPE`/`INVALID_SHAPE` (values).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { jaggedIndexSelect } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const v = tf.tensor1d([1, 2, 3], 'int32');
 * const out = jaggedIndexSelect(v, [2, 1], [1, 1, 0]); // values [3, 3, 1, 2], lengths [1, 1, 2]
 * tf.dispose([v, out.values]);
 * ```
 */
export function jaggedIndexSelect(
  values: tf.Tensor,
  lengths: IntArrayLike,
  indices: IntArrayLike,
): { values: tf.Tensor; lengths: Int32Array } {
  const fn = 'jaggedIndexSelect';
  const v = checkTensor(values, fn, 'values', { dtype: ['int32', 'float32'], rank: [1, 2] });
  const { lengths: l, offsets } = resolveLengthsOffsets(fn, lengths, undefined, { r1: 'J1', r2: 'J2', r3: 'J3' });
  if (offsets[l.length] !== v.shape[0])
    fail('INVALID_FORMAT', fn, 'sum(lengths) must equal values.shape[0]', `${offsets[l.length]} vs ${v.shape[0]}`, 'J4');
  const idx = readInt32(indices, fn, 'indices');
  for (let m = 0; m < idx.length; m++) {
    if (idx[m] < 0 || idx[m] >= l.length)
      fail('INDEX_OUT_OF_RANGE', fn, `indices must be in [0, ${l.length})`, `indices[${m}] = ${idx[m]}`);
  }
  const outLengths = new Int32Array(idx.length);
  for (let m = 0; m < idx.length; m++) outLengths[m] = l[idx[m]];
  return { values: gatherRows(v, bagRows(offsets, idx)), lengths: outLengths };
}

/**
 * FBGEMM-style jagged helpers under one namespace.
 * @example
 * ```ts
 * import { ops } from '@tessera/jagged-tensors';
 * ops.completeCumsum(Int32Array.from([1, 2])); // → Int32Array [0, 1, 3]
 * ```
 */
export const ops = Object.freeze({ completeCumsum, jaggedIndexSelect });
