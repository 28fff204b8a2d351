// DLRM on a deduplicated session log (RecD, arXiv 2211.05239): generate a synthetic Criteo-format click log with
// sessions and a planted signal, preprocess it on an embedded DuckDB into Parquet clustered by session (bytes vs a
// random order), then train the same DLRM twice on the same batches, once as KeyedJaggedTensors and once as
// deduplicated InverseKeyedJaggedTensors. Prints AUC / log loss / NE for both (same quality) and training samples/s,
// and writes the training curves to out/training-curves.{svg,png}.
// DLRM_EXAMPLE_ROWS=<n> changes the log size (default 200 000).
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tessera/core';
import {
  adagrad,
  CRITEO_FEATURE_NAMES,
  DlrmModel,
  disposeBatch,
  kaggleDaySplit,
  logLoss,
  normalizedEntropy,
  rocAuc,
  syntheticCriteo,
  trainStep,
} from '@tessera/dlrm-model';
import { preprocessCriteoToParquet, readParquetBatches } from '@tessera/dlrm-model/data';
import { dedup } from '@tessera/jagged-tensors';
import { writePlot } from '../lib/plot.js';
import { progress } from '../lib/progress.js';

const info = await initBackend();
const ROWS = Number(process.env.DLRM_EXAMPLE_ROWS ?? 200_000);
const B = 512;
mkdirSync('out', { recursive: true });

// 1. A synthetic log: sessions of ~4 impressions share the user-side features C1..C13; labels follow a planted logit.
let t = performance.now();
const log = syntheticCriteo({ rows: ROWS, meanSessionLength: 4, seed: 7, cardinality: 2000, signal: 1.5 });
writeFileSync('out/log.tsv', `${[...log.lines()].join('\n')}\n`);
console.log(`backend ${info.name}; generated ${ROWS} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);

// 2. DuckDB: TSV → Parquet, clustered by session (C1 is the session's user id) and, for comparison, in random order.
t = performance.now();
const clustered = await preprocessCriteoToParquet({ input: 'out/log.tsv', output: 'out/train.parquet', clusterBy: 'session' });
const shuffled = await preprocessCriteoToParquet({ input: 'out/log.tsv', output: 'out/random.parquet', clusterBy: 'random', seed: 1 });
console.log(
  `DuckDB preprocess (${((performance.now() - t) / 1000).toFixed(1)} s): TSV ${(clustered.bytesIn / 1e6).toFixed(1)} MB → Parquet clustered by session ${(clustered.bytesOut / 1e6).toFixed(2)} MB, random order ${(shuffled.bytesOut / 1e6).toFixed(2)} MB (${(shuffled.bytesOut / clustered.bytesOut).toFixed(2)}x larger)`,
);

// 3. Train twice on the same batches: KJT, then IKJT (the 13 session features share one inverse row).
const split = kaggleDaySplit(clustered.rows);
const trainRows = Math.min(split.train[1], Number(process.env.DLRM_EXAMPLE_TRAIN ?? 60_000));
const sessionGroup = [CRITEO_FEATURE_NAMES.slice(0, 13)];
const cfg = {
  denseFeatures: 13,
  embeddingDim: 16,
  tableSizes: clustered.tableSizes,
  featureNames: CRITEO_FEATURE_NAMES,
  bottomMlp: [64, 16],
  topMlp: [64, 1],
  interaction: 'dot' as const,
};
interface Run {
  format: 'kjt' | 'ikjt';
  model: DlrmModel;
  opt: ReturnType<typeof adagrad>;
  stepMs: number;
  running: number;
  curve: { samples: number; loss: number; format: string }[];
  auc: number;
  logLoss: number;
  ne: number;
}
// Both models step in lockstep on the same batch (KJT, then its IKJT), so load changes on a shared machine hit both
// alike. Deduplication is part of the data pipeline (RecD), so only the training steps are timed.
const runs: Run[] = (['kjt', 'ikjt'] as const).map((format) => ({
  format,
  model: DlrmModel.create(cfg, { seed: 123 }),
  opt: adagrad({ lr: 0.05 }),
  stepMs: 0,
  running: 0,
  curve: [],
  auc: 0,
  logLoss: 0,
  ne: 0,
}));
const bar = progress('train KJT + IKJT', Math.ceil(trainRows / B), ['loss', 'KJT/s', 'IKJT/s']);
let seen = 0;
let steps = 0;
let ratio = 0;
for await (const b of readParquetBatches('out/train.parquet', { batchSize: B, limit: trainRows })) {
  const ikjt = dedup(b.sparse, { groups: sessionGroup });
  ratio += ikjt.stats[0].ratio;
  seen += b.dense.shape[0];
  steps++;
  for (const r of runs) {
    const t0 = performance.now();
    const { loss } = trainStep(r.model, r.opt, r.format === 'kjt' ? b : { ...b, sparse: ikjt }, 'bce');
    r.stepMs += performance.now() - t0;
    r.running = steps === 1 ? loss : 0.95 * r.running + 0.05 * loss;
    if (steps % 5 === 0) r.curve.push({ samples: seen, loss: r.running, format: r.format.toUpperCase() });
  }
  ikjt.dispose();
  disposeBatch(b);
  const rate = (r: Run) => ((seen / r.stepMs) * 1000).toFixed(0);
  bar.tick(1, { loss: runs[0].running.toFixed(4), 'KJT/s': rate(runs[0]), 'IKJT/s': rate(runs[1]) });
}
bar.stop();
// Evaluate on the test split (first half of "day 6"); the planted probability of each row (by its TSV line) is the
// oracle score.
const ps: number[][] = runs.map(() => []);
const ys: number[] = [];
const oracle: number[] = [];
for await (const b of readParquetBatches('out/train.parquet', {
  batchSize: 4096,
  offset: split.test[0],
  limit: split.test[1] - split.test[0],
})) {
  runs.forEach((r, j) => {
    const p = r.model.forward(b);
    ps[j].push(...p.dataSync());
    p.dispose();
  });
  ys.push(...(b.labels as tf.Tensor).dataSync());
  for (const rid of b.rid) oracle.push(log.probability[rid]);
  disposeBatch(b);
}
const Y = Float32Array.from(ys);
runs.forEach((r, j) => {
  const P = Float32Array.from(ps[j]);
  r.auc = rocAuc(P, Y);
  r.logLoss = logLoss(P, Y);
  r.ne = normalizedEntropy(P, Y);
  r.model.dispose();
});
const samplesPerSec = (r: Run) => (seen / r.stepMs) * 1000;

console.log(`\ntrained on ${trainRows} samples (batch ${B}, Adagrad lr 0.05), evaluated on ${split.test[1] - split.test[0]} test samples`);
console.log('format  AUC     log loss  NE      train samples/s');
for (const r of runs)
  console.log(
    `${r.format.toUpperCase().padEnd(6)}  ${r.auc.toFixed(4)}  ${r.logLoss.toFixed(4)}    ${r.ne.toFixed(4)}  ${samplesPerSec(r).toFixed(0).padStart(15)}`,
  );
console.log(`session-group dedup: B/U = ${(ratio / steps).toFixed(2)} on average`);
console.log(
  `IKJT / KJT training samples/s: ${(samplesPerSec(runs[1]) / samplesPerSec(runs[0])).toFixed(2)}x (timed steps only; shared machines are noisy)`,
);
console.log(`planted-signal oracle AUC on the same test rows: ${rocAuc(Float32Array.from(oracle), Y).toFixed(4)}`);

const files = await writePlot(
  {
    title: {
      text: 'DLRM training loss on a session log: KJT vs IKJT (RecD)',
      subtitle: 'same batches; the IKJT curve lies on the KJT curve',
    },
    width: 560,
    height: 300,
    data: { values: runs.flatMap((r) => r.curve) },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'samples', type: 'quantitative', title: 'training samples' },
      y: { field: 'loss', type: 'quantitative', title: 'running BCE loss', scale: { zero: false } },
      color: { field: 'format', type: 'nominal', title: 'batch format' },
      strokeDash: { field: 'format', type: 'nominal' },
      // the two curves coincide (same batches, same gradients up to float rounding): draw KJT wider underneath
      strokeWidth: {
        field: 'format',
        type: 'ordinal',
        sort: ['KJT', 'IKJT'],
        scale: { domain: ['KJT', 'IKJT'], range: [6, 2] },
        legend: null,
      },
    },
  },
  'out/training-curves',
);
console.log(`wrote ${files.png} and ${files.svg}`);
if (tf.memory().numTensors > 0) console.log(`note: ${tf.memory().numTensors} tensors alive at exit`);
