import * as tf from '@tensorflow/tfjs-core';
import { bitsView, checkInteger, checkOneOf, checkShape, checkTensor, describe, TesseraError } from '@tessera/core';
import { FP4_E2M1, FP8_E4M3, floorLog2F64 } from './elements.js';
import { layoutOf, moveAxisBack, moveAxisLast } from './mx-tensor.js';
import { fp4Bytes } from './packing.js';

/**
 * E2M1 magnitude code of |v| with round half to even and saturation at 6 (grid 0, 0.5, 1, 1.5, 2, 3, 4, 6: the
 * midpoints 0.25, 1.25, 2.5 and 5 go down to the even code, 0.75, 1.75 and 3.5 up), as a sum of comparisons (no
 * data-dependent branches). Equals `FP4_E2M1.encode(|v|)` for finite v.
 */
function fp4Mag(a: number): number {
  return (
    (a > 0.25 ? 1 : 0) +
    (a >= 0.75 ? 1 : 0) +
    (a > 1.25 ? 1 : 0) +
    (a >= 1.75 ? 1 : 0) +
    (a > 2.5 ? 1 : 0) +
    (a >= 3.5 ? 1 : 0) +
    (a > 5 ? 1 : 0)
  );
}

/** 2^(3 − e) for e = −6 … 8 (the binades of [2^-6, 448]), indexed by e + 6. */
const POW2_3_MINUS_E = Float64Array.from({ length: 15 }, (_, i) => 2 ** (9 - i));

/** 2^52 + 2^51: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;

/**
 * E4M3 code of a block scale v in [2^-6, 448] (an E4M3 normal range), round half to even: v·2^(3 − e) lies in
 * [8, 16) exactly, its RNE integer r gives code (e + 7)·8 + r − 8 (r = 16 carries into the next binade). Equals
 * `FP8_E4M3.encode(v)` there. @internal
 */
export function e4m3ScaleCode(v: number): number {
  const e = floorLog2F64(v);
  const r = v * POW2_3_MINUS_E[e + 6] + MAGIC - MAGIC;
  return (e + 7) * 8 + r - 8;
}

/** NVFP4 block size (fixed). */
const K = 16;
/** 448 · 6: the largest E4M3 scale times the largest E2M1 element (torchao `per_tensor_amax_to_scale`). */
const RANGE = 448 * 6;

/**
 * An NVFP4 tensor (spec §6): E2M1 codes packed two per byte (low nibble first), one positive E4M3 scale code per
 * block of 16 along `axis`, and an optional FP32 per-tensor scale (two-level scaling). The layout (axis moved last,
 * zero-padded to a multiple of 16) is the MX one.
 */
export interface NVFP4Tensor {
  readonly format: 'nvfp4';
  readonly shape: readonly number[];
  readonly axis: number;
  readonly blockSize: 16;
  /** E2M1 codes, two per byte. */
  readonly data: Uint8Array;
  /** E4M3 codes of the block scales (0x7F = NaN block). */
  readonly blockScales: Uint8Array;
  /** The FP32 per-tensor scale s_t, or null for single-level scaling (s_t = 1). */
  readonly tensorScale: number | null;
  /** data + blockScales + 4 bytes when a tensor scale is present. */
  readonly byteLength: number;
}

/** Options of {@link quantizeNVFP4}. */
export interface NVFP4Options {
  /** Blocked axis, default −1. */
  readonly axis?: number;
  /**
   * `'none'` (default; torchao's default `per_tensor_scale=None`): single-level, s_t = 1. `'auto'`: s_t =
   * fl32(amax_tensor / (448·6)) over the finite values (1 for an all-zero tensor). A number: that FP32 scale.
   */
  readonly tensorScale?: 'auto' | 'none' | number;
  /** `'zero'` (default) pads the last block; `'error'` throws when the axis is not a multiple of 16 (torchao). */
  readonly padding?: 'zero' | 'error';
  /** `'exact'` (default): float64 steps. `'float32'`: torchao's float32 order (reciprocal scale), for byte parity. */
  readonly arithmetic?: 'exact' | 'float32';
}

function resolve(x: { rank: number; shape: readonly number[] }, o: NVFP4Options, fn: string) {
  if (typeof o !== 'object' || o === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', describe(o));
  if (x.rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  const a = checkInteger(o.axis ?? -1, fn, 'axis');
  if (a < -x.rank || a >= x.rank) throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be in [${-x.rank}, ${x.rank - 1}]`, a);
  const axis = a < 0 ? a + x.rank : a;
  const ts = o.tensorScale ?? 'none';
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts) || !(Math.fround(ts) > 0))
      throw new TesseraError('INVALID_ARGUMENT', fn, 'tensorScale must be a finite float32 > 0', ts);
  } else checkOneOf(ts, fn, 'tensorScale', ['auto', 'none'] as const);
  const padding = checkOneOf(o.padding ?? 'zero', fn, 'padding', ['zero', 'error'] as const);
  const arithmetic = checkOneOf(o.arithmetic ?? 'exact', fn, 'arithmetic', ['exact', 'float32'] as const);
  if (padding === 'error' && x.shape[axis] % K !== 0)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `shape[${axis}] must be a multiple of 16 with padding 'error'`,
      `shape [${x.shape.join(', ')}]`,
    );
  return { axis, ts, arithmetic };
}

/**
 * {@link quantizeNVFP4} on a host `Float32Array` with its shape.
 *
 * @throws TesseraError as {@link quantizeNVFP4}; `INVALID_SHAPE` when shape and length disagree.
 * @example
 * ```ts
 * import { quantizeNVFP4Array } from '@tessera/mx-formats';
 * const t = quantizeNVFP4Array(new Float32Array([6, 3, -1.5, 0.25]), [4]);
 * t.blockScales; // → Uint8Array [0x38]  (s_b = 1.0)
 * ```
 */
export function quantizeNVFP4Array(values: Float32Array, shape: readonly number[], options: NVFP4Options = {}): NVFP4Tensor {
  const fn = 'quantizeNVFP4Array';
  if (!(values instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'values must be a Float32Array', describe(values));
  const sh = checkShape(shape, fn, 'shape');
  const n = sh.reduce((p, d) => p * d, 1);
  if (n !== values.length) throw new TesseraError('INVALID_SHAPE', fn, `shape must match the ${values.length} values`, describe(shape));
  shape = sh;
  return quantizeNVFP4Host(values, shape, resolve({ rank: shape.length, shape }, options, fn));
}

const F32 = new Float32Array(1);
/** E2M1 values as float64 (no float32 → float64 conversion per element). */
const FP4_E2M1_F64 = Float64Array.from(FP4_E2M1.decodeTable);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const U32 = new Uint32Array(F32.buffer);

/** E2M1 codes of x/(s_t·s_b) computed in float32 as fl32(x·rcp) (torchao's order), two per byte from byte j. */
function encodeBlockF32(x: Float32Array, u: Uint32Array, start: number, end: number, data: Uint8Array, j: number, rcp: number): void {
  let i = start;
  for (; i + 1 < end; i += 2, j++) {
    const c0 = fp4Mag(Math.abs(Math.fround(x[i] * rcp))) | ((u[i] >>> 31) << 3);
    const c1 = fp4Mag(Math.abs(Math.fround(x[i + 1] * rcp))) | ((u[i + 1] >>> 31) << 3);
    data[j] = c0 | (c1 << 4);
  }
  if (i < end) data[j] = fp4Mag(Math.abs(Math.fround(x[i] * rcp))) | ((u[i] >>> 31) << 3);
}

/**
 * The float32 bit pattern G with: a > t ⇔ bits(a) > G (strict) or a ≥ t ⇔ bits(a) > G (not strict), for every
 * float32 a ≥ 0 and a float64 t > 0. Non-negative float32 values order like their bit patterns.
 */
function bitThreshold(t: number, strict: boolean): number {
  F32[0] = t; // rounded to nearest float32 (Infinity past the largest finite)
  let g = U32[0];
  const f = F32[0];
  if (strict) {
    if (f > t) g--; // largest float32 ≤ t
  } else {
    if (f < t) g++; // smallest float32 ≥ t
    g--;
  }
  return g;
}

/**
 * E2M1 codes of fl64(x/div), two per byte from byte j. fl64(|x|/div) vs a midpoint t equals |x| vs t·div exactly:
 * t·div is exact (≤ 3 + 4 + 24 significant bits) and a quotient |x|/div ≠ t differs from t by far more than a
 * float64 rounding. Each comparison then becomes an integer one on the float32 bits (see bitThreshold), summed
 * without branches: (G − bits) >>> 31 is 1 exactly when bits > G (both below 2^31).
 */
function encodeBlockExact(u: Uint32Array, start: number, end: number, data: Uint8Array, j: number, div: number): void {
  const g0 = bitThreshold(0.25 * div, true);
  const g1 = bitThreshold(0.75 * div, false);
  const g2 = bitThreshold(1.25 * div, true);
  const g3 = bitThreshold(1.75 * div, false);
  const g4 = bitThreshold(2.5 * div, true);
  const g5 = bitThreshold(3.5 * div, false);
  const g6 = bitThreshold(5 * div, true);
  let i = start;
  for (; i < end; i += 2, j++) {
    const b0 = u[i];
    const a0 = b0 & 0x7fffffff;
    const c0 =
      ((g0 - a0) >>> 31) +
      ((g1 - a0) >>> 31) +
      ((g2 - a0) >>> 31) +
      ((g3 - a0) >>> 31) +
      ((g4 - a0) >>> 31) +
      ((g5 - a0) >>> 31) +
      ((g6 - a0) >>> 31);
    if (i + 1 === end) {
      data[j] = c0 | ((b0 >>> 31) << 3);
      return;
    }
    const b1 = u[i + 1];
    const a1 = b1 & 0x7fffffff;
    const c1 =
      ((g0 - a1) >>> 31) +
      ((g1 - a1) >>> 31) +
      ((g2 - a1) >>> 31) +
      ((g3 - a1) >>> 31) +
      ((g4 - a1) >>> 31) +
      ((g5 - a1) >>> 31) +
      ((g6 - a1) >>> 31);
    data[j] = c0 | ((b0 >>> 31) << 3) | ((c1 | ((b1 >>> 31) << 3)) << 4);
  }
}

function quantizeNVFP4Host(values: Float32Array, shape: readonly number[], o: ReturnType<typeof resolve>): NVFP4Tensor {
  const g = layoutOf(shape, o.axis, K);
  // no elements, no blocks: skip the loops over the other (possibly huge) dimensions, e.g. shape [1e12, 0]
  const empty = g.numel === 0;
  const x = empty ? new Float32Array(0) : moveAxisLast(values, g);
  const f32 = o.arithmetic === 'float32';
  let st = 1;
  let tensorScale: number | null = null;
  if (o.ts === 'auto') {
    let amax = 0;
    const u = bitsView(x);
    for (let i = 0; i < u.length; i++) {
      const a = u[i] & 0x7fffffff;
      if (a < 0x7f800000 && a > amax) amax = a; // the tensor amax ignores NaN/±Inf (tessera rule)
    }
    const am = new Float32Array(new Uint32Array([amax]).buffer)[0];
    st = am === 0 ? 1 : Math.fround(am / RANGE) || 2 ** -149;
    tensorScale = st;
  } else if (typeof o.ts === 'number') {
    st = Math.fround(o.ts);
    tensorScale = st;
  }
  const { L, nBlocks } = g;
  const rows = empty ? 0 : g.rows;
  const data = new Uint8Array(fp4Bytes(rows * nBlocks * K)); // padding codes stay 0
  const scales = new Uint8Array(rows * nBlocks);
  const invSt = Math.fround(1 / st);
  const u = bitsView(x);
  for (let r = 0; r < rows; r++) {
    const rowEnd = r * L + L;
    for (let b = 0; b < nBlocks; b++) {
      const start = r * L + b * K;
      const end = start + K < rowEnd ? start + K : rowEnd;
      const ci = (r * nBlocks + b) * K; // code index of the block's first element (even)
      let amaxBits = 0;
      for (let i = start; i < end; i++) {
        const a = u[i] & 0x7fffffff;
        const d = a - amaxBits;
        amaxBits += d & ~(d >> 31); // branch-free max
      }
      if (amaxBits >= 0x7f800000) {
        scales[r * nBlocks + b] = 0x7f; // NaN or ±Inf: E4M3 NaN, the block decodes to NaN (tessera rule, spec §6)
        continue;
      }
      F32[0] = 0;
      U32[0] = amaxBits;
      const amax = F32[0];
      // s_b = E4M3_RNE(clamp((amax/6)/s_t, 2^-6, 448)): rounded to nearest, not up, so elements can saturate.
      let sbv = f32 ? Math.fround(Math.fround(amax / 6) / st) : amax / 6 / st;
      sbv = sbv < 2 ** -6 ? 2 ** -6 : sbv > 448 ? 448 : sbv;
      const sbCode = e4m3ScaleCode(sbv);
      scales[r * nBlocks + b] = sbCode;
      const sb = FP8_E4M3.decodeTable[sbCode];
      // v = x/(s_t·s_b) has the sign of x (also ±0 and underflow), so the sign bit comes from the input bits.
      if (f32) encodeBlockF32(x, u, start, end, data, ci >> 1, Math.fround(invSt / sb));
      else encodeBlockExact(u, start, end, data, ci >> 1, st * sb); // st·sb is exact in float64
    }
  }
  return Object.freeze({
    format: 'nvfp4' as const,
    shape: Object.freeze([...shape]),
    axis: o.axis,
    blockSize: K,
    data,
    blockScales: scales,
    tensorScale,
    byteLength: data.length + scales.length + (tensorScale === null ? 0 : 4),
  });
}

/**
 * Quantizes a float32 tensor to NVFP4 (spec §6; torchao `nvfp4_tensor.py`): blocks of 16 along `axis`, block scale
 * s_b = E4M3(clamp((amax/6)/s_t, 2^-6, 448)) rounded to nearest, elements E2M1(x/(s_t·s_b)) with round half to
 * even and saturation at ±6. A block with NaN/±Inf gets scale code 0x7F and decodes to NaN (tessera rule).
 *
 * @throws TesseraError `INVALID_DTYPE` when x is not float32; `INVALID_ARGUMENT` for a bad axis, tensorScale or
 * option; `INVALID_SHAPE` for a scalar or a partial block with `padding: 'error'`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { quantizeNVFP4, dequantizeNVFP4 } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.tensor1d([7, 1, -2, 0.3]);
 * const t = quantizeNVFP4(x);          // s_b = E4M3(7/6) = 1.125 (0x39)
 * const y = dequantizeNVFP4(t);        // [6.75, 1.125, -2.25, 0.5625]
 * tf.dispose([x, y]);
 * ```
 */
export function quantizeNVFP4(x: tf.Tensor, options: NVFP4Options = {}): NVFP4Tensor {
  const fn = 'quantizeNVFP4';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const o = resolve(x, options, fn);
  return quantizeNVFP4Host(x.dataSync() as Float32Array, x.shape, o);
}

/**
 * Checks the invariants of an NVFP4Tensor.
 *
 * @throws TesseraError `INVALID_FORMAT` on the first broken invariant.
 * @example
 * ```ts
 * import { quantizeNVFP4Array, validateNVFP4 } from '@tessera/mx-formats';
 * validateNVFP4(quantizeNVFP4Array(new Float32Array(16), [16]));
 * ```
 */
export function validateNVFP4(t: NVFP4Tensor): void {
  const bad = (what: string, got?: unknown) => new TesseraError('INVALID_FORMAT', 'validateNVFP4', what, got);
  if (typeof t !== 'object' || t === null || t.format !== 'nvfp4') throw bad("format must be 'nvfp4'", describe(t?.format));
  if (!Array.isArray(t.shape) || t.shape.length === 0 || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw bad('shape must be a non-empty array of non-negative integers', describe(t.shape));
  if (!Number.isInteger(t.axis) || t.axis < 0 || t.axis >= t.shape.length) throw bad('axis out of range', t.axis);
  if (t.blockSize !== K) throw bad('blockSize must be 16', t.blockSize);
  if (t.tensorScale !== null && !(typeof t.tensorScale === 'number' && t.tensorScale > 0 && Number.isFinite(t.tensorScale)))
    throw bad('tensorScale must be null or a finite number > 0', t.tensorScale);
  const g = layoutOf(t.shape, t.axis, K);
  if (!(t.blockScales instanceof Uint8Array) || t.blockScales.length !== g.rows * g.nBlocks)
    throw bad(`blockScales must be a Uint8Array of ${g.rows * g.nBlocks} bytes`, describe(t.blockScales));
  for (let i = 0; i < t.blockScales.length; i++)
    if (t.blockScales[i] & 0x80 || t.blockScales[i] < 0x08)
      throw bad('block scales must be positive E4M3 codes in [2^-6, 448] or 0x7F', `blockScales[${i}] = ${t.blockScales[i]}`);
  if (!(t.data instanceof Uint8Array) || t.data.length !== fp4Bytes(g.rows * g.nBlocks * K))
    throw bad(`data must be a Uint8Array of ${fp4Bytes(g.rows * g.nBlocks * K)} bytes`, describe(t.data));
}

/**
 * Dequantizes an NVFP4Tensor to a host Float32Array in its original shape: value(code)·s_b·s_t rounded once to
 * float32; a 0x7F block scale makes the block NaN.
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not valid.
 * @example
 * ```ts
 * import { quantizeNVFP4Array, dequantizeNVFP4Array } from '@tessera/mx-formats';
 * dequantizeNVFP4Array(quantizeNVFP4Array(new Float32Array([6, 3, -1.5, 0.25]), [4])); // [6, 3, -1.5, 0]
 * ```
 */
export function dequantizeNVFP4Array(t: NVFP4Tensor): Float32Array {
  validateNVFP4(t);
  const g = layoutOf(t.shape, t.axis, K);
  if (g.numel === 0) return new Float32Array(0);
  const st = t.tensorScale ?? 1;
  const out = new Float32Array(g.numel);
  const table = FP4_E2M1_F64;
  const data = t.data;
  const words = LITTLE_ENDIAN && (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  const { rows, L, nBlocks } = g;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nBlocks; b++) {
      const start = r * L + b * K;
      const end = Math.min(start + K, r * L + L);
      const ob = (r * nBlocks + b) * K - start;
      const sc = t.blockScales[r * nBlocks + b];
      if (sc === 0x7f) {
        out.fill(Number.NaN, start, end);
        continue;
      }
      const s = FP8_E4M3.decodeTable[sc] * st; // exact in float64
      // the block starts at an even code index (16·block): two codes per byte, low nibble first; eight codes per
      // 32-bit word where the data is word-aligned (little-endian)
      let i = start;
      let j = (start + ob) >> 1;
      if (words !== null && (j & 3) === 0) {
        for (; i + 7 < end; i += 8, j += 4) {
          const w = words[j >> 2];
          out[i] = table[w & 0xf] * s;
          out[i + 1] = table[(w >>> 4) & 0xf] * s;
          out[i + 2] = table[(w >>> 8) & 0xf] * s;
          out[i + 3] = table[(w >>> 12) & 0xf] * s;
          out[i + 4] = table[(w >>> 16) & 0xf] * s;
          out[i + 5] = table[(w >>> 20) & 0xf] * s;
          out[i + 6] = table[(w >>> 24) & 0xf] * s;
          out[i + 7] = table[w >>> 28] * s;
        }
      }
      for (; i + 1 < end; i += 2, j++) {
        const byte = data[j];
        out[i] = table[byte & 0xf] * s;
        out[i + 1] = table[byte >> 4] * s;
      }
      if (i < end) out[i] = table[data[j] & 0xf] * s;
    }
  }
  return moveAxisBack(out, g);
}

/**
 * Dequantizes an NVFP4Tensor to a new float32 tensor (owned by the caller).
 *
 * @throws TesseraError `INVALID_FORMAT` when `t` is not valid.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { quantizeNVFP4, dequantizeNVFP4 } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.randomNormal([4, 64]);
 * const y = dequantizeNVFP4(quantizeNVFP4(x, { tensorScale: 'auto' }));
 * tf.dispose([x, y]);
 * ```
 */
export function dequantizeNVFP4(t: NVFP4Tensor): tf.Tensor {
  return tf.tensor(dequantizeNVFP4Array(t), [...t.shape], 'float32');
}

/**
 * NVFP4 fake quantization with a straight-through gradient: forward = dequantizeNVFP4(quantizeNVFP4(x, o)) (host
 * kernel, read with `dataSync`), backward = identity.
 *
 * @throws TesseraError as {@link quantizeNVFP4}.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { fakeQuantizeNVFP4 } from '@tessera/mx-formats';
 * import { initBackend } from '@tessera/core';
 * await initBackend();
 * const x = tf.randomNormal([2, 32]);
 * const y = fakeQuantizeNVFP4(x, { tensorScale: 'auto' });
 * tf.dispose([x, y]);
 * ```
 */
export function fakeQuantizeNVFP4(x: tf.Tensor, options: NVFP4Options = {}): tf.Tensor {
  const fn = 'fakeQuantizeNVFP4';
  checkTensor(x, fn, 'x', { dtype: 'float32' });
  const o = resolve(x, options, fn);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xx = args[0] as tf.Tensor;
    const t = quantizeNVFP4Host(xx.dataSync() as Float32Array, xx.shape, o);
    return { value: tf.tensor(dequantizeNVFP4Array(t), xx.shape, 'float32'), gradFunc: (dy: tf.Tensor) => dy };
  });
  return f(x) as tf.Tensor;
}
