import { sqnrDb } from '@tessera/core';

type Floats = ArrayLike<number>;

function toF32(a: Floats): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

function sameBits(x: number, y: number, ux: number, uy: number, nanEqual: boolean): boolean {
  if (nanEqual && Number.isNaN(x) && Number.isNaN(y)) return true;
  return ux === uy;
}

/**
 * Index of the first element whose float32 bit patterns differ, or -1. With `nanEqual` (default) any NaN matches
 * any NaN; +0 and −0 always differ.
 *
 * @example
 * ```ts
 * import { firstBitMismatch } from '@tessera/testing';
 * firstBitMismatch([1, 0], [1, -0]); // → 1
 * ```
 */
export function firstBitMismatch(actual: Floats, expected: Floats, o: { nanEqual?: boolean } = {}): number {
  const nanEqual = o.nanEqual ?? true;
  const a = toF32(actual);
  const b = toF32(expected);
  const n = Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < n; i++) if (!sameBits(a[i], b[i], ua[i], ub[i], nanEqual)) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * Throws unless the two arrays are bit-identical as float32 (NaN matches NaN unless `nanEqual: false`).
 *
 * @example
 * ```ts
 * import { expectBitsEqual } from '@tessera/testing';
 * expectBitsEqual(new Float32Array([1, NaN]), [1, NaN]);
 * ```
 */
export function expectBitsEqual(actual: Floats, expected: Floats, o: { nanEqual?: boolean; label?: string } = {}): void {
  const i = firstBitMismatch(actual, expected, o);
  if (i < 0) return;
  const label = o.label ? `${o.label}: ` : '';
  if (actual.length !== expected.length) throw new Error(`${label}length ${actual.length} vs expected ${expected.length}`);
  const a = Math.fround(actual[i]);
  const b = Math.fround(expected[i]);
  throw new Error(`${label}bit mismatch at index ${i}: got ${Object.is(a, -0) ? '-0' : a} expected ${Object.is(b, -0) ? '-0' : b}`);
}

/** Maps a float32 to an integer so that adjacent floats differ by 1 (−0 and +0 both map to 0). */
function ordinal(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  return u & 0x80000000 ? -(u & 0x7fffffff) : u;
}

/**
 * Distance in float32 units in the last place between two values (0 when equal, including +0 vs −0; Infinity
 * when exactly one is NaN; 0 when both are NaN).
 *
 * @example
 * ```ts
 * import { ulpDistance } from '@tessera/testing';
 * ulpDistance(1, 1 + 2 ** -23); // → 1
 * ```
 */
export function ulpDistance(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na && nb ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(ordinal(a) - ordinal(b));
}

/**
 * Largest {@link ulpDistance} over two equally long arrays.
 *
 * @example
 * ```ts
 * import { maxUlpDistance } from '@tessera/testing';
 * maxUlpDistance([1, 2], [1, 2]); // → 0
 * ```
 */
export function maxUlpDistance(actual: Floats, expected: Floats): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < actual.length; i++) m = Math.max(m, ulpDistance(actual[i], expected[i]));
  return m;
}

/**
 * Throws unless every element is within `maxUlp` float32 ulps of the expected one.
 *
 * @example
 * ```ts
 * import { expectUlpClose } from '@tessera/testing';
 * expectUlpClose([1 + 2 ** -23], [1], 1);
 * ```
 */
export function expectUlpClose(actual: Floats, expected: Floats, maxUlp: number, o: { label?: string } = {}): void {
  if (actual.length !== expected.length) throw new Error(`${o.label ?? 'expectUlpClose'}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const d = ulpDistance(actual[i], expected[i]);
    if (d > maxUlp)
      throw new Error(`${o.label ?? 'expectUlpClose'}: index ${i}: got ${actual[i]} expected ${expected[i]} (${d} ulp > ${maxUlp})`);
  }
}

/**
 * Throws unless `sqnrDb(ref, approx) >= minDb`.
 *
 * @example
 * ```ts
 * import { expectSqnrAtLeast } from '@tessera/testing';
 * expectSqnrAtLeast([1, 2, 3], [1, 2, 3.001], 40);
 * ```
 */
export function expectSqnrAtLeast(ref: Floats, approx: Floats, minDb: number, o: { label?: string } = {}): number {
  const db = sqnrDb(ref, approx);
  if (!(db >= minDb)) throw new Error(`${o.label ?? 'expectSqnrAtLeast'}: SQNR ${db.toFixed(2)} dB < ${minDb} dB`);
  return db;
}
