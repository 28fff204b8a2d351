// Python numeric semantics the torchrec planner relies on, reproduced exactly.

const TWO53 = 2 ** 53;

/**
 * `math.ceil(n * p / q)` for non-negative integers as Python evaluates it: the product is an exact integer, the
 * true division rounds the exact quotient to the nearest double (ties to even), then `ceil`. A double product would
 * round when `n·p > 2⁵³` and come out a byte off in rare cases, so large products go through BigInt. @internal
 */
export function pyCeilMulDiv(n: number, p: number, q: number): number {
  const prod = n * p;
  if (prod <= TWO53) return Math.ceil(prod / q); // exact product; IEEE division is Python's int/int for these
  const N = BigInt(n) * BigInt(p);
  const Q = BigInt(q);
  const qi = N / Q;
  const r = N % Q;
  const base = Number(qi); // exact while qi < 2^53 (storage bytes always are)
  if (r === 0n) return base;
  if (qi === 0n) return 1;
  // The quotient lies in (qi, qi+1). Python rounds it to a double; ceil gives qi only if it rounds down to qi,
  // i.e. when the fraction r/Q is below half an ulp of qi (ties: to even mantissa).
  const k = qi.toString(2).length; // qi in [2^(k-1), 2^k)
  if (k >= 54) return base + 1; // unreachable for byte counts < 2^53
  const lhs = r << BigInt(54 - k); // r·2^(54−k) vs Q  ⇔  r/Q vs ulp/2 = 2^(k−54)
  if (lhs < Q) return base;
  if (lhs === Q) {
    // tie: round to even mantissa; for k < 53 qi's mantissa ends in 0 (even), for k = 53 the mantissa is qi itself
    const even = k < 53 ? true : (qi & 1n) === 0n;
    return even ? base : base + 1;
  }
  return base + 1;
}

/** Python's `round(x)` (round half to even). @internal */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
