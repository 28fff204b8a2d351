// The values claimed in the TSDoc @example blocks and the README, checked.
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import { FP8_E4M3 } from '@tessera/mx-formats';
import { expect, test } from 'vitest';
import {
  BDR_MX4,
  BDR_MX6,
  BDR_MX9,
  bdrFormat,
  bdrQuantizer,
  bfp,
  bitsPerElement,
  dequantizeBDR,
  dequantizeBDRArray,
  fakeQuantizeBDR,
  fromAIELayout,
  loadBDR,
  MSFP12,
  MSFP16,
  mxQuantizer,
  nvfp4Quantizer,
  paretoFront,
  perTensorQuantizer,
  QUARK_BFP16,
  qsnr,
  qsnrBound,
  quantizeBDR,
  quantizeBDRArray,
  SWEEP_LIMITS,
  saveBDR,
  sweep,
  toAIELayout,
} from './index.js';

test('documented values', async () => {
  const f = bdrFormat({ k1: 16, d1: 8, k2: 4, d2: 1, m: 7 });
  expect([f.name, bitsPerElement(f)]).toEqual(['BDR(k1=16,d1=8,k2=4,d2=1,m=7)', 8.75]);
  expect([
    bitsPerElement(bfp(16, 7)),
    bitsPerElement(BDR_MX6),
    bitsPerElement(BDR_MX4),
    bitsPerElement(MSFP12),
    bitsPerElement(MSFP16),
  ]).toEqual([8.5, 6, 4, 4.5, 8.5]);
  expect([BDR_MX9.k1, BDR_MX9.k2, BDR_MX9.m, bitsPerElement(QUARK_BFP16)]).toEqual([16, 2, 7, 9]);
  const t = quantizeBDRArray(new Float32Array([1, 0.25, 3, -0.5]), [4], BDR_MX6);
  expect(Array.from(t.exponents)).toEqual([128]);
  expect(Array.from(dequantizeBDRArray(t))).toEqual([1, 0.25, 3, -0.5]);
  expect(Array.from(dequantizeBDRArray(quantizeBDRArray(new Float32Array([3, 1, 0.3, 0.1]), [4], BDR_MX4)))).toEqual([3, 1, 0.5, 0]);
  // read asynchronously (await data()): on webgpu in Node tensors computed on the GPU cannot be read synchronously,
  // and with @tessera/webgpu's kernels registered fakeQuantizeBDR's result stays there; quantizeBDR (host-only) gets
  // tensors made from host data
  const [dq, fq] = tf.tidy(() => {
    const x = tf.tensor2d([[1, -0.5, 3, 0.1]]);
    const q = quantizeBDR(x, BDR_MX9);
    expect(q.mantissas.length).toBe(16);
    expect(dequantizeBDR(quantizeBDR(tf.tensor2d(rng(1).normalArray(128), [4, 32]), BDR_MX6)).shape).toEqual([4, 32]);
    return [dequantizeBDR(q), fakeQuantizeBDR(tf.tensor2d([[1, 0.3, -2, 0.01]]), BDR_MX6)];
  });
  expect(Array.from(await dq.data())).toEqual([1, -0.5, 3, 0.09375]);
  expect(Array.from(await fq.data())).toEqual([1, 0.25, -2, 0]);
  tf.dispose([dq, fq]);
  const a = quantizeBDRArray(new Float32Array(32).fill(1), [2, 16], BDR_MX6);
  expect(toAIELayout(a).length).toBe(24);
  expect(fromAIELayout(toAIELayout(a), BDR_MX6, [2, 16], 1).shape).toEqual([2, 16]);
  const b = quantizeBDRArray(new Float32Array([0.5, -1, 2, 0.125]), [4], BDR_MX9);
  expect(Array.from(dequantizeBDRArray(fromAIELayout(toAIELayout(b), BDR_MX9, [4], 0)))).toEqual([0.5, -1, 2, 0.125]);
  expect(
    Array.from(dequantizeBDRArray(loadBDR(saveBDR(quantizeBDRArray(new Float32Array([1, -2, 0.5, 3]), [4], BDR_MX9), 'w'), 'w'))),
  ).toEqual([1, -2, 0.5, 3]);
  expect(loadBDR(saveBDR(quantizeBDRArray(new Float32Array(16), [16], BDR_MX4))).format.m).toBe(2);
  expect(qsnr(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 2, 3, 4.5])).toFixed(3)).toBe('20.792');
  expect([qsnrBound(BDR_MX9).toFixed(2), qsnrBound(MSFP16).toFixed(2)]).toEqual(['34.74', '30.10']);
  expect(Array.from(bdrQuantizer(BDR_MX6).fakeQuantize(new Float32Array([1, 0.25, 3, -0.5])))).toEqual([1, 0.25, 3, -0.5]);
  expect(mxQuantizer({ format: 'mxfp4_e2m1' }).bitsPerElement).toBe(4.25);
  expect(Array.from(mxQuantizer({ format: 'mxfp4_e2m1' }).fakeQuantize(new Float32Array([7, 1, 0.3])))).toEqual([6, 1, 0.5]);
  expect(Array.from(nvfp4Quantizer({ tensorScale: 'none' }).fakeQuantize(new Float32Array([6, 3, -1.5, 0.25])))).toEqual([6, 3, -1.5, 0]);
  expect(Array.from(perTensorQuantizer(FP8_E4M3).fakeQuantize(new Float32Array([448, 400, -1])))).toEqual([448, 384, -1]);
  const data = rng(1).normalArray(4096);
  expect(
    sweep([bdrQuantizer(BDR_MX9), bdrQuantizer(BDR_MX6), mxQuantizer({ format: 'mxfp8_e4m3' })], data, { sortBy: 'qsnr' })[0].name,
  ).toBe('BDR_MX9');
  expect(
    paretoFront([
      { name: 'a', bitsPerElement: 4, qsnr: 15 },
      { name: 'b', bitsPerElement: 6, qsnr: 14 },
      { name: 'c', bitsPerElement: 9, qsnr: 46 },
    ]).map((r) => r.name),
  ).toEqual(['a', 'c']);
  expect(SWEEP_LIMITS.maxCandidates).toBe(10_000);
});

test('documented values of the type examples', () => {
  const t = quantizeBDRArray(new Float32Array(64), [4, 16], BDR_MX9);
  expect([t.exponents.length, t.microexponents.length, t.mantissas.length]).toEqual([4, 4, 64]);
  expect(quantizeBDRArray(new Float32Array(32), [16, 2], BDR_MX6, { axis: 0, rounding: 'ties-away', padding: 'error' }).axis).toBe(0);
  const grid8 = { name: 'grid 1/8', bitsPerElement: 8, fakeQuantize: (v: Float32Array) => v.map((x) => Math.round(x * 8) / 8) };
  expect(sweep([grid8], new Float32Array([0.5, 1, 1.5]))[0].qsnr).toBe(Number.POSITIVE_INFINITY);
  expect(sweep({ k1: [16], d1: [8], k2: [2, 4, 8], d2: [1], m: [4] }, rng(0).normalArray(1024), { sortBy: 'qsnr' }).length).toBe(3);
  const [row] = sweep([bdrQuantizer(BDR_MX9)], rng(0).normalArray(1024));
  expect(row.qsnr > (row.bound ?? 0)).toBe(true);
  expect(SWEEP_LIMITS.maxValues).toBe(67108864);
});
