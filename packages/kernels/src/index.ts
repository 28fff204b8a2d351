// @tessera/kernels exports nothing yet: its kernels land with the WebAssembly SIMD kernels issue.
export {};
