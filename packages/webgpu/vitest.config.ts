import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['@tessera/testing/vitest-setup'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
