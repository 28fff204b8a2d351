// Functional pooled and sequence lookups over plain tables; the
// EmbeddingBagCollection / EmbeddingCollection classes call the same code with their variables.
import type * as tf from '@tensorflow/tfjs-core';
import { canReadSync, checkOneOf, checkOptions, checkTensor, readSync } from '@tessera/core';
import { awaitData, type DeviceFeature, deviceLookupRows, devicePooledOp, tryReadSync } from './device.js';
import { fail } from './errors.js';
import { JaggedTensor } from './jagged-tensor.js';
import { cumsum, InverseKeyedJaggedTensor, KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { KeyedTensor } from './keyed-tensor.js';
import { jaggedIndexSelect } from './ops.js';
import { checkIds, type EmbeddingBagKernel, type PooledFeature, pooledOp, poolingRoute } from './pooling.js';
import { gatherRows } from './rows.js';

/** An embedding table for {@link pooledLookup} / {@link sequenceLookup}: its weight is used as given (no copy). */
export interface EmbeddingTable {
  name: string;
  /** float32 `[R, D]` (a `tf.Variable` to train it). */
  weight: tf.Tensor2D;
  featureNames: readonly string[];
  pooling: 'sum' | 'mean' | 'none';
}

function checkTables(fn: string, tables: readonly EmbeddingTable[]): void {
  if (!Array.isArray(tables) || tables.length === 0) fail('INVALID_ARGUMENT', fn, 'tables must be a non-empty array', tables);
  const names = new Set<string>();
  const feats = new Set<string>();
  for (const t of tables) {
    if (typeof t?.name !== 'string' || names.has(t.name)) fail('INVALID_KEY', fn, 'table names must be unique strings', t?.name);
    names.add(t.name);
    checkTensor(t.weight, fn, `table '${t.name}' weight`, { dtype: 'float32', rank: 2 });
    checkOneOf(t.pooling, fn, `table '${t.name}' pooling`, ['sum', 'mean', 'none'] as const);
    if (!Array.isArray(t.featureNames) || t.featureNames.length === 0)
      fail('INVALID_ARGUMENT', fn, `table '${t.name}': featureNames must be non-empty`, t.featureNames);
    for (const f of t.featureNames) {
      if (feats.has(f)) fail('INVALID_KEY', fn, 'a feature may feed one table only', `'${f}'`);
      feats.add(f);
    }
  }
}

function checkInput(fn: string, x: KeyedJaggedTensor): InverseKeyedJaggedTensor | null {
  if (!(x instanceof KeyedJaggedTensor)) fail('INVALID_ARGUMENT', fn, 'x must be a KeyedJaggedTensor', x);
  checkTensor(x.values, fn, 'x.values (ids)', { dtype: 'int32', rank: 1 });
  const ikjt = x instanceof InverseKeyedJaggedTensor ? x : null;
  if (x.stridePerKeyPerRank && !ikjt)
    fail('UNSUPPORTED', fn, 'a VBE KJT without inverse indices has no B-row output', 'stridePerKeyPerRank set');
  return ikjt;
}

/** The pooled features of `x` over `tables` (already validated), in output order. @internal */
export function pooledFeaturesOf(
  fn: string,
  tables: readonly Pick<EmbeddingTable, 'name' | 'featureNames' | 'pooling'>[],
  x: KeyedJaggedTensor,
): PooledFeature[] {
  const ikjt = checkInput(fn, x);
  const alt = `EmbeddingBagCollection and pooledLookup with kernel 'auto' or 'tfjs' run on the device; or ${awaitData('x.values')}`;
  const ids = readSync(x.values, fn, 'x.values (ids)', alt) as Int32Array;
  const weights = x.weights ? (readSync(x.weights, fn, 'x.weights', alt) as Float32Array) : null;
  const lop = x.lengthsOffsetPerKey;
  const features: PooledFeature[] = tables.flatMap((t, ti) =>
    t.featureNames.map((f) => {
      const k = x.keyIndex(fn, f);
      if (t.pooling === 'none') fail('INVALID_ARGUMENT', fn, `table '${t.name}' is unpooled ('none'); use sequenceLookup`, t.pooling);
      if (weights && t.pooling === 'mean')
        fail('UNSUPPORTED', fn, `feature '${f}': per-sample weights are supported with 'sum' only`, t.pooling);
      return {
        table: ti,
        spec: {
          ids,
          offsets: x.offsets.subarray(lop[k], lop[k + 1] + 1),
          weights,
          mode: t.pooling as 'sum' | 'mean',
          inverse: ikjt ? ikjt.inverseIndicesOf(f) : null,
          fn,
          table: t.name,
          feature: f,
        },
      };
    }),
  );
  return features;
}

/** The pooled features of `x` for the device paths: no host read of a device tensor (ids checked where readable). */
function deviceFeaturesOf(fn: string, tables: readonly EmbeddingTable[], x: KeyedJaggedTensor): DeviceFeature[] {
  const ikjt = checkInput(fn, x);
  const lop = x.lengthsOffsetPerKey;
  const ids = tryReadSync(x.values, fn, 'x.values (ids)') as Int32Array | null;
  return tables.flatMap((t, ti) =>
    t.featureNames.map((f) => {
      const k = x.keyIndex(fn, f);
      if (t.pooling === 'none') fail('INVALID_ARGUMENT', fn, `table '${t.name}' is unpooled ('none'); use sequenceLookup`, t.pooling);
      if (x.weights && t.pooling === 'mean')
        fail('UNSUPPORTED', fn, `feature '${f}': per-sample weights are supported with 'sum' only`, t.pooling);
      const offsets = x.offsets.subarray(lop[k], lop[k + 1] + 1);
      const mode = t.pooling as 'sum' | 'mean';
      if (ids) checkIds({ ids, offsets, weights: null, mode, inverse: null, fn, table: t.name, feature: f }, t.weight.shape[0]);
      return {
        table: ti,
        ids: x.values,
        weights: x.weights,
        offsets,
        mode,
        inverse: ikjt ? ikjt.inverseIndicesOf(f) : null,
        checked: ids !== null,
      };
    }),
  );
}

/** Pooled lookup of every feature of `tables` (already validated). @internal */
export function pooledLookupCore(
  fn: string,
  tables: readonly EmbeddingTable[],
  x: KeyedJaggedTensor,
  kernel: EmbeddingBagKernel = 'auto',
): KeyedTensor {
  const weights = tables.map((t) => t.weight);
  const route = poolingRoute(kernel);
  let values: tf.Tensor2D;
  if (route.host && !route.acc) values = pooledOp(weights, pooledFeaturesOf(fn, tables, x));
  else {
    const features = deviceFeaturesOf(fn, tables, x);
    const acc = route.acc;
    values = devicePooledOp(
      weights,
      features,
      acc &&
        ((T, f, ids, w, offsets) => {
          const lengths = new Int32Array(offsets.length - 1);
          for (let u = 0; u < lengths.length; u++) lengths[u] = offsets[u + 1] - offsets[u];
          return acc(T, JaggedTensor.createUnsafe({ values: ids, weights: w, lengths, offsets }), { mode: f.mode, perSampleWeights: w });
        }),
    );
  }
  return new KeyedTensor({
    keys: tables.flatMap((t) => t.featureNames),
    lengthPerKey: tables.flatMap((t) => t.featureNames.map(() => t.weight.shape[1])),
    values,
  });
}

/** Sequence lookup of every feature of `tables` (already validated). @internal */
export function sequenceLookupCore(fn: string, tables: readonly EmbeddingTable[], x: KeyedJaggedTensor): Record<string, JaggedTensor> {
  const ikjt = checkInput(fn, x);
  if (x.weights) fail('UNSUPPORTED', fn, 'weights are not supported by an unpooled lookup', 'a weighted KJT');
  const ids = canReadSync()
    ? (readSync(x.values, fn, 'x.values (ids)') as Int32Array)
    : (tryReadSync(x.values, fn, 'x.values (ids)') as Int32Array | null);
  const lop = x.lengthsOffsetPerKey;
  const plan = tables.flatMap((t) =>
    t.featureNames.map((f) => {
      const k = x.keyIndex(fn, f);
      const offs = x.offsets.subarray(lop[k], lop[k + 1] + 1);
      if (ids === null) return { t, f, k, a: offs[0], n: offs[offs.length - 1] - offs[0], rows: null };
      checkIds({ ids, offsets: offs, weights: null, mode: 'sum', inverse: null, fn, table: t.name, feature: f }, t.weight.shape[0]);
      return { t, f, k, a: offs[0], n: 0, rows: ids.slice(offs[0], offs[offs.length - 1]) };
    }),
  );
  const out: Record<string, JaggedTensor> = {};
  for (const { t, f, k, a, n, rows } of plan) {
    const lengths = x.lengths.slice(lop[k], lop[k + 1]);
    // ids only a GPU holds: looked up there (unchecked ids give zero rows, see README Limits)
    const stored = rows !== null ? gatherRows(t.weight, rows) : deviceLookupRows(t.weight, x.values, a, n);
    if (!ikjt) {
      out[f] = JaggedTensor.createUnsafe({ values: stored, lengths, offsets: cumsum(lengths) });
      continue;
    }
    const e = jaggedIndexSelect(stored, lengths, ikjt.inverseIndicesOf(f));
    stored.dispose();
    out[f] = JaggedTensor.createUnsafe({ values: e.values, lengths: e.lengths, offsets: cumsum(e.lengths) });
  }
  return out;
}

/**
 * Pooled lookup: a B-row {@link KeyedTensor} keyed by feature (tables in order). Over an IKJT it
 * pools the stored bags and expands by the inverse index. Differentiable with respect to the table weights. `options.kernel` picks the implementation as `kernel` of {@link embeddingBag}.
 *
 * @throws TesseraError `INVALID_ARGUMENT` (bad tables, a `'none'` table), `INVALID_KEY`, `UNSUPPORTED`,
 * `INDEX_OUT_OF_RANGE` — as {@link EmbeddingBagCollection}.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedJaggedTensor, pooledLookup } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const weight = tf.ones([4, 2]) as tf.Tensor2D;
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([0, 3], 'int32'), lengths: [2, 0] });
 * const kt = pooledLookup([{ name: 't', weight, featureNames: ['f'], pooling: 'sum' }], x); // [[2, 2], [0, 0]]
 * kt.dispose(); x.dispose(); weight.dispose();
 * ```
 */
export function pooledLookup(
  tables: readonly EmbeddingTable[],
  x: KeyedJaggedTensor,
  options: { kernel?: EmbeddingBagKernel } = {},
): KeyedTensor {
  const fn = 'pooledLookup';
  checkTables(fn, tables);
  const kernel = checkOneOf(checkOptions<{ kernel?: EmbeddingBagKernel }>(options, fn).kernel ?? 'auto', fn, 'kernel', [
    'auto',
    'host',
    'tfjs',
  ] as const);
  return pooledLookupCore(fn, tables, x, kernel);
}

/**
 * Unpooled lookup: `{ feature: JaggedTensor }` with values `T[ids]`; over an IKJT the stored rows are
 * looked up once and expanded with {@link jaggedIndexSelect}. Table `pooling` is ignored.
 *
 * @throws TesseraError as {@link EmbeddingCollection}.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { KeyedJaggedTensor, sequenceLookup } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const weight = tf.eye(3) as tf.Tensor2D;
 * const x = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([2, 0], 'int32'), lengths: [1, 1] });
 * const { f } = sequenceLookup([{ name: 't', weight, featureNames: ['f'], pooling: 'none' }], x);
 * f.dispose(); x.dispose(); weight.dispose();
 * ```
 */
export function sequenceLookup(tables: readonly EmbeddingTable[], x: KeyedJaggedTensor): Record<string, JaggedTensor> {
  checkTables('sequenceLookup', tables);
  return sequenceLookupCore('sequenceLookup', tables, x);
}
