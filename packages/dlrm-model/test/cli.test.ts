// The tessera-dlrm CLI on tiny data, in-process: preprocess (DuckDB) → train on Parquet with IKJT batches → save →
// eval; train on a TSV; --help lists the reference flag names.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { syntheticCriteo } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dlrm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tessera-dlrm CLI', () => {
  const tsv = join(dir, 'tiny.tsv');
  writeFileSync(tsv, `${[...syntheticCriteo({ rows: 1400, seed: 2, cardinality: 100 }).lines()].join('\n')}\n`);

  it('preprocess → train (Parquet, IKJT) → checkpoint → eval', async () => {
    const lines: string[] = [];
    const out = (s: string) => lines.push(s);
    const pq = join(dir, 'tiny.parquet');
    await runCli(['preprocess', '--input', tsv, '--output', pq], out);
    expect(lines[0]).toMatch(/rows 1400 {2}skipped 0 {2}bytes in \d+ {2}bytes out \d+/);
    const ckpt = join(dir, 'm.safetensors');
    await runCli(
      [
        'train',
        '--data',
        pq,
        '--ikjt',
        '--quiet',
        '--backend',
        'cpu',
        '--mini-batch-size',
        '128',
        '--arch-mlp-bot',
        '13-8-4',
        '--arch-sparse-feature-size',
        '4',
        '--arch-mlp-top',
        '8-1',
        '--optimizer',
        'adagrad',
        '--learning-rate',
        '0.05',
        '--save-model',
        ckpt,
      ],
      out,
    );
    expect(lines.some((l) => /^epoch 1: \d+ steps, 1200 samples/.test(l))).toBe(true);
    expect(lines.some((l) => /^test: samples 100 {2}accuracy [\d.]+ {2}logLoss [\d.]+ {2}auc [\d.]+ {2}ne [\d.]+/.test(l))).toBe(true);
    expect(existsSync(ckpt)).toBe(true);
    expect(JSON.parse(readFileSync(`${ckpt}.json`, 'utf8'))['arch-mlp-bot']).toBe('13-8-4');
    await runCli(['eval', '--load-model', ckpt, '--data', tsv, '--all', '--quiet', '--backend', 'cpu'], out);
    expect(lines.some((l) => /^eval: samples 1400 /.test(l))).toBe(true);
  });

  it('--help explains the reference flags', async () => {
    const lines: string[] = [];
    await expect(runCli(['train', '--help'], (s) => lines.push(s))).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
    const help = lines.join('\n');
    for (const f of [
      '--arch-mlp-bot',
      '--arch-mlp-top',
      '--arch-embedding-size',
      '--arch-sparse-feature-size',
      '--arch-interaction-op',
      '--loss-function',
      '--learning-rate',
      '--mini-batch-size',
      '--nepochs',
      '--optimizer',
      '--save-model',
    ])
      expect(help).toContain(f);
  });
});
