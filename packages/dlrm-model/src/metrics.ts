// Evaluation metrics on host arrays, computed in float64: accuracy as the reference's `np.round` (half to even),
// log loss with BCELoss's −100 clamp (or sklearn-style clipping), exact ROC AUC (Mann–Whitney U with ties counted
// one half, equal to sklearn `roc_auc_score`), and normalized entropy (He et al., ADKDD 2014; torchrec
// `torchrec/metrics/ne.py`).
import { fail } from './errors.js';

type Arr = Float32Array | Float64Array | readonly number[];

function check(fn: string, p: Arr, y: Arr, probs = true): number {
  const isArr = (a: unknown) => Array.isArray(a) || a instanceof Float32Array || a instanceof Float64Array;
  if (!isArr(p)) fail('INVALID_ARGUMENT', fn, 'p must be a Float32Array, Float64Array or number[]', p);
  if (!isArr(y)) fail('INVALID_ARGUMENT', fn, 'y must be a Float32Array, Float64Array or number[]', y);
  if (p.length !== y.length) fail('INVALID_SHAPE', fn, `p and y must have equal lengths`, `${p.length} vs ${y.length}`);
  if (p.length === 0) fail('INVALID_ARGUMENT', fn, 'at least one sample is required', 0);
  for (let i = 0; i < y.length; i++)
    if (!(y[i] >= 0 && y[i] <= 1)) fail('INVALID_ARGUMENT', fn, 'labels must lie in [0, 1]', `y[${i}] = ${y[i]}`);
  for (let i = 0; i < p.length; i++) {
    if (Number.isNaN(p[i])) fail('INVALID_ARGUMENT', fn, 'scores must not be NaN', `p[${i}]`);
    if (probs && !(p[i] >= 0 && p[i] <= 1)) fail('INVALID_ARGUMENT', fn, 'probabilities must lie in [0, 1]', `p[${i}] = ${p[i]}`);
  }
  return p.length;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Fraction of samples with `round(p) == y`, rounding half to even as numpy does (0.5 → 0).
 *
 * @throws TesseraError `INVALID_SHAPE` (lengths differ), `INVALID_ARGUMENT` (empty input, p or y outside [0, 1]).
 * @example
 * ```ts
 * import { accuracy } from '@tessera/dlrm-model';
 * accuracy(new Float32Array([0.9, 0.5, 0.2]), new Float32Array([1, 0, 1])); // → 0.6666666666666666
 * ```
 */
export function accuracy(p: Arr, y: Arr): number {
  const n = check('accuracy', p, y);
  let ok = 0;
  for (let i = 0; i < n; i++) if (roundHalfEven(p[i]) === y[i]) ok++;
  return ok / n;
}

/**
 * Mean binary cross-entropy −mean(y ln p + (1 − y) ln(1 − p)) in float64. Each log term is clamped at −100 (as
 * BCELoss); with `clipEps`, p is clipped to [ε, 1 − ε] instead (sklearn `log_loss`).
 *
 * @throws TesseraError `INVALID_SHAPE`, `INVALID_ARGUMENT` (empty input, values outside [0, 1], clipEps outside [0, 0.5)).
 * @example
 * ```ts
 * import { logLoss } from '@tessera/dlrm-model';
 * logLoss([0.5, 0.5], [1, 0]); // → 0.6931471805599453
 * ```
 */
export function logLoss(p: Arr, y: Arr, o: { clipEps?: number } = {}): number {
  const n = check('logLoss', p, y);
  const eps = o.clipEps;
  if (eps !== undefined && !(typeof eps === 'number' && eps >= 0 && eps < 0.5))
    fail('INVALID_ARGUMENT', 'logLoss', 'clipEps must be in [0, 0.5)', eps);
  let s = 0;
  for (let i = 0; i < n; i++) {
    let pi = p[i];
    if (eps !== undefined) pi = Math.min(Math.max(pi, eps), 1 - eps);
    const a = eps !== undefined ? Math.log(pi) : Math.max(Math.log(pi), -100);
    const b = eps !== undefined ? Math.log(1 - pi) : Math.max(Math.log(1 - pi), -100);
    s -= y[i] * a + (1 - y[i]) * b;
  }
  return s / n;
}

/**
 * Exact ROC AUC = P(s⁺ > s⁻) + ½·P(s⁺ = s⁻) (Mann–Whitney U with midranks), O(n log n). Labels must be 0 or 1.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when only one class is present, a label is not 0/1, or a score is NaN;
 * `INVALID_SHAPE` on a length mismatch.
 * @example
 * ```ts
 * import { rocAuc } from '@tessera/dlrm-model';
 * rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // → 0.75
 * ```
 */
export function rocAuc(p: Arr, y: Arr): number {
  const fn = 'rocAuc';
  const n = check(fn, p, y, false);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0 && y[i] !== 1) fail('INVALID_ARGUMENT', fn, 'labels must be 0 or 1', `y[${i}] = ${y[i]}`);
    pos += y[i];
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) fail('INVALID_ARGUMENT', fn, 'both classes must be present', `${pos} positives, ${neg} negatives`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = Float64Array.from(p as ArrayLike<number>);
  order.sort((a, b) => s[a] - s[b]);
  // Sum of the (mid)ranks of the positives.
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    let posInTie = 0;
    while (j < n && s[order[j]] === s[order[i]]) {
      posInTie += y[order[j]];
      j++;
    }
    const midRank = (i + 1 + j) / 2; // ranks i+1 .. j
    rankSum += posInTie * midRank;
    i = j;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Normalized entropy Σ CE(y_i, p_i) / Σ CE(y_i, p̄) with p̄ the mean label of the set (clamped to [η, 1 − η], η =
 * 1e-12, torchrec `metrics/ne.py`) or the given `baseRate` (He et al. use the background CTR). Below 1 beats predicting
 * the base rate. Log terms of the numerator are clamped at −100.
 *
 * @throws TesseraError `INVALID_SHAPE`, `INVALID_ARGUMENT` (empty input, values outside [0, 1], baseRate outside (0, 1)).
 * @example
 * ```ts
 * import { normalizedEntropy } from '@tessera/dlrm-model';
 * normalizedEntropy([0.5, 0.5], [1, 0]); // → 1
 * ```
 */
export function normalizedEntropy(p: Arr, y: Arr, o: { baseRate?: number } = {}): number {
  const n = check('normalizedEntropy', p, y);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  if (o.baseRate !== undefined && !(typeof o.baseRate === 'number' && o.baseRate > 0 && o.baseRate < 1))
    fail('INVALID_ARGUMENT', 'normalizedEntropy', 'baseRate must be in (0, 1)', o.baseRate);
  const eta = 1e-12;
  const pb = Math.min(Math.max(o.baseRate ?? mean, eta), 1 - eta);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num -= y[i] * Math.max(Math.log(p[i]), -100) + (1 - y[i]) * Math.max(Math.log(1 - p[i]), -100);
    den -= y[i] * Math.log(pb) + (1 - y[i]) * Math.log(1 - pb);
  }
  return num / den;
}
