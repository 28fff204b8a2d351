// The values claimed in the TSDoc @example blocks and the README, checked.
import { expect, test } from 'vitest';
import {
  accuracy,
  archStrings,
  CRITEO_FEATURE_NAMES,
  interactionPairs,
  kaggleDaySplit,
  LrPolicyScheduler,
  logLoss,
  MAX_TABLE_ELEMENTS,
  moduloIds,
  normalizedEntropy,
  numpyLegacyRng,
  parseCriteoTsvLine,
  rocAuc,
  topMlpInputSize,
} from './index.js';

test('documented values', () => {
  expect(numpyLegacyRng(123).randomSample()).toBe(0.6964691855978616);
  expect(Array.from(interactionPairs(3, false))).toEqual([1, 0, 2, 0, 2, 1]);
  const names = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);
  expect(
    topMlpInputSize({
      denseFeatures: 13,
      embeddingDim: 16,
      tableSizes: names.map(() => 10),
      featureNames: names,
      bottomMlp: [512, 256, 64, 16],
      topMlp: [512, 256, 1],
      interaction: 'dot',
    }),
  ).toBe(367);
  expect(
    archStrings({
      denseFeatures: 4,
      embeddingDim: 2,
      tableSizes: [4, 3, 2],
      featureNames: ['a', 'b', 'c'],
      bottomMlp: [3, 2],
      topMlp: [4, 2, 1],
      interaction: 'dot',
    })['arch-mlp-bot'],
  ).toBe('4-3-2');
  const s = new LrPolicyScheduler(0.1, 4, 6, 2);
  expect([s.lrAt(1), s.lrAt(5), s.lrAt(7)]).toEqual([0.025, 0.07500000000000001, 0.025]);
  const row = parseCriteoTsvLine(['1', '5', '', '-2', ...Array(10).fill('1'), '68fd1e64', ...Array(25).fill('')].join('\t'));
  expect([row.label, ...row.ints.slice(0, 3), row.cats[0]]).toEqual([1, 5, 0, 0, 1761418852]);
  expect(accuracy(new Float32Array([0.9, 0.5, 0.2]), new Float32Array([1, 0, 1]))).toBe(0.6666666666666666);
  expect(logLoss([0.5, 0.5], [1, 0])).toBe(Math.LN2);
  expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  expect(normalizedEntropy([0.5, 0.5], [1, 0])).toBe(1);
  expect(kaggleDaySplit(200).test).toEqual([172, 186]);
  expect(moduloIds({ label: 0, ints: new Int32Array(13), cats: new Uint32Array(26).fill(10) }, Array(26).fill(4))[0]).toBe(2);
  expect([MAX_TABLE_ELEMENTS, CRITEO_FEATURE_NAMES[0]]).toEqual([268435456, 'C1']);
});
