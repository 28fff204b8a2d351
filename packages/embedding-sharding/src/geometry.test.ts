import { fc, test as ftest } from '@fast-check/vitest';
import { TesseraError } from '@tessera/core';
import { describe, expect, test } from 'vitest';
import { shardGeometry } from './index.js';

const rowsOf = (r: number, n: number, o: { numBuckets?: number } = {}) =>
  shardGeometry(r, 8, 'row_wise', { worldSize: n, localWorldSize: n, ...o }).sizes.map((s) => s[0]);

describe('shardGeometry — torchrec calculate_shard_sizes_and_offsets vectors', () => {
  test('RW R=10,N=4 / R=5,N=4 / R=8,N=4 / R=7,N=6', () => {
    expect(rowsOf(10, 4)).toEqual([3, 3, 3, 1]);
    expect(rowsOf(5, 4)).toEqual([2, 2, 1, 0]);
    expect(rowsOf(8, 4)).toEqual([2, 2, 2, 2]);
    expect(rowsOf(7, 6)).toEqual([2, 2, 2, 1, 0, 0]);
    expect(shardGeometry(10, 8, 'row_wise', { worldSize: 4, localWorldSize: 4 }).offsets).toEqual([
      [0, 0],
      [3, 0],
      [6, 0],
      [9, 0],
    ]);
  });
  test('RW R=1.6e9 on 2 hosts x 8: 16 shards of 1e8 rows', () => {
    const g = shardGeometry(1.6e9, 128, 'row_wise', { worldSize: 16, localWorldSize: 8 });
    expect(g.sizes).toEqual(Array.from({ length: 16 }, () => [1e8, 128]));
    expect(g.offsets[15]).toEqual([15e8, 0]);
  });
  test('ZCH R=10, N=4, nb=5 → [4,2,2,2]; R % nb ≠ 0 is an error', () => {
    expect(rowsOf(10, 4, { numBuckets: 5 })).toEqual([4, 2, 2, 2]);
    expect(() => rowsOf(10, 4, { numBuckets: 3 })).toThrow(/divisible by numBuckets/);
  });
  test('CW C=256/384/96/160 → 2x128/3x128/1x96/1x160', () => {
    const cw = (c: number, minPartition?: number) =>
      shardGeometry(5, c, 'column_wise', { worldSize: 4, localWorldSize: 4, minPartition }).sizes.map((s) => s[1]);
    expect(cw(256)).toEqual([128, 128]);
    expect(cw(384)).toEqual([128, 128, 128]);
    expect(cw(96)).toEqual([96]);
    expect(cw(160)).toEqual([160]);
    expect(cw(160, 40)).toEqual([40, 40, 40, 40]);
    expect(cw(200, 64)).toEqual([100, 100]);
    expect(cw(256, 0)).toEqual([128, 128]); // 0 = unset (128)
    expect(shardGeometry(5, 384, 'table_column_wise', { worldSize: 4, localWorldSize: 4 }).offsets).toEqual([
      [0, 0],
      [0, 128],
      [0, 256],
    ]);
  });
  test('DP, TW, TWRW, GRID', () => {
    expect(shardGeometry(7, 3, 'data_parallel', { worldSize: 3, localWorldSize: 3 }).sizes).toEqual([
      [7, 3],
      [7, 3],
      [7, 3],
    ]);
    expect(shardGeometry(7, 3, 'table_wise', { worldSize: 3, localWorldSize: 3 })).toEqual({ sizes: [[7, 3]], offsets: [[0, 0]] });
    expect(shardGeometry(10, 8, 'table_row_wise', { worldSize: 8, localWorldSize: 4 }).sizes.map((s) => s[0])).toEqual([3, 3, 3, 1]);
    const g = shardGeometry(10, 256, 'grid_shard', { worldSize: 8, localWorldSize: 2 });
    expect(g.sizes).toEqual([
      [5, 128],
      [5, 128],
      [5, 128],
      [5, 128],
    ]);
    expect(g.offsets).toEqual([
      [0, 0],
      [5, 0],
      [0, 128],
      [5, 128],
    ]);
  });
  test('uneven RW: int(nb·m/Σm)·bucketSize, last rank takes the rest', () => {
    const g = shardGeometry(100, 4, 'row_wise', { worldSize: 3, localWorldSize: 3, deviceMemorySizes: [1, 2, 3] });
    expect(g.sizes.map((s) => s[0])).toEqual([16, 33, 51]);
    const z = shardGeometry(100, 4, 'row_wise', { worldSize: 3, localWorldSize: 3, deviceMemorySizes: [1, 2, 3], numBuckets: 10 });
    expect(z.sizes.map((s) => s[0])).toEqual([10, 30, 60]);
  });
  test('errors', () => {
    expect(() => shardGeometry(-1, 4, 'row_wise', { worldSize: 2, localWorldSize: 2 })).toThrow(TesseraError);
    expect(() => shardGeometry(10, 4, 'bogus' as never, { worldSize: 2, localWorldSize: 2 })).toThrow(/type must be/);
    expect(() => shardGeometry(10, 4, 'row_wise', { worldSize: 0, localWorldSize: 2 })).toThrow(/worldSize/);
  });
});

function tiles(R: number, C: number, sizes: [number, number][], offsets: [number, number][]): boolean {
  // rectangles must be disjoint and cover [R, C]: check area and pairwise disjointness
  let area = 0;
  for (let i = 0; i < sizes.length; i++) {
    const [r, c] = sizes[i];
    const [ro, co] = offsets[i];
    if (r < 0 || c < 0 || ro < 0 || co < 0 || ro + r > R || co + c > C) return false;
    area += r * c;
    for (let j = 0; j < i; j++) {
      const [r2, c2] = sizes[j];
      const [ro2, co2] = offsets[j];
      if (r * c === 0 || r2 * c2 === 0) continue;
      if (ro < ro2 + r2 && ro2 < ro + r && co < co2 + c2 && co2 < co + c) return false;
    }
  }
  return area === R * C;
}

describe('shardGeometry properties', () => {
  ftest.prop(
    [
      fc.integer({ min: 1, max: 1e9 }),
      fc.integer({ min: 1, max: 600 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 200 }),
      fc.constantFrom('table_wise', 'column_wise', 'row_wise', 'table_row_wise', 'table_column_wise', 'grid_shard'),
    ],
    { numRuns: 150 },
  )('non-DP shards tile [R, C] exactly', (R, C, L, H, minPartition, type) => {
    const g = shardGeometry(R, C, type as never, { worldSize: L * H, localWorldSize: L, minPartition });
    expect(tiles(R, C, g.sizes, g.offsets)).toBe(true);
  });
});
