// Arrays that live in kernel memory: kernels read and write them in place, so host data quantized from (or
// dequantized into) them is never copied. WebAssembly memory can only grow, and growth detaches every view taken
// before it, so a KernelArray hands out its view through a getter that re-derives it.
import { TesseraError } from '@tessera/core';
import { int, MAX_ELEMENTS } from './call.js';
import { wasm } from './runtime.js';

type Ctor = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;
type Instance<C extends Ctor> = InstanceType<C>;

/** A typed array in kernel memory (or a plain one under the JavaScript kernels). */
export interface KernelArray<T extends Float32Array | Int32Array | Uint8Array> {
  /** Number of elements. */
  readonly length: number;
  /** The current view (re-derived after the memory grew; do not keep it across other kernel calls). */
  readonly array: T;
  /** Releases the memory; the array must not be used afterwards. */
  free(): void;
}

/**
 * Allocates `length` zeroed elements of `ctor` (Float32Array, Int32Array or Uint8Array) in kernel memory, for
 * zero-copy kernel calls: pass `.array` to a kernel and it is read or written in place.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for an unsupported constructor or a length outside [0, 2^30].
 * @example
 * ```ts
 * import { alloc, mxQuantize } from '@tessera/kernels';
 * const x = alloc(Float32Array, 32);
 * x.array.fill(1.5);
 * const data = alloc(Uint8Array, 32);
 * const scales = new Uint8Array(1);
 * mxQuantize(x.array, 1, 32, 32, 'fp8_e4m3', 'floor', 'even', 0, 'byte', data.array, scales);
 * scales[0]; // → 119
 * x.free();
 * data.free();
 * ```
 */
export function alloc<C extends Ctor>(ctor: C, length: number): KernelArray<Instance<C>> {
  const fn = 'alloc';
  if (ctor !== Float32Array && ctor !== Int32Array && ctor !== Uint8Array)
    throw new TesseraError(
      'INVALID_ARGUMENT',
      fn,
      'ctor must be Float32Array, Int32Array or Uint8Array',
      String((ctor as { name?: string })?.name),
    );
  int(length, fn, 'length', 0, MAX_ELEMENTS);
  const w = wasm();
  if (w === null) {
    let a: Instance<C> | null = new ctor(length) as Instance<C>;
    return {
      length,
      get array() {
        if (a === null) throw new TesseraError('INVALID_ARGUMENT', fn, 'the array was freed', 'freed');
        return a;
      },
      free() {
        a = null;
      },
    };
  }
  const bytes = length * ctor.BYTES_PER_ELEMENT;
  const ptr = w.arena.alloc(bytes, fn);
  new Uint8Array(w.arena.buffer, ptr, bytes).fill(0);
  let buf: ArrayBuffer | null = null;
  let view: Instance<C> | null = null;
  let live = true;
  return {
    length,
    get array() {
      if (!live) throw new TesseraError('INVALID_ARGUMENT', fn, 'the array was freed', 'freed');
      const b = w.arena.buffer;
      if (b !== buf || view === null) {
        buf = b;
        view = new ctor(b, ptr, length) as Instance<C>;
      }
      return view;
    },
    free() {
      if (live) w.arena.free(ptr);
      live = false;
    },
  };
}
