import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, test } from 'vitest';
import { thrownInTidy } from '../test/errors.js';
import { bitsOf, f32 } from '../test/fixtures.js';
import { E8M0 } from './e8m0.js';
import { FP4_E2M1, FP6_E2M3, FP8_E4M3, INT8_MX } from './elements.js';
import { loadMX, mxFromSafetensors, mxToSafetensors, saveMX } from './mx-safetensors.js';
import {
  dequantizeMX,
  dequantizeMXArray,
  isMXTensor,
  type MXTensor,
  quantizeMX,
  quantizeMXArray,
  quantizeMXAsync,
  validateMX,
} from './mx-tensor.js';
import { MX_PRESETS, type MXOptions } from './options.js';
import { unpackFP4, unpackFP6 } from './packing.js';
import { scaleByte } from './scale.js';

const q = (v: number[], o: MXOptions) => quantizeMXArray(Float32Array.from(v), [v.length], o);
const dq = (v: number[], o: MXOptions) => Array.from(dequantizeMXArray(q(v, o)));
const block = (v: number, n = 32) => new Array(n).fill(v);

describe('exact vectors from torchao and microxcaling (tol 0)', () => {
  test('(a) microxcaling test_fp8_e4m3_fix: E4M3 block of 8, X = 1', () => {
    const x = [485, 475, 400, -485, -475, -450, 2 ** -6, -(2 ** -6)];
    const o = { format: 'mxfp8_e4m3', blockSize: 8 } as const;
    expect(q(x, o).scales[0]).toBe(127);
    expect(dq(x, { ...o, rounding: 'nearest' })).toEqual([448, 448, 416, -448, -448, -448, 2 ** -6, -(2 ** -6)]);
    expect(dq(x, { ...o, rounding: 'even' })).toEqual([448, 448, 384, -448, -448, -448, 2 ** -6, -(2 ** -6)]);
  });
  test('(c) microxcaling test_mx_hw_test: int8, block 10, X = 1', () => {
    const rows = [
      [65, 65.5, 66, 66.5, 80, 80.5, 124, 124.5, 127, 127.5],
      [-127, -126.5, -126, -125.5, -124, -123.5, -112, -111.5, -64, -127.5],
      [127.75, 127.25, 0, 0.25, 0.5, 0.75, -1, -0.75, -0.5, -0.25],
    ];
    const away = [
      [65, 66, 66, 67, 80, 81, 124, 125, 127, 127],
      [-127, -127, -126, -126, -124, -124, -112, -112, -64, -127],
      [127, 127, 0, 0, 1, 1, -1, -1, -1, 0],
    ];
    const even = [
      [65, 66, 66, 66, 80, 80, 124, 124, 127, 127],
      [-127, -126, -126, -126, -124, -124, -112, -112, -64, -127],
      [127, 127, 0, 0, 0, 1, -1, -1, 0, 0],
    ];
    rows.forEach((r, i) => {
      const x = r.map((v) => v / 64);
      const o = { format: 'mxint8', blockSize: 10 } as const;
      expect(q(x, o).scales[0]).toBe(127);
      expect(dq(x, { ...o, rounding: 'nearest' }).map((v) => v * 64)).toEqual(away[i]);
      expect(dq(x, { ...o, rounding: 'even' }).map((v) => v * 64 + 0)).toEqual(even[i]);
    });
    // the test's other rows quantize exactly with X = 2
    const m = q([1, 1, 1, 1, 1, 2, 2, 2, 2, 2], { format: 'mxint8', blockSize: 10 });
    expect(m.scales[0]).toBe(128);
    expect(Array.from(dequantizeMXArray(m))).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  });

  describe('(d) torchao _mxfp8_test_utils: E4M3 block 32, scale byte / e4m3 byte', () => {
    const cases: [string, number[], [number, number[]], [number, number[]], boolean?][] = [
      ['all 0', block(0), [0, block(0)], [0, block(0)]],
      ['all 2^-126', block(2 ** -126), [0, block(0x40)], [0, block(0x40)]],
      ['1.0 x31 + Inf', [...block(1, 31), Number.POSITIVE_INFINITY], [255, block(0x7f)], [255, block(0x7f)]],
      ['1.0 x31 + NaN', [...block(1, 31), Number.NaN], [255, block(0x7f)], [255, block(0x7f)]],
      ['all NaN', block(Number.NaN), [255, block(0x7f)], [255, block(0x7f)]],
      ['all 448', block(448), [127, block(0x7e)], [127, block(0x7e)]],
      ['all -448', block(-448), [127, block(0xfe)], [127, block(0xfe)]],
      ['all FLT_MAX', block(f32([0x7f7fffff])[0]), [246, block(0x7e)], [247, block(0x78)]],
      ['all 2^-149', block(2 ** -149), [0, block(0)], [0, block(0)]],
      ['1.0 x31 + 2^-149', [...block(1, 31), 2 ** -149], [119, [...block(0x78, 31), 0]], [119, [...block(0x78, 31), 0]]],
      ['1.0 x31 - 2^-149', [...block(1, 31), -(2 ** -149)], [119, [...block(0x78, 31), 0x80]], [119, [...block(0x78, 31), 0x80]]],
      ['all 480', block(480), [127, block(0x7e)], [128, block(0x77)]],
      ['all 0x43FFFFFF', block(f32([0x43ffffff])[0]), [127, block(0x7e)], [128, block(0x78)]],
      ['all 0x40600001', block(f32([0x40600001])[0]), [120, block(0x7e)], [121, block(0x76)]],
      // as bf16 inputs (inputPrecision 'bfloat16')
      ['bf16: all 2^-133', block(2 ** -133), [0, block(0x08)], [0, block(0x08)], true],
      ['bf16: all FLT_MAX (bf16 max)', block(f32([0x7f7f0000])[0]), [246, block(0x7e)], [247, block(0x78)], true],
      ['bf16: all 0x43FFFFFF → 512', block(f32([0x43ffffff])[0]), [128, block(0x78)], [128, block(0x78)], true],
      ['bf16: all 0x40600001 → 3.5', block(f32([0x40600001])[0]), [120, block(0x7e)], [120, block(0x7e)], true],
    ];
    for (const [name, x, floor, rceil, bf16] of cases) {
      test(name, () => {
        for (const [mode, [sb, codes]] of [
          ['floor', floor],
          ['rceil', rceil],
        ] as const) {
          const m = q(x, { format: 'mxfp8_e4m3', scaleMode: mode, inputPrecision: bf16 ? 'bfloat16' : 'float32' });
          expect(m.scales[0]).toBe(sb);
          expect(Array.from(m.data)).toEqual(codes);
        }
      });
    }
  });

  test('(e) torchao RCEIL on d alone', () => {
    const table: [number, number][] = [
      [0x00000000, 0],
      [0x00000001, 0],
      [0x00400000, 0],
      [0x00400001, 1],
      [0x007fffff, 1],
      [0x00800000, 1],
      [0x1f800000, 63],
      [0x1f800001, 64],
      [0x3f7fffff, 127],
      [0x3f800000, 127],
      [0x3f800001, 128],
      [0x5f800000, 191],
      [0x5f800001, 192],
      [0x7f000000, 254],
      [0x7f000001, 255],
      [0x7f7fffff, 255],
      [0x7f800000, 255],
      [0x7fc00000, 255],
    ];
    for (const [bits, byte] of table) expect(E8M0.rceil(f32([bits])[0])).toBe(byte);
  });

  test('(f) scale modes on one block', () => {
    expect(['floor', 'ceil', 'even', 'rceil'].map((m) => scaleByte(150, FP8_E4M3, m as never))).toEqual([126, 127, 126, 126]);
    expect(['floor', 'ceil', 'even', 'rceil'].map((m) => scaleByte(1, FP8_E4M3, m as never))).toEqual([119, 119, 119, 119]);
    const x = [7, ...block(0, 31)];
    expect(q(x, { format: 'mxfp4_e2m1' }).scales[0]).toBe(127);
    expect(dq(x, { format: 'mxfp4_e2m1' })[0]).toBe(6);
    for (const m of ['ceil', 'even', 'rceil'] as const) {
      expect(q(x, { format: 'mxfp4_e2m1', scaleMode: m }).scales[0]).toBe(128);
      expect(dq(x, { format: 'mxfp4_e2m1', scaleMode: m })[0]).toBe(8);
    }
    // EVEN still clamps E4M3: r_3(470) = 480 < 512, so X = 1 and 470 → 480 → 448
    expect(scaleByte(470, FP8_E4M3, 'even')).toBe(127);
    expect(dq([470], { format: 'mxfp8_e4m3', scaleMode: 'even' })[0]).toBe(448);
  });
});

describe('pitfalls from public issues', () => {
  test('microxcaling#4: FLOOR saturates 957 → 896 next to a block max of 960; RCEIL does not', () => {
    const x = [960, 957, ...block(1, 30)];
    expect(dq(x, { format: 'mxfp8_e4m3' }).slice(0, 2)).toEqual([896, 896]);
    expect(dq(x, { format: 'mxfp8_e4m3', scaleMode: 'rceil' }).slice(0, 2)).toEqual([960, 960]);
  });
  test('pytorch/ao#436: round, then clamp (E5M2 block max 127.99999 → 112)', () => {
    const v = f32([0x42ffffff])[0];
    const m = q([v, 1], { format: 'mxfp8_e5m2' });
    expect(m.scales[0]).toBe(127 + 6 - 15);
    expect(dequantizeMXArray(m)[0]).toBe(57344 * 2 ** -9);
  });
  test('pytorch/ao#2035: amax 150 floor vs ceil; vllm#53110: amax 1.0 → 119', () => {
    expect(q([150, -3], { format: 'mxfp8_e4m3' }).scales[0]).toBe(126);
    expect(q([150, -3], { format: 'mxfp8_e4m3', scaleMode: 'ceil' }).scales[0]).toBe(127);
    expect(q([1, 0.5], { format: 'mxfp8_e4m3' }).scales[0]).toBe(119);
  });
  test('NVIDIA/Model-Optimizer#250: MXINT8 decode(0x40) = X, 0x80 never emitted', () => {
    const m = q([-2, 1, -1.9921875, 0.5], { format: 'mxint8' });
    expect(m.scales[0]).toBe(128);
    expect(Array.from(m.data.subarray(0, 4))).toEqual([0xc0, 0x20, 0xc0, 0x10]);
    expect(Array.from(q([-1.999, 1.999], { format: 'mxint8', blockSize: 2 }).data)).toEqual([0x81, 0x7f]);
    expect(INT8_MX.decode(0x40) * E8M0.decode(m.scales[0])).toBe(2);
  });
  test('CEIL and RCEIL bytes are not idempotent', () => {
    const x = [130, ...block(1, 31)];
    const m1 = q(x, { format: 'mxfp8_e4m3', scaleMode: 'ceil' });
    expect(m1.scales[0]).toBe(127);
    const y = Array.from(dequantizeMXArray(m1));
    expect(y[0]).toBe(128);
    expect(q(y, { format: 'mxfp8_e4m3', scaleMode: 'ceil' }).scales[0]).toBe(126);
  });
  test('lengths that are not a multiple of 32 pad with zeros; padding "error" throws', () => {
    const m = q([1, 2, 3], { format: 'mxfp4_e2m1' });
    expect(m.data.length).toBe(16);
    expect(Array.from(unpackFP4(m.data, 32)).slice(3)).toEqual(block(0, 29));
    expect(() => q([1, 2, 3], { format: 'mxfp4_e2m1', padding: 'error' })).toThrow(/multiple of blockSize/);
  });
  test('the microxcaling preset (ties-away, float32 log2) reproduces the 0x43FFFFFF quirk', () => {
    const v = f32([0x43ffffff])[0];
    expect(q([v], { format: 'mxfp8_e4m3', scaleMode: 'floor', rounding: 'nearest', scaleExponent: 'float32-log2' }).scales[0]).toBe(128);
    expect(q([v], { format: 'mxfp8_e4m3' }).scales[0]).toBe(127);
  });
  test('quantize-then-transpose differs from transpose-then-quantize (axis matters)', () => {
    const x = tf.tensor2d([
      [64, 1],
      [1, 1],
    ]);
    const a0 = quantizeMX(x, { format: 'mxfp4_e2m1', axis: 0, blockSize: 2 });
    const a1 = quantizeMX(x, { format: 'mxfp4_e2m1', axis: 1, blockSize: 2 });
    expect(Array.from(dequantizeMXArray(a0))).toEqual([64, 1, 0, 1]);
    expect(Array.from(dequantizeMXArray(a1))).toEqual([64, 0, 1, 1]);
    x.dispose();
  });
});

describe('layout and packing', () => {
  test('FP4: two per byte, low nibble first; FP6 4-in-3 and unpacked', () => {
    const x = [1, -1, 0.5, 6, 2, 3, -6, 0];
    const m = q(x, { format: 'mxfp4_e2m1', blockSize: 8 });
    expect(m.packing).toBe('fp4x2');
    expect(Array.from(m.data)).toEqual([0x2 | (0xa << 4), 0x1 | (0x7 << 4), 0x4 | (0x5 << 4), 0xf | (0x0 << 4)]);
    const p = q(x, { format: 'mxfp6_e2m3', blockSize: 8 });
    const u = q(x, { format: 'mxfp6_e2m3', blockSize: 8, fp6Packing: 'unpacked' });
    expect(p.packing).toBe('fp6x4in3');
    expect(u.packing).toBe('fp6-unpacked');
    expect(p.data.length).toBe(6);
    expect(Array.from(unpackFP6(p.data, 8))).toEqual(Array.from(u.data));
    expect(Array.from(dequantizeMXArray(p))).toEqual(Array.from(dequantizeMXArray(u)));
    expect(p.byteLength).toBe(7);
    const u2 = q(x, { format: 'mxfp6_e2m3', blockSize: 8, unpacked: true });
    expect(u2.packing).toBe('fp6-unpacked');
    expect(Array.from(u2.data)).toEqual(Array.from(u.data));
    expect(() => q(x, { format: 'mxfp6_e2m3', unpacked: false, fp6Packing: 'unpacked' })).toThrow(/disagree/);
  });
  test('axis 0 of a 3-D tensor: axis moved last, scales in (outer, inner, block) order', () => {
    const vals = Float32Array.from({ length: 3 * 4 * 2 }, (_, i) => (i % 5) - 2 + i / 7);
    const shape = [3, 4, 2];
    const m = quantizeMXArray(vals, shape, { format: 'mxfp8_e4m3', axis: 1, blockSize: 2 });
    expect(m.scales.length).toBe(3 * 2 * 2);
    const y = dequantizeMXArray(m);
    // fibre (o=1, j=1) along axis 1 is vals[1*8 + l*2 + 1], l = 0..3; its first block is scale index (1*2+1)*2
    const fib = [0, 1].map((l) => vals[8 + l * 2 + 1]);
    expect(m.scales[(1 * 2 + 1) * 2]).toBe(scaleByte(Math.max(...fib.map(Math.abs)), FP8_E4M3));
    expect(y.length).toBe(vals.length);
  });
});

describe('tensor API, errors and leaks', () => {
  test('quantizeMX / dequantizeMX round trip on a tensor, no leaks', () => {
    expectNoLeaks(() => {
      const x = tf.tensor2d([
        [0.1, -2.5, 3, 448],
        [1, 2, 3, 4],
      ]);
      const m = quantizeMX(x, { format: 'mxfp8_e4m3', axis: 0, blockSize: 2 });
      const y = dequantizeMX(m);
      expect(y.shape).toEqual([2, 4]);
      expect(Array.from(y.dataSync())).toEqual([0.1015625, -2.5, 3, 448, 1, 2, 3, 4]);
      tf.dispose([x, y]);
    });
  });
  const cases: [string, () => unknown, string][] = [
    ['int32 input', () => quantizeMX(tf.tensor1d([1, 2], 'int32'), { format: 'mxint8' }), 'INVALID_DTYPE'],
    ['blockSize 0', () => quantizeMX(tf.ones([4]), { format: 'mxint8', blockSize: 0 }), 'INVALID_ARGUMENT'],
    ['blockSize 1.5', () => quantizeMX(tf.ones([4]), { format: 'mxint8', blockSize: 1.5 }), 'INVALID_ARGUMENT'],
    ['axis out of range', () => quantizeMX(tf.ones([4, 4]), { format: 'mxint8', axis: 2 }), 'INVALID_ARGUMENT'],
    ['axis -3 of rank 2', () => quantizeMX(tf.ones([4, 4]), { format: 'mxint8', axis: -3 }), 'INVALID_ARGUMENT'],
    ['unknown format', () => quantizeMX(tf.ones([4]), { format: 'mxfp3' as never }), 'INVALID_ARGUMENT'],
    ['unknown scaleMode', () => quantizeMX(tf.ones([4]), { format: 'mxint8', scaleMode: 'round' as never }), 'INVALID_ARGUMENT'],
    ['scalar input', () => quantizeMX(tf.scalar(1), { format: 'mxint8' }), 'INVALID_SHAPE'],
    ['stochastic without source', () => quantizeMX(tf.ones([4]), { format: 'mxint8', rounding: 'stochastic' }), 'INVALID_ARGUMENT'],
  ];
  for (const [name, fn, code] of cases) {
    test(`${name} → ${code}, nothing leaked`, () => {
      const before = tf.memory().numTensors;
      const err = thrownInTidy(fn);
      expect(err).toBeInstanceOf(TesseraError);
      expect((err as TesseraError).code).toBe(code);
      expect((err as TesseraError).message).toMatch(/^quantizeMX: /);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
  test('validateMX / isMXTensor reject broken objects with INVALID_FORMAT', () => {
    const m = q([1, 2, 3, 4], { format: 'mxfp6_e3m2', fp6Packing: 'unpacked' });
    expect(isMXTensor(m)).toBe(true);
    const broken: Partial<MXTensor>[] = [
      { scales: new Uint8Array(2) },
      { data: new Uint8Array(3) },
      { data: new Uint8Array(32).fill(0x40) },
      { packing: 'byte' },
      { axis: 1 },
      { format: 'mxfp9' as never },
      { byteLength: 1 },
    ];
    for (const b of broken) {
      const t = { ...m, ...b } as MXTensor;
      expect(isMXTensor(t)).toBe(false);
      expect(() => validateMX(t)).toThrow(expect.objectContaining({ code: 'INVALID_FORMAT' }));
    }
  });
});

describe('safetensors (torchao names: qdata, scale)', () => {
  test('round trip of every format, with and without a name prefix', () => {
    const vals = Float32Array.from({ length: 3 * 40 }, (_, i) => Math.sin(i) * 2 ** ((i % 9) - 4));
    for (const format of ['mxfp8_e4m3', 'mxfp8_e5m2', 'mxfp6_e3m2', 'mxfp6_e2m3', 'mxfp4_e2m1', 'mxint8'] as const) {
      for (const name of [undefined, 'layers.0.weight']) {
        const m = quantizeMXArray(vals, [3, 40], { format });
        const back = loadMX(saveMX(m, name), name);
        expect(back.format).toBe(format);
        expect(Array.from(back.data)).toEqual(Array.from(m.data));
        expect(Array.from(back.scales)).toEqual(Array.from(m.scales));
        expect(Array.from(dequantizeMXArray(back))).toEqual(Array.from(dequantizeMXArray(m)));
      }
    }
    const { tensors, metadata } = mxToSafetensors(quantizeMXArray(vals, [3, 40], { format: 'mxfp8_e4m3' }));
    expect(tensors.qdata.shape).toEqual([3, 64]);
    expect(tensors.scale.shape).toEqual([3, 2]);
    expect(tensors.scale.dtype).toBe('U8');
    expect(metadata.format).toBe('mxfp8_e4m3');
    expect(metadata.block_size).toBe('32');
  });
  test('corrupt bytes → CORRUPT_DATA; bad format metadata → INVALID_FORMAT', () => {
    const m = q([1, 2, 3, 4], { format: 'mxfp4_e2m1' });
    const bytes = saveMX(m);
    expect(() => loadMX(bytes.subarray(0, bytes.length - 3))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    expect(() => loadMX(new Uint8Array(4))).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    const c = mxToSafetensors(m);
    expect(() => mxFromSafetensors({ ...c, tensors: { qdata: c.tensors.qdata } })).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA' }),
    );
    expect(() => mxFromSafetensors({ ...c, metadata: { ...c.metadata, shape: '[5' } })).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA' }),
    );
    expect(() => mxFromSafetensors({ ...c, metadata: { ...c.metadata, shape: '[400]' } })).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA' }),
    );
    expect(() => mxFromSafetensors({ ...c, metadata: { ...c.metadata, format: 'nvfp9' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_FORMAT' }),
    );
    expect(() =>
      mxFromSafetensors({ ...c, tensors: { ...c.tensors, scale: { dtype: 'I8', shape: [1], data: new Int8Array(1) } } }),
    ).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    expect(bitsOf(1)).toBe(0x3f800000);
    expect(FP4_E2M1.maxNormal).toBe(6);
  });
});

describe('dequantizeMXArray into an existing buffer', () => {
  test('same values as a fresh array for axis −1 and axis 0; a wrong buffer is rejected', () => {
    const vals = Float32Array.from({ length: 6 * 40 }, (_, i) => Math.sin(i * 0.37) * 3);
    for (const axis of [-1, 0]) {
      const m = quantizeMXArray(vals, [6, 40], { format: 'mxfp4_e2m1', axis });
      const out = new Float32Array(240).fill(99);
      expect(dequantizeMXArray(m, out)).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(dequantizeMXArray(m)));
    }
    const m = quantizeMXArray(vals, [6, 40], { format: 'mxint8' });
    expect(() => dequantizeMXArray(m, new Float32Array(10))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('quantizeMXAsync and presets', () => {
  test('quantizeMXAsync equals quantizeMX', async () => {
    const x = tf.tensor2d([
      [1, -2, 3.3, 1e-3],
      [7, 0, -0.5, 100],
    ]);
    const a = await quantizeMXAsync(x, { format: 'mxfp6_e3m2', axis: 0, blockSize: 2 });
    const b = quantizeMX(x, { format: 'mxfp6_e3m2', axis: 0, blockSize: 2 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.scales)).toEqual(Array.from(b.scales));
    await expect(quantizeMXAsync(x, { format: 'mxfp6_e3m2', blockSize: -2 })).rejects.toThrow(/blockSize/);
    x.dispose();
  });
  test('presets: torchaoRceil (padding error, FP6 unpacked), microxcaling (ties-away)', () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => (i - 20) / 3);
    const t = quantizeMXArray(x, [2, 32], { ...MX_PRESETS.torchaoRceil, format: 'mxfp6_e2m3' });
    expect(t.packing).toBe('fp6-unpacked');
    expect(Array.from(t.scales)).toEqual([scaleByte(20 / 3, FP6_E2M3, 'rceil'), scaleByte(43 / 3, FP6_E2M3, 'rceil')]);
    expect(() => quantizeMXArray(x, [64], { ...MX_PRESETS.torchaoFloor, format: 'mxfp8_e4m3', blockSize: 48 })).toThrow(/multiple/);
    const m = quantizeMXArray(Float32Array.from([400, 448]), [2], { ...MX_PRESETS.microxcaling, format: 'mxfp8_e4m3' });
    expect(Array.from(dequantizeMXArray(m))).toEqual([416, 448]);
  });
});
