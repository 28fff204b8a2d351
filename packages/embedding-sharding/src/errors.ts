import { TesseraError, type TesseraErrorCode, type TesseraErrorDetails } from '@tessera/core';

/** Throws a {@link TesseraError}. @internal */
export function fail(code: TesseraErrorCode, fn: string, what: string, got?: unknown, details?: TesseraErrorDetails): never {
  throw new TesseraError(code, fn, what, got, details);
}

/** Checks a finite number ≥ min. @internal */
export function checkNumber(v: unknown, fn: string, name: string, min = 0, max = Number.POSITIVE_INFINITY): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail('INVALID_ARGUMENT', fn, `${name} must be a finite number in [${min}, ${max}]`, v);
  }
  return v;
}

/** Checks an integer in [min, max]. @internal */
export function checkInt(v: unknown, fn: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail('INVALID_ARGUMENT', fn, `${name} must be an integer in [${min}, ${max}]`, v);
  }
  return v;
}
