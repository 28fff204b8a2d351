// Free KJT operations (torchrec `torchrec/sparse/jagged_tensor.py`: `_kjt_concat`, `_permute_tensor_by_segments`,
// FBGEMM `keyed_jagged_index_select_dim1`). Each takes already-validated KJTs (a `KjtView`) and returns the
// resolved parts of the result; the KeyedJaggedTensor class wraps them with `makeKjt`. Like the validator, this
// module imports no KJT class, so neither depends on the IKJT constructor.
import * as tf from '@tensorflow/tfjs-core';
import { fail } from './errors.js';
import { concatInt32, readInt32 } from './int-array.js';
import type { Groups, InverseIndices, KjtParts, KjtView } from './kjt-validator.js';
import { bagRows, gatherBagRowsInt32, gatherRows, takeRanges } from './rows.js';

/** `[0, cumsum]` without the overflow check (inputs already validated). @internal */
export function cumsum(l: Int32Array): Int32Array {
  const o = new Int32Array(l.length + 1);
  for (let i = 0; i < l.length; i++) o[i + 1] = o[i] + l[i];
  return o;
}

/** Parts of an empty KJT (no keys, stride 0), without values/weights. @internal */
export function emptyParts(): Omit<KjtParts, 'values' | 'weights'> {
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

/** Values of several KJTs/JTs must share dtype and trailing dims before a concat. @internal */
export function checkConcatValues(fn: string, vs: readonly tf.Tensor[]): void {
  const t0 = vs[0];
  vs.forEach((v, i) => {
    if (v.dtype !== t0.dtype) fail('INVALID_DTYPE', fn, `values must share dtype ${t0.dtype}`, `input ${i}: ${v.dtype}`);
    if (v.shape.slice(1).join(',') !== t0.shape.slice(1).join(',')) {
      fail('INVALID_SHAPE', fn, `values must share trailing dims [${t0.shape.slice(1).join(', ')}]`, `input ${i}: [${v.shape.join(', ')}]`);
    }
  });
}

/** Inverse rows and groups of `x` restricted to `keys` (D4). @internal */
export function carryInverse(x: KjtView, keys: readonly string[]): { inverse: InverseIndices | null; groups: Groups | null } {
  if (!x.inverse) return { inverse: null, groups: null };
  const present = new Set(keys);
  const names: string[] = [];
  const idx: Int32Array[] = [];
  x.inverse.names.forEach((nm, j) => {
    if (present.has(nm)) {
      names.push(nm);
      idx.push((x.inverse as InverseIndices).idx[j]);
    }
  });
  const groups = (x.groups ?? []).map((g) => g.filter((k) => present.has(k))).filter((g) => g.length > 0);
  return { inverse: { names, idx }, groups };
}

/** Parts of the sub-KJT of keys [a, b). @internal */
export function slicedKeysParts(x: KjtView, a: number, b: number): KjtParts {
  const lop = x.lengthsOffsetPerKey;
  const opk = x.offsetPerKey;
  const keys = x.keys.slice(a, b);
  const lengths = x.lengths.slice(lop[a], lop[b]);
  const values = takeRanges(x.values, [[opk[a], opk[b]]]);
  const weights = x.weights ? (takeRanges(x.weights, [[opk[a], opk[b]]]) as tf.Tensor1D) : null;
  return {
    keys,
    values,
    weights,
    lengths,
    offsets: cumsum(lengths),
    stride: x.stride,
    stridePerKeyPerRank: x.stridePerKeyPerRank ? x.stridePerKeyPerRank.slice(a, b) : null,
    ...carryInverse(x, keys),
    duplicateKeys: new Set(keys).size !== keys.length,
  };
}

/** Parts of a KJT with the same keys whose bags are the listed global bags of `x` (in order). @internal */
export function withBagsParts(
  x: KjtView,
  bags: Int32Array,
  rest: Pick<KjtParts, 'stride' | 'stridePerKeyPerRank' | 'inverse' | 'groups'>,
): KjtParts {
  const lengths = new Int32Array(bags.length);
  for (let i = 0; i < bags.length; i++) lengths[i] = x.lengths[bags[i]];
  // int32 ids without weights (no row list needed): one range copy per bag
  const rows = x.values.dtype === 'int32' && !x.weights ? null : bagRows(x.offsets, bags);
  const values = rows === null ? gatherBagRowsInt32(x.values, x.offsets, bags) : gatherRows(x.values, rows);
  let weights: tf.Tensor1D | null = null;
  try {
    weights = x.weights ? (gatherRows(x.weights, rows as Int32Array) as tf.Tensor1D) : null;
  } catch (e) {
    values.dispose();
    throw e;
  }
  return { keys: x.keys, values, weights, lengths, offsets: cumsum(lengths), duplicateKeys: x.duplicateKeys, ...rest };
}

/**
 * Key-wise concatenation: keys disjoint (D5), weights all-or-none, non-VBE strides equal, VBE
 * all-or-none with equal R, inverse rows all-or-none with equal B, values dtype and trailing dims equal. Every
 * check runs before any tensor is allocated. @internal
 */
export function concatParts(fn: string, list: readonly KjtView[]): KjtParts {
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
  return {
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
  };
}

/**
 * Reorders keys: output key j is input key `indices[j]`; repeats and omissions allowed (torchrec `permute`). Each
 * key's block of lengths/values/weights moves as a unit; inverse rows follow their keys (D4). @internal
 */
export function permuteParts(fn: string, x: KjtView, indices: unknown): KjtParts {
  const K = x.keys.length;
  const idx = readInt32(indices, fn, 'indices');
  for (let j = 0; j < idx.length; j++) {
    if (idx[j] < 0 || idx[j] >= K) fail('INDEX_OUT_OF_RANGE', fn, `indices must be in [0, ${K})`, `indices[${j}] = ${idx[j]}`);
  }
  const lop = x.lengthsOffsetPerKey;
  const opk = x.offsetPerKey;
  const lengths = concatInt32(Array.from(idx, (k) => x.lengths.subarray(lop[k], lop[k + 1])));
  const ranges = Array.from(idx, (k): [number, number] => [opk[k], opk[k + 1]]);
  const keys = Array.from(idx, (k) => x.keys[k]);
  const values = takeRanges(x.values, ranges);
  const weights = x.weights ? (takeRanges(x.weights, ranges) as tf.Tensor1D) : null;
  return {
    keys,
    values,
    weights,
    lengths,
    offsets: cumsum(lengths),
    stride: x.stride,
    stridePerKeyPerRank: x.stridePerKeyPerRank ? Array.from(idx, (k) => (x.stridePerKeyPerRank as number[][])[k]) : null,
    ...carryInverse(x, keys),
    duplicateKeys: new Set(keys).size !== keys.length,
  };
}

/**
 * Selects the same samples in every key (FBGEMM `keyed_jagged_index_select_dim1`): output bag (k, j) = input bag
 * (k, indices[j]). On an IKJT it selects inverse columns and keeps the stored bags (`compact` drops unreferenced
 * ones, renumbering in first-occurrence order). @internal
 */
export function indexSelectParts(fn: string, x: KjtView, indices: unknown, compact: boolean): KjtParts {
  const sel = readInt32(indices, fn, 'indices');
  const B = x.stride;
  for (let j = 0; j < sel.length; j++) {
    if (sel[j] < 0 || sel[j] >= B) fail('INDEX_OUT_OF_RANGE', fn, `indices must be in [0, ${B})`, `indices[${j}] = ${sel[j]}`);
  }
  if (x.inverse) return selectInverseParts(x, sel, compact);
  if (x.stridePerKeyPerRank)
    fail('UNSUPPORTED', fn, 'a VBE KJT without inverse indices cannot be selected on dim 1', 'stridePerKeyPerRank set');
  const K = x.keys.length;
  const M = sel.length;
  const bags = new Int32Array(K * M);
  for (let k = 0; k < K; k++) for (let j = 0; j < M; j++) bags[k * M + j] = k * B + sel[j];
  return withBagsParts(x, bags, { stride: M, stridePerKeyPerRank: null, inverse: null, groups: null });
}

function selectInverseParts(x: KjtView, sel: Int32Array, compact: boolean): KjtParts {
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
  return withBagsParts(x, Int32Array.from(bags), {
    stride: sel.length,
    stridePerKeyPerRank: matrix,
    inverse: { names: inv.names, idx: inv.idx.map((r) => (newRow.get(r) as { idx: Int32Array }).idx) },
    groups: x.groups,
  });
}

/** Fields of a KJT as constructor input. @internal */
export function partsOf(x: KjtView): KjtParts {
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
    duplicateKeys: x.duplicateKeys,
  };
}
