#!/usr/bin/env node
// Stages what a GPU run needs on a machine that has a GPU but no Node and no network (see GPU.md):
//   .gpu/node.xz          this machine's node binary, xz -9
//   .gpu/nm.tar.xz        a trimmed node_modules (the dependency closure of the roots below, webgpu with only its
//                         linux-x64 dawn.node) plus every packages/*/dist (built outputs are gitignored, so they
//                         would not travel with the working tree)
//   .gpu/debs/*.deb       the Vulkan/GL loader packages, amd64, extracted into / at the start of a run
// The folder is listed in .git/info/exclude, so it travels only when a run names it in `carry`.
// Usage: node scripts/gpu/stage.mjs [--no-debs] [--force-node] [--keep-nm] (--keep-nm: reuse nm.tar.xz if present)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const stage = path.join(root, '.gpu');
const args = new Set(process.argv.slice(2));
fs.mkdirSync(stage, { recursive: true });

// 1. keep .gpu/ out of git (and so out of the working tree that travels unless carried)
const exclude = path.join(root, '.git/info/exclude');
fs.mkdirSync(path.dirname(exclude), { recursive: true });
const ex = fs.existsSync(exclude) ? fs.readFileSync(exclude, 'utf8') : '';
if (!ex.split('\n').includes('/.gpu/')) fs.appendFileSync(exclude, `${ex && !ex.endsWith('\n') ? '\n' : ''}/.gpu/\n`);

const sh = (cmd, a, opts = {}) => execFileSync(cmd, a, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
const mib = (p) => `${(fs.statSync(p).size / 2 ** 20).toFixed(1)} MiB`;

// 2. node binary
if (process.arch !== 'x64' || process.platform !== 'linux') throw new Error('stage.mjs: needs linux-x64 (the GPU machine is x86-64)');
const nodeXz = path.join(stage, 'node.xz');
const nodeVer = path.join(stage, 'node.version');
if (args.has('--force-node') || !fs.existsSync(nodeXz) || !fs.existsSync(nodeVer) || fs.readFileSync(nodeVer, 'utf8') !== process.version) {
  console.log(`[stage] xz -9 ${process.execPath} (${process.version}) ...`);
  fs.writeFileSync(`${nodeXz}.tmp`, sh('xz', ['-9', '-c', '-T1', process.execPath], { maxBuffer: 2 ** 30 }));
  fs.renameSync(`${nodeXz}.tmp`, nodeXz);
  fs.writeFileSync(nodeVer, process.version);
}
console.log(`[stage] node.xz ${mib(nodeXz)}`);

// 3. node_modules closure
const ROOTS = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  'vitest',
  'fast-check',
  '@fast-check/vitest',
  'cli-progress',
  'commander',
];
const nm = path.join(root, 'node_modules');
const resolvePkg = (name, fromDir) => {
  for (let d = fromDir; ; d = path.dirname(d)) {
    const p = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(p, 'package.json'))) return p;
    if (d === root || d === path.dirname(d)) return null;
  }
};
const seen = new Map(); // path relative to root -> package name
const tessera = new Set();
const queue = ROOTS.map((n) => [n, root, true]);
for (const dir of fs.readdirSync(path.join(root, 'packages'))) {
  const pj = path.join(root, 'packages', dir, 'package.json');
  if (fs.existsSync(pj)) queue.push([JSON.parse(fs.readFileSync(pj, 'utf8')).name, root, true]);
}
while (queue.length > 0) {
  const [name, from, required] = queue.shift();
  if (name.startsWith('@tessera/')) {
    if (tessera.has(name)) continue;
    tessera.add(name);
    const real = fs.realpathSync(path.join(nm, name));
    const pj = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8'));
    for (const d of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) queue.push([d, real, false]);
    continue;
  }
  if (name === '@duckdb/node-api') continue; // 70 MB of native code; only the Criteo loader needs it (see GPU.md)
  const p = resolvePkg(name, from);
  if (!p) {
    if (required) throw new Error(`stage.mjs: ${name} is not installed`);
    continue;
  }
  const rel = path.relative(root, p);
  if (seen.has(rel)) continue;
  seen.set(rel, name);
  const pj = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8'));
  for (const d of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) queue.push([d, p, false]);
}

// Files a Node run never reads: source maps, type declarations, docs, tests, browser bundles, other platforms' Dawn.
const DROP = [
  /\.map$/,
  /\.d\.[cm]?ts$/,
  /(^|\/)(README|CHANGELOG|HISTORY)[^/]*$/i,
  /^node_modules\/@tensorflow\/[^/]+\/dist\/.*_test\.js$/,
  /^node_modules\/@tensorflow\/[^/]+\/dist\/tf-[a-z-]+\.(js|min\.js|es2017\.js|es2017\.min\.js|fesm\.js|fesm\.min\.js)$/,
  /^node_modules\/@tensorflow\/[^/]+\/(src|scripts)\//,
  /^node_modules\/webgpu\/dist\/(?!linux-x64\/)/,
  /^node_modules\/webgpu\/(build|test)\//,
];
const files = [];
const walk = (rel) => {
  const abs = path.join(root, rel);
  const st = fs.lstatSync(abs);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(abs)) {
      const r = `${rel}/${e}`;
      // nested node_modules are packed only through their own closure entry
      if (/\/node_modules$/.test(r) && rel !== 'node_modules') continue;
      walk(r);
    }
  } else if (!DROP.some((re) => re.test(rel))) files.push(rel);
};
for (const rel of seen.keys()) walk(rel);
// the @tessera symlinks (their targets travel with the working tree) and every package's built dist
for (const name of tessera) files.push(`node_modules/${name}`);
for (const dir of fs.readdirSync(path.join(root, 'packages'))) {
  const dist = path.join('packages', dir, 'dist');
  if (fs.existsSync(path.join(root, dist))) walk(dist);
}
const list = path.join(stage, 'nm.files');
fs.writeFileSync(list, `${[...new Set(files)].sort().join('\n')}\n`);
const bytes = files.reduce((s, f) => s + fs.lstatSync(path.join(root, f)).size, 0);
console.log(`[stage] ${seen.size} packages, ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB before xz`);
const tarXz = path.join(stage, 'nm.tar.xz');
if (!(args.has('--keep-nm') && fs.existsSync(tarXz)))
  sh('sh', ['-c', `tar -C "${root}" --no-recursion -cf - -T "${list}" | xz -6 -T2 > "${tarXz}.tmp" && mv "${tarXz}.tmp" "${tarXz}"`]);
console.log(`[stage] nm.tar.xz ${mib(tarXz)}`);

// 4. the GPU benchmark, bundled (the GPU machine has no TypeScript loader): its own sources inlined, packages external
fs.mkdirSync(path.join(stage, 'js'), { recursive: true });
sh(path.join(root, 'node_modules/.bin/esbuild'), [
  path.join(root, 'packages/webgpu/bench/run.ts'),
  '--bundle',
  '--platform=node',
  '--format=esm',
  '--packages=external',
  '--target=node20',
  '--log-level=warning',
  `--outfile=${path.join(stage, 'js/webgpu-bench.mjs')}`,
]);
console.log(`[stage] js/webgpu-bench.mjs ${mib(path.join(stage, 'js/webgpu-bench.mjs'))}`);

// 5. Vulkan/GL loaders (Debian amd64 packages; the NVIDIA driver's ICD is already on the GPU machine)
if (!args.has('--no-debs')) {
  const debs = path.join(stage, 'debs');
  fs.mkdirSync(debs, { recursive: true });
  if (fs.readdirSync(debs).filter((f) => f.endsWith('.deb')).length < 7) {
    const lists = '/tmp/tessera-gpu-apt';
    fs.mkdirSync(`${lists}/partial`, { recursive: true });
    const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
    sh('apt-get', [...o, 'update'], { stdio: 'inherit' });
    sh('apt-get', [...o, 'download', 'libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'], {
      cwd: debs,
      stdio: 'inherit',
    });
  }
  console.log(`[stage] debs: ${fs.readdirSync(debs).join(' ')}`);
}
const total = sh('du', ['-sb', stage]).toString().split('\t')[0];
console.log(`[stage] .gpu/ is ${(Number(total) / 2 ** 20).toFixed(1)} MiB (the run limit is 64 MiB with the working tree)`);
