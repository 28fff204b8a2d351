// Trains a small Squared-ReLU FFN on a synthetic regression task (a random "teacher" Squared-ReLU FFN), once dense
// and once with 2:4 activation sparsity (@tessera/sparse-24, '24sparse' gradients), then with the straight-through
// gradient for comparison. Prints loss, measured sparsity and step time, and writes the two loss curves side by side
// to out/loss-curves.png (PNG written with node:zlib, no image dependency; titles, axis labels, legend and footer drawn
// with the embedded 5×7 bitmap font of bitmap-font.ts). Training runs on the host kernels: forwardHost / backwardHost
// give the FFN's gradients (in the chosen gradient mode) and a few lines of Adam update the weights, so no tfjs
// gradient registration is needed.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, rng } from '@tessera/core';
import { type Ffn24Gradient, gemmHostUnchecked, SquaredReluFFN24 } from '@tessera/sparse-24';
import { drawText, LINE_H, textWidth } from './bitmap-font.js';
import { Canvas, crc32 } from './png.js';

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

// Loss curves side by side: dense (blue) left, 2:4 '24sparse' (red) right, same log scale; the other run in grey.
// Text (titles, axis labels, tick labels, legend, footer) uses the embedded 5×7 bitmap font at scale 2.
const [dense, sparse] = runs;
const W = 480; // panel width
const Hh = 464; // canvas height
const LEFT = 96; // panel's left margin: rotated y-axis label, then the tick labels
const RIGHT = 24;
const TOP = 48; // plot area top (the title sits above it)
const BOTTOM = 356; // plot area bottom (x tick labels and the x-axis label sit below it)
const BLACK: [number, number, number] = [0, 0, 0];
const GREY: [number, number, number] = [200, 200, 200];
const BLUE: [number, number, number] = [30, 80, 200];
const RED: [number, number, number] = [210, 40, 40];
const canvas = new Canvas(2 * W, Hh);
const all = [...dense.losses, ...sparse.losses];
const lo = Math.log10(Math.min(...all));
const hi = Math.log10(Math.max(...all));
const yOf = (v: number) => TOP + (BOTTOM - TOP) * (1 - (Math.log10(v) - lo) / (hi - lo || 1));
const xOf = (panel: number, i: number) => panel * W + LEFT + ((W - LEFT - RIGHT) * i) / (STEPS - 1);
const plot = (panel: number, losses: number[], rgb: [number, number, number], w: number) => {
  for (let i = 1; i < losses.length; i++) canvas.line(xOf(panel, i - 1), yOf(losses[i - 1]), xOf(panel, i), yOf(losses[i]), rgb, w);
};
// y ticks at 1, 2 and 5 times the powers of ten inside the plotted range (rounded to one significant digit).
const yTicks: number[] = [];
for (let dec = Math.floor(lo); dec <= Math.ceil(hi); dec++)
  for (const m of [1, 2, 5]) {
    const v = Number((m * 10 ** dec).toPrecision(1));
    if (Math.log10(v) >= lo && Math.log10(v) <= hi) yTicks.push(v);
  }
const xTicks = [0, Math.round((STEPS - 1) / 2), STEPS - 1];
const TEXT_H = 2 * LINE_H; // height of one line of text at scale 2 (7 rows + descenders)
const CAP_H = 2 * 7;
const panels = [
  { title: 'dense', rgb: BLUE, ownLabel: 'dense', otherLabel: '2:4, for comparison' },
  {
    title: '2:4 activations (24sparse)',
    rgb: RED,
    ownLabel: '2:4 (24sparse)',
    otherLabel: 'dense, for comparison',
  },
];
panels.forEach((p, panel) => {
  const x0 = panel * W + LEFT;
  const x1 = panel * W + W - RIGHT;
  for (const v of yTicks) canvas.line(x0 + 1, yOf(v), x1, yOf(v), [238, 238, 238]); // faint grid
  canvas.line(x0, TOP, x0, BOTTOM, BLACK);
  canvas.line(x0, BOTTOM, x1, BOTTOM, BLACK);
  drawText(canvas, p.title, x0 + (x1 - x0 - textWidth(p.title)) / 2, 14);
  // y axis: tick marks with their loss values, and the rotated axis label, centred on the plot area.
  for (const v of yTicks) {
    canvas.line(x0 - 5, yOf(v), x0, yOf(v), BLACK);
    const label = String(v);
    drawText(canvas, label, x0 - 9 - textWidth(label), Math.round(yOf(v) - CAP_H / 2));
  }
  const yLabel = 'train loss (log scale)';
  drawText(canvas, yLabel, panel * W + 10, Math.round((TOP + BOTTOM - textWidth(yLabel)) / 2), { direction: 'up' });
  // x axis: step numbers at the first, middle and last step, and the axis label.
  for (const i of xTicks) {
    const label = String(i);
    canvas.line(xOf(panel, i), BOTTOM, xOf(panel, i), BOTTOM + 5, BLACK);
    const lx = Math.min(x1 - textWidth(label) + 6, Math.max(x0 - 6, xOf(panel, i) - textWidth(label) / 2));
    drawText(canvas, label, Math.round(lx), BOTTOM + 10);
  }
  drawText(canvas, 'training step', x0 + (x1 - x0 - textWidth('training step')) / 2, BOTTOM + 10 + TEXT_H + 4);
  // Legend, top right of the plot area (the curves start at the top left and fall to the right), on a white box
  // with a light border so the grid lines do not run through its text.
  const lw = 24 + 8 + Math.max(textWidth(p.ownLabel), textWidth(p.otherLabel));
  const lx = x1 - 12 - lw;
  const boxTop = TOP + 4;
  const boxBottom = boxTop + 8 + 2 * TEXT_H + 4 + 4;
  for (let y = boxTop; y <= boxBottom; y++) canvas.line(lx - 8, y, x1 - 4, y, [255, 255, 255]);
  for (const [ax, ay, bx, by] of [
    [lx - 8, boxTop, x1 - 4, boxTop],
    [lx - 8, boxBottom, x1 - 4, boxBottom],
    [lx - 8, boxTop, lx - 8, boxBottom],
    [x1 - 4, boxTop, x1 - 4, boxBottom],
  ])
    canvas.line(ax, ay, bx, by, [210, 210, 210]);
  const entries: [string, [number, number, number]][] = [
    [p.ownLabel, p.rgb],
    [p.otherLabel, GREY],
  ];
  entries.forEach(([label, rgb], k) => {
    const ly = boxTop + 8 + k * (TEXT_H + 4);
    canvas.line(lx, ly + CAP_H / 2, lx + 24, ly + CAP_H / 2, rgb, 2);
    drawText(canvas, label, lx + 32, ly);
  });
});
plot(0, sparse.losses, GREY, 1);
plot(0, dense.losses, BLUE, 2);
plot(1, dense.losses, GREY, 1);
plot(1, sparse.losses, RED, 2);
// Footer: the final test losses, each in its run's colour, centred under both panels.
const footer: [string, [number, number, number]][] = [
  ['final test loss:  ', BLACK],
  [`dense ${dense.testLoss.toFixed(4)}`, BLUE],
  ['   ', BLACK],
  [`2:4 (24sparse) ${sparse.testLoss.toFixed(4)}`, RED],
  [`   (×${(sparse.testLoss / dense.testLoss).toFixed(3)} of dense)`, BLACK],
];
let fx = Math.round((2 * W - textWidth(footer.map(([t]) => t).join(''))) / 2);
for (const [text, rgb] of footer) fx = drawText(canvas, text, fx, Hh - TEXT_H - 8, { rgb });
const png = canvas.toPng();
mkdirSync('out', { recursive: true });
writeFileSync('out/loss-curves.png', png);
console.log(
  `\nwrote out/loss-curves.png (${png.length} bytes, ${2 * W}x${Hh}): left dense (blue), right 2:4 '24sparse' (red), log-scale loss, the other run in grey`,
);

// Checks: the PNG chunks carry valid CRCs, and 2:4 training converges close to dense.
const dv = new DataView(png.buffer, png.byteOffset);
for (let o = 8; o < png.length; ) {
  const len = dv.getUint32(o);
  if (crc32(png.subarray(o + 4, o + 8 + len)) !== dv.getUint32(o + 8 + len)) throw new Error('PNG chunk CRC mismatch');
  o += 12 + len;
}
const finalOf = (run: RunResult) => run.losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
if (!(finalOf(dense) < dense.losses[0] / 4)) throw new Error('dense training did not converge');
if (!(finalOf(sparse) < sparse.losses[0] / 4)) throw new Error('2:4 training did not converge');
if (!(sparse.testLoss < 3 * dense.testLoss + 1e-3)) throw new Error(`2:4 test loss ${sparse.testLoss} is far from dense ${dense.testLoss}`);
console.log(`2:4 '24sparse' final test loss / dense: ${(sparse.testLoss / dense.testLoss).toFixed(3)}`);

const live = tf.memory().numTensors;
console.log(`live tensors after cleanup: ${live}`);
if (live !== 0) throw new Error('the example leaked tensors');
