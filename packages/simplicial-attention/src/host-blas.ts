// The level-1 loops the attention kernels are made of: contiguous dot products and axpys over the head dimension,
// unrolled by four with independent accumulators (V8 keeps them in registers; about 1.5–2× the plain loop). All
// operands are Float64Array so every call site stays monomorphic and no float32→float64 conversion sits in the loop.

/** Σ_l a[ao+l]·b[bo+l] for l < d. @internal */
export function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let l = 0;
  for (; l + 3 < d; l += 4) {
    s0 += a[ao + l] * b[bo + l];
    s1 += a[ao + l + 1] * b[bo + l + 1];
    s2 += a[ao + l + 2] * b[bo + l + 2];
    s3 += a[ao + l + 3] * b[bo + l + 3];
  }
  for (; l < d; l++) s0 += a[ao + l] * b[bo + l];
  return s0 + s1 + (s2 + s3);
}

/** y[yo+l] += c·x[xo+l] for l < d. @internal */
export function axpy(y: Float64Array, yo: number, c: number, x: Float64Array, xo: number, d: number): void {
  let l = 0;
  for (; l + 3 < d; l += 4) {
    y[yo + l] += c * x[xo + l];
    y[yo + l + 1] += c * x[xo + l + 1];
    y[yo + l + 2] += c * x[xo + l + 2];
    y[yo + l + 3] += c * x[xo + l + 3];
  }
  for (; l < d; l++) y[yo + l] += c * x[xo + l];
}

/** y[yo+l] += c·a[ao+l]·b[bo+l] for l < d (a scaled Hadamard product, accumulated). @internal */
export function axpyHadamard(
  y: Float64Array,
  yo: number,
  c: number,
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  d: number,
): void {
  let l = 0;
  for (; l + 3 < d; l += 4) {
    y[yo + l] += c * a[ao + l] * b[bo + l];
    y[yo + l + 1] += c * a[ao + l + 1] * b[bo + l + 1];
    y[yo + l + 2] += c * a[ao + l + 2] * b[bo + l + 2];
    y[yo + l + 3] += c * a[ao + l + 3] * b[bo + l + 3];
  }
  for (; l < d; l++) y[yo + l] += c * a[ao + l] * b[bo + l];
}

/** A float64 copy of a float32 array (the kernels' working precision). @internal */
export function toF64(x: Float32Array | Float64Array): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}
