// Kernel choice for the pooled embedding lookup: the WebAssembly SIMD embedding-bag kernels of @tessera/kernels by
// default (bit for bit the JavaScript kernels of pooling.ts: float32 accumulator, weighted terms in float64), the
// JavaScript kernels where those do not run (TESSERA_KERNELS=js, no WebAssembly SIMD).
//
// With the wasm kernels one pooled op works in kernel memory throughout: tables stay there between lookups (keyed by
// the tensor's data), the [rows, width] output is pooled there and copied out once, the output gradient is copied in
// once, and each table gradient is accumulated there and copied out once. Over an IKJT the forward pools the U stored
// bags of a feature and expands them by the inverse index (a row gather), and the backward sums the gradient rows of
// the samples of each stored bag (a row scatter-add) before one scatter of U bags into the table: everything but the
// O(B·D) expansion and summation scales with the stored bags.
import type * as tf from '@tensorflow/tfjs-core';
import { readSync } from '@tessera/core';
import {
  alloc,
  embeddingBagBackward,
  embeddingBagBackwardFused,
  embeddingBagForward,
  type FusedOptimizer,
  indexAddRows,
  indexSelectRows,
  type KernelArray,
  kernelBackend,
} from '@tessera/kernels';
import type { BagSpec, PooledFeature } from '../pooling.js';
import { gradIntoJs, poolIntoJs } from './pooling.js';

export { gradIntoJs, poolIntoJs } from './pooling.js';

/** Tables up to this many floats are cached in kernel memory (256 MiB); larger ones are read from host memory. */
const ARENA_TABLE_LIMIT = 64 << 20;

// Host copies of table data keyed by the tensor's dataId. tfjs data is immutable and `Variable.assign` swaps the
// dataId, so an entry can never go stale; it dies with its dataId (and a kernel-memory copy is freed then). Saves
// the per-call copy that non-cpu backends make in dataSync() (the cpu backend returns its own array).
const hostCache = new WeakMap<object, Float32Array | KernelArray<Float32Array>>();
const release = new FinalizationRegistry<KernelArray<Float32Array>>((k) => k.free());
// The dataId last cached for each table tensor (a Variable keeps its identity across `assign`): when a table is
// updated, the kernel-memory copy of its previous data is freed at once instead of whenever the collector runs.
const lastKey = new WeakMap<object, object>();

/** The table's values as a Float32Array (a view into kernel memory when the wasm kernels run). @internal */
export function hostData(t: tf.Tensor, fn: string): Float32Array {
  const key = t.dataId as object;
  let d = hostCache.get(key);
  if (d === undefined) {
    const prev = lastKey.get(t);
    if (prev !== undefined) {
      const old = hostCache.get(prev);
      if (old !== undefined && !(old instanceof Float32Array)) {
        hostCache.delete(prev);
        release.unregister(old);
        old.free();
      }
    }
    const host = readSync(t, fn, 'the table', "use kernel 'auto' or 'tfjs' (device paths) on this backend") as Float32Array;
    if (kernelBackend() === 'wasm' && host.length <= ARENA_TABLE_LIMIT) {
      const k = alloc(Float32Array, host.length);
      k.array.set(host);
      release.register(key, k, k);
      d = k;
    } else d = host;
    hostCache.set(key, d);
    lastKey.set(t, key);
  }
  return d instanceof Float32Array ? d : d.array;
}

// Working memory of the pooled ops, kept in kernel memory between calls and grown on demand (WebAssembly memory never
// shrinks, so a block freed after each call would hold the same pages; keeping it skips the zero-fill of `alloc`):
// 0 the [rows, width] output or output gradient, 1 one table gradient.
const scratch: (KernelArray<Float32Array> | null)[] = [null, null];

/** Scratch block `slot` with room for n floats (contents undefined). */
function scratchOf(slot: number, n: number): KernelArray<Float32Array> {
  let k = scratch[slot];
  if (k === null || k.length < n) {
    k?.free();
    scratch[slot] = null;
    k = alloc(Float32Array, Math.max(n, 1024));
    scratch[slot] = k;
  }
  return k;
}

/** A table as a pooled op reads it: its values (re-read per use: a kernel-memory view detaches when memory grows). */
export interface HostTable {
  data(): Float32Array;
  rows: number;
  dim: number;
}

/**
 * Pools every feature into its column block `cols[i] .. + D` of a new `[rows, width]` array (row b of an IKJT
 * feature is its stored bag `inverse[b]`). @internal
 */
export function poolFeatures(
  tables: readonly HostTable[],
  features: readonly PooledFeature[],
  rows: number,
  width: number,
  cols: readonly number[],
): Float32Array {
  if (kernelBackend() !== 'wasm') {
    const out = new Float32Array(rows * width);
    features.forEach((f, i) => {
      poolIntoJs(tables[f.table].data(), tables[f.table].dim, f.spec, out, width, cols[i]);
    });
    return out;
  }
  const outK = scratchOf(0, rows * width);
  features.forEach((f, i) => {
    const { spec: s } = f;
    const t = tables[f.table];
    const U = bagCount(s);
    // the table view first: caching it may grow the memory, and the output view is read after it
    const T = t.data();
    if (!s.inverse) {
      embeddingBagForward(T, t.rows, t.dim, s.ids, s.offsets, s.weights, U, s.mode, null, outK.array, width, cols[i]);
      return;
    }
    // stored bag u is pooled into the row of the first sample that uses it; the other samples copy that row
    const d = firstUse(s, U);
    embeddingBagForward(T, t.rows, t.dim, s.ids, s.offsets, s.weights, U, s.mode, d.first, outK.array, width, cols[i]);
    if (d.copies > 0) indexSelectRows(outK.array, rows, width, cols[i], t.dim, d.from, rows, outK.array, width, cols[i]);
  });
  return copyOut(outK.array, rows * width);
}

/**
 * The table gradients (one dense `rows × dim` array per table) of the pooled op, given its output gradient `G`
 * (`[rows, width]`). @internal
 */
export function gradFeatures(
  G: Float32Array,
  tables: readonly { rows: number; dim: number }[],
  features: readonly PooledFeature[],
  width: number,
  cols: readonly number[],
): Float32Array[] {
  if (kernelBackend() !== 'wasm') {
    const grads = tables.map((t) => new Float32Array(t.rows * t.dim));
    features.forEach((f, i) => {
      gradIntoJs(G, width, cols[i], tables[f.table].dim, f.spec, grads[f.table]);
    });
    return grads;
  }
  let dTSize = 0;
  for (const t of tables) dTSize = Math.max(dTSize, t.rows * t.dim);
  const GK = scratchOf(0, G.length);
  const dTK = scratchOf(1, dTSize);
  GK.array.set(G);
  const rows = Math.floor(G.length / width);
  return tables.map((t, ti) => {
    const n = t.rows * t.dim;
    dTK.array.fill(0, 0, n);
    features.forEach((f, i) => {
      if (f.table !== ti) return;
      const s = f.spec;
      const U = bagCount(s);
      if (!s.inverse) {
        embeddingBagBackward(GK.array, width, cols[i], t.dim, s.ids, s.offsets, s.weights, U, s.mode, null, dTK.array, t.rows);
        return;
      }
      // the gradient of stored bag u is the sum of the rows of its samples in sample order: added into the row of
      // its first sample (this block is a copy of G), then one scatter per stored bag from that row. gradIntoJs sums
      // from +0 instead of from the first row, which differs only in the sign of a zero sum, and a zero added to the
      // table gradient (which starts at +0 and so never holds −0) leaves the same bits.
      const d = firstUse(s, U);
      if (d.copies > 0) indexAddRows(GK.array, width, cols[i], t.dim, d.from, rows, GK.array, rows, width, cols[i]);
      embeddingBagBackward(GK.array, width, cols[i], t.dim, s.ids, s.offsets, s.weights, U, s.mode, d.first, dTK.array, t.rows);
    });
    return copyOut(dTK.array, n);
  });
}

/** A table trained by a fused optimizer: values (and row-wise Adagrad state) resident in kernel memory. @internal */
export interface FusedTable {
  weight: KernelArray<Float32Array>;
  momentum: KernelArray<Float32Array> | null;
  rows: number;
  dim: number;
}

/**
 * The fused backward of a pooled op (FBGEMM TBE with a fused optimizer): given the output gradient `G`
 * (`[rows, width]`), updates the rows of each table that its features touched, in place, with no dense gradient.
 * Over an IKJT the gradient rows of the samples of each stored bag are first summed into the row of its first sample
 * (indexAddRows), so the fused kernel scatters U stored bags, not B samples. Features sharing a table are gathered
 * into one call (one optimizer step per table, as one TBE table batch). @internal
 */
export function fusedUpdateFeatures(
  G: Float32Array,
  tables: readonly FusedTable[],
  features: readonly PooledFeature[],
  width: number,
  cols: readonly number[],
  optimizer: FusedOptimizer,
  learningRate: number,
  eps: number,
): void {
  const rows = Math.floor(G.length / width);
  const GK = scratchOf(0, G.length);
  GK.array.set(G);
  // summed gradient rows of the stored bags, in the row of their first sample
  const plans = features.map((f, i) => {
    const s = f.spec;
    const U = bagCount(s);
    if (!s.inverse) return null;
    const d = firstUse(s, U);
    if (d.copies > 0) indexAddRows(GK.array, width, cols[i], tables[f.table].dim, d.from, rows, GK.array, rows, width, cols[i]);
    return d;
  });
  tables.forEach((t, ti) => {
    const mine = features.flatMap((f, i) => (f.table === ti ? [i] : []));
    if (mine.length === 0) return;
    if (mine.length === 1) {
      const i = mine[0];
      const s = features[i].spec;
      const d = plans[i];
      // views re-read per call: a kernel-memory view detaches when the memory grows
      embeddingBagBackwardFused(
        GK.array,
        width,
        cols[i],
        t.dim,
        s.ids,
        s.offsets,
        s.weights,
        bagCount(s),
        s.mode,
        d === null ? null : d.first,
        t.weight.array,
        t.rows,
        optimizer,
        learningRate,
        eps,
        t.momentum === null ? null : t.momentum.array,
      );
      return;
    }
    // several features on one table: their bags concatenated (features in order), gradient rows gathered into a
    // D-wide block, then one fused call — the same order as the dense scatter of the features in turn
    let nBags = 0;
    let nIds = 0;
    for (const i of mine) {
      const s = features[i].spec;
      nBags += bagCount(s);
      nIds += s.offsets[bagCount(s)] - s.offsets[0];
    }
    const anyWeights = mine.some((i) => features[i].spec.weights !== null);
    const ids = new Int32Array(nIds);
    const weights = anyWeights ? new Float32Array(nIds).fill(1) : null;
    const offsets = new Int32Array(nBags + 1);
    const gRow = new Int32Array(nBags);
    const mode = features[mine[0]].spec.mode;
    const GB = scratchOf(1, nBags * t.dim);
    let u0 = 0;
    let j0 = 0;
    for (const i of mine) {
      const s = features[i].spec;
      const U = bagCount(s);
      const a = s.offsets[0];
      const e = s.offsets[U];
      ids.set(s.ids.subarray(a, e), j0);
      if (weights !== null && s.weights !== null) weights.set(s.weights.subarray(a, e), j0);
      for (let u = 0; u < U; u++) offsets[u0 + u + 1] = s.offsets[u + 1] - a + j0;
      const d = plans[i];
      for (let u = 0; u < U; u++) gRow[u0 + u] = d === null ? u : d.first[u];
      indexSelectRows(GK.array, rows, width, cols[i], t.dim, gRow.subarray(u0, u0 + U), U, GB.array.subarray(u0 * t.dim), t.dim, 0);
      for (let u = 0; u < U; u++) if (gRow[u0 + u] >= 0) gRow[u0 + u] = u0 + u;
      u0 += U;
      j0 += e - a;
    }
    embeddingBagBackwardFused(
      GB.array,
      t.dim,
      0,
      t.dim,
      ids,
      offsets,
      weights,
      nBags,
      mode,
      gRow,
      t.weight.array,
      t.rows,
      optimizer,
      learningRate,
      eps,
      t.momentum === null ? null : t.momentum.array,
    );
  });
}

interface FirstUse {
  first: Int32Array;
  from: Int32Array;
  copies: number;
}
// Per bag spec (one per feature of one pooled op): the forward's plan is reused by its backward.
const firstUses = new WeakMap<BagSpec, FirstUse>();

/**
 * For the inverse index of `s` over U stored bags: `first[u]`, the first sample using bag u (−1 when none), and
 * `from[b]`, that first sample for a later sample b of the same bag (−1 for a first sample); `copies` counts the
 * later samples.
 */
function firstUse(s: BagSpec, U: number): FirstUse {
  let d = firstUses.get(s);
  if (d !== undefined) return d;
  const inverse = s.inverse as Int32Array;
  const first = new Int32Array(U).fill(-1);
  const from = new Int32Array(inverse.length);
  let copies = 0;
  for (let b = 0; b < inverse.length; b++) {
    const u = inverse[b];
    if (first[u] < 0) {
      first[u] = b;
      from[b] = -1;
    } else {
      from[b] = first[u];
      copies++;
    }
  }
  d = { first, from, copies };
  firstUses.set(s, d);
  return d;
}

/** A host copy of the first n values of a kernel-memory array (TypedArray.slice of a WebAssembly memory view is
 * about three times slower than a fresh array filled with set). */
function copyOut(a: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  out.set(n === a.length ? a : a.subarray(0, n));
  return out;
}

function bagCount(s: BagSpec): number {
  return s.offsets.length - 1;
}
