// Trains small causal transformers with the same token budget, once with dot-product attention in every layer and
// once with the paper's interleaving (Roy et al., arXiv 2507.02754 §8, here every 2nd layer is 2-simplicial), on two
// tasks generated in code (no downloaded text):
// - Match3 (Sanford et al., "Representational Strengths and Limitations of Transformers", NeurIPS 2023), causal:
//   tokens x_0 … x_{n−1} in Z_M; the label of position i is 1 when two earlier positions j < k < i satisfy
//   x_i + x_j + x_k ≡ 0 (mod M), with labels balanced per position. A 2-simplicial head can test a triple in one logit; dot-product attention
//   only sees pairs.
// - A small arithmetic language: sentences "a op b = c ;" with a, b, c in Z_7 and op in {+, ×}; the model predicts c
//   at each "=".
// Prints loss/accuracy, tokens/s and achieved FLOP/s; writes the curves to out/loss.{svg,png} and
// out/accuracy.{svg,png}. `--steps N` changes the budget (default 100 steps of 32 sequences per model).
import { mkdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, rng } from '@tessera/core';
import { SimplicialTransformerBlock } from '@tessera/simplicial-attention';
import { writePlot } from '../lib/plot.js';
import { progress } from '../lib/progress.js';

const info = await initBackend(undefined, { log: null });
console.log(`backend: ${info.name}`);
const stepsArg = process.argv.indexOf('--steps');
const STEPS = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 100;
const BATCH = 32;
const LR = 1e-2;
const EVAL_EVERY = Math.max(1, Math.floor(STEPS / 8));

interface Task {
  name: string;
  vocab: number;
  classes: number;
  n: number;
  /** Simplicial windows for this task. */
  w1: number;
  w2: number;
  /** One sequence: tokens, per-position labels and a 0/1 loss mask. */
  sample(r: ReturnType<typeof rng>): { x: number[]; y: number[]; m: number[] };
}

const M = 16;
const N3 = 10;
/**
 * Match3 sequences with balanced labels at every position: position by position, draw the label (1 with probability
 * 1/2), then draw x_i uniformly among the values that give that label with the prefix (if none does, any value). So
 * knowing the position alone gives about 50 % accuracy, and beating it means detecting triples. The pair (j, k) is two
 * distinct earlier positions, so no pairwise relation (x_i with one x_j) decides a label.
 */
const match3: Task = {
  name: `Match3 (M=${M}, n=${N3}, balanced)`,
  vocab: M,
  classes: 2,
  n: N3,
  w1: N3,
  w2: N3,
  sample(r) {
    const x: number[] = [];
    const y: number[] = [];
    const sums = new Set<number>(); // (x_j + x_k) mod M over j < k < i
    for (let i = 0; i < N3; i++) {
      const label = (v: number) => (sums.has((M - v) % M) ? 1 : 0);
      const want = r.int(2);
      const candidates = Array.from({ length: M }, (_, v) => v).filter((v) => label(v) === want);
      const v = candidates.length > 0 ? candidates[r.int(candidates.length)] : r.int(M);
      y.push(label(v));
      for (const xj of x) sums.add((xj + v) % M);
      x.push(v);
    }
    return { x, y, m: x.map(() => 1) };
  },
};

const P = 7;
const [PLUS, TIMES, EQ, SEMI] = [P, P + 1, P + 2, P + 3];
const arithmetic: Task = {
  name: `arithmetic mod ${P} (a op b = c ;)`,
  vocab: P + 4,
  classes: P + 4,
  n: 24,
  w1: 4,
  w2: 4,
  sample(r) {
    const x: number[] = [];
    const y: number[] = [];
    const m: number[] = [];
    while (x.length < 24) {
      const a = r.int(P);
      const b = r.int(P);
      const times = r.int(2) === 1;
      const c = times ? (a * b) % P : (a + b) % P;
      for (const t of [a, times ? TIMES : PLUS, b, EQ, c, SEMI]) {
        x.push(t);
        y.push(0);
        m.push(0);
      }
      y[x.length - 3] = c; // predicted at "="
      m[x.length - 3] = 1;
    }
    return { x, y, m };
  },
};

function batchOf(task: Task, r: ReturnType<typeof rng>, size: number) {
  const xs: number[] = [];
  const ys: number[] = [];
  const ms: number[] = [];
  for (let b = 0; b < size; b++) {
    const s = task.sample(r);
    xs.push(...s.x);
    ys.push(...s.y);
    ms.push(...s.m);
  }
  return { x: Int32Array.from(xs), y: Int32Array.from(ys), m: Float32Array.from(ms), size };
}

/** Embedding + learned positions → blocks → linear head. */
class TinyLM {
  readonly blocks: SimplicialTransformerBlock[];
  readonly emb: tf.Variable;
  readonly pos: tf.Variable;
  readonly head: tf.Variable;
  constructor(
    readonly task: Task,
    readonly kind: 'dot' | 'simplicial',
    readonly D = 32,
  ) {
    const r = rng(kind === 'dot' ? 11 : 12);
    this.blocks = SimplicialTransformerBlock.stack(2, {
      dModel: D,
      heads: 2,
      ffnHidden: 2 * D,
      w1: task.w1,
      w2: task.w2,
      seed: 5,
      simplicialEvery: kind === 'simplicial' ? 2 : 1_000,
    });
    this.emb = tf.tidy(() => tf.variable(tf.tensor2d(r.normalArray(task.vocab * D, 0, 0.5), [task.vocab, D])));
    this.pos = tf.tidy(() => tf.variable(tf.tensor2d(r.normalArray(task.n * D, 0, 0.5), [task.n, D])));
    this.head = tf.tidy(() => tf.variable(tf.tensor2d(r.normalArray(D * task.classes, 0, 1 / Math.sqrt(D)), [D, task.classes])));
  }
  get variables(): tf.Variable[] {
    return [this.emb, this.pos, this.head, ...this.blocks.flatMap((b) => b.trainableVariables)];
  }
  get parameters(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }
  logits(x: Int32Array, size: number): tf.Tensor2D {
    const n = this.task.n;
    // one-hot · table rather than tf.gather: the gather gradient (UnsortedSegmentSum) has no wasm kernel in tfjs 4.22
    const oneHot = tf.cast(tf.oneHot(tf.tensor1d(x, 'int32'), this.task.vocab), 'float32');
    let h = tf.add(tf.reshape(tf.matMul(oneHot, this.emb), [size, n, this.D]), this.pos) as tf.Tensor3D;
    for (const b of this.blocks) h = b.apply(h);
    return tf.matMul(tf.reshape(h, [size * n, this.D]), this.head);
  }
  /** Mean cross-entropy over the masked positions. */
  loss(bt: ReturnType<typeof batchOf>): tf.Scalar {
    const lp = tf.logSoftmax(this.logits(bt.x, bt.size));
    const nll = tf.neg(tf.sum(tf.mul(lp, tf.oneHot(tf.tensor1d(bt.y, 'int32'), this.task.classes)), 1));
    const m = tf.tensor1d(bt.m);
    return tf.div(tf.sum(tf.mul(nll, m)), tf.sum(m)) as tf.Scalar;
  }
  accuracy(bt: ReturnType<typeof batchOf>): number {
    return tf.tidy(() => {
      const pred = tf.argMax(this.logits(bt.x, bt.size), 1).dataSync();
      let ok = 0;
      let total = 0;
      for (let i = 0; i < pred.length; i++) {
        if (bt.m[i] === 0) continue;
        total++;
        if (pred[i] === bt.y[i]) ok++;
      }
      return ok / total;
    });
  }
  /** FLOPs of one training step (forward + backward) on `size` sequences. */
  stepFlops(size: number): number {
    const t = size * this.task.n;
    const headFlops = 2 * t * this.D * (this.task.classes + this.task.vocab);
    return this.blocks.reduce((s, b) => {
      const f = b.flops(size, this.task.n);
      return s + f.forward + f.backward;
    }, 3 * headFlops);
  }
  dispose(): void {
    for (const b of this.blocks) b.dispose();
    tf.dispose([this.emb, this.pos, this.head]);
  }
}

/** Accuracy of predicting each position's majority training label (what position alone tells). */
function positionalBaseline(task: Task, train: ReturnType<typeof batchOf>[], test: ReturnType<typeof batchOf>): number {
  const counts = Array.from({ length: task.n }, () => new Map<number, number>());
  for (const bt of train)
    for (let i = 0; i < bt.y.length; i++) {
      if (bt.m[i] === 0) continue;
      const c = counts[i % task.n];
      c.set(bt.y[i], (c.get(bt.y[i]) ?? 0) + 1);
    }
  const best = counts.map((c) => [...c.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0);
  let ok = 0;
  let total = 0;
  for (let i = 0; i < test.y.length; i++) {
    if (test.m[i] === 0) continue;
    total++;
    if (test.y[i] === best[i % task.n]) ok++;
  }
  return ok / total;
}

interface Curve {
  task: string;
  model: string;
  tokens: number;
  value: number;
}
const lossCurve: Curve[] = [];
const accCurve: Curve[] = [];
const summary: Record<string, string | number>[] = [];

for (const task of [match3, arithmetic]) {
  const dataRng = rng(2026);
  const train = Array.from({ length: STEPS }, () => batchOf(task, dataRng, BATCH));
  const test = batchOf(task, rng(99), 256);
  if (task === match3) {
    // the balanced sampler's labels, checked by brute force over every (j, k) on the test set
    for (let s = 0; s < test.size; s++)
      for (let i = 0; i < N3; i++) {
        const x = test.x.subarray(s * N3, (s + 1) * N3);
        let want = 0;
        for (let j = 0; j < i; j++) for (let k = j + 1; k < i; k++) if ((x[i] + x[j] + x[k]) % M === 0) want = 1;
        if (test.y[s * N3 + i] !== want) throw new Error(`Match3 label mismatch at sequence ${s}, position ${i}`);
      }
  }
  const base = positionalBaseline(task, train, test);
  console.log(
    `\n${task.name}: ${STEPS} steps × ${BATCH} sequences × ${task.n} tokens; position-only baseline accuracy ${(100 * base).toFixed(1)} %`,
  );
  for (const kind of ['dot', 'simplicial'] as const) {
    const model = new TinyLM(task, kind);
    const label = kind === 'dot' ? 'dot-product ×2' : 'dot + 2-simplicial';
    const opt = tf.train.adam(LR);
    const bar = progress(`${label.padEnd(18)}`, STEPS, ['loss']);
    let trainMs = 0;
    let lastLoss = Number.NaN;
    for (let s = 0; s < STEPS; s++) {
      const t0 = performance.now();
      const l = opt.minimize(() => model.loss(train[s]), true, model.variables) as tf.Scalar;
      lastLoss = l.dataSync()[0];
      l.dispose();
      trainMs += performance.now() - t0;
      const tokens = (s + 1) * BATCH * task.n;
      lossCurve.push({ task: task.name, model: label, tokens, value: lastLoss });
      if ((s + 1) % EVAL_EVERY === 0 || s === STEPS - 1)
        accCurve.push({ task: task.name, model: label, tokens, value: model.accuracy(test) });
      bar.tick(1, { loss: lastLoss.toFixed(3) });
    }
    bar.stop();
    const acc = model.accuracy(test);
    const tokens = STEPS * BATCH * task.n;
    const flops = model.stepFlops(BATCH) * STEPS;
    summary.push({
      task: task.name,
      model: label,
      params: model.parameters,
      'final loss': lastLoss.toFixed(3),
      'test acc %': (100 * acc).toFixed(1),
      'tokens/s': Math.round(tokens / (trainMs / 1000)),
      'GFLOP/s': ((flops / trainMs) * 1e-6).toFixed(3),
    });
    opt.dispose();
    model.dispose();
  }
}

console.log('');
console.table(summary);
console.log('Same token budget per pair of models; FLOP/s counts the projections, FFNs, head and attention (multiply-add = 2).');

mkdirSync('out', { recursive: true });
const spec = (values: Curve[], y: string, title: string) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  data: { values },
  facet: { column: { field: 'task', type: 'nominal' as const, title: null } },
  spec: {
    width: 300,
    height: 200,
    mark: { type: 'line' as const, point: values.length < 100 },
    encoding: {
      x: { field: 'tokens', type: 'quantitative' as const, title: 'training tokens' },
      y: { field: 'value', type: 'quantitative' as const, title: y },
      color: { field: 'model', type: 'nominal' as const, title: 'attention' },
    },
  },
  resolve: { scale: { x: 'independent' as const, y: 'independent' as const } },
});
const lossFiles = await writePlot(
  spec(lossCurve, 'training loss (cross-entropy)', 'Dot-product vs 2-simplicial attention: training loss') as never,
  'out/loss',
);
const accFiles = await writePlot(
  spec(accCurve, 'held-out accuracy', 'Dot-product vs 2-simplicial attention: held-out accuracy') as never,
  'out/accuracy',
);
console.log(`wrote ${lossFiles.png}, ${accFiles.png}`);
