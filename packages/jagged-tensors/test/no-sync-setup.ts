// vitest setup of `vitest.no-sync.config.ts`: every test file runs on the simulated webgpu-in-Node backend of
// ./no-sync-backend.ts (no synchronous reads of device tensors, no ops over empty inputs), to find the tests and
// paths that would fail on the GPU machine without one.
import { afterAll, beforeAll } from 'vitest';
import { useNoSyncBackend } from './no-sync-backend.js';

let restore: (() => Promise<void>) | undefined;
beforeAll(async () => {
  restore = await useNoSyncBackend({ emptyInputs: 'throw' });
});
afterAll(async () => {
  await restore?.();
});
