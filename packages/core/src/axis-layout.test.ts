import { describe, expect, it } from 'vitest';
import { type AxisLayout, axisLayout, moveAxisBack, moveAxisLast } from './axis-layout.js';
import { TesseraError } from './errors.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    return (e as TesseraError).code;
  }
  return 'no error';
};

describe('axisLayout', () => {
  it('gives [outer, L, inner] around the axis, negative axes from the end', () => {
    expect(axisLayout([2, 3, 4], 1)).toEqual({ outer: 2, L: 3, inner: 4, rows: 8, numel: 24 });
    expect(axisLayout([2, 3, 4], -1)).toEqual({ outer: 6, L: 4, inner: 1, rows: 6, numel: 24 });
    expect(axisLayout([2, 3, 4], 0)).toEqual({ outer: 1, L: 2, inner: 12, rows: 12, numel: 24 });
    expect(axisLayout([5], 0)).toEqual({ outer: 1, L: 5, inner: 1, rows: 1, numel: 5 });
  });

  it('answers huge shapes without elements at once', () => {
    const g = axisLayout([1e12, 0, 1e12], 1);
    expect(g.numel).toBe(0);
    expect(moveAxisLast(new Float32Array(0), g).length).toBe(0);
    expect(moveAxisBack(new Float32Array(0), g).length).toBe(0);
  });

  it('rejects bad shapes and axes with TesseraError', () => {
    expect(codeOf(() => axisLayout([], 0))).toBe('INVALID_SHAPE');
    expect(codeOf(() => axisLayout([2, -1], 0))).toBe('INVALID_SHAPE');
    expect(codeOf(() => axisLayout([2, 1.5], 0))).toBe('INVALID_SHAPE');
    expect(codeOf(() => axisLayout('2' as never, 0))).toBe('INVALID_SHAPE');
    expect(codeOf(() => axisLayout([2, 3], 2))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => axisLayout([2, 3], -3))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => axisLayout([2, 3], 0.5))).toBe('INVALID_ARGUMENT');
  });
});

describe('moveAxisLast / moveAxisBack', () => {
  it('returns src itself when nothing moves, a copy into out when given', () => {
    const x = new Float32Array([1, 2, 3, 4]);
    const g = axisLayout([2, 2], 1);
    expect(moveAxisLast(x, g)).toBe(x);
    expect(moveAxisBack(x, g)).toBe(x);
    const out = new Float32Array(4);
    expect(moveAxisLast(x, g, out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(moveAxisLast(x, axisLayout([1, 4], 0))).toBe(x); // L = 1: the same memory order
  });

  it('writes into out and never into src', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    const g = axisLayout([2, 3], 0);
    const out = new Float32Array(6);
    expect(moveAxisLast(x, g, out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(x)).toEqual([1, 2, 3, 4, 5, 6]);
    const back = new Float32Array(6);
    expect(moveAxisBack(out, g, back)).toBe(back);
    expect(Array.from(back)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects bad arrays and layouts with TesseraError, before writing anything', () => {
    const g = axisLayout([2, 3], 0);
    const x = new Float32Array(6);
    for (const move of [moveAxisLast, moveAxisBack]) {
      expect(codeOf(() => move(new Float64Array(6) as never, g))).toBe('INVALID_DTYPE');
      expect(codeOf(() => move(new Float32Array(5), g))).toBe('INVALID_SHAPE');
      expect(codeOf(() => move(x, g, new Float32Array(7)))).toBe('INVALID_SHAPE');
      expect(codeOf(() => move(x, g, [] as never))).toBe('INVALID_DTYPE');
      expect(codeOf(() => move(x, g, x))).toBe('INVALID_ARGUMENT'); // in place would corrupt
      const buf = new Float32Array(9);
      expect(codeOf(() => move(buf.subarray(0, 6), g, buf.subarray(3, 9)))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => move(x, { ...g, numel: 7 } as AxisLayout))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => move(x, { outer: -1, L: 3, inner: -2, rows: 2, numel: 6 }))).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => move(x, null as never))).toBe('INVALID_ARGUMENT');
    }
  });
});
