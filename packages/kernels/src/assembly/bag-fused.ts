// AssemblyScript: embedding-bag backward fused with the optimizer update, as FBGEMM's TBE training kernels with
// EmbOptimType.EXACT_SGD and EXACT_ROWWISE_ADAGRAD (pytorch/FBGEMM fbgemm_gpu/codegen/training/backward/
// embedding_backward_split_template.cu; the update rules in fbgemm_gpu/codegen/genscript/optimizers.py, `sgd()` and
// `rowwise_adagrad()`): the pooled-output gradient of every bag is scattered into a per-step accumulator of the
// distinct rows the bags touch (duplicate ids summed first: the "exact" variants), then each touched row is updated
// once in place. No dense table gradient exists.
//
// Order and rounding (the JavaScript twin src/js/bag-fused.ts does the same, and a dense "gradient then update"
// reference gives the same bits): bags in order u = 0 .. nBags−1, ids j = offsets[u] .. offsets[u+1]−1 in order;
// each term c_j·g (c_j = w_j, times 1/size for mean, formed in float64) is added in float64 to the float32
// accumulator row of ids[j] and rounded to float32 (what `acc[i] += c * g[i]` does on a Float32Array, and what
// the dense scatter-add of bag.ts does). Rows are updated in order of first use.
//   EXACT_SGD:              w = f32(w − lr·acc)                                   (float64 arithmetic)
//   EXACT_ROWWISE_ADAGRAD:  s = f32(state + Σ_d acc_d² / D)   (Σ in float64, d in order)
//                           w = f32(w − (lr / (√s + eps))·acc)                     (float64 arithmetic)

/**
 * Fused backward + update. slot: an int32 array of tableRows entries, all 0 on entry and on return; list: room for
 * the distinct ids (≤ ids used); acc: room for that many rows of D floats. optimizer 0 exact SGD, 1 exact row-wise
 * Adagrad (state: tableRows floats). rows as bagBackward (0: bag u reads gradient row u; −1 skips a bag). Returns the
 * number of distinct rows updated.
 */
export function bagFusedUpdate(
  g: usize,
  ld: i32,
  col: i32,
  D: i32,
  ids: usize,
  offsets: usize,
  weights: usize,
  nBags: i32,
  mode: i32,
  rows: usize,
  table: usize,
  state: usize,
  optimizer: i32,
  lr: f64,
  eps: f64,
  slot: usize,
  list: usize,
  acc: usize,
): i32 {
  const rowBytes = <usize>D << 2;
  let count: i32 = 0;
  for (let u = 0; u < nBags; u++) {
    const grow = rows === 0 ? u : load<i32>(rows + (<usize>u << 2));
    if (grow < 0) continue;
    const a = load<i32>(offsets + (<usize>u << 2));
    const e = load<i32>(offsets + (<usize>u << 2), 4);
    if (e === a) continue;
    const gr = g + ((<usize>grow * <usize>ld + <usize>col) << 2);
    const scale: f64 = mode === 1 ? 1.0 / <f64>(e - a) : 1.0;
    for (let j = a; j < e; j++) {
      const id = load<i32>(ids + (<usize>j << 2));
      const sp = slot + (<usize>id << 2);
      let s = load<i32>(sp);
      if (s === 0) {
        store<i32>(list + (<usize>count << 2), id);
        count++;
        s = count;
        store<i32>(sp, s);
        memory.fill(acc + <usize>(s - 1) * rowBytes, 0, rowBytes);
      }
      const y = acc + <usize>(s - 1) * rowBytes;
      const c: f64 = weights !== 0 ? <f64>load<f32>(weights + (<usize>j << 2)) * scale : scale;
      // c = 1: the float64 sum of two float32 values rounded to float32 is the float32 sum (53 ≥ 2·24 + 2 bits)
      if (c === 1.0) add32(y, gr, D);
      else axpy64(y, gr, c, D);
    }
  }
  for (let i = 0; i < count; i++) {
    const id = load<i32>(list + (<usize>i << 2));
    store<i32>(slot + (<usize>id << 2), 0);
    const y = acc + <usize>i * rowBytes;
    const w = table + <usize>id * rowBytes;
    let m: f64 = lr;
    if (optimizer === 1) {
      let ss: f64 = 0;
      for (let d = 0; d < D; d++) {
        const v = <f64>load<f32>(y + (<usize>d << 2));
        ss += v * v;
      }
      const sp = state + (<usize>id << 2);
      const s = <f32>(<f64>load<f32>(sp) + ss / <f64>D);
      store<f32>(sp, s);
      m = lr / (Math.sqrt(<f64>s) + eps);
    }
    axpy64(w, y, -m, D);
  }
  return count;
}

/** y[0 .. D) = f32(y + c·x) with float64 arithmetic. */
@inline function axpy64(y: usize, x: usize, c: f64, D: i32): void {
  const cv = f64x2.splat(c);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const q = <usize>d << 2;
    const yv = v128.load(y + q);
    const xv = v128.load(x + q);
    const ylo = f64x2.promote_low_f32x4(yv);
    const yhi = f64x2.promote_low_f32x4(i8x16.shuffle(yv, yv, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15));
    const xlo = f64x2.promote_low_f32x4(xv);
    const xhi = f64x2.promote_low_f32x4(i8x16.shuffle(xv, xv, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15));
    const lo = f32x4.demote_f64x2_zero(f64x2.add(ylo, f64x2.mul(cv, xlo)));
    const hi = f32x4.demote_f64x2_zero(f64x2.add(yhi, f64x2.mul(cv, xhi)));
    v128.store(y + q, i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
  }
  for (; d < D; d++) {
    const q = <usize>d << 2;
    store<f32>(y + q, <f32>(<f64>load<f32>(y + q) + c * <f64>load<f32>(x + q)));
  }
}

/** y[0 .. D) += x[0 .. D) in float32. */
@inline function add32(y: usize, x: usize, D: i32): void {
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const q = <usize>d << 2;
    v128.store(y + q, f32x4.add(v128.load(y + q), v128.load(x + q)));
  }
  for (; d < D; d++) {
    const q = <usize>d << 2;
    store<f32>(y + q, load<f32>(y + q) + load<f32>(x + q));
  }
}
