// PyTorch peer benchmark of @tessera/kernels (npm run bench:torch -w @tessera/kernels, or npx tsx bench/torch-peer.ts
// [--quick]): the kernels against the PyTorch CPU kernels a user would otherwise call, single thread on both sides
// (tessera's kernels are single-threaded; torch.set_num_threads(1)), in one run, on the same data. This process
// generates the data (seeded), writes it as raw little-endian files into a temporary folder, and starts
// bench/torch_peer.py, which reads the same files; the two sides are then timed in interleaved rounds (tessera k
// calls, torch k calls, tessera, torch, …), one JSON command per round over stdin, and the best call of each side is
// compared (the VM is shared: both sides must see the same load, and preemption only ever adds time). Each case also
// checks that both sides computed the same result. Python: $TESSERA_PYTHON alone when set, else the first of /usr/bin/python3,
// python3, python that imports torch and numpy; without one this says so and exits 0 without writing results.
// Writes bench/results/torch-peer.json (torch-peer-quick.json with --quick).
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rng } from '@tessera/core';
import { type BenchRow, writeBenchReport } from '@tessera/testing';
import {
  alloc,
  embeddingBagBackward,
  embeddingBagForward,
  gemm,
  indexSelectRows,
  initKernels,
  kernelBackend,
  mask24Compress,
  mxDequantize,
  mxQuantize,
  spmm24,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The first Python that imports torch and numpy, with its torch version; null when there is none. */
function findPython(): { exe: string; torch: string } | null {
  // $TESSERA_PYTHON, when set, is the only candidate
  const env = process.env.TESSERA_PYTHON;
  const candidates = env !== undefined && env !== '' ? [env] : ['/usr/bin/python3', 'python3', 'python'];
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { exe, torch: r.stdout.trim() };
  }
  return null;
}

/** The Debian package version of python3-torch, when dpkg knows it (Debian's 1.13.1 reports itself as 1.13.0a0). */
function debianTorch(): string {
  const r = spawnSync('dpkg-query', ['-W', `-f=${'$'}{Version}`, 'python3-torch'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? ` (Debian python3-torch ${r.stdout.trim()})` : '';
}

/** The torch side: one JSON command per line, one JSON answer per line. */
class TorchPeer {
  private readonly lines: AsyncIterator<string>;
  constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[torch_peer.py] ${d}`));
  }
  async next(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error('torch_peer.py exited early');
    const o = JSON.parse(r.value) as Record<string, unknown>;
    if (typeof o.error === 'string') throw new Error(`torch_peer.py: ${o.error}`);
    return o;
  }
  async ask(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    return this.next();
  }
  async quit(): Promise<void> {
    this.proc.stdin.write('{"op":"quit"}\n');
    this.proc.stdin.end();
    await new Promise((res) => this.proc.once('exit', res));
  }
}

interface Timing {
  minMs: number;
  medianMs: number;
  /** Best process CPU time of a call (ms): preemption by other jobs on the shared VM does not count. */
  cpuMs: number;
  n: number;
}
const summary = (ms: number[], cpu: number[]): Timing => {
  const s = [...ms].sort((a, b) => a - b);
  return { minMs: s[0], medianMs: s[s.length >> 1], cpuMs: Math.min(...cpu), n: s.length };
};

/** Interleaved rounds: `reps` tessera calls, then `reps` torch calls of (id, variant), `rounds` times (after one
 * warm-up call on each side). */
async function versus(
  peer: TorchPeer,
  fn: () => unknown,
  id: string,
  variant: string,
  rounds: number,
  reps: number,
): Promise<{ ts: Timing; pt: Timing }> {
  fn();
  await peer.ask({ op: 'time', id, variant, reps: 1 });
  const a: number[] = [];
  const aCpu: number[] = [];
  const b: number[] = [];
  const bCpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < reps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      fn();
      a.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      aCpu.push((c.user + c.system) / 1000);
    }
    const t = await peer.ask({ op: 'time', id, variant, reps });
    b.push(...(t.ms as number[]));
    bCpu.push(...(t.cpuMs as number[]));
  }
  return { ts: summary(a, aCpu), pt: summary(b, bCpu) };
}

const f32 = (dir: string, name: string) => {
  const b = readFileSync(join(dir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const write = (dir: string, name: string, a: Float32Array | Int32Array) =>
  writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** `n` ids of a Zipf law with exponent `s` over `R` ranks (P(rank k) ∝ 1/k^s), the ranks scattered over the table
 * rows by a random permutation (hashed ids: the hot rows are not adjacent). */
function zipfIds(r: ReturnType<typeof rng>, R: number, s: number, n: number): Int32Array {
  const cdf = new Float64Array(R);
  let acc = 0;
  for (let k = 0; k < R; k++) cdf[k] = acc += (k + 1) ** -s;
  const perm = Int32Array.from({ length: R }, (_, i) => i);
  for (let i = R - 1; i > 0; i--) {
    const j = Math.floor(r.uniform() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r.uniform() * acc;
    let lo = 0;
    let hi = R - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = perm[lo];
  }
  return out;
}

/** Largest |x − y| / (1 + |y|). */
function maxRelDiff(x: Float32Array, y: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  return m;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const py = findPython();
  if (py === null) {
    console.log(
      'torch-peer: no Python with torch and numpy found ($TESSERA_PYTHON, /usr/bin/python3, python3, python): nothing measured, no results written. ' +
        'On Debian 12: apt-get install python3-torch libopenblas0-pthread',
    );
    return;
  }
  const backend = await initKernels();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-torch-peer-'));
  const proc = spawn(py.exe, [join(here, 'torch_peer.py'), dir], {
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  const peer = new TorchPeer(proc);
  const info = await peer.next();
  console.log(
    `torch-peer: ${py.exe}: torch ${info.torch}, numpy ${info.numpy}, threads ${info.threads}, CPU capability ${info.capability}, BLAS ${info.blas}; tessera kernels: ${backend}`,
  );
  const rows: BenchRow[] = [];
  const ratio = (t: { ts: Timing; pt: Timing }) => t.pt.minMs / t.ts.minMs;
  const med = (t: { ts: Timing; pt: Timing }) =>
    `ratio of medians ${(t.pt.medianMs / t.ts.medianMs).toFixed(2)}, of best process CPU times ${(t.pt.cpuMs / t.ts.cpuMs).toFixed(2)}`;
  const checks: string[] = [];
  const r = rng(7);
  try {
    // ---- pooled embedding-bag lookups ----
    const bagCases = quick
      ? [{ id: 'bagq', R: 100_000, D: 64, B: 1024, L: 32, zipf: 0 }]
      : [
          { id: 'bag64', R: 1_000_000, D: 64, B: 4096, L: 32, zipf: 0 },
          { id: 'bag16', R: 1_000_000, D: 16, B: 4096, L: 32, zipf: 0 },
          { id: 'bag64z', R: 1_000_000, D: 64, B: 4096, L: 32, zipf: 1.05 },
        ];
    for (const c of bagCases) {
      const { id, R, D, B, L, zipf } = c;
      const nnz = B * L;
      const tableK = alloc(Float32Array, R * D);
      tableK.array.set(r.normalArray(R * D));
      const table = tableK.array.slice(); // the same table in host memory
      const ids = zipf > 0 ? zipfIds(r, R, zipf, nnz) : Int32Array.from({ length: nnz }, () => Math.floor(r.uniform() * R));
      const offsets = Int32Array.from({ length: B + 1 }, (_, i) => i * L);
      const weights = Float32Array.from({ length: nnz }, () => r.uniform());
      const gout = r.normalArray(B * D);
      write(dir, `${id}_table.bin`, table);
      write(dir, `${id}_ids.bin`, ids);
      write(dir, `${id}_offsets.bin`, offsets);
      write(dir, `${id}_weights.bin`, weights);
      write(dir, `${id}_gout.bin`, gout);
      const setup = await peer.ask({
        op: 'setup_bag',
        id,
        R,
        D,
        nBags: B,
        table: `${id}_table.bin`,
        ids: `${id}_ids.bin`,
        offsets: `${id}_offsets.bin`,
        weights: `${id}_weights.bin`,
        gout: `${id}_gout.bin`,
      });
      const outK = alloc(Float32Array, B * D);
      const out = new Float32Array(B * D);
      const goutK = alloc(Float32Array, B * D);
      goutK.array.set(gout);
      const dTK = alloc(Float32Array, R * D);
      const dT = new Float32Array(R * D);
      const fwdK = (w: Float32Array | null) => () =>
        embeddingBagForward(tableK.array, R, D, ids, offsets, w, B, 'sum', null, outK.array, D, 0);
      const fwdH = (w: Float32Array | null) => () => embeddingBagForward(table, R, D, ids, offsets, w, B, 'sum', null, out, D, 0);
      // fwd + bwd with a dense table gradient (zeroed each step, as torch allocates a zeroed one)
      const fwdBwdK = () => {
        embeddingBagForward(tableK.array, R, D, ids, offsets, null, B, 'sum', null, outK.array, D, 0);
        dTK.array.fill(0);
        embeddingBagBackward(goutK.array, D, 0, D, ids, offsets, null, B, 'sum', null, dTK.array, R);
      };
      const fwdBwdH = () => {
        embeddingBagForward(table, R, D, ids, offsets, null, B, 'sum', null, out, D, 0);
        dT.fill(0);
        embeddingBagBackward(gout, D, 0, D, ids, offsets, null, B, 'sum', null, dT, R);
      };
      // fwd + bwd with a row-sparse gradient: the distinct ids (renumbered in JavaScript, timed) and one gradient row
      // each, the form a sparse optimizer consumes (torch's sparse=True gives an uncoalesced COO gradient of nnz rows)
      const slot = new Int32Array(R);
      const local = new Int32Array(nnz);
      const uniq = new Int32Array(nnz);
      const gRowsK = alloc(Float32Array, nnz * D);
      let nUniq = 0;
      const fwdBwdSparseK = () => {
        embeddingBagForward(tableK.array, R, D, ids, offsets, null, B, 'sum', null, outK.array, D, 0);
        let n = 0;
        for (let j = 0; j < nnz; j++) {
          const v = ids[j];
          let k = slot[v];
          if (k === 0) {
            uniq[n] = v;
            k = ++n;
            slot[v] = k;
          }
          local[j] = k - 1;
        }
        for (let i = 0; i < n; i++) slot[uniq[i]] = 0;
        nUniq = n;
        const g = gRowsK.array.subarray(0, n * D);
        g.fill(0);
        embeddingBagBackward(goutK.array, D, 0, D, local, offsets, null, B, 'sum', null, g, n);
      };

      // fwd + bwd with a COO gradient as torch's sparse=True gives (uncoalesced: one row per id, the gradient row of
      // its bag): indexSelectRows of the output gradient by each id's bag, the bag map built from the offsets (timed)
      const bagOf = new Int32Array(nnz);
      const cooK = alloc(Float32Array, nnz * D);
      const fwdBwdCooK = () => {
        embeddingBagForward(tableK.array, R, D, ids, offsets, null, B, 'sum', null, outK.array, D, 0);
        for (let u = 0; u < B; u++) bagOf.fill(u, offsets[u], offsets[u + 1]);
        indexSelectRows(goutK.array, B, D, 0, D, bagOf, nnz, cooK.array, D, 0);
      };

      // same results on both sides
      fwdK(null)();
      const eF = maxRelDiff(outK.array, f32(dir, `${id}_fwd.out.bin`));
      fwdH(weights)();
      const eW = maxRelDiff(out, f32(dir, `${id}_fwd_w.out.bin`));
      fwdBwdK();
      const colSum = new Float64Array(D);
      for (let i = 0; i < R; i++) for (let d = 0; d < D; d++) colSum[d] += dTK.array[i * D + d];
      const tg = setup.gradColSum as number[];
      let eG = 0;
      for (let d = 0; d < D; d++) eG = Math.max(eG, Math.abs(colSum[d] - tg[d]) / (1 + Math.abs(tg[d])));
      fwdBwdSparseK();
      let eS = 0;
      for (let i = 0; i < nUniq; i++)
        for (let d = 0; d < D; d++) {
          const a = gRowsK.array[i * D + d];
          const b = dTK.array[uniq[i] * D + d];
          eS = Math.max(eS, Math.abs(a - b) / (1 + Math.abs(b)));
        }
      fwdBwdCooK();
      for (let j = 0; j < nnz; j++)
        for (let d = 0; d < D; d++) {
          const a = cooK.array[j * D + d];
          const b = gout[bagOf[j] * D + d];
          eS = Math.max(eS, Math.abs(a - b) / (1 + Math.abs(b)));
        }
      checks.push(
        `${id}: forward max rel diff vs torch ${eF.toExponential(1)}, weighted ${eW.toExponential(1)}, dense-gradient column sums ${eG.toExponential(1)}, row-sparse and COO vs dense gradient ${eS.toExponential(1)}; torch sparse vs dense ${Number(setup.sparseVsDense).toExponential(1)}`,
      );
      if (Math.max(eF, eW, eG, eS) > 1e-4) throw new Error(`results differ from torch: ${checks.at(-1)}`);

      const shape = `table ${R.toLocaleString('en')}×${D}, ${B} bags × ${L} ids (${zipf > 0 ? `Zipf s = ${zipf}, rows shuffled` : 'uniform'})`;
      const gb = (ms: number) => `${((nnz * D * 4) / ms / 1e6).toFixed(2)} GB/s of gathered rows`;
      const rounds = quick ? 3 : 8;
      const reps = quick ? 3 : 2;
      const addRow = (name: string, t: { ts: Timing; pt: Timing }, base: string, goal: string | undefined, extra: string) => {
        rows.push({
          case: `${name}, ${shape}`,
          baseline: base,
          ratio: ratio(t),
          ratioMeaning: 'throughput tessera / torch (×)',
          ...(goal !== undefined ? { goal } : {}),
          detail: `tessera ${t.ts.minMs.toFixed(2)} ms, torch ${t.pt.minMs.toFixed(2)} ms (best of ${t.ts.n} / ${t.pt.n}); ${med(t)}; ${extra}`,
        });
        console.log(`${rows.at(-1)?.case} vs ${base}: ${ratio(t).toFixed(2)}  (${rows.at(-1)?.detail})`);
      };
      let t = await versus(peer, fwdK(null), id, 'fwd', rounds, reps);
      addRow(
        'embedding-bag forward (sum), table in kernel memory',
        t,
        'F.embedding_bag forward (sum), no_grad',
        '>= 0.5',
        `torch ${gb(t.pt.minMs)}`,
      );
      t = await versus(peer, fwdH(null), id, 'fwd', rounds, reps);
      addRow(
        'embedding-bag forward (sum), plain arrays',
        t,
        'F.embedding_bag forward (sum), no_grad',
        undefined,
        `torch ${gb(t.pt.minMs)}`,
      );
      t = await versus(peer, fwdK(weights), id, 'fwd_w', rounds, reps);
      addRow(
        'embedding-bag forward with per-sample weights, kernel memory',
        t,
        'F.embedding_bag forward, per_sample_weights',
        '>= 0.5',
        `torch ${gb(t.pt.minMs)}`,
      );
      t = await versus(peer, fwdH(weights), id, 'fwd_w', rounds, reps);
      addRow(
        'embedding-bag forward with per-sample weights, plain arrays',
        t,
        'F.embedding_bag forward, per_sample_weights',
        undefined,
        `torch ${gb(t.pt.minMs)}`,
      );
      t = await versus(peer, fwdBwdK, id, 'fwdbwd_dense', rounds, reps);
      addRow(
        'embedding-bag fwd+bwd, dense table gradient (zeroed each step), kernel memory',
        t,
        'F.embedding_bag forward + backward, dense weight grad (sparse=False)',
        '>= 1',
        'both sides write a zeroed dense gradient the size of the table',
      );
      t = await versus(peer, fwdBwdH, id, 'fwdbwd_dense', rounds, reps);
      addRow(
        'embedding-bag fwd+bwd, dense table gradient (zeroed each step), plain arrays',
        t,
        'F.embedding_bag forward + backward, dense weight grad (sparse=False)',
        undefined,
        'the plain gradient is updated through a compact block of the touched rows',
      );
      t = await versus(peer, fwdBwdK, id, 'fwdbwd_sparse', rounds, reps);
      addRow(
        'embedding-bag fwd+bwd, dense table gradient (zeroed each step), kernel memory',
        t,
        'F.embedding_bag forward + backward, sparse=True (COO weight grad)',
        undefined,
        'tessera writes a dense table gradient, torch only nnz rows',
      );
      t = await versus(peer, fwdBwdCooK, id, 'fwdbwd_sparse', rounds, reps);
      addRow(
        'embedding-bag fwd+bwd, COO gradient (one row per id: indexSelectRows of the bag gradients), kernel memory',
        t,
        'F.embedding_bag forward + backward, sparse=True (COO weight grad)',
        '>= 1',
        'the same uncoalesced form on both sides',
      );
      t = await versus(peer, fwdBwdSparseK, id, 'fwdbwd_sparse', rounds, reps);
      addRow(
        'embedding-bag fwd+bwd, row-sparse gradient (distinct ids renumbered in JS, one row each), kernel memory',
        t,
        'F.embedding_bag forward + backward, sparse=True (COO weight grad)',
        undefined,
        `${nUniq} distinct ids of ${nnz}; coalesced (what a sparse optimizer needs), torch's is not`,
      );
      for (const k of [tableK, outK, goutK, dTK, gRowsK, cooK]) k.free();
    }

    // ---- spmm24 and the dense GEMM against torch.matmul ----
    for (const [M, K, N] of quick
      ? [[1024, 1024, 64]]
      : [
          [4096, 4096, 64],
          [2048, 2048, 64],
        ]) {
      const id = `mm${M}`;
      const A = r.normalArray(M * K);
      const values = alloc(Float32Array, (M * K) / 2);
      const cols = alloc(Int32Array, (M * K) / 2);
      mask24Compress(A, M, K, 'magnitude', null, values.array, cols.array);
      const Ak = alloc(Float32Array, M * K); // the same 2:4 matrix, densified
      for (let i = 0; i < (M * K) / 2; i++) Ak.array[Math.floor(i / (K / 2)) * K + cols.array[i]] = values.array[i];
      const Bk = alloc(Float32Array, K * N);
      Bk.array.set(r.normalArray(K * N));
      const Ok = alloc(Float32Array, M * N);
      write(dir, `${id}_A.bin`, Ak.array);
      write(dir, `${id}_B.bin`, Bk.array);
      const setup = await peer.ask({ op: 'setup_mm', id, M, K, N, A: `${id}_A.bin`, B: `${id}_B.bin` });
      const ref = f32(dir, `${id}_matmul.out.bin`);
      const sp = () => spmm24(values.array, cols.array, M, K, Bk.array, N, Ok.array);
      const de = () => gemm(Ak.array, M, K, Bk.array, N, Ok.array);
      sp();
      const eS = maxRelDiff(Ok.array, ref);
      de();
      const eD = maxRelDiff(Ok.array, ref);
      checks.push(
        `${id}: spmm24 max rel diff vs torch.matmul ${eS.toExponential(1)}, gemm ${eD.toExponential(1)}${typeof setup.csrMaxDiff === 'number' ? `, torch CSR vs dense ${setup.csrMaxDiff.toExponential(1)}` : ''}`,
      );
      if (Math.max(eS, eD) > 1e-3) throw new Error(`results differ from torch: ${checks.at(-1)}`);
      const gf = (ms: number) => `${((2 * M * K * N) / ms / 1e6).toFixed(1)}`;
      const rounds = quick ? 3 : 8;
      const reps = 2;
      const shape = `${M}×${K} (2:4) @ ${K}×${N}`;
      const push = (name: string, t: { ts: Timing; pt: Timing }, base: string, goal: string | undefined, extra = '') => {
        rows.push({
          case: name,
          baseline: base,
          ratio: ratio(t),
          ratioMeaning: 'throughput tessera / torch (×)',
          ...(goal !== undefined ? { goal } : {}),
          detail: `tessera ${gf(t.ts.minMs)} vs torch ${gf(t.pt.minMs)} dense-equivalent GFLOP/s (best of ${t.ts.n} / ${t.pt.n}); ${med(t)}${extra}`,
        });
        console.log(`${name} vs ${base}: ${ratio(t).toFixed(2)}  (${rows.at(-1)?.detail})`);
      };
      let t = await versus(peer, sp, id, 'matmul', rounds, reps);
      push(`spmm24 ${shape}, operands in kernel memory`, t, 'torch.matmul on the same matrix, dense', '>= 0.5');
      t = await versus(peer, de, id, 'matmul', rounds, reps);
      push(`dense SIMD gemm ${M}×${K} @ ${K}×${N} (the same matrix, densified), kernel memory`, t, 'torch.matmul, dense', undefined);
      if (typeof setup.csrError === 'string') checks.push(`${id}: torch sparse CSR matmul failed: ${setup.csrError}`);
      else {
        t = await versus(peer, sp, id, 'csr', rounds, reps);
        push(
          `spmm24 ${shape}, operands in kernel memory`,
          t,
          'torch.matmul of the matrix as a sparse CSR tensor (50% nonzeros)',
          undefined,
          '; context only',
        );
      }
      for (const k of [values, cols, Ak, Bk, Ok]) k.free();
    }

    // ---- MXFP8 E4M3 fake quantization (quantize + dequantize) ----
    {
      const n = quick ? 2 ** 20 : 2 ** 22;
      const id = 'mx';
      const xK = alloc(Float32Array, n);
      xK.array.set(r.normalArray(n));
      const dataK = alloc(Uint8Array, n);
      const scalesK = alloc(Uint8Array, n / 32);
      const yK = alloc(Float32Array, n);
      write(dir, `${id}_x.bin`, xK.array);
      await peer.ask({ op: 'setup_mx', id, n, x: `${id}_x.bin` });
      const fq = () => {
        mxQuantize(xK.array, 1, n, 32, 'fp8_e4m3', 'floor', 'nearest', 0, 'byte', dataK.array, scalesK.array);
        mxDequantize(dataK.array, 'byte', scalesK.array, 1, n, 32, 'fp8_e4m3', yK.array);
      };
      fq();
      const ref = f32(dir, `${id}_fakequant.out.bin`);
      let differ = 0;
      for (let i = 0; i < n; i++) if (yK.array[i] !== ref[i]) differ++;
      checks.push(`mx: MXFP8 E4M3 fake quant, tessera vs the torch-ops reimplementation: ${differ} of ${n} values differ`);
      const t = await versus(peer, fq, id, 'fakequant', quick ? 3 : 8, 2);
      rows.push({
        case: `MXFP8 E4M3 fake quantization (quantize+pack, then dequantize; blocks of 32, floor scale, round half away), 2^${Math.log2(n)} float32 in kernel memory`,
        baseline: 'a torch-ops MX reimplementation (microxcaling approach), not microxcaling itself',
        ratio: ratio(t),
        ratioMeaning: 'throughput tessera / torch (×)',
        detail: `tessera ${((n / t.ts.minMs) * 1e-3).toFixed(0)} M values/s, torch ${((n / t.pt.minMs) * 1e-3).toFixed(0)} M values/s (best of ${t.ts.n} / ${t.pt.n}); ${med(t)}; ${differ} of ${n} outputs differ`,
      });
      console.log(`${rows.at(-1)?.case}: ${ratio(t).toFixed(2)}  (${rows.at(-1)?.detail})`);
      for (const k of [xK, dataK, scalesK, yK]) k.free();
    }
  } finally {
    await peer.quit();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const c of checks) console.log(c);
  writeBenchReport(quick ? 'bench/results/torch-peer-quick.json' : 'bench/results/torch-peer.json', {
    package: '@tessera/kernels',
    title: 'PyTorch peer (single thread, same data, one run): embedding-bag, spmm24/gemm vs torch.matmul, MX fake quant',
    rows,
    notes: [
      `torch ${info.torch}${debianTorch()} (${py.exe}, numpy ${info.numpy}, Python ${info.python}), torch.set_num_threads(1) (threads = ${info.threads}), CPU capability ${info.capability}, BLAS_INFO ${info.blas} (loaded: ${(info.blasLibs as string[]).join(', ') || 'none found'}), MKL-DNN ${info.mkldnn}; tessera kernel backend ${backend} (kernelBackend() = ${kernelBackend()}), one thread`,
      'the two sides run in two processes on the same files, timed in interleaved rounds (tessera k calls, torch k calls, …); ratios of the best call of each side (ratio of medians and of best process CPU times in each detail: the CPU-time ratio ignores preemption); the VM is shared (2 cores) and was under load',
      'torch indices are int64 (converted once, untimed); the forward runs under torch.no_grad(); ids uniform over the table (no locality: lookups bound by memory latency) or, in one case, Zipf-distributed (hot rows cached)',
      ...checks,
    ],
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
