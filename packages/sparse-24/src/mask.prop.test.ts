import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { refGreedyTile, refMask24, refOptimalTile, refTileKeys } from '../test/reference/masks.js';
import { mask24HostUnchecked } from './mask.js';
import { mask24TransposableHostUnchecked } from './transposable.js';

// Values from a small set make ties frequent; the wide arbitrary covers NaN, ±Inf, ±0 and subnormals.
const tieValue = fc.constantFrom(-2, -1, -0, 0, 1, 2, 0.5);
const anyValue = fc.oneof(tieValue, fc.float({ noDefaultInfinity: false, noNaN: false }));
const matrix = (maxRows: number, maxCols: number) =>
  fc
    .record({ m: fc.integer({ min: 1, max: maxRows }), k: fc.integer({ min: 1, max: maxCols }) })
    .chain(({ m, k }) =>
      fc.record({ m: fc.constant(m), k: fc.constant(k), x: fc.array(anyValue, { minLength: m * k, maxLength: m * k }) }),
    );

describe('mask properties', () => {
  test.prop([fc.array(anyValue, { minLength: 1, maxLength: 16 }).map((a) => a.concat(a, a, a)), fc.constantFrom('magnitude', 'value')], {
    numRuns: 300,
  })('mask24 equals the stable-sort reference and keeps exactly 2 of every 4', (x, by) => {
    const got = mask24HostUnchecked(Float32Array.from(x), by as 'magnitude', new Uint8Array(x.length));
    expect(Array.from(got)).toEqual(refMask24(Float32Array.from(x), by as 'magnitude'));
    for (let g = 0; g < x.length; g += 4) expect(got[g] + got[g + 1] + got[g + 2] + got[g + 3]).toBe(2);
  });

  test.prop([matrix(9, 9), fc.constantFrom('magnitude', 'value')], { numRuns: 200 })(
    'greedy transposable equals the reference and has <= 2 per row and column of each tile',
    ({ m, k, x }, by) => {
      const xs = Float32Array.from(x);
      const got = mask24TransposableHostUnchecked(xs, m, k, 'greedy', by as 'value', new Uint8Array(m * k));
      for (let r0 = 0; r0 < m; r0 += 4) {
        for (let c0 = 0; c0 < k; c0 += 4) {
          const ref = refGreedyTile(refTileKeys(xs, m, k, r0, c0, by as 'value'));
          for (let i = 0; i < 16; i++) {
            const r = r0 + (i >> 2);
            const c = c0 + (i & 3);
            if (r < m && c < k) expect(got[r * k + c]).toBe(ref[i]);
          }
          for (let t = 0; t < 4; t++) {
            let row = 0;
            let col = 0;
            for (let u = 0; u < 4; u++) {
              if (r0 + t < m && c0 + u < k) row += got[(r0 + t) * k + c0 + u];
              if (r0 + u < m && c0 + t < k) col += got[(r0 + u) * k + c0 + t];
            }
            expect(row).toBeLessThanOrEqual(2);
            expect(col).toBeLessThanOrEqual(2);
          }
        }
      }
    },
  );

  // Magnitude keys of finite tiles: the optimum over all <=2-per-row/col masks is never below greedy.
  const finite = fc.oneof(tieValue, fc.float({ min: Math.fround(-1e6), max: Math.fround(1e6), noNaN: true }));
  test.prop([fc.array(finite, { minLength: 16, maxLength: 16 }), fc.constantFrom('magnitude', 'value')], { numRuns: 300 })(
    'optimal keeps at least the greedy kept-key sum on every tile',
    (x, by) => {
      const xs = Float32Array.from(x);
      const keys = (i: number) => (by === 'magnitude' ? Math.abs(xs[i]) : xs[i]);
      const g = mask24TransposableHostUnchecked(xs, 4, 4, 'greedy', by as 'value', new Uint8Array(16));
      const o = mask24TransposableHostUnchecked(xs, 4, 4, 'optimal', by as 'value', new Uint8Array(16));
      let gs = 0;
      let os = 0;
      for (let i = 0; i < 16; i++) {
        gs += g[i] ? keys(i) : 0;
        os += o[i] ? keys(i) : 0;
      }
      expect(os).toBeGreaterThanOrEqual(gs);
    },
  );

  test.prop([fc.array(fc.constantFrom(0, 1, 2, 3, 5, 8, -1, -4), { minLength: 16, maxLength: 16 })], { numRuns: 25 })(
    'optimal equals the brute force over all 2^16 masks',
    (x) => {
      const xs = Float32Array.from(x);
      const o = mask24TransposableHostUnchecked(xs, 4, 4, 'optimal', 'value', new Uint8Array(16));
      const ref = refOptimalTile(refTileKeys(xs, 4, 4, 0, 0, 'value'));
      expect(Array.from(o).reduce((a, b, i) => a | (b << i), 0)).toBe(ref.code);
    },
  );
});
