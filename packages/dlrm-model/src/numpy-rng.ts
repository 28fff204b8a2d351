// numpy's legacy global RNG (`np.random.seed(int)` + `RandomState`), as facebookresearch/dlrm `dlrm_s_pytorch.py`
// uses it for the initial weights: MT19937 seeded with `init_genrand`, `random_sample` with 53 bits
// ((a >> 5)·2^26 + (b >> 6)) / 2^53, `uniform = low + (high − low)·random_sample`, and `normal` through the polar
// Box–Muller `legacy_gauss`, which caches its second value (numpy/random/src/legacy/legacy-distributions.c).
import { checkInteger } from '@tessera/core';

/** A numpy legacy `RandomState` (MT19937) stream: same seed, same float64 draws as numpy. */
export interface NumpyLegacyRng {
  /** `np.random.random_sample()`: float64 in [0, 1) from 53 bits. */
  randomSample(): number;
  /** `np.random.uniform(low, high)`. */
  uniform(low: number, high: number): number;
  /** `np.random.normal(loc, scale)` (legacy polar Box–Muller with the cached second value). */
  normal(loc: number, scale: number): number;
  /** Next raw 32-bit output of MT19937. */
  nextUint32(): number;
}

/**
 * numpy's legacy RNG seeded as `np.random.seed(seed)` with an integer seed in [0, 2³²).
 *
 * @throws TesseraError `INVALID_ARGUMENT` when the seed is not an integer in [0, 2³² − 1].
 * @example
 * ```ts
 * import { numpyLegacyRng } from '@tessera/dlrm-model';
 * const r = numpyLegacyRng(123);
 * r.randomSample(); // → 0.6964691855978616
 * ```
 */
export function numpyLegacyRng(seed: number): NumpyLegacyRng {
  checkInteger(seed, 'numpyLegacyRng', 'seed', { min: 0, max: 2 ** 32 - 1 });
  const N = 624;
  const M = 397;
  const mt = new Uint32Array(N);
  mt[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
    // 1812433253 · prev + i (mod 2^32), split to stay exact in float64.
    mt[i] = (((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i) >>> 0;
  }
  let mti = N;
  const next = (): number => {
    if (mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      const y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      mti = 0;
    }
    let y = mt[mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
  const randomSample = (): number => {
    const a = next() >>> 5;
    const b = next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  };
  let hasGauss = false;
  let gauss = 0;
  const gaussDraw = (): number => {
    if (hasGauss) {
      hasGauss = false;
      return gauss;
    }
    let x1 = 0;
    let x2 = 0;
    let r2 = 0;
    do {
      x1 = 2 * randomSample() - 1;
      x2 = 2 * randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    gauss = f * x1;
    hasGauss = true;
    return f * x2;
  };
  return {
    randomSample,
    uniform: (low, high) => low + (high - low) * randomSample(),
    normal: (loc, scale) => loc + scale * gaussDraw(),
    nextUint32: next,
  };
}
