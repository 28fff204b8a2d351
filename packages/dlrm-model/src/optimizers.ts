// Sparse-aware optimizers with the update rules of torch.optim.SGD, torch.optim.Adagrad (sparse gradients coalesced
// first: duplicates summed, then squared) and facebookresearch/dlrm `optim/rwsadagrad.py` (one accumulator per
// embedding row: state += mean_d(g_row²)). Only the rows in a batch's gradient are read or written; dense
// parameters are updated on the host in float64 and rounded once to float32 (PyTorch's fused `p + (−lr)·g`).
// `stepDevice` is the same rule as tfjs ops for the tfjs path (`kernel: 'tfjs'`): parameters, tables and optimizer
// state stay tf variables; the new values of the touched rows are computed on [rows, d] tensors and added into the
// table with one `tf.scatterND` (rows are unique, untouched rows get + 0, i.e. stay bit-identical), because tfjs
// tensors are immutable (no in-place row write: each update rewrites the [n, d] table on the device). Arithmetic is
// float32 throughout, so values differ from the host rule by float32 rounding of the intermediate products.
import * as tf from '@tensorflow/tfjs-core';
import { fail } from './errors.js';
import type { DeviceGrads, DlrmGrads } from './grads.js';
import type { DlrmModel } from './model.js';

/** An optimizer that receives exactly what {@link trainStep} computes: dense grads by name, embedding rows by table. */
export interface SparseAwareOptimizer {
  /** Applies one update; `lr` overrides the optimizer's base lr for this step (an LR schedule). */
  step(model: DlrmModel, grads: DlrmGrads, lr?: number): void;
  /**
   * The same update on the tfjs path (`kernel: 'tfjs'`), with gradients as tensors; optional: an optimizer without it
   * can only train on the host path.
   */
  stepDevice?(model: DlrmModel, grads: DeviceGrads, lr?: number): void;
  /** Frees optimizer state held as tf variables (the tfjs path's accumulators); the optimizer is unusable after. */
  dispose?(): void;
  /** The base learning rate (optional for custom optimizers). */
  readonly lr?: number;
}

function checkDeviceGrads(model: DlrmModel, grads: DeviceGrads, fn: string): Map<string, tf.Variable> {
  const params = model.denseParameters();
  for (const [name, g] of grads.dense) {
    const v = params.get(name);
    if (!v) fail('INVALID_KEY', fn, `unknown dense parameter '${name}'`, name);
    if (g.size !== v.size) fail('INVALID_SHAPE', fn, `gradient of '${name}' must have ${v.size} values`, g.size);
  }
  const D = model.config.embeddingDim;
  for (const [k, { rows, grad }] of grads.embeddingRows) {
    const n = model.config.tableSizes[k];
    if (n === undefined) fail('INVALID_KEY', fn, `unknown embedding table ${k}`, k);
    if (grad.size !== rows.length * D) fail('INVALID_SHAPE', fn, `embedding gradient ${k} must hold rows × ${D} values`, grad.size);
    for (const r of rows) if (r < 0 || r >= n) fail('INDEX_OUT_OF_RANGE', fn, `rows of table ${k} must be in [0, ${n})`, r);
  }
  return params;
}

// T ← T + scatter(rows, delta): delta holds one row per entry of `rows` (unique).
function addRows(T: tf.Variable, rows: Int32Array, delta: (idx: tf.Tensor2D) => tf.Tensor): void {
  if (rows.length === 0) return;
  tf.tidy(() => {
    const idx = tf.tensor2d(rows, [rows.length, 1], 'int32');
    T.assign(tf.add(T, tf.scatterND(idx, delta(idx), T.shape)));
  });
}

// Device state of one optimizer: created on its first tfjs-path step; a host step after that (or the reverse) is refused.
class DeviceSlots {
  readonly vars = new Map<string, tf.Variable>();
  get(key: string, shape: number[], init: number): tf.Variable {
    let v = this.vars.get(key);
    if (!v) {
      const t = tf.fill(shape, init);
      v = tf.variable(t, false);
      t.dispose();
      this.vars.set(key, v);
    }
    return v;
  }
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

function onePath(fn: string, used: { host: boolean; device: boolean }, path: 'host' | 'device'): void {
  const other = path === 'host' ? 'device' : 'host';
  if (used[other])
    fail(
      'INVALID_ARGUMENT',
      fn,
      `this optimizer keeps its state on the ${other === 'host' ? 'host (kernel: host)' : 'device (kernel: tfjs)'} path of its first step; use one optimizer per path`,
      path,
    );
  used[path] = true;
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
    stepDevice(model, grads, stepLr) {
      const fn = 'sgd.stepDevice';
      const a = Math.fround(-checkLr(fn, stepLr ?? base));
      const params = checkDeviceGrads(model, grads, fn);
      tf.tidy(() => {
        for (const [name, g] of grads.dense) {
          const v = params.get(name) as tf.Variable;
          v.assign(tf.add(v, tf.mul(a, g)));
        }
      });
      const { emb, v } = model.deviceTables();
      for (const [k, { rows, grad }] of grads.embeddingRows) addRows(emb[k], rows, () => tf.mul(a, grad));
      for (const [k, { rows, grad }] of grads.poolingWeightRows ?? []) if (v) addRows(v[k], rows, () => tf.mul(a, grad));
      model.markDeviceUpdated();
    },
    dispose() {},
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
  const used = { host: false, device: false };
  const slots = new DeviceSlots();
  return {
    lr: base,
    stepDevice(model, grads, stepLr) {
      const sfn = 'adagrad.stepDevice';
      const lr = checkLr(sfn, stepLr ?? base);
      const params = checkDeviceGrads(model, grads, sfn);
      onePath(sfn, used, 'device');
      t += 1;
      const clr = lr / (1 + (t - 1) * lrDecay);
      // p ← p − clr·g/(√s + eps) with s already updated, as the host rule
      const delta = (g: tf.Tensor, s: tf.Tensor) => tf.neg(tf.mul(clr, tf.div(g, tf.add(tf.sqrt(s), eps))));
      tf.tidy(() => {
        for (const [name, g] of grads.dense) {
          const p = params.get(name) as tf.Variable;
          const S = slots.get(`dense:${name}`, p.shape, init);
          const s1 = tf.add(S, tf.square(g));
          S.assign(s1);
          p.assign(tf.add(p, delta(g, s1)));
        }
      });
      const { emb, v } = model.deviceTables();
      const rows = (key: string, T: tf.Variable, r: Int32Array, g: tf.Tensor) => {
        const S = slots.get(key, T.shape, init);
        addRows(S, r, () => tf.square(g));
        addRows(T, r, () => delta(g, tf.gather(S, tf.tensor1d(r, 'int32'))));
      };
      for (const [k, { rows: r, grad }] of grads.embeddingRows) rows(`emb:${k}`, emb[k], r, grad);
      if (v) for (const [k, { rows: r, grad }] of grads.poolingWeightRows ?? []) rows(`v:${k}`, v[k], r, grad);
      model.markDeviceUpdated();
    },
    dispose() {
      slots.dispose();
    },
    step(model, grads, stepLr) {
      const sfn = 'adagrad.step';
      const lr = checkLr(sfn, stepLr ?? base);
      checkRows(model, grads, sfn);
      onePath(sfn, used, 'host');
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
  const slots = new DeviceSlots();
  return {
    lr: base,
    stepDevice(model, grads, stepLr) {
      const sfn = 'rowWiseSparseAdagrad.stepDevice';
      const lr = checkLr(sfn, stepLr ?? base);
      checkDeviceGrads(model, grads, sfn);
      (dense.stepDevice as NonNullable<SparseAwareOptimizer['stepDevice']>)(model, { dense: grads.dense, embeddingRows: new Map() }, lr);
      t += 1;
      const clr = lr / (1 + (t - 1) * lrDecay);
      const { emb, v } = model.deviceTables();
      const rows = (key: string, T: tf.Variable, r: Int32Array, g: tf.Tensor) => {
        const S = slots.get(key, [T.shape[0]], 0);
        const g2 = g.rank === 2 ? g : tf.expandDims(g, 1);
        addRows(S, r, () => tf.mean(tf.square(g2), 1));
        addRows(T, r, () => {
          const std = tf.add(tf.sqrt(tf.gather(S, tf.tensor1d(r, 'int32'))), eps);
          return tf.neg(tf.mul(clr, tf.div(g, g.rank === 2 ? tf.expandDims(std, 1) : std)));
        });
        if (g2 !== g) g2.dispose();
      };
      for (const [k, { rows: r, grad }] of grads.embeddingRows) rows(`emb:${k}`, emb[k], r, grad);
      if (v) for (const [k, { rows: r, grad }] of grads.poolingWeightRows ?? []) rows(`v:${k}`, v[k], r, grad);
      model.markDeviceUpdated();
    },
    dispose() {
      slots.dispose();
      dense.dispose?.();
    },
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
