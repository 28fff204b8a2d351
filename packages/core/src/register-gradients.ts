// tfjs-core registers no gradients by itself (the @tensorflow/tfjs union package imports this same file), and
// its `dist/register_all_gradients` is extensionless ESM that Node cannot load. Core's build (tsup.config.ts)
// bundles only the gradient definitions and points each of their imports at tfjs-core's public API, so the chunk
// registers into the application's own tfjs-core (one Engine, one kernel registry) in Node ESM, CJS and bundlers.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
