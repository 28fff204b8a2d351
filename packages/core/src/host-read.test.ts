import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { TesseraError } from './errors.js';
import { canReadSync, readSync } from './host-read.js';

const g = globalThis as { OffscreenCanvas?: unknown };

describe('canReadSync / readSync', () => {
  const saved = g.OffscreenCanvas;
  afterEach(() => {
    if (saved === undefined) delete g.OffscreenCanvas;
    else g.OffscreenCanvas = saved;
  });

  it('every backend but webgpu reads synchronously; webgpu only with OffscreenCanvas', () => {
    if (tf.getBackend() !== 'webgpu') expect(canReadSync()).toBe(true); // cpu or wasm
    for (const b of ['cpu', 'wasm', 'webgl', 'tensorflow']) expect(canReadSync(b)).toBe(true);
    delete g.OffscreenCanvas;
    expect(canReadSync('webgpu')).toBe(false);
    g.OffscreenCanvas = class {};
    expect(canReadSync('webgpu')).toBe(true);
  });

  it('reads values and validates its argument', () => {
    const x = tf.tensor1d([1.5, -2, 3]);
    try {
      expect(Array.from(readSync(x, 'f', 'x'))).toEqual([1.5, -2, 3]);
    } finally {
      x.dispose();
    }
    expect(() => readSync(x, 'f', 'x')).toThrow(/f: x must not be disposed/);
    expect(() => readSync([1] as never, 'f', 'x')).toThrow(TesseraError);
  });

  it('on a backend without synchronous reads: host-resident values still read, device values give UNSUPPORTED', async () => {
    // A cpu backend registered under the name 'webgpu', with the `tensorMap` through which tfjs-backend-webgpu
    // says whether a tensor's values are still on the host.
    const onDevice = new Set<object>();
    class FakeWebGPU extends MathBackendCPU {
      tensorMap = { get: (id: object) => ({ values: onDevice.has(id) ? null : 'host' }) };
    }
    if (tf.findBackendFactory('webgpu') != null) {
      // A real webgpu backend is registered (the GPU conformance run): test it instead of a fake.
      if (tf.getBackend() !== 'webgpu' || canReadSync()) return;
      // large enough that tfjs-backend-webgpu computes on the GPU (it runs small ops on the CPU copy)
      const x = tf.fill([1 << 16], 1);
      const y = tf.add(x, x);
      try {
        expect(() => readSync(y, 'myOp', "'y'", 'await y.data()')).toThrow(
          "myOp: reads 'y' on the host, which the webgpu backend cannot do synchronously in this runtime (no OffscreenCanvas: Node); await y.data()",
        );
        expect((await y.data()).every((v) => v === 2)).toBe(true);
      } finally {
        tf.dispose([x, y]);
      }
      return;
    }
    const before = tf.getBackend();
    tf.registerBackend('webgpu', () => new FakeWebGPU(), -1);
    delete g.OffscreenCanvas;
    try {
      await tf.setBackend('webgpu');
      expect(canReadSync()).toBe(false);
      const x = tf.tensor1d([1, 2]);
      try {
        expect(Array.from(readSync(x, 'f', 'x'))).toEqual([1, 2]); // values on the host
        onDevice.add(x.dataId); // as after an upload to the GPU
        let err: unknown;
        try {
          readSync(x, 'myOp', "'x'", "use kernel: 'tfjs'");
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TesseraError);
        expect((err as TesseraError).code).toBe('UNSUPPORTED');
        expect((err as TesseraError).message).toBe(
          "myOp: reads 'x' on the host, which the webgpu backend cannot do synchronously in this runtime (no OffscreenCanvas: Node); use kernel: 'tfjs'",
        );
      } finally {
        x.dispose();
      }
    } finally {
      await tf.setBackend(before);
      tf.removeBackend('webgpu');
    }
  });
});
