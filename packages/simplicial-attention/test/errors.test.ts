// Validation (TesseraError codes, bounds in the messages) and tensor hygiene (no leaks on any path).
import * as tf from '@tensorflow/tfjs-core';
import { accelerator, canReadSync, TesseraError } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, test } from 'vitest';
import {
  dotProductAttention,
  REFERENCE_MAX_CELLS,
  type SimplicialOptions,
  simplicialAttention,
  simplicialAttentionReference,
  simplicialBackward,
} from '../src/index.js';

type T4 = tf.Tensor4D;

function codeOf(fn: () => unknown): string | undefined {
  let err: unknown;
  expectNoLeaks(() =>
    tf.tidy(() => {
      try {
        fn();
      } catch (e) {
        err = e;
      }
    }),
  );
  if (err === undefined) return undefined;
  expect(err).toBeInstanceOf(TesseraError);
  return (err as TesseraError).code;
}

function five(shapeQ: number[] = [1, 6, 2, 4], shapeKv: number[] = [1, 6, 1, 4]): T4[] {
  return [shapeQ, shapeKv, shapeKv, shapeKv, shapeKv].map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i + 1) as unknown as T4);
}

describe('errors', () => {
  test('bad tensors', () => {
    expect(codeOf(() => simplicialAttention(...(five() as [T4, T4, T4, T4, T4])))).toBeUndefined();
    expect(codeOf(() => simplicialAttention([1] as unknown as T4, ...(five().slice(1) as [T4, T4, T4, T4])))).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() => {
        const x = five();
        x[2].dispose();
        simplicialAttention(...(x as [T4, T4, T4, T4, T4]));
      }),
    ).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() => {
        const x = five();
        x[1] = tf.cast(x[1], 'int32') as T4;
        simplicialAttention(...(x as [T4, T4, T4, T4, T4]));
      }),
    ).toBe('INVALID_DTYPE');
    expect(
      codeOf(() => {
        const x = five();
        x[0] = tf.reshape(x[0], [6, 2, 4]) as unknown as T4;
        simplicialAttention(...(x as [T4, T4, T4, T4, T4]));
      }),
    ).toBe('INVALID_SHAPE');
    expect(codeOf(() => simplicialAttention(...(five([1, 6, 2, 4], [1, 5, 1, 4]) as [T4, T4, T4, T4, T4])))).toBe('INVALID_SHAPE');
    expect(codeOf(() => simplicialAttention(...(five([1, 6, 2, 4], [1, 6, 1, 3]) as [T4, T4, T4, T4, T4])))).toBe('INVALID_SHAPE');
    expect(codeOf(() => simplicialAttention(...(five([1, 6, 3, 4], [1, 6, 2, 4]) as [T4, T4, T4, T4, T4])))).toBe('INVALID_SHAPE');
    expect(codeOf(() => simplicialAttention(...(five([1, 0, 2, 4], [1, 0, 1, 4]) as [T4, T4, T4, T4, T4])))).toBe('INVALID_SHAPE');
    expect(
      codeOf(() => {
        const x = five();
        x[4] = tf.randomNormal([1, 6, 2, 4]) as T4; // v2 with a different head count than the other keys
        simplicialAttention(...(x as [T4, T4, T4, T4, T4]));
      }),
    ).toBe('INVALID_SHAPE');
  });

  test('bad options', () => {
    const bad: unknown[] = [
      { w1: 0 },
      { w2: -1 },
      { w1: 1.5 },
      { w1: Number.NaN },
      { w2: '4' },
      { w1: Number.NEGATIVE_INFINITY },
      { scale: Number.NaN },
      { scale: Number.POSITIVE_INFINITY },
      { variant: 'strassen' },
      { kernel: 'gpu' },
      { causal: 1 },
      'fast',
      null,
    ];
    for (const o of bad) {
      expect(
        codeOf(() => simplicialAttention(...(five() as [T4, T4, T4, T4, T4]), o as SimplicialOptions)),
        JSON.stringify(o),
      ).toBe('INVALID_ARGUMENT');
    }
    expect(() => tf.tidy(() => simplicialAttention(...(five() as [T4, T4, T4, T4, T4]), { w1: 0 }))).toThrow(
      'simplicialAttention: w1 must be a positive integer or Infinity, got 0',
    );
    expect(codeOf(() => dotProductAttention(...(five().slice(0, 3) as [T4, T4, T4]), { window: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => dotProductAttention(...(five([1, 6, 2, 4], [1, 6, 2, 5]).slice(0, 3) as [T4, T4, T4])))).toBe('INVALID_SHAPE');
  });

  test('the O(n³) reference states its bound', () => {
    const n = Math.ceil(Math.cbrt(REFERENCE_MAX_CELLS)) + 1;
    let msg = '';
    expect(
      codeOf(() => {
        try {
          simplicialAttentionReference(...(five([1, n, 1, 1], [1, n, 1, 1]) as [T4, T4, T4, T4, T4]));
        } catch (e) {
          msg = (e as Error).message;
          throw e;
        }
      }),
    ).toBe('INVALID_SHAPE');
    expect(msg).toContain(`<= ${REFERENCE_MAX_CELLS}`);
  });

  test('simplicialBackward checks out, dOut and lse', () => {
    const x = () => five() as [T4, T4, T4, T4, T4];
    const ok = (args: T4[]) => tf.zeros(args[0].shape) as T4;
    expect(
      codeOf(() => {
        const a = x();
        simplicialBackward(...a, ok(a), ok(a), tf.zeros([1, 2, 5]) as tf.Tensor3D);
      }),
    ).toBe('INVALID_SHAPE');
    expect(
      codeOf(() => {
        const a = x();
        simplicialBackward(...a, tf.zeros([1, 6, 1, 4]) as T4, ok(a), tf.zeros([1, 2, 6]) as tf.Tensor3D);
      }),
    ).toBe('INVALID_SHAPE');
    expect(
      codeOf(() => {
        const a = x();
        simplicialBackward(...a, ok(a), ok(a), tf.zeros([1, 2, 6]) as tf.Tensor3D);
      }),
    ).toBeUndefined();
  });
});

describe('no leaks', () => {
  test('forward, tf.grads backward, simplicialBackward, reference, dot-product', () => {
    const x = five();
    const o = { w1: 3, w2: 2 };
    // Where tensors cannot be read synchronously (webgpu in Node) the host backward is refused with UNSUPPORTED,
    // and gradients exist only through a registered 'simplicialAttention' accelerator (@tessera/webgpu's kernels):
    // the refusal must leak nothing either.
    const hostReads = canReadSync();
    const gradients = hostReads || accelerator('simplicialAttention') !== undefined;
    expectNoLeaks(() => {
      const { out, lse } = simplicialAttention(...(x as [T4, T4, T4, T4, T4]), o);
      try {
        if (hostReads) {
          const g = simplicialBackward(...(x as [T4, T4, T4, T4, T4]), out, out, lse, o);
          tf.dispose([g.dq, g.dk1, g.dk2, g.dv1, g.dv2]);
        } else {
          // runs where every input still has its values on the host (the forward ran on the host), else refuses
          try {
            tf.dispose(Object.values(simplicialBackward(...(x as [T4, T4, T4, T4, T4]), out, out, lse, o)));
          } catch (e) {
            expect((e as TesseraError).code).toBe('UNSUPPORTED');
          }
        }
      } finally {
        tf.dispose([out, lse]);
      }
    });
    if (gradients) {
      expectNoLeaks(() => {
        const gs = tf.grads((...a: tf.Tensor[]) => {
          const { out, lse } = simplicialAttention(...(a as [T4, T4, T4, T4, T4]), o);
          lse.dispose();
          return tf.sum(tf.square(out));
        })(x);
        tf.dispose(gs);
      });
      expectNoLeaks(() => {
        const vars = x.map((t) => tf.variable(t));
        const opt = tf.train.sgd(0.1);
        opt.minimize(() => {
          const { out, lse } = simplicialAttention(...(vars as unknown as [T4, T4, T4, T4, T4]), o);
          lse.dispose();
          return tf.sum(out);
        });
        opt.dispose();
        tf.dispose(vars);
      });
    }
    expectNoLeaks(() => tf.dispose(simplicialAttentionReference(...(x as [T4, T4, T4, T4, T4]), o)));
    expectNoLeaks(() => {
      const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const r = dotProductAttention(a as T4, b as T4, c as T4, { window: 2 });
        r.lse.dispose();
        return tf.sum(r.out);
      })([x[0], x[1], x[3]]);
      tf.dispose(gs);
    });
    tf.dispose(x);
  });
});
