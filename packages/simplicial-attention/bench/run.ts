// Benchmarks of @tessera/simplicial-attention (npm run bench -w @tessera/simplicial-attention; `--quick` for n = 512).
// Every row is a ratio of two timings taken in this run on the same backend:
// - achieved FLOP/s of windowed 2-simplicial attention (forward; forward+backward) as a fraction of the backend's
//   tf.matMul FLOP/s on matching shapes: one 2-D GEMM [n, d]·[d, w1·w2] (the same multiply-adds as the logit
//   contraction, the strongest peer) and per-query-shaped batched GEMMs [w1, d]·[d, w2];
// - time per token against dot-product attention at equal forward FLOPs (window w with P2(n, w) ≈ P3(n, w1, w2)) and
//   with FBGEMM's FLOP-matched KV length w1·w2.
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, initBackend, rng } from '@tessera/core';
import { type BenchRow, writeBenchReport } from '@tessera/testing';
import { attentionFlops, dotProductAttention, simplicialAttention, validPairs, validTriples } from '../src/index.js';

type T4 = tf.Tensor4D;

/**
 * Median wall-clock and median process CPU time per call (after `warmup` calls). Both sides of every ratio run
 * single-threaded (tfjs cpu, and tfjs wasm without threads in Node), so CPU time measures the work even when the
 * shared machine time-slices this process; ratios use it, wall-clock figures are in the details.
 */
/**
 * Runs `f` in a tidy scope and downloads every tensor it returns (dataSync), returning nothing: a tidy callback that
 * returns a typed array would make tfjs walk every element looking for tensors, which costs more than a matMul.
 */
function sync(f: () => tf.Tensor | tf.Tensor[]): void {
  tf.tidy(() => {
    const r = f();
    for (const t of Array.isArray(r) ? r : [r]) t.dataSync();
  });
}

async function measure(fn: () => unknown, reps = 3, warmup = 1): Promise<{ medianMs: number; cpuMs: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
  return { medianMs: med(wall), cpuMs: med(cpu) };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const env = process.env.TESSERA_BACKEND;
  const backends: BackendName[] = env && env !== 'auto' ? [env as BackendName] : ['cpu', 'wasm'];
  const n = quick ? 512 : 2048;
  const [w1, w2, d] = [64, 16, 64];
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const F = attentionFlops('simplicial', { B: 1, H: 1, n, d, w1, w2 });
  const p3 = validTriples(n, w1, w2);
  // Equal forward FLOPs: a causal window w with P2(n, w) ≈ P3 when full causal attention has enough pairs, else full
  // causal attention with hEq query heads (sharing one kv-head) so that hEq·P2(n, n) ≈ P3.
  let wEq = 1;
  while (validPairs(n, wEq) < p3 && wEq < n) wEq++;
  const hEq = validPairs(n, wEq) >= p3 ? 1 : Math.round(p3 / validPairs(n, n));
  for (const backend of backends) {
    await initBackend(backend, { log: null });
    const r = rng(7);
    const xs = [0, 1, 2, 3, 4].map(() => tf.tensor4d(r.normalArray(n * d), [1, n, 1, d]));
    const five = xs as [T4, T4, T4, T4, T4];
    // matMul peers
    const a2 = tf.tensor2d(r.normalArray(n * d), [n, d]);
    const b2 = tf.tensor2d(r.normalArray(d * w1 * w2), [d, w1 * w2]);
    const mm2 = await measure(() => sync(() => tf.matMul(a2, b2)));
    const mm2Rate = (2 * n * d * w1 * w2) / mm2.cpuMs;
    const nb = Math.min(n, 256); // per-query-shaped GEMMs: the rate does not depend on how many there are
    const ab = tf.tensor3d(r.normalArray(nb * w1 * d), [nb, w1, d]);
    const bb = tf.tensor3d(r.normalArray(nb * d * w2), [nb, d, w2]);
    const mmb = await measure(() => sync(() => tf.matMul(ab, bb)));
    const mmbRate = (2 * nb * w1 * d * w2) / mmb.cpuMs;
    const shape = `n ${n}, w1 ${w1}, w2 ${w2}, d ${d}, B 1, H 1`;
    const gf = (perMs: number) => `${(perMs / 1e6).toFixed(2)} GFLOP/s`;
    const simplicial: Record<string, { fwd: { medianMs: number; cpuMs: number }; fb: { medianMs: number; cpuMs: number } }> = {};
    for (const kernel of ['wasm', 'js'] as const) {
      const o = { w1, w2, kernel };
      const fwd = await measure(() => sync(() => simplicialAttention(...five, o).out));
      const loss = (...a: tf.Tensor[]) => tf.sum(simplicialAttention(...(a as [T4, T4, T4, T4, T4]), o).out);
      const fb = await measure(() => sync(() => tf.grads(loss)(xs)));
      simplicial[kernel] = { fwd, fb };
      const fwdRate = F.forward / fwd.cpuMs;
      const fbRate = (F.forward + F.backward) / fb.cpuMs;
      const label = kernel === 'wasm' ? 'WebAssembly SIMD kernel' : 'JavaScript kernel';
      rows.push(
        {
          case: `simplicialAttention forward, ${label} (${shape}), ${backend}`,
          baseline: `tf.matMul [${n}, ${d}]·[${d}, ${w1 * w2}] (same multiply-adds as the logit contraction), ${backend}`,
          ratio: fwdRate / mm2Rate,
          ratioMeaning: 'achieved FLOP/s (per CPU second) as a fraction of the tf.matMul FLOP/s (higher is better)',
          goal: '>= 0.5',
          detail: `${gf(fwdRate)} (CPU ${fwd.cpuMs.toFixed(0)} ms, wall ${fwd.medianMs.toFixed(0)} ms) vs matMul ${gf(mm2Rate)} (CPU ${mm2.cpuMs.toFixed(1)} ms, wall ${mm2.medianMs.toFixed(1)} ms)`,
        },
        {
          case: `simplicialAttention forward+backward, ${label} (${shape}), ${backend}`,
          baseline: `tf.matMul [${n}, ${d}]·[${d}, ${w1 * w2}], ${backend}`,
          ratio: fbRate / mm2Rate,
          ratioMeaning: 'achieved FLOP/s (per CPU second) as a fraction of the tf.matMul FLOP/s (higher is better)',
          goal: '>= 0.5',
          detail: `${gf(fbRate)} (CPU ${fb.cpuMs.toFixed(0)} ms, wall ${fb.medianMs.toFixed(0)} ms; 4d+14d FLOPs per triple) vs matMul ${gf(mm2Rate)}`,
        },
        {
          case: `simplicialAttention forward, ${label} (${shape}), ${backend}`,
          baseline: `batched tf.matMul ${nb}×[${w1}, ${d}]·[${d}, ${w2}] (one query's logit block per matrix), ${backend}`,
          ratio: fwdRate / mmbRate,
          ratioMeaning: 'achieved FLOP/s (per CPU second) as a fraction of the tf.matMul FLOP/s (higher is better)',
          detail: `${gf(fwdRate)} vs batched matMul ${gf(mmbRate)}`,
        },
      );
    }
    // dot-product attention at equal forward FLOPs, and at FBGEMM's KV length w1·w2, same kernel kind on both sides
    const qEq = hEq === 1 ? xs[0] : tf.tensor4d(r.normalArray(n * hEq * d), [1, n, hEq, d]);
    for (const kernel of ['wasm', 'js'] as const) {
      const { fwd, fb } = simplicial[kernel];
      const kLabel = kernel === 'wasm' ? 'WebAssembly SIMD kernels' : 'JavaScript kernels';
      for (const [label, w, H] of [
        [
          hEq === 1
            ? `window ${wEq} (P2 = ${validPairs(n, wEq)} ≈ P3 = ${p3}: equal forward FLOPs)`
            : `full causal with ${hEq} query heads on one kv-head (${hEq}·P2 = ${hEq * validPairs(n, n)} ≈ P3 = ${p3}: equal forward FLOPs)`,
          wEq,
          hEq,
        ],
        [`window ${w1 * w2} (FBGEMM's FLOP-matched KV length w1·w2)`, w1 * w2, 1],
      ] as const) {
        const qkv = [H === 1 ? xs[0] : qEq, xs[1], xs[3]];
        const o = { window: w, kernel };
        const dfwd = await measure(() => sync(() => dotProductAttention(...(qkv as [T4, T4, T4]), o).out));
        const dloss = (...a: tf.Tensor[]) => tf.sum(dotProductAttention(...(a as [T4, T4, T4]), o).out);
        const dfb = await measure(() => sync(() => tf.grads(dloss)(qkv)));
        const D = attentionFlops('dot', { B: 1, H, n, d, w });
        const us = (ms: number) => `${((ms * 1000) / n).toFixed(1)} µs/token`;
        rows.push(
          {
            case: `simplicialAttention forward, time per token, ${kLabel} (${shape}), ${backend}`,
            baseline: `dotProductAttention forward, ${label}, ${kLabel}`,
            ratio: fwd.cpuMs / dfwd.cpuMs,
            ratioMeaning: 'CPU time per token relative to dot-product attention (1 = same; > 1 slower)',
            detail: `${us(fwd.cpuMs)} vs ${us(dfwd.cpuMs)} CPU (wall ${us(fwd.medianMs)} vs ${us(dfwd.medianMs)}); FLOPs ${F.forward.toExponential(2)} vs ${D.forward.toExponential(2)}`,
          },
          {
            case: `simplicialAttention forward+backward, time per token, ${kLabel} (${shape}), ${backend}`,
            baseline: `dotProductAttention forward+backward, ${label}, ${kLabel}`,
            ratio: fb.cpuMs / dfb.cpuMs,
            ratioMeaning: 'CPU time per token relative to dot-product attention (1 = same; > 1 slower)',
            detail: `${us(fb.cpuMs)} vs ${us(dfb.cpuMs)} CPU (wall ${us(fb.medianMs)} vs ${us(dfb.medianMs)}); FLOPs ${(F.forward + F.backward).toExponential(2)} vs ${(D.forward + D.backward).toExponential(2)}`,
          },
        );
      }
    }
    tf.dispose([...xs, a2, b2, ab, bb]);
    if (qEq !== xs[0]) qEq.dispose();
  }
  notes.push(
    'Two kernels, the same on every tfjs backend (the backend only changes the tf.matMul peer): the WebAssembly SIMD kernel (f32x4, float32 arithmetic; simplicialForward/simplicialBackward of @tessera/kernels, compiled from its src/assembly/simplicial.ts; the default) and its JavaScript twin (scalar, Float64Array). Both: per (query, j) one t = s·(q ⊙ k1_j), then four keys at a time a dot-product block against k2 and an axpy block with v2, online max/sum; backward 12·d FLOPs per triple done (two dots, four axpys) against the 14·d the FLOP convention counts, so forward+backward rates are flattered by at most 14/12.',
    'Time per token against dot-product attention uses the same kind of kernel on both sides (WebAssembly against WebAssembly, JavaScript against JavaScript), built from the same dot4/axpy4/ger4 loops, so the ratio compares algorithms, not implementation styles. The dot-product backward is 10·d per pair against 14·d per triple, so at equal forward FLOPs simplicial forward+backward does 1.29× the FLOPs.',
    'Timing: median of 3 calls after 1 warm-up; ratios use process CPU time (both sides are single-threaded), wall-clock is in the details. The machine is a shared 2-core VM that ran other jobs (load average 10-20 during these runs): wall-clock figures scatter by 2x or more between runs; CPU-time ratios are steadier but still include cache contention.',
  );
  writeBenchReport(quick ? 'bench/results/simplicial-attention-quick.json' : 'bench/results/simplicial-attention.json', {
    package: '@tessera/simplicial-attention',
    title: `2-simplicial attention vs tf.matMul and dot-product attention (${backends.join(', ')})`,
    rows,
    notes,
  });
  for (const row of rows) console.log(`${row.ratio.toFixed(3).padStart(8)}  ${row.case}  vs  ${row.baseline}  [${row.detail}]`);
}

await main();
