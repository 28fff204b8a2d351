import * as tf from '@tensorflow/tfjs-core';
import { bf16BitsToF32Bits, f16BitsToF32Bits, float32ToBfloat16Bits, float32ToFloat16Bits } from './bits.js';
import { describe, TesseraError } from './errors.js';
import { checkOptions } from './validate.js';

/**
 * safetensors element types supported here (the format's names). `I64` is read into `BigInt64Array` and becomes
 * int32 on {@link loadSafetensors} when every value fits.
 */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

/** Typed array holding a {@link RawTensor}'s elements for each dtype (F16/BF16 as raw bit patterns). */
export interface SafetensorsArrayTypes {
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  U16: Uint16Array;
  I8: Int8Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/** A host-memory tensor as stored in a safetensors file: dtype, shape and elements (row-major). */
export type RawTensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: readonly number[]; data: SafetensorsArrayTypes[D] };
}[SafetensorsDtype];

/** The contents of a safetensors file. */
export interface SafetensorsContents<T> {
  tensors: Record<string, T>;
  /** The `__metadata__` string map (empty object when absent). */
  metadata: Record<string, string>;
}

const ITEM_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };
const ARRAY_CTOR = {
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as const;
/** The safetensors reference implementation refuses headers above 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function corrupt(fn: string, what: string, got?: unknown): TesseraError {
  return new TesseraError('CORRUPT_DATA', fn, what, got);
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isDtype(s: unknown): s is SafetensorsDtype {
  return typeof s === 'string' && Object.hasOwn(ITEM_SIZE, s);
}

function checkRaw(fn: string, name: string, t: RawTensor): void {
  if (typeof t !== 'object' || t === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, `tensor '${name}' must be { dtype, shape, data }`, describe(t));
  if (!isDtype(t.dtype)) throw new TesseraError('INVALID_DTYPE', fn, `tensor '${name}' has an unsupported safetensors dtype`, t.dtype);
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new TesseraError('INVALID_SHAPE', fn, `tensor '${name}' must have a shape of non-negative integers`, t.shape);
  }
  const Ctor = ARRAY_CTOR[t.dtype];
  if (!(t.data instanceof Ctor)) {
    throw new TesseraError('INVALID_DTYPE', fn, `tensor '${name}' (${t.dtype}) must hold a ${Ctor.name}`, describe(t.data));
  }
  if (t.data.length !== numel(t.shape)) {
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `tensor '${name}' has ${t.data.length} elements but shape [${t.shape.join(', ')}]`,
      t.data.length,
    );
  }
}

/**
 * Serialises host-memory tensors to safetensors bytes: an 8-byte little-endian header length, the JSON header
 * (padded with spaces to 8-byte alignment) and the data buffer. Tensors are laid out by descending item size,
 * then name (as the reference Rust writer does), so every tensor's data is aligned to its item size.
 *
 * @param tensors - name → {@link RawTensor}; names must be non-empty and not `__metadata__`
 * @param metadata - optional `__metadata__` string map
 * @throws TesseraError `INVALID_KEY` for a bad name, `INVALID_DTYPE` / `INVALID_SHAPE` for an inconsistent tensor,
 * `INVALID_ARGUMENT` for non-string metadata values.
 * @example
 * ```ts
 * import { serializeSafetensors, parseSafetensors } from '@tessera/core';
 * const bytes = serializeSafetensors({ scale: { dtype: 'U8', shape: [2], data: new Uint8Array([127, 130]) } }, { format: 'mxfp8_e4m3' });
 * parseSafetensors(bytes).tensors.scale.data; // → Uint8Array [127, 130]
 * ```
 */
export function serializeSafetensors(tensors: Record<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const fn = 'serializeSafetensors';
  if (tensors === undefined) throw new TesseraError('INVALID_ARGUMENT', fn, 'tensors must be an object', 'undefined');
  checkOptions(tensors, fn, 'tensors');
  metadata = checkOptions(metadata, fn, 'metadata');
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TesseraError('INVALID_ARGUMENT', fn, `metadata['${k}'] must be a string`, describe(v));
  }
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name.length === 0 || name === '__metadata__' || name === '__proto__') {
      throw new TesseraError('INVALID_KEY', fn, 'tensor names must be non-empty and not __metadata__ or __proto__', name);
    }
    checkRaw(fn, name, tensors[name]);
  }
  names.sort((a, b) => ITEM_SIZE[tensors[b].dtype] - ITEM_SIZE[tensors[a].dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const len = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const d = tensors[name].data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    if (LITTLE_ENDIAN || ITEM_SIZE[tensors[name].dtype] === 1) out.set(bytes, pos);
    else writeSwapped(out, pos, bytes, ITEM_SIZE[tensors[name].dtype]);
    pos += d.byteLength;
  }
  return out;
}

function writeSwapped(out: Uint8Array, pos: number, bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[pos + i + j] = bytes[i + size - 1 - j];
}

/**
 * Parses safetensors bytes into host-memory tensors, validating everything first: header length, JSON, dtypes,
 * shapes, that each tensor's byte range matches its shape, and that the ranges tile the data buffer exactly (no
 * overlap, no hole, no trailing bytes). Data is copied into fresh, aligned typed arrays.
 *
 * @throws TesseraError `CORRUPT_DATA` for any truncated, malformed or inconsistent input; `INVALID_ARGUMENT`
 * when `bytes` is not a `Uint8Array`.
 * @example
 * ```ts
 * import { parseSafetensors, serializeSafetensors } from '@tessera/core';
 * const bytes = serializeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
 * const { tensors, metadata } = parseSafetensors(bytes);
 * tensors.x.shape; // → [2]
 * ```
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsContents<RawTensor> {
  const fn = 'parseSafetensors';
  if (!(bytes instanceof Uint8Array)) throw new TesseraError('INVALID_ARGUMENT', fn, 'bytes must be a Uint8Array', describe(bytes));
  if (bytes.length < 8) throw corrupt(fn, 'file is shorter than the 8-byte header length', `${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw corrupt(fn, `header length must be at most ${MAX_HEADER_BYTES} bytes`, n64.toString());
  const n = Number(n64);
  if (8 + n > bytes.length) throw corrupt(fn, `header of ${n} bytes runs past the end of the file (truncated?)`, `${bytes.length} bytes`);
  if (n < 2 || bytes[8] !== 0x7b) throw corrupt(fn, "header must be a JSON object starting with '{'", `${n} header bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw corrupt(fn, 'header is not valid UTF-8 JSON', e instanceof Error ? e.message : String(e));
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw corrupt(fn, 'header must be a JSON object', describe(header));

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info))
        throw corrupt(fn, '__metadata__ must be an object of strings', describe(info));
      for (const [k, v] of Object.entries(info))
        if (typeof v !== 'string') throw corrupt(fn, `__metadata__['${k}'] must be a string`, describe(v));
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    if (name === '__proto__') throw corrupt(fn, "tensor name '__proto__' is not accepted", name);
    if (typeof info !== 'object' || info === null || Array.isArray(info))
      throw corrupt(fn, `entry '${name}' must be an object`, describe(info));
    const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
    if (!isDtype(dtype)) throw corrupt(fn, `entry '${name}' has an unknown dtype`, describe(dtype));
    if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
      throw corrupt(fn, `entry '${name}' must have a shape of non-negative integers`, describe(shape));
    }
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      off.some((o) => typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) ||
      (off[0] as number) > (off[1] as number)
    ) {
      throw corrupt(fn, `entry '${name}' must have data_offsets [begin, end] with 0 <= begin <= end`, describe(off));
    }
    const [begin, end] = off as [number, number];
    const want = numel(shape) * ITEM_SIZE[dtype];
    if (end - begin !== want)
      throw corrupt(fn, `entry '${name}' spans ${end - begin} bytes but ${dtype}[${shape.join(', ')}] needs ${want}`, describe(off));
    if (end > dataLen)
      throw corrupt(fn, `entry '${name}' ends at byte ${end} past the ${dataLen}-byte data buffer (truncated?)`, describe(off));
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The byte ranges must tile the data buffer exactly, as the reference reader requires.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) {
      throw corrupt(
        fn,
        e.begin < cursor ? `entry '${e.name}' overlaps the previous tensor` : `data buffer has a hole before entry '${e.name}'`,
        `begin ${e.begin}, expected ${cursor}`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataLen)
    throw corrupt(fn, `data buffer has ${dataLen - cursor} trailing bytes not owned by any tensor`, `${dataLen} bytes`);

  const tensors: Record<string, RawTensor> = {};
  for (const e of entries) {
    const size = ITEM_SIZE[e.dtype];
    const buf = new ArrayBuffer(e.end - e.begin);
    const view = new Uint8Array(buf);
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    if (LITTLE_ENDIAN || size === 1) view.set(src);
    else writeSwapped(view, 0, src, size);
    const data = new ARRAY_CTOR[e.dtype](buf);
    if (e.dtype === 'BOOL') {
      for (let i = 0; i < data.length; i++)
        if ((data as Uint8Array)[i] > 1)
          throw corrupt(fn, `BOOL entry '${e.name}' holds a byte other than 0 or 1`, (data as Uint8Array)[i]);
    }
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data } as RawTensor;
  }
  return { tensors, metadata };
}

/** Options of {@link saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /** `__metadata__` string map. */
  metadata?: Record<string, string>;
  /** Per-tensor storage dtype for float32 tensors: `'F16'` or `'BF16'` round to nearest even; default `'F32'`. */
  dtypes?: Record<string, 'F32' | 'F16' | 'BF16'>;
}

/**
 * Serialises tf tensors (and/or {@link RawTensor}s) to safetensors bytes. float32 → `F32` (or `F16` / `BF16` when
 * asked, rounding to nearest even), int32 → `I32`, bool → `BOOL`. The tensors are not disposed.
 *
 * @throws TesseraError `INVALID_DTYPE` for string/complex tensors, plus everything {@link serializeSafetensors} throws.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend, saveSafetensors, loadSafetensors } from '@tessera/core';
 * await initBackend();
 * const w = tf.tensor2d([[1, 2], [3, 4]]);
 * const bytes = saveSafetensors({ weight: w }, { metadata: { model: 'demo' } });
 * const { tensors } = loadSafetensors(bytes);
 * tensors.weight.print();
 * tf.dispose([w, tensors.weight]);
 * ```
 */
export function saveSafetensors(tensors: Record<string, tf.Tensor | RawTensor>, options: SaveSafetensorsOptions = {}): Uint8Array {
  const fn = 'saveSafetensors';
  if (tensors === undefined) throw new TesseraError('INVALID_ARGUMENT', fn, 'tensors must be an object', 'undefined');
  checkOptions(tensors, fn, 'tensors');
  options = checkOptions(options, fn, 'options');
  const raw: Record<string, RawTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t instanceof tf.Tensor) {
      if (t.isDisposed) throw new TesseraError('INVALID_ARGUMENT', fn, `tensor '${name}' must not be disposed`, 'a disposed tensor');
      const want = options.dtypes?.[name] ?? 'F32';
      if (t.dtype === 'float32') {
        const data = t.dataSync() as Float32Array;
        if (want === 'F16') raw[name] = { dtype: 'F16', shape: t.shape, data: float32ToFloat16Bits(data) };
        else if (want === 'BF16') raw[name] = { dtype: 'BF16', shape: t.shape, data: float32ToBfloat16Bits(data) };
        else raw[name] = { dtype: 'F32', shape: t.shape, data: Float32Array.from(data) };
      } else if (t.dtype === 'int32') {
        raw[name] = { dtype: 'I32', shape: t.shape, data: Int32Array.from(t.dataSync() as Int32Array) };
      } else if (t.dtype === 'bool') {
        raw[name] = { dtype: 'BOOL', shape: t.shape, data: Uint8Array.from(t.dataSync() as Uint8Array, (v) => (v ? 1 : 0)) };
      } else {
        throw new TesseraError('INVALID_DTYPE', fn, `tensor '${name}' must be float32, int32 or bool`, t.dtype);
      }
    } else {
      raw[name] = t;
    }
  }
  return serializeSafetensors(raw, options.metadata);
}

/**
 * Converts a {@link RawTensor} to a tf tensor: float types → float32, integer types → int32 (I64 values must fit),
 * BOOL → bool. The caller owns the result.
 *
 * @throws TesseraError `UNSUPPORTED` when an I64 value does not fit in int32.
 * @example
 * ```ts
 * import { initBackend, rawToTensor } from '@tessera/core';
 * await initBackend();
 * const t = rawToTensor({ dtype: 'U8', shape: [2], data: new Uint8Array([1, 255]) }); // int32 [1, 255]
 * t.dispose();
 * ```
 */
export function rawToTensor(t: RawTensor, name = 'tensor'): tf.Tensor {
  checkRaw('rawToTensor', typeof name === 'string' ? name : describe(name), t);
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'F32':
      return tf.tensor(t.data, shape, 'float32');
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(t.data.length);
      const u = new Uint32Array(out.buffer);
      const conv = t.dtype === 'F16' ? f16BitsToF32Bits : bf16BitsToF32Bits;
      for (let i = 0; i < t.data.length; i++) u[i] = conv(t.data[i]);
      return tf.tensor(out, shape, 'float32');
    }
    case 'I64': {
      const out = new Int32Array(t.data.length);
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (v < -2147483648n || v > 2147483647n) {
          throw new TesseraError(
            'UNSUPPORTED',
            'loadSafetensors',
            `I64 tensor '${name}' holds a value outside the int32 range`,
            v.toString(),
          );
        }
        out[i] = Number(v);
      }
      return tf.tensor(out, shape, 'int32');
    }
    case 'BOOL':
      return tf.tensor(Uint8Array.from(t.data), shape, 'bool');
    default:
      return tf.tensor(Int32Array.from(t.data), shape, 'int32');
  }
}

/**
 * Parses safetensors bytes into tf tensors (see {@link rawToTensor} for the dtype mapping). On error nothing is
 * leaked: tensors created before the failure are disposed.
 *
 * @throws TesseraError `CORRUPT_DATA` for truncated or malformed bytes; `UNSUPPORTED` for I64 values outside int32.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend, loadSafetensors, saveSafetensors } from '@tessera/core';
 * await initBackend();
 * const x = tf.ones([3]);
 * const { tensors } = loadSafetensors(saveSafetensors({ x }));
 * tf.dispose([x, tensors.x]);
 * ```
 */
export function loadSafetensors(bytes: Uint8Array): SafetensorsContents<tf.Tensor> {
  const { tensors: raw, metadata } = parseSafetensors(bytes);
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [name, t] of Object.entries(raw)) tensors[name] = rawToTensor(t, name);
  } catch (e) {
    tf.dispose(Object.values(tensors));
    throw e;
  }
  return { tensors, metadata };
}
