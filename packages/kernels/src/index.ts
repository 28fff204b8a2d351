// @tessera/kernels: WebAssembly SIMD kernels for tessera's hot host loops, each with a JavaScript fallback of the
// same signature.
export type { KernelArray } from './alloc.js';
export { alloc } from './alloc.js';
export type { BDRRounding } from './bdr.js';
export { BDR_ROUNDINGS, bdrDequantize, bdrQuantize } from './bdr.js';
export { MAX_ELEMENTS } from './call.js';
export { DEDUP_MAX_BATCH, dedupBags } from './dedup.js';
export { embeddingBagBackward, embeddingBagForward, indexAddRows, indexSelectRows } from './embedding-bag.js';
export type { FusedOptimizer } from './embedding-bag-fused.js';
export { embeddingBagBackwardFused, FUSED_OPTIMIZERS } from './embedding-bag-fused.js';
export { gemm, mask24Compress, sddmm24, spmm24, spmm24T } from './matmul.js';
export type { MXKernelPacking, MXRounding, MXScaleMode } from './mx.js';
export {
  MX_FLAG_BFLOAT16,
  MX_FLAG_FLUSH_BLOCK,
  MX_FLAG_FLUSH_ELEMENTS,
  MX_PACKINGS,
  MX_ROUNDINGS,
  MX_SCALE_MODES,
  mxDequantize,
  mxQuantize,
  nvfp4Dequantize,
  nvfp4Quantize,
} from './mx.js';
export type { KernelBackend } from './runtime.js';
export { initKernels, kernelBackend, setKernelBackend } from './runtime.js';
export type { SimplicialKernelVariant } from './simplicial.js';
export {
  dotAttentionBackward,
  dotAttentionForward,
  SIMPLICIAL_KERNEL_VARIANTS,
  simplicialBackward,
  simplicialForward,
} from './simplicial.js';
export { initKernelThreads, kernelThreads } from './simplicial-threads.js';
export type { MXElementFormat } from './tables.js';
export { MX_ELEMENT_FORMATS } from './tables.js';
