// The WebAssembly BDR kernels against their JavaScript twins, bit for bit: every preset shape of the BDR paper
// (MX4/MX6/MX9, BFP/MSFP, Quark's bfp16) and random formats (any k1, d1, k2 | k1, d2, m), all three roundings,
// inputs built from the hard cases (ties, subnormals, ±0, NaN/Inf blocks, ragged row lengths), arbitrary stored
// bytes for dequantize, and inputs long enough to be split into several calls. The JavaScript kernels are checked
// against @tessera/bdr-formats' reference loop and its Quark golden set in that package's tests.
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { alloc, BDR_ROUNDINGS, type BDRRounding, bdrDequantize, bdrQuantize, setKernelBackend } from '../src/index.js';
import { hardFloat32Arb, sameBits } from './bits.js';

afterAll(() => setKernelBackend(undefined));

type F = [k1: number, d1: number, k2: number, d2: number, m: number];
/** MX9, MX6, MX4 (k1 16 and 32), MSFP12, MSFP16, Quark bfp16, and shapes of the other fast paths. */
const PRESETS: F[] = [
  [16, 8, 2, 1, 7],
  [16, 8, 2, 1, 4],
  [16, 8, 2, 1, 2],
  [32, 8, 2, 1, 4],
  [64, 8, 2, 1, 7],
  [16, 8, 16, 0, 3],
  [16, 8, 16, 0, 7],
  [8, 8, 8, 0, 7],
  [8, 8, 4, 0, 3],
  [8, 5, 8, 0, 6],
  [32, 8, 4, 2, 5],
  [12, 8, 4, 1, 6],
  [4, 5, 4, 0, 2],
];
const randomFormat: fc.Arbitrary<F> = fc
  .tuple(
    fc.constantFrom(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48),
    fc.integer({ min: 1, max: 8 }),
    fc.nat(),
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: 1, max: 23 }),
  )
  .map(([k1, d1, pick, d2, m]) => {
    const divs = Array.from({ length: k1 }, (_, i) => i + 1).filter((d) => k1 % d === 0);
    return [k1, d1, divs[pick % divs.length], d2, m];
  });
const formatArb = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...PRESETS) }, { weight: 1, arbitrary: randomFormat });

function sizes([k1, , k2, d2, m]: F, rows: number, L: number) {
  const blocks = rows * Math.ceil(L / k1);
  return { e: blocks, s: Math.ceil((blocks * (k1 / k2) * d2) / 8), c: Math.ceil((blocks * k1 * (m + 1)) / 8) };
}

function run(be: 'wasm' | 'js', x: Float32Array, rows: number, L: number, f: F, rounding: BDRRounding) {
  setKernelBackend(be);
  const z = sizes(f, rows, L);
  const e = new Uint8Array(z.e).fill(0xa5);
  const s = new Uint8Array(z.s).fill(0xa5);
  const c = new Uint8Array(z.c).fill(0xa5);
  const bad = bdrQuantize(x, rows, L, ...f, rounding, e, s, c);
  const out = new Float32Array(rows * L);
  if (bad < 0) bdrDequantize(e, s, c, rows, L, ...f, out);
  return { bad, e, s, c, out };
}

/** First differing index of two byte arrays (−1 when equal): a loop, as deep equality is slow on long arrays. */
function diff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSame(x: Float32Array, rows: number, L: number, f: F, rounding: BDRRounding): void {
  const a = run('wasm', x, rows, L, f, rounding);
  const b = run('js', x, rows, L, f, rounding);
  expect(a.bad).toBe(b.bad);
  if (b.bad >= 0) return; // a NaN/±Inf: the index is the answer, the fields are incomplete
  expect(diff(a.e, b.e), 'exponents').toBe(-1);
  expect(diff(a.s, b.s), 'microexponents').toBe(-1);
  expect(diff(a.c, b.c), 'mantissas').toBe(-1);
  expect(sameBits(a.out, b.out)).toBe(true);
}

describe('bdrQuantize / bdrDequantize: wasm = JavaScript bit for bit', () => {
  test.prop([hardFloat32Arb(160), formatArb, fc.constantFrom(...BDR_ROUNDINGS), fc.integer({ min: 1, max: 3 }), fc.boolean()], {
    numRuns: 400,
  })('hard-case values, presets and random formats, every rounding', (x0, f, rounding, r, finite) => {
    // most cases finite (NaN/Inf have no code: the whole call answers an index); NaN/Inf kept in the others
    const x = finite ? x0.map((v) => (Number.isFinite(v) ? v : 0)) : x0;
    const rows = Math.min(r, x.length);
    const L = Math.max(1, Math.floor(x.length / rows));
    expectSame(x.subarray(0, rows * L), rows, L, f, rounding);
  });

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 400 }), formatArb, fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 3 })], {
    numRuns: 300,
  })('dequantize of arbitrary stored bytes (every exponent byte, shift and code)', (bytes, f, L, rows) => {
    const z = sizes(f, rows, L);
    const fill = (n: number, salt: number) => new Uint8Array(n).map((_, i) => bytes[(i * 7 + salt) % bytes.length]);
    const e = fill(z.e, 3);
    const s = fill(z.s, 5);
    const c = fill(z.c, 0);
    const outs = (['wasm', 'js'] as const).map((be) => {
      setKernelBackend(be);
      const out = new Float32Array(rows * L);
      bdrDequantize(e, s, c, rows, L, ...f, out);
      return out;
    });
    expect(sameBits(outs[0], outs[1])).toBe(true);
  });
});

describe('long inputs (several calls of whole blocks), zero-copy arrays, a NaN far in', () => {
  const big = (n: number) => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) * Math.exp(3 * Math.cos(i * 0.011)) * (i % 97 === 0 ? 1e-40 : 1);
    return x;
  };
  // calls take 2^18 values at a time: long rows split into runs of blocks, short rows into groups of rows
  test.each([
    [1, 600_003, PRESETS[1], 'even'],
    [1, 540_000, PRESETS[0], 'nearest'],
    [2, 262_656, PRESETS[0], 'floor'],
    [40, 16_000, PRESETS[2], 'even'],
    [30, 9_999, PRESETS[1], 'even'],
    [3, 300_001, PRESETS[5], 'even'],
    [2, 270_000, [24, 8, 6, 1, 5] as F, 'nearest'],
    [5, 1_000, [12, 3, 4, 2, 13] as F, 'floor'],
    [2, 70_000, [65536, 8, 65536, 0, 5] as F, 'even'],
    [1, 70_000, [4096, 8, 2, 1, 7] as F, 'nearest'],
    [3, 5_000, [1024, 6, 8, 2, 6] as F, 'floor'],
    [1, 9_000, [32, 8, 4, 1, 15] as F, 'even'],
  ] as const)('rows %i × L %i, format %j, rounding %s', (rows, L, f, rounding) => {
    expectSame(big(rows * L), rows, L, f as F, rounding);
  });

  test('zero-copy: arrays from alloc give the same fields and values as plain arrays', () => {
    const f = PRESETS[1];
    const rows = 3;
    const L = 100_000;
    const want = run('js', big(rows * L), rows, L, f, 'even');
    setKernelBackend('wasm');
    const z = sizes(f, rows, L);
    const x = alloc(Float32Array, rows * L);
    x.array.set(big(rows * L));
    const e = alloc(Uint8Array, z.e);
    const s = alloc(Uint8Array, z.s);
    const c = alloc(Uint8Array, z.c);
    const out = alloc(Float32Array, rows * L);
    try {
      expect(bdrQuantize(x.array, rows, L, ...f, 'even', e.array, s.array, c.array)).toBe(-1);
      bdrDequantize(e.array, s.array, c.array, rows, L, ...f, out.array);
      expect(diff(e.array, want.e)).toBe(-1);
      expect(diff(s.array, want.s)).toBe(-1);
      expect(diff(c.array, want.c)).toBe(-1);
      expect(sameBits(out.array, want.out)).toBe(true);
    } finally {
      for (const a of [x, e, s, c, out]) a.free();
    }
  });

  test('zero-copy calls reserve no kernel memory for the arrays already there', () => {
    setKernelBackend('wasm');
    const n = 2 ** 23; // 32 MiB of input: more than any free space earlier tests left behind
    const f = PRESETS[0];
    const z = sizes(f, 1, n);
    const x = alloc(Float32Array, n);
    const e = alloc(Uint8Array, z.e);
    const s = alloc(Uint8Array, z.s);
    const c = alloc(Uint8Array, z.c);
    const out = alloc(Float32Array, n);
    try {
      x.array.fill(1.5);
      const before = x.array.buffer.byteLength;
      expect(bdrQuantize(x.array, 1, n, ...f, 'even', e.array, s.array, c.array)).toBe(-1);
      bdrDequantize(e.array, s.array, c.array, 1, n, ...f, out.array);
      expect(x.array.buffer.byteLength - before).toBeLessThan(1 << 20);
      expect(out.array[n - 1]).toBe(1.5);
    } finally {
      for (const a of [x, e, s, c, out]) a.free();
    }
  });

  test('the flat index of the first NaN/±Inf, in a later call', () => {
    const x = big(700_001);
    x[650_001] = Number.NEGATIVE_INFINITY;
    x[690_000] = Number.NaN;
    for (const f of [PRESETS[0], PRESETS[6], [5, 8, 5, 0, 9] as F]) {
      const z = sizes(f, 1, x.length);
      for (const be of ['wasm', 'js'] as const) {
        setKernelBackend(be);
        expect(bdrQuantize(x, 1, x.length, ...f, 'even', new Uint8Array(z.e), new Uint8Array(z.s), new Uint8Array(z.c))).toBe(650_001);
      }
    }
  });
});
