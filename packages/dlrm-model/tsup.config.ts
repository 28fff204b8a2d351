import { defineConfig } from 'tsup';

export default defineConfig({
  // `data` is the Node-only subpath (DuckDB, node:fs); the CLI is the package's bin.
  entry: { index: 'src/index.ts', 'data/index': 'src/data/index.ts', cli: 'src/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'data/index': 'src/data/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['@duckdb/node-api'],
});
