// The built package as users load it: gradients registered from dist/ in ESM and in CJS, computed by the
// application's own tfjs-core (no second copy of its Engine or Tensor in dist), and correct against finite
// differences. Needs `npm run build` of this package first (turbo runs it before this package's tests).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type BackendName, initBackend } from '../src/backend.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const require = createRequire(import.meta.url);
const gradCases = require('./built/grad-cases.cjs') as {
  finiteDifferences: (t: typeof tf, eps?: number) => Record<string, number[][]>;
};

interface Report {
  format: string;
  backend: string;
  withGradient: number;
  grads: Record<string, number[][]>;
  numTensors: number;
}

function runChild(file: string): Report {
  const out = execFileSync(process.execPath, [join(here, 'built', file)], {
    encoding: 'utf8',
    env: { ...process.env, TESSERA_BACKEND: 'cpu' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Report;
}

describe('built dist', () => {
  it('exists (build @tessera/core first)', () => {
    expect(existsSync(join(dist, 'index.js')) && existsSync(join(dist, 'index.cjs'))).toBe(true);
  });

  it('ships no copy of tfjs-core internals (engine, tensor class, kernel registry)', () => {
    const files = readdirSync(dist).filter((f) => /\.(c?js)$/.test(f));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const text = readFileSync(join(dist, f), 'utf8');
      expect(text, f).not.toMatch(/getOrMakeEngine|class Engine\b|class Tensor\b|getKernelsForBackend\s*\(/);
    }
  });

  it('registers every tfjs-core gradient in ESM and CJS, with equal results that match finite differences', async () => {
    const esm = runChild('grad-check.mjs');
    const cjs = runChild('grad-check.cjs');
    const registry = readFileSync(require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'), 'utf8');
    const configs = new Set(registry.match(/import \{ \w+GradConfig \}/g));
    expect(configs.size).toBeGreaterThan(90);
    for (const r of [esm, cjs]) {
      expect(r.backend).toBe('cpu');
      expect(r.withGradient).toBe(configs.size);
      expect(r.numTensors).toBe(0);
    }
    expect(cjs.grads).toEqual(esm.grads);
    // The children run on cpu; so do the finite differences (wasm lacks some of the kernels the cases use).
    const saved = tf.getBackend() as BackendName;
    await initBackend('cpu', { log: null });
    const fd = tf.tidy(() => gradCases.finiteDifferences(tf));
    await initBackend(saved, { log: null });
    expect(Object.keys(esm.grads).sort()).toEqual(Object.keys(fd).sort());
    for (const [name, perInput] of Object.entries(esm.grads)) {
      perInput.forEach((g, k) => {
        expect(g.length, `${name} input ${k}`).toBe(fd[name][k].length);
        g.forEach((v, j) => {
          const want = fd[name][k][j];
          expect(Math.abs(v - want), `${name} input ${k} [${j}]: ${v} vs ${want}`).toBeLessThanOrEqual(2e-2 * Math.max(1, Math.abs(want)));
        });
      });
    }
  });
});
