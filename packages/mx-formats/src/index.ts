// @tessera/mx-formats — OCP Microscaling v1.0 element codecs, MX block quantization, fake quantization, MX matmul
// and NVFP4. The public API, and nothing else.
export type { E8M0CastBehaviour } from './e8m0.js';
export { E8M0 } from './e8m0.js';
export type { ElementCodec, ElementFormat, EncodeOptions, RandomSource, Rounding } from './elements.js';
export { ELEMENT_CODECS, FP4_E2M1, FP6_E2M3, FP6_E3M2, FP8_E4M3, FP8_E5M2, INT8_MX } from './elements.js';
export type { FakeQuantizeMXOptions, FakeQuantKernel } from './fake-quant.js';
export { fakeQuantizeMX } from './fake-quant.js';
export type { MXPacking } from './kernels/index.js';
export type { MXBackwardCasts, MXCast, MXLinearOptions, MXMatMulOptions } from './matmul.js';
export { mxLinear, mxMatMul } from './matmul.js';
export { loadMX, mxFromSafetensors, mxToSafetensors, saveMX } from './mx-safetensors.js';
export type { MXTensor } from './mx-tensor.js';
export {
  dequantizeMX,
  dequantizeMXArray,
  isMXTensor,
  quantizeMX,
  quantizeMXArray,
  quantizeMXAsync,
  validateMX,
} from './mx-tensor.js';
export type { NVFP4Options, NVFP4Tensor } from './nvfp4.js';
export {
  dequantizeNVFP4,
  dequantizeNVFP4Array,
  fakeQuantizeNVFP4,
  quantizeNVFP4,
  quantizeNVFP4Array,
  validateNVFP4,
} from './nvfp4.js';
export type { MXFormat, MXOptions } from './options.js';
export { MX_FORMATS, MX_MAX_BLOCK_SIZE, MX_MAX_PADDING_FACTOR, MX_PRESETS } from './options.js';
export { packFP4, packFP6, unpackFP4, unpackFP6 } from './packing.js';
export type { ScaleMode } from './scale.js';
export { SCALE_MODES, scaleByte } from './scale.js';
