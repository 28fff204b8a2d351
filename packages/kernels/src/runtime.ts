// Loads the one WebAssembly module, owns its memory (the arena) and picks the kernel backend. The module's bytes
// are inlined as base64 (src/generated), so nothing here touches the file system or resolves URLs: the same code runs
// from Node ESM and CJS, bundlers and browsers. Where synchronous compilation is not allowed (a browser main thread,
// modules over 4 KB) the JavaScript kernels run until `initKernels()` has compiled the module asynchronously.
import { TesseraError } from '@tessera/core';
import { WASM_BASE64 } from './generated/kernels-wasm.js';
import { prepare } from './warm.js';

export { TABLES } from './tables.js';

/** Which implementation the kernels run: the WebAssembly SIMD module or the JavaScript fallbacks. */
export type KernelBackend = 'wasm' | 'js';

/** The exports of the module (raw byte addresses into the arena). @internal */
export interface WasmExports {
  bdrQuantize(
    src: number,
    rows: number,
    L: number,
    k1: number,
    d1: number,
    k2: number,
    d2: number,
    m: number,
    rounding: number,
    exps: number,
    micro: number,
    mant: number,
    scratch: number,
  ): number;
  bdrDequantize(
    exps: number,
    micro: number,
    mant: number,
    rows: number,
    L: number,
    k1: number,
    d1: number,
    k2: number,
    d2: number,
    m: number,
    out: number,
    scratch: number,
  ): void;
  mxQuantize(
    src: number,
    rows: number,
    L: number,
    k: number,
    fmt: number,
    mode: number,
    rounding: number,
    flags: number,
    packing: number,
    data: number,
    scales: number,
    scratch: number,
  ): void;
  mxDequantize(data: number, packing: number, scales: number, rows: number, L: number, k: number, table: number, out: number): void;
  nvfp4Quantize(src: number, rows: number, L: number, st: number, arithmetic: number, e4m3: number, data: number, scales: number): void;
  nvfp4Dequantize(data: number, scales: number, rows: number, L: number, st: number, fp4: number, e4m3: number, out: number): void;
  /** pack: scratch for packed column blocks of b, or 0. */
  gemm(a: number, m: number, k: number, b: number, n: number, out: number, pack?: number): void;
  /** pack as gemm; returns the index of the first entry outside its 2:4 group (nothing written), or −1. */
  spmm24(values: number, cols: number, m: number, k: number, b: number, n: number, out: number, pack?: number): number;
  /** The CSR of Aᵀ from a 2:4 A; returns as spmm24. */
  csrTranspose24(values: number, cols: number, m: number, k: number, rowPtr: number, idx: number, vals: number): number;
  sddmm24(a: number, m: number, d: number, bt: number, cols: number, k: number, out: number): void;
  /** pack: scratch for one packed column block of b (bRows rows), or 0. */
  csrmm(rowPtr: number, idx: number, vals: number, rows: number, b: number, n: number, out: number, pack?: number, bRows?: number): void;
  mask24Compress(x: number, n: number, k: number, by: number, mask: number, values: number, cols: number): void;
  bagForward(
    table: number,
    D: number,
    ids: number,
    offsets: number,
    weights: number,
    nBags: number,
    mode: number,
    rows: number,
    out: number,
    ld: number,
    col: number,
  ): void;
  bagBackward(
    g: number,
    ld: number,
    col: number,
    D: number,
    ids: number,
    offsets: number,
    weights: number,
    nBags: number,
    mode: number,
    rows: number,
    dT: number,
  ): void;
  dedupBags(
    values: number,
    w: number,
    weights: number,
    offsets: number,
    B: number,
    groupKeys: number,
    groupStarts: number,
    nGroups: number,
    idx: number,
    reps: number,
    counts: number,
    scratch: number,
  ): void;
  rowsSelect(src: number, lds: number, cols: number, D: number, idx: number, n: number, out: number, ldo: number, colo: number): void;
  rowsIndexAdd(src: number, lds: number, cols: number, D: number, idx: number, n: number, out: number, ldo: number, colo: number): void;
  /** Fused embedding-bag backward + exact SGD / row-wise Adagrad update; returns the rows updated. */
  bagFusedUpdate(...args: number[]): number;
  simplicialForward(...args: number[]): void;
  simplicialBackward(...args: number[]): void;
  dotAttentionForward(...args: number[]): void;
  dotAttentionBackward(...args: number[]): void;
}

/** The parts of the WebAssembly JS API used here (the ES2022 lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: object };
  compile(bytes: Uint8Array): Promise<object>;
}
const WA = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
const HEAP_BASE = 16384;
/** Largest arena: 4 GiB less one page (wasm32). */
const MAX_PAGES = 65535;

interface Block {
  ptr: number;
  size: number;
}

/** First-fit allocator over the module's memory; 64-byte aligned blocks. @internal */
export class Arena {
  readonly memory: WasmMemory;
  private blocks: Block[] = [];
  private buf: ArrayBuffer;
  private u8v: Uint8Array;
  private f32v: Float32Array;
  private i32v: Int32Array;

  constructor(memory: WasmMemory) {
    this.memory = memory;
    this.buf = memory.buffer;
    this.u8v = new Uint8Array(this.buf);
    this.f32v = new Float32Array(this.buf);
    this.i32v = new Int32Array(this.buf);
  }

  /** Views of the whole memory, re-derived after growth. */
  get buffer(): ArrayBuffer {
    this.refresh();
    return this.buf;
  }
  get u8(): Uint8Array {
    this.refresh();
    return this.u8v;
  }
  get f32(): Float32Array {
    this.refresh();
    return this.f32v;
  }
  get i32(): Int32Array {
    this.refresh();
    return this.i32v;
  }

  private refresh(): void {
    if (this.memory.buffer !== this.buf) {
      this.buf = this.memory.buffer;
      this.u8v = new Uint8Array(this.buf);
      this.f32v = new Float32Array(this.buf);
      this.i32v = new Int32Array(this.buf);
    }
  }

  /** Whether a typed array lives in this memory (zero-copy). */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer;
  }

  /** Allocates `bytes` (growing the memory when needed); returns the byte address. */
  alloc(bytes: number, fn: string): number {
    const size = Math.max(64, Math.ceil(bytes / 64) * 64);
    let prev = HEAP_BASE;
    let at = this.blocks.length;
    for (let i = 0; i < this.blocks.length; i++) {
      if (this.blocks[i].ptr - prev >= size) {
        at = i;
        break;
      }
      prev = this.blocks[i].ptr + this.blocks[i].size;
    }
    const end = prev + size;
    if (end > this.memory.buffer.byteLength) {
      const pages = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
      const have = this.memory.buffer.byteLength / PAGE;
      if (have + pages > MAX_PAGES)
        throw new TesseraError(
          'INVALID_ARGUMENT',
          fn,
          `kernel memory is limited to ${MAX_PAGES} pages of 64 KiB (4 GiB), needs ${bytes} more bytes`,
          have,
        );
      this.memory.grow(pages);
      this.refresh();
    }
    this.blocks.splice(at, 0, { ptr: prev, size });
    return prev;
  }

  free(ptr: number): void {
    const i = this.blocks.findIndex((b) => b.ptr === ptr);
    if (i >= 0) this.blocks.splice(i, 1);
  }

  /** Bytes currently allocated (live blocks). */
  get allocatedBytes(): number {
    let s = 0;
    for (const b of this.blocks) s += b.size;
    return s;
  }
}

/** The instantiated module and its memory. @internal */
export interface Loaded {
  exports: WasmExports;
  arena: Arena;
}

let loaded: Loaded | null | undefined; // undefined: not tried; null: unavailable here
let forced: KernelBackend | undefined;

function envChoice(): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.TESSERA_KERNELS;
}

/** The bytes of a base64 string (Node's Buffer where present, else atob). @internal */
export function decodeBase64(s: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B !== undefined) return new Uint8Array(B.from(s, 'base64'));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function instantiate(module: object): Loaded {
  const memory = new (WA() as WasmApi).Memory({ initial: 4, maximum: MAX_PAGES });
  const instance = new (WA() as WasmApi).Instance(module, { env: { memory, abort: () => {} } });
  const l = { exports: instance.exports as unknown as WasmExports, arena: new Arena(memory) };
  prepare(l);
  return l;
}

function tryLoadSync(): Loaded | null {
  if (loaded !== undefined) return loaded;
  try {
    const api = WA();
    if (api === undefined) throw new Error('no WebAssembly');
    loaded = instantiate(new api.Module(decodeBase64(WASM_BASE64)));
  } catch {
    // no SIMD (CompileError), or synchronous compilation refused (browser main thread): JavaScript until initKernels
    loaded = null;
    syncRefused = true;
  }
  return loaded;
}
let syncRefused = false;

/**
 * Compiles and instantiates the WebAssembly module asynchronously (the kernels otherwise load synchronously on first
 * use, which browsers refuse on the main thread) and warms every kernel on a small input. Resolves to the backend the
 * kernels will use: `'wasm'`, or `'js'` where WebAssembly SIMD is missing or `TESSERA_KERNELS=js` is set.
 *
 * @example
 * ```ts
 * import { initKernels } from '@tessera/kernels';
 * const backend = await initKernels(); // 'wasm' where WebAssembly SIMD exists, else 'js'
 * ```
 */
export async function initKernels(): Promise<KernelBackend> {
  if (loaded === undefined || (loaded === null && syncRefused)) {
    try {
      const api = WA();
      if (api === undefined) throw new Error('no WebAssembly');
      const module = await api.compile(decodeBase64(WASM_BASE64));
      loaded = instantiate(module);
    } catch {
      loaded = null;
    }
  }
  return kernelBackend();
}

/** The loaded module, or null when the JavaScript kernels run. @internal */
export function wasm(): Loaded | null {
  const choice = forced ?? envChoice();
  if (choice === 'js') return null;
  return tryLoadSync();
}

/**
 * The backend the kernels run on now: `'wasm'` unless WebAssembly SIMD is missing, `TESSERA_KERNELS=js` is set or
 * {@link setKernelBackend} chose `'js'`.
 *
 * @example
 * ```ts
 * import { kernelBackend } from '@tessera/kernels';
 * kernelBackend(); // 'wasm' or 'js'
 * ```
 */
export function kernelBackend(): KernelBackend {
  return wasm() === null ? 'js' : 'wasm';
}

/**
 * Forces a backend for this process (`undefined` goes back to `TESSERA_KERNELS` / feature detection). Choosing
 * `'wasm'` where the module cannot load throws `BACKEND_UNAVAILABLE`.
 *
 * @throws TesseraError `INVALID_ARGUMENT` for another value; `BACKEND_UNAVAILABLE` when wasm cannot load here.
 * @example
 * ```ts
 * import { setKernelBackend, kernelBackend } from '@tessera/kernels';
 * setKernelBackend('js');
 * kernelBackend(); // → 'js'
 * setKernelBackend(undefined);
 * ```
 */
export function setKernelBackend(backend: KernelBackend | undefined): void {
  if (backend !== undefined && backend !== 'wasm' && backend !== 'js')
    throw new TesseraError('INVALID_ARGUMENT', 'setKernelBackend', "backend must be 'wasm', 'js' or undefined", String(backend));
  if (backend === 'wasm' && tryLoadSync() === null)
    throw new TesseraError('BACKEND_UNAVAILABLE', 'setKernelBackend', 'the WebAssembly SIMD module cannot be loaded here', 'wasm');
  forced = backend;
}
