// Loads the built @tessera/core as an ES module next to the application's tfjs-core and prints what the test
// compares: the gradients of grad-cases.cjs, which kernels have a gradient, and live tensors after the run.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tessera/core';
import gradCases from './grad-cases.cjs';

await initBackend('cpu', { log: null });
const kernelNames = Object.entries(tf).filter(([k, v]) => /^[A-Z]/.test(k) && typeof v === 'string');
const withGradient = kernelNames.filter(([, v]) => tf.getGradient(v) !== undefined).length;
const grads = gradCases.gradients(tf);
console.log(JSON.stringify({ format: 'esm', backend: tf.getBackend(), withGradient, grads, numTensors: tf.memory().numTensors }));
