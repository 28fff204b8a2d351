// Picks the best tfjs backend available, then round-trips tensors through safetensors bytes (float32, float16
// storage and int32) and checks that nothing changed.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadSafetensors, rng, saveSafetensors } from '@tessera/core';

const info = await initBackend();
console.log(`backend: ${info.name} (native: ${info.native}, gpu: ${info.gpu})`);

const r = rng(7);
const weight = tf.tensor(r.normalArray(64 * 16), [64, 16]);
const ids = tf.tensor([3, 1, 4, 1, 5, 9, 2, 6], [8], 'int32');
const bytes = saveSafetensors(
  { weight, ids, weight_f16: weight },
  { metadata: { source: 'tessera example' }, dtypes: { weight_f16: 'F16' } },
);
const { tensors, metadata } = loadSafetensors(bytes);

const same = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.all(tf.equal(a, b)).dataSync()[0] === 1);
const maxErrF16 = tf.tidy(() => tf.max(tf.abs(tf.sub(tensors.weight_f16, weight))).dataSync()[0]);
console.log(`safetensors: ${bytes.length} bytes, metadata ${JSON.stringify(metadata)}`);
console.log(`weight float32 round trip exact: ${same(weight, tensors.weight)}`);
console.log(`ids int32 round trip exact: ${same(ids, tensors.ids)}`);
console.log(`weight stored as F16: max |error| = ${maxErrF16.toExponential(3)}`);
if (!same(weight, tensors.weight) || !same(ids, tensors.ids) || maxErrF16 > 2e-3) {
  throw new Error('round trip changed the data');
}
tf.dispose([weight, ids, ...Object.values(tensors)]);
console.log(`live tensors after cleanup: ${tf.memory().numTensors}`);
