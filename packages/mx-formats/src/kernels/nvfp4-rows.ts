// JavaScript host kernels of NVFP4 (E2M1 elements in blocks of 16, E4M3 block scales, FP32 tensor scale) over rows of
// a Float32Array, the blocked axis last: the reference the WebAssembly kernels of @tessera/kernels are tested against
// bit for bit, and the fallback where those do not run. After pytorch/ao torchao/prototype/mx_formats/nvfp4_tensor.py.
import { FP4_E2M1, FP8_E4M3, floorLog2F64 } from '../elements.js';

/**
 * E2M1 magnitude code of |v| with round half to even and saturation at 6 (grid 0, 0.5, 1, 1.5, 2, 3, 4, 6: the
 * midpoints 0.25, 1.25, 2.5 and 5 go down to the even code, 0.75, 1.75 and 3.5 up), as a sum of comparisons (no
 * data-dependent branches). Equals `FP4_E2M1.encode(|v|)` for finite v.
 */
function fp4Mag(a: number): number {
  return (
    (a > 0.25 ? 1 : 0) +
    (a >= 0.75 ? 1 : 0) +
    (a > 1.25 ? 1 : 0) +
    (a >= 1.75 ? 1 : 0) +
    (a > 2.5 ? 1 : 0) +
    (a >= 3.5 ? 1 : 0) +
    (a > 5 ? 1 : 0)
  );
}

/** 2^(3 − e) for e = −6 … 8 (the binades of [2^-6, 448]), indexed by e + 6. */
const POW2_3_MINUS_E = Float64Array.from({ length: 15 }, (_, i) => 2 ** (9 - i));

/** 2^52 + 2^51: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;

/**
 * E4M3 code of a block scale v in [2^-6, 448] (an E4M3 normal range), round half to even: v·2^(3 − e) lies in
 * [8, 16) exactly, its RNE integer r gives code (e + 7)·8 + r − 8 (r = 16 carries into the next binade). Equals
 * `FP8_E4M3.encode(v)` there. @internal
 */
export function e4m3ScaleCode(v: number): number {
  const e = floorLog2F64(v);
  const r = v * POW2_3_MINUS_E[e + 6] + MAGIC - MAGIC;
  return (e + 7) * 8 + r - 8;
}

/** NVFP4 block size (fixed). */
const K = 16;

const F32 = new Float32Array(1);
/** E2M1 values as float64 (no float32 → float64 conversion per element). */
const FP4_E2M1_F64 = Float64Array.from(FP4_E2M1.decodeTable);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const U32 = new Uint32Array(F32.buffer);

/** E2M1 codes of x/(s_t·s_b) computed in float32 as fl32(x·rcp) (torchao's order), two per byte from byte j. */
function encodeBlockF32(x: Float32Array, u: Uint32Array, start: number, end: number, data: Uint8Array, j: number, rcp: number): void {
  let i = start;
  for (; i + 1 < end; i += 2, j++) {
    const c0 = fp4Mag(Math.abs(Math.fround(x[i] * rcp))) | ((u[i] >>> 31) << 3);
    const c1 = fp4Mag(Math.abs(Math.fround(x[i + 1] * rcp))) | ((u[i + 1] >>> 31) << 3);
    data[j] = c0 | (c1 << 4);
  }
  if (i < end) data[j] = fp4Mag(Math.abs(Math.fround(x[i] * rcp))) | ((u[i] >>> 31) << 3);
}

/**
 * The float32 bit pattern G with: a > t ⇔ bits(a) > G (strict) or a ≥ t ⇔ bits(a) > G (not strict), for every
 * float32 a ≥ 0 and a float64 t > 0. Non-negative float32 values order like their bit patterns.
 */
function bitThreshold(t: number, strict: boolean): number {
  F32[0] = t; // rounded to nearest float32 (Infinity past the largest finite)
  let g = U32[0];
  const f = F32[0];
  if (strict) {
    if (f > t) g--; // largest float32 ≤ t
  } else {
    if (f < t) g++; // smallest float32 ≥ t
    g--;
  }
  return g;
}

/**
 * E2M1 codes of fl64(x/div), two per byte from byte j. fl64(|x|/div) vs a midpoint t equals |x| vs t·div exactly:
 * t·div is exact (≤ 3 + 4 + 24 significant bits) and a quotient |x|/div ≠ t differs from t by far more than a
 * float64 rounding. Each comparison then becomes an integer one on the float32 bits (see bitThreshold), summed
 * without branches: (G − bits) >>> 31 is 1 exactly when bits > G (both below 2^31).
 */
function encodeBlockExact(u: Uint32Array, start: number, end: number, data: Uint8Array, j: number, div: number): void {
  const g0 = bitThreshold(0.25 * div, true);
  const g1 = bitThreshold(0.75 * div, false);
  const g2 = bitThreshold(1.25 * div, true);
  const g3 = bitThreshold(1.75 * div, false);
  const g4 = bitThreshold(2.5 * div, true);
  const g5 = bitThreshold(3.5 * div, false);
  const g6 = bitThreshold(5 * div, true);
  let i = start;
  for (; i < end; i += 2, j++) {
    const b0 = u[i];
    const a0 = b0 & 0x7fffffff;
    const c0 =
      ((g0 - a0) >>> 31) +
      ((g1 - a0) >>> 31) +
      ((g2 - a0) >>> 31) +
      ((g3 - a0) >>> 31) +
      ((g4 - a0) >>> 31) +
      ((g5 - a0) >>> 31) +
      ((g6 - a0) >>> 31);
    if (i + 1 === end) {
      data[j] = c0 | ((b0 >>> 31) << 3);
      return;
    }
    const b1 = u[i + 1];
    const a1 = b1 & 0x7fffffff;
    const c1 =
      ((g0 - a1) >>> 31) +
      ((g1 - a1) >>> 31) +
      ((g2 - a1) >>> 31) +
      ((g3 - a1) >>> 31) +
      ((g4 - a1) >>> 31) +
      ((g5 - a1) >>> 31) +
      ((g6 - a1) >>> 31);
    data[j] = c0 | ((b0 >>> 31) << 3) | ((c1 | ((b1 >>> 31) << 3)) << 4);
  }
}

/**
 * Quantizes rows × L float32 (blocks of 16) into E2M1 pairs (`data`, zeroed) and E4M3 block-scale codes, with FP32
 * tensor scale st; `float32` selects torchao's float32 order. @internal
 */
export function nvfp4QuantizeRowsJs(
  x: Float32Array,
  rows: number,
  L: number,
  st: number,
  f32: boolean,
  data: Uint8Array,
  scales: Uint8Array,
): void {
  const nB = Math.ceil(L / K);
  data.fill(0, 0, rows * nB * 8);
  const invSt = Math.fround(1 / st);
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let r = 0; r < rows; r++) {
    const rowEnd = r * L + L;
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * K;
      const end = start + K < rowEnd ? start + K : rowEnd;
      const ci = (r * nB + b) * K; // code index of the block's first element (even)
      let amaxBits = 0;
      for (let i = start; i < end; i++) {
        const a = u[i] & 0x7fffffff;
        const d = a - amaxBits;
        amaxBits += d & ~(d >> 31); // branch-free max
      }
      if (amaxBits >= 0x7f800000) {
        scales[r * nB + b] = 0x7f; // NaN or ±Inf: E4M3 NaN, the block decodes to NaN (tessera rule)
        continue;
      }
      F32[0] = 0;
      U32[0] = amaxBits;
      const amax = F32[0];
      // s_b = E4M3_RNE(clamp((amax/6)/s_t, 2^-6, 448)): rounded to nearest, not up, so elements can saturate.
      let sbv = f32 ? Math.fround(Math.fround(amax / 6) / st) : amax / 6 / st;
      sbv = sbv < 2 ** -6 ? 2 ** -6 : sbv > 448 ? 448 : sbv;
      const sbCode = e4m3ScaleCode(sbv);
      scales[r * nB + b] = sbCode;
      const sb = FP8_E4M3.decodeTable[sbCode];
      // v = x/(s_t·s_b) has the sign of x (also ±0 and underflow), so the sign bit comes from the input bits.
      if (f32) encodeBlockF32(x, u, start, end, data, ci >> 1, Math.fround(invSt / sb));
      else encodeBlockExact(u, start, end, data, ci >> 1, st * sb); // st·sb is exact in float64
    }
  }
}

/** Dequantizes rows × L NVFP4 values (block-scale code 0x7F → NaN) into out. @internal */
export function nvfp4DequantizeRowsJs(data: Uint8Array, scales: Uint8Array, rows: number, L: number, st: number, out: Float32Array): void {
  const nB = Math.ceil(L / K);
  const table = FP4_E2M1_F64;
  const words = LITTLE_ENDIAN && (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * K;
      const end = Math.min(start + K, r * L + L);
      const ob = (r * nB + b) * K - start;
      const sc = scales[r * nB + b];
      if (sc === 0x7f) {
        out.fill(Number.NaN, start, end);
        continue;
      }
      const s = FP8_E4M3.decodeTable[sc] * st; // exact in float64
      // the block starts at an even code index (16·block): two codes per byte, low nibble first; eight codes per
      // 32-bit word where the data is word-aligned (little-endian)
      let i = start;
      let j = (start + ob) >> 1;
      if (words !== null && (j & 3) === 0) {
        for (; i + 7 < end; i += 8, j += 4) {
          const w = words[j >> 2];
          out[i] = table[w & 0xf] * s;
          out[i + 1] = table[(w >>> 4) & 0xf] * s;
          out[i + 2] = table[(w >>> 8) & 0xf] * s;
          out[i + 3] = table[(w >>> 12) & 0xf] * s;
          out[i + 4] = table[(w >>> 16) & 0xf] * s;
          out[i + 5] = table[(w >>> 20) & 0xf] * s;
          out[i + 6] = table[(w >>> 24) & 0xf] * s;
          out[i + 7] = table[w >>> 28] * s;
        }
      }
      for (; i + 1 < end; i += 2, j++) {
        const byte = data[j];
        out[i] = table[byte & 0xf] * s;
        out[i + 1] = table[byte >> 4] * s;
      }
      if (i < end) out[i] = table[data[j] & 0xf] * s;
    }
  }
}
