import { checkInteger, checkOneOf, checkSize, describe, TesseraError } from '@tessera/core';
import {
  type CanonicalRounding,
  canonicalRounding,
  ELEMENT_CODECS,
  type ElementCodec,
  type RandomSource,
  type Rounding,
} from './elements.js';
import { SCALE_MODES, type ScaleMode } from './scale.js';

/** MX formats (the issue's names; `'mxfp4'` is accepted as an alias of `'mxfp4_e2m1'`). */
export type MXFormat = 'mxfp8_e4m3' | 'mxfp8_e5m2' | 'mxfp6_e3m2' | 'mxfp6_e2m3' | 'mxfp4_e2m1' | 'mxint8';

/**
 * Every MX format, in a stable order.
 *
 * @example
 * ```ts
 * import { MX_FORMATS } from '@tessera/mx-formats';
 * MX_FORMATS.includes('mxfp6_e2m3'); // → true
 * ```
 */
export const MX_FORMATS: readonly MXFormat[] = Object.freeze([
  'mxfp8_e4m3',
  'mxfp8_e5m2',
  'mxfp6_e3m2',
  'mxfp6_e2m3',
  'mxfp4_e2m1',
  'mxint8',
] as const);

const FORMAT_ELEMENT: Record<MXFormat, ElementCodec> = {
  mxfp8_e4m3: ELEMENT_CODECS.fp8_e4m3,
  mxfp8_e5m2: ELEMENT_CODECS.fp8_e5m2,
  mxfp6_e3m2: ELEMENT_CODECS.fp6_e3m2,
  mxfp6_e2m3: ELEMENT_CODECS.fp6_e2m3,
  mxfp4_e2m1: ELEMENT_CODECS.fp4_e2m1,
  mxint8: ELEMENT_CODECS.int8,
};

/** The element codec of an MX format. */
export function elementOf(format: MXFormat): ElementCodec {
  return FORMAT_ELEMENT[format];
}

/**
 * Largest MX `blockSize` accepted (2^16). The OCP MX v1.0 formats use 32; microxcaling and BDR explore 8–256. The
 * bound keeps the per-call scratch (one block) and the padding of a partial block proportional to the input.
 *
 * @example
 * ```ts
 * import { MX_MAX_BLOCK_SIZE } from '@tessera/mx-formats';
 * MX_MAX_BLOCK_SIZE; // → 65536
 * ```
 */
export const MX_MAX_BLOCK_SIZE = 65536;

/**
 * Bound on the padded code count of an MX layout: `rows × nBlocks × blockSize` may be at most
 * `MX_MAX_PADDING_FACTOR × size + 2^20`, so zero-padding a short blocked axis to a large block cannot make a call
 * allocate more than 32 times its input (plus 1 Mi codes). Every blockSize <= 32 always passes.
 *
 * @example
 * ```ts
 * import { MX_MAX_PADDING_FACTOR } from '@tessera/mx-formats';
 * MX_MAX_PADDING_FACTOR; // → 32
 * ```
 */
export const MX_MAX_PADDING_FACTOR = 32;

/**
 * Throws `INVALID_ARGUMENT` when padding the blocked axis of `shape` to whole blocks would need more codes than
 * {@link MX_MAX_PADDING_FACTOR} allows. O(rank). @internal
 */
export function checkMXPadding(shape: readonly number[], axis: number, blockSize: number, fn: string): void {
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) return;
  const L = shape[axis];
  const padded = (size / L) * Math.ceil(L / blockSize) * blockSize;
  const limit = MX_MAX_PADDING_FACTOR * size + 2 ** 20;
  if (padded > limit)
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      `blockSize ${blockSize} pads axis ${axis} (length ${L}) to ${padded} codes; at most ${MX_MAX_PADDING_FACTOR} × size + 2^20 = ${limit} are allowed`,
      `shape [${shape.join(', ')}]`,
    );
}

/** Options of `quantizeMX` and `fakeQuantizeMX`. */
export interface MXOptions {
  readonly format: MXFormat | 'mxfp4';
  /** Elements per block, default 32 (OCP). An integer in [1, {@link MX_MAX_BLOCK_SIZE}]. */
  readonly blockSize?: number;
  /** The blocked axis, default −1 (negative counts from the end). */
  readonly axis?: number;
  /** Default `'floor'` (OCP §6.3). */
  readonly scaleMode?: ScaleMode;
  /** Default `'even'`. */
  readonly rounding?: Rounding;
  /** Uniform [0, 1) source, required iff `rounding` is `'stochastic'`. */
  readonly random?: RandomSource;
  /** `'zero'` (default) pads a partial last block with zeros; `'error'` throws (torchao parity). */
  readonly padding?: 'zero' | 'error';
  /** FP32-subnormal inputs: `'keep'` (default), `'flush-elements'`, `'flush-block'`. */
  readonly subnormals?: 'keep' | 'flush-elements' | 'flush-block';
  /** `'bfloat16'` first rounds the inputs to bf16 (RNE), as torchao does for bf16 tensors. Default `'float32'`. */
  readonly inputPrecision?: 'float32' | 'bfloat16';
  /** `'exact'` (default) reads exponents from bits; `'float32-log2'` emulates microxcaling's float log2. */
  readonly scaleExponent?: 'exact' | 'float32-log2';
  /** FP6 storage: `'packed'` (default, 4 values in 3 bytes) or `'unpacked'` (one per byte, as torchao). */
  readonly fp6Packing?: 'packed' | 'unpacked';
  /** Shorthand: `unpacked: true` is `fp6Packing: 'unpacked'` (FP6 one code per byte; no effect on other formats). */
  readonly unpacked?: boolean;
}

/** Validated options with defaults applied. @internal */
export interface ResolvedMXOptions {
  format: MXFormat;
  element: ElementCodec;
  blockSize: number;
  axis: number;
  scaleMode: ScaleMode;
  rounding: CanonicalRounding;
  random: RandomSource | undefined;
  padding: 'zero' | 'error';
  subnormals: 'keep' | 'flush-elements' | 'flush-block';
  inputPrecision: 'float32' | 'bfloat16';
  scaleExponent: 'exact' | 'float32-log2';
  fp6Packing: 'packed' | 'unpacked';
}

/** Normalises an MX format name (accepting the `'mxfp4'` alias). @internal */
export function canonicalFormat(f: unknown, fn: string): MXFormat {
  if (f === 'mxfp4') return 'mxfp4_e2m1';
  if (typeof f === 'string' && (MX_FORMATS as readonly string[]).includes(f)) return f as MXFormat;
  throw new TesseraError('INVALID_ARGUMENT', fn, `format must be one of ${MX_FORMATS.map((n) => `'${n}'`).join(', ')}`, describe(f));
}

/** Validates options against a tensor of the given rank. @internal */
export function resolveMXOptions(o: unknown, rank: number, fn: string): ResolvedMXOptions {
  if (typeof o !== 'object' || o === null)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object with a format', describe(o));
  const opts = o as MXOptions;
  const format = canonicalFormat(opts.format, fn);
  const blockSize = checkSize(opts.blockSize ?? 32, fn, 'blockSize', { min: 1, max: MX_MAX_BLOCK_SIZE });
  const rawAxis = checkInteger(opts.axis ?? -1, fn, 'axis');
  if (rank === 0) throw new TesseraError('INVALID_SHAPE', fn, 'x must have rank >= 1', 'a scalar');
  if (rawAxis < -rank || rawAxis >= rank)
    throw new TesseraError('INVALID_ARGUMENT', fn, `axis must be in [${-rank}, ${rank - 1}] for rank ${rank}`, rawAxis);
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
  const scaleMode = checkOneOf(opts.scaleMode ?? 'floor', fn, 'scaleMode', SCALE_MODES);
  const rounding = canonicalRounding(opts.rounding ?? 'even', fn);
  if (rounding === 'stochastic' && typeof opts.random !== 'function')
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      "rounding 'stochastic' needs a random source () => number in [0, 1)",
      describe(opts.random),
    );
  const padding = checkOneOf(opts.padding ?? 'zero', fn, 'padding', ['zero', 'error'] as const);
  const subnormals = checkOneOf(opts.subnormals ?? 'keep', fn, 'subnormals', ['keep', 'flush-elements', 'flush-block'] as const);
  const inputPrecision = checkOneOf(opts.inputPrecision ?? 'float32', fn, 'inputPrecision', ['float32', 'bfloat16'] as const);
  const scaleExponent = checkOneOf(opts.scaleExponent ?? 'exact', fn, 'scaleExponent', ['exact', 'float32-log2'] as const);
  if (scaleExponent === 'float32-log2' && scaleMode !== 'floor')
    throw new TesseraError('INVALID_ARGUMENT', fn, "scaleExponent 'float32-log2' applies to scaleMode 'floor' only", scaleMode);
  if (opts.unpacked !== undefined && typeof opts.unpacked !== 'boolean')
    throw new TesseraError('INVALID_ARGUMENT', fn, 'unpacked must be a boolean', describe(opts.unpacked));
  const fp6Packing = checkOneOf(opts.fp6Packing ?? (opts.unpacked ? 'unpacked' : 'packed'), fn, 'fp6Packing', [
    'packed',
    'unpacked',
  ] as const);
  if (opts.unpacked !== undefined && opts.fp6Packing !== undefined && (opts.fp6Packing === 'unpacked') !== opts.unpacked)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'unpacked and fp6Packing disagree', `${opts.unpacked}, '${opts.fp6Packing}'`);
  return {
    format,
    element: FORMAT_ELEMENT[format],
    blockSize,
    axis,
    scaleMode,
    rounding,
    random: opts.random,
    padding,
    subnormals,
    inputPrecision,
    scaleExponent,
    fp6Packing,
  };
}

/**
 * Option presets that reproduce a reference; spread them into the options with a format:
 * `quantizeMX(x, { ...MX_PRESETS.torchaoRceil, format: 'mxfp8_e4m3' })`.
 *
 * - `ocp`: the defaults (floor, round half to even, exact exponents, zero padding).
 * - `torchaoFloor` / `torchaoRceil`: byte parity with torchao (`padding: 'error'`, FP6 unpacked). Add
 *   `inputPrecision: 'bfloat16'` for bf16 tensors.
 * - `microxcaling`: value parity with microxcaling's PyTorch path (ties-away, float32 log2 exponents). Set
 *   `blockSize` explicitly: microxcaling's `block_size = 0` means one block per axis.
 * - `microxcalingCpp`: its `custom_cuda=True` path (exact exponents).
 *
 * @example
 * ```ts
 * import { MX_PRESETS } from '@tessera/mx-formats';
 * const opts = { ...MX_PRESETS.torchaoRceil, format: 'mxfp8_e4m3' as const };
 * ```
 */
export const MX_PRESETS = Object.freeze({
  ocp: Object.freeze({ scaleMode: 'floor', rounding: 'even', scaleExponent: 'exact', padding: 'zero', subnormals: 'keep' }),
  torchaoFloor: Object.freeze({ scaleMode: 'floor', rounding: 'even', scaleExponent: 'exact', padding: 'error', fp6Packing: 'unpacked' }),
  torchaoRceil: Object.freeze({ scaleMode: 'rceil', rounding: 'even', scaleExponent: 'exact', padding: 'error', fp6Packing: 'unpacked' }),
  microxcaling: Object.freeze({ scaleMode: 'floor', rounding: 'nearest', scaleExponent: 'float32-log2', padding: 'zero' }),
  microxcalingCpp: Object.freeze({ scaleMode: 'floor', rounding: 'nearest', scaleExponent: 'exact', padding: 'zero' }),
} as const) satisfies Readonly<Record<string, Partial<MXOptions>>>;
