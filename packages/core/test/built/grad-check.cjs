// The CommonJS twin of grad-check.mjs: require('@tessera/core') resolves to dist/index.cjs.
const tf = require('@tensorflow/tfjs-core');
const { initBackend } = require('@tessera/core');
const gradCases = require('./grad-cases.cjs');

initBackend('cpu', { log: null }).then(() => {
  const kernels = Object.keys(tf).filter((k) => /^[A-Z]/.test(k) && typeof tf[k] === 'string');
  const withGradient = kernels.filter((k) => tf.getGradient(tf[k]) !== undefined).length;
  const grads = gradCases.gradients(tf);
  console.log(JSON.stringify({ format: 'cjs', backend: tf.getBackend(), withGradient, grads, numTensors: tf.memory().numTensors }));
});
