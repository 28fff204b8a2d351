// GPU benchmarks of @tessera/webgpu, run on the webgpu backend (TESSERA_BACKEND=webgpu; see GPU.md for the GPU run).
// Every row is a ratio of two rates measured in this run on the same GPU: the peers are tf.matMul (FLOP/s) and an
// elementwise tf.add (elements/s, 12 bytes moved per element). Kernel times come from GPU timestamps (tf.time's
// kernelMs, timestamp-query); wall times (batched launches, one small readback) are given beside them.
// Writes bench/results/gpu.json (or $OUT/gpu.json when OUT is set).
import * as tf from '@tensorflow/tfjs-core';
import { BDR_MX4, BDR_MX6, BDR_MX9, MSFP16 } from '@tessera/bdr-formats';
import { initBackend, rng } from '@tessera/core';
import { JaggedTensor } from '@tessera/jagged-tensors';
import { dequantizeMXArray, fakeQuantizeMX, type MXFormat, quantizeMXArray } from '@tessera/mx-formats';
import { attentionFlops } from '@tessera/simplicial-attention';
import { type BenchRow, writeBenchReport } from '@tessera/testing';
import { setBDRKernelVariant } from '../src/bdr-fake-quant.js';
import {
  dequantizeMXWebGPU,
  embeddingBagWebGPU,
  fakeQuantizeBDRWebGPU,
  fakeQuantizeMXWebGPU,
  fakeQuantizeNVFP4WebGPU,
  quantizeMXWebGPU,
  simplicialAttentionWebGPU,
  simplicialBackwardWebGPU,
} from '../src/index.js';
import { type MXKernelVariant, setMXKernelVariant } from '../src/mx-fake-quant.js';
import { setSimplicialForwardVariant } from '../src/simplicial.js';

/** Reads one element of t (waits for the queue without copying t back). */
async function sync(t: tf.Tensor): Promise<void> {
  const s = tf.slice(tf.reshape(t, [-1]), [0], [1]);
  await s.data();
  tf.dispose(s);
}

interface Rate {
  kernelMs: number | null;
  kernelMsMedian?: number | null;
  wallMs: number;
}

/** Timed launches per measurement (GPU timestamps). */
const TIMED = 20;

/** GPU time (timestamps; median of reps) and batched wall time per call of f, which returns tensors it owns. */
async function measure(f: () => tf.Tensor | tf.Tensor[], reps = 10): Promise<Rate> {
  const run = () => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  };
  for (let i = 0; i < 3; i++) {
    const r = run();
    await sync(r[0]);
    tf.dispose(r);
  }
  // Dawn quantizes timestamp queries (to 2^16 ns = 65.5 µs on the H200 run), so one kernel's time is off by up to a
  // tick; the mean over many launches (arbitrary phase against the tick) is the estimate, the median kept beside it.
  const kms: number[] = [];
  for (let i = 0; i < TIMED; i++) {
    const t = await tf.time(() => tf.dispose(run()));
    const k = (t as { kernelMs?: number | { error: string } }).kernelMs;
    if (typeof k === 'number') kms.push(k);
  }
  kms.sort((a, b) => a - b);
  const mean = kms.length ? kms.reduce((p, v) => p + v, 0) / kms.length : null;
  const t0 = performance.now();
  let last: tf.Tensor[] = [];
  for (let i = 0; i < reps; i++) {
    tf.dispose(last);
    last = run();
  }
  await sync(last[0]);
  const wallMs = (performance.now() - t0) / reps;
  tf.dispose(last);
  return { kernelMs: mean, kernelMsMedian: kms.length ? kms[kms.length >> 1] : null, wallMs };
}

const fmt = (x: number, unit: string) => `${x >= 100 ? x.toFixed(0) : x.toPrecision(3)} ${unit}`;

async function main(): Promise<void> {
  const info = await initBackend(process.env.TESSERA_BACKEND ? undefined : 'webgpu');
  if (info.name !== 'webgpu') throw new Error(`bench/run.ts: needs the webgpu backend, got ${info.name}`);
  const quick = process.argv.includes('--quick');
  const out = process.env.OUT ? `${process.env.OUT}/gpu.json` : new URL('./results/gpu.json', import.meta.url).pathname;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const r = rng(1);
  const results: Record<string, unknown> = {};

  // peers
  const nMM = quick ? 1024 : 4096;
  const a = tf.randomNormal([nMM, nMM]);
  const b = tf.randomNormal([nMM, nMM]);
  const mm = await measure(() => tf.matMul(a, b));
  tf.dispose([a, b]);
  const mmFlop = 2 * nMM ** 3;
  const mmRate = mmFlop / (mm.kernelMs ?? mm.wallMs); // FLOP per ms
  results.matMul = { n: nMM, ...mm, tflopsKernel: mm.kernelMs ? mmFlop / mm.kernelMs / 1e9 : null, tflopsWall: mmFlop / mm.wallMs / 1e9 };
  const N = quick ? 2 ** 22 : 2 ** 26;
  const x = tf.tensor1d(r.normalArray(N));
  const y = tf.tensor1d(r.normalArray(N));
  const add = await measure(() => tf.add(x, y));
  const addRate = N / (add.kernelMs ?? add.wallMs); // elements per ms
  results.add = { n: N, ...add, gbpsKernel: add.kernelMs ? (12 * N) / add.kernelMs / 1e6 : null, gbpsWall: (12 * N) / add.wallMs / 1e6 };
  notes.push(
    `peers: tf.matMul ${nMM}³ float32 ${fmt(mmFlop / (mm.kernelMs ?? mm.wallMs) / 1e9, 'TFLOP/s')} (GPU timestamps; ${fmt(mmFlop / mm.wallMs / 1e9, 'TFLOP/s')} wall); tf.add of 2^${Math.log2(N)} float32 ${fmt(addRate / 1e6, 'G elements/s')} = ${fmt((12 * addRate) / 1e6, 'GB/s')} (timestamps; ${fmt((12 * N) / add.wallMs / 1e6, 'GB/s')} wall)`,
  );
  // host <-> device copies
  {
    const t0 = performance.now();
    await x.data();
    const down = performance.now() - t0;
    const host = r.normalArray(N);
    const t1 = performance.now();
    const u = tf.tensor1d(host);
    await sync(u);
    const up = performance.now() - t1;
    tf.dispose(u);
    results.copies = { bytes: 4 * N, downloadMs: down, uploadMs: up };
    notes.push(
      `host↔device: reading 2^${Math.log2(N)} float32 (${(4 * N) / 2 ** 20} MiB) back took ${down.toFixed(1)} ms, uploading ${up.toFixed(1)} ms, against ${(add.kernelMs ?? add.wallMs).toFixed(2)} ms for an add over them on the GPU: any path that round-trips through the host (dataSync/data + host kernel + upload) is bound by these copies, not by the GPU`,
    );
  }

  // MX fake quantization: WGSL kernel vs the add rate; the tfjs-op kernel of mx-formats on the same GPU
  const formats: MXFormat[] = ['mxfp8_e4m3', 'mxfp6_e2m3', 'mxfp4_e2m1', 'mxint8'];
  const xm = tf.reshape(x, [N / 1024, 1024]);
  for (const format of formats) {
    const t = await measure(() => fakeQuantizeMXWebGPU(xm, { format }));
    const rate = N / (t.kernelMs ?? t.wallMs);
    rows.push({
      case: `fakeQuantizeMXWebGPU ${format}, blockSize 32, 2^${Math.log2(N)} float32 (one WGSL pass)`,
      baseline: 'tf.add of two 2^26 float32 tensors on the same GPU (elements/s)',
      ratio: rate / addRate,
      ratioMeaning: 'fake-quantized elements/s as a fraction of the add rate (GPU timestamps; higher is better)',
      goal: '>= 0.5',
      detail: `${fmt(rate / 1e6, 'G elements/s')} (wall ${fmt(N / t.wallMs / 1e6, 'G elements/s')}); add ${fmt(addRate / 1e6, 'G elements/s')}`,
    });
    results[`mxWGSL_${format}`] = t;
  }
  // the other MX programs on the same data, for comparison; 'vec4-structure' only loads, reduces and stores
  for (const [v, format] of [
    ['tiled', 'mxfp8_e4m3'],
    ['block', 'mxfp8_e4m3'],
    ['tiled', 'mxint8'],
    ['vec4-structure', 'mxfp8_e4m3'],
    ['vec4', 'mxfp8_e4m3'],
    ['vec4', 'mxfp4_e2m1'],
  ] as [MXKernelVariant, MXFormat][]) {
    setMXKernelVariant(v);
    const t = await measure(() => fakeQuantizeMXWebGPU(xm, { format }));
    setMXKernelVariant('auto');
    const rate = N / (t.kernelMs ?? t.wallMs);
    rows.push({
      case: `fakeQuantizeMXWebGPU ${format}, blockSize 32, 2^${Math.log2(N)} float32, program '${v}'${v === 'vec4-structure' ? ' (loads, block max and stores only: no quantization)' : ''}`,
      baseline: 'tf.add of two 2^26 float32 tensors on the same GPU (elements/s)',
      ratio: rate / addRate,
      ratioMeaning: 'elements/s as a fraction of the add rate (GPU timestamps; higher is better)',
      detail: `${fmt(rate / 1e6, 'G elements/s')} (wall ${fmt(N / t.wallMs / 1e6, 'G elements/s')})`,
    });
    results[`mxWGSL_${v}_${format}`] = t;
  }
  // BDR fake quantization (vectorised program; MX6 also with the thread-per-block program)
  for (const [f, v] of [
    [BDR_MX4, 'auto'],
    [BDR_MX6, 'auto'],
    [BDR_MX9, 'auto'],
    [MSFP16, 'auto'],
    [BDR_MX6, 'block'],
    [BDR_MX4, 'vec4-reload'],
    [BDR_MX6, 'vec4-reload'],
    [BDR_MX9, 'vec4-reload'],
  ] as const) {
    setBDRKernelVariant(v);
    const t = await measure(() => fakeQuantizeBDRWebGPU(xm, f));
    setBDRKernelVariant('auto');
    const rate = N / (t.kernelMs ?? t.wallMs);
    rows.push({
      case: `fakeQuantizeBDRWebGPU ${f.name} (k1 ${f.k1}, k2 ${f.k2}, m ${f.m}), 2^${Math.log2(N)} float32${v === 'block' ? ', thread-per-block program' : ' (one WGSL pass)'}`,
      baseline: 'tf.add of two 2^26 float32 tensors on the same GPU (elements/s)',
      ratio: rate / addRate,
      ratioMeaning: 'fake-quantized elements/s as a fraction of the add rate (GPU timestamps; higher is better)',
      goal: v === 'auto' ? '>= 0.5' : undefined,
      detail: `${fmt(rate / 1e6, 'G elements/s')} (wall ${fmt(N / t.wallMs / 1e6, 'G elements/s')})`,
    });
    results[`bdrWGSL_${f.name}_${v}`] = t;
  }
  // MX quantize+pack (three passes: block scales, packed code words, scale words) and dequantize, on the GPU
  for (const format of ['mxfp8_e4m3', 'mxfp6_e2m3', 'mxfp4_e2m1', 'mxint8'] as MXFormat[]) {
    const tq = await measure(() => {
      const q = quantizeMXWebGPU(xm, { format });
      return [q.data, q.scales];
    });
    const q = quantizeMXWebGPU(xm, { format });
    const td = await measure(() => dequantizeMXWebGPU(q));
    tf.dispose([q.data, q.scales]);
    const rq = N / (tq.kernelMs ?? tq.wallMs);
    const rd = N / (td.kernelMs ?? td.wallMs);
    rows.push(
      {
        case: `quantizeMXWebGPU ${format} (scales + packed codes, the bytes of quantizeMX), 2^${Math.log2(N)} float32`,
        baseline: 'tf.add of two 2^26 float32 tensors on the same GPU (elements/s)',
        ratio: rq / addRate,
        ratioMeaning: 'elements/s as a fraction of the add rate (GPU timestamps)',
        detail: `${fmt(rq / 1e6, 'G elements/s')} (wall ${fmt(N / tq.wallMs / 1e6, 'G elements/s')})`,
      },
      {
        case: `dequantizeMXWebGPU ${format} from GPU-resident bytes, 2^${Math.log2(N)} values`,
        baseline: 'tf.add of two 2^26 float32 tensors on the same GPU (elements/s)',
        ratio: rd / addRate,
        ratioMeaning: 'elements/s as a fraction of the add rate (GPU timestamps)',
        detail: `${fmt(rd / 1e6, 'G elements/s')} (wall ${fmt(N / td.wallMs / 1e6, 'G elements/s')})`,
      },
    );
    results[`mxPack_${format}`] = { quantize: tq, dequantize: td };
  }
  {
    const t = await measure(() => fakeQuantizeNVFP4WebGPU(xm));
    const rate = N / (t.kernelMs ?? t.wallMs);
    rows.push({
      case: `fakeQuantizeNVFP4WebGPU (blocks of 16, E4M3 scales), 2^${Math.log2(N)} float32 (one WGSL pass)`,
      baseline: 'tf.add of two 2^26 float32 tensors on the same GPU (elements/s)',
      ratio: rate / addRate,
      ratioMeaning: 'fake-quantized elements/s as a fraction of the add rate (GPU timestamps; higher is better)',
      goal: '>= 0.5',
      detail: `${fmt(rate / 1e6, 'G elements/s')} (wall ${fmt(N / t.wallMs / 1e6, 'G elements/s')})`,
    });
    results.nvfp4WGSL = t;
  }
  {
    const n2 = quick ? 2 ** 18 : 2 ** 22;
    const x2 = tf.reshape(tf.slice(x, [0], [n2]), [n2 / 1024, 1024]);
    const t = await measure(() => fakeQuantizeMX(x2, { format: 'mxfp8_e4m3', kernel: 'tfjs' }), 5);
    const rate = n2 / (t.kernelMs ?? t.wallMs);
    rows.push({
      case: `mx-formats fakeQuantizeMX mxfp8_e4m3 kernel 'tfjs' (about 60 tfjs ops), 2^${Math.log2(n2)} float32, webgpu`,
      baseline: 'tf.add on the same GPU (elements/s)',
      ratio: rate / addRate,
      ratioMeaning: 'elements/s as a fraction of the add rate (GPU timestamps)',
      detail: `${fmt(rate / 1e6, 'G elements/s')} (wall ${fmt(n2 / t.wallMs / 1e6, 'G elements/s')})`,
    });
    // does the tfjs-op path stay bit-exact on this GPU? (cpu/wasm are verified by mx-formats' tests)
    const data = r.normalArray(2 ** 16).map((v, i) => (i % 5 === 0 ? v * 2 ** -130 : i % 7 === 0 ? v * 1e30 : v));
    const xt = tf.tensor2d(data, [64, 1024]);
    const mism: Record<string, number> = {};
    for (const format of ['mxfp8_e4m3', 'mxfp6_e3m2', 'mxfp4_e2m1', 'mxint8'] as MXFormat[]) {
      for (const subnormals of ['keep', 'flush-block'] as const) {
        const f = fakeQuantizeMX(xt, { format, kernel: 'tfjs', subnormals });
        const g = new Uint32Array(((await f.data()) as Float32Array).buffer);
        const h = new Uint32Array(dequantizeMXArray(quantizeMXArray(data, [64, 1024], { format, subnormals })).buffer);
        let c = 0;
        for (let i = 0; i < h.length; i++)
          if (g[i] !== h[i] && !((g[i] & 0x7fffffff) > 0x7f800000 && (h[i] & 0x7fffffff) > 0x7f800000)) c++;
        mism[`${format}/${subnormals}`] = c;
        tf.dispose(f);
      }
    }
    tf.dispose([x2, xt]);
    results.tfjsOpPathMismatches = mism;
    notes.push(
      `mx-formats' tfjs-op fakeQuantizeMX on webgpu vs the host kernel, 2^16 values (a fifth of them FP32 subnormals): mismatching elements ${JSON.stringify(mism)}`,
    );
  }
  tf.dispose([x, y, xm]);

  // embedding-bag pooled lookup: bytes of table rows gathered per second vs the add's bytes per second
  {
    const [R, D, B, L] = quick ? [100_000, 64, 4096, 16] : [1_000_000, 64, 65_536, 16];
    const table = tf.randomNormal([R, D]) as tf.Tensor2D;
    const ids = Int32Array.from({ length: B * L }, (_, i) => Math.floor(((Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32) * R));
    const jt = new JaggedTensor({ values: tf.tensor1d(ids, 'int32'), lengths: new Array(B).fill(L) });
    const t = await measure(() => embeddingBagWebGPU(table, jt));
    const bytes = B * L * D * 4;
    const rate = bytes / (t.kernelMs ?? t.wallMs);
    rows.push({
      case: `embeddingBagWebGPU sum, ${B} bags × ${L} random ids, table [${R}, ${D}]`,
      baseline: 'tf.add on the same GPU (bytes/s, 12 per element)',
      ratio: rate / (12 * addRate),
      ratioMeaning: 'table bytes gathered per second as a fraction of the add bytes per second (GPU timestamps)',
      detail: `${fmt(rate / 1e6, 'GB/s')} gathered (wall ${fmt(bytes / t.wallMs / 1e6, 'GB/s')})`,
    });
    results.embeddingBag = { R, D, B, L, ...t };
    jt.dispose();
    tf.dispose(table);
  }

  // 2-simplicial attention (WGSL forward; forward + the three backward kernels) against tf.matMul FLOP/s
  {
    const n = quick ? 1024 : 8192;
    const [w1, w2, d, H] = [64, 16, 64, quick ? 2 : 8];
    const F = attentionFlops('simplicial', { B: 1, H, n, d, w1, w2 });
    const five = [0, 1, 2, 3, 4].map(() => tf.tensor4d(r.normalArray(n * H * d), [1, n, H, d]));
    const [q, k1, k2, v1, v2] = five as tf.Tensor4D[];
    const o = { w1, w2 };
    const fwd = await measure(() => {
      const { out, lse } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, o);
      return [out, lse];
    }, 5);
    setSimplicialForwardVariant('rows');
    const fwdRows = await measure(() => {
      const { out, lse } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, o);
      return [out, lse];
    }, 3);
    setSimplicialForwardVariant('auto');
    const dOut = tf.onesLike(q);
    const fb = await measure(() => {
      const { out, lse } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, o);
      const g = simplicialBackwardWebGPU(q, k1, k2, v1, v2, out, dOut, lse, o);
      return [g.dq, out, lse, g.dk1, g.dk2, g.dv1, g.dv2];
    }, 3);
    // the FLOP-matched GEMM of the simplicial-attention package's own bench: [n, d]·[d, w1·w2]
    const ga = tf.randomNormal([n, d]);
    const gb = tf.randomNormal([d, w1 * w2]);
    const gm = await measure(() => tf.matMul(ga, gb));
    const gmRate = (2 * n * d * w1 * w2) / (gm.kernelMs ?? gm.wallMs);
    tf.dispose([...five, dOut, ga, gb]);
    const fwdRate = F.forward / (fwd.kernelMs ?? fwd.wallMs);
    const fbRate = (F.forward + F.backward) / (fb.kernelMs ?? fb.wallMs);
    const rowsRate = F.forward / (fwdRows.kernelMs ?? fwdRows.wallMs);
    const shape = `n ${n}, w1 ${w1}, w2 ${w2}, d ${d}, B 1, H ${H}, causal`;
    rows.push(
      {
        case: `simplicialAttentionWebGPU forward (${shape})`,
        baseline: `tf.matMul ${nMM}³ on the same GPU (FLOP/s)`,
        ratio: fwdRate / mmRate,
        ratioMeaning: 'achieved FLOP/s (4·d per valid triple, attentionFlops) as a fraction of the tf.matMul FLOP/s (GPU timestamps)',
        goal: '>= 0.5',
        detail: `${fmt(fwdRate / 1e9, 'TFLOP/s')} (wall ${fmt(F.forward / fwd.wallMs / 1e9, 'TFLOP/s')}); ${fmt(fwdRate / gmRate, '×')} the FLOP-matched GEMM [${n}, ${d}]·[${d}, ${w1 * w2}] (${fmt(gmRate / 1e9, 'TFLOP/s')})`,
      },
      {
        case: `simplicialAttentionWebGPU forward, untiled kernel (one invocation per query; the previous kernel) (${shape})`,
        baseline: `tf.matMul ${nMM}³ on the same GPU (FLOP/s)`,
        ratio: rowsRate / mmRate,
        ratioMeaning: 'achieved FLOP/s (4·d per valid triple) as a fraction of the tf.matMul FLOP/s (GPU timestamps)',
        detail: `${fmt(rowsRate / 1e9, 'TFLOP/s')}; the tiled forward is ${fmt(fwdRate / rowsRate, '×')} faster`,
      },
      {
        case: `simplicialAttentionWebGPU forward + backward (${shape}; tiled forward, untiled backward kernels)`,
        baseline: `tf.matMul ${nMM}³ on the same GPU (FLOP/s)`,
        ratio: fbRate / mmRate,
        ratioMeaning: 'achieved FLOP/s ((4 + 14)·d per valid triple) as a fraction of the tf.matMul FLOP/s (GPU timestamps)',
        goal: '>= 0.5',
        detail: `${fmt(fbRate / 1e9, 'TFLOP/s')} (wall ${fmt((F.forward + F.backward) / fb.wallMs / 1e9, 'TFLOP/s')})`,
      },
    );
    results.simplicial = { n, w1, w2, d, H, flops: F, fwd, fwdRows, fb, gemm: gm };
  }

  // DLRM training, webgpu vs wasm (same model and batch): kernel 'auto' runs dlrm-model's tfjs-op path on webgpu (no
  // synchronous read; tables, parameters and optimizer state stay on the GPU) and its host kernels on wasm
  results.dlrm = await dlrm(quick, rows, notes);
  writeBenchReport(out, {
    package: '@tessera/webgpu',
    title: "GPU (webgpu backend): WGSL kernels against the same GPU's tf.add and tf.matMul",
    rows,
    notes,
  });
  console.log(JSON.stringify({ rows, notes, results }, null, 1));
}

async function dlrm(quick: boolean, rows: BenchRow[], notes: string[]): Promise<unknown> {
  const res: Record<string, unknown> = {};
  const B = quick ? 256 : 2048;
  const rate: Record<string, number> = {};
  for (const backend of ['wasm', 'webgpu'] as const) {
    try {
      await initBackend(backend, { log: null });
      const { DlrmModel, sgd, trainStepAsync } = await import('@tessera/dlrm-model');
      const { defaultSessionFeatures, generateSessionBatch } = await import('@tessera/jagged-tensors');
      const R = 100_000;
      const features = defaultSessionFeatures(26, { rows: R });
      const names = features.map((f: { name: string }) => f.name);
      const model = DlrmModel.create(
        {
          denseFeatures: 13,
          embeddingDim: 16,
          tableSizes: names.map(() => R),
          featureNames: names,
          bottomMlp: [64, 16],
          topMlp: [64, 1],
          interaction: 'dot',
        },
        { seed: 1 },
      );
      const opt = sgd(0.01);
      const { kjt } = generateSessionBatch({ batchSize: B, meanSessionLength: 1, fixedSessionLength: true, features, seed: 3 });
      const dense = tf.randomUniform([B, 13], 0, 3, 'float32', 1) as tf.Tensor2D;
      const labels = tf.cast(tf.greater(tf.randomUniform([B, 1], 0, 1, 'float32', 2), 0.7), 'float32') as tf.Tensor2D;
      const batch = { dense, labels, sparse: kjt };
      // each step awaits its loss, as train() does (the loss depends on the previous step's update)
      for (let i = 0; i < 2; i++) await trainStepAsync(model, opt, batch, 'bce');
      const steps = quick ? 3 : 10;
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await trainStepAsync(model, opt, batch, 'bce');
      const ms = (performance.now() - t0) / steps;
      rate[backend] = (B / ms) * 1e3;
      res[backend] = { batch: B, msPerStep: ms, samplesPerSec: rate[backend] };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      res[backend] = { error: msg.split('\n')[0].slice(0, 300) };
    }
  }
  await initBackend('webgpu', { log: null });
  if (rate.webgpu && rate.wasm)
    rows.push({
      case: `DLRM training step (26 sparse features, d 16, B ${B}, SGD; tfjs-op path, await trainStepAsync), webgpu`,
      baseline: 'the same step on wasm (host kernels)',
      ratio: rate.webgpu / rate.wasm,
      ratioMeaning: 'training samples/s webgpu ÷ wasm',
      detail: `${rate.webgpu.toFixed(0)} vs ${rate.wasm.toFixed(0)} samples/s`,
    });
  else notes.push(`DLRM trainStep webgpu vs wasm: ${JSON.stringify(res)}`);
  return res;
}

await main();
process.exit(0);
