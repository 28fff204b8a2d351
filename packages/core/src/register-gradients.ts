// tfjs-core registers no gradients by itself (the @tensorflow/tfjs union package does it), and its
// `dist/register_all_gradients` file is extensionless ESM that Node cannot load. tsup bundles it into this module
// (see tsup.config.ts `noExternal`); the bundled copy registers into tfjs's process-global gradient registry and
// engine, so `tf.grad`, `tf.grads` and optimizers work in plain Node ESM and CJS.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
