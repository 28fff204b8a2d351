let registered: Promise<void> | null = null;

/**
 * Registers the gradients of every tfjs-core kernel (what `@tensorflow/tfjs` does on import), so that `tf.grad`,
 * `tf.grads`, `tf.variableGrads` and optimizers work when only `@tensorflow/tfjs-core` is installed. Idempotent;
 * {@link initBackend} calls it, so most programs never need to.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu'; // an app that picks its backend itself instead of calling initBackend()
 * import { registerAllGradients } from '@tessera/core';
 * await tf.setBackend('cpu');
 * await registerAllGradients();
 * const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor([1, 2])); // [2, 4]
 * ```
 */
export function registerAllGradients(): Promise<void> {
  registered ??= import('./register-gradients.js').then(() => undefined);
  return registered;
}
