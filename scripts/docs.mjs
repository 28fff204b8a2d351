// API reference: one TypeDoc site for every public package (one entry point each: its src/index.ts), written to
// docs/api/ (gitignored). Private packages, whose code has not landed, are left out. Warnings fail the build.
//
//   npm run docs                      then open docs/api/index.html
//   node scripts/docs.mjs core mx-formats    only these packages
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const only = process.argv.slice(2); // optional package folder names: document only these
const web = rootPkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const packages = readdirSync(join(root, 'packages'))
  .sort()
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'index.ts')))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private)
  .filter((dir) => only.length === 0 || only.some((name) => dir.endsWith(`/packages/${name}`)));

const options = {
  $schema: 'https://typedoc.org/schema.json',
  name: 'tessera',
  entryPointStrategy: 'packages',
  entryPoints: packages,
  // Each package is converted on its own with these options; a package's own typedoc.json adds to them (e.g. its
  // `intentionallyNotExported` aliases, shown by name but not documented separately).
  packageOptions: {
    entryPoints: ['src/index.ts'],
    // The READMEs link to this site with relative paths that only exist once it is built; the module pages list
    // the API instead of repeating the README.
    readme: 'none',
    // Type errors are the typecheck task's business; the docs only need the declarations.
    skipErrorChecking: true,
    excludePrivate: true,
    excludeInternal: true,
    // Sources link to the repository (the working copy may have no usable git remote).
    disableGit: true,
    gitRevision: 'main',
    sourceLinkTemplate: `${web}/blob/{gitRevision}/{path}#L{line}`,
  },
  out: join(root, 'docs', 'api'),
  readme: 'none',
  treatWarningsAsErrors: true,
  excludePrivate: true,
  excludeInternal: true,
};
const dir = mkdtempSync(join(tmpdir(), 'tessera-typedoc-'));
const config = join(dir, 'typedoc.json');
writeFileSync(config, JSON.stringify(options, null, 2));
try {
  execFileSync(join(root, 'node_modules', '.bin', 'typedoc'), ['--options', config], { cwd: root, stdio: 'inherit' });
  console.log(`API docs for ${packages.length} packages: docs/api/index.html`);
} catch {
  console.error('npm run docs: TypeDoc reported warnings or errors (above); the site must build without any');
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
