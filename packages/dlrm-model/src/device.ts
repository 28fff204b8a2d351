// The tfjs-op path of DLRM's sparse part (`kernel: 'tfjs'`): sum pooling of the embedding bags and the row-sparse
// gradients of a batch as tfjs ops over the model's tables held as tf variables, so that a training step never reads
// a tensor back synchronously (tfjs-backend-webgpu in Node cannot). The KJT's ids, offsets and inverse indices are
// host arrays (KeyedJaggedTensor keeps lengths and offsets on the host; the ids are read where they are still
// host-resident), so the index bookkeeping — unique rows in first-touch order, which sample each id pools into — is
// done on the host, and the device only gathers, multiplies and segment-sums:
//   pooled:  E_f[b] = Σ_k c_k · T[rows[fIdx_k]]  over the terms k of sample b   (tf.sparse.sparseSegmentSum)
//   grads:   g_r    = Σ_k c_k · dE_f[b_k]        over the terms k of row r      (the same, terms sorted by row)
// with c_k the KJT per-id weight and/or the learned pooling weight v[id] (torch `nn.EmbeddingBag(mode="sum")` with
// `per_sample_weights`; facebookresearch/dlrm `dlrm_s_pytorch.py`, `apply_emb`). An IKJT (RecD, arXiv 2211.05239 §4)
// is expanded to one term list per sample: the pooled values are the same, and the backward sums duplicate samples
// row by row instead of per bag first. `sparseSegmentSum` (not `unsortedSegmentSum`, which tfjs-backend-wasm lacks
// and tfjs-backend-cpu runs as one masked sum per segment) needs sorted segment ids, hence the two term orders.
import * as tf from '@tensorflow/tfjs-core';
import { fakeQuantizeMX } from '@tessera/mx-formats';
import type { ResolvedSparse } from './embedding.js';
import type { DlrmModel } from './model.js';

/** Host index arrays of one feature for the tfjs path. @internal */
export interface DeviceFeature {
  /** Unique ids in first-touch order over the KJT's ids (the rows the host optimizers update). */
  rows: Int32Array;
  /** Pooling terms in sample order: index into `rows`, sample, KJT per-id weight. */
  fIdx: Int32Array;
  fSeg: Int32Array;
  fW: Float32Array | null;
  /** The same terms sorted by row (stable): sample, row, weight. */
  bIdx: Int32Array;
  rSeg: Int32Array;
  bW: Float32Array | null;
}

/** Builds the term lists of every feature (host work only). `slots[f]` is −1-filled scratch, restored. @internal */
export function deviceFeatures(s: ResolvedSparse, slots: Int32Array[]): DeviceFeature[] {
  return s.features.map(({ ids, offsets, weights, inverse, U }, f) => {
    const slot = slots[f];
    const rowsList: number[] = [];
    for (let j = offsets[0]; j < offsets[U]; j++) {
      const id = ids[j];
      if (slot[id] < 0) {
        slot[id] = rowsList.length;
        rowsList.push(id);
      }
    }
    let K = 0;
    for (let b = 0; b < s.B; b++) {
      const u = inverse ? inverse[b] : b;
      K += offsets[u + 1] - offsets[u];
    }
    const fIdx = new Int32Array(K);
    const fSeg = new Int32Array(K);
    const fW = weights ? new Float32Array(K) : null;
    let k = 0;
    for (let b = 0; b < s.B; b++) {
      const u = inverse ? inverse[b] : b;
      for (let j = offsets[u]; j < offsets[u + 1]; j++, k++) {
        fIdx[k] = slot[ids[j]];
        fSeg[k] = b;
        if (fW && weights) fW[k] = weights[j];
      }
    }
    const rows = Int32Array.from(rowsList);
    for (let i = 0; i < rows.length; i++) slot[rows[i]] = -1;
    // counting sort of the terms by row, stable (sample order within a row, as the host scatter adds them)
    const R = rows.length;
    const start = new Int32Array(R + 1);
    for (let i = 0; i < K; i++) start[fIdx[i] + 1]++;
    for (let r = 0; r < R; r++) start[r + 1] += start[r];
    const bIdx = new Int32Array(K);
    const rSeg = new Int32Array(K);
    const bW = fW ? new Float32Array(K) : null;
    for (let i = 0; i < K; i++) {
      const p = start[fIdx[i]]++;
      bIdx[p] = fSeg[i];
      rSeg[p] = fIdx[i];
      if (bW && fW) bW[p] = fW[i];
    }
    return { rows, fIdx, fSeg, fW, bIdx, rSeg, bW };
  });
}

// sparseSegmentSum returns max(segment id) + 1 rows: pad with zero rows up to n.
function segmentSum(data: tf.Tensor2D, indices: Int32Array | null, segments: Int32Array, n: number): tf.Tensor2D {
  const K = segments.length;
  const D = data.shape[1];
  if (K === 0) return tf.zeros([n, D]);
  const idx = indices ? tf.tensor1d(indices, 'int32') : tf.range(0, K, 1, 'int32');
  const s = tf.sparse.sparseSegmentSum(data, idx, tf.tensor1d(segments, 'int32')) as tf.Tensor2D;
  const m = segments[K - 1] + 1;
  return (m < n ? tf.concat([s, tf.zeros([n - m, D])], 0) : s) as tf.Tensor2D;
}

/** What the pooled forward of the tfjs path keeps for its backward. @internal */
export interface DevicePooled {
  /** Pooled embeddings [B, F·d]. */
  E: tf.Tensor2D;
  /**
   * Per feature: the touched rows [R, d] (before fake quantization) and their learned pooling weights [R] or null;
   * null where R = 0 (no empty tensors: tfjs-backend-webgpu cannot allocate a buffer of size 0).
   */
  C: (tf.Tensor2D | null)[];
  V: (tf.Tensor1D | null)[];
}

/** Pools every feature on the device from the model's table variables. The caller disposes all of it. @internal */
export function devicePooled(model: DlrmModel, feats: readonly DeviceFeature[], B: number): DevicePooled {
  const { emb, v } = model.deviceTables();
  const D = model.config.embeddingDim;
  const q = model.fakeQuantization?.embeddings;
  // tidy keeps every tensor of the returned object (nulls are skipped)
  return tf.tidy(() => {
    const C: (tf.Tensor2D | null)[] = [];
    const V: (tf.Tensor1D | null)[] = [];
    const parts = feats.map((f, k) => {
      if (f.rows.length === 0 || f.fIdx.length === 0) {
        C.push(null);
        V.push(null);
        return tf.zeros([B, D]) as tf.Tensor2D;
      }
      const rowsT = tf.tensor1d(f.rows, 'int32');
      const c = tf.gather(emb[k], rowsT) as tf.Tensor2D;
      const vc = v ? (tf.gather(v[k], rowsT) as tf.Tensor1D) : null;
      C.push(c);
      V.push(vc);
      // embedding fake quantization: each looked-up row on its own along d, as the host path does
      const cq = q ? (fakeQuantizeMX(c, { kernel: 'tfjs', ...q, axis: 1 }) as tf.Tensor2D) : c;
      if (!f.fW && !vc) return segmentSum(cq, f.fIdx, f.fSeg, B);
      const idx = tf.tensor1d(f.fIdx, 'int32');
      let coef: tf.Tensor1D | null = f.fW ? tf.tensor1d(f.fW) : null;
      if (vc) coef = (coef ? tf.mul(coef, tf.gather(vc, idx)) : tf.gather(vc, idx)) as tf.Tensor1D;
      const terms = tf.mul(tf.gather(cq, idx), tf.expandDims(coef as tf.Tensor1D, 1)) as tf.Tensor2D;
      return segmentSum(terms, null, f.fSeg, B);
    });
    const E = (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D;
    return { E, C, V } as unknown as tf.TensorContainer;
  }) as unknown as DevicePooled;
}

/** Frees a {@link DevicePooled}. @internal */
export function disposePooled(p: DevicePooled): void {
  p.E.dispose();
  for (const t of [...p.C, ...p.V]) t?.dispose();
}

/**
 * Row-sparse gradient of one table on the tfjs path: the touched rows (host, first-touch order) and their gradient
 * ([rows, d], or [rows] for pooling weights).
 * @example `const { rows, grad } = grads.embeddingRows.get(0)!;`
 */
export interface DeviceRowGrad<T extends tf.Tensor = tf.Tensor2D> {
  rows: Int32Array;
  grad: T;
}

/**
 * Scatters dE ([B, F·d], gradient of the pooled outputs) into each feature's touched rows ([R, d], rows in
 * first-touch order); with learned pooling weights also d v[id] = Σ w·⟨dE_b, T[id]⟩ per row ([R]). @internal
 */
export function deviceRowGradients(
  model: DlrmModel,
  feats: readonly DeviceFeature[],
  pooled: DevicePooled,
  dE: tf.Tensor2D,
): { emb: Map<number, DeviceRowGrad>; v: Map<number, DeviceRowGrad<tf.Tensor1D>> | null } {
  const D = model.config.embeddingDim;
  const B = dE.shape[0];
  const learned = model.config.weightedPooling === 'learned';
  const emb = new Map<number, DeviceRowGrad>();
  const v = learned ? new Map<number, DeviceRowGrad<tf.Tensor1D>>() : null;
  feats.forEach((f, k) => {
    const R = f.rows.length;
    const c = pooled.C[k];
    if (R === 0) return;
    if (!c) {
      // rows of bags no sample uses (an IKJT's unused stored bags): touched with a zero gradient, as on the host
      emb.set(k, { rows: f.rows, grad: tf.zeros([R, D]) });
      if (v) v.set(k, { rows: f.rows, grad: tf.zeros([R]) });
      return;
    }
    const r = tf.tidy(() => {
      const dEf = tf.slice(dE, [0, k * D], [B, D]) as tf.Tensor2D;
      let gw: tf.Tensor2D;
      if (f.bW) {
        const terms = tf.mul(tf.gather(dEf, tf.tensor1d(f.bIdx, 'int32')), tf.expandDims(tf.tensor1d(f.bW), 1)) as tf.Tensor2D;
        gw = segmentSum(terms, null, f.rSeg, R);
      } else gw = segmentSum(dEf, f.bIdx, f.rSeg, R);
      const vc = pooled.V[k];
      if (!vc) return { g: gw, dv: null } as unknown as tf.TensorContainer;
      return { g: tf.mul(gw, tf.expandDims(vc, 1)), dv: tf.sum(tf.mul(gw, c), 1) } as unknown as tf.TensorContainer;
    }) as unknown as { g: tf.Tensor2D; dv: tf.Tensor1D | null };
    emb.set(k, { rows: f.rows, grad: r.g });
    if (v && r.dv) v.set(k, { rows: f.rows, grad: r.dv });
  });
  return { emb, v };
}
