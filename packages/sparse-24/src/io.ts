import {
  checkOptions,
  describe,
  parseSafetensors,
  type RawTensor,
  type SafetensorsContents,
  serializeSafetensors,
  TesseraError,
} from '@tessera/core';
import type { Sparse24Dtype, Sparse24Layout, Sparse24Tensor } from './sparse24-tensor.js';
import { metaShapeOf, validateSparse24 } from './sparse24-tensor.js';

const VALUE_DTYPE = { float32: 'F32', float16: 'F16', int8: 'I8' } as const;

function prefixOf(options: unknown, fn: string): string {
  const p = checkOptions<Sparse24SafetensorsOptions>(options, fn).prefix ?? '';
  if (typeof p !== 'string') throw new TesseraError('INVALID_ARGUMENT', fn, 'options.prefix must be a string', describe(p));
  return p;
}

/** Options of {@link sparse24ToSafetensors} / {@link saveSparse24}. */
export interface Sparse24SafetensorsOptions {
  /** Name prefix, e.g. `'linear.weight.'` gives `linear.weight.packed` / `linear.weight.meta`; default `''`. */
  prefix?: string;
}

/**
 * safetensors tensors for a {@link Sparse24Tensor}, named as PyTorch's `SparseSemiStructuredTensor` fields:
 * `packed` (`[m, k/2]`, F32 / F16 / I8) and `meta` (CUTLASS: I16 or I32 `[m, C]`, exactly `As.meta`; simple layout:
 * U8 `[m, ⌈k/8⌉]`). `__metadata__` records `format`, `layout`, `dtype` and `shape` (`"m,k"`).
 *
 * @throws TesseraError `INVALID_FORMAT` when `s` breaks an invariant.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, sparse24ToSafetensors } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 2, 0]]);
 * sparse24ToSafetensors(compress24(x)).tensors.packed.shape; // [1, 2]
 * x.dispose();
 * ```
 */
export function sparse24ToSafetensors(s: Sparse24Tensor, options: Sparse24SafetensorsOptions = {}): SafetensorsContents<RawTensor> {
  validateSparse24(s, 'sparse24ToSafetensors');
  const p = prefixOf(options, 'sparse24ToSafetensors');
  const [m, k] = s.shape;
  const packed = { dtype: VALUE_DTYPE[s.dtype], shape: [m, k / 2], data: s.values } as RawTensor;
  const metaDtype = s.layout === 'simple' ? 'U8' : s.meta instanceof Int32Array ? 'I32' : 'I16';
  const meta = { dtype: metaDtype, shape: [...s.metaShape], data: s.meta } as RawTensor;
  return {
    tensors: { [`${p}packed`]: packed, [`${p}meta`]: meta },
    metadata: { format: s.format, layout: s.layout, dtype: s.dtype, shape: `${m},${k}` },
  };
}

/**
 * Rebuilds a {@link Sparse24Tensor} from safetensors contents written by {@link sparse24ToSafetensors} (or by a
 * PyTorch user saving `As.packed` / `As.meta` with the same `__metadata__`). The layout is read from the metadata,
 * or inferred from the `meta` dtype (U8 → simple, I16/I32 → CUTLASS) when absent; `shape` defaults to
 * `[rows, 2·cols]` of `packed`.
 *
 * @throws TesseraError `CORRUPT_DATA` for missing or inconsistent tensors or metadata.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, sparse24FromSafetensors, sparse24ToSafetensors } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 2, 0]]);
 * const back = sparse24FromSafetensors(sparse24ToSafetensors(compress24(x)));
 * x.dispose();
 * ```
 */
export function sparse24FromSafetensors(
  contents: SafetensorsContents<RawTensor>,
  options: Sparse24SafetensorsOptions = {},
): Sparse24Tensor {
  const fn = 'sparse24FromSafetensors';
  const p = prefixOf(options, fn);
  if (typeof contents !== 'object' || contents === null || typeof contents.tensors !== 'object' || contents.tensors === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'contents must be { tensors, metadata }', describe(contents));
  const packed = contents.tensors[`${p}packed`];
  const meta = contents.tensors[`${p}meta`];
  if (!packed || !meta)
    throw new TesseraError('CORRUPT_DATA', fn, `tensors '${p}packed' and '${p}meta' are required`, Object.keys(contents.tensors));
  const dtypeOf: Record<string, Sparse24Dtype> = { F32: 'float32', F16: 'float16', I8: 'int8' };
  const dtype = typeof packed.dtype === 'string' && Object.hasOwn(dtypeOf, packed.dtype) ? dtypeOf[packed.dtype] : undefined;
  if (!dtype) throw new TesseraError('CORRUPT_DATA', fn, 'packed must be F32, F16 or I8', packed.dtype);
  const md = contents.metadata ?? {};
  const layout: Sparse24Layout = (md.layout as Sparse24Layout) ?? (meta.dtype === 'U8' ? 'simple' : 'cutlass');
  if (layout !== 'simple' && layout !== 'cutlass')
    throw new TesseraError('CORRUPT_DATA', fn, "metadata layout must be 'simple' or 'cutlass'", layout);
  if (md.dtype !== undefined && md.dtype !== dtype)
    throw new TesseraError('CORRUPT_DATA', fn, `metadata dtype must match packed (${dtype})`, md.dtype);
  if (!Array.isArray(packed.shape) || packed.shape.length !== 2)
    throw new TesseraError('CORRUPT_DATA', fn, 'packed must be 2-D', packed.shape);
  if (!Array.isArray(meta.shape)) throw new TesseraError('CORRUPT_DATA', fn, 'meta must have a shape', meta.shape);
  if (!ArrayBuffer.isView(packed.data) || !ArrayBuffer.isView(meta.data))
    throw new TesseraError(
      'CORRUPT_DATA',
      fn,
      'packed and meta must hold typed arrays',
      `${describe(packed.data)}, ${describe(meta.data)}`,
    );
  let shape: [number, number] = [packed.shape[0], packed.shape[1] * 2];
  if (md.shape !== undefined) {
    const parts = md.shape.split(',').map(Number);
    if (parts.length !== 2 || parts.some((v) => !Number.isSafeInteger(v)))
      throw new TesseraError('CORRUPT_DATA', fn, "metadata shape must be 'm,k'", md.shape);
    shape = [parts[0], parts[1]];
  }
  // the stored shape must be the one sparse24ToSafetensors writes: packed [m, k/2] (PyTorch's As.packed)
  if (packed.shape[0] !== shape[0] || packed.shape[1] * 2 !== shape[1])
    throw new TesseraError(
      'CORRUPT_DATA',
      fn,
      `packed must have shape [${shape[0]}, ${shape[1] / 2}] for a [${shape[0]}, ${shape[1]}] matrix`,
      packed.shape,
    );
  const wantMeta = layout === 'simple' ? 'U8' : dtype === 'int8' ? 'I32' : 'I16';
  if (meta.dtype !== wantMeta) throw new TesseraError('CORRUPT_DATA', fn, `meta must be ${wantMeta} for ${layout} ${dtype}`, meta.dtype);
  const s: Sparse24Tensor = Object.freeze({
    format: layout === 'simple' ? 'sparse24_simple' : 'sparse24_cutlass',
    layout,
    dtype,
    shape: Object.freeze(shape) as readonly [number, number],
    values: packed.data as Sparse24Tensor['values'],
    packed: packed.data as Sparse24Tensor['values'],
    meta: meta.data as Sparse24Tensor['meta'],
    metaShape: Object.freeze([meta.shape[0] ?? 0, meta.shape[1] ?? 0]) as readonly [number, number],
    byteLength: packed.data.byteLength + meta.data.byteLength,
  });
  try {
    validateSparse24(s, fn);
  } catch (e) {
    throw new TesseraError('CORRUPT_DATA', fn, (e as Error).message.replace(`${fn}: `, ''));
  }
  const [mr, mc] = metaShapeOf(layout, dtype, shape[0], shape[1]);
  if (meta.shape.length !== 2 || meta.shape[0] !== mr || meta.shape[1] !== mc) {
    throw new TesseraError('CORRUPT_DATA', fn, `meta must have shape [${mr}, ${mc}]`, meta.shape);
  }
  return s;
}

/**
 * Serialises a {@link Sparse24Tensor} to safetensors bytes (see {@link sparse24ToSafetensors} for the names).
 *
 * @throws TesseraError `INVALID_FORMAT` when `s` breaks an invariant.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, loadSparse24, saveSparse24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[1, 0, 2, 0]]);
 * const bytes = saveSparse24(compress24(x));
 * loadSparse24(bytes).values; // Float32Array [1, 2]
 * x.dispose();
 * ```
 */
export function saveSparse24(s: Sparse24Tensor, options: Sparse24SafetensorsOptions = {}): Uint8Array {
  const c = sparse24ToSafetensors(s, options);
  return serializeSafetensors(c.tensors, c.metadata);
}

/**
 * Parses safetensors bytes written by {@link saveSparse24}.
 *
 * @throws TesseraError `CORRUPT_DATA` for malformed bytes or inconsistent tensors.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { compress24, loadSparse24, saveSparse24 } from '@tessera/sparse-24';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor2d([[0, 0, 2, 3]]);
 * loadSparse24(saveSparse24(compress24(x))).shape; // [1, 4]
 * x.dispose();
 * ```
 */
export function loadSparse24(bytes: Uint8Array, options: Sparse24SafetensorsOptions = {}): Sparse24Tensor {
  return sparse24FromSafetensors(parseSafetensors(bytes), options);
}
