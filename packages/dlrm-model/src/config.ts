// DLRM architecture (facebookresearch/dlrm `dlrm_s_pytorch.py`, `DLRM_Net.__init__` and the consistency checks of
// `run()`): sizes of the bottom and top MLPs, the interaction width and the arch strings of the CLI.
import { checkInteger, checkOneOf } from '@tessera/core';
import { fail } from './errors.js';

/** Architecture of a {@link DlrmModel} (the reference's `--arch-*` flags). */
export interface DlrmConfig {
  /** Dense input width (`ln_bot[0]`; 13 for Criteo). */
  denseFeatures: number;
  /** Embedding dimension d (`--arch-sparse-feature-size`); must equal the last bottom-MLP width. */
  embeddingDim: number;
  /** Rows n_k of each table, in feature order (`--arch-embedding-size`). */
  tableSizes: readonly number[];
  /** Feature name of each table (KJT keys are matched by name), e.g. C1…C26. */
  featureNames: readonly string[];
  /** Bottom-MLP widths after the dense input (`--arch-mlp-bot 13-512-256-64-16` → `[512, 256, 64, 16]`). */
  bottomMlp: readonly number[];
  /** Top-MLP widths after the interaction (`--arch-mlp-top 512-256-1` → `[512, 256, 1]`; the input width is derived). */
  topMlp: readonly number[];
  /** `'dot'` (default in the reference) or `'cat'`. */
  interaction: 'dot' | 'cat';
  /** `--arch-interaction-itself`: include the diagonal (j ≤ i) in the dot interaction. */
  interactionItself?: boolean;
  /** `--loss-threshold`: when 0 < t < 1, probabilities are clamped to [t, 1 − t]. */
  lossThreshold?: number;
  /** `--weighted-pooling`: `'none'` (default), `'fixed'` (per-row weights of 1) or `'learned'` (`v_W_l.k`). */
  weightedPooling?: 'none' | 'fixed' | 'learned';
}

/**
 * Largest table (rows × d elements) a model will allocate: 2^28 float32 values = 1 GiB.
 * @example
 * ```ts
 * import { MAX_TABLE_ELEMENTS } from '@tessera/dlrm-model';
 * MAX_TABLE_ELEMENTS; // → 268435456
 * ```
 */
export const MAX_TABLE_ELEMENTS = 2 ** 28;
/** Largest MLP layer width accepted. */
export const MAX_LAYER_WIDTH = 65_536;
/** Largest number of sparse features accepted. */
export const MAX_FEATURES = 1024;

/** A validated, fully resolved config. @internal */
export interface ResolvedConfig {
  denseFeatures: number;
  embeddingDim: number;
  tableSizes: number[];
  featureNames: string[];
  bottomMlp: number[];
  topMlp: number[];
  interaction: 'dot' | 'cat';
  interactionItself: boolean;
  lossThreshold: number;
  weightedPooling: 'none' | 'fixed' | 'learned';
  /** `ln_bot` = [denseFeatures, ...bottomMlp]. */
  lnBot: number[];
  /** `ln_top` = [num_int, ...topMlp]. */
  lnTop: number[];
}

function widths(v: unknown, fn: string, name: string, min: number): number[] {
  if (!Array.isArray(v) || v.length < min) fail('INVALID_ARGUMENT', fn, `${name} must be an array of at least ${min} widths`, v);
  return (v as unknown[]).map((w, i) => checkInteger(w, fn, `${name}[${i}]`, { min: 1, max: MAX_LAYER_WIDTH }));
}

/**
 * Validates a config and resolves the defaults and the derived layer lists. The reference's consistency checks
 * apply: the last bottom width must equal `embeddingDim`, and the last top width must be 1.
 * @internal
 */
export function resolveConfig(cfg: DlrmConfig, fn = 'DlrmModel.create'): ResolvedConfig {
  if (typeof cfg !== 'object' || cfg === null) fail('INVALID_ARGUMENT', fn, 'cfg must be an object', cfg);
  const denseFeatures = checkInteger(cfg.denseFeatures, fn, 'denseFeatures', { min: 1, max: MAX_LAYER_WIDTH });
  const embeddingDim = checkInteger(cfg.embeddingDim, fn, 'embeddingDim', { min: 1, max: MAX_LAYER_WIDTH });
  if (!Array.isArray(cfg.tableSizes) || cfg.tableSizes.length < 1 || cfg.tableSizes.length > MAX_FEATURES)
    fail('INVALID_ARGUMENT', fn, `tableSizes must be an array of 1..${MAX_FEATURES} row counts`, cfg.tableSizes);
  const tableSizes = cfg.tableSizes.map((n, k) => {
    const r = checkInteger(n, fn, `tableSizes[${k}]`, { min: 1 });
    if (r * embeddingDim > MAX_TABLE_ELEMENTS)
      fail('INVALID_ARGUMENT', fn, `tableSizes[${k}] × embeddingDim must be <= 2^28 elements`, `${r} × ${embeddingDim}`);
    return r;
  });
  if (
    !Array.isArray(cfg.featureNames) ||
    cfg.featureNames.length !== tableSizes.length ||
    cfg.featureNames.some((s) => typeof s !== 'string')
  )
    fail('INVALID_ARGUMENT', fn, `featureNames must be ${tableSizes.length} strings (one per table)`, cfg.featureNames);
  const featureNames = [...cfg.featureNames];
  if (new Set(featureNames).size !== featureNames.length) fail('INVALID_KEY', fn, 'featureNames must be unique', featureNames);
  const bottomMlp = widths(cfg.bottomMlp, fn, 'bottomMlp', 1);
  const topMlp = widths(cfg.topMlp, fn, 'topMlp', 1);
  const interaction = checkOneOf(cfg.interaction, fn, 'interaction', ['dot', 'cat'] as const);
  const interactionItself = cfg.interactionItself ?? false;
  if (typeof interactionItself !== 'boolean') fail('INVALID_ARGUMENT', fn, 'interactionItself must be a boolean', interactionItself);
  const lossThreshold = cfg.lossThreshold ?? 0;
  if (typeof lossThreshold !== 'number' || !(lossThreshold >= 0 && lossThreshold < 1))
    fail('INVALID_ARGUMENT', fn, 'lossThreshold must be a number in [0, 1)', lossThreshold);
  const weightedPooling = checkOneOf(cfg.weightedPooling ?? 'none', fn, 'weightedPooling', ['none', 'fixed', 'learned'] as const);
  const dOut = bottomMlp[bottomMlp.length - 1];
  if (dOut !== embeddingDim) fail('INVALID_ARGUMENT', fn, `the last bottomMlp width must equal embeddingDim = ${embeddingDim}`, dOut);
  if (topMlp[topMlp.length - 1] !== 1) fail('INVALID_ARGUMENT', fn, 'the last topMlp width must be 1', topMlp[topMlp.length - 1]);
  const r: ResolvedConfig = {
    denseFeatures,
    embeddingDim,
    tableSizes,
    featureNames,
    bottomMlp,
    topMlp,
    interaction,
    interactionItself,
    lossThreshold,
    weightedPooling,
    lnBot: [denseFeatures, ...bottomMlp],
    lnTop: [],
  };
  r.lnTop = [numInt(r), ...topMlp];
  return r;
}

function numInt(c: {
  tableSizes: readonly number[];
  bottomMlp: readonly number[];
  interaction: string;
  interactionItself?: boolean;
}): number {
  const N = c.tableSizes.length + 1;
  const dOut = c.bottomMlp[c.bottomMlp.length - 1];
  if (c.interaction === 'cat') return N * dOut;
  return c.interactionItself ? (N * (N + 1)) / 2 + dOut : (N * (N - 1)) / 2 + dOut;
}

/**
 * Input width of the top MLP (`num_int`): `N(N−1)/2 + d_out` for `dot`, `N(N+1)/2 + d_out` with self-interaction,
 * `N·d_out` for `cat`, where N = features + 1 and d_out the last bottom-MLP width.
 *
 * @throws TesseraError `INVALID_ARGUMENT` on an invalid config.
 * @example
 * ```ts
 * import { topMlpInputSize } from '@tessera/dlrm-model';
 * const names = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);
 * topMlpInputSize({ denseFeatures: 13, embeddingDim: 16, tableSizes: names.map(() => 10), featureNames: names,
 *   bottomMlp: [512, 256, 64, 16], topMlp: [512, 256, 1], interaction: 'dot' }); // → 367
 * ```
 */
export function topMlpInputSize(cfg: DlrmConfig): number {
  return resolveConfig(cfg, 'topMlpInputSize').lnTop[0];
}

/** Upper bound on N accepted by {@link interactionPairs}. */
export const MAX_INTERACTION_N = MAX_FEATURES + 1;

/**
 * The (i, j) pairs of the dot interaction in the reference's order, flattened: strictly-lower triangle row-major
 * (1,0),(2,0),(2,1),(3,0)… or, with `itself`, j ≤ i: (0,0),(1,0),(1,1)…
 *
 * @throws TesseraError `INVALID_ARGUMENT` when n is not an integer in [1, 1025].
 * @example
 * ```ts
 * import { interactionPairs } from '@tessera/dlrm-model';
 * Array.from(interactionPairs(3, false)); // → [1, 0, 2, 0, 2, 1]
 * ```
 */
export function interactionPairs(n: number, itself: boolean): Int32Array {
  checkInteger(n, 'interactionPairs', 'n', { min: 1, max: MAX_INTERACTION_N });
  const off = itself ? 1 : 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < i + off; j++) out.push(i, j);
  return Int32Array.from(out);
}

/**
 * The reference's arch strings for a config (the checkpoint sidecar): `--arch-sparse-feature-size`,
 * `--arch-embedding-size`, `--arch-mlp-bot`, `--arch-mlp-top` (without num_int), the interaction op and `itself`.
 *
 * @throws TesseraError `INVALID_ARGUMENT` on an invalid config.
 * @example
 * ```ts
 * import { archStrings } from '@tessera/dlrm-model';
 * archStrings({ denseFeatures: 4, embeddingDim: 2, tableSizes: [4, 3, 2], featureNames: ['a', 'b', 'c'],
 *   bottomMlp: [3, 2], topMlp: [4, 2, 1], interaction: 'dot' })['arch-mlp-bot']; // → '4-3-2'
 * ```
 */
export function archStrings(cfg: DlrmConfig): Record<string, string | number | boolean> {
  const r = resolveConfig(cfg, 'archStrings');
  return {
    'arch-sparse-feature-size': r.embeddingDim,
    'arch-embedding-size': r.tableSizes.join('-'),
    'arch-mlp-bot': r.lnBot.join('-'),
    'arch-mlp-top': r.topMlp.join('-'),
    'arch-interaction-op': r.interaction,
    'arch-interaction-itself': r.interactionItself,
    'loss-threshold': r.lossThreshold,
    'weighted-pooling': r.weightedPooling,
    'feature-names': r.featureNames.join(','),
  };
}
