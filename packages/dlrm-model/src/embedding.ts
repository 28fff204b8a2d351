// Host-side sum pooling of DLRM's embedding bags (PyTorch `nn.EmbeddingBag(mode="sum")` with offsets) over a KJT or an
// IKJT, and the row-sparse table gradients of a batch. Why on the host: the tables are plain Float32Arrays so that an
// optimizer step reads and writes only the rows a batch touches (tfjs tensors are immutable, so a row update of a
// tensor table would rewrite the whole table), and `tf.grads` through `tf.gather` would produce a dense [n_k, d]
// gradient. The model differentiates with respect to the pooled [B, d] outputs and this file scatters that gradient
// into the touched rows. With an IKJT (RecD, arXiv 2211.05239 §4) only the U_k unique bags are pooled and the
// duplicate samples' output gradients are summed into their unique bag before the scatter (torchrec's unsharded
// `EmbeddingBagCollection` variable-batch path).
import { readSync } from '@tessera/core';
import { InverseKeyedJaggedTensor, KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { fail } from './errors.js';

/** The bags of one feature, in table order. @internal */
export interface FeatureBags {
  /** All ids of the batch (the KJT's values). */
  ids: Int32Array;
  /** U + 1 absolute offsets into `ids`: bag u is `ids[offsets[u] .. offsets[u+1])`. */
  offsets: Int32Array;
  /** Per-id weights (torchrec per-sample weights), or null. */
  weights: Float32Array | null;
  /** Sample b uses stored bag `inverse[b]`; null = bag b is sample b. */
  inverse: Int32Array | null;
  /** Stored bags U. */
  U: number;
  /**
   * With an inverse: walk the samples and read bag `inverse[b]` directly (no per-bag reuse bookkeeping). Chosen when
   * few bags repeat (B/U < 4/3), where the bookkeeping costs more than the pooling it saves.
   */
  inline: boolean;
}

/** A batch's sparse part resolved against the model's feature names. @internal */
export interface ResolvedSparse {
  B: number;
  features: FeatureBags[];
}

/** Resolves the features of a KJT/IKJT in `featureNames` order, matching keys by name. @internal */
export function resolveSparse(fn: string, sparse: unknown, featureNames: readonly string[], tableSizes: readonly number[]): ResolvedSparse {
  if (!(sparse instanceof KeyedJaggedTensor))
    fail('INVALID_ARGUMENT', fn, 'batch.sparse must be a KeyedJaggedTensor or an InverseKeyedJaggedTensor', sparse);
  const kjt = sparse as KeyedJaggedTensor;
  if (kjt.duplicateKeys) fail('INVALID_KEY', fn, 'batch.sparse keys must be unique', [...kjt.keys]);
  const ikjt = kjt instanceof InverseKeyedJaggedTensor ? kjt : null;
  if (!ikjt && kjt.stridePerKeyPerRank)
    fail('UNSUPPORTED', fn, 'a variable-batch KJT needs inverse indices (an IKJT)', 'stridePerKeyPerRank set');
  if (kjt.values.dtype !== 'int32' || kjt.values.rank !== 1)
    fail('INVALID_DTYPE', fn, 'batch.sparse values must be int32 ids of rank 1', `${kjt.values.dtype} rank ${kjt.values.rank}`);
  // Both paths index the tables with host ids (and check their range here): on a backend without synchronous reads
  // the KJT's values must still be host-resident (built from host arrays, not yet used by a device kernel).
  const alt = 'build the KJT from host arrays (its ids index the tables on the host), or read it with await values.data() first';
  const ids = readSync(kjt.values, fn, 'batch.sparse values', alt) as Int32Array;
  const weights = kjt.weights ? (readSync(kjt.weights, fn, 'batch.sparse weights', alt) as Float32Array) : null;
  const B = kjt.stride;
  const features = featureNames.map((name, f) => {
    const ki = kjt.indexPerKey[name];
    if (ki === undefined) fail('INVALID_KEY', fn, `batch.sparse has no key '${name}' (keys: ${kjt.keys.join(', ')})`, `missing '${name}'`);
    const U = kjt.stridePerKey[ki];
    const start = kjt.lengthsOffsetPerKey[ki];
    const offsets = kjt.offsets.subarray(start, start + U + 1);
    let inverse = ikjt ? ikjt.inverseIndicesOf(name) : null;
    // A key that deduplicated nothing (U = B, identity inverse) takes the plain KJT path: no bookkeeping.
    if (inverse && U === inverse.length) {
      let identity = true;
      for (let b = 0; b < U && identity; b++) identity = inverse[b] === b;
      if (identity) inverse = null;
    }
    const R = tableSizes[f];
    for (let j = offsets[0]; j < offsets[U]; j++) {
      const id = ids[j];
      if (id < 0 || id >= R) fail('INDEX_OUT_OF_RANGE', fn, `ids of '${name}' must be in [0, ${R})`, id, { feature: name, position: j });
    }
    const inline = inverse !== null && inverse.length * 3 < U * 4;
    return { ids, offsets, weights, inverse, U, inline };
  });
  return { B, features };
}

// y[yo..yo+D) += c·x[xo..xo+D)
function axpy(y: Float32Array, yo: number, x: Float32Array, xo: number, c: number, D: number): void {
  if (c === 1) for (let d = 0; d < D; d++) y[yo + d] += x[xo + d];
  else for (let d = 0; d < D; d++) y[yo + d] += c * x[xo + d];
}

/**
 * Pools every feature into `out` ([B, F·D] row-major, zero-initialised): feature f in columns f·D..(f+1)·D.
 * `rowWeights[f]` are per-row weights (`v_W_l[k]`, weighted pooling), or null.
 * @internal
 */
export function poolFeatures(
  tables: readonly Float32Array[],
  rowWeights: readonly (Float32Array | null)[] | null,
  D: number,
  s: ResolvedSparse,
  out: Float32Array,
): void {
  const F = s.features.length;
  const ld = F * D;
  for (let f = 0; f < F; f++) {
    const { ids, offsets, weights, inverse, U, inline } = s.features[f];
    const T = tables[f];
    const v = rowWeights ? rowWeights[f] : null;
    const pool = (u: number, o: number) => {
      for (let j = offsets[u]; j < offsets[u + 1]; j++) {
        const id = ids[j];
        const c = (weights ? weights[j] : 1) * (v ? v[id] : 1);
        axpy(out, o, T, id * D, c, D);
      }
    };
    if (!inverse) {
      for (let u = 0; u < U; u++) pool(u, u * ld + f * D);
    } else if (inline) {
      for (let b = 0; b < inverse.length; b++) pool(inverse[b], b * ld + f * D);
    } else {
      const first = new Int32Array(U).fill(-1);
      for (let b = 0; b < inverse.length; b++) {
        const u = inverse[b];
        const o = b * ld + f * D;
        if (first[u] < 0) {
          first[u] = b;
          pool(u, o);
        } else {
          const src = first[u] * ld + f * D;
          out.copyWithin(o, src, src + D);
        }
      }
    }
  }
}

/** Row-sparse gradient of one table: `grad` holds `rows.length` rows of D values, rows in first-touch order. */
export interface RowGrad {
  rows: Int32Array;
  grad: Float32Array;
}

/**
 * Scatters the gradient of the pooled outputs `G` ([B, F·D]) into the rows each feature's bags touched. Duplicate ids
 * are summed (coalesced). `slots[f]` is scratch of n_f entries holding −1 (restored before returning). With learned
 * row weights, `vGrads` receives d v[id] = Σ ⟨g_bag, T[id]⟩ per touched row.
 * @internal
 */
export function rowGradients(
  tables: readonly Float32Array[],
  rowWeights: readonly (Float32Array | null)[] | null,
  learned: boolean,
  D: number,
  s: ResolvedSparse,
  G: Float32Array,
  slots: Int32Array[],
): { emb: RowGrad[]; rowWeights: RowGrad[] | null } {
  const F = s.features.length;
  const ld = F * D;
  const emb: RowGrad[] = [];
  const vOut: RowGrad[] | null = learned ? [] : null;
  for (let f = 0; f < F; f++) {
    const { ids, offsets, weights, inverse, U, inline } = s.features[f];
    const v = rowWeights ? rowWeights[f] : null;
    const T = tables[f];
    const slot = slots[f];
    // Gradient of each stored bag u: with a KJT, row u of G; with an IKJT, the row of its only sample, or for a bag
    // used several times the sum of its samples' rows (accumulated in `acc`). `bagA[u]`/`bagO[u]` say where it is.
    let useAcc: Int32Array | null = null; // −1: read G at row first[u]; k ≥ 0: read acc row k
    let first: Int32Array | null = null;
    let acc: Float32Array | null = null;
    if (inverse && !inline) {
      first = new Int32Array(U).fill(-1);
      useAcc = new Int32Array(U).fill(-1);
      let dups = 0;
      for (let b = 0; b < inverse.length; b++) {
        const u = inverse[b];
        if (first[u] < 0) first[u] = b;
        else if (useAcc[u] < 0) useAcc[u] = dups++;
      }
      if (dups > 0) {
        acc = new Float32Array(dups * D);
        for (let b = 0; b < inverse.length; b++) {
          const k = useAcc[inverse[b]];
          if (k >= 0) axpy(acc, k * D, G, b * ld + f * D, 1, D);
        }
      }
    }
    // Count touched rows first (first-touch order), then accumulate.
    const rowsList: number[] = [];
    for (let j = offsets[0]; j < offsets[U]; j++) {
      const id = ids[j];
      if (slot[id] < 0) {
        slot[id] = rowsList.length;
        rowsList.push(id);
      }
    }
    const rows = Int32Array.from(rowsList);
    const grad = new Float32Array(rows.length * D);
    const vg = vOut ? new Float32Array(rows.length) : null;
    const scatter = (u: number, src: Float32Array, o: number) => {
      for (let j = offsets[u]; j < offsets[u + 1]; j++) {
        const id = ids[j];
        const w = weights ? weights[j] : 1;
        const r = slot[id];
        axpy(grad, r * D, src, o, w * (v ? v[id] : 1), D);
        if (vg) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += src[o + d] * T[id * D + d];
          vg[r] = Math.fround(vg[r] + w * dot);
        }
      }
    };
    if (inverse && inline) {
      for (let b = 0; b < inverse.length; b++) scatter(inverse[b], G, b * ld + f * D);
    } else {
      for (let u = 0; u < U; u++) {
        let src = G;
        let o = u * ld + f * D;
        if (first && useAcc) {
          if (first[u] < 0) continue; // a stored bag no sample uses gets no gradient
          if (useAcc[u] >= 0) {
            src = acc as Float32Array;
            o = useAcc[u] * D;
          } else o = first[u] * ld + f * D;
        }
        scatter(u, src, o);
      }
    }
    for (let i = 0; i < rows.length; i++) slot[rows[i]] = -1;
    emb.push({ rows, grad });
    if (vOut && vg) vOut.push({ rows: rows.slice(), grad: vg });
  }
  return { emb, rowWeights: vOut };
}
