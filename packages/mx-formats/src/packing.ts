import { TesseraError } from '@tessera/core';

function checkCodes(codes: unknown, fn: string, bits: number): Uint8Array {
  if (!(codes instanceof Uint8Array)) throw new TesseraError('INVALID_ARGUMENT', fn, 'codes must be a Uint8Array', codes);
  const lim = 1 << bits;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] >= lim)
      throw new TesseraError('INVALID_ARGUMENT', fn, `codes must be < ${lim} (${bits}-bit)`, `codes[${i}] = ${codes[i]}`);
  }
  return codes;
}

function checkCount(bytes: unknown, n: unknown, fn: string, need: (n: number) => number): void {
  if (!(bytes instanceof Uint8Array)) throw new TesseraError('INVALID_ARGUMENT', fn, 'bytes must be a Uint8Array', bytes);
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new TesseraError('INVALID_ARGUMENT', fn, 'n must be an integer >= 0', n);
  if (bytes.length !== need(n)) throw new TesseraError('INVALID_SHAPE', fn, `${n} codes need ${need(n)} bytes`, bytes.length);
}

/** Bytes that hold n FP4 codes. @internal */
export const fp4Bytes = (n: number): number => Math.ceil(n / 2);
/** Bytes that hold n packed FP6 codes (the FP6 bitstream of packFP6). @internal */
export const fp6Bytes = (n: number): number => Math.ceil((n * 6) / 8);

/**
 * Packs 4-bit codes two per byte, first element in the low nibble: byte j = c[2j] | c[2j+1] << 4 (the
 * layout of torchao `pack_uint4` and PyTorch `float4_e2m1fn_x2`). An odd count leaves the last high nibble 0.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when a code does not fit in 4 bits.
 * @example
 * ```ts
 * import { packFP4 } from '@tessera/mx-formats';
 * packFP4(new Uint8Array([0x1, 0xf])); // → Uint8Array [0xf1]
 * ```
 */
export function packFP4(codes: Uint8Array): Uint8Array {
  checkCodes(codes, 'packFP4', 4);
  return packFP4Unchecked(codes, new Uint8Array(fp4Bytes(codes.length)));
}

/** {@link packFP4} without validation (codes must be < 16). @internal */
export function packFP4Unchecked(codes: Uint8Array, out: Uint8Array): Uint8Array {
  const n = codes.length;
  const pairs = n >> 1;
  for (let j = 0; j < pairs; j++) out[j] = codes[2 * j] | (codes[2 * j + 1] << 4);
  if (n & 1) out[pairs] = codes[n - 1];
  return out;
}

/**
 * Unpacks `n` FP4 codes (inverse of {@link packFP4}).
 *
 * @throws TesseraError `INVALID_SHAPE` when `bytes` does not hold exactly ⌈n/2⌉ bytes.
 * @example
 * ```ts
 * import { unpackFP4 } from '@tessera/mx-formats';
 * unpackFP4(new Uint8Array([0xf1]), 2); // → Uint8Array [0x1, 0xf]
 * ```
 */
export function unpackFP4(bytes: Uint8Array, n: number): Uint8Array {
  checkCount(bytes, n, 'unpackFP4', fp4Bytes);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 1] >> ((i & 1) << 2)) & 0xf;
  return out;
}

/**
 * Packs 6-bit codes four in three bytes (tessera's documented convention): W = c0 | c1<<6 | c2<<12 |
 * c3<<18 is stored as [W & 0xFF, (W >> 8) & 0xFF, W >> 16], i.e. an LSB-first bitstream. A count that is not a
 * multiple of 4 fills the last bytes with zero bits. torchao stores FP6 unpacked: use `fp6Packing: 'unpacked'`.
 *
 * @throws TesseraError `INVALID_ARGUMENT` when a code does not fit in 6 bits.
 * @example
 * ```ts
 * import { packFP6 } from '@tessera/mx-formats';
 * packFP6(new Uint8Array([1, 2, 3, 4])); // → Uint8Array [0x81, 0x30, 0x10]
 * ```
 */
export function packFP6(codes: Uint8Array): Uint8Array {
  checkCodes(codes, 'packFP6', 6);
  return packFP6Unchecked(codes, new Uint8Array(fp6Bytes(codes.length)));
}

/** {@link packFP6} without validation. @internal */
export function packFP6Unchecked(codes: Uint8Array, out: Uint8Array): Uint8Array {
  const n = codes.length;
  const groups = n >> 2;
  let o = 0;
  let i = 0;
  for (let g = 0; g < groups; g++, i += 4, o += 3) {
    const w = codes[i] | (codes[i + 1] << 6) | (codes[i + 2] << 12) | (codes[i + 3] << 18);
    out[o] = w & 0xff;
    out[o + 1] = (w >> 8) & 0xff;
    out[o + 2] = w >> 16;
  }
  if (i < n) {
    let w = 0;
    for (let t = 0; i + t < n; t++) w |= codes[i + t] << (6 * t);
    for (; o < out.length; o++, w >>= 8) out[o] = w & 0xff;
  }
  return out;
}

/**
 * Unpacks `n` FP6 codes (inverse of {@link packFP6}).
 *
 * @throws TesseraError `INVALID_SHAPE` when `bytes` does not hold exactly ⌈6n/8⌉ bytes.
 * @example
 * ```ts
 * import { unpackFP6 } from '@tessera/mx-formats';
 * unpackFP6(new Uint8Array([0x81, 0x30, 0x10]), 4); // → Uint8Array [1, 2, 3, 4]
 * ```
 */
export function unpackFP6(bytes: Uint8Array, n: number): Uint8Array {
  checkCount(bytes, n, 'unpackFP6', fp6Bytes);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const bit = 6 * i;
    const j = bit >> 3;
    const w = bytes[j] | ((j + 1 < bytes.length ? bytes[j + 1] : 0) << 8);
    out[i] = (w >> (bit & 7)) & 0x3f;
  }
  return out;
}
