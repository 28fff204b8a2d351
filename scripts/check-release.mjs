// Release checks for every public package (private ones, whose code has not landed, are skipped and listed):
//  1. package metadata in line with the root (scripts/package-metadata.mjs);
//  2. `npm pack` (the tarball carries LICENSE, README, dist and no sources), then `publint --strict` and `attw` (are-the-types-wrong) on the tarball: types and JavaScript
//     resolve for node16 (CJS and ESM) and bundlers;
//  3. pack-and-install: the tarballs go into a fresh project beside fast-check 3 and vitest 3 (a consumer's own test
//     tools must not clash with ours), installed from the npm registry; then every package is imported as ESM,
//     required as CJS, and type-checked by TypeScript with `node16` and with `bundler` resolution, and a gradient
//     and an MX round trip run from the installed tarballs.
// The packages must be built first (`npm run build`). Needs the npm registry for step 3.
//
//   node scripts/check-release.mjs [--skip-install] [--keep]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
const t0 = performance.now();
const failures = [];

function run(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function step(name, fn) {
  const t = performance.now();
  try {
    const note = fn();
    console.log(`✓ ${name}${note ? ` — ${note}` : ''} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message;
    console.log(`✗ ${name}\n${out.replace(/^/gm, '    ')}`);
    failures.push(name);
  }
}

const all = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .sort()
  .map((dir) => ({
    dir,
    path: join(root, 'packages', dir),
    ...JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }));
const pub = all.filter((p) => !p.private);
console.log(
  `release check: ${pub.map((p) => p.name).join(', ')}; private, skipped: ${
    all
      .filter((p) => p.private)
      .map((p) => p.name)
      .join(', ') || 'none'
  }`,
);

step('package metadata', () => run(process.execPath, [join(root, 'scripts', 'package-metadata.mjs')]).trim());

// A published package cannot depend on one that is never published. Such private dependencies are still packed
// below (so the other checks run), but the release check fails until they are made public or dropped.
const byName = new Map(all.map((p) => [p.name, p]));
const deps = (p) => Object.keys({ ...p.dependencies, ...p.peerDependencies });
const needed = new Map(pub.map((p) => [p.name, p]));
for (let grew = true; grew; ) {
  grew = false;
  for (const p of [...needed.values()]) {
    for (const d of deps(p)) {
      if (byName.has(d) && !needed.has(d)) {
        needed.set(d, byName.get(d));
        grew = true;
      }
    }
  }
}
step('no public package depends on a private one', () => {
  const bad = pub.flatMap((p) =>
    deps(p)
      .filter((d) => byName.get(d)?.private)
      .map((d) => `${p.name} → ${d}`),
  );
  if (bad.length > 0) throw new Error(`private packages used by public ones (make them public): ${bad.join(', ')}`);
  return '';
});

const work = mkdtempSync(join(tmpdir(), 'tessera-release-'));
const tarballs = new Map();
for (const p of needed.values()) {
  step(`${p.name}: npm pack`, () => {
    const file = run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: p.path }).trim().split('\n').pop();
    tarballs.set(p.name, join(work, file));
    // What every tarball must carry, and nothing from the sources or tests.
    const listed = run('tar', ['-tzf', join(work, file)])
      .split('\n')
      .filter(Boolean);
    const missing = [
      'package/LICENSE',
      'package/README.md',
      'package/package.json',
      'package/dist/index.js',
      'package/dist/index.cjs',
      'package/dist/index.d.ts',
    ].filter((f) => !listed.includes(f));
    const extra = listed.filter((f) => /^package\/(src|test|bench)\//.test(f));
    if (missing.length > 0 || extra.length > 0)
      throw new Error(`tarball: missing ${missing.join(', ') || 'nothing'}; unexpected ${extra.join(', ') || 'nothing'}`);
    return `${file}, ${listed.length} files`;
  });
}

// publint and attw read the tarballs; they are CPU-bound, so two run at a time (CI has two cores).
function spawnCheck(name, cmd, argv) {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ name, ok: code === 0, out, s: (performance.now() - t) / 1000 }));
  });
}
const checks = [];
for (const [name, tgz] of tarballs) {
  checks.push(() => spawnCheck(`${name}: publint --strict`, bin('publint'), ['run', tgz, '--strict']));
  // node16 profile: node10 resolution cannot see subpath exports (e.g. @tessera/testing/vitest-setup) and is not
  // supported; node16 (CJS and ESM) and bundler resolution must find types and JavaScript for every entry point.
  checks.push(() => spawnCheck(`${name}: attw --profile node16`, bin('attw'), [tgz, '--profile', 'node16', '--format', 'ascii']));
}
const queue = [...checks];
await Promise.all(
  [0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const r = await job();
      if (r.ok) console.log(`✓ ${r.name} (${r.s.toFixed(1)} s)`);
      else {
        console.log(`✗ ${r.name}\n${r.out.trim().replace(/^/gm, '    ')}`);
        failures.push(r.name);
      }
    }
  }),
);

if (!args.includes('--skip-install') && tarballs.size > 0) {
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  const names = [...tarballs.keys()];
  const deps = Object.fromEntries([...tarballs].map(([n, f]) => [n, `file:${f}`]));
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify(
      {
        name: 'tessera-consumer',
        private: true,
        type: 'module',
        dependencies: { ...deps, '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-backend-cpu': '4.22.0' },
        devDependencies: { 'fast-check': '^3.23.0', vitest: '^3.2.0', typescript: '5.9.3', '@types/node': '^20.19.0' },
      },
      null,
      2,
    ),
  );
  step('pack-and-install: npm install (tarballs + fast-check 3 + vitest 3, no --force/--legacy-peer-deps)', () => {
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: consumer });
    const fc = JSON.parse(readFileSync(join(consumer, 'node_modules', 'fast-check', 'package.json'), 'utf8')).version;
    const vt = JSON.parse(readFileSync(join(consumer, 'node_modules', 'vitest', 'package.json'), 'utf8')).version;
    if (!fc.startsWith('3.') || !vt.startsWith('3.')) throw new Error(`expected fast-check 3 and vitest 3, got ${fc} and ${vt}`);
    return `fast-check ${fc}, vitest ${vt}`;
  });
  const has = (n) => names.includes(n);
  const smoke = (lang) => {
    const imp = (n) => (lang === 'esm' ? `await import('${n}')` : `require('${n}')`);
    return [
      ...names.map((n) => `{ const m = ${imp(n)}; if (Object.keys(m).length === 0) throw new Error('${n}: no exports'); }`),
      `const tf = ${imp('@tensorflow/tfjs-core')};`,
      `const core = ${imp('@tessera/core')};`,
      `await core.initBackend('cpu', { log: null });`,
      `const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor([1, 2])).dataSync();`,
      `if (g[0] !== 2 || g[1] !== 4) throw new Error('gradient ' + g);`,
      ...(has('@tessera/mx-formats')
        ? [
            `const mx = ${imp('@tessera/mx-formats')};`,
            `const back = mx.dequantizeMXArray(mx.quantizeMXArray(new Float32Array([7, 1, 0.3]), [3], { format: 'mxfp4_e2m1' }));`,
            `if (Array.from(back).join() !== '6,1,0.5') throw new Error('mx ' + Array.from(back));`,
          ]
        : []),
      `console.log('${lang} ok');`,
    ].join('\n');
  };
  writeFileSync(join(consumer, 'esm.mjs'), smoke('esm'));
  writeFileSync(join(consumer, 'cjs.cjs'), `(async () => {\n${smoke('cjs')}\n})().catch((e) => { console.error(e); process.exit(1); });\n`);
  step('pack-and-install: ESM import', () => run(process.execPath, ['esm.mjs'], { cwd: consumer }).trim());
  step('pack-and-install: CJS require', () => run(process.execPath, ['cjs.cjs'], { cwd: consumer }).trim());
  // Type-check: every package's types, from an ES module (both resolutions) and from a CommonJS module (node16).
  const typeUse = names.map((n, i) => `import * as p${i} from '${n}';\nexport const k${i}: string[] = Object.keys(p${i});`).join('\n');
  const coreUse = `import { initBackend, type BackendInfo } from '@tessera/core';\nexport const ready: Promise<BackendInfo> = initBackend('cpu');`;
  writeFileSync(join(consumer, 'use.mts'), `${typeUse}\n${coreUse}\n`);
  writeFileSync(join(consumer, 'use-cjs.cts'), `${typeUse}\n${coreUse}\n`);
  for (const [mode, module] of [
    ['node16', 'node16'],
    ['bundler', 'esnext'],
  ]) {
    const files = mode === 'node16' ? ['use.mts', 'use-cjs.cts'] : ['use.mts'];
    writeFileSync(
      join(consumer, `tsconfig.${mode}.json`),
      JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution: mode,
          target: 'es2022',
          strict: true,
          noEmit: true,
          // tfjs-core 4.22's own declarations need skipLibCheck; ours are checked through their use above.
          skipLibCheck: true,
          types: ['node'],
        },
        files,
      }),
    );
    step(`pack-and-install: TypeScript, moduleResolution ${mode}`, () =>
      run(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', `tsconfig.${mode}.json`], { cwd: consumer }),
    );
  }
}

if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log(
  `release check: ${failures.length === 0 ? 'all passed' : `${failures.length} failed (${failures.join('; ')})`} in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
process.exit(failures.length > 0 ? 1 : 0);
