import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { parseTile } from '../test/reference/masks.js';
import { greedyTileCode, mask24Transposable, optimalTileCode, transposableMaskCodes } from './transposable.js';

const tileMask = (rows: number[][], algo: 'greedy' | 'optimal', by: 'value' | 'magnitude') =>
  expectNoLeaks(() => {
    const x = tf.tensor2d(rows);
    const m = mask24Transposable(x, { algo, by });
    const out = Array.from(m.dataSync());
    tf.dispose([x, m]);
    return out;
  });
const keptSum = (rows: number[][], cells: number[]) => rows.flat().reduce((s, v, i) => s + (cells[i] ? v : 0), 0);

describe('mask24Transposable greedy (vectors from the xformers tests)', () => {
  it('value ranking, full tile', () => {
    const rows = [
      [4, 3, 2, 1],
      [0, 0, 0.5, 0.5],
      [1, 2, 3, 4],
      [10, 2, -1, 5],
    ];
    expect(tileMask(rows, 'greedy', 'value')).toEqual(parseTile('1100 0110 0011 1001'));
  });
  it('value ranking, the 7-cell tile', () => {
    const rows = [
      [2, -1, -2, -3],
      [-1, 8, -1, 6],
      [-1, -1, 4, 5],
      [-1, 3, 7, -1],
    ];
    const m = tileMask(rows, 'greedy', 'value');
    expect(m).toEqual(parseTile('1000 0101 0011 0110'));
    expect(m.reduce((a, b) => a + b, 0)).toBe(7);
    expect(keptSum(rows, m)).toBe(35);
  });
  it('abs ranking', () => {
    const rows = [
      [4, 3, 2, 1],
      [-1, -3, 0.6, 0.5],
      [1, 2, 3, 4],
      [10, 2, -1, 5],
    ];
    expect(tileMask(rows, 'greedy', 'magnitude')).toEqual(parseTile('1100 0110 0011 1001'));
  });
  it('tiles the whole matrix and pads partial tiles with -inf', () => {
    const x = tf.tensor2d(Array.from({ length: 6 }, (_, r) => Array.from({ length: 7 }, (_, c) => ((r * 7 + c) * 37) % 11)));
    const m = mask24Transposable(x);
    const d = m.dataSync();
    for (let r0 = 0; r0 < 6; r0 += 4) {
      for (let c0 = 0; c0 < 7; c0 += 4) {
        for (let i = 0; i < 4; i++) {
          let row = 0;
          let col = 0;
          for (let j = 0; j < 4; j++) {
            if (r0 + i < 6 && c0 + j < 7) row += d[(r0 + i) * 7 + c0 + j];
            if (r0 + j < 6 && c0 + i < 7) col += d[(r0 + j) * 7 + c0 + i];
          }
          expect(row).toBeLessThanOrEqual(2);
          expect(col).toBeLessThanOrEqual(2);
        }
      }
    }
    tf.dispose([x, m]);
  });
});

describe('mask24Transposable optimal', () => {
  it('searches exactly 7 343 masks, 90 of them with 8 cells', () => {
    const codes = transposableMaskCodes();
    expect(codes.length).toBe(7343);
    let full = 0;
    for (const c of codes) {
      let n = 0;
      for (let b = c; b; b &= b - 1) n++;
      if (n === 8) full++;
    }
    expect(full).toBe(90);
  });
  it("Paddle's tile: optimum 61 (0110 1001 1100 0011) beats stable greedy 57 (0011 1001 1100 0110)", () => {
    const rows = [
      [2, 8, 9, 9],
      [9, 1, 3, 9],
      [5, 6, 3, 9],
      [2, 4, 6, 9],
    ];
    const g = tileMask(rows, 'greedy', 'magnitude');
    const o = tileMask(rows, 'optimal', 'magnitude');
    expect(g).toEqual(parseTile('0011 1001 1100 0110'));
    expect(keptSum(rows, g)).toBe(57);
    expect(o).toEqual(parseTile('0110 1001 1100 0011'));
    expect(keptSum(rows, o)).toBe(61);
  });
  it('a 7-cell greedy mask no full pattern contains (44 vs the 90-pattern best 42): optimal keeps >= 44', () => {
    const rows = [
      [2, 5, 6, 3],
      [4, 1, 6, 8],
      [5, 8, 7, 8],
      [3, 1, 0, 1],
    ];
    const g = tileMask(rows, 'greedy', 'value');
    expect(g).toEqual(parseTile('0110 0011 0101 1000'));
    expect(keptSum(rows, g)).toBe(44);
    const o = tileMask(rows, 'optimal', 'value');
    expect(keptSum(rows, o)).toBeGreaterThanOrEqual(44);
    // The best of the 90 exact patterns is only 42: the optimum over all 7 343 masks is needed for the bound.
    let best90 = Number.NEGATIVE_INFINITY;
    for (const c of transposableMaskCodes()) {
      let n = 0;
      let s = 0;
      for (let i = 0; i < 16; i++) {
        if ((c >> i) & 1) {
          n++;
          s += rows[i >> 2][i & 3];
        }
      }
      if (n === 8) best90 = Math.max(best90, s);
    }
    expect(best90).toBe(42);
  });
  it('the signed tile: greedy 35, best exact pattern 30, optimal >= greedy', () => {
    const rows = [
      [2, -1, -2, -3],
      [-1, 8, -1, 6],
      [-1, -1, 4, 5],
      [-1, 3, 7, -1],
    ];
    const o = tileMask(rows, 'optimal', 'value');
    expect(keptSum(rows, o)).toBeGreaterThanOrEqual(35);
  });
  it('tile kernels on descending keys, and never keep -inf cells', () => {
    const keys = Float64Array.from({ length: 16 }, (_, i) => 16 - i);
    const code = (s: string) => parseTile(s).reduce((a, b, i) => a | (b << i), 0);
    expect(greedyTileCode(keys)).toBe(code('1100 1100 0011 0011'));
    expect(optimalTileCode(new Float64Array(16).fill(Number.NEGATIVE_INFINITY))).toBe(0);
  });
  it('rejects bad options', () => {
    const x = tf.zeros([4, 4]);
    expect(() => mask24Transposable(x, { algo: 'best' as never })).toThrow(/algo must be one of/);
    const v = tf.zeros([4]);
    expect(() => mask24Transposable(v)).toThrow(expect.objectContaining({ code: 'INVALID_SHAPE' }));
    tf.dispose([x, v]);
  });
});
