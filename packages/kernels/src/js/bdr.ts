// JavaScript twin of src/assembly/bdr.ts: BDR (Block Data Representation) quantize+pack and dequantize over typed
// arrays, the fallback where WebAssembly SIMD is missing or TESSERA_KERNELS=js, and the kernel the wasm one is tested
// against bit for bit. Moved from @tessera/bdr-formats' host kernel (its src/kernels/bdr-kernel.ts keeps the general
// loop as the reference, and for stochastic rounding). Rows are contiguous, the blocked axis last, each row
// zero-padded to nBlocks·k1; fields are LSB-first bitstreams (bit j of the stream is bit j mod 8 of byte ⌊j/8⌋).
//
// Semantics (Rouhani et al., arXiv:2302.08007 §III; exponent rules of AMD Quark
// quark/torch/kernel/hw_emulation/hw_emulation_interface.py::fake_quantize_mx6_mx9):
//   E   = clamp(exponent field of the block's max |x| − 127, Emin, Emax), a zero/subnormal max counting as −127;
//   s_j = clamp(E − e_j, 0, 2^d2 − 1), e_j likewise from the sub-block's max |x|;
//   q_i = clamp(round(|x_i| / 2^p), 2^m − 1) with p = E − s_j − (m − 1), code = sign << m | q_i.
// Every quotient |x|/2^p and product q·2^p is exact in float64 (powers of two).

/** 2^52 + 2^51: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;
const P_OFF = 400;
const POW2 = new Float64Array(801);
for (let i = 0; i <= 800; i++) POW2[i] = 2 ** (i - P_OFF);

/** Rounding of |x|/2^p: 0 half to even, 1 half away from zero, 2 toward zero. */
function roundMag(y: number, rounding: number): number {
  if (rounding === 0) return y < 2251799813685248 ? y + MAGIC - MAGIC : y;
  const r = Math.floor(y);
  return rounding === 1 && y - r >= 0.5 ? r + 1 : r;
}

/** Flat index (rows × L layout) of the first NaN/±Inf in [start, end), or −1. */
function firstNonFinite(u: Uint32Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if ((u[i] & 0x7fffffff) >= 0x7f800000) return i;
  return -1;
}

/**
 * BDR quantize+pack of rows × L float32 values (see the file comment). Returns −1, or the flat index of the first
 * NaN/±Inf (the packed format has no code for them; the fields are then incomplete). @internal
 */
export function bdrQuantizeJs(
  src: Float32Array,
  rows: number,
  L: number,
  k1: number,
  d1: number,
  k2: number,
  d2: number,
  m: number,
  rounding: number,
  exponents: Uint8Array,
  microexponents: Uint8Array,
  mantissas: Uint8Array,
): number {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  if (rounding === 0 && k2 === 2 && d2 === 1 && d1 === 8 && m <= 11 && L % k1 === 0)
    return quantizePairsRNE(src, u, rows, L, k1, m, exponents, microexponents, mantissas);
  const nB = Math.ceil(L / k1);
  const nSub = k1 / k2;
  const bias = 2 ** (d1 - 1) - 1;
  const Emin = -bias;
  const Emax = 2 ** d1 - 1 - bias;
  const smax = (1 << d2) - 1;
  const w = m + 1;
  const lim = 2 ** m - 1;
  let macc = 0;
  let mn = 0;
  let mj = 0;
  let sacc = 0;
  let sn = 0;
  let sj = 0;
  let bi = 0;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++, bi++) {
      const start = rowStart + b * k1;
      const end = start + k1 < rowEnd ? start + k1 : rowEnd;
      let amax = 0;
      for (let i = start; i < end; i++) {
        const a = u[i] & 0x7fffffff;
        if (a > amax) amax = a;
      }
      if (amax >= 0x7f800000) return firstNonFinite(u, start, end);
      // exponent field − 127; a zero/subnormal max (field 0) counts as −127
      let E = (amax >>> 23) - 127;
      if (E < Emin) E = Emin;
      else if (E > Emax) E = Emax;
      exponents[bi] = E + bias;
      for (let j = 0; j < nSub; j++) {
        const s0 = start + j * k2;
        const s1 = s0 + k2 < end ? s0 + k2 : end;
        let mb = 0;
        for (let i = s0; i < s1; i++) {
          const a = u[i] & 0x7fffffff;
          if (a > mb) mb = a;
        }
        let s = E - ((mb >>> 23) - 127);
        if (s < 0) s = 0;
        else if (s > smax) s = smax;
        if (d2 > 0) {
          sacc |= s << sn;
          sn += d2;
          if (sn >= 8) {
            microexponents[sj++] = sacc;
            sacc >>>= 8;
            sn -= 8;
          }
        }
        const inv = POW2[P_OFF - (E - s - m + 1)];
        let i = s0;
        for (; i < s1; i++) {
          const neg = u[i] >>> 31;
          let q = roundMag(Math.abs(src[i]) * inv, rounding);
          if (q > lim) q = lim;
          macc |= ((neg << m) | q) << mn;
          mn += w;
          while (mn >= 8) {
            mantissas[mj++] = macc;
            macc >>>= 8;
            mn -= 8;
          }
        }
        // zero padding of a short last block: code 0
        for (i = s1 < s0 ? s0 : s1; i < s0 + k2; i++) {
          mn += w;
          while (mn >= 8) {
            mantissas[mj++] = macc;
            macc >>>= 8;
            mn -= 8;
          }
        }
      }
    }
  }
  if (mn > 0) mantissas[mj] = macc;
  if (sn > 0) microexponents[sj] = sacc;
  return -1;
}

/**
 * Fast path of {@link bdrQuantizeJs} for the shape of MX4/MX6/MX9 (k2 = 2, d2 = 1, d1 = 8), round half to even,
 * m ≤ 11 (two codes of m + 1 bits fit the 31-bit accumulator with up to 7 bits pending), whole blocks. One pass
 * stores the pair maxima (magnitude bits) and the block max; a pair shifts iff its max's exponent field is below
 * E + 127, i.e. both exponents are ≤ E − 1 (Quark's rule); each element is |x|·2^−p rounded by the 1.5·2^52 trick,
 * clamped to 2^m − 1 and appended to the bitstream (bytes directly when m + 1 = 8).
 */
function quantizePairsRNE(
  src: Float32Array,
  u: Uint32Array,
  rows: number,
  L: number,
  k1: number,
  m: number,
  exponents: Uint8Array,
  microexponents: Uint8Array,
  mantissas: Uint8Array,
): number {
  const nP = k1 >> 1;
  const pairMax = new Int32Array(nP);
  const w = m + 1;
  const lim = 2 ** m - 1;
  const byteCodes = w === 8;
  const n = rows * L;
  let macc = 0;
  let mn = 0;
  let mj = 0;
  let sacc = 0;
  let sn = 0;
  let sj = 0;
  let bi = 0;
  for (let start = 0; start < n; start += k1, bi++) {
    let amax = 0;
    for (let t = 0, i = start; t < nP; t++, i += 2) {
      // branch-free maxima (magnitude bits < 2^31, so differences stay int32): random data mispredicts branches
      const a0 = u[i] & 0x7fffffff;
      const a1 = u[i + 1] & 0x7fffffff;
      const d = a0 - a1;
      const pm = a0 - (d & (d >> 31));
      pairMax[t] = pm;
      const e = amax - pm;
      amax -= e & (e >> 31);
    }
    if (amax >= 0x7f800000) return firstNonFinite(u, start, start + k1);
    const ef = amax >>> 23; // biased E (field 0 ⇒ E = −127, stored 0)
    exponents[bi] = ef;
    const thr = ef << 23; // pair max below 2^(E) in bits ⇔ its exponent ≤ E − 1
    const E = ef - 127;
    const invU = POW2[P_OFF - (E - m + 1)];
    for (let t = 0, i = start; t < nP; t++, i += 2) {
      const sh = (pairMax[t] - thr) >>> 31; // 1 iff pairMax < thr
      sacc |= sh << sn;
      if (++sn === 8) {
        microexponents[sj++] = sacc;
        sacc = 0;
        sn = 0;
      }
      const inv = invU * (1 + sh); // a shift halves the step (exact)
      let q0 = Math.abs(src[i]) * inv + MAGIC - MAGIC;
      let q1 = Math.abs(src[i + 1]) * inv + MAGIC - MAGIC;
      if (q0 > lim) q0 = lim;
      if (q1 > lim) q1 = lim;
      const c0 = ((u[i] >>> 31) << m) | q0;
      const c1 = ((u[i + 1] >>> 31) << m) | q1;
      if (byteCodes) {
        mantissas[i] = c0;
        mantissas[i + 1] = c1;
      } else {
        macc |= (c0 | (c1 << w)) << mn;
        mn += 2 * w;
        while (mn >= 8) {
          mantissas[mj++] = macc;
          macc >>>= 8;
          mn -= 8;
        }
      }
    }
  }
  if (!byteCodes && mn > 0) mantissas[mj] = macc;
  if (sn > 0) microexponents[sj] = sacc;
  return -1;
}

const CODE_TABLES = new Map<number, Float64Array>();
/** Signed value of every sign-magnitude code of m + 1 bits (−0 for the negative zero code), m ≤ 12. */
function codeTable(m: number): Float64Array {
  let t = CODE_TABLES.get(m);
  if (t === undefined) {
    t = new Float64Array(2 << m);
    for (let c = 0; c < t.length; c++) t[c] = c >>> m ? -(c & ((1 << m) - 1)) : c;
    CODE_TABLES.set(m, t);
  }
  return t;
}

/**
 * BDR dequantize: element i of sub-block j decodes to (−1)^sign·q·2^(E − s_j − (m − 1)), computed in float64 (exact)
 * and rounded once to float32; padding elements are dropped. @internal
 */
export function bdrDequantizeJs(
  exponents: Uint8Array,
  microexponents: Uint8Array,
  mantissas: Uint8Array,
  rows: number,
  L: number,
  k1: number,
  d1: number,
  k2: number,
  d2: number,
  m: number,
  out: Float32Array,
): void {
  if (m <= 7 && k2 === 2 && d2 === 1 && k1 % 16 === 0 && L % k1 === 0) {
    dequantizePairGroups(exponents, microexponents, mantissas, rows, L, k1, d1, m, out);
    return;
  }
  if (m === 7 && L % k1 === 0) {
    dequantizeBytes(exponents, microexponents, mantissas, rows, L, k1, d1, k2, d2, m, out);
    return;
  }
  const nB = Math.ceil(L / k1);
  const nSub = k1 / k2;
  const bias = 2 ** (d1 - 1) - 1;
  const w = m + 1;
  const wmask = w >= 32 ? -1 : (1 << w) - 1;
  const smask = (1 << d2) - 1;
  const magMask = (1 << m) - 1;
  const T = m <= 12 ? codeTable(m) : null; // 2^(m+1) float64 entries: at most 64 KiB
  let macc = 0;
  let mn = 0;
  let mj = 0;
  let sacc = 0;
  let sn = 0;
  let sj = 0;
  let bi = 0;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++, bi++) {
      const start = rowStart + b * k1;
      const E = exponents[bi] - bias;
      for (let j = 0; j < nSub; j++) {
        let s = 0;
        if (d2 > 0) {
          if (sn < d2) {
            sacc |= microexponents[sj++] << sn;
            sn += 8;
          }
          s = sacc & smask;
          sacc >>>= d2;
          sn -= d2;
        }
        const step = POW2[P_OFF + E - s - m + 1];
        const s0 = start + j * k2;
        for (let i = s0; i < s0 + k2; i++) {
          while (mn < w) {
            macc |= mantissas[mj++] << mn;
            mn += 8;
          }
          const c = macc & wmask;
          macc >>>= w;
          mn -= w;
          if (i < rowEnd) {
            if (T !== null) out[i] = T[c] * step;
            else {
              const v = (c & magMask) * step;
              out[i] = c >>> m ? -v : v;
            }
          }
        }
      }
    }
  }
}

/**
 * Fast path of {@link bdrDequantizeJs} for m + 1 = 8 bits (one code per byte) and whole blocks: code values from a
 * 256-entry table (−0 included) times the sub-block step.
 */
function dequantizeBytes(
  exponents: Uint8Array,
  microexponents: Uint8Array,
  mantissas: Uint8Array,
  rows: number,
  L: number,
  k1: number,
  d1: number,
  k2: number,
  d2: number,
  m: number,
  out: Float32Array,
): void {
  const T = codeTable(m);
  const bias = 2 ** (d1 - 1) - 1;
  const nSub = k1 / k2;
  const smask = (1 << d2) - 1;
  const n = rows * L;
  let sacc = 0;
  let sn = 0;
  let sj = 0;
  let bi = 0;
  for (let start = 0; start < n; start += k1, bi++) {
    const base = P_OFF + exponents[bi] - bias - m + 1;
    for (let j = 0, i = start; j < nSub; j++) {
      let s = 0;
      if (d2 > 0) {
        if (sn < d2) {
          sacc |= microexponents[sj++] << sn;
          sn += 8;
        }
        s = sacc & smask;
        sacc >>>= d2;
        sn -= d2;
      }
      const step = POW2[base - s];
      const end = i + k2;
      for (; i < end; i++) out[i] = T[mantissas[i]] * step;
    }
  }
}

/**
 * Fast path of {@link bdrDequantizeJs} for k2 = 2, d2 = 1 (the MX4/MX6/MX9 shapes), m ≤ 7, k1 % 16 = 0 and whole
 * blocks: each block's shift bits start on a byte (one byte per 16 elements), and every 8 codes fill exactly m + 1
 * bytes (read directly for m = 7, else into two 32-bit words); values come from the signed code table times the
 * pair's step, chosen without a branch (stepU − bit·stepU/2, exact).
 */
function dequantizePairGroups(
  exponents: Uint8Array,
  microexponents: Uint8Array,
  mantissas: Uint8Array,
  rows: number,
  L: number,
  k1: number,
  d1: number,
  m: number,
  out: Float32Array,
): void {
  const w = m + 1;
  const mask = (1 << w) - 1;
  const T = codeTable(m);
  const bias = 2 ** (d1 - 1) - 1;
  const n = rows * L;
  let mj = 0;
  let sj = 0;
  let bi = 0;
  for (let start = 0; start < n; start += k1, bi++) {
    const stepU = POW2[P_OFF + exponents[bi] - bias - m + 1];
    const half = stepU * 0.5;
    for (let g = start; g < start + k1; g += 16) {
      const sb = microexponents[sj++]; // shifts of the 8 pairs of these 16 elements
      if (w === 8) {
        for (let k = 0; k < 16; k++) out[g + k] = T[mantissas[mj + k]] * (stepU - ((sb >>> (k >> 1)) & 1) * half);
        mj += 16;
        continue;
      }
      for (let h = 0; h < 2; h++) {
        let lo = 0;
        let hi = 0;
        for (let j = 0; j < w; j++) {
          if (j < 4) lo |= mantissas[mj++] << (j << 3);
          else hi |= mantissas[mj++] << ((j - 4) << 3);
        }
        const i0 = g + 8 * h;
        for (let k = 0, b = 0; k < 8; k++, b += w) {
          const c = b + w <= 32 ? (lo >>> b) & mask : b >= 32 ? (hi >>> (b - 32)) & mask : ((lo >>> b) | (hi << (32 - b))) & mask;
          out[i0 + k] = T[c] * (stepU - ((sb >>> (4 * h + (k >> 1))) & 1) * half);
        }
      }
    }
  }
}
