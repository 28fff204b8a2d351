// The sliding-window test shared by the naive attention oracles (2-simplicial and dot-product): key j is visible
// from query i when it lies in a window of w positions, trailing (causal) or centred. Roy et al. arXiv 2507.02754
// Section 5 (local windows w1 and w2); `w = Infinity` is an unbounded window.

/**
 * Whether key `j` is in the window `w` of query `i`: `j ≤ i` and `j > i − w` when `causal`, else `|i − j| < w`.
 * `w = Infinity` admits every key (every earlier key when causal).
 *
 * @example
 * ```ts
 * import { inAttentionWindow } from '@tessera/testing';
 * inAttentionWindow(5, 3, 3, true); // → true
 * inAttentionWindow(5, 2, 3, true); // → false
 * inAttentionWindow(5, 7, 3, false); // → true
 * inAttentionWindow(5, 6, Infinity, true); // → false
 * ```
 */
export function inAttentionWindow(i: number, j: number, w: number, causal: boolean): boolean {
  return causal ? j <= i && j > i - w : Math.abs(i - j) < w;
}

/** Sizes of an attention problem in the [B, n, H, d] layout: q has `Hq` heads, the keys and values `Hkv` (GQA). */
export interface NaiveAttentionDims {
  B: number;
  n: number;
  Hq: number;
  Hkv: number;
  d: number;
}
