// GPU benchmarks of @tessera/webgpu, run on the webgpu backend (TESSERA_BACKEND=webgpu; see GPU.md for the GPU run).
// Every row is a ratio of two rates measured in this run on the same GPU: the peers are tf.matMul (FLOP/s) and an
// elementwise tf.add (elements/s, 12 bytes moved per element). Kernel times come from GPU timestamps (tf.time's
// kernelMs, timestamp-query): each kernel is first warmed up (at least WARM_MS of launches), then timed as the mean
// of TIMED launches; wall times (batched launches, one small readback) are given beside them. Every row runs in its
// own try/catch: a failing row is reported as FAILED with its error and the run goes on.
// Sizes: full by default (the H200 run); `--quick` smaller; WEBGPU_BENCH_SMALL=1 tiny (a check of the script on
// lavapipe, whose figures mean nothing). Writes bench/results/gpu.json (gpu-quick.json / gpu-small-quick.json for the
// reduced sizes), or $OUT/gpu.json when OUT is set.
import * as tf from '@tensorflow/tfjs-core';
import { BDR_MX4, BDR_MX6, BDR_MX9, fakeQuantizeBDR, MSFP16 } from '@tessera/bdr-formats';
import { initBackend, rng } from '@tessera/core';
import { embeddingBag, JaggedTensor } from '@tessera/jagged-tensors';
import { dequantizeMXArray, fakeQuantizeMX, fakeQuantizeNVFP4, type MXFormat, quantizeMXArray } from '@tessera/mx-formats';
import { attentionFlops, simplicialAttention } from '@tessera/simplicial-attention';
import { type BenchRow, writeBenchReport } from '@tessera/testing';
import { setBDRKernelVariant } from '../src/bdr-fake-quant.js';
import {
  dequantizeMXWebGPU,
  embeddingBagWebGPU,
  fakeQuantizeBDRWebGPU,
  fakeQuantizeMXWebGPU,
  fakeQuantizeNVFP4WebGPU,
  quantizeMXWebGPU,
  registerWebGPUKernels,
  simplicialAttentionWebGPU,
  simplicialBackwardWebGPU,
} from '../src/index.js';
import { type MXKernelVariant, setMXKernelVariant } from '../src/mx-fake-quant.js';
import { type SimplicialForwardVariant, setSimplicialForwardVariant, setSimplicialKeyGradVariant } from '../src/simplicial.js';

const SMALL = process.env.WEBGPU_BENCH_SMALL === '1';
const QUICK = !SMALL && process.argv.includes('--quick');
/** The full, `--quick` or WEBGPU_BENCH_SMALL=1 value of a size. */
const pick = <T>(full: T, quick: T, small: T): T => (SMALL ? small : QUICK ? quick : full);

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
  warmLaunches: number;
}

/** Timed launches per measurement (GPU timestamps). */
const TIMED = 20;
/** Warm-up of each kernel before it is timed: launches for at least this long (and at least 3 launches). */
const WARM_MS = pick(400, 200, 0);

/** GPU time (mean of TIMED timestamped launches after a warm-up) and batched wall time per call of f, which returns tensors it owns. */
async function measure(f: () => tf.Tensor | tf.Tensor[], reps = 10): Promise<Rate> {
  const run = () => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  };
  // warm-up: the previous H200 run timed short kernels 2-4x slower when they ran right after an idle GPU, so every
  // kernel runs back to back for WARM_MS (syncing every 4 launches) before it is timed
  const w0 = performance.now();
  let warm = 0;
  while (warm < 3 || (performance.now() - w0 < WARM_MS && warm < 400)) {
    const r = run();
    warm++;
    if (warm % 4 === 0) await sync(r[0]);
    tf.dispose(r);
  }
  {
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
  return { kernelMs: mean, kernelMsMedian: kms.length ? kms[kms.length >> 1] : null, wallMs, warmLaunches: warm };
}

const fmt = (x: number, unit: string) => `${x >= 100 ? x.toFixed(0) : x.toPrecision(3)} ${unit}`;
const ms = (t: Rate) => t.kernelMs ?? t.wallMs;

/**
 * Runs one benchmark row (or several) in its own tensor scope; an error becomes a FAILED row carrying the message,
 * so one failure cannot stop the run.
 */
async function attempt(rows: BenchRow[], label: string, baseline: string, body: () => Promise<BenchRow | BenchRow[]>): Promise<void> {
  tf.engine().startScope();
  try {
    const r = await body();
    rows.push(...(Array.isArray(r) ? r : [r]));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    rows.push({
      case: `${label} — FAILED`,
      baseline,
      ratio: 0,
      ratioMeaning: 'not measured: the row failed (the error is in detail)',
      detail: msg.split('\n')[0].slice(0, 300),
    });
    console.error(`[bench] ${label}: ${msg.split('\n')[0]}`);
  } finally {
    tf.engine().endScope();
    // variants are module state: back to the defaults whatever the row did
    setMXKernelVariant('auto');
    setBDRKernelVariant('auto');
    setSimplicialForwardVariant('auto');
    setSimplicialKeyGradVariant('auto');
  }
}

/** Whether two float32 tensors hold the same bits (NaNs equal). */
async function sameBits(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const x = new Uint32Array(((await a.data()) as Float32Array).slice().buffer);
  const y = new Uint32Array(((await b.data()) as Float32Array).slice().buffer);
  let c = x.length === y.length ? 0 : Math.max(x.length, y.length);
  for (let i = 0; i < Math.min(x.length, y.length); i++)
    if (x[i] !== y[i] && !((x[i] & 0x7fffffff) > 0x7f800000 && (y[i] & 0x7fffffff) > 0x7f800000)) c++;
  return c;
}

async function main(): Promise<void> {
  const info = await initBackend(process.env.TESSERA_BACKEND ? undefined : 'webgpu');
  if (info.name !== 'webgpu') throw new Error(`bench/run.ts: needs the webgpu backend, got ${info.name}`);
  const quick = QUICK || SMALL;
  const file = SMALL ? 'gpu-small-quick.json' : QUICK ? 'gpu-quick.json' : 'gpu.json';
  const out = process.env.OUT ? `${process.env.OUT}/${file}` : new URL(`./results/${file}`, import.meta.url).pathname;
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const r = rng(1);
  const results: Record<string, unknown> = {};
  const addBase = 'tf.add of two float32 tensors of the same size on the same GPU (elements/s)';

  // wake the GPU (clocks) before the first measurement: about a second of back-to-back matMuls
  {
    const n = pick(2048, 1024, 64);
    const a = tf.randomNormal([n, n]);
    const t0 = performance.now();
    let k = 0;
    while (performance.now() - t0 < pick(1500, 500, 0) || k < 2) {
      const c = tf.matMul(a, a);
      if (++k % 8 === 0) await sync(c);
      c.dispose();
    }
    const c = tf.matMul(a, a);
    await sync(c);
    tf.dispose([a, c]);
  }

  // peers
  const nMM = pick(4096, 1024, 128);
  const peers = async () => {
    const a = tf.randomNormal([nMM, nMM]);
    const b = tf.randomNormal([nMM, nMM]);
    const mm = await measure(() => tf.matMul(a, b));
    tf.dispose([a, b]);
    return mm;
  };
  const mm = await peers();
  const mmFlop = 2 * nMM ** 3;
  const mmRate = mmFlop / ms(mm); // FLOP per ms
  results.matMul = { n: nMM, ...mm, tflopsKernel: mm.kernelMs ? mmFlop / mm.kernelMs / 1e9 : null, tflopsWall: mmFlop / mm.wallMs / 1e9 };
  const N = pick(2 ** 26, 2 ** 22, 2 ** 14);
  const x = tf.tensor1d(r.normalArray(N));
  const y = tf.tensor1d(r.normalArray(N));
  const add = await measure(() => tf.add(x, y));
  const addRate = N / ms(add); // elements per ms
  results.add = { n: N, ...add, gbpsKernel: add.kernelMs ? (12 * N) / add.kernelMs / 1e6 : null, gbpsWall: (12 * N) / add.wallMs / 1e6 };
  notes.push(
    `peers: tf.matMul ${nMM}³ float32 ${fmt(mmFlop / ms(mm) / 1e9, 'TFLOP/s')} (GPU timestamps; ${fmt(mmFlop / mm.wallMs / 1e9, 'TFLOP/s')} wall); tf.add of 2^${Math.log2(N)} float32 ${fmt(addRate / 1e6, 'G elements/s')} = ${fmt((12 * addRate) / 1e6, 'GB/s')} (timestamps; ${fmt((12 * N) / add.wallMs / 1e6, 'GB/s')} wall); each kernel warmed up for ${WARM_MS} ms, then the mean of ${TIMED} timestamped launches`,
  );
  const xm = tf.reshape(x, [N / 1024, 1024]);
  const rate = (t: Rate, n = N) => n / ms(t);
  const elemRow = (label: string, t: Rate, goal?: string): BenchRow => ({
    case: label,
    baseline: addBase,
    ratio: rate(t) / addRate,
    ratioMeaning: 'elements/s as a fraction of the add rate (GPU timestamps; higher is better)',
    goal,
    detail: `${fmt(rate(t) / 1e6, 'G elements/s')} (wall ${fmt(N / t.wallMs / 1e6, 'G elements/s')})`,
  });

  // MX fake quantization: WGSL kernel vs the add rate
  const formats: MXFormat[] = ['mxfp8_e4m3', 'mxfp6_e2m3', 'mxfp4_e2m1', 'mxint8'];
  for (const format of formats)
    await attempt(rows, `fakeQuantizeMXWebGPU ${format}`, addBase, async () => {
      const t = await measure(() => fakeQuantizeMXWebGPU(xm, { format }));
      results[`mxWGSL_${format}`] = t;
      return elemRow(`fakeQuantizeMXWebGPU ${format}, blockSize 32, 2^${Math.log2(N)} float32 (one WGSL pass)`, t, '>= 0.5');
    });
  // the other MX programs on the same data, for comparison; 'vec4-structure' only loads, reduces and stores
  for (const [v, format] of [
    ['vec4-reload', 'mxfp8_e4m3'],
    ['tiled', 'mxfp8_e4m3'],
    ['block', 'mxfp8_e4m3'],
    ['tiled', 'mxint8'],
    ['vec4-structure', 'mxfp8_e4m3'],
  ] as [MXKernelVariant, MXFormat][])
    await attempt(rows, `fakeQuantizeMXWebGPU ${format} program '${v}'`, addBase, async () => {
      setMXKernelVariant(v);
      const t = await measure(() => fakeQuantizeMXWebGPU(xm, { format }));
      results[`mxWGSL_${v}_${format}`] = t;
      return elemRow(
        `fakeQuantizeMXWebGPU ${format}, blockSize 32, 2^${Math.log2(N)} float32, program '${v}'${v === 'vec4-structure' ? ' (loads, block max and stores only: no quantization)' : ''}`,
        t,
      );
    });

  // the owners' own functions after registerWebGPUKernels(): they should run the same kernels at the same rate
  const unregister = registerWebGPUKernels();
  const ownerRow = async (label: string, owner: () => tf.Tensor, direct: () => tf.Tensor, n = N): Promise<BenchRow> => {
    const a = owner();
    const b = direct();
    const diff = await sameBits(a, b);
    tf.dispose([a, b]);
    const to = await measure(owner);
    const td = await measure(direct);
    results[`owner_${label}`] = { owner: to, direct: td, mismatchingElements: diff };
    return {
      case: `${label} (kernel 'auto', after registerWebGPUKernels)`,
      baseline: 'the same WGSL kernel called directly (@tessera/webgpu)',
      ratio: ms(td) / ms(to),
      ratioMeaning: 'owner-path rate ÷ direct-call rate (GPU timestamps; 1 = no dispatch overhead on the GPU)',
      goal: '≈ 1, 0 mismatching elements',
      detail: `${fmt(n / ms(to) / 1e6, 'G elements/s')} vs ${fmt(n / ms(td) / 1e6, 'G elements/s')} direct; ${diff} mismatching elements; wall ${to.wallMs.toFixed(3)} vs ${td.wallMs.toFixed(3)} ms`,
    };
  };
  for (const format of ['mxfp8_e4m3', 'mxfp4_e2m1'] as MXFormat[])
    await attempt(rows, `mx-formats fakeQuantizeMX ${format}`, 'fakeQuantizeMXWebGPU', () =>
      ownerRow(
        `mx-formats fakeQuantizeMX ${format}, 2^${Math.log2(N)} float32`,
        () => fakeQuantizeMX(xm, { format }),
        () => fakeQuantizeMXWebGPU(xm, { format }),
      ),
    );
  await attempt(rows, 'mx-formats fakeQuantizeNVFP4', 'fakeQuantizeNVFP4WebGPU', () =>
    ownerRow(
      `mx-formats fakeQuantizeNVFP4, 2^${Math.log2(N)} float32`,
      () => fakeQuantizeNVFP4(xm),
      () => fakeQuantizeNVFP4WebGPU(xm),
    ),
  );
  await attempt(rows, 'bdr-formats fakeQuantizeBDR MX6', 'fakeQuantizeBDRWebGPU', () =>
    ownerRow(
      `bdr-formats fakeQuantizeBDR ${BDR_MX6.name}, 2^${Math.log2(N)} float32`,
      () => fakeQuantizeBDR(xm, BDR_MX6),
      () => fakeQuantizeBDRWebGPU(xm, BDR_MX6),
    ),
  );

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
  ] as const)
    await attempt(rows, `fakeQuantizeBDRWebGPU ${f.name} ${v}`, addBase, async () => {
      setBDRKernelVariant(v);
      const t = await measure(() => fakeQuantizeBDRWebGPU(xm, f));
      results[`bdrWGSL_${f.name}_${v}`] = t;
      return elemRow(
        `fakeQuantizeBDRWebGPU ${f.name} (k1 ${f.k1}, k2 ${f.k2}, m ${f.m}), 2^${Math.log2(N)} float32${v === 'block' ? ', thread-per-block program' : v === 'vec4-reload' ? ", program 'vec4-reload'" : ' (one WGSL pass)'}`,
        t,
        v === 'auto' ? '>= 0.5' : undefined,
      );
    });
  // MX quantize+pack (three passes: block scales, packed code words, scale words) and dequantize, on the GPU
  for (const format of ['mxfp8_e4m3', 'mxfp6_e2m3', 'mxfp4_e2m1', 'mxint8'] as MXFormat[])
    await attempt(rows, `quantizeMXWebGPU / dequantizeMXWebGPU ${format}`, addBase, async () => {
      const tq = await measure(() => {
        const q = quantizeMXWebGPU(xm, { format });
        return [q.data, q.scales];
      });
      const q = quantizeMXWebGPU(xm, { format });
      const td = await measure(() => dequantizeMXWebGPU(q));
      tf.dispose([q.data, q.scales]);
      results[`mxPack_${format}`] = { quantize: tq, dequantize: td };
      return [
        elemRow(`quantizeMXWebGPU ${format} (scales + packed codes, the bytes of quantizeMX), 2^${Math.log2(N)} float32`, tq),
        elemRow(`dequantizeMXWebGPU ${format} from GPU-resident bytes, 2^${Math.log2(N)} values`, td),
      ];
    });
  await attempt(rows, 'fakeQuantizeNVFP4WebGPU', addBase, async () => {
    const t = await measure(() => fakeQuantizeNVFP4WebGPU(xm));
    results.nvfp4WGSL = t;
    return elemRow(`fakeQuantizeNVFP4WebGPU (blocks of 16, E4M3 scales), 2^${Math.log2(N)} float32 (one WGSL pass)`, t, '>= 0.5');
  });
  await attempt(rows, "mx-formats fakeQuantizeMX kernel 'tfjs'", addBase, async () => {
    const n2 = pick(2 ** 22, 2 ** 18, 2 ** 12);
    const x2 = tf.reshape(tf.slice(x, [0], [n2]), [n2 / 1024, 1024]);
    const t = await measure(() => fakeQuantizeMX(x2, { format: 'mxfp8_e4m3', kernel: 'tfjs' }), 5);
    // does the tfjs-op path stay bit-exact on this GPU? (cpu/wasm are verified by mx-formats' tests)
    const data = r.normalArray(2 ** 16).map((v, i) => (i % 5 === 0 ? v * 2 ** -130 : i % 7 === 0 ? v * 1e30 : v));
    const xt = tf.tensor2d(data, [64, 1024]);
    const mism: Record<string, number> = {};
    for (const format of ['mxfp8_e4m3', 'mxfp6_e3m2', 'mxfp4_e2m1', 'mxint8'] as MXFormat[]) {
      for (const subnormals of ['keep', 'flush-block'] as const) {
        const f = fakeQuantizeMX(xt, { format, kernel: 'tfjs', subnormals });
        const h = tf.tensor(dequantizeMXArray(quantizeMXArray(data, [64, 1024], { format, subnormals })), [64, 1024]);
        mism[`${format}/${subnormals}`] = await sameBits(f, h);
        tf.dispose([f, h]);
      }
    }
    results.tfjsOpPathMismatches = mism;
    notes.push(
      `mx-formats' tfjs-op fakeQuantizeMX on webgpu vs the host kernel, 2^16 values (a fifth of them FP32 subnormals): mismatching elements ${JSON.stringify(mism)}`,
    );
    return {
      ...elemRow(`mx-formats fakeQuantizeMX mxfp8_e4m3 kernel 'tfjs' (about 60 tfjs ops), 2^${Math.log2(n2)} float32, webgpu`, t),
      ratio: rate(t, n2) / addRate,
      detail: `${fmt(rate(t, n2) / 1e6, 'G elements/s')}`,
    };
  });

  // embedding-bag pooled lookup: bytes of table rows gathered per second vs the add's bytes per second
  await attempt(rows, 'embeddingBagWebGPU', 'tf.add on the same GPU (bytes/s, 12 per element)', async () => {
    const [R, D, B, L] = pick([1_000_000, 64, 65_536, 16], [100_000, 64, 4096, 16], [1000, 16, 64, 4]);
    const table = tf.randomNormal([R, D]) as tf.Tensor2D;
    const ids = Int32Array.from({ length: B * L }, (_, i) => Math.floor(((Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32) * R));
    const jt = new JaggedTensor({ values: tf.tensor1d(ids, 'int32'), lengths: new Array(B).fill(L) });
    const out: BenchRow[] = [];
    const t = await measure(() => embeddingBagWebGPU(table, jt));
    const bytes = B * L * D * 4;
    const br = bytes / ms(t);
    out.push({
      case: `embeddingBagWebGPU sum, ${B} bags × ${L} random ids, table [${R}, ${D}]`,
      baseline: 'tf.add on the same GPU (bytes/s, 12 per element)',
      ratio: br / (12 * addRate),
      ratioMeaning: 'table bytes gathered per second as a fraction of the add bytes per second (GPU timestamps)',
      detail: `${fmt(br / 1e6, 'GB/s')} gathered (wall ${fmt(bytes / t.wallMs / 1e6, 'GB/s')})`,
    });
    results.embeddingBag = { R, D, B, L, ...t };
    await attempt(out, 'jagged-tensors embeddingBag', 'embeddingBagWebGPU', () =>
      ownerRow(
        `jagged-tensors embeddingBag sum, ${B} bags × ${L} ids, table [${R}, ${D}]`,
        () => embeddingBag(table, jt),
        () => embeddingBagWebGPU(table, jt),
        B * L * D,
      ),
    );
    jt.dispose();
    return out;
  });
  tf.dispose([y, xm]);

  // 2-simplicial attention (WGSL forward; forward + the three backward kernels) against tf.matMul FLOP/s
  {
    const n = pick(8192, 1024, 64);
    // the small configuration reuses the shaders of a test case (Mesa caches compiled shaders on disk)
    const [w1, w2, d, H] = [pick(64, 64, 21), 16, 64, pick(8, 2, 1)];
    const F = attentionFlops('simplicial', { B: 1, H, n, d, w1, w2 });
    const five = [0, 1, 2, 3, 4].map(() => tf.tensor4d(r.normalArray(n * H * d), [1, n, H, d]));
    const [q, k1, k2, v1, v2] = five as tf.Tensor4D[];
    const dOut = tf.onesLike(q);
    const o = { w1, w2 };
    const shape = `n ${n}, w1 ${w1}, w2 ${w2}, d ${d}, B 1, H ${H}, causal`;
    const mmBase = `tf.matMul ${nMM}³ on the same GPU (FLOP/s)`;
    const flopRow = (label: string, t: Rate, flop: number, goal?: string, extra = ''): BenchRow => ({
      case: `${label} (${shape})`,
      baseline: mmBase,
      ratio: flop / ms(t) / mmRate,
      ratioMeaning:
        'achieved FLOP/s (attentionFlops: 4·d per valid triple forward, 14·d backward) as a fraction of the tf.matMul FLOP/s (GPU timestamps)',
      goal,
      detail: `${fmt(flop / ms(t) / 1e9, 'TFLOP/s')} (wall ${fmt(flop / t.wallMs / 1e9, 'TFLOP/s')}); ${ms(t).toFixed(2)} ms${extra}`,
    });
    const sim: Record<string, unknown> = { n, w1, w2, d, H, flops: F };
    results.simplicial = sim;
    const fwd = () => {
      const { out, lse } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, o);
      return [out, lse];
    };
    // forward programs: 'tiled' (the default), 'tiled-reg' (register-tiled second phase), 'tiled-j2' (two window-1
    // offsets per invocation), 'split' / 'split-j2' (simplicial-split.ts: no role switch, partials per invocation),
    // 'rows' (untiled)
    for (const [v, what] of [
      ['tiled', 'tiled forward (the default)'],
      ['tiled-reg', "tiled forward, program 'tiled-reg' (second phase register-tiled over the window-1 chunk)"],
      ['tiled-j2', "tiled forward, program 'tiled-j2' (two window-1 offsets per invocation, chunks of 16)"],
      ['split', "forward program 'split' (per-invocation partial outputs in registers, combined once per query)"],
      ['split-j2', "forward program 'split-j2' ('split' with two window-1 offsets per invocation)"],
      ['rows', 'untiled forward (one invocation per query)'],
    ] as [SimplicialForwardVariant, string][])
      await attempt(rows, `simplicialAttentionWebGPU forward '${v}'`, mmBase, async () => {
        setSimplicialForwardVariant(v);
        const t = await measure(fwd, 3);
        sim[`fwd_${v}`] = t;
        return flopRow(`simplicialAttentionWebGPU ${what}`, t, F.forward, v === 'tiled' ? '>= 0.5' : undefined);
      });
    // the backward on its own: tiled dQ, dK1/dV1, dK2/dV2 (the default) and with the untiled key-side kernels
    const { out: o1, lse: l1 } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, o);
    const bwd = () => {
      const g = simplicialBackwardWebGPU(q, k1, k2, v1, v2, o1, dOut, l1, o);
      return [g.dk1, g.dq, g.dk2, g.dv1, g.dv2];
    };
    for (const [fv, kv, what] of [
      ['tiled', 'auto', 'backward alone: tiled dQ, dK1/dV1, dK2/dV2 (the default)'],
      ['tiled-reg', 'auto', "backward alone: dQ 'tiled-reg' (register-tiled second phase), tiled dK1/dV1, dK2/dV2"],
      ['tiled-j2', 'auto', "backward alone: dQ 'tiled-j2' (two window-1 offsets per invocation), tiled dK1/dV1, dK2/dV2"],
      ['split', 'auto', "backward alone: dQ 'split' (per-invocation partial dq in registers), tiled dK1/dV1, dK2/dV2"],
      ['split', 'split', "backward alone: dQ, dK1/dV1 and dK2/dV2 'split' (per-invocation partial rows in registers)"],
      ['tiled', 'rows', 'backward alone: tiled dQ, untiled dK1/dV1 and dK2/dV2 (the previous kernels)'],
    ] as [SimplicialForwardVariant, 'auto' | 'rows' | 'split', string][])
      await attempt(rows, `simplicialBackwardWebGPU dQ '${fv}' keys '${kv}'`, mmBase, async () => {
        setSimplicialForwardVariant(fv);
        setSimplicialKeyGradVariant(kv);
        const t = await measure(bwd, 3);
        sim[`bwd_${fv}_${kv}`] = t;
        return flopRow(`simplicialBackwardWebGPU ${what}`, t, F.backward);
      });
    // forward + backward
    const fb = () => {
      const { out, lse } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, o);
      const g = simplicialBackwardWebGPU(q, k1, k2, v1, v2, out, dOut, lse, o);
      return [g.dq, out, lse, g.dk1, g.dk2, g.dv1, g.dv2];
    };
    for (const [fv, kv, what] of [
      ['tiled', 'auto', 'forward + backward, every kernel tiled (the default)'],
      ['tiled-reg', 'auto', "forward + backward, forward and dQ 'tiled-reg', dK1/dV1, dK2/dV2 tiled"],
      ['tiled-j2', 'auto', "forward + backward, forward and dQ 'tiled-j2', dK1/dV1, dK2/dV2 tiled"],
      ['split', 'auto', "forward + backward, forward and dQ 'split', dK1/dV1, dK2/dV2 tiled"],
      ['split-j2', 'auto', "forward + backward, forward 'split-j2', dQ 'split', dK1/dV1, dK2/dV2 tiled"],
      ['split', 'split', "forward + backward, every kernel 'split'"],
      ['split-j2', 'split', "forward + backward, forward 'split-j2', dQ, dK1/dV1 and dK2/dV2 'split'"],
      ['tiled', 'rows', 'forward + backward, tiled forward and dQ, untiled dK1/dV1, dK2/dV2 (the previous kernels)'],
    ] as [SimplicialForwardVariant, 'auto' | 'rows' | 'split', string][])
      await attempt(rows, `simplicial fwd+bwd '${fv}' keys '${kv}'`, mmBase, async () => {
        setSimplicialForwardVariant(fv);
        setSimplicialKeyGradVariant(kv);
        const t = await measure(fb, 3);
        sim[`fb_${fv}_${kv}`] = t;
        return flopRow(
          `simplicialAttentionWebGPU ${what}`,
          t,
          F.forward + F.backward,
          fv === 'tiled' && kv === 'auto' ? '>= 0.5' : undefined,
        );
      });
    // the owner's function, after registerWebGPUKernels()
    await attempt(rows, 'simplicial-attention simplicialAttention', 'simplicialAttentionWebGPU', async () => {
      const owner = () => {
        const { out, lse } = simplicialAttention(q, k1, k2, v1, v2, o);
        return [out, lse];
      };
      const a = owner();
      const b = fwd();
      const diff = (await sameBits(a[0], b[0])) + (await sameBits(a[1], b[1]));
      tf.dispose([...a, ...b]);
      const to = await measure(owner, 3);
      const td = await measure(fwd, 3);
      sim.owner = { owner: to, direct: td, mismatchingElements: diff };
      return {
        case: `simplicial-attention simplicialAttention forward (kernel 'auto', after registerWebGPUKernels) (${shape})`,
        baseline: 'simplicialAttentionWebGPU called directly',
        ratio: ms(td) / ms(to),
        ratioMeaning: 'owner-path rate ÷ direct-call rate (GPU timestamps)',
        goal: '≈ 1, 0 mismatching elements',
        detail: `${ms(to).toFixed(2)} vs ${ms(td).toFixed(2)} ms; ${diff} mismatching elements of out and lse`,
      };
    });
    // the FLOP-matched GEMM of the simplicial-attention package's own bench: [n, d]·[d, w1·w2]
    await attempt(rows, 'FLOP-matched GEMM', mmBase, async () => {
      const ga = tf.randomNormal([n, d]);
      const gb = tf.randomNormal([d, w1 * w2]);
      const gm = await measure(() => tf.matMul(ga, gb));
      sim.gemm = gm;
      const flop = 2 * n * d * w1 * w2;
      return {
        case: `tf.matMul [${n}, ${d}]·[${d}, ${w1 * w2}] (the FLOP-matched GEMM of simplicial-attention's bench)`,
        baseline: mmBase,
        ratio: flop / ms(gm) / mmRate,
        ratioMeaning: 'FLOP/s as a fraction of the large tf.matMul FLOP/s (GPU timestamps)',
        detail: `${fmt(flop / ms(gm) / 1e9, 'TFLOP/s')}`,
      };
    });
    tf.dispose([...five, dOut, o1, l1]);
  }
  unregister();

  // the peers again at the end: how much the GPU's state drifted over the run
  await attempt(rows, 'peers again', addBase, async () => {
    const mm2 = await peers();
    const y2 = tf.tensor1d(r.normalArray(N));
    const add2 = await measure(() => tf.add(x, y2));
    y2.dispose();
    results.peersAtEnd = { matMul: mm2, add: add2 };
    notes.push(
      `peers at the end of the run: tf.matMul ${fmt(mmFlop / ms(mm2) / 1e9, 'TFLOP/s')} (${((ms(mm) / ms(mm2)) * 100).toFixed(0)} % of the first), tf.add ${fmt(N / ms(add2) / 1e6, 'G elements/s')} (${((ms(add) / ms(add2)) * 100).toFixed(0)} % of the first)`,
    );
    return [];
  });
  // host <-> device copies (last: they leave the GPU idle)
  await attempt(rows, 'host copies', addBase, async () => {
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
      `host↔device: reading 2^${Math.log2(N)} float32 (${(4 * N) / 2 ** 20} MiB) back took ${down.toFixed(1)} ms, uploading ${up.toFixed(1)} ms, against ${ms(add).toFixed(2)} ms for an add over them on the GPU: any path that round-trips through the host (dataSync/data + host kernel + upload) is bound by these copies, not by the GPU`,
    );
    return [];
  });
  tf.dispose(x);

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
