// GEMM rows of the @tessera/kernels benchmarks (run by bench/run.ts after the others, or alone: npx tsx bench/gemm.ts
// [--quick]): spmm24 against the wasm backend's tf.matMul and against our own dense SIMD GEMM (same loop structure) on
// the same 2:4 matrix, densified, single thread. The sides of each ratio are timed in interleaved rounds (A B C D,
// A B C D, …) and the best round of each is compared: the VM is shared, so both sides must see the same load, and
// preemption only ever adds time. Writes bench/results/kernels-gemm.json.
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, rng } from '@tessera/core';
import { type BenchRow, writeBenchReport } from '@tessera/testing';
import { alloc, gemm, initKernels, kernelBackend, mask24Compress, spmm24, spmm24T } from '../src/index.js';

interface Timing {
  minMs: number;
  medianMs: number;
}

/** Times the functions in interleaved rounds (one call each per round, after one warm-up round). */
function interleaved(fns: (() => unknown)[], rounds: number): Timing[] {
  for (const f of fns) f();
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < fns.length; i++) {
      const t0 = performance.now();
      fns[i]();
      times[i].push(performance.now() - t0);
    }
  return times.map((t) => {
    const s = [...t].sort((a, b) => a - b);
    return { minMs: s[0], medianMs: s[s.length >> 1] };
  });
}

/** Runs the GEMM rows and writes their report. */
export async function benchGemm(quick: boolean): Promise<void> {
  const backend = await initKernels();
  await initBackend('wasm', { log: null });
  const rows: BenchRow[] = [];
  const M = quick ? 1024 : 4096;
  const K = quick ? 1024 : 4096;
  const r = rng(2);
  const A = r.normalArray(M * K);
  const values = alloc(Float32Array, (M * K) / 2);
  const cols = alloc(Int32Array, (M * K) / 2);
  mask24Compress(A, M, K, 'magnitude', null, values.array, cols.array);
  const dense = new Float32Array(M * K); // the same 2:4 matrix, densified, for the dense GEMMs
  for (let i = 0; i < (M * K) / 2; i++) dense[Math.floor(i / (K / 2)) * K + cols.array[i]] = values.array[i];
  const Ak = alloc(Float32Array, M * K);
  Ak.array.set(dense);
  const a = tf.tensor2d(dense, [M, K]);
  const at = tf.transpose(a);
  for (const Nn of quick ? [64] : [64, 512]) {
    const B = r.normalArray(K * Nn);
    const Bk = alloc(Float32Array, K * Nn);
    Bk.array.set(B);
    const Ok = alloc(Float32Array, M * Nn);
    const b = tf.tensor2d(B, [K, Nn]);
    const [ts, td, tsHost, tm] = interleaved(
      [
        () => spmm24(values.array, cols.array, M, K, Bk.array, Nn, Ok.array),
        () => gemm(Ak.array, M, K, Bk.array, Nn, Ok.array),
        () => spmm24(values.array.slice(), cols.array.slice(), M, K, B, Nn, new Float32Array(M * Nn)),
        () => tf.tidy(() => tf.matMul(a, b).dataSync()),
      ],
      quick ? 3 : Nn > 64 ? 4 : 8,
    );
    tf.dispose(b);
    const gf = (ms: number) => `${((2 * M * K * Nn) / ms / 1e6).toFixed(1)} dense-equivalent GFLOP/s`;
    const med = (x: Timing, y: Timing) => `ratio of medians ${(x.medianMs / y.medianMs).toFixed(2)}`;
    rows.push(
      {
        case: `spmm24 ${M}×${K} (2:4) @ ${K}×${Nn}, operands in kernel memory`,
        baseline: 'tf.matMul on the wasm backend, same dense problem (incl. dataSync)',
        ratio: tm.minMs / ts.minMs,
        ratioMeaning: 'speedup (×)',
        ...(Nn === 64 ? { goal: '>= 3' } : {}),
        detail: `${gf(ts.minMs)} vs ${gf(tm.minMs)}; ${med(tm, ts)}`,
      },
      {
        case: `spmm24 ${M}×${K} (2:4) @ ${K}×${Nn}, plain arrays (copied into kernel memory)`,
        baseline: 'tf.matMul on the wasm backend, same dense problem (incl. dataSync)',
        ratio: tm.minMs / tsHost.minMs,
        ratioMeaning: 'speedup (×)',
        detail: `${gf(tsHost.minMs)}; ${med(tm, tsHost)}`,
      },
      {
        case: `spmm24 ${M}×${K} (2:4) @ ${K}×${Nn}`,
        baseline: 'our dense SIMD gemm (same loop structure) on the densified matrix',
        ratio: td.minMs / ts.minMs,
        ratioMeaning: 'speedup (×, ideal 2)',
        ...(Nn === 64 ? { goal: '>= 1.3' } : {}),
        detail: `${gf(td.minMs)} dense; ${med(td, ts)}`,
      },
    );
    // the weight-gradient product of a 2:4 layer: Aᵀ (k × m) · b (m × n), against tf.matMul of the dense transpose
    if (Nn === 64) {
      const Bt = alloc(Float32Array, M * Nn);
      Bt.array.set(r.normalArray(M * Nn));
      const OT = alloc(Float32Array, K * Nn);
      const bt = tf.tensor2d(Bt.array.slice(), [M, Nn]);
      const [tT, tmT] = interleaved(
        [() => spmm24T(values.array, cols.array, M, K, Bt.array, Nn, OT.array), () => tf.tidy(() => tf.matMul(at, bt).dataSync())],
        quick ? 3 : 6,
      );
      tf.dispose(bt);
      rows.push({
        case: `spmm24T (${M}×${K} 2:4)ᵀ @ ${M}×${Nn}, operands in kernel memory`,
        baseline: 'tf.matMul on the wasm backend, dense transpose (incl. dataSync)',
        ratio: tmT.minMs / tT.minMs,
        ratioMeaning: 'speedup (×)',
        detail: `${gf(tT.minMs)} vs ${gf(tmT.minMs)}; ${med(tmT, tT)}; includes building the CSR of Aᵀ (in WebAssembly)`,
      });
      Bt.free();
      OT.free();
    }
    console.log(
      rows
        .slice(Nn === 64 ? -4 : -3)
        .map((row) => `${row.case} vs ${row.baseline}: ${row.ratio.toFixed(2)}`)
        .join('\n'),
    );
    Bk.free();
    Ok.free();
  }
  tf.dispose([a, at]);
  for (const k of [values, cols, Ak]) k.free();
  writeBenchReport(quick ? 'bench/results/kernels-gemm-quick.json' : 'bench/results/kernels-gemm.json', {
    package: '@tessera/kernels',
    title: 'WebAssembly SIMD GEMM kernels (single thread): spmm24 vs tf.matMul (wasm) and a dense SIMD GEMM',
    rows,
    notes: [
      `kernel backend: ${backend} (TESSERA_KERNELS=${process.env.TESSERA_KERNELS ?? 'unset'}); kernelBackend() = ${kernelBackend()}`,
      'sides of each ratio timed in interleaved rounds, best round of each (ratio of medians in each detail); the VM is shared (2 cores) and was under load',
      'dense and sparse kernels share one loop structure (one row of A against 16-column panels of B, 4 accumulators, two terms per step; K-chunks of 1024, row blocks of 64, B column blocks packed when n > 64), so the sparse/dense ratio measures the skipped multiply-adds',
    ],
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchGemm(process.argv.includes('--quick')).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
