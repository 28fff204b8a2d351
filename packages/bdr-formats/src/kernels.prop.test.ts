// The default kernels (@tessera/kernels' bdrQuantize/bdrDequantize: WebAssembly SIMD, and its JavaScript twin)
// against this package's reference loops (the quantize and fake-quantize loops of src/kernels/bdr-kernel.ts) and the
// naive reference (every row dequantized): bit-equal fields and values, on both kernel backends.
import { fc, test } from '@fast-check/vitest';
import { alloc, setKernelBackend } from '@tessera/kernels';
import { afterAll, describe, expect, test as unit } from 'vitest';
import { normalRowArb, rowArb } from '../test/arbitraries.js';
import { refFakeQuantize } from '../test/reference/bdr.js';
import { dequantizeBDRArray, quantizeBDRArray } from './bdr-tensor.js';
import { BDR_MX4, BDR_MX6, BDR_MX9, bdrFormat, MSFP12, MSFP16, QUARK_BFP16 } from './format.js';
import { dequantizeRows, fakeQuantizeRows, quantizeRowsPacked } from './kernels/bdr-kernel.js';

afterAll(() => setKernelBackend(undefined));

const formats = fc.oneof(
  fc.constantFrom(BDR_MX9, BDR_MX6, BDR_MX4, MSFP12, MSFP16, QUARK_BFP16),
  fc
    .record({ k1e: fc.integer({ min: 1, max: 6 }), m: fc.integer({ min: 1, max: 11 }), d2: fc.integer({ min: 0, max: 2 }) })
    .map(({ k1e, m, d2 }) => bdrFormat({ k1: 2 ** k1e, d1: 8, k2: 2, d2, m })),
  fc
    .record({ k1: fc.constantFrom(3, 8, 12, 24), d1: fc.integer({ min: 3, max: 8 }), m: fc.integer({ min: 1, max: 14 }) })
    .map(({ k1, d1, m }) => bdrFormat({ k1, d1, k2: k1 % 4 === 0 ? 4 : 1, d2: 1, m })),
);

describe.each(['wasm', 'js'] as const)('%s kernels = reference loops = naive reference', (be) => {
  test.prop(
    [
      formats,
      fc.oneof(rowArb({ maxLength: 128 }), normalRowArb()),
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom('even' as const, 'nearest' as const, 'floor' as const),
      fc.boolean(),
    ],
    { numRuns: 150 },
  )('quantize+pack and dequantize, whole and ragged rows', (f, x0, rows, rounding, whole) => {
    setKernelBackend(be);
    const L = whole ? Math.ceil(x0.length / f.k1) * f.k1 : x0.length;
    const x = new Float32Array(rows * L);
    for (let i = 0; i < x.length; i++) x[i] = x0[(i * 7) % x0.length] * (i % 3 === 0 ? -1 : 1);
    const o = { rounding, clamp: 'field' as const };
    const fast = quantizeRowsPacked(x, rows, L, f, o, 'test');
    const gen = quantizeRowsPacked(x, rows, L, f, o, 'test', true);
    expect(Array.from(fast.exponents)).toEqual(Array.from(gen.exponents));
    expect(Array.from(fast.microexponents)).toEqual(Array.from(gen.microexponents));
    expect(Array.from(fast.mantissas)).toEqual(Array.from(gen.mantissas));
    const a = new Float32Array(x.length);
    dequantizeRows(fast, rows, L, f, a);
    for (let r0 = 0; r0 < rows; r0++) {
      const r = Float32Array.from(refFakeQuantize(Array.from(x.subarray(r0 * L, r0 * L + L)), f, 'field', rounding));
      expect(new Uint32Array(a.buffer, r0 * L * 4, L)).toEqual(new Uint32Array(r.buffer));
    }
    // fake quantization (clamp 'field', finite values) on the kernels = its reference loop
    const fk = new Float32Array(x.length);
    const fr = new Float32Array(x.length);
    fakeQuantizeRows(x, rows, L, f, o, fk);
    fakeQuantizeRows(x, rows, L, f, o, fr, true);
    expect(new Uint32Array(fk.buffer)).toEqual(new Uint32Array(fr.buffer));
    expect(new Uint32Array(fk.buffer)).toEqual(new Uint32Array(a.buffer));
  });
});

unit('host data in kernel memory (alloc): quantizeBDRArray reads it and dequantizeBDRArray writes it in place', () => {
  setKernelBackend(undefined);
  const n = 3 * 1000;
  const x = alloc(Float32Array, n);
  const out = alloc(Float32Array, n);
  try {
    x.array.set(Array.from({ length: n }, (_, i) => Math.sin(i) * 2 ** ((i % 9) - 4)));
    const plain = Float32Array.from(x.array);
    const a = quantizeBDRArray(x.array, [3, 1000], BDR_MX6);
    const b = quantizeBDRArray(plain, [3, 1000], BDR_MX6);
    expect(Array.from(a.mantissas)).toEqual(Array.from(b.mantissas));
    expect(Array.from(a.microexponents)).toEqual(Array.from(b.microexponents));
    dequantizeBDRArray(a, out.array);
    expect(new Uint32Array(out.array.buffer, out.array.byteOffset, n)).toEqual(new Uint32Array(dequantizeBDRArray(b).buffer));
  } finally {
    x.free();
    out.free();
  }
});
