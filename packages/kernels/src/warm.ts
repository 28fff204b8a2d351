// Writes the decode tables into kernel memory when the module loads, and runs every kernel once on a small input
// (the first call otherwise pays for the engine's tier-up of the function).
import type { Loaded } from './runtime.js';
import { decodeTables, TABLES } from './tables.js';

/** Writes the decode tables and warms every kernel once. @internal */
export function prepare(l: Loaded): void {
  const f32 = l.arena.f32;
  const t = decodeTables();
  for (let f = 0; f < 6; f++) f32.set(t[f], (TABLES + f * 1024) >> 2);
  const e = l.exports;
  const p = l.arena.alloc(4096, 'warm');
  try {
    const x = l.arena.f32;
    for (let i = 0; i < 64; i++) x[(p >> 2) + i] = (i - 20) * 0.37;
    for (let f = 0; f < 6; f++) e.mxQuantize(p, 2, 32, 32, f, 0, 0, 0, 0, p + 1024, p + 1536, p + 2048);
    e.mxDequantize(p + 1024, 0, p + 1536, 2, 32, 32, TABLES, p + 2560);
    e.nvfp4Quantize(p, 2, 32, 1, 0, TABLES, p + 1024, p + 1536);
    e.nvfp4Dequantize(p + 1024, p + 1536, 2, 32, 1, TABLES + 4 * 1024, TABLES, p + 2560);
    e.gemm(p, 4, 4, p, 4, p + 2560);
    e.mask24Compress(p, 16, 4, 0, p + 1024, p + 1536, p + 2048);
    e.spmm24(p + 1536, p + 2048, 4, 4, p, 4, p + 2560);
    e.spmm24T(p + 1536, p + 2048, 4, 4, p, 4, p + 2560);
  } finally {
    l.arena.free(p);
  }
}
