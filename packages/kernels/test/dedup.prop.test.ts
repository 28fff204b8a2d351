// RecD bag deduplication: wasm = JavaScript = the naive reference (first-occurrence order, exact comparison of words),
// over empty bags, all-equal and all-distinct batches, weighted bags (±0 and NaN bit patterns are distinct words),
// multi-key groups, rows of several words, offsets not starting at 0, and a large batch with many hash collisions.
import { fc, test } from '@fast-check/vitest';
import { afterAll, expect, test as plain } from 'vitest';
import { alloc, dedupBags, kernelBackend, setKernelBackend } from '../src/index.js';
import { dedupReference } from './reference/dedup.js';

afterAll(() => setKernelBackend(undefined));

// a few words, so that bags repeat; 0x80000000 is −0 and 0x7fc00001 a NaN as float bits
const word = fc.constantFrom(0, 1, 2, 0x80000000 | 0, 0x7fc00001);

const caseArb = fc
  .record({
    K: fc.integer({ min: 1, max: 4 }),
    B: fc.integer({ min: 0, max: 12 }),
    w: fc.integer({ min: 0, max: 3 }),
    weighted: fc.boolean(),
    shape: fc.constantFrom('random', 'allEqual', 'distinct'),
    pad: fc.integer({ min: 0, max: 2 }),
    groupOf: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      lens: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: c.K * c.B, maxLength: c.K * c.B }),
      words: fc.array(word, { minLength: 64, maxLength: 64 }),
    }),
  );

interface Batch {
  values: Int32Array;
  w: number;
  weights: Int32Array | null;
  offsets: Int32Array;
  B: number;
  groups: number[][];
}

function build(
  c: { K: number; B: number; w: number; weighted: boolean; shape: string; pad: number; groupOf: number[] },
  lens: number[],
  words: number[],
): Batch {
  const { K, B, w, pad } = c;
  const L = lens.map((l, i) => (c.shape === 'allEqual' ? lens[Math.floor(i / B) * B] : c.shape === 'distinct' ? l + 1 : l));
  const offsets = new Int32Array(K * B + 1);
  offsets[0] = pad;
  for (let i = 0; i < K * B; i++) offsets[i + 1] = offsets[i] + L[i];
  const rows = offsets[K * B];
  const values = new Int32Array(rows * w);
  const weights = c.weighted ? new Int32Array(rows) : null;
  let t = 0;
  for (let i = 0; i < K * B; i++) {
    const b = i % B;
    for (let r = offsets[i]; r < offsets[i + 1]; r++) {
      const j = r - offsets[i];
      for (let d = 0; d < w; d++)
        values[r * w + d] = c.shape === 'allEqual' ? words[(j * 3 + d) & 63] : c.shape === 'distinct' ? 1000 + b : words[t++ & 63];
      if (weights) weights[r] = c.shape === 'distinct' ? 1000 + b : c.shape === 'allEqual' ? words[j] : words[t++ & 63];
    }
  }
  // keys grouped by groupOf (groups in order of first appearance, a key in exactly one group)
  const byId = new Map<number, number[]>();
  for (let k = 0; k < K; k++) byId.set(c.groupOf[k], [...(byId.get(c.groupOf[k]) ?? []), k]);
  return { values, w, weights, offsets, B, groups: [...byId.values()] };
}

function run(x: Batch): { idx: Int32Array; reps: Int32Array; counts: Int32Array } {
  const G = x.groups.length;
  const starts = new Int32Array(G + 1);
  x.groups.forEach((g, i) => {
    starts[i + 1] = starts[i] + g.length;
  });
  const keys = Int32Array.from(x.groups.flat());
  const idx = new Int32Array(G * x.B).fill(-7);
  const reps = new Int32Array(G * x.B).fill(-7);
  const counts = new Int32Array(G).fill(-7);
  dedupBags(x.values, x.w, x.weights, x.offsets, x.B, keys, starts, G, idx, reps, counts);
  return { idx, reps, counts };
}

function check(x: Batch): void {
  setKernelBackend('wasm');
  const a = run(x);
  setKernelBackend('js');
  const b = run(x);
  expect(a).toEqual(b);
  const ref = dedupReference(x.values, x.w, x.weights, x.offsets, x.B, x.groups);
  for (let g = 0; g < x.groups.length; g++) {
    const U = ref.reps[g].length;
    expect(b.counts[g]).toBe(U);
    expect(Array.from(b.idx.subarray(g * x.B, (g + 1) * x.B))).toEqual(ref.idx[g]);
    expect(Array.from(b.reps.subarray(g * x.B, g * x.B + U))).toEqual(ref.reps[g]);
    expect(Array.from(b.reps.subarray(g * x.B + U, (g + 1) * x.B)).every((r) => r === -1)).toBe(true);
  }
}

test.prop([caseArb], { numRuns: 250 })('dedupBags: wasm = JavaScript = naive reference', ({ c, lens, words }) => {
  check(build(c, lens, words));
});

plain('dedupBags: large batches of few distinct bags (many equal hashes), long bags, and the all-equal / all-distinct extremes', () => {
  let s = 12345;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    return (s >>> 8) % n;
  };
  const B = 3000;
  const K = 2;
  for (const shape of ['mixed', 'equal', 'distinct', 'long']) {
    const offsets = new Int32Array(K * B + 1);
    const vals: number[] = [];
    for (let i = 0; i < K * B; i++) {
      const b = i % B;
      // 'long': bags of 8–40 words (the wasm hash's four-lane path) from 6 patterns, one in 4 bags a random one
      const pat = rnd(8);
      const len = shape === 'equal' ? 2 : shape === 'distinct' ? 1 : shape === 'long' ? 8 + (pat % 6) * 6 + (pat >> 2) : rnd(3);
      for (let j = 0; j < len; j++)
        vals.push(shape === 'equal' ? 5 : shape === 'distinct' ? b : shape === 'long' ? (pat < 6 ? (pat * 7 + j) % 5 : rnd(5)) : rnd(4));
      offsets[i + 1] = vals.length;
    }
    const x: Batch = { values: Int32Array.from(vals), w: 1, weights: null, offsets, B, groups: [[0, 1]] };
    check(x);
    check({ ...x, groups: [[1], [0]] });
  }
});

plain('dedupBags: arrays in kernel memory are used in place, and nothing past the outputs is written', () => {
  setKernelBackend('wasm');
  expect(kernelBackend()).toBe('wasm');
  const B = 6;
  const values = alloc(Int32Array, 12);
  values.array.set([1, 2, 1, 2, 3, 3, 9, 9, 9, 9, 9, 9]);
  const offsets = alloc(Int32Array, 2 * B + 1);
  offsets.array.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const out = alloc(Int32Array, 3 * (B + 4));
  out.array.fill(-9);
  const o = out.array;
  const idx = o.subarray(0, B);
  const reps = o.subarray(B + 4, 2 * B + 4);
  const counts = o.subarray(2 * B + 8, 2 * B + 9);
  dedupBags(values.array, 1, null, offsets.array, B, new Int32Array([0, 1]), new Int32Array([0, 1, 2]), 1, idx, reps, counts);
  expect(Array.from(idx)).toEqual([0, 1, 0, 1, 2, 2]);
  expect(Array.from(reps)).toEqual([0, 1, 4, -1, -1, -1]);
  expect(counts[0]).toBe(3);
  expect(Array.from(o.subarray(B, B + 4))).toEqual([-9, -9, -9, -9]);
  expect(Array.from(o.subarray(2 * B + 4, 2 * B + 8))).toEqual([-9, -9, -9, -9]);
  expect(Array.from(o.subarray(2 * B + 9))).toEqual(new Array(3 * (B + 4) - 2 * B - 9).fill(-9));
  values.free();
  offsets.free();
  out.free();
});
