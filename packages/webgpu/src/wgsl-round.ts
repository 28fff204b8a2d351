// Rounding a float32 magnitude onto a grid of step 2^p directly on its bits, shared by the vectorised MX kernel and
// the BDR kernels. The float32 bit pattern of a non-negative number is its significand shifted into place with the
// exponent above it, so adding half a step (minus one, plus the kept lowest bit for ties to even) and clearing the
// bits below the step rounds the value, and a carry out of the significand moves into the exponent field exactly as
// the value moves into the next binade (the classic bit-level rounding; Goldberg 1991 §2.1; the same integer rule
// as @tessera/mx-formats `src/kernels/mx-rows.ts` `encodeFP8`). FP32 subnormals (exponent field 0, no implicit bit)
// are integers in units of 2^-149 and round the same way. No float arithmetic touches the data, so a GPU that
// flushes subnormals still gives the host kernels' bits.

/** Canonical rounding modes the WGSL kernels implement. @internal */
export type WGSLRounding = 'even' | 'nearest' | 'floor';

/**
 * WGSL of `tsPow2Bits(p)` (the float32 bits of 2^p, p in [−149, 128]; 128 gives +Inf) and `tsRoundGrid(a, p)`:
 * the magnitude bits `a` (finite, sign clear) rounded to a multiple of 2^p (p ≥ −149) with the rounding mode —
 * ties to even, ties away from zero, or toward zero. A value that rounds past the largest finite float32 gives
 * +Inf's bits. @internal
 */
export function wgslRoundGrid(rounding: WGSLRounding): string {
  const inBits =
    rounding === 'even'
      ? // the lowest kept bit; at r = 23 it is a normal's implicit leading one (bit 23 of a is the exponent's)
        'let lsb = select((a >> u32(r)) & 1u, 1u, r == 23 && ef != 0);\n    return (a + (mask >> 1u) + lsb) & ~mask;'
      : rounding === 'nearest'
        ? 'return (a + (1u << u32(r - 1))) & ~mask;'
        : 'return a & ~mask;';
  // r = 24 for a normal a: a lies in [2^(p−1), 2^p), i.e. at or above half a step
  const half =
    rounding === 'even'
      ? 'if ((a & 0x7fffffu) != 0u) { return tsPow2Bits(p); }\n    return 0u;'
      : rounding === 'nearest'
        ? 'return tsPow2Bits(p);'
        : 'return 0u;';
  return `
fn tsPow2Bits(p : i32) -> u32 {
  if (p >= -126) { return u32(p + 127) << 23u; }
  return 1u << u32(p + 149);
}
fn tsRoundGrid(a : u32, p : i32) -> u32 {
  let ef = i32(a >> 23u);
  // bits of a below the step: the lowest bit of a weighs 2^(max(ef, 1) − 150)
  let r = p + 150 - max(ef, 1);
  if (r <= 0) { return a; }
  if (r <= 23) {
    let mask = (1u << u32(r)) - 1u;
    ${inBits}
  }
  if (r == 24 && ef != 0) {
    ${half}
  }
  return 0u;
}
`;
}

/** Invocations per workgroup of the vectorised programs (MX and BDR fake quantization). @internal */
export const VEC_WG = 64;

/**
 * WGSL that reduces the per-invocation maximum `tm` over the k/4 invocations of each block into `amax`
 * (workgroup memory, one barrier; blocks never straddle a workgroup because k/4 divides {@link VEC_WG}). @internal
 */
export function wgslBlockMax(k: number): string {
  const T = k / 4;
  if (T === 1) return 'let amax = tm;';
  return `tsRed[lid] = tm;
  workgroupBarrier();
  let base = lid - lid % ${T};
  var amax = 0u;
  for (var j = 0; j < ${T}; j++) { amax = max(amax, tsRed[base + j]); }`;
}

/** Whether a block size suits the vectorised programs: whole vec4s per block, a power-of-two number of them ≤ 64. @internal */
export function vecBlockOK(k: number, L: number): boolean {
  return k % 4 === 0 && L % k === 0 && VEC_WG % (k / 4) === 0;
}
