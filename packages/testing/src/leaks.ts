import * as tf from '@tensorflow/tfjs-core';

function check(before: number, what: string): void {
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`expectNoLeaks: ${what} changed the live tensor count by ${after - before} (${before} → ${after})`);
}

/**
 * Runs `fn` and throws if the number of live tf tensors changed. Works for sync and async functions. When `fn`
 * throws, the leak check still runs (error paths must not leak either); a leak is reported in preference to the
 * original error, which is kept as `cause`. Returned tensors count as leaks: dispose them inside `fn`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { expectNoLeaks } from '@tessera/testing';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * expectNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync()));
 * ```
 */
export function expectNoLeaks<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    const after = tf.memory().numTensors;
    if (after !== before) {
      throw new Error(`expectNoLeaks: the failing call leaked ${after - before} tensor(s)`, { cause: e });
    }
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        check(before, 'the call');
        return v;
      },
      (e) => {
        const after = tf.memory().numTensors;
        if (after !== before) throw new Error(`expectNoLeaks: the failing call leaked ${after - before} tensor(s)`, { cause: e });
        throw e;
      },
    ) as T;
  }
  check(before, 'the call');
  return result;
}
