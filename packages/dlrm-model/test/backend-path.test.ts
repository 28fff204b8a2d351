// Training on the active backend with kernel 'auto' (TESSERA_BACKEND: cpu and wasm run the host kernels; webgpu in
// Node the tfjs path, this file is the one that exercises it on a real GPU) against the host kernels on the cpu
// backend: losses of three awaited steps and every parameter after them, for each optimizer, KJT and IKJT, learned
// pooling weights. Tolerance as in src/device.prop.test.ts (float32 rounding of a different summation order).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { describe, expect, it } from 'vitest';
import { adagrad, DlrmModel, rowWiseSparseAdagrad, type SparseAwareOptimizer, sgd, trainStepAsync } from '../src/index.js';

const names = ['a', 'b', 'c'];
const cfg = {
  denseFeatures: 4,
  embeddingDim: 4,
  tableSizes: [9, 5, 7],
  featureNames: names,
  bottomMlp: [6, 4],
  topMlp: [5, 1],
  interaction: 'dot' as const,
  weightedPooling: 'learned' as const,
};
const B = 6;

async function run(makeOpt: () => SparseAwareOptimizer, ikjt: boolean) {
  const lengths = [2, 0, 1, 3, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1, 1];
  const ids = [0, 8, 3, 1, 1, 2, 5, 6, 4, 4, 0, 3, 1, 2, 6, 6, 0, 1, 2, 3];
  const kjt = KeyedJaggedTensor.fromLengths({ keys: names, values: tf.tensor1d(ids, 'int32'), lengths });
  const sparse = ikjt ? dedup(kjt) : kjt;
  const dense = tf.tensor2d(
    Array.from({ length: B * 4 }, (_, i) => Math.sin(i)),
    [B, 4],
  );
  const labels = tf.tensor2d([1, 0, 0, 1, 1, 0], [B, 1]);
  const model = DlrmModel.create(cfg, { seed: 3 });
  const opt = makeOpt();
  try {
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await trainStepAsync(model, opt, { dense, sparse, labels }, 'bce')).loss);
    return { losses, state: await model.stateDictAsync() };
  } finally {
    opt.dispose?.();
    model.dispose();
    tf.dispose([dense, labels]);
    if (sparse !== kjt) sparse.dispose();
    kjt.dispose();
  }
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= 2e-5 + 2e-4 * Math.abs(b[i])))
      expect.fail(`${what}[${i}]: ${tf.getBackend()} ${a[i]} vs cpu host ${b[i]}`);
};

const optimizers: [string, () => SparseAwareOptimizer][] = [
  ['sgd', () => sgd(0.1)],
  ['adagrad', () => adagrad({ lr: 0.05, initialAccumulatorValue: 0.1 })],
  ['rowWiseSparseAdagrad', () => rowWiseSparseAdagrad({ lr: 0.05, eps: 0.1 })],
];

describe(`training with kernel 'auto' on the active backend equals the host kernels on cpu`, () => {
  for (const [name, makeOpt] of optimizers)
    for (const ikjt of [false, true])
      it(`${name}${ikjt ? ', IKJT' : ''}`, async () => {
        const active = tf.getBackend();
        await tf.setBackend('cpu');
        let host: Awaited<ReturnType<typeof run>>;
        try {
          host = await run(makeOpt, ikjt);
        } finally {
          await tf.setBackend(active);
        }
        const dev = await run(makeOpt, ikjt);
        close(dev.losses, host.losses, 'losses');
        for (const [n, t] of host.state) close((dev.state.get(n) as { data: Float32Array }).data, t.data, n);
      });
});
