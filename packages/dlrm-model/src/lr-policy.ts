// facebookresearch/dlrm `dlrm_s_pytorch.py` `LRPolicyScheduler`: linear warm-up, then (from decay_start_step)
// quadratic decay over num_decay_steps with a floor of 1e-7; between and after the phases it keeps the last computed
// lr when decay is configured, else the base lr.
import { fail } from './errors.js';

/**
 * The reference's LR policy. `lrAt(s)` for the scheduler's step count s (the first training iteration is s = 1);
 * `step()` returns the lr of the current iteration and advances.
 *
 * | phase | condition | lr |
 * |---|---|---|
 * | warm-up | s < W | base·(1 − (W − s)/W) |
 * | decay | D ≤ s < D + N | max(1e-7, base·((N − (s − D))/N)²) |
 * | otherwise | N > 0 | the last computed lr (base·(W − 1)/W between the phases) |
 * | otherwise | N = 0 | base |
 *
 * Where the reference would read an unset `last_lr` (W = 0, s < D, N > 0) this returns base.
 *
 * @throws TesseraError `INVALID_ARGUMENT` on negative or non-integer steps, a non-positive base, or D < W.
 * @example
 * ```ts
 * import { LrPolicyScheduler } from '@tessera/dlrm-model';
 * const s = new LrPolicyScheduler(0.1, 4, 6, 2);
 * s.lrAt(1); // → 0.025
 * s.lrAt(5); // → 0.07500000000000001
 * s.lrAt(7); // → 0.025
 * ```
 */
export class LrPolicyScheduler {
  readonly baseLr: number;
  readonly warmup: number;
  readonly decayStart: number;
  readonly numDecay: number;
  private count = 0;

  constructor(baseLr: number, warmup = 0, decayStart = 0, numDecay = 0) {
    const fn = 'LrPolicyScheduler';
    if (typeof baseLr !== 'number' || !(baseLr > 0) || !Number.isFinite(baseLr))
      fail('INVALID_ARGUMENT', fn, 'baseLr must be a positive number', baseLr);
    for (const [n, v] of [
      ['warmup', warmup],
      ['decayStart', decayStart],
      ['numDecay', numDecay],
    ] as const)
      if (!Number.isInteger(v) || v < 0) fail('INVALID_ARGUMENT', fn, `${n} must be an integer >= 0`, v);
    if (decayStart < warmup)
      fail('INVALID_ARGUMENT', fn, 'warm-up must finish before the decay starts (decayStart >= warmup)', `${decayStart} < ${warmup}`);
    this.baseLr = baseLr;
    this.warmup = warmup;
    this.decayStart = decayStart;
    this.numDecay = numDecay;
  }

  private warm(s: number): number {
    return this.baseLr * (1 - (this.warmup - s) / this.warmup);
  }

  private decay(s: number): number {
    const N = this.numDecay;
    return Math.max(1e-7, this.baseLr * ((N - (s - this.decayStart)) / N) ** 2);
  }

  /** lr at step count s ≥ 1. @example `new LrPolicyScheduler(1, 0, 0, 0).lrAt(10) // → 1` */
  lrAt(s: number): number {
    if (!Number.isInteger(s) || s < 0) fail('INVALID_ARGUMENT', 'LrPolicyScheduler.lrAt', 'the step count must be an integer >= 0', s);
    const { warmup: W, decayStart: D, numDecay: N } = this;
    if (s < W) return this.warm(s);
    if (D <= s && s < D + N) return this.decay(s);
    if (N === 0) return this.baseLr;
    if (s >= D + N) return this.decay(D + N - 1);
    return W > 0 ? this.warm(W - 1) : this.baseLr;
  }

  /** The lr of the next iteration (s = 1, 2, …). @example `const lr = sched.step();` */
  step(): number {
    this.count += 1;
    return this.lrAt(this.count);
  }

  /** Iterations taken so far. */
  get stepCount(): number {
    return this.count;
  }
}
