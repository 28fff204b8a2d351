// One-pass BDR fake quantization on WebGPU: Block Data Representations (Rouhani et al., "With Shared Microexponents,
// A Little Shifting Goes a Long Way", arXiv:2302.08007 §III) with the exponent rules of AMD Quark
// (quark/torch/kernel/hw_emulation/hw_emulation_interface.py::fake_quantize_mx6_mx9), computed on the float32 bits
// with integer arithmetic only, so the result is bit-identical to the host kernel of @tessera/bdr-formats
// (`fakeQuantizeBDR`, `src/kernels/bdr-kernel.ts` `fakeQuantizeRows`):
//   E   = clamp(exponent field of the block's largest finite |x| − 127, Emin, Emax) (a zero/subnormal max: −127);
//   s_j = clamp(E − e_j, 0, 2^d2 − 1), e_j likewise from the sub-block's largest finite |x|;
//   x̂   = ±min(round(|x| / 2^p)·2^p, lim·2^p) with p = E − s_j − (m − 1); NaN stays NaN, ±Inf → ±lim·2^p;
//   lim = 2^m − 1 (`clamp: 'field'`) or (2^(E+1) − 2^p)/2^p capped at FLT_MAX (`clamp: 'quark'`).
import * as tf from '@tensorflow/tfjs-core';
import type { BDRFormat, BDROptions } from '@tessera/bdr-formats';
import { checkTensor, TesseraError } from '@tessera/core';
import { WGSL_BITS } from './mx-fake-quant.js';
import { flatDispatch, type Program, type WebGPUBackendLike, webgpuBackend } from './program.js';
import { VEC_WG, vecBlockOK, type WGSLRounding, wgslBlockMax, wgslRoundGrid } from './wgsl-round.js';

/** Options of {@link fakeQuantizeBDRWebGPU}: `BDROptions` of @tessera/bdr-formats without stochastic rounding. */
export type WebGPUBDROptions = Omit<BDROptions, 'random'>;

interface Resolved {
  k1: number;
  k2: number;
  d1: number;
  d2: number;
  m: number;
  axis: number;
  rounding: WGSLRounding;
  clamp: 'field' | 'quark';
}

const ROUNDING: Record<string, WGSLRounding | 'stochastic'> = {
  rne: 'even',
  even: 'even',
  'ties-away': 'nearest',
  nearest: 'nearest',
  truncate: 'floor',
  floor: 'floor',
  stochastic: 'stochastic',
};

/** WGSL shared by both BDR programs: exponents from bits, the clamp bound, one element. */
function wgslBDR(r: Resolved): string {
  const bias = 2 ** (r.d1 - 1) - 1;
  const limit =
    r.clamp === 'field'
      ? `return tsAssemble(0u, ${2 ** r.m - 1}u, p);`
      : `let nb = s + ${r.m};
  if (nb <= 24) { return tsAssemble(0u, (1u << u32(nb)) - 1u, p); }
  // 2^(E+1) − 2^p needs more than 24 bits: the host's float64 value rounds to 2^(E+1) in float32, or to FLT_MAX
  if (E >= 127) { return 0x7f7fffffu; }
  return tsPow2Bits(E + 1);`;
  return `
${WGSL_BITS}
${wgslRoundGrid(r.rounding)}
const BDR_EMIN = ${-bias};
const BDR_EMAX = ${2 ** r.d1 - 1 - bias};
const BDR_SMAX = ${2 ** r.d2 - 1};
// unbiased exponent from the exponent field; zero and subnormals count as -127
fn bdrFieldExp(a : u32) -> i32 {
  let ef = i32(a >> 23u);
  return select(ef - 127, -127, ef == 0);
}
// |x| with non-finite values replaced by 0 (they are left out of the maxima)
fn bdrFin(u : u32) -> u32 {
  let a = u & 0x7fffffffu;
  return select(a, 0u, a >= 0x7f800000u);
}
// the largest magnitude of the grid 2^p (lim·2^p of the host kernel) as float32 bits
fn bdrLimit(E : i32, s : i32, p : i32) -> u32 {
  ${limit}
}
fn bdrElem(u : u32, p : i32, lim : u32) -> u32 {
  let a = u & 0x7fffffffu;
  let sign = u & 0x80000000u;
  if (a >= 0x7f800000u) {
    if (a > 0x7f800000u) { return bitcast<u32>(uniforms.NAN); }
    return sign | lim;
  }
  return sign | min(tsRoundGrid(a, p), lim);
}
`;
}

function key(r: Resolved): string {
  return `${r.k1}_${r.k2}_${r.d1}_${r.d2}_${r.m}_${r.rounding}_${r.clamp}`;
}

/** Any BDR format and row length: one invocation per block, sub-blocks in turn. */
class BDRBlockProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['X'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'numBlocks : i32, L : i32, nB : i32,';
  size = false;
  constructor(
    rows: number,
    L: number,
    private readonly r: Resolved,
  ) {
    this.outputShape = [rows, L];
    this.dispatch = flatDispatch(rows * Math.ceil(L / r.k1), 64);
    this.shaderKey = `tessera_bdrfq_block_${key(r)}`;
  }
  getUserCode(): string {
    const { k1, k2, d2 } = this.r;
    const sub =
      d2 === 0 || k2 === k1
        ? // one sub-block per block: s from the block max (always 0 without microexponents)
          `let s = clamp(E - bdrFieldExp(amax), 0, BDR_SMAX);
  let p = E - s - ${this.r.m - 1};
  let lim = bdrLimit(E, s, p);
  for (var i = start; i < end; i++) { result[i] = bitcast<f32>(bdrElem(bitcast<u32>(X[i]), p, lim)); }`
        : `for (var s0 = start; s0 < end; s0 += ${k2}) {
    let s1 = min(s0 + ${k2}, end);
    var mb = 0u;
    for (var i = s0; i < s1; i++) { mb = max(mb, bdrFin(bitcast<u32>(X[i]))); }
    let s = clamp(E - bdrFieldExp(mb), 0, BDR_SMAX);
    let p = E - s - ${this.r.m - 1};
    let lim = bdrLimit(E, s, p);
    for (var i = s0; i < s1; i++) { result[i] = bitcast<f32>(bdrElem(bitcast<u32>(X[i]), p, lim)); }
  }`;
    return `
${wgslBDR(this.r)}
fn main(index : i32) {
  if (index >= uniforms.numBlocks) { return; }
  let row = index / uniforms.nB;
  let b = index - row * uniforms.nB;
  let start = row * uniforms.L + b * ${k1};
  let end = start + min(${k1}, uniforms.L - b * ${k1});
  var amax = 0u;
  for (var i = start; i < end; i++) { amax = max(amax, bdrFin(bitcast<u32>(X[i]))); }
  let E = clamp(bdrFieldExp(amax), BDR_EMIN, BDR_EMAX);
  ${sub}
}
`;
  }
}

/** WGSL of the block's finite max read again from memory by each of its T invocations (the `'vec4-reload'` variant). */
function reloadMax(T: number): string {
  if (T === 1) return 'let amax = tm;';
  return `var amax = 0u;
  let first = index - lid % ${T};
  for (var j = 0; j < ${T}; j++) {
    if (first + j < uniforms.nVec) {
      let w = bitcast<vec4<u32>>(X[first + j]);
      amax = max(amax, max(max(bdrFin(w.x), bdrFin(w.y)), max(bdrFin(w.z), bdrFin(w.w))));
    }
  }`;
}

/**
 * Whole blocks of k1 ∈ {4, 8, …, 256} with sub-blocks of 1, 2 or 4 elements (or one per block, or no
 * microexponents): one invocation per 4 elements (vec4 loads and stores), the block max reduced in workgroup memory.
 */
class BDRVec4Program implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['X'];
  variableComponents = [4];
  outputComponent = 4;
  workgroupSize: [number, number, number] = [VEC_WG, 1, 1];
  uniforms = 'nVec : i32,';
  size = false;
  constructor(
    rows: number,
    L: number,
    private readonly r: Resolved,
    private readonly reload = false,
  ) {
    this.outputShape = [rows, L];
    this.dispatch = flatDispatch((rows * L) / 4, VEC_WG);
    this.shaderKey = `tessera_bdrfq_vec4_${key(r)}_${reload}`;
  }
  getUserCode(): string {
    const { k1, k2, d2, m } = this.r;
    const C = ['x', 'y', 'z', 'w'];
    let body: string;
    if (d2 === 0 || k2 === k1 || k2 === 4) {
      // one shift for the 4 elements: from the block max (k2 = k1 or no microexponents) or from the vec4's max (k2 = 4)
      const mb = d2 === 0 || k2 === k1 ? 'amax' : 'tm';
      body = `let s = clamp(E - bdrFieldExp(${mb}), 0, BDR_SMAX);
  let p = E - s - ${m - 1};
  let lim = bdrLimit(E, s, p);
  result[index] = bitcast<vec4<f32>>(vec4<u32>(${C.map((c) => `bdrElem(v.${c}, p, lim)`).join(', ')}));`;
    } else {
      // k2 = 1: each element its own sub-block; k2 = 2: the pairs (x, y) and (z, w)
      const mbOf = (i: number) => (k2 === 1 ? `f.${C[i]}` : i < 2 ? 'max(f.x, f.y)' : 'max(f.z, f.w)');
      const n = k2 === 1 ? 4 : 2;
      const lines: string[] = [];
      for (let j = 0; j < n; j++) {
        lines.push(`let s${j} = clamp(E - bdrFieldExp(${mbOf(j * (4 / n))}), 0, BDR_SMAX);`);
        lines.push(`let p${j} = E - s${j} - ${m - 1};`);
        lines.push(`let l${j} = bdrLimit(E, s${j}, p${j});`);
      }
      const el = C.map((c, i) => {
        const j = Math.floor(i / (4 / n));
        return `bdrElem(v.${c}, p${j}, l${j})`;
      });
      body = `${lines.join('\n  ')}
  result[index] = bitcast<vec4<f32>>(vec4<u32>(${el.join(', ')}));`;
    }
    return `
${wgslBDR(this.r)}
var<workgroup> tsRed : array<u32, ${VEC_WG}>;
fn main(index : i32) {
  let lid = i32(localIndex);
  var v = vec4<u32>(0u);
  if (index < uniforms.nVec) { v = bitcast<vec4<u32>>(X[index]); }
  let f = vec4<u32>(bdrFin(v.x), bdrFin(v.y), bdrFin(v.z), bdrFin(v.w));
  let tm = max(max(f.x, f.y), max(f.z, f.w));
  ${this.reload ? reloadMax(k1 / 4) : wgslBlockMax(k1)}
  if (index >= uniforms.nVec) { return; }
  let E = clamp(bdrFieldExp(amax), BDR_EMIN, BDR_EMAX);
  ${body}
}
`;
  }
}

/** Name of the tfjs kernel (backend `webgpu`) that BDR-fake-quantizes the rows of a 2-D float32 tensor. */
export const BDR_FAKE_QUANTIZE_KERNEL = 'TesseraBDRFakeQuantize';

let variant: 'auto' | 'block' | 'vec4-reload' = 'auto';
/**
 * Forces the thread-per-block BDR program, or the vectorised one with the block max re-read from memory instead of
 * reduced in workgroup memory (tests and benchmarks). @internal
 */
export function setBDRKernelVariant(v: 'auto' | 'block' | 'vec4-reload'): void {
  variant = v;
}

/** Whether the vectorised program takes this format and row length. @internal */
export function bdrVecEligible(r: Pick<Resolved, 'k1' | 'k2' | 'd2'>, L: number): boolean {
  return vecBlockOK(r.k1, L) && (r.d2 === 0 || r.k2 === r.k1 || r.k2 === 1 || r.k2 === 2 || r.k2 === 4);
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: BDR_FAKE_QUANTIZE_KERNEL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = (inputs as { x: tf.TensorInfo }).x;
      const r = attrs as unknown as Resolved;
      const [rows, L] = x.shape;
      const be = backend as unknown as WebGPUBackendLike;
      if (variant !== 'block' && bdrVecEligible(r, L))
        return be.runWebGPUProgram(new BDRVec4Program(rows, L, r, variant === 'vec4-reload'), [x], 'float32', [
          { type: 'int32', data: [(rows * L) / 4] },
        ]);
      const nB = Math.ceil(L / r.k1);
      const u = [rows * nB, L, nB].map((v) => ({ type: 'int32', data: [v] }));
      return be.runWebGPUProgram(new BDRBlockProgram(rows, L, r), [x], 'float32', u);
    },
  });
}

const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function resolve(f: unknown, options: unknown, rank: number, fn: string): Resolved {
  if (typeof f !== 'object' || f === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'format must be a BDRFormat', String(f));
  const g = f as BDRFormat;
  if (!int(g.k1, 1, 65536) || !int(g.d1, 1, 8) || !int(g.k2, 1, g.k1) || g.k1 % g.k2 !== 0 || !int(g.d2, 0, 4) || !int(g.m, 1, 23))
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      'format must have integers k1 in [1, 65536], d1 in [1, 8], k2 dividing k1, d2 in [0, 4], m in [1, 23]',
      JSON.stringify({ k1: g.k1, d1: g.d1, k2: g.k2, d2: g.d2, m: g.m }),
    );
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', String(options));
  const o = (options ?? {}) as WebGPUBDROptions;
  const rawAxis = o.axis ?? -1;
  if (!Number.isInteger(rawAxis) || rawAxis < -rank || rawAxis >= rank)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}`, rawAxis);
  const rr = o.rounding ?? 'rne';
  const rounding = typeof rr === 'string' && Object.hasOwn(ROUNDING, rr) ? ROUNDING[rr] : undefined;
  if (rounding === undefined)
    throw new TesseraError('INVALID_ARGUMENT', fn, `rounding must be one of ${Object.keys(ROUNDING).join(', ')}`, String(rr));
  if (rounding === 'stochastic')
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      "the WGSL kernel implements rounding 'rne' | 'ties-away' | 'truncate' (and their aliases); use @tessera/bdr-formats' fakeQuantizeBDR for stochastic rounding",
      'stochastic',
    );
  const clamp = o.clamp ?? 'field';
  if (clamp !== 'field' && clamp !== 'quark')
    throw new TesseraError('INVALID_ARGUMENT', fn, "clamp must be 'field' or 'quark'", String(clamp));
  const padding = o.padding ?? 'zero';
  if (padding !== 'zero' && padding !== 'error')
    throw new TesseraError('INVALID_ARGUMENT', fn, "padding must be 'zero' or 'error'", String(padding));
  return { k1: g.k1, k2: g.k2, d1: g.d1, d2: g.d2, m: g.m, axis: rawAxis < 0 ? rawAxis + rank : rawAxis, rounding, clamp };
}

/**
 * BDR fake quantization on the GPU: the forward value of `fakeQuantizeBDR` of @tessera/bdr-formats bit for bit
 * (field and Quark clamps, the three deterministic roundings, NaN/±Inf, FP32 subnormals, partial blocks, any axis) in
 * one WGSL pass, with the straight-through gradient (identity). Whole blocks of 4–256 elements with sub-blocks of 1,
 * 2 or 4 (MX4/MX6/MX9, MSFP, Quark's bfp16) take a vectorised program; every other format a thread-per-block one.
 * The result is a new tensor the caller owns.
 *
 * @throws TesseraError `BACKEND_UNAVAILABLE` unless the webgpu backend is active; `INVALID_DTYPE` for a non-float32
 * x; `INVALID_ARGUMENT` for an invalid format or option; `INVALID_SHAPE` for a scalar, or a partial block with
 * `padding: 'error'`; `UNSUPPORTED` for stochastic rounding.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { BDR_MX6 } from '@tessera/bdr-formats';
 * import { fakeQuantizeBDRWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const x = tf.randomNormal([256, 64]);
 *   const y = fakeQuantizeBDRWebGPU(x, BDR_MX6);
 *   tf.dispose([x, y]);
 * }
 * ```
 */
export function fakeQuantizeBDRWebGPU(x: tf.Tensor, format: BDRFormat, options?: WebGPUBDROptions): tf.Tensor {
  const fn = 'fakeQuantizeBDRWebGPU';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  if (x.rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  const r = resolve(format, options, x.rank, fn);
  if ((options?.padding ?? 'zero') === 'error' && x.shape[r.axis] % r.k1 !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${r.axis}] must be a multiple of k1 = ${r.k1} with padding 'error'`,
      `shape [${x.shape.join(', ')}]`,
    );
  webgpuBackend(fn);
  register();
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.tidy(() => {
      const xx = args[0] as tf.Tensor;
      if (xx.size === 0) return tf.clone(xx);
      const rank = xx.rank;
      const last = r.axis === rank - 1;
      const perm = [...Array(rank).keys()].filter((d) => d !== r.axis).concat([r.axis]);
      const moved = last ? xx : tf.transpose(xx, perm);
      const L = xx.shape[r.axis];
      const attrs = { ...r } as unknown as tf.NamedAttrMap;
      const y = tf.engine().runKernel(BDR_FAKE_QUANTIZE_KERNEL, { x: tf.reshape(moved, [xx.size / L, L]) }, attrs) as tf.Tensor;
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
