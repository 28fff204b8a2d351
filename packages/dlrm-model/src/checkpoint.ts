// Checkpoints a PyTorch `DLRM_Net` can load: a safetensors file with exactly the `state_dict` tensors (F32,
// little-endian, row-major, Linear weights [out, in]) and a sidecar with the reference's arch strings
// (facebookresearch/dlrm `dlrm_s_pytorch.py` flags `--arch-sparse-feature-size`, `--arch-embedding-size`,
// `--arch-mlp-bot`, `--arch-mlp-top`, `--arch-interaction-op`, `--arch-interaction-itself`). The sidecar is also
// written into the safetensors `__metadata__`, so the weights file alone is enough to rebuild the model.
import { parseSafetensors, type RawTensor, serializeSafetensors } from '@tessera/core';
import { archStrings, type DlrmConfig } from './config.js';
import { fail } from './errors.js';
import { DlrmModel, type StateDict } from './model.js';

/** Sidecar of {@link exportSafetensors}: the arch strings (`arch-mlp-bot`: '13-512-256-64-16', …). */
export type DlrmSidecar = Record<string, string | number | boolean>;

/**
 * Serialises the model's state dict to safetensors bytes (names and shapes of `DLRM_Net`) plus the arch sidecar.
 * `stateDict` (default `m.stateDict()`, a synchronous read) lets a caller on webgpu in Node pass
 * `await m.stateDictAsync()`.
 *
 * @throws TesseraError `INVALID_ARGUMENT` on a disposed model.
 * @example
 * ```ts
 * import { initBackend } from '@tessera/core';
 * import { DlrmModel, exportSafetensors, importSafetensors } from '@tessera/dlrm-model';
 * await initBackend();
 * const m = DlrmModel.create({ denseFeatures: 4, embeddingDim: 2, tableSizes: [4, 3, 2], featureNames: ['a', 'b', 'c'],
 *   bottomMlp: [3, 2], topMlp: [4, 2, 1], interaction: 'dot' });
 * const { weights, sidecar } = exportSafetensors(m);
 * sidecar['arch-mlp-top']; // → '4-2-1'
 * const back = importSafetensors(weights);
 * back.dispose(); m.dispose();
 * ```
 */
export function exportSafetensors(m: DlrmModel, stateDict?: StateDict): { weights: Uint8Array; sidecar: DlrmSidecar } {
  if (!(m instanceof DlrmModel)) fail('INVALID_ARGUMENT', 'exportSafetensors', 'm must be a DlrmModel', m);
  if (stateDict !== undefined && !(stateDict instanceof Map))
    fail('INVALID_ARGUMENT', 'exportSafetensors', 'stateDict must be a Map of name → { shape, data }', stateDict);
  const sd = stateDict ?? m.stateDict();
  const tensors: Record<string, RawTensor> = {};
  for (const [name, t] of sd) tensors[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  const sidecar = archStrings(m.config);
  const metadata: Record<string, string> = { format: 'pt', 'tessera.dlrm': JSON.stringify(sidecar) };
  return { weights: serializeSafetensors(tensors, metadata), sidecar };
}

/** Rebuilds the config of a sidecar. @internal */
export function configFromSidecar(s: DlrmSidecar, fn = 'importSafetensors'): DlrmConfig {
  const str = (k: string) => {
    const v = s[k];
    if (typeof v !== 'string' && typeof v !== 'number') fail('CORRUPT_DATA', fn, `sidecar '${k}' is missing`, v);
    return String(v);
  };
  const nums = (k: string) =>
    str(k)
      .split('-')
      .map((x) => {
        const n = Number(x);
        if (!Number.isInteger(n) || n < 1) fail('CORRUPT_DATA', fn, `sidecar '${k}' must be '-'-joined positive integers`, s[k]);
        return n;
      });
  const bot = nums('arch-mlp-bot');
  const tableSizes = nums('arch-embedding-size');
  const names =
    typeof s['feature-names'] === 'string' && s['feature-names'] !== ''
      ? String(s['feature-names']).split(',')
      : tableSizes.map((_, k) => `C${k + 1}`);
  const op = str('arch-interaction-op');
  if (op !== 'dot' && op !== 'cat') fail('CORRUPT_DATA', fn, "sidecar 'arch-interaction-op' must be dot or cat", op);
  const wp = s['weighted-pooling'] ?? 'none';
  if (wp !== 'none' && wp !== 'fixed' && wp !== 'learned')
    fail('CORRUPT_DATA', fn, "sidecar 'weighted-pooling' must be none, fixed or learned", wp);
  return {
    denseFeatures: bot[0],
    bottomMlp: bot.slice(1),
    embeddingDim: Number(str('arch-sparse-feature-size')),
    tableSizes,
    featureNames: names,
    topMlp: nums('arch-mlp-top'),
    interaction: op,
    interactionItself: s['arch-interaction-itself'] === true || s['arch-interaction-itself'] === 'true',
    lossThreshold: Number(s['loss-threshold'] ?? 0),
    weightedPooling: wp,
  };
}

/**
 * The reverse of {@link exportSafetensors}: a model with the config of the sidecar (or of the file's metadata when
 * no sidecar is given) and the file's weights, loaded strictly.
 *
 * @throws TesseraError `CORRUPT_DATA` (bad bytes, missing arch strings), `INVALID_KEY`/`INVALID_SHAPE` (tensors
 * that do not match the arch), `INVALID_DTYPE` (a tensor that is not F32).
 * @example `const model = importSafetensors(bytes);`
 */
export function importSafetensors(weights: Uint8Array, sidecar?: DlrmSidecar): DlrmModel {
  const fn = 'importSafetensors';
  if (!(weights instanceof Uint8Array)) fail('INVALID_ARGUMENT', fn, 'weights must be a Uint8Array', weights);
  const { tensors, metadata } = parseSafetensors(weights);
  let sc = sidecar;
  if (!sc) {
    const meta = metadata['tessera.dlrm'];
    if (!meta) fail('CORRUPT_DATA', fn, "no sidecar given and no 'tessera.dlrm' metadata in the file", Object.keys(metadata));
    try {
      sc = JSON.parse(meta) as DlrmSidecar;
    } catch {
      fail('CORRUPT_DATA', fn, "the 'tessera.dlrm' metadata is not JSON", meta.slice(0, 40));
    }
  }
  const cfg = configFromSidecar(sc as DlrmSidecar, fn);
  const sd: StateDict = new Map();
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'F32') fail('INVALID_DTYPE', fn, `tensor '${name}' must be F32`, t.dtype);
    sd.set(name, { shape: [...t.shape], data: t.data as Float32Array });
  }
  const m = DlrmModel.create(cfg, { rng: 'zeros' });
  try {
    m.loadStateDict(sd, { strict: true });
  } catch (e) {
    m.dispose();
    throw e;
  }
  return m;
}
