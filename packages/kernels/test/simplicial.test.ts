// The attention kernels' entry points: bad arguments → TesseraError with a stable code before anything is written,
// no write outside the named outputs (kernel memory next to them stays untouched), windows clipped to n, and the
// gradients overwritten rather than accumulated into.
import { TesseraError } from '@tessera/core';
import { afterAll, describe, expect, test } from 'vitest';
import {
  alloc,
  dotAttentionBackward,
  dotAttentionForward,
  SIMPLICIAL_KERNEL_VARIANTS,
  setKernelBackend,
  simplicialBackward,
  simplicialForward,
} from '../src/index.js';

afterAll(() => setKernelBackend(undefined));

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof TesseraError) return e.code;
    throw e;
  }
  return 'no error';
}

const filled = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.7 + seed));

describe.each(['wasm', 'js'] as const)('%s kernels', (be) => {
  // B 1, n 16, Hq 2, Hkv 1, d 8: q/out 256 floats, k/v 128, lse 32
  const [B, n, Hq, Hkv, d] = [1, 16, 2, 1, 8];
  const q = filled(256, 1);
  const kv = [2, 3, 4, 5].map((s) => filled(128, s));
  const dOut = filled(256, 6);

  test('bad arguments → TesseraError with a stable code, outputs untouched', () => {
    setKernelBackend(be);
    const out = new Float32Array(256).fill(7);
    const lse = new Float32Array(32).fill(7);
    const f = (over: Partial<Record<string, unknown>>) => () =>
      simplicialForward(
        (over.q ?? q) as Float32Array,
        kv[0],
        kv[1],
        kv[2],
        kv[3],
        (over.B ?? B) as number,
        (over.n ?? n) as number,
        (over.Hq ?? Hq) as number,
        (over.Hkv ?? Hkv) as number,
        d,
        (over.w1 ?? 4) as number,
        (over.w2 ?? 4) as number,
        (over.causal ?? true) as boolean,
        (over.scale ?? 0.5) as number,
        (over.variant ?? 'trilinear') as 'trilinear',
        (over.out ?? out) as Float32Array,
        lse,
      );
    expect(code(f({ B: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ n: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ Hq: 3, Hkv: 2 }))).toBe('INVALID_ARGUMENT'); // Hq not a multiple of Hkv
    expect(code(f({ Hkv: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ Hkv: 2 }))).toBe('INVALID_SHAPE'); // k1 … v2 then need 256 floats
    expect(code(f({ w1: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ w2: Number.POSITIVE_INFINITY }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ w1: 2 ** 21 }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ causal: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ scale: Number.NaN }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ variant: 'cubic' }))).toBe('INVALID_ARGUMENT');
    expect(code(f({ q: new Float64Array(256) }))).toBe('INVALID_DTYPE');
    expect(code(f({ q: new Float32Array(255) }))).toBe('INVALID_SHAPE');
    expect(code(f({ out: new Float32Array(255) }))).toBe('INVALID_SHAPE');
    expect(code(f({ n: 2 ** 20, B: 2 ** 20 }))).toBe('INVALID_ARGUMENT'); // would need more than 2^30 elements
    expect(out.every((v) => v === 7) && lse.every((v) => v === 7)).toBe(true);
    const g = new Float32Array(128);
    expect(
      code(() =>
        simplicialBackward(
          q,
          kv[0],
          kv[1],
          kv[2],
          kv[3],
          out,
          dOut,
          new Float32Array(31),
          B,
          n,
          Hq,
          Hkv,
          d,
          4,
          4,
          true,
          1,
          'trilinear',
          new Float32Array(256),
          g,
          g,
          g,
          g,
        ),
      ),
    ).toBe('INVALID_SHAPE');
    expect(code(() => dotAttentionForward(q, kv[0], kv[1], B, n, Hq, Hkv, d, 4, true, 1, out, new Float32Array(31)))).toBe('INVALID_SHAPE');
    expect(
      code(() =>
        dotAttentionBackward(q, kv[0], kv[1], out, dOut, lse, B, n, Hq, Hkv, d, 4, 'yes' as never, 1, new Float32Array(256), g, g),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  test('writes only its outputs: kernel memory around them is untouched', () => {
    setKernelBackend(be);
    const guardBefore = alloc(Float32Array, 64);
    const out = alloc(Float32Array, 256);
    const lse = alloc(Float32Array, 32);
    const grads = [256, 128, 128, 128, 128].map((len) => alloc(Float32Array, len));
    const guardAfter = alloc(Float32Array, 64);
    try {
      guardBefore.array.fill(-3);
      guardAfter.array.fill(-3);
      for (const variant of SIMPLICIAL_KERNEL_VARIANTS) {
        simplicialForward(q, kv[0], kv[1], kv[2], kv[3], B, n, Hq, Hkv, d, 5, 3, false, 0.5, variant, out.array, lse.array);
        const [a, b, c, e, f] = grads.map((x) => x.array);
        simplicialBackward(
          q,
          kv[0],
          kv[1],
          kv[2],
          kv[3],
          out.array,
          dOut,
          lse.array,
          B,
          n,
          Hq,
          Hkv,
          d,
          5,
          3,
          false,
          0.5,
          variant,
          a,
          b,
          c,
          e,
          f,
        );
        dotAttentionForward(q, kv[0], kv[2], B, n, Hq, Hkv, d, 6, true, 0.5, out.array, lse.array);
        dotAttentionBackward(q, kv[0], kv[2], out.array, dOut, lse.array, B, n, Hq, Hkv, d, 6, true, 0.5, a, b, c);
      }
      expect(guardBefore.array.every((v) => v === -3)).toBe(true);
      expect(guardAfter.array.every((v) => v === -3)).toBe(true);
      expect(out.array.every(Number.isFinite) && lse.array.every(Number.isFinite)).toBe(true);
    } finally {
      for (const k of [guardBefore, out, lse, ...grads, guardAfter]) k.free();
    }
  });

  test('windows past n are clipped; gradients are overwritten, not accumulated', () => {
    setKernelBackend(be);
    const run = (w1: number, w2: number, gradsInit: number) => {
      const out = new Float32Array(256);
      const lse = new Float32Array(32);
      simplicialForward(q, kv[0], kv[1], kv[2], kv[3], B, n, Hq, Hkv, d, w1, w2, false, 0.5, 'determinant', out, lse);
      const g = [256, 128, 128, 128, 128].map((len) => new Float32Array(len).fill(gradsInit));
      simplicialBackward(
        q,
        kv[0],
        kv[1],
        kv[2],
        kv[3],
        out,
        dOut,
        lse,
        B,
        n,
        Hq,
        Hkv,
        d,
        w1,
        w2,
        false,
        0.5,
        'determinant',
        g[0],
        g[1],
        g[2],
        g[3],
        g[4],
      );
      return [out, lse, ...g].map((a) => Array.from(a));
    };
    expect(run(16, 16, 0)).toEqual(run(1000, 2 ** 20, 123));
    const dotRun = (w: number, init: number) => {
      const out = new Float32Array(256);
      const lse = new Float32Array(32);
      dotAttentionForward(q, kv[0], kv[1], B, n, Hq, Hkv, d, w, false, 1, out, lse);
      const g = [256, 128, 128].map((len) => new Float32Array(len).fill(init));
      dotAttentionBackward(q, kv[0], kv[1], out, dOut, lse, B, n, Hq, Hkv, d, w, false, 1, g[0], g[1], g[2]);
      return [out, lse, ...g].map((a) => Array.from(a));
    };
    expect(dotRun(16, 0)).toEqual(dotRun(99, -1));
  });
});
