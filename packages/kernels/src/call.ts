// Argument checks and marshalling shared by every kernel entry point: sizes are checked before anything is written,
// so a bad argument is a TesseraError and never a write outside the arrays it names. Arrays that already live in
// kernel memory (`alloc`) are used in place; others are copied into scratch blocks and (outputs) back.
import { describe, TesseraError } from '@tessera/core';
import { type Arena, wasm } from './runtime.js';

type Typed = Float32Array | Int32Array | Uint8Array;
type Ctor = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** Largest element count a kernel accepts for one array (2^30: a 4 GiB float32 array, the wasm32 memory limit). */
export const MAX_ELEMENTS = 2 ** 30;

/** Checks an integer argument in [min, max]. @internal */
export function int(v: unknown, fn: string, name: string, min: number, max = MAX_ELEMENTS): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be an integer in [${min}, ${max}]`, describe(v));
  return v;
}

/** Checks that `a` is a `ctor` with at least `need` elements. @internal */
export function arr<T extends Typed>(a: unknown, ctor: Ctor, fn: string, name: string, need: number): T {
  if (!(a instanceof ctor)) throw new TesseraError('INVALID_DTYPE', fn, `${name} must be a ${ctor.name}`, describe(a));
  if (need > MAX_ELEMENTS)
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} would need ${need} elements, more than ${MAX_ELEMENTS}`, need);
  if ((a as Typed).length < need)
    throw new TesseraError(
      'INVALID_SHAPE',
      fn,
      `${name} must have at least ${need} elements${(a as Typed).length === 0 ? ' (a kernel-memory view taken before the memory grew is empty: read .array again)' : ''}`,
      (a as Typed).length,
    );
  return a as T;
}

/** Checks a string argument against its allowed values; returns its index. @internal */
export function pick(v: unknown, fn: string, name: string, allowed: readonly string[]): number {
  const i = typeof v === 'string' ? allowed.indexOf(v) : -1;
  if (i < 0)
    throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be one of ${allowed.map((s) => `'${s}'`).join(', ')}`, describe(v));
  return i;
}

/** One array argument of a wasm call: `n` elements, read (`in`), written (`out`) or both. @internal */
export interface ArgSpec {
  a: Typed | null;
  n: number;
  dir: 'in' | 'out' | 'inout';
}

/**
 * Runs `body` with byte addresses of every argument (0 for a null one) and of `scratchBytes` of scratch memory.
 * Addresses of arrays in kernel memory are taken first (a later allocation may grow the memory), the others are
 * copied in, and outputs copied back after the call; scratch is freed whatever happens. @internal
 */
export function withArgs(
  arena: Arena,
  fn: string,
  specs: ArgSpec[],
  scratchBytes: number,
  body: (p: number[], scratch: number) => void,
): void {
  const ptrs: number[] = specs.map((s) => (s.a !== null && arena.owns(s.a) ? s.a.byteOffset : -1));
  const owned: number[] = [];
  try {
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i];
      if (s.a === null) ptrs[i] = 0;
      else if (ptrs[i] < 0) {
        const bytes = s.n * s.a.BYTES_PER_ELEMENT;
        ptrs[i] = arena.alloc(bytes, fn);
        owned.push(ptrs[i]);
        if (s.dir !== 'out') new Uint8Array(arena.buffer, ptrs[i], bytes).set(new Uint8Array(s.a.buffer, s.a.byteOffset, bytes));
      }
    }
    let scratch = 0;
    if (scratchBytes > 0) {
      scratch = arena.alloc(scratchBytes, fn);
      owned.push(scratch);
    }
    body(ptrs, scratch);
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i];
      if (s.a !== null && s.dir !== 'in' && owned.includes(ptrs[i])) {
        const bytes = s.n * s.a.BYTES_PER_ELEMENT;
        new Uint8Array(s.a.buffer, s.a.byteOffset, bytes).set(new Uint8Array(arena.buffer, ptrs[i], bytes));
      }
    }
  } finally {
    for (const p of owned) arena.free(p);
  }
}

/**
 * Grows kernel memory once for `bytes` of scratch (so the calls that follow allocate without growing), then returns
 * the arrays with every kernel-memory view re-derived (growth detaches views taken before it). @internal
 */
export function reserve<T extends (Typed | null)[]>(arena: Arena, fn: string, bytes: number, arrays: T): T {
  const seen = arrays.map((a) => (a !== null && arena.owns(a) ? { off: a.byteOffset, len: a.length } : null));
  const p = arena.alloc(bytes, fn);
  arena.free(p);
  return arrays.map((a, i) => {
    const o = seen[i];
    if (a === null || o === null) return a;
    return new (a.constructor as Ctor)(arena.buffer, o.off, o.len);
  }) as T;
}

export { wasm };
