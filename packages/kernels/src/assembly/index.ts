// The one WebAssembly module of @tessera/kernels (AssemblyScript, --enable simd, stub runtime, imported memory).
// Every export works on raw byte addresses into the imported memory; the JavaScript loader (src/wasm.ts) checks all
// sizes before a call, so no kernel here bounds-checks.
export { bagBackward, bagForward, rowsIndexAdd, rowsSelect } from './bag';
export { bagFusedUpdate } from './bag-fused';
export { bdrDequantize, bdrQuantize } from './bdr';
export { dedupBags } from './dedup';
export { csrmm, csrTranspose24, gemm, mask24Compress, sddmm24, spmm24 } from './gemm';
export { mxDequantize, mxQuantize } from './mx';
export { nvfp4Dequantize, nvfp4Quantize } from './nvfp4';
export { dotAttentionBackward, dotAttentionForward, simplicialBackward, simplicialForward } from './simplicial';
