// Naive RecD deduplication: each sample's signature (the words of its bags in every key of the group, lengths
// included) as a string, unique samples numbered in first-occurrence order through a Map.

/** idx (B per group), reps (first sample of each unique bag) and counts per group. */
export function dedupReference(
  values: Int32Array,
  w: number,
  weights: Int32Array | null,
  offsets: Int32Array,
  B: number,
  groups: number[][],
): { idx: number[][]; reps: number[][] } {
  const bag = (k: number, b: number): string => {
    const s = offsets[k * B + b];
    const e = offsets[k * B + b + 1];
    const v = Array.from(values.subarray(s * w, e * w)).join(',');
    const ws = weights === null ? '' : Array.from(weights.subarray(s, e)).join(',');
    return `${e - s}|${v}|${ws}`;
  };
  const idx: number[][] = [];
  const reps: number[][] = [];
  for (const g of groups) {
    const seen = new Map<string, number>();
    const gi: number[] = [];
    const gr: number[] = [];
    for (let b = 0; b < B; b++) {
      const sig = g.map((k) => bag(k, b)).join(';');
      let u = seen.get(sig);
      if (u === undefined) {
        u = gr.length;
        seen.set(sig, u);
        gr.push(b);
      }
      gi.push(u);
    }
    idx.push(gi);
    reps.push(gr);
  }
  return { idx, reps };
}
