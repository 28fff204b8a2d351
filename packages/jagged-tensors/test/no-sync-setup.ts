// vitest setup of `vitest.no-sync.config.ts`: every test file runs on the simulated webgpu-in-Node backend of
// @tessera/testing's useNoSyncBackend (no synchronous reads of device tensors, no ops over empty inputs), to find the tests and
// paths that would fail on the GPU machine without one.

import { useNoSyncBackend } from '@tessera/testing';
import { afterAll, beforeAll } from 'vitest';

let restore: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ restore } = await useNoSyncBackend());
});
afterAll(async () => {
  await restore?.();
});
