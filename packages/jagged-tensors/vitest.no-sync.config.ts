// `npx vitest run -c vitest.no-sync.config.ts`: the suite on a simulated webgpu-in-Node backend (test/no-sync-setup.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['src/no-sync.test.ts'],
    setupFiles: ['@tessera/testing/vitest-setup', './test/no-sync-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
