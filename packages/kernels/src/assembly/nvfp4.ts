// AssemblyScript: NVFP4 (E2M1 elements, blocks of 16, E4M3 block scales, optional FP32 tensor scale) quantize+pack
// and dequantize; bit for bit the host kernel of @tessera/mx-formats (packages/mx-formats/src/nvfp4.ts), after
// NVIDIA's NVFP4 description and pytorch/ao torchao/prototype/mx_formats/nvfp4_tensor.py.

/** Per-call cache of each block-scale code's thresholds (or reciprocal), 32 bytes a code, below the JS heap. */
const CACHE: usize = 8192;
const CACHE_FLAGS: usize = 12288;

/** E4M3 code of v in [2^-6, 448] (round to nearest even on the E4M3 grid). */
@inline function e4m3ScaleCode(v: f64): i32 {
  const e = <i32>((reinterpret<u64>(v) >>> 52) & 0x7ff) - 1023;
  const r = nearest<f64>(v * reinterpret<f64>(<u64>(1023 + 3 - e) << 52));
  return (e + 7) * 8 + <i32>r - 8;
}

/** Largest float32 bit pattern ≤ t (strict: the float32 values above it are > t) or < t (non-strict: ≥ t). */
function bitThreshold(t: f64, strict: bool): i32 {
  const f = <f32>t;
  let g = reinterpret<i32>(f);
  const fv = <f64>f;
  if (strict) {
    if (fv > t) g--;
  } else {
    if (fv < t) g++;
    g--;
  }
  return g;
}

/**
 * Quantizes rows × L float32 at src in blocks of 16 into E2M1 pairs at data and E4M3 block-scale codes at scales.
 * st: the float32 tensor scale (1 for single-level). arithmetic 0 exact (float64 thresholds), 1 torchao's float32
 * order (x·fl32(fl32(1/st)/s_b)). e4m3: the 256 float32 E4M3 decode values. The caller checked every size.
 */
export function nvfp4Quantize(src: usize, rows: i32, L: i32, st: f32, arithmetic: i32, e4m3: usize, data: usize, scales: usize): void {
  const nB = (L + 15) >> 4;
  const stD = <f64>st;
  const invSt: f32 = <f32>1.0 / st;
  memory.fill(CACHE_FLAGS, 0, 128);
  const msk = i32x4.splat(0x7fffffff);
  // runs of 64 blocks in two passes: the block-scale codes first (independent float64 divisions, which the core
  // overlaps), then the elements against each code's thresholds (the run's inputs still in L1)
  for (let r = 0; r < rows; r++) {
    for (let b0 = 0; b0 < nB; b0 += 64) {
      const b1 = min<i32>(nB, b0 + 64);
      for (let b = b0; b < b1; b++) {
        const p = src + (<usize>(r * L + b * 16) << 2);
        const n = min<i32>(16, L - b * 16);
        const si = scales + <usize>(r * nB + b);
        let amax: u32 = 0;
        if (n === 16) {
          const m = i32x4.max_u(
            i32x4.max_u(v128.and(v128.load(p), msk), v128.and(v128.load(p, 16), msk)),
            i32x4.max_u(v128.and(v128.load(p, 32), msk), v128.and(v128.load(p, 48), msk)),
          );
          const m2 = i32x4.max_u(m, i8x16.shuffle(m, m, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
          amax = i32x4.extract_lane(i32x4.max_u(m2, i8x16.shuffle(m2, m2, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11)), 0);
        } else {
          for (let i = 0; i < n; i++) amax = max<u32>(amax, load<u32>(p + (<usize>i << 2)) & 0x7fffffff);
        }
        if (amax >= 0x7f800000) {
          store<u8>(si, 0x7f);
          continue;
        }
        const am = reinterpret<f32>(amax);
        let sbv: f64 = arithmetic === 1 ? <f64>((am / <f32>6) / st) : <f64>am / 6.0 / stD;
        sbv = sbv < 0.015625 ? 0.015625 : sbv > 448.0 ? 448.0 : sbv;
        store<u8>(si, <u8>e4m3ScaleCode(sbv));
      }
      for (let b = b0; b < b1; b++) {
        const p = src + (<usize>(r * L + b * 16) << 2);
        const n = min<i32>(16, L - b * 16);
        const d = data + <usize>((r * nB + b) * 8);
        const code = <u32>load<u8>(scales + <usize>(r * nB + b));
        let i = 0;
        if (n < 16 || code === 0x7f) store<u64>(d, 0); // partial blocks are ORed in; NaN blocks are zero codes
        if (code === 0x7f) continue;
        const sb = <f64>load<f32>(e4m3 + (<usize>code << 2));
        if (arithmetic === 1) {
          const slot = CACHE + (<usize>code << 5);
          if (load<u8>(CACHE_FLAGS + <usize>code) == 0) {
            store<f32>(slot, <f32>(<f64>invSt / sb));
            store<u8>(CACHE_FLAGS + <usize>code, 1);
          }
          const rcp = load<f32>(slot);
          const rv = f32x4.splat(rcp);
          i = 0;
          if (n == 16) {
            put16(d, codeF32(v128.load(p), rv), codeF32(v128.load(p, 16), rv), codeF32(v128.load(p, 32), rv), codeF32(v128.load(p, 48), rv));
            i = 16;
          }
          for (; i + 4 <= n; i += 4) putNibbles(d, i, codeF32(v128.load(p + (<usize>i << 2)), rv));
          for (; i < n; i++) {
            const bits = load<u32>(p + (<usize>i << 2));
            const y = abs<f32>(reinterpret<f32>(bits) * rcp);
            const c =
              <u32>(y > 0.25) + <u32>(y >= 0.75) + <u32>(y > 1.25) + <u32>(y >= 1.75) + <u32>(y > 2.5) + <u32>(y >= 3.5) + <u32>(y > 5);
            putNibble(d, i, c | ((bits >>> 31) << 3));
          }
        } else {
          // the seven thresholds depend on the block-scale code only (st is fixed per call): computed once per code
          const slot = CACHE + (<usize>code << 5);
          if (load<u8>(CACHE_FLAGS + <usize>code) == 0) {
            const div = stD * sb;
            store<i32>(slot, bitThreshold(0.25 * div, true));
            store<i32>(slot, bitThreshold(0.75 * div, false), 4);
            store<i32>(slot, bitThreshold(1.25 * div, true), 8);
            store<i32>(slot, bitThreshold(1.75 * div, false), 12);
            store<i32>(slot, bitThreshold(2.5 * div, true), 16);
            store<i32>(slot, bitThreshold(3.5 * div, false), 20);
            store<i32>(slot, bitThreshold(5 * div, true), 24);
            store<u8>(CACHE_FLAGS + <usize>code, 1);
          }
          const g0 = v128.load32_splat(slot);
          const g1 = v128.load32_splat(slot, 4);
          const g2 = v128.load32_splat(slot, 8);
          const g3 = v128.load32_splat(slot, 12);
          const g4 = v128.load32_splat(slot, 16);
          const g5 = v128.load32_splat(slot, 20);
          const g6 = v128.load32_splat(slot, 24);
          i = 0;
          if (n == 16) {
            put16(
              d,
              codeExact(v128.load(p), g0, g1, g2, g3, g4, g5, g6),
              codeExact(v128.load(p, 16), g0, g1, g2, g3, g4, g5, g6),
              codeExact(v128.load(p, 32), g0, g1, g2, g3, g4, g5, g6),
              codeExact(v128.load(p, 48), g0, g1, g2, g3, g4, g5, g6),
            );
            i = 16;
          }
          for (; i + 4 <= n; i += 4) putNibbles(d, i, codeExact(v128.load(p + (<usize>i << 2)), g0, g1, g2, g3, g4, g5, g6));
          for (; i < n; i++) {
            const bits = load<u32>(p + (<usize>i << 2));
            const a = v128.and(i32x4.splat(bits), msk);
            let c = i32x4.add(i32x4.gt_s(a, g0), i32x4.gt_s(a, g1));
            c = i32x4.add(c, i32x4.add(i32x4.gt_s(a, g2), i32x4.gt_s(a, g3)));
            c = i32x4.add(c, i32x4.add(i32x4.gt_s(a, g4), i32x4.gt_s(a, g5)));
            c = i32x4.add(c, i32x4.gt_s(a, g6));
            putNibble(d, i, <u32>(-i32x4.extract_lane(c, 0)) | ((bits >>> 31) << 3));
          }
        }
      }
    }
  }
}

@inline function putNibbles(d: usize, i: i32, c: v128): void {
  const w = <u32>i32x4.extract_lane(c, 0) | (<u32>i32x4.extract_lane(c, 1) << 4) | ((<u32>i32x4.extract_lane(c, 2) | (<u32>i32x4.extract_lane(c, 3) << 4)) << 8);
  store<u16>(d + (i >> 1), <u16>w);
}

/** E2M1 codes (sign in bit 3) of fl32(x·rcp), four lanes: round half to even on the midpoints, saturating at 6. */
@inline function codeF32(v: v128, rv: v128): v128 {
  const y = f32x4.abs(f32x4.mul(v, rv));
  let c = i32x4.add(f32x4.gt(y, f32x4.splat(0.25)), f32x4.ge(y, f32x4.splat(0.75)));
  c = i32x4.add(c, i32x4.add(f32x4.gt(y, f32x4.splat(1.25)), f32x4.ge(y, f32x4.splat(1.75))));
  c = i32x4.add(c, i32x4.add(f32x4.gt(y, f32x4.splat(2.5)), f32x4.ge(y, f32x4.splat(3.5))));
  c = i32x4.add(c, f32x4.gt(y, f32x4.splat(5)));
  return v128.or(i32x4.neg(c), v128.and(i32x4.shr_u(v, 28), i32x4.splat(8)));
}

/** E2M1 codes of x/div from the float32 bits against the seven bit thresholds, four lanes. */
@inline function codeExact(v: v128, g0: v128, g1: v128, g2: v128, g3: v128, g4: v128, g5: v128, g6: v128): v128 {
  const a = v128.and(v, i32x4.splat(0x7fffffff));
  let c = i32x4.add(i32x4.gt_s(a, g0), i32x4.gt_s(a, g1));
  c = i32x4.add(c, i32x4.add(i32x4.gt_s(a, g2), i32x4.gt_s(a, g3)));
  c = i32x4.add(c, i32x4.add(i32x4.gt_s(a, g4), i32x4.gt_s(a, g5)));
  c = i32x4.add(c, i32x4.gt_s(a, g6));
  return v128.or(i32x4.neg(c), v128.and(i32x4.shr_u(v, 28), i32x4.splat(8)));
}

/** Packs sixteen codes (four i32x4 of 0…15) as eight bytes, low nibble first, at d. */
@inline function put16(d: usize, c0: v128, c1: v128, c2: v128, c3: v128): void {
  const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c0, c1), i16x8.narrow_i32x4_u(c2, c3));
  const p = v128.or(v128.and(b, i16x8.splat(0x0f)), v128.and(i16x8.shr_u(b, 4), i16x8.splat(0xf0)));
  v128.store64_lane(d, i8x16.narrow_i16x8_u(p, p), 0);
}

@inline function putNibble(d: usize, i: i32, c: u32): void {
  const j = d + (i >> 1);
  store<u8>(j, load<u8>(j) | (c << ((i & 1) << 2)));
}

/** Bytes 2 (hi = false) or 3 (hi = true) of the sixteen float32 at t: one byte plane of the E2M1 decode table. */
@inline function plane(t: usize, hi: bool): v128 {
  const a = v128.load(t);
  const b = v128.load(t, 16);
  const c = v128.load(t, 32);
  const d = v128.load(t, 48);
  const x = hi
    ? i8x16.shuffle(a, b, 3, 7, 11, 15, 19, 23, 27, 31, 0, 0, 0, 0, 0, 0, 0, 0)
    : i8x16.shuffle(a, b, 2, 6, 10, 14, 18, 22, 26, 30, 0, 0, 0, 0, 0, 0, 0, 0);
  const y = hi
    ? i8x16.shuffle(c, d, 3, 7, 11, 15, 19, 23, 27, 31, 0, 0, 0, 0, 0, 0, 0, 0)
    : i8x16.shuffle(c, d, 2, 6, 10, 14, 18, 22, 26, 30, 0, 0, 0, 0, 0, 0, 0, 0);
  return i8x16.shuffle(x, y, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}

/**
 * Dequantizes NVFP4: value = fp4(code)·(e4m3(scale)·st) with the scale product exact in float64, rounded once to
 * float32; scale code 0x7F → NaN. fp4: the 16 float32 E2M1 values; e4m3: the 256 float32 E4M3 values. Whole blocks
 * go sixteen codes at a time: E2M1 values by i8x16.swizzle from the byte planes of their float32 high halves (the low
 * halves are zero), then (fp4·e4m3)·st in float32: the first product is exact (at most 6 significant bits, a
 * float32 normal), so the second rounds the same exact value once, as the float64 product does.
 */
export function nvfp4Dequantize(data: usize, scales: usize, rows: i32, L: i32, st: f32, fp4: usize, e4m3: usize, out: usize): void {
  const nB = (L + 15) >> 4;
  const H = plane(fp4, true);
  const Lo = plane(fp4, false);
  const stv = f32x4.splat(st);
  const z = i32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const o = out + (<usize>(r * L + b * 16) << 2);
      const n = min<i32>(16, L - b * 16);
      const sc = <u32>load<u8>(scales + <usize>(r * nB + b));
      const d = data + <usize>((r * nB + b) * 8);
      if (sc === 0x7f) {
        for (let i = 0; i < n; i++) store<u32>(o + (<usize>i << 2), 0x7fc00000);
        continue;
      }
      if (n == 16) {
        const S = f32x4.splat(load<f32>(e4m3 + (sc << 2)));
        const w = i16x8.extend_low_i8x16_u(v128.load64_zero(d));
        const c = v128.or(v128.and(w, i16x8.splat(0x0f)), i16x8.shl(v128.and(w, i16x8.splat(0xf0)), 4));
        const h = i8x16.swizzle(H, c);
        const l = i8x16.swizzle(Lo, c);
        const w0 = i8x16.shuffle(l, h, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const w1 = i8x16.shuffle(l, h, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        v128.store(o, f32x4.mul(f32x4.mul(i8x16.shuffle(z, w0, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), S), stv));
        v128.store(o, f32x4.mul(f32x4.mul(i8x16.shuffle(z, w0, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), S), stv), 16);
        v128.store(o, f32x4.mul(f32x4.mul(i8x16.shuffle(z, w1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), S), stv), 32);
        v128.store(o, f32x4.mul(f32x4.mul(i8x16.shuffle(z, w1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), S), stv), 48);
        continue;
      }
      const s = <f64>load<f32>(e4m3 + (sc << 2)) * <f64>st;
      for (let i = 0; i < n; i++) {
        const c = (<u32>load<u8>(d + (i >> 1)) >> ((i & 1) << 2)) & 0xf;
        store<f32>(o + (<usize>i << 2), <f32>(<f64>load<f32>(fp4 + (c << 2)) * s));
      }
    }
  }
}
