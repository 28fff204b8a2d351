// Keeps the publishing metadata of every workspace package in line with the root package.json: `license`,
// `repository` (with the package's `directory`), `homepage` (its README on the repository), `bugs`, `author`, and
// `keywords` (the shared ones plus the package's own; the package's own list is kept). Other fields are untouched.
//
//   node scripts/package-metadata.mjs          # report packages whose metadata is out of date (exit 1 if any)
//   node scripts/package-metadata.mjs --write  # rewrite them
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const repoUrl = rootPkg.repository.url; // git+https://github.com/<owner>/<name>.git
const web = repoUrl.replace(/^git\+/, '').replace(/\.git$/, '');
const SHARED_KEYWORDS = ['tessera', 'tensorflowjs', 'tfjs', 'typescript'];

/** Keywords a package gets when it has none of its own yet (its owner may edit them freely afterwards). */
const DEFAULT_KEYWORDS = {
  core: ['backend', 'safetensors', 'float16', 'bfloat16', 'webgpu', 'wasm'],
  testing: ['testing', 'fast-check', 'property-based-testing', 'vitest'],
  kernels: ['webassembly', 'simd', 'assemblyscript', 'kernels'],
  webgpu: ['webgpu', 'wgsl', 'gpu', 'kernels'],
  'jagged-tensors': ['jagged-tensor', 'keyed-jagged-tensor', 'torchrec', 'recommendation', 'embedding-bag', 'recd'],
  'mx-formats': ['microscaling', 'mxfp8', 'mxfp4', 'nvfp4', 'quantization', 'ocp-mx', 'torchao'],
  'bdr-formats': ['block-data-representation', 'bfp', 'msfp', 'shared-microexponents', 'quantization'],
  'sparse-24': ['2:4-sparsity', 'semi-structured-sparsity', 'cutlass', 'sparse', 'squared-relu'],
  'embedding-sharding': ['embedding', 'sharding', 'planner', 'torchrec', 'recommendation'],
  'dlrm-model': ['dlrm', 'recommendation', 'criteo', 'ctr', 'embedding'],
  'simplicial-attention': ['attention', '2-simplicial', 'trilinear', 'transformer', 'llm'],
};

const ORDER_AFTER = ['name', 'version', 'private', 'description', 'keywords', 'homepage', 'bugs', 'repository', 'license', 'author'];

function expected(dir, pkg) {
  const own = (pkg.keywords ?? []).filter((k) => !SHARED_KEYWORDS.includes(k));
  const keywords = [...SHARED_KEYWORDS, ...(own.length > 0 ? own : (DEFAULT_KEYWORDS[dir] ?? []))];
  return {
    keywords,
    homepage: `${web}/tree/main/packages/${dir}#readme`,
    bugs: { url: `${web}/issues` },
    repository: { type: 'git', url: repoUrl, directory: `packages/${dir}` },
    license: rootPkg.license,
    ...(rootPkg.author ? { author: rootPkg.author } : {}),
  };
}

/** Rewrites the metadata fields in place, keeping the position of the fields that already exist. */
export function withMetadata(dir, text) {
  const pkg = JSON.parse(text);
  const want = expected(dir, pkg);
  const out = {};
  const placed = new Set();
  for (const [k, v] of Object.entries(pkg)) {
    if (k in want) {
      out[k] = want[k];
      placed.add(k);
    } else {
      out[k] = v;
    }
    // Insert the missing metadata right after the leading identity fields.
    if (k === 'description') {
      for (const m of ORDER_AFTER) {
        if (m in want && !(m in pkg)) {
          out[m] = want[m];
          placed.add(m);
        }
      }
    }
  }
  for (const m of Object.keys(want)) if (!placed.has(m)) out[m] = want[m];
  return `${JSON.stringify(out, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const write = process.argv.includes('--write');
  const stale = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const file = join(root, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const next = withMetadata(dir, text);
    if (next !== text) {
      stale.push(dir);
      if (write) writeFileSync(file, next);
    }
  }
  if (stale.length === 0) console.log('package metadata: every package is up to date');
  else console.log(`package metadata: ${write ? 'rewrote' : 'out of date:'} ${stale.join(', ')}`);
  process.exit(!write && stale.length > 0 ? 1 : 0);
}
