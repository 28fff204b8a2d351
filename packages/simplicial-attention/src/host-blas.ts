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

/**
 * Four dot products sharing one operand: out[c] = Σ_l a[ao+l]·b[bo_c+l] for c < 4 (a register-blocked GEMV step: five
 * loads per four multiply-adds instead of eight). @internal
 */
export function dot4(
  a: Float64Array,
  ao: number,
  b: Float64Array,
  b0: number,
  b1: number,
  b2: number,
  b3: number,
  d: number,
  out: Float64Array,
): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let l = 0; l < d; l++) {
    const x = a[ao + l];
    s0 += x * b[b0 + l];
    s1 += x * b[b1 + l];
    s2 += x * b[b2 + l];
    s3 += x * b[b3 + l];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

/** y[yo+l] += c0·x[x0+l] + c1·x[x1+l] + c2·x[x2+l] + c3·x[x3+l] (one load and store of y per four multiply-adds). @internal */
export function axpy4(
  y: Float64Array,
  yo: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  x: Float64Array,
  x0: number,
  x1: number,
  x2: number,
  x3: number,
  d: number,
): void {
  for (let l = 0; l < d; l++) y[yo + l] += c0 * x[x0 + l] + c1 * x[x1 + l] + c2 * x[x2 + l] + c3 * x[x3 + l];
}

/** y_c[l] += c_c·x[xo+l] into four rows y[y0..], y[y1..], y[y2..], y[y3..] (a rank-1 update of four rows). @internal */
export function ger4(
  y: Float64Array,
  y0: number,
  y1: number,
  y2: number,
  y3: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  x: Float64Array,
  xo: number,
  d: number,
): void {
  for (let l = 0; l < d; l++) {
    const v = x[xo + l];
    y[y0 + l] += c0 * v;
    y[y1 + l] += c1 * v;
    y[y2 + l] += c2 * v;
    y[y3 + l] += c3 * v;
  }
}
