import type { Tensor } from '@tensorflow/tfjs-core';
import type { RawTensor, SafetensorsContents } from './safetensors.js';

/**
 * What every encoded-tensor object exposes (MXTensor, Sparse24Tensor, BDR blocks …): a format name, the logical
 * shape of the decoded tensor, and the bytes it occupies in host memory.
 *
 * @example
 * ```ts
 * import type { EncodedTensor } from '@tessera/core';
 * const describe = (e: EncodedTensor) => `${e.format} [${e.shape.join('x')}] ${e.byteLength} B`;
 * ```
 */
export interface EncodedTensor {
  /** Format name, e.g. `'mxfp8_e4m3'` or `'sparse24_cutlass'`. */
  readonly format: string;
  /** Shape of the tensor this decodes to. */
  readonly shape: readonly number[];
  /** Bytes of encoded payload (data + scales + metadata), excluding object overhead. */
  readonly byteLength: number;
}

/**
 * The contract a tensor format implements (torchao style: a dtype × packing with `from high precision` /
 * `dequantize`): encode from a tf tensor into host bytes, decode back, validate, and (de)serialise with
 * safetensors names a PyTorch user recognises.
 *
 * @example
 * ```ts
 * import type { EncodedTensor, TensorFormat } from '@tessera/core';
 * function roundTrip<E extends EncodedTensor>(fmt: TensorFormat<E>, x: import('@tensorflow/tfjs-core').Tensor) {
 *   const e = fmt.encode(x);
 *   fmt.validate(e);
 *   return fmt.decode(fmt.fromSafetensors(fmt.toSafetensors(e)));
 * }
 * ```
 */
export interface TensorFormat<E extends EncodedTensor, O = Record<string, unknown>> {
  /** Format family name. */
  readonly name: string;
  /** Encodes a float tensor (not disposed). */
  encode(x: Tensor, options?: O): E;
  /** Decodes to a new float32 tensor owned by the caller. */
  decode(e: E): Tensor;
  /** Throws `TesseraError` (`INVALID_FORMAT`) if the object breaks an invariant. */
  validate(e: E): void;
  /** safetensors tensors + metadata for this object. */
  toSafetensors(e: E): SafetensorsContents<RawTensor>;
  /** Rebuilds and validates an object from safetensors contents (`CORRUPT_DATA` on mismatch). */
  fromSafetensors(contents: SafetensorsContents<RawTensor>): E;
}
