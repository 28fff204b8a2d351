import * as tf from '@tensorflow/tfjs-core';
import { accelerator, canReadSync, checkOneOf, checkTensor, readSync } from '@tessera/core';
import { dequantizeMXArrayUnchecked, quantizeResolved } from './mx-tensor.js';
import { checkMXPadding, type MXOptions, type ResolvedMXOptions, resolveMXOptions } from './options.js';

/** Where {@link fakeQuantizeMX} computes its forward value. */
export type FakeQuantKernel = 'auto' | 'tfjs' | 'host';

/** Options of {@link fakeQuantizeMX}: the MX options plus the kernel choice. */
export interface FakeQuantizeMXOptions extends MXOptions {
  /**
   * `'tfjs'`: built from tfjs ops (runs on the tensor's backend, no download; exact on cpu and wasm, see the README).
   * `'host'`: downloads with `dataSync`, runs the host kernel and uploads. `'auto'` (default): an accelerator
   * registered for the active backend first (e.g. the WGSL kernel of `@tessera/webgpu` after
   * `registerWebGPUKernels()`), then `'tfjs'` on the cpu and wasm backends, where it is verified exact, and on
   * backends that cannot read synchronously (webgpu in Node: the host's bits except float32 subnormals, which a GPU
   * may flush to ±0; register the WGSL kernel for exact bits there); `'host'` on other
   * backends (WebGL/WebGPU in browsers/libtensorflow, which may flush subnormals) and for options the tfjs path does
   * not implement (`rounding: 'stochastic'`, `inputPrecision: 'bfloat16'`, `scaleExponent: 'float32-log2'`).
   */
  readonly kernel?: FakeQuantKernel;
}

// 2^n for n = −149 … 128 as float32 (the last is +Inf), indexed by n + 149. Gathering from it gives exact powers of
// two on every backend (tfjs has no ldexp, and exp2/pow are not guaranteed exact).
const P_OFFSET = 149;
let powTable: Float32Array | null = null;
/** 2^n for n = −149 … 128 as float32, indexed by n + 149. @internal */
export function pow2Table(): Float32Array {
  if (!powTable) {
    powTable = new Float32Array(278);
    for (let n = -149; n <= 128; n++) powTable[n + P_OFFSET] = 2 ** n;
  }
  return powTable;
}

/** 2^e for an integer-valued float tensor e (clipped to the table). @internal */
export function pow2(P: tf.Tensor1D, e: tf.Tensor): tf.Tensor {
  const idx = tf.cast(tf.clipByValue(tf.add(e, P_OFFSET), 0, 277), 'int32');
  return tf.gather(P, idx);
}

/**
 * Exact ⌊log2 a⌋ of a non-negative float32 tensor (−150 for 0): a float log2 estimate corrected by ±1 with exact
 * comparisons against gathered powers of two, so the result never depends on the backend's log accuracy. @internal
 */
export function floorLog2T(P: tf.Tensor1D, a: tf.Tensor): tf.Tensor {
  const est = tf.clipByValue(tf.floor(tf.mul(tf.log(a), Math.LOG2E)), -149, 127);
  const lo = pow2(P, est);
  const hi = pow2(P, tf.add(est, 1));
  const down = tf.cast(tf.less(a, lo), 'float32');
  const up = tf.cast(tf.greaterEqual(a, hi), 'float32');
  return tf.add(tf.sub(est, down), up);
}

const rceilCache = new Map<number, [number, number]>();
/**
 * For RCEIL with element maximum `maxNormal`: the largest float32 amax whose host quotient fl32(amax / maxNormal) is
 * at most 2^-127, and the smallest whose quotient is at least 2^-126 (a normal float32), found by bisection over the
 * float32 bit patterns with the host's own arithmetic (monotonic in amax). @internal
 */
export function rceilThresholds(maxNormal: number): [number, number] {
  let r = rceilCache.get(maxNormal);
  if (r === undefined) {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const q = (bits: number) => {
      u[0] = bits;
      return Math.fround(f[0] / maxNormal);
    };
    // largest bits with q ≤ 2^-127, and smallest bits with q ≥ 2^-126, over [0, +Inf)
    const search = (pred: (bits: number) => boolean): number => {
      let lo = 0; // pred(lo) true
      let hi = 0x7f800000; // pred(hi) false
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (pred(mid)) lo = mid;
        else hi = mid;
      }
      return lo;
    };
    const bitsVal = (bits: number) => {
      u[0] = bits;
      return f[0];
    };
    const subAbove = bitsVal(search((b) => q(b) <= 2 ** -127));
    const normalFrom = bitsVal(search((b) => q(b) < 2 ** -126) + 1);
    r = [subAbove, normalFrom];
    rceilCache.set(maxNormal, r);
  }
  return r;
}

const rceilUnitCache = new Map<number, [number, number]>();
/**
 * For RCEIL with element maximum `maxNormal` = mm·2^em (mm in [1, 2)): [mt, em] with mt·2^em the largest float32 T
 * whose host quotient fl32(T / maxNormal) is at most 1 (bisection over float32 bit patterns with the host's own
 * arithmetic; mt is in [mm, 2)). @internal
 */
export function rceilUnitThreshold(maxNormal: number): [number, number] {
  let r = rceilUnitCache.get(maxNormal);
  if (r === undefined) {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const val = (bits: number) => {
      u[0] = bits;
      return f[0];
    };
    let lo = 0; // fl32(val(lo) / maxNormal) ≤ 1
    let hi = 0x7f800000; // not
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (Math.fround(val(mid) / maxNormal) <= 1) lo = mid;
      else hi = mid;
    }
    const em = Math.floor(Math.log2(maxNormal));
    r = [val(lo) / 2 ** em, em];
    rceilUnitCache.set(maxNormal, r);
  }
  return r;
}

/** Whether the tfjs-op kernel implements these options (stochastic rounding, bf16 inputs and float32-log2 do not). @internal */
export function tfjsKernelApplies(o: ResolvedMXOptions): boolean {
  return o.rounding !== 'stochastic' && o.inputPrecision === 'float32' && o.scaleExponent === 'exact';
}

/**
 * Backends on which the tfjs-op kernel is verified bit-exact (tests): cpu and wasm. WebGL/WebGPU guarantee neither
 * float32 subnormals nor exact comparisons of them, and libtensorflow may flush denormals. @internal
 */
export function exactBackend(): boolean {
  const b = tf.getBackend();
  return b === 'cpu' || b === 'wasm';
}

/** The MX forward value with tfjs ops only (called inside a tidy). @internal */
export function fakeQuantizeTfjs(x: tf.Tensor, o: ResolvedMXOptions): tf.Tensor {
  const c = o.element;
  const M = c.mantissaBits;
  const k = o.blockSize;
  const rank = x.rank;
  const perm = [...Array(rank).keys()].filter((d) => d !== o.axis).concat([o.axis]);
  // no elements: answer without ops (tfjs-backend-webgpu cannot upload an empty input to a kernel)
  if (x.size === 0) return tf.tensor(new Float32Array(0), x.shape, 'float32');
  const moved = o.axis === rank - 1 ? x : tf.transpose(x, perm);
  const movedShape = moved.shape;
  const L = x.shape[o.axis];
  const rows = L === 0 ? 0 : x.size / L;
  const nB = Math.ceil(L / k);
  let flat = tf.reshape(moved, [rows, L]);
  if (nB * k !== L)
    flat = tf.pad(flat, [
      [0, 0],
      [0, nB * k - L],
    ]);
  let blocks: tf.Tensor = tf.reshape(flat, [rows, nB, k]);
  const P = tf.tensor1d(pow2Table(), 'float32');
  const finite = tf.isFinite(blocks);
  const nonFinite = tf.logicalNot(tf.all(finite, -1, true));
  if (o.subnormals === 'flush-elements') {
    const sub = tf.logicalAnd(finite, tf.less(tf.abs(blocks), 2 ** -126));
    blocks = tf.where(sub, tf.mul(blocks, 0), blocks);
  }
  const absb = tf.abs(blocks);
  const amax = tf.max(tf.where(finite, absb, tf.zerosLike(absb)), -1, true);
  const e = floorLog2T(P, amax);
  let s: tf.Tensor;
  switch (o.scaleMode) {
    case 'floor':
      s = tf.sub(e, c.emax);
      break;
    case 'ceil':
      s = tf.sub(tf.add(e, tf.cast(tf.greater(amax, pow2(P, e)), 'float32')), c.emax);
      break;
    case 'even': {
      // r_M(amax) carries into the next binade iff amax ≥ 2^e·(2 − 2^-(M+1)) (ties away)
      const thr = tf.mul(pow2(P, e), 2 - 2 ** -(M + 1));
      s = tf.sub(tf.add(e, tf.cast(tf.greaterEqual(amax, thr), 'float32')), c.emax);
      break;
    }
    default: {
      // No division (a GPU's is not correctly rounded: WGSL allows 2.5 ulp): where d = fl32(amax / maxNormal) is a
      // normal float32, d ≤ 2^s ⇔ amax ≤ T·2^s with T the largest float32 whose host quotient fl32(T / maxNormal) is
      // at most 1, so s = e − em + (amax > mt·2^e) with e = ⌊log2 amax⌋, T = mt·2^em, mt in [1, 2) (exact products).
      const [mt, em] = rceilUnitThreshold(c.maxNormal);
      const sNormal = tf.add(tf.sub(e, em), tf.cast(tf.greater(amax, tf.mul(pow2(P, e), mt)), 'float32'));
      // d = fl32(amax / maxNormal) below 2^-126 is a float32 subnormal, which a GPU may flush to 0: there the host's
      // answer (−126 iff d > 2^-127, else −127) is decided by comparing amax itself with thresholds found on the host.
      const [subAbove, normalFrom] = rceilThresholds(c.maxNormal);
      const sSub = tf.where(tf.greater(amax, subAbove), tf.fill(amax.shape, -126), tf.fill(amax.shape, -127));
      s = tf.where(tf.less(amax, normalFrom), sSub, sNormal);
    }
  }
  s = tf.clipByValue(s, -127, 127);
  // x·2^-s in two exact steps, so that no factor is a float32 subnormal (2^-127 for s = 127), which a GPU reads as 0:
  // x·2^-min(s, 126), then ·2^-(s − min(s, 126)) (2^-1 or 1). Where the first product underflows (tiny elements of a
  // block scaled by 2^-126), |v| < 2^-126 rounds to 0 in every element format either way.
  const sLo = tf.minimum(s, 126);
  const v = tf.mul(tf.mul(blocks, pow2(P, tf.neg(sLo))), pow2(P, tf.sub(sLo, s)));
  const av = tf.abs(v);
  const pe = tf.maximum(floorLog2T(P, av), c.emin);
  const y = tf.mul(av, pow2(P, tf.sub(M, pe))); // |v| in grid steps (exact)
  const fl = tf.floor(y);
  const frac = tf.sub(y, fl); // exact
  let r: tf.Tensor;
  if (o.rounding === 'floor') r = fl;
  else if (o.rounding === 'nearest') r = tf.add(fl, tf.cast(tf.greaterEqual(frac, 0.5), 'float32'));
  else {
    const odd = tf.equal(tf.sub(fl, tf.mul(tf.floor(tf.mul(fl, 0.5)), 2)), 1);
    const up = tf.logicalOr(tf.greater(frac, 0.5), tf.logicalAnd(tf.equal(frac, 0.5), odd));
    r = tf.add(fl, tf.cast(up, 'float32'));
  }
  const mag = tf.minimum(tf.mul(r, pow2(P, tf.sub(pe, M))), Math.fround(c.maxNormal));
  // x < 0, or −0 (1/−0 = −Inf). Not 1/x alone: for |x| > 2^126, 1/x is a float32 subnormal, which a GPU flushes to +0.
  const negative = tf.logicalOr(tf.less(blocks, 0), tf.less(tf.div(1, blocks), 0));
  const q = tf.where(negative, tf.neg(mag), mag);
  // q·2^s in two exact steps, so that no factor is a float32 subnormal (2^-127), which a GPU may read as 0: q·2^(s+126)
  // (q or q/2, normal) then ·2^max(s, −126); the one rounding, where the product is subnormal, is the host's.
  const sHi = tf.maximum(s, -126);
  let out = tf.mul(tf.mul(q, pow2(P, tf.sub(s, sHi))), pow2(P, sHi));
  if (o.subnormals === 'flush-block') {
    const tiny = tf.less(amax, 2 ** -126);
    out = tf.where(tf.broadcastTo(tiny, out.shape), tf.mul(blocks, 0), out); // signed zeros
  }
  if (c.signBit === 0) out = tf.add(out, 0); // INT8 has no −0: −0 + 0 = +0
  out = tf.where(tf.broadcastTo(nonFinite, out.shape), tf.fill(out.shape, Number.NaN), out);
  let res = tf.reshape(out, [rows, nB * k]);
  if (nB * k !== L) res = tf.slice(res, [0, 0], [rows, L]);
  res = tf.reshape(res, movedShape);
  if (o.axis !== rank - 1) {
    const inv = new Array<number>(rank);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    res = tf.transpose(res, inv);
  }
  return res;
}

/** What an accelerator of `'fakeQuantizeMX'` receives (see `registerAccelerator` of @tessera/core). @internal */
export type FakeQuantizeMXAccelerator = (x: tf.Tensor, options: FakeQuantizeMXOptions) => tf.Tensor | undefined;

/** The way out named by the host paths' UNSUPPORTED error where tensors cannot be read synchronously. @internal */
export const MX_HOST_ALTERNATIVE =
  "register the @tessera/webgpu kernels (registerWebGPUKernels()), or use options the tfjs-op path implements (rounding other than 'stochastic', inputPrecision 'float32', scaleExponent 'exact') with kernel 'auto' or 'tfjs'";

/** Whether `'auto'` runs the tfjs-op kernel for these options on the active backend. @internal */
export function autoPicksTfjs(o: ResolvedMXOptions): boolean {
  return tfjsKernelApplies(o) && (exactBackend() || !canReadSync());
}

function fakeQuantizeHost(x: tf.Tensor, o: ResolvedMXOptions): tf.Tensor {
  if (x.size === 0) return tf.tensor(new Float32Array(0), x.shape, 'float32');
  const m = quantizeResolved(readSync(x, 'fakeQuantizeMX', "'x'", MX_HOST_ALTERNATIVE) as Float32Array, x.shape, o, 'fakeQuantizeMX');
  return tf.tensor(dequantizeMXArrayUnchecked(m), x.shape, 'float32');
}

/**
 * Fake quantization for quantization-aware training: the forward value equals
 * `dequantizeMX(quantizeMX(x, options))` bit for bit; the gradient is the identity (straight-through estimator,
 * `tf.customGrad`) for every element, saturated ones and NaN blocks included; no gradient flows through the scale.
 * The result is a new tensor owned by the caller; x is not disposed. Under `kernel: 'auto'` an accelerator registered
 * for the active backend through `registerAccelerator('fakeQuantizeMX', backend, impl)` of @tessera/core runs first
 * (`impl(x, options)` with the options as given; it returns `undefined` to decline). On webgpu in Node (no
 * synchronous reads) `'auto'` never downloads: accelerator or tfjs ops; only options the tfjs path lacks, or
 * `kernel: 'host'`, need a download and throw `UNSUPPORTED` there.
 *
 * @throws TesseraError as `quantizeMX` (`INVALID_DTYPE`, `INVALID_ARGUMENT`, `INVALID_SHAPE`),
 * `INVALID_ARGUMENT` for an unknown `kernel`, `UNSUPPORTED` when the host kernel must run on a backend that cannot
 * read synchronously (webgpu in Node).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { fakeQuantizeMX } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const w = tf.variable(tf.randomNormal([64, 32]));
 * const grad = tf.grad((v: tf.Tensor) => tf.sum(fakeQuantizeMX(v, { format: 'mxfp4_e2m1', axis: 0 })))(w);
 * // grad is all ones: the straight-through estimator
 * tf.dispose([w, grad]);
 * ```
 */
export function fakeQuantizeMX(x: tf.Tensor, options: FakeQuantizeMXOptions): tf.Tensor {
  const fn = 'fakeQuantizeMX';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const o = resolveMXOptions(options, x.rank, fn);
  let kernel = checkOneOf(options.kernel ?? 'auto', fn, 'kernel', ['auto', 'tfjs', 'host'] as const);
  const tfjsOk = tfjsKernelApplies(o);
  const auto = kernel === 'auto';
  if (kernel === 'auto') kernel = autoPicksTfjs(o) ? 'tfjs' : 'host';
  else if (kernel === 'tfjs' && !tfjsOk) kernel = 'host';
  if (o.padding === 'error' && x.shape[o.axis] % o.blockSize !== 0) {
    quantizeResolved(new Float32Array(x.size), x.shape, o, fn); // throws the same INVALID_SHAPE as quantizeMX
  }
  checkMXPadding(x.shape, o.axis, o.blockSize, fn);
  if (auto && x.size > 0) {
    const impl = accelerator<FakeQuantizeMXAccelerator>(fn);
    const r = impl?.(x, options);
    if (r !== undefined) return r;
  }
  const forward = kernel === 'tfjs' ? fakeQuantizeTfjs : fakeQuantizeHost;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.tidy(() => forward(args[0] as tf.Tensor, o)),
    gradFunc: (dy: tf.Tensor) => dy,
  }));
  return f(x) as tf.Tensor;
}
