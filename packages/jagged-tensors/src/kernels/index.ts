// Kernel choice for the pooled embedding lookup: the WebAssembly SIMD embedding-bag kernels of @tessera/kernels by
// default (bit for bit the JavaScript kernels of pooling.ts: float32 accumulator, weighted terms in float64), the
// JavaScript kernels where those do not run (TESSERA_KERNELS=js, no WebAssembly SIMD). Tables are kept in kernel
// memory between lookups (keyed by the tensor's data, as before), so a lookup copies only ids and offsets in and the
// pooled rows out. A backward whose table gradient is much larger than the rows it touches stays in JavaScript.
import type * as tf from '@tensorflow/tfjs-core';
import { alloc, embeddingBagBackward, embeddingBagForward, type KernelArray, kernelBackend } from '@tessera/kernels';
import type { BagSpec } from '../pooling.js';
import { gradIntoJs, poolIntoJs } from './pooling.js';

export { gradIntoJs, poolIntoJs } from './pooling.js';

/** Tables up to this many floats are cached in kernel memory (256 MiB); larger ones are read from host memory. */
const ARENA_TABLE_LIMIT = 64 << 20;

// Host copies of table data keyed by the tensor's dataId. tfjs data is immutable and `Variable.assign` swaps the
// dataId, so an entry can never go stale; it dies with its dataId (and a kernel-memory copy is freed then). Saves
// the per-call copy that non-cpu backends make in dataSync() (the cpu backend returns its own array).
const hostCache = new WeakMap<object, Float32Array | KernelArray<Float32Array>>();
const release = new FinalizationRegistry<KernelArray<Float32Array>>((k) => k.free());

/** The table's values as a Float32Array (a view into kernel memory when the wasm kernels run). @internal */
export function hostData(t: tf.Tensor): Float32Array {
  const key = t.dataId as object;
  let d = hostCache.get(key);
  if (d === undefined) {
    const host = t.dataSync() as Float32Array;
    if (kernelBackend() === 'wasm' && host.length <= ARENA_TABLE_LIMIT) {
      const k = alloc(Float32Array, host.length);
      k.array.set(host);
      release.register(key, k);
      d = k;
    } else d = host;
    hostCache.set(key, d);
  }
  return d instanceof Float32Array ? d : d.array;
}

/**
 * Pools the bags of `s` into columns `col .. col+D` of `out` (row stride `ld`); with an inverse index output row b
 * is bag `inverse[b]`: the first row that needs a bag pools it, later rows copy that row. @internal
 */
export function poolInto(T: Float32Array, D: number, s: BagSpec, out: Float32Array, ld: number, col: number): void {
  if (kernelBackend() !== 'wasm') {
    poolIntoJs(T, D, s, out, ld, col);
    return;
  }
  const U = s.offsets.length - 1;
  const inv = s.inverse;
  const R = Math.floor(T.length / D);
  // pool into a compact U × D block (the kernel then copies only that out of kernel memory), then place the rows:
  // row b of out is bag inverse[b] (or bag b)
  const tmp = new Float32Array(U * D);
  let rows: Int32Array | null = null;
  if (inv) {
    rows = new Int32Array(U).fill(-1);
    for (let b = 0; b < inv.length; b++) rows[inv[b]] = inv[b];
  }
  embeddingBagForward(T, R, D, s.ids, s.offsets, s.weights, U, s.mode, rows, tmp, D, 0);
  const B = inv ? inv.length : U;
  for (let b = 0; b < B; b++) {
    const u = inv ? inv[b] : b;
    out.set(tmp.subarray(u * D, u * D + D), b * ld + col);
  }
}

/** Adds the table gradient of the bags of `s` (output-gradient columns `col .. col+D` of `G`) into `dT`. @internal */
export function gradInto(G: Float32Array, ld: number, col: number, D: number, s: BagSpec, dT: Float32Array): void {
  const U = s.offsets.length - 1;
  const nnz = s.offsets[U] - s.offsets[0];
  const R = Math.floor(dT.length / D);
  if (kernelBackend() !== 'wasm' || R > 4 * nnz) {
    gradIntoJs(G, ld, col, D, s, dT);
    return;
  }
  const inv = s.inverse;
  if (!inv) {
    // the D gradient columns of this feature as a compact U × D block (copied into kernel memory instead of all of G)
    const g = new Float32Array(U * D);
    for (let u = 0; u < U; u++) g.set(G.subarray(u * ld + col, u * ld + col + D), u * D);
    embeddingBagBackward(g, D, 0, D, s.ids, s.offsets, s.weights, U, s.mode, null, dT, R);
    return;
  }
  // IKJT: the gradient row of stored bag u is Σ_{b: inverse[b] = u} G[b] (in b order, from zero, as gradIntoJs), or
  // the one row of a bag used once; then one scatter over the stored bags in bag order (same bits as JavaScript)
  const count = new Int32Array(U);
  for (let b = 0; b < inv.length; b++) count[inv[b]]++;
  const acc = new Float32Array(U * D);
  for (let b = 0; b < inv.length; b++) {
    const u = inv[b];
    const src = b * ld + col;
    const o = u * D;
    if (count[u] === 1) acc.set(G.subarray(src, src + D), o);
    else for (let d = 0; d < D; d++) acc[o + d] += G[src + d];
  }
  const rows = new Int32Array(U);
  for (let u = 0; u < U; u++) rows[u] = count[u] > 0 ? u : -1;
  embeddingBagBackward(acc, D, 0, D, s.ids, s.offsets, s.weights, U, s.mode, rows, dT, R);
}
