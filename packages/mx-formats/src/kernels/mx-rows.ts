// JavaScript host kernels: MX block quantization and dequantization over rows of a Float32Array (the blocked axis
// last). The reference the WebAssembly kernels of @tessera/kernels are tested against bit for bit, and the fallback
// where those do not run (TESSERA_KERNELS=js, no WebAssembly SIMD, stochastic rounding, float32-log2 scales).
// Plain loops over typed arrays with Uint32Array views of the float bits; exponents come from the bits.
import { bitsView, floorLog2Bits } from '@tessera/core';
import { E8M0_VALUES } from '../e8m0.js';
import type { ElementCodec } from '../elements.js';
import type { ResolvedMXOptions } from '../options.js';
import { fp4Bytes, fp6Bytes } from '../packing.js';
import { scaleExponentBits } from '../scale.js';

/** Packed element codes of the padded rows (in the layout of `packing`) and the scale bytes. @internal */
export interface RowData {
  data: Uint8Array;
  scales: Uint8Array;
}

const ROUND_MODE = { even: 0, nearest: 1, floor: 2, stochastic: 3 } as const;
/** 2^52 + 2^51: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;

/** Code written for every element of a NaN block: FP8 → 0x7F, others 0. @internal */
export function nanBlockCode(c: ElementCodec): number {
  return c.bits === 8 && c.signBit !== 0 ? 0x7f : 0;
}

/** Bytes of `data` for n codes in a packing. @internal */
export function packedBytes(packing: MXPacking, n: number): number {
  if (packing === 'fp4x2') return fp4Bytes(n);
  if (packing === 'fp6x4in3') return fp6Bytes(n);
  return n;
}

/**
 * Quantizes `rows` rows of length `L` (contiguous, row-major) in blocks of `o.blockSize`, zero-padding each row to
 * nBlocks·k, and writes the codes straight into the packed layout of `packing` (padding codes are 0). @internal
 *
 * Per block: one pass for amax, the scale, then one encode pass. The common blocks (rounding even/nearest/floor, a
 * scale whose element grid lies in the float32 normal range, an aligned block) go through fused encode-and-pack
 * loops; every other block is encoded into a scratch array by the general per-element code and then packed.
 * `generalOnly` sends every block through the general code (tests compare both).
 */
export function quantizeRowsJs(
  src: Float32Array,
  rows: number,
  L: number,
  o: ResolvedMXOptions,
  packing: MXPacking,
  generalOnly = false,
): RowData {
  const k = o.blockSize;
  const nB = Math.ceil(L / k);
  const data = new Uint8Array(packedBytes(packing, rows * nB * k)); // zeroed: padding codes are 0
  const scales = new Uint8Array(rows * nB);
  const scratch = new Uint8Array(k);
  // four byte codes per 32-bit store (little-endian: first code lowest); data is a fresh, word-aligned array
  const words = LITTLE_ENDIAN ? new Uint32Array(data.buffer, 0, data.length >> 2) : null;
  const pm = packing === 'fp4x2' ? 1 : packing === 'fp6x4in3' ? 2 : 0;
  const c = o.element;
  let u = bitsView(src);
  if (o.inputPrecision === 'bfloat16' || o.subnormals === 'flush-elements') u = preprocess(u, o);
  const M = c.mantissaBits;
  const emin = c.emin;
  const maxCode = c.maxCode;
  const signBit = c.signBit;
  const isInt = signBit === 0;
  const nanCode = nanBlockCode(c);
  const rm: number = ROUND_MODE[o.rounding];
  const mode = o.scaleMode;
  const f32log2 = o.scaleExponent === 'float32-log2';
  const flushBlock = o.subnormals === 'flush-block';
  const fv = new Float32Array(u.buffer, u.byteOffset, u.length);
  const sh = 23 - M;
  const bias = rm === 0 ? (1 << (sh - 1)) - 1 : rm === 1 ? 1 << (sh - 1) : 0;
  const lsbMask = rm === 0 ? 1 : 0;
  const tab = rm !== 3 ? codeTableOf(c, o.rounding) : null;
  // table blocks need FP32 subnormals (exponent field 0) to fall below the table's first row: 0 − (127 + s) < rlo
  const tabMinS = tab === null ? 0 : -126 - tab.rlo;
  // the block minimum only picks encodeFP8Normal (byte packing, FP elements)
  const needMin = pm === 0 && !isInt;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++) {
      const start = rowStart + b * k;
      const end = start + k < rowEnd ? start + k : rowEnd;
      const n = end - start;
      const ci = (r * nB + b) * k; // code index of the block's first element
      const amax = needMin ? blockAbsMax(u, start, end) : blockAbsMaxOnly(u, start, end);
      if (amax >= 0x7f800000) {
        // NaN or ±Inf in the block → NaN scale; the whole block decodes to NaN.
        scales[r * nB + b] = 0xff;
        if (nanCode !== 0) data.fill(nanCode, ci, ci + n); // FP8 (byte packing); other codes are 0
        continue;
      }
      let s: number;
      // A zero block: byte 0 for FP elements; MXINT8 follows microxcaling (amax := 2^-126 → X = 2^-126, byte 1),
      // which the golden scale bytes record. The decoded block is zero either way.
      if (amax === 0) s = isInt ? -126 : -127;
      else if (flushBlock && floorLog2Bits(amax) <= -127) {
        scales[r * nB + b] = 0;
        for (let i = start; i < end; i++) scratch[i - start] = isInt || u[i] >>> 31 === 0 ? 0 : signBit; // signed zeros
        putCodes(data, pm, ci, scratch, n);
        continue;
      } else s = scaleExponentBits(amax, c, mode, f32log2);
      if (s > 127) {
        if (f32log2) {
          // microxcaling turns a shared exponent above the E8M0 range into a NaN block (FLT_MAX).
          scales[r * nB + b] = 0xff;
          if (nanCode !== 0) data.fill(nanCode, ci, ci + n);
          continue;
        }
        s = 127;
      } else if (s < -127) s = -127;
      scales[r * nB + b] = s + 127;
      if (rm !== 3 && !isInt && s >= -126 - emin && !generalOnly) {
        // Fused fast path: the element grid's smallest normal 2^(emin + s) is a float32 normal (exponent field efMin
        // ≥ 1), so every element rounds on its float32 bits (see encodeFP8).
        const efMin = emin + 127 + s;
        const rebias = (efMin - 1) << M;
        // every element (min |x| included) a normal of the element grid: the significand needs no shift
        const normal = blockAbsMin >>> 23 >= efMin;
        if (pm === 0 && normal && words !== null && (ci & 3) === 0 && (n & 3) === 0)
          encodeFP8NormalWords(u, start, end, words, ci >> 2, bias, lsbMask, sh, rebias, maxCode, signBit);
        else if (pm === 0 && normal) encodeFP8Normal(u, start, end, data, ci, bias, lsbMask, sh, rebias, maxCode, signBit);
        else if (tab !== null && s >= tabMinS) {
          // table lookup (see codeTableOf); exponent field of the table's first row
          const base = 127 + s + tab.rlo;
          if (pm === 1 && (ci & 1) === 0 && (n & 1) === 0) encodeTab4(u, start, end, data, ci >> 1, tab.codes, base, tab.rows - 1, M);
          else if (pm === 2 && (ci & 3) === 0 && (n & 3) === 0)
            encodeTab6(u, start, end, data, (ci >> 2) * 3, tab.codes, base, tab.rows - 1, M, signBit);
          else if (pm === 0) encodeTabBytes(u, start, end, data, ci, tab.codes, base, tab.rows - 1, M, signBit);
          else {
            encodeTabBytes(u, start, end, scratch, 0, tab.codes, base, tab.rows - 1, M, signBit);
            putCodes(data, pm, ci, scratch, n);
          }
        } else if (pm === 0) encodeFP8(u, start, end, data, ci, efMin, bias, lsbMask, sh, rebias, maxCode, signBit);
        else if (pm === 1 && (ci & 1) === 0 && (n & 1) === 0)
          encodeFP4(u, start, end, data, ci >> 1, efMin, bias, lsbMask, sh, rebias, maxCode, signBit);
        else if (pm === 2 && (ci & 3) === 0 && (n & 3) === 0)
          encodeFP6(u, start, end, data, (ci >> 2) * 3, efMin, bias, lsbMask, sh, rebias, maxCode, signBit);
        else {
          encodeFP8(u, start, end, scratch, 0, efMin, bias, lsbMask, sh, rebias, maxCode, signBit);
          putCodes(data, pm, ci, scratch, n);
        }
        continue;
      }
      if (isInt && tab !== null && s >= tabMinS && !generalOnly) {
        if (words !== null && (ci & 3) === 0 && (n & 3) === 0)
          encodeTabInt8Words(u, start, end, words, ci >> 2, tab.codes, 127 + s + tab.rlo, tab.rows - 1);
        else encodeTabInt8(u, start, end, data, ci, tab.codes, 127 + s + tab.rlo, tab.rows - 1);
        continue;
      }
      if (isInt && rm === 0 && !generalOnly) {
        encodeInt8Block(fv, data, start, end, ci - start, 2 ** (M - emin - s));
        continue;
      }
      encodeGeneralBlock(u, fv, scratch, start, end, s, o, c);
      if (pm === 0) data.set(scratch.subarray(0, n), ci);
      else putCodes(data, pm, ci, scratch, n);
    }
  }
  return { data, scales };
}

/**
 * ORs n codes into packed `data` at code index ci (data holds zeros there): FP4 nibbles (low first), FP6 as the
 * LSB-first bitstream, or bytes.
 */
function putCodes(data: Uint8Array, pm: number, ci: number, codes: Uint8Array, n: number): void {
  if (pm === 0) {
    for (let t = 0; t < n; t++) data[ci + t] = codes[t];
  } else if (pm === 1) {
    for (let t = 0; t < n; t++) {
      const idx = ci + t;
      data[idx >> 1] |= codes[t] << ((idx & 1) << 2);
    }
  } else {
    for (let t = 0; t < n; t++) {
      const bit = 6 * (ci + t);
      const j = bit >> 3;
      const w = codes[t] << (bit & 7);
      data[j] |= w & 0xff;
      if (w > 0xff) data[j + 1] |= w >> 8;
    }
  }
}

/**
 * One element's magnitude code from its float32 magnitude bits `a` (all rounding on integers). The block's grid has
 * smallest normal exponent field efMin ≥ 1 (the scale is already folded into it). pe = max(exponent, efMin) is the
 * binade whose grid step applies; the significand is shifted right by d = pe − exponent (capped at 25, where the
 * value is far below half a step) with a sticky bit for what falls off, and rebuilt as a float32 bit pattern a2 in
 * binade pe. Rounding a2 to M mantissa bits on the bits (bias + the kept lsb for RNE) then gives the code after
 * subtracting the re-bias (efMin − 1)·2^M; a carry moves into the next binade. The sticky bit sits at bit 0, below
 * the half bit (bit sh − 1 ≥ 19), so it only separates "exactly half" from "more than half". FP32 subnormal
 * inputs (exponent field 0) count as exponent field 1 without the implicit bit.
 */
function encodeFP8(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  o0: number,
  efMin: number,
  bias: number,
  lsbMask: number,
  sh: number,
  rebias: number,
  maxCode: number,
  signBit: number,
): void {
  const ob = o0 - start;
  for (let i = start; i < end; i++) {
    const bits = u[i];
    const a = bits & 0x7fffffff;
    const ef = a >>> 23;
    const e1 = ef + ((ef - 1) >>> 31);
    const sig = a - ((e1 - 1) << 23);
    const g = efMin - e1; // branch-free: d = clamp(efMin − e1, 0, 25), pe = e1 + max(efMin − e1, 0)
    const dp = g & ~(g >> 31);
    const pe = e1 + dp;
    const d = dp - ((dp - 25) & ~((dp - 25) >> 31));
    const a2 = ((pe - 1) << 23) + ((sig >>> d) | (-(sig & ((1 << d) - 1)) >>> 31));
    const mag = ((a2 + bias + ((a2 >>> sh) & lsbMask)) >>> sh) - rebias;
    out[i + ob] = (mag > maxCode ? maxCode : mag) | ((bits >>> 31) * signBit);
  }
}

/**
 * Magnitude codes of an element type (FP, or MXINT8 as M = 6, emin = emax = 0) for one rounding, indexed by what
 * decides them: the exponent of v = x/2^s relative to rlo = emin − M − 2 (row; below rlo every value is under a
 * quarter of the smallest step and rounds to 0, and the last row, emax + 1, saturates), the top M + 1 mantissa bits
 * (the kept bits and the half bit) and a sticky bit for the rest. Each entry is the codec's own exact encode (saturating) of a representative value.
 */
interface CodeTable {
  codes: Uint8Array;
  rlo: number;
  rows: number;
}

const CODE_TABLES = new Map<string, CodeTable>();
const T_F32 = new Float32Array(1);
const T_U32 = new Uint32Array(T_F32.buffer);

/** The (cached) {@link CodeTable} of an FP codec and rounding. @internal */
export function codeTableOf(c: ElementCodec, rounding: 'even' | 'nearest' | 'floor' | 'stochastic'): CodeTable {
  const key = `${c.name}/${rounding}`;
  const hit = CODE_TABLES.get(key);
  if (hit !== undefined) return hit;
  const M = c.mantissaBits;
  const rlo = c.emin - M - 2;
  const rows = c.emax + 1 - rlo + 1;
  const w = M + 2;
  const codes = new Uint8Array(rows << w);
  for (let r = 0; r < rows; r++)
    for (let t = 0; t < 2 << M; t++)
      for (let st = 0; st < 2; st++) {
        T_U32[0] = ((127 + rlo + r) << 23) | (t << (22 - M)) | st;
        codes[(r << w) | (t << 1) | st] = c.encode(T_F32[0], { saturate: true, rounding });
      }
  const tab = { codes, rlo, rows };
  CODE_TABLES.set(key, tab);
  return tab;
}

/**
 * Codes by {@link CodeTable} lookup, one per byte from out[o0]. The bits above the sticky part, (exponent field <<
 * (M + 1)) | top bits, minus the table's first row (base) give (row << (M + 1)) | top bits directly; clamped to the
 * table (branch-free below: every FP32 subnormal and zero lands in row 0, all zero codes, when the caller's block
 * allows tables; the last row saturates).
 */
function encodeTabBytes(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  o0: number,
  T: Uint8Array,
  base: number,
  rmax: number,
  M: number,
  signBit: number,
): void {
  const ob = o0 - start;
  const msh = 22 - M;
  const sticky = (1 << msh) - 1;
  const baseT = base << (M + 1);
  const tmax = ((rmax + 1) << (M + 1)) - 1;
  for (let i = start; i < end; i++) {
    const bits = u[i];
    const a = bits & 0x7fffffff;
    let t = (a >>> msh) - baseT; // (row << (M + 1)) | top bits, clamped to the table
    t &= ~(t >> 31);
    t = t > tmax ? tmax : t;
    const idx = (t << 1) | (((a & sticky) + sticky) >>> msh);
    out[i + ob] = T[idx] | ((bits >>> 31) * signBit);
  }
}

/** {@link encodeTabBytes} for MXINT8 (M = 6): magnitude from the table, two's complement sign (−0 → 0). */
function encodeTabInt8(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  o0: number,
  T: Uint8Array,
  base: number,
  rmax: number,
): void {
  const ob = o0 - start;
  const baseT = base << 7;
  const tmax = ((rmax + 1) << 7) - 1;
  for (let i = start; i < end; i++) {
    const bits = u[i];
    const a = bits & 0x7fffffff;
    let t = (a >>> 16) - baseT;
    t &= ~(t >> 31);
    t = t > tmax ? tmax : t;
    const mag = T[(t << 1) | (((a & 0xffff) + 0xffff) >>> 16)];
    const neg = -(bits >>> 31);
    out[i + ob] = ((mag ^ neg) - neg) & 0xff;
  }
}

/** {@link encodeTabInt8} writing four codes per 32-bit word from word q0 (little-endian); (end − start) % 4 = 0. */
function encodeTabInt8Words(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint32Array,
  q0: number,
  T: Uint8Array,
  base: number,
  rmax: number,
): void {
  const baseT = base << 7;
  const tmax = ((rmax + 1) << 7) - 1;
  let q = q0;
  for (let i = start; i < end; i += 4, q++) {
    const b0 = u[i];
    const b1 = u[i + 1];
    const b2 = u[i + 2];
    const b3 = u[i + 3];
    const a0 = b0 & 0x7fffffff;
    const a1 = b1 & 0x7fffffff;
    const a2 = b2 & 0x7fffffff;
    const a3 = b3 & 0x7fffffff;
    let t0 = (a0 >>> 16) - baseT;
    let t1 = (a1 >>> 16) - baseT;
    let t2 = (a2 >>> 16) - baseT;
    let t3 = (a3 >>> 16) - baseT;
    t0 &= ~(t0 >> 31);
    t1 &= ~(t1 >> 31);
    t2 &= ~(t2 >> 31);
    t3 &= ~(t3 >> 31);
    t0 = t0 > tmax ? tmax : t0;
    t1 = t1 > tmax ? tmax : t1;
    t2 = t2 > tmax ? tmax : t2;
    t3 = t3 > tmax ? tmax : t3;
    const m0 = T[(t0 << 1) | (((a0 & 0xffff) + 0xffff) >>> 16)];
    const m1 = T[(t1 << 1) | (((a1 & 0xffff) + 0xffff) >>> 16)];
    const m2 = T[(t2 << 1) | (((a2 & 0xffff) + 0xffff) >>> 16)];
    const m3 = T[(t3 << 1) | (((a3 & 0xffff) + 0xffff) >>> 16)];
    const n0 = -(b0 >>> 31);
    const n1 = -(b1 >>> 31);
    const n2 = -(b2 >>> 31);
    const n3 = -(b3 >>> 31);
    out[q] = (((m0 ^ n0) - n0) & 0xff) | ((((m1 ^ n1) - n1) & 0xff) << 8) | ((((m2 ^ n2) - n2) & 0xff) << 16) | (((m3 ^ n3) - n3) << 24);
  }
}

/** {@link encodeTabBytes} for FP4, two codes per byte from byte j0; (end − start) is even. */
function encodeTab4(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  j0: number,
  T: Uint8Array,
  base: number,
  rmax: number,
  M: number,
): void {
  const msh = 22 - M;
  const sticky = (1 << msh) - 1;
  const baseT = base << (M + 1);
  const tmax = ((rmax + 1) << (M + 1)) - 1;
  let j = j0;
  for (let i = start; i < end; i += 2, j++) {
    const b0 = u[i];
    const a0 = b0 & 0x7fffffff;
    let t0 = (a0 >>> msh) - baseT;
    t0 &= ~(t0 >> 31);
    t0 = t0 > tmax ? tmax : t0;
    const b1 = u[i + 1];
    const a1 = b1 & 0x7fffffff;
    let t1 = (a1 >>> msh) - baseT;
    t1 &= ~(t1 >> 31);
    t1 = t1 > tmax ? tmax : t1;
    const c0 = T[(t0 << 1) | (((a0 & sticky) + sticky) >>> msh)] | ((b0 >>> 31) << 3);
    const c1 = T[(t1 << 1) | (((a1 & sticky) + sticky) >>> msh)] | ((b1 >>> 31) << 3);
    out[j] = c0 | (c1 << 4);
  }
}

/** {@link encodeTabBytes} for packed FP6, four codes in three bytes from byte j0; (end − start) % 4 = 0. */
function encodeTab6(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  j0: number,
  T: Uint8Array,
  base: number,
  rmax: number,
  M: number,
  signBit: number,
): void {
  const msh = 22 - M;
  const sticky = (1 << msh) - 1;
  const baseT = base << (M + 1);
  const tmax = ((rmax + 1) << (M + 1)) - 1;
  let j = j0;
  for (let i = start; i < end; i += 4, j += 3) {
    const b0 = u[i];
    const b1 = u[i + 1];
    const b2 = u[i + 2];
    const b3 = u[i + 3];
    const a0 = b0 & 0x7fffffff;
    const a1 = b1 & 0x7fffffff;
    const a2 = b2 & 0x7fffffff;
    const a3 = b3 & 0x7fffffff;
    let t0 = (a0 >>> msh) - baseT;
    let t1 = (a1 >>> msh) - baseT;
    let t2 = (a2 >>> msh) - baseT;
    let t3 = (a3 >>> msh) - baseT;
    t0 &= ~(t0 >> 31);
    t1 &= ~(t1 >> 31);
    t2 &= ~(t2 >> 31);
    t3 &= ~(t3 >> 31);
    t0 = t0 > tmax ? tmax : t0;
    t1 = t1 > tmax ? tmax : t1;
    t2 = t2 > tmax ? tmax : t2;
    t3 = t3 > tmax ? tmax : t3;
    const c0 = T[(t0 << 1) | (((a0 & sticky) + sticky) >>> msh)] | ((b0 >>> 31) * signBit);
    const c1 = T[(t1 << 1) | (((a1 & sticky) + sticky) >>> msh)] | ((b1 >>> 31) * signBit);
    const c2 = T[(t2 << 1) | (((a2 & sticky) + sticky) >>> msh)] | ((b2 >>> 31) * signBit);
    const c3 = T[(t3 << 1) | (((a3 & sticky) + sticky) >>> msh)] | ((b3 >>> 31) * signBit);
    const word = c0 | (c1 << 6) | (c2 << 12) | (c3 << 18);
    out[j] = word & 0xff;
    out[j + 1] = (word >> 8) & 0xff;
    out[j + 2] = word >> 16;
  }
}

/** {@link encodeFP8} for a block whose elements all have exponent field ≥ efMin (d = 0: a2 = a). */
function encodeFP8Normal(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  o0: number,
  bias: number,
  lsbMask: number,
  sh: number,
  rebias: number,
  maxCode: number,
  signBit: number,
): void {
  const ob = o0 - start;
  for (let i = start; i < end; i++) {
    const bits = u[i];
    const a = bits & 0x7fffffff;
    const mag = ((a + bias + ((a >>> sh) & lsbMask)) >>> sh) - rebias;
    out[i + ob] = (mag > maxCode ? maxCode : mag) | ((bits >>> 31) * signBit);
  }
}

/** {@link encodeFP8Normal} writing four codes per 32-bit word from word q0; (end − start) % 4 = 0. */
function encodeFP8NormalWords(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint32Array,
  q0: number,
  bias: number,
  lsbMask: number,
  sh: number,
  rebias: number,
  maxCode: number,
  signBit: number,
): void {
  let q = q0;
  for (let i = start; i < end; i += 4, q++) {
    const b0 = u[i];
    const b1 = u[i + 1];
    const b2 = u[i + 2];
    const b3 = u[i + 3];
    const a0 = b0 & 0x7fffffff;
    const a1 = b1 & 0x7fffffff;
    const a2 = b2 & 0x7fffffff;
    const a3 = b3 & 0x7fffffff;
    let m0 = ((a0 + bias + ((a0 >>> sh) & lsbMask)) >>> sh) - rebias;
    let m1 = ((a1 + bias + ((a1 >>> sh) & lsbMask)) >>> sh) - rebias;
    let m2 = ((a2 + bias + ((a2 >>> sh) & lsbMask)) >>> sh) - rebias;
    let m3 = ((a3 + bias + ((a3 >>> sh) & lsbMask)) >>> sh) - rebias;
    m0 = (m0 > maxCode ? maxCode : m0) | ((b0 >>> 31) * signBit);
    m1 = (m1 > maxCode ? maxCode : m1) | ((b1 >>> 31) * signBit);
    m2 = (m2 > maxCode ? maxCode : m2) | ((b2 >>> 31) * signBit);
    m3 = (m3 > maxCode ? maxCode : m3) | ((b3 >>> 31) * signBit);
    out[q] = m0 | (m1 << 8) | (m2 << 16) | (m3 << 24);
  }
}

/** {@link encodeFP8} writing two codes per byte (low nibble first) from byte j0; (end − start) is even. */
function encodeFP4(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  j0: number,
  efMin: number,
  bias: number,
  lsbMask: number,
  sh: number,
  rebias: number,
  maxCode: number,
  signBit: number,
): void {
  let j = j0;
  for (let i = start; i < end; i += 2, j++) {
    const bits0 = u[i];
    const a0 = bits0 & 0x7fffffff;
    const ef0 = a0 >>> 23;
    const e10 = ef0 + ((ef0 - 1) >>> 31);
    const sig0 = a0 - ((e10 - 1) << 23);
    const g0 = efMin - e10;
    const dp0 = g0 & ~(g0 >> 31);
    const pe0 = e10 + dp0;
    const d0 = dp0 - ((dp0 - 25) & ~((dp0 - 25) >> 31));
    const b0 = ((pe0 - 1) << 23) + ((sig0 >>> d0) | (-(sig0 & ((1 << d0) - 1)) >>> 31));
    let m0 = ((b0 + bias + ((b0 >>> sh) & lsbMask)) >>> sh) - rebias;
    m0 = (m0 > maxCode ? maxCode : m0) | ((bits0 >>> 31) * signBit);
    const bits1 = u[i + 1];
    const a1 = bits1 & 0x7fffffff;
    const ef1 = a1 >>> 23;
    const e11 = ef1 + ((ef1 - 1) >>> 31);
    const sig1 = a1 - ((e11 - 1) << 23);
    const g1 = efMin - e11;
    const dp1 = g1 & ~(g1 >> 31);
    const pe1 = e11 + dp1;
    const d1 = dp1 - ((dp1 - 25) & ~((dp1 - 25) >> 31));
    const b1 = ((pe1 - 1) << 23) + ((sig1 >>> d1) | (-(sig1 & ((1 << d1) - 1)) >>> 31));
    let m1 = ((b1 + bias + ((b1 >>> sh) & lsbMask)) >>> sh) - rebias;
    m1 = (m1 > maxCode ? maxCode : m1) | ((bits1 >>> 31) * signBit);
    out[j] = m0 | (m1 << 4);
  }
}

/** {@link encodeFP8} writing four codes in three bytes (the FP6 bitstream of packFP6) from byte j0; (end − start) % 4 = 0. */
function encodeFP6(
  u: Uint32Array,
  start: number,
  end: number,
  out: Uint8Array,
  j0: number,
  efMin: number,
  bias: number,
  lsbMask: number,
  sh: number,
  rebias: number,
  maxCode: number,
  signBit: number,
): void {
  let j = j0;
  for (let i = start; i < end; i += 4, j += 3) {
    let w = 0;
    for (let t = 0; t < 4; t++) {
      const bits = u[i + t];
      const a = bits & 0x7fffffff;
      const ef = a >>> 23;
      const e1 = ef + ((ef - 1) >>> 31);
      const sig = a - ((e1 - 1) << 23);
      const g = efMin - e1;
      const dp = g & ~(g >> 31);
      const pe = e1 + dp;
      const d = dp - ((dp - 25) & ~((dp - 25) >> 31));
      const a2 = ((pe - 1) << 23) + ((sig >>> d) | (-(sig & ((1 << d) - 1)) >>> 31));
      const mag = ((a2 + bias + ((a2 >>> sh) & lsbMask)) >>> sh) - rebias;
      w |= ((mag > maxCode ? maxCode : mag) | ((bits >>> 31) * signBit)) << (6 * t);
    }
    out[j] = w & 0xff;
    out[j + 1] = (w >> 8) & 0xff;
    out[j + 2] = w >> 16;
  }
}

/**
 * General per-element encode of one block into `codes[0 … end − start)`: any rounding (stochastic included), INT8,
 * and scales whose element grid reaches below the float32 normals. Element normals round on the float32 bits;
 * the element's subnormal range (and INT8's uniform grid) is y = |x|·2^(M − emin − s) in grid steps, exact in
 * float64, rounded with the 2^52 + 2^51 trick (RNE), ⌊y + 0.5⌋ or ⌊y⌋; FP32-subnormal inputs that scale into the
 * element's normal range and stochastic rounding use {@link slowMag}.
 */
function encodeGeneralBlock(
  u: Uint32Array,
  fv: Float32Array,
  codes: Uint8Array,
  start: number,
  end: number,
  s: number,
  o: ResolvedMXOptions,
  c: ElementCodec,
): void {
  const M = c.mantissaBits;
  const emin = c.emin;
  const maxCode = c.maxCode;
  const signBit = c.signBit;
  const isInt = signBit === 0;
  const rm: number = ROUND_MODE[o.rounding];
  const random = o.random;
  const ob = -start;
  if (rm === 3) {
    for (let i = start; i < end; i++) {
      const bits = u[i];
      let mag = slowMag(bits & 0x7fffffff, s, M, emin, rm, random);
      if (mag > maxCode) mag = maxCode;
      if (isInt) codes[i + ob] = bits >>> 31 !== 0 && mag !== 0 ? 256 - mag : mag;
      else codes[i + ob] = mag | ((bits >>> 31) * signBit);
    }
    return;
  }
  const sh = 23 - M;
  const bias = rm === 0 ? (1 << (sh - 1)) - 1 : rm === 1 ? 1 << (sh - 1) : 0;
  const lsbMask = rm === 0 ? 1 : 0;
  const subLimit = isInt ? Number.POSITIVE_INFINITY : 2 ** M;
  const efMin = isInt ? 256 : Math.max(1, emin + 127 + s);
  const rebias = (127 + s + emin - 1) * (1 << M);
  const subMul = 2 ** (M - emin - s);
  for (let i = start; i < end; i++) {
    const bits = u[i];
    const a = bits & 0x7fffffff;
    let mag: number;
    if (a >>> 23 >= efMin) {
      mag = ((a + bias + ((a >>> sh) & lsbMask)) >>> sh) - rebias;
    } else {
      const y = Math.abs(fv[i]) * subMul;
      // y ≥ 2^M: an FP32-subnormal input that scales into the element's normal range (X = 2^-127)
      if (y >= subLimit) mag = slowMag(a, s, M, emin, rm, random);
      else mag = rm === 0 ? y + MAGIC - MAGIC : rm === 1 ? Math.floor(y + 0.5) : Math.floor(y);
    }
    if (mag > maxCode) mag = maxCode;
    if (isInt) codes[i + ob] = bits >>> 31 !== 0 && mag !== 0 ? 256 - mag : mag;
    else codes[i + ob] = mag | ((bits >>> 31) * signBit);
  }
}

let blockAbsMin = 0;

/** Max |x| bits over [start, end), and the min into `blockAbsMin` (four accumulators: independent chains). */
function blockAbsMax(u: Uint32Array, start: number, end: number): number {
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let amin = 0x7fffffff;
  let i = start;
  for (; i + 3 < end; i += 4) {
    const a0 = u[i] & 0x7fffffff;
    const a1 = u[i + 1] & 0x7fffffff;
    const a2 = u[i + 2] & 0x7fffffff;
    const a3 = u[i + 3] & 0x7fffffff;
    const x0 = a0 - m0;
    m0 += x0 & ~(x0 >> 31); // branch-free max (new maxima are frequent early in a block)
    const x1 = a1 - m1;
    m1 += x1 & ~(x1 >> 31);
    const x2 = a2 - m2;
    m2 += x2 & ~(x2 >> 31);
    const x3 = a3 - m3;
    m3 += x3 & ~(x3 >> 31);
    // branch-free minimum (these comparisons are unpredictable): min(p, q) = q + ((p − q) & ((p − q) >> 31))
    const d01 = a0 - a1;
    const l01 = a1 + (d01 & (d01 >> 31));
    const d23 = a2 - a3;
    const l23 = a3 + (d23 & (d23 >> 31));
    const dlo = l01 - l23;
    const lo = l23 + (dlo & (dlo >> 31));
    const dm = lo - amin;
    amin += dm & (dm >> 31);
  }
  for (; i < end; i++) {
    const a = u[i] & 0x7fffffff;
    m0 = a > m0 ? a : m0;
    amin = a < amin ? a : amin;
  }
  blockAbsMin = amin;
  const x = m0 > m1 ? m0 : m1;
  const y = m2 > m3 ? m2 : m3;
  return x > y ? x : y;
}

/** Max |x| bits over [start, end) (four accumulators: independent chains). */
function blockAbsMaxOnly(u: Uint32Array, start: number, end: number): number {
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    const a0 = u[i] & 0x7fffffff;
    const a1 = u[i + 1] & 0x7fffffff;
    const a2 = u[i + 2] & 0x7fffffff;
    const a3 = u[i + 3] & 0x7fffffff;
    const x0 = a0 - m0;
    m0 += x0 & ~(x0 >> 31); // branch-free max (new maxima are frequent early in a block)
    const x1 = a1 - m1;
    m1 += x1 & ~(x1 >> 31);
    const x2 = a2 - m2;
    m2 += x2 & ~(x2 >> 31);
    const x3 = a3 - m3;
    m3 += x3 & ~(x3 >> 31);
  }
  for (; i < end; i++) {
    const a = u[i] & 0x7fffffff;
    m0 = a > m0 ? a : m0;
  }
  const x = m0 > m1 ? m0 : m1;
  const y = m2 > m3 ? m2 : m3;
  return x > y ? x : y;
}

/** INT8 codes with RNE: one uniform grid of step 2^(s−6); exact float64 product, the 2^52 + 2^51 trick rounds. */
function encodeInt8Block(fv: Float32Array, codes: Uint8Array, start: number, end: number, ob: number, subMul: number): void {
  for (let i = start; i < end; i++) {
    const y = fv[i] * subMul;
    let q = y + MAGIC - MAGIC; // RNE is symmetric, so the sign can stay on y
    q = q > 127 ? 127 : q < -127 ? -127 : q;
    codes[i + ob] = q & 0xff;
  }
}

/**
 * Magnitude code (before clamping) of the float32 magnitude bits `a` divided by 2^s, any rounding: the grid step
 * is 2^(pe − M) with pe = max(⌊log2 v⌋, emin); a carry to 2^(M+1) steps moves into the next binade. @internal
 */
function slowMag(a: number, s: number, M: number, emin: number, rm: number, random: (() => number) | undefined): number {
  if (a === 0) return 0;
  const ef = a >>> 23;
  let e: number;
  let sig: number; // 24-bit significand, leading one at bit 23
  if (ef !== 0) {
    e = ef - 127;
    sig = (a & 0x7fffff) | 0x800000;
  } else {
    const lz = Math.clz32(a) - 8;
    e = -126 - lz;
    sig = a << lz;
  }
  const ee = e - s; // exponent of the scaled value v = x / 2^s (exact)
  const pe = ee < emin ? emin : ee;
  const shift = 23 - M + pe - ee; // ≥ 17: sig / 2^shift is v in grid steps
  let q: number;
  if (shift > 24) {
    // v < half a step: 0, except that stochastic rounding may go up
    q = rm === 3 && sig * 2 ** -shift + (random as () => number)() >= 1 ? 1 : 0;
  } else {
    q = sig >>> shift;
    const rem = sig & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rm === 0) {
      if (rem > half || (rem === half && (q & 1) === 1)) q++;
    } else if (rm === 1) {
      if (rem >= half) q++;
    } else if (rm === 3) {
      if (rem * 2 ** -shift + (random as () => number)() >= 1) q++;
    }
  }
  return (pe - emin) * (1 << M) + q;
}

function preprocess(u: Uint32Array, o: ResolvedMXOptions): Uint32Array {
  const out = new Uint32Array(u.length);
  const bf = o.inputPrecision === 'bfloat16';
  const flush = o.subnormals === 'flush-elements';
  for (let i = 0; i < u.length; i++) {
    let x = u[i];
    if (bf) {
      if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) x = (x | 0x400000) & 0xffff0000;
      else x = ((x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000) >>> 0;
    }
    if (flush && (x & 0x7f800000) === 0) x &= 0x80000000; // FP32 subnormal → signed zero ([MXP])
    out[i] = x >>> 0;
  }
  return out;
}

/** How element codes are stored in `MXTensor.data`. */
export type MXPacking = 'byte' | 'fp4x2' | 'fp6x4in3' | 'fp6-unpacked';

/** Whether the host is little-endian (word reads of packed bytes assume it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Dequantizes rows from stored data (any packing) and scale bytes into `out` (rows × L, row-major). @internal
 * Each value is decodeTable[code] · 2^(byte − 127) in float64 (exact: a float32 times a power of two within the
 * float64 range) rounded once to float32 by the store, so no special case is needed for float32 subnormal or
 * overflowing results. The table is read as float64 to skip a float32 → float64 conversion per element.
 */
export function dequantizeRowsJs(
  data: Uint8Array,
  packing: MXPacking,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  c: ElementCodec,
  out: Float32Array,
): Float32Array {
  const table = Float64Array.from(c.decodeTable);
  if (packing === 'byte' || packing === 'fp6-unpacked') dequantBytes(data, scales, rows, L, k, table, out);
  else if (packing === 'fp4x2') dequantFP4(data, scales, rows, L, k, table, out);
  else dequantFP6(data, scales, rows, L, k, table, out);
  return out;
}

function dequantBytes(
  data: Uint8Array,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  table: Float64Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / k);
  // four codes per 32-bit word read where the data starts on a word boundary (little-endian: first code lowest)
  const words = LITTLE_ENDIAN && (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++) {
      const start = rowStart + b * k;
      const end = start + k < rowEnd ? start + k : rowEnd;
      const ob = (r * nB + b) * k - start;
      const sb = scales[r * nB + b];
      if (sb === 0xff) {
        out.fill(Number.NaN, start, end);
        continue;
      }
      const X = E8M0_VALUES[sb];
      let i = start;
      let j = start + ob;
      if (words !== null && (j & 3) === 0) {
        for (; i + 7 < end; i += 8, j += 8) {
          const w = words[j >> 2];
          const v = words[(j >> 2) + 1];
          out[i] = table[w & 0xff] * X;
          out[i + 1] = table[(w >>> 8) & 0xff] * X;
          out[i + 2] = table[(w >>> 16) & 0xff] * X;
          out[i + 3] = table[w >>> 24] * X;
          out[i + 4] = table[v & 0xff] * X;
          out[i + 5] = table[(v >>> 8) & 0xff] * X;
          out[i + 6] = table[(v >>> 16) & 0xff] * X;
          out[i + 7] = table[v >>> 24] * X;
        }
        for (; i + 3 < end; i += 4, j += 4) {
          const w = words[j >> 2];
          out[i] = table[w & 0xff] * X;
          out[i + 1] = table[(w >>> 8) & 0xff] * X;
          out[i + 2] = table[(w >>> 16) & 0xff] * X;
          out[i + 3] = table[w >>> 24] * X;
        }
      } else {
        // unrolled by 4: V8 keeps the loop body tight
        for (; i + 3 < end; i += 4, j += 4) {
          out[i] = table[data[j]] * X;
          out[i + 1] = table[data[j + 1]] * X;
          out[i + 2] = table[data[j + 2]] * X;
          out[i + 3] = table[data[j + 3]] * X;
        }
      }
      for (; i < end; i++, j++) out[i] = table[data[j]] * X;
    }
  }
}

function dequantFP4(
  data: Uint8Array,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  table: Float64Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / k);
  const words = LITTLE_ENDIAN && (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++) {
      const start = rowStart + b * k;
      const end = start + k < rowEnd ? start + k : rowEnd;
      const ob = (r * nB + b) * k - start;
      const sb = scales[r * nB + b];
      if (sb === 0xff) {
        out.fill(Number.NaN, start, end);
        continue;
      }
      const X = E8M0_VALUES[sb];
      let i = start;
      if ((i + ob) & 1) {
        out[i] = table[data[(i + ob) >> 1] >> 4] * X;
        i++;
      }
      // two codes per byte: eight per 32-bit word where aligned (little-endian), else two bytes per iteration
      let j = (i + ob) >> 1;
      if (words !== null && (j & 3) === 0) {
        for (; i + 15 < end; i += 16, j += 8) {
          const w = words[j >> 2];
          const v = words[(j >> 2) + 1];
          out[i] = table[w & 0xf] * X;
          out[i + 1] = table[(w >>> 4) & 0xf] * X;
          out[i + 2] = table[(w >>> 8) & 0xf] * X;
          out[i + 3] = table[(w >>> 12) & 0xf] * X;
          out[i + 4] = table[(w >>> 16) & 0xf] * X;
          out[i + 5] = table[(w >>> 20) & 0xf] * X;
          out[i + 6] = table[(w >>> 24) & 0xf] * X;
          out[i + 7] = table[w >>> 28] * X;
          out[i + 8] = table[v & 0xf] * X;
          out[i + 9] = table[(v >>> 4) & 0xf] * X;
          out[i + 10] = table[(v >>> 8) & 0xf] * X;
          out[i + 11] = table[(v >>> 12) & 0xf] * X;
          out[i + 12] = table[(v >>> 16) & 0xf] * X;
          out[i + 13] = table[(v >>> 20) & 0xf] * X;
          out[i + 14] = table[(v >>> 24) & 0xf] * X;
          out[i + 15] = table[v >>> 28] * X;
        }
        for (; i + 7 < end; i += 8, j += 4) {
          const w = words[j >> 2];
          out[i] = table[w & 0xf] * X;
          out[i + 1] = table[(w >>> 4) & 0xf] * X;
          out[i + 2] = table[(w >>> 8) & 0xf] * X;
          out[i + 3] = table[(w >>> 12) & 0xf] * X;
          out[i + 4] = table[(w >>> 16) & 0xf] * X;
          out[i + 5] = table[(w >>> 20) & 0xf] * X;
          out[i + 6] = table[(w >>> 24) & 0xf] * X;
          out[i + 7] = table[w >>> 28] * X;
        }
      }
      for (; i + 3 < end; i += 4, j += 2) {
        const b0 = data[j];
        const b1 = data[j + 1];
        out[i] = table[b0 & 0xf] * X;
        out[i + 1] = table[b0 >> 4] * X;
        out[i + 2] = table[b1 & 0xf] * X;
        out[i + 3] = table[b1 >> 4] * X;
      }
      for (; i + 1 < end; i += 2, j++) {
        const byte = data[j];
        out[i] = table[byte & 0xf] * X;
        out[i + 1] = table[byte >> 4] * X;
      }
      if (i < end) out[i] = table[data[(i + ob) >> 1] & 0xf] * X;
    }
  }
}

function dequantFP6(
  data: Uint8Array,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  table: Float64Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / k);
  const words = LITTLE_ENDIAN && (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  const last = data.length - 1;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++) {
      const start = rowStart + b * k;
      const end = start + k < rowEnd ? start + k : rowEnd;
      const ob = (r * nB + b) * k - start;
      const sb = scales[r * nB + b];
      if (sb === 0xff) {
        out.fill(Number.NaN, start, end);
        continue;
      }
      const X = E8M0_VALUES[sb];
      const ci = start + ob;
      if ((ci & 3) === 0) {
        // aligned: four codes from three bytes per step; sixteen codes from three 32-bit words where the bytes are
        // word-aligned (little-endian)
        let i = start;
        let j = (ci >> 2) * 3;
        if (words !== null && (j & 3) === 0) {
          for (; i + 15 < end; i += 16, j += 12) {
            const q = j >> 2;
            const w0 = words[q];
            const w1 = words[q + 1];
            const w2 = words[q + 2];
            out[i] = table[w0 & 0x3f] * X;
            out[i + 1] = table[(w0 >>> 6) & 0x3f] * X;
            out[i + 2] = table[(w0 >>> 12) & 0x3f] * X;
            out[i + 3] = table[(w0 >>> 18) & 0x3f] * X;
            out[i + 4] = table[(w0 >>> 24) & 0x3f] * X;
            out[i + 5] = table[((w0 >>> 30) | (w1 << 2)) & 0x3f] * X;
            out[i + 6] = table[(w1 >>> 4) & 0x3f] * X;
            out[i + 7] = table[(w1 >>> 10) & 0x3f] * X;
            out[i + 8] = table[(w1 >>> 16) & 0x3f] * X;
            out[i + 9] = table[(w1 >>> 22) & 0x3f] * X;
            out[i + 10] = table[((w1 >>> 28) | (w2 << 4)) & 0x3f] * X;
            out[i + 11] = table[(w2 >>> 2) & 0x3f] * X;
            out[i + 12] = table[(w2 >>> 8) & 0x3f] * X;
            out[i + 13] = table[(w2 >>> 14) & 0x3f] * X;
            out[i + 14] = table[(w2 >>> 20) & 0x3f] * X;
            out[i + 15] = table[w2 >>> 26] * X;
          }
        }
        for (; i + 3 < end; i += 4, j += 3) {
          const w = data[j] | (data[j + 1] << 8) | (data[j + 2] << 16);
          out[i] = table[w & 0x3f] * X;
          out[i + 1] = table[(w >> 6) & 0x3f] * X;
          out[i + 2] = table[(w >> 12) & 0x3f] * X;
          out[i + 3] = table[w >> 18] * X;
        }
        if (i < end) {
          const w = data[j] | (j < last ? data[j + 1] << 8 : 0) | (j + 1 < last ? data[j + 2] << 16 : 0);
          for (let t = 0; i < end; i++, t += 6) out[i] = table[(w >> t) & 0x3f] * X;
        }
        continue;
      }
      for (let i = start; i < end; i++) {
        const bit = 6 * (i + ob);
        const j = bit >> 3;
        const w = data[j] | (j < last ? data[j + 1] << 8 : 0);
        out[i] = table[(w >> (bit & 7)) & 0x3f] * X;
      }
    }
  }
}
