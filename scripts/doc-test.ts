// Doc test: every ```ts block of the root and package READMEs and every TSDoc `@example` of every package's src/
// (packages are discovered, not listed) is extracted, type-checked as a module against the built packages, compiled
// to JavaScript and run as written, one package per Node process, each example as its own ES module (its own scope;
// tfjs state is shared, as in a user's program). A statement ending in `// → value` is checked: an expression
// statement against its value, `const x = ...` against x, `console.log(x)` against x (compared as printed when the
// expected text is not a JS value). Values compare with deep equality after normalising
// typed arrays (`Uint16Array [0x3c00]`), and `≈ 31.5` compares to the printed number of decimals. A trailing
// `(explanation)` after the value is ignored.
//
// Usage: tsx scripts/doc-test.ts [--no-typecheck] [--filter <package-dir-substring>] [--list] [--keep] [--json <file>]
// The packages must be built (`npm run test:docs` builds them first through turbo's cache).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'node_modules', '.cache', 'doc-test');
const args = process.argv.slice(2);
const filter = args.includes('--filter') ? args[args.indexOf('--filter') + 1] : undefined;
const typecheck = !args.includes('--no-typecheck');

interface Example {
  id: string; // e.g. core/src/bits.ts:15
  pkg: string; // package dir name, or 'root'
  private: boolean; // a package not published yet: its failures are reported but do not fail the run
  file: string;
  line: number; // 1-based line of the first code line in the file
  code: string;
  skip?: string;
}

// ---------------------------------------------------------------------------------------------- extraction

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.tsx?$/.test(name) && !/\.(test|spec|d)\.tsx?$|\.d\.ts$/.test(name)) out.push(p);
  }
  return out;
}

function fencedBlocks(text: string, file: string, pkg: string): Example[] {
  const lines = text.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    out.push(example(pkg, file, start + 1, lines.slice(start, j).join('\n')));
    i = j;
  }
  return out;
}

function tsdocExamples(text: string, file: string, pkg: string): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // A one-line `@example \`kjt.dispose()\`` is a fragment that names values from its context: counted, not run.
    const inline = /@example\s+`([^`]+)`/.exec(lines[i]);
    if (inline) {
      out.push({ ...example(pkg, file, i + 1, inline[1]), skip: 'inline fragment' });
      continue;
    }
    if (!/^\s*\*\s*@example\b/.test(lines[i])) continue;
    // The example runs until the next tag or the end of the comment; a ```ts fence inside it is unwrapped.
    const body: { text: string; line: number }[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (/^\s*\*\//.test(lines[j]) || /^\s*\*\s*@\w+/.test(lines[j])) break;
      body.push({ text: lines[j].replace(/^\s*\* ?/, ''), line: j + 1 });
    }
    const fenceStart = body.findIndex((b) => /^```(ts|typescript)?\s*$/.test(b.text));
    let code = body;
    if (fenceStart >= 0) {
      const fenceEnd = body.findIndex((b, k) => k > fenceStart && /^```\s*$/.test(b.text));
      code = body.slice(fenceStart + 1, fenceEnd < 0 ? body.length : fenceEnd);
    }
    if (code.length > 0) out.push(example(pkg, file, code[0].line, code.map((b) => b.text).join('\n')));
    i = j - 1;
  }
  return out;
}

function example(pkg: string, file: string, line: number, code: string): Example {
  const pj = join(root, 'packages', pkg, 'package.json');
  const isPrivate = pkg !== 'root' && existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).private === true;
  const skip = /^\s*\/\/\s*doc-test:\s*skip\b(.*)$/m.exec(code);
  return {
    id: `${relative(root, file)}:${line}`,
    pkg,
    private: isPrivate,
    file,
    line,
    code,
    skip: skip ? skip[1].trim() || 'marked skip' : undefined,
  };
}

function discover(): Example[] {
  const out: Example[] = [];
  const readme = join(root, 'README.md');
  if (existsSync(readme)) out.push(...fencedBlocks(readFileSync(readme, 'utf8'), readme, 'root'));
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', pkg);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const r = join(dir, 'README.md');
    if (existsSync(r)) out.push(...fencedBlocks(readFileSync(r, 'utf8'), r, pkg));
    if (existsSync(join(dir, 'src'))) {
      for (const f of walk(join(dir, 'src')).sort()) out.push(...tsdocExamples(readFileSync(f, 'utf8'), f, pkg));
    }
  }
  return filter ? out.filter((e) => e.pkg.includes(filter) || e.id.includes(filter)) : out;
}

// ---------------------------------------------------------------------------------------------- rewriting

interface Expectation {
  index: number;
  line: number; // line within the example
  text: string; // the expected value as written
}

/** The source of the single argument of a `console.log(x)` call, or undefined for any other expression. */
function loggedArgument(e: ts.Expression, sf: ts.SourceFile): string | undefined {
  if (!ts.isCallExpression(e) || e.arguments.length !== 1) return undefined;
  return e.expression.getText(sf) === 'console.log' ? e.arguments[0].getText(sf) : undefined;
}

/**
 * Rewrites the top-level statements that end in `// → value` into checks. Returns TypeScript source.
 */
function instrument(ex: Example): { source: string; expectations: Expectation[] } {
  const sf = ts.createSourceFile('x.ts', ex.code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  const expectations: Expectation[] = [];
  const lineStarts = sf.getLineStarts();
  for (const st of sf.statements) {
    const endLine = sf.getLineAndCharacterOfPosition(st.getEnd()).line;
    const lineEnd = endLine + 1 < lineStarts.length ? lineStarts[endLine + 1] - 1 : ex.code.length;
    const rest = ex.code.slice(st.getEnd(), lineEnd);
    const m = /^\s*\/\/\s*→\s*(.+)$/.exec(rest);
    if (!m) continue;
    const index = expectations.length;
    expectations.push({ index, line: endLine + 1, text: m[1].trim() });
    const logged = ts.isExpressionStatement(st) ? loggedArgument(st.expression, sf) : undefined;
    if (logged !== undefined) {
      // `console.log(x); // → v` documents what is printed: check x, and still print it.
      edits.push({ start: st.getStart(sf), end: st.getEnd(), text: `console.log(__docCheck(${index}, (${logged}), true));` });
    } else if (ts.isExpressionStatement(st)) {
      const expr = st.expression.getText(sf);
      edits.push({ start: st.getStart(sf), end: st.getEnd(), text: `__docCheck(${index}, (${expr}));` });
    } else if (ts.isVariableStatement(st) && st.declarationList.declarations.length === 1) {
      const name = st.declarationList.declarations[0].name;
      if (ts.isIdentifier(name)) edits.push({ start: st.getEnd(), end: st.getEnd(), text: ` __docCheck(${index}, ${name.text});` });
      else expectations.pop();
    } else {
      expectations.pop();
    }
  }
  let source = ex.code;
  for (const e of edits.sort((a, b) => b.start - a.start)) source = source.slice(0, e.start) + e.text + source.slice(e.end);
  return { source, expectations };
}

// ---------------------------------------------------------------------------------------------- type check

function typeCheck(files: { ex: Example; path: string }[]): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    esModuleInterop: true,
    types: ['node'],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  };
  const program = ts.createProgram(
    files.map((f) => f.path),
    options,
  );
  const byPath = new Map(files.map((f) => [f.path, f.ex]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const ex = d.file ? byPath.get(d.file.fileName) : undefined;
    if (!ex || !d.file || d.start === undefined) continue;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const list = errors.get(ex.id) ?? [];
    list.push(`line ${ex.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    errors.set(ex.id, list);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------- main

interface Result {
  id: string;
  ok: boolean;
  checks: number;
  error?: string;
  output?: string;
  ms?: number;
}

const examples = discover();
if (args.includes('--list')) {
  for (const e of examples) console.log(`${e.id}${e.skip ? ` (skip: ${e.skip})` : ''}`);
  process.exit(0);
}
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const byPkg = new Map<string, { ex: Example; js: string; expectations: Expectation[] }[]>();
const tsFiles: { ex: Example; path: string }[] = [];
const compileErrors = new Map<string, string>();
const t0 = performance.now();
examples.forEach((ex, n) => {
  if (ex.skip) return;
  const name = `${String(n).padStart(4, '0')}-${ex.pkg}`;
  const tsPath = join(work, `${name}.ts`);
  // `export {}` makes each example a module (its own scope, top-level await allowed).
  writeFileSync(tsPath, `${ex.code}\nexport {};\n`);
  tsFiles.push({ ex, path: tsPath });
  const { source, expectations } = instrument(ex);
  try {
    const js = transformSync(`${source}\nexport {};\n`, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: ex.id }).code;
    const jsPath = join(work, `${name}.mjs`);
    writeFileSync(jsPath, js);
    const list = byPkg.get(ex.pkg) ?? [];
    list.push({ ex, js: jsPath, expectations });
    byPkg.set(ex.pkg, list);
  } catch (e) {
    compileErrors.set(ex.id, (e as Error).message.split('\n').slice(0, 3).join(' '));
  }
});
const typeErrors = typecheck ? typeCheck(tsFiles) : new Map<string, string[]>();
const tCheck = performance.now();

const results: Result[] = [];
for (const [id, msg] of compileErrors) results.push({ id, ok: false, checks: 0, error: `compile: ${msg}` });
for (const [pkg, list] of byPkg) {
  const manifest = join(work, `${pkg}.json`);
  writeFileSync(manifest, JSON.stringify(list.map((l) => ({ id: l.ex.id, file: l.js, expectations: l.expectations }))));
  const out = join(work, `${pkg}.results.json`);
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'doc-test-runner.mjs'), manifest, out], {
    cwd: work,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, TESSERA_DOC_TEST: '1' },
  });
  if (existsSync(out)) {
    results.push(...(JSON.parse(readFileSync(out, 'utf8')) as Result[]));
  } else {
    const why = `runner for ${pkg} exited with ${r.status ?? r.signal}: ${(r.stderr || '').split('\n').slice(-5).join(' ')}`;
    for (const l of list) results.push({ id: l.ex.id, ok: false, checks: 0, error: why });
  }
}
for (const r of results) {
  const te = typeErrors.get(r.id);
  if (te && r.ok) {
    r.ok = false;
    r.error = `type errors: ${te.join('; ')}`;
  } else if (te) {
    r.error = `${r.error}; type errors: ${te.join('; ')}`;
  }
}

// ---------------------------------------------------------------------------------------------- report

const skipped = examples.filter((e) => e.skip && e.skip !== 'inline fragment');
const fragments = examples.filter((e) => e.skip === 'inline fragment');
const failed = results.filter((r) => !r.ok);
const privateIds = new Set(examples.filter((e) => e.private).map((e) => e.id));
const fatal = failed.filter((r) => !privateIds.has(r.id));
const perPkg = new Map<string, { total: number; failed: number; checks: number }>();
for (const ex of examples.filter((e) => !e.skip)) {
  const s = perPkg.get(ex.pkg) ?? { total: 0, failed: 0, checks: 0 };
  s.total++;
  perPkg.set(ex.pkg, s);
}
for (const r of results) {
  const pkg = examples.find((e) => e.id === r.id)!.pkg;
  const s = perPkg.get(pkg)!;
  s.checks += r.checks;
  if (!r.ok) s.failed++;
}
for (const f of failed) {
  console.log(`✗ ${f.id}\n    ${f.error?.replace(/\n/g, '\n    ')}`);
  if (f.output) console.log(`    output: ${f.output.slice(0, 400).replace(/\n/g, '\n    ')}`);
}
console.log('\ndoc test: package         examples  failed  checked values  inline fragments (not run)');
for (const [pkg, s] of perPkg) {
  const note = examples.some((e) => e.pkg === pkg && e.private) ? '  (private: not fatal)' : '';
  const frag = fragments.filter((e) => e.pkg === pkg).length;
  console.log(
    `  ${pkg.padEnd(24)} ${String(s.total).padStart(8)} ${String(s.failed).padStart(7)} ${String(s.checks).padStart(15)} ${String(frag).padStart(27)}${note}`,
  );
}
const checks = results.reduce((a, r) => a + r.checks, 0);
console.log(
  `doc test: ${results.length - failed.length}/${results.length} examples passed, ${fatal.length} fatal failures (${checks} \`// →\` values checked, ` +
    `${skipped.length} marked skip, ${fragments.length} one-line inline fragments not run), type-check ${typecheck ? `${((tCheck - t0) / 1000).toFixed(1)} s` : 'off'}, ` +
    `total ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
if (args.includes('--json')) {
  const code = new Map(examples.map((e) => [e.id, e.code]));
  writeFileSync(
    args[args.indexOf('--json') + 1],
    JSON.stringify(
      results.map((r) => ({ ...r, code: code.get(r.id) })),
      null,
      1,
    ),
  );
}
if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
process.exit(fatal.length > 0 ? 1 : 0);
