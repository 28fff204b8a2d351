// Loader and host-side shims of the WebAssembly SIMD kernels (assembly/simplicial.ts): compile the inlined module
// once (synchronously: it is 6 KB), copy the operands into its memory, run, copy the results out. Why: the scalar
// JavaScript kernels (host-simplicial.ts) reach about 1 GFLOP/s; f32x4 loops with the same blocking run several
// times faster, which is what puts the kernels in the range of the wasm backend's XNNPACK matMul. When
// WebAssembly (or SIMD) is unavailable, or memory cannot grow, the callers fall back to the JavaScript kernels.
// Checked against those kernels and the golden vectors in test/wasm-kernel.test.ts.
import { SIMPLICIAL_WASM_BASE64 } from './generated/simplicial-wasm.js';
import type { AttentionDims, ResolvedDot, ResolvedSimplicial } from './options.js';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The slice of the WebAssembly JS API used here (the compiler's lib has no DOM/WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface WasmExports {
  memory: WasmMemory;
  simplicialForward(...args: number[]): void;
  simplicialBackward(...args: number[]): void;
  dotForward(...args: number[]): void;
  dotBackward(...args: number[]): void;
  heapBase(): number;
}

let instance: WasmExports | null | undefined;

function decodeBase64(s: string): Uint8Array {
  const g = globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array }; atob?: (s: string) => string };
  if (g.Buffer) return Uint8Array.from(g.Buffer.from(s, 'base64'));
  const bin = (g.atob as (s: string) => string)(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The compiled module, or null where WebAssembly SIMD is unavailable. @internal */
export function simplicialWasm(): WasmExports | null {
  if (instance === undefined) {
    try {
      const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
      const module = new api.Module(decodeBase64(SIMPLICIAL_WASM_BASE64));
      instance = new api.Instance(module, {}).exports as WasmExports;
    } catch {
      instance = null;
    }
  }
  return instance;
}

/** Byte offsets of consecutive float32 regions (16-byte aligned) after the module's static data, and the end. */
function layout(w: WasmExports, sizes: number[]): { offsets: number[]; end: number } {
  let p = Math.ceil(w.heapBase() / 16) * 16;
  const offsets = sizes.map((n) => {
    const o = p;
    p += Math.ceil((n * 4) / 16) * 16;
    return o;
  });
  return { offsets, end: p };
}

function ensure(w: WasmExports, bytes: number): boolean {
  const have = w.memory.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    w.memory.grow(Math.ceil((bytes - have) / 65536));
    return true;
  } catch {
    return false;
  }
}

type F32 = Float32Array;

/** Forward through the SIMD module; null when it cannot run (the caller uses the JavaScript kernel). @internal */
export function simplicialForwardWasm(
  x: { q: F32; k1: F32; k2: F32; v1: F32; v2: F32 },
  dims: AttentionDims,
  o: ResolvedSimplicial,
): { out: F32; lse: F32 } | null {
  const w = simplicialWasm();
  if (!w) return null;
  const { B, n, Hq, Hkv, d } = dims;
  const scratch = 3 * d + 8 + 2 * n + 16;
  const { offsets, end } = layout(w, [x.q.length, x.k1.length, x.k2.length, x.v1.length, x.v2.length, x.q.length, B * Hq * n, scratch]);
  if (!ensure(w, end)) return null;
  const buf = w.memory.buffer;
  for (const [i, a] of [x.q, x.k1, x.k2, x.v1, x.v2].entries()) new Float32Array(buf, offsets[i], a.length).set(a);
  w.simplicialForward(...offsets, B, n, Hq, Hkv, d, o.w1, o.w2, o.causal ? 1 : 0, o.scale, o.variant === 'determinant' ? 1 : 0);
  return {
    out: new Float32Array(buf, offsets[5], x.q.length).slice(),
    lse: new Float32Array(buf, offsets[6], B * Hq * n).slice(),
  };
}

/** Backward through the SIMD module; null when it cannot run. @internal */
export function simplicialBackwardWasm(
  x: { q: F32; k1: F32; k2: F32; v1: F32; v2: F32 },
  out: F32,
  dOut: F32,
  lse: F32,
  dims: AttentionDims,
  o: ResolvedSimplicial,
): { dq: F32; dk1: F32; dk2: F32; dv1: F32; dv2: F32 } | null {
  const w = simplicialWasm();
  if (!w) return null;
  const { B, n, Hq, Hkv, d } = dims;
  const sizes = [x.q.length, x.k1.length, x.k2.length, x.v1.length, x.v2.length, out.length, dOut.length, lse.length];
  const grads = [x.q.length, x.k1.length, x.k2.length, x.v1.length, x.v2.length];
  const { offsets, end } = layout(w, [...sizes, ...grads, 4 * d + 16]);
  if (!ensure(w, end)) return null;
  const buf = w.memory.buffer;
  for (const [i, a] of [x.q, x.k1, x.k2, x.v1, x.v2, out, dOut, lse].entries()) new Float32Array(buf, offsets[i], a.length).set(a);
  for (let g = 0; g < 5; g++) new Float32Array(buf, offsets[8 + g], grads[g]).fill(0);
  w.simplicialBackward(...offsets, B, n, Hq, Hkv, d, o.w1, o.w2, o.causal ? 1 : 0, o.scale, o.variant === 'determinant' ? 1 : 0);
  const read = (g: number) => new Float32Array(buf, offsets[8 + g], grads[g]).slice();
  return { dq: read(0), dk1: read(1), dk2: read(2), dv1: read(3), dv2: read(4) };
}

/** Dot-product forward through the SIMD module; null when it cannot run. @internal */
export function dotForwardWasm(q: F32, k: F32, v: F32, dims: AttentionDims, o: ResolvedDot): { out: F32; lse: F32 } | null {
  const w = simplicialWasm();
  if (!w) return null;
  const { B, n, Hq, Hkv, d } = dims;
  const { offsets, end } = layout(w, [q.length, k.length, v.length, q.length, B * Hq * n, d + n + 16]);
  if (!ensure(w, end)) return null;
  const buf = w.memory.buffer;
  for (const [i, a] of [q, k, v].entries()) new Float32Array(buf, offsets[i], a.length).set(a);
  w.dotForward(...offsets, B, n, Hq, Hkv, d, o.window, o.causal ? 1 : 0, o.scale);
  return { out: new Float32Array(buf, offsets[3], q.length).slice(), lse: new Float32Array(buf, offsets[4], B * Hq * n).slice() };
}

/** Dot-product backward through the SIMD module; null when it cannot run. @internal */
export function dotBackwardWasm(
  q: F32,
  k: F32,
  v: F32,
  out: F32,
  dOut: F32,
  lse: F32,
  dims: AttentionDims,
  o: ResolvedDot,
): { dq: F32; dk: F32; dv: F32 } | null {
  const w = simplicialWasm();
  if (!w) return null;
  const { B, n, Hq, Hkv, d } = dims;
  const grads = [q.length, k.length, v.length];
  const { offsets, end } = layout(w, [q.length, k.length, v.length, out.length, dOut.length, lse.length, ...grads, 16]);
  if (!ensure(w, end)) return null;
  const buf = w.memory.buffer;
  for (const [i, a] of [q, k, v, out, dOut, lse].entries()) new Float32Array(buf, offsets[i], a.length).set(a);
  for (let g = 0; g < 3; g++) new Float32Array(buf, offsets[6 + g], grads[g]).fill(0);
  w.dotBackward(...offsets, B, n, Hq, Hkv, d, o.window, o.causal ? 1 : 0, o.scale);
  const read = (g: number) => new Float32Array(buf, offsets[6 + g], grads[g]).slice();
  return { dq: read(0), dk: read(1), dv: read(2) };
}
