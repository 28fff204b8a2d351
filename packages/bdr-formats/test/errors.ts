import * as tf from '@tensorflow/tfjs-core';

/** Runs `fn` inside `tf.tidy` (so a half-built result cannot leak) and returns what it threw, or undefined. */
export function thrownInTidy(fn: () => unknown): unknown {
  let err: unknown;
  tf.tidy(() => {
    try {
      fn();
    } catch (e) {
      err = e;
    }
  });
  return err;
}
