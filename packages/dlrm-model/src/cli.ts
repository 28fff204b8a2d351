// `tessera-dlrm`: train / eval / preprocess from the command line, with facebookresearch/dlrm `dlrm_s_pytorch.py`'s
// flag names where they exist (`--arch-mlp-bot 13-512-256-64-16` …). Its bool gotchas are gone: `--round-targets`
// and `--arch-interaction-itself` are plain switches. Node-only (imports the data subpath).
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, initBackend } from '@tessera/core';
import { dedup, type KeyedJaggedTensor } from '@tessera/jagged-tensors';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { exportSafetensors, importSafetensors } from './checkpoint.js';
import { CRITEO_FEATURE_NAMES, type CriteoRow, criteoBatch, FirstAppearanceIndexer, kaggleDaySplit, moduloIds } from './criteo.js';
import { preprocessCriteoToParquet, readCriteoTsvFile, readParquetBatches } from './data/index.js';
import type { LossKind } from './loss.js';
import { LrPolicyScheduler } from './lr-policy.js';
import { accuracy, logLoss, normalizedEntropy, rocAuc } from './metrics.js';
import { type DlrmBatch, DlrmModel } from './model.js';
import { adagrad, rowWiseSparseAdagrad, type SparseAwareOptimizer, sgd } from './optimizers.js';
import { syntheticCriteo } from './synthetic.js';
import { disposeBatch, trainStepAsync } from './train.js';

const dashList = (v: string): number[] => {
  const xs = v.split('-').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError(`expected '-'-joined positive integers, got '${v}'`);
  return xs;
};
const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${v}'`);
  return n;
};
const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
  return n;
};

interface Dataset {
  rows: CriteoRow[];
  ids: Int32Array[];
  tableSizes: number[];
}

async function loadTsv(path: string, maxIndRange: number, skipMalformed: boolean, modulo: number[] | null): Promise<Dataset> {
  const ix = new FirstAppearanceIndexer({ maxIndRange });
  const rows: CriteoRow[] = [];
  const ids: Int32Array[] = [];
  const stats = { lines: 0, rows: 0, skipped: 0, errors: [] as string[] };
  for await (const r of readCriteoTsvFile(path, { maxIndRange, skipMalformed }, stats)) {
    rows.push(r);
    ids.push(modulo ? moduloIds(r, modulo) : ix.observeAndIndex(r));
  }
  if (stats.skipped > 0) console.error(`skipped ${stats.skipped} malformed line(s); first: ${stats.errors[0]}`);
  return { rows, ids, tableSizes: modulo ?? ix.tableSizes() };
}

function syntheticDataset(rows: number, seed: number, session: number): Dataset {
  const log = syntheticCriteo({ rows, seed, meanSessionLength: session, cardinality: 1000, order: 'session' });
  const ix = new FirstAppearanceIndexer();
  const rs: CriteoRow[] = [];
  const ids: Int32Array[] = [];
  for (let i = 0; i < log.n; i++) {
    const r = log.row(i);
    rs.push(r);
    ids.push(ix.observeAndIndex(r));
  }
  return { rows: rs, ids, tableSizes: ix.tableSizes() };
}

function* batchesOf(d: Dataset, [a, b]: [number, number], B: number, ikjt: boolean): Generator<DlrmBatch> {
  for (let s = a; s < b; s += B) {
    const e = Math.min(b, s + B);
    const batch = criteoBatch(d.rows.slice(s, e), d.ids.slice(s, e), CRITEO_FEATURE_NAMES);
    if (ikjt) {
      const kjt = batch.sparse as KeyedJaggedTensor;
      batch.sparse = dedup(kjt);
      kjt.dispose();
    }
    yield batch;
  }
}

function makeBar(label: string, total: number, quiet: boolean) {
  if (quiet) return { update: (_n: number, _p: Record<string, string>) => {}, stop: () => {} };
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update: (n: number, p: Record<string, string>) => {
        if (n - last >= total / 10 || n === total) {
          last = n;
          console.error(`  ${label} ${n}/${total} samples/s ${p.rate} loss ${p.loss}`);
        }
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `  ${label} [{bar}] {value}/{total} samples | {rate} samples/s | loss {loss}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: '0', loss: '-' });
  return { update: (n: number, p: Record<string, string>) => bar.update(n, p), stop: () => bar.stop() };
}

async function evaluate(model: DlrmModel, batches: Iterable<DlrmBatch> | AsyncIterable<DlrmBatch>) {
  const ps: number[] = [];
  const ys: number[] = [];
  for await (const b of batches) {
    const p = model.forward(b);
    ps.push(...(await p.data()));
    ys.push(...(await (b.labels as tf.Tensor).data()));
    p.dispose();
    disposeBatch(b);
  }
  const P = Float32Array.from(ps);
  const Y = Float32Array.from(ys);
  const twoClasses = Y.some((v) => v === 1) && Y.some((v) => v === 0);
  return {
    samples: P.length,
    accuracy: P.length ? accuracy(P, Y) : Number.NaN,
    logLoss: P.length ? logLoss(P, Y) : Number.NaN,
    auc: twoClasses ? rocAuc(P, Y) : Number.NaN,
    ne: P.length ? normalizedEntropy(P, Y) : Number.NaN,
  };
}

const fmt = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(5)}`)
    .join('  ');

/**
 * Runs the `tessera-dlrm` CLI on an argument vector (without `node` and the script). Resolves when done.
 *
 * @example
 * ```ts
 * import { runCli } from '@tessera/dlrm-model/data';
 * // await runCli(['train', '--data-generation', 'synthetic', '--synthetic-rows', '2000', '--quiet']);
 * ```
 */
export async function runCli(argv: readonly string[], out: (s: string) => void = (s) => console.log(s)): Promise<void> {
  const program = new Command('tessera-dlrm')
    .description('DLRM (facebookresearch/dlrm parity) in TypeScript: train, evaluate and preprocess Criteo-format click logs')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => process.stderr.write(s) });

  const common = (c: Command) =>
    c
      .option('--backend <name>', 'tfjs backend: wasm, cpu, tensorflow or auto (default: auto)', 'auto')
      .option('--mini-batch-size <n>', 'samples per training/eval batch', int, 128)
      .option('--max-ind-range <n>', 'reduce categorical hashes mod n before re-indexing (-1: off)', int, -1)
      .option(
        '--categorical <mode>',
        "'first-appearance' (re-index per column, as data_utils.py) or 'modulo' (hash mod table size, needs --arch-embedding-size)",
        'first-appearance',
      )
      .option('--skip-malformed', 'skip malformed TSV lines (counted) instead of failing on the first one', false)
      .option('--ikjt', 'deduplicate each batch into an InverseKeyedJaggedTensor (RecD) before the model sees it', false)
      .option('--quiet', 'no progress bar', false);

  let done: Promise<void> = Promise.resolve();

  common(
    program
      .command('train')
      .description(
        'train a DLRM on a Criteo TSV, a Parquet file from `preprocess`, or synthetic data; prints test metrics; saves a safetensors checkpoint',
      )
      .option(
        '--data <path>',
        'training data: a Criteo TSV (label, I1..I13, C1..C26) or a .parquet from `preprocess`; split by the Kaggle day rule (train = days 0-5, test = first half of day 6)',
      )
      .addOption(
        new Option('--data-generation <kind>', "'dataset' (read --data) or 'synthetic' (a generated session log with a planted signal)")
          .choices(['dataset', 'synthetic'])
          .default('dataset'),
      )
      .option('--synthetic-rows <n>', 'rows of the synthetic log', int, 20000)
      .option('--synthetic-session-length <s>', 'mean samples per session of the synthetic log (duplication knob)', num, 4)
      .option('--arch-sparse-feature-size <d>', 'embedding dimension d (must equal the last bottom-MLP width)', int, 16)
      .option('--arch-embedding-size <list>', "rows per table, e.g. '1000-1000-…' (default: the data's first-appearance counts)", dashList)
      .option('--arch-mlp-bot <list>', "bottom MLP including the dense input width, e.g. '13-512-256-64-16'", dashList, [13, 64, 16])
      .option('--arch-mlp-top <list>', "top MLP after the interaction (its input width is derived), e.g. '512-256-1'", dashList, [64, 1])
      .addOption(new Option('--arch-interaction-op <op>', 'feature interaction').choices(['dot', 'cat']).default('dot'))
      .option('--arch-interaction-itself', 'include self-interactions (the diagonal) in dot', false)
      .addOption(
        new Option('--loss-function <f>', 'loss (the reference CLI defaults to mse; bce is the normal choice)')
          .choices(['bce', 'mse', 'wbce'])
          .default('bce'),
      )
      .option('--loss-weights <w0-w1>', "wbce class weights 'w_negative-w_positive'", '1.0-1.0')
      .option('--loss-threshold <t>', 'clamp probabilities to [t, 1-t] when 0 < t < 1', num, 0)
      .option('--round-targets', 'round labels to 0/1 (a plain switch, unlike the reference)', false)
      .option('--learning-rate <lr>', 'learning rate', num, 0.1)
      .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adagrad', 'rwsadagrad']).default('sgd'))
      .option('--nepochs <n>', 'passes over the training data', int, 1)
      .option('--numpy-rand-seed <seed>', "seed of numpy's legacy RNG used for the reference initialisation", int, 123)
      .option('--lr-num-warmup-steps <n>', 'LR policy: linear warm-up steps', int, 0)
      .option('--lr-decay-start-step <n>', 'LR policy: step where the quadratic decay starts', int, 0)
      .option('--lr-num-decay-steps <n>', 'LR policy: decay steps (0: no decay)', int, 0)
      .option('--load-model <path>', 'start from a safetensors checkpoint written by --save-model')
      .option('--save-model <path>', 'write a safetensors checkpoint (PyTorch state_dict names) and <path>.json with the arch strings'),
  ).action((o) => {
    done = train(o, out);
  });

  common(
    program
      .command('eval')
      .description(
        'evaluate a checkpoint on the test split (or all rows with --all) of a TSV/Parquet file; prints accuracy, log loss, AUC and NE',
      )
      .requiredOption('--load-model <path>', 'safetensors checkpoint written by `train --save-model`')
      .requiredOption('--data <path>', 'Criteo TSV or Parquet from `preprocess`')
      .option('--all', 'evaluate every row instead of the test split', false),
  ).action((o) => {
    done = evalCmd(o, out);
  });

  program
    .command('preprocess')
    .description(
      'Criteo TSV → Parquet on an embedded DuckDB: first-appearance ids, samples clustered by session (RecD); prints bytes before/after',
    )
    .requiredOption('--input <path>', 'Criteo TSV input')
    .requiredOption('--output <path>', 'Parquet output (a <output>.json sidecar gets the table sizes)')
    .addOption(new Option('--cluster-by <mode>', 'sample order').choices(['session', 'random', 'none']).default('session'))
    .option('--session-columns <list>', "comma-separated columns identifying a session (default 'C1')", 'C1')
    .option('--max-ind-range <n>', 'reduce categorical hashes mod n before re-indexing (-1: off)', int, -1)
    .option('--skip-malformed', 'skip malformed lines (counted) instead of failing', false)
    .option('--seed <n>', "seed of the 'random' order", int, 0)
    .action((o) => {
      done = (async () => {
        const r = await preprocessCriteoToParquet({
          input: o.input,
          output: o.output,
          clusterBy: o.clusterBy,
          sessionColumns: String(o.sessionColumns).split(','),
          maxIndRange: o.maxIndRange,
          skipMalformed: o.skipMalformed,
          seed: o.seed,
        });
        out(
          `rows ${r.rows}  skipped ${r.skipped}  bytes in ${r.bytesIn}  bytes out ${r.bytesOut}  ratio ${(r.bytesIn / r.bytesOut).toFixed(2)}x  (${r.clusterBy})`,
        );
      })();
    });

  await program.parseAsync(['node', 'tessera-dlrm', ...argv]);
  await done;
}

interface CommonOpts {
  backend: string;
  miniBatchSize: number;
  maxIndRange: number;
  categorical: string;
  skipMalformed: boolean;
  ikjt: boolean;
  quiet: boolean;
}

async function setup(o: CommonOpts) {
  await initBackend(o.backend === 'auto' ? undefined : (o.backend as BackendName), { log: o.quiet ? null : undefined });
}

async function loadData(o: CommonOpts & { data?: string; archEmbeddingSize?: number[] }): Promise<Dataset | string> {
  if (!o.data) throw new InvalidArgumentError('--data is required with --data-generation dataset');
  if (o.data.endsWith('.parquet')) return o.data;
  const modulo = o.categorical === 'modulo' ? (o.archEmbeddingSize ?? null) : null;
  if (o.categorical === 'modulo' && !modulo) throw new InvalidArgumentError('--categorical modulo needs --arch-embedding-size');
  return loadTsv(o.data, o.maxIndRange, o.skipMalformed, modulo);
}

async function* parquetSplit(path: string, B: number, ikjt: boolean, which: 'train' | 'test' | 'all') {
  const meta = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { rows: number };
  const s = kaggleDaySplit(meta.rows);
  const [a, b] = which === 'all' ? [0, meta.rows] : s[which];
  yield* readParquetBatches(path, { batchSize: B, format: ikjt ? 'ikjt' : 'kjt', offset: a, limit: b - a });
}

async function train(o: CommonOpts & Record<string, unknown>, out: (s: string) => void): Promise<void> {
  await setup(o);
  const B = o.miniBatchSize;
  let data: Dataset | string;
  if (o.dataGeneration === 'synthetic')
    data = syntheticDataset(o.syntheticRows as number, o.numpyRandSeed as number, o.syntheticSessionLength as number);
  else data = await loadData(o as CommonOpts & { data?: string; archEmbeddingSize?: number[] });
  const tableSizes =
    (o.archEmbeddingSize as number[] | undefined) ??
    (typeof data === 'string' ? (JSON.parse(readFileSync(`${data}.json`, 'utf8')).tableSizes as number[]) : data.tableSizes);
  const bot = o.archMlpBot as number[];
  const total = typeof data === 'string' ? JSON.parse(readFileSync(`${data}.json`, 'utf8')).rows : data.rows.length;
  const split = kaggleDaySplit(total);
  let model: DlrmModel;
  if (o.loadModel) model = importSafetensors(readFileSync(o.loadModel as string));
  else
    model = DlrmModel.create(
      {
        denseFeatures: bot[0],
        bottomMlp: bot.slice(1),
        embeddingDim: o.archSparseFeatureSize as number,
        tableSizes: tableSizes.map((n) => Math.max(1, n)),
        featureNames: CRITEO_FEATURE_NAMES,
        topMlp: o.archMlpTop as number[],
        interaction: o.archInteractionOp as 'dot' | 'cat',
        interactionItself: o.archInteractionItself as boolean,
        lossThreshold: o.lossThreshold as number,
      },
      { seed: o.numpyRandSeed as number },
    );
  try {
    const lr = o.learningRate as number;
    const opt: SparseAwareOptimizer =
      o.optimizer === 'adagrad' ? adagrad({ lr }) : o.optimizer === 'rwsadagrad' ? rowWiseSparseAdagrad({ lr }) : sgd(lr);
    const sched = new LrPolicyScheduler(lr, o.lrNumWarmupSteps as number, o.lrDecayStartStep as number, o.lrNumDecaySteps as number);
    const lw = String(o.lossWeights).split('-').map(Number) as [number, number];
    const trainRows = split.train[1] - split.train[0];
    for (let epoch = 0; epoch < (o.nepochs as number); epoch++) {
      const bar = makeBar(`epoch ${epoch + 1}/${o.nepochs}`, trainRows, o.quiet);
      const batches = typeof data === 'string' ? parquetSplit(data, B, o.ikjt, 'train') : batchesOf(data, split.train, B, o.ikjt);
      let seen = 0;
      let running = 0;
      let steps = 0;
      const t0 = performance.now();
      for await (const b of batches) {
        if (o.roundTargets && b.labels) {
          const r = tf.round(b.labels) as tf.Tensor2D;
          b.labels.dispose();
          b.labels = r;
        }
        try {
          const stepLr = sched.lrAt(sched.stepCount + 1);
          const { loss } = await trainStepAsync(model, opt, b, o.lossFunction as LossKind, { lr: stepLr, classWeights: lw });
          sched.step();
          running = steps === 0 ? loss : 0.98 * running + 0.02 * loss;
          steps++;
          seen += b.dense.shape[0];
        } finally {
          disposeBatch(b);
        }
        bar.update(seen, { rate: ((seen / (performance.now() - t0)) * 1000).toFixed(0), loss: running.toFixed(4) });
      }
      bar.stop();
      out(
        `epoch ${epoch + 1}: ${steps} steps, ${seen} samples, ${((seen / (performance.now() - t0)) * 1000).toFixed(0)} samples/s, running loss ${running.toFixed(5)}`,
      );
    }
    const test = typeof data === 'string' ? parquetSplit(data, B, o.ikjt, 'test') : batchesOf(data, split.test, B, o.ikjt);
    out(`test: ${fmt(await evaluate(model, test))}`);
    if (o.saveModel) {
      const { weights, sidecar } = exportSafetensors(model, await model.stateDictAsync());
      writeFileSync(o.saveModel as string, weights);
      writeFileSync(`${o.saveModel}.json`, JSON.stringify(sidecar, null, 1));
      out(`saved ${o.saveModel} (${weights.length} bytes) and ${o.saveModel}.json`);
    }
  } finally {
    model.dispose();
  }
}

async function evalCmd(o: CommonOpts & { loadModel: string; data: string; all: boolean }, out: (s: string) => void): Promise<void> {
  await setup(o);
  const model = importSafetensors(readFileSync(o.loadModel));
  try {
    const data = await loadData(o);
    let batches: Iterable<DlrmBatch> | AsyncIterable<DlrmBatch>;
    if (typeof data === 'string') batches = parquetSplit(data, o.miniBatchSize, o.ikjt, o.all ? 'all' : 'test');
    else {
      const s = kaggleDaySplit(data.rows.length);
      batches = batchesOf(data, o.all ? [0, data.rows.length] : s.test, o.miniBatchSize, o.ikjt);
    }
    out(`eval: ${fmt(await evaluate(model, batches))}`);
  } finally {
    model.dispose();
  }
}
