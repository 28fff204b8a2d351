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
    // describe() is bounded and never throws, so an error about any value (cyclic, 5,000 levels deep, a Proxy with
    // throwing traps) can always be built.
    const tail = got === undefined ? '' : `, got ${describe(got)}`;
    const rule = details && details.rule !== undefined ? ` [${describe(details.rule)}]` : '';
    const f = typeof fn === 'string' ? fn : describe(fn);
    super(`${f}: ${typeof what === 'string' ? what : describe(what)}${tail}${rule}`);
    this.name = 'TesseraError';
    this.code = code;
    this.fn = f;
    this.details = typeof details === 'object' && details !== null ? details : {};
  }
}

/** Longest text {@link describe} returns (longer descriptions end in `...`). */
export const DESCRIBE_MAX_LENGTH = 200;
/** Nesting levels {@link describe} prints; deeper arrays and objects read `[…]` / `{…}`. */
export const DESCRIBE_MAX_DEPTH = 3;
/** Items of an array (or keys of an object) {@link describe} prints before `… (n items)`. */
const DESCRIBE_MAX_ITEMS = 8;

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function ctorName(v: object): string | undefined {
  const c = (v as { constructor?: { name?: unknown } }).constructor;
  return typeof c === 'function' && typeof c.name === 'string' ? c.name : undefined;
}

// Each level prints at most DESCRIBE_MAX_ITEMS children and stops at DESCRIBE_MAX_DEPTH, so the work is bounded
// by 8^3 visits whatever the value (deep, cyclic, huge or sparse).
function describeAt(v: unknown, depth: number, nested: boolean): string {
  switch (typeof v) {
    case 'string':
      return nested ? JSON.stringify(clip(v, 40)) : clip(v, DESCRIBE_MAX_LENGTH);
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'symbol':
      return clip(v.toString(), 60);
    case 'undefined':
      return 'undefined';
    case 'function':
      return `function ${clip(typeof v.name === 'string' ? v.name : '', 40)}`.trimEnd();
  }
  if (v === null) return 'null';
  const o = v as object;
  if (Array.isArray(o)) {
    if (depth >= DESCRIBE_MAX_DEPTH) return o.length === 0 ? '[]' : `[… (${o.length} items)]`;
    const n = Math.min(o.length, DESCRIBE_MAX_ITEMS);
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(describeAt(o[i], depth + 1, true));
    return `[${items.join(', ')}${o.length > DESCRIBE_MAX_ITEMS ? `, … (${o.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(o)) {
    const n = (o as unknown as { length?: unknown }).length;
    return `${ctorName(o) ?? 'ArrayBufferView'}(${typeof n === 'number' ? n : o.byteLength})`;
  }
  const ctor = ctorName(o);
  if (ctor && ctor !== 'Object') return clip(ctor, 60);
  if (depth >= DESCRIBE_MAX_DEPTH) return '{…}';
  const parts: string[] = [];
  let more = false;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    if (parts.length === DESCRIBE_MAX_ITEMS) {
      more = true;
      break;
    }
    const x = (o as Record<string, unknown>)[k];
    // JSON.stringify drops undefined, functions and symbols; so does this (short and familiar output).
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    parts.push(`${JSON.stringify(clip(k, 40))}:${describeAt(x, depth + 1, true)}`);
  }
  return `{${parts.join(',')}${more ? ',…' : ''}}`;
}

/**
 * Short printable description of a received value for error messages. It is bounded whatever the value: at most
 * {@link DESCRIBE_MAX_DEPTH} levels, 8 items per level and {@link DESCRIBE_MAX_LENGTH} characters; it never throws
 * (cyclic values, BigInt, Symbols, throwing getters and Proxies included), so a {@link TesseraError} can always be
 * built from the offending value.
 *
 * @example
 * ```ts
 * import { describe } from '@tessera/core';
 * describe([1, 2, 3]);          // → '[1, 2, 3]'
 * describe(new Int32Array(10)); // → 'Int32Array(10)'
 * ```
 */
export function describe(v: unknown): string {
  try {
    return clip(describeAt(v, 0, false), DESCRIBE_MAX_LENGTH);
  } catch {
    // a throwing getter or Proxy trap: say what kind of value it was, nothing more
    return v === null ? 'null' : typeof v;
  }
}
