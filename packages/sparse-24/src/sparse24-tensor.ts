import type { EncodedTensor } from '@tessera/core';
import { TesseraError } from '@tessera/core';
import { alloc, kernelBackend } from '@tessera/kernels';
import { CUTLASS_NIBBLE_OF_MASK, cutlassMetaOffsets, isValidNibble, metaKind } from './cutlass-meta.js';

/** Storage dtype of the kept values: float32, float16 (IEEE bit patterns in a `Uint16Array`) or int8. */
export type Sparse24Dtype = 'float32' | 'float16' | 'int8';

/** Compressed layouts: the documented tessera layout and CUTLASS's. */
export type Sparse24Layout = 'simple' | 'cutlass';

/** Typed array of each value dtype. */
export interface Sparse24ValueArrays {
  float32: Float32Array;
  float16: Uint16Array;
  int8: Int8Array;
}

/**
 * A 2:4-compressed `[m, k]` matrix (the sparse operand; groups of 4 run along `k`, the reduction axis). Host memory,
 * immutable by convention (kernels cache a decoded index form per object).
 *
 * - `values` (also exposed as `packed`, PyTorch's name): `[m, k/2]` kept values, two per group of 4 in ascending column order
 *   (float32 CUTLASS: one per pair of columns, see `layout`).
 * - `meta`:
 *   - `layout: 'simple'`: `Uint8Array` `[m, ⌈k/8⌉]`; byte (r, b) = `nib(r, 2b) | nib(r, 2b+1) << 4` with
 *     `nib = i0 | i1 << 2` (i0 < i1 the kept columns of the group). When k/4 is odd the last high nibble is 0.
 *   - `layout: 'cutlass'`: PyTorch's `meta` bit for bit: `Int16Array` (float16/float32 values, 4 nibbles per element)
 *     or `Int32Array` (int8 values, 8 nibbles per element), `[m, C]`, reordered for `ColumnMajorInterleaved<2>`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, type Sparse24Tensor } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 2, 0]]);
 * const s: Sparse24Tensor = compress24(x);
 * s.values; // Float32Array [1, 2]; s.meta: Uint8Array [8] (columns 0 and 2)
 * x.dispose();
 * ```
 */
export interface Sparse24Tensor extends EncodedTensor {
  readonly format: 'sparse24_simple' | 'sparse24_cutlass';
  readonly layout: Sparse24Layout;
  readonly dtype: Sparse24Dtype;
  /** Logical dense shape `[m, k]`. */
  readonly shape: readonly [number, number];
  readonly values: Float32Array | Uint16Array | Int8Array;
  /** The same array as `values`, under PyTorch's name (`SparseSemiStructuredTensor.packed`). */
  readonly packed: Float32Array | Uint16Array | Int8Array;
  readonly meta: Uint8Array | Int16Array | Int32Array;
  readonly metaShape: readonly [number, number];
  readonly byteLength: number;
}

/**
 * CUTLASS shape minimums per value dtype (PyTorch `semi_structured.py@01deafdb`): the sparse matrix's
 * rows and columns must each be ≥ and a multiple of these, so the result loads into
 * `SparseSemiStructuredTensorCUTLASS`.
 *
 * @example
 * ```ts
 * import { CUTLASS_MIN_SHAPE } from '@tessera/sparse-24';
 * CUTLASS_MIN_SHAPE.float16; // [32, 64]
 * ```
 */
export const CUTLASS_MIN_SHAPE: Readonly<Record<Sparse24Dtype, readonly [number, number]>> = Object.freeze({
  int8: [16, 128] as const,
  float16: [32, 64] as const,
  float32: [32, 32] as const,
});

/** Rows × cols of the meta array of a layout. */
export function metaShapeOf(layout: Sparse24Layout, dtype: Sparse24Dtype, m: number, k: number): [number, number] {
  if (layout === 'simple') return [m, Math.ceil(k / 8)];
  if (dtype === 'float32') return [m, k / 8];
  return [m, dtype === 'int8' ? k / 32 : k / 16];
}

/** Throws `INVALID_SHAPE` unless `[m, k]` is allowed for this layout and dtype. */
export function checkLayoutShape(fn: string, layout: Sparse24Layout, dtype: Sparse24Dtype, m: number, k: number): void {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(k) || m < 1 || k < 4) {
    throw new TesseraError('INVALID_SHAPE', fn, 'the matrix must be [m, k] with m >= 1 and k >= 4', `[${m}, ${k}]`);
  }
  if (k % 4 !== 0) {
    throw new TesseraError('INVALID_SHAPE', fn, 'k (the last dimension) must be a multiple of 4', `[${m}, ${k}]`, { rule: '1.1' });
  }
  if (layout === 'cutlass') {
    const [mr, mc] = CUTLASS_MIN_SHAPE[dtype];
    if (m % mr !== 0 || k % mc !== 0) {
      throw new TesseraError(
        'INVALID_SHAPE',
        fn,
        `the CUTLASS layout for ${dtype} needs rows a multiple of ${mr} and columns a multiple of ${mc}`,
        `[${m}, ${k}]`,
        { rule: '1.3.3' },
      );
    }
  }
}

const VALUE_CTOR = { float32: Float32Array, float16: Uint16Array, int8: Int8Array } as const;

/**
 * Checks every invariant of a {@link Sparse24Tensor}: layout, dtype, array types and lengths, shape rules, and that
 * every metadata nibble is a valid code (i0 < i1; for float32 CUTLASS only 4 or 14).
 *
 * @throws TesseraError `INVALID_FORMAT` naming the broken invariant.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, validateSparse24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 2, 0]]);
 * validateSparse24(compress24(x)); // passes
 * x.dispose();
 * ```
 */
export function validateSparse24(s: Sparse24Tensor, fn = 'validateSparse24'): void {
  const bad = (what: string, got?: unknown) => new TesseraError('INVALID_FORMAT', fn, what, got);
  if (typeof s !== 'object' || s === null) throw bad('s must be a Sparse24Tensor', s);
  if (s.layout !== 'simple' && s.layout !== 'cutlass') throw bad("layout must be 'simple' or 'cutlass'", s.layout);
  if (s.dtype !== 'float32' && s.dtype !== 'float16' && s.dtype !== 'int8') throw bad('dtype must be float32, float16 or int8', s.dtype);
  if (!Array.isArray(s.shape) || s.shape.length !== 2) throw bad('shape must be [m, k]', s.shape);
  const [m, k] = s.shape;
  try {
    checkLayoutShape(fn, s.layout, s.dtype, m, k);
  } catch (e) {
    throw bad((e as Error).message.replace(`${fn}: `, ''));
  }
  if (!(s.values instanceof VALUE_CTOR[s.dtype])) throw bad(`values must be a ${VALUE_CTOR[s.dtype].name}`, s.values);
  if (s.values.length !== (m * k) / 2) throw bad(`values must hold m*k/2 = ${(m * k) / 2} elements`, s.values.length);
  if (s.packed !== undefined && s.packed !== s.values) throw bad('packed must be the same array as values', s.packed);
  const [mr, mc] = metaShapeOf(s.layout, s.dtype, m, k);
  const MetaCtor = s.layout === 'simple' ? Uint8Array : metaKind(s.dtype) === 'int32' ? Int32Array : Int16Array;
  if (!(s.meta instanceof MetaCtor)) throw bad(`meta must be a ${MetaCtor.name}`, s.meta);
  if (s.meta.length !== mr * mc) throw bad(`meta must hold ${mr}*${mc} elements`, s.meta.length);
  if (!Array.isArray(s.metaShape) || s.metaShape.length !== 2 || s.metaShape[0] !== mr || s.metaShape[1] !== mc)
    throw bad(`metaShape must be [${mr}, ${mc}]`, s.metaShape);
  const nibs = groupNibbles(s);
  const f32c = s.layout === 'cutlass' && s.dtype === 'float32';
  for (let i = 0; i < nibs.length; i++) {
    const nib = nibs[i];
    if (f32c ? nib !== 4 && nib !== 14 : !isValidNibble(nib)) {
      throw bad(`metadata nibble of group ${i} must be ${f32c ? '4 or 14 (float32 is 1:2)' : 'a valid code (i0 < i1)'}`, nib);
    }
  }
  if (s.layout === 'simple' && (k / 4) % 2 === 1) {
    for (let r = 0; r < m; r++) if (s.meta[r * mc + mc - 1] >> 4 !== 0) throw bad('the unused high nibble of each row must be 0', r);
  }
}

/**
 * The nibble of every group, row-major `[m, groups]` (unreordered): groups of 4 columns, or for float32 CUTLASS
 * groups of 2 columns (pairs).
 */
export function groupNibbles(s: Sparse24Tensor): Uint8Array {
  const [m, k] = s.shape;
  if (s.layout === 'simple') {
    const gpr = k / 4;
    const bpr = Math.ceil(k / 8);
    const out = new Uint8Array(m * gpr);
    for (let r = 0; r < m; r++) {
      for (let g = 0; g < gpr; g++) {
        const byte = s.meta[r * bpr + (g >> 1)];
        out[r * gpr + g] = g & 1 ? (byte >> 4) & 15 : byte & 15;
      }
    }
    return out;
  }
  const kind = metaKind(s.dtype);
  const q = kind === 'int16' ? 4 : 8;
  const [, cols] = metaShapeOf('cutlass', s.dtype, m, k);
  const gpr = cols * q;
  const offsets = cutlassMetaOffsets(m, cols, kind);
  const out = new Uint8Array(m * gpr);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < cols; c++) {
      const word = s.meta[offsets[r * cols + c]];
      for (let t = 0; t < q; t++) out[r * gpr + c * q + t] = (word >>> (4 * t)) & 15;
    }
  }
  return out;
}

/** The decoded index form the kernels use: float32 values and absolute column indices, both `[m, k/2]`. */
export interface KernelForm {
  readonly values: Float32Array;
  readonly cols: Int32Array;
}

const KERNEL_CACHE = new WeakMap<Sparse24Tensor, KernelForm>();

/** Values as float32 (float16 bits decoded exactly, int8 widened). */
export function valuesAsFloat32(s: Sparse24Tensor): Float32Array {
  if (s.dtype === 'float32') return s.values as Float32Array;
  const out = new Float32Array(s.values.length);
  if (s.dtype === 'float16') {
    const u = new Uint32Array(out.buffer);
    const v = s.values as Uint16Array;
    for (let i = 0; i < v.length; i++) u[i] = f16ToF32Bits(v[i]);
  } else {
    out.set(s.values as Int8Array);
  }
  return out;
}

/** Exact float16 → float32 bit conversion (local, branch-light). */
export function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (e === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (e !== 0) return (sign | ((e + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  let ee = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    ee--;
  }
  return (sign | (ee << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** Decodes (once per object, cached) the kept values and their absolute columns. */
export function kernelForm(s: Sparse24Tensor): KernelForm {
  const hit = KERNEL_CACHE.get(s);
  if (hit) return hit;
  const [m, k] = s.shape;
  const nibs = groupNibbles(s);
  const cols = new Int32Array((m * k) / 2);
  if (s.layout === 'cutlass' && s.dtype === 'float32') {
    // One value per pair p: nibble 4 keeps column 2p, nibble 14 keeps 2p+1.
    const pairs = k / 2;
    for (let r = 0; r < m; r++) for (let p = 0; p < pairs; p++) cols[r * pairs + p] = 2 * p + (nibs[r * pairs + p] === 14 ? 1 : 0);
  } else {
    const gpr = k / 4;
    const half = k / 2;
    for (let r = 0; r < m; r++) {
      for (let g = 0; g < gpr; g++) {
        const nib = nibs[r * gpr + g];
        cols[r * half + 2 * g] = 4 * g + (nib & 3);
        cols[r * half + 2 * g + 1] = 4 * g + (nib >> 2);
      }
    }
  }
  const form = resident(valuesAsFloat32(s), cols, s);
  KERNEL_CACHE.set(s, form);
  return form;
}

/** Most bytes of kernel forms kept in kernel memory at once (beyond it they stay plain arrays, copied per call). */
const RESIDENT_MAX_BYTES = 2 ** 28;
/** Smallest kernel form worth a place in kernel memory (a copy of a smaller one costs little). */
const RESIDENT_MIN_BYTES = 2 ** 16;
let residentBytes = 0;
/** Frees the kernel-memory copy of a form once its tensor is collected. */
const RESIDENT_FREE = new FinalizationRegistry<{ free(): void; bytes: number }>((h) => {
  h.free();
  residentBytes -= h.bytes;
});

/**
 * The form in kernel memory (`@tessera/kernels`' `alloc`), so every later product reads it in place instead of
 * copying m·k float32 and int32 per call: a tensor entry point copies once. Freed when `owner` is collected; plain
 * arrays when small, under the JavaScript kernels, or past the resident budget.
 */
function resident(values: Float32Array, cols: Int32Array, owner: Sparse24Tensor): KernelForm {
  const bytes = values.byteLength + cols.byteLength;
  if (kernelBackend() !== 'wasm' || bytes < RESIDENT_MIN_BYTES || residentBytes + bytes > RESIDENT_MAX_BYTES) return { values, cols };
  const v = alloc(Float32Array, values.length);
  const c = alloc(Int32Array, cols.length);
  v.array.set(values);
  c.array.set(cols);
  residentBytes += bytes;
  RESIDENT_FREE.register(owner, {
    bytes,
    free() {
      v.free();
      c.free();
    },
  });
  // views re-derived on each use: kernel memory may have grown since
  return {
    get values() {
      return v.array;
    },
    get cols() {
      return c.array;
    },
  };
}

/** Re-export for the compressor. */
export { CUTLASS_NIBBLE_OF_MASK };
