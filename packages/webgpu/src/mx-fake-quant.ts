// One-pass MX fake quantization on WebGPU: a WGSL kernel that computes dequantize(quantize(x)) of OCP Microscaling
// (OCP MX v1.0 §5–6) block by block entirely on the float32 bits (u32 arithmetic), so its result is bit-identical to
// the host kernel of @tessera/mx-formats (`quantizeMXArray` → `dequantizeMXArray`) on any GPU, whether or not it
// flushes float32 subnormals. The rounding rules follow mx-formats' host kernels (`src/kernels/mx-rows.ts`) and its
// scale rules (`src/scale.ts`, torchao `_f32_to_e8m0_rceil` for rceil).
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkSize, checkTensor, TesseraError } from '@tessera/core';
import { flatDispatch, type Program, webgpuBackend } from './program.js';
import { VEC_WG, vecBlockOK, wgslBlockMax, wgslRoundGrid } from './wgsl-round.js';

/** MX element formats (as in @tessera/mx-formats). */
export type MXFormatName = 'mxfp8_e4m3' | 'mxfp8_e5m2' | 'mxfp6_e3m2' | 'mxfp6_e2m3' | 'mxfp4_e2m1' | 'mxint8';

/** Options of {@link fakeQuantizeMXWebGPU}: the deterministic subset of mx-formats' `MXOptions`. */
export interface WebGPUMXOptions {
  readonly format: MXFormatName | 'mxfp4';
  /** Elements per block, default 32; an integer in [1, 65536]. */
  readonly blockSize?: number;
  /** The blocked axis, default −1. */
  readonly axis?: number;
  /** Default `'floor'`. */
  readonly scaleMode?: 'floor' | 'ceil' | 'even' | 'rceil';
  /** Default `'even'` (`'rne'`, `'ties-away'` and `'truncate'` are the aliases of mx-formats). */
  readonly rounding?: 'even' | 'nearest' | 'floor' | 'rne' | 'ties-away' | 'truncate' | 'stochastic';
  /** `'zero'` (default) treats a partial last block as zero-padded; `'error'` rejects it. */
  readonly padding?: 'zero' | 'error';
  /** FP32-subnormal inputs: `'keep'` (default), `'flush-elements'`, `'flush-block'`. */
  readonly subnormals?: 'keep' | 'flush-elements' | 'flush-block';
  /** Only `'float32'` (the default) runs on the GPU. */
  readonly inputPrecision?: 'float32' | 'bfloat16';
  /** Only `'exact'` (the default) runs on the GPU. */
  readonly scaleExponent?: 'exact' | 'float32-log2';
}

/** Element parameters (mx-formats `src/elements.ts`): maxNormal = rm·2^em with rm odd. @internal */
export interface ElementParams {
  mantissaBits: number;
  emin: number;
  emax: number;
  maxCode: number;
  isInt: boolean;
  rm: number;
  em: number;
}

/** @internal */
export const MX_ELEMENTS: Readonly<Record<MXFormatName, ElementParams>> = Object.freeze({
  mxfp8_e4m3: { mantissaBits: 3, emin: -6, emax: 8, maxCode: 0x7e, isInt: false, rm: 7, em: 6 }, // 448
  mxfp8_e5m2: { mantissaBits: 2, emin: -14, emax: 15, maxCode: 0x7b, isInt: false, rm: 7, em: 13 }, // 57344
  mxfp6_e3m2: { mantissaBits: 2, emin: -2, emax: 4, maxCode: 0x1f, isInt: false, rm: 7, em: 2 }, // 28
  mxfp6_e2m3: { mantissaBits: 3, emin: 0, emax: 2, maxCode: 0x1f, isInt: false, rm: 15, em: -1 }, // 7.5
  mxfp4_e2m1: { mantissaBits: 1, emin: 0, emax: 2, maxCode: 0x7, isInt: false, rm: 3, em: 1 }, // 6
  mxint8: { mantissaBits: 6, emin: 0, emax: 0, maxCode: 127, isInt: true, rm: 127, em: -6 }, // 127/64
});

const FORMATS = Object.keys(MX_ELEMENTS) as MXFormatName[];
const SCALE_MODES = ['floor', 'ceil', 'even', 'rceil'] as const;
const ROUNDINGS = ['even', 'nearest', 'floor', 'rne', 'ties-away', 'truncate', 'stochastic'] as const;
const CANON: Record<string, 'even' | 'nearest' | 'floor' | 'stochastic'> = {
  even: 'even',
  rne: 'even',
  nearest: 'nearest',
  'ties-away': 'nearest',
  floor: 'floor',
  truncate: 'floor',
  stochastic: 'stochastic',
};

/**
 * WGSL helpers shared by the MX, NVFP4 and BDR kernels: exact ⌊log2⌋ and the normalised 24-bit significand of a
 * float32 magnitude given by its bits (subnormals included), and the assembly of ±R·2^t as float32 bits
 * (subnormal results exact, overflow to ±Inf). @internal
 */
export const WGSL_BITS = `
fn tsFloorLog2(a : u32) -> i32 {
  let e = i32(a >> 23u);
  if (e != 0) { return e - 127; }
  return 31 - i32(countLeadingZeros(a)) - 149;
}
fn tsSig24(a : u32) -> u32 {
  if ((a >> 23u) != 0u) { return (a & 0x7fffffu) | 0x800000u; }
  return a << (countLeadingZeros(a) - 8u);
}
// sign | R·2^t as float32 bits, for 0 < R < 2^24 and t >= -149 - (bit length of R) (exact: callers guarantee it).
fn tsAssemble(sign : u32, R : u32, t : i32) -> u32 {
  let top = 31 - i32(countLeadingZeros(R));
  let ee = t + top;
  if (ee > 127) { return sign | 0x7f800000u; }
  if (ee >= -126) { return sign | (u32(ee + 127) << 23u) | ((R << u32(23 - top)) & 0x7fffffu); }
  return sign | (R << u32(t + 149));
}
`;

/**
 * WGSL of one element's fake quantization on a block scale 2^s: round |x|·2^-s onto the element grid (binade
 * pe = max(⌊log2⌋, emin), step 2^(pe−M)) with the rounding mode, saturate at the largest code, and return
 * ±code value·2^s as float32 bits. `name` is the function name; all rounding happens on integers. @internal
 */
export function wgslElement(name: string, e: ElementParams, rounding: 'even' | 'nearest' | 'floor'): string {
  const M = e.mantissaBits;
  const roundUp = rounding === 'even' ? 'rem > half || (rem == half && (fl & 1u) == 1u)' : rounding === 'nearest' ? 'rem >= half' : 'false';
  return `
fn ${name}(u : u32, s : i32) -> u32 {
  let a = u & 0x7fffffffu;
  let sign = u & 0x80000000u;
  if (a == 0u) { return ${e.isInt ? '0u' : 'sign'}; }
  let ex = tsFloorLog2(a);
  let sig = tsSig24(a);
  let ev = ex - s;
  let pe = max(ev, ${e.emin});
  let shift = u32(${23 - M} + (pe - ev));
  var r = 0u;
  if (shift <= 25u) {
    let fl = sig >> shift;
    let rem = sig & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    r = fl;
    if (${roundUp}) { r = fl + 1u; }
  }
  var c = u32(pe - (${e.emin})) * ${1 << M}u + r;
  if (c > ${e.maxCode}u) { c = ${e.maxCode}u; }
  if (c == 0u) { return ${e.isInt ? '0u' : 'sign'}; }
  var R = c;
  var t = ${e.emin - M} + s;
  if (c >= ${1 << M}u) {
    R = ${1 << M}u | (c & ${(1 << M) - 1}u);
    t = ${e.emin - 1 - M} + i32(c >> ${M}u) + s;
  }
  return tsAssemble(sign, R, t);
}
`;
}

/** WGSL of the unclamped MX scale exponent of a block with finite non-zero amax bits A (mx-formats `src/scale.ts`). @internal */
export function wgslScale(name: string, e: ElementParams, mode: (typeof SCALE_MODES)[number]): string {
  let body: string;
  switch (mode) {
    case 'floor':
      body = `return tsFloorLog2(A) - ${e.emax};`;
      break;
    case 'ceil':
      body = `
  var pow2 = (A & 0x7fffffu) == 0u;
  if ((A >> 23u) == 0u) { pow2 = (A & (A - 1u)) == 0u; }
  return tsFloorLog2(A) + select(1, 0, pow2) - ${e.emax};`;
      break;
    case 'even':
      // r_M(amax) carries into the next binade (torchao EVEN)
      body = `
  let carry = tsSig24(A) + ${1 << (22 - e.mantissaBits)}u >= 0x1000000u;
  return tsFloorLog2(A) + select(0, 1, carry) - ${e.emax};`;
      break;
    default: {
      // RCEIL: the smallest t with RNE_f32(amax / maxNormal) <= 2^t, found without a float division: with
      // maxNormal = rm·2^em and amax = sig·2^(ea−23), RNE(q) <= 2^t iff q <= 2^t·(1 + 2^-24) (2^t normal; the tie
      // rounds to the even 2^t) iff sig·2^(ea+1−em−t) <= rm·(2^24 + 1). Below 2^-126 the step is 2^-149, so the
      // test for t = −127 uses rm·(2^23 + 1) instead.
      const K = e.rm * (2 ** 24 + 1);
      const K2 = e.rm * (2 ** 23 + 1);
      body = `
  let ea = tsFloorLog2(A);
  let sig = tsSig24(A);
  var g = 7;
  loop {
    if (g == 0 || (sig << u32(g)) <= ${K}u) { break; }
    g = g - 1;
  }
  var t = ea + 1 - (${e.em}) - g;
  if (t == -126) {
    let g2 = ea - (${e.em}) + 127;
    if (g2 <= 0 || (g2 < 8 && (sig << u32(g2)) <= ${K2}u)) { t = -127; }
  }
  return t;`;
    }
  }
  return `fn ${name}(A : u32) -> i32 {${body}\n}\n`;
}

interface ResolvedOptions {
  format: MXFormatName;
  blockSize: number;
  axis: number;
  scaleMode: (typeof SCALE_MODES)[number];
  rounding: 'even' | 'nearest' | 'floor';
  subnormals: 'keep' | 'flush-elements' | 'flush-block';
}

class MXFakeQuantProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['X'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'numBlocks : i32, L : i32, k : i32, nB : i32,';
  size = false;
  constructor(
    rows: number,
    L: number,
    private readonly o: ResolvedOptions,
  ) {
    this.outputShape = [rows, L];
    const nB = Math.ceil(L / o.blockSize);
    this.dispatch = flatDispatch(rows * nB, this.workgroupSize[0]);
    this.shaderKey = `tessera_mxfq_${o.format}_${o.scaleMode}_${o.rounding}_${o.subnormals}`;
  }
  getUserCode(): string {
    const e = MX_ELEMENTS[this.o.format];
    const flushEl = this.o.subnormals === 'flush-elements';
    return `
${WGSL_BITS}
${wgslScale('tsScale', e, this.o.scaleMode)}
${wgslElement('tsElement', e, this.o.rounding)}
fn tsLoad(i : i32) -> u32 {
  let u = bitcast<u32>(X[i]);
  ${flushEl ? 'if ((u & 0x7fffffffu) < 0x800000u) { return u & 0x80000000u; }' : ''}
  return u;
}
fn main(index : i32) {
  if (index >= uniforms.numBlocks) { return; }
  let row = index / uniforms.nB;
  let b = index - row * uniforms.nB;
  let start = row * uniforms.L + b * uniforms.k;
  let n = min(uniforms.k, uniforms.L - b * uniforms.k);
  var amax = 0u;
  for (var i = 0; i < n; i++) { amax = max(amax, tsLoad(start + i) & 0x7fffffffu); }
  if (amax >= 0x7f800000u) {
    // NaN or ±Inf in the block: the E8M0 NaN scale, every element NaN
    for (var i = 0; i < n; i++) { result[start + i] = uniforms.NAN; }
    return;
  }
  ${
    this.o.subnormals === 'flush-block'
      ? `if (amax < 0x800000u) {
    for (var i = 0; i < n; i++) { result[start + i] = bitcast<f32>(${e.isInt ? '0u' : 'tsLoad(start + i) & 0x80000000u'}); }
    return;
  }`
      : ''
  }
  var s = -127;
  if (amax != 0u) { s = clamp(tsScale(amax), -127, 127); }
  for (var i = 0; i < n; i++) { result[start + i] = bitcast<f32>(tsElement(tsLoad(start + i), s)); }
}
`;
  }
}

/** Threads per workgroup of {@link MXFakeQuantTiledProgram}. */
const TILE = 256;

/**
 * The coalesced variant for blockSize <= 256: a workgroup of 256 invocations takes ⌊256/k⌋ whole blocks, one
 * element per invocation (consecutive invocations read consecutive elements), reduces each block's amax in
 * workgroup memory (log2 k steps), then every invocation writes its own element. One load and one store per element.
 */
class MXFakeQuantTiledProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['X'];
  workgroupSize: [number, number, number] = [TILE, 1, 1];
  uniforms = 'numBlocks : i32, L : i32, k : i32, nB : i32,';
  size = false;
  constructor(
    rows: number,
    L: number,
    private readonly o: ResolvedOptions,
  ) {
    this.outputShape = [rows, L];
    const nB = Math.ceil(L / o.blockSize);
    const G = Math.floor(TILE / o.blockSize);
    this.dispatch = flatDispatch(Math.ceil((rows * nB) / G) * TILE, TILE);
    this.shaderKey = `tessera_mxfq_tiled_${o.format}_${o.scaleMode}_${o.rounding}_${o.subnormals}_${o.blockSize}`;
  }
  getUserCode(): string {
    const e = MX_ELEMENTS[this.o.format];
    const flushEl = this.o.subnormals === 'flush-elements';
    const flushBlock = this.o.subnormals === 'flush-block';
    return `
${WGSL_BITS}
${wgslScale('tsScale', e, this.o.scaleMode)}
${wgslElement('tsElement', e, this.o.rounding)}
var<workgroup> tsAmax : array<u32, ${TILE}>;
fn main(index : i32) {
  // the block size is a shader constant here, so divisions by it compile to shifts or multiplications
  let k = ${this.o.blockSize};
  let G = ${Math.floor(256 / this.o.blockSize)};
  let lid = index % ${TILE};
  let blk = (index / ${TILE}) * G + lid / k;
  let e = lid % k;
  let row = blk / uniforms.nB;
  let col = (blk - row * uniforms.nB) * k + e;
  let valid = lid < G * k && blk < uniforms.numBlocks && col < uniforms.L;
  let at = row * uniforms.L + col;
  var u = 0u;
  if (valid) {
    u = bitcast<u32>(X[at]);
    ${flushEl ? 'if ((u & 0x7fffffffu) < 0x800000u) { u = u & 0x80000000u; }' : ''}
  }
  tsAmax[lid] = u & 0x7fffffffu;
  workgroupBarrier();
  for (var st = 1; st < k; st = st * 2) {
    if (e % (2 * st) == 0 && e + st < k) { tsAmax[lid] = max(tsAmax[lid], tsAmax[lid + st]); }
    workgroupBarrier();
  }
  if (!valid) { return; }
  let amax = tsAmax[lid - e];
  if (amax >= 0x7f800000u) { result[at] = uniforms.NAN; return; }
  ${flushBlock ? `if (amax < 0x800000u) { result[at] = bitcast<f32>(${e.isInt ? '0u' : 'u & 0x80000000u'}); return; }` : ''}
  var s = -127;
  if (amax != 0u) { s = clamp(tsScale(amax), -127, 127); }
  result[at] = bitcast<f32>(tsElement(u, s));
}
`;
  }
}

/**
 * The vectorised variant for whole blocks of k ∈ {4, 8, …, 256}: one invocation per 4 consecutive elements (vec4
 * loads and stores, like tfjs' own elementwise kernels), the block's amax reduced over its k/4 invocations in
 * workgroup memory with one barrier, and each element rounded directly on its float32 bits onto the element grid of
 * its binade (`tsRoundGrid`, step 2^(max(⌊log2|x|⌋, emin + s) − M)) and saturated at maxNormal·2^s by one unsigned
 * comparison. Same bits as the other two programs (tests), about a third of their integer work per element.
 * `structureOnly` (benchmarks) copies the input after the reduction, to separate memory and reduction costs from the
 * per-element arithmetic.
 */
/** WGSL of the block max read again from global memory by every invocation of the block (the `'vec4-reload'` variant). */
function reloadMax(T: number, flushEl: boolean): string {
  if (T === 1) return 'let amax = tm;';
  return `var amax = 0u;
  let first = index - lid % ${T};
  for (var j = 0; j < ${T}; j++) {
    if (first + j < uniforms.nVec) {
      var w = bitcast<vec4<u32>>(X[first + j]);
      ${flushEl ? 'w = select(w, w & vec4<u32>(0x80000000u), (w & vec4<u32>(0x7fffffffu)) < vec4<u32>(0x800000u));' : ''}
      let g = w & vec4<u32>(0x7fffffffu);
      amax = max(amax, max(max(g.x, g.y), max(g.z, g.w)));
    }
  }`;
}

class MXFakeQuantVec4Program implements Program {
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
    private readonly o: ResolvedOptions,
    private readonly structureOnly = false,
    private readonly reload = false,
  ) {
    this.outputShape = [rows, L];
    this.dispatch = flatDispatch((rows * L) / 4, VEC_WG);
    this.shaderKey = `tessera_mxfq_vec4_${o.format}_${o.scaleMode}_${o.rounding}_${o.subnormals}_${o.blockSize}_${structureOnly}_${reload}`;
  }
  getUserCode(): string {
    const e = MX_ELEMENTS[this.o.format];
    const flushEl = this.o.subnormals === 'flush-elements';
    const flushBlock = this.o.subnormals === 'flush-block';
    const C = ['x', 'y', 'z', 'w'];
    const out = this.structureOnly ? 'v' : `vec4<u32>(${C.map((c) => `tsMX(v.${c}, s, mb)`).join(', ')})`;
    return `
${WGSL_BITS}
${wgslScale('tsScale', e, this.o.scaleMode)}
${wgslRoundGrid(this.o.rounding)}
// one element: |x| rounded onto the grid of its binade (never below emin + s), saturated at maxNormal·2^s (bits mb)
fn tsMX(u : u32, s : i32, mb : u32) -> u32 {
  let a = u & 0x7fffffffu;
  let m = min(tsRoundGrid(a, max(tsFloorLog2(a), ${e.emin} + s) - ${e.mantissaBits}), mb);
  ${e.isInt ? 'return select((u & 0x80000000u) | m, 0u, m == 0u);' : 'return (u & 0x80000000u) | m;'}
}
var<workgroup> tsRed : array<u32, ${VEC_WG}>;
fn main(index : i32) {
  let lid = i32(localIndex);
  var v = vec4<u32>(0u);
  if (index < uniforms.nVec) {
    v = bitcast<vec4<u32>>(X[index]);
    ${flushEl ? 'v = select(v, v & vec4<u32>(0x80000000u), (v & vec4<u32>(0x7fffffffu)) < vec4<u32>(0x800000u));' : ''}
  }
  let f = v & vec4<u32>(0x7fffffffu);
  let tm = max(max(f.x, f.y), max(f.z, f.w));
  ${this.reload ? reloadMax(this.o.blockSize / 4, flushEl) : wgslBlockMax(this.o.blockSize)}
  if (index >= uniforms.nVec) { return; }
  if (amax >= 0x7f800000u) { result[index] = vec4<f32>(uniforms.NAN); return; }
  ${flushBlock ? `if (amax < 0x800000u) { result[index] = bitcast<vec4<f32>>(${e.isInt ? 'vec4<u32>(0u)' : 'v & vec4<u32>(0x80000000u)'}); return; }` : ''}
  var s = -127;
  if (amax != 0u) { s = clamp(tsScale(amax), -127, 127); }
  let mb = tsAssemble(0u, ${e.rm}u, ${e.em} + s);
  result[index] = bitcast<vec4<f32>>(${out});
}
`;
  }
}

/** Name of the tfjs kernel (backend `webgpu`) that fake-quantizes the rows of a 2-D float32 tensor in MX blocks. */
export const MX_FAKE_QUANTIZE_KERNEL = 'TesseraMXFakeQuantize';

function resolve(o: unknown, rank: number, fn: string): ResolvedOptions {
  if (typeof o !== 'object' || o === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object with a format', String(o));
  const opts = o as WebGPUMXOptions;
  const format = checkOneOf(opts.format === 'mxfp4' ? 'mxfp4_e2m1' : opts.format, fn, 'format', FORMATS);
  const blockSize = checkSize(opts.blockSize ?? 32, fn, 'blockSize', { min: 1, max: 65536 });
  const rawAxis = opts.axis ?? -1;
  if (!Number.isInteger(rawAxis) || rawAxis < -rank || rawAxis >= rank)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}`, rawAxis);
  const scaleMode = checkOneOf(opts.scaleMode ?? 'floor', fn, 'scaleMode', SCALE_MODES);
  const rounding = CANON[checkOneOf(opts.rounding ?? 'even', fn, 'rounding', ROUNDINGS)];
  checkOneOf(opts.padding ?? 'zero', fn, 'padding', ['zero', 'error'] as const);
  const subnormals = checkOneOf(opts.subnormals ?? 'keep', fn, 'subnormals', ['keep', 'flush-elements', 'flush-block'] as const);
  const inputPrecision = checkOneOf(opts.inputPrecision ?? 'float32', fn, 'inputPrecision', ['float32', 'bfloat16'] as const);
  const scaleExponent = checkOneOf(opts.scaleExponent ?? 'exact', fn, 'scaleExponent', ['exact', 'float32-log2'] as const);
  if (rounding === 'stochastic' || inputPrecision !== 'float32' || scaleExponent !== 'exact')
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      "the WGSL kernel implements rounding 'even' | 'nearest' | 'floor', inputPrecision 'float32' and scaleExponent 'exact'; use @tessera/mx-formats' host kernel for the others",
      `rounding '${opts.rounding}', inputPrecision '${inputPrecision}', scaleExponent '${scaleExponent}'`,
    );
  return { format, blockSize, axis: rawAxis < 0 ? rawAxis + rank : rawAxis, scaleMode, rounding, subnormals };
}

/**
 * The MX programs: `'auto'` takes `'vec4'` (the vectorised program, block max reduced in workgroup memory) where the
 * blocks allow it, else `'tiled'` up to 256, else `'block'`. @internal
 */
export type MXKernelVariant = 'auto' | 'vec4' | 'tiled' | 'block' | 'vec4-structure' | 'vec4-reload';
let variant: MXKernelVariant = 'auto';
/**
 * Forces one of the MX programs (tests and benchmarks): `'vec4-structure'` computes nothing (loads, block max,
 * stores), `'vec4-reload'` takes the block max by reading the block again from memory instead of workgroup memory.
 * @internal
 */
export function setMXKernelVariant(v: MXKernelVariant): void {
  variant = v;
}

let registered = false;
/** Registers the MX fake-quantization kernel with tfjs for the `webgpu` backend (idempotent). @internal */
export function registerMXKernel(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: MX_FAKE_QUANTIZE_KERNEL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = (inputs as { x: tf.TensorInfo }).x;
      const o = attrs as unknown as ResolvedOptions;
      const [rows, L] = x.shape;
      const nB = Math.ceil(L / o.blockSize);
      const be = backend as unknown as import('./program.js').WebGPUBackendLike;
      if ((variant === 'auto' || variant.startsWith('vec4')) && vecBlockOK(o.blockSize, L)) {
        // 'auto' reduces the block max in workgroup memory: side by side on an H200 (the BDR programs, same structure),
        // re-reading the block from memory instead was 15–20 % slower
        const program = new MXFakeQuantVec4Program(rows, L, o, variant === 'vec4-structure', variant === 'vec4-reload');
        return be.runWebGPUProgram(program, [x], 'float32', [{ type: 'int32', data: [(rows * L) / 4] }]);
      }
      const tiled = variant !== 'block' && o.blockSize <= TILE;
      const program = tiled ? new MXFakeQuantTiledProgram(rows, L, o) : new MXFakeQuantProgram(rows, L, o);
      // one entry per scalar: tfjs aligns a multi-value entry as a vector (16 bytes for 3–4 values)
      const uniforms = [rows * nB, L, o.blockSize, nB].map((v) => ({ type: 'int32', data: [v] }));
      return be.runWebGPUProgram(program, [x], 'float32', uniforms);
    },
  });
}

/**
 * MX fake quantization on the GPU: the same forward value as `fakeQuantizeMX` of `@tessera/mx-formats` (that is,
 * `dequantizeMX(quantizeMX(x, options))`, bit for bit, NaN blocks, saturation, signed zeros and FP32 subnormals
 * included) from one WGSL pass over the tensor, and the straight-through gradient (identity). The blocked axis is
 * moved last with a transpose when it is not already. The result is a new tensor the caller owns.
 *
 * @throws TesseraError `BACKEND_UNAVAILABLE` when the active backend is not webgpu; `INVALID_DTYPE` for a
 * non-float32 x; `INVALID_ARGUMENT` for bad options; `INVALID_SHAPE` for a scalar, or a partial block with
 * `padding: 'error'`; `UNSUPPORTED` for stochastic rounding, bfloat16 inputs or float32-log2 exponents.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { fakeQuantizeMXWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const x = tf.randomNormal([256, 64]);
 *   const y = fakeQuantizeMXWebGPU(x, { format: 'mxfp8_e4m3' });
 *   tf.dispose([x, y]);
 * }
 * ```
 */
export function fakeQuantizeMXWebGPU(x: tf.Tensor, options: WebGPUMXOptions): tf.Tensor {
  const fn = 'fakeQuantizeMXWebGPU';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  if (x.rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  const o = resolve(options, x.rank, fn);
  if ((options.padding ?? 'zero') === 'error' && x.shape[o.axis] % o.blockSize !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${o.axis}] must be a multiple of blockSize ${o.blockSize} with padding 'error'`,
      `shape [${x.shape.join(', ')}]`,
    );
  webgpuBackend(fn);
  registerMXKernel();
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.tidy(() => forward(args[0] as tf.Tensor, o)),
    gradFunc: (dy: tf.Tensor) => dy,
  }));
  return f(x) as tf.Tensor;
}

function forward(x: tf.Tensor, o: ResolvedOptions): tf.Tensor {
  if (x.size === 0) return tf.clone(x);
  const rank = x.rank;
  const last = o.axis === rank - 1;
  const perm = [...Array(rank).keys()].filter((d) => d !== o.axis).concat([o.axis]);
  const moved = last ? x : tf.transpose(x, perm);
  const L = x.shape[o.axis];
  const flat = tf.reshape(moved, [x.size / L, L]);
  const attrs = { ...o } as unknown as tf.NamedAttrMap;
  const y = tf.engine().runKernel(MX_FAKE_QUANTIZE_KERNEL, { x: flat }, attrs) as tf.Tensor;
  const back = tf.reshape(y, moved.shape);
  if (last) return back;
  const inv = new Array<number>(rank);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return tf.transpose(back, inv);
}
