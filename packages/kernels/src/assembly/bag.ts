// AssemblyScript: embedding-bag pooling, forward (gather-sum with optional per-sample weights, sum or mean) and
// backward (scatter-add into the table gradient), as torch.nn.functional.embedding_bag and FBGEMM's
// split_embedding_codegen forward/backward (pytorch/FBGEMM fbgemm_gpu/codegen/training). Bit for bit the
// JavaScript kernel of @tessera/jagged-tensors: the accumulator is float32, each weighted term w·x is formed in
// float64 and added in float64 before the float32 store (exactly what `out[i] += w * x[i]` does on a
// Float32Array), unweighted adds are float32 adds, the mean divides once at the end.
//
// The gathered rows are random reads of a table far larger than the caches, so the loops are bound by memory
// latency, not arithmetic. WebAssembly has no prefetch instruction: every kernel below reads one word of each cache
// line of the row PREFETCH ids ahead (an ordinary load whose value is folded into the returned `sink`, so the engine
// cannot drop it), which keeps several rows in flight while the current one is summed; the unweighted sums keep 32
// columns in registers across the rows of a bag (the adds stay in bag order per column, the same bits as adding
// into memory).

/** How many ids ahead the row loads are issued (8 rows of 256 B: about the misses one core keeps in flight). */
const PREFETCH = 8;

/** Reads one word per 64-byte line of the row of id ids[j'] (j' = min(j + PREFETCH, last)); returns their xor. */
@inline function touch(table: usize, rowBytes: usize, ids: usize, j: i32, last: i32): i32 {
  const jp = j + PREFETCH < last ? j + PREFETCH : last;
  return touchRow(table + <usize>load<i32>(ids + (<usize>jp << 2)) * rowBytes, rowBytes);
}

/** Reads one word per 64-byte line of the `bytes` at x; returns their xor. */
@inline function touchRow(x: usize, bytes: usize): i32 {
  let s = load<i32>(x);
  for (let q: usize = 64; q < bytes; q += 64) s ^= load<i32>(x + q);
  return s;
}

/** The output (or gradient) row of bag u + 2 under the row map, or −1 (none or skipped). */
@inline function rowAhead(rows: usize, u: i32, nBags: i32): i32 {
  const v = u + 2;
  if (v >= nBags) return -1;
  return rows === 0 ? v : load<i32>(rows + (<usize>v << 2));
}

/**
 * For every bag u in [0, nBags) with row[u] ≥ 0: out[row[u]·ld + col + d] = pooled bag u (ids[offsets[u] ..
 * offsets[u+1]) of the D-wide table), d < D. weights = 0 for none; mode 0 sum, 1 mean. rows = 0: bag u goes to row u.
 * Returns a value of no meaning (the prefetch loads feed it).
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
): i32 {
  const rowBytes = <usize>D << 2;
  const last = load<i32>(offsets + (<usize>nBags << 2)) - 1;
  let sink: i32 = 0;
  for (let u = 0; u < nBags; u++) {
    const orow = rows === 0 ? u : load<i32>(rows + (<usize>u << 2));
    if (orow < 0) continue;
    const o = out + ((<usize>orow * <usize>ld + <usize>col) << 2);
    // the output row two bags ahead (rows of a wide output are a page apart: no hardware prefetch reaches them)
    const ahead = rowAhead(rows, u, nBags);
    if (ahead >= 0) sink ^= touchRow(out + ((<usize>ahead * <usize>ld + <usize>col) << 2), rowBytes);
    const a = load<i32>(offsets + (<usize>u << 2));
    const e = load<i32>(offsets + (<usize>u << 2), 4);
    if (weights === 0) {
      let d0 = 0;
      // 32 columns at a time in registers: the next rows' loads do not wait on a store of the accumulator
      for (; d0 + 32 <= D; d0 += 32) {
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
          if (d0 === 0) sink ^= touch(table, rowBytes, ids, j, last);
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
      for (; d0 + 8 <= D; d0 += 8) {
        const od = o + (<usize>d0 << 2);
        let c0 = f32x4.splat(0);
        let c1 = c0;
        for (let j = a; j < e; j++) {
          if (d0 === 0) sink ^= touch(table, rowBytes, ids, j, last);
          const x = table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes + (<usize>d0 << 2);
          c0 = f32x4.add(c0, v128.load(x));
          c1 = f32x4.add(c1, v128.load(x, 16));
        }
        v128.store(od, c0);
        v128.store(od, c1, 16);
      }
      for (; d0 + 4 <= D; d0 += 4) {
        let c0 = f32x4.splat(0);
        for (let j = a; j < e; j++) c0 = f32x4.add(c0, v128.load(table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes + (<usize>d0 << 2)));
        v128.store(o + (<usize>d0 << 2), c0);
      }
      for (; d0 < D; d0++) {
        let c: f32 = 0;
        for (let j = a; j < e; j++) c += load<f32>(table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes + (<usize>d0 << 2));
        store<f32>(o + (<usize>d0 << 2), c);
      }
    } else {
      // Each step is y = fl32(y + w·x) with w·x exact and the sum in float64 (as the JavaScript twin's Float32Array
      // update). Eight columns at a time stay in registers as float64 pairs holding float32 values, rounded to
      // float32 after every step, so nothing goes through memory between the ids of a bag.
      let d0 = 0;
      for (; d0 + 8 <= D; d0 += 8) {
        let y0 = f64x2.splat(0);
        let y1 = y0;
        let y2 = y0;
        let y3 = y0;
        for (let j = a; j < e; j++) {
          if (d0 === 0) sink ^= touch(table, rowBytes, ids, j, last);
          const x = table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes + (<usize>d0 << 2);
          const c = f64x2.splat(<f64>load<f32>(weights + (<usize>j << 2)));
          const xa = v128.load(x);
          const xb = v128.load(x, 16);
          y0 = round32(f64x2.add(y0, f64x2.mul(c, f64x2.promote_low_f32x4(xa))));
          y1 = round32(f64x2.add(y1, f64x2.mul(c, f64x2.promote_low_f32x4(shuffleHi(xa)))));
          y2 = round32(f64x2.add(y2, f64x2.mul(c, f64x2.promote_low_f32x4(xb))));
          y3 = round32(f64x2.add(y3, f64x2.mul(c, f64x2.promote_low_f32x4(shuffleHi(xb)))));
        }
        const od = o + (<usize>d0 << 2);
        v128.store(od, join32(y0, y1));
        v128.store(od, join32(y2, y3), 16);
      }
      if (d0 < D) {
        const rest = o + (<usize>d0 << 2);
        memory.fill(rest, 0, <usize>(D - d0) << 2);
        for (let j = a; j < e; j++) {
          if (d0 === 0) sink ^= touch(table, rowBytes, ids, j, last);
          const x = table + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes + (<usize>d0 << 2);
          axpy64(rest, x, <f64>load<f32>(weights + (<usize>j << 2)), D - d0);
        }
      }
    }
    if (mode === 1 && e > a) {
      const nf = <f32>(e - a);
      const nv = f32x4.splat(nf);
      let d = 0;
      for (; d + 4 <= D; d += 4) {
        const q = <usize>d << 2;
        v128.store(o + q, f32x4.div(v128.load(o + q), nv));
      }
      for (; d < D; d++) {
        const q = <usize>d << 2;
        store<f32>(o + q, load<f32>(o + q) / nf);
      }
    }
  }
  return sink;
}

/** The upper two float32 lanes moved to the lower two. */
@inline function shuffleHi(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
}

/** A float64 pair rounded to float32 and back (exact: the result holds float32 values). */
@inline function round32(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v));
}

/** Two float64 pairs of float32 values as one float32x4 (lo, hi). */
@inline function join32(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
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

/** y[0 .. D) += x[0 .. D) in float32. */
@inline function add32(y: usize, x: usize, D: i32): void {
  let d = 0;
  for (; d + 16 <= D; d += 16) {
    const q = <usize>d << 2;
    v128.store(y + q, f32x4.add(v128.load(y + q), v128.load(x + q)));
    v128.store(y + q, f32x4.add(v128.load(y + q, 16), v128.load(x + q, 16)), 16);
    v128.store(y + q, f32x4.add(v128.load(y + q, 32), v128.load(x + q, 32)), 32);
    v128.store(y + q, f32x4.add(v128.load(y + q, 48), v128.load(x + q, 48)), 48);
  }
  for (; d + 4 <= D; d += 4) {
    const q = <usize>d << 2;
    v128.store(y + q, f32x4.add(v128.load(y + q), v128.load(x + q)));
  }
  for (; d < D; d++) {
    const q = <usize>d << 2;
    store<f32>(y + q, load<f32>(y + q) + load<f32>(x + q));
  }
}

/**
 * Scatter-add of the pooled gradient: for every bag u with row[u] ≥ 0 (rows = 0: row u) and every position j of
 * the bag, dT[ids[j]·D + d] += c_j · g[row[u]·ld + col + d] with c_j = w_j·(1/n for mean, else 1) formed in float64
 * (a plain float32 add when c_j = 1). Returns a value of no meaning (the prefetch loads feed it).
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
): i32 {
  const rowBytes = <usize>D << 2;
  const last = load<i32>(offsets + (<usize>nBags << 2)) - 1;
  let sink: i32 = 0;
  for (let u = 0; u < nBags; u++) {
    const grow = rows === 0 ? u : load<i32>(rows + (<usize>u << 2));
    if (grow < 0) continue;
    const a = load<i32>(offsets + (<usize>u << 2));
    const e = load<i32>(offsets + (<usize>u << 2), 4);
    if (e === a) continue;
    const gr = g + ((<usize>grow * <usize>ld + <usize>col) << 2);
    const ahead = rowAhead(rows, u, nBags);
    if (ahead >= 0) sink ^= touchRow(g + ((<usize>ahead * <usize>ld + <usize>col) << 2), rowBytes);
    const scale: f64 = mode === 1 ? 1.0 / <f64>(e - a) : 1.0;
    for (let j = a; j < e; j++) {
      sink ^= touch(dT, rowBytes, ids, j, last);
      const c = weights !== 0 ? <f64>load<f32>(weights + (<usize>j << 2)) * scale : scale;
      const y = dT + <usize>load<i32>(ids + (<usize>j << 2)) * rowBytes;
      if (c === 1.0) add32(y, gr, D);
      else axpy64(y, gr, c, D);
    }
  }
  return sink;
}

/**
 * out[i·ldo + colo + d] = src[idx[i]·lds + cols + d] for i < n with idx[i] ≥ 0, d < D (torch.index_select on rows;
 * a plain copy; idx[i] < 0 leaves row i). Returns a value of no meaning (the prefetch loads feed it).
 */
export function rowsSelect(src: usize, lds: i32, cols: i32, D: i32, idx: usize, n: i32, out: usize, ldo: i32, colo: i32): i32 {
  const bytes = <usize>D << 2;
  let sink: i32 = 0;
  for (let i = 0; i < n; i++) {
    const ip = i + PREFETCH < n ? i + PREFETCH : n - 1;
    const kp = load<i32>(idx + (<usize>ip << 2));
    if (kp >= 0) {
      sink ^= touchRow(src + ((<usize>kp * <usize>lds + <usize>cols) << 2), bytes);
      sink ^= touchRow(out + ((<usize>ip * <usize>ldo + <usize>colo) << 2), bytes);
    }
    const k = load<i32>(idx + (<usize>i << 2));
    if (k < 0) continue;
    memory.copy(out + ((<usize>i * <usize>ldo + <usize>colo) << 2), src + ((<usize>k * <usize>lds + <usize>cols) << 2), bytes);
  }
  return sink;
}

/**
 * out[idx[i]·ldo + colo + d] += src[i·lds + cols + d] for i < n with idx[i] ≥ 0, in i order, float32 adds
 * (torch.index_add_ on rows; idx[i] < 0 skips row i). Returns a value of no meaning (the prefetch loads feed it).
 */
export function rowsIndexAdd(src: usize, lds: i32, cols: i32, D: i32, idx: usize, n: i32, out: usize, ldo: i32, colo: i32): i32 {
  const bytes = <usize>D << 2;
  let sink: i32 = 0;
  for (let i = 0; i < n; i++) {
    const ip = i + PREFETCH < n ? i + PREFETCH : n - 1;
    const kp = load<i32>(idx + (<usize>ip << 2));
    if (kp >= 0) {
      sink ^= touchRow(src + ((<usize>ip * <usize>lds + <usize>cols) << 2), bytes);
      sink ^= touchRow(out + ((<usize>kp * <usize>ldo + <usize>colo) << 2), bytes);
    }
    const k = load<i32>(idx + (<usize>i << 2));
    if (k < 0) continue;
    add32(out + ((<usize>k * <usize>ldo + <usize>colo) << 2), src + ((<usize>i * <usize>lds + <usize>cols) << 2), D);
  }
  return sink;
}
