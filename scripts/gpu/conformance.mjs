// Runs every package's vitest suite on one backend (default webgpu), several packages at a time, and writes one
// summary: per suite the counts, the time and each failure (file, test, first line of the message, and a cause
// class where one is known). Usage: node scripts/gpu/conformance.mjs [--backend webgpu] [--jobs 4]
//   [--timeout 420] [--only a,b] [--out dir] [--kernels]
// --kernels: with TESSERA_WEBGPU_KERNELS=1, so @tessera/testing's setup registers @tessera/webgpu's WGSL kernels
// (registerWebGPUKernels()) and every package's 'auto' paths use them; the summary is conformance-<backend>-kernels.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const backend = opt('backend', 'webgpu');
const jobs = Number(opt('jobs', '4'));
const timeoutS = Number(opt('timeout', '420'));
const only = opt('only', '')?.split(',').filter(Boolean);
const withKernels = argv.includes('--kernels');
const mode = withKernels ? `${backend}-kernels` : backend;
const outDir = opt('out', process.env.OUT || path.join(root, '.gpu/out'));
fs.mkdirSync(outDir, { recursive: true });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-conf-'));
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');

const pkgs = fs
  .readdirSync(path.join(root, 'packages'))
  .filter((d) => fs.existsSync(path.join(root, 'packages', d, 'vitest.config.ts')) && (!only?.length || only.includes(d)))
  .sort();

// Known causes, matched against the failure message, so the summary says why rather than only what.
const CAUSES = [
  [/OffscreenCanvas is not defined/, 'dataSync/arraySync on webgpu in Node (tfjs-backend-webgpu readSync needs OffscreenCanvas)'],
  [/no overload matched for createBuffer/, 'an op on an empty (size-0) tensor: tfjs-backend-webgpu asks Dawn for a buffer of invalid size'],
  [/Cannot find package '(tsup|@duckdb\/node-api)'/, 'a tool not carried to the GPU machine (tsup or @duckdb/node-api)'],
  [/foreign-error: Ref/, 'ReferenceError inside a fuzzed call (message truncated by the test)'],
  [/leaked|a leak/, 'tensor leak check'],
  [/Test timed out/, 'timeout'],
  [/bits?|ulp|toEqual|toBe|expected/i, 'value mismatch'],
];
// A synchronous read is the test's own (its assertion reads a result) when the first stack frame outside
// node_modules is a test file, the library's when it is a package source file.
const TEST_READ = "the test's own dataSync/arraySync on webgpu in Node (its assertion reads a result synchronously)";
const LIB_READ = 'a library host path read synchronously on webgpu in Node (raw dataSync, no OffscreenCanvas)';
const CLEAR_READ = 'a host-only path refused on webgpu in Node with the TesseraError of readSync (no device path)';
function classify(msg) {
  if (/cannot do synchronously in this runtime/.test(msg)) return CLEAR_READ;
  if (/OffscreenCanvas is not defined/.test(msg)) {
    const frame = firstFrame(msg);
    if (frame === undefined) return CAUSES[0][1];
    return /\.test\.ts|\/test\//.test(frame) ? TEST_READ : LIB_READ;
  }
  return CAUSES.find(([re]) => re.test(msg))?.[1] ?? 'other';
}
// first stack frame ("❯ fn path:line:col" in vitest's log, "at fn (path:line:col)" in raw stacks) outside
// node_modules and node internals, after the error line
function firstFrame(msg) {
  if (/foreign-error: ReferenceError: OffscreenCanvas/.test(msg)) return 'src/(fuzzed public function)';
  const start = msg.indexOf('OffscreenCanvas is not defined');
  const lines = msg.slice(start >= 0 ? start : 0).split('\n');
  for (const l of lines) {
    const m = /(?:❯|\bat) (?:\S+ \(?)?\(?((?:file:\/\/)?[^\s()]+?\.[cm]?[jt]s):\d+/.exec(l);
    if (!m) continue;
    if (/node_modules|node:internal/.test(m[1])) continue;
    return m[1];
  }
  return undefined;
}

function runOne(pkg) {
  return new Promise((resolve) => {
    const json = path.join(scratch, `${pkg}.json`);
    const logf = path.join(scratch, `${pkg}.log`);
    const t0 = Date.now();
    const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`], {
      cwd: path.join(root, 'packages', pkg),
      env: { ...process.env, TESSERA_BACKEND: backend, CI: '1', NO_COLOR: '1', ...(withKernels ? { TESSERA_WEBGPU_KERNELS: '1' } : {}) },
      stdio: ['ignore', fs.openSync(logf, 'w'), fs.openSync(logf, 'a')],
      detached: true,
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - t0) / 1000;
      const res = { pkg, backend: mode, exitCode: code, signal, seconds, timedOut: signal === 'SIGKILL' };
      try {
        const r = JSON.parse(fs.readFileSync(json, 'utf8'));
        Object.assign(res, {
          total: r.numTotalTests,
          passed: r.numPassedTests,
          failed: r.numFailedTests,
          skipped: r.numPendingTests + (r.numTodoTests ?? 0),
          failedFiles: r.numFailedTestSuites,
        });
        res.failures = [];
        // vitest's JSON keeps only the outer error; the log also prints "Caused by:" (fast-check, leak checks)
        const log = fs.readFileSync(logf, 'utf8').replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
        const blockOf = (header) => {
          const at = log.indexOf(header);
          if (at < 0) return '';
          const end = log.indexOf('⎯⎯⎯', at + header.length);
          return log.slice(at, end < 0 ? at + 4000 : end);
        };
        for (const f of r.testResults) {
          const file = path.relative(path.join(root, 'packages', pkg), f.name);
          if (f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed'))
            res.failures.push({
              file,
              test: '(file)',
              message: (f.message || '').split('\n').slice(0, 3).join(' | ').slice(0, 400),
              cause: classify(f.message || ''),
            });
          for (const a of f.assertionResults)
            if (a.status === 'failed') {
              const header = ` FAIL  ${file} > ${[...(a.ancestorTitles || []), a.title].join(' > ')}`;
              const msg = `${(a.failureMessages || []).join('\n')}\n${blockOf(header)}`;
              const caused = msg.split('\n').find((l) => l.startsWith('Caused by:'));
              res.failures.push({
                file,
                test: a.fullName,
                message: [...msg.split('\n').slice(0, 3), caused ?? ''].join(' | ').slice(0, 600),
                cause: classify(msg),
              });
            }
        }
        res.causes = {};
        for (const f of res.failures) res.causes[f.cause] = (res.causes[f.cause] ?? 0) + 1;
      } catch (e) {
        res.error = `no JSON report (${e.message.split('\n')[0]})`;
      }
      res.logTail = fs.readFileSync(logf, 'utf8').split('\n').slice(-15).join('\n').slice(-1500);
      const c = res.total != null ? `${res.passed}/${res.total} passed, ${res.failed} failed, ${res.skipped} skipped` : res.error;
      console.log(`[conformance] ${mode} ${pkg}: ${c} in ${seconds.toFixed(1)} s${res.timedOut ? ' (TIMED OUT)' : ''}`);
      resolve(res);
    });
  });
}

const results = [];
const queue = [...pkgs];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (queue.length) results.push(await runOne(queue.shift()));
  }),
);
results.sort((a, b) => a.pkg.localeCompare(b.pkg));
const summary = {
  date: new Date().toISOString(),
  backend: mode,
  kernelsRegistered: withKernels,
  node: process.version,
  host: os.hostname(),
  cpus: os.cpus().length,
  suites: results,
};
const file = path.join(outDir, `conformance-${mode}.json`);
fs.writeFileSync(file, JSON.stringify(summary, null, 1));
// all logs in one file, both modes appended (the device tool returns at most 8 files)
fs.appendFileSync(
  path.join(outDir, `conformance-${backend}.log`),
  pkgs
    .map(
      (p) =>
        `===== ${mode} ${p}\n${fs.existsSync(path.join(scratch, `${p}.log`)) ? fs.readFileSync(path.join(scratch, `${p}.log`), 'utf8') : ''}`,
    )
    .join('\n'),
);
console.log(`[conformance] wrote ${file}`);
