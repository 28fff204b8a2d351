import { describe, TesseraError } from '@tessera/core';
import {
  dequantizeMXArray,
  dequantizeNVFP4Array,
  type ElementCodec,
  type MXOptions,
  type NVFP4Options,
  quantizeMXArray,
  quantizeNVFP4Array,
} from '@tessera/mx-formats';
import { type BDRFormat, bitsPerElement, checkFormat } from './format.js';
import { fakeQuantizeRows } from './kernels/bdr-kernel.js';
import { type BDROptions, resolveBDROptions } from './options.js';

/**
 * A 1-D fake quantizer for design-space comparisons: blocks run along the array. `bitsPerElement` is the storage
 * cost per element (per-tensor scales, 32 bits per tensor, are not counted). `format` is set for BDR quantizers.
 *
 * @example
 * ```ts
 * import { type Quantizer, sweep } from '@tessera/bdr-formats';
 * // any rounding scheme can join a sweep: here, round to a multiple of 1/8 (4 fractional bits + sign + range)
 * const grid8: Quantizer = { name: 'grid 1/8', bitsPerElement: 8, fakeQuantize: (v) => v.map((x) => Math.round(x * 8) / 8) };
 * sweep([grid8], new Float32Array([0.5, 1, 1.5]))[0].qsnr; // → Infinity
 * ```
 */
export interface Quantizer {
  readonly name: string;
  readonly bitsPerElement: number;
  readonly format?: BDRFormat;
  /** Quantize→dequantize of a 1-D array; returns a new array and leaves `values` unchanged. */
  fakeQuantize(values: Float32Array): Float32Array;
}

function checkValues(v: unknown, fn: string): Float32Array {
  if (!(v instanceof Float32Array)) throw new TesseraError('INVALID_DTYPE', fn, 'values must be a Float32Array', describe(v));
  return v;
}

/**
 * A {@link Quantizer} for a BDR format (host kernel, same values as {@link fakeQuantizeBDR} along a 1-D array). The
 * name is the format's, with the clamp and rounding appended when they are not the defaults.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for an invalid format or option.
 * @example
 * ```ts
 * import { BDR_MX6, bdrQuantizer } from '@tessera/bdr-formats';
 * const q = bdrQuantizer(BDR_MX6);
 * Array.from(q.fakeQuantize(new Float32Array([1, 0.25, 3, -0.5]))); // → [1, 0.25, 3, -0.5]
 * ```
 */
export function bdrQuantizer(f: BDRFormat, options?: BDROptions): Quantizer {
  const fn = 'bdrQuantizer';
  const fmt = checkFormat(f, fn);
  const o = resolveBDROptions(options, 1, fn);
  const extras = [o.clamp !== 'field' ? `clamp ${o.clamp}` : '', o.rounding !== 'even' ? o.rounding : ''].filter(Boolean);
  return Object.freeze({
    name: extras.length ? `${fmt.name} (${extras.join(', ')})` : fmt.name,
    bitsPerElement: bitsPerElement(fmt),
    format: fmt,
    fakeQuantize(values: Float32Array): Float32Array {
      const v = checkValues(values, `${fn}.fakeQuantize`);
      const out = new Float32Array(v.length);
      fakeQuantizeRows(v, 1, v.length, fmt, o, out);
      return out;
    },
  });
}

const MX_ELEMENT_BITS: Record<string, number> = {
  mxfp8_e4m3: 8,
  mxfp8_e5m2: 8,
  mxfp6_e3m2: 6,
  mxfp6_e2m3: 6,
  mxfp4_e2m1: 4,
  mxfp4: 4,
  mxint8: 8,
};

/**
 * A {@link Quantizer} for an OCP MX format (wraps `@tessera/mx-formats` `quantizeMXArray` → `dequantizeMXArray`).
 * Cost: element bits + 8/blockSize (E8M0 scale). Name: the format in capitals, plus the scale mode when not FLOOR.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for an unknown format or invalid option (validated by mx-formats).
 * @example
 * ```ts
 * import { mxQuantizer } from '@tessera/bdr-formats';
 * const q = mxQuantizer({ format: 'mxfp4_e2m1' });
 * q.bitsPerElement;                                          // → 4.25
 * Array.from(q.fakeQuantize(new Float32Array([7, 1, 0.3]))); // → [6, 1, 0.5]
 * ```
 */
export function mxQuantizer(o: Omit<MXOptions, 'axis'>): Quantizer {
  const fn = 'mxQuantizer';
  if (typeof o !== 'object' || o === null || !Object.hasOwn(MX_ELEMENT_BITS, o.format as string))
    throw new TesseraError('INVALID_ARGUMENT', fn, `format must be one of ${Object.keys(MX_ELEMENT_BITS).join(', ')}`, describe(o?.format));
  const opts: MXOptions = { ...o, axis: -1 };
  quantizeMXArray(new Float32Array(1), [1], opts); // validates every option now
  const k = o.blockSize ?? 32;
  const mode = o.scaleMode ?? 'floor';
  const name = `${String(o.format === 'mxfp4' ? 'mxfp4_e2m1' : o.format).toUpperCase()}${mode === 'floor' ? '' : ` ${mode}`}${k === 32 ? '' : ` k=${k}`}`;
  return Object.freeze({
    name,
    bitsPerElement: MX_ELEMENT_BITS[o.format] + 8 / k,
    fakeQuantize(values: Float32Array): Float32Array {
      const v = checkValues(values, `${fn}.fakeQuantize`);
      return dequantizeMXArray(quantizeMXArray(v, [v.length], opts));
    },
  });
}

/**
 * A {@link Quantizer} for NVFP4 (wraps `@tessera/mx-formats` `quantizeNVFP4Array` → `dequantizeNVFP4Array`): FP4
 * E2M1 elements, block 16, E4M3 block scales; 4.5 bits/element (the two-level per-tensor FP32 scale is not counted).
 *
 * @throws TesseraError `INVALID_ARGUMENT` for invalid options (validated by mx-formats).
 * @example
 * ```ts
 * import { nvfp4Quantizer } from '@tessera/bdr-formats';
 * const q = nvfp4Quantizer({ tensorScale: 'none' });
 * Array.from(q.fakeQuantize(new Float32Array([6, 3, -1.5, 0.25]))); // → [6, 3, -1.5, 0]
 * ```
 */
export function nvfp4Quantizer(o: Omit<NVFP4Options, 'axis'> = {}): Quantizer {
  const fn = 'nvfp4Quantizer';
  if (typeof o !== 'object' || o === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', describe(o));
  const opts: NVFP4Options = { ...o, axis: -1 };
  quantizeNVFP4Array(new Float32Array(1), [1], opts);
  return Object.freeze({
    name: o.tensorScale === 'none' ? 'NVFP4 single-level' : 'NVFP4',
    bitsPerElement: 4.5,
    fakeQuantize(values: Float32Array): Float32Array {
      const v = checkValues(values, `${fn}.fakeQuantize`);
      return dequantizeNVFP4Array(quantizeNVFP4Array(v, [v.length], opts));
    },
  });
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** ⌊log2 v⌋ of a positive normal float64, from its exponent field. */
function floorLog2Normal(v: number): number {
  F64[0] = v;
  return ((U32[HI] >>> 20) & 0x7ff) - 1023;
}

/**
 * A per-tensor {@link Quantizer} for an element codec: one scale s = amax/maxNormal (float64) for the whole array,
 * each x/s rounded to the codec's grid (RNE, subnormals kept, saturating at ±maxNormal), times s, rounded to float32.
 * Cost: the codec's bits (the 32-bit scale is not counted). An all-zero array is returned unchanged.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when `codec` is not an element codec of `@tessera/mx-formats`.
 * @example
 * ```ts
 * import { FP8_E4M3 } from '@tessera/mx-formats';
 * import { perTensorQuantizer } from '@tessera/bdr-formats';
 * const q = perTensorQuantizer(FP8_E4M3);
 * Array.from(q.fakeQuantize(new Float32Array([448, 400, -1]))); // → [448, 384, -1]
 * ```
 */
export function perTensorQuantizer(codec: ElementCodec): Quantizer {
  const fn = 'perTensorQuantizer';
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof codec.maxNormal !== 'number' ||
    typeof codec.mantissaBits !== 'number' ||
    typeof codec.emin !== 'number'
  )
    throw new TesseraError('INVALID_ARGUMENT', fn, 'codec must be an ElementCodec of @tessera/mx-formats', describe(codec));
  const M = codec.mantissaBits;
  const emin = codec.emin;
  const maxN = codec.maxNormal;
  return Object.freeze({
    name: `${codec.name.toUpperCase()} per-tensor`,
    bitsPerElement: codec.bits,
    fakeQuantize(values: Float32Array): Float32Array {
      const v = checkValues(values, `${fn}.fakeQuantize`);
      const out = new Float32Array(v.length);
      let amax = 0;
      for (let i = 0; i < v.length; i++) {
        const a = Math.abs(v[i]);
        if (a > amax && a !== Number.POSITIVE_INFINITY) amax = a;
      }
      if (amax === 0) {
        out.set(v);
        return out;
      }
      const s = amax / maxN;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (Number.isNaN(x)) {
          out[i] = Number.NaN;
          continue;
        }
        const a = Math.abs(x) / s;
        let mag: number;
        if (a >= maxN) mag = maxN;
        else if (a === 0) mag = 0;
        else {
          let e = floorLog2Normal(a);
          if (e < emin) e = emin;
          const step = 2 ** (e - M);
          const y = a / step;
          let r = Math.floor(y);
          const frac = y - r;
          if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r += 1;
          mag = r * step;
          if (mag > maxN) mag = maxN;
        }
        out[i] = x < 0 || Object.is(x, -0) ? -(mag * s) : mag * s;
      }
      return out;
    },
  });
}
