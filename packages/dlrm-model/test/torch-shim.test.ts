// The PyTorch shim (python/tessera_dlrm.py) against real torch: a tessera checkpoint (exportSafetensors) is loaded by
// the shim into the reference DLRM_Net (test/fixtures/torch/dlrm_net.py, trimmed from facebookresearch/dlrm
// `dlrm_s_pytorch.py`) with a strict load_state_dict, and its predictions on a small batch equal tessera's within
// 1e-5; the `--load-model` dict the shim writes reloads to the same predictions. Needs a Python with torch and numpy
// ($TESSERA_PYTHON alone when set, else /usr/bin/python3, python3, python): without one (as in CI) the test is skipped and
// says why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
import { describe, expect, it } from 'vitest';
import { type DlrmConfig, DlrmModel, exportSafetensors } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function findTorchPython(): string | null {
  // $TESSERA_PYTHON, when set, is the only candidate
  const env = process.env.TESSERA_PYTHON;
  const candidates = env !== undefined && env !== '' ? [env] : ['/usr/bin/python3', 'python3', 'python'];
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return null;
}

const python = findTorchPython();
const why = python === null ? ' (skipped: no Python with torch and numpy found; set TESSERA_PYTHON)' : '';

const CASES: { name: string; cfg: DlrmConfig; learnedWeights?: boolean }[] = [
  {
    name: 'dot',
    cfg: {
      denseFeatures: 5,
      embeddingDim: 4,
      tableSizes: [7, 3, 11],
      featureNames: ['a', 'b', 'c'],
      bottomMlp: [8, 4],
      topMlp: [6, 1],
      interaction: 'dot',
    },
  },
  {
    name: 'cat, loss threshold',
    cfg: {
      denseFeatures: 3,
      embeddingDim: 2,
      tableSizes: [5, 9],
      featureNames: ['u', 'v'],
      bottomMlp: [2],
      topMlp: [5, 3, 1],
      interaction: 'cat',
      lossThreshold: 0.3,
    },
  },
  {
    name: 'dot with itself, learned pooling weights',
    cfg: {
      denseFeatures: 4,
      embeddingDim: 3,
      tableSizes: [6, 4],
      featureNames: ['x', 'y'],
      bottomMlp: [5, 3],
      topMlp: [4, 1],
      interaction: 'dot',
      interactionItself: true,
      weightedPooling: 'learned',
    },
    learnedWeights: true,
  },
];

describe('python/tessera_dlrm.py with PyTorch', () => {
  it.skipIf(python === null)(`loads tessera checkpoints into DLRM_Net with the same predictions${why}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlrm-torch-'));
    const B = 6;
    const r = rng(5);
    const ours: Float32Array[] = [];
    const cases: unknown[] = [];
    try {
      // asynchronous reads: this also runs where no synchronous read exists (webgpu in Node)
      for (const [ci, { cfg, learnedWeights }] of CASES.entries()) {
        const model = DlrmModel.create(cfg, { seed: 11 + ci });
        try {
          if (learnedWeights)
            for (const w of model.poolingWeights ?? []) for (let i = 0; i < w.length; i++) w[i] = 0.25 + 1.5 * r.uniform();
          // bags of 0..3 ids per sample and feature (an empty bag included)
          const ids: number[][] = [];
          const offsets: number[][] = [];
          const lengths: number[] = [];
          cfg.tableSizes.forEach((n, k) => {
            const o = [0];
            const v: number[] = [];
            for (let b = 0; b < B; b++) {
              const len = b === 1 && k === 0 ? 0 : 1 + Math.floor(r.uniform() * 3);
              for (let j = 0; j < len; j++) v.push(Math.floor(r.uniform() * n));
              o.push(v.length);
              lengths.push(len);
            }
            ids.push(v);
            offsets.push(o);
          });
          const dense = Array.from(r.normalArray(B * cfg.denseFeatures));
          const sparse = KeyedJaggedTensor.fromLengths({ keys: cfg.featureNames, values: tf.tensor1d(ids.flat(), 'int32'), lengths });
          const x = tf.tensor2d(dense, [B, cfg.denseFeatures]);
          const p = model.forward({ dense: x, sparse });
          ours.push(((await p.data()) as Float32Array).slice());
          tf.dispose([p, x]);
          sparse.dispose();
          const { weights, sidecar } = exportSafetensors(model, await model.stateDictAsync());
          const ckpt = join(dir, `m${ci}.safetensors`);
          writeFileSync(ckpt, weights);
          // the sidecar file for the first case only: the others rebuild the arch from the safetensors metadata
          if (ci === 0) writeFileSync(`${ckpt}.json`, JSON.stringify(sidecar));
          cases.push({ checkpoint: ckpt, pt: join(dir, `m${ci}.pt`), batch: { size: B, dense, offsets, ids } });
        } finally {
          model.dispose();
        }
      }
      const spec = join(dir, 'cases.json');
      writeFileSync(spec, JSON.stringify(cases));
      const run = spawnSync(python as string, [join(here, 'fixtures/torch/check_shim.py'), join(here, '../python'), spec], {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      });
      expect(run.stderr.includes('Traceback') ? run.stderr : '').toBe('');
      expect(run.status).toBe(0);
      const out = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as {
        torch: string;
        results: { probs: number[]; reloadedEqual: boolean; keys: string[]; lnTop: number[]; counters: number[] }[];
      };
      expect(out.results.length).toBe(CASES.length);
      out.results.forEach((res, ci) => {
        const mine = ours[ci];
        expect(res.probs.length, CASES[ci].name).toBe(B);
        let m = 0;
        for (let i = 0; i < B; i++) m = Math.max(m, Math.abs(res.probs[i] - mine[i]));
        expect(m, `${CASES[ci].name}: max |p_torch − p_tessera|`).toBeLessThanOrEqual(1e-5);
        expect(res.reloadedEqual, CASES[ci].name).toBe(true);
        expect(res.counters).toEqual([0, 0, 1, 0, 0]);
        // predictions not all saturated: the comparison means something
        expect(
          mine.some((v) => v > 0.01 && v < 0.99),
          CASES[ci].name,
        ).toBe(true);
      });
      expect(out.results[0].keys).toEqual([
        'bot_l.0.bias',
        'bot_l.0.weight',
        'bot_l.2.bias',
        'bot_l.2.weight',
        'emb_l.0.weight',
        'emb_l.1.weight',
        'emb_l.2.weight',
        'top_l.0.bias',
        'top_l.0.weight',
        'top_l.2.bias',
        'top_l.2.weight',
      ]);
      expect(out.results[0].lnTop).toEqual([4 + 6, 6, 1]); // 4 features → 6 pairs + bottom width 4
      expect(out.results[2].keys).toContain('v_W_l.1');
      console.log(`torch-shim: verified against torch ${out.torch} (${python})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
