// JavaScript twin of src/assembly/nvfp4.ts: NVFP4 quantize+pack (E2M1 pairs, E4M3 block scales over 16 elements)
// and dequantize, after pytorch/ao torchao/prototype/mx_formats/nvfp4_tensor.py.

const F = new Float32Array(1);
const U = new Int32Array(F.buffer);

const D = new Float64Array(1);
const DU = new Uint32Array(D.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** 2^52 + 2^51: (y + MAGIC) − MAGIC rounds 0 ≤ y < 2^51 to an integer, half to even. */
const MAGIC = 6755399441055744;

/** E4M3 code of v in [2^-6, 448] (a float64 normal): exponent from the bits, significand rounded half to even. */
function e4m3ScaleCode(v: number): number {
  D[0] = v;
  const e = ((DU[HI] >>> 20) & 0x7ff) - 1023;
  const r = v * 2 ** (3 - e) + MAGIC - MAGIC;
  return (e + 7) * 8 + r - 8;
}

function bitThreshold(t: number, strict: boolean): number {
  F[0] = t;
  let g = U[0];
  const f = F[0];
  if (strict) {
    if (f > t) g--;
  } else {
    if (f < t) g++;
    g--;
  }
  return g;
}

function fp4Mag(a: number): number {
  return (
    (a > 0.25 ? 1 : 0) +
    (a >= 0.75 ? 1 : 0) +
    (a > 1.25 ? 1 : 0) +
    (a >= 1.75 ? 1 : 0) +
    (a > 2.5 ? 1 : 0) +
    (a >= 3.5 ? 1 : 0) +
    (a > 5 ? 1 : 0)
  );
}

/** {@link nvfp4Quantize} in JavaScript (arguments checked). @internal */
export function nvfp4QuantizeJs(
  src: Float32Array,
  rows: number,
  L: number,
  st: number,
  arithmetic: number,
  e4m3: Float32Array,
  data: Uint8Array,
  scales: Uint8Array,
): void {
  const nB = Math.ceil(L / 16);
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  st = Math.fround(st);
  const invSt = Math.fround(1 / st);
  data.fill(0, 0, rows * nB * 8);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * 16;
      const n = Math.min(16, L - b * 16);
      const d = (r * nB + b) * 8;
      let amax = 0;
      for (let i = 0; i < n; i++) {
        const a = u[start + i] & 0x7fffffff;
        if (a > amax) amax = a;
      }
      if (amax >= 0x7f800000) {
        scales[r * nB + b] = 0x7f;
        continue;
      }
      U[0] = amax;
      const am = F[0];
      let sbv = arithmetic === 1 ? Math.fround(Math.fround(am / 6) / st) : am / 6 / st;
      sbv = sbv < 2 ** -6 ? 2 ** -6 : sbv > 448 ? 448 : sbv;
      const code = e4m3ScaleCode(sbv);
      scales[r * nB + b] = code;
      const sb = e4m3[code];
      if (arithmetic === 1) {
        const rcp = Math.fround(invSt / sb);
        for (let i = 0; i < n; i++) {
          const c = fp4Mag(Math.abs(Math.fround(src[start + i] * rcp))) | ((u[start + i] >>> 31) << 3);
          data[d + (i >> 1)] |= c << ((i & 1) << 2);
        }
      } else {
        const div = st * sb;
        const g = [
          bitThreshold(0.25 * div, true),
          bitThreshold(0.75 * div, false),
          bitThreshold(1.25 * div, true),
          bitThreshold(1.75 * div, false),
          bitThreshold(2.5 * div, true),
          bitThreshold(3.5 * div, false),
          bitThreshold(5 * div, true),
        ];
        for (let i = 0; i < n; i++) {
          const bits = u[start + i];
          const a = bits & 0x7fffffff;
          let c = 0;
          for (let t = 0; t < 7; t++) if (a > g[t]) c++;
          data[d + (i >> 1)] |= (c | ((bits >>> 31) << 3)) << ((i & 1) << 2);
        }
      }
    }
  }
}

/** {@link nvfp4Dequantize} in JavaScript. @internal */
export function nvfp4DequantizeJs(
  data: Uint8Array,
  scales: Uint8Array,
  rows: number,
  L: number,
  st: number,
  fp4: Float32Array,
  e4m3: Float32Array,
  out: Float32Array,
): void {
  const nB = Math.ceil(L / 16);
  st = Math.fround(st);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nB; b++) {
      const start = r * L + b * 16;
      const n = Math.min(16, L - b * 16);
      const sc = scales[r * nB + b];
      const d = (r * nB + b) * 8;
      if (sc === 0x7f) {
        out.fill(Number.NaN, start, start + n);
        continue;
      }
      const s = e4m3[sc] * st;
      for (let i = 0; i < n; i++) out[start + i] = fp4[(data[d + (i >> 1)] >> ((i & 1) << 2)) & 0xf] * s;
    }
  }
}
