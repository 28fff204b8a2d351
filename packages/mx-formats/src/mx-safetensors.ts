import { describe, parseSafetensors, type RawTensor, type SafetensorsContents, serializeSafetensors, TesseraError } from '@tessera/core';
import { dataBytes, layoutOf, type MXTensor, validateMX } from './mx-tensor.js';
import { canonicalFormat, elementOf } from './options.js';

const VERSION = 'tessera-mx/1';

const key = (name: string | undefined, k: string) => (name ? `${name}.${k}` : k);

function checkName(name: unknown, fn: string): void {
  if (name !== undefined && typeof name !== 'string')
    throw new TesseraError('INVALID_ARGUMENT', fn, 'name must be a string or undefined', describe(name));
}

/**
 * The safetensors form of an MXTensor, with names a torchao user recognises: `qdata` (U8 element
 * codes, packed as in `data`; FP8 bytes are the `float8_*` bit patterns, FP4 is `float4_e2m1fn_x2`) and `scale`
 * (U8 E8M0 bytes, torchao's `float8_e8m0fnu` view). Shapes: the dense shape with `axis` removed, plus a last dim of
 * bytes per row (`qdata`) or blocks per row (`scale`); `qdata` is flat when a row does not fill whole bytes. The
 * metadata holds `format` (e.g. `mxfp8_e4m3`), `elem_dtype`, `block_size`, `axis`, `shape` (JSON), `packing` and
 * `tessera`. With `name`, keys are prefixed `name.` (a state-dict entry such as `layer.weight`).
 *
 * @throws TesseraError `INVALID_FORMAT` when `m` is not a valid MXTensor.
 * @example
 * ```ts
 * import { quantizeMXArray, mxToSafetensors } from '@tessera/mx-formats';
 * const m = quantizeMXArray(new Float32Array(64), [2, 32], { format: 'mxfp4_e2m1' });
 * const { tensors, metadata } = mxToSafetensors(m, 'weight');
 * tensors['weight.qdata'].shape; // → [2, 16]
 * metadata['weight.format'];     // → 'mxfp4_e2m1'
 * ```
 */
export function mxToSafetensors(m: MXTensor, name?: string): SafetensorsContents<RawTensor> {
  validateMX(m);
  checkName(name, 'mxToSafetensors');
  const g = layoutOf(m.shape, m.axis, m.blockSize);
  const outerDims = m.shape.filter((_, i) => i !== m.axis);
  const rowBits = g.nBlocks * m.blockSize * elementOf(m.format).bits;
  const rowBytes = m.packing === 'fp6-unpacked' ? g.nBlocks * m.blockSize : rowBits / 8;
  const qShape = Number.isInteger(rowBytes) ? [...outerDims, rowBytes] : [m.data.length];
  const tensors: Record<string, RawTensor> = {
    [key(name, 'qdata')]: { dtype: 'U8', shape: qShape, data: m.data },
    [key(name, 'scale')]: { dtype: 'U8', shape: [...outerDims, g.nBlocks], data: m.scales },
  };
  const metadata: Record<string, string> = {
    [key(name, 'format')]: m.format,
    [key(name, 'elem_dtype')]: elementOf(m.format).name,
    [key(name, 'block_size')]: String(m.blockSize),
    [key(name, 'axis')]: String(m.axis),
    [key(name, 'shape')]: JSON.stringify(m.shape),
    [key(name, 'packing')]: m.packing,
    [key(name, 'tessera')]: VERSION,
  };
  return { tensors, metadata };
}

/**
 * Rebuilds and validates an MXTensor from safetensors contents written by {@link mxToSafetensors}.
 *
 * @throws TesseraError `CORRUPT_DATA` when a tensor or metadata entry is missing, has the wrong dtype or a size
 * that does not match the metadata; `INVALID_FORMAT` for an unknown format or a broken MXTensor invariant.
 * @example
 * ```ts
 * import { quantizeMXArray, mxToSafetensors, mxFromSafetensors } from '@tessera/mx-formats';
 * const m = quantizeMXArray(new Float32Array(32), [32], { format: 'mxint8' });
 * mxFromSafetensors(mxToSafetensors(m)).format; // → 'mxint8'
 * ```
 */
export function mxFromSafetensors(contents: SafetensorsContents<RawTensor>, name?: string): MXTensor {
  const fn = 'mxFromSafetensors';
  checkName(name, fn);
  const corrupt = (what: string, got?: unknown) => new TesseraError('CORRUPT_DATA', fn, what, got);
  if (typeof contents !== 'object' || contents === null || typeof contents.tensors !== 'object' || contents.tensors === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'contents must be { tensors, metadata }', describe(contents));
  const md = contents.metadata ?? {};
  if (typeof md !== 'object') throw new TesseraError('INVALID_ARGUMENT', fn, 'contents.metadata must be an object', describe(md));
  const get = (k: string): string => {
    const v = md[key(name, k)];
    if (typeof v !== 'string') throw corrupt(`metadata '${key(name, k)}' is missing`);
    return v;
  };
  let format: ReturnType<typeof canonicalFormat>;
  try {
    format = canonicalFormat(get('format'), fn);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'CORRUPT_DATA') throw e;
    throw new TesseraError('INVALID_FORMAT', fn, 'metadata format must be an MX format', md[key(name, 'format')]);
  }
  let shape: unknown;
  try {
    shape = JSON.parse(get('shape'));
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    throw corrupt('metadata shape must be a JSON array', md[key(name, 'shape')]);
  }
  const toInt = (k: string) => {
    const s = get(k);
    const v = Number(s);
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(v)) throw corrupt(`metadata '${key(name, k)}' must be an integer`, s);
    return v;
  };
  const blockSize = toInt('block_size');
  const axis = toInt('axis');
  const packing = get('packing');
  const q = contents.tensors[key(name, 'qdata')];
  const s = contents.tensors[key(name, 'scale')];
  if (!q) throw corrupt(`tensor '${key(name, 'qdata')}' is missing`);
  if (!s) throw corrupt(`tensor '${key(name, 'scale')}' is missing`);
  if (q.dtype !== 'U8' || s.dtype !== 'U8') throw corrupt('qdata and scale must be U8', `${q.dtype}, ${s.dtype}`);
  if (!(q.data instanceof Uint8Array) || !(s.data instanceof Uint8Array))
    throw corrupt('qdata and scale must hold Uint8Arrays', `${describe(q.data)}, ${describe(s.data)}`);
  const m = {
    format,
    shape: Object.freeze(shape as number[]),
    axis,
    blockSize,
    packing,
    scales: s.data as Uint8Array,
    data: q.data as Uint8Array,
    byteLength: s.data.length + q.data.length,
  } as MXTensor;
  // sizes that disagree with the metadata mean damaged bytes; other broken invariants are INVALID_FORMAT
  if (Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0) && axis >= 0 && axis < shape.length && blockSize > 0) {
    const g = layoutOf(shape, axis, blockSize);
    if (s.data.length !== g.rows * g.nBlocks) throw corrupt(`scale must hold ${g.rows * g.nBlocks} bytes`, s.data.length);
    // the stored shapes must be the ones mxToSafetensors writes: [...dims without axis, nBlocks] and [..., rowBytes]
    const outerDims = (shape as number[]).filter((_, i) => i !== axis);
    const sameShape = (a: unknown, b: readonly number[]) => Array.isArray(a) && a.length === b.length && a.every((d, i) => d === b[i]);
    if (!sameShape(s.shape, [...outerDims, g.nBlocks]))
      throw corrupt(`scale must have shape [${[...outerDims, g.nBlocks].join(', ')}]`, s.shape);
    const bits = elementOf(format).bits;
    const rowBytes = packing === 'fp6-unpacked' ? g.nBlocks * blockSize : (g.nBlocks * blockSize * bits) / 8;
    const qShape = Number.isInteger(rowBytes) ? [...outerDims, rowBytes] : [q.data.length];
    if (!sameShape(q.shape, qShape)) throw corrupt(`qdata must have shape [${qShape.join(', ')}]`, q.shape);
    if (['byte', 'fp4x2', 'fp6x4in3', 'fp6-unpacked'].includes(packing)) {
      const need = dataBytes(packing as MXTensor['packing'], g.rows * g.nBlocks * blockSize);
      if (q.data.length !== need) throw corrupt(`qdata must hold ${need} bytes`, q.data.length);
    }
  }
  validateMX(m);
  return Object.freeze(m);
}

/**
 * Serialises an MXTensor to safetensors bytes (see {@link mxToSafetensors} for names and metadata).
 *
 * @throws TesseraError `INVALID_FORMAT` when `m` is not a valid MXTensor.
 * @example
 * ```ts
 * import { quantizeMXArray, saveMX, loadMX } from '@tessera/mx-formats';
 * const bytes = saveMX(quantizeMXArray(new Float32Array([1, 2, 3, 4]), [4], { format: 'mxfp8_e5m2' }));
 * loadMX(bytes).scales; // → Uint8Array [114]  (amax 4: 2 − 15 + 127)
 * ```
 */
export function saveMX(m: MXTensor, name?: string): Uint8Array {
  const { tensors, metadata } = mxToSafetensors(m, name);
  return serializeSafetensors(tensors, metadata);
}

/**
 * Parses safetensors bytes written by {@link saveMX} back into a validated MXTensor.
 *
 * @throws TesseraError `CORRUPT_DATA` for truncated or inconsistent bytes (from the safetensors parser or the
 * checks of {@link mxFromSafetensors}); `INVALID_FORMAT` for an unknown format or broken invariant.
 * @example
 * ```ts
 * import { quantizeMXArray, saveMX, loadMX } from '@tessera/mx-formats';
 * const m = loadMX(saveMX(quantizeMXArray(new Float32Array(8), [8], { format: 'mxint8' })));
 * ```
 */
export function loadMX(bytes: Uint8Array, name?: string): MXTensor {
  return mxFromSafetensors(parseSafetensors(bytes), name);
}
