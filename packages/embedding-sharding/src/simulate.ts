// Sharded-lookup simulator: one global step of an embedding collection under a plan, W simulated ranks, lookups in
// worker_threads. Input distribution follows torchrec's sharded EmbeddingBagCollection (pytorch/torchrec
// torchrec/distributed/sharding/{tw,cw,rw,twrw}_sharding.py): table-wise/column-wise send each feature's bags to the
// shard owners, row-wise block-bucketizes ids by shard row range (FBGEMM block_bucketize_sparse_features with variable
// blocks), data-parallel is local; outputs return by all-to-all (TW/CW, sequence rows) or reduce-scatter of partial
// sums (RW, TWRW inside the host then all-to-all across hosts). IKJT inputs travel as stored bags plus inverse rows
// and are expanded after the output distribution.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '@tessera/core';
import { type EmbeddingTable, JaggedTensor, type KeyedJaggedTensor, KeyedTensor } from '@tessera/jagged-tensors';
import { checkInt, checkPlanObject, fail } from './errors.js';
import { runSimTasks, type SimTask, workerSource } from './sim-kernel.js';
import type { Plan, ShardingOption, TierPlan } from './types.js';

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Worker threads (default min(W, cores)); 0 runs every rank on the calling thread. */
  workers?: number;
  /**
   * Row-wise pooled outputs: `'ordered'` (default) pools each bag in its original id order from the rows the owners
   * looked up, bit-identical to the unsharded lookup, while the traffic counted is that of torchrec's reduce-scatter
   * of partial sums; `'partial'` really sums per-rank partials in rank order (torchrec's numerics, equal within float32
   * rounding).
   */
  rowWiseReduction?: 'ordered' | 'partial';
  /** Bytes per id on the wire (torchrec sends int64 ids; default 8). */
  idBytes?: number;
}

/** What one simulated step did. */
export interface SimulateResult {
  /** Per rank: pooled outputs of the pooled tables' features (the unsharded collection's layout and values). */
  outputs: KeyedTensor[];
  /** Per rank: unpooled (sequence) outputs per feature, rows `[nnz, D]`. */
  sequenceOutputs: Record<string, JaggedTensor>[];
  /** `inputBytes[src][dst]`: input distribution bytes (ids, lengths, weights, inverse rows). */
  inputBytes: number[][];
  /** `outputBytes[src][dst]`: output distribution bytes (pooled rows, partial sums, sequence rows). */
  outputBytes: number[][];
  /** Ids looked up on each rank. */
  lookupsPerRank: number[];
  /** Bytes moved between ranks of one host / of different hosts (input + output). */
  intraHostBytes: number;
  interHostBytes: number;
  /** All-to-all bytes only (input dist, TW/CW/sequence outputs; reduce-scatter excluded), intra / inter host. */
  allToAllBytes: { intra: number; inter: number };
  /** Per rank: modelled comm time (ms) = bytes it sends over each link class / that class's bandwidth. */
  modelledTimeMs: number[];
  /** Worker threads used (0 = inline). */
  workers: number;
}

/**
 * Largest number of ids one feature of one rank may carry in a simulated step (host buffers).
 *
 * @example
 * ```ts
 * import { MAX_SIM_IDS } from '@tessera/embedding-sharding';
 * MAX_SIM_IDS; // → 134217728
 * ```
 */
export const MAX_SIM_IDS = 1 << 27;

interface FeatureIn {
  ids: Int32Array; // stored bag ids (absolute)
  offsets: Int32Array; // U+1, relative to ids
  weights: Float32Array | null;
  inverse: Int32Array | null; // length B, or null (U = B)
  B: number;
}

function featureInput(x: KeyedJaggedTensor, f: string, ids: Int32Array, w: Float32Array | null): FeatureIn {
  const k = x.keys.indexOf(f);
  const lop = x.lengthsOffsetPerKey;
  const a = x.offsets[lop[k]];
  const e = x.offsets[lop[k + 1]];
  const offs = new Int32Array(lop[k + 1] - lop[k] + 1);
  for (let i = 0; i < offs.length; i++) offs[i] = x.offsets[lop[k] + i] - a;
  let inverse: Int32Array | null = null;
  if (x.inverse) {
    const j = x.inverse.names.indexOf(f);
    inverse = x.inverse.idx[j];
  }
  return { ids: ids.subarray(a, e), offsets: offs, weights: w ? w.subarray(a, e) : null, inverse, B: x.stride };
}

/**
 * Runs one step of the plan's embedding lookups across W simulated ranks. `tables` carry the weights
 * (@tessera/jagged-tensors `EmbeddingTable`, names matching the plan), `batches[r]` is rank r's local KJT or IKJT.
 * Each rank's lookups run in a worker thread (ranks share workers when W exceeds the worker count); the outputs equal
 * the unsharded lookup `pooledLookup(tables, batches[r])` bit for bit for every sharding type (row-wise in `'ordered'`
 * mode). Traffic is counted per link class; tiered (FlexShard) sequence tables read hot rows locally, warm rows from the
 * owner in the host and cold rows from the global owner (rows are taken as numbered by descending access
 * probability).
 *
 * @throws TesseraError `INVALID_ARGUMENT` (W batches expected, table/plan mismatch), `INVALID_KEY` (a feature missing
 * from a batch, a table missing from the plan), `INDEX_OUT_OF_RANGE` (an id outside its table), `UNSUPPORTED` (VBE
 * batches without inverse indices), `INVALID_PLAN` (shards without ranks).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { KeyedJaggedTensor } from '@tessera/jagged-tensors';
 * import { createTopology, manual, manualPlan, simulate } from '@tessera/embedding-sharding';
 * await initBackend();
 * const topo = createTopology({ worldSize: 2, computeDevice: 'cuda' });
 * const spec = { modulePath: 'ebc', name: 't', rows: 10, dim: 4, elementBytes: 4, moduleKind: 'pooled' as const, featureNames: ['f'] };
 * const p = manualPlan([spec], topo, { t: manual.rowWise() });
 * const table = { name: 't', weight: tf.randomNormal([10, 4]) as tf.Tensor2D, featureNames: ['f'], pooling: 'sum' as const };
 * const batches = [0, 1].map((r) => KeyedJaggedTensor.fromLengths({ keys: ['f'], values: tf.tensor1d([r, 9, 5], 'int32'), lengths: [2, 1] }));
 * const res = simulate(p, [table], batches, { workers: 0 });
 * res.outputs[0].values.shape; // → [2, 4]
 * for (const o of res.outputs) o.dispose();
 * for (const b of batches) b.dispose();
 * table.weight.dispose();
 * ```
 */
export function simulate(
  p: Plan,
  tables: readonly EmbeddingTable[],
  batches: readonly KeyedJaggedTensor[],
  o: SimulateOptions = {},
): SimulateResult {
  const fn = 'simulate';
  checkPlanObject(fn, p);
  if (!Array.isArray(tables)) fail('INVALID_ARGUMENT', fn, 'tables must be an array of EmbeddingTable', tables);
  tables.forEach((t, i) => {
    if (
      !t ||
      typeof t !== 'object' ||
      typeof t.name !== 'string' ||
      !Array.isArray(t.featureNames) ||
      !(t.weight instanceof tf.Tensor) ||
      t.weight.rank !== 2
    ) {
      fail('INVALID_ARGUMENT', fn, `tables[${i}] must be {name, weight: float32 [R, D] tensor, featureNames, pooling}`, t);
    }
  });
  const topo = p.topology;
  const W = topo.worldSize;
  const L = topo.localWorldSize;
  if (!Array.isArray(batches) || batches.length !== W)
    fail('INVALID_ARGUMENT', fn, `batches must hold one KJT per rank (${W})`, batches?.length);
  const mode = o.rowWiseReduction ?? 'ordered';
  if (mode !== 'ordered' && mode !== 'partial') fail('INVALID_ARGUMENT', fn, "rowWiseReduction must be 'ordered' or 'partial'", mode);
  const idBytes = o.idBytes ?? 8;
  const cores = Math.max(1, availableParallelism());
  const nWorkers = o.workers === undefined ? Math.min(W, cores) : checkInt(o.workers, fn, 'workers', 0, 1024);
  const host = (r: number) => Math.floor(r / L);

  // ---- validate tables against the plan
  const optByName = new Map<string, ShardingOption>();
  for (const so of p.options) optByName.set(so.table.name, so);
  const tableData: Float32Array[] = [];
  const sabs: SharedArrayBuffer[] = [];
  tables.forEach((t, ti) => {
    const so = optByName.get(t.name);
    if (!so) fail('INVALID_KEY', fn, `table '${t.name}' is not in the plan`, t.name);
    const [R, D] = t.weight.shape;
    if (R !== so.table.rows || D !== so.table.dim)
      fail(
        'INVALID_ARGUMENT',
        fn,
        `table '${t.name}' weight is [${R}, ${D}], the plan says [${so.table.rows}, ${so.table.dim}]`,
        t.weight.shape,
      );
    if (t.weight.dtype !== 'float32') fail('INVALID_ARGUMENT', fn, `table '${t.name}' weight must be float32`, t.weight.dtype);
    for (const s of so.shards)
      if (s.rank === null || s.rank < 0 || s.rank >= W) fail('INVALID_PLAN', fn, `a shard of '${t.name}' has no valid rank`, s.rank);
    if ((t.pooling === 'none') !== (so.table.moduleKind === 'sequence')) {
      fail(
        'INVALID_ARGUMENT',
        fn,
        `table '${t.name}' pooling '${t.pooling}' does not match the plan's module kind '${so.table.moduleKind}'`,
        t.pooling,
      );
    }
    const { sab, view } = sharedWeights(t.weight, fn);
    sabs.push(sab);
    tableData[ti] = view;
  });

  // ---- read inputs and check ids
  const inputs = batches.map((x, r) => {
    if (x?.format !== 'kjt') fail('INVALID_ARGUMENT', fn, `batches[${r}] must be a KeyedJaggedTensor`, x);
    if (x.stridePerKeyPerRank && !x.inverse) fail('UNSUPPORTED', fn, `batches[${r}] is a variable-batch KJT without inverse indices`, r);
    const ids = readSync(x.values, fn, `batches[${r}].values (ids)`, HOST_ALT) as Int32Array;
    const w = x.weights ? (readSync(x.weights, fn, `batches[${r}].weights`, HOST_ALT) as Float32Array) : null;
    const per: Record<string, FeatureIn> = {};
    for (const t of tables) {
      for (const f of t.featureNames) {
        if (!x.keys.includes(f)) fail('INVALID_KEY', fn, `feature '${f}' of table '${t.name}' is missing from batches[${r}]`, f);
        const fi = featureInput(x, f, ids, w);
        const R = t.weight.shape[0];
        for (let j = 0; j < fi.ids.length; j++) {
          const id = fi.ids[j];
          if (id < 0 || id >= R)
            fail('INDEX_OUT_OF_RANGE', fn, `ids must be in [0, ${R}) (table '${t.name}', feature '${f}', rank ${r}, position ${j})`, id);
        }
        if (fi.ids.length > MAX_SIM_IDS) fail('INVALID_ARGUMENT', fn, `at most ${MAX_SIM_IDS} ids per feature`, fi.ids.length);
        per[f] = fi;
      }
    }
    return per;
  });

  // ---- traffic accounting
  const inputBytes = Array.from({ length: W }, () => new Array<number>(W).fill(0));
  const outputBytes = Array.from({ length: W }, () => new Array<number>(W).fill(0));
  const a2a = { intra: 0, inter: 0 };
  const sendIn = (src: number, dst: number, bytes: number) => {
    if (src === dst || bytes === 0) return;
    inputBytes[src][dst] += bytes;
    if (host(src) === host(dst)) a2a.intra += bytes;
    else a2a.inter += bytes;
  };
  const sendOut = (src: number, dst: number, bytes: number, allToAll: boolean) => {
    if (src === dst || bytes === 0) return;
    outputBytes[src][dst] += bytes;
    if (!allToAll) return;
    if (host(src) === host(dst)) a2a.intra += bytes;
    else a2a.inter += bytes;
  };
  const bagInputBytes = (fi: FeatureIn, nIds: number) =>
    nIds * idBytes + (fi.offsets.length - 1) * 4 + (fi.weights ? nIds * 4 : 0) + (fi.inverse ? fi.inverse.length * 4 : 0);

  // ---- build tasks per rank
  const tasksByRank: SimTask[][] = Array.from({ length: W }, () => []);
  const outFloats = new Array<number>(W).fill(0);
  const alloc = (rank: number, floats: number) => {
    const off = outFloats[rank];
    outFloats[rank] += floats;
    return off;
  };
  // Assembly instructions, run after the lookups: each writes into the per-rank output arrays.
  type Asm = (res: Float32Array[]) => void;
  const asm: Asm[] = [];
  const pooledKeys: string[] = [];
  const pooledWidths: number[] = [];
  const pooledCol = new Map<string, number>();
  let pooledWidth = 0;
  for (const t of tables) {
    if (t.pooling === 'none') continue;
    for (const f of t.featureNames) {
      pooledKeys.push(f);
      pooledWidths.push(t.weight.shape[1]);
      pooledCol.set(f, pooledWidth);
      pooledWidth += t.weight.shape[1];
    }
  }
  const pooledOut = batches.map((x) => new Float32Array(x.stride * pooledWidth));
  const seqOut: Record<string, { values: Float32Array; lengths: Int32Array; D: number }>[] = batches.map(() => ({}));

  tables.forEach((t, ti) => {
    const so = optByName.get(t.name) as ShardingOption;
    const D = t.weight.shape[1];
    const pooled = t.pooling !== 'none';
    const mean = t.pooling === 'mean';
    const tier = p.tiered?.[so.fqn];
    for (const f of t.featureNames) {
      for (let r = 0; r < W; r++) {
        const fi = inputs[r][f];
        const U = fi.offsets.length - 1;
        const B = fi.B;
        const col = pooledCol.get(f) ?? 0;
        // expand stored-bag rows [U, c] (at res[rank] offset) into rank r's pooled output at column `colOff`
        const expandPooled = (res: Float32Array, off: number, c: number, colOff: number) => {
          const out = pooledOut[r];
          for (let b = 0; b < B; b++) {
            const u = fi.inverse ? fi.inverse[b] : b;
            out.set(res.subarray(off + u * c, off + u * c + c), b * pooledWidth + col + colOff);
          }
        };
        if (!pooled) {
          // sequence: one row per stored id; expansion by inverse rows follows
          const lengths = new Int32Array(U);
          for (let u = 0; u < U; u++) lengths[u] = fi.offsets[u + 1] - fi.offsets[u];
          const nnz = fi.ids.length;
          const rows = new Float32Array(nnz * D);
          seqOut[r][f] = { values: rows, lengths, D };
          const placeIds = (pick: (id: number) => { rank: number; local: number }[] | { rank: number; local: number }) => {
            const groups = new Map<
              string,
              { rank: number; rowOffset: number; colOffset: number; cols: number; pos: number[]; ids: number[] }
            >();
            for (let j = 0; j < nnz; j++) {
              const got = pick(fi.ids[j]);
              const list = Array.isArray(got) ? got : [got];
              for (const g of list) {
                const key = `${g.rank}`;
                let e = groups.get(key);
                if (!e) groups.set(key, (e = { rank: g.rank, rowOffset: 0, colOffset: 0, cols: D, pos: [], ids: [] }));
                e.pos.push(j);
                e.ids.push(g.local);
              }
            }
            return groups;
          };
          const gatherTasks = (
            parts: { rank: number; rowOffset: number; colOffset: number; cols: number; pos: number[]; ids: number[] }[],
          ) => {
            for (const g of parts) {
              const ids = Int32Array.from(g.ids);
              const off = alloc(g.rank, ids.length * g.cols);
              tasksByRank[g.rank].push({
                table: ti,
                dim: D,
                rowOffset: g.rowOffset,
                colOffset: g.colOffset,
                cols: g.cols,
                kind: 1,
                ids,
                offsets: new Int32Array(1),
                weights: null,
                mean: false,
                outOffset: off,
              });
              sendIn(r, g.rank, g.ids.length * idBytes + (g.rank !== r ? U * 4 + (fi.inverse ? fi.inverse.length * 4 : 0) : 0));
              sendOut(g.rank, r, g.ids.length * g.cols * 4, true);
              const pos = g.pos;
              const c = g.cols;
              const co = g.colOffset;
              asm.push((res) => {
                const src = res[g.rank];
                for (let j = 0; j < pos.length; j++) rows.set(src.subarray(off + j * c, off + j * c + c), pos[j] * D + co);
              });
            }
          };
          if (tier) {
            gatherTasks([...placeIds((id) => tierOwner(tier, id, r, W, L)).values()].map((g) => ({ ...g, rowOffset: 0 })));
            // tiered rows: every holder stores the full row at the same index (replicas), so local == global id
          } else if (so.shardingType === 'data_parallel') {
            gatherTasks([{ rank: r, rowOffset: 0, colOffset: 0, cols: D, pos: [...fi.ids.keys()], ids: [...fi.ids] }]);
          } else if (so.shardingType === 'row_wise' || so.shardingType === 'table_row_wise') {
            const parts = new Map<
              number,
              { rank: number; rowOffset: number; colOffset: number; cols: number; pos: number[]; ids: number[] }
            >();
            for (let j = 0; j < nnz; j++) {
              const s = shardOfRow(so, fi.ids[j]);
              const sh = so.shards[s];
              let e = parts.get(s);
              if (!e) parts.set(s, (e = { rank: sh.rank as number, rowOffset: sh.offset[0], colOffset: 0, cols: D, pos: [], ids: [] }));
              e.pos.push(j);
              e.ids.push(fi.ids[j] - sh.offset[0]);
            }
            gatherTasks([...parts.values()]);
          } else {
            // TW / CW / TWCW: every column shard gets all ids
            gatherTasks(
              so.shards.map((sh) => ({
                rank: sh.rank as number,
                rowOffset: 0,
                colOffset: sh.offset[1],
                cols: sh.size[1],
                pos: [...fi.ids.keys()],
                ids: [...fi.ids],
              })),
            );
          }
          continue;
        }
        // ---- pooled tables
        const poolTask = (
          rank: number,
          ids: Int32Array,
          offsets: Int32Array,
          weights: Float32Array | null,
          rowOffset: number,
          colOffset: number,
          cols: number,
          isMean: boolean,
        ) => {
          const off = alloc(rank, U * cols);
          tasksByRank[rank].push({
            table: ti,
            dim: D,
            rowOffset,
            colOffset,
            cols,
            kind: 0,
            ids,
            offsets,
            weights,
            mean: isMean,
            outOffset: off,
          });
          return off;
        };
        if (so.shardingType === 'data_parallel') {
          const off = poolTask(r, fi.ids, fi.offsets, fi.weights, 0, 0, D, mean);
          asm.push((res) => expandPooled(res[r], off, D, 0));
          continue;
        }
        if (so.shardingType === 'table_wise' || so.shardingType === 'column_wise' || so.shardingType === 'table_column_wise') {
          for (const sh of so.shards) {
            const owner = sh.rank as number;
            sendIn(r, owner, bagInputBytes(fi, fi.ids.length));
            const off = poolTask(owner, fi.ids, fi.offsets, fi.weights, 0, sh.offset[1], sh.size[1], mean);
            sendOut(owner, r, U * sh.size[1] * 4, true);
            asm.push((res) => expandPooled(res[owner], off, sh.size[1], sh.offset[1]));
          }
          continue;
        }
        // RW / TWRW / GRID: block-bucketize by the shard row ranges of each column block
        const colBlocks = new Map<number, number[]>();
        so.shards.forEach((sh, i) => {
          const l = colBlocks.get(sh.offset[1]) ?? [];
          l.push(i);
          colBlocks.set(sh.offset[1], l);
        });
        for (const [colOff, shardIdx] of colBlocks) {
          const shards = shardIdx.map((i) => so.shards[i]).filter((s) => s.size[0] > 0);
          const cols = so.shards[shardIdx[0]].size[1];
          const b = blockBucketize(
            fi,
            shards.map((s) => s.offset[0]),
          );
          const bucketOffs: number[] = [];
          shards.forEach((sh, k) => {
            const owner = sh.rank as number;
            sendIn(r, owner, bagInputBytes(fi, b.ids[k].length));
            if (mode === 'partial') {
              bucketOffs.push(poolTask(owner, b.ids[k], b.offsets[k], b.weights[k], sh.offset[0], colOff, cols, false));
            } else {
              // ordered: the owner gathers its rows; the bag is pooled at the destination in id order
              const off = alloc(owner, b.ids[k].length * cols);
              tasksByRank[owner].push({
                table: ti,
                dim: D,
                rowOffset: sh.offset[0],
                colOffset: colOff,
                cols,
                kind: 1,
                ids: b.ids[k],
                offsets: new Int32Array(1),
                weights: null,
                mean: false,
                outOffset: off,
              });
              bucketOffs.push(off);
            }
          });
          // modelled output traffic: reduce-scatter of [U, cols] partials (RW over all ranks; TWRW inside the host,
          // then one all-to-all transfer per remote host)
          const holders = shards.map((s) => s.rank as number);
          if (so.shardingType === 'row_wise') {
            for (let src = 0; src < W; src++) sendOut(src, r, U * cols * 4, false);
          } else {
            const h0 = host(holders[0]);
            if (h0 === host(r)) for (const src of holders) sendOut(src, r, U * cols * 4, false);
            else {
              for (const src of holders.slice(1)) sendOut(src, holders[0], U * cols * 4, false);
              sendOut(holders[0], r, U * cols * 4, true);
            }
          }
          asm.push((res) => {
            if (mode === 'partial') {
              const acc = new Float32Array(U * cols);
              shards.forEach((sh, k) => {
                const src = res[sh.rank as number];
                const off = bucketOffs[k];
                for (let i = 0; i < U * cols; i++) acc[i] += src[off + i];
              });
              if (mean) {
                for (let u = 0; u < U; u++) {
                  const n = fi.offsets[u + 1] - fi.offsets[u];
                  if (n > 0) for (let d = 0; d < cols; d++) acc[u * cols + d] /= n;
                }
              }
              expandPooled(acc, 0, cols, colOff);
              return;
            }
            const acc = new Float32Array(U * cols);
            const cursor = new Int32Array(shards.length);
            for (let u = 0; u < U; u++) {
              const o2 = u * cols;
              for (let j = fi.offsets[u]; j < fi.offsets[u + 1]; j++) {
                const k = b.bucketOf[j];
                const src = res[shards[k].rank as number];
                const so2 = bucketOffs[k] + cursor[k] * cols;
                cursor[k]++;
                if (fi.weights) {
                  const wj = fi.weights[j];
                  for (let d = 0; d < cols; d++) acc[o2 + d] += wj * src[so2 + d];
                } else for (let d = 0; d < cols; d++) acc[o2 + d] += src[so2 + d];
              }
              const n = fi.offsets[u + 1] - fi.offsets[u];
              if (mean && n > 0) for (let d = 0; d < cols; d++) acc[o2 + d] /= n;
            }
            expandPooled(acc, 0, cols, colOff);
          });
        }
      }
    }
  });

  // ---- run lookups
  const results = outFloats.map((n) => new SharedArrayBuffer(Math.max(4, n * 4)));
  const lookupsPerRank = new Array<number>(W).fill(0);
  const views = results.map((s) => new Float32Array(s));
  if (nWorkers === 0) {
    for (let r = 0; r < W; r++) lookupsPerRank[r] = runSimTasks(tableData, tasksByRank[r], views[r]);
  } else {
    runInWorkers(nWorkers, W, sabs, tasksByRank, results, lookupsPerRank);
  }
  for (const a of asm) a(views);

  // ---- outputs
  const outputs = batches.map(
    (x, r) => new KeyedTensor({ keys: pooledKeys, lengthPerKey: pooledWidths, values: tf.tensor2d(pooledOut[r], [x.stride, pooledWidth]) }),
  );
  const sequenceOutputs = seqOut.map((per, r) => {
    const o2: Record<string, JaggedTensor> = {};
    for (const [f, s] of Object.entries(per)) {
      const fi = inputs[r][f];
      let lengths = s.lengths;
      let values = s.values;
      if (fi.inverse) {
        // expand stored bags by the inverse row (IKJT)
        const offs = fi.offsets;
        const B = fi.inverse.length;
        lengths = new Int32Array(B);
        let n = 0;
        for (let bb = 0; bb < B; bb++) n += lengths[bb] = offs[fi.inverse[bb] + 1] - offs[fi.inverse[bb]];
        values = new Float32Array(n * s.D);
        let at = 0;
        for (let bb = 0; bb < B; bb++) {
          const u = fi.inverse[bb];
          values.set(s.values.subarray(offs[u] * s.D, offs[u + 1] * s.D), at);
          at += (offs[u + 1] - offs[u]) * s.D;
        }
      }
      o2[f] = JaggedTensor.create({ values: tf.tensor2d(values, [values.length / s.D, s.D]), lengths });
    }
    return o2;
  });
  let intra = 0;
  let inter = 0;
  const modelledTimeMs = new Array<number>(W).fill(0);
  for (let s = 0; s < W; s++) {
    for (let d = 0; d < W; d++) {
      const bytes = inputBytes[s][d] + outputBytes[s][d];
      if (bytes === 0) continue;
      if (host(s) === host(d)) {
        intra += bytes;
        modelledTimeMs[s] += bytes / topo.intraHostBw;
      } else {
        inter += bytes;
        modelledTimeMs[s] += bytes / topo.interHostBw;
      }
    }
  }
  return {
    outputs,
    sequenceOutputs,
    inputBytes,
    outputBytes,
    lookupsPerRank,
    intraHostBytes: intra,
    interHostBytes: inter,
    allToAllBytes: a2a,
    modelledTimeMs,
    workers: nWorkers,
  };
}

// The simulator's lookups run on the host (worker threads over shared memory): on a backend that cannot read tensors
// synchronously (webgpu in Node) its inputs must be read first.
const HOST_ALT = 'the simulator runs on the host: await the tensor’s data() first (webgpu then keeps a host copy), or simulate on cpu/wasm';

// Shared copies of table weights keyed by the tensor's dataId: tfjs data is immutable and `Variable.assign` swaps the
// dataId, so an entry never goes stale and dies with its dataId. Saves the R×D copy on every call.
const sharedCache = new WeakMap<object, { sab: SharedArrayBuffer; view: Float32Array }>();
function sharedWeights(w: tf.Tensor2D, fn: string): { sab: SharedArrayBuffer; view: Float32Array } {
  const key = w.dataId as object;
  let e = sharedCache.get(key);
  if (!e) {
    const sab = new SharedArrayBuffer(w.size * 4);
    const view = new Float32Array(sab);
    view.set(readSync(w, fn, 'a table weight', HOST_ALT) as Float32Array);
    e = { sab, view };
    sharedCache.set(key, e);
  }
  return e;
}

/** Index of the row-wise shard holding `row` (shards in row order; zero-row shards never match). */
function shardOfRow(so: ShardingOption, row: number): number {
  let lo = 0;
  let hi = so.shards.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (so.shards[mid].offset[0] <= row) lo = mid;
    else hi = mid - 1;
  }
  while (lo > 0 && so.shards[lo].size[0] === 0) lo--;
  while (so.shards[lo].offset[0] + so.shards[lo].size[0] <= row) lo++;
  return lo;
}

/** FBGEMM block_bucketize_sparse_features with variable blocks for one feature: bucket = upper_bound(pos, id) − 1. */
function blockBucketize(fi: FeatureIn, pos: number[]) {
  const N = pos.length;
  const U = fi.offsets.length - 1;
  const counts = new Int32Array(N);
  const bucketOf = new Int32Array(fi.ids.length);
  for (let j = 0; j < fi.ids.length; j++) {
    const id = fi.ids[j];
    let lo = 0;
    let hi = N - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pos[mid] <= id) lo = mid;
      else hi = mid - 1;
    }
    bucketOf[j] = lo;
    counts[lo]++;
  }
  const ids = Array.from({ length: N }, (_, k) => new Int32Array(counts[k]));
  const weights = Array.from({ length: N }, (_, k) => (fi.weights ? new Float32Array(counts[k]) : null));
  const offsets = Array.from({ length: N }, () => new Int32Array(U + 1));
  const fill = new Int32Array(N);
  for (let u = 0; u < U; u++) {
    for (let j = fi.offsets[u]; j < fi.offsets[u + 1]; j++) {
      const k = bucketOf[j];
      ids[k][fill[k]] = fi.ids[j] - pos[k];
      const wk = weights[k];
      if (wk && fi.weights) wk[fill[k]] = fi.weights[j];
      fill[k]++;
    }
    for (let k = 0; k < N; k++) offsets[k][u + 1] = fill[k];
  }
  return { ids, offsets, weights, bucketOf };
}

/** Holder of row `id` for a lookup from rank r under a tier plan (hot: local; warm: in r's host; cold: global). */
function tierOwner(t: TierPlan, id: number, r: number, W: number, L: number): { rank: number; local: number } {
  if (id < t.hotRows) return { rank: r, local: id };
  if (id < t.hotRows + t.warmRows) {
    const blk = Math.ceil(t.warmRows / L);
    return { rank: Math.floor(r / L) * L + Math.floor((id - t.hotRows) / blk), local: id };
  }
  const blk = Math.ceil(t.coldRows / W);
  return { rank: Math.floor((id - t.hotRows - t.warmRows) / blk), local: id };
}

let cachedSource: string | null = null;
/** Worker threads kept between calls (unref'd: they never keep the process alive). */
const pool: Worker[] = [];

function poolWorkers(n: number): Worker[] {
  cachedSource ??= workerSource();
  while (pool.length < n) {
    const w = new Worker(cachedSource, { eval: true });
    w.unref();
    w.on('error', () => {
      const i = pool.indexOf(w);
      if (i >= 0) pool.splice(i, 1);
    });
    pool.push(w);
  }
  return pool.slice(0, n);
}

/** Runs every rank's tasks in `n` eval'd worker threads (rank r on worker r mod n) and blocks until all are done. */
function runInWorkers(
  n: number,
  W: number,
  tables: SharedArrayBuffer[],
  tasks: SimTask[][],
  results: SharedArrayBuffer[],
  lookups: number[],
): void {
  const workers = poolWorkers(n);
  const flags: Int32Array[] = [];
  for (let w = 0; w < n; w++) {
    const flag = new SharedArrayBuffer(4);
    const st = new SharedArrayBuffer(8);
    flags.push(new Int32Array(flag));
    const jobs = [];
    for (let r = w; r < W; r += n) jobs.push({ tasks: tasks[r], out: results[r] });
    workers[w].postMessage({ tables, jobs, flag, stats: st });
  }
  for (let w = 0; w < n; w++) {
    const res = Atomics.wait(flags[w], 0, 0, 120_000);
    if (res === 'timed-out' || Atomics.load(flags[w], 0) !== 1) {
      // drop the pool: a stuck or failed worker must not serve the next call
      for (const wk of pool.splice(0)) void wk.terminate();
      fail('UNSUPPORTED', 'simulate', res === 'timed-out' ? 'a worker thread did not finish within 120 s' : 'a worker thread failed', w);
    }
  }
  for (let r = 0; r < W; r++) {
    let c = 0;
    for (const t of tasks[r]) c += t.ids.length;
    lookups[r] = c;
  }
}
