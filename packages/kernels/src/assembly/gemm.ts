// AssemblyScript: the dense SIMD GEMM and the 2:4 sparse GEMM (spmm24), CSR × dense (csrmm, for spmm24T) over float32, row-major, plus the
// 2:4 mask and compression. Same loop structure for dense and sparse (one row of A at a time against 16-column panels
// of B, 4 f32 lanes, the panel's sums in 4 accumulators, two terms per step), so the sparse/dense ratio measures the
// skipped multiply-adds: the method of NVIDIA's 2:4 sparse tensor cores (Mishra et al. 2021, "Accelerating Sparse
// Deep Neural Networks", section 3) on a CPU. Float32 accumulation (no FMA in WebAssembly SIMD 128): results agree
// with a float64 reference within float32 tolerance, not bit for bit with the JavaScript kernels (which accumulate in
// float64).
//
// Why 16 columns and two terms: an optimizing WebAssembly compiler (V8's TurboFan) issues a loop body's loads before
// its arithmetic, so every loaded B vector, both broadcast A values and the accumulators are live at once. With 4
// accumulators and two terms that is 8 + 2 + 4 = 14 of the 16 SIMD registers of x86-64: nothing spills. The former
// 32-column panel (8 accumulators) spilled half of its loads to the stack on every step.

/** Rows of b per K-chunk (a multiple of 4: chunks hold whole 2:4 groups). */
const KC = 1024;
/** Columns of b per column block: one K-chunk of a block (KC × NB float32, 256 KiB) stays in L2 across RB rows of a. */
const NB = 64;
/** Rows of a per row block: the block's K-chunk of a (RB × KC float32 dense, as many bytes of values and columns
 * sparse: 256 KiB) stays in L2 across every column block. */
const RB = 64;

/**
 * Copies rows [t0, t1) × columns [j0, j0 + w) of b (row length n, w a multiple of 16) to dst, contiguous (row length
 * w): a B block whose rows are a large power of two apart in b would map onto a few cache sets and evict itself.
 */
function packB(b: usize, n: i32, t0: i32, t1: i32, j0: i32, w: i32, dst: usize): void {
  const wb = <usize>w << 2;
  let d = dst;
  for (let t = t0; t < t1; t++) {
    const s = b + ((<usize>t * <usize>n + <usize>j0) << 2);
    for (let o: usize = 0; o < wb; o += 16) v128.store(d + o, v128.load(s + o));
    d += wb;
  }
}

/** Packs rows [t0, t1) of every column block of b's first n16 columns, block after block (block jb at (t1−t0)·jb). */
function packChunk(b: usize, n: i32, n16: i32, t0: i32, t1: i32, dst: usize): void {
  for (let jb = 0; jb < n16; jb += NB) packB(b, n, t0, t1, jb, min<i32>(n16, jb + NB) - jb, dst + ((<usize>(t1 - t0) * <usize>jb) << 2));
}

/**
 * out[m×n] = a[m×k] · b[k×n]. pack ≠ 0: scratch of min(k, KC) × (n rounded down to 16) float32, where each K-chunk of
 * b is packed in column blocks first (the caller passes it when n > NB and m is large enough to repay the copy).
 */
export function gemm(a: usize, m: i32, k: i32, b: usize, n: i32, out: usize, pack: usize): void {
  if (k === 0) {
    memory.fill(out, 0, (<usize>m * <usize>n) << 2);
    return;
  }
  const n16 = n & ~15;
  for (let kc0 = 0; kc0 < k; kc0 += KC) {
    const kc1 = min<i32>(k, kc0 + KC);
    const ke = kc0 + ((kc1 - kc0) & ~1);
    if (pack !== 0) packChunk(b, n, n16, kc0, kc1, pack);
    for (let rb = 0; rb < m; rb += RB) {
      const re = min<i32>(m, rb + RB);
      for (let jb = 0; jb < n16; jb += NB) {
        // row t of the column block at base + t·stride
        let stride = <usize>n << 2;
        let base = b + (<usize>jb << 2);
        if (pack !== 0) {
          stride = <usize>(min<i32>(n16, jb + NB) - jb) << 2;
          base = pack + ((<usize>(kc1 - kc0) * <usize>jb) << 2) - <usize>kc0 * stride;
        }
        const je = min<i32>(n16, jb + NB);
        for (let r = rb; r < re; r++) {
          const ar = a + ((<usize>r * <usize>k) << 2);
          const qs = ar + (<usize>kc0 << 2);
          const qe = ar + (<usize>ke << 2);
          const orow = out + ((<usize>r * <usize>n) << 2);
          for (let j0 = jb; j0 < je; j0 += 16) {
            const o = orow + (<usize>j0 << 2);
            let c0 = f32x4.splat(0);
            let c1 = c0;
            let c2 = c0;
            let c3 = c0;
            if (kc0 > 0) {
              // partial sums of earlier K-chunks come back from out
              c0 = v128.load(o);
              c1 = v128.load(o, 16);
              c2 = v128.load(o, 32);
              c3 = v128.load(o, 48);
            }
            let p = base + (<usize>(j0 - jb) << 2) + <usize>kc0 * stride;
            for (let q = qs; q < qe; q += 8, p += stride << 1) {
              const v = v128.load32_splat(q);
              const w = v128.load32_splat(q, 4);
              const s = p + stride;
              c0 = f32x4.add(c0, f32x4.add(f32x4.mul(v, v128.load(p)), f32x4.mul(w, v128.load(s))));
              c1 = f32x4.add(c1, f32x4.add(f32x4.mul(v, v128.load(p, 16)), f32x4.mul(w, v128.load(s, 16))));
              c2 = f32x4.add(c2, f32x4.add(f32x4.mul(v, v128.load(p, 32)), f32x4.mul(w, v128.load(s, 32))));
              c3 = f32x4.add(c3, f32x4.add(f32x4.mul(v, v128.load(p, 48)), f32x4.mul(w, v128.load(s, 48))));
            }
            if (ke < kc1) {
              const v = v128.load32_splat(qe);
              c0 = f32x4.add(c0, f32x4.mul(v, v128.load(p)));
              c1 = f32x4.add(c1, f32x4.mul(v, v128.load(p, 16)));
              c2 = f32x4.add(c2, f32x4.mul(v, v128.load(p, 32)));
              c3 = f32x4.add(c3, f32x4.mul(v, v128.load(p, 48)));
            }
            v128.store(o, c0);
            v128.store(o, c1, 16);
            v128.store(o, c2, 32);
            v128.store(o, c3, 48);
          }
        }
      }
    }
  }
  if (n16 < n) gemmTail(a, m, k, b, n, out, n16);
}

/** Columns [j0, n) of gemm, four lanes then one at a time. */
function gemmTail(a: usize, m: i32, k: i32, b: usize, n: i32, out: usize, j0: i32): void {
  for (let r = 0; r < m; r++) {
    const ar = a + (<usize>r * <usize>k << 2);
    let j = j0;
    for (; j + 4 <= n; j += 4) {
      let c = f32x4.splat(0);
      for (let t = 0; t < k; t++) c = f32x4.add(c, f32x4.mul(v128.load32_splat(ar + (<usize>t << 2)), v128.load(b + ((<usize>t * <usize>n + <usize>j) << 2))));
      v128.store(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
    }
    for (; j < n; j++) {
      let c: f32 = 0;
      for (let t = 0; t < k; t++) c += load<f32>(ar + (<usize>t << 2)) * load<f32>(b + ((<usize>t * <usize>n + <usize>j) << 2));
      store<f32>(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
    }
  }
}

/**
 * Index of the first kept entry outside its 2:4 group, or −1: entry t of a row (h = k/2 per row) must lie in columns
 * [4⌊t/2⌋, 4⌊t/2⌋ + 4), as mask24Compress and every 2:4 layout place it. K-chunks (and their packed copy of b) rely on
 * it; it also keeps every read inside b.
 */
function firstBadCol(cols: usize, m: i32, h: i32): i32 {
  const h4 = h & ~3;
  const step = i32x4.splat(2);
  for (let r = 0; r < m; r++) {
    const cr = cols + ((<usize>r * <usize>h) << 2);
    // lanes t..t+3 belong to groups t/2, t/2, t/2 + 1, t/2 + 1 (arithmetic shift: a negative column stays negative)
    let g = i32x4(0, 0, 1, 1);
    let t = 0;
    for (; t < h4; t += 4) {
      if (!i32x4.all_true(i32x4.eq(i32x4.shr_s(v128.load(cr + (<usize>t << 2)), 2), g))) break;
      g = i32x4.add(g, step);
    }
    for (; t < h; t++) if (load<i32>(cr + (<usize>t << 2)) >> 2 !== t >> 1) return r * h + t;
  }
  return -1;
}

/**
 * out[m×n] = A · b[k×n] with A 2:4-compressed: values[m×k/2] and their columns cols[m×k/2] (int32). pack as in gemm.
 * Checks the columns first (firstBadCol): returns the index of the first entry outside its group, with nothing
 * written, or −1 once the product is done.
 */
export function spmm24(values: usize, cols: usize, m: i32, k: i32, b: usize, n: i32, out: usize, pack: usize): i32 {
  const h = k >> 1;
  const bad = firstBadCol(cols, m, h);
  if (bad >= 0) return bad;
  if (k === 0) {
    memory.fill(out, 0, (<usize>m * <usize>n) << 2);
    return -1;
  }
  const n16 = n & ~15;
  // cols sit at a fixed distance from values (wrapping address arithmetic)
  const dc = cols - values;
  // K-chunks as in gemm: the kept entries of columns [kc0, kc1) are entries [kc0/2, kc1/2) of every row (2 per
  // group, so an even count: two per step, no remainder)
  for (let kc0 = 0; kc0 < k; kc0 += KC) {
    const kc1 = min<i32>(k, kc0 + KC);
    if (pack !== 0) packChunk(b, n, n16, kc0, kc1, pack);
    for (let rb = 0; rb < m; rb += RB) {
      const re = min<i32>(m, rb + RB);
      for (let jb = 0; jb < n16; jb += NB) {
        let stride = <usize>n << 2;
        let base = b + (<usize>jb << 2);
        if (pack !== 0) {
          stride = <usize>(min<i32>(n16, jb + NB) - jb) << 2;
          base = pack + ((<usize>(kc1 - kc0) * <usize>jb) << 2) - <usize>kc0 * stride;
        }
        const je = min<i32>(n16, jb + NB);
        for (let r = rb; r < re; r++) {
          const vr = values + ((<usize>r * <usize>h) << 2);
          const qs = vr + (<usize>(kc0 >> 1) << 2);
          const qe = vr + (<usize>(kc1 >> 1) << 2);
          const orow = out + ((<usize>r * <usize>n) << 2);
          for (let j0 = jb; j0 < je; j0 += 16) {
            const o = orow + (<usize>j0 << 2);
            const bj = base + (<usize>(j0 - jb) << 2);
            let c0 = f32x4.splat(0);
            let c1 = c0;
            let c2 = c0;
            let c3 = c0;
            if (kc0 > 0) {
              c0 = v128.load(o);
              c1 = v128.load(o, 16);
              c2 = v128.load(o, 32);
              c3 = v128.load(o, 48);
            }
            for (let q = qs; q < qe; q += 8) {
              const v = v128.load32_splat(q);
              const w = v128.load32_splat(q, 4);
              const c = load<u64>(q + dc);
              const p = bj + <usize>(<u32>c) * stride;
              const s = bj + <usize>(<u32>(c >>> 32)) * stride;
              c0 = f32x4.add(c0, f32x4.add(f32x4.mul(v, v128.load(p)), f32x4.mul(w, v128.load(s))));
              c1 = f32x4.add(c1, f32x4.add(f32x4.mul(v, v128.load(p, 16)), f32x4.mul(w, v128.load(s, 16))));
              c2 = f32x4.add(c2, f32x4.add(f32x4.mul(v, v128.load(p, 32)), f32x4.mul(w, v128.load(s, 32))));
              c3 = f32x4.add(c3, f32x4.add(f32x4.mul(v, v128.load(p, 48)), f32x4.mul(w, v128.load(s, 48))));
            }
            v128.store(o, c0);
            v128.store(o, c1, 16);
            v128.store(o, c2, 32);
            v128.store(o, c3, 48);
          }
        }
      }
    }
  }
  if (n16 < n) {
    for (let r = 0; r < m; r++) {
      const vr = values + ((<usize>r * <usize>h) << 2);
      const cr = cols + ((<usize>r * <usize>h) << 2);
      let j = n16;
      for (; j + 4 <= n; j += 4) {
        let c = f32x4.splat(0);
        for (let t = 0; t < h; t++) {
          const q = <usize>t << 2;
          c = f32x4.add(c, f32x4.mul(v128.load32_splat(vr + q), v128.load(b + ((<usize>load<i32>(cr + q) * <usize>n + <usize>j) << 2))));
        }
        v128.store(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
      }
      for (; j < n; j++) {
        let c: f32 = 0;
        for (let t = 0; t < h; t++) {
          const q = <usize>t << 2;
          c += load<f32>(vr + q) * load<f32>(b + ((<usize>load<i32>(cr + q) * <usize>n + <usize>j) << 2));
        }
        store<f32>(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
      }
    }
  }
  return -1;
}

/** Index of the best (b) and second (s) of four keys as b | s << 2: first maximum wins ties (strict >). */
@inline function top2(k0: f32, k1: f32, k2: f32, k3: f32): i32 {
  let b = 0;
  let kb = k0;
  if (k1 > kb) {
    b = 1;
    kb = k1;
  }
  if (k2 > kb) {
    b = 2;
    kb = k2;
  }
  if (k3 > kb) b = 3;
  let s = -1;
  let ks: f32 = 0;
  if (b !== 0) {
    s = 0;
    ks = k0;
  }
  if (b !== 1 && (s < 0 || k1 > ks)) {
    s = 1;
    ks = k1;
  }
  if (b !== 2 && (s < 0 || k2 > ks)) {
    s = 2;
    ks = k2;
  }
  if (b !== 3 && (s < 0 || k3 > ks)) s = 3;
  return b | (s << 2);
}

@inline function key(x: f32, byMagnitude: bool): f32 {
  const k = byMagnitude ? abs<f32>(x) : x;
  return (reinterpret<u32>(k) & 0x7fffffff) > 0x7f800000 ? -Infinity : k;
}

/**
 * 2:4 selection over groups of four of n float32 at x (n % 4 = 0): the two largest keys (|x| for by = 0, x for
 * by = 1; NaN ranks as −∞; ties keep the lower index). Writes the mask as bytes (1 kept) to mask when mask ≠ 0 and
 * the kept values and their columns within rows of k to values/cols when values ≠ 0.
 */
export function mask24Compress(x: usize, n: i32, k: i32, by: i32, mask: usize, values: usize, cols: usize): void {
  const mag = by === 0;
  for (let g = 0; g < n; g += 4) {
    const p = x + (<usize>g << 2);
    const x0 = load<f32>(p);
    const x1 = load<f32>(p, 4);
    const x2 = load<f32>(p, 8);
    const x3 = load<f32>(p, 12);
    const t = top2(key(x0, mag), key(x1, mag), key(x2, mag), key(x3, mag));
    const i0 = t & 3;
    const i1 = t >> 2;
    if (mask !== 0) {
      const w = (<u32>1 << (i0 << 3)) | (<u32>1 << (i1 << 3));
      store<u32>(mask + g, w);
    }
    if (values !== 0) {
      const lo = min<i32>(i0, i1);
      const hi = max<i32>(i0, i1);
      const o = <usize>(g >> 1) << 2;
      store<f32>(values + o, load<f32>(p + (<usize>lo << 2)));
      store<f32>(values + o, load<f32>(p + (<usize>hi << 2)), 4);
      const c = g % k;
      store<i32>(cols + o, c + lo);
      store<i32>(cols + o, c + hi, 4);
    }
  }
}

/**
 * CSR times dense: out[rows×n] row r = Σ_{t ∈ [rowPtr[r], rowPtr[r+1])} vals[t]·b[idx[t], :] with b bRows × n
 * (16-column panels in registers, two entries per step, as spmm24; pack ≠ 0: scratch of bRows × (n rounded down to
 * 16) float32 where b's column blocks are packed first). spmm24T runs on it with the CSR of Aᵀ, so each output row is summed in
 * registers instead of being read and written once per kept entry.
 */
export function csrmm(rowPtr: usize, idx: usize, vals: usize, rows: i32, b: usize, n: i32, out: usize, pack: usize, bRows: i32): void {
  const n16 = n & ~15;
  const di = idx - vals;
  // every column block of b packed once (block jb at bRows·jb), then row blocks of RB output rows: a block's CSR
  // entries stay in L2 across all column blocks, as spmm24's row blocks of a
  if (pack !== 0) packChunk(b, n, n16, 0, bRows, pack);
  for (let rb = 0; rb < rows; rb += RB) {
  const rbe = min<i32>(rows, rb + RB);
  for (let jb = 0; jb < n16; jb += NB) {
    const je = min<i32>(n16, jb + NB);
    let base = b + (<usize>jb << 2);
    let stride = <usize>n << 2;
    if (pack !== 0) {
      stride = <usize>(je - jb) << 2;
      base = pack + ((<usize>bRows * <usize>jb) << 2);
    }
    for (let r = rb; r < rbe; r++) {
      const s = load<i32>(rowPtr + (<usize>r << 2));
      const e = load<i32>(rowPtr + (<usize>r << 2), 4);
      const qs = vals + (<usize>s << 2);
      const q2 = qs + (<usize>((e - s) & ~1) << 2);
      const orow = out + ((<usize>r * <usize>n) << 2);
      for (let j0 = jb; j0 < je; j0 += 16) {
        const bj = base + (<usize>(j0 - jb) << 2);
        let c0 = f32x4.splat(0);
        let c1 = c0;
        let c2 = c0;
        let c3 = c0;
        for (let q = qs; q < q2; q += 8) {
          const v = v128.load32_splat(q);
          const w = v128.load32_splat(q, 4);
          const c = load<u64>(q + di);
          const p = bj + <usize>(<u32>c) * stride;
          const t = bj + <usize>(<u32>(c >>> 32)) * stride;
          c0 = f32x4.add(c0, f32x4.add(f32x4.mul(v, v128.load(p)), f32x4.mul(w, v128.load(t))));
          c1 = f32x4.add(c1, f32x4.add(f32x4.mul(v, v128.load(p, 16)), f32x4.mul(w, v128.load(t, 16))));
          c2 = f32x4.add(c2, f32x4.add(f32x4.mul(v, v128.load(p, 32)), f32x4.mul(w, v128.load(t, 32))));
          c3 = f32x4.add(c3, f32x4.add(f32x4.mul(v, v128.load(p, 48)), f32x4.mul(w, v128.load(t, 48))));
        }
        if (((e - s) & 1) !== 0) {
          const v = v128.load32_splat(q2);
          const p = bj + <usize>load<i32>(q2 + di) * stride;
          c0 = f32x4.add(c0, f32x4.mul(v, v128.load(p)));
          c1 = f32x4.add(c1, f32x4.mul(v, v128.load(p, 16)));
          c2 = f32x4.add(c2, f32x4.mul(v, v128.load(p, 32)));
          c3 = f32x4.add(c3, f32x4.mul(v, v128.load(p, 48)));
        }
        const o = orow + (<usize>j0 << 2);
        v128.store(o, c0);
        v128.store(o, c1, 16);
        v128.store(o, c2, 32);
        v128.store(o, c3, 48);
      }
    }
  }
  }
  if (n16 < n) {
    for (let r = 0; r < rows; r++) {
      const s = load<i32>(rowPtr + (<usize>r << 2));
      const e = load<i32>(rowPtr + (<usize>r << 2), 4);
      let j = n16;
      for (; j + 4 <= n; j += 4) {
        let c = f32x4.splat(0);
        for (let t = s; t < e; t++)
          c = f32x4.add(c, f32x4.mul(v128.load32_splat(vals + (<usize>t << 2)), v128.load(b + ((<usize>load<i32>(idx + (<usize>t << 2)) * <usize>n + <usize>j) << 2))));
        v128.store(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
      }
      for (; j < n; j++) {
        let c: f32 = 0;
        for (let t = s; t < e; t++)
          c += load<f32>(vals + (<usize>t << 2)) * load<f32>(b + ((<usize>load<i32>(idx + (<usize>t << 2)) * <usize>n + <usize>j) << 2));
        store<f32>(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
      }
    }
  }
}

/**
 * Sampled dense-dense product at the kept positions of a 2:4 pattern: out[r·k/2 + t] = a[r, :] · bt[cols[r·k/2 + t], :]
 * (a m×d, bt k×d). Columns in blocks of 32, whose kept entries are entries [c0/2, c1/2) of every row, so the 32
 * rows of bt a block reads stay in cache across all rows of a.
 */
export function sddmm24(a: usize, m: i32, d: i32, bt: usize, cols: usize, k: i32, out: usize): void {
  const h = k >> 1;
  const d8 = d & ~7;
  for (let c0 = 0; c0 < k; c0 += 32) {
    const s0 = c0 >> 1;
    const s1 = min<i32>(k, c0 + 32) >> 1;
    for (let r = 0; r < m; r++) {
      const ar = a + ((<usize>r * <usize>d) << 2);
      for (let t = s0; t < s1; t++) {
        const q = (<usize>r * <usize>h + <usize>t) << 2;
        const br = bt + ((<usize>load<i32>(cols + q) * <usize>d) << 2);
        let u0 = f32x4.splat(0);
        let u1 = u0;
        let j = 0;
        for (; j < d8; j += 8) {
          const o = <usize>j << 2;
          u0 = f32x4.add(u0, f32x4.mul(v128.load(ar + o), v128.load(br + o)));
          u1 = f32x4.add(u1, f32x4.mul(v128.load(ar + o, 16), v128.load(br + o, 16)));
        }
        const u = f32x4.add(u0, u1);
        let s: f32 = f32x4.extract_lane(u, 0) + f32x4.extract_lane(u, 1) + (f32x4.extract_lane(u, 2) + f32x4.extract_lane(u, 3));
        for (; j < d; j++) s += load<f32>(ar + (<usize>j << 2)) * load<f32>(br + (<usize>j << 2));
        store<f32>(out + q, s);
      }
    }
  }
}

/**
 * The CSR of Aᵀ (k rows) from a 2:4 A's kept values and columns (m rows of k/2, as spmm24 takes them), for csrmm: a
 * counting sort by column, rows of Aᵀ listing A's rows in order. rowPtr holds k + 1 int32, idx and vals m·k/2 each.
 * Checks the columns first (firstBadCol): returns the index of the first entry outside its group, with nothing
 * written, or −1.
 */
export function csrTranspose24(values: usize, cols: usize, m: i32, k: i32, rowPtr: usize, idx: usize, vals: usize): i32 {
  const h = k >> 1;
  const bad = firstBadCol(cols, m, h);
  if (bad >= 0) return bad;
  const nnz = <usize>m * <usize>h;
  memory.fill(rowPtr, 0, (<usize>k + 1) << 2);
  // counts at rowPtr[c + 1], then starts at rowPtr[c]
  for (let i: usize = 0; i < nnz; i++) {
    const p = rowPtr + ((<usize>load<i32>(cols + (i << 2)) + 1) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  let s = 0;
  for (let c = 1; c <= k; c++) {
    const p = rowPtr + (<usize>c << 2);
    s += load<i32>(p);
    store<i32>(p, s);
  }
  // place every entry at its column's cursor (rowPtr[c] counts up to the next column's start)
  for (let r = 0; r < m; r++) {
    const base = <usize>r * <usize>h;
    for (let t = 0; t < h; t++) {
      const q = (base + <usize>t) << 2;
      const p = rowPtr + (<usize>load<i32>(cols + q) << 2);
      const d = <usize>load<i32>(p);
      store<i32>(p, <i32>d + 1);
      store<i32>(idx + (d << 2), r);
      store<f32>(vals + (d << 2), load<f32>(values + q));
    }
  }
  // rowPtr[c] now ends column c: shift back by one column
  for (let c = k; c > 0; c--) store<i32>(rowPtr + (<usize>c << 2), load<i32>(rowPtr + ((<usize>c - 1) << 2)));
  store<i32>(rowPtr, 0);
  return -1;
}
