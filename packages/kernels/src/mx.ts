// MX and NVFP4 kernels: one signature (typed arrays and scalars) for the WebAssembly SIMD kernel and its
// JavaScript fallback. Validation happens here, once, before either runs.
import { TesseraError } from '@tessera/core';
import { arr, int, pick, reserve, withArgs } from './call.js';
import { mxDequantizeJs, mxQuantizeJs, packedBytes } from './js/mx.js';
import { nvfp4DequantizeJs, nvfp4QuantizeJs } from './js/nvfp4.js';
import { TABLES, wasm } from './runtime.js';
import { decodeTables, MX_ELEMENT_FORMATS, type MXElementFormat } from './tables.js';

/** Scale exponent rules (OCP MX v1.0 section 6.3 `floor`; torchao's `ceil`, `even`, `rceil`). */
export const MX_SCALE_MODES = ['floor', 'ceil', 'even', 'rceil'] as const;
/** Element rounding: to nearest even, to nearest with ties away from zero, toward zero. */
export const MX_ROUNDINGS = ['even', 'nearest', 'floor'] as const;
/** How codes are stored: one per byte, two FP4 codes per byte (low nibble first), four FP6 codes in three bytes. */
export const MX_PACKINGS = ['byte', 'fp4x2', 'fp6x4in3'] as const;
/** `flags` bit: round the inputs to bfloat16 (nearest even) first, as torchao does for bf16 tensors. */
export const MX_FLAG_BFLOAT16 = 1;
/** `flags` bit: flush FP32-subnormal inputs to signed zero. */
export const MX_FLAG_FLUSH_ELEMENTS = 2;
/** `flags` bit: a block whose amax is an FP32 subnormal gets scale byte 0 and zero codes. */
export const MX_FLAG_FLUSH_BLOCK = 4;

export type MXScaleMode = (typeof MX_SCALE_MODES)[number];
export type MXRounding = (typeof MX_ROUNDINGS)[number];
export type MXKernelPacking = (typeof MX_PACKINGS)[number];

/** Elements copied through kernel memory per call (1 MiB of float32: stays in L2/L3, and the copies run at full speed). @internal */
export const CHUNK = 262144;

function checkPacking(fmt: number, pm: number, fn: string): void {
  if ((pm === 1 && fmt !== 4) || (pm === 2 && fmt !== 2 && fmt !== 3 && fmt !== 4))
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      `packing '${MX_PACKINGS[pm]}' does not hold ${MX_ELEMENT_FORMATS[fmt]} codes`,
      MX_PACKINGS[pm],
    );
}

/** One call's share of a row-major problem: whole rows, or whole blocks of one long row. */
interface Span {
  /** First element, element count. */
  x0: number;
  nx: number;
  /** Rows and row length of the call. */
  rows: number;
  L: number;
  /** First code and code count; first scale and scale count. */
  c0: number;
  nc: number;
  s0: number;
  ns: number;
}

/**
 * Splits rows × L (blocks of k) into calls of about CHUNK elements, so a plain input is copied into kernel memory a
 * cache-sized piece at a time: groups of rows, or runs of whole blocks of a long row. Packed streams that do not
 * start on a byte at every block (odd k for FP4, k % 4 ≠ 0 for FP6) go in one call.
 */
function spans(rows: number, L: number, k: number, pm: number, whole: boolean): Span[] {
  const nB = Math.ceil(L / k);
  const aligned = pm === 0 || (pm === 1 && k % 2 === 0) || (pm === 2 && k % 4 === 0);
  if (whole || !aligned) return [{ x0: 0, nx: rows * L, rows, L, c0: 0, nc: rows * nB * k, s0: 0, ns: rows * nB }];
  const out: Span[] = [];
  if (L <= CHUNK) {
    const step = Math.max(1, Math.floor(CHUNK / Math.max(L, 1)));
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      out.push({ x0: r0 * L, nx: n * L, rows: n, L, c0: r0 * nB * k, nc: n * nB * k, s0: r0 * nB, ns: n * nB });
    }
    return out;
  }
  const cb = Math.max(1, Math.floor(CHUNK / k));
  for (let r = 0; r < rows; r++)
    for (let b0 = 0; b0 < nB; b0 += cb) {
      const nb = Math.min(cb, nB - b0);
      const Lc = Math.min(nb * k, L - b0 * k);
      out.push({ x0: r * L + b0 * k, nx: Lc, rows: 1, L: Lc, c0: (r * nB + b0) * k, nc: nb * k, s0: r * nB + b0, ns: nb });
    }
  return out;
}

/**
 * Kernel-memory bytes one span may need: those of its float32 values, codes and scales that are not already in kernel
 * memory (`copied`, in that order), and the scratch, each 64-byte aligned. An array from `alloc` costs nothing more.
 */
function scratchOf(sp: Span[], pm: number, extra: number, copied: readonly [boolean, boolean, boolean]): number {
  let m = 0;
  for (const p of sp) {
    const sizes = [p.nx * 4, packedBytes(pm, p.nc), p.ns];
    let bytes = extra + 4 * 64;
    for (let i = 0; i < 3; i++) if (copied[i]) bytes += sizes[i];
    m = Math.max(m, bytes);
  }
  return m;
}

/** Which of (values, codes, scales) a call must copy through kernel memory. */
const copiedOf = (owns: (a: Uint8Array | Float32Array) => boolean, values: Float32Array, codes: Uint8Array, scales: Uint8Array) =>
  [!owns(values), !owns(codes), !owns(scales)] as const;

/**
 * MX quantize+pack of `rows` rows of `L` float32 values (row-major, the blocked axis last) in blocks of
 * `blockSize`: scale bytes (E8M0, 0xFF for a block holding NaN or ±Inf) into `scales` (rows·⌈L/blockSize⌉) and the
 * element codes, each row zero-padded to whole blocks, into `data` in the layout of `packing`. Bit for bit the
 * host kernel of `@tessera/mx-formats`. Arrays from {@link alloc} are used in place (no copy).
 *
 * @throws TesseraError `INVALID_ARGUMENT` for a bad count, name or flag, or a packing that cannot hold the codes;
 * `INVALID_DTYPE` for a wrong array type; `INVALID_SHAPE` for an array shorter than the call needs.
 * @example
 * ```ts
 * import { mxQuantize } from '@tessera/kernels';
 * const data = new Uint8Array(4);
 * const scales = new Uint8Array(1);
 * mxQuantize(new Float32Array([1, 2, -3, 0.5]), 1, 4, 4, 'fp8_e4m3', 'floor', 'even', 0, 'byte', data, scales);
 * scales[0]; // → 120
 * ```
 */
export function mxQuantize(
  src: Float32Array,
  rows: number,
  L: number,
  blockSize: number,
  format: MXElementFormat,
  scaleMode: MXScaleMode,
  rounding: MXRounding,
  flags: number,
  packing: MXKernelPacking,
  data: Uint8Array,
  scales: Uint8Array,
): void {
  const fn = 'mxQuantize';
  int(rows, fn, 'rows', 0, Number.MAX_SAFE_INTEGER);
  int(L, fn, 'L', 0, Number.MAX_SAFE_INTEGER);
  const k = int(blockSize, fn, 'blockSize', 1, 65536);
  const fmt = pick(format, fn, 'format', MX_ELEMENT_FORMATS);
  const mode = pick(scaleMode, fn, 'scaleMode', MX_SCALE_MODES);
  const rm = pick(rounding, fn, 'rounding', MX_ROUNDINGS);
  int(flags, fn, 'flags', 0, 7);
  const pm = pick(packing, fn, 'packing', MX_PACKINGS);
  checkPacking(fmt, pm, fn);
  const nB = Math.ceil(L / k);
  arr(src, Float32Array, fn, 'src', rows * L);
  arr(data, Uint8Array, fn, 'data', packedBytes(pm, rows * nB * k));
  arr(scales, Uint8Array, fn, 'scales', rows * nB);
  if (rows === 0 || L === 0) return;
  const w = wasm();
  if (w === null) {
    mxQuantizeJs(src, rows, L, k, fmt, mode, rm, flags, pm, data, scales);
    return;
  }
  const sp = spans(rows, L, k, pm, w.arena.owns(src));
  const own = (a: Uint8Array | Float32Array) => w.arena.owns(a);
  [src, data, scales] = reserve(w.arena, fn, scratchOf(sp, pm, k * 5 + 64, copiedOf(own, src, data, scales)), [src, data, scales]);
  for (const p of sp) {
    const d0 = packedBytes(pm, p.c0);
    const d1 = packedBytes(pm, p.c0 + p.nc);
    withArgs(
      w.arena,
      fn,
      [
        { a: src.subarray(p.x0, p.x0 + p.nx), n: p.nx, dir: 'in' },
        { a: data.subarray(d0, d1), n: d1 - d0, dir: 'out' },
        { a: scales.subarray(p.s0, p.s0 + p.ns), n: p.ns, dir: 'out' },
      ],
      k * 5 + 64,
      (q, s) => w.exports.mxQuantize(q[0], p.rows, p.L, k, fmt, mode, rm, flags, pm, q[1], q[2], s),
    );
  }
}

/**
 * MX dequantize: `out[i] = decode(code)·2^(scale − 127)` rounded once to float32 (NaN for scale byte 0xFF), for
 * `rows` rows of `L` values stored as by {@link mxQuantize}. Arrays from {@link alloc} are used in place.
 *
 * @throws TesseraError `INVALID_ARGUMENT`, `INVALID_DTYPE` or `INVALID_SHAPE` as {@link mxQuantize}.
 * @example
 * ```ts
 * import { mxDequantize } from '@tessera/kernels';
 * const out = new Float32Array(2);
 * mxDequantize(new Uint8Array([0x38, 0xb8]), 'byte', new Uint8Array([128]), 1, 2, 2, 'fp8_e4m3', out);
 * Array.from(out); // → [2, -2]
 * ```
 */
export function mxDequantize(
  data: Uint8Array,
  packing: MXKernelPacking,
  scales: Uint8Array,
  rows: number,
  L: number,
  blockSize: number,
  format: MXElementFormat,
  out: Float32Array,
): void {
  const fn = 'mxDequantize';
  const pm = pick(packing, fn, 'packing', MX_PACKINGS);
  int(rows, fn, 'rows', 0, Number.MAX_SAFE_INTEGER);
  int(L, fn, 'L', 0, Number.MAX_SAFE_INTEGER);
  const k = int(blockSize, fn, 'blockSize', 1, 65536);
  const fmt = pick(format, fn, 'format', MX_ELEMENT_FORMATS);
  checkPacking(fmt, pm, fn);
  const nB = Math.ceil(L / k);
  arr(data, Uint8Array, fn, 'data', packedBytes(pm, rows * nB * k));
  arr(scales, Uint8Array, fn, 'scales', rows * nB);
  arr(out, Float32Array, fn, 'out', rows * L);
  if (rows === 0 || L === 0) return;
  const w = wasm();
  if (w === null) {
    mxDequantizeJs(data, pm, scales, rows, L, k, decodeTables()[fmt], out);
    return;
  }
  const sp = spans(rows, L, k, pm, w.arena.owns(out));
  const own = (a: Uint8Array | Float32Array) => w.arena.owns(a);
  [data, scales, out] = reserve(w.arena, fn, scratchOf(sp, pm, 0, copiedOf(own, out, data, scales)), [data, scales, out]);
  for (const p of sp) {
    const d0 = packedBytes(pm, p.c0);
    const d1 = packedBytes(pm, p.c0 + p.nc);
    withArgs(
      w.arena,
      fn,
      [
        { a: data.subarray(d0, d1), n: d1 - d0, dir: 'in' },
        { a: scales.subarray(p.s0, p.s0 + p.ns), n: p.ns, dir: 'in' },
        { a: out.subarray(p.x0, p.x0 + p.nx), n: p.nx, dir: 'out' },
      ],
      0,
      (q) => w.exports.mxDequantize(q[0], pm, q[1], p.rows, p.L, k, TABLES + fmt * 1024, q[2]),
    );
  }
}

const NVFP4_ARITHMETIC = ['exact', 'float32'] as const;

function checkTensorScale(st: unknown, fn: string): number {
  if (typeof st !== 'number' || !Number.isFinite(st) || !(Math.fround(st) > 0) || !Number.isFinite(Math.fround(st)))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'tensorScale must be a finite float32 > 0', String(st));
  return Math.fround(st);
}

/**
 * NVFP4 quantize+pack of `rows` rows of `L` float32 values in blocks of 16: E4M3 block-scale codes (0x7F for a
 * block holding NaN or ±Inf) into `scales` and E2M1 codes, two per byte, into `data`. `tensorScale` is the FP32
 * per-tensor scale (1 for single-level scaling); `arithmetic` `'exact'` rounds on float64 thresholds, `'float32'`
 * follows torchao's float32 order. Bit for bit `@tessera/mx-formats`' host kernel.
 *
 * @throws TesseraError `INVALID_ARGUMENT`, `INVALID_DTYPE` or `INVALID_SHAPE` for bad arguments.
 * @example
 * ```ts
 * import { nvfp4Quantize } from '@tessera/kernels';
 * const data = new Uint8Array(8);
 * const scales = new Uint8Array(1);
 * nvfp4Quantize(new Float32Array([6, -3]), 1, 2, 1, 'exact', data, scales);
 * data[0]; // → 215
 * ```
 */
export function nvfp4Quantize(
  src: Float32Array,
  rows: number,
  L: number,
  tensorScale: number,
  arithmetic: 'exact' | 'float32',
  data: Uint8Array,
  scales: Uint8Array,
): void {
  const fn = 'nvfp4Quantize';
  int(rows, fn, 'rows', 0, Number.MAX_SAFE_INTEGER);
  int(L, fn, 'L', 0, Number.MAX_SAFE_INTEGER);
  const st = checkTensorScale(tensorScale, fn);
  const ar = pick(arithmetic, fn, 'arithmetic', NVFP4_ARITHMETIC);
  const nB = Math.ceil(L / 16);
  arr(src, Float32Array, fn, 'src', rows * L);
  arr(data, Uint8Array, fn, 'data', rows * nB * 8);
  arr(scales, Uint8Array, fn, 'scales', rows * nB);
  if (rows === 0 || L === 0) return;
  const w = wasm();
  if (w === null) {
    nvfp4QuantizeJs(src, rows, L, st, ar, decodeTables()[0], data, scales);
    return;
  }
  const sp = spans(rows, L, 16, 1, w.arena.owns(src));
  const own = (a: Uint8Array | Float32Array) => w.arena.owns(a);
  [src, data, scales] = reserve(w.arena, fn, scratchOf(sp, 1, 0, copiedOf(own, src, data, scales)), [src, data, scales]);
  for (const p of sp) {
    withArgs(
      w.arena,
      fn,
      [
        { a: src.subarray(p.x0, p.x0 + p.nx), n: p.nx, dir: 'in' },
        { a: data.subarray(p.c0 / 2, (p.c0 + p.nc) / 2), n: p.nc / 2, dir: 'out' },
        { a: scales.subarray(p.s0, p.s0 + p.ns), n: p.ns, dir: 'out' },
      ],
      0,
      (q) => w.exports.nvfp4Quantize(q[0], p.rows, p.L, st, ar, TABLES, q[1], q[2]),
    );
  }
}

/**
 * NVFP4 dequantize: `out[i] = e2m1(code)·(e4m3(scale)·tensorScale)`, the scale product exact in float64, rounded
 * once to float32; block-scale code 0x7F → NaN.
 *
 * @throws TesseraError `INVALID_ARGUMENT`, `INVALID_DTYPE` or `INVALID_SHAPE` for bad arguments.
 * @example
 * ```ts
 * import { nvfp4Dequantize } from '@tessera/kernels';
 * const out = new Float32Array(2);
 * nvfp4Dequantize(new Uint8Array([0xd7, 0, 0, 0, 0, 0, 0, 0]), new Uint8Array([0x38]), 1, 2, 1, out);
 * Array.from(out); // → [6, -3]
 * ```
 */
export function nvfp4Dequantize(
  data: Uint8Array,
  scales: Uint8Array,
  rows: number,
  L: number,
  tensorScale: number,
  out: Float32Array,
): void {
  const fn = 'nvfp4Dequantize';
  int(rows, fn, 'rows', 0, Number.MAX_SAFE_INTEGER);
  int(L, fn, 'L', 0, Number.MAX_SAFE_INTEGER);
  const st = checkTensorScale(tensorScale, fn);
  const nB = Math.ceil(L / 16);
  arr(data, Uint8Array, fn, 'data', rows * nB * 8);
  arr(scales, Uint8Array, fn, 'scales', rows * nB);
  arr(out, Float32Array, fn, 'out', rows * L);
  if (rows === 0 || L === 0) return;
  const w = wasm();
  if (w === null) {
    nvfp4DequantizeJs(data, scales, rows, L, st, decodeTables()[4], decodeTables()[0], out);
    return;
  }
  const sp = spans(rows, L, 16, 1, w.arena.owns(out));
  const own = (a: Uint8Array | Float32Array) => w.arena.owns(a);
  [data, scales, out] = reserve(w.arena, fn, scratchOf(sp, 1, 0, copiedOf(own, out, data, scales)), [data, scales, out]);
  for (const p of sp) {
    withArgs(
      w.arena,
      fn,
      [
        { a: data.subarray(p.c0 / 2, (p.c0 + p.nc) / 2), n: p.nc / 2, dir: 'in' },
        { a: scales.subarray(p.s0, p.s0 + p.ns), n: p.ns, dir: 'in' },
        { a: out.subarray(p.x0, p.x0 + p.nx), n: p.nx, dir: 'out' },
      ],
      0,
      (q) => w.exports.nvfp4Dequantize(q[0], q[1], p.rows, p.L, st, TABLES + 4 * 1024, TABLES, q[2]),
    );
  }
}
