import { dedupBags } from '@tessera/kernels';
import { awaitData } from './device.js';
import { fail } from './errors.js';
import { type Groups, InverseKeyedJaggedTensor, KeyedJaggedTensor, resolveGroups } from './keyed-jagged-tensor.js';
import { checkLiveOperand } from './kjt-validator.js';
import { bitsOf } from './rows.js';

/** Options of {@link dedup}. */
export interface DedupOptions {
  /** Keys sharing one inverse row; a key named in no group gets its own group. Default: one group per key. */
  groups?: Groups;
}

/**
 * RecD deduplication: for each group of keys, samples whose bags are identical in every key of the group
 * (same ids and the same float32 **bit patterns** of values and weights) are stored once. Unique bags are kept in
 * first-occurrence order (never sorted) and `inverse.idx` maps each sample to its stored bag, so
 * `expand(dedup(x))` is a bitwise identity. Work is O(nnz + B) per group on the host (hash of each bag, full
 * comparison on hash hits; the `dedupBags` kernel of `@tessera/kernels`) plus one gather of the kept value rows.
 *
 * The result is an {@link InverseKeyedJaggedTensor}; `result.stats` gives `{ keys, batch, unique, ratio }` per group
 * (and `const { ikjt, stats } = dedup(x)` works too).
 *
 * @param x - a non-VBE KJT without inverse indices, with unique keys
 * @param options - `{ groups }`, or the groups array itself
 * @throws TesseraError `INVALID_ARGUMENT` (not a KJT, bad groups), `UNSUPPORTED` (VBE or already an IKJT),
 * `INVALID_KEY` (duplicate keys, unknown key or a key named twice in groups).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedJaggedTensor, dedup } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const kjt = KeyedJaggedTensor.fromLengths({
 *   keys: ['user', 'item'], values: tf.tensor1d([7, 7, 1, 2, 3], 'int32'), lengths: [1, 1, 1, 1, 1, 0],
 * });
 * const ikjt = dedup(kjt, { groups: [['user']] });
 * ikjt.uniqueCounts; // { user: 1, item: 3 }
 * tf.dispose([kjt.values, ikjt.values]);
 * ```
 */
export function dedup(x: KeyedJaggedTensor, options: DedupOptions | Groups = {}): InverseKeyedJaggedTensor {
  const fn = 'dedup';
  if (!(x instanceof KeyedJaggedTensor)) fail('INVALID_ARGUMENT', fn, 'x must be a KeyedJaggedTensor', x);
  checkLiveOperand(fn, 'x', x);
  if (x.inverse) fail('UNSUPPORTED', fn, 'x already has inverse indices', 'an IKJT');
  if (x.stridePerKeyPerRank) fail('UNSUPPORTED', fn, 'x must not be VBE', 'stridePerKeyPerRank set');
  if (x.duplicateKeys) fail('INVALID_KEY', fn, 'keys must be unique', [...x.keys], 'K4');
  const groupsIn = Array.isArray(options) ? options : ((options as DedupOptions | null)?.groups ?? []);
  const groups = resolveGroups(fn, x.keys, groupsIn);
  const B = x.stride;
  const K = x.keys.length;
  const w = x.values.shape[1] ?? 1;
  // RecD dedup hashes the ids on the host: ids that only a GPU holds must be read first
  const alt = `dedup hashes bags on the host: build the KJT from host arrays (its values stay on the host until a GPU kernel uses them), or ${awaitData('x.values')}`;
  const vbits = bitsOf(x.values, fn, 'x.values', alt);
  const wbits = x.weights ? bitsOf(x.weights, fn, 'x.weights', alt) : null;
  // One kernel call for every group (@tessera/kernels dedupBags: WebAssembly by default, its JavaScript twin under
  // TESSERA_KERNELS=js or without WebAssembly SIMD): per group, an open-addressing hash table over the bags' words
  // with a full comparison on each hash hit, and a sample equal to the previous one (session batches put a user's
  // samples next to each other) taking its stored bag without hashing.
  const G = groups.length;
  const groupStarts = new Int32Array(G + 1);
  for (let g = 0; g < G; g++) groupStarts[g + 1] = groupStarts[g] + groups[g].length;
  const groupKeys = new Int32Array(groupStarts[G]);
  for (let g = 0, j = 0; g < G; g++) for (const k of groups[g]) groupKeys[j++] = x.keys.indexOf(k);
  const idxAll = new Int32Array(G * B);
  const repsAll = new Int32Array(G * B);
  const counts = new Int32Array(G);
  dedupBags(vbits, w, wbits, x.offsets, B, groupKeys, groupStarts, G, idxAll, repsAll, counts);
  const rowOfKey = new Map<string, Int32Array>();
  const repsOfKey = new Map<string, Int32Array>();
  for (let g = 0; g < G; g++) {
    const idx = idxAll.slice(g * B, g * B + B);
    const r = repsAll.slice(g * B, g * B + counts[g]);
    for (const k of groups[g]) {
      rowOfKey.set(k, idx);
      repsOfKey.set(k, r);
    }
  }
  let total = 0;
  for (const k of x.keys) total += (repsOfKey.get(k) as Int32Array).length;
  const bags = new Int32Array(total);
  const matrix: number[][] = [];
  let p = 0;
  for (let k = 0; k < K; k++) {
    const reps = repsOfKey.get(x.keys[k]) as Int32Array;
    for (let u = 0; u < reps.length; u++) bags[p++] = k * B + reps[u];
    matrix.push([reps.length]);
  }
  return x.withBags(bags, {
    stride: B,
    stridePerKeyPerRank: matrix,
    inverse: { names: x.keys, idx: x.keys.map((k) => rowOfKey.get(k) as Int32Array) },
    groups,
  }) as InverseKeyedJaggedTensor;
}

/**
 * Expands an IKJT back to the B-row KJT (function form of {@link InverseKeyedJaggedTensor.expand}).
 * @throws TesseraError `INVALID_ARGUMENT` when `x` has no inverse indices.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { dedup, expand, KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
 * const ikjt = dedup(x);
 * const back = expand(ikjt);
 * back.bitwiseEqual(x); // → true
 * x.dispose(); ikjt.dispose(); back.dispose();
 * ```
 */
export function expand(x: InverseKeyedJaggedTensor): KeyedJaggedTensor {
  if (!(x instanceof InverseKeyedJaggedTensor)) fail('INVALID_ARGUMENT', 'expand', 'x must be an InverseKeyedJaggedTensor', x);
  checkLiveOperand('expand', 'x', x);
  return x.expand();
}

/**
 * Whether a KJT carries inverse indices (is an IKJT).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { dedup, isIkjt, KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
 * const ikjt = dedup(x);
 * [isIkjt(x), isIkjt(ikjt)]; // → [false, true]
 * x.dispose(); ikjt.dispose();
 * ```
 */
export function isIkjt(x: KeyedJaggedTensor): x is InverseKeyedJaggedTensor {
  return x instanceof InverseKeyedJaggedTensor;
}
