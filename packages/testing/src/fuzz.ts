// The fuzz harness every tessera package runs in `npm test` (test/fuzz.test.ts). The contract it checks is the one
// every README promises: a public function answers any input with a valid result or a TesseraError with a stable
// code, in bounded time, and leaves the live tensor count as it found it (on the error path and, once its result is
// disposed, on the success path).
import * as tf from '@tensorflow/tfjs-core';
import { describe as describeValue, TESSERA_ERROR_CODES } from '@tessera/core';
import fc from 'fast-check';
import { HostileValueError, isLazyValue, isTensorSpec, type TensorSpec } from './fuzz-arbitraries.js';

/** Options of {@link fuzzPublicFunction} and {@link fuzzLoader}. */
export interface FuzzOptions {
  /** Random cases (default 100). */
  numRuns?: number;
  /** Wall-clock budget of one call in ms (default 2000; generous because CI machines are shared). */
  timeBudgetMs?: number;
  /** Stop generating new cases after this many ms for the whole function (default 4000). */
  totalBudgetMs?: number;
  /** fast-check seed (default: a fixed seed, so CI runs are reproducible). */
  seed?: number;
  /** Extra check of a returned value; throw or return false when it is not valid. */
  check?: (result: unknown, args: readonly unknown[]) => boolean | undefined;
  /** Check the live tensor count after a successful call too (default true; its result is disposed first). */
  leakCheckOnSuccess?: boolean;
}

/** One broken promise found by the harness. */
export interface FuzzFailure {
  kind: 'foreign-error' | 'leak' | 'slow' | 'invalid-result';
  detail: string;
  args: string;
}

/** What one fuzzed function went through. */
export interface FuzzReport {
  name: string;
  cases: number;
  failures: FuzzFailure[];
  ms: number;
}

// Fixed so that CI runs are reproducible; set TESSERA_FUZZ_SEED to explore other cases locally.
const DEFAULT_SEED = Number(globalThis.process?.env?.TESSERA_FUZZ_SEED) || 0x7e55e7a;

/** Whether `e` is a TesseraError with a known code (by name and code, so core's own sources and its dist agree). */
export function isTesseraError(e: unknown): boolean {
  return (
    e instanceof Error &&
    e.name === 'TesseraError' &&
    (TESSERA_ERROR_CODES as readonly string[]).includes((e as { code?: string }).code as string)
  );
}

function isTensor(v: unknown): v is tf.Tensor {
  return typeof v === 'object' && v !== null && 'dataId' in v && 'dtype' in v && 'shape' in v && 'isDisposed' in v;
}

/** Every tensor reachable from `v` through arrays and own enumerable fields (bounded walk). */
export function collectTensors(v: unknown, out: Set<tf.Tensor> = new Set(), depth = 0, seen: Set<object> = new Set()): Set<tf.Tensor> {
  if (typeof v !== 'object' || v === null || depth > 6) return out;
  if (isTensor(v)) {
    out.add(v);
    return out;
  }
  if (seen.has(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return out;
  seen.add(v);
  if (Array.isArray(v)) {
    const n = Math.min(v.length, 10_000);
    for (let i = 0; i < n; i++) collectTensors(v[i], out, depth + 1, seen);
    return out;
  }
  if (v instanceof Map) {
    for (const x of v.values()) collectTensors(x, out, depth + 1, seen);
    return out;
  }
  let keys: string[];
  try {
    keys = Object.keys(v);
  } catch {
    return out;
  }
  for (const k of keys.slice(0, 1000)) {
    let x: unknown;
    try {
      x = (v as Record<string, unknown>)[k];
    } catch {
      continue;
    }
    collectTensors(x, out, depth + 1, seen);
  }
  return out;
}

function fillData(s: TensorSpec, n: number): Float32Array | Int32Array | Uint8Array {
  let st = (s.seed | 0) + 0x9e3779b9;
  const next = () => {
    st = (st + 0x6d2b79f5) | 0;
    let t = Math.imul(st ^ (st >>> 15), 1 | st);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  if (s.dtype === 'bool') return Uint8Array.from({ length: n }, () => (next() < 0.5 ? 1 : 0));
  if (s.dtype === 'int32') {
    return Int32Array.from({ length: n }, () =>
      s.fill === 'zero' ? 0 : s.fill === 'huge' ? (next() < 0.5 ? 2147483647 : -2147483648) : Math.floor(next() * 10) - 2,
    );
  }
  return Float32Array.from({ length: n }, () => {
    switch (s.fill) {
      case 'zero':
        return 0;
      case 'nan':
        return next() < 0.3 ? Number.NaN : next() < 0.5 ? Number.POSITIVE_INFINITY : next() * 4 - 2;
      case 'huge':
        return (next() < 0.5 ? -1 : 1) * 3.4e38 * next();
      case 'small-int':
        return Math.floor(next() * 10) - 2;
      default:
        return (next() - 0.5) * 8;
    }
  });
}

function makeTensor(s: TensorSpec): tf.Tensor {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const t = n === 0 ? tf.zeros(s.shape as number[], s.dtype) : tf.tensor(fillData(s, n), s.shape as number[], s.dtype);
  if (s.disposed) t.dispose();
  return t;
}

/** Replaces tensor specs and lazy values (in arrays and plain objects, depth <= 4) by real values; never mutates. */
function materialize(v: unknown, made: unknown[], depth = 0): unknown {
  if (isTensorSpec(v)) {
    const t = makeTensor(v);
    made.push(t);
    return t;
  }
  if (isLazyValue(v)) {
    const x = v.make();
    made.push(x);
    return x;
  }
  if (depth >= 4 || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    if (v.length > 64) return v;
    let changed = false;
    const out = v.map((x) => {
      const y = materialize(x, made, depth + 1);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? out : v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    const y = materialize(x, made, depth + 1);
    if (y !== x) changed = true;
    out[k] = y;
  }
  return changed ? out : v;
}

function disposeAll(ts: Iterable<tf.Tensor>): void {
  for (const t of ts) if (!t.isDisposed) t.dispose();
}

function show(args: readonly unknown[]): string {
  return args
    .map((a) => (isTensor(a) ? `Tensor(${a.dtype}, [${a.shape.join(', ')}]${a.isDisposed ? ', disposed' : ''})` : describeValue(a)))
    .join(' | ');
}

/**
 * Runs one call under the contract and returns what it broke (null when nothing). `args` may hold tensor specs and
 * lazy values; they are built first and disposed afterwards, with whatever the call returned. Tensors passed in
 * directly stay the caller's: they are neither disposed nor counted.
 */
export async function runFuzzCase(
  fn: (...args: unknown[]) => unknown,
  rawArgs: readonly unknown[],
  o: FuzzOptions = {},
): Promise<FuzzFailure | null> {
  const { timeBudgetMs = 2000, check, leakCheckOnSuccess = true } = o;
  const base = tf.memory().numTensors;
  const made: unknown[] = [];
  let args: unknown[];
  try {
    args = materialize(rawArgs, made) as unknown[];
  } catch (e) {
    disposeAll(collectTensors(made));
    throw new Error(`fuzz: building the arguments failed (a bug in the fuzz test, not in the function): ${String(e)}`);
  }
  const inputs = collectTensors(args);
  for (const m of made) collectTensors(m, inputs);
  // Only what the harness built from specs and lazy values is its to dispose: a tensor the caller passed in directly
  // was live before `base` and stays the caller's.
  const owned = new Set<tf.Tensor>();
  for (const m of made) collectTensors(m, owned);
  const before = tf.memory().numTensors;
  const shown = () => show(rawArgs.map((a, i) => (isTensorSpec(a) || isLazyValue(a) ? args[i] : a)));
  const t0 = performance.now();
  let failure: FuzzFailure | null = null;
  let result: unknown;
  let threw = false;
  try {
    result = fn(...args);
    if (result instanceof Promise) result = await result;
  } catch (e) {
    threw = true;
    if (!isTesseraError(e) && !(e instanceof HostileValueError)) {
      const err = e as Error;
      failure = { kind: 'foreign-error', detail: `${err?.name ?? typeof e}: ${describeValue(err?.message ?? e)}`, args: shown() };
    } else {
      const after = tf.memory().numTensors;
      if (after !== before)
        failure = {
          kind: 'leak',
          detail: `a TesseraError path leaked ${after - before} tensor(s): ${(e as Error).message}`,
          args: shown(),
        };
    }
  }
  const ms = performance.now() - t0;
  if (!failure && ms > timeBudgetMs)
    failure = { kind: 'slow', detail: `took ${ms.toFixed(0)} ms (budget ${timeBudgetMs} ms)`, args: shown() };
  const produced = threw ? new Set<tf.Tensor>() : collectTensors(result);
  if (!failure && !threw) {
    for (const t of produced) {
      if (t.isDisposed && !inputs.has(t)) {
        failure = { kind: 'invalid-result', detail: 'the result holds a disposed tensor', args: shown() };
        break;
      }
    }
    if (!failure && check) {
      try {
        if (check(result, args) === false) failure = { kind: 'invalid-result', detail: 'check returned false', args: shown() };
      } catch (e) {
        failure = { kind: 'invalid-result', detail: `check threw ${String(e)}`, args: shown() };
      }
    }
  }
  for (const t of produced) if (!inputs.has(t) && !t.isDisposed) t.dispose();
  disposeAll(owned);
  const after = tf.memory().numTensors;
  if (!failure && !threw && leakCheckOnSuccess && after !== base)
    failure = { kind: 'leak', detail: `after disposing its result, ${after - base} tensor(s) remain`, args: shown() };
  // Whatever happened, leave the count where it was so one failure does not cascade into the next cases.
  return failure;
}

function toArgsArb(argArbs: fc.Arbitrary<unknown>[] | fc.Arbitrary<readonly unknown[]>): fc.Arbitrary<readonly unknown[]> {
  return Array.isArray(argArbs) ? (fc.tuple(...argArbs) as fc.Arbitrary<readonly unknown[]>) : argArbs;
}

/**
 * Fuzzes one public function: `numRuns` argument lists from `argArbs` (one arbitrary per argument, or one arbitrary
 * of argument lists), each call checked by {@link runFuzzCase}. Failing cases are shrunk by fast-check; the report
 * keeps the smallest one found.
 *
 * @example
 * ```ts
 * import { initBackend } from '@tessera/core';
 * import { fuzzPublicFunction, hostileValueArb } from '@tessera/testing';
 * await initBackend();
 * const length = (s: unknown) => (typeof s === 'string' ? s.length : 0);
 * const report = await fuzzPublicFunction('length', length, [hostileValueArb()], { numRuns: 20 });
 * report.cases; // → 20
 * ```
 */
export async function fuzzPublicFunction(
  name: string,
  fn: (...args: never[]) => unknown,
  argArbs: fc.Arbitrary<unknown>[] | fc.Arbitrary<readonly unknown[]>,
  o: FuzzOptions = {},
): Promise<FuzzReport> {
  const { numRuns = 100, totalBudgetMs = 4000, seed = DEFAULT_SEED } = o;
  const t0 = performance.now();
  let cases = 0;
  let last: FuzzFailure | null = null;
  const prop = fc.asyncProperty(toArgsArb(argArbs), async (args) => {
    cases++;
    const f = await runFuzzCase(fn as (...a: unknown[]) => unknown, args, o);
    if (f) {
      last = f;
      return false;
    }
    return true;
  });
  await fc.check(prop, { numRuns, seed, interruptAfterTimeLimit: totalBudgetMs, markInterruptAsFailure: false, endOnFailure: false });
  const failures = last ? [last] : [];
  return { name, cases, failures, ms: performance.now() - t0 };
}

/**
 * Hostile safetensors files built from scratch: deep JSON values in every position, header lengths past the end or
 * near 2^64, non-object headers, huge shapes with tiny buffers, offsets out of order, unknown dtypes, `__proto__`
 * names, non-string metadata, invalid UTF-8. `names` are the tensor names the loader expects (to get past the first
 * lookup), `metadata` a valid `__metadata__` to start from.
 *
 * @example
 * ```ts
 * import { hostileSafetensorsFiles } from '@tessera/testing';
 * hostileSafetensorsFiles(['values'], { format: 'x' }).length > 10; // → true
 * ```
 */
export function hostileSafetensorsFiles(names: readonly string[] = ['t'], metadata: Record<string, string> = {}): Uint8Array[] {
  const enc = new TextEncoder();
  const file = (header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Uint8Array => {
    const h = typeof header === 'string' ? enc.encode(header) : header;
    const out = new Uint8Array(8 + h.length + data.length);
    new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(h.length), true);
    out.set(h, 8);
    out.set(data, 8 + h.length);
    return out;
  };
  const md = JSON.stringify(metadata);
  const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
  const deepObj = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
  const entry = (dtype: string, shape: string, off: string) => `{"dtype":${dtype},"shape":${shape},"data_offsets":${off}}`;
  const allNames = (e: string) => names.map((n) => `${JSON.stringify(n)}:${e}`).join(',');
  const headers = [
    '',
    '{',
    '[]',
    '"ab"',
    'null',
    '{}',
    `{"__metadata__":${md}}`,
    `{"__metadata__":${deep}}`,
    `{"__metadata__":${deepObj}}`,
    `{"__metadata__":{"format":${deep}}}`,
    `{"__metadata__":${md},${allNames(deep)}}`,
    `{"__metadata__":${md},${allNames(deepObj)}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', deep, '[0,4]'))}}`,
    `{"__metadata__":${md},${allNames(entry(deepObj, '[1]', '[0,4]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', '[1000000000000,1000000000000]', '[0,4]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', '[1e12,0]', '[0,0]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', '[-1]', '[0,4]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', '[0.5]', '[0,4]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', '"ab"', '[0,4]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', '[1]', '[4,0]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"F32"', '[1]', '[0,18446744073709551616]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"X99"', '[1]', '[0,4]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"U8"', '[1]', '[0,1]'))}}`,
    `{"__metadata__":${md},${allNames(entry('"I64"', '[1]', '[0,8]'))}}`,
    `{"__metadata__":${md},"__proto__":${entry('"F32"', '[1]', '[0,4]')}}`,
    `{"__metadata__":{"format":1,"shape":[1]}}`,
    `{"__metadata__":${md.replace(/"[^"]*"(?=[,}])/g, '"[[[[[[1e999]]]]]]"')}}`,
    `{"__metadata__":${md.replace(/"[^"]*"(?=[,}])/g, '"{\\"length\\":1e10}"')}}`,
    `{"__metadata__":${md.replace(/"[^"]*"(?=[,}])/g, '"-1"')}}`,
    `{"__metadata__":${md.replace(/"[^"]*"(?=[,}])/g, '"1e300"')}}`,
  ];
  const files = headers.map((h) => file(h, new Uint8Array(8)));
  files.push(file('{}', new Uint8Array(0), 2n ** 64n - 1n));
  files.push(file('{}', new Uint8Array(0), 1n << 40n));
  files.push(file(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
  files.push(new Uint8Array(0), new Uint8Array(7), new Uint8Array(8));
  return files;
}

/** Options of {@link fuzzLoader}. */
export interface FuzzLoaderOptions extends FuzzOptions {
  /** Tensor names the loader looks for (used by the hostile headers). */
  names?: readonly string[];
  /** A valid `__metadata__` for the hostile headers to start from. */
  metadata?: Record<string, string>;
  /** Longest seed file truncated at every length (default 4096 bytes; longer ones are cut at 512 points). */
  maxTruncateBytes?: number;
}

/**
 * Byte-level fuzzing of a loader (`(bytes) => value`), generalising core's safetensors fuzz: every seed file
 * truncated at every length, `numRuns` random mutations (1–4 byte edits, optional cut, optional inserted bytes) and
 * the {@link hostileSafetensorsFiles}. Each call is checked by {@link runFuzzCase}.
 *
 * @example
 * ```ts
 * import { initBackend, parseSafetensors, serializeSafetensors } from '@tessera/core';
 * import { fuzzLoader } from '@tessera/testing';
 * await initBackend();
 * const seed = serializeSafetensors({ t: { dtype: 'U8', shape: [2], data: new Uint8Array(2) } });
 * const report = await fuzzLoader('parseSafetensors', parseSafetensors, [seed], { numRuns: 50 });
 * ```
 */
export async function fuzzLoader(
  name: string,
  load: (bytes: Uint8Array) => unknown,
  seeds: readonly Uint8Array[],
  o: FuzzLoaderOptions = {},
): Promise<FuzzReport> {
  const t0 = performance.now();
  const { numRuns = 300, seed = DEFAULT_SEED, maxTruncateBytes = 4096, totalBudgetMs = 6000 } = o;
  const call = load as (...a: unknown[]) => unknown;
  let cases = 0;
  const failures: FuzzFailure[] = [];
  const run = async (bytes: Uint8Array, label: string) => {
    cases++;
    const f = await runFuzzCase(call, [bytes], o);
    if (f) failures.push({ ...f, args: `${label}: ${f.args}` });
  };
  for (const [si, s] of seeds.entries()) {
    const step = s.length <= maxTruncateBytes ? 1 : Math.ceil(s.length / 512);
    for (let n = 0; n < s.length; n += step) await run(s.subarray(0, n), `seed ${si} truncated to ${n} bytes`);
  }
  for (const [i, f] of hostileSafetensorsFiles(o.names, o.metadata).entries()) await run(f, `hostile file ${i}`);
  if (seeds.length > 0) {
    const mutation = fc.record({
      which: fc.nat({ max: seeds.length - 1 }),
      edits: fc.array(fc.record({ pos: fc.nat(), byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat(), { freq: 4 }),
      insert: fc.option(fc.uint8Array({ minLength: 1, maxLength: 16 }), { freq: 6 }),
    });
    let last: FuzzFailure | null = null;
    const prop = fc.asyncProperty(mutation, async (m) => {
      const src = seeds[m.which];
      let b = Uint8Array.from(src);
      for (const e of m.edits) if (b.length > 0) b[e.pos % b.length] = e.byte;
      if (m.insert && b.length > 0) {
        const at = m.edits[0].pos % b.length;
        b = Uint8Array.from([...b.subarray(0, at), ...m.insert, ...b.subarray(at)]);
      }
      if (m.cut !== null && b.length > 0) b = b.subarray(0, m.cut % b.length);
      cases++;
      const f = await runFuzzCase(call, [b], o);
      if (f) {
        last = { ...f, args: `mutation of seed ${m.which}: ${f.args}` };
        return false;
      }
      return true;
    });
    await fc.check(prop, { numRuns, seed, interruptAfterTimeLimit: totalBudgetMs, markInterruptAsFailure: false, endOnFailure: false });
    if (last) failures.push(last);
  }
  return { name, cases, failures, ms: performance.now() - t0 };
}

/**
 * One summary line over several reports, e.g. `fuzz: 4,200 cases over 37 functions, 0 failures`.
 *
 * @example
 * ```ts
 * import { fuzzSummary } from '@tessera/testing';
 * fuzzSummary([{ name: 'f', cases: 4200, failures: [], ms: 1 }]); // → 'fuzz: 4,200 cases over 1 functions, 0 failures'
 * ```
 */
export function fuzzSummary(reports: readonly FuzzReport[], label = 'fuzz'): string {
  const cases = reports.reduce((a, r) => a + r.cases, 0);
  const failures = reports.reduce((a, r) => a + r.failures.length, 0);
  return `${label}: ${cases.toLocaleString('en-US')} cases over ${reports.length} functions, ${failures} failures`;
}

/**
 * Human-readable list of the failures of some reports (empty string when none), for an assertion message.
 *
 * @example
 * ```ts
 * import { fuzzFailures } from '@tessera/testing';
 * fuzzFailures([]); // → ''
 * ```
 */
export function fuzzFailures(reports: readonly FuzzReport[]): string {
  return reports.flatMap((r) => r.failures.map((f) => `${r.name}: ${f.kind}: ${f.detail}\n    args: ${f.args}`)).join('\n');
}

/**
 * The exports of a package's index that have neither a fuzz entry nor a listed exemption (and exemptions or
 * entries that name no export). A new export without a fuzz entry makes this non-empty, failing the fuzz test.
 * Type-only exports do not exist at run time and need no entry.
 *
 * @example
 * ```ts
 * import { uncoveredExports } from '@tessera/testing';
 * uncoveredExports({ f: () => 1, g: 2 }, ['f'], { g: 'a constant' }); // → []
 * ```
 */
export function uncoveredExports(exports: Record<string, unknown>, fuzzed: readonly string[], exempt: Record<string, string>): string[] {
  const names = Object.keys(exports).filter((k) => k !== 'default');
  const missing = names.filter((n) => !fuzzed.includes(n) && !(n in exempt)).map((n) => `${n}: no fuzz entry and no exemption`);
  const stale = [...fuzzed, ...Object.keys(exempt)].filter((n) => !names.includes(n)).map((n) => `${n}: listed but not exported`);
  const empty = Object.entries(exempt)
    .filter(([, why]) => typeof why !== 'string' || why.trim().length < 8)
    .map(([n]) => `${n}: exemption without a reason`);
  return [...missing, ...stale, ...empty];
}

/** Whether a function is a class (it must be called with `new`). */
export function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/**
 * Calls an export the way a user would: `new f(...args)` for a class, `f(...args)` otherwise.
 *
 * @example
 * ```ts
 * import { invokeExport } from '@tessera/testing';
 * invokeExport(Math.max, [1, 2]); // → 2
 * ```
 */
export function invokeExport(f: unknown, args: readonly unknown[]): unknown {
  if (isClass(f)) return new (f as new (...a: unknown[]) => unknown)(...args);
  return (f as (...a: unknown[]) => unknown)(...args);
}

/**
 * Argument lists of 0 to `maxArgs` values drawn from `world` (for exports fuzzed without a hand-written entry).
 *
 * @example
 * ```ts
 * import { genericArgsArb, hostileValueArb } from '@tessera/testing';
 * const args = genericArgsArb(hostileValueArb(), 3);
 * ```
 */
export function genericArgsArb(world: fc.Arbitrary<unknown>, maxArgs = 4): fc.Arbitrary<readonly unknown[]> {
  return fc.array(world, { minLength: 0, maxLength: maxArgs });
}
