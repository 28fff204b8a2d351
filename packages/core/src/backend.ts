import * as tf from '@tensorflow/tfjs-core';
import { TesseraError } from './errors.js';
import { registerAllGradients } from './gradients.js';

/** Backends tessera knows how to pick, best first. `tensorflow` is libtensorflow via tfjs-node(-gpu). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** What {@link initBackend} chose. */
export interface BackendInfo {
  /** The tfjs backend name now active (`tensorflow`, `wasm` or `cpu`). */
  name: BackendName;
  /** True when the backend runs native libtensorflow code (tfjs-node or tfjs-node-gpu). */
  native: boolean;
  /** True when it is tfjs-node-gpu (CUDA). */
  gpu: boolean;
  /** The npm module that provided the backend. */
  module: string;
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
}

const CANDIDATES: readonly Candidate[] = [
  { module: '@tensorflow/tfjs-node-gpu', name: 'tensorflow', native: true, gpu: true },
  { module: '@tensorflow/tfjs-node', name: 'tensorflow', native: true, gpu: false },
  { module: '@tensorflow/tfjs-backend-wasm', name: 'wasm', native: false, gpu: false },
  { module: '@tensorflow/tfjs-backend-cpu', name: 'cpu', native: false, gpu: false },
];

const VALID: readonly string[] = ['tensorflow', 'wasm', 'cpu', 'auto'];

let current: { preference: string; info: BackendInfo } | null = null;

function shortReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND/.test(msg)) return 'not installed';
  const first = msg.split('\n')[0] ?? msg;
  return first.length > 100 ? `${first.slice(0, 97)}...` : first;
}

async function tryCandidate(c: Candidate): Promise<void> {
  await import(/* @vite-ignore */ c.module);
  const ok = await tf.setBackend(c.name);
  if (!ok) throw new Error(`tf.setBackend('${c.name}') returned false`);
  await tf.ready();
  // tfjs-backend-cpu prints a multi-line "install tfjs-node" banner on first use in Node; our one-line report
  // already says which backend was chosen and why, so the banner is switched off.
  if (c.name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

/**
 * Picks the best tfjs backend that loads, in the order tfjs-node-gpu → tfjs-node → wasm → cpu, or exactly the
 * one named by `preference` or the `TESSERA_BACKEND` environment variable (`tensorflow`, `wasm`, `cpu`, `auto`).
 * Logs one line saying what it chose and why it skipped the others. Calling it again with the same preference
 * returns the first result without reloading anything. It also registers every tfjs-core gradient
 * ({@link registerAllGradients}), so autograd works with tfjs-core alone.
 *
 * @param preference - overrides `TESSERA_BACKEND`; `'auto'` (the default) tries every candidate in order
 * @throws TesseraError `INVALID_ARGUMENT` for an unknown backend name; `BACKEND_UNAVAILABLE` when the named
 * backend (or, with `'auto'`, every backend) fails to load.
 * @example
 * ```ts
 * import { initBackend } from '@tessera/core';
 * const info = await initBackend();      // e.g. { name: 'cpu', native: false, gpu: false, ... }
 * const wasm = await initBackend('wasm'); // force the wasm backend
 * ```
 */
export async function initBackend(preference?: BackendName | 'auto', options: InitBackendOptions = {}): Promise<BackendInfo> {
  const env = typeof process !== 'undefined' ? process.env.TESSERA_BACKEND : undefined;
  const pref = preference ?? (env && env.length > 0 ? env : 'auto');
  if (!VALID.includes(pref)) {
    throw new TesseraError('INVALID_ARGUMENT', 'initBackend', `backend must be one of ${VALID.join(', ')}`, pref);
  }
  await registerAllGradients();
  if (current && current.preference === pref && tf.getBackend() === current.info.name) return current.info;

  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  const candidates = pref === 'auto' ? CANDIDATES : CANDIDATES.filter((c) => c.name === pref);
  const skipped: { module: string; reason: string }[] = [];
  for (const c of candidates) {
    try {
      await tryCandidate(c);
      const info: BackendInfo = { name: c.name, native: c.native, gpu: c.gpu, module: c.module, skipped };
      current = { preference: pref, info };
      if (log) {
        const why = skipped.length > 0 ? `; skipped ${skipped.map((s) => `${s.module} (${s.reason})`).join(', ')}` : '';
        const how = pref === 'auto' ? 'auto' : `requested '${pref}'`;
        log(`[tessera] backend: ${c.name} via ${c.module} (${how})${why}`);
      }
      return info;
    } catch (e) {
      skipped.push({ module: c.module, reason: shortReason(e) });
    }
  }
  throw new TesseraError(
    'BACKEND_UNAVAILABLE',
    'initBackend',
    `no tfjs backend could be loaded for '${pref}'`,
    skipped.map((s) => `${s.module}: ${s.reason}`).join('; '),
  );
}
