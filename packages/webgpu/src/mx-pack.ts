// MX quantize+pack and dequantize on WebGPU, producing and reading exactly the bytes of @tessera/mx-formats'
// `quantizeMX` / `dequantizeMX` (OCP Microscaling v1.0 §5–6; scale bytes E8M0 with 0xFF for a NaN block; element codes
// packed per `MXPacking`: bytes, two FP4 codes per byte low nibble first as torchao `pack_uint4`, four FP6 codes in
// three bytes as an LSB-first bitstream, or FP6 one per byte). Three GPU passes for quantization: the block scales
// (one invocation per block), the packed code words (one invocation per 32-bit word of the byte stream, so packing
// needs no atomics), the packed scale words; one pass for dequantization (one invocation per element). Codes come
// from integer arithmetic on the float32 bits with the rounding rules of mx-formats `src/kernels/mx-rows.ts`, so the
// bytes equal the host's on any GPU.
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkSize, checkTensor, describe, TesseraError } from '@tessera/core';
import { ELEMENT_CODECS, type MXPacking, type MXTensor, validateMX } from '@tessera/mx-formats';
import { MX_ELEMENTS, type MXFormatName, type WebGPUMXOptions, WGSL_BITS, wgslScale } from './mx-fake-quant.js';
import { flatDispatch, type Program, runProgram, webgpuBackend } from './program.js';

/** Options of {@link quantizeMXWebGPU}: those of {@link WebGPUMXOptions} plus the FP6 packing. */
export interface WebGPUMXPackOptions extends WebGPUMXOptions {
  /** FP6 codes four in three bytes (`'packed'`, default) or one per byte (`'unpacked'`, as torchao stores them). */
  readonly fp6Packing?: 'packed' | 'unpacked';
}

/**
 * An MX tensor whose bytes live on the GPU: the fields of mx-formats' `MXTensor`, with `scales` and `data` as int32
 * tensors holding the byte streams little-endian, four bytes per element (the last word zero-padded).
 * {@link readMXWebGPU} turns it into an `MXTensor`; {@link dequantizeMXWebGPU} decodes it on the GPU.
 */
export interface MXWebGPUTensor {
  readonly format: MXFormatName;
  readonly shape: readonly number[];
  readonly axis: number;
  readonly blockSize: number;
  readonly packing: MXPacking;
  /** ⌈scaleBytes / 4⌉ int32 words. */
  readonly scales: tf.Tensor1D;
  /** ⌈dataBytes / 4⌉ int32 words. */
  readonly data: tf.Tensor1D;
  readonly scaleBytes: number;
  readonly dataBytes: number;
}

/** Bits of one code in the byte stream of a packing. */
function codeWidth(p: MXPacking): number {
  return p === 'fp4x2' ? 4 : p === 'fp6x4in3' ? 6 : 8;
}

const CANON_ROUNDING: Record<string, 'even' | 'nearest' | 'floor' | 'stochastic'> = {
  even: 'even',
  rne: 'even',
  nearest: 'nearest',
  'ties-away': 'nearest',
  floor: 'floor',
  truncate: 'floor',
  stochastic: 'stochastic',
};
const FORMATS = Object.keys(MX_ELEMENTS) as MXFormatName[];

interface Resolved {
  format: MXFormatName;
  blockSize: number;
  axis: number;
  scaleMode: 'floor' | 'ceil' | 'even' | 'rceil';
  rounding: 'even' | 'nearest' | 'floor';
  subnormals: 'keep' | 'flush-elements' | 'flush-block';
  packing: MXPacking;
}

function resolve(o: unknown, rank: number, fn: string): Resolved {
  if (typeof o !== 'object' || o === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object with a format', describe(o));
  const opts = o as WebGPUMXPackOptions;
  const format = checkOneOf(opts.format === 'mxfp4' ? 'mxfp4_e2m1' : opts.format, fn, 'format', FORMATS);
  const blockSize = checkSize(opts.blockSize ?? 32, fn, 'blockSize', { min: 1, max: 65536 });
  const rawAxis = opts.axis ?? -1;
  if (!Number.isInteger(rawAxis) || rawAxis < -rank || rawAxis >= rank)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}`, rawAxis);
  const scaleMode = checkOneOf(opts.scaleMode ?? 'floor', fn, 'scaleMode', ['floor', 'ceil', 'even', 'rceil'] as const);
  const rounding = CANON_ROUNDING[checkOneOf(opts.rounding ?? 'even', fn, 'rounding', Object.keys(CANON_ROUNDING))];
  checkOneOf(opts.padding ?? 'zero', fn, 'padding', ['zero', 'error'] as const);
  const subnormals = checkOneOf(opts.subnormals ?? 'keep', fn, 'subnormals', ['keep', 'flush-elements', 'flush-block'] as const);
  const inputPrecision = checkOneOf(opts.inputPrecision ?? 'float32', fn, 'inputPrecision', ['float32', 'bfloat16'] as const);
  const scaleExponent = checkOneOf(opts.scaleExponent ?? 'exact', fn, 'scaleExponent', ['exact', 'float32-log2'] as const);
  const fp6 = checkOneOf(opts.fp6Packing ?? 'packed', fn, 'fp6Packing', ['packed', 'unpacked'] as const);
  if (rounding === 'stochastic' || inputPrecision !== 'float32' || scaleExponent !== 'exact')
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      "the WGSL kernels implement rounding 'even' | 'nearest' | 'floor', inputPrecision 'float32' and scaleExponent 'exact'; use @tessera/mx-formats' quantizeMX for the others",
      `rounding '${opts.rounding}', inputPrecision '${inputPrecision}', scaleExponent '${scaleExponent}'`,
    );
  const bits = format === 'mxfp4_e2m1' ? 4 : format.startsWith('mxfp6') ? 6 : 8;
  const packing: MXPacking = bits === 4 ? 'fp4x2' : bits === 6 ? (fp6 === 'packed' ? 'fp6x4in3' : 'fp6-unpacked') : 'byte';
  return { format, blockSize, axis: rawAxis < 0 ? rawAxis + rank : rawAxis, scaleMode, rounding, subnormals, packing };
}

/** WGSL loading element i of X with the FP32-subnormal flush of `'flush-elements'`. */
function wgslLoad(o: Resolved): string {
  return `fn tsLoad(i : i32) -> u32 {
  let u = bitcast<u32>(X[i]);
  ${o.subnormals === 'flush-elements' ? 'if ((u & 0x7fffffffu) < 0x800000u) { return u & 0x80000000u; }' : ''}
  return u;
}`;
}

/** Pass 1: one invocation per block; writes the scale byte, plus 256 for a block flushed to signed zeros. */
class ScaleInfoProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['X'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'numBlocks : i32, L : i32, nB : i32,';
  size = false;
  constructor(
    numBlocks: number,
    private readonly o: Resolved,
  ) {
    this.outputShape = [numBlocks];
    this.dispatch = flatDispatch(numBlocks, 64);
    this.shaderKey = `tessera_mxq_info_${o.format}_${o.scaleMode}_${o.subnormals}_${o.blockSize}`;
  }
  getUserCode(): string {
    const e = MX_ELEMENTS[this.o.format];
    const k = this.o.blockSize;
    return `
${WGSL_BITS}
${wgslScale('tsScale', e, this.o.scaleMode)}
${wgslLoad(this.o)}
fn main(index : i32) {
  if (index >= uniforms.numBlocks) { return; }
  let row = index / uniforms.nB;
  let b = index - row * uniforms.nB;
  let start = row * uniforms.L + b * ${k};
  let n = min(${k}, uniforms.L - b * ${k});
  var amax = 0u;
  for (var i = 0; i < n; i++) { amax = max(amax, tsLoad(start + i) & 0x7fffffffu); }
  var info = 0;
  if (amax >= 0x7f800000u) { info = 255; }
  else if (amax == 0u) { info = ${e.isInt ? 1 : 0}; }
  ${this.o.subnormals === 'flush-block' ? 'else if (amax < 0x800000u) { info = 256; }' : ''}
  else { info = clamp(tsScale(amax), -127, 127) + 127; }
  result[index] = info;
}
`;
  }
}

/** Pass 2: one invocation per 32-bit word of the packed code stream. */
class CodesProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['X', 'I'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'nWords : i32, nC : i32, L : i32, nB : i32,';
  size = false;
  constructor(
    nWords: number,
    private readonly o: Resolved,
  ) {
    this.outputShape = [nWords];
    this.dispatch = flatDispatch(nWords, 64);
    this.shaderKey = `tessera_mxq_codes_${o.format}_${o.rounding}_${o.subnormals}_${o.blockSize}_${o.packing}`;
  }
  getUserCode(): string {
    const e = MX_ELEMENTS[this.o.format];
    const M = e.mantissaBits;
    const k = this.o.blockSize;
    const W = codeWidth(this.o.packing);
    const bits = this.o.format === 'mxfp4_e2m1' ? 4 : this.o.format.startsWith('mxfp6') ? 6 : 8;
    const signBit = e.isInt ? 0 : 1 << (bits - 1);
    const nanCode = bits === 8 && !e.isInt ? 0x7f : 0;
    const roundUp =
      this.o.rounding === 'even'
        ? 'rem > half || (rem == half && (fl & 1u) == 1u)'
        : this.o.rounding === 'nearest'
          ? 'rem >= half'
          : 'false';
    return `
${WGSL_BITS}
${wgslLoad(this.o)}
// magnitude code of |x| (bits a) on scale 2^s: binade pe = max(⌊log2⌋ − s, emin), step 2^(pe − M), saturating
fn tsMag(a : u32, s : i32) -> u32 {
  if (a == 0u) { return 0u; }
  let ev = tsFloorLog2(a) - s;
  let pe = max(ev, ${e.emin});
  let shift = u32(${23 - M} + (pe - ev));
  var r = 0u;
  if (shift <= 25u) {
    let sig = tsSig24(a);
    let fl = sig >> shift;
    let rem = sig & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    r = fl;
    if (${roundUp}) { r = fl + 1u; }
  }
  return min(u32(pe - (${e.emin})) * ${1 << M}u + r, ${e.maxCode}u);
}
// the code at index c of the padded axis-last layout (0 for padding)
fn tsCodeAt(c : i32) -> u32 {
  let padded = uniforms.nB * ${k};
  let row = c / padded;
  let col = c - row * padded;
  if (col >= uniforms.L) { return 0u; }
  let info = I[row * uniforms.nB + col / ${k}];
  if (info == 255) { return ${nanCode}u; }
  let u = tsLoad(row * uniforms.L + col);
  let neg = (u >> 31u) == 1u;
  if (info == 256) { return ${e.isInt ? '0u' : `select(0u, ${signBit}u, neg)`}; }
  let m = tsMag(u & 0x7fffffffu, info - 127);
  ${e.isInt ? 'if (neg && m != 0u) { return 256u - m; }\n  return m;' : `return m | select(0u, ${signBit}u, neg);`}
}
fn main(index : i32) {
  if (index >= uniforms.nWords) { return; }
  let b0 = index * 32;
  let c0 = b0 / ${W};
  let c1 = min((b0 + 31) / ${W}, uniforms.nC - 1);
  var w = 0u;
  for (var c = c0; c <= c1; c++) {
    let sh = c * ${W} - b0;
    let v = tsCodeAt(c);
    if (sh >= 0) { w = w | (v << u32(sh)); } else { w = w | (v >> u32(-sh)); }
  }
  result[index] = bitcast<i32>(w);
}
`;
  }
}

/** Pass 3: four scale bytes per word. */
class ScaleWordsProgram implements Program {
  outputShape: number[];
  shaderKey = 'tessera_mxq_scalewords';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['I'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'nWords : i32, numBlocks : i32,';
  size = false;
  constructor(nWords: number) {
    this.outputShape = [nWords];
    this.dispatch = flatDispatch(nWords, 64);
  }
  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index >= uniforms.nWords) { return; }
  var w = 0u;
  for (var j = 0; j < 4; j++) {
    let b = index * 4 + j;
    if (b < uniforms.numBlocks) { w = w | ((u32(I[b]) & 0xffu) << u32(8 * j)); }
  }
  result[index] = bitcast<i32>(w);
}
`;
  }
}

/** Dequantization: one invocation per element; T is the element format's decode table (float32, 2^bits entries). */
class DequantProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['D', 'S', 'T'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = 'n : i32, L : i32, nB : i32, nDW : i32,';
  size = false;
  constructor(
    rows: number,
    L: number,
    private readonly k: number,
    private readonly packing: MXPacking,
  ) {
    this.outputShape = [rows, L];
    this.dispatch = flatDispatch(rows * L, 64);
    this.shaderKey = `tessera_mxdq_${k}_${packing}`;
  }
  getUserCode(): string {
    const W = codeWidth(this.packing);
    const codeMask = (1 << W) - 1;
    return `
${WGSL_BITS}
fn main(index : i32) {
  if (index >= uniforms.n) { return; }
  let row = index / uniforms.L;
  let col = index - row * uniforms.L;
  let blk = row * uniforms.nB + col / ${this.k};
  let sb = (u32(S[blk / 4]) >> u32(8 * (blk % 4))) & 0xffu;
  if (sb == 0xffu) { result[index] = uniforms.NAN; return; }
  let c = row * uniforms.nB * ${this.k} + col;
  let bit = c * ${W};
  let wi = bit / 32;
  let sh = u32(bit - wi * 32);
  var code = u32(D[wi]) >> sh;
  if (sh + ${W}u > 32u && wi + 1 < uniforms.nDW) { code = code | (u32(D[wi + 1]) << (32u - sh)); }
  let v = bitcast<u32>(T[i32(code & ${codeMask}u)]);
  let a = v & 0x7fffffffu;
  // table value × 2^(sb − 127), exact (every code's value times an E8M0 scale is a float32 or ±Inf): on the bits
  if (a >= 0x7f800000u || a == 0u) { result[index] = bitcast<f32>(v); return; }
  let sig = tsSig24(a);
  let tz = countTrailingZeros(sig);
  result[index] = bitcast<f32>(tsAssemble(v & 0x80000000u, sig >> tz, tsFloorLog2(a) - 23 + i32(tz) + i32(sb) - 127));
}
`;
  }
}

/** Geometry of the axis-last layout. */
function layout(shape: readonly number[], axis: number, k: number) {
  const L = shape[axis];
  const size = shape.reduce((p, d) => p * d, 1);
  const rows = L === 0 ? 0 : size / L;
  const nB = Math.ceil(L / k);
  return { L, rows, nB, size, numBlocks: rows * nB, nC: rows * nB * k };
}

function movedPerm(rank: number, axis: number): number[] {
  return [...Array(rank).keys()].filter((d) => d !== axis).concat([axis]);
}

/** Host MX padding bound of mx-formats (`MX_MAX_PADDING_FACTOR`): padded codes ≤ 32·size + 2^20. */
const PAD_FACTOR = 32;
/** Largest number of (padded) codes: bit offsets of the 8-bit stream stay below 2^31. */
export const MX_WEBGPU_MAX_CODES = 2 ** 28 - 1;
const MAX_CODES = MX_WEBGPU_MAX_CODES;

/**
 * MX quantization with packing on the GPU: the scale bytes and packed element codes that `quantizeMX` of
 * @tessera/mx-formats computes, byte for byte (NaN blocks, saturation, signed zeros, FP32 subnormals, partial blocks
 * zero-padded, any axis), left on the GPU as int32 word tensors; {@link readMXWebGPU} reads them back as an
 * `MXTensor`. Does not dispose x. The caller owns the returned tensors (dispose `scales` and `data`).
 *
 * @throws TesseraError `BACKEND_UNAVAILABLE` unless the webgpu backend is active; `INVALID_DTYPE` for a non-float32
 * x; `INVALID_ARGUMENT` for bad options or a padding over 32× the input; `INVALID_SHAPE` for a scalar or a partial
 * block with `padding: 'error'`; `UNSUPPORTED` for stochastic rounding, bfloat16 inputs or float32-log2 exponents.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { quantizeMXWebGPU, readMXWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const x = tf.randomNormal([64, 64]);
 *   const q = quantizeMXWebGPU(x, { format: 'mxfp4_e2m1' });
 *   const m = await readMXWebGPU(q); // an MXTensor with quantizeMX's bytes
 *   tf.dispose([x, q.scales, q.data]);
 * }
 * ```
 */
export function quantizeMXWebGPU(x: tf.Tensor, options: WebGPUMXPackOptions): MXWebGPUTensor {
  const fn = 'quantizeMXWebGPU';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  if (x.rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  const o = resolve(options, x.rank, fn);
  const g = layout(x.shape, o.axis, o.blockSize);
  if ((options.padding ?? 'zero') === 'error' && g.L % o.blockSize !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${o.axis}] must be a multiple of blockSize ${o.blockSize} with padding 'error'`,
      `shape [${x.shape.join(', ')}]`,
    );
  if (g.size > 0 && g.nC > PAD_FACTOR * g.size + 2 ** 20)
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      `padding the blocked axis to whole blocks would need ${g.nC} codes, more than ${PAD_FACTOR}× the input + 2^20`,
      `shape [${x.shape.join(', ')}], blockSize ${o.blockSize}`,
    );
  if (g.nC > MAX_CODES)
    throw new TesseraError('INVALID_ARGUMENT', fn, `at most ${MAX_CODES} codes (2^28; 32-bit bit offsets in WGSL)`, g.nC);
  const be = webgpuBackend(fn);
  const W = codeWidth(o.packing);
  const dataBytes = Math.ceil((g.nC * W) / 8);
  const base = {
    format: o.format,
    shape: Object.freeze([...x.shape]),
    axis: o.axis,
    blockSize: o.blockSize,
    packing: o.packing,
    scaleBytes: g.numBlocks,
    dataBytes,
  };
  if (g.size === 0)
    return Object.freeze({ ...base, scales: tf.zeros([0], 'int32') as tf.Tensor1D, data: tf.zeros([0], 'int32') as tf.Tensor1D });
  const { scales, data } = tf.tidy(() => {
    const last = o.axis === x.rank - 1;
    const moved = last ? x : tf.transpose(x, movedPerm(x.rank, o.axis));
    const flat = tf.reshape(moved, [g.rows * g.L]);
    const i32 = (v: number) => ({ type: 'int32', data: [v] });
    const info = runProgram(be, new ScaleInfoProgram(g.numBlocks, o), [flat], 'int32', [g.numBlocks, g.L, g.nB].map(i32));
    const nDW = Math.ceil(dataBytes / 4);
    const data = runProgram(be, new CodesProgram(nDW, o), [flat, info], 'int32', [nDW, g.nC, g.L, g.nB].map(i32)) as tf.Tensor1D;
    const nSW = Math.ceil(g.numBlocks / 4);
    const scales = runProgram(be, new ScaleWordsProgram(nSW), [info], 'int32', [nSW, g.numBlocks].map(i32)) as tf.Tensor1D;
    return { scales, data };
  });
  return Object.freeze({ ...base, scales: scales as tf.Tensor1D, data: data as tf.Tensor1D });
}

/**
 * Reads an {@link MXWebGPUTensor} back into an mx-formats `MXTensor` (`await`s the two downloads; the GPU tensors
 * stay the caller's).
 *
 * @throws TesseraError `INVALID_ARGUMENT` when `t` is not an MXWebGPUTensor.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { quantizeMXWebGPU, readMXWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const x = tf.ones([32]);
 *   const q = quantizeMXWebGPU(x, { format: 'mxint8' });
 *   (await readMXWebGPU(q)).scales; // → Uint8Array [127]
 *   tf.dispose([x, q.scales, q.data]);
 * }
 * ```
 */
export async function readMXWebGPU(t: MXWebGPUTensor): Promise<MXTensor> {
  const fn = 'readMXWebGPU';
  if (typeof t !== 'object' || t === null || !(t.data instanceof tf.Tensor) || !(t.scales instanceof tf.Tensor))
    throw new TesseraError('INVALID_ARGUMENT', fn, 't must be an MXWebGPUTensor (from quantizeMXWebGPU)', describe(t));
  const [d, s] = await Promise.all([t.data.data(), t.scales.data()]);
  const data = new Uint8Array(d.buffer, d.byteOffset, t.dataBytes).slice();
  const scales = new Uint8Array(s.buffer, s.byteOffset, t.scaleBytes).slice();
  return Object.freeze({
    format: t.format,
    shape: Object.freeze([...t.shape]),
    axis: t.axis,
    blockSize: t.blockSize,
    packing: t.packing,
    scales,
    data,
    byteLength: scales.length + data.length,
  });
}

function words(bytes: Uint8Array): Int32Array {
  const w = new Int32Array(Math.ceil(bytes.length / 4));
  new Uint8Array(w.buffer).set(bytes);
  return w;
}

const CODEC_OF: Record<MXFormatName, keyof typeof ELEMENT_CODECS> = {
  mxfp8_e4m3: 'fp8_e4m3',
  mxfp8_e5m2: 'fp8_e5m2',
  mxfp6_e3m2: 'fp6_e3m2',
  mxfp6_e2m3: 'fp6_e2m3',
  mxfp4_e2m1: 'fp4_e2m1',
  mxint8: 'int8',
};

/**
 * MX dequantization on the GPU: the float32 tensor that `dequantizeMX` of @tessera/mx-formats returns, bit for bit
 * (code value × 2^(byte − 127) rounded once; 0xFF blocks NaN; padding dropped), from an mx-formats `MXTensor` (its
 * bytes are uploaded) or an {@link MXWebGPUTensor} (decoded in place). The caller owns the result.
 *
 * @throws TesseraError `BACKEND_UNAVAILABLE` unless the webgpu backend is active; `INVALID_FORMAT` for an invalid
 * MXTensor; `INVALID_ARGUMENT` for anything else.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { quantizeMXArray } from '@tessera/mx-formats';
 * import { dequantizeMXWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const m = quantizeMXArray(new Float32Array([7, 1, 0.3]), [3], { format: 'mxfp4_e2m1' });
 *   const y = dequantizeMXWebGPU(m);
 *   await y.data(); // → Float32Array [6, 1, 0.5]
 *   y.dispose();
 * }
 * ```
 */
export function dequantizeMXWebGPU(t: MXTensor | MXWebGPUTensor): tf.Tensor {
  const fn = 'dequantizeMXWebGPU';
  if (typeof t !== 'object' || t === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 't must be an MXTensor or MXWebGPUTensor', describe(t));
  const onGPU = t.data instanceof tf.Tensor;
  if (!onGPU) validateMX(t as MXTensor);
  else if (!(t.scales instanceof tf.Tensor) || !FORMATS.includes(t.format as MXFormatName))
    throw new TesseraError('INVALID_ARGUMENT', fn, 't must be an MXTensor or MXWebGPUTensor', describe(t));
  const be = webgpuBackend(fn);
  const format = ((t.format as string) === 'mxfp4' ? 'mxfp4_e2m1' : t.format) as MXFormatName;
  const g = layout(t.shape, t.axis, t.blockSize);
  if (g.size === 0) return tf.zeros([...t.shape]);
  return tf.tidy(() => {
    const d = onGPU ? (t as MXWebGPUTensor).data : tf.tensor1d(words((t as MXTensor).data), 'int32');
    const s = onGPU ? (t as MXWebGPUTensor).scales : tf.tensor1d(words((t as MXTensor).scales), 'int32');
    const table = tf.tensor1d(ELEMENT_CODECS[CODEC_OF[format]].decodeTable, 'float32');
    const u = [g.rows * g.L, g.L, g.nB, d.size].map((v) => ({ type: 'int32', data: [v] }));
    const y = runProgram(be, new DequantProgram(g.rows, g.L, t.blockSize, t.packing), [d, s, table], 'float32', u);
    const perm = movedPerm(t.shape.length, t.axis);
    const movedShape = perm.map((p) => t.shape[p]);
    const back = tf.reshape(y, movedShape);
    if (t.axis === t.shape.length - 1) return back;
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    return tf.transpose(back, inv);
  });
}
