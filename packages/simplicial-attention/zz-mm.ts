import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tessera/core';

for (const be of ['wasm', 'cpu'] as const) {
  const info = await initBackend(be, { log: null });
  console.log(info.name, tf.getBackend());
  const a = tf.randomNormal([512, 64]);
  const b = tf.randomNormal([64, 1024]);
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    tf.tidy(() => tf.matMul(a, b).dataSync());
    const t = performance.now() - t0;
    console.log(be, t.toFixed(1), 'ms', ((2 * 512 * 64 * 1024) / t / 1e6).toFixed(2), 'GFLOP/s');
  }
  const c = tf.randomNormal([4096, 4096]);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    tf.tidy(() => tf.add(c, c).dataSync());
    console.log(be, 'add16M', (performance.now() - t0).toFixed(1));
  }
}
