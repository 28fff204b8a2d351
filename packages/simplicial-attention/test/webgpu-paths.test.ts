// The accelerator contract through which @tessera/webgpu serves simplicialAttention, and the behaviour where tensors
// cannot be read synchronously (tfjs-backend-webgpu in Node, simulated): with an accelerator the 'auto' path (and a
// block built on it) never reads synchronously; without one, and for the host-only functions, TesseraError
// UNSUPPORTED names the way out.
import * as tf from '@tensorflow/tfjs-core';
import { registerAccelerator, TesseraError } from '@tessera/core';
import { canSimulateWebGPU, expectBitsEqual, expectNoLeaks, onNoSyncBackend } from '@tessera/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  dotProductAttention,
  type SimplicialOptions,
  type SimplicialResult,
  SimplicialTransformerBlock,
  simplicialAttention,
  simplicialAttentionReference,
  simplicialBackward,
} from '../src/index.js';

type Five = [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
const SHAPE: [number, number, number, number] = [1, 8, 2, 4];

function values(seed: number): Float32Array {
  return Float32Array.from({ length: SHAPE.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.71 + seed * 1.3));
}
function five(onDevice = false): Five {
  return tf.tidy(() =>
    [1, 2, 3, 4, 5].map((s) => (onDevice ? tf.add(tf.tensor4d(values(s), SHAPE), 0) : tf.tensor4d(values(s), SHAPE))),
  ) as Five;
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
  it("simplicialAttention: impl(q, k1, k2, v1, v2, options) when kernel is unset or 'auto'; undefined falls back", async () => {
    const x = five();
    const calls: unknown[][] = [];
    let decline = false;
    const remove = registerAccelerator(
      'simplicialAttention',
      tf.getBackend(),
      (...args: [...Five, SimplicialOptions]): SimplicialResult | undefined => {
        calls.push(args);
        return decline ? undefined : { out: tf.zeros(SHAPE), lse: tf.zeros([SHAPE[0], SHAPE[2], SHAPE[1]]) };
      },
    );
    try {
      const options: SimplicialOptions = { w1: 4, w2: 2 };
      const r = simplicialAttention(...x, options);
      expect(calls).toHaveLength(1);
      for (let i = 0; i < 5; i++) expect(calls[0][i]).toBe(x[i]);
      expect(calls[0][5]).toBe(options);
      expect(Array.from(await r.out.data())).toEqual(new Array(r.out.size).fill(0));
      const r2 = simplicialAttention(...x);
      expect(calls[1][5]).toEqual({}); // no options: an empty object
      const r3 = simplicialAttention(...x, { w1: 4, w2: 2, kernel: 'auto' });
      expect(calls).toHaveLength(3);
      const forced = simplicialAttention(...x, { w1: 4, w2: 2, kernel: 'js' });
      expect(calls).toHaveLength(3); // a forced kernel never consults it
      decline = true;
      const fell = simplicialAttention(...x, options);
      expect(calls).toHaveLength(4);
      remove();
      const want = simplicialAttention(...x, options); // no accelerator: the host kernels
      expectBitsEqual((await fell.out.data()) as Float32Array, (await want.out.data()) as Float32Array);
      expectBitsEqual((await fell.lse.data()) as Float32Array, (await want.lse.data()) as Float32Array);
      tf.dispose([r.out, r.lse, r2.out, r2.lse, r3.out, r3.lse, forced.out, forced.lse, fell.out, fell.lse, want.out, want.lse]);
    } finally {
      remove();
      tf.dispose(x);
    }
  });
});

describe('on a backend without synchronous reads (simulated webgpu in Node)', () => {
  // the suite itself may run on the real webgpu backend (the GPU machine): nothing to simulate there
  beforeEach(({ skip }) => {
    if (!canSimulateWebGPU()) skip();
  });

  const o: SimplicialOptions = { w1: 4, w2: 3 };

  it('without an accelerator: simplicialAttention and simplicialBackward throw UNSUPPORTED naming the way out; dotProductAttention runs its tfjs path (forward and backward), equal to the host kernels', async () => {
    // the host kernels' dotProductAttention on the suite backend, for the tfjs path below
    const dot = async (xs: tf.Tensor4D[]) => {
      const [out, g] = tf.tidy(() => {
        const r = dotProductAttention(xs[0], xs[1], xs[2], { window: 3 });
        const gq = tf.grad((a: tf.Tensor) => tf.sum(tf.square(dotProductAttention(a as tf.Tensor4D, xs[1], xs[2], { window: 3 }).out)))(
          xs[0],
        );
        r.lse.dispose();
        return [r.out, gq];
      });
      const res = [Array.from(await out.data()), Array.from(await g.data())];
      tf.dispose([out, g]);
      return res;
    };
    const xh = five(false);
    const want = await dot(xh);
    tf.dispose(xh);
    await onNoSyncBackend(async (log) => {
      const x = five(true);
      unsupported(() => simplicialAttention(...x, o), 'simplicialAttention', /registerWebGPUKernels\(\)/);
      const lse = tf.zeros([1, 2, 8]) as tf.Tensor3D;
      unsupported(() => simplicialBackward(...x, x[0], x[1], lse, o), 'simplicialBackward', /registerWebGPUKernels\(\)/);
      unsupported(() => dotProductAttention(x[0], x[1], x[2], { kernel: 'wasm' }), 'dotProductAttention', /kernel 'auto' or 'tfjs'/);
      const got = await dot(x);
      for (const i of [0, 1]) for (const [j, v] of got[i].entries()) expect(v).toBeCloseTo(want[i][j], 5);
      tf.dispose([...x, lse]);
      expect(log.refusedReads).toBe(0); // readSync refuses before dataSync is reached
    });
  });

  it("with a 'webgpu' accelerator (tfjs ops here): 'auto' calls, their gradients and a simplicial block never read synchronously", async () => {
    // the stand-in: the O(n³) tfjs-op reference for out (differentiable), lse from a host run made beforehand
    const want = (() => {
      const x = five();
      const r = simplicialAttention(...x, o);
      const res = { out: r.out.dataSync().slice() as Float32Array, lse: r.lse.dataSync().slice() as Float32Array };
      tf.dispose([...x, r.out, r.lse]);
      return res;
    })();
    await onNoSyncBackend(async (log) => {
      const remove = registerAccelerator(
        'simplicialAttention',
        'webgpu',
        (q: tf.Tensor4D, k1: tf.Tensor4D, k2: tf.Tensor4D, v1: tf.Tensor4D, v2: tf.Tensor4D, opts: SimplicialOptions): SimplicialResult => {
          const out = simplicialAttentionReference(q, k1, k2, v1, v2, opts);
          const [B, n, Hq] = q.shape;
          const lse = q.shape.every((d, i) => d === SHAPE[i]) && opts === o ? tf.tensor3d(want.lse, [B, Hq, n]) : tf.zeros([B, Hq, n]);
          return { out, lse: lse as tf.Tensor3D };
        },
      );
      const x = five(true);
      try {
        const r = simplicialAttention(...x, o);
        const got = (await r.out.data()) as Float32Array;
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want.out[i])).toBeLessThan(1e-5);
        expectBitsEqual((await r.lse.data()) as Float32Array, want.lse);
        const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(simplicialAttention(...(xs as Five), o).out))(x);
        for (const g of grads) expect((await g.data()).every(Number.isFinite)).toBe(true);
        tf.dispose([r.out, r.lse, ...grads]);
        // a block with 2-simplicial attention and the dense FFN: forward and backward on the device
        const block = new SimplicialTransformerBlock({
          dModel: 8,
          heads: 2,
          attention: 'simplicial',
          w1: 4,
          w2: 2,
          ffn: 'squared-relu',
          seed: 3,
        });
        try {
          const h = tf.tidy(() => tf.add(tf.randomNormal([1, 6, 8], 0, 1, 'float32', 9), 0)) as tf.Tensor3D;
          const y = block.apply(h);
          expect(y.shape).toEqual([1, 6, 8]);
          expect((await y.data()).every(Number.isFinite)).toBe(true);
          const gh = tf.grad((v: tf.Tensor) => tf.sum(block.apply(v as tf.Tensor3D)))(h);
          expect((await gh.data()).every(Number.isFinite)).toBe(true);
          tf.dispose([h, y, gh]);
        } finally {
          block.dispose();
        }
      } finally {
        remove();
        tf.dispose(x);
      }
      expect(log.refusedReads).toBe(0);
    });
  });
});
