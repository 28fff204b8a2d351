// Loads the FBGEMM golden set copied into test/fixtures (see test/fixtures/PROVENANCE.md).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface GoldenCase {
  name: string;
  shape: [number, number, number, number];
  w1: number;
  w2: number;
  q: Float32Array;
  k1: Float32Array;
  k2: Float32Array;
  v1: Float32Array;
  v2: Float32Array;
  lossWeights: Float32Array;
  out: Float64Array;
  loss: number;
  grads: { q: Float64Array; k1: Float64Array; k2: Float64Array; v1: Float64Array; v2: Float64Array };
}

const f32 = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);
const f64 = (s: string[]) => Float64Array.from(s.map(Number));

export function loadSimplicialGolden(): GoldenCase[] {
  const raw = JSON.parse(readFileSync(join(here, 'fixtures/simplicial/simplicial.json'), 'utf8')) as {
    cases: Record<string, unknown>[];
  };
  return raw.cases.map((c) => ({
    name: c.name as string,
    shape: c.shape as [number, number, number, number],
    w1: c.w1 as number,
    w2: c.w2 as number,
    q: f32(c.q_f32_bits as number[]),
    k1: f32(c.k1_f32_bits as number[]),
    k2: f32(c.k2_f32_bits as number[]),
    v1: f32(c.v1_f32_bits as number[]),
    v2: f32(c.v2_f32_bits as number[]),
    lossWeights: f32(c.loss_weights_f32_bits as number[]),
    out: f64(c.out_f64 as string[]),
    loss: Number(c.loss_f64),
    grads: {
      q: f64(c.grad_q_f64 as string[]),
      k1: f64(c.grad_k1_f64 as string[]),
      k2: f64(c.grad_k2_f64 as string[]),
      v1: f64(c.grad_v1_f64 as string[]),
      v2: f64(c.grad_v2_f64 as string[]),
    },
  }));
}

/** max |a − b| / max |b| (the golden README's "relative to the largest magnitude of each array"). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
