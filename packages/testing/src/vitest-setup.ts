// A vitest setup file shared by every tessera package (`setupFiles: ['@tessera/testing/vitest-setup']`):
// selects the backend named by TESSERA_BACKEND (cpu when unset, so that a test run never depends on what happens
// to be installed) and fails the test file if it leaves live tensors behind (architecture rule 3).
// With TESSERA_WEBGPU_KERNELS=1 on the webgpu backend it also registers @tessera/webgpu's WGSL kernels with core's
// accelerator table (what an application calls once), so a GPU conformance run can test the packages both without
// and with them. The import is by a variable: @tessera/testing does not depend on @tessera/webgpu.
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, initBackend } from '@tessera/core';
import { afterAll, beforeAll, expect } from 'vitest';

let before = 0;
beforeAll(async () => {
  const env = process.env.TESSERA_BACKEND;
  await initBackend(env && env !== 'auto' ? (env as BackendName) : 'cpu', { log: null });
  if (process.env.TESSERA_WEBGPU_KERNELS === '1' && tf.getBackend() === 'webgpu') {
    const spec = '@tessera/webgpu';
    const mod = (await import(/* @vite-ignore */ spec)) as { registerWebGPUKernels: () => () => void };
    mod.registerWebGPUKernels();
  }
  before = tf.memory().numTensors;
});
afterAll(() => {
  expect(tf.memory().numTensors, 'live tensors after this test file (a leak)').toBe(before);
});
