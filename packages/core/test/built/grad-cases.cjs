// Gradients of a broad set of tfjs-core ops, as plain arrays. Shared by the in-process test and the child
// processes that load the built dist (ESM and CJS): every gradient file that core's build rewrites to tfjs-core's
// public API is exercised here (elementwise with broadcasting, reductions, shape ops, matmul, conv and pooling).
/** @param {typeof import('@tensorflow/tfjs-core')} tf */
function cases(tf) {
  const x = () => tf.tensor2d([0.5, -1.25, 2, 3.5, -0.75, 1.5], [2, 3]);
  const y = () => tf.tensor2d([1.5, 0.25, -2, 0.5, 2.25, -1], [2, 3]);
  const row = () => tf.tensor1d([0.75, -0.5, 1.25]);
  const img = () =>
    tf.tensor4d(
      Array.from({ length: 32 }, (_, i) => Math.sin(i) * 2),
      [1, 4, 4, 2],
    );
  const filt = () =>
    tf.tensor4d(
      Array.from({ length: 24 }, (_, i) => Math.cos(i)),
      [2, 2, 2, 3],
    );
  const cases = {
    addBroadcast: [(a, b) => tf.add(a, b), [x, row]],
    subBroadcast: [(a, b) => tf.sub(a, b), [x, row]],
    mulBroadcast: [(a, b) => tf.mul(a, b), [x, row]],
    divBroadcast: [(a, b) => tf.div(a, b), [x, row]],
    pow: [(a, b) => tf.pow(tf.abs(a), b), [x, y]],
    maximum: [(a, b) => tf.maximum(a, b), [x, y]],
    squaredDifference: [(a, b) => tf.squaredDifference(a, b), [x, y]],
    unary: [(a) => tf.addN([tf.exp(a), tf.log(tf.abs(a)), tf.sqrt(tf.abs(a)), tf.sin(a), tf.cos(a), tf.tanh(a)]), [x]],
    activations: [(a) => tf.addN([tf.relu(a), tf.sigmoid(a), tf.elu(a), tf.selu(a), tf.leakyRelu(a, 0.1), tf.softplus(a)]), [x]],
    softmax: [(a) => tf.mul(tf.softmax(a), tf.reshape(tf.range(0, 6), [2, 3])), [x]],
    logSoftmax: [(a) => tf.logSoftmax(a), [x]],
    reductions: [(a) => tf.addN([tf.sum(a, 1), tf.mean(a, 1), tf.max(a, 1), tf.min(a, 1)]), [x]],
    prod: [(a) => tf.prod(a, 1), [x]],
    cumsum: [(a) => tf.cumsum(a, 1), [x]],
    matMul: [(a, b) => tf.matMul(a, b, false, true), [x, y]],
    transposeReshape: [(a) => tf.mul(tf.reshape(tf.transpose(a), [6]), tf.range(1, 7)), [x]],
    concatSlice: [(a, b) => tf.slice(tf.concat([a, b], 1), [0, 1], [2, 4]), [x, y]],
    stackUnstack: [(a) => tf.mul(tf.stack(tf.unstack(a)), 2), [x]],
    gather: [(a) => tf.gather(a, tf.tensor1d([2, 0, 2], 'int32'), 1), [x]],
    gatherBatchDims: [(a) => tf.gather(a, tf.tensor2d([2, 0, 1, 1], [2, 2], 'int32'), 1, 1), [x]],
    tilePad: [
      (a) =>
        tf.pad(tf.tile(a, [1, 2]), [
          [1, 0],
          [0, 2],
        ]),
      [x],
    ],
    where: [(a, b) => tf.where(tf.greater(x(), y()), a, b), [x, y]],
    clip: [(a) => tf.clipByValue(a, -1, 1.6), [x]],
    segmentSum: [(a) => tf.unsortedSegmentSum(a, tf.tensor1d([1, 0], 'int32'), 3), [x]],
    conv2d: [(a, f) => tf.conv2d(a, f, 1, 'same'), [img, filt]],
    depthwise: [(a, f) => tf.depthwiseConv2d(a, tf.slice(f, [0, 0, 0, 0], [2, 2, 2, 1]), 1, 'valid'), [img, filt]],
    maxPool: [(a) => tf.maxPool(a, 2, 1, 'valid'), [img]],
    avgPool: [(a) => tf.avgPool(a, 2, 2, 'same'), [img]],
  };
  return cases;
}

/** The loss every case differentiates: sum(f(inputs)²). */
function loss(tf, f) {
  return (...args) => {
    const y = f(...args);
    return tf.sum(tf.mul(y, y));
  };
}

/** Analytic gradients of every case (tf.grads, i.e. the registered gradient functions), as plain arrays. */
function gradients(tf) {
  const out = {};
  for (const [name, [f, makers]] of Object.entries(cases(tf))) {
    out[name] = tf.tidy(() =>
      tf
        .grads(loss(tf, f))(makers.map((m) => m()))
        .map((g) => Array.from(g.dataSync())),
    );
  }
  return out;
}

/** Central finite differences of the same losses (forward ops only), in float64 arithmetic around float32 values. */
function finiteDifferences(tf, eps = 1e-2) {
  const out = {};
  for (const [name, [f, makers]] of Object.entries(cases(tf))) {
    out[name] = tf.tidy(() => {
      const inputs = makers.map((m) => m());
      const values = inputs.map((t) => Array.from(t.dataSync()));
      const at = (k, j, v) => {
        const args = inputs.map((t, i) =>
          i === k
            ? tf.tensor(
                values[k].map((u, n) => (n === j ? v : u)),
                t.shape,
              )
            : t,
        );
        return loss(tf, f)(...args).dataSync()[0];
      };
      return values.map((vals, k) => vals.map((v, j) => (at(k, j, v + eps) - at(k, j, v - eps)) / (2 * eps)));
    });
  }
  return out;
}

module.exports = { cases, gradients, finiteDifferences };
