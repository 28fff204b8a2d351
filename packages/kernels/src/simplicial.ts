// Attention kernels: windowed 2-simplicial attention (Roy et al., "Fast and Simplex", arXiv 2507.02754, Eqs. 5–7;
// pytorch/FBGEMM fbgemm_gpu/experimental/simplicial_attention) and the dot-product attention baseline, forward and
// backward, with one signature for the WebAssembly SIMD kernel (src/assembly/simplicial.ts, float32 arithmetic) and
// its JavaScript twin (src/js/simplicial.ts, float64). Why: a tfjs-op formulation either materialises the [n, n, n]
// logit cube or gathers windows into copies and runs many small ops; these loops touch only the windows and keep
// O(w2 + d) scratch per query. The two backends agree within float32 tolerance (test/simplicial.prop.test.ts), not bit
// for bit: the JavaScript twin accumulates in float64. Validation happens here, once, before either runs.
import { describe, TesseraError } from '@tessera/core';
import { arr, int, pick, withArgs } from './call.js';
import { dotAttentionBackwardJs, dotAttentionForwardJs, simplicialBackwardJs, simplicialForwardJs } from './js/simplicial.js';
import { wasm } from './runtime.js';
import { simplicialForwardThreaded } from './simplicial-threads.js';

/** Logit forms of 2-simplicial attention: the trilinear form (Eq. 5) and the determinant form (§5, 3-dim chunks). */
export const SIMPLICIAL_KERNEL_VARIANTS = ['trilinear', 'determinant'] as const;
export type SimplicialKernelVariant = (typeof SIMPLICIAL_KERNEL_VARIANTS)[number];

/** Largest batch, sequence length, head count, head dimension or window a kernel accepts (2^20). */
const MAX_DIM = 1 << 20;

interface Dims {
  B: number;
  n: number;
  Hq: number;
  Hkv: number;
  d: number;
  nq: number;
  nkv: number;
  nl: number;
}

function dims(fn: string, B: number, n: number, Hq: number, Hkv: number, d: number): Dims {
  int(B, fn, 'B', 1, MAX_DIM);
  int(n, fn, 'n', 1, MAX_DIM);
  int(Hq, fn, 'Hq', 1, MAX_DIM);
  int(Hkv, fn, 'Hkv', 1, MAX_DIM);
  int(d, fn, 'd', 1, MAX_DIM);
  if (Hq % Hkv !== 0)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'Hq must be a multiple of Hkv (grouped-query attention)', `${Hq} and ${Hkv}`);
  return { B, n, Hq, Hkv, d, nq: B * n * Hq * d, nkv: B * n * Hkv * d, nl: B * Hq * n };
}

/** A window clipped to n. */
function clipWindow(w: number, fn: string, name: string, n: number): number {
  return Math.min(int(w, fn, name, 1, MAX_DIM), n);
}

function flag(v: unknown, fn: string, name: string): boolean {
  if (typeof v !== 'boolean') throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a boolean`, describe(v));
  return v;
}

function finite(v: unknown, fn: string, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a finite number`, describe(v));
  return v;
}

const f32 = (a: Float32Array, fn: string, name: string, need: number) => arr<Float32Array>(a, Float32Array, fn, name, need);

/**
 * Windowed 2-simplicial attention forward. Per batch b, query head h (kv-head `⌊h/(Hq/Hkv)⌋`) and query i:
 * `A_ijk = scale·Σ_l q_il·k1_jl·k2_kl` (`'determinant'`: `scale·Σ_c det[q_i^(c); k1_j^(c); k2_k^(c)]` over 3-dim
 * chunks) over `i − w1 < j ≤ i`, `i − w2 < k ≤ i` (causal; otherwise `|i − j| < w1`, `|i − k| < w2`), one softmax over
 * the (j, k) pairs, `out_i = Σ_jk S_ijk (v1_j ⊙ v2_k)` and `lse_i = ln Σ_jk exp(A_ijk)`. Windows above n mean the whole
 * sequence. q, out: `[B, n, Hq, d]`; k1, k2, v1, v2: `[B, n, Hkv, d]`; lse: `[B, Hq, n]`; all row-major float32.
 * Large calls run on several threads, with the same bits, once {@link initKernelThreads} has started a pool.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for a size or window outside [1, 2^20], Hq not a multiple of Hkv, `causal`
 * not a boolean, `scale` not finite or an unknown variant; `INVALID_DTYPE`/`INVALID_SHAPE` for arrays of the wrong
 * type or too short. Nothing is written before every argument is checked.
 * @example
 * ```ts
 * import { simplicialForward } from '@tessera/kernels';
 * // one query, one key pair: the output is v1 ⊙ v2 whatever the logits
 * const one = (...v: number[]) => new Float32Array(v);
 * const out = new Float32Array(2);
 * const lse = new Float32Array(1);
 * simplicialForward(one(1, 2), one(1, 1), one(2, 0), one(3, 4), one(0.5, 2), 1, 1, 1, 1, 2, 8, 8, true, 1, 'trilinear', out, lse);
 * Array.from(out); // → [1.5, 8]
 * lse[0]; // → 2
 * ```
 */
export function simplicialForward(
  q: Float32Array,
  k1: Float32Array,
  k2: Float32Array,
  v1: Float32Array,
  v2: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  w1: number,
  w2: number,
  causal: boolean,
  scale: number,
  variant: SimplicialKernelVariant,
  out: Float32Array,
  lse: Float32Array,
): void {
  const fn = 'simplicialForward';
  const g = dims(fn, B, n, Hq, Hkv, d);
  const W1 = clipWindow(w1, fn, 'w1', n);
  const W2 = clipWindow(w2, fn, 'w2', n);
  const c = flag(causal, fn, 'causal');
  const s = finite(scale, fn, 'scale');
  const det = pick(variant, fn, 'variant', SIMPLICIAL_KERNEL_VARIANTS) === 1;
  f32(q, fn, 'q', g.nq);
  for (const [name, a] of [
    ['k1', k1],
    ['k2', k2],
    ['v1', v1],
    ['v2', v2],
  ] as const)
    f32(a, fn, name, g.nkv);
  f32(out, fn, 'out', g.nq);
  f32(lse, fn, 'lse', g.nl);
  const w = wasm();
  if (w === null) {
    simplicialForwardJs(q, k1, k2, v1, v2, B, n, Hq, Hkv, d, W1, W2, c, s, det, out, lse);
    return;
  }
  // large calls on the worker pool of the threads build, when initKernelThreads started one (same bits)
  if (simplicialForwardThreaded([q, k1, k2, v1, v2], [B, n, Hq, Hkv, d, W1, W2], c, s, det, out, lse)) return;
  // scratch: t, u, acc (d floats each), 4 lanes, and the logits of window 2 (at most 2·w2 − 1 of them)
  const scratch = (3 * d + 8 + 2 * W2 + 8) * 4;
  withArgs(
    w.arena,
    fn,
    [
      { a: q, n: g.nq, dir: 'in' },
      { a: k1, n: g.nkv, dir: 'in' },
      { a: k2, n: g.nkv, dir: 'in' },
      { a: v1, n: g.nkv, dir: 'in' },
      { a: v2, n: g.nkv, dir: 'in' },
      { a: out, n: g.nq, dir: 'out' },
      { a: lse, n: g.nl, dir: 'out' },
    ],
    scratch,
    (p, sc) =>
      w.exports.simplicialForward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], sc, B, n, Hq, Hkv, d, W1, W2, c ? 1 : 0, s, det ? 1 : 0),
  );
}

/**
 * Backward of {@link simplicialForward}: the gradients of `Σ dOut ⊙ out` with respect to q, k1, k2, v1 and v2, written
 * into dq (`[B, n, Hq, d]`) and dk1, dk2, dv1, dv2 (`[B, n, Hkv, d]`), from the saved `out` and `lse`: the
 * probabilities are recomputed as `exp(A − lse)`, never stored (FBGEMM's `torch_simplicial_bwd` formulas, restricted
 * to the windows). The gradient arrays are overwritten, not accumulated into.
 *
 * @throws TesseraError as {@link simplicialForward}.
 * @example
 * ```ts
 * import { simplicialBackward } from '@tessera/kernels';
 * const one = (...v: number[]) => new Float32Array(v);
 * const [dq, dk1, dk2, dv1, dv2] = [0, 1, 2, 3, 4].map(() => new Float32Array(2));
 * // one key pair: out = v1 ⊙ v2, so dv1 = dOut ⊙ v2 and the logits get no gradient
 * simplicialBackward(one(1, 2), one(1, 1), one(2, 0), one(3, 4), one(0.5, 2), one(1.5, 8), one(1, 1), one(2),
 *   1, 1, 1, 1, 2, 8, 8, true, 1, 'trilinear', dq, dk1, dk2, dv1, dv2);
 * Array.from(dv1); // → [0.5, 2]
 * Array.from(dq); // → [0, 0]
 * ```
 */
export function simplicialBackward(
  q: Float32Array,
  k1: Float32Array,
  k2: Float32Array,
  v1: Float32Array,
  v2: Float32Array,
  out: Float32Array,
  dOut: Float32Array,
  lse: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  w1: number,
  w2: number,
  causal: boolean,
  scale: number,
  variant: SimplicialKernelVariant,
  dq: Float32Array,
  dk1: Float32Array,
  dk2: Float32Array,
  dv1: Float32Array,
  dv2: Float32Array,
): void {
  const fn = 'simplicialBackward';
  const g = dims(fn, B, n, Hq, Hkv, d);
  const W1 = clipWindow(w1, fn, 'w1', n);
  const W2 = clipWindow(w2, fn, 'w2', n);
  const c = flag(causal, fn, 'causal');
  const s = finite(scale, fn, 'scale');
  const det = pick(variant, fn, 'variant', SIMPLICIAL_KERNEL_VARIANTS) === 1;
  for (const [name, a, need] of [
    ['q', q, g.nq],
    ['k1', k1, g.nkv],
    ['k2', k2, g.nkv],
    ['v1', v1, g.nkv],
    ['v2', v2, g.nkv],
    ['out', out, g.nq],
    ['dOut', dOut, g.nq],
    ['lse', lse, g.nl],
    ['dq', dq, g.nq],
    ['dk1', dk1, g.nkv],
    ['dk2', dk2, g.nkv],
    ['dv1', dv1, g.nkv],
    ['dv2', dv2, g.nkv],
  ] as const)
    f32(a, fn, name, need);
  const w = wasm();
  if (w === null) {
    simplicialBackwardJs(q, k1, k2, v1, v2, out, dOut, lse, B, n, Hq, Hkv, d, W1, W2, c, s, det, dq, dk1, dk2, dv1, dv2);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a: q, n: g.nq, dir: 'in' },
      { a: k1, n: g.nkv, dir: 'in' },
      { a: k2, n: g.nkv, dir: 'in' },
      { a: v1, n: g.nkv, dir: 'in' },
      { a: v2, n: g.nkv, dir: 'in' },
      { a: out, n: g.nq, dir: 'in' },
      { a: dOut, n: g.nq, dir: 'in' },
      { a: lse, n: g.nl, dir: 'in' },
      { a: dq, n: g.nq, dir: 'out' },
      { a: dk1, n: g.nkv, dir: 'out' },
      { a: dk2, n: g.nkv, dir: 'out' },
      { a: dv1, n: g.nkv, dir: 'out' },
      { a: dv2, n: g.nkv, dir: 'out' },
    ],
    (6 * d + 16) * 4,
    (p, sc) =>
      w.exports.simplicialBackward(
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5],
        p[6],
        p[7],
        p[8],
        p[9],
        p[10],
        p[11],
        p[12],
        sc,
        B,
        n,
        Hq,
        Hkv,
        d,
        W1,
        W2,
        c ? 1 : 0,
        s,
        det ? 1 : 0,
      ),
  );
}

/**
 * Scaled dot-product attention forward, the baseline of {@link simplicialForward} with the same layout, GQA rule and
 * window convention: `a_ij = scale·⟨q_i, k_j⟩` over `i − window < j ≤ i` (causal; otherwise `|i − j| < window`),
 * `out_i = Σ_j softmax(a)_j v_j`, `lse_i = ln Σ_j exp(a_ij)`. q, out: `[B, n, Hq, d]`; k, v: `[B, n, Hkv, d]`; lse:
 * `[B, Hq, n]`.
 *
 * @throws TesseraError as {@link simplicialForward}.
 * @example
 * ```ts
 * import { dotAttentionForward } from '@tessera/kernels';
 * const out = new Float32Array(2);
 * const lse = new Float32Array(2);
 * // two queries of dimension 1; the second sees both keys, with equal logits
 * dotAttentionForward(new Float32Array([1, 0]), new Float32Array([0, 0]), new Float32Array([2, 4]), 1, 2, 1, 1, 1, 2, true, 1, out, lse);
 * Array.from(out); // → [2, 3]
 * ```
 */
export function dotAttentionForward(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  window: number,
  causal: boolean,
  scale: number,
  out: Float32Array,
  lse: Float32Array,
): void {
  const fn = 'dotAttentionForward';
  const g = dims(fn, B, n, Hq, Hkv, d);
  const W = clipWindow(window, fn, 'window', n);
  const c = flag(causal, fn, 'causal');
  const s = finite(scale, fn, 'scale');
  f32(q, fn, 'q', g.nq);
  f32(k, fn, 'k', g.nkv);
  f32(v, fn, 'v', g.nkv);
  f32(out, fn, 'out', g.nq);
  f32(lse, fn, 'lse', g.nl);
  const w = wasm();
  if (w === null) {
    dotAttentionForwardJs(q, k, v, B, n, Hq, Hkv, d, W, c, s, out, lse);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a: q, n: g.nq, dir: 'in' },
      { a: k, n: g.nkv, dir: 'in' },
      { a: v, n: g.nkv, dir: 'in' },
      { a: out, n: g.nq, dir: 'out' },
      { a: lse, n: g.nl, dir: 'out' },
    ],
    (d + 2 * W + 16) * 4,
    (p, sc) => w.exports.dotAttentionForward(p[0], p[1], p[2], p[3], p[4], sc, B, n, Hq, Hkv, d, W, c ? 1 : 0, s),
  );
}

/**
 * Backward of {@link dotAttentionForward} (FlashAttention-2 formulas, probabilities recomputed from `lse`): the
 * gradients of `Σ dOut ⊙ out` written into dq, dk and dv (overwritten, not accumulated into).
 *
 * @throws TesseraError as {@link simplicialForward}.
 * @example
 * ```ts
 * import { dotAttentionBackward } from '@tessera/kernels';
 * const [dq, dk, dv] = [new Float32Array(1), new Float32Array(1), new Float32Array(1)];
 * // one query, one key: out = v, so dv = dOut
 * dotAttentionBackward(new Float32Array([1]), new Float32Array([1]), new Float32Array([5]), new Float32Array([5]),
 *   new Float32Array([3]), new Float32Array([1]), 1, 1, 1, 1, 1, 1, true, 1, dq, dk, dv);
 * dv[0]; // → 3
 * ```
 */
export function dotAttentionBackward(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  out: Float32Array,
  dOut: Float32Array,
  lse: Float32Array,
  B: number,
  n: number,
  Hq: number,
  Hkv: number,
  d: number,
  window: number,
  causal: boolean,
  scale: number,
  dq: Float32Array,
  dk: Float32Array,
  dv: Float32Array,
): void {
  const fn = 'dotAttentionBackward';
  const g = dims(fn, B, n, Hq, Hkv, d);
  const W = clipWindow(window, fn, 'window', n);
  const c = flag(causal, fn, 'causal');
  const s = finite(scale, fn, 'scale');
  for (const [name, a, need] of [
    ['q', q, g.nq],
    ['k', k, g.nkv],
    ['v', v, g.nkv],
    ['out', out, g.nq],
    ['dOut', dOut, g.nq],
    ['lse', lse, g.nl],
    ['dq', dq, g.nq],
    ['dk', dk, g.nkv],
    ['dv', dv, g.nkv],
  ] as const)
    f32(a, fn, name, need);
  const w = wasm();
  if (w === null) {
    dotAttentionBackwardJs(q, k, v, out, dOut, lse, B, n, Hq, Hkv, d, W, c, s, dq, dk, dv);
    return;
  }
  withArgs(
    w.arena,
    fn,
    [
      { a: q, n: g.nq, dir: 'in' },
      { a: k, n: g.nkv, dir: 'in' },
      { a: v, n: g.nkv, dir: 'in' },
      { a: out, n: g.nq, dir: 'in' },
      { a: dOut, n: g.nq, dir: 'in' },
      { a: lse, n: g.nl, dir: 'in' },
      { a: dq, n: g.nq, dir: 'out' },
      { a: dk, n: g.nkv, dir: 'out' },
      { a: dv, n: g.nkv, dir: 'out' },
    ],
    16 * 4,
    (p, sc) => w.exports.dotAttentionBackward(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], sc, B, n, Hq, Hkv, d, W, c ? 1 : 0, s),
  );
}
