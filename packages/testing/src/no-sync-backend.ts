// A stand-in for tfjs-backend-webgpu in Node, for test machines without a GPU: the cpu backend registered under the
// name 'webgpu' (so @tessera/core's `canReadSync()` answers false once OffscreenCanvas is absent), behaving as the real
// one does there (tensorflow/tfjs tfjs-backend-webgpu/src/backend_webgpu.ts):
// - a synchronous read of a tensor whose values are on the "device" (made or used by a kernel) throws
//   `ReferenceError: OffscreenCanvas is not defined`; values made from host arrays stay readable until a kernel uses
//   them, and an asynchronous read (`await t.data()`) works and leaves a host copy (`convertAndCacheOnCPU`);
// - a kernel whose input has no elements but whose output has some fails (Dawn refuses the empty buffer), except
//   Concat, which drops its empty inputs.
// The cpu backend's class is taken from the registered 'cpu' backend (registered through @tessera/core's
// initBackend where it is missing), so this package does not import @tensorflow/tfjs-backend-cpu itself.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tessera/core';

/** What the simulated backend refused: synchronous reads of device values, and kernels over empty inputs. */
export interface NoSyncLog {
  /** Synchronous reads that threw. */
  refusedReads: number;
  /** Names of the kernels that threw on an empty input. */
  refusedEmpty: string[];
}

/** A running simulation (from {@link useNoSyncBackend}): its log, and the function that ends it. */
export interface NoSyncSession {
  log: NoSyncLog;
  /** Restores the previous backend and OffscreenCanvas and removes the fake and its kernels. */
  restore: () => Promise<void>;
}

type CpuBackend = tf.KernelBackend & { disposeData(dataId: object, force?: boolean): boolean };

/**
 * The cpu backend's class, registering tfjs-backend-cpu through @tessera/core's `initBackend('cpu')` first where no
 * cpu backend is registered (e.g. a suite on wasm), and leaving the active backend as it was.
 */
async function cpuBackendClass(): Promise<new () => CpuBackend> {
  if (tf.findBackendFactory('cpu') === null) {
    const before = tf.engine().backendName as string | null; // null where no backend is active yet
    await initBackend('cpu', { log: null });
    if (before) await tf.setBackend(before);
  }
  const cpu = tf.findBackend('cpu');
  if (cpu === null) throw new Error('no cpu backend could be set up');
  return cpu.constructor as new () => CpuBackend;
}

/**
 * True when the simulation can run: the name 'webgpu' is free (not the real tfjs-backend-webgpu, e.g. on a GPU
 * machine). Ask at run time (in a hook or test), not while vitest collects: the
 * suite's backend is set up after collection.
 *
 * @example
 * ```ts
 * import { canSimulateWebGPU } from '@tessera/testing';
 * canSimulateWebGPU(); // → true
 * ```
 */
export function canSimulateWebGPU(): boolean {
  return tf.findBackendFactory('webgpu') === null && tf.getKernelsForBackend('webgpu').length === 0;
}

/**
 * Registers the simulated webgpu backend, removes `globalThis.OffscreenCanvas` and makes the fake the active backend.
 * End it with the session's `restore()` (e.g. in `afterAll`); {@link onNoSyncBackend} does both around a function.
 * Throws when {@link canSimulateWebGPU} is false: it never replaces a real webgpu backend.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { useNoSyncBackend } from '@tessera/testing';
 * await initBackend();
 * const { log, restore } = await useNoSyncBackend();
 * const y = tf.add(tf.tensor1d([1, 2]), 1);
 * try {
 *   y.dataSync();
 * } catch (e) {
 *   console.log((e as Error).name); // → ReferenceError
 * }
 * await y.data(); // an asynchronous read works and leaves a host copy
 * y.dataSync(); // → Float32Array [2, 3]
 * log.refusedReads; // → 1
 * y.dispose();
 * await restore();
 * ```
 */
export async function useNoSyncBackend(): Promise<NoSyncSession> {
  if (!canSimulateWebGPU()) throw new Error('useNoSyncBackend: a webgpu backend is already registered');
  const Cpu = await cpuBackendClass();
  const g = globalThis as { OffscreenCanvas?: unknown };
  const savedCanvas = g.OffscreenCanvas;
  const before = tf.getBackend();
  const onDevice = new WeakSet<object>();
  const log: NoSyncLog = { refusedReads: 0, refusedEmpty: [] };
  let inKernel = 0;
  class NoSyncBackend extends Cpu {
    // tfjs-backend-webgpu's per-tensor record, through which @tessera/core's readSync tells host-resident values apart
    tensorMap = { get: (id: object) => ({ values: onDevice.has(id) ? null : 'host' }) };
    override readSync(dataId: object) {
      if (inKernel === 0 && onDevice.has(dataId)) {
        log.refusedReads++;
        throw new ReferenceError('OffscreenCanvas is not defined (simulated webgpu: no synchronous read of a device tensor)');
      }
      return super.readSync(dataId);
    }
    override async read(dataId: object) {
      onDevice.delete(dataId); // the asynchronous read leaves a host copy, as tfjs-backend-webgpu's does
      return super.readSync(dataId);
    }
  }
  if (!tf.registerBackend('webgpu', () => new NoSyncBackend(), -1)) throw new Error('useNoSyncBackend: could not register the fake');
  const names: string[] = [];
  const restore = async () => {
    await tf.setBackend(before);
    if (savedCanvas !== undefined) g.OffscreenCanvas = savedCanvas;
    for (const n of names) tf.unregisterKernel(n, 'webgpu');
    tf.removeBackend('webgpu');
  };
  try {
    for (const k of tf.getKernelsForBackend('cpu')) {
      const run = k.kernelFunc;
      tf.registerKernel({
        ...k,
        backendName: 'webgpu',
        kernelFunc: (args) => {
          const inputs = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t != null);
          inKernel++;
          let out: tf.TensorInfo | tf.TensorInfo[];
          try {
            out = run(args);
          } finally {
            inKernel--;
          }
          const outs = Array.isArray(out) ? out : [out];
          if (
            k.kernelName !== 'Concat' &&
            inputs.some((t) => tf.util.sizeFromShape(t.shape) === 0) &&
            outs.some((t) => tf.util.sizeFromShape(t.shape) > 0)
          ) {
            for (const t of outs) (args.backend as CpuBackend).disposeData(t.dataId);
            log.refusedEmpty.push(k.kernelName);
            throw new TypeError(`no overload matched for createBuffer (${k.kernelName} of an empty input, as on tfjs-backend-webgpu)`);
          }
          for (const t of inputs) onDevice.add(t.dataId);
          for (const t of outs) onDevice.add(t.dataId);
          return out;
        },
      });
      names.push(k.kernelName);
    }
    delete g.OffscreenCanvas;
    await tf.setBackend('webgpu');
  } catch (e) {
    await restore();
    throw e;
  }
  return { log, restore };
}

/**
 * Runs `f` on the simulated webgpu backend (see {@link useNoSyncBackend}) with its log, then restores the previous
 * backend, also when `f` throws. Callers skip where {@link canSimulateWebGPU} is false.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { onNoSyncBackend } from '@tessera/testing';
 * await initBackend();
 * const refused = await onNoSyncBackend(async (log) => {
 *   const y = tf.sum(tf.tensor1d([1, 2, 3]));
 *   console.log(await y.data()); // → Float32Array [6]
 *   tf.dispose(y);
 *   try {
 *     tf.tidy(() => tf.sum(tf.zeros([0]))); // a reduction over nothing: Dawn would get a buffer of size 0
 *   } catch {}
 *   return log.refusedEmpty;
 * });
 * refused; // → ['Sum']
 * ```
 */
export async function onNoSyncBackend<T>(f: (log: NoSyncLog) => T | Promise<T>): Promise<T> {
  const { log, restore } = await useNoSyncBackend();
  try {
    return await f(log);
  } finally {
    await restore();
  }
}

/**
 * Runs `f` on the cpu backend (whose kernels the fake runs), then restores the previous backend: references for
 * bit-for-bit comparisons with the fake when the suite runs on another backend (wasm sums in another order).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { onCpuBackend } from '@tessera/testing';
 * await onCpuBackend(() => tf.getBackend()); // → 'cpu'
 * ```
 */
export async function onCpuBackend<T>(f: () => T): Promise<T> {
  await cpuBackendClass();
  const before = tf.engine().backendName as string | null; // null where no backend is active yet
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    if (before) await tf.setBackend(before);
  }
}
