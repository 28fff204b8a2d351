// RecD bag deduplication (Meta, "RecD: Deduplication for End-to-End Deep Learning Recommendation Model Training
// Infrastructure", MLSys 2023, section 3: inverse-keyed jagged tensors). For each group of keys, the samples whose
// bags are identical in every key of the group (ids / value rows and per-id weights compared as 32-bit patterns)
// share one stored bag: unique bags in first-occurrence order (reps), each sample's unique index (idx). An
// open-addressing hash table (linear probing) over bag contents; a hash hit is confirmed by a full comparison, so
// the result never depends on the hash. JavaScript twin: src/js/dedup.ts.

const PRIME: i32 = 0x01000193;

/** Whether bags p and q (indices into offsets) hold the same value rows (w words each) and weights. */
@inline
function sameBag(values: usize, w: i32, weights: usize, offsets: usize, p: i32, q: i32): bool {
  const sp = load<i32>(offsets + (<usize>p << 2));
  const sq = load<i32>(offsets + (<usize>q << 2));
  const len = load<i32>(offsets + (<usize>(p + 1) << 2)) - sp;
  if (load<i32>(offsets + (<usize>(q + 1) << 2)) - sq != len) return false;
  if (sp == sq) return true;
  const n = <usize>len * <usize>w;
  let a = values + (<usize>sp * <usize>w << 2);
  let b = values + (<usize>sq * <usize>w << 2);
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    if (!v128.all_true<i32>(i32x4.eq(v128.load(a + (i << 2)), v128.load(b + (i << 2))))) return false;
  }
  for (; i < n; i++) if (load<i32>(a + (i << 2)) != load<i32>(b + (i << 2))) return false;
  if (weights != 0) {
    a = weights + (<usize>sp << 2);
    b = weights + (<usize>sq << 2);
    for (let j: usize = 0; j < <usize>len; j++) if (load<i32>(a + (j << 2)) != load<i32>(b + (j << 2))) return false;
  }
  return true;
}

/** FNV-1a style hash of bag `bag` continued from h (any hash gives the same result: hits are compared in full). */
@inline
function hashBag(values: usize, w: i32, weights: usize, offsets: usize, bag: i32, h0: i32): i32 {
  const s = load<i32>(offsets + (<usize>bag << 2));
  const e = load<i32>(offsets + (<usize>(bag + 1) << 2));
  let h = (h0 ^ (e - s)) * PRIME;
  const end = values + (<usize>e * <usize>w << 2);
  let p = values + (<usize>s * <usize>w << 2);
  if (p + 32 <= end) {
    // four interleaved chains (word j to lane j mod 4) folded at the end: a quarter of the multiply latency
    let v = i32x4.splat(h);
    const m = i32x4.splat(PRIME);
    for (; p + 16 <= end; p += 16) v = i32x4.mul(v128.xor(v, v128.load(p)), m);
    h = (h ^ i32x4.extract_lane(v, 0)) * PRIME;
    h = (h ^ i32x4.extract_lane(v, 1)) * PRIME;
    h = (h ^ i32x4.extract_lane(v, 2)) * PRIME;
    h = (h ^ i32x4.extract_lane(v, 3)) * PRIME;
  }
  for (; p < end; p += 4) h = (h ^ load<i32>(p)) * PRIME;
  if (weights != 0) {
    const we = weights + (<usize>e << 2);
    for (let p = weights + (<usize>s << 2); p < we; p += 4) h = (h ^ load<i32>(p)) * PRIME;
  }
  return h;
}

/** Whether sample b equals sample r in every key of the group keys[0 .. nk). */
@inline
function sameSample(values: usize, w: i32, weights: usize, offsets: usize, keys: usize, nk: i32, B: i32, b: i32, r: i32): bool {
  for (let j = 0; j < nk; j++) {
    const base = load<i32>(keys + (<usize>j << 2)) * B;
    if (!sameBag(values, w, weights, offsets, base + b, base + r)) return false;
  }
  return true;
}

/**
 * values: 32-bit words, w per row; weights: one word per row, or 0; offsets: bag k·B + b spans rows
 * [offsets[k·B+b], offsets[k·B+b+1]); groups g = 0 .. nGroups−1 hold the key indices
 * groupKeys[groupStarts[g] .. groupStarts[g+1]). Writes idx[g·B + b], reps[g·B + u] (−1 from u = counts[g] on) and counts[g].
 * scratch: cap + B words, cap the smallest power of two ≥ max(16, 2B).
 */
export function dedupBags(
  values: usize,
  w: i32,
  weights: usize,
  offsets: usize,
  B: i32,
  groupKeys: usize,
  groupStarts: usize,
  nGroups: i32,
  idx: usize,
  reps: usize,
  counts: usize,
  scratch: usize,
): void {
  let cap = 16;
  while (cap < 2 * B) cap <<= 1;
  const mask = cap - 1;
  const slots = scratch;
  const hashes = scratch + (<usize>cap << 2);
  for (let g = 0; g < nGroups; g++) {
    const k0 = load<i32>(groupStarts + (<usize>g << 2));
    const nk = load<i32>(groupStarts + (<usize>(g + 1) << 2)) - k0;
    const keys = groupKeys + (<usize>k0 << 2);
    const gi = idx + (<usize>g * <usize>B << 2);
    const gr = reps + (<usize>g * <usize>B << 2);
    memory.fill(slots, 0, <usize>cap << 2);
    let U = 0;
    for (let b = 0; b < B; b++) {
      // a sample equal to the previous one takes its stored bag (the table lookup would find the same)
      if (b > 0 && sameSample(values, w, weights, offsets, keys, nk, B, b, b - 1)) {
        store<i32>(gi + (<usize>b << 2), load<i32>(gi + (<usize>(b - 1) << 2)));
        continue;
      }
      let h: i32 = 0x811c9dc5;
      for (let j = 0; j < nk; j++) h = hashBag(values, w, weights, offsets, load<i32>(keys + (<usize>j << 2)) * B + b, h);
      h ^= <i32>(<u32>h >> 15);
      h *= 0x2c1b3c6d;
      h ^= <i32>(<u32>h >> 12);
      let i = h & mask;
      let found = -1;
      while (true) {
        const s = load<i32>(slots + (<usize>i << 2));
        if (s == 0) break;
        const u = s - 1;
        if (load<i32>(hashes + (<usize>u << 2)) == h) {
          if (sameSample(values, w, weights, offsets, keys, nk, B, b, load<i32>(gr + (<usize>u << 2)))) {
            found = u;
            break;
          }
        }
        i = (i + 1) & mask;
      }
      if (found < 0) {
        found = U++;
        store<i32>(gr + (<usize>found << 2), b);
        store<i32>(hashes + (<usize>found << 2), h);
        store<i32>(slots + (<usize>i << 2), found + 1);
      }
      store<i32>(gi + (<usize>b << 2), found);
    }
    for (let u = U; u < B; u++) store<i32>(gr + (<usize>u << 2), -1);
    store<i32>(counts + (<usize>g << 2), U);
  }
}
