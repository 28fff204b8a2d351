// NVFP4 fake quantization on WebGPU: E2M1 elements in blocks of 16 with an E4M3 block scale
// s_b = E4M3_RNE(clamp(amax/6, 2^-6, 448)) (pytorch/ao torchao/prototype/mx_formats/nvfp4_tensor.py, single-level
// scaling), computed like the MX kernel on the float32 bits with integer arithmetic only: the block scale and every
// element's E2M1 code come from exact integer divisions by the scale's significand, so the result is bit-identical to
// @tessera/mx-formats' host kernel (`quantizeNVFP4Array` → `dequantizeNVFP4Array`, its default 'exact' arithmetic).
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkTensor, TesseraError } from '@tessera/core';
import { WGSL_BITS } from './mx-fake-quant.js';
import { flatDispatch, type Program, type WebGPUBackendLike, webgpuBackend } from './program.js';

/** Options of {@link fakeQuantizeNVFP4WebGPU} (as `NVFP4Options` of @tessera/mx-formats). */
export interface WebGPUNVFP4Options {
  /** Blocked axis, default −1. */
  readonly axis?: number;
  /** Only `'none'` (the default, s_t = 1) runs on the GPU. */
  readonly tensorScale?: 'auto' | 'none' | number;
  /** `'zero'` (default) pads the last block; `'error'` rejects a partial block. */
  readonly padding?: 'zero' | 'error';
  /** Only `'exact'` (the default) runs on the GPU. */
  readonly arithmetic?: 'exact' | 'float32';
}

const K = 16;

class NVFP4Program implements Program {
  outputShape: number[];
  shaderKey = 'tessera_nvfp4_fq';
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['X'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'numBlocks : i32, L : i32, nB : i32,';
  size = false;
  constructor(rows: number, L: number) {
    this.outputShape = [rows, L];
    this.dispatch = flatDispatch(rows * Math.ceil(L / K), 64);
  }
  getUserCode(): string {
    return `
${WGSL_BITS}
// E2M1 magnitude code (0..7) of |x| / (r·2^(e−3)) with round half to even, saturating at 6 (code 7).
fn tsFp4Code(a : u32, r : u32, e : i32) -> u32 {
  if (a == 0u) { return 0u; }
  let ex = tsFloorLog2(a);
  let sig = tsSig24(a);
  // v = sig·2^(ex−23) / (r·2^(e−3)); floor(log2 v) = ex − e − 20 + floor(log2(sig / r))
  let lv = ex - e - 20 + (31 - i32(countLeadingZeros(sig / r)));
  if (lv >= 3) { return 7u; }
  let pe = max(lv, 0);
  // y = v·2^(1 − pe) = sig·2^P / r with P = ex − e − 19 − pe (< 0 here); r·2^−P must fit in 32 bits
  let P = ex - e - 19 - pe;
  var q = 0u;
  if (-P <= 27) {
    let den = r << u32(-P);
    let fl = sig / den;
    let rem = sig - fl * den;
    q = fl;
    if (2u * rem > den || (2u * rem == den && (fl & 1u) == 1u)) { q = fl + 1u; }
  }
  let c = u32(pe) * 2u + q;
  return min(c, 7u);
}
fn main(index : i32) {
  if (index >= uniforms.numBlocks) { return; }
  let row = index / uniforms.nB;
  let b = index - row * uniforms.nB;
  let start = row * uniforms.L + b * ${K};
  let n = min(${K}, uniforms.L - b * ${K});
  var amax = 0u;
  for (var i = 0; i < n; i++) { amax = max(amax, bitcast<u32>(X[start + i]) & 0x7fffffffu); }
  if (amax >= 0x7f800000u) {
    for (var i = 0; i < n; i++) { result[start + i] = uniforms.NAN; }
    return;
  }
  // s_b = E4M3_RNE(clamp(amax/6, 2^-6, 448)) as r·2^(e−3), r in [8, 16]
  var r = 8u;
  var e = -6;
  if (amax > 0x45280000u) { r = 14u; e = 8; }          // amax > 2688 = 6·448
  else if (amax > 0x3dc00000u) {                          // amax > 0.09375 = 6·2^-6
    let sig = tsSig24(amax);
    let ea = tsFloorLog2(amax);
    // amax/6 = (sig/3)·2^(ea−24); floor(log2(sig/3)) is 21 or 22
    let hi = select(0, 1, sig >= 0xC00000u);
    e = ea - 3 + hi;
    // r = RNE(amax/6 · 2^(3−e)) = RNE(sig / (3·2^(18 + hi)))
    let den = 3u << u32(18 + hi);
    let fl = sig / den;
    let rem = sig - fl * den;
    r = fl;
    if (2u * rem > den || (2u * rem == den && (fl & 1u) == 1u)) { r = fl + 1u; }
    if (r == 16u) { r = 8u; e = e + 1; }
  }
  for (var i = 0; i < n; i++) {
    let u = bitcast<u32>(X[start + i]);
    let c = tsFp4Code(u & 0x7fffffffu, r, e);
    let sign = u & 0x80000000u;
    if (c == 0u) { result[start + i] = bitcast<f32>(sign); continue; }
    // E2M1 value of c as m·2^-1: 1 2 3 4 6 8 12 for codes 1..7
    var m = c;
    if (c >= 4u) { m = (4u + (c & 1u) * 2u) << ((c - 4u) >> 1u); }
    result[start + i] = bitcast<f32>(tsAssemble(sign, m * r, e - 4));
  }
}
`;
  }
}

/** Name of the tfjs kernel (backend `webgpu`) that NVFP4-fake-quantizes the rows of a 2-D float32 tensor. */
export const NVFP4_FAKE_QUANTIZE_KERNEL = 'TesseraNVFP4FakeQuantize';

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: NVFP4_FAKE_QUANTIZE_KERNEL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const x = (inputs as { x: tf.TensorInfo }).x;
      const [rows, L] = x.shape;
      const nB = Math.ceil(L / K);
      const u = [rows * nB, L, nB].map((v) => ({ type: 'int32', data: [v] }));
      return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(new NVFP4Program(rows, L), [x], 'float32', u);
    },
  });
}

/**
 * NVFP4 fake quantization on the GPU: the forward value of `fakeQuantizeNVFP4` of @tessera/mx-formats
 * (`dequantizeNVFP4(quantizeNVFP4(x))`, single-level scaling, bit for bit, NaN blocks and FP32 subnormals included)
 * in one WGSL pass, with the straight-through gradient. The result is a new tensor the caller owns.
 *
 * @throws TesseraError `BACKEND_UNAVAILABLE` unless the webgpu backend is active; `INVALID_DTYPE`, `INVALID_ARGUMENT`
 * (bad axis or option), `INVALID_SHAPE` (a scalar, or a partial block with `padding: 'error'`); `UNSUPPORTED` for a
 * tensor scale other than `'none'` or `arithmetic: 'float32'`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { fakeQuantizeNVFP4WebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const x = tf.randomNormal([64, 64]);
 *   const y = fakeQuantizeNVFP4WebGPU(x);
 *   tf.dispose([x, y]);
 * }
 * ```
 */
export function fakeQuantizeNVFP4WebGPU(x: tf.Tensor, options: WebGPUNVFP4Options = {}): tf.Tensor {
  const fn = 'fakeQuantizeNVFP4WebGPU';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  if (typeof options !== 'object' || options === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', String(options));
  if (x.rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  const a = options.axis ?? -1;
  if (!Number.isInteger(a) || a < -x.rank || a >= x.rank)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be an integer in [${-x.rank}, ${x.rank - 1}]`, a);
  const axis = a < 0 ? a + x.rank : a;
  const padding = checkOneOf(options.padding ?? 'zero', fn, 'padding', ['zero', 'error'] as const);
  const arithmetic = checkOneOf(options.arithmetic ?? 'exact', fn, 'arithmetic', ['exact', 'float32'] as const);
  const ts = options.tensorScale ?? 'none';
  if (typeof ts !== 'number') checkOneOf(ts, fn, 'tensorScale', ['auto', 'none'] as const);
  if (ts !== 'none' || arithmetic !== 'exact')
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      "the WGSL kernel implements tensorScale 'none' with arithmetic 'exact'",
      `tensorScale ${String(ts)}, arithmetic '${arithmetic}'`,
    );
  if (padding === 'error' && x.shape[axis] % K !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${axis}] must be a multiple of 16 with padding 'error'`,
      `shape [${x.shape.join(', ')}]`,
    );
  webgpuBackend(fn);
  register();
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.tidy(() => {
      const xx = args[0] as tf.Tensor;
      if (xx.size === 0) return tf.clone(xx);
      const rank = xx.rank;
      const last = axis === rank - 1;
      const perm = [...Array(rank).keys()].filter((d) => d !== axis).concat([axis]);
      const moved = last ? xx : tf.transpose(xx, perm);
      const L = xx.shape[axis];
      const y = tf.engine().runKernel(NVFP4_FAKE_QUANTIZE_KERNEL, { x: tf.reshape(moved, [xx.size / L, L]) }, {}) as tf.Tensor;
      const back = tf.reshape(y, moved.shape);
      if (last) return back;
      const inv = new Array<number>(rank);
      perm.forEach((p, i) => {
        inv[p] = i;
      });
      return tf.transpose(back, inv);
    }),
    gradFunc: (dy: tf.Tensor) => dy,
  }));
  return f(x) as tf.Tensor;
}
