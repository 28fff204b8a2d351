// AssemblyScript: BDR (Block Data Representation) quantize+pack and dequantize over raw pointers into the imported
// memory, bit for bit the JavaScript twin src/js/bdr.ts (Rouhani et al., arXiv:2302.08007 §III; exponent rules of AMD
// Quark quark/torch/kernel/hw_emulation/hw_emulation_interface.py::fake_quantize_mx6_mx9):
//   E = clamp(field(max |x|) − 127, Emin, Emax), s_j = clamp(E − (field(max_j |x|) − 127), 0, 2^d2 − 1),
//   q = min(round(|x|·2^(s_j + m − 1 − E)), 2^m − 1), code = sign << m | q (an LSB-first bitstream of m + 1 bits).
// Fast paths (m ≤ 7, one code per byte in registers) compute y = |x|·2^(s + m − 1 − E) in float32: the factor is a
// float32 normal (checked per block), so y is exact whenever it is a float32 normal, and a subnormal y is below 1/2
// and rounds to 0 whatever its rounding error; decoding multiplies q (exact) by 2^p, one correctly rounded float32
// product equal to the float64 product rounded once. Blocks outside those ranges take the float64 scalar path.
// A short last block of a row is zero-padded in the scratch (zeros change no maximum and take code 0).

// ---- bitstream writers (mantissas, microexponents) and readers: LSB-first, 64-bit accumulators ----
let mPtr: usize = 0;
let mAcc: u64 = 0;
let mN: i32 = 0;
let sPtr: usize = 0;
let sAcc: u64 = 0;
let sN: i32 = 0;

@inline function putM(v: u32, n: i32): void {
  mAcc |= (<u64>v) << (<u64>mN);
  mN += n;
  if (mN >= 32) {
    store<u32>(mPtr, <u32>mAcc);
    mPtr += 4;
    mAcc >>= 32;
    mN -= 32;
  }
}

@inline function putS(v: u32, n: i32): void {
  sAcc |= (<u64>v) << (<u64>sN);
  sN += n;
  if (sN >= 32) {
    store<u32>(sPtr, <u32>sAcc);
    sPtr += 4;
    sAcc >>= 32;
    sN -= 32;
  }
}

/** Writes the whole pending bytes of the mantissa stream (and, at the end, the partial last one). */
function flushM(all: bool): void {
  while (mN >= 8) {
    store<u8>(mPtr, <u8>mAcc);
    mPtr++;
    mAcc >>= 8;
    mN -= 8;
  }
  if (all && mN > 0) {
    store<u8>(mPtr, <u8>mAcc);
    mPtr++;
    mAcc = 0;
    mN = 0;
  }
}

function flushS(all: bool): void {
  while (sN >= 8) {
    store<u8>(sPtr, <u8>sAcc);
    sPtr++;
    sAcc >>= 8;
    sN -= 8;
  }
  if (all && sN > 0) {
    store<u8>(sPtr, <u8>sAcc);
    sPtr++;
    sAcc = 0;
    sN = 0;
  }
}

@inline function getM(n: i32): u32 {
  while (mN < n) {
    mAcc |= (<u64>load<u8>(mPtr)) << (<u64>mN);
    mPtr++;
    mN += 8;
  }
  const v = <u32>(mAcc & ((<u64>1 << (<u64>n)) - 1));
  mAcc >>= <u64>n;
  mN -= n;
  return v;
}

@inline function getS(n: i32): u32 {
  while (sN < n) {
    sAcc |= (<u64>load<u8>(sPtr)) << (<u64>sN);
    sPtr++;
    sN += 8;
  }
  const v = <u32>(sAcc & ((<u64>1 << (<u64>n)) - 1));
  sAcc >>= <u64>n;
  sN -= n;
  return v;
}

/** 2^e as f64 (−1022 ≤ e ≤ 1023). */
@inline function pow2d(e: i32): f64 {
  return reinterpret<f64>(<u64>(1023 + e) << 52);
}

// ---- per-call parameters ----
let K1: i32 = 16;
let K2: i32 = 2;
let D2: i32 = 1;
let MB: i32 = 7; // m
let W: i32 = 8; // m + 1
let LIM: i32 = 127;
let SMAX: i32 = 1;
let EMIN: i32 = -127;
let EMAX: i32 = 128;
let BIAS: i32 = 127;
let RM: i32 = 0;
let mEnd: usize = 0;

function setParams(k1: i32, d1: i32, k2: i32, d2: i32, m: i32, rounding: i32): void {
  K1 = k1;
  K2 = k2;
  D2 = d2;
  MB = m;
  W = m + 1;
  LIM = (1 << m) - 1;
  SMAX = (1 << d2) - 1;
  BIAS = (1 << (d1 - 1)) - 1;
  EMIN = -BIAS;
  EMAX = (1 << d1) - 1 - BIAS;
  RM = rounding;
}

/** max of the magnitude bits of n float32 at p. */
function absMax(p: usize, n: i32): u32 {
  let i = 0;
  let m: u32 = 0;
  if (n >= 4) {
    const absm = i32x4.splat(0x7fffffff);
    let v0 = i32x4.splat(0);
    let v1 = v0;
    for (; i + 8 <= n; i += 8) {
      const q = p + (<usize>i << 2);
      v0 = i32x4.max_s(v0, v128.and(v128.load(q), absm));
      v1 = i32x4.max_s(v1, v128.and(v128.load(q, 16), absm));
    }
    if (i + 4 <= n) {
      v0 = i32x4.max_s(v0, v128.and(v128.load(p + (<usize>i << 2)), absm));
      i += 4;
    }
    v0 = i32x4.max_s(v0, v1);
    v0 = i32x4.max_s(v0, i8x16.shuffle(v0, v0, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    v0 = i32x4.max_s(v0, i8x16.shuffle(v0, v0, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
    m = i32x4.extract_lane(v0, 0);
  }
  for (; i < n; i++) {
    const a = load<u32>(p + (<usize>i << 2)) & 0x7fffffff;
    if (a > m) m = a;
  }
  return m;
}

/** Rounds |x|·inv (exact in float64) to a magnitude code, clamped: the JavaScript kernel's arithmetic. */
@inline function qExact(bits: u32, inv: f64): u32 {
  const y = <f64>reinterpret<f32>(bits & 0x7fffffff) * inv;
  let q: f64;
  if (RM === 0) q = nearest<f64>(y);
  else {
    q = floor<f64>(y);
    if (RM === 1 && y - q >= 0.5) q += 1;
  }
  if (q > <f64>LIM) q = <f64>LIM;
  return <u32>q | ((bits >>> 31) << MB);
}

/**
 * Integer lanes of four float32 y lanes (exact, clamped to [0, LIM] with LIM < 2^8) rounded by mode r: adding 2^23
 * rounds to an integer (half to even) and leaves it in the low bits of the float32.
 */
@inline function round4(y: v128, r: i32): v128 {
  const two23 = f32x4.splat(8388608.0);
  if (r === 0) return i32x4.sub(f32x4.add(y, two23), two23);
  const fl = f32x4.floor(y);
  if (r === 2) return i32x4.sub(f32x4.add(fl, two23), two23);
  const up = v128.and(f32x4.ge(f32x4.sub(y, fl), f32x4.splat(0.5)), f32x4.splat(1.0));
  return i32x4.sub(f32x4.add(f32x4.add(fl, up), two23), two23);
}

/** Four codes (i32 lanes) of the float32 lanes of v with per-lane factors inv (float32 bits). */
@inline function codes4(v: v128, inv: v128, r: i32, limV: v128, mshift: i32): v128 {
  const a = v128.and(v, i32x4.splat(0x7fffffff));
  // pmin(y, lim) = lim < y ? lim : y (no NaN here); clamping before rounding is the same as after (lim is an integer)
  const q = round4(f32x4.pmin(f32x4.mul(a, inv), limV), r);
  return v128.or(q, i32x4.shl(i32x4.shr_u(v, 31), mshift));
}

@inline function narrow4(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(c0, c1), i16x8.narrow_i32x4_u(c2, c3));
}

/** Packs the 16 code bytes of c (each < 2^w) into two 64-bit groups of 8w bits (i64 lanes). */
@inline function compress16(c: v128, w: i32): v128 {
  let x = c;
  x = v128.or(v128.and(x, i16x8.splat(0x00ff)), i64x2.shr_u(v128.and(x, i16x8.splat(<i16>0xff00)), 8 - w));
  x = v128.or(v128.and(x, i32x4.splat(0x0000ffff)), i64x2.shr_u(v128.and(x, i32x4.splat(<i32>0xffff0000)), 16 - 2 * w));
  x = v128.or(v128.and(x, i64x2.splat(0xffffffff)), i64x2.shr_u(v128.and(x, i64x2.splat(<i64>0xffffffff00000000)), 32 - 4 * w));
  return x;
}

/** Inverse of compress16: two groups of 8 codes of w bits (low 8w bits of each i64 lane) into 16 code bytes. */
@inline function expand16(x0: v128, w: i32): v128 {
  const m4 = i64x2.splat((<i64>1 << (<i64>(4 * w))) - 1);
  let x = v128.or(v128.and(x0, m4), v128.and(i64x2.shl(x0, 32 - 4 * w), i64x2.shl(m4, 32)));
  const m2 = i32x4.splat((1 << (2 * w)) - 1);
  x = v128.or(v128.and(x, m2), v128.and(i32x4.shl(x, 16 - 2 * w), i32x4.shl(m2, 16)));
  const m1 = i16x8.splat(<i16>((<i32>1 << w) - 1));
  x = v128.or(v128.and(x, m1), v128.and(i16x8.shl(x, 8 - w), i16x8.shl(m1, 8)));
  return x;
}

/** Stores 16 code bytes (w = 8) or their 2w packed bytes at mPtr (byte-aligned), without writing past mEnd. */
@inline function emit16(c: v128, w: i32): void {
  if (w === 8) {
    v128.store(mPtr, c);
    mPtr += 16;
    return;
  }
  const g = compress16(c, w);
  if (mPtr + <usize>(w + 8) <= mEnd) {
    store<u64>(mPtr, i64x2.extract_lane(g, 0));
    store<u64>(mPtr + <usize>w, i64x2.extract_lane(g, 1));
  } else emitBytes(g, w);
  mPtr += <usize>(2 * w);
}

/** The 2w bytes of two packed groups, one at a time (the end of the stream: nothing written past it). */
function emitBytes(g: v128, w: i32): void {
  const g0 = i64x2.extract_lane(g, 0);
  const g1 = i64x2.extract_lane(g, 1);
  for (let j = 0; j < w; j++) {
    store<u8>(mPtr + <usize>j, <u8>(g0 >> (<i64>(j << 3))));
    store<u8>(mPtr + <usize>(w + j), <u8>(g1 >> (<i64>(j << 3))));
  }
}

/** Stores 8 code bytes (the low half of c; w = 8) or their w packed bytes at mPtr, without writing past mEnd. */
@inline function emit8(c: v128, w: i32): void {
  const g = w === 8 ? i64x2.extract_lane(c, 0) : i64x2.extract_lane(compress16(c, w), 0);
  if (mPtr + 8 <= mEnd) store<u64>(mPtr, g);
  else for (let j = 0; j < w; j++) store<u8>(mPtr + <usize>j, <u8>(g >> (<i64>(j << 3))));
  mPtr += <usize>w;
}

/** The block exponent of a finite block max (magnitude bits). */
@inline function blockE(amax: u32): i32 {
  let E = <i32>(amax >>> 23) - 127;
  if (E < EMIN) E = EMIN;
  else if (E > EMAX) E = EMAX;
  return E;
}

@inline function clampS(s: i32): i32 {
  return s < 0 ? 0 : s > SMAX ? SMAX : s;
}

/** The float64 scalar path for one block of K1 values at p (any format): the JavaScript kernel's loop. */
function quantizeBlockExact(p: usize, E: i32): void {
  const nSub = K1 / K2;
  for (let j = 0; j < nSub; j++) {
    const s0 = p + (<usize>(j * K2) << 2);
    const s = clampS(E - (<i32>(absMax(s0, K2) >>> 23) - 127));
    if (D2 > 0) putS(<u32>s, D2);
    const inv = pow2d(s + MB - 1 - E);
    for (let i = 0; i < K2; i++) putM(qExact(load<u32>(s0 + (<usize>i << 2)), inv), W);
  }
  // whole bytes out, so that a fast block after this one may write at mPtr/sPtr directly
  flushM(false);
  flushS(false);
}

/** Pair maxima (magnitude bits) of 8 values: lanes max(a[2i], a[2i+1]). */
@inline function pairMax(a0: v128, a1: v128): v128 {
  return i32x4.max_s(
    i8x16.shuffle(a0, a1, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27),
    i8x16.shuffle(a0, a1, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31),
  );
}

/** Magnitude lanes of four float32 lanes v (magnitudes ≤ LIM ≤ 127) times factors inv, rounded by mode r. */
@inline function mag4(a: v128, inv: v128, r: i32, limV: v128): v128 {
  // pmin(y, lim) = lim < y ? lim : y (no NaN here); clamping before rounding is the same as after (lim is an integer)
  return round4(f32x4.pmin(f32x4.mul(a, inv), limV), r);
}

/**
 * The 16 values v0..v3 (magnitudes a0..a3, pair maxima pm01, pm23) of a pair-shaped block (k2 = 2, d2 = 1, m ≤ 7):
 * a pair shifts (s = 1) iff its max is below 2^E in bits, i.e. its exponent field is below E + 127 (both sides
 * clamp the same way: s = clamp(E + 127 − field, 0, 1)); shift bits to sPtr, codes to the mantissa stream.
 */
@inline function pairs16(
  v0: v128,
  v1: v128,
  v2: v128,
  v3: v128,
  a0: v128,
  a1: v128,
  a2: v128,
  a3: v128,
  pm01: v128,
  pm23: v128,
  thr: v128,
  base: v128,
  r: i32,
): void {
  const limV = f32x4.splat(<f32>LIM);
  const one23 = i32x4.splat(1 << 23);
  const s01 = i32x4.lt_s(pm01, thr);
  const s23 = i32x4.lt_s(pm23, thr);
  store<u8>(sPtr, <u8>(i32x4.bitmask(s01) | (i32x4.bitmask(s23) << 4)));
  sPtr++;
  const f01 = i32x4.add(base, v128.and(s01, one23));
  const f23 = i32x4.add(base, v128.and(s23, one23));
  const q0 = mag4(a0, i8x16.shuffle(f01, f01, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7), r, limV);
  const q1 = mag4(a1, i8x16.shuffle(f01, f01, 8, 9, 10, 11, 8, 9, 10, 11, 12, 13, 14, 15, 12, 13, 14, 15), r, limV);
  const q2 = mag4(a2, i8x16.shuffle(f23, f23, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7), r, limV);
  const q3 = mag4(a3, i8x16.shuffle(f23, f23, 8, 9, 10, 11, 8, 9, 10, 11, 12, 13, 14, 15, 12, 13, 14, 15), r, limV);
  // sign bytes (0xFF for a negative value) masked to bit m, merged after narrowing
  const sg = i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(i32x4.shr_s(v0, 31), i32x4.shr_s(v1, 31)),
    i16x8.narrow_i32x4_s(i32x4.shr_s(v2, 31), i32x4.shr_s(v3, 31)),
  );
  emit16(v128.or(narrow4(q0, q1, q2, q3), v128.and(sg, i8x16.splat(<i8>(<i32>1 << MB)))), W);
}

/** Index in [0, n) of the first NaN/±Inf of n values at p, or −1. */
function firstNonFinite(p: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) if ((load<u32>(p + (<usize>i << 2)) & 0x7fffffff) >= 0x7f800000) return i;
  return -1;
}

/** Whether every factor 2^(s + m − 1 − E), s in [0, smax], is a float32 normal. */
@inline function factorsInRange(E: i32): bool {
  return MB - 1 - E >= -126 && SMAX + MB - 1 - E <= 127;
}

/**
 * nBlocks whole pair-shaped blocks of 16 (the MX4/MX6/MX9 presets) at p, exponents from exps: one pass per block
 * (block max from the pair maxima). Returns the index of the first NaN/±Inf value from p, or −1.
 */
@inline function runMX16(p: usize, nBlocks: i32, exps: usize, r: i32): i32 {
  const absm = i32x4.splat(0x7fffffff);
  for (let b = 0; b < nBlocks; b++) {
    const q = p + (<usize>b << 6);
    const v0 = v128.load(q);
    const v1 = v128.load(q, 16);
    const v2 = v128.load(q, 32);
    const v3 = v128.load(q, 48);
    const a0 = v128.and(v0, absm);
    const a1 = v128.and(v1, absm);
    const a2 = v128.and(v2, absm);
    const a3 = v128.and(v3, absm);
    const pm01 = pairMax(a0, a1);
    const pm23 = pairMax(a2, a3);
    let mx = i32x4.max_s(pm01, pm23);
    mx = i32x4.max_s(mx, i8x16.shuffle(mx, mx, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    mx = i32x4.max_s(mx, i8x16.shuffle(mx, mx, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
    const amax = <u32>i32x4.extract_lane(mx, 0);
    if (amax >= 0x7f800000) return (b << 4) + firstNonFinite(q, 16);
    const E = blockE(amax);
    store<u8>(exps + <usize>b, <u8>(E + BIAS));
    if (factorsInRange(E))
      pairs16(v0, v1, v2, v3, a0, a1, a2, a3, pm01, pm23, i32x4.splat((E + 127) << 23), i32x4.splat((127 + MB - 1 - E) << 23), r);
    else quantizeBlockExact(q, E);
  }
  return -1;
}

/** nBlocks whole BFP blocks of 8 (d2 = 0, m ≤ 7: AMD Quark's bfp16) at p: one pass per block, one factor. */
@inline function runBFP8(p: usize, nBlocks: i32, exps: usize, r: i32): i32 {
  const absm = i32x4.splat(0x7fffffff);
  const limV = f32x4.splat(<f32>LIM);
  const signBit = i8x16.splat(<i8>(<i32>1 << MB));
  for (let b = 0; b < nBlocks; b++) {
    const q = p + (<usize>b << 5);
    const v0 = v128.load(q);
    const v1 = v128.load(q, 16);
    const a0 = v128.and(v0, absm);
    const a1 = v128.and(v1, absm);
    let mx = i32x4.max_s(a0, a1);
    mx = i32x4.max_s(mx, i8x16.shuffle(mx, mx, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    mx = i32x4.max_s(mx, i8x16.shuffle(mx, mx, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
    const amax = <u32>i32x4.extract_lane(mx, 0);
    if (amax >= 0x7f800000) return (b << 3) + firstNonFinite(q, 8);
    const E = blockE(amax);
    store<u8>(exps + <usize>b, <u8>(E + BIAS));
    if (!factorsInRange(E)) {
      quantizeBlockExact(q, E);
      continue;
    }
    const inv = i32x4.splat((127 + MB - 1 - E) << 23);
    const s16 = i16x8.narrow_i32x4_s(i32x4.shr_s(v0, 31), i32x4.shr_s(v1, 31));
    const sg = i8x16.narrow_i16x8_s(s16, s16);
    const m16 = i16x8.narrow_i32x4_u(mag4(a0, inv, r, limV), mag4(a1, inv, r, limV));
    emit8(v128.or(i8x16.narrow_i16x8_u(m16, m16), v128.and(sg, signBit)), W);
  }
  return -1;
}

/**
 * nBlocks whole BFP blocks of 16 (d2 = 0, m ≤ 7: MSFP12, MSFP16 and their kin) at p: one pass per block, one factor.
 * Returns the index of the first NaN/±Inf value from p, or −1.
 */
@inline function runBFP16(p: usize, nBlocks: i32, exps: usize, r: i32): i32 {
  const absm = i32x4.splat(0x7fffffff);
  const limV = f32x4.splat(<f32>LIM);
  const signBit = i8x16.splat(<i8>(<i32>1 << MB));
  for (let b = 0; b < nBlocks; b++) {
    const q = p + (<usize>b << 6);
    const v0 = v128.load(q);
    const v1 = v128.load(q, 16);
    const v2 = v128.load(q, 32);
    const v3 = v128.load(q, 48);
    const a0 = v128.and(v0, absm);
    const a1 = v128.and(v1, absm);
    const a2 = v128.and(v2, absm);
    const a3 = v128.and(v3, absm);
    let mx = i32x4.max_s(i32x4.max_s(a0, a1), i32x4.max_s(a2, a3));
    mx = i32x4.max_s(mx, i8x16.shuffle(mx, mx, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
    mx = i32x4.max_s(mx, i8x16.shuffle(mx, mx, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
    const amax = <u32>i32x4.extract_lane(mx, 0);
    if (amax >= 0x7f800000) return (b << 4) + firstNonFinite(q, 16);
    const E = blockE(amax);
    store<u8>(exps + <usize>b, <u8>(E + BIAS));
    if (!factorsInRange(E)) {
      quantizeBlockExact(q, E);
      continue;
    }
    const inv = i32x4.splat((127 + MB - 1 - E) << 23);
    const sg = i8x16.narrow_i16x8_s(
      i16x8.narrow_i32x4_s(i32x4.shr_s(v0, 31), i32x4.shr_s(v1, 31)),
      i16x8.narrow_i32x4_s(i32x4.shr_s(v2, 31), i32x4.shr_s(v3, 31)),
    );
    const c = narrow4(mag4(a0, inv, r, limV), mag4(a1, inv, r, limV), mag4(a2, inv, r, limV), mag4(a3, inv, r, limV));
    emit16(v128.or(c, v128.and(sg, signBit)), W);
  }
  return -1;
}

/** nBlocks whole pair-shaped blocks (k1 % 16 = 0, any k1) at p: block max first, then 16 values per step. */
function runPairs(p: usize, nBlocks: i32, exps: usize, r: i32): i32 {
  for (let b = 0; b < nBlocks; b++) {
    const q = p + (<usize>(b * K1) << 2);
    const amax = absMax(q, K1);
    if (amax >= 0x7f800000) return b * K1 + firstNonFinite(q, K1);
    const E = blockE(amax);
    store<u8>(exps + <usize>b, <u8>(E + BIAS));
    if (factorsInRange(E)) {
      const thr = i32x4.splat((E + 127) << 23);
      const base = i32x4.splat((127 + MB - 1 - E) << 23);
      const absm = i32x4.splat(0x7fffffff);
      for (let g = 0; g < K1; g += 16) {
        const t = q + (<usize>g << 2);
        const v0 = v128.load(t);
        const v1 = v128.load(t, 16);
        const v2 = v128.load(t, 32);
        const v3 = v128.load(t, 48);
        const a0 = v128.and(v0, absm);
        const a1 = v128.and(v1, absm);
        const a2 = v128.and(v2, absm);
        const a3 = v128.and(v3, absm);
        pairs16(v0, v1, v2, v3, a0, a1, a2, a3, pairMax(a0, a1), pairMax(a2, a3), thr, base, r);
      }
    } else quantizeBlockExact(q, E);
  }
  return -1;
}

/**
 * Codes of n values at p (n % 4 = 0) with one factor (float32 bits) into bytes at dst, m ≤ 7.
 */
@inline function codesUniform(p: usize, n: i32, invBits: i32, dst: usize, r: i32): void {
  const inv = i32x4.splat(invBits);
  const limV = f32x4.splat(<f32>LIM);
  const mshift = MB;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    const c0 = codes4(v128.load(q), inv, r, limV, mshift);
    const c1 = codes4(v128.load(q, 16), inv, r, limV, mshift);
    const c2 = codes4(v128.load(q, 32), inv, r, limV, mshift);
    const c3 = codes4(v128.load(q, 48), inv, r, limV, mshift);
    v128.store(dst + <usize>i, narrow4(c0, c1, c2, c3));
  }
  for (; i < n; i += 4) {
    const c = codes4(v128.load(p + (<usize>i << 2)), inv, r, limV, mshift);
    store<u32>(dst + <usize>i, i32x4.extract_lane(narrow4(c, c, c, c), 0));
  }
}

/**
 * nBlocks whole blocks whose factor is uniform over runs of 4 (BFP, or k2 % 4 = 0), m ≤ 7: codes into bytes at
 * codes, then packed (16 at a time where blocks start on a byte).
 */
@inline function runUniform(p: usize, nBlocks: i32, exps: usize, codes: usize, r: i32): i32 {
  const run = D2 === 0 ? K1 : K2;
  const aligned = (K1 & 7) === 0;
  for (let b = 0; b < nBlocks; b++) {
    const q = p + (<usize>(b * K1) << 2);
    const amax = absMax(q, K1);
    if (amax >= 0x7f800000) return b * K1 + firstNonFinite(q, K1);
    const E = blockE(amax);
    store<u8>(exps + <usize>b, <u8>(E + BIAS));
    if (!factorsInRange(E)) {
      quantizeBlockExact(q, E);
      continue;
    }
    // byte codes go straight into the mantissa stream
    const direct = W === 8 && aligned;
    if (direct) flushM(false);
    const dst = direct ? mPtr : codes;
    for (let j = 0; j < K1; j += run) {
      const t = q + (<usize>j << 2);
      let s = 0;
      if (D2 > 0) {
        s = clampS(E - (<i32>(absMax(t, run) >>> 23) - 127));
        putS(<u32>s, D2);
      }
      codesUniform(t, run, (127 + s + MB - 1 - E) << 23, dst + <usize>j, r);
    }
    if (direct) mPtr += <usize>K1;
    else if (aligned) {
      flushM(false);
      let j = 0;
      for (; j + 16 <= K1; j += 16) emit16(v128.load(codes + <usize>j), W);
      for (; j < K1; j++) putM(load<u8>(codes + <usize>j), W);
    } else for (let t = 0; t < K1; t++) putM(load<u8>(codes + <usize>t), W);
  }
  return -1;
}

/** nBlocks whole blocks at p by the float64 scalar path (any format). */
function runExact(p: usize, nBlocks: i32, exps: usize): i32 {
  for (let b = 0; b < nBlocks; b++) {
    const q = p + (<usize>(b * K1) << 2);
    const amax = absMax(q, K1);
    if (amax >= 0x7f800000) return b * K1 + firstNonFinite(q, K1);
    const E = blockE(amax);
    store<u8>(exps + <usize>b, <u8>(E + BIAS));
    quantizeBlockExact(q, E);
  }
  return -1;
}

/** nBlocks whole blocks at p, exponents at exps, through the fastest path the format allows. */
function quantizeRun(p: usize, nBlocks: i32, exps: usize, codes: usize): i32 {
  if (K2 === 2 && D2 === 1 && (K1 & 15) === 0 && MB <= 7) {
    flushM(false);
    flushS(false);
    if (K1 === 16) {
      if (RM === 0) return runMX16(p, nBlocks, exps, 0);
      if (RM === 1) return runMX16(p, nBlocks, exps, 1);
      return runMX16(p, nBlocks, exps, 2);
    }
    return runPairs(p, nBlocks, exps, RM);
  }
  if (K1 === 16 && D2 === 0 && MB <= 7) {
    flushM(false);
    if (RM === 0) return runBFP16(p, nBlocks, exps, 0);
    return runBFP16(p, nBlocks, exps, RM);
  }
  if (K1 === 8 && D2 === 0 && MB <= 7) {
    flushM(false);
    if (RM === 0) return runBFP8(p, nBlocks, exps, 0);
    return runBFP8(p, nBlocks, exps, RM);
  }
  if (MB <= 7 && (K1 & 3) === 0 && (D2 === 0 || (K2 & 3) === 0)) {
    if (RM === 0) return runUniform(p, nBlocks, exps, codes, 0);
    return runUniform(p, nBlocks, exps, codes, RM);
  }
  return runExact(p, nBlocks, exps);
}

/**
 * Quantizes rows × L float32 at src (row-major, blocked axis last) into the three planar fields. Returns −1, or the
 * flat index of the first NaN/±Inf (the fields are then incomplete). scratch: K1·5 + 64 bytes.
 */
export function bdrQuantize(
  src: usize,
  rows: i32,
  L: i32,
  k1: i32,
  d1: i32,
  k2: i32,
  d2: i32,
  m: i32,
  rounding: i32,
  exps: usize,
  micro: usize,
  mant: usize,
  scratch: usize,
): i32 {
  setParams(k1, d1, k2, d2, m, rounding);
  const nB = (L + k1 - 1) / k1;
  const total = <usize>rows * <usize>nB * <usize>k1;
  mPtr = mant;
  mAcc = 0;
  mN = 0;
  sPtr = micro;
  sAcc = 0;
  sN = 0;
  mEnd = mant + ((total * <usize>W + 7) >> 3);
  const pad = (scratch + 15) & ~<usize>15;
  const codes = pad + (<usize>k1 << 2);
  const full = L / k1;
  // whole rows of whole blocks are one run of blocks
  const nRuns = L % k1 === 0 ? 1 : rows;
  const perRun = L % k1 === 0 ? rows * full : full;
  let bi = 0;
  for (let r = 0; r < nRuns; r++) {
    const start = r * L;
    const e = quantizeRun(src + (<usize>start << 2), perRun, exps + <usize>bi, codes);
    if (e >= 0) return start + e;
    bi += perRun;
    const n = L - full * k1;
    if (n > 0) {
      // the short last block of the row, zero-padded
      memory.copy(pad, src + (<usize>(start + full * k1) << 2), <usize>n << 2);
      memory.fill(pad + (<usize>n << 2), 0, <usize>(k1 - n) << 2);
      const e2 = quantizeRun(pad, 1, exps + <usize>bi, codes);
      if (e2 >= 0) return start + full * k1 + e2;
      bi++;
    }
  }
  flushM(true);
  flushS(true);
  return -1;
}

// ---- dequantize ----

/** The float64 scalar path for one block into K1 float32 at dst: the JavaScript kernel's arithmetic. */
function dequantizeBlockExact(E: i32, dst: usize): void {
  const nSub = K1 / K2;
  const magMask: u32 = (<u32>1 << MB) - 1;
  for (let j = 0; j < nSub; j++) {
    const s = D2 > 0 ? <i32>getS(D2) : 0;
    const step = pow2d(E - s - MB + 1);
    const q = dst + (<usize>(j * K2) << 2);
    for (let i = 0; i < K2; i++) {
      const c = getM(W);
      const v = <f32>(<f64>(c & magMask) * step);
      store<u32>(q + (<usize>i << 2), reinterpret<u32>(v) | ((c >>> MB) << 31));
    }
  }
}

/** Values of 4 codes (i32 lanes) times the float32 step lanes (bits), the sign from the code's top bit. */
@inline function values4(c: v128, step: v128, magMask: v128, mshift: i32): v128 {
  const mag = f32x4.convert_i32x4_s(v128.and(c, magMask));
  return v128.or(f32x4.mul(mag, step), i32x4.shl(i32x4.shr_u(c, mshift), 31));
}

/** Reads the next 16 codes (byte-aligned stream at mPtr) into 16 bytes, without reading past mEnd. */
@inline function read16(w: i32): v128 {
  let x: v128;
  if (w === 8) {
    x = v128.load(mPtr);
  } else {
    if (mPtr + <usize>(w + 8) <= mEnd) x = i64x2.replace_lane(i64x2.splat(load<u64>(mPtr)), 1, load<u64>(mPtr + <usize>w));
    else x = readBytes(w);
    x = expand16(x, w);
  }
  mPtr += <usize>(2 * w);
  return x;
}

/** Two groups of 2w stream bytes at mPtr, one byte at a time (the end of the stream: nothing read past it). */
function readBytes(w: i32): v128 {
  let g0: u64 = 0;
  let g1: u64 = 0;
  for (let j = 0; j < w; j++) {
    g0 |= (<u64>load<u8>(mPtr + <usize>j)) << (<u64>(j << 3));
    g1 |= (<u64>load<u8>(mPtr + <usize>(w + j))) << (<u64>(j << 3));
  }
  return i64x2.replace_lane(i64x2.splat(g0), 1, g1);
}

/** Decodes 16 code bytes c into 16 float32 at q with one step (bits) per 4 lanes. */
@inline function store16(q: usize, c: v128, st0: v128, st1: v128, st2: v128, st3: v128, magMask: v128, mshift: i32): void {
  const lo = i16x8.extend_low_i8x16_u(c);
  const hi = i16x8.extend_high_i8x16_u(c);
  v128.store(q, values4(i32x4.extend_low_i16x8_u(lo), st0, magMask, mshift));
  v128.store(q, values4(i32x4.extend_high_i16x8_u(lo), st1, magMask, mshift), 16);
  v128.store(q, values4(i32x4.extend_low_i16x8_u(hi), st2, magMask, mshift), 32);
  v128.store(q, values4(i32x4.extend_high_i16x8_u(hi), st3, magMask, mshift), 48);
}

/** Whether every step 2^(E − s − m + 1), s in [0, smax], is a float32 normal. */
@inline function stepsInRange(E: i32): bool {
  return E - SMAX - MB + 1 >= -126 && E - MB + 1 <= 127;
}

/** nBlocks whole pair-shaped blocks (k2 = 2, d2 = 1, k1 % 16 = 0, m ≤ 7) into float32 at dst: 16 values per step. */
function dequantizeRunPairs(dst: usize, nBlocks: i32, exps: usize): void {
  const dec = i32x4.splat(-(1 << 23));
  const magMask = i32x4.splat((1 << MB) - 1);
  const mshift = MB;
  const w = W;
  const bits = i8x16(1, 1, 2, 2, 4, 4, 8, 8, 16, 16, 32, 32, 64, 64, -128, -128);
  for (let b = 0; b < nBlocks; b++) {
    const E = <i32>load<u8>(exps + <usize>b) - BIAS;
    const q0 = dst + (<usize>(b * K1) << 2);
    if (!stepsInRange(E)) {
      dequantizeBlockExact(E, q0);
      continue;
    }
    const base = i32x4.splat((127 + E - MB + 1) << 23);
    for (let g = 0; g < K1; g += 16) {
      // one shift bit per pair → a byte mask per value → step lanes base − 2^23·bit
      const sm = i8x16.eq(v128.and(i8x16.splat(<i8>load<u8>(sPtr)), bits), bits);
      sPtr++;
      const mlo = i16x8.extend_low_i8x16_s(sm);
      const mhi = i16x8.extend_high_i8x16_s(sm);
      const st0 = i32x4.add(base, v128.and(i32x4.extend_low_i16x8_s(mlo), dec));
      const st1 = i32x4.add(base, v128.and(i32x4.extend_high_i16x8_s(mlo), dec));
      const st2 = i32x4.add(base, v128.and(i32x4.extend_low_i16x8_s(mhi), dec));
      const st3 = i32x4.add(base, v128.and(i32x4.extend_high_i16x8_s(mhi), dec));
      store16(q0 + (<usize>g << 2), read16(w), st0, st1, st2, st3, magMask, mshift);
    }
  }
}

/** nBlocks whole BFP blocks of 8 (d2 = 0, m ≤ 7) into float32 at dst: one step per block. */
function dequantizeRunBFP8(dst: usize, nBlocks: i32, exps: usize): void {
  const magMask = i32x4.splat((1 << MB) - 1);
  const mshift = MB;
  const w = W;
  for (let b = 0; b < nBlocks; b++) {
    const E = <i32>load<u8>(exps + <usize>b) - BIAS;
    const q0 = dst + (<usize>b << 5);
    if (!stepsInRange(E)) {
      dequantizeBlockExact(E, q0);
      continue;
    }
    // the 8 codes: w whole bytes of the stream
    let g: u64 = 0;
    if (mPtr + 8 <= mEnd) g = load<u64>(mPtr);
    else for (let j = 0; j < w; j++) g |= (<u64>load<u8>(mPtr + <usize>j)) << (<u64>(j << 3));
    mPtr += <usize>w;
    let c = i64x2.splat(g);
    if (w !== 8) c = expand16(c, w);
    const st = i32x4.splat((127 + E - MB + 1) << 23);
    const lo = i16x8.extend_low_i8x16_u(c);
    v128.store(q0, values4(i32x4.extend_low_i16x8_u(lo), st, magMask, mshift));
    v128.store(q0, values4(i32x4.extend_high_i16x8_u(lo), st, magMask, mshift), 16);
  }
}

/** nBlocks whole BFP blocks of 16 (d2 = 0, m ≤ 7) into float32 at dst: one step per block. */
function dequantizeRunBFP16(dst: usize, nBlocks: i32, exps: usize): void {
  const magMask = i32x4.splat((1 << MB) - 1);
  const mshift = MB;
  const w = W;
  for (let b = 0; b < nBlocks; b++) {
    const E = <i32>load<u8>(exps + <usize>b) - BIAS;
    const q0 = dst + (<usize>b << 6);
    if (!stepsInRange(E)) {
      dequantizeBlockExact(E, q0);
      continue;
    }
    const st = i32x4.splat((127 + E - MB + 1) << 23);
    store16(q0, read16(w), st, st, st, st, magMask, mshift);
  }
}

/** nBlocks whole blocks with a uniform step over runs of 4 (BFP, or k2 % 4 = 0), m ≤ 7, into float32 at dst. */
function dequantizeRunUniform(dst: usize, nBlocks: i32, exps: usize, codes: usize): void {
  const run = D2 === 0 ? K1 : K2;
  const aligned = (K1 & 7) === 0;
  const magMask = i32x4.splat((1 << MB) - 1);
  const mshift = MB;
  for (let b = 0; b < nBlocks; b++) {
    const E = <i32>load<u8>(exps + <usize>b) - BIAS;
    const q0 = dst + (<usize>(b * K1) << 2);
    if (!stepsInRange(E)) {
      dequantizeBlockExact(E, q0);
      continue;
    }
    // the block's codes as bytes
    let cp = codes;
    if (W === 8 && aligned) {
      cp = mPtr;
      mPtr += <usize>K1;
    } else if (aligned) {
      let j = 0;
      for (; j + 16 <= K1; j += 16) v128.store(codes + <usize>j, read16(W));
      for (; j < K1; j++) store<u8>(codes + <usize>j, <u8>getM(W));
    } else for (let t = 0; t < K1; t++) store<u8>(codes + <usize>t, <u8>getM(W));
    for (let j = 0; j < K1; j += run) {
      const s = D2 > 0 ? <i32>getS(D2) : 0;
      const st = i32x4.splat((127 + E - s - MB + 1) << 23);
      let i = j;
      for (; i + 16 <= j + run; i += 16) store16(q0 + (<usize>i << 2), v128.load(cp + <usize>i), st, st, st, st, magMask, mshift);
      for (; i < j + run; i += 4)
        v128.store(q0 + (<usize>i << 2), values4(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(cp + <usize>i))), st, magMask, mshift));
    }
  }
}

/** nBlocks whole blocks into float32 at dst through the fastest path the format allows. */
function dequantizeRun(dst: usize, nBlocks: i32, exps: usize, codes: usize): void {
  if (K2 === 2 && D2 === 1 && (K1 & 15) === 0 && MB <= 7) dequantizeRunPairs(dst, nBlocks, exps);
  else if (K1 === 16 && D2 === 0 && MB <= 7) dequantizeRunBFP16(dst, nBlocks, exps);
  else if (K1 === 8 && D2 === 0 && MB <= 7) dequantizeRunBFP8(dst, nBlocks, exps);
  else if (MB <= 7 && (K1 & 3) === 0 && (D2 === 0 || (K2 & 3) === 0)) dequantizeRunUniform(dst, nBlocks, exps, codes);
  else for (let b = 0; b < nBlocks; b++) dequantizeBlockExact(<i32>load<u8>(exps + <usize>b) - BIAS, dst + (<usize>(b * K1) << 2));
}

/**
 * Decodes rows × L values (padding dropped) from the three planar fields into float32 at out. scratch: K1·5 + 64
 * bytes.
 */
export function bdrDequantize(
  exps: usize,
  micro: usize,
  mant: usize,
  rows: i32,
  L: i32,
  k1: i32,
  d1: i32,
  k2: i32,
  d2: i32,
  m: i32,
  out: usize,
  scratch: usize,
): void {
  setParams(k1, d1, k2, d2, m, 0);
  const nB = (L + k1 - 1) / k1;
  const total = <usize>rows * <usize>nB * <usize>k1;
  mPtr = mant;
  mAcc = 0;
  mN = 0;
  sPtr = micro;
  sAcc = 0;
  sN = 0;
  mEnd = mant + ((total * <usize>W + 7) >> 3);
  const pad = (scratch + 15) & ~<usize>15;
  const codes = pad + (<usize>k1 << 2);
  const full = L / k1;
  const nRuns = L % k1 === 0 ? 1 : rows;
  const perRun = L % k1 === 0 ? rows * full : full;
  let bi = 0;
  for (let r = 0; r < nRuns; r++) {
    const start = r * L;
    dequantizeRun(out + (<usize>start << 2), perRun, exps + <usize>bi, codes);
    bi += perRun;
    const n = L - full * k1;
    if (n > 0) {
      // the short last block of the row: decoded into the scratch, padding dropped
      dequantizeRun(pad, 1, exps + <usize>bi, codes);
      memory.copy(out + (<usize>(start + full * k1) << 2), pad, <usize>n << 2);
      bi++;
    }
  }
}
