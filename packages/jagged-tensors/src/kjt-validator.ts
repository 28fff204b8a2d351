// KJT/IKJT validation, kept apart from the hot path (torchrec `torchrec/sparse/jagged_tensor_validator.py`):
// the constructor runs these checks once on untrusted input; internal operations build from trusted parts
// (`makeKjt`) and never re-validate. This module imports no KJT class, so there is no cycle through the
// IKJT constructor.
import type * as tf from '@tensorflow/tfjs-core';
import { checkInteger, checkIntegerArray, checkStringArray, checkTensor, describe } from '@tessera/core';
import { fail } from './errors.js';
import { readInt32, resolveLengthsOffsets } from './int-array.js';
import { checkValuesWeights, type JtInit } from './jagged-tensor.js';

/** Groups of keys that share one inverse-index row (RecD IKJT). */
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

/** The fields of a constructed KJT that the free operations read (a KJT satisfies it). @internal */
export interface KjtView extends KjtParts, Derived {}

/** Largest `stride` (bags per key) and largest inverse-index row: int32, as torchrec's int32 offsets. */
export const MAX_KJT_STRIDE = 2147483647;

/** Frozen copy of a K×R matrix. @internal */
export function freezeMatrix(m: readonly (readonly number[])[]): readonly (readonly number[])[] {
  return Object.freeze(m.map((r) => Object.freeze([...r])));
}

/** Validates a {@link KjtInit} against K1–K10 and I1–I2 and resolves every field. @internal */
export function checkKjt(fn: string, init: KjtInit, o: { allowDuplicateKeys?: boolean } = {}): KjtParts {
  if (typeof init !== 'object' || init === null) fail('INVALID_ARGUMENT', fn, 'init must be an object', init);
  const keys = checkStringArray(init.keys, fn, 'keys');
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
    if (inv.names.some((nm) => typeof nm !== 'string')) fail('INVALID_FORMAT', fn, 'inverse.names must be strings', inv.names, 'K8');
    if (new Set(inv.names).size !== inv.names.length) fail('INVALID_KEY', fn, 'inverse.names must be unique', inv.names, 'K8');
    const idx = inv.idx.map((r, j) => readInt32(r, fn, `inverse.idx[${j}]`, 'K8'));
    inverse = { names: Object.freeze([...inv.names]), idx: Object.freeze(idx) };
  }
  let stride: number;
  if (vbe) {
    const maxU = spk.reduce((a, b) => Math.max(a, b), 0);
    const rowLen = inverse && inverse.idx.length > 0 ? inverse.idx[0].length : undefined;
    if (init.stride !== undefined) {
      stride = checkInteger(init.stride, fn, 'stride', { min: 0, max: MAX_KJT_STRIDE });
      // K9: with inverse rows the stride is their length (stored bags may outnumber it after a non-compact
      // indexSelectDim1); without, it must cover every key's bag count.
      if (rowLen !== undefined && stride !== rowLen)
        fail('INVALID_FORMAT', fn, `stride must equal the inverse row length ${rowLen}`, stride, 'K9');
      if (rowLen === undefined && stride < maxU)
        fail('INVALID_FORMAT', fn, `a VBE stride must be >= max stridePerKey = ${maxU}`, stride, 'K9');
    } else stride = K === 0 ? 0 : (rowLen ?? maxU);
  } else if (K === 0) {
    stride = init.stride === undefined ? 0 : checkInteger(init.stride, fn, 'stride', { min: 0, max: MAX_KJT_STRIDE });
  } else {
    if (n % K !== 0) fail('INVALID_FORMAT', fn, `lengths.length must be a multiple of K = ${K} (K·stride)`, `lengths.length = ${n}`, 'K6');
    stride = n / K;
    if (init.stride !== undefined) {
      const s = checkInteger(init.stride, fn, 'stride', { min: 0, max: MAX_KJT_STRIDE });
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
    // Supplied caches are data to check, not to trust (K10): read them as bounded integer arrays first.
    const lpk = init.lengthPerKey === undefined ? undefined : checkIntegerArray(init.lengthPerKey, fn, 'lengthPerKey');
    const opk = init.offsetPerKey === undefined ? undefined : checkIntegerArray(init.offsetPerKey, fn, 'offsetPerKey');
    const d = deriveKjt(parts);
    const same = (a: readonly number[] | undefined, b: readonly number[]) =>
      a === undefined || (a.length === b.length && a.every((v, i) => v === b[i]));
    if (!same(lpk, d.lengthPerKey))
      fail('INVALID_FORMAT', fn, `lengthPerKey must equal the derived ${describe([...d.lengthPerKey])}`, lpk, 'K10');
    if (!same(opk, d.offsetPerKey))
      fail('INVALID_FORMAT', fn, `offsetPerKey must equal the derived ${describe([...d.offsetPerKey])}`, opk, 'K10');
  }
  return parts;
}

/** Keys without repeats, first occurrence order. @internal */
export function dedupeKeys(keys: readonly string[]): string[] {
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

/** Derived per-key fields of a KJT. @internal */
export interface Derived {
  stridePerKey: readonly number[];
  lengthsOffsetPerKey: readonly number[];
  lengthPerKey: readonly number[];
  offsetPerKey: readonly number[];
}

/** Computes the derived per-key fields (stridePerKey, lengthsOffsetPerKey, lengthPerKey, offsetPerKey). @internal */
export function deriveKjt(p: KjtParts): Derived {
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

/**
 * Checks that a KJT operand of an operation still owns live tensors (a disposed `values` would otherwise surface
 * as a tfjs TypeError deep inside a gather or concat). O(1). @internal
 */
export function checkLiveOperand(fn: string, name: string, x: { values: tf.Tensor; weights?: tf.Tensor | null }): void {
  checkTensor(x.values, fn, `${name}.values`);
  if (x.weights !== null && x.weights !== undefined) checkTensor(x.weights, fn, `${name}.weights`);
}
