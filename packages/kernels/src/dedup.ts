// RecD bag deduplication kernel (the KJT → IKJT step of @tessera/jagged-tensors): one signature for wasm and
// JavaScript.
import { TesseraError } from '@tessera/core';
import { arr, int, withArgs } from './call.js';
import { dedupBagsJs } from './js/dedup.js';
import { wasm } from './runtime.js';

/** Largest batch (samples per group) {@link dedupBags} accepts: its hash table takes 2–4 words per sample. */
export const DEDUP_MAX_BATCH = 2 ** 26;

/**
 * RecD deduplication of a batch of bags (the KJT → IKJT step; Meta, "RecD", MLSys 2023, section 3). Bag `k·B + b`
 * (key k, sample b) spans value rows `[offsets[k·B+b], offsets[k·B+b+1])` of `values` (32-bit words, `w` per row:
 * ids, or the bit patterns of float rows) and, when `weights` is not null, the same entries of `weights` (32-bit
 * patterns). For each group g (key indices `groupKeys[groupStarts[g] .. groupStarts[g+1])`), samples whose bags are
 * equal word for word in every key of the group share one unique index: `counts[g]` = U, `reps[g·B + u]` the first
 * sample of unique bag u (u < U, first-occurrence order; −1 for u ≥ U) and `idx[g·B + b]` the unique index of sample b. Exact: a
 * hash hit is always confirmed by comparing the bags. Arrays in kernel memory ({@link alloc}) are used in place.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for bad counts, offsets, key indices or group starts, `INVALID_DTYPE`/
 * `INVALID_SHAPE` for arrays of the wrong type or too short; B at most {@link DEDUP_MAX_BATCH}, w at most 2^20.
 * @example
 * ```ts
 * import { dedupBags } from '@tessera/kernels';
 * // one key, 4 samples: bags [7, 8], [1], [7, 8], [1]
 * const values = new Int32Array([7, 8, 1, 7, 8, 1]);
 * const offsets = new Int32Array([0, 2, 3, 5, 6]);
 * const idx = new Int32Array(4);
 * const reps = new Int32Array(4);
 * const counts = new Int32Array(1);
 * dedupBags(values, 1, null, offsets, 4, new Int32Array([0]), new Int32Array([0, 1]), 1, idx, reps, counts);
 * Array.from(idx); // → [0, 1, 0, 1]
 * counts[0]; // → 2
 * ```
 */
export function dedupBags(
  values: Int32Array,
  w: number,
  weights: Int32Array | null,
  offsets: Int32Array,
  B: number,
  groupKeys: Int32Array,
  groupStarts: Int32Array,
  nGroups: number,
  idx: Int32Array,
  reps: Int32Array,
  counts: Int32Array,
): void {
  const fn = 'dedupBags';
  int(w, fn, 'w', 0, 1 << 20);
  int(B, fn, 'B', 0, DEDUP_MAX_BATCH);
  int(nGroups, fn, 'nGroups', 0);
  arr(groupStarts, Int32Array, fn, 'groupStarts', nGroups + 1);
  if (groupStarts[0] < 0) throw new TesseraError('INVALID_ARGUMENT', fn, 'groupStarts[0] must be >= 0', groupStarts[0]);
  for (let g = 0; g < nGroups; g++)
    if (groupStarts[g + 1] < groupStarts[g])
      throw new TesseraError('INVALID_ARGUMENT', fn, 'groupStarts must be non-decreasing', `groupStarts[${g + 1}] = ${groupStarts[g + 1]}`);
  const nKeys = groupStarts[nGroups];
  arr(groupKeys, Int32Array, fn, 'groupKeys', nKeys);
  let K = 0;
  for (let j = groupStarts[0]; j < nKeys; j++) {
    const k = groupKeys[j];
    if (!(k >= 0 && k < MAX_KEYS))
      throw new TesseraError('INVALID_ARGUMENT', fn, `groupKeys must be in [0, ${MAX_KEYS})`, `groupKeys[${j}] = ${k}`);
    if (k + 1 > K) K = k + 1;
  }
  const nBags = K * B;
  arr(offsets, Int32Array, fn, 'offsets', nBags + 1);
  if (!(offsets[0] >= 0)) throw new TesseraError('INVALID_ARGUMENT', fn, 'offsets[0] must be >= 0', offsets[0]);
  for (let u = 0; u < nBags; u++)
    if (offsets[u + 1] < offsets[u])
      throw new TesseraError('INVALID_ARGUMENT', fn, 'offsets must be non-decreasing', `offsets[${u + 1}] = ${offsets[u + 1]}`);
  const rows = offsets[nBags];
  arr(values, Int32Array, fn, 'values', rows * w);
  if (weights !== null) arr(weights, Int32Array, fn, 'weights', rows);
  arr(idx, Int32Array, fn, 'idx', nGroups * B);
  arr(reps, Int32Array, fn, 'reps', nGroups * B);
  arr(counts, Int32Array, fn, 'counts', nGroups);
  if (nGroups === 0) return;
  const k = wasm();
  if (k === null) {
    dedupBagsJs(values, w, weights, offsets, B, groupKeys, groupStarts, nGroups, idx, reps, counts);
    return;
  }
  let cap = 16;
  while (cap < 2 * B) cap <<= 1;
  withArgs(
    k.arena,
    fn,
    [
      { a: values, n: rows * w, dir: 'in' },
      { a: weights, n: rows, dir: 'in' },
      { a: offsets, n: nBags + 1, dir: 'in' },
      { a: groupKeys, n: nKeys, dir: 'in' },
      { a: groupStarts, n: nGroups + 1, dir: 'in' },
      { a: idx, n: nGroups * B, dir: 'out' },
      { a: reps, n: nGroups * B, dir: 'out' },
      { a: counts, n: nGroups, dir: 'out' },
    ],
    (cap + B) * 4,
    (p, scratch) => k.exports.dedupBags(p[0], w, p[1], p[2], B, p[3], p[4], nGroups, p[5], p[6], p[7], scratch),
  );
}

/** Largest key index (keys per batch). */
const MAX_KEYS = 1 << 20;
