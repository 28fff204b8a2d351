// The WebAssembly MX and NVFP4 kernels against their JavaScript twins, bit for bit, over every format, scale mode,
// rounding, flag, packing and block size, on inputs built from the hard cases (ties, subnormals, ±0, NaN/Inf blocks,
// ragged row lengths). The JavaScript kernels are checked against @tessera/mx-formats' own kernels and golden sets in
// that package's tests.
import { fc, test } from '@fast-check/vitest';
import { afterAll, expect } from 'vitest';
import {
  MX_ELEMENT_FORMATS,
  MX_ROUNDINGS,
  MX_SCALE_MODES,
  type MXKernelPacking,
  mxDequantize,
  mxQuantize,
  nvfp4Dequantize,
  nvfp4Quantize,
  setKernelBackend,
} from '../src/index.js';
import { hardFloat32Arb, sameBits } from './bits.js';

afterAll(() => setKernelBackend(undefined));

function packingsOf(f: string): MXKernelPacking[] {
  return f === 'fp4_e2m1' ? ['byte', 'fp4x2', 'fp6x4in3'] : f.startsWith('fp6') ? ['byte', 'fp6x4in3'] : ['byte'];
}

function bytesOf(pk: MXKernelPacking, n: number): number {
  return pk === 'fp4x2' ? Math.ceil(n / 2) : pk === 'fp6x4in3' ? Math.ceil((n * 6) / 8) : n;
}

test.prop(
  [
    hardFloat32Arb(),
    fc.constantFrom(...MX_ELEMENT_FORMATS),
    fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 16, 32, 33, 48),
    fc.constantFrom(...MX_SCALE_MODES),
    fc.constantFrom(...MX_ROUNDINGS),
    fc.integer({ min: 0, max: 7 }),
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 1, max: 3 }),
  ],
  { numRuns: 400 },
)('mxQuantize / mxDequantize: wasm = JavaScript bit for bit', (x, format, k, mode, rounding, flags, pi, r) => {
  const rows = Math.min(r, x.length);
  const pks = packingsOf(format);
  const pk = pks[pi % pks.length];
  const L = Math.max(1, Math.floor(x.length / rows));
  const src = x.subarray(0, rows * L);
  const nB = Math.ceil(L / k);
  const res = (['wasm', 'js'] as const).map((be) => {
    setKernelBackend(be);
    const data = new Uint8Array(bytesOf(pk, rows * nB * k)).fill(0x5a);
    const scales = new Uint8Array(rows * nB);
    mxQuantize(src, rows, L, k, format, mode, rounding, flags, pk, data, scales);
    const out = new Float32Array(rows * L);
    mxDequantize(data, pk, scales, rows, L, k, format, out);
    return { data, scales, out };
  });
  expect(res[0].scales).toEqual(res[1].scales);
  expect(res[0].data).toEqual(res[1].data);
  expect(sameBits(res[0].out, res[1].out)).toBe(true);
});

test.prop(
  [
    fc.uint8Array({ minLength: 1, maxLength: 200 }),
    fc.constantFrom(...MX_ELEMENT_FORMATS),
    fc.constantFrom(1, 4, 6, 32),
    fc.integer({ min: 0, max: 2 }),
  ],
  {
    numRuns: 200,
  },
)('mxDequantize of arbitrary bytes (NaN codes, 0xFF scales): wasm = JavaScript', (bytes, format, k, pi) => {
  const pks = packingsOf(format);
  const pk = pks[pi % pks.length];
  const L = Math.max(1, Math.min(40, bytes.length));
  const nB = Math.ceil(L / k);
  const data = new Uint8Array(bytesOf(pk, nB * k));
  for (let i = 0; i < data.length; i++) data[i] = bytes[i % bytes.length] & (pk === 'byte' && format.startsWith('fp6') ? 63 : 255);
  const scales = new Uint8Array(nB).map((_, i) => bytes[(i * 7) % bytes.length]);
  const outs = (['wasm', 'js'] as const).map((be) => {
    setKernelBackend(be);
    const out = new Float32Array(L);
    mxDequantize(data, pk, scales, 1, L, k, format, out);
    return out;
  });
  expect(sameBits(outs[0], outs[1])).toBe(true);
});

test.prop(
  [
    hardFloat32Arb(80),
    fc.constantFrom('exact' as const, 'float32' as const),
    fc.constantFrom(1, 0.37, 2 ** -20, 3e5),
    fc.integer({ min: 1, max: 3 }),
  ],
  { numRuns: 300 },
)('nvfp4Quantize / nvfp4Dequantize: wasm = JavaScript bit for bit', (x, arithmetic, st, r) => {
  const rows = Math.min(r, x.length);
  const L = Math.max(1, Math.floor(x.length / rows));
  const src = x.subarray(0, rows * L);
  const nB = Math.ceil(L / 16);
  const res = (['wasm', 'js'] as const).map((be) => {
    setKernelBackend(be);
    const data = new Uint8Array(rows * nB * 8).fill(0x5a);
    const scales = new Uint8Array(rows * nB);
    nvfp4Quantize(src, rows, L, st, arithmetic, data, scales);
    const out = new Float32Array(rows * L);
    nvfp4Dequantize(data, scales, rows, L, st, out);
    return { data, scales, out };
  });
  expect(res[0].scales).toEqual(res[1].scales);
  expect(res[0].data).toEqual(res[1].data);
  expect(sameBits(res[0].out, res[1].out)).toBe(true);
});
