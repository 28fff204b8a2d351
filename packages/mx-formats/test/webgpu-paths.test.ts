// The paths taken where tensors cannot be read synchronously (tfjs-backend-webgpu in Node) and the accelerator
// contracts through which @tessera/webgpu serves fakeQuantizeMX / fakeQuantizeNVFP4: (1) on the suite backend, a
// fake accelerator registered for it is called with exactly the caller's arguments, and `undefined` falls back;
// (2) on a simulated webgpu backend without synchronous reads, 'auto' never reads synchronously and forced host
// paths fail with TesseraError UNSUPPORTED naming the way out.
import * as tf from '@tensorflow/tfjs-core';
import { registerAccelerator, TesseraError } from '@tessera/core';
import { canSimulateWebGPU, expectBitsEqual, expectNoLeaks, onCpuBackend, onNoSyncBackend } from '@tessera/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  dequantizeMX,
  type FakeQuantizeMXOptions,
  fakeQuantizeMX,
  fakeQuantizeNVFP4,
  mxLinear,
  mxMatMul,
  type NVFP4Options,
  quantizeMX,
  quantizeMXAsync,
  quantizeNVFP4,
} from '../src/index.js';
import { roundBf16Tfjs } from '../src/matmul.js';

/** Values over many binades, float32 subnormals included, and a NaN block. */
function sample(n: number, seed = 1): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const e = (s % 60) - 140;
    v[i] = (s & 1 ? -1 : 1) * ((s >>> 8) / 2 ** 24 + 0.5) * 2 ** e;
  }
  v[70] = Number.NaN;
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

describe('accelerator contracts (a fake accelerator registered for the suite backend)', () => {
  it("fakeQuantizeMX: impl(x, options) under kernel 'auto' only; its result is returned; undefined falls back", async () => {
    const x = tf.tensor2d(sample(64), [2, 32]);
    const calls: [tf.Tensor, FakeQuantizeMXOptions][] = [];
    let answer: 'value' | 'decline' = 'value';
    const remove = registerAccelerator('fakeQuantizeMX', tf.getBackend(), (t: tf.Tensor, o: FakeQuantizeMXOptions) => {
      calls.push([t, o]);
      return answer === 'value' ? tf.fill(t.shape, 7) : undefined;
    });
    try {
      const options: FakeQuantizeMXOptions = { format: 'mxfp8_e4m3', axis: -1 };
      const y = fakeQuantizeMX(x, options);
      expect(calls).toHaveLength(1);
      expect(calls[0][0]).toBe(x);
      expect(calls[0][1]).toBe(options);
      expect(Array.from(await y.data())).toEqual(new Array(64).fill(7));
      answer = 'decline';
      const z = fakeQuantizeMX(x, { format: 'mxfp8_e4m3', kernel: 'auto' });
      const xh = tf.tensor2d(sample(64), [2, 32]); // values still on the host: the host kernel reads them on any backend
      const want = fakeQuantizeMX(xh, { format: 'mxfp8_e4m3', kernel: 'host' });
      const t = fakeQuantizeMX(x, { format: 'mxfp8_e4m3', kernel: 'tfjs' });
      expect(calls).toHaveLength(2); // forced kernels never consult it
      const w = (await want.data()) as Float32Array;
      expectBitsEqual((await z.data()) as Float32Array, w, { nanEqual: true });
      expectBitsEqual((await t.data()) as Float32Array, w, { nanEqual: true });
      tf.dispose([y, z, xh, want, t]);
    } finally {
      remove();
      x.dispose();
    }
  });

  it('mxMatMul casts its operands through the fakeQuantizeMX accelerator: impl(operand, { ...cast, axis })', () => {
    const a = tf.tensor2d(sample(64, 2), [2, 32]);
    const b = tf.tensor2d(sample(96, 3), [32, 3]);
    const seen: FakeQuantizeMXOptions[] = [];
    const remove = registerAccelerator('fakeQuantizeMX', tf.getBackend(), (_t: tf.Tensor, o: FakeQuantizeMXOptions) => {
      seen.push(o);
      return undefined;
    });
    try {
      const y = mxMatMul(a, b, { a: { format: 'mxfp4_e2m1' }, b: { format: 'mxint8' } });
      expect(seen).toEqual([
        { format: 'mxfp4_e2m1', axis: -1 },
        { format: 'mxint8', axis: -2 },
      ]);
      y.dispose();
    } finally {
      remove();
      tf.dispose([a, b]);
    }
  });

  it('fakeQuantizeNVFP4: impl(x, options); its result is returned; undefined falls back to the host kernel', async () => {
    const x = tf.tensor2d(sample(64, 4), [2, 32]);
    const calls: [tf.Tensor, NVFP4Options][] = [];
    let decline = false;
    const remove = registerAccelerator('fakeQuantizeNVFP4', tf.getBackend(), (t: tf.Tensor, o: NVFP4Options) => {
      calls.push([t, o]);
      return decline ? undefined : tf.fill(t.shape, 3);
    });
    try {
      const options: NVFP4Options = { tensorScale: 'auto' };
      const y = fakeQuantizeNVFP4(x, options);
      expect(calls).toHaveLength(1);
      expect(calls[0][0]).toBe(x);
      expect(calls[0][1]).toBe(options);
      expect(Array.from(await y.data())).toEqual(new Array(64).fill(3));
      decline = true;
      const z = fakeQuantizeNVFP4(x, options);
      expect(calls).toHaveLength(2);
      remove();
      const want = fakeQuantizeNVFP4(x, options); // no accelerator: the host kernel
      expectBitsEqual((await z.data()) as Float32Array, (await want.data()) as Float32Array, { nanEqual: true });
      tf.dispose([y, z, want]);
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

  const values = sample(96 * 4, 5);
  const shape: [number, number] = [4, 96];
  const formats = ['mxfp8_e4m3', 'mxfp6_e3m2', 'mxfp4_e2m1', 'mxint8'] as const;

  it("fakeQuantizeMX 'auto' runs on the device (no synchronous read), bit for bit the host kernel, with the STE gradient", async () => {
    const want = formats.map((format) => {
      const x = tf.tensor2d(values, shape);
      const y = fakeQuantizeMX(x, { format, kernel: 'host' });
      const r = y.dataSync().slice() as Float32Array;
      tf.dispose([x, y]);
      return r;
    });
    await onNoSyncBackend(async (log) => {
      const x = tf.tidy(() => tf.add(tf.tensor2d(values, shape), 0)); // on the device
      for (const [i, format] of formats.entries()) {
        const y = fakeQuantizeMX(x, { format });
        expectBitsEqual((await y.data()) as Float32Array, want[i], { nanEqual: true, label: format });
        y.dispose();
      }
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuantizeMX(v, { format: 'mxfp4_e2m1', axis: 0 }), 2)))(x);
      expect(Array.from(await g.data())).toEqual(new Array(values.length).fill(2));
      tf.dispose([x, g]);
      expect(log.refusedReads).toBe(0);
    });
  });

  it('mxMatMul / mxLinear forward and backward run on the device', async () => {
    const a0 = sample(2 * 64, 6).map((v) => (Number.isNaN(v) ? 1 : v));
    const b0 = sample(64 * 3, 7).map((v) => (Number.isNaN(v) ? 1 : v));
    const opts = { a: { format: 'mxfp8_e4m3' as const }, b: { format: 'mxfp6_e2m3' as const } };
    const ref = await onCpuBackend(() => {
      const a = tf.tensor2d(a0, [2, 64]);
      const b = tf.tensor2d(b0, [64, 3]);
      const [y, [da, db]] = [mxMatMul(a, b, opts), tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(mxMatMul(p, q, opts)))([a, b])];
      const yb = mxMatMul(a, b, { ...opts, outputPrecision: 'bfloat16' }); // rounded on the host here
      const r = [y, da, db, yb].map((t) => t.dataSync().slice() as Float32Array);
      tf.dispose([a, b, y, da, db, yb]);
      return r;
    });
    await onNoSyncBackend(async (log) => {
      const a = tf.tidy(() => tf.add(tf.tensor2d(a0, [2, 64]), 0));
      const b = tf.tidy(() => tf.add(tf.tensor2d(b0, [64, 3]), 0));
      const y = mxMatMul(a, b, opts);
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(mxMatMul(p, q, opts)))([a, b]);
      for (const [i, t] of [y, da, db].entries()) expectBitsEqual((await t.data()) as Float32Array, ref[i], { label: `output ${i}` });
      const w = tf.transpose(b);
      const l = mxLinear(a, w, { a: opts.a, w: opts.b });
      expectBitsEqual((await l.data()) as Float32Array, ref[0], { label: 'mxLinear' });
      const yb = mxMatMul(a, b, { ...opts, outputPrecision: 'bfloat16' }); // rounded with tfjs ops here
      expectBitsEqual((await yb.data()) as Float32Array, ref[3], { label: 'bfloat16 output' });
      yb.dispose();
      tf.dispose([a, b, y, da, db, w, l]);
      expect(log.refusedReads).toBe(0); // readSync refuses before dataSync is reached
    });
  });

  it('forced host paths and options without a device path throw UNSUPPORTED naming the way out; async variants work', async () => {
    await onNoSyncBackend(async () => {
      const x = tf.tidy(() => tf.add(tf.tensor2d(values, shape), 0));
      unsupported(() => fakeQuantizeMX(x, { format: 'mxint8', kernel: 'host' }), 'fakeQuantizeMX', /registerWebGPUKernels\(\)/);
      unsupported(
        () => fakeQuantizeMX(x, { format: 'mxint8', rounding: 'stochastic', random: () => 0.5 }),
        'fakeQuantizeMX',
        /rounding other than 'stochastic'/,
      );
      unsupported(() => quantizeMX(x, { format: 'mxint8' }), 'quantizeMX', /await quantizeMXAsync\(x, options\)/);
      unsupported(() => quantizeNVFP4(x), 'quantizeNVFP4', /quantizeNVFP4Array/);
      unsupported(() => fakeQuantizeNVFP4(x), 'fakeQuantizeNVFP4', /registerWebGPUKernels\(\)/);
      const m = await quantizeMXAsync(x, { format: 'mxint8' });
      const y = dequantizeMX(m);
      expect(y.shape).toEqual(shape);
      tf.dispose([x, y]);
    });
  });

  it("a registered 'webgpu' accelerator serves fakeQuantizeNVFP4 there", async () => {
    await onNoSyncBackend(async (log) => {
      const x = tf.tidy(() => tf.add(tf.tensor2d(values, shape), 0));
      const remove = registerAccelerator('fakeQuantizeNVFP4', 'webgpu', (t: tf.Tensor) => tf.mul(t, 1));
      try {
        const y = fakeQuantizeNVFP4(x);
        expect(y.shape).toEqual(shape);
        y.dispose();
      } finally {
        remove();
        x.dispose();
      }
      expect(log.refusedReads).toBe(0);
    });
  });

  it('empty tensors: empty results and gradients, no kernel over an empty input', async () => {
    await onNoSyncBackend(async (log) => {
      for (const sh of [[0], [3, 0], [0, 5], [2, 0, 3]]) {
        const x = tf.tensor(new Float32Array(0), sh);
        for (const axis of [0, -1]) {
          const y = fakeQuantizeMX(x, { format: 'mxfp4_e2m1', axis });
          expect(y.shape).toEqual(sh);
          const dy = tf.tensor(new Float32Array(0), sh);
          const g = tf.grad((v: tf.Tensor) => fakeQuantizeMX(v, { format: 'mxint8', axis }))(x, dy);
          expect(g.shape).toEqual(sh);
          const n = fakeQuantizeNVFP4(x, { axis });
          expect(n.shape).toEqual(sh);
          const q = quantizeMX(x, { format: 'mxint8', axis });
          expect(q.shape).toEqual(sh);
          tf.dispose([y, dy, g, n]);
        }
        x.dispose();
      }
      const a = tf.tidy(() => tf.add(tf.ones([3, 0]), 0));
      const b = tf.tidy(() => tf.add(tf.ones([0, 4]), 0));
      const y = mxMatMul(a, b, { a: { format: 'mxint8' }, b: { format: 'mxint8' } });
      expect(y.shape).toEqual([3, 4]);
      expect(Array.from(await y.data())).toEqual(new Array(12).fill(0));
      tf.dispose([a, b, y]);
      expect(log.refusedEmpty).toEqual([]);
    });
  });
});

describe('bfloat16 rounding with tfjs ops (outputPrecision where tensors cannot be read synchronously)', () => {
  it('equals the host bit trick (u + 0x7fff + lsb) & 0xffff0000 on ties, subnormals, overflow, ±0, ±Inf, NaN and random bits', async () => {
    const u = new Uint32Array(4096);
    let s = 12345;
    for (let i = 0; i < u.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      u[i] = s;
    }
    // ties (low half 0x8000) with even and odd kept bits, just below/above, subnormals, the largest finite values
    const special = [
      0x3f808000, 0x3f818000, 0x3f807fff, 0x3f808001, 0x00008000, 0x00018000, 0x00007fff, 0x007fffff, 0x00000001, 0x7f7fffff, 0x7f7f8000,
      0x7f7f7fff, 0xff7fffff, 0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x80008000, 0x3f7fffff, 0xbf7fffff,
    ];
    u.set(special);
    const x = new Float32Array(u.buffer);
    const want = new Uint32Array(u.length);
    for (let i = 0; i < u.length; i++) {
      const v = u[i];
      want[i] = (v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0 ? v : ((v + 0x7fff + ((v >>> 16) & 1)) & 0xffff0000) >>> 0;
    }
    const y = tf.tidy(() => roundBf16Tfjs(tf.tensor1d(x)));
    const got = new Uint32Array(((await y.data()) as Float32Array).slice().buffer);
    y.dispose();
    // On a real GPU (the suite on TESSERA_BACKEND=webgpu) float32 subnormal inputs may be read as 0 by the arithmetic
    // (the H200 under Dawn/Vulkan does): there, and only there, ±0 is accepted for a subnormal input (whose exact
    // result is subnormal, or 2^-126 at most). Every other input keeps the host's bits.
    const gpu = tf.getBackend() === 'webgpu';
    for (let i = 0; i < u.length; i++) {
      const nan = Number.isNaN(x[i]);
      const subnormalIn = (u[i] & 0x7f800000) === 0 && (u[i] & 0x7fffff) !== 0;
      if (gpu && subnormalIn && (got[i] & 0x7fffffff) === 0) continue;
      if (nan) expect(Number.isNaN(new Float32Array(got.buffer)[i]), `NaN at ${i}`).toBe(true);
      else if (got[i] !== want[i]) expect(`0x${got[i].toString(16)}`, `input 0x${u[i].toString(16)}`).toBe(`0x${want[i].toString(16)}`);
    }
  });
});
