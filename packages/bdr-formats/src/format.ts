import { describe, TesseraError } from '@tessera/core';

/**
 * A Block Data Representation (Rouhani et al., "With Shared Microexponents, A Little Shifting Goes a Long Way",
 * arXiv:2302.08007, §III): five integers and a display name.
 *
 * - `k1`: level-1 block size, sharing one `d1`-bit power-of-two exponent E (stored with bias 2^(d1−1) − 1).
 * - `k2`: sub-block size (k1 % k2 = 0), sharing a `d2`-bit microexponent s, a downward shift of E (d2 = 0: plain BFP).
 * - `m`: element magnitude bits; elements are sign-magnitude integers |q| ≤ 2^m − 1 with no implicit leading 1.
 *
 * Cost: (m + 1) + d1/k1 + d2/k2 bits per element ({@link bitsPerElement}).
 *
 * @example
 * ```ts
 * import { type BDRFormat, bdrFormat } from '@tessera/bdr-formats';
 * const f: BDRFormat = bdrFormat({ k1: 32, d1: 8, k2: 2, d2: 1, m: 4 }); // MX6 with level-1 blocks of 32
 * ```
 */
export interface BDRFormat {
  readonly name: string;
  readonly k1: number;
  readonly d1: number;
  readonly k2: number;
  readonly d2: number;
  readonly m: number;
}

/** Upper bound on k1 (one block's scratch is allocated per call). */
export const MAX_K1 = 65_536;
/** Upper bound on m: q·2^p must stay exact in float32 (24-bit significand). */
export const MAX_M = 23;
/** Upper bound on d2 (a shift of up to 15 binades). */
export const MAX_D2 = 4;
/** Upper bound on d1 (exponents are stored one per byte). */
export const MAX_D1 = 8;

function int(v: unknown, fn: string, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be an integer in [${min}, ${max}]`, describe(v));
  if (v < min || v > max) throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be in [${min}, ${max}]`, v);
  return v;
}

/** The default name of a format: `BFP(k=16,m=7,d1=8)` or `BDR(k1=16,d1=8,k2=2,d2=1,m=7)`. */
function defaultName(k1: number, d1: number, k2: number, d2: number, m: number): string {
  return d2 === 0 ? `BFP(k=${k1},m=${m},d1=${d1})` : `BDR(k1=${k1},d1=${d1},k2=${k2},d2=${d2},m=${m})`;
}

/**
 * Validates BDR parameters and returns a frozen {@link BDRFormat}.
 *
 * Bounds: k1 in [1, 65536], d1 in [1, 8], k2 in [1, k1] dividing k1, d2 in [0, 4], m in [1, 23]. With d2 = 0, k2 has
 * no effect on the values or the cost.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for a non-integer or out-of-range parameter, k2 not dividing k1, or a name
 * that is not a non-empty string.
 * @example
 * ```ts
 * import { bdrFormat, bitsPerElement } from '@tessera/bdr-formats';
 * const f = bdrFormat({ k1: 16, d1: 8, k2: 4, d2: 1, m: 7 });
 * f.name;             // → 'BDR(k1=16,d1=8,k2=4,d2=1,m=7)'
 * bitsPerElement(f);  // → 8.75
 * ```
 */
export function bdrFormat(p: Omit<BDRFormat, 'name'> & { readonly name?: string }): BDRFormat {
  const fn = 'bdrFormat';
  if (typeof p !== 'object' || p === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'parameters must be an object', describe(p));
  const k1 = int(p.k1, fn, 'k1', 1, MAX_K1);
  const d1 = int(p.d1, fn, 'd1', 1, MAX_D1);
  const k2 = int(p.k2, fn, 'k2', 1, k1);
  const d2 = int(p.d2, fn, 'd2', 0, MAX_D2);
  const m = int(p.m, fn, 'm', 1, MAX_M);
  if (k1 % k2 !== 0) throw new TesseraError('INVALID_ARGUMENT', fn, `k2 must divide k1 = ${k1}`, k2);
  if (p.name !== undefined && (typeof p.name !== 'string' || p.name.length === 0))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'name must be a non-empty string', describe(p.name));
  return Object.freeze({ name: p.name ?? defaultName(k1, d1, k2, d2, m), k1, d1, k2, d2, m });
}

/**
 * A single-level block floating-point format (d2 = 0, k2 = k): k elements share one d1-bit exponent, each element a
 * sign plus m magnitude bits. MSFP (Darvish Rouhani et al., NeurIPS 2020) and QPyTorch's BFP are of this kind.
 *
 * @throws TesseraError `INVALID_ARGUMENT` as {@link bdrFormat}.
 * @example
 * ```ts
 * import { bfp, bitsPerElement } from '@tessera/bdr-formats';
 * bitsPerElement(bfp(16, 7)); // → 8.5
 * ```
 */
export function bfp(k: number, m: number, d1 = 8): BDRFormat {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_K1)
    throw new TesseraError('INVALID_ARGUMENT', 'bfp', `k must be an integer in [1, ${MAX_K1}]`, describe(k));
  return bdrFormat({ k1: k, d1, k2: k, d2: 0, m });
}

/** Validates that `f` is a well-formed BDRFormat (any object with valid fields). @internal */
export function checkFormat(f: unknown, fn: string): BDRFormat {
  if (typeof f !== 'object' || f === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'format must be a BDRFormat', describe(f));
  const g = f as BDRFormat;
  try {
    return bdrFormat({ k1: g.k1, d1: g.d1, k2: g.k2, d2: g.d2, m: g.m, name: g.name });
  } catch (e) {
    if (e instanceof TesseraError) throw new TesseraError('INVALID_ARGUMENT', fn, `format is invalid (${e.message})`);
    throw e;
  }
}

/**
 * Storage cost in bits per element: (m + 1) + d1/k1 + d2/k2 ([BDR] §III).
 *
 * @throws TesseraError `INVALID_ARGUMENT` when `f` is not a valid format.
 * @example
 * ```ts
 * import { BDR_MX6, bitsPerElement } from '@tessera/bdr-formats';
 * bitsPerElement(BDR_MX6); // → 6
 * ```
 */
export function bitsPerElement(f: BDRFormat): number {
  const g = checkFormat(f, 'bitsPerElement');
  return g.m + 1 + g.d1 / g.k1 + (g.d2 === 0 ? 0 : g.d2 / g.k2);
}

/**
 * MX9 of [BDR] (shared microexponents, not OCP MX): k1 = 16, d1 = 8, k2 = 2, d2 = 1, m = 7; 9 bits/element. AMD's
 * AI Engine documentation calls this "bfp16".
 *
 * @example
 * ```ts
 * import { BDR_MX9 } from '@tessera/bdr-formats';
 * [BDR_MX9.k1, BDR_MX9.k2, BDR_MX9.m]; // → [16, 2, 7]
 * ```
 */
export const BDR_MX9: BDRFormat = bdrFormat({ name: 'BDR_MX9', k1: 16, d1: 8, k2: 2, d2: 1, m: 7 });
/**
 * MX6 of [BDR]: k1 = 16, d1 = 8, k2 = 2, d2 = 1, m = 4; 6 bits/element (AMD AIE "bfp13 prime").
 *
 * @example
 * ```ts
 * import { BDR_MX6, bitsPerElement } from '@tessera/bdr-formats';
 * bitsPerElement(BDR_MX6); // → 6
 * ```
 */
export const BDR_MX6: BDRFormat = bdrFormat({ name: 'BDR_MX6', k1: 16, d1: 8, k2: 2, d2: 1, m: 4 });
/**
 * MX4 of [BDR]: k1 = 16, d1 = 8, k2 = 2, d2 = 1, m = 2; 4 bits/element (AMD AIE "bfp11 prime").
 *
 * @example
 * ```ts
 * import { BDR_MX4, bitsPerElement } from '@tessera/bdr-formats';
 * bitsPerElement(BDR_MX4); // → 4
 * ```
 */
export const BDR_MX4: BDRFormat = bdrFormat({ name: 'BDR_MX4', k1: 16, d1: 8, k2: 2, d2: 1, m: 2 });
/**
 * MSFP12-like BFP: block 16, 8-bit shared exponent, sign + 3 magnitude bits; 4.5 bits/element. The block size 16
 * follows the BDR paper's comparison; the MSFP paper's own block size is not checked here.
 *
 * @example
 * ```ts
 * import { MSFP12, bitsPerElement } from '@tessera/bdr-formats';
 * bitsPerElement(MSFP12); // → 4.5
 * ```
 */
export const MSFP12: BDRFormat = bdrFormat({ name: 'MSFP12', k1: 16, d1: 8, k2: 16, d2: 0, m: 3 });
/**
 * MSFP16-like BFP: block 16, 8-bit shared exponent, sign + 7 magnitude bits; 8.5 bits/element.
 *
 * @example
 * ```ts
 * import { MSFP16, bitsPerElement } from '@tessera/bdr-formats';
 * bitsPerElement(MSFP16); // → 8.5
 * ```
 */
export const MSFP16: BDRFormat = bdrFormat({ name: 'MSFP16', k1: 16, d1: 8, k2: 16, d2: 0, m: 7 });
/**
 * AMD Quark's `bfp16` (block 8, scale 2^(⌊log2 amax⌋ − 6), sign + 7 bits): k1 = 8, d1 = 8, d2 = 0, m = 7; 9
 * bits/element. Not MX9, despite the AIE naming.
 *
 * @example
 * ```ts
 * import { QUARK_BFP16, bitsPerElement } from '@tessera/bdr-formats';
 * bitsPerElement(QUARK_BFP16); // → 9
 * ```
 */
export const QUARK_BFP16: BDRFormat = bdrFormat({ name: 'QUARK_BFP16', k1: 8, d1: 8, k2: 8, d2: 0, m: 7 });
