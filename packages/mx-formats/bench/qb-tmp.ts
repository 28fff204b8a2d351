import { rng } from '@tessera/core';
import { dequantizeMXArray, quantizeMXArray } from '/work/main/packages/mx-formats/src/index.js';

const N = 2 ** 22;
const x = rng(1).normalArray(N);
for (let rep = 0; rep < 4; rep++) {
  const t0 = performance.now();
  const m = quantizeMXArray(x, [N], { format: 'mxfp8_e4m3' });
  const t1 = performance.now();
  dequantizeMXArray(m);
  const t2 = performance.now();
  console.log(`q ${(N / (t1 - t0) / 1e3).toFixed(0)} M/s  dq ${(N / (t2 - t1) / 1e3).toFixed(0)} M/s`);
}
