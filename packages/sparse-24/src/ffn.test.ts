import * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { refMask24 } from '../test/reference/masks.js';
import { refTokenSplitGrads } from '../test/reference/token-split.js';
import { type Ffn24Gradient, SquaredReluFFN24 } from './ffn.js';

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

/** tfjs autograd of the masked dense computation, the mask taken from the tf forward itself. */
function autogradReference(x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, g: tf.Tensor, mode: Ffn24Gradient | 'dense', mul0 = 1, mul1 = 1) {
  return tf.tidy(() => {
    const y2Probe = tf.square(tf.relu(tf.matMul(x, w1)));
    const mask = tf.tensor(refMask24(y2Probe.dataSync(), 'value'), [T, H]);
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
    const grads = tf.grads(f)([x, w1, w2]);
    return grads.map((t) => Array.from(t.dataSync()));
  });
}

function ffnGrads(ffn: SquaredReluFFN24, x: tf.Tensor, g: tf.Tensor) {
  return tf.tidy(() => {
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(ffn.apply(x), g)) as tf.Scalar, [ffn.w1, ffn.w2]);
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(ffn.apply(xi), g)))(x);
    value.dispose();
    return [Array.from(dx.dataSync()), Array.from(grads[ffn.w1.name].dataSync()), Array.from(grads[ffn.w2.name].dataSync())];
  });
}

function expectClose(got: number[], want: number[], label: string) {
  const scale = Math.max(1e-6, ...want.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst / scale, label).toBeLessThan(2e-5);
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
    it(name, () => {
      expectNoLeaks(() => {
        const { x, w1, w2, g } = setup(7);
        const ffn = new SquaredReluFFN24({ dModel: D, hidden: H, w1, w2, ...opts });
        const got = ffnGrads(ffn, x, g);
        const want = autogradReference(x, w1, w2, g, mode, mul0, mul1);
        expectClose(got[0], want[0], 'dX');
        expectClose(got[1], want[1], 'dW1');
        expectClose(got[2], want[2], 'dW2');
        ffn.dispose();
        tf.dispose([x, w1, w2, g]);
      });
    });
  }

  for (const denseFraction of [0, 0.25]) {
    it(`tokenSplit after warm-up (denseFraction ${denseFraction}) equals the naive reference of the recipe`, () => {
      expectNoLeaks(() => {
        const { x, w1, w2, g } = setup(11);
        const ffn = new SquaredReluFFN24({
          dModel: D,
          hidden: H,
          w1,
          w2,
          backwardRecipe: 'tokenSplit',
          tokenSplit: { warmupSteps: 0, denseFraction, seed: 3 },
        });
        const got = ffnGrads(ffn, x, g);
        const want = refTokenSplitGrads(
          x.dataSync() as Float32Array,
          w1.dataSync() as Float32Array,
          w2.dataSync() as Float32Array,
          g.dataSync() as Float32Array,
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
        expect(ffnGrads(plain, x, g)[2]).not.toEqual(got[2]);
        tf.dispose([x, w1, w2, g]);
        ffn.dispose();
        plain.dispose();
      });
    });
  }
});

describe('SquaredReluFFN24 forward and statistics', () => {
  it('forward equals (mask24(Y2) ⊙ Y2)·W2 and the stats match a naive count', () => {
    expectNoLeaks(() => {
      const { x, w1, w2, g } = setup(3);
      const ffn = new SquaredReluFFN24({ dModel: D, hidden: H, w1, w2 });
      const y = ffn.apply(x);
      const [want, y2] = tf.tidy(() => {
        const y2t = tf.square(tf.relu(tf.matMul(x, w1)));
        const m = tf.tensor(refMask24(y2t.dataSync(), 'value'), [T, H]);
        return [Array.from(tf.matMul(tf.mul(y2t, m), w2).dataSync()), Array.from(y2t.dataSync())];
      });
      expectClose(Array.from(y.dataSync()), want, 'Y3');
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

  it('trains with a tf optimizer and rejects bad options', () => {
    expectNoLeaks(() => {
      const { x, g, w1, w2 } = setup(5);
      tf.dispose([w1, w2]);
      const ffn = new SquaredReluFFN24({ dModel: D, hidden: H, seed: 2 });
      const opt = tf.train.sgd(0.01);
      const loss = () => tf.mean(tf.square(tf.sub(ffn.apply(x), g))) as tf.Scalar;
      const l0 = tf.tidy(() => loss().dataSync()[0]);
      for (let i = 0; i < 20; i++) tf.tidy(() => void opt.minimize(loss));
      const l1 = tf.tidy(() => loss().dataSync()[0]);
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
