// The simulated webgpu-in-Node backend: what it refuses and what it leaves as it found it.
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { canSimulateWebGPU, onCpuBackend, onNoSyncBackend, useNoSyncBackend } from './no-sync-backend.js';

// On a real webgpu backend (the GPU machine's conformance run) the simulation refuses to replace it: skipped there.
describe.skipIf(process.env.TESSERA_BACKEND === 'webgpu')('simulated webgpu without synchronous reads', () => {
  it('refuses synchronous reads of device values only, until an asynchronous read leaves a host copy', async () => {
    const backend = tf.getBackend();
    expect(canSimulateWebGPU()).toBe(true);
    await onNoSyncBackend(async (log) => {
      expect(tf.getBackend()).toBe('webgpu');
      expect(canReadSync()).toBe(false);
      const host = tf.tensor1d([1, 2]);
      expect(Array.from(host.dataSync())).toEqual([1, 2]); // not used by a kernel yet
      const y = tf.add(host, 1);
      expect(() => host.dataSync()).toThrow(ReferenceError); // uploaded by the kernel
      expect(() => y.dataSync()).toThrow(/OffscreenCanvas is not defined/);
      expect(Array.from(await y.data())).toEqual([2, 3]);
      expect(Array.from(y.dataSync())).toEqual([2, 3]);
      expect(log.refusedReads).toBe(2);
      tf.dispose([host, y]);
    });
    expect(tf.getBackend()).toBe(backend);
    expect(tf.findBackendFactory('webgpu')).toBeNull();
    expect(tf.getKernelsForBackend('webgpu')).toEqual([]);
    expect(canSimulateWebGPU()).toBe(true);
  });

  it('fails a kernel over an empty input with a non-empty output (Concat excepted), leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const { log, restore } = await useNoSyncBackend();
    try {
      const e = tf.zeros([0]);
      expect(() => tf.sum(e)).toThrow(/createBuffer/);
      const c = tf.tidy(() => tf.concat([e, tf.ones([2])]));
      expect(Array.from(await c.data())).toEqual([1, 1]);
      expect(log.refusedEmpty).toEqual(['Sum']);
      tf.dispose([e, c]);
    } finally {
      await restore();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('restores the backend when f throws, and never replaces a registered webgpu backend', async () => {
    const backend = tf.getBackend();
    await expect(
      onNoSyncBackend(async () => {
        await expect(useNoSyncBackend()).rejects.toThrow(/already registered/);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tf.getBackend()).toBe(backend);
    expect(tf.findBackendFactory('webgpu')).toBeNull();
  });

  it('onCpuBackend runs on cpu and restores the backend', async () => {
    const backend = tf.getBackend();
    expect(await onCpuBackend(() => tf.getBackend())).toBe('cpu');
    expect(tf.getBackend()).toBe(backend);
  });
});
