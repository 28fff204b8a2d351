// The CommonJS twin of grad-check.mjs: require('@tessera/core') resolves to dist/index.cjs.
const tf = require('@tensorflow/tfjs-core');
const { initBackend } = require('@tessera/core');
const gradCases = require('./grad-cases.cjs');

initBackend('cpu', { log: null }).then(() => {
  const kernelNames = Object.entries(tf).filter(([k, v]) => /^[A-Z]/.test(k) && typeof v === 'string');
  const withGradient = kernelNames.filter(([, v]) => tf.getGradient(v) !== undefined).length;
  const grads = gradCases.gradients(tf);
  console.log(JSON.stringify({ format: 'cjs', backend: tf.getBackend(), withGradient, grads, numTensors: tf.memory().numTensors }));
});
