// A simulated tfjs-backend-webgpu in Node, for tests: the cpu backend registered under the name 'webgpu' (so that
// core's canReadSync() is false where there is no OffscreenCanvas), whose readSync throws for every tensor a kernel
// has touched or produced, as tfjs-backend-webgpu's does in Node once the values live on the GPU. Tensors made from
// host arrays and not yet used by a kernel read fine, and `await t.data()` leaves a host copy, both as there. With
// `emptyInputs: 'throw'` a kernel that gets an empty (size-0) input and must produce a non-empty output throws, as
// tfjs-backend-webgpu does when it asks Dawn for a buffer of size 0 (Concat, which drops empty inputs, excepted).
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

const onDevice = new Set<object>();
let inKernel = 0;
/** Synchronous reads of device tensors attempted (each one threw). */
export const noSyncStats = { syncReads: 0 };

class NoSyncBackend extends MathBackendCPU {
  // tfjs-backend-webgpu's per-tensor record, through which core's readSync tells host-resident values apart
  tensorMap = { get: (id: object) => ({ values: onDevice.has(id) ? null : 'host' }) };
  override readSync(dataId: object) {
    if (inKernel === 0 && onDevice.has(dataId)) {
      noSyncStats.syncReads++;
      throw new Error('simulated webgpu: no synchronous read of a device tensor');
    }
    return super.readSync(dataId as never);
  }
  override async read(dataId: object) {
    onDevice.delete(dataId); // the asynchronous read works and leaves a host copy, as tfjs-backend-webgpu's does
    return super.readSync(dataId as never);
  }
  override makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues | string[]) {
    const info = super.makeTensorInfo(shape, dtype, values);
    onDevice.add(info.dataId);
    return info;
  }
}

const g = globalThis as { OffscreenCanvas?: unknown };

/**
 * Registers the simulated backend as 'webgpu', removes `OffscreenCanvas` and makes it the active backend; returns a
 * function that restores the previous backend and removes it again.
 */
export async function useNoSyncBackend(o: { emptyInputs?: 'throw' | 'allow' } = {}): Promise<() => Promise<void>> {
  if (tf.findBackendFactory('webgpu') !== null) throw new Error('useNoSyncBackend: a webgpu backend is already registered');
  const before = tf.getBackend();
  const savedCanvas = g.OffscreenCanvas;
  const registered: string[] = [];
  tf.registerBackend('webgpu', () => new NoSyncBackend(), -1);
  for (const k of tf.getKernelsForBackend('cpu')) {
    const kernelFunc = k.kernelFunc;
    tf.registerKernel({
      ...k,
      backendName: 'webgpu',
      // a kernel's inputs are uploaded to the device, and its outputs live there
      kernelFunc: (args) => {
        const inputs = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t != null);
        for (const t of inputs) onDevice.add(t.dataId);
        inKernel++;
        try {
          const out = kernelFunc(args);
          if (o.emptyInputs === 'throw' && k.kernelName !== 'Concat' && inputs.some((t) => tf.util.sizeFromShape(t.shape) === 0)) {
            const outs = (Array.isArray(out) ? out : [out]) as tf.TensorInfo[];
            if (outs.some((t) => tf.util.sizeFromShape(t.shape) > 0))
              throw new TypeError(`simulated webgpu: ${k.kernelName} over an empty input (Dawn: createBuffer size out of range)`);
          }
          return out;
        } finally {
          inKernel--;
        }
      },
    });
    registered.push(k.kernelName);
  }
  delete g.OffscreenCanvas;
  await tf.setBackend('webgpu');
  return async () => {
    await tf.setBackend(before);
    tf.removeBackend('webgpu');
    for (const name of registered) tf.unregisterKernel(name, 'webgpu');
    if (savedCanvas !== undefined) g.OffscreenCanvas = savedCanvas;
  };
}
