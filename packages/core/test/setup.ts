// core's own vitest setup. It mirrors @tessera/testing/vitest-setup (backend from TESSERA_BACKEND, cpu when unset;
// fail the file on leaked tensors) but imports core's sources directly: @tessera/testing depends on core, so core
// cannot depend on it without a cycle.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { type BackendName, initBackend } from '../src/backend.js';

let before = 0;
beforeAll(async () => {
  const env = process.env.TESSERA_BACKEND;
  await initBackend(env && env !== 'auto' ? (env as BackendName) : 'cpu', { log: null });
  before = tf.memory().numTensors;
});
afterAll(() => {
  expect(tf.memory().numTensors, 'live tensors after this test file (a leak)').toBe(before);
});
