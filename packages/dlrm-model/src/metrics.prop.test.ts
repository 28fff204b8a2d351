import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { naiveAuc } from '../test/reference/dlrm-reference.js';
import { accuracy, logLoss, normalizedEntropy, rocAuc } from './index.js';

const scored = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 200 })
  .filter((a) => a.some(([, y]) => y === 1) && a.some(([, y]) => y === 0));

describe('rocAuc', () => {
  test.prop([scored], { numRuns: 100 })('equals the naive O(n²) Mann–Whitney count with ties', (a) => {
    const p = Float32Array.from(a, ([s]) => s / 20);
    const y = Float32Array.from(a, ([, l]) => l);
    expect(rocAuc(p, y)).toBeCloseTo(naiveAuc(p, y), 12);
  });
  it('throws with one class only, and on a non-binary label', () => {
    expect(() => rocAuc([0.1, 0.2], [1, 1])).toThrow(/both classes/);
    expect(() => rocAuc([0.1, 0.2], [1, 0.5])).toThrow(/0 or 1/);
  });
  it('is 0.5 for constant scores and 1 for a perfect ranking', () => {
    expect(rocAuc([0.3, 0.3, 0.3], [0, 1, 0])).toBe(0.5);
    expect(rocAuc([0.1, 0.9, 0.2], [0, 1, 0])).toBe(1);
  });
});

describe('logLoss / normalizedEntropy / accuracy against float64 references', () => {
  const probs = fc.array(fc.tuple(fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }), fc.integer({ min: 0, max: 1 })), {
    minLength: 1,
    maxLength: 100,
  });
  test.prop([probs], { numRuns: 100 })('logLoss equals −mean(y ln p + (1−y) ln(1−p))', (a) => {
    const p = a.map(([v]) => v);
    const y = a.map(([, l]) => l);
    const ref = -a.reduce((s, [v, l]) => s + (l ? Math.log(v) : Math.log(1 - v)), 0) / a.length;
    expect(logLoss(p, y)).toBeCloseTo(ref, 12);
  });
  test.prop([probs], { numRuns: 100 })('NE equals Σ CE(y, p) / Σ CE(y, p̄)', (a) => {
    const p = a.map(([v]) => v);
    const y = a.map(([, l]) => l);
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    const pb = Math.min(Math.max(mean, 1e-12), 1 - 1e-12);
    const ce = (q: number, l: number) => -(l * Math.log(q) + (1 - l) * Math.log(1 - q));
    const ref = a.reduce((s, [v, l]) => s + ce(v, l), 0) / a.reduce((s, [, l]) => s + ce(pb, l), 0);
    expect(normalizedEntropy(p, y)).toBeCloseTo(ref, 10);
  });
  it('NE is 1 when p ≡ p̄; log loss clamps each log term at −100; clipEps clips like sklearn', () => {
    expect(normalizedEntropy([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0])).toBeCloseTo(1, 14);
    expect(logLoss([0], [1])).toBe(100);
    expect(logLoss([0], [1], { clipEps: 1e-15 })).toBeCloseTo(-Math.log(1e-15), 12);
    expect(normalizedEntropy([0.5, 0.5], [1, 0], { baseRate: 0.5 })).toBeCloseTo(1, 14);
  });
  it('accuracy rounds half to even (0.5 → 0)', () => {
    expect(accuracy([0.5, 0.5, 0.51, 0.49], [0, 1, 1, 0])).toBe(0.75);
    expect(() => accuracy([1.5], [1])).toThrow(/probabilities/);
    expect(() => accuracy([0.5], [2])).toThrow(/labels/);
    expect(() => accuracy([0.5], [1, 0])).toThrow(/equal lengths/);
  });
});
