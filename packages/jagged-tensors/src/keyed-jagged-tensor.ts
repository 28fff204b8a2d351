import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, describe } from '@tessera/core';
import { fail } from './errors.js';
import { concatInt32, type IntArrayLike, readInt32, resolveLengthsOffsets } from './int-array.js';
import { bitsEqual, checkValuesWeights, JaggedTensor, type JtInit, type Tolerance, tensorsClose } from './jagged-tensor.js';
import { bagRows, bitsOf, emptyRows, gatherRows, takeRanges } from './rows.js';

/** Groups of keys that share one inverse-index row (RecD IKJT, spec §3.2). */
export type Groups = readonly (readonly string[])[];

/** torchrec `inverse_indices`: one row of length B (= stride) per name, mapping sample b to a stored bag. */
export interface InverseIndices {
  readonly names: readonly string[];
  readonly idx: readonly Int32Array[];
}

/** Constructor input of a {@link KeyedJaggedTensor} (torchrec field names). Supplied caches are checked (K10). */
export interface KjtInit extends JtInit {
  keys: readonly string[];
  stride?: number;
  /** Variable batch per key ("VBE"): K rows × R ranks of bag counts. */
  stridePerKeyPerRank?: readonly (readonly number[])[] | null;
  /** Inverse indices (makes the result an {@link InverseKeyedJaggedTensor}). Rows may be `Int32Array` or number[]. */
  inverse?: { names: readonly string[]; idx: readonly (Int32Array | readonly number[])[] } | null;
  /** Key groups sharing one inverse row (IKJT only). Default: one group per key. */
  groups?: Groups | null;
  lengthPerKey?: readonly number[];
  offsetPerKey?: readonly number[];
}

/** Validated, fully resolved fields of a KJT. @internal */
export interface KjtParts {
  keys: readonly string[];
  values: tf.Tensor;
  weights: tf.Tensor1D | null;
  lengths: Int32Array;
  offsets: Int32Array;
  stride: number;
  stridePerKeyPerRank: readonly (readonly number[])[] | null;
  inverse: InverseIndices | null;
  groups: Groups | null;
  duplicateKeys: boolean;
}

const TRUSTED = Symbol('trusted');

function freezeMatrix(m: readonly (readonly number[])[]): readonly (readonly number[])[] {
  return Object.freeze(m.map((r) => Object.freeze([...r])));
}

/** Validates a {@link KjtInit} against K1–K10 and I1–I2 and resolves every field. @internal */
export function checkKjt(fn: string, init: KjtInit, o: { allowDuplicateKeys?: boolean } = {}): KjtParts {
  if (typeof init !== 'object' || init === null) fail('INVALID_ARGUMENT', fn, 'init must be an object', init);
  const { keys } = init;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string'))
    fail('INVALID_ARGUMENT', fn, 'keys must be an array of strings', keys);
  const { lengths, offsets } = resolveLengthsOffsets(fn, init.lengths, init.offsets, { r1: 'K1', r2: 'K1', r3: 'K1' });
  const { values, weights } = checkValuesWeights(fn, init.values, init.weights, offsets[offsets.length - 1], { sum: 'K2', weights: 'K3' });
  const K = keys.length;
  const duplicateKeys = new Set(keys).size !== K;
  if (duplicateKeys && !o.allowDuplicateKeys) {
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    fail('INVALID_KEY', fn, 'keys must be unique', `'${dup}' twice`, 'K4');
  }
  const n = lengths.length;
  if (K === 0 && n > 0) fail('INVALID_FORMAT', fn, 'a KJT without keys must have empty lengths', `${n} lengths`, 'K5');
  const vbe = init.stridePerKeyPerRank !== undefined && init.stridePerKeyPerRank !== null;
  let spk: number[];
  let spkpr: readonly (readonly number[])[] | null = null;
  if (vbe) {
    const m = init.stridePerKeyPerRank as readonly (readonly number[])[];
    if (!Array.isArray(m) || m.length !== K) fail('INVALID_FORMAT', fn, `stridePerKeyPerRank must have K = ${K} rows`, m, 'K7');
    const R = K > 0 ? (m[0] as readonly number[])?.length : 0;
    let total = 0;
    spk = m.map((row, k) => {
      if (!Array.isArray(row) || row.length !== R || R < 1)
        fail('INVALID_FORMAT', fn, 'stridePerKeyPerRank must be K×R with R >= 1', `row ${k} = ${describe(row)}`, 'K7');
      let s = 0;
      for (const v of row) {
        if (!Number.isInteger(v) || v < 0)
          fail('INVALID_FORMAT', fn, 'stridePerKeyPerRank entries must be integers >= 0', `row ${k} = ${describe(row)}`, 'K7');
        s += v;
      }
      total += s;
      return s;
    });
    if (total !== n)
      fail('INVALID_FORMAT', fn, 'the sum of stridePerKeyPerRank must equal lengths.length', `sum ${total}, lengths.length ${n}`, 'K7');
    spkpr = freezeMatrix(m);
  } else {
    spk = [];
  }
  // Inverse rows (read first: under VBE they define the stride).
  let inverse: InverseIndices | null = null;
  if (init.inverse !== undefined && init.inverse !== null) {
    const inv = init.inverse;
    if (typeof inv !== 'object' || !Array.isArray(inv.names) || !Array.isArray(inv.idx) || inv.names.length !== inv.idx.length) {
      fail('INVALID_FORMAT', fn, 'inverse must be { names, idx } with one row per name', inv, 'K8');
    }
    if (new Set(inv.names).size !== inv.names.length) fail('INVALID_KEY', fn, 'inverse.names must be unique', inv.names, 'K8');
    const idx = inv.idx.map((r, j) => readInt32(r, fn, `inverse.idx[${j}]`, 'K8'));
    inverse = { names: Object.freeze([...inv.names]), idx: Object.freeze(idx) };
  }
  let stride: number;
  if (vbe) {
    const maxU = spk.reduce((a, b) => Math.max(a, b), 0);
    const rowLen = inverse && inverse.idx.length > 0 ? inverse.idx[0].length : undefined;
    if (init.stride !== undefined) {
      stride = checkInteger(init.stride, fn, 'stride', { min: 0 });
      // K9: with inverse rows the stride is their length (stored bags may outnumber it after a non-compact
      // indexSelectDim1); without, it must cover every key's bag count.
      if (rowLen !== undefined && stride !== rowLen)
        fail('INVALID_FORMAT', fn, `stride must equal the inverse row length ${rowLen}`, stride, 'K9');
      if (rowLen === undefined && stride < maxU)
        fail('INVALID_FORMAT', fn, `a VBE stride must be >= max stridePerKey = ${maxU}`, stride, 'K9');
    } else stride = K === 0 ? 0 : (rowLen ?? maxU);
  } else if (K === 0) {
    stride = init.stride === undefined ? 0 : checkInteger(init.stride, fn, 'stride', { min: 0 });
  } else {
    if (n % K !== 0) fail('INVALID_FORMAT', fn, `lengths.length must be a multiple of K = ${K} (K·stride)`, `lengths.length = ${n}`, 'K6');
    stride = n / K;
    if (init.stride !== undefined) {
      const s = checkInteger(init.stride, fn, 'stride', { min: 0 });
      if (s !== stride) fail('INVALID_FORMAT', fn, `stride must equal lengths.length / K = ${stride}`, s, 'K9');
    }
    spk = keys.map(() => stride);
  }
  if (inverse) {
    const present = new Set(inverse.names);
    for (const k of keys) if (!present.has(k)) fail('INVALID_KEY', fn, 'every key must have an inverse row', `no row for '${k}'`, 'I1');
    inverse.idx.forEach((row, j) => {
      if (row.length !== stride)
        fail(
          'INVALID_FORMAT',
          fn,
          `every inverse row must have length stride = ${stride}`,
          `row '${inverse?.names[j]}' has ${row.length}`,
          'K8',
        );
    });
    const rowOf = new Map(inverse.names.map((nm, j) => [nm, inverse?.idx[j] as Int32Array]));
    keys.forEach((k, ki) => {
      const row = rowOf.get(k) as Int32Array;
      const U = spk[ki];
      for (let b = 0; b < row.length; b++) {
        if (row[b] < 0 || row[b] >= U)
          fail('INVALID_FORMAT', fn, `inverse indices of '${k}' must be in [0, ${U})`, `idx[${b}] = ${row[b]}`, 'I1');
      }
    });
  }
  let groups: Groups | null = null;
  if (init.groups !== undefined && init.groups !== null) {
    if (!inverse) fail('INVALID_ARGUMENT', fn, 'groups require inverse indices', init.groups);
    groups = resolveGroups(fn, keys, init.groups);
    const rowOf = new Map((inverse as InverseIndices).names.map((nm, j) => [nm, (inverse as InverseIndices).idx[j]]));
    for (const g of groups) {
      const r0 = rowOf.get(g[0]) as Int32Array;
      const u0 = spk[keys.indexOf(g[0])];
      for (const k of g.slice(1)) {
        const r = rowOf.get(k) as Int32Array;
        if (spk[keys.indexOf(k)] !== u0 || r.some((v, b) => v !== r0[b])) {
          fail('INVALID_FORMAT', fn, 'keys of one group must share U and identical inverse rows', `'${g[0]}' and '${k}' differ`, 'I2');
        }
      }
    }
  } else if (inverse) {
    groups = Object.freeze(dedupeKeys(keys).map((k) => Object.freeze([k])));
  }
  const parts: KjtParts = {
    keys: Object.freeze([...keys]),
    values,
    weights,
    lengths,
    offsets,
    stride,
    stridePerKeyPerRank: spkpr,
    inverse,
    groups,
    duplicateKeys,
  };
  if (init.lengthPerKey !== undefined || init.offsetPerKey !== undefined) {
    const d = derive(parts);
    const same = (a: readonly number[] | undefined, b: readonly number[]) =>
      a === undefined || (a.length === b.length && a.every((v, i) => v === b[i]));
    if (!same(init.lengthPerKey, d.lengthPerKey))
      fail('INVALID_FORMAT', fn, `lengthPerKey must equal the derived ${describe([...d.lengthPerKey])}`, init.lengthPerKey, 'K10');
    if (!same(init.offsetPerKey, d.offsetPerKey))
      fail('INVALID_FORMAT', fn, `offsetPerKey must equal the derived ${describe([...d.offsetPerKey])}`, init.offsetPerKey, 'K10');
  }
  return parts;
}

function dedupeKeys(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

/** Resolves a grouping: keys in no group get their own group; unknown or repeated keys are errors. @internal */
export function resolveGroups(fn: string, keys: readonly string[], groups: unknown): Groups {
  if (!Array.isArray(groups)) fail('INVALID_ARGUMENT', fn, 'groups must be an array of key arrays', groups);
  const seen = new Set<string>();
  const known = new Set(keys);
  const out: (readonly string[])[] = [];
  for (const g of groups) {
    if (!Array.isArray(g) || g.length === 0 || g.some((k) => typeof k !== 'string'))
      fail('INVALID_ARGUMENT', fn, 'each group must be a non-empty array of keys', g);
    for (const k of g) {
      if (!known.has(k)) fail('INVALID_KEY', fn, 'groups must name existing keys', `'${k}'`);
      if (seen.has(k)) fail('INVALID_KEY', fn, 'a key may appear in one group only', `'${k}' twice`);
      seen.add(k);
    }
    out.push(Object.freeze([...g]));
  }
  for (const k of dedupeKeys(keys)) if (!seen.has(k)) out.push(Object.freeze([k]));
  return Object.freeze(out);
}

interface Derived {
  stridePerKey: readonly number[];
  lengthsOffsetPerKey: readonly number[];
  lengthPerKey: readonly number[];
  offsetPerKey: readonly number[];
}

function derive(p: KjtParts): Derived {
  const K = p.keys.length;
  const spk = p.stridePerKeyPerRank ? p.stridePerKeyPerRank.map((r) => r.reduce((a, b) => a + b, 0)) : p.keys.map(() => p.stride);
  const lop = [0];
  for (let k = 0; k < K; k++) lop.push(lop[k] + spk[k]);
  const lpk: number[] = [];
  const opk = [0];
  for (let k = 0; k < K; k++) {
    lpk.push(p.offsets[lop[k + 1]] - p.offsets[lop[k]]);
    opk.push(opk[k] + lpk[k]);
  }
  return {
    stridePerKey: Object.freeze(spk),
    lengthsOffsetPerKey: Object.freeze(lop),
    lengthPerKey: Object.freeze(lpk),
    offsetPerKey: Object.freeze(opk),
  };
}

/** One per-group summary of a deduplicated batch. */
export interface GroupStats {
  keys: readonly string[];
  /** B. */
  batch: number;
  /** U: distinct bags (signatures) stored. */
  unique: number;
  /** B / U (1 when B = 0). */
  ratio: number;
}

/**
 * A batch of sparse features keyed on dim 0 and jagged on the last dim (torchrec `KeyedJaggedTensor`).
 * `lengths` is key-major (all bags of key 0, then key 1 …) and `values` follows the same order. Every derived
 * field (`stride`, `stridePerKey`, `lengthPerKey`, `offsetPerKey`, `lengthsOffsetPerKey`, `indexPerKey`) is computed
 * eagerly and frozen (spec D1). The constructor validates K1–K10 (spec §2.3); supplied `lengthPerKey`/`offsetPerKey`
 * are checked, never trusted. A KJT with `inverse` set is an {@link InverseKeyedJaggedTensor}.
 *
 * @throws TesseraError `INVALID_ARGUMENT`/`INVALID_DTYPE`/`INVALID_FORMAT` (K1), `INVALID_FORMAT` (K2, K5–K10, I2),
 * `INVALID_SHAPE` (K3), `INVALID_KEY` (K4, K8 names, I1 missing row).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * const kjt = KeyedJaggedTensor.fromLengths({
 *   keys: ['F0', 'F1'], values: tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), lengths: [2, 0, 1, 1, 1, 3],
 * });
 * kjt.stride; // 3
 * kjt.offsetPerKey; // [0, 3, 8]
 * kjt.dispose();
 * ```
 */
export class KeyedJaggedTensor {
  declare readonly format: 'kjt';
  declare readonly keys: readonly string[];
  declare readonly values: tf.Tensor;
  declare readonly weights: tf.Tensor1D | null;
  declare readonly lengths: Int32Array;
  declare readonly offsets: Int32Array;
  declare readonly stride: number;
  declare readonly stridePerKey: readonly number[];
  declare readonly stridePerKeyPerRank: readonly (readonly number[])[] | null;
  declare readonly lengthPerKey: readonly number[];
  declare readonly offsetPerKey: readonly number[];
  declare readonly lengthsOffsetPerKey: readonly number[];
  /** key → position; empty when `duplicateKeys`. */
  declare readonly indexPerKey: Readonly<Record<string, number>>;
  declare readonly inverse: InverseIndices | null;
  declare readonly groups: Groups | null;
  declare readonly duplicateKeys: boolean;

  constructor(init: KjtInit, trusted?: typeof TRUSTED) {
    const parts = trusted === TRUSTED ? (init as unknown as KjtParts) : checkKjt('KeyedJaggedTensor', init);
    if (!parts.inverse && new.target === InverseKeyedJaggedTensor) {
      fail('INVALID_ARGUMENT', 'InverseKeyedJaggedTensor', 'inverse indices are required', 'none');
    }
    if (parts.inverse && new.target === KeyedJaggedTensor) {
      // biome-ignore lint/correctness/noConstructorReturn: a KJT with inverse indices is an IKJT (spec §3.2)
      return new InverseKeyedJaggedTensor(parts as unknown as KjtInit, TRUSTED);
    }
    const d = derive(parts);
    const ipk: Record<string, number> = Object.create(null);
    if (!parts.duplicateKeys)
      parts.keys.forEach((k, i) => {
        ipk[k] = i;
      });
    Object.assign(this, parts, d, { format: 'kjt', indexPerKey: Object.freeze(ipk) });
    Object.freeze(this);
  }

  /** Validating constructor (`new KeyedJaggedTensor(init)`). @example `KeyedJaggedTensor.create({ keys, values, lengths })` */
  static create(init: KjtInit): KeyedJaggedTensor {
    return new KeyedJaggedTensor(init);
  }

  /** torchrec `from_lengths_sync`: same as the constructor. @example `KeyedJaggedTensor.fromLengths({ keys: ['a'], values, lengths: [1, 2] })` */
  static fromLengths(init: KjtInit): KeyedJaggedTensor {
    return new KeyedJaggedTensor(init);
  }

  /** torchrec `from_offsets_sync`: same as the constructor. @example `KeyedJaggedTensor.fromOffsets({ keys: ['a'], values, offsets: [0, 1, 3] })` */
  static fromOffsets(init: KjtInit): KeyedJaggedTensor {
    return new KeyedJaggedTensor(init);
  }

  /** Like {@link KeyedJaggedTensor.create}, reading tensor lengths/offsets with `data()` instead of `dataSync()`. @example `await KeyedJaggedTensor.createAsync(init)` */
  static async createAsync(init: KjtInit): Promise<KeyedJaggedTensor> {
    const read = async (x: unknown) =>
      typeof x === 'object' && x !== null && 'dataId' in x && (x as tf.Tensor).dtype === 'int32' && !(x as tf.Tensor).isDisposed
        ? Int32Array.from((await (x as tf.Tensor).data()) as Int32Array)
        : x;
    return new KeyedJaggedTensor({
      ...init,
      lengths: (await read(init.lengths)) as IntArrayLike,
      offsets: (await read(init.offsets)) as IntArrayLike,
    });
  }

  /**
   * Builds a KJT from resolved parts without validation (internal hot paths; the caller guarantees K1–K10).
   * @example `KeyedJaggedTensor.createUnsafe(parts)`
   */
  static createUnsafe(parts: KjtParts): KeyedJaggedTensor {
    return makeKjt(parts);
  }

  /**
   * Empty KJT: keys [], stride 0, empty values of `valuesDtype`.
   * @example `KeyedJaggedTensor.empty({ weighted: true })`
   */
  static empty(o: { valuesDtype?: 'int32' | 'float32'; weighted?: boolean } = {}): KeyedJaggedTensor {
    const values = tf.zeros([0], o.valuesDtype ?? 'int32');
    const weights = o.weighted ? (tf.zeros([0], 'float32') as tf.Tensor1D) : null;
    return makeKjt({ ...emptyParts(), values, weights });
  }

  /**
   * `{ key: JaggedTensor }` → KJT, keys in insertion order. Equal bag counts → non-VBE; otherwise VBE with `[[U_k]]`.
   * Weighted all-or-none (D6). Every JT must include its empty bags.
   *
   * @throws TesseraError `INVALID_ARGUMENT` on an empty dict, `INVALID_FORMAT` on a weighted/unweighted mix,
   * `INVALID_DTYPE`/`INVALID_SHAPE` on mismatched values.
   * @example
   * ```ts
   * import * as tf from '@tensorflow/tfjs-core';
   * import { JaggedTensor, KeyedJaggedTensor } from '@tessera/jagged-tensors';
   * const a = new JaggedTensor({ values: tf.tensor1d([1, 2], 'int32'), lengths: [2, 0] });
   * const kjt = KeyedJaggedTensor.fromJtDict({ a });
   * a.dispose(); kjt.dispose();
   * ```
   */
  static fromJtDict(dict: Readonly<Record<string, JaggedTensor>>): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.fromJtDict';
    const keys = Object.keys(dict ?? {});
    if (keys.length === 0) fail('INVALID_ARGUMENT', fn, 'dict must have at least one key', dict);
    const jts = keys.map((k) => {
      const j = dict[k];
      if (!(j instanceof JaggedTensor)) fail('INVALID_ARGUMENT', fn, `dict['${k}'] must be a JaggedTensor`, j);
      return j;
    });
    const weighted = jts[0].weights !== null;
    if (jts.some((j) => (j.weights !== null) !== weighted)) fail('INVALID_FORMAT', fn, 'weights must be all-or-none (D6)', 'a mix');
    checkConcatValues(
      fn,
      jts.map((j) => j.values),
    );
    const U = jts.map((j) => j.lengths.length);
    const vbe = U.some((u) => u !== U[0]);
    const lengths = concatInt32(jts.map((j) => j.lengths));
    const values = tf.concat(
      jts.map((j) => j.values),
      0,
    );
    const weights = weighted ? (tf.concat(jts.map((j) => j.weights as tf.Tensor1D)) as tf.Tensor1D) : null;
    try {
      return new KeyedJaggedTensor({ keys, values, weights, lengths, stridePerKeyPerRank: vbe ? U.map((u) => [u]) : null });
    } catch (e) {
      values.dispose();
      weights?.dispose();
      throw e;
    }
  }

  /**
   * Concatenates KJTs key-wise (spec §2.3): keys must be disjoint (D5), weights all-or-none, non-VBE strides equal,
   * VBE all-or-none with equal R, inverse rows all-or-none with equal B, values dtype and trailing dims equal.
   *
   * @throws TesseraError `INVALID_ARGUMENT` (empty list), `INVALID_KEY` (a key in two inputs), `INVALID_FORMAT`
   * (mixed weights / VBE / inverse, strides), `INVALID_DTYPE`/`INVALID_SHAPE` (values).
   * @example `KeyedJaggedTensor.concat(kjt.split([1, 1]))`
   */
  static concat(list: readonly KeyedJaggedTensor[]): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.concat';
    if (!Array.isArray(list) || list.length === 0) fail('INVALID_ARGUMENT', fn, 'list must be a non-empty array of KJTs', list);
    list.forEach((x, i) => {
      if (!(x instanceof KeyedJaggedTensor)) fail('INVALID_ARGUMENT', fn, `list[${i}] must be a KeyedJaggedTensor`, x);
    });
    const keys = list.flatMap((x) => x.keys);
    const seen = new Set<string>();
    for (const x of list) {
      for (const k of new Set<string>(x.keys)) {
        if (seen.has(k)) fail('INVALID_KEY', fn, 'a key may appear in one input only (D5)', `'${k}'`);
        seen.add(k);
      }
    }
    const weighted = list[0].weights !== null;
    if (list.some((x) => (x.weights !== null) !== weighted)) fail('INVALID_FORMAT', fn, 'weights must be all-or-none', 'a mix');
    const vbe = list[0].stridePerKeyPerRank !== null;
    if (list.some((x) => (x.stridePerKeyPerRank !== null) !== vbe)) fail('INVALID_FORMAT', fn, 'VBE must be all-or-none', 'a mix');
    const inv = list[0].inverse !== null;
    if (list.some((x) => (x.inverse !== null) !== inv)) fail('INVALID_FORMAT', fn, 'inverse indices must be all-or-none', 'a mix');
    checkConcatValues(
      fn,
      list.map((x) => x.values),
    );
    const keyed = list.filter((x) => x.keys.length > 0);
    const strides = new Set((keyed.length ? keyed : list).map((x) => x.stride));
    if ((!vbe || inv) && strides.size > 1) fail('INVALID_FORMAT', fn, 'all inputs must have the same stride', [...strides]);
    const stride = vbe && !inv ? Math.max(...list.map((x) => x.stride)) : [...strides][0];
    let matrix: number[][] | null = null;
    if (vbe) {
      const Rs = new Set(keyed.map((x) => (x.stridePerKeyPerRank as number[][])[0].length));
      if (Rs.size > 1) fail('INVALID_FORMAT', fn, 'VBE inputs must have the same number of ranks R', [...Rs]);
      matrix = list.flatMap((x) => (x.stridePerKeyPerRank as number[][]).map((r) => [...r]));
    }
    const lengths = concatInt32(list.map((x) => x.lengths));
    const values = tf.concat(
      list.map((x) => x.values),
      0,
    );
    const weights = weighted ? (tf.concat(list.map((x) => x.weights as tf.Tensor1D)) as tf.Tensor1D) : null;
    const inverse = inv
      ? { names: list.flatMap((x) => (x.inverse as InverseIndices).names), idx: list.flatMap((x) => (x.inverse as InverseIndices).idx) }
      : null;
    const groups = inv ? list.flatMap((x) => x.groups ?? []) : null;
    return makeKjt({
      keys,
      values,
      weights,
      lengths,
      offsets: cumsum(lengths),
      stride,
      stridePerKeyPerRank: matrix,
      inverse,
      groups,
      duplicateKeys: list.some((x) => x.duplicateKeys),
    });
  }

  /** torchrec's name for {@link KeyedJaggedTensor.inverse}: `{ names, idx }` (one row of length B per name) or null. */
  get inverseIndices(): InverseIndices | null {
    return this.inverse;
  }

  /** K, the number of keys. */
  get numKeys(): number {
    return this.keys.length;
  }

  /** Whether the batch size varies per key (`stridePerKeyPerRank` set). */
  get variableStride(): boolean {
    return this.stridePerKeyPerRank !== null;
  }

  /** Re-runs every construction check (K1–K10, I1–I2). @throws TesseraError as the constructor. @example `kjt.validate()` */
  validate(): void {
    checkKjt('KeyedJaggedTensor.validate', partsOf(this), { allowDuplicateKeys: this.duplicateKeys });
  }

  /**
   * The JT of one key: its block of lengths and its values/weights. On an IKJT it holds the stored (unique) bags.
   *
   * @throws TesseraError `INVALID_KEY` for an unknown key or a key that occurs twice (D9).
   * @example `const jt = kjt.get('F0'); jt.dispose();`
   */
  get(key: string): JaggedTensor {
    const k = this.keyIndex('KeyedJaggedTensor.get', key);
    const lop = this.lengthsOffsetPerKey;
    const opk = this.offsetPerKey;
    const lengths = this.lengths.slice(lop[k], lop[k + 1]);
    const offsets = cumsum(lengths);
    const values = takeRanges(this.values, [[opk[k], opk[k + 1]]]);
    const weights = this.weights ? (takeRanges(this.weights, [[opk[k], opk[k + 1]]]) as tf.Tensor1D) : null;
    return JaggedTensor.createUnsafe({ values, weights, lengths, offsets });
  }

  /** `{ key: get(key) }` in key order, not cached. @throws TesseraError `INVALID_KEY` when keys repeat. @example `kjt.toDict()` */
  toDict(): Record<string, JaggedTensor> {
    if (this.duplicateKeys) fail('INVALID_KEY', 'KeyedJaggedTensor.toDict', 'keys must be unique', describe([...this.keys]), 'K4');
    const out: Record<string, JaggedTensor> = {};
    for (const k of this.keys) out[k] = this.get(k);
    return out;
  }

  /**
   * Splits consecutive keys into parts of `segments[i]` keys (Σ = K). Every part keeps the parent stride; a
   * 0-key part is empty with the same dtype and weightedness; inverse rows go with their keys (D4). New tensors
   * always (D10).
   *
   * @throws TesseraError `INVALID_ARGUMENT` when segments are not integers >= 0 summing to K.
   * @example `const [a, b] = kjt.split([1, 1]);`
   */
  split(segments: readonly number[]): KeyedJaggedTensor[] {
    const fn = 'KeyedJaggedTensor.split';
    if (!Array.isArray(segments)) fail('INVALID_ARGUMENT', fn, 'segments must be an array of integers', segments);
    for (let i = 0; i < segments.length; i++) checkInteger(segments[i], fn, `segments[${i}]`, { min: 0 });
    const total = segments.reduce((a, b) => a + b, 0);
    if (total !== this.keys.length) fail('INVALID_ARGUMENT', fn, `segments must sum to K = ${this.keys.length}`, total);
    const out: KeyedJaggedTensor[] = [];
    let start = 0;
    for (const s of segments) {
      out.push(this.slicedKeys(start, start + s));
      start += s;
    }
    return out;
  }

  /**
   * Reorders keys: output key j is input key `indices[j]`; repeats and omissions allowed. Each key's block of
   * lengths/values/weights moves as a unit; stride and weightedness are kept; inverse rows follow their keys (D4);
   * repeats set `duplicateKeys`.
   *
   * @throws TesseraError `INDEX_OUT_OF_RANGE` when an index is outside [0, K).
   * @example `const swapped = kjt.permute([1, 0]);`
   */
  permute(indices: readonly number[]): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.permute';
    const K = this.keys.length;
    const idx = readInt32(indices, fn, 'indices');
    for (let j = 0; j < idx.length; j++) {
      if (idx[j] < 0 || idx[j] >= K) fail('INDEX_OUT_OF_RANGE', fn, `indices must be in [0, ${K})`, `indices[${j}] = ${idx[j]}`);
    }
    const lop = this.lengthsOffsetPerKey;
    const opk = this.offsetPerKey;
    const lengths = concatInt32(Array.from(idx, (k) => this.lengths.subarray(lop[k], lop[k + 1])));
    const ranges = Array.from(idx, (k): [number, number] => [opk[k], opk[k + 1]]);
    const keys = Array.from(idx, (k) => this.keys[k]);
    const values = takeRanges(this.values, ranges);
    const weights = this.weights ? (takeRanges(this.weights, ranges) as tf.Tensor1D) : null;
    return makeKjt({
      keys,
      values,
      weights,
      lengths,
      offsets: cumsum(lengths),
      stride: this.stride,
      stridePerKeyPerRank: this.stridePerKeyPerRank ? Array.from(idx, (k) => (this.stridePerKeyPerRank as number[][])[k]) : null,
      ...this.carryInverse(keys),
      duplicateKeys: new Set(keys).size !== keys.length,
    });
  }

  /**
   * Selects the same samples in every key (FBGEMM `keyed_jagged_index_select_dim1`): output bag (k, j) = input bag
   * (k, indices[j]); stride = indices.length. On an IKJT it selects inverse columns and keeps the stored bags; with
   * `compact` it drops unreferenced bags and renumbers them in first-occurrence order.
   *
   * @throws TesseraError `INDEX_OUT_OF_RANGE` (index outside [0, stride)), `UNSUPPORTED` (VBE without inverse).
   * @example `const firstTwo = kjt.indexSelectDim1([0, 1]);`
   */
  indexSelectDim1(indices: IntArrayLike, o: { compact?: boolean } = {}): KeyedJaggedTensor {
    const fn = 'KeyedJaggedTensor.indexSelectDim1';
    const sel = readInt32(indices, fn, 'indices');
    const B = this.stride;
    for (let j = 0; j < sel.length; j++) {
      if (sel[j] < 0 || sel[j] >= B) fail('INDEX_OUT_OF_RANGE', fn, `indices must be in [0, ${B})`, `indices[${j}] = ${sel[j]}`);
    }
    if (this.inverse) return selectInverse(this, sel, o.compact === true);
    if (this.stridePerKeyPerRank)
      fail('UNSUPPORTED', fn, 'a VBE KJT without inverse indices cannot be selected on dim 1', 'stridePerKeyPerRank set');
    const K = this.keys.length;
    const M = sel.length;
    const bags = new Int32Array(K * M);
    for (let k = 0; k < K; k++) for (let j = 0; j < M; j++) bags[k * M + j] = k * B + sel[j];
    return this.withBags(bags, { stride: M, stridePerKeyPerRank: null, inverse: null, groups: null });
  }

  /** Alias of {@link KeyedJaggedTensor.indexSelectDim1}. @example `kjt.indexSelect([2, 0])` */
  indexSelect(indices: IntArrayLike, o: { compact?: boolean } = {}): KeyedJaggedTensor {
    return this.indexSelectDim1(indices, o);
  }

  /** Empty KJT keeping dtype, trailing dims, weightedness and VBE-ness. @example `kjt.emptyLike()` */
  emptyLike(): KeyedJaggedTensor {
    return makeKjt({
      ...emptyParts(),
      values: emptyRows(this.values),
      weights: this.weights ? (emptyRows(this.weights) as tf.Tensor1D) : null,
      stridePerKeyPerRank: this.stridePerKeyPerRank ? [] : null,
    });
  }

  /**
   * Same keys in order, same lengths/stride/VBE matrix/inverse exactly; values and weights as in JT `equal`.
   * @example `a.equal(b)`
   */
  equal(other: KeyedJaggedTensor, tol?: Tolerance): boolean {
    return KeyedJaggedTensor.equal(this, other, tol);
  }

  /** Static form of {@link KeyedJaggedTensor.equal}. @example `KeyedJaggedTensor.equal(a, b)` */
  static equal(a: KeyedJaggedTensor, b: KeyedJaggedTensor, tol?: Tolerance): boolean {
    const j = (x: unknown) => JSON.stringify(x);
    if (j(a.keys) !== j(b.keys) || a.stride !== b.stride || j(a.stridePerKeyPerRank) !== j(b.stridePerKeyPerRank)) return false;
    if (a.lengths.length !== b.lengths.length || a.lengths.some((v, i) => v !== b.lengths[i])) return false;
    if ((a.inverse === null) !== (b.inverse === null)) return false;
    if (a.inverse && b.inverse) {
      if (j(a.inverse.names) !== j(b.inverse.names)) return false;
      if (a.inverse.idx.some((r, i) => j(Array.from(r)) !== j(Array.from((b.inverse as InverseIndices).idx[i])))) return false;
    }
    if (!tensorsClose(a.values, b.values, tol)) return false;
    if ((a.weights === null) !== (b.weights === null)) return false;
    return a.weights === null || tensorsClose(a.weights, b.weights as tf.Tensor, tol);
  }

  /** Bitwise equality of everything (values/weights by bit pattern). @example `a.bitwiseEqual(b)` */
  bitwiseEqual(other: KeyedJaggedTensor): boolean {
    if (!KeyedJaggedTensor.equal(this, other, { rtol: Number.POSITIVE_INFINITY, atol: Number.POSITIVE_INFINITY })) return false;
    if (!bitsEqual(this.values, other.values)) return false;
    return this.weights === null || bitsEqual(this.weights, other.weights as tf.Tensor);
  }

  /**
   * torchrec `dist_splits`: `[Σ stridePerKey per split, Σ lengthPerKey per split, (keySplits if VBE), (lengthPerKey
   * split again if weighted)]`.
   * @throws TesseraError `INVALID_ARGUMENT` when keySplits do not sum to K.
   * @example `kjt.distSplits([1, 1])`
   */
  distSplits(keySplits: readonly number[]): number[][] {
    const fn = 'KeyedJaggedTensor.distSplits';
    if (!Array.isArray(keySplits) || keySplits.reduce((a, b) => a + b, 0) !== this.keys.length) {
      fail('INVALID_ARGUMENT', fn, `keySplits must sum to K = ${this.keys.length}`, keySplits);
    }
    const sums = (arr: readonly number[]) => {
      const out: number[] = [];
      let s = 0;
      for (const n of keySplits) {
        out.push(arr.slice(s, s + n).reduce((a, b) => a + b, 0));
        s += n;
      }
      return out;
    };
    const res = [sums(this.stridePerKey), sums(this.lengthPerKey)];
    if (this.stridePerKeyPerRank) res.push([...keySplits]);
    if (this.weights) res.push(sums(this.lengthPerKey));
    return res;
  }

  /** Frees `values` and `weights`. @example `kjt.dispose()` */
  dispose(): void {
    this.values.dispose();
    this.weights?.dispose();
  }

  /** @internal */
  keyIndex(fn: string, key: string): number {
    const k = this.keys.indexOf(key);
    if (k < 0) fail('INVALID_KEY', fn, 'unknown key', `'${key}' (keys ${describe([...this.keys])})`);
    if (this.keys.lastIndexOf(key) !== k) fail('INVALID_KEY', fn, 'the key occurs more than once (ambiguous, D9)', `'${key}'`, 'K4');
    return k;
  }

  /** Inverse rows and groups restricted to `keys` (D4). @internal */
  carryInverse(keys: readonly string[]): { inverse: InverseIndices | null; groups: Groups | null } {
    if (!this.inverse) return { inverse: null, groups: null };
    const present = new Set(keys);
    const names: string[] = [];
    const idx: Int32Array[] = [];
    this.inverse.names.forEach((nm, j) => {
      if (present.has(nm)) {
        names.push(nm);
        idx.push((this.inverse as InverseIndices).idx[j]);
      }
    });
    const groups = (this.groups ?? []).map((g) => g.filter((k) => present.has(k))).filter((g) => g.length > 0);
    return { inverse: { names, idx }, groups };
  }

  /** Sub-KJT of keys [a, b). @internal */
  slicedKeys(a: number, b: number): KeyedJaggedTensor {
    const lop = this.lengthsOffsetPerKey;
    const opk = this.offsetPerKey;
    const keys = this.keys.slice(a, b);
    const lengths = this.lengths.slice(lop[a], lop[b]);
    const values = takeRanges(this.values, [[opk[a], opk[b]]]);
    const weights = this.weights ? (takeRanges(this.weights, [[opk[a], opk[b]]]) as tf.Tensor1D) : null;
    return makeKjt({
      keys,
      values,
      weights,
      lengths,
      offsets: cumsum(lengths),
      stride: this.stride,
      stridePerKeyPerRank: this.stridePerKeyPerRank ? this.stridePerKeyPerRank.slice(a, b) : null,
      ...this.carryInverse(keys),
      duplicateKeys: new Set(keys).size !== keys.length,
    });
  }

  /** New KJT with the same keys whose bags are the listed global bags of this one (in order). @internal */
  withBags(bags: Int32Array, rest: Pick<KjtParts, 'stride' | 'stridePerKeyPerRank' | 'inverse' | 'groups'>): KeyedJaggedTensor {
    const lengths = new Int32Array(bags.length);
    for (let i = 0; i < bags.length; i++) lengths[i] = this.lengths[bags[i]];
    const rows = bagRows(this.offsets, bags);
    const values = gatherRows(this.values, rows);
    const weights = this.weights ? (gatherRows(this.weights, rows) as tf.Tensor1D) : null;
    return makeKjt({ keys: this.keys, values, weights, lengths, offsets: cumsum(lengths), duplicateKeys: this.duplicateKeys, ...rest });
  }
}

/**
 * A {@link KeyedJaggedTensor} with inverse indices (RecD IKJT, spec §3): key k stores U_k distinct bags
 * (`stridePerKeyPerRank = [[U_k]]`) and `inverse` maps each of the B samples to one of them; `stride` = B. Keys of
 * one group share one inverse row. Built by {@link dedup}; `expand()` gives back the B-row KJT.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedJaggedTensor, dedup } from '@tessera/jagged-tensors';
 * const kjt = KeyedJaggedTensor.fromLengths({ keys: ['u'], values: tf.tensor1d([5, 6, 5, 6], 'int32'), lengths: [2, 2] });
 * const ikjt = dedup(kjt);
 * ikjt.dedupRatio; // 2
 * const back = ikjt.expand();
 * tf.dispose([kjt.values, ikjt.values, back.values]);
 * ```
 */
export class InverseKeyedJaggedTensor extends KeyedJaggedTensor {
  declare readonly inverse: InverseIndices;
  declare readonly groups: Groups;

  /** Stored bag count U_k per key (alias of `stridePerKey`), as a record. */
  get uniqueCounts(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    this.keys.forEach((k, i) => {
      out[k] = this.stridePerKey[i];
    });
    return out;
  }

  /** Per-group `{ keys, batch: B, unique: U, ratio: B/U }`. */
  get stats(): GroupStats[] {
    return this.groups.map((g) => {
      const unique = this.stridePerKey[this.keys.indexOf(g[0])];
      return { keys: g, batch: this.stride, unique, ratio: unique === 0 ? 1 : this.stride / unique };
    });
  }

  /**
   * Overall dedup ratio: bags of the expanded batch over bags stored, `K·B / Σ U_k` (1 for an empty batch).
   * Per-group ratios are in {@link InverseKeyedJaggedTensor.stats}.
   */
  get dedupRatio(): number {
    const stored = this.stridePerKey.reduce((a, b) => a + b, 0);
    return stored === 0 ? 1 : (this.keys.length * this.stride) / stored;
  }

  /** Self-reference so that `dedup(x).ikjt` reads like the spec sketch's `{ ikjt, stats }` result. */
  get ikjt(): InverseKeyedJaggedTensor {
    return this;
  }

  /** The inverse row of a key. @throws TesseraError `INVALID_KEY` for an unknown key. @example `ikjt.inverseIndicesOf('F0')` */
  inverseIndicesOf(key: string): Int32Array {
    const j = this.inverse.names.indexOf(key);
    if (j < 0) fail('INVALID_KEY', 'InverseKeyedJaggedTensor.inverseIndicesOf', 'unknown key', `'${key}'`);
    return this.inverse.idx[j];
  }

  /**
   * The non-VBE KJT with B bags per key: bag (k, b) = stored bag `idx_k[b]` (torchrec's expansion oracle,
   * spec §3.3). Weightedness kept.
   * @example `const kjt = ikjt.expand();`
   */
  expand(): KeyedJaggedTensor {
    const K = this.keys.length;
    const B = this.stride;
    const lop = this.lengthsOffsetPerKey;
    const bags = new Int32Array(K * B);
    for (let k = 0; k < K; k++) {
      const row = this.inverseIndicesOf(this.keys[k]);
      for (let b = 0; b < B; b++) bags[k * B + b] = lop[k] + row[b];
    }
    return this.withBags(bags, { stride: B, stridePerKeyPerRank: null, inverse: null, groups: null });
  }

  /**
   * Checks I1–I2 plus, with `dedupOrder`, the dedup-output rules I3 (first-occurrence order) and I4 (stored
   * signatures of a group pairwise distinct, U ≤ B).
   * @throws TesseraError `INVALID_FORMAT` with rule I3 or I4, or as {@link KeyedJaggedTensor.validate}.
   * @example `ikjt.validate({ dedupOrder: true })`
   */
  override validate(o: { dedupOrder?: boolean } = {}): void {
    super.validate();
    if (!o.dedupOrder) return;
    const fn = 'InverseKeyedJaggedTensor.validate';
    const B = this.stride;
    for (const g of this.groups) {
      const row = this.inverseIndicesOf(g[0]);
      const U = this.stridePerKey[this.keys.indexOf(g[0])];
      if (U > B) fail('INVALID_FORMAT', fn, `U must be <= B = ${B}`, `U = ${U} for group ${describe([...g])}`, 'I4');
      let next = 0;
      for (let b = 0; b < B; b++) {
        if (row[b] > next)
          fail(
            'INVALID_FORMAT',
            fn,
            'inverse rows must be in first-occurrence order',
            `idx[${b}] = ${row[b]} before ${next} occurred`,
            'I3',
          );
        if (row[b] === next) next++;
      }
      if (next !== U)
        fail('INVALID_FORMAT', fn, 'every stored bag must be referenced', `${next} of ${U} referenced in group ${describe([...g])}`, 'I4');
      const sigs = new Set<string>();
      for (let u = 0; u < U; u++) {
        const s = g.map((k) => bagSignature(this, this.keys.indexOf(k), u)).join('|');
        if (sigs.has(s))
          fail('INVALID_FORMAT', fn, 'stored bags of a group must be pairwise distinct', `group ${describe([...g])} bag ${u}`, 'I4');
        sigs.add(s);
      }
    }
  }
}

function bagSignature(x: KeyedJaggedTensor, k: number, u: number): string {
  const bag = x.lengthsOffsetPerKey[k] + u;
  const w = x.values.shape[1] ?? 1;
  const s = x.offsets[bag];
  const e = x.offsets[bag + 1];
  const v = Array.from(bitsOf(x.values).subarray(s * w, e * w));
  const ws = x.weights ? Array.from(bitsOf(x.weights).subarray(s, e)) : [];
  return `${v.join(',')};${ws.join(',')}`;
}

function selectInverse(x: KeyedJaggedTensor, sel: Int32Array, compact: boolean): KeyedJaggedTensor {
  const inv = x.inverse as InverseIndices;
  // One new row per distinct old row object, so keys of a group keep sharing a row (I2).
  const newRow = new Map<Int32Array, { idx: Int32Array; keep: Int32Array | null }>();
  for (const row of inv.idx) {
    if (newRow.has(row)) continue;
    const idx = new Int32Array(sel.length);
    for (let j = 0; j < sel.length; j++) idx[j] = row[sel[j]];
    let keep: Int32Array | null = null;
    if (compact) {
      const remap = new Map<number, number>();
      const kept: number[] = [];
      for (let j = 0; j < idx.length; j++) {
        let r = remap.get(idx[j]);
        if (r === undefined) {
          r = kept.length;
          remap.set(idx[j], r);
          kept.push(idx[j]);
        }
        idx[j] = r;
      }
      keep = Int32Array.from(kept);
    }
    newRow.set(row, { idx, keep });
  }
  const rowOf = new Map(inv.names.map((nm, j) => [nm, inv.idx[j]]));
  const lop = x.lengthsOffsetPerKey;
  const bags: number[] = [];
  const matrix: number[][] = [];
  x.keys.forEach((key, k) => {
    const keep = (newRow.get(rowOf.get(key) as Int32Array) as { keep: Int32Array | null }).keep;
    if (keep) {
      for (const u of keep) bags.push(lop[k] + u);
      matrix.push([keep.length]);
    } else {
      for (let u = lop[k]; u < lop[k + 1]; u++) bags.push(u);
      matrix.push([lop[k + 1] - lop[k]]);
    }
  });
  return x.withBags(Int32Array.from(bags), {
    stride: sel.length,
    stridePerKeyPerRank: matrix,
    inverse: { names: inv.names, idx: inv.idx.map((r) => (newRow.get(r) as { idx: Int32Array }).idx) },
    groups: x.groups,
  });
}

function checkConcatValues(fn: string, vs: readonly tf.Tensor[]): void {
  const t0 = vs[0];
  vs.forEach((v, i) => {
    if (v.dtype !== t0.dtype) fail('INVALID_DTYPE', fn, `values must share dtype ${t0.dtype}`, `input ${i}: ${v.dtype}`);
    if (v.shape.slice(1).join(',') !== t0.shape.slice(1).join(',')) {
      fail('INVALID_SHAPE', fn, `values must share trailing dims [${t0.shape.slice(1).join(', ')}]`, `input ${i}: [${v.shape.join(', ')}]`);
    }
  });
}

function emptyParts(): Omit<KjtParts, 'values' | 'weights'> {
  return {
    keys: [],
    lengths: new Int32Array(0),
    offsets: new Int32Array(1),
    stride: 0,
    stridePerKeyPerRank: null,
    inverse: null,
    groups: null,
    duplicateKeys: false,
  };
}

/** Fields of a KJT as constructor input. @internal */
export function partsOf(x: KeyedJaggedTensor): KjtInit {
  return {
    keys: x.keys,
    values: x.values,
    weights: x.weights,
    lengths: x.lengths,
    offsets: x.offsets,
    stride: x.stride,
    stridePerKeyPerRank: x.stridePerKeyPerRank,
    inverse: x.inverse,
    groups: x.groups,
  };
}

/** `[0, cumsum]` without the overflow check (inputs already validated). @internal */
export function cumsum(l: Int32Array): Int32Array {
  const o = new Int32Array(l.length + 1);
  for (let i = 0; i < l.length; i++) o[i + 1] = o[i] + l[i];
  return o;
}

/** Builds a KJT or IKJT from trusted parts (freezing arrays of metadata). @internal */
export function makeKjt(p: KjtParts): KeyedJaggedTensor {
  const parts: KjtParts = {
    ...p,
    keys: Object.freeze([...p.keys]),
    stridePerKeyPerRank: p.stridePerKeyPerRank ? freezeMatrix(p.stridePerKeyPerRank) : null,
    inverse: p.inverse ? Object.freeze({ names: Object.freeze([...p.inverse.names]), idx: Object.freeze([...p.inverse.idx]) }) : null,
    groups: p.groups ? Object.freeze(p.groups.map((g) => Object.freeze([...g]))) : null,
  };
  const Ctor = parts.inverse ? InverseKeyedJaggedTensor : KeyedJaggedTensor;
  return new Ctor(parts as unknown as KjtInit, TRUSTED);
}
