// A synthetic click log in the Criteo Kaggle format with a planted signal and a session structure (RecD, arXiv
// 2211.05239 §3: consecutive impressions of one user session repeat the user-side features). Labels are drawn from
// sigmoid(logit) where the logit sums fixed per-id effects of a few categorical columns and a dense effect, so a model
// can learn it; `meanSessionLength` is the duplication knob. Ids follow a Zipf law per column.
import { checkInteger, rng } from '@tessera/core';
import { CRITEO_CAT_COLUMNS, CRITEO_INT_COLUMNS, type CriteoRow } from './criteo.js';
import { fail } from './errors.js';

/** Options of {@link syntheticCriteo}. */
export interface SyntheticCriteoOptions {
  /** Samples to generate (at most 5 000 000). */
  rows: number;
  /** Mean samples per session s ≥ 1: 1 + Geometric(s − 1) (the duplication knob). Default 4. */
  meanSessionLength?: number;
  /** The first `sessionColumns` categoricals (C1…) are session-scoped: one value per session. Default 13. */
  sessionColumns?: number;
  /** Distinct ids per categorical column before hashing (default 10 000). */
  cardinality?: number;
  /** Zipf exponent of id popularity (default 1.05). */
  zipfExponent?: number;
  /** Scale of the planted logit (default 1; 0 gives pure noise at the base rate). */
  signal?: number;
  /** `'shuffled'` (default): samples of all sessions interleaved at random, as in a raw log; `'session'`: in session order. */
  order?: 'shuffled' | 'session';
  /** Fraction of missing (empty) fields in the int columns. Default 0.05. */
  missingRate?: number;
  seed?: number;
}

/** A generated log in flat arrays (sample i: `labels[i]`, `ints[13i..]`, `cats[26i..]`, `sessionIds[i]`). */
export interface SyntheticCriteo {
  n: number;
  labels: Uint8Array;
  /** I1..I13 as written: −2 marks a missing (empty) field, −1 a negative count (readers clamp it to 0). */
  ints: Int32Array;
  cats: Uint32Array;
  sessionIds: Int32Array;
  /** The planted click probability of each sample (the Bayes-optimal score). */
  probability: Float32Array;
  /** Sample i as a {@link CriteoRow} (missing ints read as 0). */
  row(i: number): CriteoRow;
  /** The TSV lines, in sample order (no trailing newline). */
  lines(): Generator<string>;
}

/**
 * Largest `rows` accepted by {@link syntheticCriteo}.
 * @example
 * ```ts
 * import { MAX_SYNTHETIC_ROWS } from '@tessera/dlrm-model';
 * MAX_SYNTHETIC_ROWS; // → 5000000
 * ```
 */
export const MAX_SYNTHETIC_ROWS = 5_000_000;

// 32-bit mix (murmur3 finaliser): the "hash" of (column, id) written as the categorical value.
function mix(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Generates a synthetic Criteo-format log with sessions and a learnable signal. Column C1 identifies the session
 * (a user id), so "cluster by session" means "order by C1".
 *
 * @throws TesseraError `INVALID_ARGUMENT` on bad options (rows over 5 000 000 included).
 * @example
 * ```ts
 * import { syntheticCriteo } from '@tessera/dlrm-model';
 * const log = syntheticCriteo({ rows: 100, meanSessionLength: 4, seed: 1 });
 * log.lines().next().value?.split('\t').length; // → 40
 * ```
 */
export function syntheticCriteo(o: SyntheticCriteoOptions): SyntheticCriteo {
  const fn = 'syntheticCriteo';
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', fn, 'options must be an object', o);
  const n = checkInteger(o.rows, fn, 'rows', { min: 0, max: MAX_SYNTHETIC_ROWS });
  const s = o.meanSessionLength ?? 4;
  if (typeof s !== 'number' || !(s >= 1) || !Number.isFinite(s)) fail('INVALID_ARGUMENT', fn, 'meanSessionLength must be a number >= 1', s);
  const sc = checkInteger(o.sessionColumns ?? 13, fn, 'sessionColumns', { min: 1, max: CRITEO_CAT_COLUMNS });
  const card = checkInteger(o.cardinality ?? 10_000, fn, 'cardinality', { min: 2, max: 2 ** 30 });
  const zipf = o.zipfExponent ?? 1.05;
  if (!(zipf >= 0) || !Number.isFinite(zipf)) fail('INVALID_ARGUMENT', fn, 'zipfExponent must be a finite number >= 0', zipf);
  const signal = o.signal ?? 1;
  if (!(signal >= 0) || !Number.isFinite(signal)) fail('INVALID_ARGUMENT', fn, 'signal must be a finite number >= 0', signal);
  const missing = o.missingRate ?? 0.05;
  if (!(missing >= 0 && missing <= 1)) fail('INVALID_ARGUMENT', fn, 'missingRate must be in [0, 1]', missing);
  const order = o.order ?? 'shuffled';
  if (order !== 'shuffled' && order !== 'session') fail('INVALID_ARGUMENT', fn, "order must be 'shuffled' or 'session'", order);
  const r = rng(o.seed ?? 0);
  const C = CRITEO_CAT_COLUMNS;
  const I = CRITEO_INT_COLUMNS;
  // Per-id effect of column k: a fixed pseudo-random value in [−1, 1] from the id's hash.
  const effect = (k: number, id: number) => (mix(id * 131 + k * 7919 + 17) / 4294967296) * 2 - 1;
  // Planted logit: user (C1, C2), item (C14, C15) and context (C20) effects, a user×item interaction, dense I1.
  const labels = new Uint8Array(n);
  const ints = new Int32Array(n * I);
  const cats = new Uint32Array(n * C);
  const sessionIds = new Int32Array(n);
  const prob = new Float32Array(n);
  const ids = new Int32Array(C);
  let i = 0;
  let sid = 0;
  while (i < n) {
    let len = 1;
    if (s > 1) {
      const p = 1 / s;
      let u = r.uniform();
      while (u === 0) u = r.uniform();
      len = 1 + Math.floor(Math.log(u) / Math.log(1 - p));
    }
    // Session-scoped ids (C1 = the session's user id: unique per session so it identifies the session).
    ids[0] = sid % card;
    for (let k = 1; k < sc; k++) ids[k] = r.zipf(card, zipf);
    const userBias = effect(0, ids[0]) * 0.5 + effect(1, ids[1]);
    for (let j = 0; j < len && i < n; j++, i++) {
      for (let k = sc; k < C; k++) ids[k] = r.zipf(card, zipf);
      for (let k = 0; k < C; k++) cats[i * C + k] = mix(ids[k] * 1009 + k * 65537 + 1);
      // Dense ints: counts with a heavy tail, some missing, I2 sometimes −1 (clamped by readers).
      for (let c = 0; c < I; c++) {
        let v = Math.floor(Math.exp(r.normal(1 + (c % 4), 1.2)));
        if (c === 1 && r.uniform() < 0.07) v = -1;
        if (r.uniform() < missing) v = -2; // marker: missing field
        ints[i * I + c] = v;
      }
      const i1 = Math.max(0, ints[i * I]);
      const logit =
        -1.2 +
        signal *
          (1.6 * userBias +
            1.4 * effect(13, ids[13]) +
            1.0 * effect(14, ids[14]) +
            0.8 * effect(19, ids[19]) +
            1.2 * effect(0, ids[1] * 31 + ids[13]) +
            0.6 * (Math.log1p(i1) - 2));
      const p = 1 / (1 + Math.exp(-logit));
      prob[i] = p;
      labels[i] = r.uniform() < p ? 1 : 0;
      sessionIds[i] = sid;
    }
    sid++;
  }
  if (order === 'shuffled') {
    for (let a = n - 1; a > 0; a--) {
      const b = r.int(a + 1);
      const swap = <T extends Uint8Array | Int32Array | Uint32Array | Float32Array>(arr: T, w: number) => {
        for (let q = 0; q < w; q++) {
          const t = arr[a * w + q];
          arr[a * w + q] = arr[b * w + q];
          arr[b * w + q] = t;
        }
      };
      swap(labels, 1);
      swap(ints, I);
      swap(cats, C);
      swap(sessionIds, 1);
      swap(prob, 1);
    }
  }
  const row = (k: number): CriteoRow => {
    const it = new Int32Array(I);
    for (let c = 0; c < I; c++) it[c] = Math.max(0, ints[k * I + c]);
    return { label: labels[k] as 0 | 1, ints: it, cats: cats.slice(k * C, k * C + C) };
  };
  function* lines(): Generator<string> {
    const f: string[] = new Array(1 + I + C);
    for (let k = 0; k < n; k++) {
      f[0] = String(labels[k]);
      for (let c = 0; c < I; c++) {
        const v = ints[k * I + c];
        f[1 + c] = v === -2 ? '' : String(v);
      }
      for (let c = 0; c < C; c++) f[1 + I + c] = cats[k * C + c].toString(16).padStart(8, '0');
      yield f.join('\t');
    }
  }
  // Missing ints are stored as −1 in `ints` for users (the TSV has an empty field).
  return { n, labels, ints, cats, sessionIds, probability: prob, row, lines };
}
