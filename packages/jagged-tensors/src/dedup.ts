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
 * comparison on hash hits) plus one gather of the kept value rows.
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
  const vbits = bitsOf(x.values);
  const wbits = x.weights ? bitsOf(x.weights) : null;
  const offs = x.offsets;
  const lens = x.lengths;

  const hashBag = (bag: number, h0: number): number => {
    let h = Math.imul(h0 ^ lens[bag], 0x01000193);
    const s = offs[bag];
    const e = offs[bag + 1];
    for (let i = s * w; i < e * w; i++) h = Math.imul(h ^ vbits[i], 0x01000193);
    if (wbits) for (let i = s; i < e; i++) h = Math.imul(h ^ wbits[i], 0x01000193);
    return h;
  };
  const sameBag = (p: number, q: number): boolean => {
    const len = lens[p];
    if (lens[q] !== len) return false;
    const sp = offs[p] * w;
    const sq = offs[q] * w;
    for (let i = 0; i < len * w; i++) if (vbits[sp + i] !== vbits[sq + i]) return false;
    if (wbits) {
      const a = offs[p];
      const b = offs[q];
      for (let i = 0; i < len; i++) if (wbits[a + i] !== wbits[b + i]) return false;
    }
    return true;
  };

  const rowOfKey = new Map<string, Int32Array>();
  const repsOfKey = new Map<string, Int32Array>();
  for (const g of groups) {
    const ks = g.map((k) => x.keys.indexOf(k));
    const idx = new Int32Array(B);
    const reps = new Int32Array(B);
    let U = 0;
    // Open-addressing hash table (linear probing) of unique samples: slot → u + 1 (0 = empty), plus each u's hash.
    let cap = 16;
    while (cap < 2 * B) cap <<= 1;
    const slots = new Int32Array(cap);
    const hashes = new Int32Array(B);
    const mask = cap - 1;
    for (let b = 0; b < B; b++) {
      // session batches put a user's samples next to each other: a sample whose bags equal the previous sample's
      // takes its stored bag without hashing (same result as the table lookup below, which would find it)
      if (b > 0) {
        let same = true;
        for (const k of ks) {
          if (!sameBag(k * B + b, k * B + b - 1)) {
            same = false;
            break;
          }
        }
        if (same) {
          idx[b] = idx[b - 1];
          continue;
        }
      }
      let h = 0x811c9dc5;
      for (const k of ks) h = hashBag(k * B + b, h);
      h ^= h >>> 15; // finalise so the low bits index well
      h = Math.imul(h, 0x2c1b3c6d);
      h ^= h >>> 12;
      let i = h & mask;
      let found = -1;
      while (slots[i] !== 0) {
        const u = slots[i] - 1;
        if (hashes[u] === h) {
          const r = reps[u];
          let same = true;
          for (const k of ks) {
            if (!sameBag(k * B + b, k * B + r)) {
              same = false;
              break;
            }
          }
          if (same) {
            found = u;
            break;
          }
        }
        i = (i + 1) & mask;
      }
      if (found < 0) {
        found = U++;
        reps[found] = b;
        hashes[found] = h;
        slots[i] = found + 1;
      }
      idx[b] = found;
    }
    const r = reps.slice(0, U);
    for (const k of g) {
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
