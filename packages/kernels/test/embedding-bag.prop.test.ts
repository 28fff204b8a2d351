// Embedding-bag forward and backward: wasm = JavaScript bit for bit (weights, mean, empty bags, output-row maps,
// ragged bags, D not a multiple of 4).
import { fc, test } from '@fast-check/vitest';
import { afterAll, expect } from 'vitest';
import { embeddingBagBackward, embeddingBagForward, setKernelBackend } from '../src/index.js';
import { sameBits } from './bits.js';

afterAll(() => setKernelBackend(undefined));

const val = fc.float({ min: Math.fround(-3), max: Math.fround(3), noNaN: true });

const caseArb = fc
  .record({
    R: fc.integer({ min: 1, max: 12 }),
    D: fc.oneof(fc.integer({ min: 1, max: 19 }), fc.integer({ min: 32, max: 70 })),
    lens: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 }),
    weighted: fc.boolean(),
    mode: fc.constantFrom('sum' as const, 'mean' as const),
    mapRows: fc.boolean(),
    seed: fc.integer(),
  })
  .chain((c) => {
    const nIds = c.lens.reduce((a, b) => a + b, 0);
    return fc.record({
      c: fc.constant(c),
      table: fc.array(val, { minLength: c.R * c.D, maxLength: c.R * c.D }),
      ids: fc.array(fc.integer({ min: 0, max: c.R - 1 }), { minLength: nIds, maxLength: nIds }),
      w: fc.array(val, { minLength: nIds, maxLength: nIds }),
    });
  });

test.prop([caseArb], { numRuns: 200 })('embeddingBagForward / Backward: wasm = JavaScript bit for bit', ({ c, table, ids, w }) => {
  const U = c.lens.length;
  const offsets = new Int32Array(U + 1);
  for (let u = 0; u < U; u++) offsets[u + 1] = offsets[u] + c.lens[u];
  const ld = c.D + 3;
  const col = 2;
  // a row map sends bags to reversed rows and skips the last one (−1)
  const rows = c.mapRows ? Int32Array.from({ length: U }, (_, u) => (u === U - 1 && U > 1 ? -1 : U - 1 - u)) : null;
  const T = Float32Array.from(table);
  const ids32 = Int32Array.from(ids);
  const weights = c.weighted ? Float32Array.from(w) : null;
  const res = (['wasm', 'js'] as const).map((be) => {
    setKernelBackend(be);
    const out = new Float32Array(U * ld).fill(7);
    embeddingBagForward(T, c.R, c.D, ids32, offsets, weights, U, c.mode, rows, out, ld, col);
    const dT = new Float32Array(c.R * c.D).fill(0.5);
    embeddingBagBackward(out, ld, col, c.D, ids32, offsets, weights, U, c.mode, rows, dT, c.R);
    return { out, dT };
  });
  expect(sameBits(res[0].out, res[1].out)).toBe(true);
  expect(sameBits(res[0].dT, res[1].dT)).toBe(true);
});
