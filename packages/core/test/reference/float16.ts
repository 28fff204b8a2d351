// Naive float16 rounding, written from IEEE 754 binary16 directly in float64 arithmetic (slow on purpose):
// find the binade, take the quantum there, round x / quantum to the nearest integer with ties to even.

/** Rounds a float32 value to the nearest float16 value (ties to even), returned as a number (may be ±Infinity). */
export function roundToFloat16(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a === Number.POSITIVE_INFINITY) return x;
  // The tie between 65504 (the largest finite value) and the next (unrepresentable) grid value 65536 rounds to even → Inf.
  if (a >= 65520) return Math.sign(x) * Number.POSITIVE_INFINITY;
  let e = -14; // subnormals share the quantum of the lowest binade
  while (e < 15 && 2 ** (e + 1) <= a) e++;
  const q = 2 ** (e - 10);
  const n = a / q; // exact in float64
  let r = Math.floor(n);
  const frac = n - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r += 1;
  const v = r * q;
  return x < 0 || Object.is(x, -0) ? -v : v;
}

/** Decodes float16 bits from the field definitions. */
export function decodeFloat16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Rounds a float32 value to the nearest bfloat16 value (ties to even) using float64 arithmetic. */
export function roundToBfloat16(x: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  if (a === 0) return x;
  let e = -126;
  while (e < 127 && 2 ** (e + 1) <= a) e++;
  const q = 2 ** (e - 7);
  const n = a / q;
  let r = Math.floor(n);
  const frac = n - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r += 1;
  const v = r * q;
  const out = v > 3.3895313892515355e38 ? Number.POSITIVE_INFINITY : v;
  return x < 0 ? -out : out;
}

/** floor(log2 |x|) by walking powers of two in float64 (exact). */
export function floorLog2Reference(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(a)) return Number.NaN;
  if (a === 0) return Number.NEGATIVE_INFINITY;
  if (a === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  let k = 0;
  while (2 ** k > a) k--;
  while (2 ** (k + 1) <= a) k++;
  return k;
}
