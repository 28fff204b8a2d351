// Host kernels: MX block quantization and dequantization over rows of a Float32Array (the blocked axis last).
// Plain loops over typed arrays with Uint32Array views of the float bits; exponents come from the bits (spec §1).
import { bitsView, floorLog2Bits } from '@tessera/core';
import { E8M0_VALUES } from './e8m0.js';
import type { ElementCodec } from './elements.js';
import type { ResolvedMXOptions } from './options.js';
import { scaleExponentBits } from './scale.js';

/** Element codes of the padded rows (one per byte) and the scale bytes. @internal */
export interface RowCodes {
  codes: Uint8Array;
  scales: Uint8Array;
}

const ROUND_MODE = { even: 0, nearest: 1, floor: 2, stochastic: 3 } as const;
/** 2^n for n = −400 … 200, indexed by n + POW_OFFSET (exact float64 powers of two). */
const POW_OFFSET = 400;
const POW2: Float64Array = (() => {
  const t = new Float64Array(601);
  for (let n = -400; n <= 200; n++) t[n + POW_OFFSET] = 2 ** n;
  return t;
})();
/** 2^52 + 2^51: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;

/** Code written for every element of a NaN block (spec §3.4): FP8 → 0x7F, others 0. @internal */
export function nanBlockCode(c: ElementCodec): number {
  return c.bits === 8 && c.signBit !== 0 ? 0x7f : 0;
}

/**
 * Quantizes `rows` rows of length `L` (contiguous, row-major) in blocks of `o.blockSize`, zero-padding each row to
 * nBlocks·k. Codes of padding positions are 0. @internal
 */
export function quantizeRows(src: Float32Array, rows: number, L: number, o: ResolvedMXOptions): RowCodes {
  const k = o.blockSize;
  const nB = Math.ceil(L / k);
  const codes = new Uint8Array(rows * nB * k); // zeroed: padding positions keep code 0
  const scales = new Uint8Array(rows * nB);
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
  const random = o.random;
  const mode = o.scaleMode;
  const f32log2 = o.scaleExponent === 'float32-log2';
  const flushBlock = o.subnormals === 'flush-block';
  const fv = new Float32Array(u.buffer, u.byteOffset, u.length);
  const sh = 23 - M;
  const bias = rm === 0 ? (1 << (sh - 1)) - 1 : rm === 1 ? 1 << (sh - 1) : 0;
  const lsbMask = rm === 0 ? 1 : 0;
  const subLimit = isInt ? Number.POSITIVE_INFINITY : 2 ** M;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++) {
      const start = rowStart + b * k;
      const end = start + k < rowEnd ? start + k : rowEnd;
      const ob = (r * nB + b) * k - start; // codes index = i + ob
      const amax = blockAbsMax(u, start, end); // also sets blockAbsMin
      const amin = blockAbsMin;
      if (amax >= 0x7f800000) {
        // NaN or ±Inf in the block → NaN scale; the whole block decodes to NaN (spec §3.4).
        scales[r * nB + b] = 0xff;
        for (let i = start; i < end; i++) codes[i + ob] = nanCode;
        continue;
      }
      let s: number;
      // A zero block: byte 0 for FP elements; MXINT8 follows microxcaling (amax := 2^-126 → X = 2^-126, byte 1),
      // which the golden scale bytes record. The decoded block is zero either way.
      if (amax === 0) s = isInt ? -126 : -127;
      else if (flushBlock && floorLog2Bits(amax) <= -127) {
        scales[r * nB + b] = 0;
        for (let i = start; i < end; i++) codes[i + ob] = isInt || u[i] >>> 31 === 0 ? 0 : signBit; // signed zeros
        continue;
      } else s = scaleExponentBits(amax, c, mode, f32log2);
      if (s > 127) {
        if (f32log2) {
          // microxcaling turns a shared exponent above the E8M0 range into a NaN block (spec §4.3, FLT_MAX).
          scales[r * nB + b] = 0xff;
          for (let i = start; i < end; i++) codes[i + ob] = nanCode;
          continue;
        }
        s = 127;
      } else if (s < -127) s = -127;
      scales[r * nB + b] = s + 127;
      if (rm !== 3) {
        // Fast path. Elements whose scaled value is a normal of the element type (exponent field ≥ efMin) round
        // on the float32 bits: adding the rounding bias to the bits rounds the mantissa to M bits, and a carry
        // moves into the exponent, so (bits >>> (23 − M)) re-biased is the code. Everything else (the element's
        // subnormal range, FP32 subnormals, all of INT8's uniform grid) is y = |x|·2^(M − emin − s) in grid
        // steps, exact in float64, rounded to an integer with the 2^52 + 2^51 trick (RNE) or floor.
        const efMin = isInt ? 256 : Math.max(1, emin + 127 + s);
        const rebias = (127 + s + emin - 1) * (1 << M);
        const subMul = 2 ** (M - emin - s);
        if (amin >>> 23 >= efMin) {
          // every element is a normal of the element type: bit-level rounding only
          encodeNormalBlock(u, codes, start, end, ob, bias, lsbMask, sh, rebias, maxCode, signBit);
          continue;
        }
        if (isInt && rm === 0) {
          encodeInt8Block(fv, codes, start, end, ob, subMul);
          continue;
        }
        if (!isInt && s > -127 - emin) {
          encodeMixedBlock(u, fv, codes, start, end, ob, s, M, 1 << M, emin, rm, maxCode, signBit);
          continue;
        }
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
      } else {
        for (let i = start; i < end; i++) {
          const bits = u[i];
          let mag = slowMag(bits & 0x7fffffff, s, M, emin, rm, random);
          if (mag > maxCode) mag = maxCode;
          if (isInt) codes[i + ob] = bits >>> 31 !== 0 && mag !== 0 ? 256 - mag : mag;
          else codes[i + ob] = mag | ((bits >>> 31) * signBit);
        }
      }
    }
  }
  return { codes, scales };
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
    m0 = a0 > m0 ? a0 : m0;
    m1 = a1 > m1 ? a1 : m1;
    m2 = a2 > m2 ? a2 : m2;
    m3 = a3 > m3 ? a3 : m3;
    const l01 = a0 < a1 ? a0 : a1;
    const l23 = a2 < a3 ? a2 : a3;
    const lo = l01 < l23 ? l01 : l23;
    amin = lo < amin ? lo : amin;
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

/** Codes of a block whose elements are all normals of the element type: rounding on the float32 bits. */
function encodeNormalBlock(
  u: Uint32Array,
  codes: Uint8Array,
  start: number,
  end: number,
  ob: number,
  bias: number,
  lsbMask: number,
  sh: number,
  rebias: number,
  maxCode: number,
  signBit: number,
): void {
  for (let i = start; i < end; i++) {
    const bits = u[i];
    const a = bits & 0x7fffffff;
    const mag = ((a + bias + ((a >>> sh) & lsbMask)) >>> sh) - rebias;
    codes[i + ob] = (mag > maxCode ? maxCode : mag) | ((bits >>> 31) * signBit);
  }
}

/**
 * Codes of a block that mixes element normals (bit-level rounding) and the element's subnormal range (y = |x|·2^(M −
 * emin − s) in grid steps, exact in float64, rounded with the 2^52 + 2^51 trick, ⌊y + 0.5⌋ or ⌊y⌋).
 */
function encodeMixedBlock(
  u: Uint32Array,
  fv: Float32Array,
  codes: Uint8Array,
  start: number,
  end: number,
  ob: number,
  s: number,
  M: number,
  twoM: number,
  emin: number,
  rm: number,
  maxCode: number,
  signBit: number,
): void {
  // Branch-free: pe = max(ee, emin) picks the grid step 2^(pe − M) (an FP32-subnormal input has ee < emin here,
  // since the caller sends blocks with s ≤ −127 − emin to the general path), y = |x|·2^(M − pe − s) is exact.
  const base = POW_OFFSET + M - s;
  for (let i = start; i < end; i++) {
    const bits = u[i];
    const ee = (bits >>> 23) - 127 - s - ((bits >>> 31) << 8);
    const pe = Math.max(ee, emin);
    const y = Math.abs(fv[i]) * POW2[base - pe];
    const r = rm === 0 ? y + MAGIC - MAGIC : rm === 1 ? Math.floor(y + 0.5) : Math.floor(y);
    let mag = (pe - emin) * twoM + r;
    mag = mag > maxCode ? maxCode : mag;
    codes[i + ob] = mag | ((bits >>> 31) * signBit);
  }
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

/**
 * Dequantizes rows from stored data (any packing) and scale bytes into `out` (rows × L, row-major). @internal
 */
export function dequantizeRows(
  data: Uint8Array,
  packing: MXPacking,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  c: ElementCodec,
  out: Float32Array,
): Float32Array {
  if (packing === 'byte' || packing === 'fp6-unpacked') dequantBytes(data, scales, rows, L, k, c.decodeTable, out);
  else if (packing === 'fp4x2') dequantFP4(data, scales, rows, L, k, c.decodeTable, out);
  else dequantFP6(data, scales, rows, L, k, c.decodeTable, out);
  return out;
}

function dequantBytes(
  data: Uint8Array,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  table: Float32Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / k);
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
      // unrolled by 4: V8 keeps the loop body tight (about 2× on a 2^24 array)
      let i = start;
      let j = start + ob;
      for (; i + 3 < end; i += 4, j += 4) {
        out[i] = table[data[j]] * X;
        out[i + 1] = table[data[j + 1]] * X;
        out[i + 2] = table[data[j + 2]] * X;
        out[i + 3] = table[data[j + 3]] * X;
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
  table: Float32Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / k);
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
      // two codes per byte, two bytes per iteration
      let j = (i + ob) >> 1;
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
  table: Float32Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / k);
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
      for (let i = start; i < end; i++) {
        const bit = 6 * (i + ob);
        const j = bit >> 3;
        const w = data[j] | (j < last ? data[j + 1] << 8 : 0);
        out[i] = table[(w >> (bit & 7)) & 0x3f] * X;
      }
    }
  }
}
