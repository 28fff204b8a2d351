// The accelerator contract through which @tessera/webgpu serves fakeQuantizeBDR, and the behaviour where tensors
// cannot be read synchronously (tfjs-backend-webgpu in Node, simulated): with an accelerator nothing is read
// synchronously; without one the host paths fail with TesseraError UNSUPPORTED naming the way out; empty tensors
// are answered without kernels.
import * as tf from '@tensorflow/tfjs-core';
import { registerAccelerator, TesseraError } from '@tessera/core';
import { canSimulateWebGPU, expectBitsEqual, expectNoLeaks, onNoSyncBackend } from '@tessera/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BDR_MX6,
  BDR_MX9,
  type BDRFormat,
  type BDROptions,
  fakeQuantizeBDR,
  MSFP12,
  qsnr,
  quantizeBDR,
  quantizeBDRArray,
} from '../src/index.js';

function sample(n: number, seed = 1): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s & 1 ? -1 : 1) * ((s >>> 8) / 2 ** 24 + 0.5) * 2 ** ((s % 24) - 12);
  }
  return v;
}

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

describe('accelerator contract (a fake accelerator registered for the suite backend)', () => {
  it('fakeQuantizeBDR: impl(x, format, options) with the arguments as given; its result is returned; undefined falls back', async () => {
    const x = tf.tensor2d(sample(64), [2, 32]);
    const calls: [tf.Tensor, BDRFormat, BDROptions | undefined][] = [];
    let decline = false;
    const remove = registerAccelerator('fakeQuantizeBDR', tf.getBackend(), (t: tf.Tensor, f: BDRFormat, o: BDROptions | undefined) => {
      calls.push([t, f, o]);
      return decline ? undefined : tf.fill(t.shape, 5);
    });
    try {
      const options: BDROptions = { axis: -1, rounding: 'nearest' };
      const y = fakeQuantizeBDR(x, BDR_MX9, options);
      const y2 = fakeQuantizeBDR(x, MSFP12);
      expect(calls).toHaveLength(2);
      expect(calls[0][0]).toBe(x);
      expect(calls[0][1]).toBe(BDR_MX9);
      expect(calls[0][2]).toBe(options);
      expect(calls[1][1]).toBe(MSFP12);
      expect(calls[1][2]).toBeUndefined();
      expect(Array.from(await y.data())).toEqual(new Array(64).fill(5));
      decline = true;
      const z = fakeQuantizeBDR(x, BDR_MX6);
      expect(calls).toHaveLength(3);
      remove();
      const want = fakeQuantizeBDR(x, BDR_MX6); // the host kernel
      expectBitsEqual((await z.data()) as Float32Array, (await want.data()) as Float32Array);
      tf.dispose([y, y2, z, want]);
    } finally {
      remove();
      x.dispose();
    }
  });
});

describe('on a backend without synchronous reads (simulated webgpu in Node)', () => {
  // the suite itself may run on the real webgpu backend (the GPU machine): nothing to simulate there
  beforeEach(({ skip }) => {
    if (!canSimulateWebGPU()) skip();
  });

  const values = sample(4 * 64, 2);

  it('without an accelerator: fakeQuantizeBDR, quantizeBDR and qsnr of device tensors throw UNSUPPORTED naming the way out', async () => {
    await onNoSyncBackend(async (log) => {
      const x = tf.tidy(() => tf.add(tf.tensor2d(values, [4, 64]), 0)); // on the device
      unsupported(() => fakeQuantizeBDR(x, BDR_MX9), 'fakeQuantizeBDR', /registerWebGPUKernels\(\)/);
      unsupported(() => quantizeBDR(x, BDR_MX9), 'quantizeBDR', /quantizeBDRArray/);
      unsupported(() => qsnr(x, values), 'qsnr', /await t\.data\(\)/);
      // the ways out work
      const host = (await x.data()) as Float32Array;
      expect(quantizeBDRArray(host, [4, 64], BDR_MX9).shape).toEqual([4, 64]);
      expect(qsnr(host, host)).toBe(Number.POSITIVE_INFINITY);
      x.dispose();
      expect(log.refusedReads).toBe(0); // readSync refuses before dataSync is reached
    });
  });

  it("with a 'webgpu' accelerator: fakeQuantizeBDR and its gradient never read synchronously", async () => {
    const want = (() => {
      const x = tf.tensor2d(values, [4, 64]);
      const y = fakeQuantizeBDR(x, BDR_MX6);
      const r = y.dataSync().slice() as Float32Array;
      tf.dispose([x, y]);
      return r;
    })();
    await onNoSyncBackend(async (log) => {
      // a stand-in for the WGSL kernel: the host kernel fed by an asynchronous read done beforehand
      const x = tf.tidy(() => tf.add(tf.tensor2d(values, [4, 64]), 0));
      const stand = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const u = args[0] as tf.Tensor;
        return { value: tf.tidy(() => tf.mul(tf.tensor(want, u.shape), 1)), gradFunc: (dy: tf.Tensor) => dy };
      });
      const remove = registerAccelerator('fakeQuantizeBDR', 'webgpu', (t: tf.Tensor, f: BDRFormat) =>
        f === BDR_MX6 && t === x ? (stand(t) as tf.Tensor) : undefined,
      );
      try {
        const y = fakeQuantizeBDR(x, BDR_MX6);
        expectBitsEqual((await y.data()) as Float32Array, want);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeBDR(v, BDR_MX6), 3)))(x);
        expect(Array.from(await g.data())).toEqual(new Array(values.length).fill(3));
        tf.dispose([y, g]);
      } finally {
        remove();
        x.dispose();
      }
      expect(log.refusedReads).toBe(0);
    });
  });

  it('empty tensors: empty results and gradients, no kernel over an empty input', async () => {
    await onNoSyncBackend(async (log) => {
      for (const shape of [[0], [3, 0], [0, 64], [2, 0, 5]]) {
        const x = tf.zeros(shape);
        for (const axis of [0, -1]) {
          const y = fakeQuantizeBDR(x, BDR_MX9, { axis });
          expect(y.shape).toEqual(shape);
          const dy = tf.zeros(shape);
          const g = tf.grad((v: tf.Tensor) => fakeQuantizeBDR(v, MSFP12, { axis }))(x, dy);
          expect(g.shape).toEqual(shape);
          expect(quantizeBDR(x, BDR_MX6, { axis }).shape).toEqual(shape);
          tf.dispose([y, dy, g]);
        }
        x.dispose();
      }
      expect(log.refusedEmpty).toEqual([]);
      expect(log.refusedReads).toBe(0);
    });
  });
});
