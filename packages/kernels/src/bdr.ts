// BDR (Block Data Representation) kernels: one signature (typed arrays and scalars) for the WebAssembly SIMD kernel
// and its JavaScript fallback. Validation happens here, once, before either runs.
import { TesseraError } from '@tessera/core';
import { arr, int, MAX_ELEMENTS, pick, reserve, withArgs } from './call.js';
import { bdrDequantizeJs, bdrQuantizeJs } from './js/bdr.js';
import { wasm } from './runtime.js';

/** Element rounding of the BDR kernels: to nearest even, to nearest with ties away from zero, toward zero. */
export const BDR_ROUNDINGS = ['even', 'nearest', 'floor'] as const;
export type BDRRounding = (typeof BDR_ROUNDINGS)[number];

/** Values copied into kernel memory per call (1 MiB of float32: stays in the L2 cache with its fields). */
const CHUNK = 262144;

interface Fmt {
  k1: number;
  d1: number;
  k2: number;
  d2: number;
  m: number;
}

/** Checks the five BDR parameters (the bounds of `@tessera/bdr-formats`' `bdrFormat`). */
function checkFormat(fn: string, k1: number, d1: number, k2: number, d2: number, m: number): Fmt {
  int(k1, fn, 'k1', 1, 65536);
  int(d1, fn, 'd1', 1, 8);
  int(k2, fn, 'k2', 1, k1);
  int(d2, fn, 'd2', 0, 4);
  int(m, fn, 'm', 1, 23);
  if (k1 % k2 !== 0) throw new TesseraError('INVALID_ARGUMENT', fn, `k2 must divide k1 = ${k1}`, k2);
  return { k1, d1, k2, d2, m };
}

/** Bytes of the three fields for `blocks` level-1 blocks. */
function fieldBytes(f: Fmt, blocks: number): { e: number; s: number; c: number } {
  return { e: blocks, s: Math.ceil((blocks * (f.k1 / f.k2) * f.d2) / 8), c: Math.ceil((blocks * f.k1 * (f.m + 1)) / 8) };
}

/** One call's share: whole blocks [b0, b0 + nb) of the (row, block) order, starting on a block index divisible by 8. */
interface Span {
  x0: number;
  nx: number;
  rows: number;
  L: number;
  b0: number;
  nb: number;
}

/**
 * Splits rows × L (blocks of k1) into calls of about CHUNK values, each starting on a block index divisible by 8 so
 * both bitstreams start on a byte: groups of rows, or runs of blocks of a long row (one row, or rows of a multiple of
 * 8 blocks). Anything else goes in one call.
 */
function spans(rows: number, L: number, k1: number, whole: boolean): Span[] {
  const nB = Math.ceil(L / k1);
  const all: Span[] = [{ x0: 0, nx: rows * L, rows, L, b0: 0, nb: rows * nB }];
  if (whole) return all;
  const out: Span[] = [];
  if (L <= CHUNK) {
    let g = 8;
    while (g > 1 && nB % g !== 0) g >>= 1;
    const q = 8 / g; // rows per step must be a multiple of q
    const step = Math.max(q, Math.floor(Math.max(1, Math.floor(CHUNK / Math.max(L, 1))) / q) * q);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const n = Math.min(step, rows - r0);
      out.push({ x0: r0 * L, nx: n * L, rows: n, L, b0: r0 * nB, nb: n * nB });
    }
    return out;
  }
  if (rows > 1 && nB % 8 !== 0) return all;
  const cb = Math.max(8, Math.floor(CHUNK / k1 / 8) * 8);
  for (let r = 0; r < rows; r++)
    for (let b0 = 0; b0 < nB; b0 += cb) {
      const nb = Math.min(cb, nB - b0);
      const Lc = Math.min(nb * k1, L - b0 * k1);
      out.push({ x0: r * L + b0 * k1, nx: Lc, rows: 1, L: Lc, b0: r * nB + b0, nb });
    }
  return out;
}

/**
 * Kernel-memory bytes the largest span needs: the values and the three fields that are not already in kernel memory
 * (`copied`: values, exponents, microexponents, mantissas) and the scratch, each 64-byte aligned.
 */
function scratchOf(sp: Span[], f: Fmt, copied: readonly boolean[]): number {
  let m = 0;
  for (const p of sp) {
    const b = fieldBytes(f, p.nb);
    const sizes = [p.nx * 4, b.e, b.s, b.c];
    let bytes = f.k1 * 5 + 64 + 5 * 64;
    for (let i = 0; i < 4; i++) if (copied[i]) bytes += sizes[i];
    m = Math.max(m, bytes);
  }
  return m;
}

/** Checks counts, format and array sizes shared by both kernels; returns the format and the block count per row. */
function checkCall(
  fn: string,
  rows: number,
  L: number,
  k1: number,
  d1: number,
  k2: number,
  d2: number,
  m: number,
  exponents: unknown,
  microexponents: unknown,
  mantissas: unknown,
): { f: Fmt; nB: number } {
  int(rows, fn, 'rows', 0, Number.MAX_SAFE_INTEGER);
  int(L, fn, 'L', 0, Number.MAX_SAFE_INTEGER);
  const f = checkFormat(fn, k1, d1, k2, d2, m);
  const nB = Math.ceil(L / k1);
  const padded = rows * nB * k1;
  if (padded > MAX_ELEMENTS)
    throw new TesseraError('INVALID_ARGUMENT', fn, `rows·⌈L/k1⌉·k1 must be at most ${MAX_ELEMENTS} values`, padded);
  const b = fieldBytes(f, rows * nB);
  arr(exponents, Uint8Array, fn, 'exponents', b.e);
  arr(microexponents, Uint8Array, fn, 'microexponents', b.s);
  arr(mantissas, Uint8Array, fn, 'mantissas', b.c);
  return { f, nB };
}

/**
 * BDR quantize+pack (Rouhani et al., "With Shared Microexponents, A Little Shifting Goes a Long Way",
 * arXiv:2302.08007 §III) of `rows` rows of `L` float32 values (row-major, the blocked axis last, each row zero-padded
 * to whole blocks of `k1`): one `d1`-bit biased block exponent per block into `exponents`, a `d2`-bit shift per
 * sub-block of `k2` into the LSB-first bitstream `microexponents`, and an (m + 1)-bit sign-magnitude code per value
 * into the LSB-first bitstream `mantissas`. Bit for bit the planar layout of `@tessera/bdr-formats`. Arrays from
 * {@link alloc} are used in place (no copy).
 *
 * @returns −1, or the flat index of the first NaN/±Inf value (the format has no code for them; the fields are then
 * incomplete).
 * @throws TesseraError `INVALID_ARGUMENT` for a count or format parameter out of range (k1 in [1, 65536], d1 in
 * [1, 8], k2 in [1, k1] dividing k1, d2 in [0, 4], m in [1, 23]) or an unknown rounding; `INVALID_DTYPE` for a wrong
 * array type; `INVALID_SHAPE` for an array shorter than the call needs.
 * @example
 * ```ts
 * import { bdrQuantize } from '@tessera/kernels';
 * const e = new Uint8Array(1);
 * const s = new Uint8Array(1);
 * const c = new Uint8Array(16);
 * // MX9 of the BDR paper: k1 16, d1 8, k2 2, d2 1, m 7
 * bdrQuantize(new Float32Array([3, 1, 0.25, -0.5]), 1, 4, 16, 8, 2, 1, 7, 'even', e, s, c); // → -1
 * [e[0], s[0], c[0], c[2], c[3]]; // → [128, 254, 96, 16, 160]
 * ```
 */
export function bdrQuantize(
  src: Float32Array,
  rows: number,
  L: number,
  k1: number,
  d1: number,
  k2: number,
  d2: number,
  m: number,
  rounding: BDRRounding,
  exponents: Uint8Array,
  microexponents: Uint8Array,
  mantissas: Uint8Array,
): number {
  const fn = 'bdrQuantize';
  const { f } = checkCall(fn, rows, L, k1, d1, k2, d2, m, exponents, microexponents, mantissas);
  const rm = pick(rounding, fn, 'rounding', BDR_ROUNDINGS);
  arr(src, Float32Array, fn, 'src', rows * L);
  if (rows === 0 || L === 0) return -1;
  const w = wasm();
  if (w === null) return bdrQuantizeJs(src, rows, L, k1, d1, k2, d2, m, rm, exponents, microexponents, mantissas);
  const sp = spans(rows, L, k1, w.arena.owns(src));
  const copied = [src, exponents, microexponents, mantissas].map((a) => !w.arena.owns(a));
  [src, exponents, microexponents, mantissas] = reserve(w.arena, fn, scratchOf(sp, f, copied), [src, exponents, microexponents, mantissas]);
  let bad = -1;
  for (const p of sp) {
    const lo = fieldBytes(f, p.b0);
    const hi = fieldBytes(f, p.b0 + p.nb);
    withArgs(
      w.arena,
      fn,
      [
        { a: src.subarray(p.x0, p.x0 + p.nx), n: p.nx, dir: 'in' },
        { a: exponents.subarray(lo.e, hi.e), n: hi.e - lo.e, dir: 'out' },
        { a: microexponents.subarray(lo.s, hi.s), n: hi.s - lo.s, dir: 'out' },
        { a: mantissas.subarray(lo.c, hi.c), n: hi.c - lo.c, dir: 'out' },
      ],
      k1 * 5 + 64,
      (q, s) => {
        const i = w.exports.bdrQuantize(q[0], p.rows, p.L, k1, d1, k2, d2, m, rm, q[1], q[2], q[3], s);
        if (i >= 0) bad = p.x0 + i;
      },
    );
    if (bad >= 0) return bad;
  }
  return -1;
}

/**
 * BDR dequantize: value i of sub-block j of a block decodes to (−1)^sign·q·2^(E − s_j − (m − 1)) (E the stored
 * exponent less 2^(d1−1) − 1), rounded once to float32, for `rows` rows of `L` values stored as by
 * {@link bdrQuantize} (padding codes are dropped). Arrays from {@link alloc} are used in place.
 *
 * @throws TesseraError `INVALID_ARGUMENT`, `INVALID_DTYPE` or `INVALID_SHAPE` as {@link bdrQuantize}.
 * @example
 * ```ts
 * import { bdrDequantize } from '@tessera/kernels';
 * const out = new Float32Array(4);
 * const c = new Uint8Array(16);
 * c.set([96, 32, 16, 160]);
 * bdrDequantize(new Uint8Array([128]), new Uint8Array([254]), c, 1, 4, 16, 8, 2, 1, 7, out);
 * Array.from(out); // → [3, 1, 0.25, -0.5]
 * ```
 */
export function bdrDequantize(
  exponents: Uint8Array,
  microexponents: Uint8Array,
  mantissas: Uint8Array,
  rows: number,
  L: number,
  k1: number,
  d1: number,
  k2: number,
  d2: number,
  m: number,
  out: Float32Array,
): void {
  const fn = 'bdrDequantize';
  const { f } = checkCall(fn, rows, L, k1, d1, k2, d2, m, exponents, microexponents, mantissas);
  arr(out, Float32Array, fn, 'out', rows * L);
  if (rows === 0 || L === 0) return;
  const w = wasm();
  if (w === null) {
    bdrDequantizeJs(exponents, microexponents, mantissas, rows, L, k1, d1, k2, d2, m, out);
    return;
  }
  const sp = spans(rows, L, k1, w.arena.owns(out));
  const copied = [out, exponents, microexponents, mantissas].map((a) => !w.arena.owns(a));
  [exponents, microexponents, mantissas, out] = reserve(w.arena, fn, scratchOf(sp, f, copied), [exponents, microexponents, mantissas, out]);
  for (const p of sp) {
    const lo = fieldBytes(f, p.b0);
    const hi = fieldBytes(f, p.b0 + p.nb);
    withArgs(
      w.arena,
      fn,
      [
        { a: exponents.subarray(lo.e, hi.e), n: hi.e - lo.e, dir: 'in' },
        { a: microexponents.subarray(lo.s, hi.s), n: hi.s - lo.s, dir: 'in' },
        { a: mantissas.subarray(lo.c, hi.c), n: hi.c - lo.c, dir: 'in' },
        { a: out.subarray(p.x0, p.x0 + p.nx), n: p.nx, dir: 'out' },
      ],
      k1 * 5 + 64,
      (q, s) => w.exports.bdrDequantize(q[0], q[1], q[2], p.rows, p.L, k1, d1, k2, d2, m, q[3], s),
    );
  }
}
