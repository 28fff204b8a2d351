// WebAssembly SIMD (f32x4) kernels of windowed 2-simplicial attention (Roy et al., arXiv 2507.02754, Eqs. 5–7) and of
// the dot-product attention baseline, forward and backward. Same loop structure as the JavaScript twins in
// src/js/simplicial.ts (see its header for the formulas): per (batch, q-head, query), per j in window 1, four keys of
// window 2 at a time in register-blocked dot/axpy steps, an online max/sum in the forward, probabilities recomputed
// from the lse in the backward. Arithmetic is float32 (the JavaScript twins use float64), as FBGEMM's Triton kernels
// accumulate in float32. All pointers are byte addresses into the imported memory; every array is float32,
// row-major [B, n, H, d]; the loader (src/simplicial.ts) checks every size before a call.

// ---- level-1 steps over the head dimension (SIMD body, scalar tail) ----

function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * exp of four float32 lanes (Cephes expf: x = n·ln2 + r, a degree-5 polynomial in r, scaled by 2^n; inputs clamped to
 * [−87.3, 88.4]). Relative error below 1e-7 on [−87, 0], the range the kernels use (logit − max ≤ 0).
 */
function exp4(x: v128): v128 {
  x = f32x4.max(x, f32x4.splat(-87.33654));
  x = f32x4.min(x, f32x4.splat(88.37626));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(<f32>Math.LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(fx, f32x4.splat(2.1219444e-4)));
  let y = f32x4.splat(1.98756915e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(r, r)), r), f32x4.splat(1));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const p2 = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  return f32x4.mul(y, p2);
}
/** exp of one float32: the scalar form of {@link exp4} (same clamp, reduction and polynomial). */
function expScalar(x: f32): f32 {
  x = max(x, <f32>-87.33654);
  x = min(x, <f32>88.37626);
  const fx = nearest(x * <f32>Math.LOG2E);
  let r = x - fx * <f32>0.693359375;
  r = r + fx * <f32>2.1219444e-4;
  let y: f32 = 1.98756915e-4;
  y = y * r + <f32>1.3981999507e-3;
  y = y * r + <f32>8.3334519073e-3;
  y = y * r + <f32>4.1665795894e-2;
  y = y * r + <f32>1.6666665459e-1;
  y = y * r + <f32>5.0000001201e-1;
  y = y * (r * r) + r + <f32>1;
  return y * reinterpret<f32>((<i32>fx + 127) << 23);
}

/**
 * Natural log of one float32 (Cephes logf: x = m·2^e with m in [√½, √2), a degree-8 polynomial in m − 1; about one
 * ulp). Written here rather than Mathf.log, whose lookup tables would be static data in the imported memory, where
 * the loader keeps its own decode tables.
 */
function logScalar(x: f32): f32 {
  if (!(x > 0) || x == Infinity) return x == 0 ? -Infinity : x < 0 ? NaN : x; // NaN, ±Inf, 0, negatives
  let bits = reinterpret<i32>(x);
  let e: i32 = 0;
  if (bits < 0x00800000) {
    // subnormal: scale into the normal range first
    bits = reinterpret<i32>(x * <f32>16777216.0);
    e = -24;
  }
  e += (bits >> 23) - 126;
  let m = reinterpret<f32>((bits & 0x007fffff) | 0x3f000000); // [0.5, 1)
  if (m < <f32>0.70710678118654752) {
    e -= 1;
    m = m + m - <f32>1;
  } else {
    m = m - <f32>1;
  }
  const z = m * m;
  let y: f32 = 7.0376836292e-2;
  y = y * m - <f32>1.1514610310e-1;
  y = y * m + <f32>1.1676998740e-1;
  y = y * m - <f32>1.2420140846e-1;
  y = y * m + <f32>1.4249322787e-1;
  y = y * m - <f32>1.6668057665e-1;
  y = y * m + <f32>2.0000714765e-1;
  y = y * m - <f32>2.4999993993e-1;
  y = y * m + <f32>3.3333331174e-1;
  y = y * m * z;
  const fe = <f32>e;
  y = y + fe * <f32>-2.12194440e-4;
  y = y - <f32>0.5 * z;
  return m + y + fe * <f32>0.693359375;
}

function dot(a: usize, b: usize, d: i32): f32 {
  let s = f32x4.splat(0);
  let l = 0;
  for (; l + 3 < d; l += 4) {
    const o = <usize>(l << 2);
    s = f32x4.add(s, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let r = hsum(s);
  for (; l < d; l++) r += load<f32>(a + ((<usize>l) << 2)) * load<f32>(b + ((<usize>l) << 2));
  return r;
}

/** out[0..3] = ⟨a, b_c⟩ for four rows b0..b3. */
function dot4(a: usize, b0: usize, b1: usize, b2: usize, b3: usize, d: i32, out: usize): void {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  let l = 0;
  for (; l + 3 < d; l += 4) {
    const o = <usize>(l << 2);
    const x = v128.load(a + o);
    s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b0 + o)));
    s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b1 + o)));
    s2 = f32x4.add(s2, f32x4.mul(x, v128.load(b2 + o)));
    s3 = f32x4.add(s3, f32x4.mul(x, v128.load(b3 + o)));
  }
  let r0 = hsum(s0);
  let r1 = hsum(s1);
  let r2 = hsum(s2);
  let r3 = hsum(s3);
  for (; l < d; l++) {
    const o = <usize>(l << 2);
    const x = load<f32>(a + o);
    r0 += x * load<f32>(b0 + o);
    r1 += x * load<f32>(b1 + o);
    r2 += x * load<f32>(b2 + o);
    r3 += x * load<f32>(b3 + o);
  }
  store<f32>(out, r0);
  store<f32>(out, r1, 4);
  store<f32>(out, r2, 8);
  store<f32>(out, r3, 12);
}

/** y += c·x. */
function axpy(y: usize, c: f32, x: usize, d: i32): void {
  const cv = f32x4.splat(c);
  let l = 0;
  for (; l + 3 < d; l += 4) {
    const o = <usize>(l << 2);
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(cv, v128.load(x + o))));
  }
  for (; l < d; l++) {
    const o = <usize>(l << 2);
    store<f32>(y + o, load<f32>(y + o) + c * load<f32>(x + o));
  }
}

/** y += c0·x0 + c1·x1 + c2·x2 + c3·x3. */
function axpy4(y: usize, c0: f32, c1: f32, c2: f32, c3: f32, x0: usize, x1: usize, x2: usize, x3: usize, d: i32): void {
  const v0 = f32x4.splat(c0);
  const v1 = f32x4.splat(c1);
  const v2 = f32x4.splat(c2);
  const v3 = f32x4.splat(c3);
  let l = 0;
  for (; l + 3 < d; l += 4) {
    const o = <usize>(l << 2);
    const s = f32x4.add(
      f32x4.add(f32x4.mul(v0, v128.load(x0 + o)), f32x4.mul(v1, v128.load(x1 + o))),
      f32x4.add(f32x4.mul(v2, v128.load(x2 + o)), f32x4.mul(v3, v128.load(x3 + o))),
    );
    v128.store(y + o, f32x4.add(v128.load(y + o), s));
  }
  for (; l < d; l++) {
    const o = <usize>(l << 2);
    store<f32>(y + o, load<f32>(y + o) + c0 * load<f32>(x0 + o) + c1 * load<f32>(x1 + o) + c2 * load<f32>(x2 + o) + c3 * load<f32>(x3 + o));
  }
}

/** Rows y0..y3 += c_r·x. */
function ger4(y0: usize, y1: usize, y2: usize, y3: usize, c0: f32, c1: f32, c2: f32, c3: f32, x: usize, d: i32): void {
  const v0 = f32x4.splat(c0);
  const v1 = f32x4.splat(c1);
  const v2 = f32x4.splat(c2);
  const v3 = f32x4.splat(c3);
  let l = 0;
  for (; l + 3 < d; l += 4) {
    const o = <usize>(l << 2);
    const xv = v128.load(x + o);
    v128.store(y0 + o, f32x4.add(v128.load(y0 + o), f32x4.mul(v0, xv)));
    v128.store(y1 + o, f32x4.add(v128.load(y1 + o), f32x4.mul(v1, xv)));
    v128.store(y2 + o, f32x4.add(v128.load(y2 + o), f32x4.mul(v2, xv)));
    v128.store(y3 + o, f32x4.add(v128.load(y3 + o), f32x4.mul(v3, xv)));
  }
  for (; l < d; l++) {
    const o = <usize>(l << 2);
    const xv = load<f32>(x + o);
    store<f32>(y0 + o, load<f32>(y0 + o) + c0 * xv);
    store<f32>(y1 + o, load<f32>(y1 + o) + c1 * xv);
    store<f32>(y2 + o, load<f32>(y2 + o) + c2 * xv);
    store<f32>(y3 + o, load<f32>(y3 + o) + c3 * xv);
  }
}

/** y += a ⊙ b. */
function addHadamard(y: usize, a: usize, b: usize, d: i32): void {
  let l = 0;
  for (; l + 3 < d; l += 4) {
    const o = <usize>(l << 2);
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(v128.load(a + o), v128.load(b + o))));
  }
  for (; l < d; l++) {
    const o = <usize>(l << 2);
    store<f32>(y + o, load<f32>(y + o) + load<f32>(a + o) * load<f32>(b + o));
  }
}

/** t = s·(q ⊙ a), or s·(q × a) per 3-dim chunk with trilinear leftover dims. */
function makeT(t: usize, q: usize, a: usize, s: f32, d: i32, det: bool): void {
  let l = 0;
  if (det) {
    for (; l + 2 < d; l += 3) {
      const o = <usize>(l << 2);
      const x0 = load<f32>(q + o);
      const x1 = load<f32>(q + o, 4);
      const x2 = load<f32>(q + o, 8);
      const y0 = load<f32>(a + o);
      const y1 = load<f32>(a + o, 4);
      const y2 = load<f32>(a + o, 8);
      store<f32>(t + o, s * (x1 * y2 - x2 * y1));
      store<f32>(t + o, s * (x2 * y0 - x0 * y2), 4);
      store<f32>(t + o, s * (x0 * y1 - x1 * y0), 8);
    }
  }
  for (; l < d; l++) {
    const o = <usize>(l << 2);
    store<f32>(t + o, s * load<f32>(q + o) * load<f32>(a + o));
  }
}

/** dq += s·∂⟨t(q,a), z⟩/∂q, da += s·∂⟨t(q,a), z⟩/∂a. */
function gradT(dq: usize, da: usize, q: usize, a: usize, z: usize, s: f32, d: i32, det: bool): void {
  let l = 0;
  if (det) {
    for (; l + 2 < d; l += 3) {
      const o = <usize>(l << 2);
      const x0 = load<f32>(q + o);
      const x1 = load<f32>(q + o, 4);
      const x2 = load<f32>(q + o, 8);
      const y0 = load<f32>(a + o);
      const y1 = load<f32>(a + o, 4);
      const y2 = load<f32>(a + o, 8);
      const z0 = load<f32>(z + o);
      const z1 = load<f32>(z + o, 4);
      const z2 = load<f32>(z + o, 8);
      store<f32>(dq + o, load<f32>(dq + o) + s * (y1 * z2 - y2 * z1));
      store<f32>(dq + o, load<f32>(dq + o, 4) + s * (y2 * z0 - y0 * z2), 4);
      store<f32>(dq + o, load<f32>(dq + o, 8) + s * (y0 * z1 - y1 * z0), 8);
      store<f32>(da + o, load<f32>(da + o) + s * (z1 * x2 - z2 * x1));
      store<f32>(da + o, load<f32>(da + o, 4) + s * (z2 * x0 - z0 * x2), 4);
      store<f32>(da + o, load<f32>(da + o, 8) + s * (z0 * x1 - z1 * x0), 8);
    }
  }
  for (; l < d; l++) {
    const o = <usize>(l << 2);
    const zl = load<f32>(z + o);
    store<f32>(dq + o, load<f32>(dq + o) + s * load<f32>(a + o) * zl);
    store<f32>(da + o, load<f32>(da + o) + s * load<f32>(q + o) * zl);
  }
}

function lo(i: i32, w: i32): i32 {
  return i - w + 1 > 0 ? i - w + 1 : 0;
}

function hi(i: i32, w: i32, n: i32, causal: bool): i32 {
  return causal ? i : i + w - 1 < n - 1 ? i + w - 1 : n - 1;
}

function zero(p: usize, d: i32): void {
  memory.fill(p, 0, (<usize>d) << 2);
}

/**
 * Forward. Windows already clipped to n. Scratch: 3·d + 8 floats and the logits of window 2 (w2 causal, 2·w2 − 1 not).
 */
export function simplicialForward(
  q: usize,
  k1: usize,
  k2: usize,
  v1: usize,
  v2: usize,
  out: usize,
  lse: usize,
  scratch: usize,
  B: i32,
  n: i32,
  Hq: i32,
  Hkv: i32,
  d: i32,
  w1: i32,
  w2: i32,
  causal: bool,
  scale: f32,
  det: bool,
): void {
  simplicialForwardRows(q, k1, k2, v1, v2, out, lse, scratch, B, n, Hq, Hkv, d, w1, w2, causal, scale, det, 0, B * Hq * n);
}

/**
 * The forward of the query rows r in [r0, r1), r = (b·Hq + h)·n + i: each row writes only its own out and lse, so
 * threads may share a call's rows (the threaded build hands out chunks of rows).
 */
export function simplicialForwardRows(
  q: usize,
  k1: usize,
  k2: usize,
  v1: usize,
  v2: usize,
  out: usize,
  lse: usize,
  scratch: usize,
  B: i32,
  n: i32,
  Hq: i32,
  Hkv: i32,
  d: i32,
  w1: i32,
  w2: i32,
  causal: bool,
  scale: f32,
  det: bool,
  r0: i32,
  r1: i32,
): void {
  const group = Hq / Hkv;
  const dB = (<usize>d) << 2;
  const qStride = (<usize>(Hq * d)) << 2;
  const kvStride = (<usize>(Hkv * d)) << 2;
  const t = scratch;
  const u = t + dB;
  const acc = u + dB;
  const quad = acc + dB;
  const logits = quad + 16;
  for (let r = r0; r < r1; r++) {
    const i = r % n;
    const bh = r / n;
    const h = bh % Hq;
    const b = bh / Hq;
    const kvBase = <usize>(b * n) * kvStride + ((<usize>((h / group) * d)) << 2);
    const qo = q + <usize>(b * n + i) * qStride + ((<usize>(h * d)) << 2);
    const j0 = lo(i, w1);
    const j1 = hi(i, w1, n, causal);
    const k0 = lo(i, w2);
    const kEnd = hi(i, w2, n, causal);
    let m: f32 = -Infinity;
    let l: f32 = 0;
    zero(acc, d);
    for (let j = j0; j <= j1; j++) {
      const jo = kvBase + <usize>j * kvStride;
      makeT(t, qo, k1 + jo, scale, d, det);
      let mj: f32 = -Infinity;
      let k = k0;
      for (; k + 3 <= kEnd; k += 4) {
        const o0 = k2 + kvBase + <usize>k * kvStride;
        dot4(t, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d, quad);
        for (let c = 0; c < 4; c++) {
          const a = load<f32>(quad + ((<usize>c) << 2));
          store<f32>(logits + ((<usize>(k - k0 + c)) << 2), a);
          if (a > mj) mj = a;
        }
      }
      for (; k <= kEnd; k++) {
        const a = dot(t, k2 + kvBase + <usize>k * kvStride, d);
        store<f32>(logits + ((<usize>(k - k0)) << 2), a);
        if (a > mj) mj = a;
      }
      if (mj > m) {
        const alpha = expScalar(m - mj);
        if (alpha !== 1) {
          const av = f32x4.splat(alpha);
          let e = 0;
          for (; e + 3 < d; e += 4) v128.store(acc + ((<usize>e) << 2), f32x4.mul(av, v128.load(acc + ((<usize>e) << 2))));
          for (; e < d; e++) store<f32>(acc + ((<usize>e) << 2), alpha * load<f32>(acc + ((<usize>e) << 2)));
          l *= alpha;
        }
        m = mj;
      }
      zero(u, d);
      let sum: f32 = 0;
      for (k = k0; k + 3 <= kEnd; k += 4) {
        const o0 = v2 + kvBase + <usize>k * kvStride;
        const lp = logits + ((<usize>(k - k0)) << 2);
        const pv = exp4(f32x4.sub(v128.load(lp), f32x4.splat(m)));
        const p0 = f32x4.extract_lane(pv, 0);
        const p1 = f32x4.extract_lane(pv, 1);
        const p2 = f32x4.extract_lane(pv, 2);
        const p3 = f32x4.extract_lane(pv, 3);
        sum += p0 + p1 + p2 + p3;
        axpy4(u, p0, p1, p2, p3, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d);
      }
      for (; k <= kEnd; k++) {
        const p = expScalar(load<f32>(logits + ((<usize>(k - k0)) << 2)) - m);
        sum += p;
        axpy(u, p, v2 + kvBase + <usize>k * kvStride, d);
      }
      l += sum;
      addHadamard(acc, u, v1 + jo, d);
    }
    const inv: f32 = 1 / l;
    const oo = out + (qo - q);
    for (let e = 0; e < d; e++) store<f32>(oo + ((<usize>e) << 2), load<f32>(acc + ((<usize>e) << 2)) * inv);
    store<f32>(lse + ((<usize>((b * Hq + h) * n + i)) << 2), m + logScalar(l));
  }
}

/**
 * Backward: gradients of Σ dOut ⊙ out written into dq, dk1, dk2, dv1, dv2 (zeroed here first). Scratch: 6·d + 8 floats.
 */
export function simplicialBackward(
  q: usize,
  k1: usize,
  k2: usize,
  v1: usize,
  v2: usize,
  out: usize,
  dOut: usize,
  lse: usize,
  dq: usize,
  dk1: usize,
  dk2: usize,
  dv1: usize,
  dv2: usize,
  scratch: usize,
  B: i32,
  n: i32,
  Hq: i32,
  Hkv: i32,
  d: i32,
  w1: i32,
  w2: i32,
  causal: bool,
  scale: f32,
  det: bool,
): void {
  const qBytes = <usize>(B * n * Hq * d) << 2;
  const kvBytes = <usize>(B * n * Hkv * d) << 2;
  memory.fill(dq, 0, qBytes);
  memory.fill(dk1, 0, kvBytes);
  memory.fill(dk2, 0, kvBytes);
  memory.fill(dv1, 0, kvBytes);
  memory.fill(dv2, 0, kvBytes);
  const group = Hq / Hkv;
  const dB = (<usize>d) << 2;
  const qStride = (<usize>(Hq * d)) << 2;
  const kvStride = (<usize>(Hkv * d)) << 2;
  const t = scratch;
  const r = t + dB;
  const u = r + dB;
  const z = u + dB;
  const quadA = z + dB;
  const quadS = quadA + 16;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvBase = <usize>(b * n) * kvStride + ((<usize>((h / group) * d)) << 2);
      for (let i = 0; i < n; i++) {
        const rowQ = <usize>(b * n + i) * qStride + ((<usize>(h * d)) << 2);
        const qo = q + rowQ;
        const dO = dOut + rowQ;
        const D = dot(dO, out + rowQ, d);
        const L = load<f32>(lse + ((<usize>((b * Hq + h) * n + i)) << 2));
        const j0 = lo(i, w1);
        const j1 = hi(i, w1, n, causal);
        const k0 = lo(i, w2);
        const kEnd = hi(i, w2, n, causal);
        for (let j = j0; j <= j1; j++) {
          const jo = kvBase + <usize>j * kvStride;
          makeT(t, qo, k1 + jo, scale, d, det);
          zero(r, d);
          addHadamard(r, dO, v1 + jo, d);
          zero(u, d);
          zero(z, d);
          let k = k0;
          for (; k + 3 <= kEnd; k += 4) {
            const o0 = kvBase + <usize>k * kvStride;
            const o1 = o0 + kvStride;
            const o2 = o1 + kvStride;
            const o3 = o2 + kvStride;
            dot4(t, k2 + o0, k2 + o1, k2 + o2, k2 + o3, d, quadA);
            dot4(r, v2 + o0, v2 + o1, v2 + o2, v2 + o3, d, quadS);
            const pv = exp4(f32x4.sub(v128.load(quadA), f32x4.splat(L)));
            const av = f32x4.mul(pv, f32x4.sub(v128.load(quadS), f32x4.splat(D)));
            const p0 = f32x4.extract_lane(pv, 0);
            const p1 = f32x4.extract_lane(pv, 1);
            const p2 = f32x4.extract_lane(pv, 2);
            const p3 = f32x4.extract_lane(pv, 3);
            const a0 = f32x4.extract_lane(av, 0);
            const a1 = f32x4.extract_lane(av, 1);
            const a2 = f32x4.extract_lane(av, 2);
            const a3 = f32x4.extract_lane(av, 3);
            axpy4(u, p0, p1, p2, p3, v2 + o0, v2 + o1, v2 + o2, v2 + o3, d);
            ger4(dv2 + o0, dv2 + o1, dv2 + o2, dv2 + o3, p0, p1, p2, p3, r, d);
            axpy4(z, a0, a1, a2, a3, k2 + o0, k2 + o1, k2 + o2, k2 + o3, d);
            ger4(dk2 + o0, dk2 + o1, dk2 + o2, dk2 + o3, a0, a1, a2, a3, t, d);
          }
          for (; k <= kEnd; k++) {
            const ko = kvBase + <usize>k * kvStride;
            const p = expScalar(dot(t, k2 + ko, d) - L);
            const dA = p * (dot(r, v2 + ko, d) - D);
            axpy(u, p, v2 + ko, d);
            axpy(dv2 + ko, p, r, d);
            axpy(z, dA, k2 + ko, d);
            axpy(dk2 + ko, dA, t, d);
          }
          addHadamard(dv1 + jo, dO, u, d);
          gradT(dq + rowQ, dk1 + jo, qo, k1 + jo, z, scale, d, det);
        }
      }
    }
  }
}

/**
 * Dot-product attention forward (the baseline, same layout, windows and GQA rule). Scratch: d + n + 8 floats.
 */
export function dotAttentionForward(
  q: usize,
  k: usize,
  v: usize,
  out: usize,
  lse: usize,
  scratch: usize,
  B: i32,
  n: i32,
  Hq: i32,
  Hkv: i32,
  d: i32,
  w: i32,
  causal: bool,
  scale: f32,
): void {
  const group = Hq / Hkv;
  const dB = (<usize>d) << 2;
  const qStride = (<usize>(Hq * d)) << 2;
  const kvStride = (<usize>(Hkv * d)) << 2;
  const acc = scratch;
  const quad = acc + dB;
  const logits = quad + 16;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvBase = <usize>(b * n) * kvStride + ((<usize>((h / group) * d)) << 2);
      for (let i = 0; i < n; i++) {
        const rowQ = <usize>(b * n + i) * qStride + ((<usize>(h * d)) << 2);
        const qo = q + rowQ;
        const j0 = lo(i, w);
        const j1 = hi(i, w, n, causal);
        let m: f32 = -Infinity;
        let j = j0;
        for (; j + 3 <= j1; j += 4) {
          const o0 = k + kvBase + <usize>j * kvStride;
          dot4(qo, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d, quad);
          for (let c = 0; c < 4; c++) {
            const a = scale * load<f32>(quad + ((<usize>c) << 2));
            store<f32>(logits + ((<usize>(j - j0 + c)) << 2), a);
            if (a > m) m = a;
          }
        }
        for (; j <= j1; j++) {
          const a = scale * dot(qo, k + kvBase + <usize>j * kvStride, d);
          store<f32>(logits + ((<usize>(j - j0)) << 2), a);
          if (a > m) m = a;
        }
        zero(acc, d);
        let l: f32 = 0;
        for (j = j0; j + 3 <= j1; j += 4) {
          const o0 = v + kvBase + <usize>j * kvStride;
          const lp = logits + ((<usize>(j - j0)) << 2);
          const pv = exp4(f32x4.sub(v128.load(lp), f32x4.splat(m)));
          const p0 = f32x4.extract_lane(pv, 0);
          const p1 = f32x4.extract_lane(pv, 1);
          const p2 = f32x4.extract_lane(pv, 2);
          const p3 = f32x4.extract_lane(pv, 3);
          l += p0 + p1 + p2 + p3;
          axpy4(acc, p0, p1, p2, p3, o0, o0 + kvStride, o0 + 2 * kvStride, o0 + 3 * kvStride, d);
        }
        for (; j <= j1; j++) {
          const p = expScalar(load<f32>(logits + ((<usize>(j - j0)) << 2)) - m);
          l += p;
          axpy(acc, p, v + kvBase + <usize>j * kvStride, d);
        }
        const inv: f32 = 1 / l;
        const oo = out + rowQ;
        for (let e = 0; e < d; e++) store<f32>(oo + ((<usize>e) << 2), load<f32>(acc + ((<usize>e) << 2)) * inv);
        store<f32>(lse + ((<usize>((b * Hq + h) * n + i)) << 2), m + logScalar(l));
      }
    }
  }
}

/** Dot-product attention backward written into dq, dk, dv (zeroed here first). Scratch: 8 floats. */
export function dotAttentionBackward(
  q: usize,
  k: usize,
  v: usize,
  out: usize,
  dOut: usize,
  lse: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  scratch: usize,
  B: i32,
  n: i32,
  Hq: i32,
  Hkv: i32,
  d: i32,
  w: i32,
  causal: bool,
  scale: f32,
): void {
  const qBytes = <usize>(B * n * Hq * d) << 2;
  const kvBytes = <usize>(B * n * Hkv * d) << 2;
  memory.fill(dq, 0, qBytes);
  memory.fill(dk, 0, kvBytes);
  memory.fill(dv, 0, kvBytes);
  const group = Hq / Hkv;
  const qStride = (<usize>(Hq * d)) << 2;
  const kvStride = (<usize>(Hkv * d)) << 2;
  const quadA = scratch;
  const quadS = quadA + 16;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvBase = <usize>(b * n) * kvStride + ((<usize>((h / group) * d)) << 2);
      for (let i = 0; i < n; i++) {
        const rowQ = <usize>(b * n + i) * qStride + ((<usize>(h * d)) << 2);
        const qo = q + rowQ;
        const dO = dOut + rowQ;
        const D = dot(dO, out + rowQ, d);
        const L = load<f32>(lse + ((<usize>((b * Hq + h) * n + i)) << 2));
        const j0 = lo(i, w);
        const j1 = hi(i, w, n, causal);
        let j = j0;
        for (; j + 3 <= j1; j += 4) {
          const o0 = kvBase + <usize>j * kvStride;
          const o1 = o0 + kvStride;
          const o2 = o1 + kvStride;
          const o3 = o2 + kvStride;
          dot4(qo, k + o0, k + o1, k + o2, k + o3, d, quadA);
          dot4(dO, v + o0, v + o1, v + o2, v + o3, d, quadS);
          const pv = exp4(f32x4.sub(f32x4.mul(f32x4.splat(scale), v128.load(quadA)), f32x4.splat(L)));
          const gv = f32x4.mul(f32x4.mul(f32x4.splat(scale), pv), f32x4.sub(v128.load(quadS), f32x4.splat(D)));
          const p0 = f32x4.extract_lane(pv, 0);
          const p1 = f32x4.extract_lane(pv, 1);
          const p2 = f32x4.extract_lane(pv, 2);
          const p3 = f32x4.extract_lane(pv, 3);
          const g0 = f32x4.extract_lane(gv, 0);
          const g1 = f32x4.extract_lane(gv, 1);
          const g2 = f32x4.extract_lane(gv, 2);
          const g3 = f32x4.extract_lane(gv, 3);
          axpy4(dq + rowQ, g0, g1, g2, g3, k + o0, k + o1, k + o2, k + o3, d);
          ger4(dk + o0, dk + o1, dk + o2, dk + o3, g0, g1, g2, g3, qo, d);
          ger4(dv + o0, dv + o1, dv + o2, dv + o3, p0, p1, p2, p3, dO, d);
        }
        for (; j <= j1; j++) {
          const jo = kvBase + <usize>j * kvStride;
          const p = expScalar(scale * dot(qo, k + jo, d) - L);
          const g = scale * p * (dot(dO, v + jo, d) - D);
          axpy(dq + rowQ, g, k + jo, d);
          axpy(dk + jo, g, qo, d);
          axpy(dv + jo, p, dO, d);
        }
      }
    }
  }
}
