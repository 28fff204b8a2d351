import * as tf from '@tensorflow/tfjs-core';
import { describe, TesseraError } from './errors.js';
import { registerAllGradients } from './gradients.js';

/**
 * Backends tessera knows how to pick, best first: `tensorflow` is libtensorflow via tfjs-node-gpu (CUDA) or
 * tfjs-node (native CPU), `webgpu` is tfjs-backend-webgpu (browsers: `navigator.gpu`; Node: Dawn from the `webgpu`
 * package), `webgl` is tfjs-backend-webgl (browsers only), then `wasm` and `cpu`.
 */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** What {@link initBackend} chose. */
export interface BackendInfo {
  /** The tfjs backend name now active. */
  name: BackendName;
  /** True when the backend runs native libtensorflow code (tfjs-node or tfjs-node-gpu). */
  native: boolean;
  /** True when it computes on a GPU (tfjs-node-gpu, webgpu, webgl). */
  gpu: boolean;
  /** The npm module that provided the backend. */
  module: string;
  /** True when the backend was already registered by the application before tessera loaded anything. */
  preregistered: boolean;
  /** Every candidate tried before the chosen one, with the reason it was skipped. */
  skipped: { module: string; reason: string }[];
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Where the one-line report goes; defaults to `console.log`. Pass `null` to stay silent. */
  log?: ((line: string) => void) | null;
}

interface Candidate {
  module: string;
  name: BackendName;
  native: boolean;
  gpu: boolean;
  /** Why this candidate cannot run here (wrong platform, no adapter), or null when it is worth importing. */
  unavailable: () => Promise<string | null>;
  /** Imports the module; every specifier is a string literal so that bundlers can resolve (or drop) it. */
  load: () => Promise<unknown>;
}

const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;
const nodeOnly = async () => (isNode ? null : 'Node only');
const always = async () => null;

// The optional native and Node-only modules are mapped to `false` in package.json's `browser` field, so browser
// bundles get an empty module for them (and never reach the import: `unavailable` says 'Node only' first).
const CANDIDATES: readonly Candidate[] = [
  {
    module: '@tensorflow/tfjs-node-gpu',
    name: 'tensorflow',
    native: true,
    gpu: true,
    unavailable: nodeOnly,
    load: () => import('@tensorflow/tfjs-node-gpu'),
  },
  {
    module: '@tensorflow/tfjs-backend-webgpu',
    name: 'webgpu',
    native: false,
    gpu: true,
    unavailable: () => (isNode ? installNodeWebGPU() : browserWebGPU()),
    load: () => import('@tensorflow/tfjs-backend-webgpu'),
  },
  {
    module: '@tensorflow/tfjs-backend-webgl',
    name: 'webgl',
    native: false,
    gpu: true,
    unavailable: async () => (isNode ? 'browsers only' : null),
    load: () => import('@tensorflow/tfjs-backend-webgl'),
  },
  {
    module: '@tensorflow/tfjs-node',
    name: 'tensorflow',
    native: true,
    gpu: false,
    unavailable: nodeOnly,
    load: () => import('@tensorflow/tfjs-node'),
  },
  {
    module: '@tensorflow/tfjs-backend-wasm',
    name: 'wasm',
    native: false,
    gpu: false,
    unavailable: always,
    load: () => import('@tensorflow/tfjs-backend-wasm'),
  },
  {
    module: '@tensorflow/tfjs-backend-cpu',
    name: 'cpu',
    native: false,
    gpu: false,
    unavailable: always,
    load: () => import('@tensorflow/tfjs-backend-cpu'),
  },
];

const NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];
const VALID: readonly string[] = [...NAMES, 'auto'];

let current: { preference: string; info: BackendInfo } | null = null;
/** Backend names whose factory was registered by an import made here (not by the application). */
const registeredByUs = new Set<string>();

function browserGpu(): unknown {
  return (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
}

/** In a browser: WebGPU needs `navigator.gpu` and an adapter (headless or GPU-less browsers often have neither). */
async function browserWebGPU(): Promise<string | null> {
  const gpu = browserGpu() as GpuLike | undefined;
  if (!gpu) return 'no navigator.gpu';
  return (await gpu.requestAdapter()) ? null : 'no WebGPU adapter';
}

/**
 * Whether a Vulkan loader is visible to the dynamic linker on Linux. Dawn needs one; without it, loading Dawn only
 * prints a warning and finds no adapter, so the check keeps that warning out of every run on GPU-less machines.
 * Returns true when it cannot tell (other platforms, unreadable cache): the adapter request then decides.
 */
function vulkanLoaderVisible(): boolean {
  if (process.platform !== 'linux') return true;
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltin !== 'function') return true;
  const fs = getBuiltin('fs') as typeof import('fs');
  const lib = 'libvulkan.so.1';
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':')) {
    if (dir && fs.existsSync(`${dir}/${lib}`)) return true;
  }
  try {
    return fs.readFileSync('/etc/ld.so.cache').includes(lib);
  } catch {
    return true;
  }
}

let nodeWebGPU: Promise<string | null> | null = null;

/**
 * In Node, WebGPU comes from the optional `webgpu` package (Dawn's Node bindings). When it is installed and gives
 * a hardware adapter, install its globals and `navigator.gpu` (what tfjs-backend-webgpu looks for when it is
 * imported) and return null; otherwise return why not, leaving the globals untouched.
 */
function installNodeWebGPU(): Promise<string | null> {
  nodeWebGPU ??= (async () => {
    if (browserGpu()) return null; // the application installed a WebGPU implementation itself
    if (!vulkanLoaderVisible()) return 'no Vulkan loader (libvulkan.so.1)';
    let mod: { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
    try {
      mod = (await import('webgpu')) as unknown as typeof mod;
    } catch (e) {
      return isNotInstalled(e) ? 'optional peer webgpu not installed' : shortReason(e);
    }
    const gpu = mod.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return 'no WebGPU adapter';
    const info = adapter.info ?? {};
    if (
      adapter.isFallbackAdapter ||
      info.isFallbackAdapter ||
      /llvmpipe|lavapipe|swiftshader/i.test(`${info.device} ${info.description}`)
    ) {
      return `software adapter only (${info.description || info.device || 'fallback'})`;
    }
    Object.assign(globalThis, mod.globals);
    const g = globalThis as { navigator?: object };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return null;
  })();
  return nodeWebGPU;
}

interface GpuLike {
  requestAdapter(options?: object): Promise<{
    isFallbackAdapter?: boolean;
    info?: { device?: string; description?: string; isFallbackAdapter?: boolean };
  } | null>;
}

function isNotInstalled(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND|Failed to resolve module|Failed to fetch dynamically/.test(
    msg,
  );
}

function shortReason(e: unknown): string {
  if (isNotInstalled(e)) return 'not installed';
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n')[0] ?? msg;
  return first.length > 100 ? `${first.slice(0, 97)}...` : first;
}

function isRegistered(name: string): boolean {
  return tf.engine().registryFactory[name] != null;
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
  // tfjs-backend-cpu prints a multi-line "install tfjs-node" banner on first use in Node; our one-line report
  // already says which backend was chosen and why, so the banner is switched off.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

async function tryCandidate(c: Candidate): Promise<void> {
  if (!isRegistered(c.name)) {
    const why = await c.unavailable();
    if (why !== null) throw new Skip(why);
    await c.load();
    if (!isRegistered(c.name)) throw new Skip('loaded but registered no backend');
    registeredByUs.add(c.name);
  }
  await activate(c.name);
}

class Skip extends Error {}

/**
 * Picks the best tfjs backend that loads, or exactly the one named by `preference` or the `TESSERA_BACKEND`
 * environment variable (`tensorflow`, `webgpu`, `webgl`, `wasm`, `cpu`, `auto`).
 *
 * With `'auto'` (the default), a backend the application registered itself (for example by importing
 * `@tensorflow/tfjs-backend-webgl` in a browser app) is used first; otherwise the candidates are tried in the order
 * native GPU (tfjs-node-gpu) → webgpu → webgl → native CPU (tfjs-node) → wasm → cpu. WebGPU runs in browsers
 * through `navigator.gpu` and in Node through the optional `webgpu` package when it finds a hardware adapter; WebGL
 * only in browsers. Every module is imported with a literal specifier, so bundlers resolve the ones the app has.
 * Logs one line saying what it chose and why each earlier candidate was skipped. Calling it again with the same
 * preference returns the first result without reloading anything. It also registers every tfjs-core gradient
 * ({@link registerAllGradients}), so autograd works with tfjs-core alone.
 *
 * @param preference - overrides `TESSERA_BACKEND`; `'auto'` (the default) tries every candidate in order
 * @throws TesseraError `INVALID_ARGUMENT` for an unknown backend name; `BACKEND_UNAVAILABLE` when the named
 * backend (or, with `'auto'`, every backend) fails to load.
 * @example
 * ```ts
 * import { initBackend } from '@tessera/core';
 * const info = await initBackend(); // e.g. { name: 'wasm', native: false, gpu: false, ... }
 * const cpu = await initBackend('cpu'); // force the cpu backend
 * cpu.name; // → 'cpu'
 * ```
 */
export async function initBackend(preference?: BackendName | 'auto', options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TesseraError('INVALID_ARGUMENT', 'initBackend', 'options must be an object', describe(options));
  const env = typeof process !== 'undefined' && process.env ? process.env.TESSERA_BACKEND : undefined;
  const pref = preference ?? (env && env.length > 0 ? env : 'auto');
  if (!VALID.includes(pref)) {
    throw new TesseraError('INVALID_ARGUMENT', 'initBackend', `backend must be one of ${VALID.join(', ')}`, pref);
  }
  await registerAllGradients();
  if (current && current.preference === pref && tf.getBackend() === current.info.name) return current.info;

  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  const skipped: { module: string; reason: string }[] = [];
  const report = (c: Candidate, preregistered: boolean): BackendInfo => {
    const info: BackendInfo = { name: c.name, native: c.native, gpu: c.gpu, module: c.module, preregistered, skipped };
    current = { preference: pref, info };
    if (log) {
      const why = skipped.length > 0 ? `; skipped ${skipped.map((s) => `${s.module} (${s.reason})`).join(', ')}` : '';
      const how = `${pref === 'auto' ? 'auto' : `requested '${pref}'`}${preregistered ? ', registered by the app' : ''}`;
      log(`[tessera] backend: ${c.name} via ${c.module} (${how})${why}`);
    }
    return info;
  };

  if (pref === 'auto') {
    // A backend the application registered itself wins: it is what the app chose to bundle.
    for (const name of NAMES) {
      if (!isRegistered(name) || registeredByUs.has(name)) continue;
      try {
        await activate(name);
        // tfjs-node and tfjs-node-gpu both register 'tensorflow'; the backend says which package it came from.
        const gpuPackage = (tf.backend() as unknown as { isGPUPackage?: boolean }).isGPUPackage === true;
        const c = CANDIDATES.find((k) => k.name === name && (name !== 'tensorflow' || k.gpu === gpuPackage))!;
        return report(c, true);
      } catch (e) {
        skipped.push({ module: `registered '${name}'`, reason: shortReason(e) });
      }
    }
  }
  const candidates = pref === 'auto' ? CANDIDATES : CANDIDATES.filter((c) => c.name === pref);
  for (const c of candidates) {
    try {
      const pre = isRegistered(c.name) && !registeredByUs.has(c.name);
      await tryCandidate(c);
      return report(c, pre);
    } catch (e) {
      skipped.push({ module: c.module, reason: e instanceof Skip ? e.message : shortReason(e) });
    }
  }
  throw new TesseraError(
    'BACKEND_UNAVAILABLE',
    'initBackend',
    `no tfjs backend could be loaded for '${pref}'`,
    skipped.map((s) => `${s.module}: ${s.reason}`).join('; '),
  );
}
