// The BDR design space: accuracy (QSNR) against cost (bits/element) for shared-microexponent formats (MX4/MX6/MX9 of
// Rouhani et al., arXiv:2302.08007, not OCP MX), single-level BFP/MSFP, AMD Quark's bfp16, the OCP MX formats, NVFP4
// and per-tensor FP8/INT8, on two data sets: iid N(0,1) and a heavy-tailed Student-t with ν = 3. Prints one table,
// the Pareto front of each data set, and writes out/pareto.svg + out/pareto.png (QSNR vs bits/element, front
// highlighted, every point labelled).
import { mkdirSync } from 'node:fs';
import {
  BDR_MX4,
  BDR_MX6,
  BDR_MX9,
  bdrQuantizer,
  bfp,
  MSFP12,
  MSFP16,
  mxQuantizer,
  nvfp4Quantizer,
  paretoFront,
  perTensorQuantizer,
  QUARK_BFP16,
  type Quantizer,
  type SweepRow,
  sweep,
} from '@tessera/bdr-formats';
import { initBackend, rng } from '@tessera/core';
import { FP8_E4M3, FP8_E5M2, INT8_MX, MX_FORMATS } from '@tessera/mx-formats';
import { writePlot } from '../lib/plot.js';
import { progress } from '../lib/progress.js';

await initBackend(undefined, { log: null });
const N = 2 ** 20;
const r = rng(20261203);
const gaussian = r.normalArray(N);
// Student-t, ν = 3: z / sqrt(χ²₃ / 3)
const studentT = new Float32Array(N);
for (let i = 0; i < N; i++) {
  const z = r.normal();
  const c = r.normal() ** 2 + r.normal() ** 2 + r.normal() ** 2;
  studentT[i] = z / Math.sqrt(c / 3);
}

const family: Record<string, string> = {};
const add = (q: Quantizer, fam: string) => {
  family[q.name] = fam;
  return q;
};
const quantizers: Quantizer[] = [
  add(bdrQuantizer(BDR_MX4), 'BDR (shared microexponents)'),
  add(bdrQuantizer(BDR_MX6), 'BDR (shared microexponents)'),
  add(bdrQuantizer(BDR_MX9), 'BDR (shared microexponents)'),
  add(bdrQuantizer(bfp(16, 2)), 'BFP / MSFP'),
  add(bdrQuantizer(MSFP12), 'BFP / MSFP'),
  add(bdrQuantizer(bfp(16, 4)), 'BFP / MSFP'),
  add(bdrQuantizer(MSFP16), 'BFP / MSFP'),
  add(bdrQuantizer(QUARK_BFP16), 'BFP / MSFP'),
  ...MX_FORMATS.map((format) => add(mxQuantizer({ format }), 'OCP MX')),
  add(nvfp4Quantizer(), 'NVFP4'),
  add(perTensorQuantizer(FP8_E4M3), 'per-tensor'),
  add(perTensorQuantizer(FP8_E5M2), 'per-tensor'),
  add(perTensorQuantizer(INT8_MX), 'per-tensor'),
];

const datasets = [
  { label: 'N(0,1)', data: gaussian },
  { label: 'Student-t ν=3', data: studentT },
];
const bar = progress('sweep', datasets.length * quantizers.length);
const results: { label: string; rows: SweepRow[] }[] = [];
for (const { label, data } of datasets) {
  // one quantizer at a time so the progress bar moves; sweep([q]) = one row of sweep(quantizers)
  const rows = quantizers.map((q) => {
    const row = sweep([q], data)[0];
    bar.tick();
    return row;
  });
  results.push({ label, rows: rows.sort((a, b) => a.bitsPerElement - b.bitsPerElement || b.qsnr - a.qsnr) });
}
bar.stop();

const [g, t] = results;
const tOf = new Map(t.rows.map((row) => [row.name, row]));
const header = `${'format'.padEnd(22)} ${'family'.padEnd(28)} ${'bits/elem'.padStart(9)} ${'QSNR N(0,1)'.padStart(12)} ${'QSNR t(3)'.padStart(10)} ${'Thm-1 bound'.padStart(12)}`;
console.log(`\nQSNR in dB on ${N.toLocaleString()} values per data set (higher is better)\n`);
console.log(header);
console.log('-'.repeat(header.length));
for (const row of g.rows) {
  const tr = tOf.get(row.name)!;
  console.log(
    `${row.name.padEnd(22)} ${family[row.name].padEnd(28)} ${row.bitsPerElement.toFixed(3).padStart(9)} ${row.qsnr.toFixed(2).padStart(12)} ${tr.qsnr.toFixed(2).padStart(10)} ${(row.bound === undefined ? '—' : (Math.abs(row.bound) < 0.005 ? 0 : row.bound).toFixed(2)).padStart(12)}`,
  );
}
for (const { label, rows } of results)
  console.log(
    `\nPareto front, ${label}: ${paretoFront(rows)
      .map((row) => row.name)
      .join(' → ')}`,
  );

// Sanity checks of the published orderings (Rouhani et al. §IV): MX9 beats MSFP16-like BFP by ≈ 3.7 dB on N(0,1),
// MX6 lies between per-tensor FP8 E4M3 and E5M2, and every BDR row is above its Theorem-1 bound.
const q = (name: string) => g.rows.find((row) => row.name === name)!.qsnr;
const gap = q('BDR_MX9') - q('MSFP16');
if (!(gap > 3.4 && gap < 4.1)) throw new Error(`MX9 − MSFP16 is ${gap.toFixed(2)} dB, expected ≈ 3.7`);
if (!(q('BDR_MX6') < q('FP8_E4M3 per-tensor') && q('BDR_MX6') > q('FP8_E5M2 per-tensor')))
  throw new Error('MX6 is not between FP8 E4M3 and E5M2');
for (const { rows } of results)
  for (const row of rows) if (row.bound !== undefined && !(row.qsnr > row.bound)) throw new Error(`${row.name} is below its bound`);

mkdirSync('out', { recursive: true });
const values = results.flatMap(({ label, rows }) => {
  const front = new Set(paretoFront(rows).map((row) => row.name));
  // label heights in dB: a label that would overlap one already placed nearby moves down by one line (≈ 1.7 dB)
  const placed: { bits: number; y: number }[] = [];
  return [...rows]
    .sort((a, b) => b.qsnr - a.qsnr)
    .map((row) => {
      let labelY = row.qsnr;
      // labels only move down, each time below a placed one, so this ends after at most placed.length passes
      for (let pass = 0; pass <= placed.length; pass++) {
        const hit = placed.find((p) => Math.abs(p.bits - row.bitsPerElement) < 0.8 && Math.abs(p.y - labelY) < 1.7);
        if (hit === undefined) break;
        labelY = hit.y - 1.75;
      }
      placed.push({ bits: row.bitsPerElement, y: labelY });
      return {
        data: label,
        name: row.name,
        family: family[row.name],
        bits: row.bitsPerElement,
        qsnr: Number(row.qsnr.toFixed(2)),
        labelY,
        front: front.has(row.name) ? 'Pareto front' : 'dominated',
      };
    });
});
const x = { field: 'bits', type: 'quantitative' as const, title: 'bits per element', scale: { domain: [3, 10] } };
const y = { field: 'qsnr', type: 'quantitative' as const, title: 'QSNR (dB)', scale: { zero: false } };
const files = await writePlot(
  {
    title: {
      text: 'Number formats: accuracy vs storage cost',
      subtitle: `QSNR on ${N.toLocaleString()} values; line and filled marks: the Pareto front`,
    },
    data: { values },
    facet: { column: { field: 'data', type: 'nominal', title: null } },
    spec: {
      width: 460,
      height: 380,
      layer: [
        {
          transform: [{ filter: "datum.front === 'Pareto front'" }],
          mark: { type: 'line', color: '#444', strokeDash: [4, 3], interpolate: 'step-after' },
          encoding: { x, y, order: { field: 'bits' } },
        },
        {
          mark: { type: 'point', size: 90, strokeWidth: 2 },
          encoding: {
            x,
            y,
            color: { field: 'family', type: 'nominal', title: 'family', legend: { labelLimit: 260 } },
            shape: { field: 'family', type: 'nominal' },
            fill: { condition: { test: "datum.front === 'Pareto front'", field: 'family', type: 'nominal' }, value: 'white' },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 7, dy: 3, fontSize: 10 },
          encoding: {
            x,
            y: { ...y, field: 'labelY' },
            text: { field: 'name' },
            color: { condition: { test: "datum.front === 'Pareto front'", value: '#000' }, value: '#777' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  },
  'out/pareto',
);
console.log(`\nwrote ${files.svg} and ${files.png}`);
