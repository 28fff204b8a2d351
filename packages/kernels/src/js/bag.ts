// JavaScript twins of src/assembly/bag.ts: embedding-bag pooled forward (gather-sum, optional per-sample weights,
// sum or mean) and backward (scatter-add), as torch.nn.functional.embedding_bag.

/** Pooled forward into rows of `out` (see bagForward). @internal */
export function bagForwardJs(
  table: Float32Array,
  D: number,
  ids: Int32Array,
  offsets: Int32Array,
  weights: Float32Array | null,
  nBags: number,
  mode: number,
  rows: Int32Array | null,
  out: Float32Array,
  ld: number,
  col: number,
): void {
  for (let u = 0; u < nBags; u++) {
    const row = rows === null ? u : rows[u];
    if (row < 0) continue;
    const o = row * ld + col;
    out.fill(0, o, o + D);
    const a = offsets[u];
    const e = offsets[u + 1];
    for (let j = a; j < e; j++) {
      const x = ids[j] * D;
      if (weights === null) for (let d = 0; d < D; d++) out[o + d] += table[x + d];
      else {
        const w = weights[j];
        for (let d = 0; d < D; d++) out[o + d] += w * table[x + d];
      }
    }
    if (mode === 1 && e > a) for (let d = 0; d < D; d++) out[o + d] /= e - a;
  }
}

/** Scatter-add of pooled gradients into the table gradient (see bagBackward). @internal */
export function bagBackwardJs(
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
  dT: Float32Array,
): void {
  for (let u = 0; u < nBags; u++) {
    const row = rows === null ? u : rows[u];
    if (row < 0) continue;
    const a = offsets[u];
    const e = offsets[u + 1];
    if (e === a) continue;
    const go = row * ld + col;
    const scale = mode === 1 ? 1 / (e - a) : 1;
    for (let j = a; j < e; j++) {
      const c = weights !== null ? weights[j] * scale : scale;
      const y = ids[j] * D;
      for (let d = 0; d < D; d++) dT[y + d] += c * g[go + d];
    }
  }
}

/** Row copy out[i·ldo + colo + d] = src[idx[i]·lds + cols + d], idx[i] < 0 skips (see rowsSelect). @internal */
export function rowsSelectJs(
  src: Float32Array,
  lds: number,
  cols: number,
  D: number,
  idx: Int32Array,
  n: number,
  out: Float32Array,
  ldo: number,
  colo: number,
): void {
  for (let i = 0; i < n; i++) {
    if (idx[i] < 0) continue;
    const s = idx[i] * lds + cols;
    const o = i * ldo + colo;
    for (let d = 0; d < D; d++) out[o + d] = src[s + d];
  }
}

/** Row scatter-add out[idx[i]·ldo + colo + d] += src[i·lds + cols + d] in i order, idx[i] < 0 skips (see rowsIndexAdd). @internal */
export function rowsIndexAddJs(
  src: Float32Array,
  lds: number,
  cols: number,
  D: number,
  idx: Int32Array,
  n: number,
  out: Float32Array,
  ldo: number,
  colo: number,
): void {
  for (let i = 0; i < n; i++) {
    if (idx[i] < 0) continue;
    const o = idx[i] * ldo + colo;
    const s = i * lds + cols;
    for (let d = 0; d < D; d++) out[o + d] += src[s + d];
  }
}
