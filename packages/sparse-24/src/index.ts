export type { Compress24Options, DenseMatrix, Sparse24Prune } from './compress.js';
export { compress24, decompress24, decompress24Raw } from './compress.js';
export type {
  Ffn24Gradient,
  FfnContext,
  FfnGrads,
  FfnKernel,
  FfnSparsityStats,
  SquaredReluFFN24Options,
  TokenSplitOptions,
} from './ffn.js';
export { SquaredReluFFN24 } from './ffn.js';
export type { Sparse24SafetensorsOptions } from './io.js';
export { loadSparse24, saveSparse24, sparse24FromSafetensors, sparse24ToSafetensors } from './io.js';
export {
  gemmHostUnchecked,
  sddmmHostUnchecked,
  spmmHostUnchecked,
  spmmTHostUnchecked,
  transposeHostUnchecked,
} from './kernels/index.js';
export type { Mask24Options, MaskRanking } from './mask.js';
export { isSparse24, mask24, mask24HostUnchecked } from './mask.js';
export type { Sparse24Dtype, Sparse24Layout, Sparse24Tensor, Sparse24ValueArrays } from './sparse24-tensor.js';
export { CUTLASS_MIN_SHAPE, validateSparse24 } from './sparse24-tensor.js';
export type { Spmm24Options } from './spmm.js';
export { sparseLinear, spmm24, spmm24T } from './spmm.js';
export type { Mask24TransposableOptions } from './transposable.js';
export { mask24Transposable, mask24TransposableHostUnchecked } from './transposable.js';
