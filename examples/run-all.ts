// Runs every example (each folder here with an index.ts) in its own process, one after another, and fails if
// any of them fails. `npm run examples -- <name>` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const examples = readdirSync(here)
  .filter((d) => statSync(join(here, d)).isDirectory() && existsSync(join(here, d, 'index.ts')))
  .filter((d) => only.length === 0 || only.includes(d))
  .sort();
if (examples.length === 0) {
  console.error(`no example matched ${only.join(', ')}`);
  process.exit(1);
}
const failed: string[] = [];
for (const name of examples) {
  console.log(`\n━━━ example: ${name} ━━━`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, name, 'index.ts')], { stdio: 'inherit', cwd: join(here, name) });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status === 0) console.log(`━━━ ${name}: ok (${s} s)`);
  else {
    console.log(`━━━ ${name}: FAILED (exit ${r.status ?? r.signal}, ${s} s)`);
    failed.push(name);
  }
}
console.log(
  `\n${examples.length - failed.length} of ${examples.length} examples passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
);
process.exit(failed.length ? 1 : 0);
