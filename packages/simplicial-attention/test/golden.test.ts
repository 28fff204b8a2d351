// FBGEMM torch_fwd_ref golden vectors (test/fixtures/PROVENANCE.md): outputs within 1e-5 and the five gradients
// within 1e-4, relative to the largest magnitude of each array; plus the float64 naive oracle on the same inputs.
import * as tf from '@tensorflow/tfjs-core';
import { accelerator, canReadSync } from '@tessera/core';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, test } from 'vitest';
import { simplicialAttention, simplicialAttentionReference, simplicialBackward } from '../src/index.js';
import { loadSimplicialGolden, relErr } from './fixtures.js';
import { naiveForward } from './reference/naive.js';

const cases = loadSimplicialGolden();

describe('FBGEMM torch_fwd_ref golden set', () => {
  test('has the five documented cases', () => {
    expect(cases.map((c) => c.name)).toEqual([
      'b1_s16_h1_d8_w8_4',
      'b1_s32_h2_d16_w8_4',
      'b1_s64_h1_d8_w8_4',
      'b2_s24_h1_d12_w4_8',
      'b1_s16_h2_d8_full_causal_w16_16',
    ]);
  });

  // 'wasm' and 'js' force the host kernels (they need synchronous reads of the upstream gradient: cpu and wasm
  // backends); 'auto' runs where the backend cannot read synchronously (webgpu in Node) and a 'simplicialAttention'
  // accelerator is registered (@tessera/webgpu's WGSL kernels, the GPU conformance run with TESSERA_WEBGPU_KERNELS=1),
  // elsewhere it would repeat the host kernels. Every read is asynchronous (await data()).
  test.for(cases.flatMap((c) => (['wasm', 'js', 'auto'] as const).map((kernel) => [c.name, kernel, c] as const)))(
    '%s (%s kernel): out within 1e-5, gradients within 1e-4',
    async ([, kernel, c], ctx) => {
      const device = !canReadSync();
      if (kernel === 'auto' ? !device || accelerator('simplicialAttention') === undefined : device) ctx.skip();
      await expectNoLeaks(async () => {
        const [q, k1, k2, v1, v2] = [c.q, c.k1, c.k2, c.v1, c.v2].map((a) => tf.tensor4d(a, c.shape));
        const lw = tf.tensor4d(c.lossWeights, c.shape);
        const o = { w1: c.w1, w2: c.w2, kernel };
        const { out, lse } = simplicialAttention(q, k1, k2, v1, v2, o);
        expect(relErr(await out.data(), c.out)).toBeLessThan(1e-5);
        // lse against the float64 naive loop (FBGEMM's Triton M is in log2 units and is never used as a golden)
        const [B, n, H, d] = c.shape;
        const naive = naiveForward(
          {
            q: Float64Array.from(c.q),
            k1: Float64Array.from(c.k1),
            k2: Float64Array.from(c.k2),
            v1: Float64Array.from(c.v1),
            v2: Float64Array.from(c.v2),
          },
          { B, n, Hq: H, Hkv: H, d },
          { w1: c.w1, w2: c.w2, causal: true, scale: 1 / Math.sqrt(d), variant: 'trilinear' },
        );
        expect(relErr(naive.out, c.out)).toBeLessThan(1e-12);
        expect(relErr(await lse.data(), naive.lse)).toBeLessThan(1e-6);
        const loss = (q_: tf.Tensor, k1_: tf.Tensor, k2_: tf.Tensor, v1_: tf.Tensor, v2_: tf.Tensor) =>
          tf.sum(
            tf.mul(
              simplicialAttention(q_ as tf.Tensor4D, k1_ as tf.Tensor4D, k2_ as tf.Tensor4D, v1_ as tf.Tensor4D, v2_ as tf.Tensor4D, o).out,
              lw,
            ),
          );
        const { value, grads } = tf.valueAndGrads(loss as (...a: tf.Tensor[]) => tf.Scalar)([q, k1, k2, v1, v2]);
        expect(Math.abs((await value.data())[0] - c.loss) / Math.abs(c.loss)).toBeLessThan(1e-5);
        const want = [c.grads.q, c.grads.k1, c.grads.k2, c.grads.v1, c.grads.v2];
        for (const [idx, g] of grads.entries()) expect(relErr(await g.data(), want[idx]), `gradient ${idx}`).toBeLessThan(1e-4);
        const extra: tf.Tensor[] = [];
        // the standalone backward (host kernels) gives the same numbers
        if (!device) {
          const sb = simplicialBackward(q, k1, k2, v1, v2, out, lw, lse, o);
          extra.push(sb.dq, sb.dk1, sb.dk2, sb.dv1, sb.dv2);
          for (const [idx, g] of [sb.dq, sb.dk1, sb.dk2, sb.dv1, sb.dv2].entries())
            expect(relErr(await g.data(), want[idx])).toBeLessThan(1e-4);
        }
        // and so does the O(n³) reference (tfjs ops) where its cube is small enough
        if (B * H * n ** 3 <= 2 ** 16 * 4) {
          const ref = simplicialAttentionReference(q, k1, k2, v1, v2, o);
          extra.push(ref);
          expect(relErr(await ref.data(), c.out)).toBeLessThan(1e-5);
        }
        tf.dispose([q, k1, k2, v1, v2, lw, out, lse, value, ...grads, ...extra]);
      });
    },
  );
});
