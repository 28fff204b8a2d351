// Float64 matmul oracle (spec conventions: tfjs has no float64, so oracles are plain TS).

/** c[m, n] = a[m, k] · b[k, n] in float64, plus Σ|a||b| per output for relative tolerances. */
export function refMatmul(
  a: ArrayLike<number>,
  m: number,
  k: number,
  b: ArrayLike<number>,
  n: number,
): { c: Float64Array; absSum: Float64Array } {
  const c = new Float64Array(m * n);
  const absSum = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        s += a[i * k + p] * b[p * n + j];
        t += Math.abs(a[i * k + p] * b[p * n + j]);
      }
      c[i * n + j] = s;
      absSum[i * n + j] = t;
    }
  }
  return { c, absSum };
}

/** Row-major transpose. */
export function refTranspose(a: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = new Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

const subnormal = (v: number) => v !== 0 && Math.abs(v) < 2 ** -126;

/**
 * What a GPU that flushes float32 subnormals to zero (the H200 under Dawn/Vulkan does, in every arithmetic op) may
 * lose per output of a·b, in absolute terms: every product with a subnormal factor (read as 0), plus at most 2^-126
 * for each of the k products and k partial sums that may itself be a subnormal flushed to 0. Zero for k = 0.
 */
export function flushSlack(a: ArrayLike<number>, m: number, k: number, b: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let lost = 2 * k * 2 ** -126;
      for (let p = 0; p < k; p++) {
        const x = a[i * k + p];
        const y = b[p * n + j];
        if (subnormal(x) || subnormal(y)) lost += Math.abs(x * y);
      }
      out[i * n + j] = lost;
    }
  }
  return out;
}

/**
 * The worst |got − want| / Σ|a||b| over all outputs. Σ|a||b| is floored at 2^-126·1e5 so that results in the
 * float32 subnormal range (which cannot carry 1e-5 relative precision) are compared absolutely. With `slack` (from
 * {@link flushSlack}, where tfjs ops ran on a GPU), that much absolute error per output is forgiven first.
 */
export function maxRelError(got: ArrayLike<number>, want: Float64Array, absSum: Float64Array, slack?: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.max(0, Math.abs(got[i] - want[i]) - (slack ? slack[i] : 0));
    const scale = Math.max(absSum[i], 2 ** -126 * 1e5);
    worst = Math.max(worst, err / scale);
  }
  return worst;
}
