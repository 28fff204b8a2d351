// The per-rank lookup kernel of the simulator. It runs inside worker_threads (its source is shipped as an eval'd
// worker script, so it must stay self-contained: no imports, no closures) or inline on the main thread. Pooling is
// sequential in bag order with float32 accumulation (`out[o + d] += w * T[row + d]` into a Float32Array), the same
// arithmetic as @tessera/jagged-tensors' embedding bag, which makes sharded and unsharded results bit-identical.

/** One lookup job on one rank. @internal */
export interface SimTask {
  /** Index of the table buffer. */
  table: number;
  /** Full table width D (row stride). */
  dim: number;
  /** Shard row offset (ids are local to the shard). */
  rowOffset: number;
  colOffset: number;
  cols: number;
  /** 0 = pool bags (sum, or mean with meanDiv), 1 = gather one row per id. */
  kind: number;
  ids: Int32Array;
  /** Bag boundaries into ids (length U+1); for gathers, unused. */
  offsets: Int32Array;
  weights: Float32Array | null;
  /** For mean pooling: divide bag u by its length. */
  mean: boolean;
  /** Float offset of this task's output in the result buffer; bag u (or id j) at outOffset + u·cols. */
  outOffset: number;
}

/** Runs tasks against shared table buffers, writing into `out`. Self-contained (shipped to workers as source). @internal */
export function runSimTasks(tables: Float32Array[], tasks: SimTask[], out: Float32Array): number {
  let lookups = 0;
  for (let t = 0; t < tasks.length; t++) {
    const k = tasks[t];
    const T = tables[k.table];
    const D = k.dim;
    const c = k.cols;
    const ids = k.ids;
    if (k.kind === 1) {
      for (let j = 0; j < ids.length; j++) {
        const src = (k.rowOffset + ids[j]) * D + k.colOffset;
        const o = k.outOffset + j * c;
        for (let d = 0; d < c; d++) out[o + d] = T[src + d];
      }
      lookups += ids.length;
      continue;
    }
    const offs = k.offsets;
    const w = k.weights;
    const U = offs.length - 1;
    for (let u = 0; u < U; u++) {
      const o = k.outOffset + u * c;
      const a = offs[u];
      const e = offs[u + 1];
      for (let j = a; j < e; j++) {
        const src = (k.rowOffset + ids[j]) * D + k.colOffset;
        if (w) {
          const wj = w[j];
          for (let d = 0; d < c; d++) out[o + d] += wj * T[src + d];
        } else {
          for (let d = 0; d < c; d++) out[o + d] += T[src + d];
        }
      }
      if (k.mean && e > a) {
        const n = e - a;
        for (let d = 0; d < c; d++) out[o + d] /= n;
      }
      lookups += e - a;
    }
  }
  return lookups;
}

/** Source of the eval'd worker: receives {tables, jobs:[{tasks, out, flag}]}, runs them, flags completion. @internal */
export function workerSource(): string {
  return `
const { parentPort } = require('node:worker_threads');
const runSimTasks = ${runSimTasks.toString()};
parentPort.on('message', (m) => {
  if (m === 'exit') { process.exit(0); }
  const flag = new Int32Array(m.flag);
  try {
    const tables = m.tables.map((b) => new Float32Array(b));
    let n = 0;
    for (const job of m.jobs) n += runSimTasks(tables, job.tasks, new Float32Array(job.out));
    new Float64Array(m.stats)[0] = n;
    Atomics.store(flag, 0, 1);
  } catch (e) {
    Atomics.store(flag, 0, 2);
  }
  Atomics.notify(flag, 0);
});`;
}
