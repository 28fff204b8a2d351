// A vitest setup file shared by every tessera package (`setupFiles: ['@tessera/testing/vitest-setup']`):
// selects the backend named by TESSERA_BACKEND (cpu when unset, so that a test run never depends on what happens
// to be installed) and fails the test file if it leaves live tensors behind (architecture rule 3).
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, initBackend } from '@tessera/core';
import { afterAll, beforeAll, expect } from 'vitest';

let before = 0;
beforeAll(async () => {
  const env = process.env.TESSERA_BACKEND;
  await initBackend(env && env !== 'auto' ? (env as BackendName) : 'cpu', { log: null });
  before = tf.memory().numTensors;
});
afterAll(() => {
  expect(tf.memory().numTensors, 'live tensors after this test file (a leak)').toBe(before);
});
