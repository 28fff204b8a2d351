// Where tensors cannot be read synchronously (tfjs-backend-webgpu in Node, simulated here): the spmm functions with
// the kernel left unset run the tfjs-op path on the device; every function that needs host values (compression, the
// masks, the host spmm kernel, the FFN) fails with TesseraError UNSUPPORTED naming the way out; empty operands run no
// kernel over an empty input.
import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from '@tessera/core';
import { canSimulateWebGPU, expectBitsEqual, expectNoLeaks, onCpuBackend, onNoSyncBackend } from '@tessera/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { compress24, isSparse24, mask24, mask24Transposable, SquaredReluFFN24, sparseLinear, spmm24, spmm24T } from '../src/index.js';

function unsupported(f: () => unknown, fn: string, hint: RegExp): void {
  let err: unknown;
  try {
    expectNoLeaks(f);
  } catch (e) {
    err = e;
  }
  expect(err, `${fn} must throw`).toBeInstanceOf(TesseraError);
  expect((err as TesseraError).code).toBe('UNSUPPORTED');
  expect((err as TesseraError).message).toMatch(
    new RegExp(`^${fn}: reads .* on the host, which the webgpu backend cannot do synchronously`),
  );
  expect((err as TesseraError).message).toMatch(hint);
}

/** A 2:4-sparse [m, k] matrix (two kept per group of 4, varying positions) and a dense [r, c] one. */
function sparseValues(m: number, k: number): Float32Array {
  const v = new Float32Array(m * k);
  for (let i = 0; i < m * k; i += 4) {
    const p = (i / 4) % 3;
    v[i + p] = ((i % 7) - 3) / 4 || 0.5;
    v[i + 3] = ((i % 5) + 1) / 8;
  }
  return v;
}
function dense(r: number, c: number, seed: number): Float32Array {
  return Float32Array.from({ length: r * c }, (_, i) => Math.sin(i * 0.37 + seed));
}

describe('on a backend without synchronous reads (simulated webgpu in Node)', () => {
  // the suite itself may run on the real webgpu backend (the GPU machine): nothing to simulate there
  beforeEach(({ skip }) => {
    if (!canSimulateWebGPU()) skip();
  });

  const [m, k, n] = [8, 16, 5];
  const a = sparseValues(m, k);
  const compressed = () => {
    const t = tf.tensor2d(a, [m, k]);
    try {
      return compress24(t); // host values: compression reads them synchronously
    } finally {
      t.dispose();
    }
  };

  it('spmm24, spmm24T and sparseLinear with kernel unset run the tfjs-op path on the device, bit for bit', async () => {
    const want = await onCpuBackend(() => {
      const s = compressed();
      const b = tf.tensor2d(dense(k, n, 1), [k, n]);
      const bT = tf.tensor2d(dense(m, n, 2), [m, n]);
      const x = tf.tensor2d(dense(3, k, 3), [3, k]);
      const bias = tf.tensor1d(dense(1, m, 4));
      const ys = [spmm24(s, b, { kernel: 'tfjs' }), spmm24T(s, bT, { kernel: 'tfjs' }), sparseLinear(x, s, bias, { kernel: 'tfjs' })];
      const r = ys.map((y) => y.dataSync().slice() as Float32Array);
      tf.dispose([b, bT, x, bias, ...ys]);
      return r;
    });
    await onNoSyncBackend(async (log) => {
      const s = compressed();
      const [b, bT, x, bias] = tf.tidy(() => [
        tf.add(tf.tensor2d(dense(k, n, 1), [k, n]), 0),
        tf.add(tf.tensor2d(dense(m, n, 2), [m, n]), 0),
        tf.add(tf.tensor2d(dense(3, k, 3), [3, k]), 0),
        tf.add(tf.tensor1d(dense(1, m, 4)), 0),
      ]); // on the device
      const ys = [spmm24(s, b), spmm24T(s, bT), sparseLinear(x, s, bias)];
      for (const [i, y] of ys.entries()) expectBitsEqual((await y.data()) as Float32Array, want[i], { label: `product ${i}` });
      unsupported(() => spmm24(s, b, { kernel: 'host' }), 'spmm24', /use kernel: 'tfjs'/);
      unsupported(() => spmm24T(s, bT, { kernel: 'host' }), 'spmm24T', /use kernel: 'tfjs'/);
      unsupported(() => sparseLinear(x, s, bias, { kernel: 'host' }), 'sparseLinear', /use kernel: 'tfjs'/);
      tf.dispose([b, bT, x, bias, ...ys]);
      expect(log.refusedReads).toBe(0);
    });
  });

  it('compression, masks and the FFN need host values: UNSUPPORTED naming the way out, which works', async () => {
    // the FFN's host path on the suite backend: forward and dX of Σ y, for the tfjs-op path below
    const ffnOut = async (f: SquaredReluFFN24, xin: tf.Tensor) => {
      const [y, dx] = tf.tidy(() => [f.apply(xin), tf.grad((v: tf.Tensor) => tf.sum(f.apply(v)))(xin)]);
      const r = [Array.from(await y.data()), Array.from(await dx.data())];
      tf.dispose([y, dx]);
      return r;
    };
    const hostFfn = new SquaredReluFFN24({ dModel: k, hidden: 8, kernel: 'host' });
    const xHost = tf.tensor2d(dense(m, k, 5), [m, k]);
    const wantFfn = await ffnOut(hostFfn, xHost);
    tf.dispose(xHost);
    hostFfn.dispose();
    await onNoSyncBackend(async (log) => {
      const x = tf.tidy(() => tf.add(tf.tensor2d(dense(m, k, 5), [m, k]), 0));
      const sp = tf.tidy(() => tf.add(tf.tensor2d(a, [m, k]), 0));
      unsupported(() => compress24(sp), 'compress24', /await x\.data\(\)/);
      unsupported(() => mask24(x), 'mask24', /await x\.data\(\)/);
      unsupported(() => mask24Transposable(x), 'mask24Transposable', /await x\.data\(\)/);
      unsupported(() => isSparse24(sp), 'isSparse24', /Float32Array/);
      const ffnHost = new SquaredReluFFN24({ dModel: k, hidden: 8, kernel: 'host' });
      const ffn = new SquaredReluFFN24({ dModel: k, hidden: 8 }); // 'auto': tfjs ops here
      try {
        unsupported(() => ffnHost.apply(x), 'SquaredReluFFN24.apply', /kernel 'auto' or 'tfjs'/);
        const got = await ffnOut(ffn, x);
        for (const i of [0, 1]) for (const [j, v] of got[i].entries()) expect(v).toBeCloseTo(wantFfn[i][j], 5);
      } finally {
        ffnHost.dispose();
        ffn.dispose();
      }
      // the way out: values read asynchronously, then a tensor made from them on the host
      const host = tf.tensor2d((await sp.data()) as Float32Array, [m, k]);
      const s = compress24(host);
      expect(s.shape).toEqual([m, k]);
      expect(isSparse24((await sp.data()) as Float32Array)).toBe(true);
      tf.dispose([x, sp, host]);
      expect(log.refusedReads).toBe(0); // readSync refuses before dataSync is reached
    });
  });

  it('empty operands (a Sparse24Tensor has m ≥ 1, k ≥ 4): empty products, no kernel over an empty input', async () => {
    await onNoSyncBackend(async (log) => {
      const s = compressed();
      const b = tf.tensor2d(new Float32Array(0), [k, 0]);
      const bT = tf.tensor2d(new Float32Array(0), [m, 0]);
      const x = tf.tensor2d(new Float32Array(0), [0, k]);
      const bias = tf.tidy(() => tf.add(tf.tensor1d(dense(1, m, 4)), 0));
      const ys = [spmm24(s, b), spmm24T(s, bT), sparseLinear(x, s, bias), spmm24(s, b, { kernel: 'tfjs' })];
      expect(ys.map((y) => y.shape)).toEqual([
        [m, 0],
        [k, 0],
        [0, m],
        [m, 0],
      ]);
      for (const y of ys) expect((await y.data()).length).toBe(0);
      tf.dispose([b, bT, x, bias, ...ys]);
      expect(log.refusedEmpty).toEqual([]);
      expect(log.refusedReads).toBe(0);
    });
  });
});
