// Long rows are copied into kernel memory in runs of whole blocks, short rows in groups: the result must not depend
// on how a call is split (plain arrays, kernel-memory arrays and the JavaScript kernels give the same bits).
import { afterAll, expect, test } from 'vitest';
import { alloc, type MXKernelPacking, mxDequantize, mxQuantize, nvfp4Dequantize, nvfp4Quantize, setKernelBackend } from '../src/index.js';
import { CHUNK } from '../src/mx.js';
import { sameBits } from './bits.js';

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

afterAll(() => setKernelBackend(undefined));

const cases: [string, MXKernelPacking, number, number, number][] = [
  ['fp8_e4m3', 'byte', 32, 1, 2 * CHUNK + 37],
  ['fp4_e2m1', 'fp4x2', 32, 2, CHUNK + 70],
  ['fp6_e2m3', 'fp6x4in3', 5, 1, CHUNK + 3], // irregular packing: one call
  ['int8', 'byte', 7, 9, Math.ceil(CHUNK / 7)], // rows grouped
];

test.each(cases)('%s %s k=%i: %i × %i split into spans = one call = JavaScript', (f, pk, k, rows, L) => {
  const n = rows * L;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) * 2 ** ((i % 13) - 6);
  const nB = Math.ceil(L / k);
  const codes = rows * nB * k;
  const bytes = pk === 'fp4x2' ? Math.ceil(codes / 2) : pk === 'fp6x4in3' ? Math.ceil((codes * 6) / 8) : codes;
  const run = (be: 'wasm' | 'js', inKernel: boolean) => {
    setKernelBackend(be);
    const src = inKernel ? alloc(Float32Array, n) : null;
    src?.array.set(x);
    const data = new Uint8Array(bytes);
    const scales = new Uint8Array(rows * nB);
    mxQuantize(src ? src.array : x, rows, L, k, f as 'int8', 'floor', 'even', 0, pk, data, scales);
    const out = new Float32Array(n);
    mxDequantize(data, pk, scales, rows, L, k, f as 'int8', out);
    src?.free();
    return { data, scales, out };
  };
  const a = run('wasm', false);
  const b = run('wasm', true);
  const c = run('js', false);
  for (const r of [b, c]) {
    expect(same(r.scales, a.scales)).toBe(true);
    expect(same(r.data, a.data)).toBe(true);
    expect(sameBits(r.out, a.out)).toBe(true);
  }
});

test('NVFP4 long rows split into spans = JavaScript', () => {
  const L = CHUNK * 2 + 21;
  const x = new Float32Array(L).map((_, i) => Math.cos(i * 0.11) * 40);
  const res = (['wasm', 'js'] as const).map((be) => {
    setKernelBackend(be);
    const data = new Uint8Array(Math.ceil(L / 16) * 8);
    const scales = new Uint8Array(Math.ceil(L / 16));
    nvfp4Quantize(x, 1, L, 0.5, 'exact', data, scales);
    const out = new Float32Array(L);
    nvfp4Dequantize(data, scales, 1, L, 0.5, out);
    return { data, scales, out };
  });
  expect(same(res[0].data, res[1].data)).toBe(true);
  expect(same(res[0].scales, res[1].scales)).toBe(true);
  expect(sameBits(res[0].out, res[1].out)).toBe(true);
});

test('zero-copy MX and NVFP4 calls reserve no kernel memory for the arrays already there', () => {
  setKernelBackend('wasm');
  const n = 2 ** 23; // 32 MiB of input: more than any free space earlier tests left behind
  const x = alloc(Float32Array, n);
  const data = alloc(Uint8Array, n);
  const scales = alloc(Uint8Array, n / 16);
  const out = alloc(Float32Array, n);
  try {
    x.array.fill(1.5);
    const before = x.array.buffer.byteLength;
    mxQuantize(x.array, 1, n, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', data.array, scales.array);
    mxDequantize(data.array, 'byte', scales.array, 1, n, 32, 'fp8_e4m3', out.array);
    expect(out.array[n - 1]).toBe(1.5);
    nvfp4Quantize(x.array, 1, n, 1, 'exact', data.array, scales.array);
    nvfp4Dequantize(data.array, scales.array, 1, n, 1, out.array);
    expect(out.array[n - 1]).toBe(1.5);
    expect(x.array.buffer.byteLength - before).toBeLessThan(1 << 20);
  } finally {
    for (const a of [x, data, scales, out]) a.free();
  }
});
