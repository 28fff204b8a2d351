import {
  axisLayout,
  describe,
  parseSafetensors,
  type RawTensor,
  type SafetensorsContents,
  serializeSafetensors,
  TesseraError,
} from '@tessera/core';
import { type BDRTensor, validateBDR } from './bdr-tensor.js';
import { bdrFormat } from './format.js';
import { planarSizes } from './kernels/bdr-kernel.js';

const VERSION = 'tessera-bdr/1';
const key = (name: string | undefined, k: string) => (name ? `${name}.${k}` : k);

let CRC_TABLE: Uint32Array | null = null;
/** CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320) over several byte arrays in order. */
function crc32(parts: readonly Uint8Array[]): number {
  if (CRC_TABLE === null) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  const T = CRC_TABLE;
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = T[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of the metadata strings that define the tensor and of its three fields, as 8 hex digits. */
function checksum(format: string, shape: string, axis: string, fields: readonly Uint8Array[]): string {
  const enc = new TextEncoder();
  return crc32([enc.encode(`${format}\n${shape}\n${axis}\n`), ...fields])
    .toString(16)
    .padStart(8, '0');
}

/**
 * Serialises a BDRTensor to safetensors bytes (through `@tessera/core`'s writer). Tensors (U8): `exponents` with
 * the dense shape minus `axis` plus a last dimension of blocks per row, `microexponents` and `mantissas` as flat
 * byte streams. Metadata: `format` (JSON of name, k1, d1, k2, d2, m), `shape` (JSON), `axis`, `crc32` of those
 * metadata strings and the three fields (so damaged payload bytes are detected, not decoded) and `tessera`. With `name`, every key is prefixed
 * `name.`.
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not a valid BDRTensor.
 * @example
 * ```ts
 * import { BDR_MX9, quantizeBDRArray, saveBDR, loadBDR, dequantizeBDRArray } from '@tessera/bdr-formats';
 * const bytes = saveBDR(quantizeBDRArray(new Float32Array([1, -2, 0.5, 3]), [4], BDR_MX9), 'w');
 * Array.from(dequantizeBDRArray(loadBDR(bytes, 'w'))); // → [1, -2, 0.5, 3]
 * ```
 */
export function saveBDR(t: BDRTensor, name?: string): Uint8Array {
  validateBDR(t);
  if (name !== undefined && (typeof name !== 'string' || name.length === 0))
    throw new TesseraError('INVALID_ARGUMENT', 'saveBDR', 'name must be a non-empty string', describe(name));
  const g = axisLayout(t.shape, t.axis);
  const nB = Math.ceil(g.L / t.format.k1);
  const outer = t.shape.filter((_, i) => i !== t.axis);
  const f = t.format;
  const tensors: Record<string, RawTensor> = {
    [key(name, 'exponents')]: { dtype: 'U8', shape: [...outer, nB], data: t.exponents as Uint8Array },
    [key(name, 'microexponents')]: { dtype: 'U8', shape: [t.microexponents.length], data: t.microexponents },
    [key(name, 'mantissas')]: { dtype: 'U8', shape: [t.mantissas.length], data: t.mantissas },
  };
  const fmt = JSON.stringify({ name: f.name, k1: f.k1, d1: f.d1, k2: f.k2, d2: f.d2, m: f.m });
  const shape = JSON.stringify(t.shape);
  const axis = String(t.axis);
  const metadata: Record<string, string> = {
    [key(name, 'format')]: fmt,
    [key(name, 'shape')]: shape,
    [key(name, 'axis')]: axis,
    [key(name, 'crc32')]: checksum(fmt, shape, axis, [t.exponents as Uint8Array, t.microexponents, t.mantissas]),
    [key(name, 'tessera')]: VERSION,
  };
  return serializeSafetensors(tensors, metadata);
}

/**
 * Parses safetensors bytes written by {@link saveBDR} into a validated BDRTensor. Every failure is `CORRUPT_DATA`:
 * a truncated or malformed file, a missing or malformed metadata entry, an unknown format, a stored shape or byte
 * count that disagrees with the metadata, a CRC-32 mismatch, or a broken invariant. It never returns a tensor that
 * differs from the one saved.
 *
 * @throws TesseraError `CORRUPT_DATA` as above; `INVALID_ARGUMENT` when `bytes` is not a Uint8Array.
 * @example
 * ```ts
 * import { BDR_MX4, quantizeBDRArray, saveBDR, loadBDR } from '@tessera/bdr-formats';
 * const t = loadBDR(saveBDR(quantizeBDRArray(new Float32Array(16), [16], BDR_MX4)));
 * t.format.m; // → 2
 * ```
 */
export function loadBDR(bytes: Uint8Array, name?: string): BDRTensor {
  const fn = 'loadBDR';
  if (!(bytes instanceof Uint8Array)) throw new TesseraError('INVALID_ARGUMENT', fn, 'bytes must be a Uint8Array', describe(bytes));
  const corrupt = (what: string, got?: unknown) => new TesseraError('CORRUPT_DATA', fn, what, got);
  let contents: SafetensorsContents<RawTensor>;
  try {
    contents = parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof TesseraError) throw corrupt(`not a readable safetensors file (${e.message})`);
    throw e;
  }
  const md = contents.metadata;
  const get = (k: string): string => {
    const v = md[key(name, k)];
    if (typeof v !== 'string') throw corrupt(`metadata '${key(name, k)}' is missing`);
    return v;
  };
  if (get('tessera') !== VERSION) throw corrupt(`metadata '${key(name, 'tessera')}' must be '${VERSION}'`, md[key(name, 'tessera')]);
  const json = (k: string): unknown => {
    try {
      return JSON.parse(get(k));
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      throw corrupt(`metadata '${key(name, k)}' is not valid JSON`);
    }
  };
  const fp = json('format') as Record<string, unknown> | null;
  let format: ReturnType<typeof bdrFormat>;
  try {
    if (typeof fp !== 'object' || fp === null) throw new Error('not an object');
    format = bdrFormat({
      name: fp.name as string,
      k1: fp.k1 as number,
      d1: fp.d1 as number,
      k2: fp.k2 as number,
      d2: fp.d2 as number,
      m: fp.m as number,
    });
  } catch (e) {
    throw corrupt('metadata format is not a valid BDR format', e instanceof Error ? e.message : describe(fp));
  }
  const shape = json('shape');
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
    throw corrupt('metadata shape must be a non-empty array of non-negative integers', describe(shape));
  const axisStr = get('axis');
  const axis = Number(axisStr);
  if (!/^\d+$/.test(axisStr) || axis >= shape.length)
    throw corrupt(`metadata axis must be an integer in [0, ${shape.length - 1}]`, axisStr);
  const g = axisLayout(shape, axis);
  if (!Number.isSafeInteger(g.numel) || g.numel > 2 ** 31) throw corrupt('metadata shape has too many elements', describe(shape));
  const sz = planarSizes(format, g.rows, g.L);
  const nB = Math.ceil(g.L / format.k1);
  const want: Record<string, number[]> = {
    exponents: [...shape.filter((_, i) => i !== axis), nB],
    microexponents: [sz.microexponents],
    mantissas: [sz.mantissas],
  };
  const fields: Record<string, Uint8Array> = {};
  for (const k of Object.keys(want)) {
    const t = contents.tensors[key(name, k)];
    if (!t) throw corrupt(`tensor '${key(name, k)}' is missing`);
    if (t.dtype !== 'U8') throw corrupt(`tensor '${key(name, k)}' must be U8`, t.dtype);
    if (t.shape.length !== want[k].length || t.shape.some((d, i) => d !== want[k][i]))
      throw corrupt(`tensor '${key(name, k)}' must have shape [${want[k].join(', ')}]`, `[${t.shape.join(', ')}]`);
    fields[k] = t.data as Uint8Array;
  }
  const crc = checksum(get('format'), get('shape'), axisStr, [fields.exponents, fields.microexponents, fields.mantissas]);
  if (get('crc32') !== crc) throw corrupt(`CRC-32 of the payload is ${crc}, metadata says`, get('crc32'));
  const t: BDRTensor = Object.freeze({
    format,
    shape: Object.freeze([...(shape as number[])]),
    axis,
    exponents: fields.exponents,
    microexponents: fields.microexponents,
    mantissas: fields.mantissas,
  });
  try {
    validateBDR(t);
  } catch (e) {
    if (e instanceof TesseraError) throw corrupt(`the stored tensor is invalid (${e.message})`);
    throw e;
  }
  return t;
}
