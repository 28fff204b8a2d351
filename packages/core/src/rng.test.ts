import { describe, expect, it } from 'vitest';
import { rng } from './rng.js';

describe('rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = rng(1);
    const b = rng(1);
    const c = rng(2);
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xa);
  });
  it('uniform draws lie in [lo, hi) with the right mean', () => {
    const r = rng(3);
    const xs = r.uniformArray(100_000, -2, 6);
    let sum = 0;
    let outside = 0;
    for (const x of xs) {
      if (!(x >= -2 && x < 6)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / xs.length - 2)).toBeLessThan(0.03);
  });
  it('int(n) is unbiased (chi-square on 10 buckets)', () => {
    const r = rng(4);
    const counts = new Array(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[r.int(10)]++;
    const chi = counts.reduce((a, c) => a + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.9); // p = 0.001 for 9 degrees of freedom
    expect(() => r.int(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
  it('normal draws have mean, variance and tails of N(0,1)', () => {
    const xs = rng(5).normalArray(200_000);
    let m = 0;
    let v = 0;
    let tail = 0;
    for (const x of xs) m += x;
    m /= xs.length;
    for (const x of xs) {
      v += (x - m) ** 2;
      if (Math.abs(x) > 1.959964) tail++;
    }
    v /= xs.length;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(v - 1)).toBeLessThan(0.015);
    expect(Math.abs(tail / xs.length - 0.05)).toBeLessThan(0.003);
  });
  it('zipf draws follow p(k) ∝ 1/(k+1)^s within sampling error', () => {
    for (const [n, s] of [
      [10, 1.2],
      [1000, 0.8],
      [50, 2],
    ] as const) {
      const r = rng(6);
      const draws = 200_000;
      const counts = new Float64Array(n);
      const xs = r.zipfArray(draws, n, s);
      let outOfRange = 0;
      for (const k of xs) {
        if (k < 0 || k >= n) outOfRange++;
        else counts[k]++;
      }
      expect(outOfRange).toBe(0);
      let h = 0;
      for (let k = 1; k <= n; k++) h += k ** -s;
      for (let k = 0; k < Math.min(n, 5); k++) {
        const p = (k + 1) ** -s / h;
        const sd = Math.sqrt((draws * p * (1 - p)) as number);
        expect(Math.abs(counts[k] - draws * p)).toBeLessThan(5 * sd + 1);
      }
    }
  });
  it('zipf with s = 0 is uniform, and bad parameters are rejected', () => {
    const r = rng(7);
    const xs = r.zipfArray(50_000, 4, 0);
    const c = [0, 0, 0, 0];
    for (const k of xs) c[k]++;
    for (const v of c) expect(Math.abs(v - 12_500)).toBeLessThan(600);
    expect(() => r.zipf(0, 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => r.zipf(10, -1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => rng(1.5)).toThrow(/seed must be a finite integer, got 1.5/);
  });
  it('fork gives an independent reproducible stream', () => {
    const a = rng(8).fork();
    const b = rng(8).fork();
    expect(a.uniform()).toBe(b.uniform());
  });
});
