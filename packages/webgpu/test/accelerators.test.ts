import * as tf from '@tensorflow/tfjs-core';
import { BDR_MX6, bdrFormat, fakeQuantizeBDR } from '@tessera/bdr-formats';
import { accelerator } from '@tessera/core';
import { embeddingBag, JaggedTensor } from '@tessera/jagged-tensors';
import { dequantizeMXArray, fakeQuantizeMX, fakeQuantizeNVFP4, type MXOptions, quantizeMXArray } from '@tessera/mx-formats';
import { simplicialAttention } from '@tessera/simplicial-attention';
import { expectBitsEqual } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  bdrArgsForWebGPU,
  embeddingBagOptionsForWebGPU,
  mxOptionsForWebGPU,
  nvfp4OptionsForWebGPU,
  simplicialOptionsForWebGPU,
  WEBGPU_ACCELERATORS,
} from '../src/accelerators.js';
import {
  embeddingBagWebGPU,
  fakeQuantizeBDRWebGPU,
  fakeQuantizeMXWebGPU,
  fakeQuantizeNVFP4WebGPU,
  registerWebGPUKernels,
  simplicialAttentionWebGPU,
} from '../src/index.js';
import { GPU_ONLY, mixedData, ON_WEBGPU } from './gpu.js';

const OPS = ['fakeQuantizeMX', 'fakeQuantizeNVFP4', 'fakeQuantizeBDR', 'simplicialAttention', 'embeddingBag'];

describe('registerWebGPUKernels (every backend)', () => {
  it('registers one accelerator per operation on webgpu only, and removes them all again', () => {
    const remove = registerWebGPUKernels();
    try {
      for (const op of OPS) {
        expect(accelerator(op, 'webgpu')).toBe(WEBGPU_ACCELERATORS[op as keyof typeof WEBGPU_ACCELERATORS]);
        expect(accelerator(op, 'cpu')).toBeUndefined();
      }
    } finally {
      remove();
    }
    for (const op of OPS) expect(accelerator(op, 'webgpu')).toBeUndefined();
  });
});

describe('option mappings owner → WGSL kernel (every backend)', () => {
  it('fakeQuantizeMX: copies the options that change values, declines what the kernel does not compute', () => {
    const o = mxOptionsForWebGPU([4, 64], {
      format: 'mxfp4',
      blockSize: 16,
      axis: 0,
      scaleMode: 'rceil',
      rounding: 'ties-away',
      subnormals: 'flush-block',
      fp6Packing: 'unpacked',
      kernel: 'auto',
    });
    expect(o).toEqual({
      format: 'mxfp4',
      blockSize: 16,
      axis: 0,
      scaleMode: 'rceil',
      rounding: 'ties-away',
      padding: 'zero',
      subnormals: 'flush-block',
    });
    expect(mxOptionsForWebGPU([8, 32], { format: 'mxint8' })).toEqual({
      format: 'mxint8',
      blockSize: 32,
      axis: 1,
      scaleMode: 'floor',
      rounding: 'even',
      padding: 'zero',
      subnormals: 'keep',
    });
    const random = () => 0.5;
    for (const bad of [
      { format: 'mxfp8_e4m3', rounding: 'stochastic', random },
      { format: 'mxfp8_e4m3', inputPrecision: 'bfloat16' },
      { format: 'mxfp8_e4m3', scaleExponent: 'float32-log2' },
      { format: 'mxfp8_e4m3', kernel: 'host' },
      { format: 'mxfp8_e4m3', kernel: 'tfjs' },
      { format: 'mxfp8_e4m3', padding: 'error', blockSize: 5 },
      { format: 'mxfp8_e4m3', axis: 2 },
      { format: 'mxfp8_e4m3', blockSize: 65537 },
      { format: 'fp8' },
      {},
    ])
      expect(mxOptionsForWebGPU([4, 32], bad as never), JSON.stringify(bad)).toBeUndefined();
    expect(mxOptionsForWebGPU([], { format: 'mxint8' })).toBeUndefined();
  });

  it('fakeQuantizeNVFP4: single-level exact only', () => {
    expect(nvfp4OptionsForWebGPU([3, 32], undefined)).toEqual({ axis: 1, padding: 'zero' });
    expect(nvfp4OptionsForWebGPU([32, 3], { axis: 0, padding: 'error', tensorScale: 'none', arithmetic: 'exact' })).toEqual({
      axis: 0,
      padding: 'error',
    });
    for (const bad of [{ tensorScale: 'auto' }, { tensorScale: 1 }, { arithmetic: 'float32' }, { padding: 'error' }, { axis: 5 }])
      expect(nvfp4OptionsForWebGPU([3, 20], bad as never), JSON.stringify(bad)).toBeUndefined();
  });

  it('fakeQuantizeBDR: format fields and deterministic roundings', () => {
    const a = bdrArgsForWebGPU([2, 32], BDR_MX6, { rounding: 'truncate', clamp: 'quark', axis: -1 });
    expect(a).toEqual({
      format: { name: BDR_MX6.name, k1: BDR_MX6.k1, d1: BDR_MX6.d1, k2: BDR_MX6.k2, d2: BDR_MX6.d2, m: BDR_MX6.m },
      options: { axis: 1, rounding: 'truncate', clamp: 'quark', padding: 'zero' },
    });
    expect(bdrArgsForWebGPU([2, 32], BDR_MX6, undefined)?.options).toEqual({ axis: 1, rounding: 'rne', clamp: 'field', padding: 'zero' });
    expect(bdrArgsForWebGPU([2, 32], BDR_MX6, { rounding: 'stochastic', random: () => 0.5 })).toBeUndefined();
    expect(bdrArgsForWebGPU([2, 30], BDR_MX6, { padding: 'error' })).toBeUndefined();
    expect(bdrArgsForWebGPU([2, 32], { ...BDR_MX6, k2: 3 }, undefined)).toBeUndefined();
  });

  it('simplicialAttention: trilinear, kernel auto, within the kernel bounds', () => {
    const q = [1, 100, 2, 64];
    expect(simplicialOptionsForWebGPU(q, undefined)).toEqual({ w1: 512, w2: 32, causal: true, scale: 1 / 8 });
    expect(simplicialOptionsForWebGPU(q, { w1: 8, w2: Number.POSITIVE_INFINITY, causal: false, scale: 0.5, kernel: 'auto' })).toEqual({
      w1: 8,
      w2: Number.POSITIVE_INFINITY,
      causal: false,
      scale: 0.5,
    });
    expect(simplicialOptionsForWebGPU(q, { variant: 'determinant' })).toBeUndefined();
    expect(simplicialOptionsForWebGPU(q, { kernel: 'wasm' })).toBeUndefined();
    expect(simplicialOptionsForWebGPU(q, { kernel: 'js' })).toBeUndefined();
    expect(simplicialOptionsForWebGPU([1, 1000, 1, 8], { w2: 129, causal: false })).toBeUndefined();
    expect(simplicialOptionsForWebGPU([1, 10, 1, 257], {})).toBeUndefined();
  });

  it('embeddingBag: sum and mean, weights with sum only, nothing empty', () => {
    const table = { shape: [10, 4], size: 40 };
    const jt = { values: { size: 3 }, offsets: [0, 2, 3], weights: null };
    expect(embeddingBagOptionsForWebGPU(table, jt, undefined)).toEqual({ mode: 'sum' });
    expect(embeddingBagOptionsForWebGPU(table, jt, { mode: 'mean' })).toEqual({ mode: 'mean' });
    expect(embeddingBagOptionsForWebGPU(table, { ...jt, weights: {} }, { mode: 'mean' })).toBeUndefined();
    expect(embeddingBagOptionsForWebGPU({ shape: [0, 4], size: 0 }, jt, {})).toBeUndefined();
    expect(embeddingBagOptionsForWebGPU(table, jt, { kernel: 'tfjs' } as never)).toBeUndefined();
    expect(embeddingBagOptionsForWebGPU(table, jt, { mode: 'sum', perSampleWeights: null })).toEqual({
      mode: 'sum',
      perSampleWeights: null,
    });
    expect(embeddingBagOptionsForWebGPU(table, { ...jt, values: { size: 0 }, offsets: [0, 0] }, {})).toBeUndefined();
  });
});

describe(`the owners' functions run the WGSL kernels after registerWebGPUKernels${GPU_ONLY}`, () => {
  it.skipIf(!ON_WEBGPU)('fakeQuantizeMX (kernel auto): the host kernel bits, the direct kernel bits, STE gradient', async () => {
    const remove = registerWebGPUKernels();
    try {
      const shape = [48, 96];
      const data = mixedData(48 * 96, 5);
      const x = tf.tensor(data, shape);
      for (const o of [
        { format: 'mxfp8_e4m3' },
        { format: 'mxfp4_e2m1', axis: 0, scaleMode: 'rceil' },
        { format: 'mxfp6_e2m3', blockSize: 16, rounding: 'nearest', subnormals: 'flush-block' },
        { format: 'mxint8', fp6Packing: 'unpacked' },
      ] as MXOptions[]) {
        const y = fakeQuantizeMX(x, o);
        const direct = fakeQuantizeMXWebGPU(x, o as never);
        const got = (await y.data()) as Float32Array;
        expectBitsEqual(got, dequantizeMXArray(quantizeMXArray(data, shape, o)), { label: `host ${JSON.stringify(o)}` });
        expectBitsEqual(got, (await direct.data()) as Float32Array, { label: `direct ${JSON.stringify(o)}` });
        tf.dispose([y, direct]);
      }
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeMX(v, { format: 'mxfp4' }), 3)))(x);
      expect(Array.from((await g.data()) as Float32Array).every((v) => v === 3)).toBe(true);
      const acc = accelerator<(x: tf.Tensor, o: unknown) => tf.Tensor | undefined>('fakeQuantizeMX');
      expect(acc?.(x, { format: 'mxfp8_e4m3', rounding: 'stochastic', random: () => 0.5 })).toBeUndefined();
      tf.dispose([x, g]);
    } finally {
      remove();
    }
  });

  it.skipIf(!ON_WEBGPU)('fakeQuantizeNVFP4 and fakeQuantizeBDR: the direct kernels bits', async () => {
    const remove = registerWebGPUKernels();
    try {
      const x = tf.tensor(mixedData(32 * 64, 9), [32, 64]);
      const pairs: [tf.Tensor, tf.Tensor][] = [
        [fakeQuantizeNVFP4(x), fakeQuantizeNVFP4WebGPU(x)],
        [fakeQuantizeNVFP4(x, { axis: 0 }), fakeQuantizeNVFP4WebGPU(x, { axis: 0 })],
        [fakeQuantizeBDR(x, BDR_MX6), fakeQuantizeBDRWebGPU(x, BDR_MX6)],
        [
          fakeQuantizeBDR(x, bdrFormat({ k1: 16, d1: 8, k2: 4, d2: 2, m: 5 }), { rounding: 'ties-away', clamp: 'quark', axis: 0 }),
          fakeQuantizeBDRWebGPU(x, bdrFormat({ k1: 16, d1: 8, k2: 4, d2: 2, m: 5 }), { rounding: 'ties-away', clamp: 'quark', axis: 0 }),
        ],
      ];
      for (const [i, [a, b]] of pairs.entries())
        expectBitsEqual((await a.data()) as Float32Array, (await b.data()) as Float32Array, { label: `case ${i}` });
      tf.dispose([x, ...pairs.flat()]);
    } finally {
      remove();
    }
  });

  it.skipIf(!ON_WEBGPU)('simplicialAttention and embeddingBag: the direct kernels bits, gradients too', async () => {
    const remove = registerWebGPUKernels();
    try {
      const [q, k1, k2, v1, v2] = [1, 2, 3, 4, 5].map((s) => tf.randomNormal([1, 40, 2, 16], 0, 1, 'float32', s)) as tf.Tensor4D[];
      const o = { w1: 12, w2: 6 };
      const a = simplicialAttention(q, k1, k2, v1, v2, o);
      const b = simplicialAttentionWebGPU(q, k1, k2, v1, v2, o);
      expectBitsEqual((await a.out.data()) as Float32Array, (await b.out.data()) as Float32Array, { label: 'out' });
      expectBitsEqual((await a.lse.data()) as Float32Array, (await b.lse.data()) as Float32Array, { label: 'lse' });
      const loss =
        (f: typeof simplicialAttention) =>
        (...x: tf.Tensor[]) =>
          tf.sum(tf.square(f(...(x as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]), o).out));
      const ga = tf.grads(loss(simplicialAttention))([q, k1, k2, v1, v2]);
      const gb = tf.grads(loss(simplicialAttentionWebGPU))([q, k1, k2, v1, v2]);
      for (let i = 0; i < 5; i++)
        expectBitsEqual((await ga[i].data()) as Float32Array, (await gb[i].data()) as Float32Array, { label: `grad ${i}` });
      tf.dispose([q, k1, k2, v1, v2, a.out, a.lse, b.out, b.lse, ...ga, ...gb]);

      const table = tf.randomNormal([50, 8], 0, 1, 'float32', 7) as tf.Tensor2D;
      const jt = new JaggedTensor({ values: tf.tensor1d([3, 7, 49, 0, 0, 12], 'int32'), lengths: [2, 0, 3, 1] });
      for (const mode of ['sum', 'mean'] as const) {
        const e1 = embeddingBag(table, jt, { mode });
        const e2 = embeddingBagWebGPU(table, jt, { mode });
        expectBitsEqual((await e1.data()) as Float32Array, (await e2.data()) as Float32Array, { label: mode });
        const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.square(embeddingBag(t as tf.Tensor2D, jt, { mode }))))(table);
        const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.square(embeddingBagWebGPU(t as tf.Tensor2D, jt, { mode }))))(table);
        expectBitsEqual((await g1.data()) as Float32Array, (await g2.data()) as Float32Array, { label: `${mode} grad` });
        tf.dispose([e1, e2, g1, g2]);
      }
      table.dispose();
      jt.dispose();
    } finally {
      remove();
    }
  });
});
