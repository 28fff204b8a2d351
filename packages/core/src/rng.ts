import { describe, TesseraError } from './errors.js';

/**
 * A seeded pseudo-random generator (xoshiro128** seeded through splitmix32). Same seed, same stream, on every
 * platform: tests and synthetic data generators use it instead of `Math.random`.
 */
export interface Rng {
  /** The seed this generator was created with. */
  readonly seed: number;
  /** Next raw unsigned 32-bit integer. */
  nextUint32(): number;
  /** Uniform float64 in `[lo, hi)` (53 random bits). Defaults to `[0, 1)`. */
  uniform(lo?: number, hi?: number): number;
  /** Uniform integer in `[0, n)`, without modulo bias. */
  int(n: number): number;
  /** Normal draw (Box–Muller) with the given mean and standard deviation. */
  normal(mean?: number, std?: number): number;
  /**
   * Zipf draw in `[0, n)`: rank `k` (0-based) has probability ∝ `1 / (k + 1)^s`. Rank 0 is the most popular.
   * Exact rejection-inversion sampling (Hörmann & Derflinger 1996), O(1) per draw for any `n`.
   */
  zipf(n: number, s: number): number;
  /** `n` normal draws as a `Float32Array`. */
  normalArray(n: number, mean?: number, std?: number): Float32Array;
  /** `n` uniform draws in `[lo, hi)` as a `Float32Array`. */
  uniformArray(n: number, lo?: number, hi?: number): Float32Array;
  /** `n` Zipf draws in `[0, range)` as an `Int32Array`. */
  zipfArray(n: number, range: number, s: number): Int32Array;
  /** A new, independent generator derived from this one's next draws. */
  fork(): Rng;
}

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

/** Most values one `rng.*Array` call draws (2^28: 1 GiB of float32). */
const MAX_DRAWS = 2 ** 28;

function count(fn: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_DRAWS)
    throw new TesseraError('INVALID_ARGUMENT', fn, `n must be an integer in [0, ${MAX_DRAWS}]`, describe(n));
  return n;
}

function finite(fn: string, v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a finite number`, describe(v));
  return v;
}

/**
 * Creates a seeded generator.
 *
 * @param seed - any integer (its low 32 bits are used)
 * @throws TesseraError `INVALID_ARGUMENT` when `seed` is not a finite integer.
 * @example
 * ```ts
 * import { rng } from '@tessera/core';
 * const r = rng(42);
 * r.uniform();          // float in [0, 1)
 * r.normal(0, 1);       // standard normal draw
 * r.zipf(1_000_000, 1.05); // a popular id, 0 most often
 * ```
 */
export function rng(seed: number): Rng {
  if (typeof seed !== 'number' || !Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new TesseraError('INVALID_ARGUMENT', 'rng', 'seed must be a finite integer', seed);
  }
  const st = new Uint32Array(4);
  let sm = seed | 0;
  for (let i = 0; i < 4; i++) {
    const [next, out] = splitmix32(sm);
    sm = next;
    st[i] = out;
  }
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;

  const nextUint32 = (): number => {
    const s0 = st[0];
    const s1 = st[1];
    const s2 = st[2];
    const s3 = st[3];
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = (n3 << 11) | (n3 >>> 21);
    st[0] = n0;
    st[1] = n1;
    st[2] = n2;
    st[3] = n3;
    return result;
  };

  const unit = (): number => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992;

  let spare: number | null = null;
  const stdNormal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = unit();
    const v = unit();
    const rad = Math.sqrt(-2 * Math.log(u));
    spare = rad * Math.sin(2 * Math.PI * v);
    return rad * Math.cos(2 * Math.PI * v);
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) {
      throw new TesseraError('INVALID_ARGUMENT', 'rng.int', 'n must be an integer in [1, 2^32]', n);
    }
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = nextUint32();
    while (x >= limit) x = nextUint32();
    return x % n;
  };

  const zipfCache = new Map<string, () => number>();
  const zipfSampler = (n: number, s: number): (() => number) => {
    if (typeof n !== 'number' || typeof s !== 'number')
      throw new TesseraError('INVALID_ARGUMENT', 'rng.zipf', 'n and s must be numbers', `${describe(n)}, ${describe(s)}`);
    const key = `${n}:${s}`;
    const hit = zipfCache.get(key);
    if (hit) return hit;
    if (!Number.isInteger(n) || n <= 0) throw new TesseraError('INVALID_ARGUMENT', 'rng.zipf', 'n must be a positive integer', n);
    if (!(s >= 0) || !Number.isFinite(s)) throw new TesseraError('INVALID_ARGUMENT', 'rng.zipf', 's must be a finite number >= 0', s);
    let sampler: () => number;
    if (s === 0) {
      sampler = () => int(n);
    } else {
      const helper1 = (x: number) => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x)));
      const helper2 = (x: number) => (Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x)));
      const h = (x: number) => Math.exp(-s * Math.log(x));
      const hIntegral = (x: number) => {
        const lx = Math.log(x);
        return helper2((1 - s) * lx) * lx;
      };
      const hIntegralInverse = (x: number) => {
        let t = x * (1 - s);
        if (t < -1) t = -1;
        return Math.exp(helper1(t) * x);
      };
      const hX1 = hIntegral(1.5) - 1;
      const hN = hIntegral(n + 0.5);
      const sq = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
      sampler = () => {
        for (;;) {
          const u = hN + unit() * (hX1 - hN);
          const x = hIntegralInverse(u);
          let k = Math.floor(x + 0.5);
          if (k < 1) k = 1;
          else if (k > n) k = n;
          if (k - x <= sq || u >= hIntegral(k + 0.5) - h(k)) return k - 1;
        }
      };
    }
    zipfCache.set(key, sampler);
    return sampler;
  };

  const self: Rng = {
    seed,
    nextUint32,
    uniform: (lo = 0, hi = 1) => finite('rng.uniform', lo, 'lo') + (finite('rng.uniform', hi, 'hi') - lo) * unit(),
    int,
    normal: (mean = 0, std = 1) => finite('rng.normal', mean, 'mean') + finite('rng.normal', std, 'std') * stdNormal(),
    zipf: (n, s) => zipfSampler(n, s)(),
    normalArray: (n, mean = 0, std = 1) => {
      finite('rng.normalArray', mean, 'mean');
      finite('rng.normalArray', std, 'std');
      const out = new Float32Array(count('rng.normalArray', n));
      for (let i = 0; i < n; i++) out[i] = mean + std * stdNormal();
      return out;
    },
    uniformArray: (n, lo = 0, hi = 1) => {
      finite('rng.uniformArray', lo, 'lo');
      finite('rng.uniformArray', hi, 'hi');
      const out = new Float32Array(count('rng.uniformArray', n));
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * unit();
      return out;
    },
    zipfArray: (n, range, s) => {
      const z = zipfSampler(range, s);
      const out = new Int32Array(count('rng.zipfArray', n));
      for (let i = 0; i < n; i++) out[i] = z();
      return out;
    },
    fork: () => rng(nextUint32() | 0),
  };
  return self;
}
