// Host reads of tensor arguments. The host kernels of this package start from typed arrays; where the backend cannot
// read a tensor synchronously (tfjs-backend-webgpu in Node has no OffscreenCanvas, so `dataSync()` throws), core's
// `readSync` fails with a TesseraError (`UNSUPPORTED`) that names the way out given here.
import type * as tf from '@tensorflow/tfjs-core';
import { readSync } from '@tessera/core';

/** The way out for functions that need host values and have no device path. @internal */
export const READ_ASYNC_ALTERNATIVE =
  'read it first with await x.data() and pass tf.tensor(values, x.shape) (values made on the host stay readable)';

/** The way out for the FFN, whose kernels all run on the host. @internal */
export const FFN_ALTERNATIVE =
  "forwardHost/backwardHost and kernel 'host' run host kernels: use apply() with kernel 'auto' or 'tfjs' (tfjs ops), or the cpu or wasm backend";

/** The way out of the spmm functions under `kernel: 'host'`. @internal */
export const SPMM_ALTERNATIVE = "use kernel: 'tfjs' (or leave kernel unset: it picks 'tfjs' on such a backend)";

/** `t`'s values on the host: an empty array without reading for an empty tensor, else core's `readSync`. @internal */
export function hostValues(t: tf.Tensor, fn: string, what: string, alternative: string): tf.TypedArray {
  if (t.size === 0) return t.dtype === 'int32' ? new Int32Array(0) : new Float32Array(0);
  return readSync(t, fn, what, alternative);
}
