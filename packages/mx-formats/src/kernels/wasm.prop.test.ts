// The default kernels (WebAssembly SIMD, @tessera/kernels) against this package's JavaScript kernels, bit for bit:
// every format, scale mode, rounding, subnormal option, bf16 inputs, packing and block size, on inputs biased to the
// hard cases (ties, FP32 subnormals, tiny scales, ±0, NaN/Inf blocks) with ragged rows; NVFP4 in both arithmetics
// and tensor-scale modes. The golden sets run through the default path in test/golden-quantize.test.ts (and through
// the JavaScript kernels when CI sets TESSERA_KERNELS=js).
import { fc, test } from '@fast-check/vitest';
import { kernelBackend } from '@tessera/kernels';
import { expect } from 'vitest';
import { packingOf } from '../mx-tensor.js';
import { MX_FORMATS, resolveMXOptions } from '../options.js';
import { SCALE_MODES } from '../scale.js';
import {
  dequantizeRows,
  dequantizeRowsJs,
  nvfp4DequantizeRows,
  nvfp4DequantizeRowsJs,
  nvfp4QuantizeRows,
  nvfp4QuantizeRowsJs,
  quantizeRows,
  quantizeRowsJs,
} from './index.js';

const shortArb = fc
  .tuple(
    fc.integer({ min: 100, max: 135 }),
    fc.oneof(fc.constantFrom(0, 8, 16, 24), fc.integer({ min: 0, max: 31 })),
    fc.constantFrom(0, 0, 1),
  )
  .map(([e, m, low]) => ((e << 23) | (m << 18) | low) >>> 0);
const bitsArb = fc.oneof(
  { weight: 12, arbitrary: shortArb },
  { weight: 3, arbitrary: fc.integer({ min: 0x3c000000, max: 0x41000000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x7fffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x007fffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x00800000, max: 0x02000000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0x3f900000, 0x3e800000, 0x40a00000, 0x7f7fffff, 0x7f800000, 0x7fc00000) },
);
const valuesArb = fc
  .integer({ min: 1, max: 96 })
  .chain((n) => fc.array(fc.tuple(bitsArb, fc.boolean()), { minLength: n, maxLength: n }))
  .map((v) => new Float32Array(new Uint32Array(v.map(([b, neg]) => (neg ? (b | 0x80000000) >>> 0 : b))).buffer));

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('the default kernels are the WebAssembly ones unless TESSERA_KERNELS=js', () => {
  expect(kernelBackend()).toBe(process.env.TESSERA_KERNELS === 'js' ? 'js' : 'wasm');
});

test.prop(
  [
    valuesArb,
    fc.constantFrom(...MX_FORMATS),
    fc.constantFrom(1, 2, 3, 4, 5, 8, 16, 32),
    fc.constantFrom(...SCALE_MODES),
    fc.constantFrom('even' as const, 'nearest' as const, 'floor' as const),
    fc.constantFrom('keep' as const, 'flush-elements' as const, 'flush-block' as const),
    fc.constantFrom('float32' as const, 'bfloat16' as const),
    fc.constantFrom('packed' as const, 'unpacked' as const),
    fc.integer({ min: 1, max: 3 }),
  ],
  { numRuns: 500 },
)(
  'quantizeRows / dequantizeRows (default kernels) = the JavaScript kernels bit for bit',
  (x, format, blockSize, scaleMode, rounding, subnormals, inputPrecision, fp6Packing, r) => {
    const rows = Math.min(r, x.length);
    const L = Math.floor(x.length / rows);
    const src = x.subarray(0, rows * L);
    const o = resolveMXOptions({ format, blockSize, scaleMode, rounding, subnormals, inputPrecision, fp6Packing }, 1, 'test');
    const packing = packingOf(format, fp6Packing);
    const got = quantizeRows(src, rows, L, o, packing);
    const want = quantizeRowsJs(src, rows, L, o, packing);
    expect(Array.from(got.scales)).toEqual(Array.from(want.scales));
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    const a = dequantizeRows(got.data, packing, got.scales, rows, L, blockSize, o.element, new Float32Array(rows * L));
    const b = dequantizeRowsJs(want.data, packing, want.scales, rows, L, blockSize, o.element, new Float32Array(rows * L));
    expect(bits(a)).toEqual(bits(b));
  },
);

test.prop([valuesArb, fc.boolean(), fc.constantFrom(1, 0.37, 2 ** -20, 3e5), fc.integer({ min: 1, max: 3 })], { numRuns: 300 })(
  'NVFP4 rows (default kernels) = the JavaScript kernels bit for bit',
  (x, float32, st, r) => {
    const rows = Math.min(r, x.length);
    const L = Math.floor(x.length / rows);
    const src = x.subarray(0, rows * L);
    const nB = Math.ceil(L / 16);
    const d1 = new Uint8Array(rows * nB * 8);
    const s1 = new Uint8Array(rows * nB);
    const d2 = new Uint8Array(rows * nB * 8);
    const s2 = new Uint8Array(rows * nB);
    nvfp4QuantizeRows(src, rows, L, Math.fround(st), float32, d1, s1);
    nvfp4QuantizeRowsJs(src, rows, L, Math.fround(st), float32, d2, s2);
    expect(Array.from(s1)).toEqual(Array.from(s2));
    expect(Array.from(d1)).toEqual(Array.from(d2));
    const a = new Float32Array(rows * L);
    const b = new Float32Array(rows * L);
    nvfp4DequantizeRows(d1, s1, rows, L, Math.fround(st), a);
    nvfp4DequantizeRowsJs(d2, s2, rows, L, Math.fround(st), b);
    expect(bits(a)).toEqual(bits(b));
  },
);
