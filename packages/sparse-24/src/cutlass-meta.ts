// CUTLASS metadata encoding (PyTorch torch/sparse/_semi_structured_conversions.py, current encoding,
// which re-implements CUTLASS reorder_meta + ColumnMajorInterleaved<2>). Written from that file's formulas.

/**
 * The 4-bit code of a group from its non-zero flags `mask = m0 | m1<<1 | m2<<2 | m3<<3`:
 * `bit0 = ¬m0∧m1`, `bit1 = ¬m0∧¬m1`, `bit2 = (m0∧m1)∨(¬m0∧¬m1)∨m3`, `bit3 = (¬m0∧m1)∨¬m1`;
 * `i0 = bit0|bit1<<1`, `i1 = bit2|bit3<<1`, `nib = i0|i1<<2`. Exactly-2 groups give 4, 8, 12, 9, 13, 14.
 */
export const CUTLASS_NIBBLE_OF_MASK: Uint8Array = (() => {
  const t = new Uint8Array(16);
  for (let mask = 0; mask < 16; mask++) {
    const m0 = mask & 1;
    const m1 = (mask >> 1) & 1;
    const m3 = (mask >> 3) & 1;
    const n0 = 1 - m0;
    const n1 = 1 - m1;
    const bit0 = n0 & m1;
    const bit1 = n0 & n1;
    const bit2 = (m0 & m1) | (n0 & n1) | m3;
    const bit3 = (n0 & m1) | n1;
    t[mask] = bit0 | (bit1 << 1) | ((bit2 | (bit3 << 1)) << 2);
  }
  return t;
})();

/** The six codes of a valid (i0 < i1) group: 4 (0,1), 8 (0,2), 12 (0,3), 9 (1,2), 13 (1,3), 14 (2,3). */
export function isValidNibble(nib: number): boolean {
  const i0 = nib & 3;
  const i1 = nib >> 2;
  return i0 < i1;
}

/** Meta element type of a value dtype: int32 (8 nibbles) for int8 values, int16 (4 nibbles) otherwise. */
export function metaKind(dtype: 'float32' | 'float16' | 'int8'): 'int16' | 'int32' {
  return dtype === 'int8' ? 'int32' : 'int16';
}

/**
 * Destination flat offsets of the reordering: element (r, c) of the unreordered `m × C` meta array goes to
 * `offsets[r·C + c]` of the reordered array ((G, I) = (32, 4) for int16, (16, 2) for int32).
 * The caller guarantees `m % G == 0` and `C` even.
 */
export function cutlassMetaOffsets(m: number, cols: number, kind: 'int16' | 'int32'): Int32Array {
  const G = kind === 'int16' ? 32 : 16;
  const I = kind === 'int16' ? 4 : 2;
  const out = new Int32Array(m * cols);
  for (let r = 0; r < m; r++) {
    const r1 = Math.floor(r / G) * G + (r % 8) * I + Math.floor((r % G) / 8);
    for (let c = 0; c < cols; c++) {
      let r2 = r1;
      let c2 = c;
      if (r1 % 2 === 0 && c % 2 === 1) {
        r2 = r1 + 1;
        c2 = c - 1;
      } else if (r1 % 2 === 1 && c % 2 === 0) {
        r2 = r1 - 1;
        c2 = c + 1;
      }
      out[r * cols + c] = Math.floor(c2 / 2) * 2 * m + 2 * r2 + (c2 % 2);
    }
  }
  return out;
}
