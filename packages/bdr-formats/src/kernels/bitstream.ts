// LSB-first bitstreams (bit j of the stream is bit j mod 8 of byte ⌊j/8⌋; field i of width w occupies stream bits
// [w·i, w·i + w)), the packing rule of tessera's planar BDR layout and of its MX FP6 packing.

/**
 * Packs n fields of w bits (1 ≤ w ≤ 24) into ⌈n·w/8⌉ bytes. Bits of a value above w are dropped. @internal
 */
export function packBits(values: ArrayLike<number>, w: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * w) / 8));
  const mask = w >= 32 ? -1 : (1 << w) - 1;
  let acc = 0;
  let n = 0;
  let j = 0;
  for (let i = 0; i < values.length; i++) {
    acc |= (values[i] & mask) << n;
    n += w;
    while (n >= 8) {
      out[j++] = acc;
      acc >>>= 8;
      n -= 8;
    }
  }
  if (n > 0) out[j] = acc;
  return out;
}

/** Unpacks n fields of w bits (1 ≤ w ≤ 24) from an LSB-first stream. @internal */
export function unpackBits(bytes: Uint8Array, n: number, w: number): Uint32Array {
  const out = new Uint32Array(n);
  const mask = (1 << w) - 1;
  let acc = 0;
  let k = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    while (k < w) {
      acc |= bytes[j++] << k;
      k += 8;
    }
    out[i] = acc & mask;
    acc >>>= w;
    k -= w;
  }
  return out;
}
