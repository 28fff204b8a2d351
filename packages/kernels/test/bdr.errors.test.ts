// Bad arguments to the BDR kernels throw TesseraError before anything is written, and a call whose fields end at
// the end of a kernel-memory block writes nothing past it (the SIMD kernel stores 8 bytes at a time inside a
// stream and byte by byte at its end).
import { TesseraError } from '@tessera/core';
import { afterAll, describe, expect, test } from 'vitest';
import { alloc, bdrDequantize, bdrQuantize, setKernelBackend } from '../src/index.js';

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
    const e = new Uint8Array(4);
    const s = new Uint8Array(4);
    const c = new Uint8Array(64);
    const q = (...a: unknown[]) => code(() => (bdrQuantize as (...b: unknown[]) => number)(...a));
    const d = (...a: unknown[]) => code(() => (bdrDequantize as (...b: unknown[]) => void)(...a));
    expect(q(x, 4, 16, 16, 8, 2, 1, 7, 'even', e, s, c)).toBe('no error');
    expect(q(x, 5, 16, 16, 8, 2, 1, 7, 'even', e, s, c)).toBe('INVALID_SHAPE');
    expect(q(x, 4, 16, 16, 8, 2, 1, 7, 'even', e, s, c.subarray(1))).toBe('INVALID_SHAPE');
    expect(q(x, 4, 16, 16, 8, 2, 1, 7, 'even', e.subarray(1), s, c)).toBe('INVALID_SHAPE');
    expect(q(x, 4, 16, 16, 8, 2, 1, 7, 'even', e, s.subarray(1), c)).toBe('INVALID_SHAPE');
    expect(q(x, 4, 16, 0, 8, 2, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 65537, 8, 1, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 16, 9, 2, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 16, 8, 3, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 16, 8, 32, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 16, 8, 2, 5, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 16, 8, 2, 1, 0, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 16, 8, 2, 1, 24, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 4, 16, 16, 8, 2, 1, 7, 'stochastic', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, 2.5, 16, 16, 8, 2, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(x, -1, 16, 16, 8, 2, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(q(new Float64Array(64), 4, 16, 16, 8, 2, 1, 7, 'even', e, s, c)).toBe('INVALID_DTYPE');
    expect(q(x, 4, 16, 16, 8, 2, 1, 7, 'even', new Uint16Array(4), s, c)).toBe('INVALID_DTYPE');
    expect(q(x, 2 ** 16, 2 ** 15, 16, 8, 2, 1, 7, 'even', e, s, c)).toBe('INVALID_ARGUMENT');
    expect(d(e, s, c, 4, 16, 16, 8, 2, 1, 7, new Float32Array(63))).toBe('INVALID_SHAPE');
    expect(d(e, s, c.subarray(2), 4, 16, 16, 8, 2, 1, 7, x)).toBe('INVALID_SHAPE');
    expect(d(e, s, c, 4, 16, 16, 8, 2, 1, 7, [0])).toBe('INVALID_DTYPE');
    expect(d(e, s, c, 4, 16, 16, 0, 2, 1, 7, x)).toBe('INVALID_ARGUMENT');
    // empty calls are fine with empty arrays (no rows: no blocks, however long a row would be)
    expect(q(new Float32Array(0), 0, 1e9, 16, 8, 2, 1, 7, 'even', new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).toBe(
      'no error',
    );
    expect(q(new Float32Array(0), 0, 16, 16, 8, 2, 1, 7, 'even', new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).toBe('no error');
  });

  test('a rejected call writes nothing; an accepted one writes only inside its arrays', () => {
    setKernelBackend(be);
    // MX6 (5-bit codes), 3 rows of 37 values: 3 padded blocks of 16 per row, 9 blocks → 90 mantissa bytes
    const f = [16, 8, 2, 1, 4] as const;
    const rows = 3;
    const L = 37;
    const nc = 90;
    const block = alloc(Uint8Array, nc + 64);
    block.array.fill(0xcd);
    const src = alloc(Float32Array, rows * L);
    src.array.set(Array.from({ length: rows * L }, (_, i) => Math.sin(i) * 5));
    const e = new Uint8Array(9);
    const s = new Uint8Array(9);
    const short = block.array.subarray(32, 32 + nc - 1);
    expect(code(() => bdrQuantize(src.array, rows, L, ...f, 'even', e, s, short))).toBe('INVALID_SHAPE');
    expect(block.array.every((v) => v === 0xcd)).toBe(true);
    expect(bdrQuantize(src.array, rows, L, ...f, 'even', e, s, block.array.subarray(32, 32 + nc))).toBe(-1);
    expect(block.array.subarray(0, 32).every((v) => v === 0xcd)).toBe(true);
    expect(block.array.subarray(32 + nc).every((v) => v === 0xcd)).toBe(true);
    // decoding into an exact-size output inside a block leaves its neighbours alone too
    const outBlock = alloc(Float32Array, rows * L + 16);
    outBlock.array.fill(-7);
    bdrDequantize(e, s, block.array.subarray(32, 32 + nc), rows, L, ...f, outBlock.array.subarray(8, 8 + rows * L));
    expect(outBlock.array.subarray(0, 8).every((v) => v === -7)).toBe(true);
    expect(outBlock.array.subarray(8 + rows * L).every((v) => v === -7)).toBe(true);
    expect(Math.abs(outBlock.array[8 + 1] - src.array[1])).toBeLessThan(0.5);
    for (const a of [block, src, outBlock]) a.free();
  });
});
