// JavaScript twin of src/assembly/bag-fused.ts: embedding-bag backward fused with an exact SGD or exact row-wise
// Adagrad update of the touched rows (FBGEMM TBE EmbOptimType.EXACT_SGD / EXACT_ROWWISE_ADAGRAD). Same order and
// rounding as the AssemblyScript kernel (see there): bit for bit the same results.

/**
 * Fused backward + update (see bagFusedUpdate): accumulates the gradient of every distinct id the bags use in first-use
 * order into `acc` (slot: tableRows int32 entries, all 0 on entry and on return; list: the distinct ids), then
 * updates those rows of `table` (and, for row-wise Adagrad, `state`). Returns the number of rows updated. @internal
 */
export function bagFusedUpdateJs(
  g: Float32Array,
  ld: number,
  col: number,
  D: number,
  ids: Int32Array,
  offsets: Int32Array,
  weights: Float32Array | null,
  nBags: number,
  mode: number,
  rows: Int32Array | null,
  table: Float32Array,
  state: Float32Array | null,
  optimizer: number,
  lr: number,
  eps: number,
  slot: Int32Array,
  list: Int32Array,
  acc: Float32Array,
): number {
  let count = 0;
  for (let u = 0; u < nBags; u++) {
    const grow = rows === null ? u : rows[u];
    if (grow < 0) continue;
    const a = offsets[u];
    const e = offsets[u + 1];
    if (e === a) continue;
    const go = grow * ld + col;
    const scale = mode === 1 ? 1 / (e - a) : 1;
    for (let j = a; j < e; j++) {
      const id = ids[j];
      let s = slot[id];
      if (s === 0) {
        list[count] = id;
        s = ++count;
        slot[id] = s;
        acc.fill(0, (s - 1) * D, s * D);
      }
      const y = (s - 1) * D;
      const c = weights !== null ? weights[j] * scale : scale;
      for (let d = 0; d < D; d++) acc[y + d] += c * g[go + d];
    }
  }
  for (let i = 0; i < count; i++) {
    const id = list[i];
    slot[id] = 0;
    const y = i * D;
    const w = id * D;
    let m = lr;
    if (optimizer === 1 && state !== null) {
      let ss = 0;
      for (let d = 0; d < D; d++) ss += acc[y + d] * acc[y + d];
      const s = Math.fround(state[id] + ss / D);
      state[id] = s;
      m = lr / (Math.sqrt(s) + eps);
    }
    for (let d = 0; d < D; d++) table[w + d] = table[w + d] - m * acc[y + d];
  }
  return count;
}
