// Quantizes a stand-in weight matrix to every OCP MX format and to NVFP4, and prints bytes, compression ratio and
// SQNR per format. The matrix is a Gaussian with lognormal per-output-channel scales (trained weights have a few
// large channels), laid out W[K, N] for tf.matMul(x, W), so the blocks run along K (axis 0). It also saves one
// MXTensor as safetensors (torchao names: qdata, scale), reloads it, and runs an MX matmul.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, rng, sqnrDb } from '@tessera/core';
import {
  dequantizeMXArray,
  dequantizeNVFP4Array,
  loadMX,
  MX_FORMATS,
  mxMatMul,
  quantizeMXArray,
  quantizeNVFP4Array,
  saveMX,
} from '@tessera/mx-formats';

await initBackend();
const K = 1024;
const N = 768;
const r = rng(2026);
const colScale = Float32Array.from({ length: N }, () => Math.exp(r.normal(0, 1)));
const W = new Float32Array(K * N);
for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) W[k * N + n] = r.normal(0, 0.02) * colScale[n];
const lognormal = Float32Array.from({ length: K * N }, () => (r.uniform() < 0.5 ? -1 : 1) * Math.exp(r.normal(-4, 1.5)));

const denseBytes = W.byteLength;
console.log(`weight W[${K}, ${N}] float32: ${denseBytes.toLocaleString()} bytes; blocks of 32 along K (axis 0)\n`);
const header = `${'format'.padEnd(12)} ${'scale'.padEnd(6)} ${'bytes'.padStart(10)} ${'ratio'.padStart(6)} ${'bits/val'.padStart(8)} ${'SQNR gauss'.padStart(11)} ${'SQNR lognorm'.padStart(13)}`;
console.log(header);
console.log('-'.repeat(header.length));
const floorsDb: Record<string, number> = { mxint8: 35, mxfp8_e4m3: 25, mxfp8_e5m2: 20, mxfp6_e2m3: 25, mxfp6_e3m2: 20, mxfp4_e2m1: 13 };
for (const format of MX_FORMATS) {
  for (const scaleMode of ['floor', 'rceil'] as const) {
    const m = quantizeMXArray(W, [K, N], { format, axis: 0, scaleMode });
    const s = sqnrDb(W, dequantizeMXArray(m));
    const sl = sqnrDb(lognormal, dequantizeMXArray(quantizeMXArray(lognormal, [K, N], { format, axis: 0, scaleMode })));
    console.log(
      `${format.padEnd(12)} ${scaleMode.padEnd(6)} ${m.byteLength.toLocaleString().padStart(10)} ${(denseBytes / m.byteLength).toFixed(2).padStart(6)} ${((8 * m.byteLength) / (K * N)).toFixed(2).padStart(8)} ${s.toFixed(2).padStart(11)} ${sl.toFixed(2).padStart(13)}`,
    );
    if (!(s >= floorsDb[format])) throw new Error(`${format}: SQNR ${s.toFixed(2)} dB is below the sanity floor ${floorsDb[format]} dB`);
  }
}
for (const tensorScale of ['none', 'auto'] as const) {
  const t = quantizeNVFP4Array(W, [K, N], { axis: 0, tensorScale });
  const s = sqnrDb(W, dequantizeNVFP4Array(t));
  const sl = sqnrDb(lognormal, dequantizeNVFP4Array(quantizeNVFP4Array(lognormal, [K, N], { axis: 0, tensorScale })));
  const label = tensorScale === 'auto' ? '2-lvl' : '1-lvl';
  console.log(
    `${'nvfp4'.padEnd(12)} ${label.padEnd(6)} ${t.byteLength.toLocaleString().padStart(10)} ${(denseBytes / t.byteLength).toFixed(2).padStart(6)} ${((8 * t.byteLength) / (K * N)).toFixed(2).padStart(8)} ${s.toFixed(2).padStart(11)} ${sl.toFixed(2).padStart(13)}`,
  );
  if (!(s >= 13)) throw new Error(`nvfp4: SQNR ${s.toFixed(2)} dB is below 13 dB`);
}

// safetensors round trip (torchao-style names) of the MXFP4 weight
mkdirSync('out', { recursive: true });
const m4 = quantizeMXArray(W, [K, N], { format: 'mxfp4_e2m1', axis: 0 });
const bytes = saveMX(m4, 'weight');
writeFileSync('out/weight-mxfp4.safetensors', bytes);
const back = loadMX(bytes, 'weight');
const want = dequantizeMXArray(m4);
const same = dequantizeMXArray(back).every((v, i) => Object.is(v, want[i]));
console.log(
  `\nsaved out/weight-mxfp4.safetensors (${bytes.length.toLocaleString()} bytes: weight.qdata, weight.scale, format in metadata); reload identical: ${same}`,
);
if (!same) throw new Error('safetensors round trip changed the MXTensor');

// MX matmul: activations blocked along K (axis −1), the weight along K (axis −2)
const x = tf.tensor(r.normalArray(64 * K), [64, K]);
const w = tf.tensor(W, [K, N]);
const exact = tf.matMul(x, w);
for (const format of ['mxfp8_e4m3', 'mxfp4_e2m1'] as const) {
  const y = mxMatMul(x, w, { a: { format }, b: { format } });
  console.log(`mxMatMul ${format}: SQNR of x·W vs float32 = ${sqnrDb(exact.dataSync(), y.dataSync()).toFixed(2)} dB`);
  y.dispose();
}
tf.dispose([x, w, exact]);
