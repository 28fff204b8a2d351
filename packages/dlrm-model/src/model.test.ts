import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, TesseraError } from '@tessera/core';
import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  adagrad,
  archStrings,
  DlrmModel,
  disposeGrads,
  dlrmGrads,
  dlrmLoss,
  exportSafetensors,
  importSafetensors,
  interactionPairs,
  LrPolicyScheduler,
  numpyLegacyRng,
  rowWiseSparseAdagrad,
  sgd,
  topMlpInputSize,
  trainStep,
  trainStepAsync,
} from './index.js';

const names = ['a', 'b', 'c'];
const cliDefault = {
  denseFeatures: 4,
  embeddingDim: 2,
  tableSizes: [4, 3, 2],
  featureNames: names,
  bottomMlp: [3, 2],
  topMlp: [4, 2, 1],
  interaction: 'dot' as const,
};

function batch(values = [0, 3, 1, 2, 0, 1, 1], lengths = [2, 1, 1, 1, 1, 1]) {
  return {
    sparse: KeyedJaggedTensor.fromLengths({ keys: names, values: tf.tensor1d(values, 'int32'), lengths }),
    dense: tf.tensor2d([
      [0.1, 0.2, 0.3, 0.4],
      [1, 0, 1, 0],
    ]),
    labels: tf.tensor2d([[1], [0]]),
  };
}
function free(b: ReturnType<typeof batch>) {
  tf.dispose([b.dense, b.labels]);
  b.sparse.dispose();
}
function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    return (e as TesseraError).code;
  }
  throw new Error('did not throw');
}

describe('sizes and pairs', () => {
  it('num_int of the Kaggle, Terabyte and MLPerf benches (F = 26)', () => {
    const n = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);
    const cfg = (d: number, bot: number[]) => ({
      ...cliDefault,
      embeddingDim: d,
      tableSizes: n.map(() => 10),
      featureNames: n,
      bottomMlp: bot,
      topMlp: [1],
    });
    expect(topMlpInputSize(cfg(16, [512, 256, 64, 16]))).toBe(367);
    expect(topMlpInputSize(cfg(64, [512, 256, 64]))).toBe(415);
    expect(topMlpInputSize(cfg(128, [512, 256, 128]))).toBe(479);
    expect(topMlpInputSize({ ...cfg(16, [16]), interactionItself: true })).toBe((27 * 28) / 2 + 16);
    expect(topMlpInputSize({ ...cfg(16, [16]), interaction: 'cat' })).toBe(27 * 16);
  });
  it('pairs in the reference order; torchrec triu order is a permutation of it', () => {
    expect(Array.from(interactionPairs(4, false))).toEqual([1, 0, 2, 0, 2, 1, 3, 0, 3, 1, 3, 2]);
    expect(Array.from(interactionPairs(3, true))).toEqual([0, 0, 1, 0, 1, 1, 2, 0, 2, 1, 2, 2]);
    const ours = new Set<string>();
    const p = interactionPairs(6, false);
    for (let i = 0; i < p.length; i += 2) ours.add(`${p[i + 1]},${p[i]}`);
    const triu: string[] = [];
    for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) triu.push(`${i},${j}`);
    expect(new Set(triu)).toEqual(ours);
  });
  it('arch strings (sidecar)', () => {
    const s = archStrings(cliDefault);
    expect(s['arch-embedding-size']).toBe('4-3-2');
    expect(s['arch-mlp-bot']).toBe('4-3-2');
    expect(s['arch-mlp-top']).toBe('4-2-1');
  });
});

describe('initialisation (numpy legacy RNG)', () => {
  it('numpy goldens: random_sample and the derived CLI-default weights', () => {
    expect(numpyLegacyRng(123).randomSample()).toBe(0.6964691855978616);
    const m = DlrmModel.create({ ...cliDefault, topMlp: [4, 2, 1] }, { seed: 123 });
    const sd = m.stateDict();
    m.dispose();
    // top MLP 8-4-2-1 (num_int = 5 + 3 = 8 with N = 4, d = 2)
    expect(sd.get('top_l.0.weight')?.shape).toEqual([4, 8]);
    const e0 = sd.get('emb_l.0.weight')?.data as Float32Array;
    expect(e0[0]).toBeCloseTo(0.19646919, 7);
    expect(e0[1]).toBeCloseTo(-0.21386066, 7);
    const w = sd.get('bot_l.0.weight')?.data as Float32Array;
    [1.1791192, 1.1688863, 0.5366894, 0.20642531].forEach((v, i) => {
      expect(w[i]).toBeCloseTo(v, 6);
    });
    expect((sd.get('top_l.4.bias') as { data: Float32Array }).data[0]).toBeCloseTo(-1.2125231, 6);
  });
  it('forward: bottom output ≥ 0 implied, p in (0,1), clamp only for 0 < t < 1', async () => {
    const b = batch();
    const m = DlrmModel.create({ ...cliDefault, lossThreshold: 0.45 });
    const p = m.forward(b);
    for (const v of await p.data()) expect(v >= Math.fround(0.45) && v <= Math.fround(0.55)).toBe(true);
    p.dispose();
    m.dispose();
    free(b);
  });
});

describe('bad input → TesseraError, no leaked tensors', () => {
  it('missing key, wrong dense width, labels outside [0,1], bad ids, state dict names and shapes', async () => {
    const m = DlrmModel.create(cliDefault);
    const b = batch();
    const sd = await m.stateDictAsync();
    const bad0 = tf.tensor2d([[1.5], [0]]);
    // the asynchronous step validates the labels the same way on every backend
    await expect(trainStepAsync(m, sgd(0.1), { ...b, labels: bad0 }, 'bce')).rejects.toThrow(/labels must lie in \[0, 1\]/);
    bad0.dispose();
    expectNoLeaks(() => {
      const kjt = KeyedJaggedTensor.fromLengths({ keys: ['a', 'b'], values: tf.tensor1d([0, 1], 'int32'), lengths: [1, 0, 1, 0] });
      expect(code(() => m.forward({ dense: b.dense, sparse: kjt }))).toBe('INVALID_KEY');
      kjt.dispose();
      const d3 = tf.zeros([2, 3]) as tf.Tensor2D;
      expect(code(() => m.forward({ dense: d3, sparse: b.sparse }))).toBe('INVALID_SHAPE');
      d3.dispose();
      const bad = tf.tensor2d([[1.5], [0]]);
      // dlrmGrads and trainStep need synchronous reads: where there are none (webgpu in Node) they refuse up front
      const sync = canReadSync() ? 'INVALID_ARGUMENT' : 'UNSUPPORTED';
      expect(code(() => dlrmGrads(m, { ...b, labels: bad }, 'bce'))).toBe(sync);
      expect(code(() => trainStep(m, sgd(0.1), { ...b, labels: bad }, 'bce'))).toBe(sync);
      const p = tf.tensor2d([[0.5], [0.5]]);
      expect(code(() => dlrmLoss(p, bad, 'bce'))).toBe('INVALID_ARGUMENT');
      tf.dispose([bad, p]);
      const oob = batch([0, 3, 1, 9, 0, 1, 1]);
      expect(code(() => m.forward(oob))).toBe('INDEX_OUT_OF_RANGE');
      free(oob);
      const w = sd.get('bot_l.0.weight') as { shape: number[]; data: Float32Array };
      expect(code(() => m.loadStateDict(new Map([...sd, ['bot_l.0.weight', { shape: [4, 3], data: w.data }]])))).toBe('INVALID_SHAPE');
      expect(code(() => m.loadStateDict(new Map([...sd, ['bot_l.9.weight', w]])))).toBe('INVALID_KEY');
      const missing = new Map(sd);
      missing.delete('top_l.0.bias');
      expect(code(() => m.loadStateDict(missing))).toBe('INVALID_KEY');
      m.loadStateDict(missing, { strict: false });
      expect(code(() => DlrmModel.create({ ...cliDefault, bottomMlp: [3, 5] }))).toBe('INVALID_ARGUMENT');
      expect(code(() => DlrmModel.create({ ...cliDefault, topMlp: [4, 2] }))).toBe('INVALID_ARGUMENT');
      expect(code(() => DlrmModel.create({ ...cliDefault, tableSizes: [2 ** 28, 1, 1] }))).toBe('INVALID_ARGUMENT');
    });
    free(b);
    m.dispose();
  });
});

// The host optimizers' own tests read host row gradients (dlrmGrads): where no synchronous read exists (webgpu in
// Node) they are skipped; src/device.prop.test.ts checks the tfjs-path optimizers against them on cpu and wasm.
const hostOnly = (ctx: { skip: (note?: string) => void }) => {
  if (!canReadSync()) ctx.skip('host kernels need synchronous reads');
};

describe('optimizers and LR policy', () => {
  it('SGD updates only the touched rows; Adagrad sums duplicates before squaring', (ctx) => {
    hostOnly(ctx);
    const b = batch([0, 0, 1, 2, 0, 1, 1], [2, 1, 1, 1, 1, 1]); // table a: sample 0 has id 0 twice, sample 1 id 1
    const m = DlrmModel.create(cliDefault);
    const before = m.embeddings[0].slice();
    const { grads } = dlrmGrads(m, b, 'bce');
    const ga = grads.embeddingRows.get(0) as { rows: Int32Array; grad: Float32Array };
    expect(Array.from(ga.rows)).toEqual([0, 1]);
    const opt = adagrad({ lr: 0.1 });
    opt.step(m, grads);
    disposeGrads(grads);
    const after = m.embeddings[0];
    for (let i = 4; i < 8; i++) expect(after[i]).toBe(before[i]); // rows 2, 3 untouched
    for (let d = 0; d < 2; d++) {
      const g = ga.grad[d];
      const expected = Math.fround(before[d] - 0.1 * (g / (Math.sqrt(Math.fround(g * g)) + 1e-10)));
      expect(after[d]).toBeCloseTo(expected, 6);
    }
    m.dispose();
    free(b);
  });
  it('row-wise sparse Adagrad keeps one accumulator per row (mean of g² over d)', (ctx) => {
    hostOnly(ctx);
    const b = batch();
    const m = DlrmModel.create(cliDefault);
    const before = m.embeddings[1].slice();
    const { grads } = dlrmGrads(m, b, 'bce');
    const g = grads.embeddingRows.get(1) as { rows: Int32Array; grad: Float32Array };
    rowWiseSparseAdagrad({ lr: 0.1 }).step(m, grads);
    disposeGrads(grads);
    g.rows.forEach((r, i) => {
      const g0 = g.grad[2 * i];
      const g1 = g.grad[2 * i + 1];
      const std = Math.sqrt((g0 * g0 + g1 * g1) / 2) + 1e-10;
      expect(m.embeddings[1][2 * r]).toBeCloseTo(before[2 * r] - (0.1 * g0) / std, 6);
    });
    m.dispose();
    free(b);
  });
  it('LRPolicyScheduler at s = 1, W−1, W, D, D+N−1, D+N (with the warm-up freeze)', () => {
    const base = 0.2;
    const s = new LrPolicyScheduler(base, 4, 8, 4);
    expect(s.lrAt(1)).toBeCloseTo(base * (1 - 3 / 4), 15);
    expect(s.lrAt(3)).toBeCloseTo(base * (1 - 1 / 4), 15);
    expect(s.lrAt(4)).toBeCloseTo(base * (3 / 4), 15); // frozen at base·(W−1)/W
    expect(s.lrAt(7)).toBeCloseTo(base * (3 / 4), 15);
    expect(s.lrAt(8)).toBeCloseTo(base, 15);
    expect(s.lrAt(11)).toBeCloseTo(base * (1 / 4) ** 2, 15);
    expect(s.lrAt(12)).toBeCloseTo(base * (1 / 4) ** 2, 15);
    expect(new LrPolicyScheduler(base).lrAt(5)).toBe(base);
    expect(new LrPolicyScheduler(1, 0, 0, 1e9).lrAt(1e9 - 1)).toBe(1e-7);
    expect(code(() => new LrPolicyScheduler(base, 5, 2, 1))).toBe('INVALID_ARGUMENT');
    const t = new LrPolicyScheduler(base, 2, 2, 0);
    expect([t.step(), t.step(), t.step()]).toEqual([base * 0.5, base, base]);
  });
  it('losses: BCE closed form with the −100 clamp, MSE, wbce', async () => {
    const p = tf.tensor2d([[0.9], [0.2], [0]]);
    const t = tf.tensor2d([[1], [0], [1]]);
    const bce = dlrmLoss(p, t, 'bce');
    expect((await bce.data())[0]).toBeCloseTo((-Math.log(0.9) - Math.log(0.8) + 100) / 3, 5);
    const mse = dlrmLoss(p, t, 'mse');
    expect((await mse.data())[0]).toBeCloseTo((0.01 + 0.04 + 1) / 3, 6);
    const w = dlrmLoss(p, t, 'wbce', [2, 0.5]);
    expect((await w.data())[0]).toBeCloseTo((-0.5 * Math.log(0.9) - 2 * Math.log(0.8) + 50) / 3, 5);
    tf.dispose([p, t, bce, mse, w]);
  });
});

describe('checkpoints', () => {
  it('exportSafetensors → importSafetensors is exact, with the arch sidecar in the metadata', async () => {
    const m = DlrmModel.create({ ...cliDefault, weightedPooling: 'learned' }, { seed: 5 });
    const b = batch();
    await trainStepAsync(m, sgd(0.5), b, 'bce');
    const a = await m.stateDictAsync();
    const { weights, sidecar } = exportSafetensors(m, a);
    expect(sidecar['arch-sparse-feature-size']).toBe(2);
    const back = importSafetensors(weights);
    const c = await back.stateDictAsync();
    expect([...c.keys()].sort()).toEqual([...a.keys()].sort());
    expect(a.has('v_W_l.0')).toBe(true);
    for (const [k, v] of a) expect(Array.from((c.get(k) as { data: Float32Array }).data)).toEqual(Array.from(v.data));
    back.dispose();
    m.dispose();
    free(b);
  });
});

describe('MX fake quantization (training option)', () => {
  it('changes the forward values, trains, and is restored after train()', async () => {
    const { train } = await import('./index.js');
    const b = batch();
    const m = DlrmModel.create({ ...cliDefault, embeddingDim: 4, bottomMlp: [3, 4] }, { seed: 3 });
    const p0 = m.forward(b);
    m.fakeQuantization = { mlp: { format: 'mxfp4_e2m1' }, embeddings: { format: 'mxfp4_e2m1' } };
    const p1 = m.forward(b);
    const a0 = await p0.data();
    const a1 = await p1.data();
    expect(Array.from(a0)).not.toEqual(Array.from(a1));
    for (let i = 0; i < a0.length; i++) expect(Math.abs(a0[i] - a1[i])).toBeLessThan(0.2);
    m.fakeQuantization = null;
    const { losses } = await train(m, [b], {
      optimizer: sgd(0.5),
      loss: 'bce',
      epochs: 30,
      fakeQuantization: { mlp: { format: 'mxfp8_e4m3' }, embeddings: { format: 'mxfp8_e4m3' } },
    });
    expect(losses[29]).toBeLessThan(losses[0]);
    expect(m.fakeQuantization).toBeNull();
    tf.dispose([p0, p1]);
    m.dispose();
    free(b);
  });
});
