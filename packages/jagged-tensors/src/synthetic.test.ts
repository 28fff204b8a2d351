import { describe, expect, it } from 'vitest';
import { expectError, noLeaks } from '../test/helpers.js';
import { dedup } from './dedup.js';
import { defaultSessionFeatures, generateSessionBatch } from './synthetic.js';

describe('generateSessionBatch', () => {
  it('is deterministic for a seed, ids in range, lengths capped', () =>
    noLeaks((t) => {
      const features = defaultSessionFeatures(4, { rows: 1000 });
      const a = generateSessionBatch({ batchSize: 200, meanSessionLength: 4, features, seed: 3 });
      const b = generateSessionBatch({ batchSize: 200, meanSessionLength: 4, features, seed: 3 });
      t(a.kjt);
      t(b.kjt);
      expect(a.kjt.bitwiseEqual(b.kjt)).toBe(true);
      expect(Array.from(a.sessionIds)).toEqual(Array.from(b.sessionIds));
      expect(a.kjt.stride).toBe(200);
      const ids = a.kjt.values.dataSync();
      expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...ids)).toBeLessThan(1000);
      features.forEach((f, k) => {
        const l = a.kjt.lengths.subarray(k * 200, k * 200 + 200);
        expect(Math.max(...l)).toBeLessThanOrEqual(f.maxPoolingFactor as number);
      });
    }));
  it('clustered sessions: session-scoped U equals the number of sessions (no drift); fixed length s gives B/s', () =>
    noLeaks((t) => {
      for (const s of [1, 2, 4, 8]) {
        const features = [
          { name: 'u', rows: 1 << 20, meanPoolingFactor: 30, scope: 'session' as const },
          { name: 'i', rows: 1 << 20, meanPoolingFactor: 30, scope: 'sample' as const },
        ];
        const { kjt, sessionIds, expectedU } = generateSessionBatch({
          batchSize: 256,
          meanSessionLength: s,
          fixedSessionLength: true,
          features,
          seed: s,
        });
        t(kjt);
        const y = t(dedup(kjt));
        expect(new Set(sessionIds).size).toBe(256 / s);
        // exact-match dedup also merges rare chance collisions of short hot bags
        expect(y.uniqueCounts.u).toBeLessThanOrEqual(256 / s);
        expect(y.uniqueCounts.u).toBeGreaterThanOrEqual(0.97 * (256 / s));
        expect(expectedU.u).toBe(256 / s);
        expect(y.uniqueCounts.i).toBeLessThanOrEqual(256);
        expect(y.uniqueCounts.i).toBeGreaterThanOrEqual(0.97 * 256);
        const g = generateSessionBatch({ batchSize: 512, meanSessionLength: s, features, seed: 100 + s });
        t(g.kjt);
        const yg = t(dedup(g.kjt));
        const ns = new Set(g.sessionIds).size;
        // exact-match dedup also merges chance collisions of short hot bags, so U ≤ n_s
        expect(yg.uniqueCounts.u).toBeLessThanOrEqual(ns);
        expect(yg.uniqueCounts.u).toBeGreaterThan(ns * 0.97);
        if (s > 1) expect(512 / ns).toBeGreaterThan(s * 0.6); // geometric lengths: mean s, last session truncated
      }
    }));
  it('changeProb raises U as n_s + p·(B − n_s); shuffled batching draws from a pool', () =>
    noLeaks((t) => {
      const features = [{ name: 'u', rows: 1 << 20, meanPoolingFactor: 10, scope: 'session' as const, changeProb: 0.5 }];
      const { kjt, expectedU } = generateSessionBatch({
        batchSize: 2000,
        meanSessionLength: 8,
        fixedSessionLength: true,
        features,
        seed: 1,
      });
      t(kjt);
      const u = t(dedup(kjt)).uniqueCounts.u;
      expect(Math.abs(u - expectedU.u) / expectedU.u).toBeLessThan(0.1);
      const sh = generateSessionBatch({
        batchSize: 500,
        meanSessionLength: 4,
        batching: 'shuffled',
        poolSessions: 50,
        features: [{ name: 'u', rows: 1 << 20, meanPoolingFactor: 10 }],
        seed: 2,
      });
      t(sh.kjt);
      expect(t(dedup(sh.kjt)).uniqueCounts.u).toBeLessThanOrEqual(new Set(sh.sessionIds).size);
      expect(t(dedup(sh.kjt)).uniqueCounts.u).toBeGreaterThan(new Set(sh.sessionIds).size * 0.9);
    }));
  it('rejects bad options', () => {
    const features = defaultSessionFeatures(2);
    expectError(() => generateSessionBatch({ batchSize: -1, meanSessionLength: 2, features }), 'INVALID_ARGUMENT');
    expectError(() => generateSessionBatch({ batchSize: 4, meanSessionLength: 0.5, features }), 'INVALID_ARGUMENT');
    expectError(() => generateSessionBatch({ batchSize: 4, meanSessionLength: 2, features: [] }), 'INVALID_ARGUMENT');
    expectError(() => generateSessionBatch({ batchSize: 4, meanSessionLength: 2, features: [features[0], features[0]] }), 'INVALID_KEY');
  });
});
