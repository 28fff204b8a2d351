// Loads the sparse24 golden set(s) copied into test/fixtures (see PROVENANCE.md). Every `sparse24*.json` file there
// is used, so a held-back set dropped beside the public one is checked by the same tests.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CutlassCase {
  name: string;
  m: number;
  k: number;
  n: number;
  dense_f16_bits: number[];
  rhs_f16_bits: number[];
  packed_f16_bits: number[];
  meta_shape: [number, number];
  meta_int16: number[];
  meta_uint16: number[];
  reference_f32_bits: number[];
  cusparselt_mm_f16_bits: number[];
  to_dense_roundtrip_equal: boolean;
}
export interface PruneCase {
  name: string;
  shape: [number, number];
  x_bits: number[];
  mask: number[];
}
export interface GoldenFile {
  file: string;
  cutlass: CutlassCase[];
  prune_masks: PruneCase[];
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function loadGolden(): GoldenFile[] {
  return readdirSync(dir)
    .filter((f) => /^sparse24.*\.json$/.test(f))
    .sort()
    .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<GoldenFile, 'file'>) }));
}

export const f32FromBits = (bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
