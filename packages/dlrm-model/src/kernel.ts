// Which implementation a DLRM call runs: the host kernels (JS loops over tensors read back with `dataSync`, exact
// PyTorch parity, fastest on cpu and wasm) or tfjs ops only (runs on the tensors' backend and never reads a tensor
// synchronously: the path for tfjs-backend-webgpu in Node, where no synchronous read exists).
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, checkOneOf, TesseraError } from '@tessera/core';

/**
 * `'host'`: host kernels (reads tensors back synchronously); `'tfjs'`: tfjs ops only, embedding tables and optimizer
 * state as tf variables on the backend's device; `'auto'` (default): `'host'` where {@link canReadSync} is true,
 * `'tfjs'` otherwise (tfjs-backend-webgpu in Node).
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
