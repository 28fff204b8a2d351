// Host kernels for BDR quantization. The default path is the WebAssembly SIMD kernel of @tessera/kernels
// (`bdrQuantize`/`bdrDequantize`; its JavaScript twin where WebAssembly SIMD is missing or TESSERA_KERNELS=js), which
// is also the only decode loop (dequantization has no variant here). The plain loops below are the quantize reference
// those kernels are tested against bit for bit (kernels.prop.test.ts), the path of stochastic rounding (a user random
// source, which the kernels do not take) and fake quantization: loops over typed arrays with a Uint32Array view
// of the float32 bits (exponents come from the exponent field, never from Math.log2). Rows are contiguous, the blocked
// axis last, each row zero-padded to nBlocks·k1. Fields are written and read as LSB-first bitstreams (bit j of the
// stream is bit j mod 8 of byte ⌊j/8⌋), so one running accumulator per field packs a whole tensor in one sequential
// pass.
//
// Semantics (Rouhani et al., arXiv:2302.08007 §III; exponent rules of AMD Quark
// quark/torch/kernel/hw_emulation/hw_emulation_interface.py::fake_quantize_mx6_mx9):
//   E   = clamp(exponent field of the block's max |x| − 127, Emin, Emax), a zero/subnormal max counting as −127;
//   s_j = clamp(E − e_j, 0, 2^d2 − 1), e_j likewise from the sub-block's max |x|;
//   q_i = clamp(round(x_i / 2^p), ±lim) with p = E − s_j − (m − 1), x̂_i = q_i·2^p.
// Every quotient x/2^p and product q·2^p is exact in float64 (powers of two), and q·2^p is exact in float32 because
// |q| < 2^24 and p ≥ −126 − m ≥ −149 (e_j ≥ −127 bounds every shift by E + 127).
import { TesseraError } from '@tessera/core';
import { bdrDequantize, bdrQuantize } from '@tessera/kernels';
import type { RandomSource } from '@tessera/mx-formats';
import type { BDRFormat } from '../format.js';
import type { CanonicalRounding } from './rounding.js';

/** The three planar fields of a packed BDR tensor. @internal */
export interface Planar {
  exponents: Uint8Array;
  microexponents: Uint8Array;
  mantissas: Uint8Array;
}

/** Options the kernels need. @internal */
export interface KernelOptions {
  rounding: CanonicalRounding;
  random?: RandomSource;
  clamp: 'field' | 'quark';
}

const FLT_MAX = 3.4028234663852886e38;
/** 2^-52·1.5·2^52: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;
const P_OFF = 400;
const POW2 = new Float64Array(801);
for (let i = 0; i <= 800; i++) POW2[i] = 2 ** (i - P_OFF);

/** Bias of a d1-bit exponent: 2^(d1−1) − 1 (127 for d1 = 8). @internal */
export function exponentBias(d1: number): number {
  return 2 ** (d1 - 1) - 1;
}

/** Bytes of an LSB-first stream of n fields of w bits. @internal */
export function streamBytes(n: number, w: number): number {
  return Math.ceil((n * w) / 8);
}

/** Sizes of the planar fields for `rows` rows of length L. @internal */
export function planarSizes(
  f: BDRFormat,
  rows: number,
  L: number,
): { blocks: number; exponents: number; microexponents: number; mantissas: number } {
  const nB = Math.ceil(L / f.k1);
  const blocks = rows * nB;
  return {
    blocks,
    exponents: blocks,
    microexponents: streamBytes(blocks * (f.k1 / f.k2), f.d2),
    mantissas: streamBytes(blocks * f.k1, f.m + 1),
  };
}

/** Unbiased exponent from magnitude bits: field − 127, with zero/subnormal (field 0) counting as −127. */
function fieldExp(a: number): number {
  const ef = a >>> 23;
  return ef === 0 ? -127 : ef - 127;
}

function roundGeneral(y: number, rounding: CanonicalRounding, random: RandomSource | undefined): number {
  const r = Math.floor(y);
  const frac = y - r; // exact
  switch (rounding) {
    case 'even':
      return frac > 0.5 || (frac === 0.5 && r % 2 === 1) ? r + 1 : r;
    case 'nearest':
      return frac >= 0.5 ? r + 1 : r;
    case 'floor':
      return r;
    default:
      return Math.floor(y + (random as RandomSource)());
  }
}

function nonFinite(src: Float32Array, i: number, fn: string): TesseraError {
  return new TesseraError(
    'INVALID_ARGUMENT',
    fn,
    'x must be finite (the packed format has no NaN/Inf encoding)',
    `${src[i]} at flat index ${i} of the axis-last layout`,
  );
}

/**
 * Quantizes rows into the planar layout: the @tessera/kernels kernel, or (stochastic rounding, `generalOnly`) the
 * reference loop. Throws `INVALID_ARGUMENT` (through `fn`) on the first NaN/±Inf: the packed format has no encoding
 * for them. Clamp is always `'field'` (2^m cannot be packed).
 * @internal
 */
export function quantizeRowsPacked(
  src: Float32Array,
  rows: number,
  L: number,
  f: BDRFormat,
  o: KernelOptions,
  fn: string,
  generalOnly = false,
): Planar {
  if (generalOnly || o.rounding === 'stochastic') return quantizeRowsReference(src, rows, L, f, o, fn);
  const sz = planarSizes(f, rows, L);
  const p = {
    exponents: new Uint8Array(sz.exponents),
    microexponents: new Uint8Array(sz.microexponents),
    mantissas: new Uint8Array(sz.mantissas),
  };
  const bad = bdrQuantize(src, rows, L, f.k1, f.d1, f.k2, f.d2, f.m, o.rounding, p.exponents, p.microexponents, p.mantissas);
  if (bad >= 0) throw nonFinite(src, bad, fn);
  return p;
}

/** The reference loop of {@link quantizeRowsPacked} (every rounding, stochastic included). */
function quantizeRowsReference(src: Float32Array, rows: number, L: number, f: BDRFormat, o: KernelOptions, fn: string): Planar {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const { k1, k2, d1, d2, m } = f;
  const sz = planarSizes(f, rows, L);
  const exponents = new Uint8Array(sz.exponents);
  const microexponents = new Uint8Array(sz.microexponents);
  const mantissas = new Uint8Array(sz.mantissas);
  const nB = Math.ceil(L / k1);
  const nSub = k1 / k2;
  const bias = exponentBias(d1);
  const Emin = -bias;
  const Emax = 2 ** d1 - 1 - bias;
  const smax = (1 << d2) - 1;
  const w = m + 1;
  const lim = 2 ** m - 1;
  const signShift = m;
  const rne = o.rounding === 'even';
  const rounding = o.rounding;
  const random = o.random;
  // mantissa and microexponent stream writers
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
      if (amax >= 0x7f800000) {
        for (let i = start; i < end; i++) if ((u[i] & 0x7fffffff) >= 0x7f800000) throw nonFinite(src, i, fn);
      }
      let E = fieldExp(amax);
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
        let s = E - fieldExp(mb);
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
          const x = src[i];
          const neg = u[i] >>> 31;
          const y = (neg ? -x : x) * inv;
          let q: number;
          if (rne) q = y < 2251799813685248 ? y + MAGIC - MAGIC : y;
          else q = roundGeneral(y, rounding, random);
          if (q > lim) q = lim;
          macc |= ((neg << signShift) | q) << mn;
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
  return { exponents, microexponents, mantissas };
}

/**
 * Fake quantization of rows into `out` (same layout, no padding): NaN stays NaN, ±Inf takes ± the largest
 * magnitude of its sub-block's grid, and non-finite values are excluded from the maxima (Quark). `clamp: 'quark'`
 * bounds |q| by (2^(E+1) − 2^p)/2^p (capped at FLT_MAX) instead of 2^m − 1. With `clamp: 'field'`, a deterministic
 * rounding and finite values this is bit for bit dequantize(quantize(x)), so that case runs on the @tessera/kernels
 * kernels (the packed fields are a scratch); anything else, or `generalOnly`, runs the reference loop below.
 * @internal
 */
export function fakeQuantizeRows(
  src: Float32Array,
  rows: number,
  L: number,
  f: BDRFormat,
  o: KernelOptions,
  out: Float32Array,
  generalOnly = false,
): void {
  if (!generalOnly && o.clamp === 'field' && o.rounding !== 'stochastic' && rows * L > 0) {
    const sz = planarSizes(f, rows, L);
    const e = new Uint8Array(sz.exponents);
    const s = new Uint8Array(sz.microexponents);
    const c = new Uint8Array(sz.mantissas);
    // −1: every value finite, fields complete; else a NaN/±Inf, which the reference loop handles as Quark does
    if (bdrQuantize(src, rows, L, f.k1, f.d1, f.k2, f.d2, f.m, o.rounding, e, s, c) < 0) {
      bdrDequantize(e, s, c, rows, L, f.k1, f.d1, f.k2, f.d2, f.m, out);
      return;
    }
  }
  fakeQuantizeReference(src, rows, L, f, o, out);
}

/** The reference loop of {@link fakeQuantizeRows} (every clamp and rounding, non-finite values). */
function fakeQuantizeReference(src: Float32Array, rows: number, L: number, f: BDRFormat, o: KernelOptions, out: Float32Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const { k1, k2, d1, d2, m } = f;
  const nB = Math.ceil(L / k1);
  const bias = exponentBias(d1);
  const Emin = -bias;
  const Emax = 2 ** d1 - 1 - bias;
  const smax = (1 << d2) - 1;
  const fieldLim = 2 ** m - 1;
  const quark = o.clamp === 'quark';
  const rne = o.rounding === 'even';
  const rounding = o.rounding;
  const random = o.random;
  for (let r = 0; r < rows; r++) {
    const rowStart = r * L;
    const rowEnd = rowStart + L;
    for (let b = 0; b < nB; b++) {
      const start = rowStart + b * k1;
      const end = start + k1 < rowEnd ? start + k1 : rowEnd;
      let amax = 0;
      for (let i = start; i < end; i++) {
        const a = u[i] & 0x7fffffff;
        if (a > amax && a < 0x7f800000) amax = a;
      }
      let E = fieldExp(amax);
      if (E < Emin) E = Emin;
      else if (E > Emax) E = Emax;
      for (let s0 = start; s0 < end; s0 += k2) {
        const s1 = s0 + k2 < end ? s0 + k2 : end;
        let mb = 0;
        for (let i = s0; i < s1; i++) {
          const a = u[i] & 0x7fffffff;
          if (a > mb && a < 0x7f800000) mb = a;
        }
        let s = E - fieldExp(mb);
        if (s < 0) s = 0;
        else if (s > smax) s = smax;
        const p = E - s - m + 1;
        const inv = POW2[P_OFF - p];
        const step = POW2[P_OFF + p];
        const lim = quark ? Math.min(POW2[P_OFF + E + 1] - step, FLT_MAX) / step : fieldLim;
        for (let i = s0; i < s1; i++) {
          const x = src[i];
          const a = u[i] & 0x7fffffff;
          const neg = u[i] >>> 31;
          if (a >= 0x7f800000) {
            out[i] = a > 0x7f800000 ? Number.NaN : neg ? -(lim * step) : lim * step;
            continue;
          }
          const y = (neg ? -x : x) * inv;
          let q: number;
          if (rne) q = y < 2251799813685248 ? y + MAGIC - MAGIC : y;
          else q = roundGeneral(y, rounding, random);
          if (q > lim) q = lim;
          out[i] = neg ? -(q * step) : q * step;
        }
      }
    }
  }
}

/**
 * Dequantizes planar fields into `out` (rows × L, padding dropped) with the @tessera/kernels kernel (WebAssembly
 * SIMD, or its JavaScript twin, the one general bit-stream decode loop: the semantics are the same for every format,
 * so this package keeps no loop of its own). @internal
 */
export function dequantizeRows(p: Planar, rows: number, L: number, f: BDRFormat, out: Float32Array): void {
  // exponents are stored one per byte (d1 ≤ 8); a Uint16Array holding them is narrowed (values checked ≤ 255)
  const e = p.exponents instanceof Uint8Array ? p.exponents : Uint8Array.from(p.exponents);
  bdrDequantize(e, p.microexponents, p.mantissas, rows, L, f.k1, f.d1, f.k2, f.d2, f.m, out);
}
