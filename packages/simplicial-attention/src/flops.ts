// Valid-cell counts and FLOP counts of causal windowed attention (Roy et al. arXiv 2507.02754 §3; the FBGEMM
// convention of fbgemm_gpu/experimental/simplicial_attention/simplicial/utils.py::get_simplicial_tensor_core_tflops).
// Project convention: a multiply-add is 2 FLOPs.
import { checkInteger, checkOneOf, TesseraError } from '@tessera/core';

function checkW(v: unknown, fn: string, name: string): number {
  if (v === Number.POSITIVE_INFINITY) return v;
  return checkInteger(v, fn, name, { min: 1 });
}

/**
 * P2: the number of causal (query, key) pairs with a window of w, `Σ_{t=1..n} min(t, w)` (`n(n+1)/2` when w ≥ n).
 * Exact while the result stays below 2^53.
 *
 * @throws TesseraError `INVALID_ARGUMENT` unless n is an integer ≥ 0 and w a positive integer or Infinity.
 * @example
 * ```ts
 * import { validPairs } from '@tessera/simplicial-attention';
 * validPairs(4, 2); // → 7
 * validPairs(4, Infinity); // → 10
 * ```
 */
export function validPairs(n: number, w: number): number {
  const fn = 'validPairs';
  checkInteger(n, fn, 'n', { min: 0 });
  const c = Math.min(checkW(w, fn, 'w'), n);
  return (c * (c + 1)) / 2 + (n - c) * c;
}

/**
 * P3: the number of causal (query, j, k) triples of windowed 2-simplicial attention,
 * `Σ_{t=1..n} min(t, w1)·min(t, w2)`, in closed form. Symmetric in w1 and w2. Exact while below 2^53.
 *
 * @throws TesseraError `INVALID_ARGUMENT` unless n is an integer ≥ 0 and the windows positive integers or Infinity.
 * @example
 * ```ts
 * import { validTriples } from '@tessera/simplicial-attention';
 * validTriples(4096, 512, 32); // → 62917296
 * validTriples(3, Infinity, Infinity); // → 14
 * ```
 */
export function validTriples(n: number, w1: number, w2: number): number {
  const fn = 'validTriples';
  checkInteger(n, fn, 'n', { min: 0 });
  const a = Math.min(checkW(w1, fn, 'w1'), checkW(w2, fn, 'w2'), n);
  const b = Math.min(Math.max(w1, w2), n);
  // t ≤ a: t²; a < t ≤ b: a·t; t > b: a·b
  return (a * (a + 1) * (2 * a + 1)) / 6 + (a * (a + 1 + b) * (b - a)) / 2 + (n - b) * a * b;
}

/** Sizes for {@link attentionFlops}: batch, query heads, sequence, head dim and the windows. */
export interface AttentionFlopsShape {
  B: number;
  H: number;
  n: number;
  d: number;
  /** Dot-product window (default Infinity). */
  w?: number;
  /** Simplicial windows (defaults 512 and 32, as {@link simplicialAttention}). */
  w1?: number;
  w2?: number;
}

/** FLOP counts of one attention call (see {@link attentionFlops}). */
export interface AttentionFlops {
  /** Contraction FLOPs of the forward pass. */
  forward: number;
  /** Contraction FLOPs of the backward pass. */
  backward: number;
  /** Elementwise extras, reported apart (simplicial: `q⊙k1_j` and `v1_j ⊙ (…)` plus its accumulate, 3d per (i, j)). */
  elementwise: number;
}

/**
 * FLOPs of causal windowed attention in the project convention (multiply-add = 2), times `B·H`:
 * dot-product forward `4·d·P2`, backward `10·d·P2` (FlashAttention-2's 2.5× forward); 2-simplicial forward
 * `4·d·P3` (2d for the logit, 2d for the value contraction per triple), backward `14·d·P3` (seven triple
 * contractions: recomputed A, dS, dV1, dV2, dQ, dK1, dK2). Elementwise extras apart (0 for dot-product).
 *
 * @throws TesseraError `INVALID_ARGUMENT` for an unknown kind or a size that is not a positive integer.
 * @example
 * ```ts
 * import { attentionFlops } from '@tessera/simplicial-attention';
 * attentionFlops('dot', { B: 1, H: 1, n: 4, d: 2, w: 2 }).forward; // → 56
 * attentionFlops('simplicial', { B: 1, H: 1, n: 3, d: 1, w1: 3, w2: 3 }).backward; // → 196
 * ```
 */
export function attentionFlops(kind: 'dot' | 'simplicial', s: AttentionFlopsShape): AttentionFlops {
  const fn = 'attentionFlops';
  checkOneOf(kind, fn, 'kind', ['dot', 'simplicial'] as const);
  if (typeof s !== 'object' || s === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'shape must be an object', s);
  const B = checkInteger(s.B, fn, 'B', { min: 1 });
  const H = checkInteger(s.H, fn, 'H', { min: 1 });
  const n = checkInteger(s.n, fn, 'n', { min: 1 });
  const d = checkInteger(s.d, fn, 'd', { min: 1 });
  const bh = B * H;
  if (kind === 'dot') {
    const p2 = validPairs(n, s.w ?? Number.POSITIVE_INFINITY);
    return { forward: 4 * d * p2 * bh, backward: 10 * d * p2 * bh, elementwise: 0 };
  }
  const w1 = s.w1 ?? 512;
  const w2 = s.w2 ?? 32;
  const p3 = validTriples(n, w1, w2);
  return { forward: 4 * d * p3 * bh, backward: 14 * d * p3 * bh, elementwise: 3 * d * validPairs(n, w1) * bh };
}

/**
 * Tensor-core FLOPs of the forward pass in FBGEMM's convention (`get_simplicial_tensor_core_tflops`, in FLOPs rather
 * than TFLOPs), with the windows ordered so that w1 ≤ w2 as FBGEMM's forward does. Its boundary terms are
 * approximate; use it only to compare with published FBGEMM numbers.
 *
 * @throws TesseraError `INVALID_ARGUMENT` unless every argument is a positive integer.
 * @example
 * ```ts
 * import { fbgemmSimplicialFlops } from '@tessera/simplicial-attention';
 * fbgemmSimplicialFlops(1, 8, 1, 2, 16, 32); // → 1024 (n ≤ w1: d·n³)
 * ```
 */
export function fbgemmSimplicialFlops(bs: number, n: number, hq: number, d: number, w1: number, w2: number): number {
  const fn = 'fbgemmSimplicialFlops';
  for (const [name, v] of Object.entries({ bs, n, hq, d, w1, w2 })) checkInteger(v, fn, name, { min: 1 });
  const a = Math.min(w1, w2);
  const b = Math.max(w1, w2);
  let per: number;
  if (n <= a) per = d * n ** 3;
  else if (n <= b) per = 2 * d * a * (n - a) ** 2 + d * a ** 3;
  else per = 4 * d * a * b * (n - a - b) + d * a ** 3 + 2 * d * (b - a) * a * b;
  return bs * hq * per;
}
