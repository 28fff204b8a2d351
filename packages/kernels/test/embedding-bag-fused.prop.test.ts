// Fused embedding-bag backward + exact SGD / row-wise Adagrad: wasm = JavaScript bit for bit, both equal to the dense
// "gradient then update" reference bit for bit (same accumulation order), tables in host or kernel memory, offset id
// ranges (a KJT feature), weights, mean, empty bags, skipped rows, duplicate ids; bad arguments → TesseraError.
import { fc, test } from '@fast-check/vitest';
import { TesseraError } from '@tessera/core';
import { afterAll, expect, test as plain } from 'vitest';
import { alloc, embeddingBagBackwardFused, setKernelBackend } from '../src/index.js';
import { sameBits } from './bits.js';
import { fusedReference } from './reference/bag-fused.js';

afterAll(() => setKernelBackend(undefined));

const val = fc.float({ min: Math.fround(-3), max: Math.fround(3), noNaN: true });

const caseArb = fc
  .record({
    R: fc.integer({ min: 1, max: 12 }),
    D: fc.oneof(fc.integer({ min: 1, max: 19 }), fc.integer({ min: 32, max: 70 })),
    lens: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }),
    weighted: fc.boolean(),
    mode: fc.constantFrom('sum' as const, 'mean' as const),
    mapRows: fc.boolean(),
    optimizer: fc.constantFrom('exact_sgd' as const, 'exact_rowwise_adagrad' as const),
    lr: fc.constantFrom(0, 0.01, 0.1, 1),
    eps: fc.constantFrom(0, 1e-8, 0.1),
    pad: fc.integer({ min: 0, max: 3 }),
    inKernel: fc.boolean(),
  })
  .chain((c) => {
    const nIds = c.lens.reduce((a, b) => a + b, 0) + c.pad;
    return fc.record({
      c: fc.constant(c),
      table: fc.array(val, { minLength: c.R * c.D, maxLength: c.R * c.D }),
      g: fc.array(val, { minLength: c.lens.length * (c.D + 3), maxLength: c.lens.length * (c.D + 3) }),
      ids: fc.array(fc.integer({ min: 0, max: c.R - 1 }), { minLength: nIds, maxLength: nIds }),
      w: fc.array(val, { minLength: nIds, maxLength: nIds }),
      mom: fc.array(fc.float({ min: 0, max: 4, noNaN: true }), { minLength: c.R, maxLength: c.R }),
    });
  });

test.prop([caseArb], { numRuns: 150 })(
  'embeddingBagBackwardFused: wasm = JavaScript = dense reference, bit for bit',
  ({ c, table, g, ids, w, mom }) => {
    const U = c.lens.length;
    const offsets = new Int32Array(U + 1);
    offsets[0] = c.pad;
    for (let u = 0; u < U; u++) offsets[u + 1] = offsets[u] + c.lens[u];
    const ld = c.D + 3;
    const col = 2;
    const rows = c.mapRows ? Int32Array.from({ length: U }, (_, u) => (u === U - 1 && U > 1 ? -1 : U - 1 - u)) : null;
    const G = Float32Array.from(g);
    const ids32 = Int32Array.from(ids);
    const weights = c.weighted ? Float32Array.from(w) : null;
    const ref = { t: Float32Array.from(table), m: Float32Array.from(mom) };
    const nRef = fusedReference(G, ld, col, c.D, ids32, offsets, weights, U, c.mode, rows, ref.t, c.R, c.optimizer, c.lr, c.eps, ref.m);
    for (const be of ['wasm', 'js'] as const) {
      setKernelBackend(be);
      const T = alloc(Float32Array, c.R * c.D);
      const M = alloc(Float32Array, c.R);
      try {
        let t = Float32Array.from(table);
        let m = Float32Array.from(mom);
        if (c.inKernel) {
          T.array.set(t);
          M.array.set(m);
          t = T.array;
          m = M.array;
        }
        const n = embeddingBagBackwardFused(G, ld, col, c.D, ids32, offsets, weights, U, c.mode, rows, t, c.R, c.optimizer, c.lr, c.eps, m);
        expect(n).toBe(nRef);
        if (c.inKernel) {
          t = T.array;
          m = M.array;
        }
        expect(sameBits(t, ref.t)).toBe(true);
        if (c.optimizer === 'exact_rowwise_adagrad') expect(sameBits(m, ref.m)).toBe(true);
        else expect(sameBits(m, Float32Array.from(mom))).toBe(true);
      } finally {
        T.free();
        M.free();
      }
    }
  },
);

plain('embeddingBagBackwardFused: a second step reuses the zeroed slot map (rows untouched stay bit-identical)', () => {
  for (const be of ['wasm', 'js'] as const) {
    setKernelBackend(be);
    const t = new Float32Array([1, 1, 2, 2, 3, 3]);
    const g = new Float32Array([1, 1]);
    for (let s = 0; s < 3; s++)
      embeddingBagBackwardFused(
        g,
        2,
        0,
        2,
        new Int32Array([2, 2]),
        new Int32Array([0, 2]),
        null,
        1,
        'sum',
        null,
        t,
        3,
        'exact_sgd',
        0.25,
        0,
        null,
      );
    expect(Array.from(t)).toEqual([1, 1, 2, 2, 1.5, 1.5]);
  }
});

plain('embeddingBagBackwardFused: bad arguments → TesseraError, table untouched', () => {
  for (const be of ['wasm', 'js'] as const) {
    setKernelBackend(be);
    const t = new Float32Array(6).fill(1);
    const g = new Float32Array(4);
    const ids = new Int32Array([0, 2, 1]);
    const off = new Int32Array([0, 2, 3]);
    const call =
      (
        o: Partial<{
          ids: Int32Array;
          off: Int32Array;
          opt: string;
          lr: number;
          eps: number;
          mom: Float32Array | null;
          rows: Int32Array | null;
          D: number;
        }>,
      ) =>
      () =>
        embeddingBagBackwardFused(
          g,
          2,
          0,
          o.D ?? 2,
          o.ids ?? ids,
          o.off ?? off,
          null,
          2,
          'sum',
          o.rows ?? null,
          t,
          3,
          (o.opt ?? 'exact_sgd') as 'exact_sgd',
          o.lr ?? 0.1,
          o.eps ?? 0,
          o.mom ?? null,
        );
    for (const bad of [
      { ids: new Int32Array([0, 3, 1]) },
      { ids: new Int32Array([0, -1, 1]) },
      { off: new Int32Array([0, 3, 2]) },
      { off: new Int32Array([0, 2, 9]) },
      { opt: 'adam' },
      { lr: Number.NaN },
      { lr: -1 },
      { eps: Number.POSITIVE_INFINITY },
      { opt: 'exact_rowwise_adagrad' },
      { opt: 'exact_rowwise_adagrad', mom: new Float32Array(2) },
      { rows: new Int32Array([0, 2]) },
      { D: 3 },
    ])
      expect(call(bad)).toThrow(TesseraError);
    expect(Array.from(t)).toEqual([1, 1, 1, 1, 1, 1]);
  }
});
