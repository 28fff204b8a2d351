// @tessera/kernels' 2:4 mask + compression kernel (wasm by default, its JavaScript twin under TESSERA_KERNELS=js),
// which mask24, compress24's pruning and the FFN's sparsify run on, against this package's semantics: the golden
// PyTorch magnitude masks, the stable-sort reference (test/reference/masks.ts) under fast-check with ties, ±0, NaN
// and ±Inf, and the matrix compress24 keeps (prune 'magnitude' / 'value').
import { fc, test } from '@fast-check/vitest';
import { mask24Compress } from '@tessera/kernels';
import { expect } from 'vitest';
import { f32FromBits, loadGolden } from '../../test/golden.js';
import { refMask24 } from '../../test/reference/masks.js';
import { compress24 } from '../compress.js';
import { kernelForm } from '../sparse24-tensor.js';

for (const g of loadGolden())
  for (const c of g.prune_masks)
    test(`kernel mask = golden PyTorch magnitude mask: ${g.file} ${c.name}`, () => {
      const x = f32FromBits(c.x_bits);
      const mask = new Uint8Array(x.length);
      mask24Compress(x, c.shape[0], c.shape[1], 'magnitude', mask, null, null);
      expect(Array.from(mask)).toEqual(c.mask);
    });

const val = fc.oneof(
  fc.float({ min: Math.fround(-4), max: Math.fround(4), noNaN: true }),
  fc.constantFrom(0, -0, 1, -1, 2, -2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

test.prop(
  [
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
    fc.constantFrom('magnitude' as const, 'value' as const),
    fc.infiniteStream(val),
  ],
  {
    numRuns: 300,
  },
)('kernel mask and compression = the stable-sort reference and compress24 (ties, ±0, NaN, ±Inf)', (m, g, by, s) => {
  const k = 4 * g;
  const x = Float32Array.from(s.take(m * k));
  const mask = new Uint8Array(m * k);
  const values = new Float32Array((m * k) / 2);
  const cols = new Int32Array((m * k) / 2);
  mask24Compress(x, m, k, by, mask, values, cols);
  expect(Array.from(mask)).toEqual(refMask24(x, by));
  // compress24 may place a kept zero (either sign) elsewhere in its group: compare the matrices the forms stand for
  const form = kernelForm(compress24({ dtype: 'float32', shape: [m, k], data: x }, { prune: by }));
  const dense = (v: Float32Array, c: Int32Array) => {
    const d = new Float32Array(m * k);
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) d[Math.floor(i / (k / 2)) * k + c[i]] = v[i];
    return Array.from(new Uint32Array(d.buffer));
  };
  expect(dense(values, cols)).toEqual(dense(form.values, form.cols));
});
