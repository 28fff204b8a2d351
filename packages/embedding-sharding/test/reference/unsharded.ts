// The unsharded lookup used as the simulator's oracle: @tessera/jagged-tensors' pooledLookup, called table by table on
// a KJT holding only that table's features (permute keeps IKJT inverse rows), concatenated in table order — the layout
// of pooledLookup over all tables at once.
import { type EmbeddingTable, type KeyedJaggedTensor, pooledLookup } from '@tessera/jagged-tensors';

/** Row-major [B, Σ widths] float32 values of the unsharded pooled lookup. */
export function unshardedPooled(tables: readonly EmbeddingTable[], x: KeyedJaggedTensor): Float32Array {
  const pooled = tables.filter((t) => t.pooling !== 'none');
  const parts = pooled.map((t) => {
    const sub = x.permute(t.featureNames.map((f) => x.keys.indexOf(f)));
    try {
      // the host kernels, which the simulator's workers reproduce bit for bit (the default on a backend without
      // synchronous reads would be tfjs ops, whose GPU sums run in no fixed order)
      const kt = pooledLookup([t], sub, { kernel: 'host' });
      const v = kt.values.dataSync() as Float32Array;
      const w = kt.values.shape[1];
      kt.dispose();
      return { v: v.slice(), w };
    } finally {
      sub.dispose();
    }
  });
  const width = parts.reduce((a, p) => a + p.w, 0);
  const B = x.stride;
  const out = new Float32Array(B * width);
  let col = 0;
  for (const p of parts) {
    for (let b = 0; b < B; b++) out.set(p.v.subarray(b * p.w, (b + 1) * p.w), b * width + col);
    col += p.w;
  }
  return out;
}
