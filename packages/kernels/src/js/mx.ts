// JavaScript twin of src/assembly/mx.ts (same algorithm, scalar): the fallback where WebAssembly SIMD is missing or
// TESSERA_KERNELS=js, and the reference the wasm kernel is tested against bit for bit. Elements whose float32
// exponent reaches the element grid's normals round on their bits (OCP MX v1.0 section 6.3: round to nearest even,
// or the variants below); the rest, and MXINT8, round y = |x|·2^(M − emin − s) computed exactly in float64.
import { ELEMENT_PARAMS, type ElementParams } from '../tables.js';

/** 2^52 + 2^51: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;
const F = new Float32Array(1);
const U = new Uint32Array(F.buffer);

function floorLog2Bits(a: number): number {
  const ef = a >>> 23;
  if (ef !== 0) return ef - 127;
  return 31 - Math.clz32(a) - 149;
}

function rceilByte(d: number): number {
  const a = d & 0x7fffffff;
  if (a >= 0x7f800000) return 0xff;
  if (a === 0) return 0;
  const ef = a >>> 23;
  if (ef === 0) return a > 0x00400000 ? 1 : 0;
  const b = ef + ((a & 0x7fffff) !== 0 ? 1 : 0);
  return b > 254 ? 0xff : b;
}

/** Unbiased scale exponent of a finite non-zero amax (bits); mode 0 floor, 1 ceil, 2 even, 3 rceil. @internal */
export function scaleExponent(a: number, p: ElementParams, mode: number): number {
  const e = floorLog2Bits(a);
  if (mode === 0) return e - p.emax;
  const ef = a >>> 23;
  if (mode === 1) {
    const pow2 = ef !== 0 ? (a & 0x7fffff) === 0 : (a & (a - 1)) === 0;
    return e + (pow2 ? 0 : 1) - p.emax;
  }
  if (mode === 2) {
    const sig = ef !== 0 ? (a & 0x7fffff) | 0x800000 : a << (Math.clz32(a) - 8);
    return e + (sig + (1 << (22 - p.M)) >= 0x1000000 ? 1 : 0) - p.emax;
  }
  U[0] = a;
  F[0] = F[0] / p.maxNormal;
  const b = rceilByte(U[0]);
  return b === 0xff ? 128 : b - 127;
}

function roundY(y: number, rm: number): number {
  return rm === 0 ? y + MAGIC - MAGIC : rm === 1 ? Math.floor(y + 0.5) : Math.floor(y);
}

function slowMag(a: number, s: number, p: ElementParams, rm: number): number {
  if (a === 0) return 0;
  const ef = a >>> 23;
  let e: number;
  let sig: number;
  if (ef !== 0) {
    e = ef - 127;
    sig = (a & 0x7fffff) | 0x800000;
  } else {
    const lz = Math.clz32(a) - 8;
    e = -126 - lz;
    sig = a << lz;
  }
  const ee = e - s;
  const pe = ee < p.emin ? p.emin : ee;
  const shift = 23 - p.M + pe - ee;
  let q = 0;
  if (shift <= 24) {
    q = sig >>> shift;
    const rem = sig & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rm === 0) {
      if (rem > half || (rem === half && (q & 1) === 1)) q++;
    } else if (rm === 1 && rem >= half) q++;
  }
  return (pe - p.emin) * (1 << p.M) + q;
}

/** Bytes of packed data for n codes: packing 0 bytes, 1 FP4 pairs, 2 FP6 four in three. @internal */
export function packedBytes(pm: number, n: number): number {
  return pm === 1 ? Math.ceil(n / 2) : pm === 2 ? Math.ceil((n * 6) / 8) : n;
}

/** {@link mxQuantize} in JavaScript (arguments already checked; format etc. as kernel codes). @internal */
export function mxQuantizeJs(
  src: Float32Array,
  rows: number,
  L: number,
  k: number,
  fmt: number,
  mode: number,
  rm: number,
  flags: number,
  pm: number,
  data: Uint8Array,
  scales: Uint8Array,
): void {
  const p = ELEMENT_PARAMS[fmt];
  const { M, emin, maxCode, signBit, isInt } = p;
  const nB = Math.ceil(L / k);
  const u0 = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const bf16 = (flags & 1) !== 0;
  const flushEl = (flags & 2) !== 0;
  const flushBlock = (flags & 4) !== 0;
  const sh = 23 - M;
  const bias = rm === 0 ? (1 << (sh - 1)) - 1 : rm === 1 ? 1 << (sh - 1) : 0;
  const lsb = rm === 0 ? 1 : 0;
  const nanCode = signBit === 0x80 ? 0x7f : 0;
  const codes = new Uint8Array(k);
  const pre = new Uint32Array(k);
  const pref = new Float32Array(pre.buffer);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  data.fill(0, 0, packedBytes(pm, rows * nB * k));
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * k;
      const n = Math.min(k, L - b * k);
      const ci = (r * nB + b) * k;
      const si = r * nB + b;
      for (let i = 0; i < n; i++) {
        let x = u0[start + i];
        if (bf16) {
          if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) x = (x | 0x400000) & 0xffff0000;
          else x = (x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000;
        }
        if (flushEl && (x & 0x7f800000) === 0) x &= 0x80000000;
        pre[i] = x >>> 0;
      }
      let amax = 0;
      for (let i = 0; i < n; i++) {
        const a = pre[i] & 0x7fffffff;
        if (a > amax) amax = a;
      }
      codes.fill(0);
      if (amax >= 0x7f800000) {
        scales[si] = 0xff;
        codes.fill(nanCode, 0, n);
      } else if (flushBlock && amax !== 0 && amax < 0x800000) {
        scales[si] = 0;
        for (let i = 0; i < n; i++) codes[i] = isInt ? 0 : (pre[i] >>> 31) * signBit;
      } else {
        let s = amax === 0 ? (isInt ? -126 : -127) : scaleExponent(amax, p, mode);
        s = s > 127 ? 127 : s < -127 ? -127 : s;
        scales[si] = s + 127;
        const subMul = 2 ** (M - emin - s);
        if (isInt) {
          for (let i = 0; i < n; i++) {
            const bits = pre[i];
            u32[0] = bits & 0x7fffffff;
            let mag = roundY(f32[0] * subMul, rm);
            if (mag > 127) mag = 127;
            const neg = -(bits >>> 31);
            codes[i] = ((mag ^ neg) - neg) & 0xff;
          }
        } else if (s >= -126 - emin) {
          const efMin = emin + 127 + s;
          const efMinBits = efMin * 2 ** 23;
          const rebias = (efMin - 1) << M;
          for (let i = 0; i < n; i++) {
            const bits = pre[i];
            const a = bits & 0x7fffffff;
            let mag = a >= efMinBits ? ((a + bias + ((a >>> sh) & lsb)) >>> sh) - rebias : roundY(Math.abs(pref[i]) * subMul, rm);
            if (mag > maxCode) mag = maxCode;
            codes[i] = mag | ((bits >>> 31) * signBit);
          }
        } else {
          const rb = (127 + s + emin - 1) * (1 << M);
          const subLimit = 2 ** M;
          for (let i = 0; i < n; i++) {
            const bits = pre[i];
            const a = bits & 0x7fffffff;
            let mag: number;
            if (a >>> 23 >= 1) mag = ((a + bias + ((a >>> sh) & lsb)) >>> sh) - rb;
            else {
              const y = Math.abs(pref[i]) * subMul;
              mag = y >= subLimit ? slowMag(a, s, p, rm) : roundY(y, rm);
            }
            if (mag > maxCode) mag = maxCode;
            codes[i] = mag | ((bits >>> 31) * signBit);
          }
        }
      }
      if (pm === 0) data.set(codes, ci);
      else if (pm === 1) {
        for (let t = 0; t < k; t++) data[(ci + t) >> 1] |= codes[t] << (((ci + t) & 1) << 2);
      } else {
        for (let t = 0; t < k; t++) {
          const bit = 6 * (ci + t);
          const j = bit >> 3;
          const w = codes[t] << (bit & 7);
          data[j] |= w & 0xff;
          if (w > 0xff) data[j + 1] |= w >> 8;
        }
      }
    }
  }
}

/** {@link mxDequantize} in JavaScript: decode(code)·2^(byte − 127), one float32 rounding; 0xFF → NaN. @internal */
export function mxDequantizeJs(
  data: Uint8Array,
  pm: number,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  table: Float32Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / k);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * k;
      const n = Math.min(k, L - b * k);
      const ci = (r * nB + b) * k;
      const sb = scales[r * nB + b];
      if (sb === 0xff) {
        out.fill(Number.NaN, start, start + n);
        continue;
      }
      const X = 2 ** (sb - 127);
      for (let i = 0; i < n; i++) {
        const idx = ci + i;
        let c: number;
        if (pm === 0) c = data[idx];
        else if (pm === 1) c = (data[idx >> 1] >> ((idx & 1) << 2)) & 0xf;
        else {
          const bit = 6 * idx;
          const j = bit >> 3;
          const sft = bit & 7;
          c = ((data[j] | (sft > 2 ? data[j + 1] << 8 : 0)) >> sft) & 0x3f;
        }
        out[start + i] = table[c] * X;
      }
    }
  }
}
