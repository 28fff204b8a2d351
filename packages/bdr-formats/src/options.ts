import { checkInteger, checkOneOf, describe, TesseraError } from '@tessera/core';
import type { RandomSource, Rounding } from '@tessera/mx-formats';
import { type CanonicalRounding, canonicalRounding } from './kernels/rounding.js';

/**
 * Options of {@link quantizeBDR}, {@link fakeQuantizeBDR} and {@link bdrQuantizer}.
 *
 * - `axis` (default −1): the blocked axis; blocks of k1 run along it and never straddle rows.
 * - `rounding` (default `'rne'`): `'rne'`/`'even'` (half to even, Quark's `torch.round`), `'ties-away'`/`'nearest'`,
 *   `'truncate'`/`'floor'` (toward zero), `'stochastic'` (⌊|y| + u⌋ with u from `random`).
 * - `random`: a U[0, 1) source, required iff `rounding` is `'stochastic'`.
 * - `clamp` (default `'field'`): `'field'` bounds |q| by 2^m − 1; `'quark'` reproduces AMD Quark's bound
 *   (2^(E+1) − 2^p)/2^p, which lets a shifted sub-block reach 2^m (fake quantization only: 2^m cannot be packed).
 * - `padding` (default `'zero'`): `'zero'` pads a short last block with zeros; `'error'` throws instead.
 *
 * @example
 * ```ts
 * import { type BDROptions, BDR_MX6, quantizeBDRArray } from '@tessera/bdr-formats';
 * const o: BDROptions = { axis: 0, rounding: 'ties-away', padding: 'error' };
 * quantizeBDRArray(new Float32Array(32), [16, 2], BDR_MX6, o).axis; // → 0
 * ```
 */
export interface BDROptions {
  readonly axis?: number;
  readonly rounding?: Rounding;
  readonly random?: RandomSource;
  readonly clamp?: 'field' | 'quark';
  readonly padding?: 'zero' | 'error';
}

/** Validated options. @internal */
export interface ResolvedBDROptions {
  axis: number;
  rounding: CanonicalRounding;
  random: RandomSource | undefined;
  clamp: 'field' | 'quark';
  padding: 'zero' | 'error';
}

/** Validates options against a tensor of the given rank. @internal */
export function resolveBDROptions(o: unknown, rank: number, fn: string): ResolvedBDROptions {
  if (o !== undefined && (typeof o !== 'object' || o === null))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', describe(o));
  const opts = (o ?? {}) as BDROptions;
  if (rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  const rawAxis = checkInteger(opts.axis ?? -1, fn, 'axis');
  if (rawAxis < -rank || rawAxis >= rank)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be in [${-rank}, ${rank - 1}] for rank ${rank}`, rawAxis);
  const rounding = canonicalRounding(opts.rounding ?? 'rne', fn);
  if (rounding === 'stochastic' && typeof opts.random !== 'function')
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      "rounding 'stochastic' needs a random source () => number in [0, 1)",
      describe(opts.random),
    );
  const clamp = checkOneOf(opts.clamp ?? 'field', fn, 'clamp', ['field', 'quark'] as const);
  const padding = checkOneOf(opts.padding ?? 'zero', fn, 'padding', ['zero', 'error'] as const);
  return { axis: rawAxis < 0 ? rawAxis + rank : rawAxis, rounding, random: opts.random, clamp, padding };
}
