// Device paths: the pooled lookup and row gathers as tfjs ops, for backends that cannot read a tensor synchronously
// (tfjs-backend-webgpu in Node: its dataSync() needs an OffscreenCanvas). The host kernels of pooling.ts start with a
// dataSync() of the ids and of the table; here nothing is read back: the ids stay on the device, and only the
// integer structure a JaggedTensor already holds on the host (offsets, lengths, inverse indices) is uploaded.
//
// Pooled lookup as tfjs ops (the route of PyTorch's `embedding_bag` decomposition, pytorch/pytorch
// torch/_decomp/decompositions.py `_embedding_bag`): rows = gather(T, ids) (· weights), pooled =
// segment sum of the rows by bag (tf.scatterND) (÷ bag lengths for mean), expanded by the inverse index (a gather) over an
// IKJT. The backward is written out (one tf.customGrad over all tables) instead of tfjs's gather gradient, so that
// empty features, empty batches and ids that cannot be checked on the host are handled without any op over a size-0
// input: tfjs-backend-webgpu asks Dawn for a buffer of an invalid size for those (`tf.sum`/`scatterND` over a tensor
// with a zero dimension), where cpu and wasm return zeros.
import * as tf from '@tensorflow/tfjs-core';
import { readSync, TesseraError } from '@tessera/core';
import type { PoolingMode } from './pooling.js';

/** The way out to append to readSync's error where the caller can make a device tensor readable first. @internal */
export function awaitData(what: string): string {
  return `await ${what}.data() first (webgpu then keeps a host copy that reads synchronously)`;
}

/**
 * `readSync(t, fn, what)` of core, or `null` where the backend cannot read `t` synchronously (its values are on the
 * GPU and the runtime has no OffscreenCanvas). @internal
 */
export function tryReadSync(t: tf.Tensor, fn: string, what: string): tf.TypedArray | null {
  try {
    return readSync(t, fn, what);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'UNSUPPORTED') return null;
    throw e;
  }
}

/** One feature of a device pooled op: its table, ids and bags. @internal */
export interface DeviceFeature {
  table: number;
  /** int32 `[nnz]` ids of the whole input (the feature's ids are rows `offsets[0] .. offsets[U]`). */
  ids: tf.Tensor;
  /** float32 `[nnz]` per-id weights of the whole input, or null. */
  weights: tf.Tensor | null;
  /** Absolute row offsets of the feature's U bags, length U + 1. */
  offsets: Int32Array;
  mode: PoolingMode;
  /** Output row b = pooled bag `inverse[b]`; null = one output row per bag. */
  inverse: Int32Array | null;
  /** True when every id was checked against [0, R) on the host; otherwise ids outside it contribute nothing. */
  checked: boolean;
}

/**
 * Forward of one feature over its own table, `[U, D]` (one row per stored bag), or undefined to use the tfjs-op
 * forward (an accelerator that declines). Called with the feature's ids and weights as `[n]` tensors and its offsets
 * rebased to start at 0. @internal
 */
export type FeatureForward = (
  table: tf.Tensor2D,
  f: DeviceFeature,
  ids: tf.Tensor1D,
  weights: tf.Tensor1D | null,
  offsets: Int32Array,
) => tf.Tensor2D | undefined;

interface Plan {
  U: number;
  a: number;
  n: number;
  rows: number;
  /** Stored bag of each of the n ids. */
  bag: Int32Array;
  /** max(length, 1) of each stored bag (mean only). */
  lengths: Float32Array | null;
}

function planOf(f: DeviceFeature): Plan {
  const U = f.offsets.length - 1;
  const a = f.offsets[0];
  const n = f.offsets[U] - a;
  const bag = new Int32Array(n);
  for (let u = 0; u < U; u++) bag.fill(u, f.offsets[u] - a, f.offsets[u + 1] - a);
  let lengths: Float32Array | null = null;
  if (f.mode === 'mean') {
    lengths = new Float32Array(U);
    for (let u = 0; u < U; u++) lengths[u] = Math.max(1, f.offsets[u + 1] - f.offsets[u]);
  }
  return { U, a, n, rows: f.inverse ? f.inverse.length : U, bag, lengths };
}

/**
 * Σ of the rows of `x` (`[n, D]`) by segment: `[numSegments, D]` (n > 0). tf.scatterND, which accumulates duplicate
 * indices, rather than tf.unsortedSegmentSum, which tfjs-backend-wasm does not register (the cpu backend adds the
 * updates in order, webgpu atomically).
 */
function segmentSum(x: tf.Tensor, seg: tf.Tensor | Int32Array, numSegments: number): tf.Tensor2D {
  const idx = seg instanceof Int32Array ? tf.tensor2d(seg, [seg.length, 1], 'int32') : tf.reshape(seg, [-1, 1]);
  return tf.scatterND(idx, x, [numSegments, x.shape[1] as number]) as tf.Tensor2D;
}

/** Rows a .. a+n of a 1-D tensor (the tensor itself when that is all of it). */
function rangeOf(t: tf.Tensor, a: number, n: number): tf.Tensor1D {
  return (a === 0 && n === t.shape[0] ? t : tf.slice(t, a, n)) as tf.Tensor1D;
}

/** The feature's ids, clamped into [0, R) where they were not checked on the host, and a 0/1 mask of the valid ones. */
function idsOf(f: DeviceFeature, p: Plan, R: number): { ids: tf.Tensor1D; valid: tf.Tensor2D | null } {
  const ids = rangeOf(f.ids, p.a, p.n);
  if (f.checked) return { ids, valid: null };
  const ok = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, R));
  return { ids: tf.where(ok, ids, tf.zerosLike(ids)), valid: tf.reshape(tf.cast(ok, 'float32'), [p.n, 1]) };
}

/** Per-id coefficient column `[n, 1]` (weights and validity), or null when every coefficient is 1. */
function coefOf(f: DeviceFeature, p: Plan, valid: tf.Tensor2D | null): tf.Tensor2D | null {
  let c: tf.Tensor2D | null = valid;
  if (f.weights) {
    const w = tf.reshape(rangeOf(f.weights, p.a, p.n), [p.n, 1]) as tf.Tensor2D;
    c = c ? (tf.mul(c, w) as tf.Tensor2D) : w;
  }
  return c;
}

/** The tfjs-op forward of one feature (n > 0, rows > 0): `[rows, D]`. */
function forwardOps(T: tf.Tensor2D, f: DeviceFeature, p: Plan): tf.Tensor2D {
  const { ids, valid } = idsOf(f, p, T.shape[0]);
  let rows = tf.gather(T, ids) as tf.Tensor2D;
  const c = coefOf(f, p, valid);
  if (c) rows = tf.mul(rows, c);
  let pooled = segmentSum(rows, p.bag, p.U);
  if (p.lengths) pooled = tf.div(pooled, tf.tensor2d(p.lengths, [p.U, 1]));
  return f.inverse ? tf.gather(pooled, tf.tensor1d(f.inverse, 'int32')) : pooled;
}

/** Gradient of one feature's table given its output gradient columns `dy` (`[rows, D]`, n > 0, rows > 0). */
function backwardOps(R: number, f: DeviceFeature, p: Plan, dy: tf.Tensor2D): tf.Tensor2D {
  let dU: tf.Tensor2D = f.inverse ? segmentSum(dy, f.inverse, p.U) : dy;
  if (p.lengths) dU = tf.div(dU, tf.tensor2d(p.lengths, [p.U, 1]));
  let g = tf.gather(dU, tf.tensor1d(p.bag, 'int32')) as tf.Tensor2D;
  const { ids, valid } = idsOf(f, p, R);
  const c = coefOf(f, p, valid);
  if (c) g = tf.mul(g, c);
  return segmentSum(g, ids, R);
}

/**
 * Differentiable pooled lookup of several features over several tables, as tfjs ops on the active backend: output
 * `[rows, Σ D_f]` (feature f in its column block), gradients to the tables only, as `pooledOp` of pooling.ts. A
 * feature's forward may come from `forward` (an accelerator); the backward is always the tfjs ops. Nothing is read
 * back to the host. The ids and weights tensors must live until the backward has run. @internal
 */
export function devicePooledOp(tables: readonly tf.Tensor2D[], features: readonly DeviceFeature[], forward?: FeatureForward): tf.Tensor2D {
  const plans = features.map(planOf);
  const op = tf.customGrad(((...args: unknown[]) => {
    const ts = args.slice(0, tables.length) as tf.Tensor2D[];
    const value = tf.tidy(() => {
      const parts = features.map((f, i) => {
        const p = plans[i];
        const T = ts[f.table];
        const D = T.shape[1];
        if (p.rows === 0 || p.n === 0) return tf.zeros([p.rows, D]) as tf.Tensor2D;
        if (forward) {
          const rebased = new Int32Array(p.U + 1);
          for (let u = 0; u <= p.U; u++) rebased[u] = f.offsets[u] - p.a;
          const pooled = forward(T, f, rangeOf(f.ids, p.a, p.n), f.weights ? rangeOf(f.weights, p.a, p.n) : null, rebased);
          if (pooled !== undefined) return f.inverse ? tf.gather(pooled, tf.tensor1d(f.inverse, 'int32')) : pooled;
        }
        return forwardOps(T, f, p);
      });
      return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor) =>
        tf.tidy(() => {
          const grads: (tf.Tensor2D | null)[] = ts.map(() => null);
          let col = 0;
          features.forEach((f, i) => {
            const p = plans[i];
            const [R, D] = ts[f.table].shape;
            const c0 = col;
            col += D;
            if (p.rows === 0 || p.n === 0) return; // contributes nothing (and no op over an empty tensor)
            const dyF = (features.length === 1 ? dy : tf.slice(dy, [0, c0], [p.rows, D])) as tf.Tensor2D;
            const g = backwardOps(R, f, p, dyF);
            const prev = grads[f.table];
            grads[f.table] = prev ? (tf.add(prev, g) as tf.Tensor2D) : g;
          });
          return grads.map((g, t) => g ?? tf.zeros(ts[t].shape));
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(...tables) as tf.Tensor2D;
}

/**
 * Rows `x[rows[i]]` as a tfjs gather on the device, differentiable (the backward scatter-adds; zeros without any op
 * over an empty tensor when there are no rows). @internal
 */
export function deviceGatherRows(x: tf.Tensor, rows: Int32Array): tf.Tensor {
  if (rows.length === 0 || x.size === 0) {
    const shape = [rows.length, ...x.shape.slice(1)];
    if (x.dtype !== 'float32') return tf.zeros(shape, x.dtype);
    const op = tf.customGrad(((t: tf.Tensor) => ({ value: tf.zeros(shape), gradFunc: () => tf.zeros(t.shape) })) as unknown as Parameters<
      typeof tf.customGrad
    >[0]);
    return op(x);
  }
  if (x.dtype !== 'float32') return tf.tidy(() => tf.gather(x, tf.tensor1d(rows, 'int32')));
  const n = x.shape[0];
  const op = tf.customGrad(((t: tf.Tensor) => ({
    value: tf.tidy(() => tf.gather(t, tf.tensor1d(rows, 'int32'))),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.reshape(segmentSum(tf.reshape(dy, [rows.length, -1]), rows, n), x.shape)),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}

/**
 * Rows `T[ids[a + i]]`, i < n, of a float32 table for device-resident int32 ids, differentiable with respect to `T`
 * (the ids tensor must live until the backward has run); ids outside [0, R) that could not be checked on the host give
 * zero rows and no gradient. @internal
 */
export function deviceLookupRows(T: tf.Tensor2D, idsAll: tf.Tensor, a: number, n: number): tf.Tensor2D {
  const [R, D] = T.shape;
  if (n === 0 || D === 0) return deviceGatherRows(T, new Int32Array(n)) as tf.Tensor2D;
  const masked = () => {
    const ids = rangeOf(idsAll, a, n);
    const ok = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, R));
    return { idx: tf.where(ok, ids, tf.zerosLike(ids)), valid: tf.reshape(tf.cast(ok, 'float32'), [n, 1]) };
  };
  const op = tf.customGrad(((t: tf.Tensor2D) => ({
    value: tf.tidy(() => {
      const { idx, valid } = masked();
      return tf.mul(tf.gather(t, idx), valid);
    }),
    gradFunc: (dy: tf.Tensor) =>
      tf.tidy(() => {
        const { idx, valid } = masked();
        return segmentSum(tf.mul(dy, valid), idx, R);
      }),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(T) as tf.Tensor2D;
}
