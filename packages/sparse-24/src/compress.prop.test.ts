import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { refDecodeCutlass, refEncodeCutlass } from '../test/reference/cutlass.js';
import { compress24, decompress24Raw } from './compress.js';

// A 2:4 matrix: each group keeps a random subset of at most 2 positions (0, 1 or 2 non-zeros).
const subsets = [[], [0], [1], [2], [3], [0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];
function sparse24Matrix<T>(m: number, k: number, value: fc.Arbitrary<T>, zero: T, perPair = false) {
  const g = perPair ? k / 2 : k / 4;
  const pick = perPair ? fc.constantFrom([], [0], [1]) : fc.constantFrom(...subsets);
  return fc.array(fc.tuple(pick, fc.array(value, { minLength: 2, maxLength: 2 })), { minLength: m * g, maxLength: m * g }).map((groups) => {
    const out: T[] = new Array(m * k).fill(zero);
    const w = perPair ? 2 : 4;
    groups.forEach(([pos, vals], i) => {
      pos.forEach((p, j) => {
        out[i * w + p] = vals[j];
      });
    });
    return out;
  });
}
const nonZeroF32 = fc.float({ noNaN: true }).filter((v) => v !== 0);
const f16Bits = fc.integer({ min: 1, max: 0xffff }).filter((b) => (b & 0x7fff) !== 0 && (b & 0x7c00) !== 0x7c00);
const i8 = fc.integer({ min: -128, max: 127 }).filter((v) => v !== 0);

describe('compress24 / decompress24 properties', () => {
  test.prop(
    [
      fc
        .record({ m: fc.integer({ min: 1, max: 5 }), g: fc.integer({ min: 1, max: 5 }) })
        .chain(({ m, g }) => fc.record({ m: fc.constant(m), k: fc.constant(4 * g), x: sparse24Matrix(m, 4 * g, nonZeroF32, 0) })),
    ],
    { numRuns: 200 },
  )('simple layout: decompress(compress(x)) = x for float32', ({ m, k, x }) => {
    const data = Float32Array.from(x);
    const s = compress24({ dtype: 'float32', shape: [m, k], data });
    expect(Array.from(decompress24Raw(s).data)).toEqual(Array.from(data));
  });

  test.prop([fc.integer({ min: 1, max: 2 }).chain((t) => sparse24Matrix(32 * t, 64, f16Bits, 0).map((x) => ({ m: 32 * t, x })))], {
    numRuns: 40,
  })('CUTLASS float16 equals the naive reference encoder and round-trips', ({ m, x }) => {
    const k = 64;
    const data = Uint16Array.from(x);
    const s = compress24({ dtype: 'float16', shape: [m, k], data }, { layout: 'cutlass' });
    const ref = refEncodeCutlass(x, m, k, (b) => (b & 0x7fff) !== 0, 'f16');
    expect(Array.from(s.values)).toEqual(ref.packed);
    expect(Array.from(new Uint16Array((s.meta as Int16Array).buffer))).toEqual(ref.metaUnsigned);
    expect(Array.from(decompress24Raw(s).data)).toEqual(refDecodeCutlass(ref.packed, ref.metaUnsigned, m, k, 'f16'));
    expect(Array.from(decompress24Raw(s).data)).toEqual(x);
  });

  test.prop([sparse24Matrix(16, 128, i8, 0)], { numRuns: 30 })('CUTLASS int8 (int32 meta) equals the reference and round-trips', (x) => {
    const s = compress24({ dtype: 'int8', shape: [16, 128], data: Int8Array.from(x) }, { layout: 'cutlass' });
    const ref = refEncodeCutlass(x, 16, 128, (v) => v !== 0, 'i8');
    expect(Array.from(s.values)).toEqual(ref.packed);
    expect(Array.from(new Uint32Array((s.meta as Int32Array).buffer))).toEqual(ref.metaUnsigned);
    expect(Array.from(decompress24Raw(s).data)).toEqual(x);
  });

  test.prop([sparse24Matrix(32, 32, nonZeroF32, 0, true)], { numRuns: 30 })(
    'CUTLASS float32 (1:2) equals the reference and round-trips',
    (x) => {
      const data = Float32Array.from(x);
      const s = compress24({ dtype: 'float32', shape: [32, 32], data }, { layout: 'cutlass' });
      const ref = refEncodeCutlass(Array.from(data), 32, 32, (v) => v !== 0, 'f32');
      expect(Array.from(s.values)).toEqual(ref.packed);
      expect(Array.from(new Uint16Array((s.meta as Int16Array).buffer))).toEqual(ref.metaUnsigned);
      expect(Array.from(decompress24Raw(s).data)).toEqual(Array.from(data));
    },
  );

  test.prop([fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 32 * 64, maxLength: 32 * 64 })], { numRuns: 15 })(
    "CUTLASS prune: 'position' on arbitrary (non-2:4) float16 bits equals PyTorch's encoder (reference)",
    (x) => {
      const s = compress24({ dtype: 'float16', shape: [32, 64], data: Uint16Array.from(x) }, { layout: 'cutlass', prune: 'position' });
      const ref = refEncodeCutlass(x, 32, 64, (b) => (b & 0x7fff) !== 0, 'f16');
      expect(Array.from(s.values)).toEqual(ref.packed);
      expect(Array.from(new Uint16Array((s.meta as Int16Array).buffer))).toEqual(ref.metaUnsigned);
    },
  );
});
