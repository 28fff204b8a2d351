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

@inline function rceilByte(d: u32): i32 {
  const a = d & 0x7fffffff;
  if (a >= 0x7f800000) return 0xff;
  if (a === 0) return 0;
  const ef = <i32>(a >>> 23);
  if (ef === 0) return a > 0x00400000 ? 1 : 0;
  const b = ef + ((a & 0x7fffff) !== 0 ? 1 : 0);
  return b > 254 ? 0xff : b;
}

/** Unbiased scale exponent for a finite non-zero amax (bits): 0 floor, 1 ceil, 2 even, 3 rceil. */
@inline function scaleExponent(a: u32, mode: i32): i32 {
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

// Per-call encode state, for the scalar paths (ragged block tails, tiny scales).
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

/** One FP element code (the scalar twin of fp16 below, for block tails). */
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

// ---- SIMD encoders: sixteen float32 lanes at p into sixteen code bytes ----

/** Lanes 0…15 of four i32x4 (each 0…65535) as bytes, saturating at 255. */
@inline function narrow4(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c0, c1), i16x8.narrow_i32x4_u(c2, c3));
}

/** 0xFF in the bytes of the negative lanes (sign bit set), 0 elsewhere. */
@inline function signBytes(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  return i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(i32x4.shr_s(v0, 31), i32x4.shr_s(v1, 31)),
    i16x8.narrow_i32x4_s(i32x4.shr_s(v2, 31), i32x4.shr_s(v3, 31)),
  );
}

/**
 * Magnitude codes of float32 magnitude bits a whose exponent reaches the element normals: the float32 bits rounded
 * at bit sh (bias and the kept lsb give ties to even, ties away or truncation), the block's exponent offset folded
 * into C = bias − ((efMin − 1) << 23).
 */
@inline function magN(a: v128, C: v128, lsbV: v128, shv: i32): v128 {
  return i32x4.shr_u(i32x4.add(i32x4.add(a, C), v128.and(i32x4.shr_u(a, shv), lsbV)), shv);
}

/**
 * y = |x|·2^e rounded to an integer (i32 lanes), e = eA + eB split so both factors are float32 powers of two: the
 * float32 product is exact whenever y ≥ 2^-126 (and rounds to 0 below, as the exact value does). Ties to even,
 * ties away (floor(y) + [y − floor(y) ≥ 0.5], exact) or floor, as the JavaScript kernel's float64 y; the integer
 * is read from the bits of the float32 sum with 2^23 (exact: y < 2^23 in every lane the caller keeps).
 */
@inline function magS(a: v128, mA: v128, mB: v128, r: i32, two23: v128): v128 {
  const y = f32x4.mul(f32x4.mul(a, mA), mB);
  let t: v128;
  if (r == 0) t = f32x4.add(y, two23); // fl(y + 2^23) = 2^23 + y rounded half to even (0 ≤ y < 2^23)
  else if (r == 2) t = f32x4.add(f32x4.floor(y), two23);
  else {
    const f = f32x4.floor(y);
    t = f32x4.add(f32x4.add(f, v128.and(f32x4.ge(f32x4.sub(y, f), f32x4.splat(0.5)), f32x4.splat(1.0))), two23);
  }
  return i32x4.sub(t, two23); // the bits of 2^23 are 0x4B000000
}

/**
 * Sixteen FP codes of the float32 at p. kind 0: every lane on the element normals; 1: normals and zeros; 2: mixed
 * (lanes below efMin take the subnormal grid through magS).
 */
@inline function fp16(p: usize, kind: i32, r: i32, C: v128, lsbV: v128, shv: i32, efV: v128, mA: v128, mB: v128, maxB: v128, signB: v128, T23: v128): v128 {
  const absm = i32x4.splat(0x7fffffff);
  const v0 = v128.load(p);
  const v1 = v128.load(p, 16);
  const v2 = v128.load(p, 32);
  const v3 = v128.load(p, 48);
  const a0 = v128.and(v0, absm);
  const a1 = v128.and(v1, absm);
  const a2 = v128.and(v2, absm);
  const a3 = v128.and(v3, absm);
  let m0 = magN(a0, C, lsbV, shv);
  let m1 = magN(a1, C, lsbV, shv);
  let m2 = magN(a2, C, lsbV, shv);
  let m3 = magN(a3, C, lsbV, shv);
  if (kind == 1) {
    const z = i32x4.splat(0);
    m0 = v128.andnot(m0, i32x4.eq(a0, z));
    m1 = v128.andnot(m1, i32x4.eq(a1, z));
    m2 = v128.andnot(m2, i32x4.eq(a2, z));
    m3 = v128.andnot(m3, i32x4.eq(a3, z));
  } else if (kind == 2) {
    // efV holds efMinBits − 1 (a and efMinBits are below 2^31: a signed compare is exact)
    m0 = v128.bitselect(m0, magS(a0, mA, mB, r, T23), i32x4.gt_s(a0, efV));
    m1 = v128.bitselect(m1, magS(a1, mA, mB, r, T23), i32x4.gt_s(a1, efV));
    m2 = v128.bitselect(m2, magS(a2, mA, mB, r, T23), i32x4.gt_s(a2, efV));
    m3 = v128.bitselect(m3, magS(a3, mA, mB, r, T23), i32x4.gt_s(a3, efV));
  }
  const m = i8x16.min_u(narrow4(m0, m1, m2, m3), maxB);
  return v128.or(m, v128.and(signBytes(v0, v1, v2, v3), signB));
}

/** Sixteen MXINT8 codes of the float32 at p (two's complement bytes). */
@inline function int16(p: usize, r: i32, mA: v128, mB: v128, T23: v128): v128 {
  const absm = i32x4.splat(0x7fffffff);
  const v0 = v128.load(p);
  const v1 = v128.load(p, 16);
  const v2 = v128.load(p, 32);
  const v3 = v128.load(p, 48);
  const m0 = magS(v128.and(v0, absm), mA, mB, r, T23);
  const m1 = magS(v128.and(v1, absm), mA, mB, r, T23);
  const m2 = magS(v128.and(v2, absm), mA, mB, r, T23);
  const m3 = magS(v128.and(v3, absm), mA, mB, r, T23);
  const m = i8x16.min_u(narrow4(m0, m1, m2, m3), i8x16.splat(127));
  const s = signBytes(v0, v1, v2, v3);
  return i8x16.sub(v128.xor(m, s), s);
}

/** Stores sixteen code bytes at code index ci of the stream: bytes, FP4 pairs (8 bytes) or FP6 (12 bytes). */
@inline function put16(data: usize, pm: i32, ci: usize, c: v128): void {
  if (pm == 0) {
    v128.store(data + ci, c);
  } else if (pm == 1) {
    const w = v128.or(v128.and(c, i16x8.splat(0x0f)), v128.and(i16x8.shr_u(c, 4), i16x8.splat(0xf0)));
    v128.store64_lane(data + (ci >> 1), i8x16.narrow_i16x8_u(w, w), 0);
  } else {
    const t = v128.or(v128.and(c, i16x8.splat(0x3f)), i16x8.shr_u(v128.and(c, i16x8.splat(0x3f00)), 2));
    const u = v128.or(v128.and(t, i32x4.splat(0xfff)), i32x4.shr_u(v128.and(t, i32x4.splat(0x0fff0000)), 4));
    const b = i8x16.shuffle(u, u, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0);
    const o = data + (ci >> 2) * 3;
    v128.store64_lane(o, b, 0);
    v128.store32_lane(o, b, 2, 8);
  }
}

/** Horizontal unsigned max / min of four u32 lanes. */
@inline function hmax(m: v128): u32 {
  m = i32x4.max_u(m, i8x16.shuffle(m, m, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  m = i32x4.max_u(m, i8x16.shuffle(m, m, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  return i32x4.extract_lane(m, 0);
}
@inline function hmin(m: v128): u32 {
  m = i32x4.min_u(m, i8x16.shuffle(m, m, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  m = i32x4.min_u(m, i8x16.shuffle(m, m, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  return i32x4.extract_lane(m, 0);
}

// Block statistics of the last absMaxMin: smallest |x| bits, and smallest non-zero |x| bits (0xFFFFFFFF if none).
let blockMin: u32 = 0;
let blockMinNZ: u32 = 0;

/** Block amax (bits) of n elements at p; the smallest |x| and smallest non-zero |x| go to blockMin, blockMinNZ. */
@inline function absMaxMin(p: usize, n: i32): u32 {
  let i = 0;
  const msk = i32x4.splat(0x7fffffff);
  const one = i32x4.splat(1);
  let mx = i32x4.splat(0);
  let mn = i32x4.splat(-1);
  let mz = i32x4.splat(-1);
  for (; i + 8 <= n; i += 8) {
    const a = v128.and(v128.load(p + (<usize>i << 2)), msk);
    const b = v128.and(v128.load(p + (<usize>i << 2), 16), msk);
    mx = i32x4.max_u(mx, i32x4.max_u(a, b));
    mn = i32x4.min_u(mn, i32x4.min_u(a, b));
    mz = i32x4.min_u(mz, i32x4.min_u(i32x4.sub(a, one), i32x4.sub(b, one)));
  }
  let m = hmax(mx);
  let l = hmin(mn);
  let z = hmin(mz);
  for (; i < n; i++) {
    const a = load<u32>(p + (<usize>i << 2)) & 0x7fffffff;
    m = a > m ? a : m;
    l = a < l ? a : l;
    z = a - 1 < z ? a - 1 : z;
  }
  blockMin = l;
  blockMinNZ = z + 1;
  return m;
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

/** Packs cnt codes from the scratch at src to code index ci of the stream (ci and cnt aligned unless irregular). */
function emit(data: usize, pm: i32, irregular: bool, ci: i32, src: usize, cnt: i32): void {
  if (cnt <= 0) return;
  if (irregular) orCodes(data, pm, ci, src, cnt);
  else if (pm === 0) memory.copy(data + <usize>ci, src, cnt);
  else if (pm === 1) packFP4(src, cnt, data + (<usize>ci >> 1));
  else packFP6(src, cnt, data + (<usize>ci >> 2) * 3);
}

/** 2^e as a float32 (−126 ≤ e ≤ 127). */
@inline function pow2f32(e: i32): f32 {
  return reinterpret<f32>((127 + e) << 23);
}

/** The FP vector loop over whole groups of sixteen of a block; returns the number of elements done. */
@inline function fpRun(
  p: usize,
  n: i32,
  kind: i32,
  r: i32,
  C: v128,
  lsbV: v128,
  shv: i32,
  efV: v128,
  mA: v128,
  mB: v128,
  maxB: v128,
  signB: v128,
  T23: v128,
  data: usize,
  pm: i32,
  ci: usize,
  irr: bool,
  codes: usize,
): i32 {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const c = fp16(p + (<usize>i << 2), kind, r, C, lsbV, shv, efV, mA, mB, maxB, signB, T23);
    if (irr) v128.store(codes + i, c);
    else put16(data, pm, ci + i, c);
  }
  return i;
}

@inline function intRun(p: usize, n: i32, r: i32, mA: v128, mB: v128, T23: v128, data: usize, pm: i32, ci: usize, irr: bool, codes: usize): i32 {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const c = int16(p + (<usize>i << 2), r, mA, mB, T23);
    if (irr) v128.store(codes + i, c);
    else put16(data, pm, ci + i, c);
  }
  return i;
}

/**
 * Quantizes rows × L float32 values at src in blocks of k into packed codes at data and scale bytes at scales.
 * scaleMode 0 floor, 1 ceil, 2 even, 3 rceil; rounding 0 even, 1 nearest (ties away), 2 floor; flags bit 0
 * bfloat16 inputs, bit 1 flush-elements, bit 2 flush-block; packing 0 one code per byte, 1 FP4 pairs, 2 FP6 packed.
 * scratch: (k + 32) bytes of codes plus k·4 bytes for preprocessed inputs. The caller checked every size.
 * Whole groups of sixteen elements of a block are encoded and packed in registers (SIMD); the rest of a block (and
 * blocks of NaN/Inf, flushed or tiny-scale blocks) go through the scalar codes in the scratch.
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
  // per-call constants in locals (globals are memory loads in the engine)
  const r = rm;
  const shv = sh;
  const lsbV = i32x4.splat(lsb);
  const maxB = i8x16.splat(<i8>MAXCODE);
  const signB = i8x16.splat(<i8>SIGNBIT);
  const T23 = f32x4.splat(<f32>(<i32>8388608 + <i32>(rows >>> 31))); // 2^23 (rows >= 0), a local: kept in a register
  const isInt = ISINT;
  const emin = EMIN;
  const mm = M;
  const bs = bias;
  for (let row = 0; row < rows; row++) {
    for (let b = 0; b < nB; b++) {
      const start = row * L + b * k;
      const n = min<i32>(k, L - b * k);
      const ci = (row * nB + b) * k;
      const si = scales + <usize>(row * nB + b);
      let p = src + (<usize>start << 2);
      if (bf16 || flushEl) {
        preprocess(p, n, pre, bf16, flushEl);
        p = pre;
      }
      const amax = absMaxMin(p, n);
      if (amax >= 0x7f800000) {
        store<u8>(si, 0xff);
        memory.fill(codes, nanCode, n);
      } else if (flushBlock && amax !== 0 && amax < 0x800000) {
        store<u8>(si, 0);
        for (let i = 0; i < n; i++) store<u8>(codes + i, isInt ? 0 : (load<u32>(p + (<usize>i << 2)) >>> 31) * SIGNBIT);
      } else {
        let s = amax === 0 ? (isInt ? -126 : -127) : scaleExponent(amax, scaleMode);
        if (s > 127) s = 127;
        else if (s < -127) s = -127;
        store<u8>(si, <u8>(s + 127));
        if (isInt || s >= -126 - emin) {
          // e: exponent of the subnormal-grid multiplier, split into two float32 powers of two
          const e = isInt ? 6 - s : mm - emin - s;
          const eA = min<i32>(e, 127);
          const mA = f32x4.splat(pow2f32(eA));
          const mB = f32x4.splat(pow2f32(e - eA));
          subMul = pow2f64(e);
          let i = 0;
          if (isInt) {
            if (r == 0) i = intRun(p, n, 0, mA, mB, T23, data, pm, ci, irregular, codes);
            else if (r == 1) i = intRun(p, n, 1, mA, mB, T23, data, pm, ci, irregular, codes);
            else i = intRun(p, n, 2, mA, mB, T23, data, pm, ci, irregular, codes);
          } else {
            const efMin = emin + 127 + s;
            efMinBits = <u32>efMin << 23;
            rebias = (efMin - 1) << mm;
            const C = i32x4.splat(bs - ((efMin - 1) << 23));
            const efV = i32x4.splat(efMinBits - 1);
            if (blockMin >= efMinBits) i = fpRun(p, n, 0, 0, C, lsbV, shv, efV, mA, mB, maxB, signB, T23, data, pm, ci, irregular, codes);
            else if (blockMinNZ >= efMinBits) i = fpRun(p, n, 1, 0, C, lsbV, shv, efV, mA, mB, maxB, signB, T23, data, pm, ci, irregular, codes);
            else if (r == 0) i = fpRun(p, n, 2, 0, C, lsbV, shv, efV, mA, mB, maxB, signB, T23, data, pm, ci, irregular, codes);
            else if (r == 1) i = fpRun(p, n, 2, 1, C, lsbV, shv, efV, mA, mB, maxB, signB, T23, data, pm, ci, irregular, codes);
            else i = fpRun(p, n, 2, 2, C, lsbV, shv, efV, mA, mB, maxB, signB, T23, data, pm, ci, irregular, codes);
          }
          // the rest of the block: scalar codes into the scratch, zero padding, packed after the vector part
          const base = irregular ? 0 : i;
          for (let j = i; j < n; j++) {
            const bits = load<u32>(p + (<usize>j << 2));
            store<u8>(codes + (j - base), isInt ? enc1Int(bits) : enc1FP(bits));
          }
          if (base < k) {
            // (no call on the common path: a call makes the engine spill the vector constants around it)
            if (n < k) memory.fill(codes + (n - base), 0, k - n);
            emit(data, pm, irregular, ci + base, codes, k - base);
          }
          continue;
        }
        subMul = pow2f64(mm - emin - s);
        encodeTinyBlock(p, n, codes, s);
      }
      if (n < k) memory.fill(codes + n, 0, k - n);
      emit(data, pm, irregular, ci, codes, k);
    }
  }
}

@inline function scaleValue(sb: u32): f32 {
  return reinterpret<f32>(sb === 0 ? 0x00400000 : sb << 23);
}

/**
 * Four float32 values of the i32 code lanes c of format fmt (a constant at each call), times X: FP codes decode
 * exactly as float32 bits (magnitude << (23 − M)) times 2^(127 − bias), a float32 subnormal for the element
 * subnormals, then one rounded multiply by X as the table kernel's; the sign ORed in. E4M3's 0x7F/0xFF and E5M2's
 * codes above Inf, and FP6/FP4 codes ≥ 2^bits, give NaN; E5M2's 0x7C/0xFC ±Inf. MXINT8: two's complement / 64.
 */
@inline function dec4(c: v128, fmt: i32, K1: v128, X: v128, sp: bool = true): v128 {
  const nan = i32x4.splat(0x7fc00000);
  if (fmt == 5) return f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(c), K1), X);
  const m = fmt == 0 ? 3 : fmt == 1 ? 2 : fmt == 2 ? 2 : fmt == 3 ? 3 : 1;
  const bits = fmt <= 1 ? 8 : fmt <= 3 ? 6 : 4;
  const signBit = 1 << (bits - 1);
  const sign = i32x4.shl(v128.and(c, i32x4.splat(signBit)), 32 - bits);
  const mag = v128.and(c, i32x4.splat(signBit - 1));
  const f = v128.or(f32x4.mul(f32x4.mul(i32x4.shl(mag, 23 - m), K1), X), sign);
  if (fmt <= 1 && !sp) return f;
  if (fmt == 0) return v128.bitselect(nan, f, i32x4.eq(mag, i32x4.splat(0x7f)));
  if (fmt == 1) {
    const special = v128.bitselect(v128.or(i32x4.splat(0x7f800000), sign), nan, i32x4.eq(mag, i32x4.splat(0x7c)));
    return v128.bitselect(special, f, i32x4.gt_s(mag, i32x4.splat(0x7b)));
  }
  return v128.bitselect(nan, f, i32x4.gt_u(c, i32x4.splat((1 << bits) - 1)));
}

/**
 * Four FP6 values (fmt 2 or 3) of the i32 code lanes c, times X, without float32 subnormals: a normal code's bits are
 * (magnitude << (23 − M)) + ((127 − bias) << 23); a subnormal code m (exponent field 0) is built with exponent field 1,
 * 2^(1−bias)·(1 + m/2^M), less 2^(1−bias), which is m·2^(1−bias−M) exactly. Codes ≥ 64 (byte packing) give NaN.
 */
@inline function dec4fp6(c: v128, fmt: i32, X: v128, chk: bool): v128 {
  const m = fmt == 2 ? 2 : 3;
  const bias = fmt == 2 ? 3 : 1;
  const mag = v128.and(c, i32x4.splat(0x1f));
  const sub = i32x4.gt_s(i32x4.splat(1 << m), mag);
  const o = i32x4.add(i32x4.add(i32x4.shl(mag, 23 - m), i32x4.splat((127 - bias) << 23)), v128.and(sub, i32x4.splat(1 << 23)));
  const v = f32x4.sub(o, v128.and(sub, i32x4.splat((128 - bias) << 23)));
  const f = v128.or(f32x4.mul(v, X), i32x4.shl(v128.and(c, i32x4.splat(0x20)), 26));
  if (!chk) return f;
  return v128.bitselect(i32x4.splat(0x7fc00000), f, i32x4.gt_s(c, i32x4.splat(63)));
}

/** Decodes sixteen FP6 code bytes to float32 at o; chk: a code may be 64 or more (byte packing), checked once. */
@inline function dec16fp6(c: v128, fmt: i32, X: v128, o: usize, chk: bool): void {
  const lo = i16x8.extend_low_i8x16_u(c);
  const hi = i16x8.extend_high_i8x16_u(c);
  if (chk && v128.any_true(v128.and(c, i8x16.splat(<i8>0xc0)))) {
    v128.store(o, dec4fp6(i32x4.extend_low_i16x8_u(lo), fmt, X, true));
    v128.store(o, dec4fp6(i32x4.extend_high_i16x8_u(lo), fmt, X, true), 16);
    v128.store(o, dec4fp6(i32x4.extend_low_i16x8_u(hi), fmt, X, true), 32);
    v128.store(o, dec4fp6(i32x4.extend_high_i16x8_u(hi), fmt, X, true), 48);
  } else {
    v128.store(o, dec4fp6(i32x4.extend_low_i16x8_u(lo), fmt, X, false));
    v128.store(o, dec4fp6(i32x4.extend_high_i16x8_u(lo), fmt, X, false), 16);
    v128.store(o, dec4fp6(i32x4.extend_low_i16x8_u(hi), fmt, X, false), 32);
    v128.store(o, dec4fp6(i32x4.extend_high_i16x8_u(hi), fmt, X, false), 48);
  }
}

/** Decodes sixteen code bytes (fmt's codes; MXINT8 sign-extended) to float32 at o. */
@inline function dec16(c: v128, fmt: i32, K1: v128, X: v128, o: usize): void {
  let lo: v128, hi: v128;
  if (fmt == 5) {
    lo = i16x8.extend_low_i8x16_s(c);
    hi = i16x8.extend_high_i8x16_s(c);
    v128.store(o, dec4(i32x4.extend_low_i16x8_s(lo), fmt, K1, X));
    v128.store(o, dec4(i32x4.extend_high_i16x8_s(lo), fmt, K1, X), 16);
    v128.store(o, dec4(i32x4.extend_low_i16x8_s(hi), fmt, K1, X), 32);
    v128.store(o, dec4(i32x4.extend_high_i16x8_s(hi), fmt, K1, X), 48);
  } else {
    lo = i16x8.extend_low_i8x16_u(c);
    hi = i16x8.extend_high_i8x16_u(c);
    // FP8: the NaN/Inf codes (magnitude 0x7F for E4M3, 0x7C and above for E5M2) are checked once for the sixteen
    if (fmt <= 1 && !v128.any_true(i8x16.eq(v128.and(c, i8x16.splat(fmt == 0 ? 0x7f : 0x7c)), i8x16.splat(fmt == 0 ? 0x7f : 0x7c)))) {
      dec8(lo, fmt, K1, X, o, false);
      dec8(hi, fmt, K1, X, o + 32, false);
    } else {
      dec8(lo, fmt, K1, X, o, true);
      dec8(hi, fmt, K1, X, o + 32, true);
    }
  }
}

/** Decodes eight u16 code lanes to float32 at o. */
@inline function dec8(c: v128, fmt: i32, K1: v128, X: v128, o: usize, sp: bool): void {
  v128.store(o, dec4(i32x4.extend_low_i16x8_u(c), fmt, K1, X, sp));
  v128.store(o, dec4(i32x4.extend_high_i16x8_u(c), fmt, K1, X, sp), 16);
}

/**
 * Sixteen FP6 codes (bytes) from the twelve bytes at lanes 0…11 of b: S (a swizzle) puts the three bytes of each group
 * of four codes in one i32 lane, and shifts and masks (P: 0x3F in every i32 lane) move code j of a group to byte j.
 */
@inline function fp6x16(b: v128, S: v128, P: v128): v128 {
  const w = i8x16.swizzle(b, S);
  const lo = v128.or(v128.and(w, P), v128.and(i32x4.shl(w, 2), i32x4.shl(P, 8)));
  const hi = v128.or(v128.and(i32x4.shl(w, 4), i32x4.shl(P, 16)), v128.and(i32x4.shl(w, 6), i32x4.shl(P, 24)));
  return v128.or(lo, hi);
}

/** Bytes 2 (hi = false) or 3 (hi = true) of the sixteen float32 at t: one byte plane of a 16-entry decode table. */
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
 * FP4 decode by table lookup: every E2M1 value (and the table's NaN) is a float32 whose low 16 bits are zero, so the
 * codes in c index the byte planes H, L of the high halves of the decode table (i8x16.swizzle). chk: codes may exceed
 * 15 (byte or FP6 packing), and those read NaN. Each float32 is multiplied once by X, as the table kernel's
 * table[c]·X.
 */
@inline function lut16(c: v128, chk: bool, H: v128, L: v128, X: v128, o: usize): void {
  let h = i8x16.swizzle(H, c);
  let l = i8x16.swizzle(L, c);
  if (chk && v128.any_true(v128.and(c, i8x16.splat(<i8>0xf0)))) {
    const big = i8x16.gt_u(c, i8x16.splat(15));
    h = v128.or(h, v128.and(big, i8x16.splat(0x7f)));
    l = v128.or(l, v128.and(big, i8x16.splat(<i8>0xc0)));
  }
  const z = i32x4.splat(0);
  const w0 = i8x16.shuffle(l, h, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const w1 = i8x16.shuffle(l, h, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  v128.store(o, f32x4.mul(i8x16.shuffle(z, w0, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), X));
  v128.store(o, f32x4.mul(i8x16.shuffle(z, w0, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), X), 16);
  v128.store(o, f32x4.mul(i8x16.shuffle(z, w1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), X), 32);
  v128.store(o, f32x4.mul(i8x16.shuffle(z, w1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), X), 48);
}

/** One format's dequantize loop (fmt a constant). */
@inline function dqRun(data: usize, pm: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize, fmt: i32): void {
  const nB = (L + k - 1) / k;
  const bias = fmt == 0 ? 7 : fmt == 1 ? 15 : fmt == 2 ? 3 : fmt == 5 ? 133 : 1;
  const K1 = f32x4.splat(reinterpret<f32>((254 - bias) << 23)); // 2^(127 − bias); MXINT8 2^-6
  const nanv = i32x4.splat(0x7fc00000);
  const lut = fmt == 4;
  // E2M1 byte planes of the decode table
  const H0 = lut ? plane(table, true) : nanv;
  const L0 = lut ? plane(table, false) : nanv;
  // constants built from a run-time 0 (rows >= 0), so the engine keeps them in registers instead of rebuilding them
  const dz = <i32>(rows >>> 31);
  const P = i32x4.splat(0x3f | dz);
  const S = i32x4.replace_lane(i32x4(0x80020100, 0x80050403, 0x80080706, 0x800b0a09), 0, 0x80020100 | dz);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * k;
      const n = min<i32>(k, L - b * k);
      const ci = (r * nB + b) * k;
      const o = out + (<usize>start << 2);
      const sb = <u32>load<u8>(scales + <usize>(r * nB + b));
      if (sb === 0xff) {
        let i = 0;
        for (; i + 4 <= n; i += 4) v128.store(o + (<usize>i << 2), nanv);
        for (; i < n; i++) store<u32>(o + (<usize>i << 2), 0x7fc00000);
        continue;
      }
      const X = scaleValue(sb);
      const Xv = f32x4.splat(X);
      let i = 0;
      if (pm === 0) {
        const d = data + <usize>ci;
        if (fmt == 2 || fmt == 3) for (; i + 16 <= n; i += 16) dec16fp6(v128.load(d + i), fmt, Xv, o + (<usize>i << 2), true);
        else if (lut) for (; i + 16 <= n; i += 16) lut16(v128.load(d + i), true, H0, L0, Xv, o + (<usize>i << 2));
        else for (; i + 16 <= n; i += 16) dec16(v128.load(d + i), fmt, K1, Xv, o + (<usize>i << 2));
        for (; i < n; i++) store<f32>(o + (<usize>i << 2), load<f32>(table + (<usize>load<u8>(d + i) << 2)) * X);
      } else if (pm === 1) {
        if ((ci & 1) === 0) {
          const d = data + (<usize>ci >> 1);
          for (; i + 16 <= n; i += 16) {
            const w = i16x8.extend_low_i8x16_u(v128.load64_zero(d + (i >> 1)));
            const c = v128.or(v128.and(w, i16x8.splat(0x0f)), i16x8.shl(v128.and(w, i16x8.splat(0xf0)), 4));
            if (lut) lut16(c, false, H0, L0, Xv, o + (<usize>i << 2));
            else dec16(c, fmt, K1, Xv, o + (<usize>i << 2));
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
          for (; i + 16 <= n; i += 16) {
            const q = d + (i >> 2) * 3;
            const bv = v128.load32_lane(q + 8, v128.load64_zero(q), 2);
            if (fmt == 4) lut16(fp6x16(bv, S, P), true, H0, L0, Xv, o + (<usize>i << 2));
            else dec16fp6(fp6x16(bv, S, P), fmt, Xv, o + (<usize>i << 2), false);
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

/**
 * Dequantizes rows × L values from packed codes at data (packing 0 bytes, 1 FP4 pairs, 2 FP6 packed) and scale bytes
 * into float32 at out: decode(code)·2^(byte − 127) rounded once to float32 (one f32 multiply: both factors are
 * float32 values, 2^-127 included), NaN for scale byte 0xFF. table: the 2^bits float32 decode values of the format,
 * at 1024 + 1024·format (src/tables.ts), which also names the format; whole groups of sixteen codes decode
 * arithmetically (dec4), the rest through the table.
 */
export function mxDequantize(data: usize, packing: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  const fmt = <i32>((table - 1024) >> 10);
  if (fmt == 0) dq0(data, packing, scales, rows, L, k, table, out);
  else if (fmt == 1) dq1(data, packing, scales, rows, L, k, table, out);
  else if (fmt == 2) dq2(data, packing, scales, rows, L, k, table, out);
  else if (fmt == 3) dq3(data, packing, scales, rows, L, k, table, out);
  else if (fmt == 4) dq4(data, packing, scales, rows, L, k, table, out);
  else dq5(data, packing, scales, rows, L, k, table, out);
}

// One function a format (smaller functions: the engine keeps the decode constants in registers).
function dq0(data: usize, pm: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  dqRun(data, pm, scales, rows, L, k, table, out, 0);
}
function dq1(data: usize, pm: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  dqRun(data, pm, scales, rows, L, k, table, out, 1);
}
function dq2(data: usize, pm: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  dqRun(data, pm, scales, rows, L, k, table, out, 2);
}
function dq3(data: usize, pm: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  dqRun(data, pm, scales, rows, L, k, table, out, 3);
}
function dq4(data: usize, pm: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  dqRun(data, pm, scales, rows, L, k, table, out, 4);
}
function dq5(data: usize, pm: i32, scales: usize, rows: i32, L: i32, k: i32, table: usize, out: usize): void {
  dqRun(data, pm, scales, rows, L, k, table, out, 5);
}
