// Naive CUTLASS encoder/decoder written from PyTorch's torch/sparse/_semi_structured_conversions.py and the golden set's decoding rule (slow on purpose).

/** The code of a group from its 4 non-zero flags, boolean formulas of PyTorch's conversion. */
export function refNibble(m0: boolean, m1: boolean, _m2: boolean, m3: boolean): number {
  const bit0 = !m0 && m1;
  const bit1 = !m0 && !m1;
  const bit2 = (m0 && m1) || (!m0 && !m1) || m3;
  const bit3 = (!m0 && m1) || !m1;
  const i0 = Number(bit0) | (Number(bit1) << 1);
  const i1 = Number(bit2) | (Number(bit3) << 1);
  return i0 | (i1 << 2);
}

/** Flat destination of unreordered meta element (r, c) in an m-row meta array (README steps 1–4). */
export function refMetaDst(r: number, c: number, m: number, int32: boolean): number {
  const G = int32 ? 16 : 32;
  const I = int32 ? 2 : 4;
  let rr = Math.floor(r / G) * G + (r % 8) * I + Math.floor((r % G) / 8);
  let cc = c;
  if (rr % 2 === 0 && c % 2 === 1) {
    rr += 1;
    cc = c - 1;
  } else if (rr % 2 === 1 && c % 2 === 0) {
    rr -= 1;
    cc = c + 1;
  }
  return Math.floor(cc / 2) * 2 * m + 2 * rr + (cc % 2);
}

/**
 * Encodes a dense matrix (numbers; `isNonZero` decides the flags) into CUTLASS packed + meta (as plain numbers,
 * meta as unsigned 16/32-bit words). `pairs` = float32 mode (groups are pairs of columns, 1:2).
 */
export function refEncodeCutlass(
  dense: number[],
  m: number,
  k: number,
  isNonZero: (v: number) => boolean,
  mode: 'f16' | 'f32' | 'i8',
): { packed: number[]; metaUnsigned: number[] } {
  const q = mode === 'i8' ? 8 : 4;
  const groupCols = mode === 'f32' ? 2 : 4;
  const groups = k / groupCols;
  const cols = groups / q;
  const packed: number[] = [];
  const meta: number[][] = [];
  for (let r = 0; r < m; r++) {
    const row: number[] = new Array(cols).fill(0);
    for (let g = 0; g < groups; g++) {
      const vals = dense.slice(r * k + g * groupCols, r * k + (g + 1) * groupCols);
      const f = vals.map(isNonZero);
      const nib = mode === 'f32' ? refNibble(f[0], f[0], f[1], f[1]) : refNibble(f[0], f[1], f[2], f[3]);
      if (mode === 'f32') packed.push(vals[(nib & 3) >> 1]);
      else packed.push(vals[nib & 3], vals[nib >> 2]);
      row[Math.floor(g / q)] += nib * 2 ** (4 * (g % q));
    }
    meta.push(row);
  }
  const out: number[] = new Array(m * cols).fill(0);
  for (let r = 0; r < m; r++) for (let c = 0; c < cols; c++) out[refMetaDst(r, c, m, mode === 'i8')] = meta[r][c];
  return { packed, metaUnsigned: out };
}

/** Decodes packed + meta (unsigned words) back to a dense row-major array (zeros elsewhere). */
export function refDecodeCutlass(packed: number[], metaUnsigned: number[], m: number, k: number, mode: 'f16' | 'f32' | 'i8'): number[] {
  const q = mode === 'i8' ? 8 : 4;
  const groupCols = mode === 'f32' ? 2 : 4;
  const groups = k / groupCols;
  const dense: number[] = new Array(m * k).fill(0);
  for (let r = 0; r < m; r++) {
    for (let g = 0; g < groups; g++) {
      const word = metaUnsigned[refMetaDst(r, Math.floor(g / q), m, mode === 'i8')];
      const nib = Math.floor(word / 2 ** (4 * (g % q))) % 16;
      if (mode === 'f32') dense[r * k + 2 * g + ((nib & 3) >> 1)] = packed[r * groups + g];
      else {
        dense[r * k + 4 * g + (nib & 3)] = packed[r * (k / 2) + 2 * g];
        dense[r * k + 4 * g + (nib >> 2)] = packed[r * (k / 2) + 2 * g + 1];
      }
    }
  }
  return dense;
}
