import * as tf from '@tensorflow/tfjs-core';
import { float16BitsToFloat32 } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { loadGolden } from '../test/golden.js';
import { compress24, decompress24, decompress24Raw } from './compress.js';
import { cutlassMetaOffsets } from './cutlass-meta.js';
import { loadSparse24, saveSparse24, sparse24FromSafetensors, sparse24ToSafetensors } from './io.js';
import { validateSparse24 } from './sparse24-tensor.js';

describe('compress24 CUTLASS layout: golden PyTorch packed/meta, bit for bit', () => {
  for (const g of loadGolden()) {
    for (const c of g.cutlass) {
      it(`${g.file} ${c.name}`, () => {
        const dense = { dtype: 'float16' as const, shape: [c.m, c.k] as const, data: Uint16Array.from(c.dense_f16_bits) };
        const s = compress24(dense, { layout: 'cutlass' });
        expect(s.metaShape).toEqual(c.meta_shape);
        expect(Array.from(s.values)).toEqual(c.packed_f16_bits);
        expect(s.packed).toBe(s.values); // PyTorch's name for the same array
        expect(Array.from(s.meta)).toEqual(c.meta_int16);
        expect(Array.from(new Uint16Array((s.meta as Int16Array).buffer))).toEqual(c.meta_uint16);
        // a plain float32 tf tensor of the same values (tfjs has no float16) gives the same bytes by default
        const asTensor = tf.tensor2d(float16BitsToFloat32(Uint16Array.from(c.dense_f16_bits)), [c.m, c.k]);
        const st = compress24(asTensor, { layout: 'cutlass' });
        asTensor.dispose();
        expect(st.dtype).toBe('float16');
        expect(Array.from(st.values)).toEqual(c.packed_f16_bits);
        expect(Array.from(st.meta)).toEqual(c.meta_int16);
        // to_dense gives the input back (PyTorch's to_dense_roundtrip_equal)
        expect(Array.from(decompress24Raw(s).data)).toEqual(c.dense_f16_bits.map((b) => ((b & 0x7fff) === 0 ? 0 : b)));
        // and the golden packed/meta decode to the same dense matrix
        const fromGolden = sparse24FromSafetensors({
          tensors: {
            packed: { dtype: 'F16', shape: [c.m, c.k / 2], data: Uint16Array.from(c.packed_f16_bits) },
            meta: { dtype: 'I16', shape: c.meta_shape, data: Int16Array.from(c.meta_int16) },
          },
          metadata: {},
        });
        expect(Array.from(decompress24Raw(fromGolden).data)).toEqual(Array.from(decompress24Raw(s).data));
      });
    }
  }
});

describe('CUTLASS metadata reorder', () => {
  const inverse = (m: number, cols: number, kind: 'int16' | 'int32') => {
    const off = cutlassMetaOffsets(m, cols, kind);
    const src: string[] = new Array(off.length);
    for (let i = 0; i < off.length; i++) src[off[i]] = `(${Math.floor(i / cols)},${i % cols})`;
    return src;
  };
  it('int16, m=32, C=4', () => {
    const src = inverse(32, 4, 'int16');
    expect(src.slice(0, 16).join('')).toBe('(0,0)(8,0)(0,1)(8,1)(16,0)(24,0)(16,1)(24,1)(1,0)(9,0)(1,1)(9,1)(17,0)(25,0)(17,1)(25,1)');
    expect(src.slice(64, 68).join('')).toBe('(0,2)(8,2)(0,3)(8,3)');
  });
  it('int32, m=32, C=4', () => {
    const src = inverse(32, 4, 'int32');
    expect(src.slice(0, 16).join('')).toBe('(0,0)(8,0)(0,1)(8,1)(1,0)(9,0)(1,1)(9,1)(2,0)(10,0)(2,1)(10,1)(3,0)(11,0)(3,1)(11,1)');
  });
  it('is a permutation', () => {
    for (const [m, c, kind] of [
      [64, 8, 'int16'],
      [48, 6, 'int32'],
    ] as const) {
      const off = cutlassMetaOffsets(m, c, kind);
      expect(new Set(off).size).toBe(m * c);
      expect(Math.max(...off)).toBe(m * c - 1);
    }
  });
});

describe('compress24 CUTLASS: sanity vectors', () => {
  it('128x128 float16 of repeated [0,0,1,1]: values all ones, meta all -4370 (0xEEEE)', () => {
    expectNoLeaks(() => {
      const x = tf.tensor2d(
        Float32Array.from({ length: 128 * 128 }, (_, i) => (i % 4 < 2 ? 0 : 1)),
        [128, 128],
      ); // [0, 0, 1, 1] tiled, host values
      const s = compress24(x, { layout: 'cutlass', dtype: 'float16' });
      expect(s.values.every((v) => v === 0x3c00)).toBe(true);
      expect(s.meta.length).toBe(128 * 8);
      expect(s.meta.every((v) => v === -4370)).toBe(true);
      x.dispose();
    });
  });
  it('the xformers row example: 0110 1100 1001 0110 packs to 1|2<<2|0<<4|1<<6|0<<8|3<<10|1<<12|2<<14', () => {
    const row = [0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0];
    const data = new Float32Array(32 * 64);
    for (let r = 0; r < 32; r++) for (let c = 0; c < 64; c++) data[r * 64 + c] = row[c % 16];
    const s = compress24(
      { dtype: 'float16', shape: [32, 64], data: new Uint16Array(data.length).map((_, i) => (data[i] ? 0x3c00 : 0)) },
      { layout: 'cutlass' },
    );
    const want = ((1 | (2 << 2) | (0 << 4) | (1 << 6) | (0 << 8) | (3 << 10) | (1 << 12) | (2 << 14)) << 16) >> 16;
    expect(s.meta[0]).toBe(want);
    expect(s.meta.every((v) => v === want)).toBe(true);
  });
  it('int8 uses int32 meta words (8 nibbles); float32 is 1:2 with codes 4 / 14 only', () => {
    const i8 = new Int8Array(16 * 128);
    for (let i = 0; i < i8.length; i += 4) i8[i + 3] = -7; // code 14 in every group
    const s8 = compress24({ dtype: 'int8', shape: [16, 128], data: i8 }, { layout: 'cutlass' });
    expect(s8.meta).toBeInstanceOf(Int32Array);
    expect(s8.metaShape).toEqual([16, 4]);
    expect(s8.meta.every((v) => v === (0xeeeeeeee | 0))).toBe(true);
    const f = new Float32Array(32 * 32);
    for (let i = 0; i < f.length; i += 2) f[i + (i % 4 === 0 ? 1 : 0)] = i + 1;
    const s32 = compress24({ dtype: 'float32', shape: [32, 32], data: f }, { layout: 'cutlass' });
    expect(s32.values.length).toBe(32 * 16);
    expect(s32.metaShape).toEqual([32, 4]);
    expect(Array.from(decompress24Raw(s32).data)).toEqual(Array.from(f));
    // nibble per pair: pair 0 keeps col 1 (14), pair 1 keeps col 2 (4), as halves
    expect((s32.meta[0] & 0xff) >>> 0).toBe(14 | (4 << 4));
  });
});

describe('compress24 degenerate groups and pruning', () => {
  it('the current PyTorch codes of degenerate masks', () => {
    const table: [string, number][] = [
      ['0000', 14],
      ['0001', 14],
      ['0010', 14],
      ['1000', 8],
      ['1010', 8],
      ['0100', 9],
      ['0110', 9],
      ['1001', 12],
      ['1011', 12],
      ['0101', 13],
      ['0111', 13],
      ['1100', 4],
      ['1101', 4],
      ['1110', 4],
      ['1111', 4],
    ];
    for (const [mask, nib] of table) {
      const data = new Uint16Array(32 * 64);
      for (let r = 0; r < 32; r++) for (let c = 0; c < 4; c++) if (mask[c] === '1') data[r * 64 + c] = 0x3c00 + c;
      const s = compress24({ dtype: 'float16', shape: [32, 64], data }, { layout: 'cutlass', prune: 'position' });
      expect(s.meta[0] & 15, mask).toBe(nib);
    }
  });
  it("prune: 'none' rejects groups with 3 non-zeros; 'magnitude' keeps the top 2", () => {
    expectNoLeaks(() => {
      const x = tf.tensor2d([[1, -5, 3, 0, 0, 0, 0, 0]]);
      expect(() => compress24(x)).toThrow(/compress24: x must be 2:4 sparse.*got 3 non-zeros at row 0, columns 0..3/);
      const s = compress24(x, { prune: 'magnitude' });
      const y = decompress24(s);
      expect(Array.from(y.dataSync())).toEqual([0, -5, 3, 0, 0, 0, 0, 0]);
      const v = decompress24(compress24(x, { prune: 'value' }));
      expect(Array.from(v.dataSync())).toEqual([1, 0, 3, 0, 0, 0, 0, 0]);
      tf.dispose([x, y, v]);
    });
  });
  it('simple layout: short groups fill the smallest unused index; odd k/4 leaves the high nibble 0', () => {
    expectNoLeaks(() => {
      const x = tf.tensor2d([[0, 0, 7, 0, 0, 0, 0, 0, 5, 0, 0, 6]]);
      const s = compress24(x);
      expect(Array.from(s.values)).toEqual([0, 7, 0, 0, 5, 6]);
      expect(Array.from(s.meta)).toEqual([8 | (4 << 4), 12]);
      validateSparse24(s);
      x.dispose();
    });
  });
});

describe('compress24 shape and dtype rules', () => {
  it('gives clear errors', () => {
    expectNoLeaks(() => {
      const a = tf.zeros([16, 64]);
      expect(() => compress24(a, { layout: 'cutlass', dtype: 'float32' })).toThrow(
        /compress24: the CUTLASS layout for float32 needs rows a multiple of 32 and columns a multiple of 32, got \[16, 64\]/,
      );
      expect(() => compress24(a, { layout: 'cutlass', dtype: 'float16' })).toThrow(/multiple of 32 and columns a multiple of 64/);
      expect(() => compress24(a, { layout: 'cutlass' })).toThrow(/CUTLASS layout for float16 needs/); // the default for float32 tensors
      const b = tf.zeros([16, 64], 'int32');
      expect(() => compress24(b, { layout: 'cutlass' })).toThrow(/int8 needs rows a multiple of 16 and columns a multiple of 128/);
      const c = tf.zeros([2, 6]);
      expect(() => compress24(c)).toThrow(expect.objectContaining({ code: 'INVALID_SHAPE' }));
      const d = tf.tensor2d([[300, 300, 300, 300]], [1, 4], 'int32'); // values on the host: readable on every backend
      expect(() => compress24(d)).toThrow(/int8 values must lie in \[-128, 127\], got 300/);
      expect(() => compress24(a, { layout: 'csr' as never })).toThrow(/options.layout must be one of/);
      const f32pair = tf.tensor2d(
        Float32Array.from({ length: 32 * 32 }, (_, i) => (i % 4 < 2 ? 1 : 0)),
        [32, 32],
      ); // [1, 1, 0, 0] tiled
      expect(() => compress24(f32pair, { layout: 'cutlass', dtype: 'float32' })).toThrow(/float32 CUTLASS storage is 1:2/);
      tf.dispose([a, b, c, d, f32pair]);
    });
  });
});

describe('safetensors I/O with PyTorch names', () => {
  it('round-trips every layout and dtype, and rejects corrupt contents', () => {
    const f16 = new Uint16Array(32 * 64);
    for (let i = 0; i < f16.length; i += 4) f16[i + 1] = 0x4000 + i;
    for (const layout of ['simple', 'cutlass'] as const) {
      const s = compress24({ dtype: 'float16', shape: [32, 64], data: f16 }, { layout });
      const bytes = saveSparse24(s, { prefix: 'w.' });
      const back = loadSparse24(bytes, { prefix: 'w.' });
      expect(back.layout).toBe(layout);
      expect(Array.from(back.values)).toEqual(Array.from(s.values));
      expect(Array.from(back.meta)).toEqual(Array.from(s.meta));
      const st = sparse24ToSafetensors(s);
      expect(Object.keys(st.tensors).sort()).toEqual(['meta', 'packed']);
      expect(st.tensors.meta.dtype).toBe(layout === 'simple' ? 'U8' : 'I16');
    }
    const s = compress24({ dtype: 'float16', shape: [32, 64], data: f16 }, { layout: 'cutlass' });
    const st = sparse24ToSafetensors(s);
    const badMeta = {
      ...st,
      tensors: { ...st.tensors, meta: { dtype: 'I16' as const, shape: [32, 4], data: new Int16Array(128).fill(0x1111) } },
    };
    expect(() => sparse24FromSafetensors(badMeta)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    expect(() => sparse24FromSafetensors({ tensors: {}, metadata: {} })).toThrow(/'packed' and 'meta' are required/);
  });
});
