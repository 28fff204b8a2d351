import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'vitest-setup': 'src/vitest-setup.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['fast-check', 'vitest'],
});
