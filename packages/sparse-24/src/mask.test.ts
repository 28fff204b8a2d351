import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { f32FromBits, loadGolden } from '../test/golden.js';
import { isSparse24, mask24, mask24HostUnchecked } from './mask.js';

describe('mask24', () => {
  for (const g of loadGolden()) {
    for (const c of g.prune_masks) {
      it(`equals the PyTorch stable-sort magnitude mask: ${g.file} ${c.name}`, () => {
        expectNoLeaks(() => {
          const x = tf.tensor(f32FromBits(c.x_bits), c.shape, 'float32');
          const m = mask24(x, { by: 'magnitude' });
          const got = Array.from(m.dataSync());
          tf.dispose([x, m]);
          expect(got).toEqual(c.mask);
        });
      });
    }
  }

  it('breaks ties to the lower index, -0 ties +0, NaN ranks last', () => {
    const x = new Float32Array([-0, 0, 0, -0, 1, -1, 1, 1, Number.NaN, 0, -0, 0, 2, Number.NaN, 2, 3]);
    const m = Array.from(mask24HostUnchecked(x, 'magnitude', new Uint8Array(16)));
    expect(m).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1]);
  });

  it("ranks by value with by: 'value'", () => {
    expectNoLeaks(() => {
      const x = tf.tensor2d([[-5, 1, -2, 0.5, -1, -2, -3, -4]]);
      const m = mask24(x, { by: 'value' });
      expect(Array.from(m.dataSync())).toEqual([0, 1, 0, 1, 1, 1, 0, 0]);
      const a = mask24(x);
      expect(Array.from(a.dataSync())).toEqual([1, 0, 1, 0, 0, 0, 1, 1]);
      tf.dispose([x, m, a]);
    });
  });

  it('works on any rank along the last axis', () => {
    expectNoLeaks(() => {
      const x = tf.tensor3d([[[1, 2, 3, 4]], [[4, 3, 2, 1]]]);
      const m = mask24(x);
      expect(m.shape).toEqual([2, 1, 4]);
      expect(Array.from(m.dataSync())).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
      tf.dispose([x, m]);
    });
  });

  it('rejects bad input with TesseraError codes and does not leak', () => {
    expectNoLeaks(() => {
      const bad = tf.zeros([2, 6]);
      const int = tf.zeros([2, 4], 'int32');
      expect(() => mask24(bad)).toThrow(/mask24: the last dimension of x must be a multiple of 4/);
      expect(() => mask24(int)).toThrow(expect.objectContaining({ code: 'INVALID_DTYPE' }));
      const s = tf.scalar(1);
      expect(() => mask24(s)).toThrow(TesseraError);
      expect(() => mask24(int, { by: 'abs' as never })).toThrow(TesseraError);
      tf.dispose([bad, int, s]);
    });
  });
});

describe('isSparse24', () => {
  it('accepts at most 2 non-zeros per group; -0 is zero and NaN is not', () => {
    expectNoLeaks(() => {
      const a = tf.tensor2d([[1, 0, -0, 2, 0, 0, 0, 0]]);
      const b = tf.tensor2d([[1, Number.NaN, 0, 2]]);
      const c = tf.tensor2d([[1, 2, 3]]);
      expect(isSparse24(a)).toBe(true);
      expect(isSparse24(b)).toBe(false);
      expect(isSparse24(c)).toBe(false);
      expect(isSparse24(new Float32Array([0, 0, 1, 1]))).toBe(true);
      tf.dispose([a, b, c]);
    });
  });
});
