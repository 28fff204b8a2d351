// Element formats of OCP MX v1.0 (section 5.3, table 4) as the kernels see them: parameters and decode tables.

/** Decode tables live in kernel memory at fixed addresses below the heap: six formats × 256 float32 (E2M1 is #4). @internal */
export const TABLES = 1024;
// 8192 … 12416: the NVFP4 kernel's per-call threshold cache (src/assembly/nvfp4.ts); the heap starts at 16384.

/** MX element formats, in the order of their kernel codes. */
export const MX_ELEMENT_FORMATS = ['fp8_e4m3', 'fp8_e5m2', 'fp6_e3m2', 'fp6_e2m3', 'fp4_e2m1', 'int8'] as const;
/** An MX element format. */
export type MXElementFormat = (typeof MX_ELEMENT_FORMATS)[number];

/** Parameters of an element format: mantissa bits, exponent range, largest magnitude code, sign bit. @internal */
export interface ElementParams {
  bits: number;
  M: number;
  emin: number;
  emax: number;
  maxCode: number;
  signBit: number;
  maxNormal: number;
  isInt: boolean;
  bias: number;
  hasInf: boolean;
}

/** @internal */
export const ELEMENT_PARAMS: readonly ElementParams[] = [
  { bits: 8, M: 3, emin: -6, emax: 8, maxCode: 0x7e, signBit: 0x80, maxNormal: 448, isInt: false, bias: 7, hasInf: false },
  { bits: 8, M: 2, emin: -14, emax: 15, maxCode: 0x7b, signBit: 0x80, maxNormal: 57344, isInt: false, bias: 15, hasInf: true },
  { bits: 6, M: 2, emin: -2, emax: 4, maxCode: 0x1f, signBit: 0x20, maxNormal: 28, isInt: false, bias: 3, hasInf: false },
  { bits: 6, M: 3, emin: 0, emax: 2, maxCode: 0x1f, signBit: 0x20, maxNormal: 7.5, isInt: false, bias: 1, hasInf: false },
  { bits: 4, M: 1, emin: 0, emax: 2, maxCode: 7, signBit: 8, maxNormal: 6, isInt: false, bias: 1, hasInf: false },
  { bits: 8, M: 6, emin: 0, emax: 0, maxCode: 127, signBit: 0, maxNormal: Math.fround(127 / 64), isInt: true, bias: 0, hasInf: false },
];

/**
 * The 256-entry float32 decode table of a format (codes ≥ 2^bits decode to NaN): sign-magnitude FP with subnormals,
 * E4M3's NaN at 0x7F/0xFF, E5M2's Inf at 0x7C/0xFC and NaN above; MXINT8 is two's complement / 64. @internal
 */
export function decodeTable(f: number): Float32Array {
  const p = ELEMENT_PARAMS[f];
  const t = new Float32Array(256).fill(Number.NaN);
  const n = 1 << p.bits;
  for (let c = 0; c < n; c++) {
    if (p.isInt) {
      t[c] = (c >= 128 ? c - 256 : c) / 64;
      continue;
    }
    const s = c & p.signBit ? -1 : 1;
    const mag = c & (p.signBit - 1);
    const ef = mag >> p.M;
    const m = mag & ((1 << p.M) - 1);
    let v: number;
    if (p.bits === 8 && mag > p.maxCode + (p.hasInf ? 1 : 0)) v = Number.NaN;
    else if (p.hasInf && mag === p.maxCode + 1) v = Number.POSITIVE_INFINITY;
    else if (ef === 0) v = m * 2 ** (1 - p.bias - p.M);
    else v = (1 + m / 2 ** p.M) * 2 ** (ef - p.bias);
    t[c] = s * v;
  }
  return t;
}

let tables: Float32Array[] | undefined;
/** Decode tables of the six formats (index = format code), built on first use. @internal */
export function decodeTables(): readonly Float32Array[] {
  tables ??= ELEMENT_PARAMS.map((_, f) => decodeTable(f));
  return tables;
}
