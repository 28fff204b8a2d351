import { TesseraError, type TesseraErrorCode } from '@tessera/core';

/**
 * Throws a {@link TesseraError} carrying the rule id (J1–J5, K1–K10, I1–I4, see the README) in `details.rule`.
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
