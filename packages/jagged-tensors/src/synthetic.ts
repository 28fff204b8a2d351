// Synthetic RecD-style session batches: one user session yields several consecutive samples whose
// session-scoped features repeat, so a batch holds duplicated bags; `meanSessionLength` is the duplication knob.
import * as tf from '@tensorflow/tfjs-core';
import { checkBoolean, checkFiniteNumber, checkInteger, checkOneOf, checkOptions, checkSize, type Rng, rng } from '@tessera/core';
import { fail } from './errors.js';
import { KeyedJaggedTensor } from './keyed-jagged-tensor.js';

/** One sparse feature of a synthetic session batch. */
export interface SessionFeatureSpec {
  name: string;
  /** Table rows R: ids lie in [0, R). */
  rows: number;
  /** Zipf exponent of id popularity (1.0–1.2 typical). Default 1.05. */
  zipfExponent?: number;
  /** Mean bag length (pooling factor). Bags have 1 + Geometric(mean − 1) ids when mean ≥ 1, else Geometric(mean). */
  meanPoolingFactor: number;
  /** Bag length cap. Default 4 × mean, at least 1. */
  maxPoolingFactor?: number;
  /** `'session'`: one bag per session, repeated in each of its samples; `'sample'`: a fresh bag per sample. */
  scope?: 'session' | 'sample';
  /** Session scope: probability that a sample redraws the session's bag (e.g. a growing history). Default 0. */
  changeProb?: number;
}

/** Options of {@link generateSessionBatch}. */
export interface SessionBatchOptions {
  /** B. */
  batchSize: number;
  /** Mean samples per session s ≥ 1 (the duplication knob): 1 + Geometric(s − 1), or exactly s with `fixedSessionLength`. */
  meanSessionLength: number;
  fixedSessionLength?: boolean;
  /** `'clustered'` (default): whole consecutive sessions fill the batch (RecD); `'shuffled'`: each sample from a random session of a pool. */
  batching?: 'clustered' | 'shuffled';
  /** Shuffled batching: number of sessions in the pool. Default ⌈B / s⌉. */
  poolSessions?: number;
  features: readonly SessionFeatureSpec[];
  /** Spread hot ids over rows with a fixed bijection of [0, R) (default true). */
  hashIds?: boolean;
  seed?: number;
}

/** A generated batch: the KJT (caller-owned), each sample's session id, and the model's expected U per feature. */
export interface SessionBatch {
  kjt: KeyedJaggedTensor;
  sessionIds: Int32Array;
  /** Session scope: n_s + changeProb·(B − n_s) with n_s the sessions in the batch; sample scope: B (before chance collisions). */
  expectedU: Record<string, number>;
}

/** Largest `batchSize` of {@link generateSessionBatch} (2^20 samples). */
export const SESSION_MAX_BATCH = 2 ** 20;
/** Most features of one synthetic batch. */
export const SESSION_MAX_FEATURES = 1024;
/** Largest mean pooling factor of a synthetic feature (its cap may be up to 4 ×). */
export const SESSION_MAX_BAG = 4096;
/** Most ids one {@link generateSessionBatch} call may draw in the worst case (`batchSize × Σ maxPoolingFactor`). */
export const SESSION_MAX_IDS = 2 ** 26;

/**
 * A typical mix of `n` features for benchmarks: the first half session-scoped (user history, pooling ~20, capped at
 * 100, some drift), the rest sample-scoped (item/context, pooling 1–4).
 * @example
 * ```ts
 * import { defaultSessionFeatures } from '@tessera/jagged-tensors';
 * const features = defaultSessionFeatures(26, { rows: 100_000 });
 * features.length; // → 26
 * ```
 */
export function defaultSessionFeatures(n = 26, o: { rows?: number } = {}): SessionFeatureSpec[] {
  checkSize(n, 'defaultSessionFeatures', 'n', { min: 1, max: SESSION_MAX_FEATURES });
  const opts = checkOptions<{ rows?: number }>(o, 'defaultSessionFeatures');
  const rows = checkSize(opts.rows ?? 100_000, 'defaultSessionFeatures', 'rows', { min: 1, max: 2147483647 });
  return Array.from({ length: n }, (_, i) =>
    i < Math.ceil(n / 2)
      ? {
          name: `user_${i}`,
          rows,
          zipfExponent: 1.05,
          meanPoolingFactor: 20,
          maxPoolingFactor: 100,
          scope: 'session' as const,
          changeProb: 0.02,
        }
      : { name: `item_${i}`, rows, zipfExponent: 1.1, meanPoolingFactor: 1 + (i % 4), maxPoolingFactor: 16, scope: 'sample' as const },
  );
}

function geometric(r: Rng, mean: number): number {
  if (mean <= 0) return 0;
  const p = 1 / (mean + 1);
  let u = r.uniform();
  while (u === 0) u = r.uniform();
  return Math.floor(Math.log(u) / Math.log(1 - p));
}

// A fixed bijection of [0, R): id ↦ (a·id + c) mod R with gcd(a, R) = 1; a < 2^21 keeps a·id exact in float64.
function hashMap(R: number): (id: number) => number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  let a = 1299709;
  while (gcd(a, R) !== 1) a += 2;
  const c = 40503 % R;
  return (id) => (a * id + c) % R;
}

/**
 * Generates a deterministic batch of B samples drawn from user sessions: Zipf-distributed ids
 * (rejection-inversion, no R-sized tables), geometric bag lengths, session-scoped features repeated across a
 * session's samples. With clustered batching a session-scoped feature has U ≈ n_s + changeProb·(B − n_s), n_s ≈ B/s.
 *
 * @throws TesseraError `INVALID_ARGUMENT` on bad options, `INVALID_KEY` on duplicate feature names.
 * @example
 * ```ts
 * import { dedup, generateSessionBatch, defaultSessionFeatures } from '@tessera/jagged-tensors';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const { kjt } = generateSessionBatch({ batchSize: 64, meanSessionLength: 4, features: defaultSessionFeatures(4), seed: 1 });
 * const ikjt = dedup(kjt);
 * console.log(ikjt.dedupRatio);
 * kjt.dispose(); ikjt.dispose();
 * ```
 */
export function generateSessionBatch(o: SessionBatchOptions): SessionBatch {
  const fn = 'generateSessionBatch';
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', fn, 'options must be an object', o);
  const B = checkSize(o.batchSize, fn, 'batchSize', { min: 0, max: SESSION_MAX_BATCH });
  const s = o.meanSessionLength;
  if (typeof s !== 'number' || !(s >= 1) || !Number.isFinite(s)) fail('INVALID_ARGUMENT', fn, 'meanSessionLength must be a number >= 1', s);
  const fixed = checkBoolean(o.fixedSessionLength, fn, 'fixedSessionLength', false);
  if (fixed && !Number.isInteger(s)) fail('INVALID_ARGUMENT', fn, 'a fixed session length must be an integer', s);
  const batching = checkOneOf(o.batching ?? 'clustered', fn, 'batching', ['clustered', 'shuffled'] as const);
  if (!Array.isArray(o.features) || o.features.length === 0 || o.features.length > SESSION_MAX_FEATURES)
    fail('INVALID_ARGUMENT', fn, `features must be an array of 1..${SESSION_MAX_FEATURES} specs`, o.features);
  let worstIds = 0;
  const names = new Set<string>();
  for (const f of o.features) {
    if (typeof f?.name !== 'string') fail('INVALID_ARGUMENT', fn, 'each feature needs a name', f);
    if (names.has(f.name)) fail('INVALID_KEY', fn, 'feature names must be unique', `'${f.name}'`);
    names.add(f.name);
    checkSize(f.rows, fn, `feature '${f.name}' rows`, { min: 1, max: 2147483647 });
    const mean = checkFiniteNumber(f.meanPoolingFactor, fn, `feature '${f.name}' meanPoolingFactor`, { min: 0, max: SESSION_MAX_BAG });
    checkFiniteNumber(f.changeProb ?? 0, fn, `feature '${f.name}' changeProb`, { min: 0, max: 1 });
    checkFiniteNumber(f.zipfExponent ?? 1.05, fn, `feature '${f.name}' zipfExponent`, { min: 0 });
    const cap = checkSize(f.maxPoolingFactor ?? Math.max(1, Math.ceil(4 * mean)), fn, `feature '${f.name}' maxPoolingFactor`, {
      min: 1,
      max: 4 * SESSION_MAX_BAG,
    });
    worstIds += cap;
    checkOneOf(f.scope ?? 'session', fn, `feature '${f.name}' scope`, ['session', 'sample'] as const);
  }
  // every bag is at most its cap long: bound the ids one call can draw before drawing any
  if (B * worstIds > SESSION_MAX_IDS)
    fail('INVALID_ARGUMENT', fn, `batchSize × Σ maxPoolingFactor must be at most ${SESSION_MAX_IDS} ids (2^26)`, `${B} × ${worstIds}`);
  const r = rng(o.seed ?? 0);
  const hashIds = checkBoolean(o.hashIds, fn, 'hashIds', true);
  const feats = o.features.map((f) => ({
    f,
    zipf: f.zipfExponent ?? 1.05,
    maxLen: Math.max(1, f.maxPoolingFactor ?? Math.ceil(4 * f.meanPoolingFactor)),
    hash: hashIds ? hashMap(f.rows) : (id: number) => id,
    scope: f.scope ?? 'session',
    changeProb: f.changeProb ?? 0,
  }));
  const drawBag = (k: number): Int32Array => {
    const { f, zipf, maxLen, hash } = feats[k];
    const m = f.meanPoolingFactor;
    const len = Math.min(maxLen, m >= 1 ? 1 + geometric(r, m - 1) : geometric(r, m));
    const bag = new Int32Array(len);
    for (let j = 0; j < len; j++) bag[j] = hash(r.zipf(f.rows, zipf));
    return bag;
  };
  const sessionLength = () => (fixed ? s : 1 + geometric(r, s - 1));
  const K = feats.length;
  const bags: Int32Array[][] = feats.map(() => new Array(B));
  const sessionIds = new Int32Array(B);
  const current = new Map<number, Int32Array[]>();
  const sessionBags = (sid: number): Int32Array[] => {
    let cur = current.get(sid);
    if (!cur) {
      cur = feats.map((_, k) => drawBag(k));
      current.set(sid, cur);
    }
    return cur;
  };
  const pool = o.poolSessions ?? Math.max(1, Math.ceil(B / s));
  if (batching === 'shuffled') checkInteger(pool, fn, 'poolSessions', { min: 1 });
  let sid = 0;
  let left = 0;
  const seenSamples = new Set<number>();
  for (let b = 0; b < B; b++) {
    if (batching === 'clustered') {
      if (left === 0) {
        sid = sid + (b === 0 ? 0 : 1);
        left = sessionLength();
      }
      left--;
    } else sid = r.int(pool);
    sessionIds[b] = sid;
    const first = !seenSamples.has(sid);
    seenSamples.add(sid);
    const cur = sessionBags(sid);
    for (let k = 0; k < K; k++) {
      if (feats[k].scope === 'sample') bags[k][b] = drawBag(k);
      else {
        if (!first && feats[k].changeProb > 0 && r.uniform() < feats[k].changeProb) cur[k] = drawBag(k);
        bags[k][b] = cur[k];
      }
    }
  }
  const nS = seenSamples.size;
  const lengths = new Int32Array(K * B);
  let nnz = 0;
  for (let k = 0; k < K; k++) for (let b = 0; b < B; b++) nnz += lengths[k * B + b] = bags[k][b].length;
  const values = new Int32Array(nnz);
  let p = 0;
  for (let k = 0; k < K; k++) {
    for (let b = 0; b < B; b++) {
      values.set(bags[k][b], p);
      p += bags[k][b].length;
    }
  }
  const expectedU: Record<string, number> = {};
  for (const { f, scope, changeProb } of feats) expectedU[f.name] = scope === 'sample' ? B : nS + changeProb * (B - nS);
  const kjt = KeyedJaggedTensor.fromLengths({ keys: feats.map((x) => x.f.name), values: tf.tensor1d(values, 'int32'), lengths, stride: B });
  return { kjt, sessionIds, expectedU };
}
