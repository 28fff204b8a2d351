// SimplicialTransformerBlock: shapes, causality, the interleaving, training steps lower the loss, both FFNs, MX fake
// quantization, no leaks, validation.
import * as tf from '@tensorflow/tfjs-core';
import { accelerator, canReadSync, rng, TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, test } from 'vitest';
import { BLOCK_MAX_WEIGHT_ELEMENTS, type BlockFfn, SimplicialTransformerBlock } from '../src/index.js';

describe('SimplicialTransformerBlock', () => {
  test.for([
    ['simplicial', 'squared-relu'],
    ['simplicial', 'squared-relu-24'],
    ['dot', 'squared-relu'],
  ] as const)('%s attention, %s FFN: causal, trains, no leaks', async ([attention, ffn], ctx) => {
    // 2-simplicial attention has no tfjs-op path: where tensors cannot be read synchronously (webgpu in Node) it needs
    // the registered WGSL kernels (the GPU conformance run with TESSERA_WEBGPU_KERNELS=1)
    if (attention === 'simplicial' && !canReadSync() && accelerator('simplicialAttention') === undefined) ctx.skip();
    const block = new SimplicialTransformerBlock({
      dModel: 12,
      heads: 4,
      kvHeads: 2,
      headDim: 3,
      attention,
      w1: 4,
      w2: 3,
      ffn: ffn as BlockFfn,
      ffnHidden: 16,
      seed: 3,
    });
    const xData = rng(5).normalArray(2 * 7 * 12);
    await expectNoLeaks(async () => {
      const x = tf.tensor3d(xData, [2, 7, 12]);
      const changed = Float32Array.from(xData);
      for (let b = 0; b < 2; b++) for (let e = (b * 7 + 4) * 12; e < (b + 1) * 7 * 12; e++) changed[e] = 9;
      const x2 = tf.tensor3d(changed, [2, 7, 12]);
      const [y, y2] = [block.apply(x), block.apply(x2)];
      expect(y.shape).toEqual([2, 7, 12]);
      const a = (await y.array()) as number[][][];
      const c = (await y2.array()) as number[][][];
      for (let b = 0; b < 2; b++) expect(c[b].slice(0, 4)).toEqual(a[b].slice(0, 4)); // positions < 4 never see ≥ 4
      expect(c[0][5]).not.toEqual(a[0][5]);
      // a few SGD steps on a fixed target lower the loss
      const target = tf.tensor3d(rng(6).normalArray(2 * 7 * 12), [2, 7, 12]);
      const opt = tf.train.adam(0.02);
      const loss = () => tf.mean(tf.square(tf.sub(block.apply(x), target))) as tf.Scalar;
      const lossValue = async () => {
        const l = tf.tidy(loss);
        const v = (await l.data())[0];
        l.dispose();
        return v;
      };
      const l0 = await lossValue();
      for (let s = 0; s < 8; s++) opt.minimize(loss, false, block.trainableVariables);
      const l1 = await lossValue();
      expect(l1).toBeLessThan(l0);
      opt.dispose();
      tf.dispose([x, x2, y, y2, target]);
    });
    // statistics come from the FFN's host path (its tfjs-op path, where tensors cannot be read synchronously, has none)
    if (ffn === 'squared-relu-24' && canReadSync()) expect(block.ffnStats?.values).toBe(2 * 7 * 16);
    block.dispose();
  });

  test('MX fake quantization of the weights changes the output a little and keeps gradients', async (ctx) => {
    if (!canReadSync() && accelerator('simplicialAttention') === undefined) ctx.skip(); // as above
    const o = { dModel: 32, heads: 2, attention: 'simplicial' as const, w1: 4, w2: 4, seed: 1 };
    const plain = new SimplicialTransformerBlock(o);
    const quant = new SimplicialTransformerBlock({ ...o, fakeQuant: { format: 'mxfp8_e4m3' } });
    await expectNoLeaks(async () => {
      const [na, nd, ...grads] = tf.tidy(() => {
        const x = tf.randomNormal([1, 5, 32], 0, 1, 'float32', 2) as tf.Tensor3D;
        const a = plain.apply(x);
        const b = quant.apply(x);
        const g = tf.variableGrads(() => tf.sum(quant.apply(x)) as tf.Scalar, quant.trainableVariables);
        g.value.dispose();
        return [tf.norm(a), tf.norm(tf.sub(a, b)), ...Object.values(g.grads)];
      });
      const rel = (await nd.data())[0] / (await na.data())[0];
      expect(rel).toBeGreaterThan(0);
      expect(rel).toBeLessThan(0.1);
      expect(grads.length).toBe(quant.trainableVariables.length);
      tf.dispose([na, nd, ...grads]);
    });
    plain.dispose();
    quant.dispose();
  });

  test('stack interleaves like the paper (every 4th layer 2-simplicial)', () => {
    const layers = SimplicialTransformerBlock.stack(8, { dModel: 8, heads: 2, w1: 4, w2: 2 });
    expect(layers.map((l) => l.attention)).toEqual(['dot', 'dot', 'dot', 'simplicial', 'dot', 'dot', 'dot', 'simplicial']);
    for (const l of layers) l.dispose();
    const two = SimplicialTransformerBlock.stack(2, { dModel: 8, heads: 2, simplicialEvery: 2 });
    expect(two.map((l) => l.attention)).toEqual(['dot', 'simplicial']);
    for (const l of two) l.dispose();
  });

  test('flops', () => {
    const b = new SimplicialTransformerBlock({ dModel: 8, heads: 1, attention: 'dot', ffnHidden: 8 });
    expect(b.flops(1, 1)).toEqual({ forward: 800, backward: 2 * 768 + 80 });
    b.dispose();
  });

  test('validation, with nothing left allocated', () => {
    const bad: [object, RegExp][] = [
      [{ dModel: 0, heads: 1, attention: 'dot' }, /dModel must be >= 1/],
      [{ dModel: 8, heads: 3, attention: 'dot' }, /dModel must be a multiple of heads/],
      [{ dModel: 8, heads: 4, kvHeads: 3, attention: 'dot' }, /multiple of kvHeads/],
      [{ dModel: 8, heads: 2, attention: 'cross' }, /attention must be one of/],
      [{ dModel: 8, heads: 2, attention: 'dot', ffn: 'gelu' }, /ffn must be one of/],
      [{ dModel: 8, heads: 2, attention: 'simplicial', w1: 0 }, /w1 must be >= 1/],
      [{ dModel: 8, heads: 2, attention: 'dot', ffn: 'squared-relu-24', ffnHidden: 6 }, /multiple of 4/],
      [{ dModel: 2 ** 14, heads: 1, attention: 'dot' }, new RegExp(`at most ${BLOCK_MAX_WEIGHT_ELEMENTS} elements`)],
    ];
    for (const [o, re] of bad) {
      expectNoLeaks(() => {
        expect(() => new SimplicialTransformerBlock(o as never)).toThrow(re);
      });
    }
    const b = new SimplicialTransformerBlock({ dModel: 8, heads: 2, attention: 'dot' });
    const z = tf.zeros([1, 3, 7]) as tf.Tensor3D;
    expectNoLeaks(() => {
      expect(() => b.apply(z)).toThrow(TesseraError);
    });
    z.dispose();
    b.dispose();
  });
});
