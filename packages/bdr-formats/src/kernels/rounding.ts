// Rounding names shared with @tessera/mx-formats (its `Rounding` type): the issue's names and the spec's aliases.
import { TesseraError } from '@tessera/core';
import type { Rounding } from '@tessera/mx-formats';

/** Canonical rounding after resolving aliases. @internal */
export type CanonicalRounding = 'even' | 'nearest' | 'floor' | 'stochastic';

const ALIASES: Record<string, CanonicalRounding> = {
  rne: 'even',
  even: 'even',
  'ties-away': 'nearest',
  nearest: 'nearest',
  truncate: 'floor',
  floor: 'floor',
  stochastic: 'stochastic',
};

/** Every accepted rounding name. @internal */
export const ROUNDING_NAMES = Object.freeze(Object.keys(ALIASES)) as readonly Rounding[];

/** Resolves and validates a rounding name. @internal */
export function canonicalRounding(r: unknown, fn: string): CanonicalRounding {
  if (typeof r === 'string' && Object.hasOwn(ALIASES, r)) return ALIASES[r];
  throw new TesseraError('INVALID_ARGUMENT', fn, `rounding must be one of ${ROUNDING_NAMES.map((n) => `'${n}'`).join(', ')}`, r);
}
