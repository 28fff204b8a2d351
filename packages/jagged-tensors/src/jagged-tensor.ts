import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, checkTensor, readSync } from '@tessera/core';
import { awaitData } from './device.js';
import { fail } from './errors.js';
import { type IntArrayLike, readInt32, resolveLengthsOffsets } from './int-array.js';
import { bitsOf, gatherRows } from './rows.js';

/** Constructor input of a {@link JaggedTensor}: give `lengths`, `offsets`, or both (they must agree, J3). */
export interface JtInit {
  /** `[nnz]` ids (int32) or floats, or `[nnz, D]` rows. Kept by reference (no copy). */
  values: tf.Tensor;
  /** Optional float32 `[nnz]` per-value weights. Kept by reference. */
  weights?: tf.Tensor | null;
  lengths?: IntArrayLike;
  offsets?: IntArrayLike;
}

/** Padding options of {@link JaggedTensor.toPaddedDense}. */
export interface PadOptions {
  /** Row length N; rows longer than N are truncated to their first N values. Default: the longest row (0 if none). */
  desiredLength?: number;
  /** Fill value of the padding. Default 0. */
  paddingValue?: number;
}

/** Tolerances of `equal` on float values (int values compare exactly). */
export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** Checks values/weights tensors shared by JT and KJT (rules J4/J5 or K2/K3). @internal */
export function checkValuesWeights(
  fn: string,
  values: unknown,
  weights: unknown,
  total: number,
  rules: { sum: string; weights: string },
): { values: tf.Tensor; weights: tf.Tensor1D | null } {
  const v = checkTensor(values, fn, 'values', { dtype: ['int32', 'float32'], rank: [1, 2] });
  if (v.shape[0] !== total) {
    fail(
      'INVALID_FORMAT',
      fn,
      'sum(lengths) must equal values.shape[0]',
      `sum(lengths) = ${total}, values.shape[0] = ${v.shape[0]}`,
      rules.sum,
    );
  }
  if (weights === undefined || weights === null) return { values: v, weights: null };
  const w = checkTensor(weights, fn, 'weights', { dtype: 'float32' });
  if (w.rank !== 1 || w.shape[0] !== v.shape[0]) {
    fail(
      'INVALID_SHAPE',
      fn,
      `weights must have shape [${v.shape[0]}] (one per value row)`,
      `shape [${w.shape.join(', ')}]`,
      rules.weights,
    );
  }
  return { values: v, weights: w as tf.Tensor1D };
}

/** Throws `INVALID_ARGUMENT` when a JT's (or KJT's) values or weights were disposed. O(1). @internal */
export function liveJt(fn: string, x: { values: tf.Tensor; weights: tf.Tensor | null }): void {
  checkTensor(x.values, fn, 'values');
  if (x.weights !== null) checkTensor(x.weights, fn, 'weights');
}

/** Checks an `equal` tolerance object (undefined, or finite rtol/atol >= 0). @internal */
export function checkTolerance(fn: string, t: unknown): void {
  if (t === undefined) return;
  const o = checkOptions<Tolerance>(t, fn, 'tol');
  if (o.rtol !== undefined && !(typeof o.rtol === 'number' && o.rtol >= 0))
    fail('INVALID_ARGUMENT', fn, 'tol.rtol must be a number >= 0', o.rtol);
  if (o.atol !== undefined && !(typeof o.atol === 'number' && o.atol >= 0))
    fail('INVALID_ARGUMENT', fn, 'tol.atol must be a number >= 0', o.atol);
}

/** What to do where a comparison cannot read its operands synchronously. @internal */
export const COMPARE_ALT = `the comparison runs on the host: ${awaitData('each operand')}`;

/** Closeness of two tensors' data: exact for int32, |a-b| <= atol + rtol·|b| for floats. @internal */
export function tensorsClose(a: tf.Tensor, b: tf.Tensor, t: Tolerance = {}, fn = 'equal'): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = readSync(a, fn, 'the values', COMPARE_ALT);
  const y = readSync(b, fn, 'the values', COMPARE_ALT);
  if (a.dtype === 'int32') {
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  const { rtol = 1e-5, atol = 1e-8 } = t;
  for (let i = 0; i < x.length; i++) {
    const p = x[i] as number;
    const q = y[i] as number;
    if (Number.isNaN(p) || Number.isNaN(q)) {
      if (!(Number.isNaN(p) && Number.isNaN(q))) return false;
    } else if (!(p === q || Math.abs(p - q) <= atol + rtol * Math.abs(q))) return false;
  }
  return true;
}

const TRUSTED = Symbol('trusted');

/**
 * A batch of B variable-length bags (torchrec `JaggedTensor`): `values` holds the bags back to back, `lengths[b]` is
 * the size of bag b and `offsets = [0, cumsum(lengths)]`. Both are host `Int32Array`s, computed eagerly at
 * construction and never to be mutated. The object is frozen; `values`/`weights` are kept by reference
 * and every method returns fresh, caller-owned tensors.
 *
 * The constructor validates rules J1–J5; {@link JaggedTensor.createUnsafe} skips them.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (J1 neither lengths nor offsets), `INVALID_DTYPE` (J1 non-integer
 * lengths/offsets; values not int32/float32), `INVALID_FORMAT` (J2–J4), `INVALID_SHAPE` (J5; values rank not 1–2).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { JaggedTensor } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const jt = new JaggedTensor({ values: tf.tensor1d([1, 7, 8, 10, 11, 12], 'int32'), lengths: [1, 0, 2, 3] });
 * jt.offsets; // Int32Array [0, 1, 1, 3, 6]
 * const dense = jt.toPaddedDense(); // [[1,0,0],[0,0,0],[7,8,0],[10,11,12]]
 * dense.dispose();
 * jt.dispose();
 * ```
 */
export class JaggedTensor {
  readonly format!: 'jt';
  readonly values!: tf.Tensor;
  readonly weights!: tf.Tensor1D | null;
  readonly lengths!: Int32Array;
  readonly offsets!: Int32Array;

  constructor(init: JtInit, trusted?: typeof TRUSTED) {
    const fn = 'JaggedTensor';
    if (trusted === TRUSTED) {
      Object.assign(this, init);
    } else {
      if (typeof init !== 'object' || init === null) fail('INVALID_ARGUMENT', fn, 'init must be an object', init);
      const { lengths, offsets } = resolveLengthsOffsets(fn, init.lengths, init.offsets, { r1: 'J1', r2: 'J2', r3: 'J3' });
      const vw = checkValuesWeights(fn, init.values, init.weights, offsets[offsets.length - 1], { sum: 'J4', weights: 'J5' });
      Object.assign(this, { values: vw.values, weights: vw.weights, lengths, offsets });
    }
    (this as { format: 'jt' }).format = 'jt';
    Object.freeze(this);
  }

  /**
   * Validating constructor (same as `new JaggedTensor(init)`).
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const jt = JaggedTensor.create({ values: tf.tensor1d([4, 5], 'int32'), lengths: [2, 0] });
   * jt.offsets; // → Int32Array [0, 2, 2]
   * jt.dispose();
   * ```
   */
  static create(init: JtInit): JaggedTensor {
    return new JaggedTensor(init);
  }

  /**
   * Builds a JT from host arrays that the caller guarantees consistent (`lengths`, `offsets` both given,
   * J1–J5 hold). Skips validation: use only on hot paths with trusted inputs.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * import { initBackend } from '@tessera/core';
   * await initBackend();
   * const v = tf.tensor1d([1, 2], 'int32');
   * const jt = JaggedTensor.createUnsafe({ values: v, lengths: Int32Array.from([2]), offsets: Int32Array.from([0, 2]) });
   * jt.dispose();
   * ```
   */
  static createUnsafe(init: { values: tf.Tensor; weights?: tf.Tensor | null; lengths: Int32Array; offsets: Int32Array }): JaggedTensor {
    return new JaggedTensor(
      { values: init.values, weights: (init.weights ?? null) as tf.Tensor1D | null, lengths: init.lengths, offsets: init.offsets },
      TRUSTED,
    );
  }

  /**
   * One bag per tensor of `rows` (each `[n_b]` or `[n_b, D]`): values = concat(rows), lengths = row sizes.
   *
   * @throws TesseraError `INVALID_ARGUMENT` on an empty list (dtype unknowable), `INVALID_DTYPE`/`INVALID_SHAPE` on
   * mismatched rows, `INVALID_SHAPE` when `weights` do not match the rows.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * import { initBackend } from '@tessera/core';
   * await initBackend();
   * const rows = [tf.tensor1d([1], 'int32'), tf.tensor1d([], 'int32'), tf.tensor1d([7, 8], 'int32')];
   * const jt = JaggedTensor.fromDense(rows); // lengths [1, 0, 2]
   * tf.dispose(rows); jt.dispose();
   * ```
   */
  static fromDense(rows: readonly tf.Tensor[], weights?: readonly tf.Tensor[]): JaggedTensor {
    const fn = 'JaggedTensor.fromDense';
    if (!Array.isArray(rows) || rows.length === 0) fail('INVALID_ARGUMENT', fn, 'rows must be a non-empty array of tensors', rows);
    const first = checkTensor(rows[0], fn, 'rows[0]', { dtype: ['int32', 'float32'], rank: [1, 2] });
    const trailing = first.shape.slice(1).join(',');
    let total = 0;
    for (let i = 0; i < rows.length; i++) {
      const t = checkTensor(rows[i], fn, `rows[${i}]`, { dtype: first.dtype, rank: first.rank });
      if (t.shape.slice(1).join(',') !== trailing)
        fail('INVALID_SHAPE', fn, 'rows must share trailing dims', `rows[${i}] shape [${t.shape.join(', ')}]`);
      total += t.shape[0];
    }
    // lengths are int32: check before anything is concatenated (an empty [1e12, 0] row is a valid tensor)
    if (total > 2147483647) fail('INVALID_SHAPE', fn, 'the rows must hold at most 2^31 − 1 entries in all', total);
    if (weights !== undefined) {
      if (!Array.isArray(weights) || weights.length !== rows.length)
        fail('INVALID_SHAPE', fn, 'weights must have one tensor per row', weights);
      for (let i = 0; i < weights.length; i++) {
        const t = checkTensor(weights[i], fn, `weights[${i}]`, { dtype: 'float32', rank: 1 });
        if (t.shape[0] !== rows[i].shape[0])
          fail('INVALID_SHAPE', fn, `weights[${i}] must have ${rows[i].shape[0]} entries`, t.shape[0], 'J5');
      }
    }
    const lengths = Int32Array.from(rows.map((r) => r.shape[0]));
    const values = tf.concat(rows as tf.Tensor[], 0);
    let w: tf.Tensor1D | null = null;
    try {
      w = weights ? (tf.concat(weights as tf.Tensor[], 0) as tf.Tensor1D) : null;
      return new JaggedTensor({ values, weights: w, lengths });
    } catch (e) {
      values.dispose();
      w?.dispose();
      throw e;
    }
  }

  /**
   * From a padded `[B, N(, D)]` tensor: keeps the first `lengths[b]` entries of row b. `weights` `[B, N]` likewise.
   *
   * @throws TesseraError `INVALID_SHAPE` on rank or shape mismatch, `INVALID_FORMAT` (J2) when a length is
   * negative or exceeds N.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * import { initBackend } from '@tessera/core';
   * await initBackend();
   * const rows = tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
   * const jt = JaggedTensor.fromDenseLengths(rows, [1, 2]); // values [1, 4, 5]
   * rows.dispose(); jt.dispose();
   * ```
   */
  static fromDenseLengths(values: tf.Tensor, lengths: IntArrayLike, weights?: tf.Tensor2D): JaggedTensor {
    const fn = 'JaggedTensor.fromDenseLengths';
    const v = checkTensor(values, fn, 'values', { dtype: ['int32', 'float32'], rank: [2, 3] });
    const l = readInt32(lengths, fn, 'lengths', 'J1');
    const [B, N] = v.shape;
    if (l.length !== B) fail('INVALID_SHAPE', fn, `lengths must have ${B} entries (values.shape[0])`, l.length);
    for (let b = 0; b < B; b++) {
      if (l[b] < 0 || l[b] > N) fail('INVALID_FORMAT', fn, `lengths[b] must be in [0, ${N}]`, `lengths[${b}] = ${l[b]}`, 'J2');
    }
    if (weights !== undefined) {
      const w = checkTensor(weights, fn, 'weights', { dtype: 'float32', rank: 2 });
      if (w.shape[0] !== B || w.shape[1] !== N)
        fail('INVALID_SHAPE', fn, `weights must have shape [${B}, ${N}]`, `[${w.shape.join(', ')}]`, 'J5');
    }
    let nnz = 0;
    for (let b = 0; b < B; b++) nnz += l[b];
    const rows = new Int32Array(nnz);
    let p = 0;
    for (let b = 0; b < B; b++) for (let j = 0; j < l[b]; j++) rows[p++] = b * N + j;
    const out = tf.tidy(() => {
      const flat = tf.reshape(v, [B * N, ...v.shape.slice(2)]);
      const vals = gatherRows(flat, rows);
      const ws = weights ? gatherRows(tf.reshape(weights, [B * N]), rows) : null;
      return ws ? [vals, ws] : [vals];
    });
    return new JaggedTensor({ values: out[0], weights: (out[1] ?? null) as tf.Tensor1D | null, lengths: l });
  }

  /** Number of bags B. */
  get batchSize(): number {
    return this.lengths.length;
  }

  /**
   * Re-checks J1–J5 (useful after `createUnsafe`). @throws TesseraError as the constructor.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const jt = new JaggedTensor({ values: tf.tensor1d([1, 2, 3]), weights: tf.tensor1d([0.5, 1, 2]), lengths: [2, 1] });
   * jt.validate(); // throws if a rule is broken
   * jt.dispose();
   * ```
   */
  validate(): void {
    new JaggedTensor({ values: this.values, weights: this.weights, lengths: this.lengths, offsets: this.offsets });
  }

  /**
   * The B bags as separate tensors `values[offsets[b]:offsets[b+1]]`.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * import { initBackend } from '@tessera/core';
   * await initBackend();
   * const jt = new JaggedTensor({ values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [2, 1] });
   * const bags = jt.toDense(); // [1, 2], [3]
   * tf.dispose(bags); jt.dispose();
   * ```
   */
  toDense(): tf.Tensor[] {
    liveJt('JaggedTensor.toDense', this);
    return denseSlices(this.values, this.offsets);
  }

  /**
   * Like {@link JaggedTensor.toDense} over the weights; `null` if unweighted.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const jt = new JaggedTensor({ values: tf.tensor1d([1, 2, 3]), weights: tf.tensor1d([0.5, 1, 2]), lengths: [2, 1] });
   * const w = jt.toDenseWeights()!;
   * w.map((t) => t.arraySync()); // → [[0.5, 1], [2]]
   * tf.dispose(w);
   * jt.dispose();
   * ```
   */
  toDenseWeights(): tf.Tensor1D[] | null {
    liveJt('JaggedTensor.toDenseWeights', this);
    return this.weights ? (denseSlices(this.weights, this.offsets) as tf.Tensor1D[]) : null;
  }

  /**
   * `[B, N(, D)]` with N = `desiredLength ?? max(lengths ∪ {0})`: short rows padded with `paddingValue`, long rows
   * truncated to their first N values; dtype kept. Accepts `(desiredLength, paddingValue)` positionally too.
   *
   * @throws TesseraError `INVALID_ARGUMENT` when `desiredLength` is negative or not an integer.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * import { initBackend } from '@tessera/core';
   * await initBackend();
   * const jt = new JaggedTensor({ values: tf.tensor1d([1, 2, 3], 'int32'), lengths: [2, 0, 1] });
   * const d = jt.toPaddedDense({ desiredLength: 1, paddingValue: 9 }); // [[1], [9], [3]]
   * d.dispose(); jt.dispose();
   * ```
   */
  toPaddedDense(desiredLength?: number | PadOptions, paddingValue?: number): tf.Tensor {
    liveJt('JaggedTensor.toPaddedDense', this);
    const o = padOptions('JaggedTensor.toPaddedDense', desiredLength, paddingValue);
    const n = o.n ?? maxLength(this.lengths);
    checkPaddedSize('JaggedTensor.toPaddedDense', this.lengths.length, n, this.values);
    return paddedDense(this.values, this.offsets, n, o.pad);
  }

  /**
   * {@link JaggedTensor.toPaddedDense} over the weights (`[B, N]`), `null` if unweighted.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const jt = new JaggedTensor({ values: tf.tensor1d([1, 2, 3]), weights: tf.tensor1d([0.5, 1, 2]), lengths: [2, 1] });
   * const w = jt.toPaddedDenseWeights({ desiredLength: 3 })!;
   * w.arraySync(); // → [[0.5, 1, 0], [2, 0, 0]]
   * w.dispose();
   * jt.dispose();
   * ```
   */
  toPaddedDenseWeights(desiredLength?: number | PadOptions, paddingValue?: number): tf.Tensor2D | null {
    liveJt('JaggedTensor.toPaddedDenseWeights', this);
    const o = padOptions('JaggedTensor.toPaddedDenseWeights', desiredLength, paddingValue);
    if (!this.weights) return null;
    const n = o.n ?? maxLength(this.lengths);
    checkPaddedSize('JaggedTensor.toPaddedDenseWeights', this.lengths.length, n, this.weights);
    return paddedDense(this.weights, this.offsets, n, o.pad) as tf.Tensor2D;
  }

  /**
   * Same lengths exactly; values exact for int32, within tolerance for float32; weights both null or close.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const a = new JaggedTensor({ values: tf.tensor1d([1, 2, 3]), lengths: [1, 2] });
   * const b = new JaggedTensor({ values: tf.tensor1d([1, 2, 3.0001]), lengths: [1, 2] });
   * a.equal(b, { rtol: 1e-3 }); // → true
   * a.dispose();
   * b.dispose();
   * ```
   */
  equal(other: JaggedTensor, tol?: Tolerance): boolean {
    return JaggedTensor.equal(this, other, tol);
  }

  /**
   * Static form of {@link JaggedTensor.equal}.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { initBackend } from '@tessera/core';
   * import { JaggedTensor } from '@tessera/jagged-tensors';
   * await initBackend();
   * const a = new JaggedTensor({ values: tf.tensor1d([1, 2, 3]), lengths: [1, 2] });
   * const b = new JaggedTensor({ values: tf.tensor1d([1, 2, 3.0001]), lengths: [1, 2] });
   * JaggedTensor.equal(a, b, { rtol: 1e-3 }); // → true
   * a.dispose();
   * b.dispose();
   * ```
   */
  static equal(a: JaggedTensor, b: JaggedTensor, tol?: Tolerance): boolean {
    const fn = 'JaggedTensor.equal';
    if (!(a instanceof JaggedTensor) || !(b instanceof JaggedTensor)) fail('INVALID_ARGUMENT', fn, 'a and b must be JaggedTensors', b);
    liveJt(fn, a);
    liveJt(fn, b);
    checkTolerance(fn, tol);
    if (a.lengths.length !== b.lengths.length) return false;
    for (let i = 0; i < a.lengths.length; i++) if (a.lengths[i] !== b.lengths[i]) return false;
    if (!tensorsClose(a.values, b.values, tol, fn)) return false;
    if ((a.weights === null) !== (b.weights === null)) return false;
    return a.weights === null || tensorsClose(a.weights, b.weights as tf.Tensor, tol, fn);
  }

  /** Frees `values` and `weights`. @example `jt.dispose()` */
  dispose(): void {
    this.values.dispose();
    this.weights?.dispose();
  }
}

function maxLength(lengths: Int32Array): number {
  let m = 0;
  for (let i = 0; i < lengths.length; i++) if (lengths[i] > m) m = lengths[i];
  return m;
}

/** Most elements of a padded dense result, `B × N × D` (2^26 = 256 MiB of float32). */
export const MAX_PADDED_ELEMENTS = 2 ** 26;

// desiredLength alone decides the size of the result: bound it (with the bound in the message)
function checkPaddedSize(fn: string, B: number, n: number, x: tf.Tensor): void {
  const width = x.shape.slice(1).reduce((a, b) => a * b, 1);
  if (B * n * width > MAX_PADDED_ELEMENTS)
    fail(
      'INVALID_ARGUMENT',
      fn,
      `the padded result B × N × D must have at most ${MAX_PADDED_ELEMENTS} elements (2^26)`,
      `${B} × ${n} × ${width}`,
    );
}

function padOptions(fn: string, a?: number | PadOptions, b?: number): { n: number | undefined; pad: number } {
  const o: PadOptions = typeof a === 'object' && a !== null ? a : { desiredLength: a as number | undefined, paddingValue: b };
  const n = o.desiredLength;
  if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
    fail('INVALID_ARGUMENT', fn, 'desiredLength must be an integer >= 0', n);
  }
  const pad = o.paddingValue ?? 0;
  if (typeof pad !== 'number') fail('INVALID_ARGUMENT', fn, 'paddingValue must be a number', pad);
  return { n, pad };
}

function denseSlices(x: tf.Tensor, offsets: Int32Array): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (let b = 0; b + 1 < offsets.length; b++) {
    const n = offsets[b + 1] - offsets[b];
    // tfjs-backend-cpu's slice fails on zero-size inputs: build empty bags directly.
    out.push(n === 0 || x.size === 0 ? tf.zeros([n, ...x.shape.slice(1)], x.dtype) : tf.slice(x, offsets[b], n));
  }
  return out;
}

/** Padded `[B, N, ...]` from rows with bag offsets: one gather from values plus a padding row. @internal */
export function paddedDense(x: tf.Tensor, offsets: Int32Array, n: number, pad: number): tf.Tensor {
  const B = offsets.length - 1;
  const nnz = x.shape[0];
  const idx = new Int32Array(B * n);
  for (let b = 0; b < B; b++) {
    const len = offsets[b + 1] - offsets[b];
    for (let j = 0; j < n; j++) idx[b * n + j] = j < len ? offsets[b] + j : nnz;
  }
  return tf.tidy(() => {
    const trailing = x.shape.slice(1);
    const ext = tf.concat([x, tf.fill([1, ...trailing], pad, x.dtype)], 0);
    return tf.reshape(gatherRows(ext, idx), [B, n, ...trailing]);
  });
}

/** Bitwise equality of two tensors' data (int32/float32 bit patterns). @internal */
export function bitsEqual(a: tf.Tensor, b: tf.Tensor, fn: string): boolean {
  if (a.dtype !== b.dtype || a.shape.join(',') !== b.shape.join(',')) return false;
  const x = bitsOf(a, fn, 'the values', COMPARE_ALT);
  const y = bitsOf(b, fn, 'the values', COMPARE_ALT);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
