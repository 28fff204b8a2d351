// Naive axis move, written from the definition of a row-major permutation (slow on purpose): for every element,
// unravel its flat index into a multi-index over `shape`, move the `axis` coordinate last, and ravel it again over the
// permuted shape. No [outer, L, inner] arithmetic, so it shares nothing with the fast loops it checks.

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + idx[d];
  return flat;
}

const permute = <T>(a: readonly T[], axis: number): T[] => [...a.slice(0, axis), ...a.slice(axis + 1), a[axis]];

/** `src` of row-major `shape` with `axis` (non-negative) moved last, as a new array. */
export function moveAxisLastReference(src: ArrayLike<number>, shape: readonly number[], axis: number): Float32Array {
  const out = new Float32Array(src.length);
  const to = permute(shape, axis);
  for (let i = 0; i < src.length; i++) out[ravel(permute(unravel(i, shape), axis), to)] = src[i];
  return out;
}

/** Inverse of {@link moveAxisLastReference}: `src` is laid out over `shape` with `axis` moved last. */
export function moveAxisBackReference(src: ArrayLike<number>, shape: readonly number[], axis: number): Float32Array {
  const out = new Float32Array(src.length);
  const from = permute(shape, axis);
  for (let i = 0; i < src.length; i++) {
    const p = unravel(i, from); // [..., without axis, axis]
    const idx = [...p.slice(0, axis), p[p.length - 1], ...p.slice(axis, p.length - 1)];
    out[ravel(idx, shape)] = src[i];
  }
  return out;
}
