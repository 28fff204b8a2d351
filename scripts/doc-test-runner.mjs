// Runs the compiled doc examples of one package in this one Node process (see doc-test.ts): each example is an ES
// module imported in turn; `__docCheck(i, value)` records the value of the statement that ends in `// → expected`,
// and this runner compares it. Usage: node doc-test-runner.mjs <manifest.json> <results.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';

const [manifestPath, outPath] = process.argv.slice(2);
const items = JSON.parse(readFileSync(manifestPath, 'utf8'));
const TIMEOUT_MS = 60_000;

// Each example must set up its own backend, as a fresh program would. tfjs keeps one global engine, so before
// every example the active backend is unset, and the engine's automatic pick from the registry (what would mask a
// missing `await initBackend()`) throws until the example selects a backend itself (initBackend → tf.setBackend).
const engine = tf.engine();
let backendChosen = false;
const missing = () =>
  new Error('No backend found in registry. (doc test: a tensor op ran before the example chose a backend; add `await initBackend();`)');
const setBackend = engine.setBackend.bind(engine);
engine.setBackend = (name) => {
  backendChosen = true;
  return setBackend(name);
};
const best = engine.initializeBackendsAndReturnBest.bind(engine);
engine.initializeBackendsAndReturnBest = () => {
  if (!backendChosen) throw missing();
  return best();
};
const ready = engine.ready.bind(engine);
engine.ready = () => (backendChosen || engine.backendInstance != null ? ready() : Promise.reject(missing()));
function unsetBackend() {
  backendChosen = false;
  engine.backendInstance = null;
  engine.backendName = null;
}

let current = null;
globalThis.__docCheck = (index, value, printed = false) => {
  if (current) current.values.set(index, printed ? { printed: true, value } : { value });
  return value;
};
process.on('unhandledRejection', (e) => {
  if (current) current.late ??= e;
});
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  console[level] = (...args) => {
    if (current) current.output += `${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}\n`;
  };
}

const TYPED = /^(Int8|Uint8|Uint8Clamped|Int16|Uint16|Int32|Uint32|Float32|Float64|BigInt64|BigUint64)Array\s*(\[[\s\S]*)$/;

/** Rewrites Node's printed form of typed arrays nested in a value (`[1, Int32Array [2, 1]]`) into JS. */
function typedToJs(text) {
  let out = '';
  let i = 0;
  for (const m of text.matchAll(/\b((?:Int8|Uint8|Uint8Clamped|Int16|Uint16|Int32|Uint32|Float32|Float64)Array)\s*\[/g)) {
    if (m.index < i) continue;
    let depth = 0;
    let j = m.index + m[0].length - 1;
    for (; j < text.length; j++) {
      if (text[j] === '[') depth++;
      else if (text[j] === ']' && --depth === 0) break;
    }
    if (j >= text.length) return text;
    out += `${text.slice(i, m.index)}${m[1]}.from(${text.slice(m.index + m[0].length - 1, j + 1)})`;
    i = j + 1;
  }
  return out + text.slice(i);
}

/** Parses the text after `// →`: the longest prefix that is a JS expression (a trailing explanation is dropped). */
function parseExpected(text) {
  const approx = /^≈\s*(-?\d+(?:\.(\d+))?)/.exec(text);
  if (approx) return { kind: 'approx', value: Number(approx[1]), decimals: approx[2]?.length ?? 0 };
  const typed = TYPED.exec(text);
  if (typed) {
    const inner = parseExpected(typed[2]);
    return inner && inner.kind === 'value' ? { kind: 'typed', ctor: `${typed[1]}Array`, value: inner.value } : null;
  }
  const cuts = [text.length];
  for (let i = text.length - 1; i > 0; i--) if (/\s/.test(text[i])) cuts.push(i);
  for (const cut of cuts) {
    const candidate = text.slice(0, cut).trim();
    if (!candidate) continue;
    try {
      return { kind: 'value', value: new Function(`return (${typedToJs(candidate)});`)(), text: candidate };
    } catch {
      // try a shorter prefix
    }
  }
  return null;
}

function normalize(v) {
  if (v && typeof v === 'object') {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v, (x) => (typeof x === 'bigint' ? x : x));
    if (typeof v.arraySync === 'function' && Array.isArray(v.shape)) return v.arraySync(); // a tfjs Tensor
    if (Array.isArray(v)) return v.map(normalize);
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, normalize(x)]));
    const o = {};
    for (const k of Object.keys(v)) o[k] = normalize(v[k]);
    return o;
  }
  return v;
}

function equal(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (a instanceof Map || b instanceof Map) {
    return a instanceof Map && b instanceof Map && a.size === b.size && [...a].every(([k, x]) => b.has(k) && equal(x, b.get(k)));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return Object.is(a, b) || a === b;
}

function compare(recorded, text) {
  const actual = recorded.value;
  // A printed string reads without quotes: `console.log(names.join(', ')); // → a, b`.
  if (recorded.printed && typeof actual === 'string' && (text === actual || text.startsWith(`${actual} (`))) return true;
  const exp = parseExpected(text);
  if (!exp) return `cannot parse the expected value "${text}"`;
  if (exp.kind === 'approx') {
    const tol = 0.5 * 10 ** -exp.decimals + 1e-12;
    return typeof actual === 'number' && Math.abs(actual - exp.value) <= tol ? true : `expected ${text}, got ${inspect(actual)}`;
  }
  if (exp.kind === 'typed' && actual?.constructor?.name !== exp.ctor) {
    return `expected a ${exp.ctor}, got ${inspect(actual)}`;
  }
  return equal(normalize(actual), normalize(exp.value)) ? true : `expected ${text}, got ${inspect(actual, { depth: 4 })}`;
}

const results = [];
for (const item of items) {
  current = { values: new Map(), output: '', late: undefined };
  unsetBackend();
  const t0 = performance.now();
  let error;
  let timer;
  try {
    await Promise.race([
      import(pathToFileURL(item.file).href),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    clearTimeout(timer);
  }
  await new Promise((r) => setImmediate(r));
  if (!error && current.late) error = `unhandled rejection: ${current.late}`;
  let checks = 0;
  for (const exp of item.expectations) {
    if (error) break;
    if (!current.values.has(exp.index)) {
      error = `line ${exp.line}: the statement with "// → ${exp.text}" did not run`;
      break;
    }
    const verdict = compare(current.values.get(exp.index), exp.text);
    if (verdict === true) checks++;
    else error = `line ${exp.line}: ${verdict}`;
  }
  results.push({ id: item.id, ok: !error, checks, error, output: error ? current.output : undefined, ms: performance.now() - t0 });
}
current = null;
writeFileSync(outPath, JSON.stringify(results));
process.exit(0);
