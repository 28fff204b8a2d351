// The default pooling kernels (WebAssembly SIMD, @tessera/kernels) against the JavaScript kernels, bit for bit:
// weights, mean, empty bags, ragged bags, an inverse index (IKJT), several features side by side, D not a multiple
// of 4.
import { fc, test } from '@fast-check/vitest';
import { kernelBackend } from '@tessera/kernels';
import { expect } from 'vitest';
import type { BagSpec } from '../pooling.js';
import { gradFeatures, gradIntoJs, poolFeatures, poolIntoJs } from './index.js';

const val = fc.float({ min: Math.fround(-3), max: Math.fround(3), noNaN: true });

const caseArb = fc
  .record({
    R: fc.integer({ min: 1, max: 12 }),
    D: fc.oneof(fc.integer({ min: 1, max: 19 }), fc.integer({ min: 32, max: 70 })),
    lens: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 }),
    lead: fc.integer({ min: 0, max: 3 }),
    weighted: fc.boolean(),
    mode: fc.constantFrom('sum' as const, 'mean' as const),
    dedup: fc.boolean(),
  })
  .chain((c) => {
    const nIds = c.lens.reduce((a, b) => a + b, 0) + c.lead;
    return fc.record({
      c: fc.constant(c),
      table: fc.array(val, { minLength: c.R * c.D, maxLength: c.R * c.D }),
      ids: fc.array(fc.integer({ min: 0, max: c.R - 1 }), { minLength: nIds, maxLength: nIds }),
      w: fc.array(val, { minLength: nIds, maxLength: nIds }),
      inv: fc.array(fc.integer({ min: 0, max: c.lens.length - 1 }), { minLength: 1, maxLength: 12 }),
      g: fc.array(val, { minLength: 12 * 76, maxLength: 12 * 76 }),
    });
  });

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('the default pooling kernels are the WebAssembly ones unless TESSERA_KERNELS=js', () => {
  expect(kernelBackend()).toBe(process.env.TESSERA_KERNELS === 'js' ? 'js' : 'wasm');
});

test.prop([caseArb], { numRuns: 200 })(
  'poolFeatures / gradFeatures (default kernels) = JavaScript bit for bit',
  ({ c, table, ids, w, inv, g }) => {
    const U = c.lens.length;
    // absolute offsets into a shared ids array (the first `lead` ids belong to another feature)
    const offsets = new Int32Array(U + 1);
    offsets[0] = c.lead;
    for (let u = 0; u < U; u++) offsets[u + 1] = offsets[u] + c.lens[u];
    const spec: BagSpec = {
      ids: Int32Array.from(ids),
      offsets,
      weights: c.weighted ? Float32Array.from(w) : null,
      mode: c.mode,
      inverse: c.dedup ? Int32Array.from(inv) : null,
      fn: 'test',
      table: 't',
      feature: 'f',
    };
    const rows = spec.inverse ? spec.inverse.length : U;
    // two features side by side: this one (columns 3 .. 3+D) behind a 3-wide one of the same bags over a second table
    const T = Float32Array.from(table);
    const T2 = Float32Array.from({ length: c.R * 3 }, (_, i) => Math.fround(Math.sin(i) * 2));
    const ld = c.D + 3;
    const tables = [
      { data: () => T2, rows: c.R, dim: 3 },
      { data: () => T, rows: c.R, dim: c.D },
    ];
    const features = [
      { table: 0, spec: { ...spec, weights: null, mode: 'sum' as const } },
      { table: 1, spec },
    ];
    const a = poolFeatures(tables, features, rows, ld, [0, 3]);
    const b = new Float32Array(rows * ld);
    poolIntoJs(T2, 3, features[0].spec, b, ld, 0);
    poolIntoJs(T, c.D, spec, b, ld, 3);
    expect(bits(a)).toEqual(bits(b));
    const G = Float32Array.from(g.slice(0, rows * ld));
    const [dA2, dA] = gradFeatures(G, tables, features, ld, [0, 3]);
    const dB = new Float32Array(c.R * c.D);
    const dB2 = new Float32Array(c.R * 3);
    gradIntoJs(G, ld, 3, c.D, spec, dB);
    gradIntoJs(G, ld, 0, 3, features[0].spec, dB2);
    expect(bits(dA)).toEqual(bits(dB));
    expect(bits(dA2)).toEqual(bits(dB2));
  },
);
