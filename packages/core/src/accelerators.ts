import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from './errors.js';

// A small dispatch table, in the spirit of torch.library's per-backend kernels: a package that owns an operation
// (mx-formats' `fakeQuantizeMX`, jagged-tensors' `embeddingBag` …) looks up an accelerated implementation for the
// active tfjs backend before running its own kernels, and a package of device kernels (@tessera/webgpu) registers
// them. Neither package depends on the other; both depend on core. Each operation's owner documents the arguments
// its accelerator receives; an accelerator returns `undefined` to decline a call (an option it does not serve), and
// the owner then runs its own path.

/** An accelerated implementation: the owner's arguments in, its result out, or `undefined` to decline. */
export type Accelerator = (...args: never[]) => unknown;

const table = new Map<string, Map<string, Accelerator>>();

/**
 * Registers `impl` as the implementation of operation `op` (the owning function's public name, e.g.
 * `'fakeQuantizeMX'`) on tfjs backend `backend`, replacing any earlier one. Returns a function that removes it
 * again. Packages of device kernels call this (e.g. `registerWebGPUKernels()` of @tessera/webgpu); applications
 * rarely need to.
 *
 * @example
 * ```ts
 * import { accelerator, registerAccelerator } from '@tessera/core';
 * const remove = registerAccelerator('myOp', 'cpu', (x: number) => x * 2);
 * accelerator('myOp', 'cpu') !== undefined; // → true
 * remove();
 * accelerator('myOp', 'cpu'); // → undefined
 * ```
 */
export function registerAccelerator(op: string, backend: string, impl: Accelerator): () => void {
  const fn = 'registerAccelerator';
  if (typeof op !== 'string' || op.length === 0) throw new TesseraError('INVALID_ARGUMENT', fn, 'op must be a non-empty string', op);
  if (typeof backend !== 'string' || backend.length === 0)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'backend must be a non-empty string', backend);
  if (typeof impl !== 'function') throw new TesseraError('INVALID_ARGUMENT', fn, 'impl must be a function', impl);
  let byBackend = table.get(op);
  if (byBackend === undefined) {
    byBackend = new Map();
    table.set(op, byBackend);
  }
  byBackend.set(backend, impl);
  return () => {
    if (table.get(op)?.get(backend) === impl) table.get(op)?.delete(backend);
  };
}

/**
 * The implementation registered for operation `op` on `backend` (default: the active tfjs backend), or
 * `undefined`. Owning packages call it under `kernel: 'auto'`.
 *
 * @example
 * ```ts
 * import { accelerator, initBackend } from '@tessera/core';
 * await initBackend('cpu', { log: null });
 * accelerator('fakeQuantizeMX'); // → undefined
 * ```
 */
export function accelerator<F extends Accelerator = Accelerator>(op: string, backend?: string): F | undefined {
  if (typeof op !== 'string') return undefined;
  const b = typeof backend === 'string' ? backend : currentBackend();
  return b === undefined ? undefined : (table.get(op)?.get(b) as F | undefined);
}

function currentBackend(): string | undefined {
  try {
    return tf.getBackend();
  } catch {
    return undefined;
  }
}
