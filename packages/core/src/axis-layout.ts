// Moving one axis of a row-major tensor last and back. Block formats quantize along one axis in contiguous runs:
// OCP MX v1.0 (and torchao `prototype/mx_formats/mx_tensor.py`, which reshapes to (…, K/32, 32) after moving the
// blocked dimension last), NVFP4 and BDR all view a tensor as [outer, L, inner] around the blocked axis of length L
// and work on [outer, inner, L], where each of the outer·inner rows is one contiguous run of L values.
import { describe, TesseraError } from './errors.js';

/**
 * Geometry of a row-major tensor seen as `[outer, L, inner]` around one axis: `L` is the axis's length, `outer` the
 * product of the dimensions before it, `inner` the product of those after it. With the axis moved last the tensor is
 * `[outer, inner, L]`: `rows = outer·inner` contiguous runs of `L` values. `numel = outer·L·inner`.
 */
export interface AxisLayout {
  readonly outer: number;
  readonly L: number;
  readonly inner: number;
  readonly rows: number;
  readonly numel: number;
}

/**
 * The `[outer, L, inner]` geometry of `shape` around `axis` (negative counts from the end, as in tfjs and PyTorch).
 * Works for any shape, including ones without elements and huge axes (no element is touched).
 *
 * @throws TesseraError `INVALID_SHAPE` when `shape` is not an array of non-negative integers or is a scalar `[]`;
 * `INVALID_ARGUMENT` when `axis` is not an integer in `[-rank, rank − 1]`.
 * @example
 * ```ts
 * import { axisLayout, moveAxisBack, moveAxisLast } from '@tessera/core';
 * // a [2, 3, 2] tensor holding 0..11, blocked along axis 1
 * const g = axisLayout([2, 3, 2], 1); // → { outer: 2, L: 3, inner: 2, rows: 4, numel: 12 }
 * const x = Float32Array.from({ length: 12 }, (_, i) => i);
 * const rows = moveAxisLast(x, g); // [outer, inner, L]: each run of 3 is one column of a [3, 2] slice
 * Array.from(rows); // → [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11]
 * Array.from(moveAxisBack(rows, g)); // → [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
 * ```
 */
export function axisLayout(shape: readonly number[], axis: number): AxisLayout {
  const fn = 'axisLayout';
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
    throw new TesseraError('INVALID_SHAPE', fn, 'shape must be an array of non-negative integers', describe(shape));
  const rank = shape.length;
  if (rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'shape must have rank >= 1 (a scalar has no axis)', describe(shape));
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be an integer in [${-rank}, ${rank - 1}]`, describe(axis));
  const a = axis < 0 ? axis + rank : axis;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < a; i++) outer *= shape[i];
  for (let i = a + 1; i < rank; i++) inner *= shape[i];
  const L = shape[a];
  return { outer, L, inner, rows: outer * inner, numel: outer * L * inner };
}

/** Validates a move and returns where it writes: `src` itself when nothing moves and no `out` is given. */
function prepare(src: Float32Array, g: AxisLayout, out: Float32Array | undefined, fn: string): Float32Array {
  if (!(src instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'src must be a Float32Array', describe(src));
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const l = g as AxisLayout;
  if (
    typeof g !== 'object' ||
    g === null ||
    !ok(l.outer) ||
    !ok(l.L) ||
    !ok(l.inner) ||
    l.rows !== l.outer * l.inner ||
    l.numel !== l.outer * l.L * l.inner
  )
    throw new TesseraError('INVALID_ARGUMENT', fn, 'layout must be an AxisLayout (see axisLayout)', describe(g));
  if (src.length !== l.numel)
    throw new TesseraError('INVALID_SHAPE', fn, `src must hold layout.numel = ${l.numel} values`, `length ${src.length}`);
  const still = l.inner === 1 || l.L === 1; // [outer, L, inner] and [outer, inner, L] are the same memory order
  if (out === undefined) return still ? src : new Float32Array(l.numel);
  if (!(out instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'out must be a Float32Array', describe(out));
  if (out.length !== l.numel)
    throw new TesseraError('INVALID_SHAPE', fn, `out must hold layout.numel = ${l.numel} values`, `length ${out.length}`);
  if (still) {
    if (out !== src) out.set(src);
    return out;
  }
  if (out.buffer === src.buffer && out.byteOffset < src.byteOffset + src.byteLength && src.byteOffset < out.byteOffset + out.byteLength)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'out must not overlap src (the move is not in place)', `${out.length} values`);
  return out;
}

/** Transposes each of `batch` row-major [rows, cols] matrices of `src` into [cols, rows] in `dst`. */
function transposeEach(src: Float32Array, dst: Float32Array, batch: number, rows: number, cols: number): Float32Array {
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * size;
    for (let r = 0; r < rows; r++) {
      const s = base + r * cols;
      for (let c = 0; c < cols; c++) dst[base + c * rows + r] = src[s + c];
    }
  }
  return dst;
}

/** Nothing to loop over: the axis does not move (its run is already contiguous) or there are no elements. */
const nothingMoves = (g: AxisLayout) => g.inner === 1 || g.L === 1 || g.numel === 0;

/**
 * Moves the axis of a row-major `[outer, L, inner]` array last: `[outer, inner, L]`, so that each of the
 * `layout.rows` runs of `L` values is contiguous. When `inner` or `L` is 1 nothing moves: the result is `src` itself, or
 * a copy in `out` when one is given; otherwise a new array, or `out`.
 *
 * @throws TesseraError `INVALID_DTYPE` when `src` or `out` is not a Float32Array; `INVALID_ARGUMENT` for a layout
 * that is not one {@link axisLayout} returns, or an `out` that overlaps `src`; `INVALID_SHAPE` when a length is not
 * `layout.numel`.
 * @example
 * ```ts
 * import { axisLayout, moveAxisLast } from '@tessera/core';
 * // [2, 3] along axis 0: the columns become the rows
 * Array.from(moveAxisLast(new Float32Array([1, 2, 3, 4, 5, 6]), axisLayout([2, 3], 0))); // → [1, 4, 2, 5, 3, 6]
 * ```
 */
export function moveAxisLast(src: Float32Array, layout: AxisLayout, out?: Float32Array): Float32Array {
  const dst = prepare(src, layout, out, 'moveAxisLast');
  if (nothingMoves(layout)) return dst; // also when the other axes are huge but hold no elements
  return transposeEach(src, dst, layout.outer, layout.L, layout.inner);
}

/**
 * Inverse of {@link moveAxisLast}: `[outer, inner, L]` back to the row-major `[outer, L, inner]`. When `inner` or `L`
 * is 1 nothing moves: the result is `src` itself, or a copy in `out` when one is given.
 *
 * @throws TesseraError as {@link moveAxisLast}.
 * @example
 * ```ts
 * import { axisLayout, moveAxisBack } from '@tessera/core';
 * const out = new Float32Array(6);
 * moveAxisBack(new Float32Array([1, 4, 2, 5, 3, 6]), axisLayout([2, 3], 0), out);
 * Array.from(out); // → [1, 2, 3, 4, 5, 6]
 * ```
 */
export function moveAxisBack(src: Float32Array, layout: AxisLayout, out?: Float32Array): Float32Array {
  const dst = prepare(src, layout, out, 'moveAxisBack');
  if (nothingMoves(layout)) return dst;
  return transposeEach(src, dst, layout.outer, layout.inner, layout.L);
}
