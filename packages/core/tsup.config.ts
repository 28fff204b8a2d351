import { defineConfig } from 'tsup';

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
  // tfjs-core's gradient registrations ship only as extensionless ESM; bundle them (see src/register-gradients.ts).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
});
