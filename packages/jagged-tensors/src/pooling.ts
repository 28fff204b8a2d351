// Pooled embedding lookup (spec §3.4, §4.1). The kernel is a host-side CSR segment sum wrapped in tf.customGrad:
// forward sums table rows bag by bag straight into the output (no [nnz, D] intermediate), backward scatter-adds
// into a dense [R, D] table gradient. Reason: tfjs's gather gradient is an unsortedSegmentSum whose cpu kernel loops
// once per segment over all rows (O(R·nnz)), and per-bag tensor ops are far too slow. With an IKJT the kernel pools
// the U stored bags and expands rows by the inverse index in the same op; backward first sums gOut rows into the
// U bags (the scatter-add of §3.4), then scatters into the table.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkTensor } from '@tessera/core';
import { fail } from './errors.js';
import { JaggedTensor } from './jagged-tensor.js';

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

function poolHost(T: Float32Array, D: number, s: BagSpec): Float32Array {
  const { ids, offsets, weights, mode } = s;
  const U = offsets.length - 1;
  const P = new Float32Array(U * D);
  for (let u = 0; u < U; u++) {
    const o = u * D;
    const a = offsets[u];
    const e = offsets[u + 1];
    // Sequential in bag order, rounded to float32 after every add (the accumulator is a Float32Array row).
    for (let j = a; j < e; j++) {
      const r = ids[j] * D;
      if (weights) {
        const wj = weights[j];
        for (let d = 0; d < D; d++) P[o + d] += wj * T[r + d];
      } else {
        for (let d = 0; d < D; d++) P[o + d] += T[r + d];
      }
    }
    if (mode === 'mean' && e - a > 0) {
      const n = e - a;
      for (let d = 0; d < D; d++) P[o + d] /= n;
    }
  }
  if (!s.inverse) return P;
  const inv = s.inverse;
  const out = new Float32Array(inv.length * D);
  for (let b = 0; b < inv.length; b++) out.set(P.subarray(inv[b] * D, inv[b] * D + D), b * D);
  return out;
}

function poolGradHost(G: Float32Array, R: number, D: number, s: BagSpec): Float32Array {
  const { ids, offsets, weights, mode } = s;
  const U = offsets.length - 1;
  let gP = G;
  if (s.inverse) {
    const inv = s.inverse;
    gP = new Float32Array(U * D);
    for (let b = 0; b < inv.length; b++) {
      const o = inv[b] * D;
      const g = b * D;
      for (let d = 0; d < D; d++) gP[o + d] += G[g + d];
    }
  }
  const dT = new Float32Array(R * D);
  for (let u = 0; u < U; u++) {
    const a = offsets[u];
    const e = offsets[u + 1];
    if (e === a) continue;
    const o = u * D;
    const scale = mode === 'mean' ? 1 / (e - a) : 1;
    for (let j = a; j < e; j++) {
      const r = ids[j] * D;
      const c = weights ? weights[j] * scale : scale;
      if (c === 1) for (let d = 0; d < D; d++) dT[r + d] += gP[o + d];
      else for (let d = 0; d < D; d++) dT[r + d] += c * gP[o + d];
    }
  }
  return dT;
}

/**
 * Differentiable pooled lookup over host bag structure (validated by the caller; ids are bounds-checked here).
 * Returns `[rows, D]` with rows = `inverse.length` or U. Gradients flow to `table` only. @internal
 */
export function pooledOp(table: tf.Tensor2D, spec: BagSpec): tf.Tensor2D {
  const [R, D] = table.shape;
  checkIds(spec, R);
  const rows = spec.inverse ? spec.inverse.length : spec.offsets.length - 1;
  const op = tf.customGrad(((t: tf.Tensor) => {
    const out = poolHost(t.dataSync() as Float32Array, D, spec);
    return {
      value: tf.tensor2d(out, [rows, D], 'float32'),
      gradFunc: (dy: tf.Tensor) => tf.tensor2d(poolGradHost(dy.dataSync() as Float32Array, R, D, spec), [R, D], 'float32'),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(table) as tf.Tensor2D;
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
}

/**
 * Pools the rows of `table` named by each bag of `jt` (PyTorch `nn.EmbeddingBag` with offsets): `sum` gives
 * `Σ_j w_j·T[i_j]`, `mean` gives `(1/n)·Σ_j T[i_j]`, an empty bag gives zeros. Summation is sequential in bag order
 * with float32 rounding. Differentiable with respect to `table` (`tf.grads`, `tf.variableGrads`): the gradient
 * scatter-adds `w_j·gOut[b]` (÷n for mean) into row `i_j`.
 *
 * @param table - float32 `[R, D]`
 * @param jt - a JaggedTensor of int32 ids `[nnz]`
 * @returns float32 `[B, D]`, caller-owned
 * @throws TesseraError `INVALID_DTYPE`/`INVALID_SHAPE` (table, ids, weights), `INVALID_ARGUMENT` (mode),
 * `UNSUPPORTED` (weights with `mean`), `INDEX_OUT_OF_RANGE` (an id outside [0, R) — never clamped).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { JaggedTensor, embeddingBag } from '@tessera/jagged-tensors';
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
  const mode = checkOneOf(options.mode ?? 'sum', fn, 'mode', ['sum', 'mean'] as const);
  let w: tf.Tensor | null = jt.weights;
  if (options.perSampleWeights !== undefined && options.perSampleWeights !== null) {
    w = checkTensor(options.perSampleWeights, fn, 'perSampleWeights', { dtype: 'float32', rank: 1 });
    if (w.shape[0] !== jt.values.shape[0])
      fail('INVALID_SHAPE', fn, `perSampleWeights must have ${jt.values.shape[0]} entries`, w.shape[0]);
  }
  if (w && mode === 'mean') fail('UNSUPPORTED', fn, "per-sample weights are supported with mode 'sum' only", mode);
  return pooledOp(table, {
    ids: jt.values.dataSync() as Int32Array,
    offsets: jt.offsets,
    weights: w ? (w.dataSync() as Float32Array) : null,
    mode,
    inverse: null,
    fn,
    table: 'table',
    feature: 'jt',
  });
}
