// RecD-style deduplication of session batches: build batches where each user session contributes several consecutive
// samples (duplication 1×, 2×, 4×, 8×), convert them to InverseKeyedJaggedTensors, and compare bytes and the pooled
// embedding lookup (forward) over the KJT and over the IKJT. Checks that both lookups give bit-identical outputs and
// that expand(dedup(x)) == x.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tessera/core';
import {
  dedup,
  defaultSessionFeatures,
  EmbeddingBagCollection,
  generateSessionBatch,
  type KeyedJaggedTensor,
} from '@tessera/jagged-tensors';
import { progress } from '../lib/progress.js';

const info = await initBackend('cpu');
const B = 2048;
const NF = 26;
const D = 32;
const ROWS = 20_000;
console.log(`backend ${info.name}; B ${B}, ${NF} features (13 session-scoped histories, 13 per-sample), D ${D}, ${ROWS} rows/table\n`);

const features = defaultSessionFeatures(NF, { rows: ROWS });
const ebc = new EmbeddingBagCollection({
  tables: features.map((f) => ({ name: `t_${f.name}`, numEmbeddings: ROWS, embeddingDim: D, featureNames: [f.name] })),
  seed: 7,
});
// Median times of several functions, called alternately so that a load change on a shared machine hits all alike.
const times = (fs: (() => void)[], reps = 7) => {
  for (const f of fs) f();
  const ts: number[][] = fs.map(() => []);
  for (let i = 0; i < reps; i++) {
    fs.forEach((f, j) => {
      const t0 = performance.now();
      f();
      ts[j].push(performance.now() - t0);
    });
  }
  return ts.map((t) => t.sort((a, b) => a - b)[reps >> 1]);
};
const bytesOf = (x: KeyedJaggedTensor) =>
  x.values.size * 4 + x.lengths.byteLength + (x.weights ? x.weights.size * 4 : 0) + (x.inverse ? x.inverse.idx.length * x.stride * 4 : 0);

const rows: string[][] = [];
const LEVELS = [1, 2, 4, 8];
const bar = progress('duplication levels', LEVELS.length, ['last']);
for (const s of LEVELS) {
  const { kjt } = generateSessionBatch({ batchSize: B, meanSessionLength: s, features, seed: 40 + s });
  const ikjt = dedup(kjt);

  const back = ikjt.expand();
  if (!back.bitwiseEqual(kjt)) throw new Error(`expand(dedup(x)) != x at duplication ${s}×`);
  back.dispose();
  const a = ebc.forward(kjt);
  const b = ebc.forward(ikjt);
  const same = tf.tidy(() => tf.all(tf.equal(a.values, b.values)).dataSync()[0] === 1);
  if (!same) throw new Error(`pooled outputs differ between KJT and IKJT at duplication ${s}×`);
  a.dispose();
  b.dispose();

  const [tK, tI, tDedup] = times([() => ebc.forward(kjt).dispose(), () => ebc.forward(ikjt).dispose(), () => dedup(kjt).dispose()]);
  rows.push([
    `${s}×`,
    (bytesOf(kjt) / 1e6).toFixed(2),
    (bytesOf(ikjt) / 1e6).toFixed(2),
    ikjt.dedupRatio.toFixed(2),
    (kjt.values.size / ikjt.values.size).toFixed(2),
    tK.toFixed(1),
    tI.toFixed(1),
    (tK / tI).toFixed(2),
    tDedup.toFixed(1),
  ]);
  kjt.dispose();
  ikjt.dispose();
  bar.tick(1, { last: `${s}×` });
}
bar.stop();
const head = ['dup', 'KJT MB', 'IKJT MB', 'bag ratio', 'id ratio', 'KJT fwd ms', 'IKJT fwd ms', 'speedup', 'dedup ms'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padStart(w[i])).join('  ');
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log('\nbag ratio = K·B / Σ stored bags; id ratio = ids in the KJT / ids stored in the IKJT (the pooling work saved).');
console.log('Pooled outputs over KJT and IKJT are bit-identical, and expand(dedup(x)) == x, at every duplication level.');
ebc.dispose();
if (tf.memory().numTensors !== 0) throw new Error(`leaked ${tf.memory().numTensors} tensors`);
