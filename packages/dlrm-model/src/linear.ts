// Linear layers and the Gram matrix T·Tᵀ with hand-written gradients that use only untransposed matmuls. Why: on the
// tfjs 4.22 wasm backend `matMul` with `transposeA`/`transposeB` runs ~9× slower than the plain product (measured on
// [2048, 367] × [367, 64]), and tfjs's own matMul gradients use those flags; `tf.fused.matMul` with `transposeB` and a
// bias even returns wrong values there. Weights stay [out, in] as PyTorch stores them; explicit transposes of the
// small operands are cheap.
import * as tf from '@tensorflow/tfjs-core';

/** y = h·Wᵀ + b for h [B, in], W [out, in], b [out]; differentiable in all three. @internal */
export function linear(h: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad(((hh: tf.Tensor2D, ww: tf.Tensor2D, bb: tf.Tensor1D, save: (ts: tf.Tensor[]) => void) => {
    save([hh, ww]);
    const value = tf.tidy(() => tf.add(tf.matMul(hh, tf.transpose(ww)), bb)) as tf.Tensor2D;
    return {
      value,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy, ws), tf.matMul(tf.transpose(dy), hs), tf.sum(dy, 0)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(h, W, b) as tf.Tensor2D;
}

/** Z = T·Tᵀ for T [B, N, D] (batched); dT = (dZ + dZᵀ)·T. @internal */
export function gram(T: tf.Tensor3D): tf.Tensor3D {
  const op = tf.customGrad(((t: tf.Tensor3D, save: (ts: tf.Tensor[]) => void) => {
    save([t]);
    return {
      value: tf.tidy(() => tf.matMul(t, tf.transpose(t, [0, 2, 1]))) as tf.Tensor3D,
      gradFunc: (dz: tf.Tensor3D, saved: tf.Tensor[]) => [tf.matMul(tf.add(dz, tf.transpose(dz, [0, 2, 1])), saved[0] as tf.Tensor3D)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(T) as tf.Tensor3D;
}
