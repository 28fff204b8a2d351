// Embedding-bag forward and backward: wasm = JavaScript bit for bit (weights, mean, empty bags, output-row maps,
// ragged bags, D not a multiple of 4).
import { fc, test } from '@fast-check/vitest';
import { afterAll, expect } from 'vitest';
import { alloc, embeddingBagBackward, embeddingBagForward, indexAddRows, indexSelectRows, setKernelBackend } from '../src/index.js';
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

// Bags read through an offsets range that starts past 0 (a KJT feature) and tables / gradients in host memory with
// few touched rows (renumbered to a compact block inside the call) or in kernel memory (read in place).
test.prop([caseArb, fc.integer({ min: 0, max: 3 }), fc.boolean()], { numRuns: 100 })(
  'offset id ranges, compact host tables and kernel-memory tables give the JavaScript bits',
  ({ c, table, ids, w }, pad, inKernel) => {
    const U = c.lens.length;
    const R = c.R + 400; // over 8 rows per id: the host path renumbers the touched rows
    const T = new Float32Array(R * c.D);
    T.set(table);
    const ids32 = new Int32Array(pad + ids.length + 2).fill(R - 1);
    ids32.set(ids, pad);
    const offsets = new Int32Array(U + 1);
    offsets[0] = pad;
    for (let u = 0; u < U; u++) offsets[u + 1] = offsets[u] + c.lens[u];
    const weights = c.weighted ? new Float32Array(pad + w.length + 2).fill(9) : null;
    weights?.set(w, pad);
    const res = (['wasm', 'js'] as const).map((be) => {
      setKernelBackend(be);
      const kT = inKernel ? alloc(Float32Array, R * c.D) : null;
      kT?.array.set(T);
      const out = new Float32Array(U * c.D).fill(7);
      embeddingBagForward(kT ? kT.array : T, R, c.D, ids32, offsets, weights, U, c.mode, null, out, c.D, 0);
      const kdT = inKernel ? alloc(Float32Array, R * c.D) : null;
      kdT?.array.fill(0.25);
      const dT = new Float32Array(R * c.D).fill(0.25);
      embeddingBagBackward(out, c.D, 0, c.D, ids32, offsets, weights, U, c.mode, null, kdT ? kdT.array : dT, R);
      const dTc = kdT ? kdT.array.slice() : dT;
      kT?.free();
      kdT?.free();
      return { out, dT: dTc };
    });
    expect(sameBits(res[0].out, res[1].out)).toBe(true);
    expect(sameBits(res[0].dT, res[1].dT)).toBe(true);
  },
);

const rowsArb = fc
  .record({
    srcRows: fc.integer({ min: 1, max: 9 }),
    D: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 16, max: 40 })),
    n: fc.integer({ min: 0, max: 12 }),
    pad: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      src: fc.array(val, { minLength: Math.max(c.srcRows, c.n) * (c.D + c.pad), maxLength: Math.max(c.srcRows, c.n) * (c.D + c.pad) }),
      index: fc.array(fc.integer({ min: -1, max: c.srcRows - 1 }), { minLength: c.n, maxLength: c.n }), // −1 skips
    }),
  );

test.prop([rowsArb], { numRuns: 150 })('indexSelectRows / indexAddRows: wasm = JavaScript = definition', ({ c, src, index }) => {
  const ld = c.D + c.pad;
  const S = Float32Array.from(src);
  const idx = Int32Array.from(index);
  const res = (['wasm', 'js'] as const).map((be) => {
    setKernelBackend(be);
    const sel = new Float32Array(c.n * (c.D + 2)).fill(-5);
    indexSelectRows(S, Math.max(c.srcRows, c.n), ld, c.pad, c.D, idx, c.n, sel, c.D + 2, 1);
    const acc = new Float32Array(c.srcRows * c.D).fill(0.5);
    indexAddRows(S, ld, c.pad, c.D, idx, c.n, acc, c.srcRows, c.D, 0);
    return { sel, acc };
  });
  expect(sameBits(res[0].sel, res[1].sel)).toBe(true);
  expect(sameBits(res[0].acc, res[1].acc)).toBe(true);
  // the definition: rows copied and summed in index order from the output's values (index −1: row left alone)
  const sel = new Float32Array(c.n * (c.D + 2)).fill(-5);
  const acc = new Float32Array(c.srcRows * c.D).fill(0.5);
  for (let i = 0; i < c.n; i++)
    for (let d = 0; d < c.D && idx[i] >= 0; d++) {
      sel[i * (c.D + 2) + 1 + d] = S[idx[i] * ld + c.pad + d];
      acc[idx[i] * c.D + d] = Math.fround(acc[idx[i] * c.D + d] + S[i * ld + c.pad + d]);
    }
  expect(sameBits(res[1].sel, sel)).toBe(true);
  expect(sameBits(res[1].acc, acc)).toBe(true);
});
