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
  // about 16 K elements per kernel: enough loop iterations for the engine to schedule its optimizing tier
  // (a long first call would otherwise run entirely in the baseline tier)
  const n = 16384;
  const p = l.arena.alloc(n * 4 * 4 + 8192, 'warm');
  try {
    const x = l.arena.f32;
    for (let i = 0; i < 4 * n; i++) x[(p >> 2) + i] = Math.sin(i) * 3;
    const a = p;
    const b = p + n * 4;
    const c = p + n * 8;
    const d = p + n * 12;
    for (let f = 0; f < 6; f++) e.mxQuantize(a, 4, n / 4, 32, f, f & 3, f % 3, 0, f === 4 ? 1 : 0, c, d, d + 4096);
    for (let f = 0; f < 6; f += 5) e.mxDequantize(c, 0, d, 4, n / 4, 32, TABLES + f * 1024, b);
    e.mxDequantize(c, 1, d, 4, n / 4, 32, TABLES + 4 * 1024, b);
    e.nvfp4Quantize(a, 4, n / 4, 1, 0, TABLES, c, d);
    e.nvfp4Dequantize(c, d, 4, n / 4, 1, TABLES + 4 * 1024, TABLES, b);
    // BDR: the MX9 and MX6 shapes (k1 16, pairs) and a BFP block of 16, quantize+pack and dequantize
    for (const [k2, d2, m] of [
      [2, 1, 7],
      [2, 1, 4],
      [16, 0, 3],
    ]) {
      e.bdrQuantize(a, 4, n / 4, 16, 8, k2, d2, m, 0, b, b + 4096, c, b + 16384);
      e.bdrDequantize(b, b + 4096, c, 4, n / 4, 16, 8, k2, d2, m, d, b + 16384);
    }
    e.gemm(a, 64, 64, b, 64, c);
    e.mask24Compress(a, n, 64, 0, d, b, c);
    e.spmm24(b, c, 64, 64, a, 64, d);
    for (let r = 0; r <= 64; r++) l.arena.i32[(d >> 2) + r] = r * 32; // a CSR of 64 rows × 32 entries (cols from above)
    e.csrmm(d, c, b, 64, a, 64, d + 4096);
    e.sddmm24(a, 64, 64, a, c, 64, b);
    e.csrTranspose24(b, c, 64, 64, d + 24576, d + 25600, d + 33792); // the CSR of Aᵀ (spmm24T), past csrmm's output
    // embedding bags: 256 bags of 8 ids over a 64 × 64 table (ids and offsets built in the scratch)
    const i32 = l.arena.i32;
    for (let j = 0; j < 2048; j++) i32[(c >> 2) + j] = (j * 37) & 63;
    for (let u = 0; u <= 256; u++) i32[(d >> 2) + u] = u * 8;
    e.bagForward(a, 64, c, d, 0, 256, 0, 0, b, 64, 0);
    e.bagForward(a, 64, c, d, a, 256, 1, 0, b, 64, 0);
    e.bagBackward(b, 64, 0, 64, c, d, a, 256, 0, 0, a);
    e.rowsSelect(a, 64, 0, 64, c, 256, b, 64, 0); // 256 rows of 64: the 64 KiB at b
    e.rowsIndexAdd(b, 64, 0, 64, c, 256, a, 64, 0);
    // fused backward + update: exact SGD, then row-wise Adagrad with its state in the scratch after b's 64 rows
    // (slot map of 64 rows zeroed at d + 2048, distinct ids and their accumulator rows after it)
    i32.fill(0, (d + 2048) >> 2, (d + 2048 + 256) >> 2);
    e.bagFusedUpdate(b, 64, 0, 64, c, d, 0, 256, 0, 0, a, 0, 0, 0.01, 0, d + 2048, d + 2304, d + 2560);
    e.bagFusedUpdate(b, 64, 0, 64, c, d, a, 256, 1, 0, a, b + 16384, 1, 0.01, 1e-8, d + 2048, d + 2304, d + 2560);
    // dedup: the 256 bags of 8 ids above (every 8th bag repeats) as 2 keys × 128 samples in one group, then each key
    for (let j = 0; j < 2048; j++) i32[(c >> 2) + j] = ((j >> 3) & 7) * 8 + (j & 7);
    for (let j = 0; j < 4; j++) i32[(a >> 2) + j] = [0, 1, 0, 1][j];
    for (let j = 0; j < 4; j++) i32[(a >> 2) + 4 + j] = [0, 2, 3, 4][j];
    e.dedupBags(c, 1, 0, d, 128, a, a + 16, 1, b, b + 1024, b + 2048, b + 4096);
    e.dedupBags(c, 1, c, d, 128, a, a + 20, 2, b, b + 1024, b + 2048, b + 4096);
    // attention: B 1, n 64, one head of d 16, windows 16 and 8, causal then not, trilinear then determinant
    // (4 KiB per array from p: q, k1, k2, v1, v2, out, lse, dOut, five gradients, then scratch)
    for (let i = 0; i < 13 * 1024; i++) x[(p >> 2) + i] = Math.sin(i) * 0.5;
    const at = (r: number) => p + r * 4096;
    e.simplicialForward(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(13), 1, 64, 1, 1, 16, 16, 8, 1, 0.25, 0);
    e.simplicialBackward(
      at(0),
      at(1),
      at(2),
      at(3),
      at(4),
      at(5),
      at(7),
      at(6),
      at(8),
      at(9),
      at(10),
      at(11),
      at(12),
      at(13),
      1,
      64,
      1,
      1,
      16,
      16,
      8,
      0,
      0.25,
      1,
    );
    e.dotAttentionForward(at(0), at(1), at(2), at(5), at(6), at(13), 1, 64, 1, 1, 16, 64, 1, 0.25);
    e.dotAttentionBackward(at(0), at(1), at(2), at(5), at(7), at(6), at(8), at(9), at(10), at(13), 1, 64, 1, 1, 16, 64, 1, 0.25);
  } finally {
    l.arena.free(p);
  }
}
