// The feature interaction of DLRM (arXiv 1906.00091 §3; facebookresearch/dlrm `dlrm_s_pytorch.py`,
// `interact_features`): `dot` stacks T = [x, e_1..e_F] ([B, N, d], bottom output first), takes Z = T·Tᵀ and keeps
// the strictly-lower triangle row-major ((1,0),(2,0),(2,1),(3,0)…; j ≤ i with self-interaction), then R = [x, Zflat];
// `cat` is R = [x, e_1..e_F]. Both are one host kernel under `tf.customGrad` taking x [B, d] and the pooled
// embeddings E [B, F·d]: it computes only the P kept dot products (not the whole N×N bmm), writes R directly, and
// its backward scatters into dx and dE. Why: tfjs's concat gradient slices along axis 1 through the generic
// element-by-element slice path, which cost more than the whole rest of a training step on the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '@tessera/core';
import { interactionPairs } from './config.js';
import { HOST_ALTERNATIVE } from './kernel.js';
import { gram } from './linear.js';

const READ = 'DLRM host interaction (kernel: host)';

/**
 * The interaction as tfjs ops only (`kernel: 'tfjs'`: no host read, so it runs on webgpu in Node): `cat` is a
 * concat; `dot` is Z = T·Tᵀ ({@link gram}), then the kept pairs gathered from the flattened Z along axis 1. The
 * gather's backward is a gather too (from dY with a zero column appended, through the inverse index map), because
 * tfjs's own GatherV2 gradient is an unsortedSegmentSum, which tfjs-backend-wasm lacks. Values equal the host
 * kernel's up to the summation order of the d-term dot products (the host sums in order in float64, matMul in
 * float32 in its own order).
 * @internal
 */
export function tfjsInteraction(x: tf.Tensor2D, E: tf.Tensor2D, mode: 'dot' | 'cat', itself: boolean): tf.Tensor2D {
  if (mode === 'cat') return tf.concat([x, E], 1) as tf.Tensor2D;
  const [B, D] = x.shape;
  const N = E.shape[1] / D + 1;
  const pairs = interactionPairs(N, itself);
  const P = pairs.length / 2;
  const NN = N * N;
  const flat = new Int32Array(P);
  const inv = new Int32Array(NN).fill(P);
  for (let p = 0; p < P; p++) {
    flat[p] = pairs[2 * p] * N + pairs[2 * p + 1];
    inv[flat[p]] = p;
  }
  const gather = tf.customGrad(((z: tf.Tensor2D) => ({
    value: tf.tidy(() => tf.gather(z, tf.tensor1d(flat, 'int32'), 1)),
    gradFunc: (dy: tf.Tensor2D) => tf.tidy(() => tf.gather(tf.concat([dy, tf.zeros([B, 1])], 1), tf.tensor1d(inv, 'int32'), 1)),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => {
    const T = tf.reshape(tf.concat([x, E], 1), [B, N, D]) as tf.Tensor3D;
    const Z = tf.reshape(gram(T), [B, NN]) as tf.Tensor2D;
    return tf.concat([x, gather(Z) as tf.Tensor2D], 1) as tf.Tensor2D;
  });
}

/**
 * R = [x, Zflat] (`dot`) or [x, E] (`cat`) for x [B, d] and E [B, F·d]; differentiable in x and E.
 * @internal
 */
export function interactionOp(x: tf.Tensor2D, E: tf.Tensor2D, mode: 'dot' | 'cat', itself: boolean): tf.Tensor2D {
  if (mode === 'dot' && tf.getBackend() !== 'cpu') return bmmInteraction(x, E, itself);
  return hostInteraction(x, E, mode, itself);
}

/**
 * The reference's formulation on backends with a fast batched matmul (wasm, WebGL, WebGPU, libtensorflow):
 * Z = T·Tᵀ by `tf.matMul`, then the kept pairs gathered on the host (backward: scattered into dZ), R = [x, Zflat].
 */
function bmmInteraction(x: tf.Tensor2D, E: tf.Tensor2D, itself: boolean): tf.Tensor2D {
  const [B, D] = x.shape;
  const N = E.shape[1] / D + 1;
  const pairs = interactionPairs(N, itself);
  const P = pairs.length / 2;
  const flat = new Int32Array(P);
  for (let p = 0; p < P; p++) flat[p] = pairs[2 * p] * N + pairs[2 * p + 1];
  const NN = N * N;
  const gather = tf.customGrad(((z: tf.Tensor) => {
    const zv = readSync(z, READ, 'Z', HOST_ALTERNATIVE) as Float32Array;
    const out = new Float32Array(B * P);
    for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) out[b * P + p] = zv[b * NN + flat[p]];
    return {
      value: tf.tensor2d(out, [B, P]),
      gradFunc: (dy: tf.Tensor) => {
        const g = readSync(dy, READ, 'dY', HOST_ALTERNATIVE) as Float32Array;
        const dz = new Float32Array(B * NN);
        for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) dz[b * NN + flat[p]] += g[b * P + p];
        return [tf.tensor3d(dz, [B, N, N])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => {
    const T = tf.reshape(tf.concat([x, E], 1), [B, N, D]) as tf.Tensor3D;
    const Z = gram(T);
    return tf.concat([x, gather(Z) as tf.Tensor2D], 1) as tf.Tensor2D;
  });
}

/** One host kernel for `cat` and for `dot` on the cpu backend (see the file comment). @internal */
export function hostInteraction(x: tf.Tensor2D, E: tf.Tensor2D, mode: 'dot' | 'cat', itself: boolean): tf.Tensor2D {
  const [B, D] = x.shape;
  const FD = E.shape[1];
  const N = FD / D + 1;
  const pairs = mode === 'dot' ? interactionPairs(N, itself) : new Int32Array(0);
  const P = pairs.length / 2;
  const W = mode === 'dot' ? D + P : D + FD;
  // T = [x, E] per sample as one contiguous [B, N, D] host array: the pair loops then index a single array.
  const stack = (xv: Float32Array, ev: Float32Array): Float32Array => {
    const T = new Float32Array(B * N * D);
    for (let b = 0; b < B; b++) {
      T.set(xv.subarray(b * D, b * D + D), b * N * D);
      T.set(ev.subarray(b * FD, b * FD + FD), b * N * D + D);
    }
    return T;
  };
  const pi = new Int32Array(P);
  const pj = new Int32Array(P);
  for (let p = 0; p < P; p++) {
    pi[p] = pairs[2 * p] * D;
    pj[p] = pairs[2 * p + 1] * D;
  }
  const ND = N * D;
  const op = tf.customGrad(((xt: tf.Tensor, et: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([xt, et]);
    const xv = readSync(xt, READ, 'x', HOST_ALTERNATIVE) as Float32Array;
    const ev = readSync(et, READ, 'E', HOST_ALTERNATIVE) as Float32Array;
    const out = new Float32Array(B * W);
    if (mode === 'cat') {
      for (let b = 0; b < B; b++) {
        out.set(xv.subarray(b * D, b * D + D), b * W);
        out.set(ev.subarray(b * FD, b * FD + FD), b * W + D);
      }
    } else {
      const T = stack(xv, ev);
      for (let b = 0; b < B; b++) {
        out.set(xv.subarray(b * D, b * D + D), b * W);
        const base = b * ND;
        const ob = b * W + D;
        for (let p = 0; p < P; p++) {
          const oi = base + pi[p];
          const oj = base + pj[p];
          let s = 0;
          for (let d = 0; d < D; d++) s += T[oi + d] * T[oj + d];
          out[ob + p] = s;
        }
      }
    }
    return {
      value: tf.tensor2d(out, [B, W]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = readSync(dy, READ, 'dY', HOST_ALTERNATIVE) as Float32Array;
        const dx = new Float32Array(B * D);
        const dE = new Float32Array(B * FD);
        if (mode === 'cat') {
          for (let b = 0; b < B; b++) {
            dx.set(g.subarray(b * W, b * W + D), b * D);
            dE.set(g.subarray(b * W + D, b * W + W), b * FD);
          }
        } else {
          const T = stack(
            readSync(saved[0], READ, 'x', HOST_ALTERNATIVE) as Float32Array,
            readSync(saved[1], READ, 'E', HOST_ALTERNATIVE) as Float32Array,
          );
          const dT = new Float32Array(ND);
          for (let b = 0; b < B; b++) {
            dT.fill(0);
            const base = b * ND;
            const gb = b * W + D;
            for (let p = 0; p < P; p++) {
              const c = g[gb + p];
              if (c === 0) continue;
              const oi = pi[p];
              const oj = pj[p];
              for (let d = 0; d < D; d++) {
                dT[oi + d] += c * T[base + oj + d];
                dT[oj + d] += c * T[base + oi + d];
              }
            }
            for (let d = 0; d < D; d++) dx[b * D + d] = g[b * W + d] + dT[d];
            dE.set(dT.subarray(D, ND), b * FD);
          }
        }
        return [tf.tensor2d(dx, [B, D]), tf.tensor2d(dE, [B, FD])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, E) as tf.Tensor2D;
}
