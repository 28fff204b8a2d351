// Creates the skeleton of a workspace package: node scripts/new-package.mjs <dir> <description> <issue>
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';

const [dir, description, issue] = process.argv.slice(2);
const root = `packages/${dir}`;
if (existsSync(`${root}/package.json`)) process.exit(0);
mkdirSync(`${root}/src`, { recursive: true });
const pkg = {
  name: `@tessera/${dir}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md'],
  engines: { node: '>=20' },
  scripts: { build: 'tsup', typecheck: 'tsc --noEmit -p tsconfig.json', publint: 'publint' },
  dependencies: { '@tessera/core': '^0.1.0' },
  peerDependencies: { '@tensorflow/tfjs-core': '^4.22.0' },
};
writeFileSync(`${root}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  `${root}/tsup.config.ts`,
  `import { defineConfig } from 'tsup';\n\nexport default defineConfig({\n  entry: ['src/index.ts'],\n  format: ['esm', 'cjs'],\n  dts: true,\n  sourcemap: true,\n  clean: true,\n  target: 'es2022',\n});\n`,
);
writeFileSync(
  `${root}/tsconfig.json`,
  `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src', 'test', 'bench', '*.ts'] }, null, 2)}\n`,
);
writeFileSync(`${root}/src/index.ts`, `// @tessera/${dir} exports nothing yet: its API lands with issue #${issue}.\nexport {};\n`);
writeFileSync(
  `${root}/README.md`,
  `# @tessera/${dir}\n\n${description}.\n\n**Status:** skeleton. The API is delivered by issue #${issue}; until then this package exports nothing.\n`,
);
