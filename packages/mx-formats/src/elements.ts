import { checkBoolean, checkOptions, TesseraError } from '@tessera/core';

/** Element types of OCP MX v1.0. */
export type ElementFormat = 'fp8_e4m3' | 'fp8_e5m2' | 'fp6_e3m2' | 'fp6_e2m3' | 'fp4_e2m1' | 'int8';

/**
 * Rounding of a scaled value onto the element grid. tessera's names come first; the OCP/microxcaling names are
 * accepted as aliases: `'even'` = `'rne'` (round half to even, default), `'nearest'` = `'ties-away'` (microxcaling's
 * default), `'floor'` = `'truncate'` (toward zero, microxcaling `floor`), and `'stochastic'` (⌊|x| + u⌋ with u from a
 * caller-supplied source).
 */
export type Rounding = 'even' | 'nearest' | 'floor' | 'stochastic' | 'rne' | 'ties-away' | 'truncate';

/** A source of uniform draws in [0, 1), used by `rounding: 'stochastic'`. */
export type RandomSource = () => number;

/** Options of {@link ElementCodec.encode}. */
export interface EncodeOptions {
  /** Default `'even'`. */
  readonly rounding?: Rounding;
  /**
   * `false` (default): IEEE-like overflow, as a plain cast does (ml_dtypes, PyTorch 2.11 eager: E4M3 → NaN, E5M2 →
   * ±Inf; FP6/FP4/INT8 have no such codes and saturate anyway). `true`: MX semantics, values past the largest normal
   * clamp to ±max (what `quantizeMX` does).
   */
  readonly saturate?: boolean;
  /** Required when `rounding` is `'stochastic'`. */
  readonly random?: RandomSource;
}

/**
 * One element type: its constants, an exact decode table and an encoder.
 *
 * @example
 * ```ts
 * import { FP8_E4M3 } from '@tessera/mx-formats';
 * FP8_E4M3.encode(400);                    // → 0x7c (384: 400 is a tie, RNE picks the even mantissa)
 * FP8_E4M3.decode(0x7e);                   // → 448
 * FP8_E4M3.encode(480);                    // → 0x7f (NaN, as a plain cast)
 * FP8_E4M3.encode(480, { saturate: true }); // → 0x7e (448, MX saturation)
 * ```
 */
export interface ElementCodec {
  readonly name: ElementFormat;
  /** Storage width in bits. */
  readonly bits: 4 | 6 | 8;
  /** Exponent field width (0 for INT8). */
  readonly exponentBits: number;
  /** Explicit mantissa bits M (6 for INT8: the grid step is 2^-6). */
  readonly mantissaBits: number;
  readonly bias: number;
  /** Exponent of the largest normal; the offset subtracted from ⌊log2 amax⌋ for the block scale (OCP MX v1.0). */
  readonly emax: number;
  /** Exponent of the smallest normal (1 − bias; 0 for INT8). */
  readonly emin: number;
  readonly maxNormal: number;
  readonly minNormal: number;
  readonly minSubnormal: number;
  readonly hasInf: boolean;
  readonly nanCodes: readonly number[];
  /** Largest finite magnitude code (sign bit clear). */
  readonly maxCode: number;
  /** Mask of the sign bit (0 for INT8, which is two's complement). */
  readonly signBit: number;
  /** `decodeTable[code]` is the float32 value of every code (2^bits entries). */
  readonly decodeTable: Float32Array;
  /** The value of `code` (a float32 number; NaN for NaN codes). */
  decode(code: number): number;
  /** Rounds a number onto the grid and returns its code (see {@link EncodeOptions}). The input is used exactly. */
  encode(v: number, o?: EncodeOptions): number;
}

/** Canonical rounding after resolving aliases. */
export type CanonicalRounding = 'even' | 'nearest' | 'floor' | 'stochastic';

const ROUNDING_ALIASES: Record<string, CanonicalRounding> = {
  even: 'even',
  rne: 'even',
  nearest: 'nearest',
  'ties-away': 'nearest',
  floor: 'floor',
  truncate: 'floor',
  stochastic: 'stochastic',
};

/** All accepted rounding names (including aliases). */
export const ROUNDING_NAMES: readonly Rounding[] = Object.freeze(Object.keys(ROUNDING_ALIASES) as Rounding[]);

/** Resolves a rounding name (or alias) and validates it. @internal */
export function canonicalRounding(r: unknown, fn: string): CanonicalRounding {
  if (typeof r === 'string' && Object.hasOwn(ROUNDING_ALIASES, r)) return ROUNDING_ALIASES[r];
  throw new TesseraError('INVALID_ARGUMENT', fn, `rounding must be one of ${ROUNDING_NAMES.map((n) => `'${n}'`).join(', ')}`, r);
}

const f64 = new Float64Array(1);
const u32of64 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Exact ⌊log2 |v|⌋ of a finite non-zero float64, from its bits (subnormals included). @internal */
export function floorLog2F64(v: number): number {
  f64[0] = v;
  const hi = u32of64[HI];
  const e = (hi >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  const hm = hi & 0xfffff;
  if (hm !== 0) return 31 - Math.clz32(hm) - 20 - 1022;
  return 31 - Math.clz32(u32of64[1 - HI]) - 52 - 1022;
}

/**
 * Rounds a non-negative integer-scaled magnitude y (exact float64) to an integer with the given rounding. @internal
 */
export function roundMagnitude(y: number, rounding: CanonicalRounding, random?: RandomSource): number {
  const r = Math.floor(y);
  const frac = y - r; // exact: the fractional part of a float64 is representable
  switch (rounding) {
    case 'even':
      return frac > 0.5 || (frac === 0.5 && r % 2 === 1) ? r + 1 : r;
    case 'nearest':
      return frac >= 0.5 ? r + 1 : r;
    case 'floor':
      return r;
    default: {
      const u = (random as RandomSource)();
      return frac + u >= 1 ? r + 1 : r;
    }
  }
}

interface FpParams {
  name: ElementFormat;
  bits: 4 | 6 | 8;
  e: number;
  m: number;
  bias: number;
  maxCode: number;
  hasInf: boolean;
  nanCodes: number[];
  int?: boolean;
}

function buildTable(p: FpParams): Float32Array {
  const n = 1 << p.bits;
  const t = new Float32Array(n);
  if (p.int) {
    for (let c = 0; c < n; c++) t[c] = (c >= 128 ? c - 256 : c) / 64;
    return t;
  }
  const signBit = 1 << (p.bits - 1);
  const mMask = (1 << p.m) - 1;
  for (let c = 0; c < n; c++) {
    const s = c & signBit ? -1 : 1;
    const mag = c & (signBit - 1);
    const ef = mag >> p.m;
    const f = mag & mMask;
    let v: number;
    if (p.nanCodes.includes(c)) v = Number.NaN;
    else if (p.hasInf && mag === p.maxCode + 1) v = Number.POSITIVE_INFINITY;
    else if (ef === 0) v = f * 2 ** (1 - p.bias - p.m);
    else v = (1 + f / 2 ** p.m) * 2 ** (ef - p.bias);
    t[c] = s * v;
  }
  return t;
}

function makeCodec(p: FpParams): ElementCodec {
  const table = buildTable(p);
  const signBit = p.int ? 0 : 1 << (p.bits - 1);
  const emin = p.int ? 0 : 1 - p.bias;
  const maxNormal = p.int ? 127 / 64 : table[p.maxCode];
  const emax = p.int ? 0 : floorLog2F64(maxNormal);
  const M = p.m;
  // The NaN code a cast produces for a positive NaN (ml_dtypes: E4M3 0x7F, E5M2 0x7E).
  const nanPos = p.bits === 8 && !p.int ? (p.hasInf ? p.maxCode + 3 : p.maxCode + 1) : -1;
  const overflowCode = (saturate: boolean): number => {
    if (saturate || p.int || p.bits !== 8) return p.maxCode; // FP6/FP4/INT8 have no Inf or NaN codes
    return p.hasInf ? p.maxCode + 1 : nanPos;
  };
  const encode = (v: number, options: EncodeOptions = {}): number => {
    const o = checkOptions<EncodeOptions>(options, `${p.name}.encode`);
    const rounding = canonicalRounding(o.rounding ?? 'even', `${p.name}.encode`);
    if (rounding === 'stochastic' && typeof o.random !== 'function')
      throw new TesseraError('INVALID_ARGUMENT', `${p.name}.encode`, "rounding 'stochastic' needs a random source", o.random);
    const saturate = checkBoolean(o.saturate, `${p.name}.encode`, 'saturate', false);
    if (typeof v !== 'number') throw new TesseraError('INVALID_ARGUMENT', `${p.name}.encode`, 'v must be a number', v);
    const neg = v < 0 || Object.is(v, -0);
    if (Number.isNaN(v)) {
      // FP8: the NaN code of the input's sign (ml_dtypes). FP6/FP4: ml_dtypes maps NaN to the zero of the opposite
      // sign (+NaN → −0); INT8 has no NaN: 0. NaN's sign is read from the float64 bits.
      f64[0] = v;
      const nsign = u32of64[HI] >>> 31 === 1;
      if (p.int) return 0;
      if (p.bits === 8) return nsign ? nanPos | signBit : nanPos;
      return nsign ? 0 : signBit;
    }
    const a = Math.abs(v);
    let mag: number;
    if (a === Number.POSITIVE_INFINITY) {
      mag = overflowCode(saturate);
    } else if (a === 0) {
      mag = 0;
    } else {
      const e = floorLog2F64(a);
      const pe = e < emin ? emin : e; // element exponent; the grid step is 2^(pe − M)
      // r counts grid steps; a carry to 2^(M+1) moves into the next binade, which the code arithmetic absorbs.
      const r = roundMagnitude(a * 2 ** (M - pe), rounding, o.random);
      mag = (pe - emin) * 2 ** M + r;
      if (mag > p.maxCode) mag = overflowCode(saturate);
    }
    if (p.int) return neg && mag !== 0 ? (256 - mag) & 0xff : mag;
    return neg ? mag | signBit : mag;
  };
  return Object.freeze({
    name: p.name,
    bits: p.bits,
    exponentBits: p.e,
    mantissaBits: M,
    bias: p.bias,
    emax,
    emin,
    maxNormal,
    minNormal: p.int ? 1 / 64 : 2 ** emin,
    minSubnormal: p.int ? 1 / 64 : 2 ** (emin - M),
    hasInf: p.hasInf,
    nanCodes: Object.freeze([...p.nanCodes]),
    maxCode: p.maxCode,
    signBit,
    decodeTable: table,
    decode: (code: number) => {
      if (!Number.isInteger(code) || code < 0 || code >= table.length)
        throw new TesseraError('INVALID_ARGUMENT', `${p.name}.decode`, `code must be an integer in [0, ${table.length - 1}]`, code);
      return table[code];
    },
    encode,
  });
}

/**
 * FP8 E4M3 (`float8_e4m3fn`): bias 7, max 448, no Inf, NaN 0x7F/0xFF.
 *
 * @example
 * ```ts
 * import { FP8_E4M3 } from '@tessera/mx-formats';
 * FP8_E4M3.encode(2); // → 0x40
 * ```
 */
export const FP8_E4M3: ElementCodec = makeCodec({
  name: 'fp8_e4m3',
  bits: 8,
  e: 4,
  m: 3,
  bias: 7,
  maxCode: 0x7e,
  hasInf: false,
  nanCodes: [0x7f, 0xff],
});

/**
 * FP8 E5M2 (`float8_e5m2`): bias 15, max 57344, Inf 0x7C/0xFC, NaN 0x7D–0x7F/0xFD–0xFF.
 *
 * @example
 * ```ts
 * import { FP8_E5M2 } from '@tessera/mx-formats';
 * FP8_E5M2.encode(61440); // → 0x7c (+Inf: the tie rounds to even)
 * ```
 */
export const FP8_E5M2: ElementCodec = makeCodec({
  name: 'fp8_e5m2',
  bits: 8,
  e: 5,
  m: 2,
  bias: 15,
  maxCode: 0x7b,
  hasInf: true,
  nanCodes: [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff],
});

/**
 * FP6 E3M2: bias 3, max 28, subnormals, no Inf/NaN; code in bits 0–5, sign bit 5.
 *
 * @example
 * ```ts
 * import { FP6_E3M2 } from '@tessera/mx-formats';
 * FP6_E3M2.decode(0x1f); // → 28
 * ```
 */
export const FP6_E3M2: ElementCodec = makeCodec({
  name: 'fp6_e3m2',
  bits: 6,
  e: 3,
  m: 2,
  bias: 3,
  maxCode: 0x1f,
  hasInf: false,
  nanCodes: [],
});

/**
 * FP6 E2M3: bias 1, max 7.5, subnormals, no Inf/NaN.
 *
 * @example
 * ```ts
 * import { FP6_E2M3 } from '@tessera/mx-formats';
 * FP6_E2M3.encode(7.75); // → 0x1f (saturates to 7.5)
 * ```
 */
export const FP6_E2M3: ElementCodec = makeCodec({
  name: 'fp6_e2m3',
  bits: 6,
  e: 2,
  m: 3,
  bias: 1,
  maxCode: 0x1f,
  hasInf: false,
  nanCodes: [],
});

/**
 * FP4 E2M1: magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6; sign bit 3.
 *
 * @example
 * ```ts
 * import { FP4_E2M1 } from '@tessera/mx-formats';
 * FP4_E2M1.encode(-5); // → 0xe (−4: 5 is a tie between 4 and 6, RNE picks 4)
 * ```
 */
export const FP4_E2M1: ElementCodec = makeCodec({
  name: 'fp4_e2m1',
  bits: 4,
  e: 2,
  m: 1,
  bias: 1,
  maxCode: 0x7,
  hasInf: false,
  nanCodes: [],
});

/**
 * MX INT8: two's complement 1.6 fixed point, grid k/64 with |k| ≤ 127. 0x80 decodes to −2 but is never produced
 * (microxcaling README).
 *
 * @example
 * ```ts
 * import { INT8_MX } from '@tessera/mx-formats';
 * INT8_MX.encode(-1);   // → 0xc0
 * INT8_MX.decode(0x40); // → 1
 * ```
 */
export const INT8_MX: ElementCodec = makeCodec({
  name: 'int8',
  bits: 8,
  e: 0,
  m: 6,
  bias: 0,
  maxCode: 127,
  hasInf: false,
  nanCodes: [],
  int: true,
});

/**
 * Codec of each element format.
 *
 * @example
 * ```ts
 * import { ELEMENT_CODECS } from '@tessera/mx-formats';
 * ELEMENT_CODECS.fp8_e4m3.maxNormal;    // → 448
 * ELEMENT_CODECS.fp4_e2m1.decode(0x7); // → 6
 * ```
 */
export const ELEMENT_CODECS: Readonly<Record<ElementFormat, ElementCodec>> = Object.freeze({
  fp8_e4m3: FP8_E4M3,
  fp8_e5m2: FP8_E5M2,
  fp6_e3m2: FP6_E3M2,
  fp6_e2m3: FP6_E2M3,
  fp4_e2m1: FP4_E2M1,
  int8: INT8_MX,
});
