// Browser smoke test: bundles test/browser/entry.ts with esbuild (as an app would: every import resolved by the
// bundler, including initBackend's backend candidates), serves it over HTTP, runs it in headless Chromium (Debian's
// `chromium`, driven by playwright-core) and compares its numbers with the same code run in Node. Also reports the
// size of each package in the minified browser bundle.
//
//   node test/browser/run.mjs [--chromium /path/to/chromium]     (the packages must be built)
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'node_modules', '.cache', 'browser-smoke');
const argv = process.argv.slice(2);
const executablePath = argv.includes('--chromium') ? argv[argv.indexOf('--chromium') + 1] : '/usr/bin/chromium';
const t0 = performance.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const entryName = 'entry.ts';
// 1. The browser app, minified, with a metafile for the size report.
const app = await build({
  entryPoints: [join(here, entryName)],
  bundle: true,
  format: 'esm',
  splitting: true,
  platform: 'browser',
  target: 'es2022',
  minify: true,
  metafile: true,
  outdir: join(out, 'app'),
  logLevel: 'error',
});
const bytesBy = new Map();
let total = 0;
for (const o of Object.values(app.metafile.outputs)) {
  total += o.bytes;
  for (const [input, { bytesInOutput }] of Object.entries(o.inputs)) {
    const m = /(?:node_modules\/(@[^/]+\/[^/]+|[^/@][^/]*)|packages\/([^/]+))\//.exec(input);
    const key = m ? (m[1] ?? `@tessera/${m[2]}`) : 'app';
    bytesBy.set(key, (bytesBy.get(key) ?? 0) + bytesInOutput);
  }
}
// tfjs-backend-wasm fetches its .wasm binaries from beside the script that loads it: serve them there, as an app
// would (see tfjs-backend-wasm's README, "Using bundlers").
const wasmDist = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
for (const f of readdirSync(wasmDist).filter((n) => n.endsWith('.wasm'))) copyFileSync(join(wasmDist, f), join(out, 'app', f));
const entryOut = Object.entries(app.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith(`test/browser/${entryName}`))?.[0];
const entryBytes = app.metafile.outputs[entryOut].bytes;

// 2. The same code in Node, for reference.
await build({
  entryPoints: [join(here, 'smoke.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile: join(out, 'node', 'smoke.mjs'),
  logLevel: 'error',
});
// The node bundle lives under node_modules/.cache, so bare imports resolve to the workspace's packages.
const { smoke } = await import(pathToFileURL(join(out, 'node', 'smoke.mjs')).href);
const nodeResult = await smoke();

// 3. Serve and run in Chromium.
const types = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm', '.map': 'application/json' };
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      `<!doctype html><meta charset="utf-8"><script type="module" src="/${relative(join(out, 'app'), join(root, entryOut))}"></script>`,
    );
    return;
  }
  if (path === '/favicon.ico') {
    res.writeHead(204);
    res.end();
    return;
  }
  const file = join(out, 'app', path);
  if (!file.startsWith(join(out, 'app')) || !existsSync(file)) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;
const profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
let browserResult;
const browserLog = [];
let browserVersion = '';
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  browserVersion = context.browser()?.version() ?? '';
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => browserLog.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => browserLog.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page
    .waitForFunction(() => window.__smoke !== undefined, null, { timeout: 120_000 })
    .catch((e) => {
      throw new Error(`${e.message}\nbrowser console:\n${browserLog.join('\n')}`);
    });
  browserResult = await page.evaluate(() => window.__smoke);
  if (!browserVersion) browserVersion = await page.evaluate(() => navigator.userAgent);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

// 4. Compare and report.
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
console.log(`browser smoke: ${browserVersion}`);
console.log(
  `browser bundle (minified, esbuild): ${kb(total)} in all, entry chunk ${kb(entryBytes)}; by package: ` +
    [...bytesBy]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${kb(v)}`)
      .join(', '),
);
let failed = false;
if (!browserResult.ok) {
  console.log(`✗ the app failed in Chromium:\n${browserResult.error}\n${browserLog.join('\n')}`);
  failed = true;
} else {
  const b = browserResult.result;
  console.log(`  initBackend() in Chromium chose ${b.auto.name}; skipped ${b.auto.skipped.join(', ') || 'nothing'}`);
  console.log(`  initBackend() in Node chose ${nodeResult.auto.name}`);
  for (const key of ['backend', 'mx', 'dedup', 'gradient', 'numTensors']) {
    const same = isDeepStrictEqual(b[key], nodeResult[key]);
    console.log(
      `  ${same ? '✓' : '✗'} ${key}${same ? '' : `: browser ${JSON.stringify(b[key]).slice(0, 300)} vs node ${JSON.stringify(nodeResult[key]).slice(0, 300)}`}`,
    );
    failed ||= !same;
  }
  if (b.numTensors !== 0) {
    console.log(`  ✗ ${b.numTensors} tensors leaked`);
    failed = true;
  }
}
console.log(`browser smoke: ${failed ? 'FAILED' : 'passed'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
