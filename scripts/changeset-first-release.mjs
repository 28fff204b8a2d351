// First release convention: every package starts at 0.1.0 and its first publish is 0.1.0 (changesets would turn a
// `minor` changeset on 0.1.0 into 0.2.0). Until a package has been published, its pending changesets describe that
// first release: this script folds them into the `## 0.1.0` section of the package's CHANGELOG.md and deletes them,
// leaving the version at 0.1.0; `npx changeset publish` then publishes 0.1.0. After the first publish the usual
// flow applies (`npx changeset version`, then `npx changeset publish`) and this script refuses to touch the package.
// Private packages (not landed yet) are left alone: their changesets wait until the package is made public.
//
//   node scripts/changeset-first-release.mjs [--dry-run]
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dry = process.argv.includes('--dry-run');
const FIRST = '0.1.0';

const packages = new Map();
for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (existsSync(file)) packages.set(JSON.parse(readFileSync(file, 'utf8')).name, { dir, ...JSON.parse(readFileSync(file, 'utf8')) });
}

function changelogPath(pkg) {
  return join(root, 'packages', pkg.dir, 'CHANGELOG.md');
}

/** True while the package's changelog has no section other than the first release. */
function unreleased(pkg) {
  if (pkg.version !== FIRST) return false;
  const file = changelogPath(pkg);
  if (!existsSync(file)) return true;
  return [...readFileSync(file, 'utf8').matchAll(/^## (\S+)/gm)].every((m) => m[1] === FIRST);
}

function parse(text) {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) return null;
  const bumps = [...m[1].matchAll(/^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/gm)].map((x) => x[1]);
  return { names: bumps, body: m[2].trim() };
}

const dir = join(root, '.changeset');
let folded = 0;
const errors = [];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .sort()) {
  const cs = parse(readFileSync(join(dir, file), 'utf8'));
  if (!cs) {
    errors.push(`${file}: no front matter`);
    continue;
  }
  const pkgs = cs.names.map((n) => packages.get(n));
  if (pkgs.some((p) => !p)) {
    errors.push(`${file}: names an unknown package`);
    continue;
  }
  if (pkgs.some((p) => p.private)) continue; // waits until the package is public
  if (!pkgs.every(unreleased)) continue; // a later release: `changeset version` handles it
  for (const p of pkgs) {
    const path = changelogPath(p);
    const entry = `- ${cs.body.replace(/\n/g, '\n  ').replace(/[ ]+\n/g, '\n')}\n`;
    let text = existsSync(path) ? readFileSync(path, 'utf8') : `# ${p.name}\n\n## ${FIRST}\n`;
    text = `${text.trimEnd()}\n\n${entry}`;
    if (!dry) writeFileSync(path, text);
  }
  if (!dry) rmSync(join(dir, file));
  folded++;
  console.log(`${dry ? 'would fold' : 'folded'} ${file} into ${pkgs.map((p) => `${p.dir}/CHANGELOG.md`).join(', ')}`);
}
for (const e of errors) console.error(`changeset-first-release: ${e}`);
console.log(`changeset-first-release: ${folded} changeset(s) ${dry ? 'to fold' : 'folded'} into ${FIRST}`);
process.exit(errors.length > 0 ? 1 : 0);
