import { TesseraError, type TesseraErrorCode } from '@tessera/core';

/** Throws a {@link TesseraError} (`fn: what, got X`). Internal helper. */
export function fail(code: TesseraErrorCode, fn: string, what: string, got?: unknown, extra: Record<string, unknown> = {}): never {
  throw new TesseraError(code, fn, what, got, extra);
}
