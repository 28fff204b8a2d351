import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkOptions, describe, float32ToFloat16Bits, TesseraError } from '@tessera/core';
import { CUTLASS_NIBBLE_OF_MASK, cutlassMetaOffsets, metaKind } from './cutlass-meta.js';
import { hostValues, READ_ASYNC_ALTERNATIVE } from './host-values.js';
import { mask24HostUnchecked } from './mask.js';
import {
  checkLayoutShape,
  groupNibbles,
  metaShapeOf,
  type Sparse24Dtype,
  type Sparse24Layout,
  type Sparse24Tensor,
  type Sparse24ValueArrays,
  validateSparse24,
} from './sparse24-tensor.js';

/** A dense host matrix in one of the value dtypes (float16 as IEEE bit patterns), row-major. */
export type DenseMatrix = {
  [D in Sparse24Dtype]: { dtype: D; shape: readonly [number, number]; data: Sparse24ValueArrays[D] };
}[Sparse24Dtype];

/**
 * What to do with groups holding more than 2 non-zeros (float32 CUTLASS: pairs holding 2):
 * - `'none'` (default): throw, `compress24` is an encoder for data that already is 2:4;
 * - `'magnitude'` / `'value'`: keep the top 2 per group (top 1 per pair for float32 CUTLASS) by |x| / x, as
 *   {@link mask24}, then encode;
 * - `'position'`: PyTorch's CUTLASS converter behaviour: the code is computed from the non-zero flags and values not
 *   at (i0, i1) are dropped by position, not by magnitude.
 */
export type Sparse24Prune = 'none' | 'magnitude' | 'value' | 'position';

/** Options of {@link compress24}. */
export interface Compress24Options {
  /** `'simple'` (default) or `'cutlass'` (PyTorch/CUTLASS bit-exact). */
  layout?: Sparse24Layout;
  /**
   * Storage dtype when `x` is a tf tensor: `'float16'` (rounded to nearest even first, as `.half()`; the non-zero
   * test then applies to the float16 values; the default for float32 tensors with `layout: 'cutlass'`, since tfjs
   * has no float16 dtype), `'float32'` (the default for float32 tensors with `layout: 'simple'`; with `'cutlass'`
   * it selects PyTorch's 1:2 float32 layout) or `'int8'` (default for int32 tensors, which must hold values in
   * [−128, 127]). Ignored for a {@link DenseMatrix}, whose dtype is its own.
   */
  dtype?: Sparse24Dtype;
  /** Handling of groups that are not 2:4; default `'none'` (throw). */
  prune?: Sparse24Prune;
}

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

function toDenseMatrix(fn: string, x: tf.Tensor | DenseMatrix, dtypeOpt: Sparse24Dtype | undefined, layout: Sparse24Layout): DenseMatrix {
  if (isTensor(x)) {
    if (x.isDisposed) throw new TesseraError('INVALID_ARGUMENT', fn, 'x must not be disposed', 'a disposed tensor');
    if (x.rank !== 2) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank 2', `shape [${x.shape.join(', ')}]`);
    const shape: readonly [number, number] = [x.shape[0], x.shape[1] as number];
    if (x.dtype === 'float32') {
      // tfjs has no float16 dtype, so fp16 data arrives as float32 tensors. 2:4 CUTLASS is an fp16/bf16/int8
      // format (float32 CUTLASS is PyTorch's 1:2 tf32 layout), so 'cutlass' defaults to float16 storage.
      const dtype = dtypeOpt ?? (layout === 'cutlass' ? 'float16' : 'float32');
      const f = hostValues(x, fn, "'x'", READ_ASYNC_ALTERNATIVE) as Float32Array;
      if (dtype === 'float32') return { dtype, shape, data: Float32Array.from(f) };
      if (dtype === 'float16') return { dtype, shape, data: float32ToFloat16Bits(f) };
      throw new TesseraError('INVALID_DTYPE', fn, 'int8 storage needs an int32 tensor of values in [-128, 127]', 'float32');
    }
    if (x.dtype === 'int32') {
      if (dtypeOpt !== undefined && dtypeOpt !== 'int8') {
        throw new TesseraError('INVALID_DTYPE', fn, `${dtypeOpt} storage needs a float32 tensor`, 'int32');
      }
      const d = hostValues(x, fn, "'x'", READ_ASYNC_ALTERNATIVE) as Int32Array;
      const out = new Int8Array(d.length);
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (v < -128 || v > 127) throw new TesseraError('INVALID_ARGUMENT', fn, 'int8 values must lie in [-128, 127]', v);
        out[i] = v;
      }
      return { dtype: 'int8', shape, data: out };
    }
    throw new TesseraError('INVALID_DTYPE', fn, 'x must be float32 or int32', x.dtype);
  }
  const dm = x as DenseMatrix;
  if (typeof dm !== 'object' || dm === null || !('data' in dm) || !('shape' in dm)) {
    throw new TesseraError('INVALID_ARGUMENT', fn, 'x must be a tf.Tensor or a { dtype, shape, data } matrix', describe(x));
  }
  // only own string keys: a hostile dtype (a 5,000-level array, 'constructor') must not reach a property lookup
  const ctors = { float32: Float32Array, float16: Uint16Array, int8: Int8Array };
  const Ctor = typeof dm.dtype === 'string' && Object.hasOwn(ctors, dm.dtype) ? ctors[dm.dtype] : undefined;
  if (!Ctor) throw new TesseraError('INVALID_DTYPE', fn, 'x.dtype must be float32, float16 or int8', dm.dtype);
  if (!(dm.data instanceof Ctor)) throw new TesseraError('INVALID_DTYPE', fn, `${dm.dtype} data must be a ${Ctor.name}`, describe(dm.data));
  if (!Array.isArray(dm.shape) || dm.shape.length !== 2 || dm.shape[0] * dm.shape[1] !== dm.data.length) {
    throw new TesseraError('INVALID_SHAPE', fn, 'x.shape must be [m, k] with m*k = data.length', describe(dm.shape));
  }
  return dm;
}

/** Non-zero test on the storage bits: float16 ±0 are 0x0000/0x8000. */
function nonZeroFlags(x: DenseMatrix): Uint8Array {
  const n = x.data.length;
  const out = new Uint8Array(n);
  if (x.dtype === 'float16') {
    const d = x.data;
    for (let i = 0; i < n; i++) out[i] = (d[i] & 0x7fff) !== 0 ? 1 : 0;
  } else {
    const d = x.data;
    for (let i = 0; i < n; i++) out[i] = d[i] !== 0 ? 1 : 0; // NaN counts as non-zero, −0 as zero
  }
  return out;
}

/** The ranking keys of a matrix as float64 values (float16 decoded). */
function asNumbers(x: DenseMatrix): ArrayLike<number> {
  if (x.dtype !== 'float16') return x.data;
  const out = new Float32Array(x.data.length);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) {
    const h = x.data[i];
    const e = (h >> 10) & 0x1f;
    const s = (h & 0x8000) << 16;
    const mant = h & 0x3ff;
    if (e === 31) u[i] = (s | 0x7f800000 | (mant << 13)) >>> 0;
    else if (e !== 0) u[i] = (s | ((e + 112) << 23) | (mant << 13)) >>> 0;
    else out[i] = (s ? -1 : 1) * mant * 2 ** -24;
  }
  return out;
}

/** Applies pruning: returns the non-zero flags to encode (a copy where pruning zeroed entries). */
function selectFlags(fn: string, x: DenseMatrix, layout: Sparse24Layout, prune: Sparse24Prune): Uint8Array {
  const flags = nonZeroFlags(x);
  const [m, k] = x.shape;
  const f32c = layout === 'cutlass' && x.dtype === 'float32';
  if (prune === 'position') return flags;
  if (prune === 'magnitude' || prune === 'value') {
    const keys = asNumbers(x);
    if (f32c) {
      // 1:2 per pair: keep the larger key (lower index on ties), then only if it is non-zero.
      for (let i = 0; i < flags.length; i += 2) {
        let a = keys[i];
        let b = keys[i + 1];
        if (prune === 'magnitude') {
          a = Math.abs(a);
          b = Math.abs(b);
        }
        if (!(a >= Number.NEGATIVE_INFINITY)) a = Number.NEGATIVE_INFINITY;
        if (!(b >= Number.NEGATIVE_INFINITY)) b = Number.NEGATIVE_INFINITY;
        if (b > a) flags[i] = 0;
        else flags[i + 1] = 0;
      }
      return flags;
    }
    const keep = mask24HostUnchecked(keys, prune, new Uint8Array(flags.length));
    for (let i = 0; i < flags.length; i++) flags[i] &= keep[i];
    return flags;
  }
  // 'none': the input must already be 2:4 (1:2 per pair for float32 CUTLASS).
  const step = f32c ? 2 : 4;
  for (let i = 0; i < flags.length; i += step) {
    const n = f32c ? flags[i] + flags[i + 1] : flags[i] + flags[i + 1] + flags[i + 2] + flags[i + 3];
    if (n > (f32c ? 1 : 2)) {
      const r = Math.floor(i / k);
      const c = i % k;
      throw new TesseraError(
        'INVALID_ARGUMENT',
        fn,
        f32c
          ? "float32 CUTLASS storage is 1:2: every pair of columns must hold at most 1 non-zero (for 2:4 data use dtype: 'float16', PyTorch's half layout, or pass prune)"
          : 'x must be 2:4 sparse along its last axis: at most 2 non-zeros per aligned group of 4 (or pass prune)',
        `${n} non-zeros at row ${r}, columns ${c}..${c + step - 1}`,
        { rule: f32c ? '1.1' : '1.3.2' },
      );
    }
  }
  void m;
  return flags;
}

/** Simple-layout nibble of a group from its non-zero flags: the kept columns, filled with the smallest unused ones. */
const SIMPLE_NIBBLE_OF_MASK: Uint8Array = (() => {
  const t = new Uint8Array(16);
  for (let mask = 0; mask < 16; mask++) {
    const idx: number[] = [];
    for (let i = 0; i < 4 && idx.length < 2; i++) if ((mask >> i) & 1) idx.push(i);
    for (let i = 0; i < 4 && idx.length < 2; i++) if (!idx.includes(i)) idx.push(i);
    idx.sort((a, b) => a - b);
    t[mask] = idx[0] | (idx[1] << 2);
  }
  return t;
})();

/**
 * Compresses a 2:4-sparse `[m, k]` matrix (groups of 4 along `k`) into a {@link Sparse24Tensor}.
 *
 * - `layout: 'simple'` (default): any `m ≥ 1`, `k % 4 == 0`. A group with fewer than 2 non-zeros keeps its
 *   non-zeros plus the smallest unused columns.
 * - `layout: 'cutlass'`: PyTorch's `to_sparse_semi_structured` CUTLASS `packed` / `meta` bit for bit:
 *   4-bit codes from the non-zero flags (degenerate groups as PyTorch's current encoding), int16 meta words for
 *   float16/float32 values, int32 for int8, reordered for `ColumnMajorInterleaved<2>`. Shapes: rows/cols multiples
 *   of 32/64 (float16), 32/32 (float32, stored 1:2: one non-zero per pair of columns), 16/128 (int8).
 *
 * The non-zero test is `x != 0` on the stored dtype: −0 counts as zero and NaN as non-zero.
 *
 * @param x - a float32 / int32 tf tensor (not disposed), or a {@link DenseMatrix} (float16 as bit patterns)
 * @throws TesseraError `INVALID_ARGUMENT` (bad option, not 2:4 with `prune: 'none'`, int8 out of range),
 * `INVALID_DTYPE`, `INVALID_SHAPE` (rank, k % 4, CUTLASS shape rules).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, decompress24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 0, 2, 0, 3, 4, 0]]);
 * const s = compress24(x);             // values [1, 2, 3, 4], meta [0xd9 ... ] (codes 12 and 9)
 * const y = decompress24(s);           // equals x
 * tf.dispose([x, y]);
 * ```
 */
export function compress24(x: tf.Tensor | DenseMatrix, options: Compress24Options = {}): Sparse24Tensor {
  const fn = 'compress24';
  checkOptions(options, fn);
  const layout = checkOneOf(options.layout ?? 'simple', fn, 'options.layout', ['simple', 'cutlass'] as const);
  const prune = checkOneOf(options.prune ?? 'none', fn, 'options.prune', ['none', 'magnitude', 'value', 'position'] as const);
  if (options.dtype !== undefined) checkOneOf(options.dtype, fn, 'options.dtype', ['float32', 'float16', 'int8'] as const);
  const dm = toDenseMatrix(fn, x, options.dtype, layout);
  const [m, k] = dm.shape;
  checkLayoutShape(fn, layout, dm.dtype, m, k);
  const flags = selectFlags(fn, dm, layout, prune);
  return layout === 'simple' ? encodeSimple(dm, flags) : encodeCutlass(dm, flags);
}

function newValues(dtype: Sparse24Dtype, n: number): Float32Array | Uint16Array | Int8Array {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'float16' ? new Uint16Array(n) : new Int8Array(n);
}

function byteLengthOf(values: ArrayBufferView, meta: ArrayBufferView): number {
  return values.byteLength + meta.byteLength;
}

function encodeSimple(x: DenseMatrix, flags: Uint8Array): Sparse24Tensor {
  const [m, k] = x.shape;
  const gpr = k / 4;
  const bpr = Math.ceil(k / 8);
  const values = newValues(x.dtype, (m * k) / 2);
  const meta = new Uint8Array(m * bpr);
  const src = x.data;
  for (let r = 0; r < m; r++) {
    for (let g = 0; g < gpr; g++) {
      const base = r * k + 4 * g;
      const mask = flags[base] | (flags[base + 1] << 1) | (flags[base + 2] << 2) | (flags[base + 3] << 3);
      const nib = SIMPLE_NIBBLE_OF_MASK[mask];
      const i0 = nib & 3;
      const i1 = nib >> 2;
      const out = r * (k / 2) + 2 * g;
      // Values at selected columns that pruning dropped become 0; kept ones are copied bit for bit.
      values[out] = kept(src, flags, base + i0, x.dtype);
      values[out + 1] = kept(src, flags, base + i1, x.dtype);
      meta[r * bpr + (g >> 1)] |= g & 1 ? nib << 4 : nib;
    }
  }
  const [mr, mc] = metaShapeOf('simple', x.dtype, m, k);
  return Object.freeze({
    format: 'sparse24_simple',
    layout: 'simple',
    dtype: x.dtype,
    shape: Object.freeze([m, k]) as readonly [number, number],
    values,
    packed: values,
    meta,
    metaShape: Object.freeze([mr, mc]) as readonly [number, number],
    byteLength: byteLengthOf(values, meta),
  });
}

function encodeCutlass(x: DenseMatrix, flags: Uint8Array): Sparse24Tensor {
  const [m, k] = x.shape;
  const kind = metaKind(x.dtype);
  const q = kind === 'int16' ? 4 : 8;
  const f32 = x.dtype === 'float32';
  const [, cols] = metaShapeOf('cutlass', x.dtype, m, k);
  const gpr = f32 ? k / 2 : k / 4; // groups (of 4 values, or of 2 float32 = 4 halves) per row
  const values = newValues(x.dtype, (m * k) / 2);
  const unordered = kind === 'int16' ? new Int16Array(m * cols) : new Int32Array(m * cols);
  const src = x.data;
  const half = k / 2;
  for (let r = 0; r < m; r++) {
    for (let g = 0; g < gpr; g++) {
      let nib: number;
      if (f32) {
        // float32 is viewed as pairs of halves: m0 = m1 = (x[2g] != 0), m2 = m3 = (x[2g+1] != 0).
        const a = flags[r * k + 2 * g];
        const b = flags[r * k + 2 * g + 1];
        nib = CUTLASS_NIBBLE_OF_MASK[a | (a << 1) | (b << 2) | (b << 3)];
        const col = 2 * g + ((nib & 3) >> 1);
        values[r * half + g] = kept(src, flags, r * k + col, x.dtype);
      } else {
        const base = r * k + 4 * g;
        nib = CUTLASS_NIBBLE_OF_MASK[flags[base] | (flags[base + 1] << 1) | (flags[base + 2] << 2) | (flags[base + 3] << 3)];
        const i0 = nib & 3;
        const i1 = nib >> 2;
        // Gathered by position (PyTorch); a value that pruning removed is stored as 0.
        values[r * half + 2 * g] = kept(src, flags, base + i0, x.dtype);
        values[r * half + 2 * g + 1] = kept(src, flags, base + i1, x.dtype);
      }
      const c = Math.floor(g / q);
      unordered[r * cols + c] |= nib << (4 * (g % q));
    }
  }
  const offsets = cutlassMetaOffsets(m, cols, kind);
  const meta = kind === 'int16' ? new Int16Array(m * cols) : new Int32Array(m * cols);
  for (let i = 0; i < offsets.length; i++) meta[offsets[i]] = unordered[i];
  return Object.freeze({
    format: 'sparse24_cutlass',
    layout: 'cutlass',
    dtype: x.dtype,
    shape: Object.freeze([m, k]) as readonly [number, number],
    values,
    packed: values,
    meta,
    metaShape: Object.freeze([m, cols]) as readonly [number, number],
    byteLength: byteLengthOf(values, meta),
  });
}

/**
 * The value stored for a selected position: copied bit for bit (as PyTorch's gather does, so a −0 stays −0) unless
 * pruning cleared a non-zero there, which is stored as +0.
 */
function kept(src: DenseMatrix['data'], flags: Uint8Array, i: number, dtype: Sparse24Dtype): number {
  if (flags[i]) return src[i];
  const nonZero = dtype === 'float16' ? (src[i] & 0x7fff) !== 0 : src[i] !== 0;
  return nonZero ? 0 : src[i];
}

/**
 * Expands a {@link Sparse24Tensor} back to a dense host matrix in its storage dtype (float16 as bit patterns);
 * positions that are not stored hold +0.
 *
 * @throws TesseraError `INVALID_FORMAT` when `s` breaks an invariant.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, decompress24Raw } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 0, 2]]);
 * decompress24Raw(compress24(x)).data; // Float32Array [1, 0, 0, 2]
 * x.dispose();
 * ```
 */
export function decompress24Raw(s: Sparse24Tensor): DenseMatrix {
  validateSparse24(s, 'decompress24Raw');
  const [m, k] = s.shape;
  const nibs = groupNibbles(s);
  const out = newValues(s.dtype, m * k);
  const half = k / 2;
  if (s.layout === 'cutlass' && s.dtype === 'float32') {
    for (let r = 0; r < m; r++) {
      for (let p = 0; p < half; p++) out[r * k + 2 * p + (nibs[r * half + p] === 14 ? 1 : 0)] = s.values[r * half + p];
    }
  } else {
    const gpr = k / 4;
    for (let r = 0; r < m; r++) {
      for (let g = 0; g < gpr; g++) {
        const nib = nibs[r * gpr + g];
        out[r * k + 4 * g + (nib & 3)] = s.values[r * half + 2 * g];
        out[r * k + 4 * g + (nib >> 2)] = s.values[r * half + 2 * g + 1];
      }
    }
  }
  return { dtype: s.dtype, shape: [m, k], data: out } as DenseMatrix;
}

/**
 * Expands a {@link Sparse24Tensor} to a dense tf tensor `[m, k]`: float32 for float32/float16 values (float16 decoded
 * exactly), int32 for int8 values. The caller owns the result.
 *
 * @throws TesseraError `INVALID_FORMAT` when `s` breaks an invariant.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, decompress24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[0, 5, 0, -1]]);
 * const y = decompress24(compress24(x, { layout: 'simple' }));
 * tf.dispose([x, y]);
 * ```
 */
export function decompress24(s: Sparse24Tensor): tf.Tensor {
  const raw = decompress24Raw(s);
  const shape = [raw.shape[0], raw.shape[1]];
  if (raw.dtype === 'int8') return tf.tensor(Int32Array.from(raw.data), shape, 'int32');
  if (raw.dtype === 'float16') return tf.tensor(asNumbers(raw) as Float32Array, shape, 'float32');
  return tf.tensor(raw.data, shape, 'float32');
}
