// The threads build: a pool started by initKernelThreads runs large 2-simplicial forwards on several threads with the
// bits of one thread (each row is computed whole by one thread, with the same code), and stopping it goes back to one.
import { afterAll, expect, test } from 'vitest';
import { initKernelThreads, kernelThreads, setKernelBackend, simplicialForward } from '../src/index.js';
import { simplicialForwardThreaded } from '../src/simplicial-threads.js';

afterAll(async () => {
  await initKernelThreads(1);
  setKernelBackend(undefined);
});

// B 1, n 384, Hq 2, Hkv 1, d 24, windows 48 and 24: 768 rows · 48 · 24 · 24 ≈ 2^24.3 multiply-adds (over the threshold)
const [B, n, Hq, Hkv, d, w1, w2] = [1, 384, 2, 1, 24, 48, 24];
const filled = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5);
const q = filled(B * n * Hq * d, 1);
const kv = [2, 3, 4, 5].map((s) => filled(B * n * Hkv * d, s));

function forward(causal: boolean, variant: 'trilinear' | 'determinant') {
  const out = new Float32Array(q.length).fill(Number.NaN);
  const lse = new Float32Array(B * Hq * n).fill(Number.NaN);
  simplicialForward(q, kv[0], kv[1], kv[2], kv[3], B, n, Hq, Hkv, d, w1, w2, causal, 0.3, variant, out, lse);
  return [Array.from(out), Array.from(lse)];
}

test('threaded forward = one-thread forward, bit for bit; the pool stops', async () => {
  setKernelBackend('wasm');
  const one = [forward(true, 'trilinear'), forward(false, 'determinant')];
  const threads = await initKernelThreads(3);
  expect(threads).toBe(3); // Node ≥ 20.16 here: worker_threads and shared WebAssembly memory exist
  expect(kernelThreads()).toBe(3);
  for (let rep = 0; rep < 3; rep++) {
    expect(forward(true, 'trilinear')).toEqual(one[0]);
    expect(forward(false, 'determinant')).toEqual(one[1]);
  }
  // the pool path itself ran (not a silent fallback to one thread)
  const out = new Float32Array(q.length);
  const lse = new Float32Array(B * Hq * n);
  expect(simplicialForwardThreaded([q, kv[0], kv[1], kv[2], kv[3]], [B, n, Hq, Hkv, d, w1, w2], true, 0.3, false, out, lse)).toBe(true);
  expect([Array.from(out), Array.from(lse)]).toEqual(one[0]);
  expect(await initKernelThreads(1)).toBe(1);
  expect(simplicialForwardThreaded([q, kv[0], kv[1], kv[2], kv[3]], [B, n, Hq, Hkv, d, w1, w2], true, 0.3, false, out, lse)).toBe(false);
  expect(kernelThreads()).toBe(1);
  expect(forward(true, 'trilinear')).toEqual(one[0]);
});

test('bad thread counts → TesseraError', async () => {
  for (const t of [0, 65, 1.5, Number.NaN, '2'])
    await expect(initKernelThreads(t as number)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
});
