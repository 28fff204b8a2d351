import { TesseraError, type TesseraErrorCode } from '@tessera/core';

/**
 * Throws a {@link TesseraError} carrying the spec rule id (jagged-sharding.md §2–§4) in `details.rule`.
 * Internal helper: every message reads `fn: what, got X [rule]`.
 */
export function fail(
  code: TesseraErrorCode,
  fn: string,
  what: string,
  got?: unknown,
  rule?: string,
  extra: Record<string, unknown> = {},
): never {
  throw new TesseraError(code, fn, what, got, rule ? { rule, ...extra } : extra);
}
