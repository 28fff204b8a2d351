// Loads the golden JSON files copied into test/fixtures (see test/fixtures/PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: golden JSON is untyped; tests index it by its documented fields
export function loadFixture<T = any>(rel: string): T {
  return JSON.parse(readFileSync(join(here, 'fixtures', rel), 'utf8')) as T;
}

export const f32 = (bits: readonly number[]): Float32Array => new Float32Array(Uint32Array.from(bits).buffer);
export const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0];
