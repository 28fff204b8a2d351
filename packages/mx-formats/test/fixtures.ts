// Loads the golden JSON files copied into test/fixtures (see test/fixtures/PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MXFormat } from '../src/options.js';

const here = dirname(fileURLToPath(import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: golden JSON is untyped; tests index it by its documented fields
export function loadFixture<T = any>(rel: string): T {
  return JSON.parse(readFileSync(join(here, 'fixtures', rel), 'utf8')) as T;
}

export const f32 = (bits: readonly number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
export const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0];

/** The mx-quantize golden files and the MX format each holds. */
export const GOLDEN_QUANTIZE_FILES: readonly (readonly [string, MXFormat])[] = [
  ['int8', 'mxint8'],
  ['fp8_e4m3', 'mxfp8_e4m3'],
  ['fp8_e5m2', 'mxfp8_e5m2'],
  ['fp6_e3m2', 'mxfp6_e3m2'],
  ['fp6_e2m3', 'mxfp6_e2m3'],
  ['fp4_e2m1', 'mxfp4_e2m1'],
];
