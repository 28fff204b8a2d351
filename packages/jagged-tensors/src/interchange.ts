// torchrec object shapes and safetensors files for KJTs/IKJTs (spec §8, issue #3 item 7).
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, type RawTensor, serializeSafetensors, TesseraError } from '@tessera/core';
import { fail } from './errors.js';
import { type Groups, KeyedJaggedTensor } from './keyed-jagged-tensor.js';

/** A KJT in torchrec's field names (`KeyedJaggedTensor.__init__` arguments), host arrays only. */
export interface TorchrecKjt {
  keys: string[];
  values: Int32Array | Float32Array | number[];
  lengths: Int32Array | number[];
  weights: Float32Array | number[] | null;
  stride: number;
  stride_per_key_per_rank: number[][] | null;
  /** torchrec `inverse_indices = (names, Tensor[K', B])`, rows here as arrays. */
  inverse_indices: [string[], (Int32Array | number[])[]] | null;
  /** tessera extra: dtype of `values` when it is a plain array (default int32 ids). */
  values_dtype?: 'int32' | 'float32';
  /** tessera extra: trailing dims of `values` (`[D]` for `[nnz, D]` rows). Default none. */
  values_trailing_shape?: number[];
  /** tessera extra: IKJT key groups. */
  groups?: string[][] | null;
}

/**
 * Host copy of a KJT in torchrec's field names, ready for JSON or a Python bridge. The inverse rows keep the stride
 * B (torchrec PRs #2925/#3119).
 * @example `JSON.stringify(toTorchrec(kjt), (k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v))`
 */
export function toTorchrec(x: KeyedJaggedTensor): TorchrecKjt {
  if (!(x instanceof KeyedJaggedTensor)) fail('INVALID_ARGUMENT', 'toTorchrec', 'x must be a KeyedJaggedTensor', x);
  const values =
    x.values.dtype === 'int32'
      ? Int32Array.from(x.values.dataSync() as Int32Array)
      : Float32Array.from(x.values.dataSync() as Float32Array);
  return {
    keys: [...x.keys],
    values,
    lengths: x.lengths.slice(),
    weights: x.weights ? Float32Array.from(x.weights.dataSync() as Float32Array) : null,
    stride: x.stride,
    stride_per_key_per_rank: x.stridePerKeyPerRank ? x.stridePerKeyPerRank.map((r) => [...r]) : null,
    inverse_indices: x.inverse ? [[...x.inverse.names], x.inverse.idx.map((r) => r.slice())] : null,
    values_dtype: x.values.dtype as 'int32' | 'float32',
    values_trailing_shape: x.values.shape.slice(1),
    groups: x.groups ? x.groups.map((g) => [...g]) : null,
  };
}

/**
 * Builds (and validates) a KJT or IKJT from torchrec-shaped fields (`toTorchrec` output or parsed JSON).
 * @throws TesseraError as the {@link KeyedJaggedTensor} constructor, `INVALID_ARGUMENT` on a malformed object.
 * @example `const kjt = fromTorchrec({ keys: ['a'], values: [1, 2], lengths: [2], weights: null, stride: 1, stride_per_key_per_rank: null, inverse_indices: null });`
 */
export function fromTorchrec(o: TorchrecKjt): KeyedJaggedTensor {
  const fn = 'fromTorchrec';
  if (typeof o !== 'object' || o === null || !Array.isArray(o.keys))
    fail('INVALID_ARGUMENT', fn, 'expected a torchrec KJT object with keys', o);
  const dtype = o.values instanceof Float32Array ? 'float32' : o.values instanceof Int32Array ? 'int32' : (o.values_dtype ?? 'int32');
  if (dtype !== 'int32' && dtype !== 'float32') fail('INVALID_DTYPE', fn, "values_dtype must be 'int32' or 'float32'", dtype);
  const vals = o.values as ArrayLike<number>;
  if (dtype === 'int32') {
    for (let i = 0; i < vals.length; i++)
      if (!Number.isInteger(vals[i])) fail('INVALID_DTYPE', fn, 'int32 values must be integers', `values[${i}] = ${vals[i]}`);
  }
  const trailing = o.values_trailing_shape ?? [];
  const width = trailing.reduce((a, b) => a * b, 1);
  if (width <= 0 || vals.length % width !== 0) fail('INVALID_SHAPE', fn, `values length must be a multiple of ${width}`, vals.length);
  const lengths = o.lengths;
  const inv = o.inverse_indices;
  if (inv !== null && inv !== undefined && (!Array.isArray(inv) || inv.length !== 2))
    fail('INVALID_ARGUMENT', fn, 'inverse_indices must be [names, rows]', inv);
  // Validate everything that does not need tensors first, so an invalid object allocates nothing.
  const values = tf.tensor(dtype === 'int32' ? Int32Array.from(vals) : Float32Array.from(vals), [vals.length / width, ...trailing], dtype);
  const weights = o.weights ? tf.tensor1d(Float32Array.from(o.weights), 'float32') : null;
  try {
    return new KeyedJaggedTensor({
      keys: o.keys,
      values,
      weights,
      lengths: lengths as number[],
      stride: typeof o.stride === 'number' ? o.stride : undefined,
      stridePerKeyPerRank: o.stride_per_key_per_rank ?? null,
      inverse: inv ? { names: inv[0], idx: inv[1] } : null,
      groups: inv ? ((o.groups ?? null) as Groups | null) : null,
    });
  } catch (e) {
    values.dispose();
    weights?.dispose();
    throw e;
  }
}

const FORMAT = 'tessera.kjt.v1';

/**
 * Serializes a KJT/IKJT to safetensors bytes: tensors `values`, `lengths` (I32), `weights` (F32, if weighted),
 * `inverse_indices` (I32 `[K', B]`, if set); `__metadata__` holds keys, stride, VBE matrix, inverse names, groups.
 * @example `const bytes = saveKjt(kjt); const back = loadKjt(bytes);`
 */
export function saveKjt(x: KeyedJaggedTensor, o: { metadata?: Record<string, string> } = {}): Uint8Array {
  const t = toTorchrec(x);
  const tensors: Record<string, RawTensor> = {
    values:
      t.values instanceof Float32Array
        ? { dtype: 'F32', shape: x.values.shape, data: t.values }
        : { dtype: 'I32', shape: x.values.shape, data: t.values as Int32Array },
    lengths: { dtype: 'I32', shape: [x.lengths.length], data: x.lengths.slice() },
  };
  if (t.weights) tensors.weights = { dtype: 'F32', shape: [t.weights.length], data: t.weights as Float32Array };
  if (x.inverse) {
    const rows = x.inverse.idx;
    const data = new Int32Array(rows.length * x.stride);
    rows.forEach((r, i) => {
      data.set(r, i * x.stride);
    });
    tensors.inverse_indices = { dtype: 'I32', shape: [rows.length, x.stride], data };
  }
  const metadata: Record<string, string> = {
    ...(o.metadata ?? {}),
    format: FORMAT,
    keys: JSON.stringify(x.keys),
    stride: String(x.stride),
    stride_per_key_per_rank: JSON.stringify(x.stridePerKeyPerRank),
    inverse_names: JSON.stringify(x.inverse ? x.inverse.names : null),
    groups: JSON.stringify(x.groups),
  };
  return serializeSafetensors(tensors, metadata);
}

/**
 * Reads bytes written by {@link saveKjt} back into a validated KJT/IKJT.
 * @throws TesseraError `CORRUPT_DATA` on bad bytes or metadata; the constructor's codes if the content breaks a rule.
 * @example `const kjt = loadKjt(bytes);`
 */
export function loadKjt(bytes: Uint8Array): KeyedJaggedTensor {
  const fn = 'loadKjt';
  const { tensors, metadata } = parseSafetensors(bytes);
  if (metadata.format !== FORMAT) fail('CORRUPT_DATA', fn, `__metadata__.format must be '${FORMAT}'`, metadata.format);
  const json = (k: string): unknown => {
    try {
      return JSON.parse(metadata[k] ?? 'undefined');
    } catch {
      throw new TesseraError('CORRUPT_DATA', fn, `__metadata__.${k} must be JSON`, metadata[k]);
    }
  };
  const v = tensors.values;
  const l = tensors.lengths;
  if (!v || (v.dtype !== 'I32' && v.dtype !== 'F32')) fail('CORRUPT_DATA', fn, 'values must be an I32 or F32 tensor', v?.dtype);
  if (l?.dtype !== 'I32') fail('CORRUPT_DATA', fn, 'lengths must be an I32 tensor', l?.dtype);
  const w = tensors.weights;
  if (w && w.dtype !== 'F32') fail('CORRUPT_DATA', fn, 'weights must be an F32 tensor', w.dtype);
  const names = json('inverse_names') as string[] | null;
  const inv = tensors.inverse_indices;
  let rows: Int32Array[] | null = null;
  if (names) {
    if (inv?.dtype !== 'I32' || inv.shape.length !== 2 || inv.shape[0] !== names.length) {
      fail('CORRUPT_DATA', fn, `inverse_indices must be I32 [${names.length}, B]`, inv?.shape);
    }
    const B = inv.shape[1];
    rows = names.map((_, i) => (inv.data as Int32Array).slice(i * B, (i + 1) * B));
  }
  const stride = Number(metadata.stride);
  if (!Number.isInteger(stride)) fail('CORRUPT_DATA', fn, '__metadata__.stride must be an integer', metadata.stride);
  return fromTorchrec({
    keys: json('keys') as string[],
    values: v.data as Int32Array | Float32Array,
    values_trailing_shape: v.shape.slice(1) as number[],
    lengths: l.data as Int32Array,
    weights: w ? (w.data as Float32Array) : null,
    stride,
    stride_per_key_per_rank: json('stride_per_key_per_rank') as number[][] | null,
    inverse_indices: names && rows ? [names, rows] : null,
    groups: json('groups') as string[][] | null,
  });
}
