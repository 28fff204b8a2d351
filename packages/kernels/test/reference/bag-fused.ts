// Naive reference of the fused embedding-bag backward + update: the dense table gradient first (torch embedding_bag
// backward: bags in order, ids in order, dT[id] += c·g on a Float32Array), then the optimizer applied to every row
// the bags touched, in order of first use (FBGEMM fbgemm_gpu/codegen/genscript/optimizers.py `sgd()`,
// `rowwise_adagrad()`), float64 arithmetic rounded to float32 per row element.

export function fusedReference(
  g: Float32Array,
  ld: number,
  col: number,
  D: number,
  ids: Int32Array,
  offsets: Int32Array,
  weights: Float32Array | null,
  nBags: number,
  mode: 'sum' | 'mean',
  rows: Int32Array | null,
  table: Float32Array,
  tableRows: number,
  optimizer: 'exact_sgd' | 'exact_rowwise_adagrad',
  lr: number,
  eps: number,
  momentum: Float32Array | null,
): number {
  const dT = new Float32Array(tableRows * D);
  const touched: number[] = [];
  for (let u = 0; u < nBags; u++) {
    const r = rows === null ? u : rows[u];
    if (r < 0) continue;
    const n = offsets[u + 1] - offsets[u];
    for (let j = offsets[u]; j < offsets[u + 1]; j++) {
      const c = (weights === null ? 1 : weights[j]) * (mode === 'mean' ? 1 / n : 1);
      if (!touched.includes(ids[j])) touched.push(ids[j]);
      for (let d = 0; d < D; d++) dT[ids[j] * D + d] += c * g[r * ld + col + d];
    }
  }
  for (const id of touched) {
    let step = lr;
    if (optimizer === 'exact_rowwise_adagrad') {
      let sum = 0;
      for (let d = 0; d < D; d++) sum += dT[id * D + d] ** 2;
      (momentum as Float32Array)[id] += sum / D;
      step = lr / (Math.sqrt((momentum as Float32Array)[id]) + eps);
    }
    for (let d = 0; d < D; d++) table[id * D + d] -= step * dT[id * D + d];
  }
  return touched.length;
}
