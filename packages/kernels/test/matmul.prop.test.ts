// gemm, spmm24 and spmm24T (both backends) against a float64 reference within float32 tolerance; the 2:4 mask and
// compression, wasm = JavaScript bit for bit (ties, NaN, ±0 included).
import { fc, test } from '@fast-check/vitest';
import { afterAll, expect, test as plainTest } from 'vitest';
import { gemm, mask24Compress, sddmm24, setKernelBackend, spmm24, spmm24T } from '../src/index.js';
import { densify, refGemm, transpose } from './reference/matmul.js';

afterAll(() => setKernelBackend(undefined));

const small = fc.float({ min: Math.fround(-4), max: Math.fround(4), noNaN: true });

/** max |got − ref| / (Σ|a||b| + tiny): float32 accumulation error is a few ulps of Σ|a||b| per term count. */
function maxRel(got: Float32Array, ref: { c: Float64Array; abs: Float64Array }): number {
  let e = 0;
  for (let i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i] - ref.c[i]) / (ref.abs[i] + 1e-30));
  return e;
}

const dimsArb = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 70 }));

test.prop([dimsArb, fc.constantFrom('wasm' as const, 'js' as const), fc.integer()], { numRuns: 60 })(
  'gemm = float64 reference within float32 tolerance (column tails, odd sizes)',
  ([m, k4, n], be, seed) => {
    setKernelBackend(be);
    const k = k4 * 4;
    const rnd = mulberry(seed);
    const a = Float32Array.from({ length: m * k }, () => rnd() * 4 - 2);
    const b = Float32Array.from({ length: k * n }, () => rnd() * 4 - 2);
    const out = new Float32Array(m * n).fill(Number.NaN);
    gemm(a, m, k, b, n, out);
    expect(maxRel(out, refGemm(a, m, k, b, n))).toBeLessThanOrEqual(k * 2 ** -23);
  },
);

test.prop([dimsArb, fc.constantFrom('wasm' as const, 'js' as const), fc.integer()], { numRuns: 60 })(
  'spmm24 and spmm24T = float64 reference of the densified A within float32 tolerance',
  ([m, k4, n], be, seed) => {
    setKernelBackend(be);
    const k = k4 * 4;
    const rnd = mulberry(seed);
    const x = Float32Array.from({ length: m * k }, () => rnd() * 4 - 2);
    const values = new Float32Array((m * k) / 2);
    const cols = new Int32Array((m * k) / 2);
    mask24Compress(x, m, k, 'magnitude', null, values, cols);
    const A = densify(values, cols, m, k);
    const b = Float32Array.from({ length: k * n }, () => rnd() * 4 - 2);
    const out = new Float32Array(m * n).fill(Number.NaN);
    spmm24(values, cols, m, k, b, n, out);
    expect(maxRel(out, refGemm(A, m, k, b, n))).toBeLessThanOrEqual(k * 2 ** -23);
    const bt = Float32Array.from({ length: m * n }, () => rnd() * 4 - 2);
    const outT = new Float32Array(k * n).fill(Number.NaN);
    spmm24T(values, cols, m, k, bt, n, outT);
    expect(maxRel(outT, refGemm(transpose(A, m, k), k, m, bt, n))).toBeLessThanOrEqual(m * 2 ** -23);
  },
);

test.prop(
  [
    fc.integer({ min: 1, max: 6 }).chain((g) =>
      fc.array(fc.oneof(small, fc.constantFrom(0, -0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY)), {
        minLength: 4 * g,
        maxLength: 4 * g,
      }),
    ),
    fc.constantFrom('magnitude' as const, 'value' as const),
  ],
  { numRuns: 300 },
)('mask24Compress: wasm = JavaScript bit for bit; two kept per group', (xs, by) => {
  const x = Float32Array.from(xs);
  const k = x.length % 8 === 0 ? 8 : 4;
  const rows = x.length / k;
  const res = (['wasm', 'js'] as const).map((be) => {
    setKernelBackend(be);
    const mask = new Uint8Array(x.length);
    const values = new Float32Array(x.length / 2);
    const cols = new Int32Array(x.length / 2);
    mask24Compress(x, rows, k, by, mask, values, cols);
    return { mask, values, cols };
  });
  expect(res[0].mask).toEqual(res[1].mask);
  expect(new Uint32Array(res[0].values.buffer)).toEqual(new Uint32Array(res[1].values.buffer));
  expect(res[0].cols).toEqual(res[1].cols);
  for (let g = 0; g < x.length; g += 4) expect(res[0].mask[g] + res[0].mask[g + 1] + res[0].mask[g + 2] + res[0].mask[g + 3]).toBe(2);
});

function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

plainTest.each(['wasm', 'js'] as const)('%s: k spanning several K-chunks (k = 1028, n = 40: a 32-column panel and a tail)', (be) => {
  setKernelBackend(be);
  const m = 3;
  const k = 1028;
  const n = 40;
  const rnd = mulberry(7);
  const x = Float32Array.from({ length: m * k }, () => rnd() * 2 - 1);
  const values = new Float32Array((m * k) / 2);
  const cols = new Int32Array((m * k) / 2);
  mask24Compress(x, m, k, 'value', null, values, cols);
  const A = densify(values, cols, m, k);
  const b = Float32Array.from({ length: k * n }, () => rnd() * 2 - 1);
  const out = new Float32Array(m * n);
  spmm24(values, cols, m, k, b, n, out);
  expect(maxRel(out, refGemm(A, m, k, b, n))).toBeLessThanOrEqual(k * 2 ** -23);
  const dense = Float32Array.from(A);
  gemm(dense, m, k, b, n, out);
  expect(maxRel(out, refGemm(A, m, k, b, n))).toBeLessThanOrEqual(k * 2 ** -23);
});

test.prop([dimsArb, fc.integer({ min: 1, max: 21 }), fc.constantFrom('wasm' as const, 'js' as const), fc.integer()], { numRuns: 60 })(
  'sddmm24 = float64 reference at the kept positions within float32 tolerance',
  ([m, k4], d, be, seed) => {
    setKernelBackend(be);
    const k = k4 * 4;
    const rnd = mulberry(seed);
    const x = Float32Array.from({ length: m * k }, () => rnd() * 4 - 2);
    const values = new Float32Array((m * k) / 2);
    const cols = new Int32Array((m * k) / 2);
    mask24Compress(x, m, k, 'magnitude', null, values, cols);
    const a = Float32Array.from({ length: m * d }, () => rnd() * 4 - 2);
    const bt = Float32Array.from({ length: k * d }, () => rnd() * 4 - 2);
    const out = new Float32Array((m * k) / 2).fill(Number.NaN);
    sddmm24(a, m, d, bt, cols, k, out);
    const ref = refGemm(a, m, d, transpose(bt, k, d), k);
    const h = k / 2;
    for (let r = 0; r < m; r++)
      for (let t = 0; t < h; t++) {
        const i = r * k + cols[r * h + t];
        expect(Math.abs(out[r * h + t] - ref.c[i])).toBeLessThanOrEqual(d * 2 ** -23 * (ref.abs[i] + 1e-30));
      }
  },
);

plainTest.each(['wasm', 'js'] as const)(
  '%s: packed column blocks (n = 151 > 64, m ≥ 8), an odd last K-chunk (k = 2051) and a 4 + 3 column tail',
  (be) => {
    setKernelBackend(be);
    const m = 9;
    const n = 151;
    const rnd = mulberry(11);
    const kd = 2051;
    const a = Float32Array.from({ length: m * kd }, () => rnd() * 2 - 1);
    const b = Float32Array.from({ length: kd * n }, () => rnd() * 2 - 1);
    const out = new Float32Array(m * n).fill(Number.NaN);
    gemm(a, m, kd, b, n, out);
    expect(maxRel(out, refGemm(a, m, kd, b, n))).toBeLessThanOrEqual(kd * 2 ** -23);
    const k = 2056;
    const x = Float32Array.from({ length: m * k }, () => rnd() * 2 - 1);
    const values = new Float32Array((m * k) / 2);
    const cols = new Int32Array((m * k) / 2);
    mask24Compress(x, m, k, 'magnitude', null, values, cols);
    const A = densify(values, cols, m, k);
    const bs = Float32Array.from({ length: k * n }, () => rnd() * 2 - 1);
    const outS = new Float32Array(m * n).fill(Number.NaN);
    spmm24(values, cols, m, k, bs, n, outS);
    expect(maxRel(outS, refGemm(A, m, k, bs, n))).toBeLessThanOrEqual(k * 2 ** -23);
    // Aᵀ·b: k = 2056 output rows (packed b of m rows)
    const bt = Float32Array.from({ length: m * n }, () => rnd() * 2 - 1);
    const outT = new Float32Array(k * n).fill(Number.NaN);
    spmm24T(values, cols, m, k, bt, n, outT);
    expect(maxRel(outT, refGemm(transpose(A, m, k), k, m, bt, n))).toBeLessThanOrEqual(m * 2 ** -23);
  },
);

plainTest.each(['wasm', 'js'] as const)('%s: k = 0 gives zeros (gemm, spmm24)', (be) => {
  setKernelBackend(be);
  const out = new Float32Array(3 * 20).fill(Number.NaN);
  gemm(new Float32Array(0), 3, 0, new Float32Array(0), 20, out);
  expect(Array.from(out)).toEqual(new Array(60).fill(0));
  out.fill(Number.NaN);
  spmm24(new Float32Array(0), new Int32Array(0), 3, 0, new Float32Array(0), 20, out);
  expect(Array.from(out)).toEqual(new Array(60).fill(0));
});

plainTest.each(['wasm', 'js'] as const)('%s: spmm24 and spmm24T name the first column outside its 2:4 group and write nothing', (be) => {
  setKernelBackend(be);
  const m = 5;
  const k = 24;
  const n = 20;
  const values = new Float32Array((m * k) / 2).fill(1);
  const cols = Int32Array.from({ length: (m * k) / 2 }, (_, i) => (i % 12) * 2);
  const b = new Float32Array(k * n).fill(1);
  for (const [i, c] of [
    [14, 0], // inside [0, k) but not in group 1 of its row
    [37, 24],
    [50, -1],
    [59, 2 ** 31 - 1],
  ]) {
    const bad = cols.slice();
    bad[i] = c;
    bad[i + 1] = -5; // a later bad column is not the one named
    const out = new Float32Array(m * n).fill(7);
    let err: unknown;
    try {
      spmm24(values, bad, m, k, b, n, out);
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('INDEX_OUT_OF_RANGE');
    expect(String((err as Error).message)).toContain(`cols[${i}] = ${c}`);
    expect(out.every((v) => v === 7)).toBe(true);
    // spmm24T checks the same rule (wasm: while building the CSR of Aᵀ)
    const outT = new Float32Array(k * n).fill(7);
    let errT: unknown;
    try {
      spmm24T(values, bad, m, k, new Float32Array(m * n), n, outT);
    } catch (e) {
      errT = e;
    }
    expect((errT as { code?: string }).code).toBe('INDEX_OUT_OF_RANGE');
    expect(String((errT as Error).message)).toContain(`cols[${i}] = ${c}`);
    expect(outT.every((v) => v === 7)).toBe(true);
  }
});
