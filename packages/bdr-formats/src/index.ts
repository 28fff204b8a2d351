// @tessera/bdr-formats — Block Data Representations (shared microexponents: MX4/MX6/MX9; BFP/MSFP), QSNR and
// design-space sweeps. The public API, and nothing else.

export { fromAIELayout, toAIELayout } from './aie-layout.js';
export { loadBDR, saveBDR } from './bdr-safetensors.js';
export type { BDRTensor } from './bdr-tensor.js';
export { dequantizeBDR, dequantizeBDRArray, quantizeBDR, quantizeBDRArray, validateBDR } from './bdr-tensor.js';
export { fakeQuantizeBDR } from './fake-quant.js';
export type { BDRFormat } from './format.js';
export { BDR_MX4, BDR_MX6, BDR_MX9, bdrFormat, bfp, bitsPerElement, MSFP12, MSFP16, QUARK_BFP16 } from './format.js';
export type { BDROptions } from './options.js';
export { qsnr, qsnrBound } from './qsnr.js';
export type { Quantizer } from './quantizer.js';
export { bdrQuantizer, mxQuantizer, nvfp4Quantizer, perTensorQuantizer } from './quantizer.js';
export type { BDRGrid, SweepRow } from './sweep.js';
export { paretoFront, SWEEP_LIMITS, sweep } from './sweep.js';
