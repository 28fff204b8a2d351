export type { Accelerator } from './accelerators.js';
export { accelerator, registerAccelerator } from './accelerators.js';
export type { AxisLayout } from './axis-layout.js';
export { axisLayout, moveAxisBack, moveAxisLast } from './axis-layout.js';
export type { BackendInfo, BackendName, InitBackendOptions } from './backend.js';
export { initBackend } from './backend.js';
export {
  bf16BitsToF32Bits,
  bfloat16BitsToFloat32,
  bitsToF32,
  bitsView,
  f16BitsToF32Bits,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  f32ToBits,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  floorLog2,
  floorLog2Bits,
} from './bits.js';
export type { TesseraErrorCode, TesseraErrorDetails } from './errors.js';
export { DESCRIBE_MAX_DEPTH, DESCRIBE_MAX_LENGTH, describe, TESSERA_ERROR_CODES, TesseraError } from './errors.js';
export { registerAllGradients } from './gradients.js';
export { canReadSync, readSync } from './host-read.js';
export { sqnrDb } from './metrics.js';
export type { Rng } from './rng.js';
export { rng } from './rng.js';
export type { RawTensor, SafetensorsArrayTypes, SafetensorsContents, SafetensorsDtype, SaveSafetensorsOptions } from './safetensors.js';
export {
  loadSafetensors,
  parseSafetensors,
  rawToTensor,
  saveSafetensors,
  serializeSafetensors,
} from './safetensors.js';
export type { EncodedTensor, TensorFormat } from './tensor-format.js';
export type { IntegerArrayRequirement, ShapeRequirement, TensorRequirement } from './validate.js';
export {
  checkBoolean,
  checkFiniteNumber,
  checkInteger,
  checkIntegerArray,
  checkOneOf,
  checkOptions,
  checkShape,
  checkSize,
  checkStringArray,
  checkTensor,
  MAX_ARRAY_LENGTH,
  MAX_RANK,
} from './validate.js';
