/**
 * Stable error codes carried by every {@link TesseraError}. Codes are part of the public API: match on
 * `err.code`, never on the message text.
 *
 * - `INVALID_ARGUMENT` — an option or scalar argument is out of its domain (e.g. `blockSize` not positive).
 * - `INVALID_DTYPE` — a tensor or typed array has the wrong dtype (e.g. int32 where float32 is required).
 * - `INVALID_SHAPE` — a tensor has the wrong rank or dimensions, or two shapes disagree.
 * - `INVALID_FORMAT` — an encoded object (MXTensor, KJT, Sparse24Tensor …) breaks one of its invariants.
 * - `INVALID_KEY` — an unknown, missing or duplicated key (feature name, table name, tensor name).
 * - `INDEX_OUT_OF_RANGE` — an id or index outside its table or batch (torchrec `BoundsCheckMode.FATAL`).
 * - `UNSUPPORTED` — a valid request this implementation deliberately does not serve.
 * - `CORRUPT_DATA` — bytes read from outside (safetensors, packed formats) are truncated or inconsistent.
 * - `BACKEND_UNAVAILABLE` — a requested tfjs backend cannot be loaded.
 * - `PLANNER_PARTITION`, `PLANNER_INSUFFICIENT_STORAGE`, `PLANNER_STRICT_CONSTRAINTS`, `INVALID_PLAN` —
 *   sharding-planner failures (torchrec `PlannerError` kinds).
 */
export type TesseraErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_DTYPE'
  | 'INVALID_SHAPE'
  | 'INVALID_FORMAT'
  | 'INVALID_KEY'
  | 'INDEX_OUT_OF_RANGE'
  | 'UNSUPPORTED'
  | 'CORRUPT_DATA'
  | 'BACKEND_UNAVAILABLE'
  | 'PLANNER_PARTITION'
  | 'PLANNER_INSUFFICIENT_STORAGE'
  | 'PLANNER_STRICT_CONSTRAINTS'
  | 'INVALID_PLAN';

/**
 * Every code, in declaration order; handy for exhaustive tests.
 *
 * @example
 * ```ts
 * import { TESSERA_ERROR_CODES } from '@tessera/core';
 * TESSERA_ERROR_CODES.includes('CORRUPT_DATA'); // → true
 * ```
 */
export const TESSERA_ERROR_CODES: readonly TesseraErrorCode[] = Object.freeze([
  'INVALID_ARGUMENT',
  'INVALID_DTYPE',
  'INVALID_SHAPE',
  'INVALID_FORMAT',
  'INVALID_KEY',
  'INDEX_OUT_OF_RANGE',
  'UNSUPPORTED',
  'CORRUPT_DATA',
  'BACKEND_UNAVAILABLE',
  'PLANNER_PARTITION',
  'PLANNER_INSUFFICIENT_STORAGE',
  'PLANNER_STRICT_CONSTRAINTS',
  'INVALID_PLAN',
]);

/** Optional structured context attached to a {@link TesseraError}. */
export interface TesseraErrorDetails {
  /** Identifier of the violated rule when a spec numbers its rules (e.g. `'K6'`, `'J3'`). */
  rule?: string;
  /** Anything else worth keeping for programmatic handling (indices, offending value …). */
  [key: string]: unknown;
}

/**
 * The one error class of tessera. The message always reads `fn: what is wrong, got what`
 * (architecture rule 2), so a log line alone tells which call failed and why.
 *
 * @example
 * ```ts
 * import { TesseraError } from '@tessera/core';
 * try {
 *   throw new TesseraError('INVALID_DTYPE', 'quantizeMX', 'x must be float32', 'int32');
 * } catch (e) {
 *   if (e instanceof TesseraError && e.code === 'INVALID_DTYPE') console.log(e.message);
 *   // → "quantizeMX: x must be float32, got int32"
 * }
 * ```
 */
export class TesseraError extends Error {
  /** Stable machine-readable code. */
  readonly code: TesseraErrorCode;
  /** Name of the public function that rejected the input. */
  readonly fn: string;
  /** Structured context (rule id, indices …); empty object when none. */
  readonly details: TesseraErrorDetails;

  /**
   * @param code - stable error code
   * @param fn - the public function raising the error (first word of the message)
   * @param what - what is wrong, phrased as the rule (`x must be float32`)
   * @param got - optional description of what was received; appended as `, got …`
   * @param details - optional structured context
   */
  constructor(code: TesseraErrorCode, fn: string, what: string, got?: unknown, details: TesseraErrorDetails = {}) {
    const tail = got === undefined ? '' : `, got ${describe(got)}`;
    const rule = details.rule ? ` [${details.rule}]` : '';
    super(`${fn}: ${what}${tail}${rule}`);
    this.name = 'TesseraError';
    this.code = code;
    this.fn = fn;
    this.details = details;
  }
}

/**
 * Short printable description of a received value for error messages (arrays and typed arrays are abbreviated).
 *
 * @example
 * ```ts
 * import { describe } from '@tessera/core';
 * describe([1, 2, 3]);          // → '[1, 2, 3]'
 * describe(new Int32Array(10)); // → 'Int32Array(10)'
 * ```
 */
export function describe(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) {
    const items = v.slice(0, 8).map((x) => (Array.isArray(x) ? `[${describe(x)}]` : describe(x)));
    return `[${items.join(', ')}${v.length > 8 ? `, … (${v.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(v)) {
    const ctor = (v as object).constructor.name;
    const n = (v as unknown as { length?: number }).length ?? (v as ArrayBufferView).byteLength;
    return `${ctor}(${n})`;
  }
  if (typeof v === 'object') {
    const ctor = (v as object).constructor?.name;
    if (ctor && ctor !== 'Object') return ctor;
    try {
      const s = JSON.stringify(v);
      return s.length > 120 ? `${s.slice(0, 117)}...` : s;
    } catch {
      return 'object';
    }
  }
  return typeof v;
}
