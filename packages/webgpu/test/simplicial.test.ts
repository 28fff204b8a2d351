import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { TesseraError } from '@tessera/core';
import { simplicialAttention } from '@tessera/simplicial-attention';
import { expectNoLeaks } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import { simplicialAttentionWebGPU, simplicialBackwardWebGPU, type WebGPUSimplicialOptions } from '../src/index.js';
import { setSimplicialForwardVariant, setSimplicialKeyGradVariant } from '../src/simplicial.js';
import { GPU_ONLY, ON_WEBGPU } from './gpu.js';

type T4 = tf.Tensor4D;
const GRADS = ['dq', 'dk1', 'dk2', 'dv1', 'dv2'] as const;

function randn(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i += 2) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u1 = (s + 1) / 2 ** 32;
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u2 = s / 2 ** 32;
    const r = Math.sqrt(-2 * Math.log(u1));
    x[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) x[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return x;
}

/** The host kernels of @tessera/simplicial-attention on the cpu backend: out, lse and the five gradients of Σ w ⊙ out. */
async function hostRef(data: Float32Array[], qShape: number[], kvShape: number[], w: Float32Array, o: WebGPUSimplicialOptions) {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return tf.tidy(() => {
      const x = data.map((a, i) => tf.tensor4d(a, (i === 0 ? qShape : kvShape) as [number, number, number, number]));
      const wt = tf.tensor(w, qShape);
      const { out, lse } = simplicialAttention(x[0], x[1], x[2], x[3], x[4], o);
      const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(simplicialAttention(...(a as [T4, T4, T4, T4, T4]), o).out, wt)))(x);
      return {
        out: (out.dataSync() as Float32Array).slice(),
        lse: (lse.dataSync() as Float32Array).slice(),
        grads: g.map((t) => (t.dataSync() as Float32Array).slice()),
      };
    });
  } finally {
    await tf.setBackend(prev);
  }
}

/** max |a − b| / (atol + rtol·max|b|) must stay below 1. */
function expectClose(a: Float32Array, b: Float32Array, atol: number, rtol: number, label: string): void {
  let maxB = 0;
  for (const v of b) maxB = Math.max(maxB, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  const bound = atol + rtol * maxB;
  if (!(worst <= bound)) throw new Error(`${label}: max |diff| ${worst} at ${at} (got ${a[at]}, want ${b[at]}) above ${bound}`);
}

const CASES: { B: number; n: number; Hq: number; Hkv: number; d: number; o: WebGPUSimplicialOptions }[] = [
  { B: 1, n: 40, Hq: 1, Hkv: 1, d: 8, o: { w1: 8, w2: 4 } },
  { B: 2, n: 33, Hq: 4, Hkv: 2, d: 16, o: { w1: 16, w2: 5, scale: 0.3 } },
  { B: 1, n: 24, Hq: 2, Hkv: 1, d: 12, o: { w1: 6, w2: 3, causal: false } },
  { B: 1, n: 20, Hq: 1, Hkv: 1, d: 4, o: { w1: Number.POSITIVE_INFINITY, w2: Number.POSITIVE_INFINITY } },
  // the tiled forward's shapes: d a multiple of 4, several query tiles and window-1 chunks, a partial last tile
  { B: 1, n: 75, Hq: 2, Hkv: 1, d: 64, o: { w1: 21, w2: 16 } },
  { B: 2, n: 37, Hq: 2, Hkv: 2, d: 36, o: { w1: 9, w2: 5, causal: false } },
  // small enough for the 'tiled-j2' tiles within lavapipe's 32 KiB of workgroup memory, causal
  { B: 1, n: 50, Hq: 2, Hkv: 1, d: 32, o: { w1: 20, w2: 8 } },
];

describe(`simplicialAttentionWebGPU vs the host kernels of @tessera/simplicial-attention${GPU_ONLY}`, () => {
  it.skipIf(!ON_WEBGPU)('forward out and lse, and the five gradients (float32 vs float64 host: atol 2e-5, rtol 2e-5)', async () => {
    for (const c of CASES) {
      const qShape = [c.B, c.n, c.Hq, c.d];
      const kvShape = [c.B, c.n, c.Hkv, c.d];
      const sizes = [c.B * c.n * c.Hq * c.d, ...Array(4).fill(c.B * c.n * c.Hkv * c.d)];
      const data = sizes.map((s, i) => randn(s, 17 + i));
      const w = randn(sizes[0], 99);
      const ref = await hostRef(data, qShape, kvShape, w, c.o);
      const before = tf.memory().numTensors;
      const x = data.map((a, i) => tf.tensor4d(a, (i === 0 ? qShape : kvShape) as [number, number, number, number]));
      const wt = tf.tensor(w, qShape);
      const label = JSON.stringify({ ...c, o: { ...c.o, w1: String(c.o.w1), w2: String(c.o.w2) } });
      // both forward kernels: the untiled one (the reference of the tiled one), then the default (tiled where it applies)
      setSimplicialForwardVariant('rows');
      const rows = simplicialAttentionWebGPU(x[0], x[1], x[2], x[3], x[4], c.o);
      setSimplicialForwardVariant('auto');
      expectClose((await rows.out.data()) as Float32Array, ref.out, 2e-5, 2e-5, `${label} out (untiled)`);
      expectClose((await rows.lse.data()) as Float32Array, ref.lse, 2e-5, 2e-5, `${label} lse (untiled)`);
      tf.dispose([rows.out, rows.lse]);
      // the other tiled programs of the forward and dQ (so the gradients too): register-tiled second phase; two
      // window-1 offsets per invocation
      for (const v of c.d % 4 === 0 && c.d >= 32 ? (['tiled-reg', 'tiled-j2'] as const) : []) {
        setSimplicialForwardVariant(v);
        try {
          const other = simplicialAttentionWebGPU(x[0], x[1], x[2], x[3], x[4], c.o);
          expectClose((await other.out.data()) as Float32Array, ref.out, 2e-5, 2e-5, `${label} out (${v})`);
          expectClose((await other.lse.data()) as Float32Array, ref.lse, 2e-5, 2e-5, `${label} lse (${v})`);
          tf.dispose([other.out, other.lse]);
          {
            const gj = tf.grads((...a: tf.Tensor[]) =>
              tf.sum(tf.mul(simplicialAttentionWebGPU(...(a as [T4, T4, T4, T4, T4]), c.o).out, wt)),
            )(x);
            for (let k = 0; k < 5; k++)
              expectClose((await gj[k].data()) as Float32Array, ref.grads[k], 2e-5, 2e-5, `${label} ${GRADS[k]} (${v})`);
            tf.dispose(gj);
          }
        } finally {
          setSimplicialForwardVariant('auto');
        }
      }
      const { out, lse } = simplicialAttentionWebGPU(x[0], x[1], x[2], x[3], x[4], c.o);
      expectClose((await out.data()) as Float32Array, ref.out, 2e-5, 2e-5, `${label} out`);
      expectClose((await lse.data()) as Float32Array, ref.lse, 2e-5, 2e-5, `${label} lse`);
      const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(simplicialAttentionWebGPU(...(a as [T4, T4, T4, T4, T4]), c.o).out, wt)))(x);
      for (let i = 0; i < 5; i++) expectClose((await g[i].data()) as Float32Array, ref.grads[i], 2e-5, 2e-5, `${label} ${GRADS[i]}`);
      // the backward on its own, with the untiled dQ, dK1/dV1 and dK2/dV2 kernels (the tiled ones ran in the gradients
      // above where they apply)
      setSimplicialForwardVariant('rows');
      setSimplicialKeyGradVariant('rows');
      const gb = simplicialBackwardWebGPU(x[0], x[1], x[2], x[3], x[4], out, wt as T4, lse, c.o);
      setSimplicialForwardVariant('auto');
      setSimplicialKeyGradVariant('auto');
      for (let i = 0; i < 5; i++)
        expectClose((await gb[GRADS[i]].data()) as Float32Array, ref.grads[i], 2e-5, 2e-5, `${label} backward ${GRADS[i]}`);
      tf.dispose([...x, wt, out, lse, ...g, ...Object.values(gb)]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe(`simplicialAttentionWebGPU 'split' programs vs the host kernels${GPU_ONLY}`, () => {
  // the split forward and dQ (simplicial-split.ts) where they apply (d a multiple of 4 up to 64, span2 ≤ 32): out,
  // lse and the five gradients of Σ w ⊙ out, float32 vs the float64 host kernels as above
  it.skipIf(!ON_WEBGPU)("'split' and 'split-j2' forward, dQ, dK1/dV1, dK2/dV2 (atol 2e-5, rtol 2e-5)", { timeout: 1_800_000 }, async () => {
    for (const c of CASES.filter((x) => x.d % 4 === 0)) {
      const qShape = [c.B, c.n, c.Hq, c.d];
      const kvShape = [c.B, c.n, c.Hkv, c.d];
      const sizes = [c.B * c.n * c.Hq * c.d, ...Array(4).fill(c.B * c.n * c.Hkv * c.d)];
      const data = sizes.map((s, i) => randn(s, 17 + i));
      const w = randn(sizes[0], 99);
      const ref = await hostRef(data, qShape, kvShape, w, c.o);
      const before = tf.memory().numTensors;
      const x = data.map((a, i) => tf.tensor4d(a, (i === 0 ? qShape : kvShape) as [number, number, number, number]));
      const wt = tf.tensor(w, qShape);
      const label = JSON.stringify({ ...c, o: { ...c.o, w1: String(c.o.w1), w2: String(c.o.w2) } });
      // 'split': forward, dQ, dK1/dV1 and dK2/dV2 split; 'split-j2': its forward, the split dQ, the tiled key kernels
      for (const v of ['split', 'split-j2'] as const) {
        setSimplicialForwardVariant(v);
        setSimplicialKeyGradVariant(v === 'split' ? 'split' : 'auto');
        try {
          const r = simplicialAttentionWebGPU(x[0], x[1], x[2], x[3], x[4], c.o);
          expectClose((await r.out.data()) as Float32Array, ref.out, 2e-5, 2e-5, `${label} out (${v})`);
          expectClose((await r.lse.data()) as Float32Array, ref.lse, 2e-5, 2e-5, `${label} lse (${v})`);
          tf.dispose([r.out, r.lse]);
          const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(simplicialAttentionWebGPU(...(a as [T4, T4, T4, T4, T4]), c.o).out, wt)))(
            x,
          );
          for (let k = 0; k < 5; k++)
            expectClose((await g[k].data()) as Float32Array, ref.grads[k], 2e-5, 2e-5, `${label} ${GRADS[k]} (${v})`);
          tf.dispose(g);
        } finally {
          setSimplicialForwardVariant('auto');
          setSimplicialKeyGradVariant('auto');
        }
      }
      tf.dispose([...x, wt]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('simplicialAttentionWebGPU validation (every backend)', () => {
  it('rejects bad input with TesseraError codes, leaking nothing', () => {
    const q = tf.zeros([1, 8, 2, 4]) as T4;
    const kv = tf.zeros([1, 8, 1, 4]) as T4;
    const bad = tf.zeros([1, 8, 3, 4]) as T4;
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TesseraError);
        return (e as TesseraError).code;
      }
      return 'no error';
    };
    expectNoLeaks(() => {
      expect(code(() => simplicialAttentionWebGPU(q, kv, kv, kv, kv, { w1: 0 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => simplicialAttentionWebGPU(q, kv, kv, kv, kv, { scale: Number.NaN }))).toBe('INVALID_ARGUMENT');
      expect(code(() => simplicialAttentionWebGPU(q, bad, bad, bad, bad))).toBe('INVALID_SHAPE');
      expect(code(() => simplicialAttentionWebGPU(q, kv, kv, kv, kv, { variant: 'determinant' }))).toBe('UNSUPPORTED');
      if (!ON_WEBGPU) expect(code(() => simplicialAttentionWebGPU(q, kv, kv, kv, kv))).toBe('BACKEND_UNAVAILABLE');
    });
    tf.dispose([q, kv, bad]);
  });
});
