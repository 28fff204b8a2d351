import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

// tfjs-core registers no gradients by itself (`@tensorflow/tfjs` imports `dist/register_all_gradients`), and it
// ships them only as extensionless ESM (`dist/gradients/*.js`) that Node cannot load. Bundling them as they are
// drags in ~230 of tfjs-core's internal modules: a second copy of its Engine, Tensor and kernel registry. This
// plugin bundles only the gradient files and rewrites each of their imports of a tfjs-core internal module to the
// same function taken from tfjs-core's public API (`tf.mul`, `tf.backend_util.getReductionAxes`, `tf.engine()`),
// so the chunk holds gradient code only and runs on the application's one tfjs-core instance. Internal ops that
// tfjs-core does not export (`maxPoolGrad`, `conv2DBackpropFilter`, ...: thin `runKernel` wrappers) are bundled
// from their own files, whose imports go through the same rewrite.
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core') as Record<string, unknown>;
const coreDist = dirname(require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'));

/** Where the public API keeps the exports of an internal module (path relative to tfjs-core's dist, no `.js`). */
function publicHome(mod: string): { expr: string; obj: Record<string, unknown> } {
  const ns = (name: string) => ({ expr: `tf.${name}`, obj: tf[name] as Record<string, unknown> });
  if (mod === 'util' || mod === 'util_base' || mod === 'hash_util') return ns('util');
  if (mod === 'ops/slice_util') return ns('slice_util');
  if (/^ops\/(broadcast|axis|conv|selu)_util$/.test(mod)) return ns('backend_util');
  return { expr: 'tf', obj: tf };
}

/** The names a tfjs-core dist module exports, following `export * from`. */
function exportNames(mod: string): string[] {
  const src = readFileSync(join(coreDist, `${mod}.js`), 'utf8');
  const names = [...src.matchAll(/^export (?:async )?(?:function\*?|const|let|var|class) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
  for (const m of src.matchAll(/^export \{([^}]*)\}(?! from)/gm)) {
    for (const part of m[1].split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.push(name);
    }
  }
  for (const m of src.matchAll(/^export \* from '(\.[^']+)'/gm)) names.push(...exportNames(join(dirname(mod), m[1])));
  return names;
}

function shimSource(mod: string): string | null {
  if (mod === 'engine') return `import * as tf from '@tensorflow/tfjs-core';\nexport const ENGINE = tf.engine();\n`;
  if (mod === 'tensor_util_env') {
    // Gradient code hands these ops tensors only; anything else is a bug worth a clear message.
    return `import * as tf from '@tensorflow/tfjs-core';
export function convertToTensor(x, argName, functionName) {
  if (x instanceof tf.Tensor) return x;
  throw new Error(\`\${functionName}: \${argName} must be a Tensor in a gradient\`);
}\n`;
  }
  const home = publicHome(mod);
  const names = exportNames(mod).filter((n) => home.obj[n] !== undefined);
  if (names.length === 0) return null; // nothing public: bundle the module itself
  return `import * as tf from '@tensorflow/tfjs-core';\nexport const { ${names.join(', ')} } = ${home.expr};\n`;
}

// Two gradients call chained tensor methods, which exist only once `@tensorflow/tfjs` has imported tfjs-core's
// `register_all_chained_ops`; with tfjs-core alone they throw "x.reshape is not a function". Rewrite exactly these
// calls to the functional ops (the build fails if a tfjs-core upgrade changes them).
const CHAINED_CALLS: Record<string, string[]> = {
  'gradients/Prod_grad.js': ['permutedX.reshape(', 'prodGrad.reshape('],
  'gradients/GatherV2_grad.js': ['x.split(', 'indices.slice(', 'dy.slice(', 'stacked.reshape('],
};

function unchain(file: string, src: string): string {
  let out = src;
  for (const call of CHAINED_CALLS[file] ?? []) {
    const [target, method] = call.slice(0, -1).split('.');
    if (!out.includes(call)) throw new Error(`tsup.config.ts: expected ${call} in tfjs-core ${file}`);
    out = out.replaceAll(call, `__${method}(${target}, `);
  }
  return `import { reshape as __reshape, slice as __slice, split as __split } from '@tensorflow/tfjs-core';\n${out}`;
}

const publicTfjsCore: Plugin = {
  name: 'tfjs-core-public-imports',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/ }, () => ({
      path: join(coreDist, 'register_all_gradients.js'),
    }));
    build.onResolve({ filter: /^\./ }, (args) => {
      if (!args.importer.startsWith(coreDist)) return undefined;
      const mod = relative(coreDist, join(dirname(args.importer), args.path)).replaceAll('\\', '/');
      if (mod.startsWith('gradients/')) return { path: join(coreDist, `${mod}.js`) };
      const shim = shimSource(mod);
      if (shim === null) return { path: join(coreDist, `${mod}.js`) };
      return { path: mod, namespace: 'tfjs-core-public', pluginData: shim };
    });
    build.onLoad({ filter: /gradients[\\/](Prod|GatherV2)_grad\.js$/ }, (args) => ({
      contents: unchain(relative(coreDist, args.path).replaceAll('\\', '/'), readFileSync(args.path, 'utf8')),
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'tfjs-core-public' }, (args) => ({
      contents: args.pluginData as string,
      resolveDir: coreDist,
      loader: 'js',
    }));
  },
};

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Optional backends are imported by literal specifier at run time (src/backend.ts); never bundle them.
  external: [
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
    '@tensorflow/tfjs-backend-webgpu',
    '@tensorflow/tfjs-backend-webgl',
    'webgpu',
  ],
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
  esbuildPlugins: [publicTfjsCore],
});
