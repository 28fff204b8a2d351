export { sqnrDb } from '@tessera/core';
export type { Float32ArbOptions, Float32TensorData, ShapeArbOptions } from './arbitraries.js';
export { float32Arb, float32ArrayArb, float32TensorArb, shapeArb } from './arbitraries.js';
export type { BenchReport, BenchRow, Timing } from './bench.js';
export { machineLine, timeIt, writeBenchReport } from './bench.js';
export { expectBitsEqual, expectSqnrAtLeast, expectUlpClose, firstBitMismatch, maxUlpDistance, ulpDistance } from './compare.js';
export type { FuzzFailure, FuzzLoaderOptions, FuzzOptions, FuzzReport } from './fuzz.js';
export {
  collectTensors,
  fuzzFailures,
  fuzzLoader,
  fuzzPublicFunction,
  fuzzSummary,
  genericArgsArb,
  hostileSafetensorsFiles,
  invokeExport,
  isClass,
  isTesseraError,
  runFuzzCase,
  uncoveredExports,
} from './fuzz.js';
export type { LazyValue, TensorSpec, TensorSpecArbOptions } from './fuzz-arbitraries.js';
export {
  edgeNumberArb,
  HostileValueError,
  hostileConstants,
  hostileValueArb,
  intArrayArb,
  isLazyValue,
  isTensorSpec,
  lazyValue,
  orHostile,
  tensorSpec,
  tensorSpecArb,
} from './fuzz-arbitraries.js';
export { expectNoLeaks } from './leaks.js';
export type { NoSyncLog, NoSyncSession } from './no-sync-backend.js';
export { canSimulateWebGPU, onCpuBackend, onNoSyncBackend, useNoSyncBackend } from './no-sync-backend.js';
export type { NaiveAttentionDims } from './reference/attention-window.js';
export { inAttentionWindow } from './reference/attention-window.js';
export type { NaiveDotOptions } from './reference/dot-product-attention.js';
export { naiveDotAttention, naiveDotAttentionBackward } from './reference/dot-product-attention.js';
export type { NaiveSimplicialInputs, NaiveSimplicialOptions } from './reference/simplicial-attention.js';
export {
  naiveSimplicialBackward,
  naiveSimplicialForward,
  naiveSimplicialLogit,
} from './reference/simplicial-attention.js';
export { expectTensorBitsEqual, expectTensorClose, expectTensorUlpClose, tensorValues } from './tensor-compare.js';
