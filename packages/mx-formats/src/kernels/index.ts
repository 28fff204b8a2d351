// Kernel choice for the MX and NVFP4 host loops: the WebAssembly SIMD kernels of @tessera/kernels by default, the
// JavaScript kernels of this folder (mx-rows.ts, nvfp4-rows.ts) where those do not run — TESSERA_KERNELS=js, no
// WebAssembly SIMD — and for the options that need JavaScript: stochastic rounding (a user random source) and
// microxcaling's float32-log2 scale exponent (Math.log2). Both kernels give the same bits (tests), as torchao keeps
// its reference semantics apart from its fast kernels (pytorch/ao torchao/prototype/mx_formats/kernels.py).
import { kernelBackend, mxDequantize, mxQuantize, nvfp4Dequantize, nvfp4Quantize } from '@tessera/kernels';
import type { ElementCodec, ElementFormat } from '../elements.js';
import type { ResolvedMXOptions } from '../options.js';
import { dequantizeRowsJs, type MXPacking, packedBytes, quantizeRowsJs, type RowData } from './mx-rows.js';
import { nvfp4DequantizeRowsJs, nvfp4QuantizeRowsJs } from './nvfp4-rows.js';

export { codeTableOf, dequantizeRowsJs, type MXPacking, nanBlockCode, packedBytes, quantizeRowsJs, type RowData } from './mx-rows.js';
export { nvfp4DequantizeRowsJs, nvfp4QuantizeRowsJs } from './nvfp4-rows.js';

/** The kernels' packing name of a stored packing (FP6 one per byte is byte packing). */
function kernelPacking(p: MXPacking): 'byte' | 'fp4x2' | 'fp6x4in3' {
  return p === 'fp6-unpacked' ? 'byte' : p;
}

/** Whether the wasm kernel implements these options. @internal */
export function wasmQuantizes(o: ResolvedMXOptions): boolean {
  return o.rounding !== 'stochastic' && o.scaleExponent !== 'float32-log2' && kernelBackend() === 'wasm';
}

/**
 * Quantizes rows (see {@link quantizeRowsJs}) with the wasm kernel where it applies, else in JavaScript;
 * `generalOnly` forces the JavaScript general path (tests). @internal
 */
export function quantizeRows(
  src: Float32Array,
  rows: number,
  L: number,
  o: ResolvedMXOptions,
  packing: MXPacking,
  generalOnly = false,
): RowData {
  if (generalOnly || !wasmQuantizes(o)) return quantizeRowsJs(src, rows, L, o, packing, generalOnly);
  const k = o.blockSize;
  const nB = Math.ceil(L / k);
  const data = new Uint8Array(packedBytes(packing, rows * nB * k));
  const scales = new Uint8Array(rows * nB);
  const flags =
    (o.inputPrecision === 'bfloat16' ? 1 : 0) | (o.subnormals === 'flush-elements' ? 2 : o.subnormals === 'flush-block' ? 4 : 0);
  const rounding = o.rounding as 'even' | 'nearest' | 'floor';
  mxQuantize(src, rows, L, k, o.element.name as ElementFormat, o.scaleMode, rounding, flags, kernelPacking(packing), data, scales);
  return { data, scales };
}

/** Dequantizes rows (see {@link dequantizeRowsJs}) with the wasm kernel by default. @internal */
export function dequantizeRows(
  data: Uint8Array,
  packing: MXPacking,
  scales: Uint8Array,
  rows: number,
  L: number,
  k: number,
  c: ElementCodec,
  out: Float32Array,
): Float32Array {
  if (kernelBackend() !== 'wasm') return dequantizeRowsJs(data, packing, scales, rows, L, k, c, out);
  mxDequantize(data, kernelPacking(packing), scales, rows, L, k, c.name, out);
  return out;
}

/** NVFP4 quantize+pack of rows (see {@link nvfp4QuantizeRowsJs}), wasm by default. @internal */
export function nvfp4QuantizeRows(
  x: Float32Array,
  rows: number,
  L: number,
  st: number,
  float32: boolean,
  data: Uint8Array,
  scales: Uint8Array,
): void {
  if (kernelBackend() !== 'wasm') nvfp4QuantizeRowsJs(x, rows, L, st, float32, data, scales);
  else nvfp4Quantize(x, rows, L, st, float32 ? 'float32' : 'exact', data, scales);
}

/** NVFP4 dequantize of rows (see {@link nvfp4DequantizeRowsJs}), wasm by default. @internal */
export function nvfp4DequantizeRows(data: Uint8Array, scales: Uint8Array, rows: number, L: number, st: number, out: Float32Array): void {
  if (kernelBackend() !== 'wasm') nvfp4DequantizeRowsJs(data, scales, rows, L, st, out);
  else nvfp4Dequantize(data, scales, rows, L, st, out);
}
