// The optional threads build: a worker pool over one shared WebAssembly memory that runs the 2-simplicial attention
// forward on several threads. Why only that kernel: its rows (one per query and head) write disjoint outputs, so
// threads need no reduction; the backward scatters into the key and value gradients of every row (a per-thread copy
// and a reduction would be needed) and stays on one thread. How: the attention kernels are compiled a second time with
// `--enable threads --sharedMemory` (src/generated/simplicial-threads-wasm.ts); each worker instantiates that module on
// the same shared memory and waits on a control block in it; a call copies its operands into the shared memory, wakes
// the workers, and every thread (the caller too) claims chunks of rows from a shared counter (`Atomics.add`) until none
// is left, so a slow or busy thread simply takes fewer chunks. Used for large calls only (the wake-up and the copies
// cost more than small calls take). Off unless `initKernelThreads` started it, and unavailable where shared memory,
// worker threads or a blocking wait on the calling thread are missing (browsers' main threads: `Atomics.wait` is
// refused there).
import { TesseraError } from '@tessera/core';
import { SIMPLICIAL_THREADS_WASM_BASE64, THREADS_MAX_PAGES } from './generated/simplicial-threads-wasm.js';
import { Arena, decodeBase64 } from './runtime.js';

/** Most threads a pool may have (the caller included). */
const MAX_THREADS = 64;
/** Multiply-adds of the logit contraction (rows · w1 · w2 · d) from which a call is worth spreading over threads. */
const MIN_WORK = 1 << 24;
/** Byte address of the control block in the shared memory (below the arena, which starts at 16 KiB). */
const CTL = 1024;
// control block slots (Int32 indices)
const GEN = 0; // generation: bumped to start a job
const NEXT = 1; // next unclaimed row
const DONE = 2; // workers finished with the job
const STOP = 3; // 1: workers exit
const TOTAL = 4;
const CHUNK = 5;
const ARGS = 6; // 15 integer arguments, then the scale as float32, then the scratch base and stride
const SCALE = ARGS + 15;
const SCRATCH = SCALE + 1;
const STRIDE = SCALE + 2;

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: ArrayBufferLike; grow(p: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, (...a: number[]) => void> };
  compile(bytes: Uint8Array): Promise<object>;
}
interface WorkerLike {
  postMessage(m: unknown): void;
  unref?(): void;
  terminate(): Promise<number> | undefined;
}

interface Pool {
  threads: number;
  workers: WorkerLike[];
  arena: Arena;
  rows: (...a: number[]) => void;
  ctl: Int32Array;
  ctlF: Float32Array;
}

let pool: Pool | null = null;

// The worker: a CommonJS script (worker_threads' eval mode) that instantiates the module on the shared memory and
// serves jobs until told to stop.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (m) => {
  const rows = new WebAssembly.Instance(m.module, { env: { memory: m.memory, abort() {} } }).exports.simplicialForwardRows;
  const c = new Int32Array(m.memory.buffer, ${CTL}, 32);
  const f = new Float32Array(m.memory.buffer, ${CTL}, 32);
  let gen = 0;
  for (;;) {
    Atomics.wait(c, ${GEN}, gen);
    gen = Atomics.load(c, ${GEN});
    if (Atomics.load(c, ${STOP}) !== 0) return;
    const total = c[${TOTAL}];
    const chunk = c[${CHUNK}];
    const sc = c[${SCRATCH}] + (m.index + 1) * c[${STRIDE}];
    const a = c.subarray(${ARGS}, ${ARGS} + 15);
    for (;;) {
      const r0 = Atomics.add(c, ${NEXT}, chunk);
      if (r0 >= total) break;
      rows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], sc, a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14] & 1, f[${SCALE}], a[14] >> 1, r0, Math.min(r0 + chunk, total));
    }
    if (Atomics.add(c, ${DONE}, 1) + 1 === m.workers) Atomics.notify(c, ${DONE});
  }
});
`;

/**
 * A Node built-in module through `process.getBuiltinModule` (Node ≥ 20.16): synchronous, and invisible to bundlers,
 * which would otherwise try to resolve `node:` specifiers for browsers. Undefined elsewhere.
 */
function builtin(name: string): unknown {
  const p = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  try {
    return p?.getBuiltinModule?.(name);
  } catch {
    return undefined;
  }
}

async function stop(): Promise<void> {
  const p = pool;
  pool = null;
  if (p === null) return;
  Atomics.store(p.ctl, STOP, 1);
  Atomics.add(p.ctl, GEN, 1);
  Atomics.notify(p.ctl, GEN);
  await Promise.all(p.workers.map((w) => w.terminate()));
}

/**
 * Starts (or resizes, or with `threads` 1 stops) the worker pool of the threads build, and resolves to the number of
 * threads the large 2-simplicial attention forwards ({@link simplicialForward} with at least 2^24 multiply-adds of
 * logits) will run on, the calling thread included: `threads` where it could start, 1 where WebAssembly threads,
 * `SharedArrayBuffer` or Node's `worker_threads` (through `process.getBuiltinModule`, Node ≥ 20.16) are unavailable (browsers: the calling thread would have to block,
 * which their main threads refuse). Results are bit for bit those of one thread: each row is computed by one thread
 * with the same code. Off by default; the workers do not keep a Node process alive.
 *
 * @param threads - total threads, the caller included (default: the machine's available parallelism, at most 8)
 * @throws TesseraError `INVALID_ARGUMENT` when `threads` is not an integer in [1, 64].
 * @example
 * ```ts
 * import { initKernelThreads } from '@tessera/kernels';
 * const n = await initKernelThreads(2); // 2 where worker threads and shared memory exist, else 1
 * await initKernelThreads(1); // stops the pool
 * ```
 */
export async function initKernelThreads(threads?: number): Promise<number> {
  const fn = 'initKernelThreads';
  let want = threads;
  if (want === undefined) {
    const os = builtin('os') as { availableParallelism?: () => number } | undefined;
    want = Math.max(1, Math.min(8, os?.availableParallelism?.() ?? 1));
  }
  if (typeof want !== 'number' || !Number.isInteger(want) || want < 1 || want > MAX_THREADS)
    throw new TesseraError('INVALID_ARGUMENT', fn, `threads must be an integer in [1, ${MAX_THREADS}]`, String(want));
  await stop();
  if (want === 1) return 1;
  const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (WA === undefined || typeof SharedArrayBuffer !== 'function') return 1;
  const wt = builtin('worker_threads') as { Worker: new (src: string, o: { eval: boolean }) => WorkerLike } | undefined;
  if (wt === undefined) return 1; // no worker_threads (browsers), or a Node without process.getBuiltinModule
  let module: object;
  let memory: InstanceType<WasmApi['Memory']>;
  try {
    module = await WA.compile(decodeBase64(SIMPLICIAL_THREADS_WASM_BASE64));
    memory = new WA.Memory({ initial: 1, maximum: THREADS_MAX_PAGES, shared: true });
  } catch {
    return 1; // no threads feature, or shared memory refused
  }
  const inst = new WA.Instance(module, { env: { memory, abort: () => {} } });
  const workers: WorkerLike[] = [];
  const nw = want - 1;
  for (let i = 0; i < nw; i++) {
    const w = new wt.Worker(WORKER_SOURCE, { eval: true });
    w.unref?.();
    w.postMessage({ module, memory, index: i, workers: nw });
    workers.push(w);
  }
  pool = {
    threads: want,
    workers,
    arena: new Arena(memory as unknown as ConstructorParameters<typeof Arena>[0]),
    rows: inst.exports.simplicialForwardRows,
    ctl: new Int32Array(memory.buffer, CTL, 32),
    ctlF: new Float32Array(memory.buffer, CTL, 32),
  };
  return want;
}

/**
 * The number of threads large attention forwards run on now (1 unless {@link initKernelThreads} started a pool).
 *
 * @example
 * ```ts
 * import { kernelThreads } from '@tessera/kernels';
 * kernelThreads(); // → 1
 * ```
 */
export function kernelThreads(): number {
  return pool === null ? 1 : pool.threads;
}

/**
 * The forward on the pool when one runs and the call is large enough; false otherwise (the caller runs it on one
 * thread). Arguments are validated by the caller; windows are clipped. @internal
 */
export function simplicialForwardThreaded(
  x: readonly [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array],
  dims: readonly [number, number, number, number, number, number, number], // B, n, Hq, Hkv, d, w1, w2
  causal: boolean,
  scale: number,
  det: boolean,
  out: Float32Array,
  lse: Float32Array,
): boolean {
  const p = pool;
  if (p === null) return false;
  const [B, n, Hq, Hkv, d, w1, w2] = dims;
  const total = B * Hq * n;
  if (total * w1 * w2 * d < MIN_WORK || total < 2 * p.threads) return false;
  const nq = B * n * Hq * d;
  const nkv = B * n * Hkv * d;
  const stride = Math.ceil(((3 * d + 8 + 2 * w2 + 8) * 4) / 64) * 64;
  const sizes = [nq, nkv, nkv, nkv, nkv, nq, total];
  const bytes = sizes.reduce((s, k) => s + Math.ceil((k * 4) / 64) * 64, 0) + stride * p.threads;
  let base: number;
  try {
    base = p.arena.alloc(bytes, 'simplicialForward');
  } catch {
    return false; // shared memory cannot hold the operands: one thread, in the module's own memory
  }
  try {
    const ptrs: number[] = [];
    let at = base;
    for (const k of sizes) {
      ptrs.push(at);
      at += Math.ceil((k * 4) / 64) * 64;
    }
    const f32 = new Float32Array(p.arena.buffer as ArrayBuffer);
    for (let i = 0; i < 5; i++) f32.set(x[i].subarray(0, sizes[i]), ptrs[i] >> 2);
    const c = p.ctl;
    c.set([...ptrs, B, n, Hq, Hkv, d, w1, w2, (causal ? 1 : 0) | (det ? 2 : 0)], ARGS);
    p.ctlF[SCALE] = scale;
    c[SCRATCH] = at;
    c[STRIDE] = stride;
    c[TOTAL] = total;
    c[CHUNK] = Math.max(1, Math.ceil(total / (p.threads * 16)));
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    const chunk = c[CHUNK];
    for (;;) {
      const r0 = Atomics.add(c, NEXT, chunk);
      if (r0 >= total) break;
      p.rows(
        ptrs[0],
        ptrs[1],
        ptrs[2],
        ptrs[3],
        ptrs[4],
        ptrs[5],
        ptrs[6],
        at,
        B,
        n,
        Hq,
        Hkv,
        d,
        w1,
        w2,
        causal ? 1 : 0,
        scale,
        det ? 1 : 0,
        r0,
        Math.min(r0 + chunk, total),
      );
    }
    const nw = p.workers.length;
    for (let done = Atomics.load(c, DONE); done < nw; done = Atomics.load(c, DONE)) Atomics.wait(c, DONE, done);
    const g = new Float32Array(p.arena.buffer as ArrayBuffer);
    out.set(g.subarray(ptrs[5] >> 2, (ptrs[5] >> 2) + nq));
    lse.set(g.subarray(ptrs[6] >> 2, (ptrs[6] >> 2) + total));
    return true;
  } finally {
    p.arena.free(base);
  }
}
