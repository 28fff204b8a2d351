import * as tf from '@tensorflow/tfjs-core';
import { rng } from '@tessera/core';
import { dedup, type EmbeddingTable, KeyedJaggedTensor, sequenceLookup } from '@tessera/jagged-tensors';
import { expectBitsEqual } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { table } from '../test/helpers.js';
import { unshardedPooled } from '../test/reference/unsharded.js';
import { createTopology, flexShardTiers, type ManualSharding, manual, manualPlan, type Plan, simulate, type TableSpec } from './index.js';

const topo = createTopology({ worldSize: 4, localWorldSize: 2, computeDevice: 'cuda' });
const r = rng(3);
const specs: TableSpec[] = [
  table('a', 37, 8),
  table('b', 50, 16),
  table('c', 23, 8, { featureNames: ['c1', 'c2'] }),
  table('m', 40, 8, { featureNames: ['m_f'] }),
];
let weights: tf.Tensor2D[] = [];
let ebcTables: EmbeddingTable[] = [];
beforeAll(() => {
  weights = specs.map((s) => tf.tensor2d(r.normalArray(s.rows * s.dim), [s.rows, s.dim]));
  ebcTables = specs.map((s, i) => ({
    name: s.name,
    weight: weights[i],
    featureNames: s.featureNames,
    pooling: s.name === 'm' ? 'mean' : 'sum',
  }));
});
afterAll(() => {
  for (const w of weights) w.dispose();
});

function batch(seed: number, weighted: boolean, dupes: boolean): KeyedJaggedTensor {
  const g = rng(seed);
  const keys = specs.flatMap((s) => s.featureNames);
  const B = 6;
  const lengths: number[] = [];
  const ids: number[] = [];
  for (const s of specs) {
    for (const _f of s.featureNames) {
      const bags: number[][] = [];
      for (let b = 0; b < B; b++) {
        if (dupes && b % 2 === 1) bags.push([...bags[b - 1]]);
        else bags.push(Array.from({ length: g.int(5) }, () => g.int(s.rows)));
      }
      for (const bag of bags) {
        lengths.push(bag.length);
        ids.push(...bag);
      }
    }
  }
  return KeyedJaggedTensor.fromLengths({
    keys,
    values: tf.tensor1d(ids, 'int32'),
    lengths,
    ...(weighted
      ? {
          weights: tf.tensor1d(
            Array.from({ length: ids.length }, () => g.uniform(0.5, 2)),
            'float32',
          ),
        }
      : {}),
  });
}

const choices: [string, Record<string, ManualSharding>][] = [
  ['table_wise', { a: manual.tableWise(3), b: manual.tableWise(1), c: manual.tableWise(0), m: manual.tableWise(2) }],
  ['row_wise', { a: manual.rowWise(), b: manual.rowWise(), c: manual.rowWise(), m: manual.rowWise() }],
  [
    'column_wise',
    { a: manual.columnWise([2, 3]), b: manual.columnWise([1, 1, 0, 3]), c: manual.columnWise([0, 2]), m: manual.columnWise([3]) },
  ],
  ['table_row_wise', { a: manual.tableRowWise(1), b: manual.tableRowWise(0), c: manual.tableRowWise(1), m: manual.tableRowWise(0) }],
  ['data_parallel', { a: manual.dataParallel(), b: manual.dataParallel(), c: manual.dataParallel(), m: manual.dataParallel() }],
  ['mixed + grid', { a: manual.gridShard([1]), b: manual.rowWise(), c: manual.tableWise(2), m: manual.tableRowWise(1) }],
];

describe('simulate: sharded lookups equal the unsharded collection bit for bit', () => {
  for (const [name, ch] of choices) {
    for (const ikjt of [false, true]) {
      test(`${name}, ${ikjt ? 'IKJT' : 'KJT'} inputs`, () => {
        // gridShard takes one host index per 128-column block: table a (8 columns) has one block
        const p: Plan = manualPlan(specs, topo, name === 'mixed + grid' ? { ...ch, a: manual.gridShard([1]) } : ch);
        const raw = [0, 1, 2, 3].map((i) => batch(10 + i, false, ikjt));
        const inputs = ikjt ? raw.map((x) => dedup(x).ikjt) : raw;
        const before = tf.memory().numTensors;
        const res = simulate(p, ebcTables, inputs, { workers: name === 'row_wise' ? 0 : 2 });
        for (let k = 0; k < 4; k++) {
          expect(res.outputs[k].keys).toEqual(specs.flatMap((t) => t.featureNames));
          expectBitsEqual(res.outputs[k].values.dataSync() as Float32Array, unshardedPooled(ebcTables, inputs[k]));
        }
        if (name === 'data_parallel') {
          expect(res.intraHostBytes + res.interHostBytes).toBe(0);
        } else expect(res.intraHostBytes + res.interHostBytes).toBeGreaterThan(0);
        for (const o of res.outputs) o.dispose();
        expect(tf.memory().numTensors).toBe(before);
        for (const x of inputs) x.dispose();
        if (ikjt) for (const x of raw) x.dispose();
      });
    }
  }
  test('weighted features, row-wise partial reduction within float32 rounding, more ranks than workers', () => {
    const p = manualPlan(specs, topo, { a: manual.rowWise(), b: manual.tableWise(1), c: manual.rowWise(), m: manual.tableWise(0) });
    const tabs = ebcTables.map((t) => ({ ...t, pooling: 'sum' as const }));
    const inputs = [0, 1, 2, 3].map((i) => batch(30 + i, true, false));
    const exact = simulate(p, tabs, inputs, { workers: 1 });
    const partial = simulate(p, tabs, inputs, { workers: 3, rowWiseReduction: 'partial' });
    for (let k = 0; k < 4; k++) {
      const b = unshardedPooled(tabs, inputs[k]);
      expectBitsEqual(exact.outputs[k].values.dataSync() as Float32Array, b);
      const a = partial.outputs[k].values.dataSync();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i])));
    }
    expect(exact.lookupsPerRank.reduce((x, y) => x + y, 0)).toBe(inputs.reduce((x, y) => x + y.values.shape[0], 0));
    for (const o of [...exact.outputs, ...partial.outputs]) o.dispose();
    for (const x of inputs) x.dispose();
  });
  test('traffic: TW sends each bag to the owner and pooled rows back; per link class', () => {
    const p = manualPlan([specs[0]], topo, { a: manual.tableWise(3) });
    const one = (ids: number[], lengths: number[]) =>
      KeyedJaggedTensor.fromLengths({ keys: ['a_f'], values: tf.tensor1d(ids, 'int32'), lengths });
    const inputs = [one([1, 2], [2, 0]), one([3], [1, 0]), one([], [0, 0]), one([4, 5, 6], [1, 2])];
    const res = simulate(p, [ebcTables[0]], inputs, { workers: 0 });
    // rank 0 → 3: 2 ids·8 + 2 lengths·4 = 24 bytes (inter-host); 3 → 0: 2 bags·8 dims·4 = 64 bytes
    expect(res.inputBytes[0][3]).toBe(24);
    expect(res.outputBytes[3][0]).toBe(64);
    expect(res.inputBytes[2][3]).toBe(8); // rank 2 is on host 1 with rank 3: lengths only
    expect(res.interHostBytes).toBe(24 + 64 + 16 + 64);
    expect(res.intraHostBytes).toBe(8 + 64);
    expect(res.lookupsPerRank).toEqual([0, 0, 0, 6]);
    for (const o of res.outputs) o.dispose();
    for (const x of inputs) x.dispose();
  });
  test('sequence tables (TW, RW, tiered) equal sequenceLookup; tiers cut inter-host all-to-all bytes', async () => {
    const big = createTopology({ worldSize: 8, localWorldSize: 4, computeDevice: 'cuda' });
    const seq = table('s', 4000, 4, { moduleKind: 'sequence', featureNames: ['s_f'], access: { zipfExponent: 1.05 } });
    const w = tf.tensor2d(rng(9).normalArray(4000 * 4), [4000, 4]);
    const t: EmbeddingTable = { name: 's', weight: w, featureNames: ['s_f'], pooling: 'none' };
    const g = rng(5);
    const inputs = Array.from({ length: 8 }, () => {
      const ids = g.zipfArray(200, 4000, 1.05);
      return KeyedJaggedTensor.fromLengths({
        keys: ['s_f'],
        values: tf.tensor1d(ids, 'int32'),
        lengths: Array.from({ length: 20 }, () => 10),
      });
    });
    const rw = manualPlan([seq], big, { s: manual.rowWise() });
    const tiers = flexShardTiers(seq, big, { batchSize: 20, lookupsPerSample: 10, memoryBudgetBytes: 2 * Math.ceil(4000 / 8) * 16 });
    const tiered: Plan = { ...rw, tiered: { [rw.options[0].fqn]: tiers } };
    const results = [rw, tiered, manualPlan([seq], big, { s: manual.tableWise(5) })].map((pl) => simulate(pl, [t], inputs, { workers: 2 }));
    for (const res of results) {
      for (let k = 0; k < 8; k++) {
        const ref = sequenceLookup([t], inputs[k]).s_f;
        // the reference is read asynchronously: on webgpu in Node sequenceLookup gathers on the device
        expectBitsEqual(res.sequenceOutputs[k].s_f.values.dataSync() as Float32Array, (await ref.values.data()) as Float32Array);
        expect([...res.sequenceOutputs[k].s_f.lengths]).toEqual([...ref.lengths]);
        ref.dispose();
        res.sequenceOutputs[k].s_f.dispose();
      }
      for (const o of res.outputs) o.dispose();
    }
    expect(tiers.hotRows + tiers.warmRows).toBeGreaterThan(0);
    expect(results[1].allToAllBytes.inter).toBeLessThan(results[0].allToAllBytes.inter);
    for (const x of inputs) x.dispose();
    w.dispose();
  });
  test('errors: wrong batch count, unknown table, out-of-range id', () => {
    const p = manualPlan([specs[0]], topo, { a: manual.tableWise(0) });
    expect(() => simulate(p, [ebcTables[0]], [])).toThrow(/one KJT per rank/);
    const four = [0, 1, 2, 3].map(() => batch(1, false, false));
    expect(() => simulate(p, [ebcTables[1]], four)).toThrow(/not in the plan/);
    for (const x of four) x.dispose();
    const bad = [0, 1, 2, 3].map(() => KeyedJaggedTensor.fromLengths({ keys: ['a_f'], values: tf.tensor1d([99], 'int32'), lengths: [1] }));
    expect(() => simulate(p, [ebcTables[0]], bad, { workers: 0 })).toThrow(/ids must be in/);
    for (const x of bad) x.dispose();
  });
});
