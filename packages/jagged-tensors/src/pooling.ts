// Pooled embedding lookup. The kernel is a host-side CSR segment sum wrapped in one tf.customGrad:
// forward sums table rows bag by bag straight into the output (no [nnz, D] intermediate), backward scatter-adds
// into a dense [R, D] table gradient. Reason: tfjs's gather gradient is an unsortedSegmentSum whose cpu kernel loops
// once per segment over all rows (O(R·nnz)), and per-bag tensor ops are far too slow. With an IKJT the kernel pools
// the U stored bags and expands rows by the inverse index in the same op; backward first sums gOut rows into the
// U bags (a scatter-add), then scatters into the table.
import * as tf from '@tensorflow/tfjs-core';
import { accelerator, canReadSync, checkOneOf, checkOptions, checkTensor, readSync } from '@tessera/core';
import { awaitData, type DeviceFeature, devicePooledOp, tryReadSync } from './device.js';
import { fail } from './errors.js';
import { JaggedTensor } from './jagged-tensor.js';
import { gradFeatures, hostData, poolFeatures } from './kernels/index.js';

/** Pooling mode of an embedding bag. */
export type PoolingMode = 'sum' | 'mean';

/** Bags to pool: rows `offsets[u] .. offsets[u+1]` of `ids` (absolute row offsets, length U+1). @internal */
export interface BagSpec {
  ids: Int32Array;
  offsets: Int32Array;
  weights: Float32Array | null;
  mode: PoolingMode;
  /** Output row b = pooled bag `inverse[b]`; null = one output row per bag. */
  inverse: Int32Array | null;
  /** Error context. */
  fn: string;
  table: string;
  feature: string;
}

/** Checks every id of the bags against [0, R) (FBGEMM BoundsCheckMode.FATAL). @internal */
export function checkIds(spec: BagSpec, R: number): void {
  const { ids, offsets } = spec;
  const U = offsets.length - 1;
  for (let u = 0; u < U; u++) {
    for (let j = offsets[u]; j < offsets[u + 1]; j++) {
      const id = ids[j];
      if (id < 0 || id >= R) {
        fail(
          'INDEX_OUT_OF_RANGE',
          spec.fn,
          `ids must be in [0, ${R}) (table '${spec.table}', feature '${spec.feature}', sample ${u}, position ${j - offsets[u]})`,
          id,
          undefined,
          { table: spec.table, feature: spec.feature, sample: u, position: j - offsets[u], id, rows: R },
        );
      }
    }
  }
}

/** One feature of a pooled op: which table it reads and its bags. @internal */
export interface PooledFeature {
  table: number;
  spec: BagSpec;
}

/**
 * Differentiable pooled lookup of several features over several tables in one op (validated by the caller; ids are
 * bounds-checked here): output `[rows, Σ D_f]`, feature f in its column block, rows = `inverse.length` or U (equal
 * for all features). Gradients flow to the tables only; one op means no Concat/Slice gradient is needed.
 * @internal
 */
export function pooledOp(tables: readonly tf.Tensor2D[], features: readonly PooledFeature[]): tf.Tensor2D {
  for (const f of features) checkIds(f.spec, tables[f.table].shape[0]);
  const s0 = features[0].spec;
  const rows = s0.inverse ? s0.inverse.length : s0.offsets.length - 1;
  const cols: number[] = [];
  let width = 0;
  for (const f of features) {
    cols.push(width);
    width += tables[f.table].shape[1];
  }
  const op = tf.customGrad(((...args: unknown[]) => {
    const ts = args.slice(0, tables.length) as tf.Tensor[];
    // data() per use: a table cached in kernel memory is a view that a later allocation may detach
    const fn = features[0].spec.fn;
    const host = ts.map((t) => ({ data: () => hostData(t, fn), rows: t.shape[0], dim: t.shape[1] as number }));
    const out = poolFeatures(host, features, rows, width, cols);
    return {
      value: tf.tensor2d(out, [rows, width], 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const G = readSync(dy, fn, 'the output gradient', `use kernel 'auto' or 'tfjs' (device paths) on this backend`);
        const grads = gradFeatures(G as Float32Array, host, features, width, cols);
        return grads.map((g, i) => tf.tensor2d(g, tables[i].shape, 'float32'));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(...tables) as tf.Tensor2D;
}

/** Options of {@link embeddingBag}. */
export interface EmbeddingBagOptions {
  /** `'sum'` (default) or `'mean'`. Empty bags pool to zero in both. */
  mode?: PoolingMode;
  /**
   * float32 `[nnz]` per-id weights (sum mode only, as PyTorch `nn.EmbeddingBag`). Default: the JT's `weights`.
   * Weights are constants of the lookup: gradients flow to the table only.
   */
  perSampleWeights?: tf.Tensor1D | null;
  /**
   * Which implementation pools: `'auto'` (default) the accelerator registered for the active backend (e.g. the WGSL
   * kernel of @tessera/webgpu after `registerWebGPUKernels()`), else the host kernels where the backend reads tensors
   * synchronously and the tfjs ops where it cannot (webgpu in Node); `'host'` the host kernels (CSR segment sum in
   * WebAssembly or JavaScript: reads ids and table with `dataSync`); `'tfjs'` tfjs ops on the active backend
   * (`gather` + `scatterND`, nothing read back).
   */
  kernel?: EmbeddingBagKernel;
}

/**
 * Implementation choice of the pooled lookups (`embeddingBag`, `EmbeddingBagCollection`, `pooledLookup`): see
 * {@link EmbeddingBagOptions.kernel}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { type EmbeddingBagKernel, JaggedTensor, embeddingBag } from '@tessera/jagged-tensors';
 * await initBackend();
 * const kernel: EmbeddingBagKernel = 'tfjs'; // tf.gather + tf.scatterND on the active backend, nothing read back
 * const table = tf.tensor2d([[1, 0], [0, 1], [2, 2]]);
 * const jt = new JaggedTensor({ values: tf.tensor1d([0, 2, 1], 'int32'), lengths: [2, 0, 1] });
 * const pooled = embeddingBag(table, jt, { kernel });
 * pooled.arraySync(); // → [[3, 2], [0, 0], [0, 1]]
 * tf.dispose([table, pooled]); jt.dispose();
 * ```
 */
export type EmbeddingBagKernel = 'auto' | 'host' | 'tfjs';

/**
 * The signature of an `'embeddingBag'` accelerator, registered with `registerAccelerator('embeddingBag', backend,
 * impl)` of @tessera/core (as `registerWebGPUKernels()` of @tessera/webgpu does). Under `kernel: 'auto'`,
 * {@link embeddingBag} calls it after validating its arguments (and checking the ids where they can be read) with the
 * caller's table and JaggedTensor and the resolved options (`perSampleWeights`: the given weights, else the JT's, or
 * null); it returns the pooled `[B, D]` with a gradient to the table (sum / mean / weighted sum, bags in order), or
 * `undefined` to decline, and the package's own path runs. The pooled lookups of `EmbeddingBagCollection` and
 * `pooledLookup` call it once per feature (a JaggedTensor of that feature's ids) and differentiate with their own
 * tfjs ops. Empty lookups (no ids) never reach it.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend, registerAccelerator } from '@tessera/core';
 * import { type EmbeddingBagAccelerator, JaggedTensor, embeddingBag } from '@tessera/jagged-tensors';
 * await initBackend();
 * let calls = 0;
 * const spy: EmbeddingBagAccelerator = (table, jt, o) => (calls++, o.mode === 'mean' ? undefined : embeddingBag(table, jt, { ...o, kernel: 'tfjs' }));
 * const remove = registerAccelerator('embeddingBag', tf.getBackend(), spy);
 * const table = tf.tensor2d([[1, 0], [0, 1]]);
 * const jt = new JaggedTensor({ values: tf.tensor1d([0, 1], 'int32'), lengths: [2] });
 * const pooled = embeddingBag(table, jt); // served by the accelerator
 * remove();
 * calls; // → 1
 * tf.dispose([table, pooled]); jt.dispose();
 * ```
 */
export type EmbeddingBagAccelerator = (
  table: tf.Tensor2D,
  jt: JaggedTensor,
  options: { mode: PoolingMode; perSampleWeights: tf.Tensor1D | null },
) => tf.Tensor2D | undefined;

/** Where a pooled lookup runs: the accelerator (if any, under 'auto'), the host kernels or tfjs ops. @internal */
export function poolingRoute(kernel: EmbeddingBagKernel): { acc: EmbeddingBagAccelerator | undefined; host: boolean } {
  const acc = kernel === 'auto' ? accelerator<EmbeddingBagAccelerator>('embeddingBag') : undefined;
  return { acc, host: kernel === 'host' || (kernel === 'auto' && canReadSync()) };
}

/** Host ids, or null where they live on a device that cannot read them synchronously. @internal */
export function readIds(fn: string, ids: tf.Tensor, host: boolean): Int32Array | null {
  if (host) return readSync(ids, fn, 'the ids', `use kernel 'auto' or 'tfjs' (device paths), or ${awaitData('jt.values')}`) as Int32Array;
  return tryReadSync(ids, fn, 'the ids') as Int32Array | null;
}

/**
 * Pools the rows of `table` named by each bag of `jt` (PyTorch `nn.EmbeddingBag` with offsets): `sum` gives
 * `Σ_j w_j·T[i_j]`, `mean` gives `(1/n)·Σ_j T[i_j]`, an empty bag gives zeros. Summation is sequential in bag order
 * with float32 rounding (host kernels; the tfjs ops sum in the backend's order). Differentiable with respect to
 * `table` (`tf.grads`, `tf.variableGrads`): the gradient scatter-adds `w_j·gOut[b]` (÷n for mean) into row `i_j`.
 * `options.kernel` picks the implementation ({@link EmbeddingBagOptions.kernel}): by default an accelerator registered
 * for the active backend, else the host kernels, else (webgpu in Node, which cannot read tensors synchronously) tfjs
 * ops. Ids are checked against [0, R) wherever they can be read on the host; ids that only a GPU holds cannot be
 * checked without a readback, and there an id outside [0, R) contributes nothing.
 *
 * @param table - float32 `[R, D]`
 * @param jt - a JaggedTensor of int32 ids `[nnz]`
 * @returns float32 `[B, D]`, caller-owned
 * @throws TesseraError `INVALID_DTYPE`/`INVALID_SHAPE` (table, ids, weights), `INVALID_ARGUMENT` (mode),
 * `UNSUPPORTED` (weights with `mean`; `kernel: 'host'` where the backend cannot read the ids synchronously),
 * `INDEX_OUT_OF_RANGE` (an id outside [0, R) — never clamped).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { JaggedTensor, embeddingBag } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const table = tf.tensor2d([[1, 0], [0, 1], [2, 2]]);
 * const jt = new JaggedTensor({ values: tf.tensor1d([0, 2, 1], 'int32'), lengths: [2, 0, 1] });
 * const pooled = embeddingBag(table, jt, { mode: 'sum' }); // [[3, 2], [0, 0], [0, 1]]
 * tf.dispose([table, pooled]); jt.dispose();
 * ```
 */
export function embeddingBag(table: tf.Tensor2D, jt: JaggedTensor, options: EmbeddingBagOptions = {}): tf.Tensor2D {
  const fn = 'embeddingBag';
  checkTensor(table, fn, 'table', { dtype: 'float32', rank: 2 });
  if (!(jt instanceof JaggedTensor)) fail('INVALID_ARGUMENT', fn, 'jt must be a JaggedTensor', jt);
  checkTensor(jt.values, fn, 'jt.values (ids)', { dtype: 'int32', rank: 1 });
  options = checkOptions<EmbeddingBagOptions>(options, fn);
  const mode = checkOneOf(options.mode ?? 'sum', fn, 'mode', ['sum', 'mean'] as const);
  let w: tf.Tensor | null = jt.weights;
  if (options.perSampleWeights !== undefined && options.perSampleWeights !== null) {
    w = checkTensor(options.perSampleWeights, fn, 'perSampleWeights', { dtype: 'float32', rank: 1 });
    if (w.shape[0] !== jt.values.shape[0])
      fail('INVALID_SHAPE', fn, `perSampleWeights must have ${jt.values.shape[0]} entries`, w.shape[0]);
  }
  if (w && mode === 'mean') fail('UNSUPPORTED', fn, "per-sample weights are supported with mode 'sum' only", mode);
  const kernel = checkOneOf(options.kernel ?? 'auto', fn, 'kernel', ['auto', 'host', 'tfjs'] as const);
  const route = poolingRoute(kernel);
  // ids are checked on the host wherever they can be read; ids that only a GPU holds cannot be (see README Limits)
  const ids = readIds(fn, jt.values, route.host);
  const spec: BagSpec = {
    ids: ids ?? new Int32Array(0),
    offsets: jt.offsets,
    weights: null,
    mode,
    inverse: null,
    fn,
    table: 'table',
    feature: 'jt',
  };
  if (ids) checkIds(spec, table.shape[0]);
  const nnz = jt.offsets[jt.offsets.length - 1] - jt.offsets[0];
  if (route.acc && nnz > 0) {
    const out = route.acc(table, jt, { mode, perSampleWeights: w as tf.Tensor1D | null });
    if (out !== undefined) return out;
  }
  if (!route.host) {
    const f: DeviceFeature = { table: 0, ids: jt.values, weights: w, offsets: jt.offsets, mode, inverse: null, checked: ids !== null };
    return devicePooledOp([table], [f]);
  }
  spec.weights = w
    ? (readSync(
        w,
        fn,
        'the weights',
        `use kernel 'auto' or 'tfjs' (device paths), or ${awaitData('the weights (perSampleWeights or jt.weights)')}`,
      ) as Float32Array)
    : null;
  return pooledOp([table], [{ table: 0, spec }]);
}
