// Bad arguments throw TesseraError before anything is written: kernel memory around an output stays untouched, and
// zero-copy arrays (alloc) survive memory growth through their re-derived views.
import { TesseraError } from '@tessera/core';
import { afterAll, describe, expect, test } from 'vitest';
import {
  alloc,
  embeddingBagForward,
  gemm,
  indexAddRows,
  indexSelectRows,
  kernelBackend,
  mask24Compress,
  mxDequantize,
  mxQuantize,
  nvfp4Quantize,
  setKernelBackend,
  spmm24,
  spmm24T,
} from '../src/index.js';

afterAll(() => setKernelBackend(undefined));

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof TesseraError) return e.code;
    throw e;
  }
  return 'no error';
}

describe.each(['wasm', 'js'] as const)('%s kernels', (be) => {
  test('bad arguments → TesseraError with a stable code', () => {
    setKernelBackend(be);
    const x = new Float32Array(64);
    const d = new Uint8Array(64);
    const s = new Uint8Array(2);
    expect(code(() => mxQuantize(x, 2, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', d, s))).toBe('no error');
    expect(code(() => mxQuantize(x, 3, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', d, s))).toBe('INVALID_SHAPE');
    expect(code(() => mxQuantize(x, 2, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', d.subarray(1), s))).toBe('INVALID_SHAPE');
    expect(code(() => mxQuantize(x, 2, 32, 0, 'fp8_e4m3', 'floor', 'even', 0, 'byte', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantize(x, 2, 32, 32, 'fp9' as never, 'floor', 'even', 0, 'byte', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantize(x, 2, 32, 32, 'fp8_e4m3', 'up' as never, 'even', 0, 'byte', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantize(x, 2, 32, 32, 'fp8_e4m3', 'floor', 'stochastic' as never, 0, 'byte', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantize(x, 2, 32, 32, 'fp8_e4m3', 'floor', 'even', 8, 'byte', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantize(x, 2, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'fp4x2', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantize(x, 2.5, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => mxQuantize(new Float64Array(64) as never, 2, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', d, s))).toBe(
      'INVALID_DTYPE',
    );
    expect(code(() => mxDequantize(d, 'byte', s, 2, 32, 32, 'int8', x.subarray(2)))).toBe('INVALID_SHAPE');
    expect(code(() => nvfp4Quantize(x, 2, 32, 0, 'exact', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => nvfp4Quantize(x, 2, 32, Number.NaN, 'exact', d, s))).toBe('INVALID_ARGUMENT');
    expect(code(() => gemm(x, 4, 4, x, 4, new Float32Array(15)))).toBe('INVALID_SHAPE');
    expect(code(() => gemm(x, -1, 4, x, 4, x))).toBe('INVALID_ARGUMENT');
    expect(code(() => spmm24(new Float32Array(2), new Int32Array([0, 4]), 1, 4, x, 1, x))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => spmm24T(new Float32Array(2), new Int32Array([-1, 2]), 1, 4, x, 1, x))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => spmm24(new Float32Array(2), new Int32Array([0, 1]), 1, 6, x, 1, x))).toBe('INVALID_ARGUMENT');
    expect(code(() => mask24Compress(x, 1, 6, 'magnitude', null, null, null))).toBe('INVALID_ARGUMENT');
    expect(code(() => mask24Compress(x, 1, 8, 'magnitude', null, new Float32Array(4), null))).toBe('INVALID_ARGUMENT');
    const T = new Float32Array(8);
    const off = new Int32Array([0, 2]);
    expect(code(() => embeddingBagForward(T, 4, 2, new Int32Array([0, 4]), off, null, 1, 'sum', null, x, 2, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => embeddingBagForward(T, 4, 2, new Int32Array([0, 1]), new Int32Array([0, 3]), null, 1, 'sum', null, x, 2, 0))).toBe(
      'INVALID_SHAPE',
    );
    expect(code(() => embeddingBagForward(T, 4, 2, new Int32Array([0, 1]), new Int32Array([-1, 2]), null, 1, 'sum', null, x, 2, 0))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(code(() => embeddingBagForward(T, 4, 2, new Int32Array([0, 1]), off, null, 1, 'max' as never, null, x, 2, 0))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(code(() => embeddingBagForward(T, 4, 2, new Int32Array([0, 1]), off, null, 1, 'sum', new Int32Array([40]), x, 2, 0))).toBe(
      'INDEX_OUT_OF_RANGE',
    );
    expect(code(() => embeddingBagForward(T, 4, 2, new Int32Array([0, 1]), off, null, 1, 'sum', null, x, 2, 1))).toBe('INVALID_ARGUMENT');
    const I = new Int32Array([0, 1]);
    expect(code(() => indexSelectRows(T, 4, 2, 0, 2, new Int32Array([0, 4]), 2, x, 2, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => indexSelectRows(T, 4, 2, 1, 2, I, 2, x, 2, 0))).toBe('INVALID_ARGUMENT');
    expect(code(() => indexSelectRows(T, 5, 2, 0, 2, I, 2, x, 2, 0))).toBe('INVALID_SHAPE');
    expect(code(() => indexSelectRows(T, 4, 2, 0, 2, I, 3, x, 2, 0))).toBe('INVALID_SHAPE');
    expect(code(() => indexSelectRows(T, 4, 2, 0, 2, I, 2, new Float32Array(3), 2, 0))).toBe('INVALID_SHAPE');
    expect(code(() => indexAddRows(T, 2, 0, 2, new Int32Array([0, -2]), 2, x, 4, 2, 0))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => indexAddRows(T, 2, 0, 2, I, 2, new Float32Array(3), 2, 2, 0))).toBe('INVALID_SHAPE');
    expect(code(() => indexAddRows(T, 2, 0, 2, I, 2.5, x, 2, 2, 0))).toBe('INVALID_ARGUMENT');
    expect(code(() => indexAddRows(T, 2, 0, 2, I, 2, x, 2, 2, 1))).toBe('INVALID_ARGUMENT');
  });

  test('a rejected row gather or scatter-add writes nothing into kernel memory', () => {
    setKernelBackend(be);
    const block = alloc(Float32Array, 24);
    block.array.fill(-3);
    const inner = block.array.subarray(8, 15); // one float short of 2 rows of 4
    const src = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(code(() => indexSelectRows(src, 2, 4, 0, 4, new Int32Array([1, 0]), 2, inner, 4, 0))).toBe('INVALID_SHAPE');
    expect(code(() => indexAddRows(src, 4, 0, 4, new Int32Array([1, 2]), 2, block.array.subarray(8, 16), 2, 4, 0))).toBe(
      'INDEX_OUT_OF_RANGE',
    );
    expect(block.array.every((v) => v === -3)).toBe(true);
    indexSelectRows(src, 2, 4, 0, 4, new Int32Array([1, 0]), 2, block.array.subarray(8, 16), 4, 0);
    expect(Array.from(block.array.subarray(8, 16))).toEqual([5, 6, 7, 8, 1, 2, 3, 4]);
    expect(block.array.subarray(0, 8).every((v) => v === -3) && block.array.subarray(16).every((v) => v === -3)).toBe(true);
    block.free();
  });

  test('a rejected call writes nothing: the kernel memory around a too-short output is untouched', () => {
    setKernelBackend(be);
    const block = alloc(Uint8Array, 96);
    block.array.fill(0xcd);
    const inner = block.array.subarray(32, 63); // one byte short of 32 codes
    const src = alloc(Float32Array, 32);
    src.array.fill(3);
    const scales = new Uint8Array(1);
    expect(code(() => mxQuantize(src.array, 1, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', inner, scales))).toBe('INVALID_SHAPE');
    expect(block.array.every((v) => v === 0xcd)).toBe(true);
    // the same output one byte longer is written in place, and only there
    mxQuantize(src.array, 1, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', block.array.subarray(32, 64), scales);
    expect(block.array.subarray(0, 32).every((v) => v === 0xcd)).toBe(true);
    expect(block.array.subarray(64).every((v) => v === 0xcd)).toBe(true);
    expect(block.array.subarray(32, 64).every((v) => v === block.array[32] && v !== 0xcd)).toBe(true);
    block.free();
    src.free();
  });

  test('alloc: zero-copy arrays keep their contents across memory growth', () => {
    setKernelBackend(be);
    const a = alloc(Float32Array, 1000);
    a.array.fill(1.25);
    const big = alloc(Float32Array, 4 << 20); // 16 MiB: grows the memory
    expect(a.array.length).toBe(1000);
    expect(a.array[999]).toBe(1.25);
    const data = alloc(Uint8Array, 1024); // 32 blocks of 32 codes (the last one padded)
    const scales = new Uint8Array(Math.ceil(1000 / 32));
    mxQuantize(a.array, 1, 1000, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', data.array, scales);
    const out = new Float32Array(1000);
    mxDequantize(data.array, 'byte', scales, 1, 1000, 32, 'fp8_e4m3', out);
    expect(out.every((v) => v === 1.25)).toBe(true);
    big.free();
    a.free();
    data.free();
    expect(code(() => a.array)).toBe('INVALID_ARGUMENT');
    expect(kernelBackend()).toBe(be);
  });
});
