// Which implementation a DLRM call runs: the host kernels (JS loops over tensors read back with `dataSync`, exact
// PyTorch parity, fastest on cpu and wasm) or tfjs ops only (runs on the tensors' backend and never reads a tensor
// synchronously: the path for tfjs-backend-webgpu in Node, where no synchronous read exists).
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, checkOneOf, TesseraError } from '@tessera/core';

/**
 * `'host'`: host kernels (reads tensors back synchronously); `'tfjs'`: tfjs ops only, embedding tables and optimizer
 * state as tf variables on the backend's device; `'auto'` (default): `'host'` where {@link canReadSync} is true,
 * `'tfjs'` otherwise (tfjs-backend-webgpu in Node).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { DlrmModel, type DlrmKernel } from '@tessera/dlrm-model';
 * await initBackend();
 * const model = DlrmModel.create({ denseFeatures: 2, embeddingDim: 2, tableSizes: [5], featureNames: ['f'],
 *   bottomMlp: [2], topMlp: [1], interaction: 'cat' });
 * const sparse = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([1, 4], 'int32'), lengths: [1, 1] });
 * const dense = tf.tensor2d([[1, 0], [0, 1]]);
 * const kernel: DlrmKernel = 'tfjs';
 * const p = model.forward({ dense, sparse }, { kernel }); // no synchronous read anywhere
 * (await p.data()).length; // → 2
 * tf.dispose([p, dense]); sparse.dispose(); model.dispose();
 * ```
 */
export type DlrmKernel = 'auto' | 'host' | 'tfjs';

/** What the messages of the host kernels' reads suggest instead. @internal */
export const HOST_ALTERNATIVE = "use kernel: 'tfjs' (or 'auto') and await trainStepAsync(…)";

/** Resolves `kernel` for the active backend; `'host'` where reads are impossible fails up front. @internal */
export function resolveKernel(fn: string, kernel: unknown): 'host' | 'tfjs' {
  const k = checkOneOf(kernel ?? 'auto', fn, 'kernel', ['auto', 'host', 'tfjs'] as const);
  if (k === 'auto') return canReadSync() ? 'host' : 'tfjs';
  if (k === 'host' && !canReadSync())
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      `kernel 'host' reads tensors on the host, which the ${tf.getBackend()} backend cannot do synchronously in this runtime (no OffscreenCanvas: Node); ${HOST_ALTERNATIVE}`,
      undefined,
      { backend: tf.getBackend() },
    );
  return k;
}
