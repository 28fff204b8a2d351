// The 2-simplicial logit of Clift et al. (ICLR 2020, arXiv 1909.00668, §2): the unsigned scalar triple product.
import { TesseraError } from '@tessera/core';

/**
 * Clift et al.'s unsigned scalar triple product `⟨a, b, c⟩ = ‖(a·b)c − (a·c)b + (b·c)a‖` (no 1/√d scaling). It is 0
 * for pairwise-orthogonal inputs, `‖a‖‖b‖‖c‖` for linearly dependent ones and symmetric in a, b, c. Roy et al.'s
 * trilinear form (used by {@link simplicialAttention}) replaces it; this is here for comparison and tests.
 *
 * @throws TesseraError `INVALID_SHAPE` when the lengths differ, `INVALID_ARGUMENT` for non-array inputs.
 * @example
 * ```ts
 * import { cliftTripleProduct } from '@tessera/simplicial-attention';
 * cliftTripleProduct(new Float64Array([1, 0]), new Float64Array([2, 0]), new Float64Array([3, 0])); // → 6
 * cliftTripleProduct(new Float64Array([1, 0, 0]), new Float64Array([0, 1, 0]), new Float64Array([0, 0, 1])); // → 0
 * ```
 */
export function cliftTripleProduct(a: Float64Array, b: Float64Array, c: Float64Array): number {
  const fn = 'cliftTripleProduct';
  for (const [name, v] of Object.entries({ a, b, c }) as [string, unknown][]) {
    if (!(v instanceof Float64Array) && !(v instanceof Float32Array)) {
      throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a Float64Array`, v);
    }
  }
  if (a.length !== b.length || a.length !== c.length) {
    throw new TesseraError('INVALID_SHAPE', fn, 'a, b and c must have the same length', [a.length, b.length, c.length]);
  }
  let ab = 0;
  let ac = 0;
  let bc = 0;
  for (let l = 0; l < a.length; l++) {
    ab += a[l] * b[l];
    ac += a[l] * c[l];
    bc += b[l] * c[l];
  }
  let s = 0;
  for (let l = 0; l < a.length; l++) {
    const x = ab * c[l] - ac * b[l] + bc * a[l];
    s += x * x;
  }
  return Math.sqrt(s);
}
