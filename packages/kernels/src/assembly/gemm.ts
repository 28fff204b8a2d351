// AssemblyScript: the dense SIMD GEMM and the 2:4 sparse GEMM (spmm24), CSR × dense (csrmm, for spmm24T) over float32, row-major, plus the
// 2:4 mask and compression. Same loop structure for dense and sparse (row of A times panels of B, 4 f32 lanes,
// column blocks of 32 kept in 8 accumulators), so the sparse/dense ratio measures the skipped multiply-adds: the
// method of NVIDIA's 2:4 sparse tensor cores (Mishra et al. 2021, "Accelerating Sparse Deep Neural Networks",
// section 3) on a CPU. Float32 accumulation (no FMA in WebAssembly SIMD 128): results agree with a float64
// reference within float32 tolerance, not bit for bit with the JavaScript kernels (which accumulate in float64).

/** Rows of b per K-chunk (a multiple of 4: chunks hold whole 2:4 groups). */
const KC = 512;

/** out[m×n] = a[m×k] · b[k×n]. */
export function gemm(a: usize, m: i32, k: i32, b: usize, n: i32, out: usize): void {
  const n32 = n & ~31;
  const rowB = <usize>n << 2;
  // K in chunks of KC rows of b: a 32-column panel of the chunk (KC·128 bytes) stays in L2 across all rows of a
  for (let kc0 = 0; kc0 < k; kc0 += KC) {
  const kc1 = min<i32>(k, kc0 + KC);
  for (let j0 = 0; j0 < n32; j0 += 32) {
    const bj = b + (<usize>j0 << 2);
    for (let r = 0; r < m; r++) {
      const ar = a + (<usize>r * <usize>k << 2);
      // partial sums of earlier K-chunks come back from out
      const o = out + ((<usize>r * <usize>n + <usize>j0) << 2);
      let c0 = f32x4.splat(0);
      let c1 = c0;
      let c2 = c0;
      let c3 = c0;
      let c4 = c0;
      let c5 = c0;
      let c6 = c0;
      let c7 = c0;
      if (kc0 > 0) {
        c0 = v128.load(o);
        c1 = v128.load(o, 16);
        c2 = v128.load(o, 32);
        c3 = v128.load(o, 48);
        c4 = v128.load(o, 64);
        c5 = v128.load(o, 80);
        c6 = v128.load(o, 96);
        c7 = v128.load(o, 112);
      }
      // two terms per step, as spmm24 (the same loop over twice the terms)
      let p = bj + <usize>kc0 * rowB;
      let t = kc0;
      for (; t + 2 <= kc1; t += 2, p += rowB << 1) {
        const q = <usize>t << 2;
        const v = v128.load32_splat(ar + q);
        const w = v128.load32_splat(ar + q + 4);
        const r = p + rowB;
        c0 = f32x4.add(c0, f32x4.add(f32x4.mul(v, v128.load(p)), f32x4.mul(w, v128.load(r))));
        c1 = f32x4.add(c1, f32x4.add(f32x4.mul(v, v128.load(p, 16)), f32x4.mul(w, v128.load(r, 16))));
        c2 = f32x4.add(c2, f32x4.add(f32x4.mul(v, v128.load(p, 32)), f32x4.mul(w, v128.load(r, 32))));
        c3 = f32x4.add(c3, f32x4.add(f32x4.mul(v, v128.load(p, 48)), f32x4.mul(w, v128.load(r, 48))));
        c4 = f32x4.add(c4, f32x4.add(f32x4.mul(v, v128.load(p, 64)), f32x4.mul(w, v128.load(r, 64))));
        c5 = f32x4.add(c5, f32x4.add(f32x4.mul(v, v128.load(p, 80)), f32x4.mul(w, v128.load(r, 80))));
        c6 = f32x4.add(c6, f32x4.add(f32x4.mul(v, v128.load(p, 96)), f32x4.mul(w, v128.load(r, 96))));
        c7 = f32x4.add(c7, f32x4.add(f32x4.mul(v, v128.load(p, 112)), f32x4.mul(w, v128.load(r, 112))));
      }
      if (t < kc1) {
        const v = v128.load32_splat(ar + (<usize>t << 2));
        c0 = f32x4.add(c0, f32x4.mul(v, v128.load(p)));
        c1 = f32x4.add(c1, f32x4.mul(v, v128.load(p, 16)));
        c2 = f32x4.add(c2, f32x4.mul(v, v128.load(p, 32)));
        c3 = f32x4.add(c3, f32x4.mul(v, v128.load(p, 48)));
        c4 = f32x4.add(c4, f32x4.mul(v, v128.load(p, 64)));
        c5 = f32x4.add(c5, f32x4.mul(v, v128.load(p, 80)));
        c6 = f32x4.add(c6, f32x4.mul(v, v128.load(p, 96)));
        c7 = f32x4.add(c7, f32x4.mul(v, v128.load(p, 112)));
      }
      v128.store(o, c0);
      v128.store(o, c1, 16);
      v128.store(o, c2, 32);
      v128.store(o, c3, 48);
      v128.store(o, c4, 64);
      v128.store(o, c5, 80);
      v128.store(o, c6, 96);
      v128.store(o, c7, 112);
    }
  }
  }
  if (n32 < n) gemmTail(a, m, k, b, n, out, n32);
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

/** out[m×n] = A · b[k×n] with A 2:4-compressed: values[m×k/2] and their columns cols[m×k/2] (int32). */
export function spmm24(values: usize, cols: usize, m: i32, k: i32, b: usize, n: i32, out: usize): void {
  const h = k >> 1;
  const n32 = n & ~31;
  // K-chunks as in gemm: the kept entries of columns [kc0, kc1) are entries [kc0/2, kc1/2) of every row (2 per group)
  for (let kc0 = 0; kc0 < k; kc0 += KC) {
  const kc1 = min<i32>(k, kc0 + KC);
  for (let j0 = 0; j0 < n32; j0 += 32) {
    const bj = b + (<usize>j0 << 2);
    for (let r = 0; r < m; r++) {
      const vr = values + (<usize>r * <usize>h << 2);
      const cr = cols + (<usize>r * <usize>h << 2);
      // partial sums of earlier K-chunks come back from out
      const o = out + ((<usize>r * <usize>n + <usize>j0) << 2);
      let c0 = f32x4.splat(0);
      let c1 = c0;
      let c2 = c0;
      let c3 = c0;
      let c4 = c0;
      let c5 = c0;
      let c6 = c0;
      let c7 = c0;
      if (kc0 > 0) {
        c0 = v128.load(o);
        c1 = v128.load(o, 16);
        c2 = v128.load(o, 32);
        c3 = v128.load(o, 48);
        c4 = v128.load(o, 64);
        c5 = v128.load(o, 80);
        c6 = v128.load(o, 96);
        c7 = v128.load(o, 112);
      }
      // two kept entries (one 2:4 group) per step; h = k/2 is even
      for (let t = kc0 >> 1; t < kc1 >> 1; t += 2) {
        const q = <usize>t << 2;
        const v = v128.load32_splat(vr + q);
        const w = v128.load32_splat(vr + q + 4);
        const c = load<u64>(cr + q);
        const p = bj + ((<usize>(<u32>c) * <usize>n) << 2);
        const r = bj + ((<usize>(<u32>(c >>> 32)) * <usize>n) << 2);
        c0 = f32x4.add(c0, f32x4.add(f32x4.mul(v, v128.load(p)), f32x4.mul(w, v128.load(r))));
        c1 = f32x4.add(c1, f32x4.add(f32x4.mul(v, v128.load(p, 16)), f32x4.mul(w, v128.load(r, 16))));
        c2 = f32x4.add(c2, f32x4.add(f32x4.mul(v, v128.load(p, 32)), f32x4.mul(w, v128.load(r, 32))));
        c3 = f32x4.add(c3, f32x4.add(f32x4.mul(v, v128.load(p, 48)), f32x4.mul(w, v128.load(r, 48))));
        c4 = f32x4.add(c4, f32x4.add(f32x4.mul(v, v128.load(p, 64)), f32x4.mul(w, v128.load(r, 64))));
        c5 = f32x4.add(c5, f32x4.add(f32x4.mul(v, v128.load(p, 80)), f32x4.mul(w, v128.load(r, 80))));
        c6 = f32x4.add(c6, f32x4.add(f32x4.mul(v, v128.load(p, 96)), f32x4.mul(w, v128.load(r, 96))));
        c7 = f32x4.add(c7, f32x4.add(f32x4.mul(v, v128.load(p, 112)), f32x4.mul(w, v128.load(r, 112))));
      }
      v128.store(o, c0);
      v128.store(o, c1, 16);
      v128.store(o, c2, 32);
      v128.store(o, c3, 48);
      v128.store(o, c4, 64);
      v128.store(o, c5, 80);
      v128.store(o, c6, 96);
      v128.store(o, c7, 112);
    }
  }
  }
  if (n32 < n) {
    for (let r = 0; r < m; r++) {
      for (let j = n32; j < n; j++) {
        let c: f32 = 0;
        for (let t = 0; t < h; t++) {
          const q = (<usize>r * <usize>h + <usize>t) << 2;
          c += load<f32>(values + q) * load<f32>(b + ((<usize>load<i32>(cols + q) * <usize>n + <usize>j) << 2));
        }
        store<f32>(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
      }
    }
  }
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
 * CSR times dense: out[rows×n] row r = Σ_{t ∈ [rowPtr[r], rowPtr[r+1])} vals[t]·b[idx[t], :] (32-column panels in
 * registers, as spmm24). spmm24T runs on it with the CSR of Aᵀ, so each output row is summed in registers instead of
 * being read and written once per kept entry.
 */
export function csrmm(rowPtr: usize, idx: usize, vals: usize, rows: i32, b: usize, n: i32, out: usize): void {
  const n32 = n & ~31;
  for (let j0 = 0; j0 < n32; j0 += 32) {
    const bj = b + (<usize>j0 << 2);
    for (let r = 0; r < rows; r++) {
      const s = load<i32>(rowPtr + (<usize>r << 2));
      const e = load<i32>(rowPtr + (<usize>r << 2), 4);
      let c0 = f32x4.splat(0);
      let c1 = c0;
      let c2 = c0;
      let c3 = c0;
      let c4 = c0;
      let c5 = c0;
      let c6 = c0;
      let c7 = c0;
      for (let t = s; t < e; t++) {
        const v = v128.load32_splat(vals + (<usize>t << 2));
        const p = bj + ((<usize>load<i32>(idx + (<usize>t << 2)) * <usize>n) << 2);
        c0 = f32x4.add(c0, f32x4.mul(v, v128.load(p)));
        c1 = f32x4.add(c1, f32x4.mul(v, v128.load(p, 16)));
        c2 = f32x4.add(c2, f32x4.mul(v, v128.load(p, 32)));
        c3 = f32x4.add(c3, f32x4.mul(v, v128.load(p, 48)));
        c4 = f32x4.add(c4, f32x4.mul(v, v128.load(p, 64)));
        c5 = f32x4.add(c5, f32x4.mul(v, v128.load(p, 80)));
        c6 = f32x4.add(c6, f32x4.mul(v, v128.load(p, 96)));
        c7 = f32x4.add(c7, f32x4.mul(v, v128.load(p, 112)));
      }
      const o = out + ((<usize>r * <usize>n + <usize>j0) << 2);
      v128.store(o, c0);
      v128.store(o, c1, 16);
      v128.store(o, c2, 32);
      v128.store(o, c3, 48);
      v128.store(o, c4, 64);
      v128.store(o, c5, 80);
      v128.store(o, c6, 96);
      v128.store(o, c7, 112);
    }
  }
  for (let r = 0; r < rows; r++) {
    const s = load<i32>(rowPtr + (<usize>r << 2));
    const e = load<i32>(rowPtr + (<usize>r << 2), 4);
    for (let j = n32; j < n; j++) {
      let c: f32 = 0;
      for (let t = s; t < e; t++)
        c += load<f32>(vals + (<usize>t << 2)) * load<f32>(b + ((<usize>load<i32>(idx + (<usize>t << 2)) * <usize>n + <usize>j) << 2));
      store<f32>(out + ((<usize>r * <usize>n + <usize>j) << 2), c);
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
