// Smoke check of the tfjs path on a real webgpu backend (an H200 via scripts/gpu/run.sh, or Mesa lavapipe via
// `bash scripts/gpu/lavapipe.sh env TESSERA_BACKEND=webgpu npx tsx packages/dlrm-model/bench/webgpu-smoke.ts`):
// three `await trainStepAsync` steps (kernel 'auto' = tfjs on webgpu in Node) of a small DLRM with each optimizer,
// against the same steps with the host kernels on the cpu backend; prints the largest differences. Exit code 1 when
// a loss or parameter differs by more than 2e-5 + 2e-4·|host| (the tolerance of src/device.prop.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '@tessera/core';
import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
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

async function run(makeOpt: () => SparseAwareOptimizer, ikjt: boolean): Promise<{ losses: number[]; state: Map<string, Float32Array> }> {
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
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await trainStepAsync(model, opt, { dense, sparse, labels }, 'bce')).loss);
  await model.syncHost();
  const state = new Map<string, Float32Array>();
  model.embeddings.forEach((t, k) => {
    state.set(`emb_l.${k}.weight`, t.slice());
  });
  model.poolingWeights?.forEach((t, k) => {
    state.set(`v_W_l.${k}`, t.slice());
  });
  for (const [n, v] of model.denseParameters()) state.set(n, (await v.data()) as Float32Array);
  opt.dispose?.();
  model.dispose();
  tf.dispose([dense, labels]);
  if (sparse !== kjt) sparse.dispose();
  kjt.dispose();
  return { losses, state };
}

const optimizers: [string, () => SparseAwareOptimizer][] = [
  ['sgd', () => sgd(0.1)],
  ['adagrad', () => adagrad({ lr: 0.05, initialAccumulatorValue: 0.1 })],
  ['rowWiseSparseAdagrad', () => rowWiseSparseAdagrad({ lr: 0.05, eps: 0.1 })],
];
let bad = 0;
for (const [name, makeOpt] of optimizers)
  for (const ikjt of [false, true]) {
    await initBackend('cpu', { log: null });
    const host = await run(makeOpt, ikjt);
    const info = await initBackend(process.env.TESSERA_BACKEND === 'cpu' ? 'cpu' : 'webgpu', { log: null });
    const t0 = performance.now();
    const dev = await run(makeOpt, ikjt);
    const ms = performance.now() - t0;
    let worst = 0;
    const cmp = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      for (let i = 0; i < b.length; i++) {
        const e = Math.abs(a[i] - b[i]) / (2e-5 + 2e-4 * Math.abs(b[i]));
        worst = Math.max(worst, Number.isNaN(e) ? Number.POSITIVE_INFINITY : e);
      }
    };
    cmp(dev.losses, host.losses);
    for (const [n, t] of host.state) cmp(dev.state.get(n) as Float32Array, t);
    if (!(worst <= 1)) bad++;
    console.log(
      `${tf.getBackend()} (${(info as { name?: string }).name ?? ''}) ${name}${ikjt ? ' IKJT' : ''}: losses ${dev.losses.map((l) => l.toFixed(6)).join(' ')} (host ${host.losses.map((l) => l.toFixed(6)).join(' ')}), worst error / tolerance ${worst.toFixed(3)}, ${ms.toFixed(0)} ms`,
    );
  }
console.log(bad === 0 ? 'webgpu smoke: all within tolerance' : `webgpu smoke: ${bad} case(s) out of tolerance`);
process.exit(bad === 0 ? 0 : 1);
