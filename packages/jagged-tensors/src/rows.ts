// Row-level tensor helpers shared by the jagged types. Values are `[nnz]` or `[nnz, D]`; every helper returns a
// fresh tensor and disposes its temporaries (tf.tidy). Index math happens on the host; only one gather or a
// handful of slices reach the backend, never one op per bag.
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, readSync } from '@tessera/core';
import { deviceGatherRows, tryReadSync } from './device.js';

/** A tensor with 0 rows and the same dtype and trailing dims as `x`. @internal */
export function emptyRows(x: tf.Tensor): tf.Tensor {
  return tf.zeros([0, ...x.shape.slice(1)], x.dtype);
}

/** Concatenation of the row ranges `[start, end)` of `x`, in order. @internal */
export function takeRanges(x: tf.Tensor, ranges: ReadonlyArray<readonly [number, number]>): tf.Tensor {
  const nonEmpty = ranges.filter(([s, e]) => e > s);
  if (nonEmpty.length === 0) return emptyRows(x);
  // tfjs-backend-cpu's slice fails on zero-size inputs (e.g. [n, 0]): build them directly.
  if (x.size === 0) return tf.zeros([nonEmpty.reduce((a, [s, e]) => a + e - s, 0), ...x.shape.slice(1)], x.dtype);
  return tf.tidy(() => {
    const parts = nonEmpty.map(([s, e]) => (s === 0 && e === x.shape[0] ? tf.clone(x) : tf.slice(x, s, e - s)));
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
}

/**
 * Rows `x[rows[i]]`. Float tensors go through `tf.gather` (differentiable: its gradient scatter-adds); int32 ids are
 * not differentiable, so they are gathered on the host, several times faster than the cpu backend's gather.
 * @internal
 */
export function gatherRows(x: tf.Tensor, rows: Int32Array): tf.Tensor {
  // Float gathers stay connected to x even when empty, so that gradients (zeros) exist.
  if (rows.length === 0 && x.dtype === 'int32') return emptyRows(x);
  // a backend that cannot read synchronously (webgpu in Node): one tfjs gather on the device (for floats always,
  // since their gradient arrives on the device too; int32 values that are still on the host are gathered there)
  if (!canReadSync()) {
    const src = x.dtype === 'int32' ? (tryReadSync(x, 'gatherRows', 'values') as Int32Array | null) : null;
    if (src === null) return deviceGatherRows(x, rows);
  }
  if (x.dtype === 'int32') {
    const w = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const src = readSync(x, 'gatherRows', 'values') as Int32Array;
    const out = new Int32Array(rows.length * w);
    if (w === 1) for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
    else for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * w, rows[i] * w + w), i * w);
    return tf.tensor(out, [rows.length, ...x.shape.slice(1)], 'int32');
  }
  return hostGatherOp(x, rows);
}

/**
 * Differentiable host gather of float rows: forward copies rows, backward scatter-adds the output gradient into a
 * zero `[n, …]` tensor (FBGEMM `jagged_index_select` backward). Replaces `tf.gather`, whose gradient on the cpu
 * backend is an unsortedSegmentSum that loops over every segment.
 */
function hostGatherOp(x: tf.Tensor, rows: Int32Array): tf.Tensor {
  const trailing = x.shape.slice(1);
  const w = trailing.reduce((a, b) => a * b, 1);
  const n = x.shape[0];
  const op = tf.customGrad(((t: tf.Tensor) => {
    const src = readSync(t, 'gatherRows', 'values') as Float32Array;
    const out = new Float32Array(rows.length * w);
    if (w === 1) for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
    else for (let i = 0; i < rows.length; i++) out.set(src.subarray(rows[i] * w, rows[i] * w + w), i * w);
    return {
      value: tf.tensor(out, [rows.length, ...trailing], 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const g = readSync(dy, 'gatherRows', 'the output gradient') as Float32Array;
        const dx = new Float32Array(n * w);
        for (let i = 0; i < rows.length; i++) {
          const o = rows[i] * w;
          const q = i * w;
          for (let d = 0; d < w; d++) dx[o + d] += g[q + d];
        }
        return tf.tensor(dx, x.shape, 'float32');
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}

/** Host row indices of the bags `bagIdx` given bag offsets. @internal */
export function bagRows(offsets: Int32Array, bagIdx: ArrayLike<number>): Int32Array {
  let n = 0;
  for (let i = 0; i < bagIdx.length; i++) n += offsets[bagIdx[i] + 1] - offsets[bagIdx[i]];
  const out = new Int32Array(n);
  let p = 0;
  for (let i = 0; i < bagIdx.length; i++) {
    const b = bagIdx[i];
    for (let r = offsets[b]; r < offsets[b + 1]; r++) out[p++] = r;
  }
  return out;
}

/**
 * Int32 rows of the bags `bagIdx` (each bag the row range `[offsets[b], offsets[b+1])` of `x`), concatenated in
 * order: `gatherRows(x, bagRows(offsets, bagIdx))` without the row list, each bag one range copy. @internal
 */
export function gatherBagRowsInt32(x: tf.Tensor, offsets: Int32Array, bagIdx: ArrayLike<number>): tf.Tensor {
  const w = x.shape.slice(1).reduce((a, b) => a * b, 1);
  let n = 0;
  for (let i = 0; i < bagIdx.length; i++) n += offsets[bagIdx[i] + 1] - offsets[bagIdx[i]];
  if (n === 0) return emptyRows(x);
  const src = tryReadSync(x, 'gatherBagRows', 'values') as Int32Array | null;
  if (src === null) return deviceGatherRows(x, bagRows(offsets, bagIdx)); // values only a GPU holds
  const out = new Int32Array(n * w);
  // bags that follow each other in x (consecutive kept bags) merge into one range; long ranges are one memcpy
  // (TypedArray.set of a subarray), short ones are copied element by element
  let p = 0;
  let rs = 0;
  let re = 0;
  const flush = () => {
    if (re - rs >= 32) out.set(src.subarray(rs, re), p);
    else for (let j = rs; j < re; j++) out[p + j - rs] = src[j];
    p += re - rs;
  };
  for (let i = 0; i < bagIdx.length; i++) {
    const s = offsets[bagIdx[i]] * w;
    const e = offsets[bagIdx[i] + 1] * w;
    if (s !== re) {
      flush();
      rs = s;
    }
    re = e;
  }
  flush();
  return tf.tensor(out, [n, ...x.shape.slice(1)], 'int32');
}

/**
 * Element bit patterns of an int32/float32 tensor's data, as an Int32Array view (no copy); `fn`, `what` and
 * `alternative` name the caller in the error where the backend cannot read `x` synchronously. @internal
 */
export function bitsOf(x: tf.Tensor, fn: string, what: string, alternative: string): Int32Array {
  const d = readSync(x, fn, what, alternative) as Int32Array | Float32Array;
  return new Int32Array(d.buffer, d.byteOffset, d.length);
}
