// GPU smoke test and peer rates (plain ESM over the built packages; no TypeScript loader needed on the GPU machine).
// Prints the adapter, checks a 512² matMul against the cpu backend, times tf.matMul 4096³ and an elementwise add,
// (the WGSL kernels and the package paths are measured by packages/webgpu/bench/run.ts).
// Writes a JSON summary to $OUT/smoke.json (or ./smoke.json).
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '@tessera/core';

const out = {};
const log = (...a) => console.log('[smoke]', ...a);
const t0 = performance.now();
const info = await initBackend(process.env.TESSERA_BACKEND || 'webgpu');
out.backend = info;
const be = tf.backend();
const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
out.adapter = adapter
  ? {
      ...Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((k) => [k, adapter.info[k]])),
      features: [...adapter.features],
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    }
  : null;
out.deviceFeatures = be.device ? [...be.device.features] : null;
out.timestampQuery = be.supportTimestampQuery ?? null;
log('adapter', JSON.stringify(out.adapter), 'timestamp-query', out.timestampQuery, `init ${(performance.now() - t0).toFixed(0)} ms`);

async function onCpu(f) {
  const cur = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend(cur);
  }
}
/** Waits for the queue by reading back one element of t. */
async function sync(t) {
  const s = tf.slice(tf.reshape(t, [-1]), [0], [1]);
  await s.data();
  s.dispose();
}
/** Median wall time of f (returns a tensor) over reps, synced, plus GPU kernel time from tf.time when available. */
async function timeOp(f, { warm = 3, reps = 10 } = {}) {
  for (let i = 0; i < warm; i++) {
    const r = f();
    await sync(r);
    r.dispose();
  }
  const wall = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    const r = f();
    await sync(r);
    wall.push(performance.now() - s);
    r.dispose();
  }
  wall.sort((a, b) => a - b);
  // batched: reps launches, one sync (amortizes the readback round trip)
  const s = performance.now();
  let last = null;
  for (let i = 0; i < reps; i++) {
    if (last) last.dispose();
    last = f();
  }
  await sync(last);
  last.dispose();
  const batched = (performance.now() - s) / reps;
  let kernelMs = null;
  try {
    const ti = await tf.time(() => {
      const r = f();
      r.dispose();
    });
    kernelMs = typeof ti.kernelMs === 'number' ? ti.kernelMs : null;
  } catch {
    /* no timestamps */
  }
  return { medianWallMs: wall[reps >> 1], batchedMs: batched, kernelMs };
}

// 1. 512² matMul vs cpu
{
  const a = Array.from({ length: 512 * 512 }, (_, i) => Math.sin(i) * 0.5 + 0.5);
  const b = Array.from({ length: 512 * 512 }, (_, i) => Math.cos(i * 0.7) * 0.5 + 0.5);
  const g = tf.matMul(tf.tensor2d(a, [512, 512]), tf.tensor2d(b, [512, 512]));
  const gv = await g.data();
  const cv = await onCpu(() => {
    const x = tf.matMul(tf.tensor2d(a, [512, 512]), tf.tensor2d(b, [512, 512]));
    const v = x.dataSync();
    return v;
  });
  let maxAbs = 0,
    maxVal = 0;
  for (let i = 0; i < gv.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(gv[i] - cv[i]));
    maxVal = Math.max(maxVal, Math.abs(cv[i]));
  }
  out.matmul512 = { maxAbsDiff: maxAbs, maxAbsValue: maxVal };
  log('matMul 512² vs cpu: max |diff|', maxAbs, 'of values up to', maxVal);
  tf.disposeVariables();
}
// 2. matMul 4096³ and add
{
  const n = Number(process.env.SMOKE_MATMUL_N || 4096);
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const t = await timeOp(() => tf.matMul(a, b));
  const flop = 2 * n ** 3;
  out.matmul = {
    n,
    ...t,
    tflopsWall: flop / t.medianWallMs / 1e9,
    tflopsBatched: flop / t.batchedMs / 1e9,
    tflopsKernel: t.kernelMs ? flop / t.kernelMs / 1e9 : null,
  };
  log('matMul', n, JSON.stringify(out.matmul));
  a.dispose();
  b.dispose();
  const N = Number(process.env.SMOKE_ADD_N || 2 ** 26);
  const x = tf.randomNormal([N]);
  const y = tf.randomNormal([N]);
  const ta = await timeOp(() => tf.add(x, y));
  const bytes = 12 * N;
  out.add = {
    n: N,
    ...ta,
    gbpsWall: bytes / ta.medianWallMs / 1e6,
    gbpsBatched: bytes / ta.batchedMs / 1e6,
    gbpsKernel: ta.kernelMs ? bytes / ta.kernelMs / 1e6 : null,
    elementsPerSecBatched: (N / ta.batchedMs) * 1e3,
  };
  log('add', N, JSON.stringify(out.add));
  // host <-> device: read back 64 MiB
  const s = performance.now();
  await x.data();
  out.readback64MiBMs = performance.now() - s;
  const s2 = performance.now();
  const u = tf.tensor1d(new Float32Array(N));
  await sync(u);
  out.upload64MiBMs = performance.now() - s2;
  u.dispose();
  log('readback 64 MiB', out.readback64MiBMs.toFixed(1), 'ms; upload', out.upload64MiBMs.toFixed(1), 'ms');
  x.dispose();
  y.dispose();
}
out.totalMs = performance.now() - t0;
fs.writeFileSync(`${process.env.OUT || '.'}/smoke.json`, JSON.stringify(out, null, 1));
log('done in', out.totalMs.toFixed(0), 'ms');
process.exit(0);
