// Training on the synthetic log's planted signal learns it: test AUC ≥ 0.75 after one pass over 6 400 samples
// (fixed seeds), with KJT batches and with IKJT (RecD-deduplicated) batches, which reach the same quality.
// On webgpu in Node (`kernel: 'auto'` = the tfjs path) the two reach it too, within float32 rounding of each other.
import { dedup, type KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { describe, expect, it } from 'vitest';
import {
  adagrad,
  CRITEO_FEATURE_NAMES,
  criteoBatch,
  type DlrmBatch,
  DlrmModel,
  disposeBatch,
  FirstAppearanceIndexer,
  normalizedEntropy,
  rocAuc,
  syntheticCriteo,
  train,
} from '../src/index.js';

describe('planted signal', () => {
  const N = 8000;
  const log = syntheticCriteo({ rows: N, meanSessionLength: 4, seed: 1, cardinality: 100, order: 'session', signal: 2 });
  const ix = new FirstAppearanceIndexer();
  const rows = Array.from({ length: N }, (_, i) => log.row(i));
  const ids = rows.map((r) => ix.observeAndIndex(r));
  const nTrain = 6400;
  const B = 128;
  function* batches(ikjt: boolean): Generator<DlrmBatch> {
    for (let s = 0; s < nTrain; s += B) {
      const b = criteoBatch(rows.slice(s, s + B), ids.slice(s, s + B), CRITEO_FEATURE_NAMES);
      if (ikjt) {
        const kjt = b.sparse as KeyedJaggedTensor;
        b.sparse = dedup(kjt);
        kjt.dispose();
      }
      yield b;
    }
  }
  const results: Record<string, number> = {};
  for (const fmt of ['kjt', 'ikjt'] as const) {
    it(`reaches AUC ≥ 0.75 and NE < 1 (${fmt})`, async () => {
      const model = DlrmModel.create(
        {
          denseFeatures: 13,
          embeddingDim: 8,
          tableSizes: ix.tableSizes(),
          featureNames: CRITEO_FEATURE_NAMES,
          bottomMlp: [16, 8],
          topMlp: [16, 1],
          interaction: 'dot',
        },
        { seed: 1 },
      );
      const optimizer = adagrad({ lr: 0.1 }); // holds tf variables on the tfjs path (webgpu): disposed below
      const { losses } = await train(model, () => batches(fmt === 'ikjt'), {
        optimizer,
        loss: 'bce',
        disposeBatches: true,
      });
      expect(losses.length).toBe(nTrain / B);
      const test = criteoBatch(rows.slice(nTrain), ids.slice(nTrain), CRITEO_FEATURE_NAMES);
      const p = model.forward(test);
      // asynchronous reads: this file also runs where no synchronous read exists (webgpu in Node, the tfjs path)
      const pv = (await p.data()) as Float32Array;
      const y = (await test.labels?.data()) as Float32Array;
      results[fmt] = rocAuc(pv, y);
      expect(results[fmt]).toBeGreaterThanOrEqual(0.75);
      expect(normalizedEntropy(pv, y)).toBeLessThan(1);
      p.dispose();
      disposeBatch(test);
      optimizer.dispose?.();
      model.dispose();
      if (fmt === 'ikjt') expect(Math.abs(results.ikjt - results.kjt)).toBeLessThan(1e-4);
    });
  }
});
