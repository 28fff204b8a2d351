// JavaScript twin of src/assembly/dedup.ts: RecD bag deduplication per group of keys (unique bags in first-occurrence
// order, each sample's unique index), an open-addressing hash table over bag contents with a full comparison on
// every hash hit, so the result is exact whatever the hash.

/** Deduplicates the samples of every group (see dedupBags). @internal */
export function dedupBagsJs(
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
  const sameBag = (p: number, q: number): boolean => {
    const sp = offsets[p];
    const sq = offsets[q];
    const len = offsets[p + 1] - sp;
    if (offsets[q + 1] - sq !== len) return false;
    if (sp === sq) return true;
    const a = sp * w;
    const b = sq * w;
    for (let i = 0; i < len * w; i++) if (values[a + i] !== values[b + i]) return false;
    if (weights !== null) for (let i = 0; i < len; i++) if (weights[sp + i] !== weights[sq + i]) return false;
    return true;
  };
  const hashBag = (bag: number, h0: number): number => {
    const s = offsets[bag];
    const e = offsets[bag + 1];
    let h = Math.imul(h0 ^ (e - s), 0x01000193);
    for (let i = s * w; i < e * w; i++) h = Math.imul(h ^ values[i], 0x01000193);
    if (weights !== null) for (let i = s; i < e; i++) h = Math.imul(h ^ weights[i], 0x01000193);
    return h;
  };
  let cap = 16;
  while (cap < 2 * B) cap <<= 1;
  const mask = cap - 1;
  const slots = new Int32Array(cap);
  const hashes = new Int32Array(B);
  for (let g = 0; g < nGroups; g++) {
    const bases = Array.from(groupKeys.subarray(groupStarts[g], groupStarts[g + 1]), (k) => k * B);
    const same = (b: number, r: number): boolean => {
      for (const base of bases) if (!sameBag(base + b, base + r)) return false;
      return true;
    };
    const gi = g * B;
    slots.fill(0);
    let U = 0;
    for (let b = 0; b < B; b++) {
      // a sample equal to the previous one takes its stored bag (the table lookup would find the same)
      if (b > 0 && same(b, b - 1)) {
        idx[gi + b] = idx[gi + b - 1];
        continue;
      }
      let h = 0x811c9dc5 | 0;
      for (const base of bases) h = hashBag(base + b, h);
      h ^= h >>> 15;
      h = Math.imul(h, 0x2c1b3c6d);
      h ^= h >>> 12;
      let i = h & mask;
      let found = -1;
      while (slots[i] !== 0) {
        const u = slots[i] - 1;
        if (hashes[u] === h && same(b, reps[gi + u])) {
          found = u;
          break;
        }
        i = (i + 1) & mask;
      }
      if (found < 0) {
        found = U++;
        reps[gi + found] = b;
        hashes[found] = h;
        slots[i] = found + 1;
      }
      idx[gi + b] = found;
    }
    reps.fill(-1, gi + U, gi + B);
    counts[g] = U;
  }
}
