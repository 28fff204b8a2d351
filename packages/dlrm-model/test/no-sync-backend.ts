// Copied from packages/mx-formats/test/no-sync-backend.ts (same repository; a test helper, not a public API, so each
// package keeps its own copy).
// A stand-in for tfjs-backend-webgpu in Node, for CI machines without a GPU: the cpu backend registered under the
// name 'webgpu' (so `canReadSync()` of @tessera/core answers false once OffscreenCanvas is absent), whose synchronous
// reads fail as the real one's do (`ReferenceError: OffscreenCanvas is not defined`) for every tensor whose values
// are on the "device" (made or used by a kernel), and whose kernels fail, as the real ones do, when an input has no
// elements but the output has some (Dawn refuses the empty upload). Values made from host arrays stay readable, as
// they do on tfjs-backend-webgpu until a kernel uploads them. Asynchronous reads (`await t.data()`) always work.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

/** What the fake backend saw: synchronous reads it refused, empty-input kernels it refused. */
export interface NoSyncLog {
  refusedReads: number;
  refusedEmpty: string[];
}

/**
 * True when the name 'webgpu' is free (not the real tfjs-backend-webgpu, e.g. on the GPU machine). Ask at run time
 * (in a hook or test), not while collecting: the suite's backend is set up after collection.
 */
export function canSimulateWebGPU(): boolean {
  return tf.findBackendFactory('webgpu') === null && tf.getKernelsForBackend('webgpu').length === 0;
}

/**
 * Runs `f` on the fake backend, then restores the previous backend and OffscreenCanvas and removes the fake and its
 * kernels, also when `f` throws.
 */
export async function onNoSyncBackend<T>(f: (log: NoSyncLog) => T | Promise<T>): Promise<T> {
  const g = globalThis as { OffscreenCanvas?: unknown };
  const savedCanvas = g.OffscreenCanvas;
  const before = tf.getBackend();
  const onDevice = new WeakSet<object>();
  const log: NoSyncLog = { refusedReads: 0, refusedEmpty: [] };
  let inKernel = 0;
  class NoSyncBackend extends MathBackendCPU {
    // tfjs-backend-webgpu's map, through which @tessera/core's readSync tells host-resident values apart
    tensorMap = { get: (id: object) => ({ values: onDevice.has(id) ? null : 'host' }) };
    override readSync(dataId: object) {
      if (inKernel === 0 && onDevice.has(dataId)) {
        log.refusedReads++;
        throw new ReferenceError('OffscreenCanvas is not defined');
      }
      return super.readSync(dataId);
    }
    override async read(dataId: object) {
      return super.readSync(dataId);
    }
  }
  const names: string[] = [];
  // never replace a real webgpu backend (the suite may run on one): callers skip where canSimulateWebGPU() is false
  if (!canSimulateWebGPU() || !tf.registerBackend('webgpu', () => new NoSyncBackend(), -1))
    throw new Error('onNoSyncBackend: a webgpu backend is already registered');
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
          if (inputs.some((t) => tf.util.sizeFromShape(t.shape) === 0) && outs.some((t) => tf.util.sizeFromShape(t.shape) > 0)) {
            for (const t of outs) (args.backend as MathBackendCPU).disposeData(t.dataId);
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
    return await f(log);
  } finally {
    await tf.setBackend(before);
    if (savedCanvas !== undefined) g.OffscreenCanvas = savedCanvas;
    for (const n of names) tf.unregisterKernel(n, 'webgpu');
    tf.removeBackend('webgpu');
  }
}

/**
 * Runs `f` on the real cpu backend (whose kernels the fake runs), then restores the previous backend: references for
 * bit-for-bit comparisons with the fake when the suite runs on another backend (wasm sums in another order).
 */
export async function onCpuBackend<T>(f: () => T): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend(before);
  }
}
