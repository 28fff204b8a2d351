// The RecD pipeline on an in-process DuckDB: TSV → Parquet (clustered by session / random) → batches as KJT and IKJT,
// checked sample by sample against the JS reader (parseCriteoTsvLine + first-appearance ids in file order).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InverseKeyedJaggedTensor } from '@tessera/jagged-tensors';
import { afterAll, describe, expect, it } from 'vitest';
import { preprocessCriteoToParquet, readCriteoTsvFile, readParquetBatches } from '../src/data/index.js';
import { disposeBatch, FirstAppearanceIndexer, syntheticCriteo } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dlrm-duckdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DuckDB RecD pipeline', () => {
  const N = 3000;
  const log = syntheticCriteo({ rows: N, meanSessionLength: 4, seed: 11, cardinality: 300 });
  const tsv = join(dir, 'log.tsv');
  writeFileSync(tsv, `${[...log.lines()].join('\n')}\n`);

  it('round-trips every sample exactly (count and content), KJT and IKJT, clustered by session', async () => {
    const ix = new FirstAppearanceIndexer();
    const ref: { label: number; ints: Int32Array; ids: Int32Array }[] = [];
    for await (const r of readCriteoTsvFile(tsv)) ref.push({ label: r.label, ints: r.ints, ids: ix.observeAndIndex(r) });
    expect(ref.length).toBe(N);
    const out = join(dir, 'session.parquet');
    const res = await preprocessCriteoToParquet({ input: tsv, output: out, clusterBy: 'session' });
    expect(res.rows).toBe(N);
    expect(res.tableSizes).toEqual(ix.tableSizes());
    expect(res.bytesOut).toBeGreaterThan(0);
    for (const format of ['kjt', 'ikjt'] as const) {
      const seen = new Uint8Array(N);
      let dups = 0;
      for await (const b of readParquetBatches(out, {
        batchSize: 512,
        format,
        groups: [Array.from({ length: 13 }, (_, i) => `C${i + 1}`)],
      })) {
        if (format === 'ikjt') {
          expect(b.sparse).toBeInstanceOf(InverseKeyedJaggedTensor);
          dups += b.dense.shape[0] - (b.sparse as InverseKeyedJaggedTensor).uniqueCounts.C1;
        }
        const kjt = format === 'ikjt' ? (b.sparse as InverseKeyedJaggedTensor).expand() : b.sparse;
        const vals = kjt.values.dataSync();
        const dense = b.dense.dataSync();
        const labels = b.labels?.dataSync() as Float32Array;
        const B = b.rid.length;
        const wantDense = new Float32Array(B * 13);
        const wantLabels = new Float32Array(B);
        const wantVals = new Int32Array(B * 26);
        for (let i = 0; i < B; i++) {
          const r = ref[b.rid[i]];
          seen[b.rid[i]]++;
          wantLabels[i] = r.label;
          for (let c = 0; c < 13; c++) wantDense[i * 13 + c] = Math.fround(Math.log(Math.fround(r.ints[c]) + 1));
          for (let k = 0; k < 26; k++) wantVals[k * B + i] = r.ids[k];
        }
        expect(Array.from(labels)).toEqual(Array.from(wantLabels));
        expect(Array.from(dense)).toEqual(Array.from(wantDense));
        expect(Array.from(vals)).toEqual(Array.from(wantVals));
        if (kjt !== b.sparse) kjt.dispose();
        disposeBatch(b);
      }
      expect(seen.every((v) => v === 1)).toBe(true);
      if (format === 'ikjt') expect(dups).toBeGreaterThan(N / 2);
    }
  });

  it('session clustering compresses better than a random order; malformed lines fail or are skipped', async () => {
    const a = await preprocessCriteoToParquet({ input: tsv, output: join(dir, 's.parquet'), clusterBy: 'session' });
    const b = await preprocessCriteoToParquet({ input: tsv, output: join(dir, 'r.parquet'), clusterBy: 'random', seed: 1 });
    expect(b.bytesOut).toBeGreaterThan(a.bytesOut); // small file: the bench measures the ratio at scale
    const badTsv = join(dir, 'bad.tsv');
    const lines = [...log.lines()].slice(0, 20);
    lines[5] = lines[5].replace(/^0|^1/, '7');
    writeFileSync(badTsv, `${lines.join('\n')}\n`);
    await expect(preprocessCriteoToParquet({ input: badTsv, output: join(dir, 'bad.parquet') })).rejects.toThrow(/line 6/);
    const skipped = await preprocessCriteoToParquet({ input: badTsv, output: join(dir, 'bad.parquet'), skipMalformed: true });
    expect(skipped.rows).toBe(19);
    expect(skipped.skipped).toBe(1);
  });
});
