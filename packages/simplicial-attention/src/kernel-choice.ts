// Which kernels run an attention call. The kernels live in @tessera/kernels (WebAssembly SIMD, float32, with
// JavaScript twins in float64); `kernel: 'auto'` keeps that package's process-wide choice (WebAssembly unless SIMD is
// missing or TESSERA_KERNELS=js is set), `'wasm'` or `'js'` force one for the call and restore the choice after.
// Under 'auto', a WebAssembly call that cannot get enough kernel memory (4 GiB at most) runs on the JavaScript twins.
import { TesseraError } from '@tessera/core';
import { type KernelBackend, kernelBackend, setKernelBackend } from '@tessera/kernels';
import type { SimplicialKernel } from './options.js';

function unsupported(fn: string, why: string): never {
  throw new TesseraError('UNSUPPORTED', fn, "kernel 'wasm' needs WebAssembly SIMD and enough memory", why);
}

/** Runs `f` with @tessera/kernels on backend `b`, then restores the backend that was in effect. */
function onBackend<T>(b: KernelBackend, fn: string, f: () => T): T {
  const before = kernelBackend();
  if (before === b) return f();
  try {
    setKernelBackend(b);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'BACKEND_UNAVAILABLE') unsupported(fn, 'WebAssembly SIMD is not available here');
    throw e;
  }
  try {
    return f();
  } finally {
    setKernelBackend(undefined);
    if (kernelBackend() !== before) setKernelBackend(before); // the caller had forced it
  }
}

/** A failure to get kernel memory: the 4 GiB wasm32 limit, or a host that refuses to grow the memory. */
function isMemoryFailure(e: unknown): boolean {
  return e instanceof RangeError || (e instanceof TesseraError && e.message.includes('kernel memory is limited'));
}

/**
 * Runs `f` on the kernels `kernel` asks for and says which ran (the backward must run on the forward's kernel: their
 * roundings differ). @internal
 */
export function runKernel<T>(kernel: SimplicialKernel, fn: string, f: () => T): { value: T; backend: KernelBackend } {
  const want: KernelBackend = kernel === 'auto' ? kernelBackend() : kernel;
  try {
    return { value: onBackend(want, fn, f), backend: want };
  } catch (e) {
    if (want !== 'wasm' || !isMemoryFailure(e)) throw e;
    if (kernel === 'wasm') unsupported(fn, 'kernel memory cannot hold the operands');
    return { value: onBackend('js', fn, f), backend: 'js' };
  }
}
