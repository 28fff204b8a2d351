import { fc, test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync, rng, TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { refMask24 } from '../test/reference/masks.js';
import { refTokenSplitGrads } from '../test/reference/token-split.js';
import { type Ffn24Gradient, mask24Tfjs, SquaredReluFFN24 } from './ffn.js';

const T = 12;
const D = 6;
const H = 16;

function setup(seed: number) {
  const r = rng(seed);
  return {
    x: tf.tensor(r.normalArray(T * D), [T, D]),
    w1: tf.tensor(r.normalArray(D * H, 0, 0.6), [D, H]),
    w2: tf.tensor(r.normalArray(H * D, 0, 0.4), [H, D]),
    g: tf.tensor(r.normalArray(T * D), [T, D]), // loss = Σ y ⊙ g
  };
}

/**
 * tfjs autograd of the masked dense computation, the mask taken from the tf forward itself. Reads asynchronously
 * (`await data()`), so that it runs where tensors cannot be read synchronously (webgpu in Node).
 */
async function autogradReference(
  x: tf.Tensor,
  w1: tf.Tensor,
  w2: tf.Tensor,
  g: tf.Tensor,
  mode: Ffn24Gradient | 'dense',
  mul0 = 1,
  mul1 = 1,
): Promise<number[][]> {
  const y2Probe = tf.tidy(() => tf.square(tf.relu(tf.matMul(x, w1))));
  const probe = await y2Probe.data();
  y2Probe.dispose();
  const grads = tf.tidy(() => {
    const mask = tf.tensor(refMask24(probe, 'value'), [T, H]);
    const steW = tf.add(tf.mul(mask, mul1), tf.mul(tf.sub(1, mask), mul0));
    const f = (xi: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
      const y2 = tf.square(tf.relu(tf.matMul(xi, a)));
      let s: tf.Tensor;
      if (mode === 'dense') s = y2;
      else if (mode === 'ste') {
        // forward M ⊙ Y2, backward dY2 = dS ⊙ (M·mul1 + (1−M)·mul0)
        const ste = tf.customGrad(((v: tf.Tensor) => ({
          value: tf.mul(v, mask),
          gradFunc: (dy: tf.Tensor) => tf.mul(dy, steW),
        })) as unknown as Parameters<typeof tf.customGrad>[0]);
        s = ste(y2);
      } else s = tf.mul(y2, mask);
      return tf.sum(tf.mul(tf.matMul(s, b), g));
    };
    return tf.grads(f)([x, w1, w2]);
  });
  return readAll(grads);
}

/** Values of `ts` read asynchronously, then disposed. */
async function readAll(ts: tf.Tensor[]): Promise<number[][]> {
  try {
    return await Promise.all(ts.map(async (t) => Array.from(await t.data())));
  } finally {
    tf.dispose(ts);
  }
}

/** [dX, dW1, dW2] of Σ apply(x) ⊙ g, read asynchronously. */
async function ffnGrads(ffn: SquaredReluFFN24, x: tf.Tensor, g: tf.Tensor): Promise<number[][]> {
  const grads = tf.tidy(() => {
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(ffn.apply(x), g)) as tf.Scalar, [ffn.w1, ffn.w2]);
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(ffn.apply(xi), g)))(x);
    value.dispose();
    return [dx, grads[ffn.w1.name], grads[ffn.w2.name]];
  });
  return readAll(grads);
}

function expectClose(got: number[], want: number[], label: string, tol = 2e-5) {
  expect(got.length, label).toBe(want.length);
  const scale = Math.max(1e-6, ...want.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst / scale, label).toBeLessThan(tol);
}

describe('SquaredReluFFN24 gradients equal tfjs autograd of the masked dense computation', () => {
  const cases: [string, Partial<ConstructorParameters<typeof SquaredReluFFN24>[0]>, Ffn24Gradient | 'dense', number, number][] = [
    ['24sparse', { gradient: '24sparse' }, '24sparse', 1, 1],
    ['24dense', { gradient: '24dense' }, '24dense', 1, 1],
    ['ste', { gradient: 'ste' }, 'ste', 1, 1],
    ['ste with bw_mul0 = 0.25, bw_mul1 = 1.5', { gradient: 'ste', steMul0: 0.25, steMul1: 1.5 }, 'ste', 0.25, 1.5],
    ['dense baseline', { sparsity: 'dense' }, 'dense', 1, 1],
    ['tokenSplit during warm-up is dense', { backwardRecipe: 'tokenSplit', tokenSplit: { warmupSteps: 5 } }, 'dense', 1, 1],
    [
      'tokenSplit with denseFraction 1 equals maskOnly',
      { backwardRecipe: 'tokenSplit', tokenSplit: { warmupSteps: 0, denseFraction: 1 } },
      '24sparse',
      1,
      1,
    ],
  ];
  for (const [name, opts, mode, mul0, mul1] of cases) {
    it(name, async () => {
      await expectNoLeaks(async () => {
        const { x, w1, w2, g } = setup(7);
        const ffn = new SquaredReluFFN24({ dModel: D, hidden: H, w1, w2, ...opts });
        const got = await ffnGrads(ffn, x, g);
        const want = await autogradReference(x, w1, w2, g, mode, mul0, mul1);
        expectClose(got[0], want[0], 'dX');
        expectClose(got[1], want[1], 'dW1');
        expectClose(got[2], want[2], 'dW2');
        ffn.dispose();
        tf.dispose([x, w1, w2, g]);
      });
    });
  }

  for (const denseFraction of [0, 0.25]) {
    // the recipe's token mask is computed on the host: kernel 'host' needs synchronous reads (cpu, wasm)
    it(`tokenSplit after warm-up (denseFraction ${denseFraction}) equals the naive reference of the recipe`, async ({ skip }) => {
      if (!canReadSync()) skip(); // asked at run time: the suite's backend is set up after collection
      await expectNoLeaks(async () => {
        const { x, w1, w2, g } = setup(11);
        const ffn = new SquaredReluFFN24({
          dModel: D,
          hidden: H,
          w1,
          w2,
          backwardRecipe: 'tokenSplit',
          tokenSplit: { warmupSteps: 0, denseFraction, seed: 3 },
        });
        const got = await ffnGrads(ffn, x, g);
        const want = refTokenSplitGrads(
          (await x.data()) as Float32Array,
          (await w1.data()) as Float32Array,
          (await w2.data()) as Float32Array,
          (await g.data()) as Float32Array,
          T,
          D,
          H,
          denseFraction,
          3,
        );
        expectClose(got[0], want.dX, 'dX');
        expectClose(got[1], want.dW1, 'dW1');
        expectClose(got[2], want.dW2, 'dW2');
        // and the token mask really removes gradient: dW2 differs from the mask-only one
        const plain = new SquaredReluFFN24({ dModel: D, hidden: H, w1, w2 });
        expect((await ffnGrads(plain, x, g))[2]).not.toEqual(got[2]);
        tf.dispose([x, w1, w2, g]);
        ffn.dispose();
        plain.dispose();
      });
    });
  }

  it('the tfjs-op path refuses the token-split recipe after warm-up (host-only token mask) with UNSUPPORTED, nothing leaked', async () => {
    const { x, w1, w2, g } = setup(11);
    const ffn = new SquaredReluFFN24({
      dModel: D,
      hidden: H,
      w1,
      w2,
      kernel: 'tfjs',
      backwardRecipe: 'tokenSplit',
      tokenSplit: { warmupSteps: 0 },
    });
    const before = tf.memory().numTensors;
    expect(() => ffn.apply(x)).toThrow(TesseraError);
    expect(() => ffn.apply(x)).toThrow(/token-split recipe after its warm-up runs on the host only/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w1, w2, g]);
    ffn.dispose();
  });
});

describe("SquaredReluFFN24 kernel 'tfjs' (tfjs ops, the path where tensors cannot be read synchronously)", () => {
  // Both paths compute the same float32 products; only the GEMMs' summation orders differ (host kernels vs
  // tf.matMul), so values agree to a few float32 roundings: 1e-5 of the largest magnitude of each result. The 2:4
  // selections are identical except where two ReLU(Y1) values of a group are within such a rounding of each other
  // (ties proper are broken to the lower index by both); random normal data makes that vanishingly rare.
  const shapeArb = fc.record({
    t: fc.integer({ min: 1, max: 9 }),
    d: fc.integer({ min: 1, max: 7 }),
    groups: fc.integer({ min: 1, max: 5 }),
    seed: fc.integer({ min: 0, max: 1000 }),
    variant: fc.constantFrom<[string, Partial<ConstructorParameters<typeof SquaredReluFFN24>[0]>]>(
      ['24sparse', { gradient: '24sparse' }],
      ['24dense', { gradient: '24dense' }],
      ['ste', { gradient: 'ste', steMul0: 0.25, steMul1: 1.5 }],
      ['dense', { sparsity: 'dense' }],
      ['tokenSplit warm-up', { backwardRecipe: 'tokenSplit', tokenSplit: { warmupSteps: 5 } }],
      ['tokenSplit denseFraction 1', { backwardRecipe: 'tokenSplit', tokenSplit: { warmupSteps: 0, denseFraction: 1 } }],
    ),
  });
  fcTest.prop([shapeArb], { numRuns: 25 })(
    'forward and gradients equal the host path (cpu/wasm: 1e-5 of the largest value)',
    async ({ t, d, groups, seed, variant }) => {
      await expectNoLeaks(async () => {
        const h = 4 * groups;
        const r = rng(seed);
        const x = tf.tensor(r.normalArray(t * d), [t, d]);
        const w1 = tf.tensor(r.normalArray(d * h, 0, 0.6), [d, h]);
        const w2 = tf.tensor(r.normalArray(h * d, 0, 0.4), [h, d]);
        const g = tf.tensor(r.normalArray(t * d), [t, d]);
        const run = async (kernel: 'host' | 'tfjs') => {
          const ffn = new SquaredReluFFN24({ dModel: d, hidden: h, w1, w2, kernel, ...variant[1] });
          const y = ffn.apply(x);
          const out = [Array.from(await y.data()), ...(await ffnGrads(ffn, x, g))];
          y.dispose();
          ffn.dispose();
          return out;
        };
        if (!canReadSync()) {
          // no host path here (webgpu in Node): the tfjs path alone must still run without reading synchronously
          expect((await run('tfjs'))[0].length).toBe(t * d);
        } else {
          const host = await run('host');
          const dev = await run('tfjs');
          for (const [i, name] of ['Y3', 'dX', 'dW1', 'dW2'].entries()) expectClose(dev[i], host[i], `${variant[0]} ${name}`, 1e-5);
        }
        tf.dispose([x, w1, w2, g]);
      });
    },
  );

  it('mask24Tfjs keeps the top 2 of every group of 4, ties to the lower index (the reference selection)', async () => {
    const vals = [3, 3, 3, 3, 0, 0, 0, 0, 1, 2, 2, 1, 5, 0, 5, 0, 0, 7, 7, 7, 2, 1, 0, 2, 0, 0, 4, 0, 9, 8, 7, 6];
    const r = tf.tensor2d(vals, [2, 16]);
    const m = mask24Tfjs(r);
    expect(Array.from(await m.data())).toEqual(refMask24(vals, 'value'));
    tf.dispose([r, m]);
  });
});

describe('SquaredReluFFN24 forward and statistics', () => {
  it('forward equals (mask24(Y2) ⊙ Y2)·W2 and the stats match a naive count', async () => {
    await expectNoLeaks(async () => {
      const { x, w1, w2, g } = setup(3);
      const ffn = new SquaredReluFFN24({ dModel: D, hidden: H, w1, w2 });
      const y = ffn.apply(x);
      const y2t = tf.tidy(() => tf.square(tf.relu(tf.matMul(x, w1))));
      const y2 = Array.from(await y2t.data());
      const [want] = await readAll([tf.tidy(() => tf.matMul(tf.mul(y2t, tf.tensor(refMask24(y2, 'value'), [T, H])), w2))]);
      y2t.dispose();
      expectClose(Array.from(await y.data()), want, 'Y3');
      if (!canReadSync()) {
        // the tfjs-op path (webgpu in Node) computes no statistics
        expect(ffn.lastStats).toBeNull();
        tf.dispose([x, w1, w2, g, y]);
        ffn.dispose();
        return;
      }
      const st = ffn.lastStats!;
      let zeros = 0;
      let nz = 0;
      let already = 0;
      let dropped = 0;
      let mass = 0;
      let dMass = 0;
      for (let i = 0; i < y2.length; i += 4) {
        const grp = y2.slice(i, i + 4);
        const n = grp.filter((v) => v > 0).length;
        zeros += 4 - n;
        nz += n;
        if (n <= 2) already++;
        else dropped += n - 2;
        const sorted = [...grp].sort((p, q) => q - p);
        mass += grp.reduce((p, q) => p + q, 0);
        dMass += sorted[2] + sorted[3];
      }
      expect(st.naturalSparsity).toBeCloseTo(zeros / y2.length, 12);
      expect(st.groupsAlready24).toBeCloseTo(already / (y2.length / 4), 12);
      expect(st.droppedCount).toBe(dropped);
      expect(st.droppedFraction).toBeCloseTo(dropped / nz, 12);
      expect(st.droppedMass).toBeCloseTo(dMass / mass, 5);
      expect(st.sparse).toBe(true);
      tf.dispose([x, w1, w2, g, y]);
      ffn.dispose();
    });
  });

  it('trains with a tf optimizer and rejects bad options', async () => {
    await expectNoLeaks(async () => {
      const { x, g, w1, w2 } = setup(5);
      tf.dispose([w1, w2]);
      const ffn = new SquaredReluFFN24({ dModel: D, hidden: H, seed: 2 });
      const opt = tf.train.sgd(0.01);
      const loss = () => tf.mean(tf.square(tf.sub(ffn.apply(x), g))) as tf.Scalar;
      const lossValue = async () => {
        const l = tf.tidy(loss);
        const v = (await l.data())[0];
        l.dispose();
        return v;
      };
      const l0 = await lossValue();
      for (let i = 0; i < 20; i++) tf.tidy(() => void opt.minimize(loss));
      const l1 = await lossValue();
      expect(l1).toBeLessThan(l0);
      opt.dispose();
      expect(() => new SquaredReluFFN24({ dModel: 4, hidden: 6 })).toThrow(/hidden must be a multiple of 4/);
      expect(() => new SquaredReluFFN24({ dModel: 4, hidden: 8, gradient: 'sparse' as never })).toThrow(/gradient must be one of/);
      const bad = tf.zeros([2, 5]);
      expect(() => ffn.apply(bad)).toThrow(/the last dimension of x must be 6/);
      tf.dispose([x, g, bad]);
      ffn.dispose();
    });
  });
});
