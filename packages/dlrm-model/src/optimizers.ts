// Sparse-aware optimizers with the update rules of torch.optim.SGD, torch.optim.Adagrad (sparse gradients coalesced
// first: duplicates summed, then squared) and facebookresearch/dlrm `optim/rwsadagrad.py` (one accumulator per
// embedding row: state += mean_d(g_row²)). Only the rows in a batch's gradient are read or written; dense
// parameters are updated on the host in float64 and rounded once to float32 (PyTorch's fused `p + (−lr)·g`).
import * as tf from '@tensorflow/tfjs-core';
import { fail } from './errors.js';
import type { DlrmGrads } from './grads.js';
import type { DlrmModel } from './model.js';

/** An optimizer that receives exactly what {@link trainStep} computes: dense grads by name, embedding rows by table. */
export interface SparseAwareOptimizer {
  /** Applies one update; `lr` overrides the optimizer's base lr for this step (an LR schedule). */
  step(model: DlrmModel, grads: DlrmGrads, lr?: number): void;
  /** The base learning rate (optional for custom optimizers). */
  readonly lr?: number;
}

function checkLr(fn: string, lr: unknown): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) fail('INVALID_ARGUMENT', fn, 'lr must be a finite number >= 0', lr);
  return lr;
}

function updateDense(
  model: DlrmModel,
  grads: DlrmGrads,
  fn: string,
  update: (name: string, p: Float32Array, g: Float32Array) => void,
): void {
  const params = model.denseParameters();
  for (const [name, g] of grads.dense) {
    const v = params.get(name);
    if (!v) fail('INVALID_KEY', fn, `unknown dense parameter '${name}'`, name);
    if (g.size !== v.size) fail('INVALID_SHAPE', fn, `gradient of '${name}' must have ${v.size} values`, g.size);
  }
  for (const [name, g] of grads.dense) {
    const v = params.get(name) as tf.Variable;
    const p = Float32Array.from(v.dataSync() as Float32Array);
    update(name, p, g.dataSync() as Float32Array);
    const t = tf.tensor(p, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}

function checkRows(model: DlrmModel, grads: DlrmGrads, fn: string): void {
  const D = model.config.embeddingDim;
  for (const [k, { rows, grad }] of grads.embeddingRows) {
    const n = model.config.tableSizes[k];
    if (n === undefined) fail('INVALID_KEY', fn, `unknown embedding table ${k}`, k);
    if (grad.length !== rows.length * D) fail('INVALID_SHAPE', fn, `embedding gradient ${k} must hold rows × ${D} values`, grad.length);
    for (const r of rows) if (r < 0 || r >= n) fail('INDEX_OUT_OF_RANGE', fn, `rows of table ${k} must be in [0, ${n})`, r);
  }
}

function forRows(
  grads: Map<number, { rows: Int32Array; grad: Float32Array }> | undefined,
  tables: readonly Float32Array[] | null,
  width: number,
  f: (k: number, T: Float32Array, rowOffset: number, g: Float32Array, go: number, row: number) => void,
): void {
  if (!grads || !tables) return;
  for (const [k, { rows, grad }] of grads) {
    const T = tables[k];
    for (let i = 0; i < rows.length; i++) f(k, T, rows[i] * width, grad, i * width, rows[i]);
  }
}

/**
 * Plain SGD (`torch.optim.SGD(lr)`): p ← p − lr·g; embedding rows not in the batch are untouched.
 *
 * @throws TesseraError `INVALID_ARGUMENT` on a negative or non-finite lr; from `step`, `INVALID_KEY`/`INVALID_SHAPE`
 * on gradients that do not fit the model.
 * @example
 * ```ts
 * import { sgd } from '@tessera/dlrm-model';
 * const opt = sgd(0.1); // opt.step(model, grads) after dlrmGrads, or trainStep(model, opt, batch, 'bce')
 * ```
 */
export function sgd(lr: number): SparseAwareOptimizer {
  const base = checkLr('sgd', lr);
  return {
    lr: base,
    step(model, grads, stepLr) {
      const fn = 'sgd.step';
      const a = Math.fround(-checkLr(fn, stepLr ?? base));
      checkRows(model, grads, fn);
      updateDense(model, grads, fn, (_n, p, g) => {
        for (let i = 0; i < p.length; i++) p[i] = p[i] + a * g[i];
      });
      const D = model.config.embeddingDim;
      forRows(grads.embeddingRows, model.embeddings, D, (_k, T, o, g, go) => {
        for (let d = 0; d < D; d++) T[o + d] = T[o + d] + a * g[go + d];
      });
      forRows(grads.poolingWeightRows, model.poolingWeights, 1, (_k, T, o, g, go) => {
        T[o] = T[o] + a * g[go];
      });
    },
  };
}

/** Options of {@link adagrad}. */
export interface AdagradOptions {
  lr: number;
  /** Default 1e-10 (torch). */
  eps?: number;
  /** Default 0. */
  lrDecay?: number;
  /** Default 0. */
  initialAccumulatorValue?: number;
}

/**
 * Adagrad with torch.optim.Adagrad's rule: sum ← sum + g², p ← p − clr·g/(√sum + eps), clr = lr/(1 + (t − 1)·lrDecay).
 * Embedding gradients arrive coalesced (duplicates summed before squaring); only their rows' accumulators are read
 * or written (the accumulators are allocated, like torch's, at the size of each table).
 *
 * @throws TesseraError `INVALID_ARGUMENT` on bad options.
 * @example
 * ```ts
 * import { adagrad } from '@tessera/dlrm-model';
 * const opt = adagrad({ lr: 0.01 });
 * ```
 */
export function adagrad(o: AdagradOptions): SparseAwareOptimizer {
  const fn = 'adagrad';
  if (typeof o !== 'object' || o === null)
    fail('INVALID_ARGUMENT', fn, 'options must be { lr, eps?, lrDecay?, initialAccumulatorValue? }', o);
  const base = checkLr(fn, o.lr);
  const eps = o.eps ?? 1e-10;
  const lrDecay = o.lrDecay ?? 0;
  const init = o.initialAccumulatorValue ?? 0;
  for (const [n, v] of [
    ['eps', eps],
    ['lrDecay', lrDecay],
    ['initialAccumulatorValue', init],
  ] as const)
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('INVALID_ARGUMENT', fn, `${n} must be a finite number >= 0`, v);
  const denseSum = new Map<string, Float32Array>();
  let embSum: Float32Array[] | null = null;
  let vSum: Float32Array[] | null = null;
  let t = 0;
  return {
    lr: base,
    step(model, grads, stepLr) {
      const sfn = 'adagrad.step';
      const lr = checkLr(sfn, stepLr ?? base);
      checkRows(model, grads, sfn);
      t += 1;
      const clr = lr / (1 + (t - 1) * lrDecay);
      const upd = (p: Float32Array, po: number, g: Float32Array, go: number, s: Float32Array, so: number, n: number) => {
        for (let i = 0; i < n; i++) {
          const gi = g[go + i];
          s[so + i] = s[so + i] + gi * gi;
          const std = Math.fround(Math.sqrt(s[so + i]) + eps);
          p[po + i] = p[po + i] - clr * (gi / std);
        }
      };
      updateDense(model, grads, sfn, (name, p, g) => {
        let s = denseSum.get(name);
        if (!s) {
          s = new Float32Array(p.length).fill(init);
          denseSum.set(name, s);
        }
        upd(p, 0, g, 0, s, 0, p.length);
      });
      const D = model.config.embeddingDim;
      if (!embSum) embSum = model.config.tableSizes.map((n) => new Float32Array(n * D).fill(init));
      const es = embSum;
      forRows(grads.embeddingRows, model.embeddings, D, (k, T, o, g, go) => upd(T, o, g, go, es[k], o, D));
      if (model.poolingWeights) {
        if (!vSum) vSum = model.config.tableSizes.map((n) => new Float32Array(n).fill(init));
        const vs = vSum;
        forRows(grads.poolingWeightRows, model.poolingWeights, 1, (k, T, o, g, go) => upd(T, o, g, go, vs[k], o, 1));
      }
    },
  };
}

/**
 * Row-wise sparse Adagrad (facebookresearch/dlrm `optim/rwsadagrad.py`): one accumulator per embedding row,
 * state_row += mean_d(g_row²), p_row ← p_row − clr·g_row/(√state_row + eps); dense parameters use plain Adagrad.
 * State is n_k floats per table instead of n_k·d.
 *
 * @throws TesseraError `INVALID_ARGUMENT` on bad options.
 * @example
 * ```ts
 * import { rowWiseSparseAdagrad } from '@tessera/dlrm-model';
 * const opt = rowWiseSparseAdagrad({ lr: 0.01 });
 * ```
 */
export function rowWiseSparseAdagrad(o: { lr: number; eps?: number; lrDecay?: number }): SparseAwareOptimizer {
  const fn = 'rowWiseSparseAdagrad';
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', fn, 'options must be { lr, eps? }', o);
  const base = checkLr(fn, o.lr);
  const eps = o.eps ?? 1e-10;
  const lrDecay = o.lrDecay ?? 0;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) fail('INVALID_ARGUMENT', fn, 'eps must be a finite number >= 0', eps);
  const dense = adagrad({ lr: base, eps, lrDecay });
  let rowState: Float32Array[] | null = null;
  let vState: Float32Array[] | null = null;
  let t = 0;
  return {
    lr: base,
    step(model, grads, stepLr) {
      const sfn = 'rowWiseSparseAdagrad.step';
      const lr = checkLr(sfn, stepLr ?? base);
      checkRows(model, grads, sfn);
      t += 1;
      const clr = lr / (1 + (t - 1) * lrDecay);
      dense.step(model, { dense: grads.dense, embeddingRows: new Map() }, lr);
      const D = model.config.embeddingDim;
      if (!rowState) rowState = model.config.tableSizes.map((n) => new Float32Array(n));
      const rs = rowState;
      const rowUpd = (T: Float32Array, o: number, g: Float32Array, go: number, S: Float32Array, row: number, w: number) => {
        let m = 0;
        for (let d = 0; d < w; d++) m += g[go + d] * g[go + d];
        S[row] = S[row] + Math.fround(m / w);
        const std = Math.fround(Math.sqrt(S[row]) + eps);
        for (let d = 0; d < w; d++) T[o + d] = T[o + d] - clr * (g[go + d] / std);
      };
      forRows(grads.embeddingRows, model.embeddings, D, (k, T, o, g, go, row) => rowUpd(T, o, g, go, rs[k], row, D));
      if (model.poolingWeights) {
        if (!vState) vState = model.config.tableSizes.map((n) => new Float32Array(n));
        const vs = vState;
        forRows(grads.poolingWeightRows, model.poolingWeights, 1, (k, T, o, g, go, row) => rowUpd(T, o, g, go, vs[k], row, 1));
      }
    },
  };
}
