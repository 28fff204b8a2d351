// AssemblyScript: MX block quantize+pack and dequantize over raw pointers into the imported memory.
// A port of @tessera/mx-formats' host kernel (packages/mx-formats/src/kernels/), bit for bit: the element codes
// follow the OCP Microscaling Formats (MX) v1.0 specification, sections 5.3 and 6.3; the scale modes follow
// microsoft/microxcaling mx/mx_ops.py (floor) and pytorch/ao torchao/prototype/mx_formats/mx_tensor.py (ceil,
// even, rceil). Elements whose float32 exponent reaches the block's element grid normals round on their float32
// bits; the others (the element subnormal range, and every MXINT8 element) are y = |x|·2^(M − emin − s), exact in
// float64, rounded by f64 nearest (ties to even), floor(y + 0.5) or floor(y). Four lanes at a time with SIMD.

// Element format parameters (set per call by setFormat). Format codes: 0 fp8_e4m3, 1 fp8_e5m2, 2 fp6_e3m2,
// 3 fp6_e2m3, 4 fp4_e2m1, 5 int8.
let M: i32 = 3;
let EMIN: i32 = -6;
let EMAX: i32 = 8;
let MAXCODE: i32 = 0x7e;
let SIGNBIT: i32 = 0x80;
let MAXNORMAL: f32 = 448;
let ISINT: bool = false;

function setFormat(f: i32): void {
  ISINT = false;
  if (f === 0) {
    M = 3; EMIN = -6; EMAX = 8; MAXCODE = 0x7e; SIGNBIT = 0x80; MAXNORMAL = 448;
  } else if (f === 1) {
    M = 2; EMIN = -14; EMAX = 15; MAXCODE = 0x7b; SIGNBIT = 0x80; MAXNORMAL = 57344;
  } else if (f === 2) {
    M = 2; EMIN = -2; EMAX = 4; MAXCODE = 0x1f; SIGNBIT = 0x20; MAXNORMAL = 28;
  } else if (f === 3) {
    M = 3; EMIN = 0; EMAX = 2; MAXCODE = 0x1f; SIGNBIT = 0x20; MAXNORMAL = 7.5;
  } else if (f === 4) {
    M = 1; EMIN = 0; EMAX = 2; MAXCODE = 7; SIGNBIT = 8; MAXNORMAL = 6;
  } else {
    M = 6; EMIN = 0; EMAX = 0; MAXCODE = 127; SIGNBIT = 0; MAXNORMAL = <f32>(127.0 / 64.0); ISINT = true;
  }
}

@inline function floorLog2Bits(a: u32): i32 {
  const ef = <i32>(a >>> 23);
  if (ef !== 0) return ef - 127;
  return 31 - <i32>clz(a) - 149;
}

function rceilByte(d: u32): i32 {
  const a = d & 0x7fffffff;
  if (a >= 0x7f800000) return 0xff;
  if (a === 0) return 0;
  const ef = <i32>(a >>> 23);
  if (ef === 0) return a > 0x00400000 ? 1 : 0;
  const b = ef + ((a & 0x7fffff) !== 0 ? 1 : 0);
  return b > 254 ? 0xff : b;
}

/** Unbiased scale exponent for a finite non-zero amax (bits): 0 floor, 1 ceil, 2 even, 3 rceil. */
function scaleExponent(a: u32, mode: i32): i32 {
  if (mode === 0) return floorLog2Bits(a) - EMAX;
  const e = floorLog2Bits(a);
  const ef = a >>> 23;
  if (mode === 1) {
    const pow2 = ef !== 0 ? (a & 0x7fffff) === 0 : (a & (a - 1)) === 0;
    return e + (pow2 ? 0 : 1) - EMAX;
  }
  if (mode === 2) {
    const sig: u32 = ef !== 0 ? (a & 0x7fffff) | 0x800000 : a << (clz(a) - 8);
    const carry = sig + (<u32>1 << (22 - M)) >= 0x1000000 ? 1 : 0;
    return e + carry - EMAX;
  }
  const q = reinterpret<f32>(a) / MAXNORMAL;
  const b = rceilByte(reinterpret<u32>(q));
  return b === 0xff ? 128 : b - 127;
}

/** 2^e as f64 (−1022 ≤ e ≤ 1023). */
@inline function pow2f64(e: i32): f64 {
  return reinterpret<f64>(<u64>(1023 + e) << 52);
}

// Per-block encode state.
let efMinBits: u32 = 0;
let bias: i32 = 0;
let lsb: i32 = 0;
let sh: i32 = 20;
let rebias: i32 = 0;
let subMul: f64 = 1;
let rm: i32 = 0;

@inline function roundY(y: f64): f64 {
  if (rm === 0) return nearest<f64>(y);
  if (rm === 1) return floor<f64>(y + 0.5);
  return floor<f64>(y);
}

@inline function roundY2(y: v128, r: i32): v128 {
  if (r == 0) return f64x2.nearest(y);
  if (r == 1) return f64x2.floor(f64x2.add(y, f64x2.splat(0.5)));
  return f64x2.floor(y);
}

/** One FP element code (scalar twin of the vector code in encodeBlock). */
@inline function enc1FP(bits: u32): u32 {
  const a = bits & 0x7fffffff;
  let mag: i32;
  if (a >= efMinBits) mag = <i32>((a + bias + ((a >>> sh) & lsb)) >>> sh) - rebias;
  else mag = <i32>roundY(<f64>reinterpret<f32>(a) * subMul);
  if (mag > MAXCODE) mag = MAXCODE;
  return <u32>mag | ((bits >>> 31) * SIGNBIT);
}

/** One MXINT8 code: RNE/nearest/floor of |x|·2^(6 − s), clamped to 127, two's complement (−0 → 0). */
@inline function enc1Int(bits: u32): u32 {
  const a = bits & 0x7fffffff;
  let mag = <i32>roundY(<f64>reinterpret<f32>(a) * subMul);
  if (mag > 127) mag = 127;
  const neg = -<i32>(bits >>> 31);
  return <u32>(((mag ^ neg) - neg) & 0xff);
}

/**
 * y = |x|·subMul rounded to an integer, four lanes (two f64x2 halves), as i32 lanes: the rounded value plus 2^52 holds
 * the integer in its low word (0 ≤ y < 2^31 in every lane the caller keeps). Ties to even come from the f64 add
 * itself, as the JavaScript kernel's (y + 2^52 + 2^51) − (2^52 + 2^51).
 */
@inline function magY4(a: v128, m: v128, r: i32): v128 {
  const two52 = f64x2.splat(4503599627370496.0);
  let lo = f64x2.mul(f64x2.promote_low_f32x4(a), m);
  let hi = f64x2.mul(f64x2.promote_low_f32x4(i8x16.shuffle(a, a, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15)), m);
  if (r == 1) {
    lo = f64x2.floor(f64x2.add(lo, f64x2.splat(0.5)));
    hi = f64x2.floor(f64x2.add(hi, f64x2.splat(0.5)));
  } else if (r == 2) {
    lo = f64x2.floor(lo);
    hi = f64x2.floor(hi);
  }
  lo = f64x2.add(lo, two52);
  hi = f64x2.add(hi, two52);
  return i8x16.shuffle(lo, hi, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}

/** Four FP codes (i32 lanes) of the float32 lanes of v; the constants are splatted once per block by the caller. */
@inline function enc4FP(v: v128, mixed: bool, r: i32, shv: i32, absm: v128, biasV: v128, lsbV: v128, rebiasV: v128, efV: v128, subV: v128, maxV: v128, signV: v128): v128 {
  const a = v128.and(v, absm);
  let mag = i32x4.sub(i32x4.shr_u(i32x4.add(i32x4.add(a, biasV), v128.and(i32x4.shr_u(a, shv), lsbV)), shv), rebiasV);
  if (mixed) mag = v128.bitselect(mag, magY4(a, subV, r), i32x4.ge_u(a, efV));
  mag = i32x4.min_s(mag, maxV);
  return v128.or(mag, v128.and(i32x4.shr_s(v, 31), signV));
}

@inline function enc4Int(v: v128, r: i32, absm: v128, subV: v128): v128 {
  const a = v128.and(v, absm);
  const mag = i32x4.min_s(magY4(a, subV, r), i32x4.splat(127));
  const neg = i32x4.shr_s(v, 31);
  return v128.and(i32x4.sub(v128.xor(mag, neg), neg), i32x4.splat(0xff));
}

@inline function enc1(bits: u32, mode: i32): u32 {
  if (mode == 2) return enc1Int(bits);
  return enc1FP(bits);
}

@inline function narrow4(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c0, c1), i16x8.narrow_i32x4_u(c2, c3));
}

/** Codes of n elements at p (float32 bits) into bytes at dst; mode 0 FP normal-only, 1 FP mixed, 2 INT8. */
function encodeBlock(p: usize, n: i32, dst: usize, mode: i32): void {
  // every per-block constant in a local (globals are loads in the engine; splats are not hoisted out of loops)
  const r = rm;
  const shv = sh;
  const absm = i32x4.splat(0x7fffffff);
  const biasV = i32x4.splat(bias);
  const lsbV = i32x4.splat(lsb);
  const rebiasV = i32x4.splat(rebias);
  const efV = i32x4.splat(efMinBits);
  const subV = f64x2.splat(subMul);
  const maxV = i32x4.splat(MAXCODE);
  const signV = i32x4.splat(SIGNBIT);
  let i = 0;
  if (mode == 0) {
    for (; i + 16 <= n; i += 16) {
      const q = p + (<usize>i << 2);
      const c0 = enc4FP(v128.load(q), false, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      const c1 = enc4FP(v128.load(q, 16), false, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      const c2 = enc4FP(v128.load(q, 32), false, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      const c3 = enc4FP(v128.load(q, 48), false, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      v128.store(dst + i, narrow4(c0, c1, c2, c3));
    }
    for (; i + 4 <= n; i += 4) {
      const c = enc4FP(v128.load(p + (<usize>i << 2)), false, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      store<u32>(dst + i, i32x4.extract_lane(narrow4(c, c, c, c), 0));
    }
  } else if (mode == 1) {
    for (; i + 16 <= n; i += 16) {
      const q = p + (<usize>i << 2);
      const c0 = enc4FP(v128.load(q), true, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      const c1 = enc4FP(v128.load(q, 16), true, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      const c2 = enc4FP(v128.load(q, 32), true, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      const c3 = enc4FP(v128.load(q, 48), true, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      v128.store(dst + i, narrow4(c0, c1, c2, c3));
    }
    for (; i + 4 <= n; i += 4) {
      const c = enc4FP(v128.load(p + (<usize>i << 2)), true, r, shv, absm, biasV, lsbV, rebiasV, efV, subV, maxV, signV);
      store<u32>(dst + i, i32x4.extract_lane(narrow4(c, c, c, c), 0));
    }
  } else {
    for (; i + 16 <= n; i += 16) {
      const q = p + (<usize>i << 2);
      const c0 = enc4Int(v128.load(q), r, absm, subV);
      const c1 = enc4Int(v128.load(q, 16), r, absm, subV);
      const c2 = enc4Int(v128.load(q, 32), r, absm, subV);
      const c3 = enc4Int(v128.load(q, 48), r, absm, subV);
      v128.store(dst + i, narrow4(c0, c1, c2, c3));
    }
    for (; i + 4 <= n; i += 4) {
      const c = enc4Int(v128.load(p + (<usize>i << 2)), r, absm, subV);
      store<u32>(dst + i, i32x4.extract_lane(narrow4(c, c, c, c), 0));
    }
  }
  for (; i < n; i++) store<u8>(dst + i, enc1(load<u32>(p + (<usize>i << 2)), mode));
}

/** Magnitude code of float32 magnitude bits a divided by 2^s (general slow path; rounding 0–2). */
function slowMag(a: u32, s: i32): i32 {
  if (a === 0) return 0;
  const ef = <i32>(a >>> 23);
  let e: i32;
  let sig: u32;
  if (ef !== 0) {
    e = ef - 127;
    sig = (a & 0x7fffff) | 0x800000;
  } else {
    const lz = <i32>clz(a) - 8;
    e = -126 - lz;
    sig = a << lz;
  }
  const ee = e - s;
  const pe = ee < EMIN ? EMIN : ee;
  const shift = 23 - M + pe - ee;
  let q: u32;
  if (shift > 24) {
    q = 0;
  } else {
    q = sig >>> shift;
    const rem = sig & ((<u32>1 << shift) - 1);
    const half = <u32>1 << (shift - 1);
    if (rm === 0) {
      if (rem > half || (rem === half && (q & 1) === 1)) q++;
    } else if (rm === 1) {
      if (rem >= half) q++;
    }
  }
  return (pe - EMIN) * (1 << M) + <i32>q;
}

/** FP block whose element grid reaches below the float32 normals (s < −126 − emin): the general per-element code. */
function encodeTinyBlock(p: usize, n: i32, dst: usize, s: i32): void {
  const subLimit: f64 = <f64>(1 << M);
  const rb = (127 + s + EMIN - 1) * (1 << M);
  for (let i = 0; i < n; i++) {
    const bits = load<u32>(p + (<usize>i << 2));
    const a = bits & 0x7fffffff;
    let mag: i32;
    if (a >>> 23 >= 1) {
      mag = <i32>((a + bias + ((a >>> sh) & lsb)) >>> sh) - rb;
    } else {
      const y = <f64>reinterpret<f32>(a) * subMul;
      if (y >= subLimit) mag = slowMag(a, s);
      else mag = <i32>roundY(y);
    }
    if (mag > MAXCODE) mag = MAXCODE;
    store<u8>(dst + i, <u32>mag | ((bits >>> 31) * SIGNBIT));
  }
}

/** bfloat16 rounding (RNE, NaN kept quiet) and/or FP32-subnormal flush of n elements from p into q. */
function preprocess(p: usize, n: i32, q: usize, bf16: bool, flush: bool): void {
  for (let i = 0; i < n; i++) {
    let x = load<u32>(p + (<usize>i << 2));
    if (bf16) {
      if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) x = (x | 0x400000) & 0xffff0000;
      else x = (x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000;
    }
    if (flush && (x & 0x7f800000) === 0) x &= 0x80000000;
    store<u32>(q + (<usize>i << 2), x);
  }
}

/** Block amax (bits) of n elements at p; the minimum |x| bits go to blockMin. */
let blockMin: u32 = 0;
function absMaxMin(p: usize, n: i32): u32 {
  let i = 0;
  let mx = i32x4.splat(0);
  let mn = i32x4.splat(0x7fffffff);
  const msk = i32x4.splat(0x7fffffff);
  for (; i + 4 <= n; i += 4) {
    const a = v128.and(v128.load(p + (<usize>i << 2)), msk);
    mx = i32x4.max_u(mx, a);
    mn = i32x4.min_u(mn, a);
  }
  let m = max<u32>(max<u32>(i32x4.extract_lane(mx, 0), i32x4.extract_lane(mx, 1)), max<u32>(i32x4.extract_lane(mx, 2), i32x4.extract_lane(mx, 3)));
  let l = min<u32>(min<u32>(i32x4.extract_lane(mn, 0), i32x4.extract_lane(mn, 1)), min<u32>(i32x4.extract_lane(mn, 2), i32x4.extract_lane(mn, 3)));
  for (; i < n; i++) {
    const a = load<u32>(p + (<usize>i << 2)) & 0x7fffffff;
    m = a > m ? a : m;
    l = a < l ? a : l;
  }
  blockMin = l;
  return m;
}

/** ORs n codes from src into the packed stream at code index ci (data zeroed there). pm 1 FP4 nibbles, 2 FP6. */
function orCodes(data: usize, pm: i32, ci: i32, src: usize, n: i32): void {
  for (let t = 0; t < n; t++) {
    const c = <u32>load<u8>(src + t);
    const idx = ci + t;
    if (pm === 1) {
      const j = data + (idx >> 1);
      store<u8>(j, load<u8>(j) | (c << ((idx & 1) << 2)));
    } else {
      const bit = 6 * idx;
      const j = data + (bit >> 3);
      const w = c << (bit & 7);
      store<u8>(j, load<u8>(j) | (w & 0xff));
      if (w > 0xff) store<u8>(j + 1, load<u8>(j + 1) | (w >> 8));
    }
  }
}

/** Packs k codes (k even) into nibbles at out (low nibble first). */
function packFP4(src: usize, k: i32, out: usize): void {
  let t = 0;
  for (; t + 32 <= k; t += 32) {
    const x = v128.load(src + t);
    const y = v128.load(src + t, 16);
    const lo = v128.or(v128.and(x, i16x8.splat(0x0f)), v128.and(i16x8.shr_u(x, 4), i16x8.splat(0xf0)));
    const hi = v128.or(v128.and(y, i16x8.splat(0x0f)), v128.and(i16x8.shr_u(y, 4), i16x8.splat(0xf0)));
    v128.store(out + (t >> 1), i8x16.narrow_i16x8_u(lo, hi));
  }
  for (; t < k; t += 2) store<u8>(out + (t >> 1), load<u8>(src + t) | (load<u8>(src + t + 1) << 4));
}

/** Packs k codes (k % 4 = 0) as the FP6 LSB-first bitstream, four codes in three bytes. */
function packFP6(src: usize, k: i32, out: usize): void {
  for (let t = 0; t < k; t += 4) {
    const c = load<u32>(src + t);
    const w = (c & 0x3f) | ((c >>> 2) & 0xfc0) | ((c >>> 4) & 0x3f000) | ((c >>> 6) & 0xfc0000);
    const o = out + (t >> 2) * 3;
    store<u16>(o, <u16>w);
    store<u8>(o + 2, <u8>(w >>> 16));
  }
}

/**
 * Quantizes rows × L float32 values at src in blocks of k into packed codes at data and scale bytes at scales.
 * scaleMode 0 floor, 1 ceil, 2 even, 3 rceil; rounding 0 even, 1 nearest (ties away), 2 floor; flags bit 0
 * bfloat16 inputs, bit 1 flush-elements, bit 2 flush-block; packing 0 one code per byte, 1 FP4 pairs, 2 FP6 packed.
 * scratch: (k + 32) bytes of codes plus k·4 bytes for preprocessed inputs. The caller checked every size.
 */
export function mxQuantize(
  src: usize,
  rows: i32,
  L: i32,
  k: i32,
  fmt: i32,
  scaleMode: i32,
  rounding: i32,
  flags: i32,
  packing: i32,
  data: usize,
  scales: usize,
  scratch: usize,
): void {
  setFormat(fmt);
  rm = rounding;
  const nB = (L + k - 1) / k;
  const codes = scratch;
  const pre = (scratch + <usize>k + 32 + 15) & ~<usize>15;
  const bf16 = (flags & 1) !== 0;
  const flushEl = (flags & 2) !== 0;
  const flushBlock = (flags & 4) !== 0;
  const pm = packing;
  sh = 23 - M;
  bias = rm === 0 ? (1 << (sh - 1)) - 1 : rm === 1 ? 1 << (sh - 1) : 0;
  lsb = rm === 0 ? 1 : 0;
  const nanCode: u8 = M < 4 && SIGNBIT === 0x80 ? 0x7f : 0;
  const irregular = (pm === 1 && (k & 1) !== 0) || (pm === 2 && (k & 3) !== 0);
  if (irregular) {
    const total = <usize>rows * <usize>nB * <usize>k;
    memory.fill(data, 0, pm === 1 ? (total + 1) >> 1 : (total * 6 + 7) >> 3);
  }
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * k;
      const n = min<i32>(k, L - b * k);
      const ci = (r * nB + b) * k;
      const si = scales + <usize>(r * nB + b);
      let p = src + (<usize>start << 2);
      if (bf16 || flushEl) {
        preprocess(p, n, pre, bf16, flushEl);
        p = pre;
      }
      // codes go straight into data for full byte blocks, else into the scratch and packed from there
      const direct = pm === 0 && n === k;
      const dst = direct ? data + <usize>ci : codes;
      const amax = absMaxMin(p, n);
      if (amax >= 0x7f800000) {
        store<u8>(si, 0xff);
        memory.fill(dst, nanCode, n);
      } else {
        let s: i32;
        let done = false;
        if (amax === 0) s = ISINT ? -126 : -127;
        else if (flushBlock && amax < 0x800000) {
          store<u8>(si, 0);
          for (let i = 0; i < n; i++) store<u8>(dst + i, ISINT ? 0 : (load<u32>(p + (<usize>i << 2)) >>> 31) * SIGNBIT);
          done = true;
          s = 0;
        } else s = scaleExponent(amax, scaleMode);
        if (!done) {
          if (s > 127) s = 127;
          else if (s < -127) s = -127;
          store<u8>(si, <u8>(s + 127));
          if (ISINT) {
            subMul = pow2f64(6 - s);
            encodeBlock(p, n, dst, 2);
          } else if (s >= -126 - EMIN) {
            const efMin = EMIN + 127 + s;
            efMinBits = <u32>efMin << 23;
            rebias = (efMin - 1) << M;
            subMul = pow2f64(M - EMIN - s);
            encodeBlock(p, n, dst, blockMin >= efMinBits ? 0 : 1);
          } else {
            subMul = pow2f64(M - EMIN - s);
            encodeTinyBlock(p, n, dst, s);
          }
        }
      }
      if (direct) continue;
      if (n < k) memory.fill(codes + n, 0, k - n);
      if (pm === 0) memory.copy(data + <usize>ci, codes, k);
      else if (irregular) orCodes(data, pm, ci, codes, k);
      else if (pm === 1) packFP4(codes, k, data + (<usize>ci >> 1));
      else packFP6(codes, k, data + (<usize>ci >> 2) * 3);
    }
  }
}

@inline function scaleValue(sb: u32): f32 {
  return reinterpret<f32>(sb === 0 ? 0x00400000 : sb << 23);
}

@inline function lookup4(table: usize, c0: u32, c1: u32, c2: u32, c3: u32): v128 {
  let v = f32x4.splat(load<f32>(table + (c0 << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(table + (c1 << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(table + (c2 << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(table + (c3 << 2)));
}

/**
 * Dequantizes rows × L values from packed codes at data (packing 0 bytes, 1 FP4 pairs, 2 FP6 packed) and scale bytes
 * into float32 at out: decode(code)·2^(byte − 127) rounded once to float32 (one f32 multiply: both factors are
 * float32 values, 2^-127 included), NaN for scale byte 0xFF. table: the 2^bits float32 decode values of the format.
 */
export function mxDequantize(data: usize, packing: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  const nB = (L + k - 1) / k;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * k;
      const n = min<i32>(k, L - b * k);
      const ci = (r * nB + b) * k;
      const o = out + (<usize>start << 2);
      const sb = <u32>load<u8>(scales + <usize>(r * nB + b));
      if (sb === 0xff) {
        for (let i = 0; i < n; i++) store<u32>(o + (<usize>i << 2), 0x7fc00000);
        continue;
      }
      const X = scaleValue(sb);
      const Xv = f32x4.splat(X);
      let i = 0;
      if (packing === 0) {
        const d = data + <usize>ci;
        for (; i + 4 <= n; i += 4) {
          const w = load<u32>(d + i);
          v128.store(o + (<usize>i << 2), f32x4.mul(lookup4(table, w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24), Xv));
        }
        for (; i < n; i++) store<f32>(o + (<usize>i << 2), load<f32>(table + (<usize>load<u8>(d + i) << 2)) * X);
      } else if (packing === 1) {
        if ((ci & 1) === 0) {
          const d = data + (<usize>ci >> 1);
          for (; i + 8 <= n; i += 8) {
            const w = load<u32>(d + (i >> 1));
            v128.store(o + (<usize>i << 2), f32x4.mul(lookup4(table, w & 0xf, (w >>> 4) & 0xf, (w >>> 8) & 0xf, (w >>> 12) & 0xf), Xv));
            v128.store(o + (<usize>i << 2), f32x4.mul(lookup4(table, (w >>> 16) & 0xf, (w >>> 20) & 0xf, (w >>> 24) & 0xf, w >>> 28), Xv), 16);
          }
        }
        for (; i < n; i++) {
          const idx = ci + i;
          const c = (<u32>load<u8>(data + (idx >> 1)) >> ((idx & 1) << 2)) & 0xf;
          store<f32>(o + (<usize>i << 2), load<f32>(table + (c << 2)) * X);
        }
      } else {
        if ((ci & 3) === 0) {
          const d = data + (<usize>ci >> 2) * 3;
          for (; i + 4 <= n; i += 4) {
            const q = d + (i >> 2) * 3;
            const w = <u32>load<u16>(q) | (<u32>load<u8>(q + 2) << 16);
            v128.store(o + (<usize>i << 2), f32x4.mul(lookup4(table, w & 0x3f, (w >>> 6) & 0x3f, (w >>> 12) & 0x3f, w >>> 18), Xv));
          }
        }
        for (; i < n; i++) {
          const bit = 6 * (ci + i);
          const j = data + (bit >> 3);
          const sft = bit & 7;
          let w = <u32>load<u8>(j);
          if (sft > 2) w |= <u32>load<u8>(j + 1) << 8;
          const c = (w >> sft) & 0x3f;
          store<f32>(o + (<usize>i << 2), load<f32>(table + (c << 2)) * X);
        }
      }
    }
  }
}
