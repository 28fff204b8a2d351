// Naive scalar reference for BDR quantization, written from the definitions (Rouhani et al., arXiv:2302.08007 §III;
// AMD Quark quark/torch/kernel/hw_emulation/hw_emulation_interface.py::fake_quantize_mx6_mx9 for the exponent rules
// and the clamp quirk). Slow on purpose: one number at a time, float64, no bit tricks beyond reading the exponent field.
import type { BDRFormat } from '../../src/format.js';

export type RefRounding = 'even' | 'nearest' | 'floor' | 'stochastic';

/** Unbiased exponent from the float32 exponent field; zero, subnormals, NaN and Inf count as −127 (as Quark). */
export function fieldExponent(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x);
  const field = (dv.getUint32(0) >>> 23) & 0xff;
  if (field === 0 || field === 255) return -127;
  return field - 127;
}

export function roundRef(y: number, rounding: RefRounding, u = 0): number {
  const a = Math.abs(y);
  const f = Math.floor(a);
  const frac = a - f;
  let r: number;
  if (rounding === 'even') r = frac > 0.5 || (frac === 0.5 && f % 2 === 1) ? f + 1 : f;
  else if (rounding === 'nearest') r = frac >= 0.5 ? f + 1 : f;
  else if (rounding === 'floor') r = f;
  else r = Math.floor(a + u);
  return y < 0 || Object.is(y, -0) ? -r : r;
}

export interface RefBlock {
  /** Unbiased block exponent. */
  E: number;
  /** Shift per sub-block. */
  s: number[];
  /** Signed integer per element (−0 for a negative value rounding to 0). */
  q: number[];
  /** Dequantized values (NaN kept). */
  y: number[];
}

/**
 * One level-1 block (length ≤ k1; missing elements are zero padding). Non-finite inputs follow Quark's fake
 * quantization: excluded from the maxima, NaN → NaN, ±Inf → ± the largest magnitude of its sub-block's grid.
 */
export function refBlock(
  x: readonly number[],
  f: BDRFormat,
  clamp: 'field' | 'quark',
  rounding: RefRounding = 'even',
  random?: () => number,
): RefBlock {
  const bias = 2 ** (f.d1 - 1) - 1;
  const Emin = -bias;
  const Emax = 2 ** f.d1 - 1 - bias;
  const padded: number[] = [];
  for (let i = 0; i < f.k1; i++) padded.push(i < x.length ? x[i] : 0);
  let amax = 0;
  for (const v of padded) if (Number.isFinite(v)) amax = Math.max(amax, Math.abs(v));
  const E = Math.min(Math.max(fieldExponent(amax), Emin), Emax);
  const s: number[] = [];
  const q: number[] = [];
  const y: number[] = [];
  const smax = 2 ** f.d2 - 1;
  for (let j = 0; j < f.k1 / f.k2; j++) {
    const sub = padded.slice(j * f.k2, (j + 1) * f.k2);
    let ej = -127;
    for (const v of sub) ej = Math.max(ej, fieldExponent(v));
    const sj = Math.min(Math.max(E - ej, 0), smax);
    s.push(sj);
    const step = 2 ** (E - sj - (f.m - 1));
    const fieldMax = 2 ** f.m - 1;
    const quarkMax = Math.min(2 ** (E + 1) - step, 3.4028234663852886e38) / step;
    const lim = clamp === 'field' ? fieldMax : quarkMax;
    for (let t = 0; t < sub.length; t++) {
      const v = sub[t];
      if (j * f.k2 + t >= x.length) {
        // zero padding: dropped from the output, and draws no random number
        q.push(0);
        y.push(0);
        continue;
      }
      if (Number.isNaN(v)) {
        q.push(Number.NaN);
        y.push(Number.NaN);
        continue;
      }
      let qi: number;
      if (!Number.isFinite(v)) qi = v > 0 ? lim : -lim;
      else {
        qi = roundRef(v / step, rounding, rounding === 'stochastic' ? (random as () => number)() : 0);
        if (qi > lim) qi = lim;
        if (qi < -lim) qi = -lim;
      }
      q.push(qi);
      y.push(Math.fround(qi * step));
    }
  }
  return { E, s, q, y: y.slice(0, x.length) };
}

/** A whole 1-D row: consecutive blocks of k1, the last one zero-padded. */
export function refRow(x: readonly number[], f: BDRFormat, clamp: 'field' | 'quark' = 'field', rounding: RefRounding = 'even'): RefBlock[] {
  const out: RefBlock[] = [];
  for (let b = 0; b < x.length; b += f.k1) out.push(refBlock(x.slice(b, b + f.k1), f, clamp, rounding));
  return out;
}

/** Dequantized row. */
export function refFakeQuantize(
  x: readonly number[],
  f: BDRFormat,
  clamp: 'field' | 'quark' = 'field',
  rounding: RefRounding = 'even',
): number[] {
  return refRow(x, f, clamp, rounding).flatMap((b) => b.y);
}

/** Reference QSNR in dB: −10·log10(Σ(x̂ − x)² / Σx²) ([BDR] §IV-A). */
export function refQsnr(x: ArrayLike<number>, xq: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (xq[i] - x[i]) ** 2;
    den += x[i] ** 2;
  }
  return -10 * Math.log10(num / den);
}
