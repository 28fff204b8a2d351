// torchrec object shapes and safetensors files for KJTs/IKJTs.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkOptions,
  checkShape,
  describe,
  parseSafetensors,
  type RawTensor,
  readSync,
  serializeSafetensors,
  TesseraError,
} from '@tessera/core';
import { awaitData } from './device.js';
import { fail } from './errors.js';
import { readInt32 } from './int-array.js';
import { type Groups, KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { checkLiveOperand } from './kjt-validator.js';

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
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor, toTorchrec } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
 * const t = toTorchrec(x);
 * [t.keys, t.stride]; // → [['user', 'item'], 2]
 * JSON.stringify(t, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v)); // a JSON document for Python
 * x.dispose();
 * ```
 */
export function toTorchrec(x: KeyedJaggedTensor): TorchrecKjt {
  if (!(x instanceof KeyedJaggedTensor)) fail('INVALID_ARGUMENT', 'toTorchrec', 'x must be a KeyedJaggedTensor', x);
  checkLiveOperand('toTorchrec', 'x', x);
  const fn = 'toTorchrec';
  const v = readSync(x.values, fn, 'x.values', awaitData('x.values (and x.weights)'));
  const values = x.values.dtype === 'int32' ? Int32Array.from(v as Int32Array) : Float32Array.from(v as Float32Array);
  return {
    keys: [...x.keys],
    values,
    lengths: x.lengths.slice(),
    weights: x.weights ? Float32Array.from(readSync(x.weights, fn, 'x.weights', awaitData('x.weights')) as Float32Array) : null,
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
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { fromTorchrec } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = fromTorchrec({ keys: ['a'], values: [1, 2], lengths: [2], weights: null, stride: 1, stride_per_key_per_rank: null, inverse_indices: null });
 * [x.keys, x.stride]; // → [['a'], 1]
 * x.dispose();
 * ```
 */
export function fromTorchrec(o: TorchrecKjt): KeyedJaggedTensor {
  const fn = 'fromTorchrec';
  if (typeof o !== 'object' || o === null || !Array.isArray(o.keys))
    fail('INVALID_ARGUMENT', fn, 'expected a torchrec KJT object with keys', o);
  // Validate everything that does not need tensors first, so an invalid object allocates nothing; the host copies
  // below are proportional to the arrays given (array-likes such as { length: 1e10 } are rejected, not iterated).
  const dtype = o.values instanceof Float32Array ? 'float32' : o.values instanceof Int32Array ? 'int32' : (o.values_dtype ?? 'int32');
  if (dtype !== 'int32' && dtype !== 'float32') fail('INVALID_DTYPE', fn, "values_dtype must be 'int32' or 'float32'", dtype);
  const vals = readNumbers(fn, 'values', o.values, dtype === 'int32');
  const trailing =
    o.values_trailing_shape === undefined || o.values_trailing_shape === null
      ? []
      : checkShape(o.values_trailing_shape, fn, 'values_trailing_shape', { rank: [0, 1] });
  const width = trailing.reduce((a, b) => a * b, 1);
  if (width <= 0 || vals.length % width !== 0) fail('INVALID_SHAPE', fn, `values length must be a multiple of ${width}`, vals.length);
  const w = o.weights === undefined || o.weights === null ? null : readNumbers(fn, 'weights', o.weights, false);
  const lengths = readInt32(o.lengths, fn, 'lengths');
  const inv = o.inverse_indices;
  if (inv !== null && inv !== undefined && (!Array.isArray(inv) || inv.length !== 2 || !Array.isArray(inv[0]) || !Array.isArray(inv[1])))
    fail('INVALID_ARGUMENT', fn, 'inverse_indices must be [names, rows]', inv);
  const spkpr = o.stride_per_key_per_rank ?? null;
  if (spkpr !== null && !Array.isArray(spkpr))
    fail('INVALID_ARGUMENT', fn, 'stride_per_key_per_rank must be an array of arrays or null', spkpr);
  if (o.stride !== undefined && o.stride !== null && typeof o.stride !== 'number')
    fail('INVALID_ARGUMENT', fn, 'stride must be a number', o.stride);
  const values = tf.tensor(vals, [vals.length / width, ...trailing], dtype);
  let weights: tf.Tensor1D | null = null;
  try {
    weights = w ? tf.tensor1d(w, 'float32') : null;
    return new KeyedJaggedTensor({
      keys: o.keys,
      values,
      weights,
      lengths,
      stride: typeof o.stride === 'number' ? o.stride : undefined,
      stridePerKeyPerRank: spkpr,
      inverse: inv ? { names: inv[0], idx: inv[1] } : null,
      groups: inv ? ((o.groups ?? null) as Groups | null) : null,
    });
  } catch (e) {
    values.dispose();
    weights?.dispose();
    throw e;
  }
}

/**
 * Reads a host numeric array (a typed array or a number[]) into a fresh Int32Array / Float32Array, rejecting
 * array-likes, BigInt, Symbols, strings and (for ints) non-integers with a TesseraError before anything is allocated
 * on the backend.
 */
function readNumbers(fn: string, name: string, v: unknown, int: boolean): Int32Array | Float32Array {
  if (v instanceof Int32Array || v instanceof Float32Array) {
    if (int && v instanceof Float32Array)
      for (let i = 0; i < v.length; i++)
        if (!Number.isInteger(v[i])) fail('INVALID_DTYPE', fn, `int32 ${name} must be integers`, `${name}[${i}] = ${v[i]}`);
    return int ? Int32Array.from(v) : Float32Array.from(v);
  }
  if (!Array.isArray(v)) fail('INVALID_ARGUMENT', fn, `${name} must be an Int32Array, Float32Array or number[]`, v);
  const out = int ? new Int32Array(v.length) : new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number') fail('INVALID_ARGUMENT', fn, `${name} must hold numbers`, `${name}[${i}] = ${describe(x)}`);
    if (int) {
      if (!Number.isInteger(x)) fail('INVALID_DTYPE', fn, `int32 ${name} must be integers`, `${name}[${i}] = ${x}`);
      if (x < -2147483648 || x > 2147483647) fail('INVALID_ARGUMENT', fn, `int32 ${name} must fit in int32`, `${name}[${i}] = ${x}`);
    }
    out[i] = x;
  }
  return out;
}

const FORMAT = 'tessera.kjt.v1';

/**
 * Serializes a KJT/IKJT to safetensors bytes: tensors `values`, `lengths` (I32), `weights` (F32, if weighted),
 * `inverse_indices` (I32 `[K', B]`, if set); `__metadata__` holds keys, stride, VBE matrix, inverse names, groups.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor, loadKjt, saveKjt } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
 * const back = loadKjt(saveKjt(x));
 * back.bitwiseEqual(x); // → true
 * x.dispose(); back.dispose();
 * ```
 */
export function saveKjt(x: KeyedJaggedTensor, o: { metadata?: Record<string, string> } = {}): Uint8Array {
  const opts = checkOptions<{ metadata?: Record<string, string> }>(o, 'saveKjt');
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
    ...checkOptions<Record<string, string>>(opts.metadata, 'saveKjt', 'metadata'),
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
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { dedup, KeyedJaggedTensor, loadKjt, saveKjt } from '@tessera/jagged-tensors';
 * await initBackend();
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['user', 'item'], values: tf.tensor1d([7, 8, 7, 8, 1, 2], 'int32'), lengths: [2, 2, 1, 1] });
 * const ikjt = dedup(x);
 * const back = loadKjt(saveKjt(ikjt)); // inverse indices and key groups survive the round trip
 * back.bitwiseEqual(ikjt); // → true
 * x.dispose(); ikjt.dispose(); back.dispose();
 * ```
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
  // Every metadata field and stored shape is checked against what saveKjt writes: bad bytes are CORRUPT_DATA.
  const strings = (k: string, v: unknown): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      fail('CORRUPT_DATA', fn, `__metadata__.${k} must be a JSON array of strings`, v);
    return v as string[];
  };
  const keys = strings('keys', json('keys'));
  const rawNames = json('inverse_names');
  const names = rawNames === null ? null : strings('inverse_names', rawNames);
  const spkpr = json('stride_per_key_per_rank');
  if (spkpr !== null && (!Array.isArray(spkpr) || spkpr.some((r) => !Array.isArray(r))))
    fail('CORRUPT_DATA', fn, '__metadata__.stride_per_key_per_rank must be null or a JSON array of arrays', spkpr);
  const groups = json('groups');
  if (groups !== null && (!Array.isArray(groups) || groups.some((g) => !Array.isArray(g) || g.some((k) => typeof k !== 'string'))))
    fail('CORRUPT_DATA', fn, '__metadata__.groups must be null or a JSON array of string arrays', groups);
  if (v.shape.length < 1 || v.shape.length > 2) fail('CORRUPT_DATA', fn, 'values must have shape [nnz] or [nnz, D]', v.shape);
  if (l.shape.length !== 1) fail('CORRUPT_DATA', fn, 'lengths must have shape [n]', l.shape);
  if (w && (w.shape.length !== 1 || w.shape[0] !== v.shape[0]))
    fail('CORRUPT_DATA', fn, `weights must have shape [${v.shape[0]}] (one per value row)`, w.shape);
  const inv = tensors.inverse_indices;
  if (!names && inv) fail('CORRUPT_DATA', fn, 'inverse_indices is stored but __metadata__.inverse_names is null', inv.shape);
  let rows: Int32Array[] | null = null;
  if (names) {
    if (inv?.dtype !== 'I32' || inv.shape.length !== 2 || inv.shape[0] !== names.length) {
      fail('CORRUPT_DATA', fn, `inverse_indices must be I32 [${names.length}, B]`, inv?.shape);
    }
    const B = inv.shape[1];
    rows = names.map((_, i) => (inv.data as Int32Array).slice(i * B, (i + 1) * B));
  }
  const stride = Number(metadata.stride);
  if (!Number.isInteger(stride) || stride < 0) fail('CORRUPT_DATA', fn, '__metadata__.stride must be an integer >= 0', metadata.stride);
  if (names && inv && inv.shape[1] !== stride)
    fail('CORRUPT_DATA', fn, `inverse_indices must be I32 [${names.length}, stride = ${stride}]`, inv.shape);
  return fromTorchrec({
    keys,
    values: v.data as Int32Array | Float32Array,
    values_trailing_shape: v.shape.slice(1) as number[],
    lengths: l.data as Int32Array,
    weights: w ? (w.data as Float32Array) : null,
    stride,
    stride_per_key_per_rank: spkpr as number[][] | null,
    inverse_indices: names && rows ? [names, rows] : null,
    groups: groups as string[][] | null,
  });
}
