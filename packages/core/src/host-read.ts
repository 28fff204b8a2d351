import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from './errors.js';
import { checkTensor } from './validate.js';

// Host kernels start by reading their input tensors with `dataSync()`. Every backend can do that except one:
// tfjs-backend-webgpu reads synchronously through an `OffscreenCanvas` WebGPU context (browsers have it), and Node
// has none, so `dataSync()` there throws `ReferenceError: OffscreenCanvas is not defined`; Dawn's buffer-map
// callbacks only arrive on the event loop, so no synchronous read is possible at all. These two helpers let a
// package choose a device path (tfjs ops, a WGSL kernel) when host reads are impossible, and otherwise fail with a
// TesseraError that says why and what to use instead of that ReferenceError.

/**
 * True when tensors of the active backend (or of `backend`) can be read synchronously with `dataSync()`:
 * every backend except `webgpu` where `OffscreenCanvas` is missing (Node: tfjs-backend-webgpu reads synchronously
 * through an `OffscreenCanvas`, which Node lacks). Packages use it to pick a device path under `kernel: 'auto'`.
 *
 * @example
 * ```ts
 * import { canReadSync, initBackend } from '@tessera/core';
 * await initBackend('cpu', { log: null });
 * canReadSync(); // → true
 * canReadSync('webgpu') === (typeof OffscreenCanvas !== 'undefined'); // → true
 * ```
 */
export function canReadSync(backend: string = tf.getBackend()): boolean {
  return backend !== 'webgpu' || typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined';
}

/**
 * `t.dataSync()`, or a `TesseraError` (`UNSUPPORTED`) naming `fn` and the way out when the backend cannot read
 * synchronously (see {@link canReadSync}): `fn: reads 'x' on the host, which webgpu cannot do synchronously in this
 * runtime (no OffscreenCanvas); <alternative>`. A tensor whose values are still on the host (just created from an
 * array, not yet used by a GPU kernel) reads fine everywhere, as `dataSync()` does.
 *
 * @param t - the tensor to read
 * @param fn - the public function that needs the values (first word of the error message)
 * @param what - the argument's name (`'x'`, `'ids'`)
 * @param alternative - what the caller can do instead (`"use kernel: 'tfjs'"`, `'await trainStepAsync(…)'`)
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend, readSync } from '@tessera/core';
 * await initBackend('cpu', { log: null });
 * const x = tf.tensor1d([1, 2, 3]);
 * Array.from(readSync(x, 'myOp', 'x')); // → [1, 2, 3]
 * x.dispose();
 * ```
 */
export function readSync<R extends tf.Rank>(
  t: tf.Tensor<R>,
  fn: string,
  what = 'a tensor',
  alternative = 'await the asynchronous variant or use a tfjs-op kernel',
): tf.TypedArray {
  checkTensor(t, fn, what);
  if (!canReadSync() && !hostResident(t)) {
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      `reads ${what} on the host, which the ${tf.getBackend()} backend cannot do synchronously in this runtime (no OffscreenCanvas: Node); ${alternative}`,
      undefined,
      { backend: tf.getBackend() },
    );
  }
  return t.dataSync();
}

// tfjs-backend-webgpu keeps the values of a tensor made from host data on the host until a kernel uploads it, and
// its readSync returns them without a canvas. Reading the backend's tensor map is the only way to know.
function hostResident(t: tf.Tensor): boolean {
  try {
    const backend = tf.engine().backend as unknown as { tensorMap?: { get(id: object): { values?: unknown } | undefined } };
    const data = backend.tensorMap?.get(t.dataId);
    return data?.values != null;
  } catch {
    return false;
  }
}
