// The values claimed in the TSDoc @example blocks and the README, checked.
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import {
  dequantizeMXArray,
  dequantizeNVFP4Array,
  E8M0,
  ELEMENT_CODECS,
  FP4_E2M1,
  FP6_E2M3,
  FP8_E4M3,
  FP8_E5M2,
  INT8_MX,
  loadMX,
  MX_FORMATS,
  mxToSafetensors,
  packFP4,
  packFP6,
  quantizeMX,
  quantizeMXArray,
  quantizeNVFP4Array,
  SCALE_MODES,
  saveMX,
  scaleByte,
  unpackFP6,
} from './index.js';

test('documented values', () => {
  expect(FP8_E4M3.encode(400)).toBe(0x7c);
  expect(FP8_E4M3.decode(0x7e)).toBe(448);
  expect(FP8_E4M3.encode(480)).toBe(0x7f);
  expect(FP8_E4M3.encode(480, { saturate: true })).toBe(0x7e);
  expect(FP8_E4M3.encode(2)).toBe(0x40);
  expect(FP8_E5M2.encode(61440)).toBe(0x7c);
  expect(FP6_E2M3.encode(7.75)).toBe(0x1f);
  expect(FP4_E2M1.encode(-5)).toBe(0xe);
  expect(INT8_MX.encode(-1)).toBe(0xc0);
  expect([E8M0.decode(127), E8M0.fromExponent(-130), E8M0.fromFloat(3), E8M0.rceil(1.5)]).toEqual([1, 0, 129, 128]);
  expect([scaleByte(150, FP8_E4M3, 'floor'), scaleByte(150, FP8_E4M3, 'ceil'), scaleByte(7, FP4_E2M1, 'rceil')]).toEqual([126, 127, 128]);
  expect(Array.from(packFP4(new Uint8Array([0x1, 0xf])))).toEqual([0xf1]);
  expect(Array.from(packFP6(new Uint8Array([1, 2, 3, 4])))).toEqual([0x81, 0x30, 0x10]);
  expect(Array.from(unpackFP6(new Uint8Array([0x81, 0x30, 0x10]), 4))).toEqual([1, 2, 3, 4]);
  expect(Array.from(quantizeMXArray(new Float32Array([1, 2, 3, 7]), [4], { format: 'mxfp4_e2m1' }).scales)).toEqual([127]);
  expect(Array.from(dequantizeMXArray(quantizeMXArray(new Float32Array([7, 1, 0.3]), [3], { format: 'mxfp4_e2m1' })))).toEqual([6, 1, 0.5]);
  expect(Array.from(loadMX(saveMX(quantizeMXArray(new Float32Array([1, 2, 3, 4]), [4], { format: 'mxfp8_e5m2' }))).scales)).toEqual([114]);
  const st = mxToSafetensors(quantizeMXArray(new Float32Array(64), [2, 32], { format: 'mxfp4_e2m1' }), 'weight');
  expect(st.tensors['weight.qdata'].shape).toEqual([2, 16]);
  expect(st.metadata['weight.format']).toBe('mxfp4_e2m1');
  expect(Array.from(quantizeNVFP4Array(new Float32Array([6, 3, -1.5, 0.25]), [4]).blockScales)).toEqual([0x38]);
  expect(Array.from(dequantizeNVFP4Array(quantizeNVFP4Array(new Float32Array([6, 3, -1.5, 0.25]), [4])))).toEqual([6, 3, -1.5, 0]);
  expect(Array.from(dequantizeNVFP4Array(quantizeNVFP4Array(new Float32Array([7, 1, -2, 0.3]), [4])))).toEqual([
    6.75, 1.125, -2.25, 0.5625,
  ]);
  tf.tidy(() => {
    const x = tf.tensor2d([[0.1, -2.5, 3, 448]]);
    const m = quantizeMX(x, { format: 'mxfp8_e4m3' });
    expect(Array.from(m.scales)).toEqual([127]);
    expect(Array.from(dequantizeMXArray(m))).toEqual([0.1015625, -2.5, 3, 448]);
    const w = tf.zeros([1024, 512]);
    const m4 = quantizeMX(w, { format: 'mxfp4_e2m1', axis: 0 });
    expect([m4.byteLength, m4.scales.length]).toEqual([278528, 16384]);
  });
  expect(ELEMENT_CODECS.fp8_e4m3.maxNormal).toBe(448);
  expect(ELEMENT_CODECS.fp4_e2m1.decode(0x7)).toBe(6);
  expect(MX_FORMATS.includes('mxfp6_e2m3')).toBe(true);
  expect(SCALE_MODES).toEqual(['floor', 'ceil', 'even', 'rceil']);
});
