// The values claimed in the TSDoc @example blocks and the README, checked.
import * as tf from '@tensorflow/tfjs-core';
import { accelerator, canReadSync } from '@tessera/core';
import { expect, test } from 'vitest';
import {
  attentionFlops,
  BLOCK_MAX_WEIGHT_ELEMENTS,
  cliftTripleProduct,
  dotProductAttention,
  fbgemmSimplicialFlops,
  REFERENCE_MAX_CELLS,
  SIMPLICIAL_VARIANTS,
  SimplicialTransformerBlock,
  simplicialAttention,
  simplicialAttentionReference,
  simplicialBackward,
  validPairs,
  validTriples,
} from './index.js';

test('documented values', () => {
  expect(SIMPLICIAL_VARIANTS.join(', ')).toBe('trilinear, determinant');
  expect(Math.floor(Math.cbrt(REFERENCE_MAX_CELLS))).toBe(256);
  expect(BLOCK_MAX_WEIGHT_ELEMENTS).toBe(67108864);
  expect(validPairs(4, 2)).toBe(7);
  expect(validPairs(4, Number.POSITIVE_INFINITY)).toBe(10);
  expect(validTriples(4096, 512, 32)).toBe(62917296);
  expect(validTriples(3, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toBe(14);
  expect(attentionFlops('dot', { B: 1, H: 1, n: 4, d: 2, w: 2 }).forward).toBe(56);
  expect(attentionFlops('simplicial', { B: 1, H: 1, n: 3, d: 1, w1: 3, w2: 3 }).backward).toBe(196);
  expect(attentionFlops('simplicial', { B: 1, H: 8, n: 4096, d: 128, w1: 512, w2: 32 }).forward).toBe(4 * 128 * 62917296 * 8);
  expect(fbgemmSimplicialFlops(1, 8, 1, 2, 16, 32)).toBe(1024);
  expect(cliftTripleProduct(new Float64Array([1, 0]), new Float64Array([2, 0]), new Float64Array([3, 0]))).toBe(6);
  expect(cliftTripleProduct(new Float64Array([1, 0, 0]), new Float64Array([0, 1, 0]), new Float64Array([0, 0, 1]))).toBe(0);
});

test('documented shapes and results', async (ctx) => {
  // where tensors cannot be read synchronously (webgpu in Node) 2-simplicial attention needs the registered WGSL
  // kernels, and the standalone backward (host kernels) cannot run at all
  const device = !canReadSync();
  if (device && accelerator('simplicialAttention') === undefined) ctx.skip();
  const maxDiff = tf.tidy(() => {
    const [q, k1, k2, v1, v2] = [1, 2, 3, 4, 5].map((s) => tf.randomNormal([1, 16, 2, 8], 0, 1, 'float32', s) as tf.Tensor4D);
    const { out, lse } = simplicialAttention(q, k1, k2, v1, v2, { w1: 8, w2: 4 });
    expect([out.shape, lse.shape]).toEqual([
      [1, 16, 2, 8],
      [1, 2, 16],
    ]);
    if (!device) {
      const g = simplicialBackward(q, k1, k2, v1, v2, out, tf.onesLike(out), lse, { w1: 8, w2: 4 });
      expect(g.dk2.shape).toEqual([1, 16, 2, 8]);
    }
    const s = [1, 2, 3, 4, 5].map((x) => tf.randomNormal([1, 6, 1, 4], 0, 1, 'float32', x) as tf.Tensor4D) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
    const ref = simplicialAttentionReference(...s, { w1: 3, w2: 2 });
    const diff = tf.max(tf.abs(tf.sub(ref, simplicialAttention(...s, { w1: 3, w2: 2 }).out)));
    const dq = tf.randomNormal([1, 8, 4, 16], 0, 1, 'float32', 1) as tf.Tensor4D;
    const dk = tf.randomNormal([1, 8, 2, 16], 0, 1, 'float32', 2) as tf.Tensor4D;
    const d = dotProductAttention(dq, dk, dk, { window: 4 });
    expect([d.out.shape, d.lse.shape]).toEqual([
      [1, 8, 4, 16],
      [1, 4, 8],
    ]);
    return diff;
  });
  expect((await maxDiff.data())[0]).toBeLessThan(1e-5);
  maxDiff.dispose();
  const block = new SimplicialTransformerBlock({ dModel: 16, heads: 2, attention: 'simplicial', w1: 8, w2: 4, ffn: 'squared-relu-24' });
  tf.tidy(() => {
    expect(block.apply(tf.randomNormal([2, 12, 16]) as tf.Tensor3D).shape).toEqual([2, 12, 16]);
  });
  block.dispose();
  const layers = SimplicialTransformerBlock.stack(4, { dModel: 8, heads: 2, w1: 8, w2: 4 });
  expect(layers.map((l) => l.attention).join(',')).toBe('dot,dot,dot,simplicial');
  for (const l of layers) l.dispose();
  const b = new SimplicialTransformerBlock({ dModel: 8, heads: 1, attention: 'dot', ffnHidden: 8 });
  expect(b.flops(1, 1).forward).toBe(800);
  b.dispose();
});
