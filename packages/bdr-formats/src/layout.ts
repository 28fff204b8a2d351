// Moving the blocked axis last and back (the layout of OCP MX / torchao, reused for BDR).

/** Geometry of a tensor with its blocked axis moved last. @internal */
export interface Layout {
  outer: number;
  L: number;
  inner: number;
  rows: number;
  numel: number;
}

/** @internal */
export function layoutOf(shape: readonly number[], axis: number): Layout {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const L = shape[axis];
  return { outer, L, inner, rows: outer * inner, numel: outer * L * inner };
}

/** [outer, L, inner] → [outer, inner, L]; returns `src` itself when the axis is already last. @internal */
export function moveAxisLast(src: Float32Array, g: Layout): Float32Array {
  if (g.inner === 1) return src;
  if (g.numel === 0) return new Float32Array(0); // no elements: do not loop over the other (possibly huge) axes
  const { outer, L, inner } = g;
  const out = new Float32Array(g.numel);
  for (let o = 0; o < outer; o++) {
    const sBase = o * L * inner;
    const dBase = o * inner * L;
    for (let l = 0; l < L; l++) {
      const s = sBase + l * inner;
      for (let j = 0; j < inner; j++) out[dBase + j * L + l] = src[s + j];
    }
  }
  return out;
}

/** Inverse of {@link moveAxisLast}, writing into `out`. @internal */
export function moveAxisBack(src: Float32Array, g: Layout, out: Float32Array): Float32Array {
  if (g.inner === 1) {
    if (out !== src) out.set(src);
    return out;
  }
  if (g.numel === 0) return out;
  const { outer, L, inner } = g;
  for (let o = 0; o < outer; o++) {
    const sBase = o * inner * L;
    const dBase = o * L * inner;
    for (let j = 0; j < inner; j++) {
      const s = sBase + j * L;
      for (let l = 0; l < L; l++) out[dBase + l * inner + j] = src[s + l];
    }
  }
  return out;
}
