import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float32Arb } from '../../testing/src/arbitraries.js';
import { moveAxisBackReference, moveAxisLastReference } from '../test/reference/axis-layout.js';
import { axisLayout, moveAxisBack, moveAxisLast } from './axis-layout.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// shapes of rank 1..4 with small dimensions (0 included), an axis in [-rank, rank-1], and matching float32 values
// (NaN, ±0, ±Inf, subnormals: the move must carry every bit pattern unchanged)
const caseArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
    values: fc
      .array(float32Arb({ nan: true, infinities: true }), {
        minLength: shape.reduce((a, b) => a * b, 1),
        maxLength: shape.reduce((a, b) => a * b, 1),
      })
      .map((v) => Float32Array.from(v)),
  }),
);

describe('moveAxisLast / moveAxisBack vs the naive reference', () => {
  it('moveAxisLast equals the naive unravel/permute/ravel reference bit for bit (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, axis, values }) => {
        const a = axis < 0 ? axis + shape.length : axis;
        const want = moveAxisLastReference(values, shape, a);
        const g = axisLayout(shape, axis);
        expect(bits(moveAxisLast(values, g))).toEqual(bits(want));
        expect(bits(moveAxisLast(values, g, new Float32Array(values.length)))).toEqual(bits(want));
      }),
      { numRuns: 150 },
    );
  });

  it('moveAxisBack equals the reference and inverts moveAxisLast bit for bit (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, axis, values }) => {
        const a = axis < 0 ? axis + shape.length : axis;
        const g = axisLayout(shape, axis);
        expect(bits(moveAxisBack(values, g))).toEqual(bits(moveAxisBackReference(values, shape, a)));
        expect(bits(moveAxisBack(moveAxisLast(values, g), g))).toEqual(bits(values));
        expect(g.rows * g.L).toBe(values.length);
      }),
      { numRuns: 150 },
    );
  });
});
