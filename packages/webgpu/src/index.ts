// @tessera/webgpu exports nothing yet: its WGSL kernels land with the WebGPU issue.
export {};
