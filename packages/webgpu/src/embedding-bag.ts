// The embedding-bag pooled lookup (PyTorch nn.EmbeddingBag with offsets; torchrec EmbeddingBagCollection pooling) as
// a WGSL kernel: one invocation per (bag, column) sums its bag's table rows sequentially in bag order, as the host
// kernel of @tessera/jagged-tensors (src/kernels/pooling.ts) does, with the weighted term as one fused multiply-add
// (the host rounds w·T[i] + acc once, its product being exact in float64). The backward scatter-adds the output
// gradient into the table rows with tfjs's unsortedSegmentSum on the GPU (atomics: summation order unspecified).
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkTensor, TesseraError } from '@tessera/core';
import { JaggedTensor } from '@tessera/jagged-tensors';
import { flatDispatch, type Program, webgpuBackend } from './program.js';

/** Options of {@link embeddingBagWebGPU} (as `EmbeddingBagOptions` of @tessera/jagged-tensors). */
export interface WebGPUEmbeddingBagOptions {
  /** `'sum'` (default) or `'mean'`; an empty bag pools to zeros. */
  mode?: 'sum' | 'mean';
  /** float32 `[nnz]` per-id weights (sum only). Default: the JT's weights. */
  perSampleWeights?: tf.Tensor1D | null;
}

class PoolProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'B : i32, D : i32, R : i32,';
  size = false;
  constructor(
    B: number,
    D: number,
    private readonly weighted: boolean,
    private readonly mean: boolean,
  ) {
    this.outputShape = [B, D];
    this.variableNames = weighted ? ['T', 'IDS', 'OFF', 'W'] : ['T', 'IDS', 'OFF'];
    this.dispatch = flatDispatch(B * D, 64);
    this.shaderKey = `tessera_embbag_${weighted}_${mean}`;
  }
  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index >= uniforms.B * uniforms.D) { return; }
  let b = index / uniforms.D;
  let c = index - b * uniforms.D;
  let a = OFF[b];
  let e = OFF[b + 1];
  var acc = 0.0;
  for (var j = a; j < e; j++) {
    let id = IDS[j];
    // an id outside [0, R) reads nothing (it cannot be reported without a readback; see embeddingBagWebGPU)
    if (id < 0 || id >= uniforms.R) { continue; }
    ${this.weighted ? 'acc = fma(W[j], T[id * uniforms.D + c], acc);' : 'acc = acc + T[id * uniforms.D + c];'}
  }
  ${
    this.mean
      ? // WGSL division may be off by 2.5 ulp (the H200's was off by more); one residual step with an exact fma
        // brings the quotient to the host's correctly rounded sum / n in all but rare ties.
        'if (e > a) { let n = f32(e - a); let q = acc / n; let r = fma(-q, n, acc); acc = q + r / n; }'
      : ''
  }
  result[index] = acc;
}
`;
  }
}

/**
 * The embedding-bag pooled lookup on the GPU, as `embeddingBag` of @tessera/jagged-tensors: `sum` gives
 * `Σ_j w_j·T[i_j]`, `mean` gives `(1/n)·Σ_j T[i_j]`, an empty bag zeros; sequential in bag order in float32.
 * Differentiable with respect to `table` (the gradient scatter-adds `w_j·gOut[b]`, ÷n for mean, into row `i_j`).
 * The ids stay on the GPU and are not read back, so an id outside [0, R) cannot be reported: it contributes nothing
 * (the host version throws `INDEX_OUT_OF_RANGE`). The result `[B, D]` is owned by the caller.
 *
 * @throws TesseraError `BACKEND_UNAVAILABLE` unless the webgpu backend is active; `INVALID_DTYPE`/`INVALID_SHAPE`
 * (table, ids, weights), `INVALID_ARGUMENT` (jt, mode), `UNSUPPORTED` (weights with mean).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { JaggedTensor } from '@tessera/jagged-tensors';
 * import { embeddingBagWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const table = tf.tensor2d([[1, 0], [0, 1], [2, 2]]);
 *   const jt = new JaggedTensor({ values: tf.tensor1d([0, 2, 1], 'int32'), lengths: [2, 0, 1] });
 *   const pooled = embeddingBagWebGPU(table, jt); // [[3, 2], [0, 0], [0, 1]]
 *   tf.dispose([table, pooled]);
 *   jt.dispose();
 * }
 * ```
 */
export function embeddingBagWebGPU(table: tf.Tensor2D, jt: JaggedTensor, options: WebGPUEmbeddingBagOptions = {}): tf.Tensor2D {
  const fn = 'embeddingBagWebGPU';
  checkTensor(table, fn, 'table', { dtype: 'float32', rank: 2 });
  if (!(jt instanceof JaggedTensor)) throw new TesseraError('INVALID_ARGUMENT', fn, 'jt must be a JaggedTensor', typeof jt);
  const ids = checkTensor(jt.values, fn, 'jt.values (ids)', { dtype: 'int32', rank: 1 }) as tf.Tensor1D;
  if (typeof options !== 'object' || options === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', String(options));
  const mode = checkOneOf(options.mode ?? 'sum', fn, 'mode', ['sum', 'mean'] as const);
  let w: tf.Tensor1D | null = jt.weights;
  if (options.perSampleWeights !== undefined && options.perSampleWeights !== null) {
    w = checkTensor(options.perSampleWeights, fn, 'perSampleWeights', { dtype: 'float32', rank: 1 }) as tf.Tensor1D;
    if (w.shape[0] !== ids.shape[0])
      throw new TesseraError('INVALID_SHAPE', fn, `perSampleWeights must have ${ids.shape[0]} entries`, w.shape[0]);
  }
  if (w && mode === 'mean') throw new TesseraError('UNSUPPORTED', fn, "per-sample weights are supported with mode 'sum' only", mode);
  const be = webgpuBackend(fn);
  const offsets = jt.offsets;
  const B = offsets.length - 1;
  const [R, D] = table.shape;
  const weights = w;
  const f = tf.customGrad(((t: tf.Tensor) => {
    const off = tf.tensor1d(offsets, 'int32');
    const inputs = weights ? [t, ids, off, weights] : [t, ids, off];
    const info = be.runWebGPUProgram(new PoolProgram(B, D, weights !== null, mode === 'mean'), inputs, 'float32', [
      { type: 'int32', data: [B] },
      { type: 'int32', data: [D] },
      { type: 'int32', data: [R] },
    ]);
    off.dispose();
    const value = tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor2D;
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() => {
        // bag of every id, and its coefficient (w_j, or 1/n for mean)
        const nnz = ids.shape[0];
        const bag = new Int32Array(nnz);
        const coef = new Float32Array(nnz);
        for (let b = 0; b < B; b++)
          for (let j = offsets[b]; j < offsets[b + 1]; j++) {
            bag[j] = b;
            coef[j] = mode === 'mean' ? 1 / (offsets[b + 1] - offsets[b]) : 1;
          }
        let rows = tf.gather(dy, tf.tensor1d(bag, 'int32'));
        let c: tf.Tensor = tf.tensor2d(coef, [nnz, 1]);
        if (weights) c = tf.mul(c, tf.reshape(weights, [nnz, 1]));
        rows = tf.mul(rows, c);
        // ids outside [0, R) are dropped by unsortedSegmentSum's bound
        return tf.unsortedSegmentSum(rows, ids, R);
      });
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(table) as tf.Tensor2D;
}
