// Naive, obviously-correct mask references written from the xformers / PyTorch definitions (slow on purpose).

/** Key of a value: |x| or x, NaN → −∞. */
export function refKey(v: number, by: 'magnitude' | 'value'): number {
  const k = by === 'magnitude' ? Math.abs(v) : v;
  return Number.isNaN(k) ? Number.NEGATIVE_INFINITY : k;
}

/** Row top-2 per group of 4 via a stable descending sort (Array.prototype.sort is stable). */
export function refMask24(x: ArrayLike<number>, by: 'magnitude' | 'value'): number[] {
  const out: number[] = new Array(x.length).fill(0);
  for (let g = 0; g < x.length; g += 4) {
    const idx = [0, 1, 2, 3].sort((a, b) => {
      const ka = refKey(x[g + a], by);
      const kb = refKey(x[g + b], by);
      return ka === kb ? 0 : ka > kb ? -1 : 1;
    });
    out[g + idx[0]] = 1;
    out[g + idx[1]] = 1;
  }
  return out;
}

/** The 16 keys of a tile, row-major, −∞ outside the matrix. */
export function refTileKeys(x: ArrayLike<number>, m: number, k: number, r0: number, c0: number, by: 'magnitude' | 'value'): number[] {
  const keys: number[] = [];
  for (let i = 0; i < 16; i++) {
    const r = r0 + Math.floor(i / 4);
    const c = c0 + (i % 4);
    keys.push(r < m && c < k ? refKey(x[r * k + c], by) : Number.NEGATIVE_INFINITY);
  }
  return keys;
}

/** Greedy tile: stable sort, accept while row and column hold < 2. Returns the 16 cells. */
export function refGreedyTile(keys: number[]): number[] {
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a] === keys[b] ? 0 : keys[a] > keys[b] ? -1 : 1));
  const rows = [0, 0, 0, 0];
  const cols = [0, 0, 0, 0];
  const cells = new Array(16).fill(0);
  for (const i of order) {
    const r = Math.floor(i / 4);
    const c = i % 4;
    if (rows[r] < 2 && cols[c] < 2) {
      rows[r]++;
      cols[c]++;
      cells[i] = 1;
    }
  }
  return cells;
}

/** Whether a 16-bit code has at most 2 cells per row and per column. */
export function refIsTransposable(code: number): boolean {
  for (let r = 0; r < 4; r++) {
    let n = 0;
    for (let c = 0; c < 4; c++) n += (code >> (4 * r + c)) & 1;
    if (n > 2) return false;
  }
  for (let c = 0; c < 4; c++) {
    let n = 0;
    for (let r = 0; r < 4; r++) n += (code >> (4 * r + c)) & 1;
    if (n > 2) return false;
  }
  return true;
}

/** Brute force over all 2^16 codes: the best finite-key sum (−∞ cells excluded), ties more cells, then lowest code. */
export function refOptimalTile(keys: number[]): { code: number; sum: number } {
  let best = { code: 0, sum: 0, cells: 0 };
  for (let code = 0; code < 1 << 16; code++) {
    if (!refIsTransposable(code)) continue;
    let sum = 0;
    let cells = 0;
    let ok = true;
    for (let i = 0; i < 16; i++) {
      if (!((code >> i) & 1)) continue;
      if (keys[i] === Number.NEGATIVE_INFINITY) ok = false;
      sum += keys[i];
      cells++;
    }
    if (!ok) continue;
    if (sum > best.sum || (sum === best.sum && cells > best.cells)) best = { code, sum, cells };
  }
  return { code: best.code, sum: best.sum };
}

/** Parses `'1100 0110 0011 1001'` (rows c0c1c2c3) into a 16-cell array. */
export function parseTile(s: string): number[] {
  return s
    .replace(/\s+/g, '')
    .split('')
    .map((ch) => (ch === '1' ? 1 : 0));
}
