// DLRM training and evaluation on a backend that cannot read tensors synchronously (tfjs-backend-webgpu in Node),
// simulated on CI by the cpu kernels under the name 'webgpu' whose synchronous reads of device values throw as the
// real backend's do (test/no-sync-backend.ts). `kernel: 'auto'` must pick the tfjs path and never read back
// synchronously; results must match the host path on cpu (same tolerance as src/device.prop.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { dedup, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { canSimulateWebGPU, onNoSyncBackend } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  adagrad,
  type DlrmBatch,
  DlrmModel,
  dlrmGrads,
  dlrmLoss,
  exportSafetensors,
  importSafetensors,
  rowWiseSparseAdagrad,
  type SparseAwareOptimizer,
  sgd,
  train,
  trainStep,
  trainStepAsync,
} from '../src/index.js';

const ATOL = 2e-5;
const RTOL = 2e-4;
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= ATOL + RTOL * Math.abs(b[i]))) expect.fail(`${what}[${i}]: tfjs ${a[i]} vs host ${b[i]}`);
}

const names = ['a', 'b', 'c'];
const cfg = {
  denseFeatures: 4,
  embeddingDim: 4,
  tableSizes: [9, 5, 7],
  featureNames: names,
  bottomMlp: [6, 4],
  topMlp: [5, 1],
  interaction: 'dot' as const,
};
const B = 6;

// The batch from host arrays (as a data loader makes it), IKJT or not.
function makeBatch(ikjt: boolean): { batch: DlrmBatch; dispose: () => void } {
  const lengths = [2, 0, 1, 3, 1, 1, /* b */ 1, 1, 0, 2, 1, 1, /* c */ 0, 0, 0, 0, 0, 0];
  const ids = [0, 8, 3, 1, 1, 2, 5, 6, /* b */ 4, 4, 0, 3, 1, 2];
  const kjt = KeyedJaggedTensor.fromLengths({ keys: names, values: tf.tensor1d(ids, 'int32'), lengths });
  const sparse = ikjt ? dedup(kjt) : kjt;
  if (sparse !== kjt) kjt.dispose();
  const dense = tf.tensor2d(
    Array.from({ length: B * 4 }, (_, i) => Math.sin(i)),
    [B, 4],
  );
  const labels = tf.tensor2d([1, 0, 0, 1, 1, 0], [B, 1]);
  const dispose = () => {
    tf.dispose([dense, labels]);
    sparse.dispose();
  };
  return { batch: { dense, sparse, labels }, dispose };
}

interface Run {
  losses: number[];
  state: Map<string, Float32Array>;
  p: Float32Array;
}

// Three steps and a forward; reads happen only after training (asynchronously).
async function run(makeOpt: () => SparseAwareOptimizer, ikjt: boolean): Promise<Run> {
  const model = DlrmModel.create(cfg, { seed: 3 });
  const opt = makeOpt();
  const { batch, dispose } = makeBatch(ikjt);
  try {
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await trainStepAsync(model, opt, batch, 'bce')).loss);
    const p = model.forward(batch);
    const pv = (await p.data()) as Float32Array;
    p.dispose();
    await model.syncHost();
    const state = new Map<string, Float32Array>();
    model.embeddings.forEach((t, k) => {
      state.set(`emb_l.${k}.weight`, t.slice());
    });
    for (const [n, v] of model.denseParameters()) state.set(n, (await v.data()) as Float32Array);
    return { losses, state, p: pv };
  } finally {
    opt.dispose?.();
    dispose();
    model.dispose();
  }
}

const optimizers: [string, () => SparseAwareOptimizer][] = [
  ['sgd', () => sgd(0.1)],
  ['adagrad', () => adagrad({ lr: 0.05, initialAccumulatorValue: 0.1 })],
  ['rowWiseSparseAdagrad', () => rowWiseSparseAdagrad({ lr: 0.05, eps: 0.1 })],
];

// Asked at run time (the suite's backend is set up after collection): on a real webgpu backend the fake must not
// replace it, and test/backend-path.test.ts and test/golden-dlrm-tfjs.test.ts run the tfjs path for real instead.
const skipOnRealWebGPU = (ctx: { skip: (note?: string) => void }) => {
  if (!canSimulateWebGPU()) ctx.skip('a real webgpu backend is registered');
};

describe('DLRM on a backend without synchronous reads (simulated webgpu in Node)', () => {
  for (const [name, makeOpt] of optimizers)
    for (const ikjt of [false, true])
      it(`${name}${ikjt ? ', IKJT' : ''}: trainStepAsync and forward never read synchronously and match the host path`, async (ctx) => {
        skipOnRealWebGPU(ctx);
        const host = await run(makeOpt, ikjt); // on the test backend (cpu or wasm): kernel 'auto' = host
        const dev = await onNoSyncBackend(async (log) => {
          const r = await run(makeOpt, ikjt);
          expect(log.refusedReads).toBe(0);
          expect(log.refusedEmpty).toEqual([]);
          return r;
        });
        expectClose(dev.losses, host.losses, 'losses');
        expectClose(dev.p, host.p, 'p');
        for (const [n, t] of host.state) expectClose(dev.state.get(n) as Float32Array, t, n);
      });

  it('MX fake quantization (mlp and embeddings) runs on the tfjs path without synchronous reads', async (ctx) => {
    skipOnRealWebGPU(ctx);
    const fq = { mlp: { format: 'mxfp8_e4m3' as const }, embeddings: { format: 'mxfp8_e4m3' as const } };
    const forwardAndTrain = async () => {
      const model = DlrmModel.create(cfg, { seed: 2 });
      model.fakeQuantization = fq;
      const { batch, dispose } = makeBatch(true);
      try {
        const p = model.forward(batch);
        const pv = (await p.data()) as Float32Array;
        p.dispose();
        const { losses } = await train(model, [batch], { optimizer: sgd(0.1), epochs: 2 });
        return { pv, losses };
      } finally {
        dispose();
        model.dispose();
      }
    };
    const host = await forwardAndTrain();
    const dev = await onNoSyncBackend(async (log) => {
      const r = await forwardAndTrain();
      expect(log.refusedReads).toBe(0);
      return r;
    });
    expectClose(dev.pv, host.pv, 'p (fake-quantized)');
    expectClose(dev.losses, host.losses, 'losses (fake-quantized)');
  });

  it('train() runs on the tfjs path; synchronous APIs fail with UNSUPPORTED TesseraErrors, not ReferenceErrors', async (ctx) => {
    skipOnRealWebGPU(ctx);
    await onNoSyncBackend(async (log) => {
      const model = DlrmModel.create({ ...cfg, weightedPooling: 'learned' }, { seed: 1 });
      const { batch, dispose } = makeBatch(false);
      const unsupported = (f: () => unknown, re: RegExp) => {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(TesseraError);
        expect((err as TesseraError).code).toBe('UNSUPPORTED');
        expect((err as TesseraError).message).toMatch(re);
      };
      try {
        const { losses } = await train(model, [batch], { optimizer: sgd(0.5), epochs: 8 });
        expect(losses).toHaveLength(8);
        expect(losses[7]).toBeLessThan(losses[0]);
        unsupported(() => trainStep(model, sgd(0.1), batch, 'bce'), /trainStepAsync/);
        unsupported(() => trainStep(model, sgd(0.1), batch, 'bce', { kernel: 'host' }), /kernel 'host'/);
        unsupported(() => dlrmGrads(model, batch, 'bce'), /kernel 'host'/);
        unsupported(() => model.forward(batch, { kernel: 'host' }), /kernel 'host'/);
        unsupported(() => model.embeddings, /syncHost/);
        unsupported(() => model.stateDict(), /syncHost/);
        const p = model.forward(batch);
        const l = dlrmLoss(p, batch.labels as tf.Tensor2D, 'bce');
        expect(Number.isFinite((await l.data())[0])).toBe(true);
        tf.dispose([p, l]);
        await model.syncHost();
        expect(model.poolingWeights?.[0].some((v) => v !== 1)).toBe(true); // learned weights moved on the device
        const sd = await model.stateDictAsync();
        expect(sd.get('v_W_l.0')?.data).toEqual(model.poolingWeights?.[0]);
        const back = importSafetensors(exportSafetensors(model, sd).weights);
        expect(back.config.tableSizes).toEqual(cfg.tableSizes);
        back.dispose();
        // ids the device already holds cannot index the host-side bookkeeping: a clear error
        const onDevice = tf.tidy(() => tf.add(batch.sparse.values, tf.zerosLike(batch.sparse.values))) as tf.Tensor1D;
        const kjt = KeyedJaggedTensor.fromLengths({ keys: names, values: onDevice, lengths: Array.from(batch.sparse.lengths) });
        try {
          await expect(trainStepAsync(model, sgd(0.1), { ...batch, sparse: kjt }, 'bce')).rejects.toThrow(/host arrays/);
        } finally {
          kjt.dispose();
        }
        expect(log.refusedReads).toBe(0);
      } finally {
        dispose();
        model.dispose();
      }
    });
  });
});
