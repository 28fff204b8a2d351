// @tessera/webgpu — WGSL kernels for tessera's hot paths, registered with tfjs-backend-webgpu as custom programs.
// The public API, and nothing else.

export { registerWebGPUKernels } from './accelerators.js';
export type { WebGPUBDROptions } from './bdr-fake-quant.js';
export { BDR_FAKE_QUANTIZE_KERNEL, fakeQuantizeBDRWebGPU } from './bdr-fake-quant.js';
export type { WebGPUEmbeddingBagOptions } from './embedding-bag.js';
export { embeddingBagWebGPU } from './embedding-bag.js';
export type { MXFormatName, WebGPUMXOptions } from './mx-fake-quant.js';
export { fakeQuantizeMXWebGPU, MX_FAKE_QUANTIZE_KERNEL } from './mx-fake-quant.js';
export type { MXWebGPUTensor, WebGPUMXPackOptions } from './mx-pack.js';
export { dequantizeMXWebGPU, MX_WEBGPU_MAX_CODES, quantizeMXWebGPU, readMXWebGPU } from './mx-pack.js';
export type { WebGPUNVFP4Options } from './nvfp4-fake-quant.js';
export { fakeQuantizeNVFP4WebGPU, NVFP4_FAKE_QUANTIZE_KERNEL } from './nvfp4-fake-quant.js';
export type { WebGPUSimplicialOptions, WebGPUSimplicialResult } from './simplicial.js';
export {
  SIMPLICIAL_WEBGPU_MAX_D,
  SIMPLICIAL_WEBGPU_MAX_W2_SPAN,
  simplicialAttentionWebGPU,
  simplicialBackwardWebGPU,
} from './simplicial.js';
