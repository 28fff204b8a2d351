// The simulator's worker script must run from the published build (ESM and CJS), not only from sources.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { expect, test } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, '.dist-test');

const body = (imp: string) => `${imp}
async function main() {
  await tf.setBackend('cpu');
  const topo = createTopology({ worldSize: 5, localWorldSize: 5, computeDevice: 'cuda' });
  const spec = { modulePath: 'ebc', name: 't', rows: 50, dim: 8, elementBytes: 4, moduleKind: 'pooled', featureNames: ['f'] };
  const table = { name: 't', weight: tf.randomNormal([50, 8]), featureNames: ['f'], pooling: 'sum' };
  const batches = [0, 1, 2, 3, 4].map((r) => KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([r, 49, 7, 3 * r], 'int32'), lengths: [2, 0, 2] }));
  let ok = true;
  for (const m of [manual.rowWise(), manual.tableWise(3), manual.columnWise([1, 4])]) {
    const res = simulate(manualPlan([spec], topo, { t: m }), [table], batches, { workers: 2 });
    res.outputs.forEach((o, i) => {
      const ref = pooledLookup([table], batches[i]).values.dataSync();
      o.values.dataSync().forEach((v, j) => { if (!Object.is(v, ref[j])) ok = false; });
    });
    if (res.workers !== 2) ok = false;
  }
  console.log(ok ? 'SIM-OK' : 'SIM-MISMATCH');
}
main();
`;

test('simulate runs its worker threads from the built ESM and CJS bundles', async () => {
  mkdirSync(out, { recursive: true });
  await build({
    entry: [join(pkg, 'src/index.ts')],
    format: ['esm', 'cjs'],
    outDir: out,
    dts: false,
    silent: true,
    target: 'es2022',
    clean: true,
    config: false,
  });
  writeFileSync(
    join(out, 'esm.mjs'),
    body(`import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { KeyedJaggedTensor, pooledLookup } from '@tessera/jagged-tensors';
import { createTopology, manual, manualPlan, simulate } from './index.js';`),
  );
  writeFileSync(
    join(out, 'cjs.cjs'),
    body(`const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { KeyedJaggedTensor, pooledLookup } = require('@tessera/jagged-tensors');
const { createTopology, manual, manualPlan, simulate } = require('./index.cjs');`),
  );
  for (const f of ['esm.mjs', 'cjs.cjs']) {
    const stdout = execFileSync(process.execPath, [join(out, f)], { cwd: pkg, encoding: 'utf8', timeout: 60_000 });
    expect(stdout).toContain('SIM-OK');
  }
}, 120_000);
