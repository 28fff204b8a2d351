// Naive reference implementation of OCP MX v1.0 (and NVFP4), written from the format definitions (not from src/): element grids are
// enumerated from the (s, e, f) decoding formula, encoding searches the grid for the nearest value, exponents come
// from repeated doubling/halving. Slow on purpose; only for tests.

export type RefElement = 'fp8_e4m3' | 'fp8_e5m2' | 'fp6_e3m2' | 'fp6_e2m3' | 'fp4_e2m1' | 'int8';
export type RefRounding = 'even' | 'nearest' | 'floor';
export type RefScaleMode = 'floor' | 'ceil' | 'even' | 'rceil';

interface Spec {
  bits: number;
  e: number;
  m: number;
  bias: number;
  int: boolean;
}
const SPECS: Record<RefElement, Spec> = {
  fp8_e4m3: { bits: 8, e: 4, m: 3, bias: 7, int: false },
  fp8_e5m2: { bits: 8, e: 5, m: 2, bias: 15, int: false },
  fp6_e3m2: { bits: 6, e: 3, m: 2, bias: 3, int: false },
  fp6_e2m3: { bits: 6, e: 2, m: 3, bias: 1, int: false },
  fp4_e2m1: { bits: 4, e: 2, m: 1, bias: 1, int: false },
  int8: { bits: 8, e: 0, m: 6, bias: 0, int: true },
};

/** Decoded value of every code, from the OCP MX v1.0 element formula and special-code table. */
export function refDecode(t: RefElement, code: number): number {
  const s = SPECS[t];
  if (s.int) return (code >= 128 ? code - 256 : code) / 64;
  const sign = (code >> (s.bits - 1)) & 1 ? -1 : 1;
  const e = (code >> s.m) & ((1 << s.e) - 1);
  const f = code & ((1 << s.m) - 1);
  if (t === 'fp8_e4m3' && (code & 0x7f) === 0x7f) return Number.NaN;
  if (t === 'fp8_e5m2' && e === 31) return f === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (e === 0) return sign * f * 2 ** (1 - s.bias - s.m);
  return sign * (1 + f / 2 ** s.m) * 2 ** (e - s.bias);
}

/** Non-negative finite grid: [value, code] sorted by value (code = magnitude code, sign bit clear). */
export function refGrid(t: RefElement): [number, number][] {
  const s = SPECS[t];
  const n = s.int ? 128 : 1 << (s.bits - 1);
  const out: [number, number][] = [];
  for (let c = 0; c < n; c++) {
    const v = refDecode(t, c);
    if (Number.isFinite(v)) out.push([v, c]);
  }
  out.sort((a, b) => a[0] - b[0]);
  return out;
}

export function refMaxNormal(t: RefElement): number {
  const g = refGrid(t);
  return g[g.length - 1][0];
}

/** ⌊log2 a⌋ for finite a > 0 by repeated halving/doubling (exact in float64). */
export function refFloorLog2(a: number): number {
  let e = 0;
  let p = 1;
  while (p > a) {
    p /= 2;
    e--;
  }
  while (p * 2 <= a) {
    p *= 2;
    e++;
  }
  return e;
}

export function refEmax(t: RefElement): number {
  return refFloorLog2(refMaxNormal(t));
}

/** Saturating encode of |v| onto the grid (round, then clamp to max): magnitude code. */
export function refEncodeMag(t: RefElement, a: number, rounding: RefRounding): number {
  const g = refGrid(t);
  const max = g[g.length - 1];
  if (a >= max[0]) return max[1];
  let lo = g[0];
  let hi = g[1];
  for (let i = 0; i + 1 < g.length; i++) {
    if (g[i][0] <= a && a < g[i + 1][0]) {
      lo = g[i];
      hi = g[i + 1];
      break;
    }
  }
  if (a === lo[0] || rounding === 'floor') return lo[1];
  const mid = (lo[0] + hi[0]) / 2;
  if (a < mid) return lo[1];
  if (a > mid) return hi[1];
  if (rounding === 'nearest') return hi[1];
  // tie: the code with the even last bit (mantissa LSB for FP, k for INT8)
  return lo[1] % 2 === 0 ? lo[1] : hi[1];
}

/** Saturating signed encode (FP: −0 for negatives rounding to 0; INT8 two's complement, no −0). */
export function refEncode(t: RefElement, v: number, rounding: RefRounding = 'even'): number {
  const s = SPECS[t];
  const neg = v < 0 || Object.is(v, -0);
  const mag = refEncodeMag(t, Math.abs(v), rounding);
  if (s.int) return neg && mag !== 0 ? 256 - mag : mag;
  return neg ? mag | (1 << (s.bits - 1)) : mag;
}

/** Scale exponent s (unclamped) of a finite amax > 0. */
export function refScaleExponent(t: RefElement, amax: number, mode: RefScaleMode): number {
  const emax = refEmax(t);
  const e = refFloorLog2(amax);
  if (mode === 'floor') return e - emax;
  if (mode === 'ceil') return (2 ** e === amax ? e : e + 1) - emax;
  if (mode === 'even') {
    // round the significand amax/2^e to M bits, ties away from zero
    const M = SPECS[t].m;
    const sig = amax / 2 ** e;
    const r = Math.floor(sig * 2 ** M + 0.5) / 2 ** M; // sig·2^M has ≤ 24 significant bits: the +0.5 is exact
    return (r >= 2 ? e + 1 : e) - emax;
  }
  const d = Math.fround(amax / refMaxNormal(t));
  let s = -200;
  while (2 ** s < d) s++;
  return s;
}

export interface RefMX {
  scales: number[];
  /** codes per block position, row-major over (row with axis last, block, position), padding codes 0 */
  codes: number[];
  /** dequantized values in the original layout */
  values: Float32Array;
}

/**
 * Naive MX quantize + dequantize of x (row-major `shape`) along `axis`, zero padding, saturating elements.
 */
export function refQuantizeMX(
  x: ArrayLike<number>,
  shape: readonly number[],
  t: RefElement,
  o: { axis?: number; blockSize?: number; scaleMode?: RefScaleMode; rounding?: RefRounding } = {},
): RefMX {
  const rank = shape.length;
  const axis = (o.axis ?? -1) < 0 ? (o.axis ?? -1) + rank : (o.axis ?? -1);
  const k = o.blockSize ?? 32;
  const mode = o.scaleMode ?? 'floor';
  const rounding = o.rounding ?? 'even';
  const strides: number[] = new Array(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  const L = shape[axis];
  const nB = Math.ceil(L / k);
  // enumerate fibres in the order of the moved layout: other axes in order, row-major
  const others = shape.map((_, i) => i).filter((i) => i !== axis);
  const nFib = others.reduce((p, i) => p * shape[i], 1);
  const scales: number[] = [];
  const codes: number[] = [];
  const values = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let f = 0; f < nFib; f++) {
    let rem = f;
    let base = 0;
    for (let j = others.length - 1; j >= 0; j--) {
      const ax = others[j];
      base += (rem % shape[ax]) * strides[ax];
      rem = Math.floor(rem / shape[ax]);
    }
    for (let b = 0; b < nB; b++) {
      const idx: number[] = [];
      for (let p = 0; p < k; p++) idx.push(b * k + p < L ? base + (b * k + p) * strides[axis] : -1);
      const vals = idx.map((i) => (i < 0 ? 0 : x[i]));
      const nonFinite = vals.some((v) => !Number.isFinite(v));
      if (nonFinite) {
        scales.push(255);
        for (const i of idx) {
          codes.push(i < 0 ? 0 : SPECS[t].bits === 8 && !SPECS[t].int ? 0x7f : 0);
          if (i >= 0) values[i] = Number.NaN;
        }
        continue;
      }
      const amax = Math.max(...vals.map(Math.abs));
      // zero block: X = 2^-127 (byte 0) for FP elements, 2^-126 (byte 1) for INT8 as microxcaling
      let s = amax === 0 ? (SPECS[t].int ? -126 : -127) : refScaleExponent(t, amax, mode);
      s = Math.min(127, Math.max(-127, s));
      scales.push(s + 127);
      const X = 2 ** s;
      for (let p = 0; p < k; p++) {
        const i = idx[p];
        if (i < 0) {
          codes.push(0);
          continue;
        }
        const c = refEncode(t, vals[p] / X, rounding);
        codes.push(c);
        values[i] = Math.fround(refDecode(t, c) * X);
      }
    }
  }
  return { scales, codes, values };
}

/**
 * Naive NVFP4, exact arithmetic: per block of 16 along the last axis of a 1-D/2-D row-major array,
 * s_b = nearest E4M3 value (ties even) of clamp((amax/6)/s_t, 2^-6, 448), elements = nearest E2M1 of x/(s_t·s_b).
 */
export function refNVFP4(x: ArrayLike<number>, rows: number, L: number, st: number): Float32Array {
  const out = new Float32Array(rows * L);
  const e4 = refGrid('fp8_e4m3');
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < L; b += 16) {
      const idx = [];
      for (let i = b; i < Math.min(b + 16, L); i++) idx.push(r * L + i);
      if (idx.some((i) => !Number.isFinite(x[i]))) {
        for (const i of idx) out[i] = Number.NaN;
        continue;
      }
      const amax = Math.max(...idx.map((i) => Math.abs(x[i])));
      const target = Math.min(448, Math.max(2 ** -6, amax / 6 / st));
      const sb = refDecode('fp8_e4m3', refEncodeMag('fp8_e4m3', target, 'even'));
      expectPositive(sb, e4.length);
      for (const i of idx) {
        const c = refEncode('fp4_e2m1', x[i] / (st * sb), 'even');
        out[i] = Math.fround(refDecode('fp4_e2m1', c) * sb * st);
      }
    }
  }
  return out;
}

function expectPositive(v: number, n: number): void {
  if (!(v > 0) || n === 0) throw new Error('refNVFP4: bad scale');
}
