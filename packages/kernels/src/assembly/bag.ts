// AssemblyScript: embedding-bag pooling, forward (gather-sum with optional per-sample weights, sum or mean) and
// backward (scatter-add into the table gradient), as torch.nn.functional.embedding_bag and FBGEMM's
// split_embedding_codegen forward/backward (pytorch/FBGEMM fbgemm_gpu/codegen/training). Bit for bit the
// JavaScript kernel of @tessera/jagged-tensors: the accumulator is float32, each weighted term w·x is formed in
// float64 and added in float64 before the float32 store (exactly what `out[i] += w * x[i]` does on a
// Float32Array), unweighted adds are float32 adds, the mean divides once at the end.

/**
 * For every bag u in [0, nBags) with row[u] ≥ 0: out[row[u]·ld + col + d] = pooled bag u (ids[offsets[u] ..
 * offsets[u+1]) of the D-wide table), d < D. weights = 0 for none; mode 0 sum, 1 mean. rows = 0: bag u goes to row u.
 */
export function bagForward(
  table: usize,
  D: i32,
  ids: usize,
  offsets: usize,
  weights: usize,
  nBags: i32,
  mode: i32,
  rows: usize,
  out: usize,
  ld: i32,
  col: i32,
): void {
  const D4 = D & ~3;
  const rowBytes = <usize>D << 2;
  for (let u = 0; u < nBags; u++) {
    const orow = rows === 0 ? u : load<i32>(rows + (<usize>u << 2));
    if (orow < 0) continue;
    const o = out + ((<usize>orow * <usize>ld + <usize>col) << 2);
    memory.fill(o, 0, rowBytes);
    const a = load<i32>(offsets + (<usize>u << 2));
    const e = load<i32>(offsets + (<usize>u << 2), 4);
    if (weights === 0 && D4 >= 32) {
      // 32 columns at a time in registers: the adds stay in bag order per column (same bits as the loop below),
      // and the next rows' loads do not wait on a store of the accumulator
      let d0 = 0;
      for (; d0 + 32 <= D4; d0 += 32) {
        const od = o + (<usize>d0 << 2);
        let c0 = f32x4.splat(0);
        let c1 = c0;
        let c2 = c0;
        let c3 = c0;
        let c4 = c0;
        let c5 = c0;
        let c6 = c0;
        let c7 = c0;
        for (let j = a; j < e; j++) {
          const x = table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes + (<usize>d0 << 2);
          c0 = f32x4.add(c0, v128.load(x));
          c1 = f32x4.add(c1, v128.load(x, 16));
          c2 = f32x4.add(c2, v128.load(x, 32));
          c3 = f32x4.add(c3, v128.load(x, 48));
          c4 = f32x4.add(c4, v128.load(x, 64));
          c5 = f32x4.add(c5, v128.load(x, 80));
          c6 = f32x4.add(c6, v128.load(x, 96));
          c7 = f32x4.add(c7, v128.load(x, 112));
        }
        v128.store(od, c0);
        v128.store(od, c1, 16);
        v128.store(od, c2, 32);
        v128.store(od, c3, 48);
        v128.store(od, c4, 64);
        v128.store(od, c5, 80);
        v128.store(od, c6, 96);
        v128.store(od, c7, 112);
      }
      for (let j = a; j < e; j++) {
        const x = table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes;
        let d = d0;
        for (; d < D4; d += 4) {
          const q = <usize>d << 2;
          v128.store(o + q, f32x4.add(v128.load(o + q), v128.load(x + q)));
        }
        for (; d < D; d++) {
          const q = <usize>d << 2;
          store<f32>(o + q, load<f32>(o + q) + load<f32>(x + q));
        }
      }
    } else if (weights === 0) {
      for (let j = a; j < e; j++) {
        const x = table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes;
        let d = 0;
        for (; d < D4; d += 4) {
          const q = <usize>d << 2;
          v128.store(o + q, f32x4.add(v128.load(o + q), v128.load(x + q)));
        }
        for (; d < D; d++) {
          const q = <usize>d << 2;
          store<f32>(o + q, load<f32>(o + q) + load<f32>(x + q));
        }
      }
    } else {
      for (let j = a; j < e; j++) {
        const x = table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes;
        axpy64(o, x, <f64>load<f32>(weights + (<usize>j << 2)), D);
      }
    }
    if (mode === 1 && e > a) {
      const nf = <f32>(e - a);
      const nv = f32x4.splat(nf);
      let d = 0;
      for (; d < D4; d += 4) {
        const q = <usize>d << 2;
        v128.store(o + q, f32x4.div(v128.load(o + q), nv));
      }
      for (; d < D; d++) {
        const q = <usize>d << 2;
        store<f32>(o + q, load<f32>(o + q) / nf);
      }
    }
  }
}

/** y[0 .. D) = fl32(y + c·x) with the product and sum in float64. */
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

/**
 * Scatter-add of the pooled gradient: for every bag u with row[u] ≥ 0 (rows = 0: row u) and every position j of
 * the bag, dT[ids[j]·D + d] += c_j · g[row[u]·ld + col + d] with c_j = w_j·(1/n for mean, else 1) formed in float64
 * (a plain float32 add when c_j = 1).
 */
export function bagBackward(
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
  dT: usize,
): void {
  const D4 = D & ~3;
  const rowBytes = <usize>D << 2;
  for (let u = 0; u < nBags; u++) {
    const grow = rows === 0 ? u : load<i32>(rows + (<usize>u << 2));
    if (grow < 0) continue;
    const a = load<i32>(offsets + (<usize>u << 2));
    const e = load<i32>(offsets + (<usize>u << 2), 4);
    if (e === a) continue;
    const gr = g + ((<usize>grow * <usize>ld + <usize>col) << 2);
    const scale: f64 = mode === 1 ? 1.0 / <f64>(e - a) : 1.0;
    for (let j = a; j < e; j++) {
      const c = weights !== 0 ? <f64>load<f32>(weights + (<usize>j << 2)) * scale : scale;
      const y = dT + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes;
      if (c === 1.0) {
        let d = 0;
        for (; d < D4; d += 4) {
          const q = <usize>d << 2;
          v128.store(y + q, f32x4.add(v128.load(y + q), v128.load(gr + q)));
        }
        for (; d < D; d++) {
          const q = <usize>d << 2;
          store<f32>(y + q, load<f32>(y + q) + load<f32>(gr + q));
        }
      } else axpy64(y, gr, c, D);
    }
  }
}
