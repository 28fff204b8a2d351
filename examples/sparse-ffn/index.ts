// Trains a small Squared-ReLU FFN on a synthetic regression task (a random "teacher" Squared-ReLU FFN), once dense
// and once with 2:4 activation sparsity (@tessera/sparse-24, '24sparse' gradients), then with the straight-through
// gradient for comparison. Prints loss, measured sparsity and step time, and draws the loss curves side by side
// (out/loss-curves.svg and .png, through the examples' Vega-Lite helper). Training runs on the host kernels:
// forwardHost / backwardHost give the FFN's gradients (in the chosen gradient mode) and a few lines of Adam update
// the weights, so no tfjs gradient registration is needed.
import { mkdirSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, rng } from '@tessera/core';
import { type Ffn24Gradient, gemmHostUnchecked, SquaredReluFFN24 } from '@tessera/sparse-24';
import { writePlot } from '../lib/plot.js';
import { progress } from '../lib/progress.js';

const info = await initBackend(undefined, { log: null });
console.log(`backend: ${info.name}`);

const D = 32;
const H = 256;
const BATCH = 128;
const STEPS = 400;
const LR = 0.003;
const r = rng(2026);

// Teacher: y = ReLU(x·A)²·B, with A, B fixed random matrices; inputs x ~ N(0, 1).
const A = r.normalArray(D * H, 0, 1 / Math.sqrt(D));
const B = r.normalArray(H * D, 0, 1 / Math.sqrt(H));
const teacher = (x: Float32Array, t: number) => {
  const y1 = gemmHostUnchecked(x, t, D, A, H);
  for (let i = 0; i < y1.length; i++) y1[i] = y1[i] > 0 ? y1[i] * y1[i] : 0;
  return gemmHostUnchecked(y1, t, H, B, D);
};
const batches = Array.from({ length: 16 }, () => {
  const x = r.normalArray(BATCH * D);
  return { x, y: teacher(x, BATCH) };
});
const TEST = 512;
const xTest = r.normalArray(TEST * D);
const yTest = teacher(xTest, TEST);

/** Mean squared error and its gradient with respect to the prediction. */
function mse(pred: Float32Array, target: Float32Array): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(pred.length);
  let loss = 0;
  for (let i = 0; i < pred.length; i++) {
    const e = pred[i] - target[i];
    loss += e * e;
    grad[i] = (2 * e) / pred.length;
  }
  return { loss: loss / pred.length, grad };
}

/** Adam (β1 0.9, β2 0.999, ε 1e-8) on a Float32Array, in place. */
function adam(lr: number) {
  const state = new Map<Float32Array, { m: Float64Array; v: Float64Array }>();
  let t = 0;
  return {
    step(pairs: [Float32Array, Float32Array][]) {
      t++;
      const c1 = 1 - 0.9 ** t;
      const c2 = 1 - 0.999 ** t;
      for (const [p, g] of pairs) {
        let s = state.get(p);
        if (!s) state.set(p, (s = { m: new Float64Array(p.length), v: new Float64Array(p.length) }));
        for (let i = 0; i < p.length; i++) {
          s.m[i] = 0.9 * s.m[i] + 0.1 * g[i];
          s.v[i] = 0.999 * s.v[i] + 0.001 * g[i] * g[i];
          p[i] -= (lr * (s.m[i] / c1)) / (Math.sqrt(s.v[i] / c2) + 1e-8);
        }
      }
    },
  };
}

interface RunResult {
  name: string;
  losses: number[];
  testLoss: number;
  msPerStep: number;
  naturalSparsity: number;
  already24: number;
  droppedFraction: number;
  droppedMass: number;
}

function train(name: string, sparsity: '24' | 'dense', gradient: Ffn24Gradient): RunResult {
  const ffn = new SquaredReluFFN24({ dModel: D, hidden: H, sparsity, gradient, seed: 7 });
  const w1 = Float32Array.from(ffn.w1.dataSync() as Float32Array);
  const w2 = Float32Array.from(ffn.w2.dataSync() as Float32Array);
  const opt = adam(LR);
  const losses: number[] = [];
  let stats = { natural: 0, already: 0, dropped: 0, mass: 0 };
  const bar = progress(name.padEnd(16), STEPS, ['loss']);
  const t0 = performance.now();
  for (let step = 0; step < STEPS; step++) {
    const { x, y } = batches[step % batches.length];
    const ctx = ffn.forwardHost(x, BATCH, w1, w2);
    const { loss, grad } = mse(ctx.y, y);
    const g = ffn.backwardHost(ctx, grad, w1, w2);
    opt.step([
      [w1, g.dW1],
      [w2, g.dW2],
    ]);
    losses.push(loss);
    bar.tick(1, { loss: loss.toFixed(4) });
    if (step >= STEPS - 50) {
      const s = ctx.stats;
      stats = {
        natural: stats.natural + s.naturalSparsity / 50,
        already: stats.already + s.groupsAlready24 / 50,
        dropped: stats.dropped + s.droppedFraction / 50,
        mass: stats.mass + s.droppedMass / 50,
      };
    }
  }
  const msPerStep = (performance.now() - t0) / STEPS;
  bar.stop();
  const testLoss = mse(ffn.forwardHost(xTest, TEST, w1, w2).y, yTest).loss;
  // The trained weights go back into the module's tf variables (e.g. for ffn.apply or saving).
  tf.tidy(() => {
    ffn.w1.assign(tf.tensor(w1, [D, H]));
    ffn.w2.assign(tf.tensor(w2, [H, D]));
  });
  ffn.dispose();
  return {
    name,
    losses,
    testLoss,
    msPerStep,
    naturalSparsity: stats.natural,
    already24: stats.already,
    droppedFraction: stats.dropped,
    droppedMass: stats.mass,
  };
}

const runs = [train('dense', 'dense', '24sparse'), train('2:4 (24sparse)', '24', '24sparse'), train('2:4 (ste)', '24', 'ste')];

console.log(
  '\nrun              first loss  final loss (avg last 20)  test loss  ms/step  Y2 sparsity  groups already 2:4  dropped nnz  dropped mass',
);
for (const run of runs) {
  const last = run.losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`.padStart(11);
  console.log(
    `${run.name.padEnd(16)} ${run.losses[0].toFixed(4).padStart(10)}  ${last.toFixed(4).padStart(24)}  ${run.testLoss.toFixed(4).padStart(9)}  ${run.msPerStep.toFixed(1).padStart(7)}  ${pct(run.naturalSparsity)}  ${pct(run.already24).padStart(18)}  ${run.name === 'dense' ? '          -' : pct(run.droppedFraction)}  ${run.name === 'dense' ? '           -' : pct(run.droppedMass).padStart(12)}`,
  );
}

// Loss curves side by side on one log scale: dense (blue) left, 2:4 '24sparse' (red) right, the other run in grey.
const [dense, sparse] = runs;
const rows = [dense, sparse].flatMap((run) => run.losses.map((loss, step) => ({ step, loss, run: run.name })));
const panel = (own: RunResult, other: RunResult, color: string) => {
  const series = (run: RunResult, width: number) => ({
    transform: [{ filter: { field: 'run', equal: run.name } }],
    mark: { type: 'line' as const, strokeWidth: width },
  });
  return {
    title: own.name === 'dense' ? 'dense' : "2:4 activations ('24sparse' gradients)",
    width: 380,
    height: 280,
    data: { values: rows },
    encoding: {
      x: { field: 'step', type: 'quantitative' as const, title: 'training step' },
      y: { field: 'loss', type: 'quantitative' as const, title: 'train loss (log scale)', scale: { type: 'log' as const } },
      color: {
        field: 'run',
        type: 'nominal' as const,
        title: null,
        scale: { domain: [own.name, other.name], range: [color, '#c8c8c8'] },
        legend: { orient: 'top-right' as const, fillColor: 'white', padding: 6, strokeColor: '#d2d2d2' },
      },
    },
    // The other run first, so that this panel's own run is drawn on top of it.
    layer: [series(other, 1), series(own, 2)],
  };
};
mkdirSync('out', { recursive: true });
const files = await writePlot(
  {
    title: {
      text: 'Squared-ReLU FFN: dense vs 2:4 activation sparsity',
      subtitle: `final test loss: dense ${dense.testLoss.toFixed(4)}, 2:4 (24sparse) ${sparse.testLoss.toFixed(4)} (×${(sparse.testLoss / dense.testLoss).toFixed(3)} of dense)`,
    },
    hconcat: [panel(dense, sparse, '#1e50c8'), panel(sparse, dense, '#d22828')],
    resolve: { scale: { y: 'shared', color: 'independent' } },
  },
  'out/loss-curves',
);
console.log(
  `\nwrote ${files.svg} and ${files.png} (${statSync(files.png).size} bytes): left dense (blue), right 2:4 '24sparse' (red), log-scale loss, the other run in grey`,
);

// Checks: 2:4 training converges close to dense.
const finalOf = (run: RunResult) => run.losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
if (!(finalOf(dense) < dense.losses[0] / 4)) throw new Error('dense training did not converge');
if (!(finalOf(sparse) < sparse.losses[0] / 4)) throw new Error('2:4 training did not converge');
if (!(sparse.testLoss < 3 * dense.testLoss + 1e-3)) throw new Error(`2:4 test loss ${sparse.testLoss} is far from dense ${dense.testLoss}`);
console.log(`2:4 '24sparse' final test loss / dense: ${(sparse.testLoss / dense.testLoss).toFixed(3)}`);

const live = tf.memory().numTensors;
console.log(`live tensors after cleanup: ${live}`);
if (live !== 0) throw new Error('the example leaked tensors');
