// A backend that cannot read synchronously, simulated: the cpu backend registered under the name 'webgpu' (so that
// core's canReadSync() is false: Node has no OffscreenCanvas), whose readSync throws for every tensor a kernel has
// touched or produced, as tfjs-backend-webgpu's does in Node once values live on the GPU (@tessera/testing's useNoSyncBackend).
// Tensors made from host arrays and not yet used by a kernel read fine, as there; an op over an empty input that must
// produce a non-empty output throws, as Dawn's createBuffer does there. The default paths of embeddingBag, EmbeddingBagCollection
// and the lookups must run forward and backward without one synchronous read; functions that need host values fail
// with core's UNSUPPORTED error naming them.
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, TesseraError } from '@tessera/core';
import { expectNoLeaks, type NoSyncLog, useNoSyncBackend } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedup } from './dedup.js';
import { EmbeddingBagCollection } from './embedding-bag-collection.js';
import { toTorchrec } from './interchange.js';
import { JaggedTensor } from './jagged-tensor.js';
import { KeyedJaggedTensor } from './keyed-jagged-tensor.js';
import { pooledLookup, sequenceLookup } from './lookup.js';
import { embeddingBag } from './pooling.js';

const deviceIds = (a: number[]) => tf.tidy(() => tf.add(tf.tensor1d(a, 'int32'), tf.scalar(0, 'int32'))) as tf.Tensor1D;
const sumAll = (x: tf.Tensor) => tf.sum(tf.concat([tf.reshape(x, [-1]), tf.zeros([1])])); // no op over an empty input

// On a real webgpu backend (the GPU machine's conformance run) the simulation would replace its kernels: skipped there.
describe.skipIf(process.env.TESSERA_BACKEND === 'webgpu')('on a backend without synchronous reads (simulated webgpu in Node)', () => {
  let restore: (() => Promise<void>) | undefined;
  let noSyncStats: NoSyncLog = { refusedReads: 0, refusedEmpty: [] };
  beforeAll(async () => {
    ({ log: noSyncStats, restore } = await useNoSyncBackend());
  });
  afterAll(async () => {
    await restore?.();
  });

  it('the simulation holds: canReadSync() is false, device tensors do not read synchronously', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(canReadSync()).toBe(false);
    const x = deviceIds([1, 2]);
    expect(() => x.dataSync()).toThrow(/no synchronous read/);
    x.dispose();
    noSyncStats.refusedReads = 0;
  });

  it('embeddingBag (sum / mean / weighted, device or host ids): forward and backward never read synchronously', async () => {
    await expectNoLeaks(async () => {
      const table = tf.tensor2d([
        [1, 0],
        [0, 1],
        [2, 2],
      ]);
      for (const ids of [tf.tensor1d([0, 2, 1], 'int32'), deviceIds([0, 2, 1])]) {
        const jt = new JaggedTensor({ values: ids, lengths: [2, 0, 1] });
        const w = tf.tidy(() => tf.add(tf.cast(deviceIds([0, 0, 0]), 'float32'), tf.tensor1d([2, 0.5, -1]))) as tf.Tensor1D;
        const cases: [Parameters<typeof embeddingBag>[2], number[][], number[][]][] = [
          [
            {},
            [
              [3, 2],
              [0, 0],
              [0, 1],
            ],
            [
              [1, 1],
              [1, 1],
              [1, 1],
            ],
          ],
          [
            { mode: 'mean' },
            [
              [1.5, 1],
              [0, 0],
              [0, 1],
            ],
            [
              [0.5, 0.5],
              [1, 1],
              [0.5, 0.5],
            ],
          ],
          [
            { perSampleWeights: w },
            [
              [3, 1],
              [0, 0],
              [0, -1],
            ],
            [
              [2, 2],
              [-1, -1],
              [0.5, 0.5],
            ],
          ],
        ];
        for (const [o, pooled, grad] of cases) {
          const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => sumAll(embeddingBag(t as tf.Tensor2D, jt, o)))([table]);
          const out = embeddingBag(table, jt, o);
          expect(await out.array()).toEqual(pooled);
          expect(await grads[0].array()).toEqual(grad);
          tf.dispose([value, grads[0], out]);
        }
        w.dispose();
        jt.dispose();
      }
      table.dispose();
    });
    expect(noSyncStats.refusedReads).toBe(0);
  });

  it('EmbeddingBagCollection over a KJT and its IKJT (B = 0 too): forward and variableGrads never read synchronously', async () => {
    await expectNoLeaks(async () => {
      const init = [tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), tf.ones([3, 3]) as tf.Tensor2D];
      const ebc = new EmbeddingBagCollection({
        tables: [
          { name: 'a', numEmbeddings: 4, embeddingDim: 2, featureNames: ['u'], weight: init[0] },
          { name: 'b', numEmbeddings: 3, embeddingDim: 3, featureNames: ['i', 'j'], pooling: 'mean', weight: init[1] },
        ],
      });
      tf.dispose(init);
      const kjt = KeyedJaggedTensor.fromLengths({
        keys: ['u', 'i', 'j'],
        values: tf.tensor1d([0, 3, 0, 3, 1, 2, 2, 0], 'int32'),
        lengths: [2, 2, 1, 1, 0, 2],
      });
      const ikjt = dedup(kjt); // ids still on the host here: dedup reads them
      const empty = KeyedJaggedTensor.fromLengths({ keys: ['u', 'i', 'j'], values: tf.tensor1d([], 'int32'), lengths: [], stride: 0 });
      const vars = Object.values(ebc.parameters());
      for (const x of [kjt, ikjt]) {
        const kt = ebc.forward(x);
        const got = (await kt.values.array()) as number[][];
        expect(got[0]).toEqual([8, 10, 1, 1, 1, 0, 0, 0]);
        expect(got[1]).toEqual([8, 10, 1, 1, 1, 1, 1, 1]);
        kt.dispose();
        const { value, grads } = tf.variableGrads(() => sumAll(ebc.forward(x).values) as tf.Scalar, vars);
        expect(await grads[vars[0].name].array()).toEqual([
          [2, 2],
          [0, 0],
          [0, 0],
          [2, 2],
        ]);
        expect(Array.from(await grads[vars[1].name].data()).map((v) => Math.round(v * 4) / 4)).toEqual([
          0.5, 0.5, 0.5, 1, 1, 1, 1.5, 1.5, 1.5,
        ]);
        tf.dispose([value, ...Object.values(grads)]);
      }
      const e = ebc.forward(empty);
      expect(e.values.shape).toEqual([0, 8]);
      const eg = tf.variableGrads(() => sumAll(ebc.forward(empty).values) as tf.Scalar, vars);
      expect(Array.from(await eg.grads[vars[0].name].data())).toEqual(new Array(8).fill(0));
      tf.dispose([e.values, eg.value, ...Object.values(eg.grads)]);
      const seq = sequenceLookup([{ name: 'a', weight: vars[0], featureNames: ['u'], pooling: 'none' }], kjt);
      expect(await seq.u.values.array()).toEqual([
        [1, 2],
        [7, 8],
        [1, 2],
        [7, 8],
      ]);
      seq.u.dispose();
      empty.dispose();
      ikjt.dispose();
      kjt.dispose();
      ebc.dispose();
    });
    expect(noSyncStats.refusedReads).toBe(0);
  });

  it('ids only the device holds: lookups run (unchecked ids contribute nothing); host-only functions give UNSUPPORTED', async () => {
    await expectNoLeaks(async () => {
      const weight = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const x = KeyedJaggedTensor.fromLengths({ keys: ['f'], values: deviceIds([1, 7, 0]), lengths: [2, 1] });
      const kt = pooledLookup([{ name: 't', weight, featureNames: ['f'], pooling: 'sum' }], x);
      expect(await kt.values.array()).toEqual([
        [3, 4],
        [1, 2],
      ]); // id 7 is outside [0, 2): not checkable without a read, it adds nothing (the WGSL kernel does the same)
      kt.dispose();
      const unsupported = (f: () => unknown, name: string) => {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect(err, name).toBeInstanceOf(TesseraError);
        expect((err as TesseraError).code).toBe('UNSUPPORTED');
        expect((err as TesseraError).message).toMatch(new RegExp(`^${name}: reads .*\\(no OffscreenCanvas: Node\\); .+`));
      };
      const jt = x.get('f');
      unsupported(() => embeddingBag(weight, jt, { kernel: 'host' }), 'embeddingBag');
      unsupported(() => dedup(x), 'dedup');
      unsupported(() => KeyedJaggedTensor.equal(x, x), 'KeyedJaggedTensor.equal');
      unsupported(() => toTorchrec(x), 'toTorchrec');
      // awaiting the values leaves a host copy (as tfjs-backend-webgpu does), after which they read
      await x.values.data();
      const ikjt = dedup(x);
      expect(ikjt.uniqueCounts).toEqual({ f: 2 });
      ikjt.dispose();
      jt.dispose();
      x.dispose();
      weight.dispose();
    });
    noSyncStats.refusedReads = 0;
  });
});
