// Windowed 2-simplicial attention (Roy et al., "Fast and Simplex", arXiv 2507.02754, Eqs. 5–7) as WGSL kernels:
// the forward and the three backward kernels follow pytorch/FBGEMM
// fbgemm_gpu/experimental/simplicial_attention/simplicial/ops/triton/{fwd,bwd}.py in what they save and recompute
// (only lse is saved; logits and probabilities are recomputed from it; nothing of size n·w1·w2 is stored) and the
// JavaScript attention kernels of @tessera/kernels (src/js/simplicial.ts) in their per-query order: for each j of
// window 1, t = s·(q_i ⊙ k1_j), logits ⟨t, k2_k⟩ over window 2, an online max/sum, acc += v1_j ⊙ Σ_k p_k v2_k.
// One invocation per query (forward, dQ) or per key row (dK1/dV1, dK2/dV2: the key-side gradients are gathered
// over the queries whose windows contain the key, so no float atomics are needed). Trilinear form only.
import * as tf from '@tensorflow/tfjs-core';
import { checkTensor, TesseraError } from '@tessera/core';
import { flatDispatch, type Program, type WebGPUBackendLike, webgpuBackend } from './program.js';
import {
  SplitDk1Program,
  SplitDk2Program,
  SplitDqProgram,
  SplitForwardProgram,
  splitApplies,
  splitDk1Bytes,
  splitDk2Bytes,
  splitDqBytes,
  splitForwardBytes,
} from './simplicial-split.js';

/** Options of {@link simplicialAttentionWebGPU} (as `SimplicialOptions` of @tessera/simplicial-attention). */
export interface WebGPUSimplicialOptions {
  /** Window of the (k1, v1) stream; a positive integer or `Infinity`. Default 512. */
  w1?: number;
  /** Window of the (k2, v2) stream; a positive integer or `Infinity`. Default 32. */
  w2?: number;
  /** Causal windows (default true). */
  causal?: boolean;
  /** Logit scale; default `1/√d`. */
  scale?: number;
  /** Only `'trilinear'` (the default) runs on the GPU. */
  variant?: 'trilinear' | 'determinant';
}

/** Largest head dimension the kernels take (per-invocation arrays of d floats). */
export const SIMPLICIAL_WEBGPU_MAX_D = 256;
/** Largest window-2 span (w2 causal, 2·w2 − 1 otherwise) the kernels take (per-invocation logits). */
export const SIMPLICIAL_WEBGPU_MAX_W2_SPAN = 256;

interface Dims {
  B: number;
  n: number;
  Hq: number;
  Hkv: number;
  d: number;
}
interface Resolved {
  w1: number;
  w2: number;
  causal: boolean;
  scale: number;
}

const WG = 64;

function windowWgsl(): string {
  return `
fn tsLo(i : i32, w : i32) -> i32 { return max(i - w + 1, 0); }
fn tsHi(i : i32, w : i32) -> i32 { return select(min(i + w - 1, uniforms.n - 1), i, CAUSAL); }
// the queries whose window of length w contains position j
fn tsQLo(j : i32, w : i32) -> i32 { return select(max(j - w + 1, 0), j, CAUSAL); }
fn tsQHi(j : i32, w : i32) -> i32 { return min(j + w - 1, uniforms.n - 1); }
`;
}

const UNIFORMS = 'total : i32, n : i32, Hq : i32, Hkv : i32, w1 : i32, w2 : i32, scale : f32, nq : i32,';

function constants(dims: Dims, o: Resolved, span: number): string {
  return `
const D = ${dims.d};
const W2S = ${span};
const CAUSAL = ${o.causal};
`;
}

abstract class SimplicialProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  abstract variableNames: string[];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = UNIFORMS;
  size = false;
  constructor(
    name: string,
    outSize: number,
    threads: number,
    protected readonly dims: Dims,
    protected readonly o: Resolved,
    protected readonly span: number,
  ) {
    this.outputShape = [outSize];
    this.dispatch = flatDispatch(threads, WG);
    this.shaderKey = `tessera_simplicial_${name}_${dims.d}_${span}_${o.causal}`;
  }
  header(): string {
    return constants(this.dims, this.o, this.span) + windowWgsl();
  }
  abstract getUserCode(): string;
}

/** Forward: result = [out (B·n·Hq·d) | lse (B·Hq·n)]. One invocation per (b, h, i). */
class ForwardProgram extends SimplicialProgram {
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2'];
  getUserCode(): string {
    return `${this.header()}
fn main(index : i32) {
  if (index >= uniforms.total) { return; }
  let n = uniforms.n;
  let i = index % n;
  let bh = index / n;
  let h = bh % uniforms.Hq;
  let b = bh / uniforms.Hq;
  let g = h / (uniforms.Hq / uniforms.Hkv);
  let qo = ((b * n + i) * uniforms.Hq + h) * D;
  let kvStride = uniforms.Hkv * D;
  let kvBase = b * n * kvStride + g * D;
  var qv : array<f32, D>;
  var t : array<f32, D>;
  var u : array<f32, D>;
  var acc : array<f32, D>;
  var lg : array<f32, W2S>;
  for (var e = 0; e < D; e++) { qv[e] = Q[qo + e] * uniforms.scale; acc[e] = 0.0; }
  let k0 = tsLo(i, uniforms.w2);
  let kEnd = tsHi(i, uniforms.w2);
  var m = 0.0;
  var l = 0.0;
  var first = true;
  for (var j = tsLo(i, uniforms.w1); j <= tsHi(i, uniforms.w1); j++) {
    let jo = kvBase + j * kvStride;
    for (var e = 0; e < D; e++) { t[e] = qv[e] * K1[jo + e]; }
    var mj = -3.4e38;
    for (var k = k0; k <= kEnd; k++) {
      let ko = kvBase + k * kvStride;
      var a = 0.0;
      for (var e = 0; e < D; e++) { a += t[e] * K2[ko + e]; }
      lg[k - k0] = a;
      mj = max(mj, a);
    }
    if (first) { m = mj; first = false; }
    else if (mj > m) {
      let alpha = exp(m - mj);
      for (var e = 0; e < D; e++) { acc[e] *= alpha; }
      l *= alpha;
      m = mj;
    }
    for (var e = 0; e < D; e++) { u[e] = 0.0; }
    var sum = 0.0;
    for (var k = k0; k <= kEnd; k++) {
      let p = exp(lg[k - k0] - m);
      sum += p;
      let ko = kvBase + k * kvStride;
      for (var e = 0; e < D; e++) { u[e] += p * V2[ko + e]; }
    }
    l += sum;
    for (var e = 0; e < D; e++) { acc[e] += V1[jo + e] * u[e]; }
  }
  let inv = 1.0 / l;
  for (var e = 0; e < D; e++) { result[qo + e] = acc[e] * inv; }
  result[uniforms.total * D + bh * n + i] = m + log(l);
}
`;
  }
}

/** 0, 1, …, n − 1 (WGSL generation: the tiled kernels unroll their window-2 and column loops into scalars). */
const range = (n: number) => [...Array(n).keys()];

/**
 * WGSL of the `'tiled-reg'` second phase of the tiled forward and dQ, for invocation (query qi, vec4 columns
 * dj + c·8): window 2 outermost, each row of V2 (K2 for dQ) read from workgroup memory once per chunk and applied to
 * all jc window-1 offsets of the chunk held in registers (u_t += p_tk·v2_k; P is dA for dQ), then
 * acc += v1_t ⊙ u_t (k1 for dQ): jc× fewer workgroup-memory loads of V2 for jc·NC more vec4 registers.
 */
function phase2RegWgsl(
  jc: number,
  s2: number,
  cols: number[],
  guard: (c: number, st: string) => string,
  a: { p: string; v2: string; v1: string; acc: string },
): string {
  const ts = range(jc);
  return `${ts.map((t) => cols.map((c) => `var u${t}_${c} = vec4<f32>(0.0);`).join(' ')).join(' ')}
    for (var kk = 0; kk < S2; kk++) {
      let vr = (qi + kk) * RS + dj;
      ${cols.map((c) => `var v${c} = vec4<f32>(0.0); ${guard(c, `v${c} = ${a.v2}[vr + ${c * TJ}];`)}`).join(' ')}
      let pr = qi * JC * S2 + kk;
      ${ts.map((t) => `{ let p = ${a.p}[pr + ${t * s2}]; ${cols.map((c) => `u${t}_${c} += p * v${c};`).join(' ')} }`).join('\n      ')}
    }
    ${ts.map((t) => cols.map((c) => guard(c, `${a.acc}${c} += ${a.v1}[(qi + ${t}) * RS + dj + ${c * TJ}] * u${t}_${c};`)).join(' ')).join('\n    ')}`;
}

/** Queries per workgroup, and window-1 rows per chunk, of {@link TiledForwardProgram}. */
const TQ = 8;
const TJ = 8;

/** Workgroup memory (bytes) the tiled forward needs for head dimension d and window-2 span s2. @internal */
export function tiledForwardBytes(d: number, s2: number, jm = 1): number {
  const D4 = d / 4;
  const RS = D4 + 1;
  return 16 * (TQ * D4 + 2 * (TJ * jm + TQ - 1) * RS + 2 * (TQ + s2 - 1) * RS) + 4 * (TQ * TJ * jm * s2 + 2 * TQ * TJ);
}

/**
 * Tiled forward, after the FBGEMM Triton kernel's structure (fbgemm_gpu/experimental/simplicial_attention/
 * simplicial/ops/triton/fwd.py): a workgroup of TQ·TJ = 64 invocations takes TQ = 8 consecutive queries of one
 * (b, h). Their scaled queries and the union of their window-2 rows of K2 and V2 (TQ + span2 − 1 rows) are loaded
 * into workgroup memory once; window 1 is walked in chunks of TJ = 8 offsets, each chunk's TJ + TQ − 1 rows of K1 and
 * V1 loaded into workgroup memory (all loads vec4 and coalesced). Per chunk, invocation (query, offset) computes its
 * span2 logits ⟨q ⊙ k1_j, k2_k⟩ in registers, the chunk maximum is shared, each logit becomes a probability once
 * (online softmax: running max and sum per query, rescaled per chunk), and then the same 64 invocations switch to
 * (query, vec4 column) roles to accumulate Σ_j v1_j ⊙ Σ_k p_jk v2_k. Only lse is saved, as in the reference.
 * Rows of padded workgroup arrays are D/4 + 1 vec4s long, so neighbouring rows fall in different banks.
 */
class TiledForwardProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2'];
  variableComponents = [4, 4, 4, 4, 4];
  workgroupSize: [number, number, number] = [TQ * TJ, 1, 1];
  uniforms = 'total : i32, n : i32, Hq : i32, Hkv : i32, nbh : i32, scale : f32,';
  size = false;
  private readonly s1: number;
  private readonly s2: number;
  constructor(
    outSize: number,
    private readonly dims: Dims,
    private readonly o: Resolved,
    private readonly reg = false,
    private readonly jm = 1,
  ) {
    this.outputShape = [outSize];
    this.s1 = o.causal ? o.w1 : 2 * o.w1 - 1;
    this.s2 = o.causal ? o.w2 : 2 * o.w2 - 1;
    const groups = dims.B * dims.Hq * Math.ceil(dims.n / TQ);
    this.dispatch = flatDispatch(groups * TQ * TJ, TQ * TJ);
    this.shaderKey = `tessera_simplicial_tiledfwd${reg ? 'reg' : ''}${jm}_${dims.d}_${o.w1}_${o.w2}_${o.causal}`;
  }
  private phase2Reg(cols: number[], guard: (c: number, st: string) => string): string {
    return phase2RegWgsl(TJ * this.jm, this.s2, cols, guard, { p: 'sP', v2: 'sV2', v1: 'sV1', acc: 'acc' });
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const NC = Math.ceil(D4 / TJ);
    const S2 = this.s2;
    const cols = range(NC);
    const guard = (c: number, st: string) => (D4 % TJ === 0 ? st : `if (dj + ${c * TJ} < D4) { ${st} }`);
    const ms = range(this.jm);
    const JC = TJ * this.jm;
    const zeros = (v: string) =>
      ms
        .map((mm) =>
          range(S2)
            .map((kk) => `var ${v}${mm}_${kk} = 0.0;`)
            .join(' '),
        )
        .join(' ');
    return `
const D = ${this.dims.d};
const D4 = ${D4};
const RS = ${D4 + 1};
const BQ = ${TQ};
const LJ = ${TJ};
const JC = ${JC};
const WG = ${TQ * TJ};
const W1 = ${this.o.w1};
const W2 = ${this.o.w2};
const S1 = ${this.s1};
const S2 = ${this.s2};
const R1 = ${JC + TQ - 1};
const R2 = ${TQ + this.s2 - 1};
const NCH = ${Math.ceil(this.s1 / JC)};
const NC = ${NC};
const NEG = -3.0e38;
var<workgroup> sQ : array<vec4<f32>, ${TQ * D4}>;
var<workgroup> sK1 : array<vec4<f32>, ${(JC + TQ - 1) * (D4 + 1)}>;
var<workgroup> sV1 : array<vec4<f32>, ${(JC + TQ - 1) * (D4 + 1)}>;
var<workgroup> sK2 : array<vec4<f32>, ${(TQ + this.s2 - 1) * (D4 + 1)}>;
var<workgroup> sV2 : array<vec4<f32>, ${(TQ + this.s2 - 1) * (D4 + 1)}>;
var<workgroup> sP : array<f32, ${TQ * JC * this.s2}>;
var<workgroup> sMax : array<f32, ${TQ * TJ}>;
var<workgroup> sSum : array<f32, ${TQ * TJ}>;
fn main(index : i32) {
  let lid = i32(localIndex);
  let n = uniforms.n;
  let nT = (n + BQ - 1) / BQ;
  let wgi = index / WG;
  let tile = wgi % nT;
  let bh = wgi / nT;
  let live = bh < uniforms.nbh;
  let h = bh % uniforms.Hq;
  let b = bh / uniforms.Hq;
  let g = h / (uniforms.Hq / uniforms.Hkv);
  let i0 = tile * BQ;
  let qi = lid / LJ;
  let dj = lid - qi * LJ;
  let i = i0 + qi;
  let qOK = live && i < n;
  let kvRow = uniforms.Hkv * D4;
  let kvBase = b * n * kvRow + g * D4;
  for (var x = lid; x < BQ * D4; x += WG) {
    let r = x / D4;
    let ii = i0 + r;
    var v = vec4<f32>(0.0);
    if (live && ii < n) { v = Q[((b * n + ii) * uniforms.Hq + h) * D4 + x - r * D4] * uniforms.scale; }
    sQ[x] = v;
  }
  let kb = i0 - (W2 - 1);
  for (var x = lid; x < R2 * D4; x += WG) {
    let r = x / D4;
    let e4 = x - r * D4;
    let k = kb + r;
    var a = vec4<f32>(0.0);
    var c = vec4<f32>(0.0);
    if (live && k >= 0 && k < n) {
      let o = kvBase + k * kvRow + e4;
      a = K2[o];
      c = V2[o];
    }
    sK2[r * RS + e4] = a;
    sV2[r * RS + e4] = c;
  }
  var m = NEG;
  var l = 0.0;
  ${cols.map((c) => `var acc${c} = vec4<f32>(0.0);`).join(' ')}
  for (var ch = 0; ch < NCH; ch++) {
    workgroupBarrier();
    let jb = i0 - (W1 - 1) + ch * JC;
    for (var x = lid; x < R1 * D4; x += WG) {
      let r = x / D4;
      let e4 = x - r * D4;
      let j = jb + r;
      var a = vec4<f32>(0.0);
      var c = vec4<f32>(0.0);
      if (live && j >= 0 && j < n) {
        let o = kvBase + j * kvRow + e4;
        a = K1[o];
        c = V1[o];
      }
      sK1[r * RS + e4] = a;
      sV1[r * RS + e4] = c;
    }
    workgroupBarrier();
    // logits of (query i, window-1 offsets ch·JC + dj + m·LJ) over window 2, in registers (unrolled: one scalar each)
    ${ms.map((mm) => `let dlt${mm} = ch * JC + dj + ${mm * TJ}; let j${mm} = i - (W1 - 1) + dlt${mm}; let jOK${mm} = qOK && dlt${mm} < S1 && j${mm} >= 0 && j${mm} < n;`).join('\n    ')}
    ${zeros('a')}
    if (${ms.map((mm) => `jOK${mm}`).join(' || ')}) {
      for (var e4 = 0; e4 < D4; e4++) {
        let qv = sQ[qi * D4 + e4];
        ${ms.map((mm) => `let t${mm} = qv * sK1[(qi + dj + ${mm * TJ}) * RS + e4];`).join(' ')}
        let kr = qi * RS + e4;
        ${range(S2)
          .map((kk) => `{ let k2v = sK2[kr + ${kk * (D4 + 1)}]; ${ms.map((mm) => `a${mm}_${kk} += dot(t${mm}, k2v);`).join(' ')} }`)
          .join('\n        ')}
      }
    }
    let k0 = i - (W2 - 1);
    var lm = NEG;
    ${ms
      .map((mm) =>
        range(S2)
          .map((kk) => `if (!jOK${mm} || k0 + ${kk} < 0 || k0 + ${kk} >= n) { a${mm}_${kk} = NEG; }\n    lm = max(lm, a${mm}_${kk});`)
          .join('\n    '),
      )
      .join('\n    ')}
    sMax[lid] = lm;
    workgroupBarrier();
    var cm = NEG;
    for (var t = 0; t < LJ; t++) { cm = max(cm, sMax[qi * LJ + t]); }
    let mNew = max(m, cm);
    var ps = 0.0;
    ${ms
      .map(
        (mm) => `{ let pb = (qi * JC + dj + ${mm * TJ}) * S2;
    ${range(S2)
      .map((kk) => `{ var p = 0.0; if (a${mm}_${kk} > NEG) { p = exp(a${mm}_${kk} - mNew); } sP[pb + ${kk}] = p; ps += p; }`)
      .join('\n    ')} }`,
      )
      .join('\n    ')}
    sSum[lid] = ps;
    workgroupBarrier();
    // (query qi, vec4 columns dj + c·JC): rescale, then acc += Σ_t v1 ⊙ Σ_k p v2
    let alpha = exp(m - mNew);
    var cs = 0.0;
    for (var t = 0; t < LJ; t++) { cs += sSum[qi * LJ + t]; }
    l = l * alpha + cs;
    m = mNew;
    ${cols.map((c) => `acc${c} *= alpha;`).join(' ')}
    ${
      this.reg
        ? this.phase2Reg(cols, guard)
        : `for (var t = 0; t < JC; t++) {
      ${cols.map((c) => `var u${c} = vec4<f32>(0.0);`).join(' ')}
      let pr = (qi * JC + t) * S2;
      let vr = qi * RS + dj;
      for (var kk = 0; kk < S2; kk++) {
        let p = sP[pr + kk];
        ${cols.map((c) => guard(c, `u${c} += p * sV2[vr + kk * RS + ${c * TJ}];`)).join('\n        ')}
      }
      let v1r = (qi + t) * RS + dj;
      ${cols.map((c) => guard(c, `acc${c} += sV1[v1r + ${c * TJ}] * u${c};`)).join('\n      ')}
    }`
    }
  }
  if (qOK) {
    let inv = 1.0 / l;
    let qo = ((b * n + i) * uniforms.Hq + h) * D;
    ${cols.map((c) => guard(c, `{ let v = acc${c} * inv; let o = qo + 4 * (dj + ${c * TJ}); result[o] = v.x; result[o + 1] = v.y; result[o + 2] = v.z; result[o + 3] = v.w; }`)).join('\n    ')}
    if (dj == 0) { result[uniforms.total * D + bh * n + i] = m + log(l); }
  }
}
`;
  }
}

/** Workgroup memory (bytes) of {@link TiledDqProgram}. @internal */
export function tiledDqBytes(d: number, s2: number, jm = 1): number {
  const D4 = d / 4;
  const RS = D4 + 1;
  return 16 * (2 * TQ * D4 + 2 * (TJ * jm + TQ - 1) * RS + 2 * (TQ + s2 - 1) * RS) + 4 * TQ * TJ * jm * s2;
}

/**
 * Tiled dQ, the same tiling as {@link TiledForwardProgram} (FBGEMM `bwd.py`'s dq pass): per chunk, invocation
 * (query, offset) recomputes its logits and ⟨dO ⊙ v1_j, v2_k⟩ over window 2 from workgroup memory, turns them into
 * dA = exp(a − lse)·(ds − ⟨dO, O⟩) (no softmax state: lse is saved), and the invocations then accumulate
 * dq = scale·Σ_j k1_j ⊙ Σ_k dA_jk k2_k per (query, vec4 column). LD = [lse | ⟨dO_i, O_i⟩].
 */
class TiledDqProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  variableComponents = [4, 4, 4, 4, 4, 4, 1];
  workgroupSize: [number, number, number] = [TQ * TJ, 1, 1];
  uniforms = 'total : i32, n : i32, Hq : i32, Hkv : i32, nbh : i32, scale : f32,';
  size = false;
  private readonly s1: number;
  private readonly s2: number;
  constructor(
    outSize: number,
    private readonly dims: Dims,
    private readonly o: Resolved,
    private readonly jm = 1,
    private readonly reg = false,
  ) {
    this.outputShape = [outSize];
    this.s1 = o.causal ? o.w1 : 2 * o.w1 - 1;
    this.s2 = o.causal ? o.w2 : 2 * o.w2 - 1;
    const groups = dims.B * dims.Hq * Math.ceil(dims.n / TQ);
    this.dispatch = flatDispatch(groups * TQ * TJ, TQ * TJ);
    this.shaderKey = `tessera_simplicial_tileddq${reg ? 'reg' : ''}${jm}_${dims.d}_${o.w1}_${o.w2}_${o.causal}`;
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const JC = TJ * this.jm;
    const ms = range(this.jm);
    const R1 = JC + TQ - 1;
    const R2 = TQ + this.s2 - 1;
    const S2 = this.s2;
    const cols = range(Math.ceil(D4 / TJ));
    const guard = (c: number, st: string) => (D4 % TJ === 0 ? st : `if (dj + ${c * TJ} < D4) { ${st} }`);
    const zeros = (v: string) =>
      ms
        .map((mm) =>
          range(S2)
            .map((kk) => `var ${v}${mm}_${kk} = 0.0;`)
            .join(' '),
        )
        .join(' ');
    return `
const D = ${this.dims.d};
const D4 = ${D4};
const RS = ${D4 + 1};
const BQ = ${TQ};
const LJ = ${TJ};
const JC = ${JC};
const WG = ${TQ * TJ};
const W1 = ${this.o.w1};
const W2 = ${this.o.w2};
const S1 = ${this.s1};
const S2 = ${this.s2};
const R1 = ${R1};
const R2 = ${R2};
const NCH = ${Math.ceil(this.s1 / JC)};
const NC = ${Math.ceil(D4 / TJ)};
var<workgroup> sQ : array<vec4<f32>, ${TQ * D4}>;
var<workgroup> sDO : array<vec4<f32>, ${TQ * D4}>;
var<workgroup> sK1 : array<vec4<f32>, ${R1 * (D4 + 1)}>;
var<workgroup> sV1 : array<vec4<f32>, ${R1 * (D4 + 1)}>;
var<workgroup> sK2 : array<vec4<f32>, ${R2 * (D4 + 1)}>;
var<workgroup> sV2 : array<vec4<f32>, ${R2 * (D4 + 1)}>;
var<workgroup> sA : array<f32, ${TQ * JC * this.s2}>;
fn main(index : i32) {
  let lid = i32(localIndex);
  let n = uniforms.n;
  let nT = (n + BQ - 1) / BQ;
  let wgi = index / WG;
  let tile = wgi % nT;
  let bh = wgi / nT;
  let live = bh < uniforms.nbh;
  let h = bh % uniforms.Hq;
  let b = bh / uniforms.Hq;
  let g = h / (uniforms.Hq / uniforms.Hkv);
  let i0 = tile * BQ;
  let qi = lid / LJ;
  let dj = lid - qi * LJ;
  let i = i0 + qi;
  let qOK = live && i < n;
  let kvRow = uniforms.Hkv * D4;
  let kvBase = b * n * kvRow + g * D4;
  for (var x = lid; x < BQ * D4; x += WG) {
    let r = x / D4;
    let ii = i0 + r;
    var v = vec4<f32>(0.0);
    var w = vec4<f32>(0.0);
    if (live && ii < n) {
      let o = ((b * n + ii) * uniforms.Hq + h) * D4 + x - r * D4;
      v = Q[o] * uniforms.scale;
      w = DO[o];
    }
    sQ[x] = v;
    sDO[x] = w;
  }
  let kb = i0 - (W2 - 1);
  for (var x = lid; x < R2 * D4; x += WG) {
    let r = x / D4;
    let e4 = x - r * D4;
    let k = kb + r;
    var a = vec4<f32>(0.0);
    var c = vec4<f32>(0.0);
    if (live && k >= 0 && k < n) {
      let o = kvBase + k * kvRow + e4;
      a = K2[o];
      c = V2[o];
    }
    sK2[r * RS + e4] = a;
    sV2[r * RS + e4] = c;
  }
  var lse = 0.0;
  var dl = 0.0;
  if (qOK) {
    lse = LD[bh * n + i];
    dl = LD[uniforms.total + bh * n + i];
  }
  ${cols.map((c) => `var dq${c} = vec4<f32>(0.0);`).join(' ')}
  for (var ch = 0; ch < NCH; ch++) {
    workgroupBarrier();
    let jb = i0 - (W1 - 1) + ch * JC;
    for (var x = lid; x < R1 * D4; x += WG) {
      let r = x / D4;
      let e4 = x - r * D4;
      let j = jb + r;
      var a = vec4<f32>(0.0);
      var c = vec4<f32>(0.0);
      if (live && j >= 0 && j < n) {
        let o = kvBase + j * kvRow + e4;
        a = K1[o];
        c = V1[o];
      }
      sK1[r * RS + e4] = a;
      sV1[r * RS + e4] = c;
    }
    workgroupBarrier();
    ${ms.map((mm) => `let dlt${mm} = ch * JC + dj + ${mm * TJ}; let j${mm} = i - (W1 - 1) + dlt${mm}; let jOK${mm} = qOK && dlt${mm} < S1 && j${mm} >= 0 && j${mm} < n;`).join('\n    ')}
    ${zeros('a')}
    ${zeros('s')}
    if (${ms.map((mm) => `jOK${mm}`).join(' || ')}) {
      for (var e4 = 0; e4 < D4; e4++) {
        let qv = sQ[qi * D4 + e4];
        let dv = sDO[qi * D4 + e4];
        ${ms.map((mm) => `let rj${mm} = (qi + dj + ${mm * TJ}) * RS + e4; let t${mm} = qv * sK1[rj${mm}]; let r${mm} = dv * sV1[rj${mm}];`).join(' ')}
        let kr = qi * RS + e4;
        ${range(S2)
          .map(
            (kk) =>
              `{ let k2v = sK2[kr + ${kk * (D4 + 1)}]; let v2v = sV2[kr + ${kk * (D4 + 1)}]; ${ms.map((mm) => `a${mm}_${kk} += dot(t${mm}, k2v); s${mm}_${kk} += dot(r${mm}, v2v);`).join(' ')} }`,
          )
          .join('\n        ')}
      }
    }
    let k0 = i - (W2 - 1);
    ${ms
      .map(
        (mm) => `{ let pb = (qi * JC + dj + ${mm * TJ}) * S2;
    ${range(S2)
      .map(
        (kk) =>
          `{ var dA = 0.0; if (jOK${mm} && k0 + ${kk} >= 0 && k0 + ${kk} < n) { dA = exp(a${mm}_${kk} - lse) * (s${mm}_${kk} - dl); } sA[pb + ${kk}] = dA; }`,
      )
      .join('\n    ')} }`,
      )
      .join('\n    ')}
    workgroupBarrier();
    ${
      this.reg
        ? phase2RegWgsl(JC, S2, cols, guard, { p: 'sA', v2: 'sK2', v1: 'sK1', acc: 'dq' })
        : `for (var t = 0; t < JC; t++) {
      ${cols.map((c) => `var z${c} = vec4<f32>(0.0);`).join(' ')}
      let pr = (qi * JC + t) * S2;
      let kr = qi * RS + dj;
      for (var kk = 0; kk < S2; kk++) {
        let p = sA[pr + kk];
        ${cols.map((c) => guard(c, `z${c} += p * sK2[kr + kk * RS + ${c * TJ}];`)).join('\n        ')}
      }
      let k1r = (qi + t) * RS + dj;
      ${cols.map((c) => guard(c, `dq${c} += sK1[k1r + ${c * TJ}] * z${c};`)).join('\n      ')}
    }`
    }
  }
  if (qOK) {
    let qo = ((b * n + i) * uniforms.Hq + h) * D;
    ${cols.map((c) => guard(c, `{ let v = dq${c} * uniforms.scale; let o = qo + 4 * (dj + ${c * TJ}); result[o] = v.x; result[o + 1] = v.y; result[o + 2] = v.z; result[o + 3] = v.w; }`)).join('\n    ')}
  }
}
`;
  }
}

/** Keys per workgroup of the tiled key-side backward kernels. */
const TK = 8;

/** Workgroup memory (bytes) of {@link TiledDk1Program}. @internal */
export function tiledDk1Bytes(d: number, s2: number): number {
  const RS = d / 4 + 1;
  return 16 * RS * (2 * TK + 2 * TQ + 2 * (TQ + s2 - 1)) + 4 * (2 * TK * TQ * s2 + 2 * TQ);
}

/** Workgroup memory (bytes) of {@link TiledDk2Program}. @internal */
export function tiledDk2Bytes(d: number, _s2: number): number {
  const RS = d / 4 + 1;
  return 16 * RS * (2 * TK + 2 * TQ + 2 * (TJ + TQ - 1)) + 4 * (2 * TQ * TJ * TK + 2 * TQ);
}

/** WGSL: the shared preamble of the tiled key-side kernels (a workgroup = TK key rows of one (b, kv-head g)). */
function keyTileHeader(dims: Dims, o: Resolved, s1: number, s2: number): string {
  const D4 = dims.d / 4;
  return `
const D = ${dims.d};
const D4 = ${D4};
const RS = ${D4 + 1};
const BQ = ${TQ};
const JC = ${TJ};
const BK = ${TK};
const WG = ${TQ * TJ};
const W1 = ${o.w1};
const W2 = ${o.w2};
const S1 = ${s1};
const S2 = ${s2};
`;
}

/** WGSL: copies rows r0 … r0 + rows − 1 (zeros outside [0, n) or when !live) of two [.., n, Hkv, D] inputs into padded workgroup arrays. */
function loadKvRows(a: string, b: string, sa: string, sb: string, r0: string, rows: string): string {
  return `for (var x = lid; x < ${rows} * D4; x += WG) {
      let r = x / D4;
      let e4 = x - r * D4;
      let row = ${r0} + r;
      var va = vec4<f32>(0.0);
      var vb = vec4<f32>(0.0);
      if (live && row >= 0 && row < n) {
        let o = kvBase + row * kvRow + e4;
        va = ${a}[o];
        vb = ${b}[o];
      }
      ${sa}[r * RS + e4] = va;
      ${sb}[r * RS + e4] = vb;
    }`;
}

/** WGSL: copies BQ query rows from i0 of Q (scaled) and DO, and their lse and ⟨dO, O⟩ (zeros outside [0, n)). */
function loadQueryRows(i0: string): string {
  return `for (var x = lid; x < BQ * D4; x += WG) {
      let r = x / D4;
      let e4 = x - r * D4;
      let ii = ${i0} + r;
      var va = vec4<f32>(0.0);
      var vb = vec4<f32>(0.0);
      if (live && ii >= 0 && ii < n) {
        let o = ((b * n + ii) * uniforms.Hq + h) * D4 + e4;
        va = Q[o] * uniforms.scale;
        vb = DO[o];
      }
      sQ[r * RS + e4] = va;
      sDO[r * RS + e4] = vb;
    }
    if (lid < 2 * BQ) {
      let r = lid % BQ;
      let ii = ${i0} + r;
      var v = 0.0;
      if (live && ii >= 0 && ii < n) { v = LD[(lid / BQ) * uniforms.nq + bh * n + ii]; }
      sL[lid] = v;
    }`;
}

abstract class TiledKeyProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  variableComponents = [4, 4, 4, 4, 4, 4, 1];
  workgroupSize: [number, number, number] = [TQ * TJ, 1, 1];
  uniforms = 'total : i32, n : i32, Hq : i32, Hkv : i32, nbg : i32, scale : f32, nq : i32,';
  size = false;
  protected readonly s1: number;
  protected readonly s2: number;
  constructor(
    name: string,
    outSize: number,
    protected readonly dims: Dims,
    protected readonly o: Resolved,
  ) {
    this.outputShape = [outSize];
    this.s1 = o.causal ? o.w1 : 2 * o.w1 - 1;
    this.s2 = o.causal ? o.w2 : 2 * o.w2 - 1;
    const groups = dims.B * dims.Hkv * Math.ceil(dims.n / TK);
    this.dispatch = flatDispatch(groups * TQ * TJ, TQ * TJ);
    this.shaderKey = `tessera_simplicial_tiled${name}_${dims.d}_${o.w1}_${o.w2}_${o.causal}`;
  }
  /** Workgroup → (b, g, first key row t0); then the accumulators' write-back. */
  protected prologue(): string {
    return `
  let lid = i32(localIndex);
  let n = uniforms.n;
  let nT = (n + BK - 1) / BK;
  let wgi = index / WG;
  let tile = wgi % nT;
  let bg = wgi / nT;
  let live = bg < uniforms.nbg;
  let g = bg % uniforms.Hkv;
  let b = bg / uniforms.Hkv;
  let group = uniforms.Hq / uniforms.Hkv;
  let t0 = tile * BK;
  let kvRow = uniforms.Hkv * D4;
  let kvBase = b * n * kvRow + g * D4;`;
  }
  /** Writes dK (acc dk*) and dV (acc dv*) of key row t0 + kr, vec4 columns cj + c·8. */
  protected epilogue(cols: number[], guard: (c: number, st: string) => string): string {
    return `
  let kw = t0 + kr;
  if (live && kw < n) {
    let ko = ((b * n + kw) * uniforms.Hkv + g) * D;
    ${cols
      .map((c) =>
        guard(
          c,
          `{ let o = ko + 4 * (cj + ${c * TJ}); let u = dk${c}; let v = dv${c}; result[o] = u.x; result[o + 1] = u.y; result[o + 2] = u.z; result[o + 3] = u.w; let p = uniforms.total * D + o; result[p] = v.x; result[p + 1] = v.y; result[p + 2] = v.z; result[p + 3] = v.w; }`,
        ),
      )
      .join('\n    ')}
  }`;
  }
  abstract getUserCode(): string;
}

/**
 * Tiled dK1 and dV1 (FBGEMM `bwd.py`'s key-side passes, without atomics): a workgroup of 64 invocations takes TK = 8
 * consecutive rows j of K1/V1 of one (b, kv-head g), kept in workgroup memory, and walks the queries whose window 1
 * holds one of them (TK + span1 − 1 of them, per q-head of the group) in chunks of TQ = 8, each chunk's Q, dO, lse,
 * ⟨dO, O⟩ and window-2 rows of K2/V2 (TQ + span2 − 1) loaded into workgroup memory. Invocation (key, query)
 * recomputes its span2 logits and ⟨dO ⊙ v1_j, v2_k⟩ in registers and stores P = exp(a − lse) and
 * dA = P·(ds − ⟨dO, O⟩); the invocations then switch to (key, vec4 column) and accumulate
 * dV1_j += dO_i ⊙ Σ_k P v2_k and dK1_j += s·q_i ⊙ Σ_k dA k2_k. Every key row is written by one invocation per
 * column: no float atomics. result = [dK1 | dV1].
 */
class TiledDk1Program extends TiledKeyProgram {
  constructor(outSize: number, dims: Dims, o: Resolved) {
    super('dk1', outSize, dims, o);
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const S2 = this.s2;
    const R2 = TQ + S2 - 1;
    const cols = range(Math.ceil(D4 / TJ));
    const guard = (c: number, st: string) => (D4 % TJ === 0 ? st : `if (cj + ${c * TJ} < D4) { ${st} }`);
    const regs = (v: string) =>
      range(S2)
        .map((kk) => `var ${v}${kk} = 0.0;`)
        .join(' ');
    return `${keyTileHeader(this.dims, this.o, this.s1, S2)}
const R2 = ${R2};
const NQC = ${Math.ceil((TK + this.s1 - 1) / TQ)};
var<workgroup> sK1 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sV1 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sQ : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sDO : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sK2 : array<vec4<f32>, ${R2 * (D4 + 1)}>;
var<workgroup> sV2 : array<vec4<f32>, ${R2 * (D4 + 1)}>;
var<workgroup> sP : array<f32, ${TK * TQ * S2}>;
var<workgroup> sA : array<f32, ${TK * TQ * S2}>;
var<workgroup> sL : array<f32, ${2 * TQ}>;
fn main(index : i32) {${this.prologue()}
  // roles: (key kr, query qi) for the logits; (key kr, vec4 columns cj + c·8) for the sums
  let kr = lid / BQ;
  let qi = lid - kr * BQ;
  let cj = qi;
  let j = t0 + kr;
  ${loadKvRows('K1', 'V1', 'sK1', 'sV1', 't0', 'BK')}
  ${cols.map((c) => `var dk${c} = vec4<f32>(0.0); var dv${c} = vec4<f32>(0.0);`).join(' ')}
  for (var hh = 0; hh < group; hh++) {
    let h = g * group + hh;
    let bh = b * uniforms.Hq + h;
    for (var qc = 0; qc < NQC; qc++) {
      // queries i with t0 ≤ j + … : i in [t0 + W1 − S1, t0 + BK − 1 + W1 − 1]
      let ib = t0 + W1 - S1 + qc * BQ;
      workgroupBarrier();
      ${loadQueryRows('ib')}
      ${loadKvRows('K2', 'V2', 'sK2', 'sV2', 'ib - (W2 - 1)', 'R2')}
      workgroupBarrier();
      let i = ib + qi;
      let dlt = j - i + W1 - 1;
      let pOK = live && i >= 0 && i < n && j < n && dlt >= 0 && dlt < S1;
      ${regs('a')}
      ${regs('s')}
      if (pOK) {
        for (var e4 = 0; e4 < D4; e4++) {
          let t = sQ[qi * RS + e4] * sK1[kr * RS + e4];
          let r = sDO[qi * RS + e4] * sV1[kr * RS + e4];
          let k2r = qi * RS + e4;
          ${range(S2)
            .map((kk) => `a${kk} += dot(t, sK2[k2r + ${kk * (D4 + 1)}]); s${kk} += dot(r, sV2[k2r + ${kk * (D4 + 1)}]);`)
            .join('\n          ')}
        }
      }
      let lse = sL[qi];
      let dl = sL[BQ + qi];
      let k0 = i - (W2 - 1);
      let pb = lid * S2;
      ${range(S2)
        .map(
          (kk) =>
            `{ var p = 0.0; var dA = 0.0; if (pOK && k0 + ${kk} >= 0 && k0 + ${kk} < n) { p = exp(a${kk} - lse); dA = p * (s${kk} - dl); } sP[pb + ${kk}] = p; sA[pb + ${kk}] = dA; }`,
        )
        .join('\n      ')}
      workgroupBarrier();
      for (var t = 0; t < BQ; t++) {
        ${cols.map((c) => `var u${c} = vec4<f32>(0.0); var z${c} = vec4<f32>(0.0);`).join(' ')}
        let pr = (kr * BQ + t) * S2;
        let vr = t * RS + cj;
        for (var kk = 0; kk < S2; kk++) {
          let p = sP[pr + kk];
          let da = sA[pr + kk];
          ${cols.map((c) => guard(c, `u${c} += p * sV2[vr + kk * RS + ${c * TJ}]; z${c} += da * sK2[vr + kk * RS + ${c * TJ}];`)).join('\n          ')}
        }
        ${cols.map((c) => guard(c, `dv${c} += sDO[vr + ${c * TJ}] * u${c}; dk${c} += sQ[vr + ${c * TJ}] * z${c};`)).join('\n        ')}
      }
    }
  }${this.epilogue(cols, guard)}
}
`;
  }
}

/**
 * Tiled dK2 and dV2: a workgroup takes TK = 8 consecutive rows k of K2/V2 of one (b, g) in workgroup memory and walks
 * the queries whose window 2 holds one of them (TK + span2 − 1, per q-head of the group) in chunks of TQ = 8, and
 * for each chunk window 1 in chunks of TJ = 8 offsets (TJ + TQ − 1 rows of K1/V1 in workgroup memory), as the tiled
 * forward does. Invocation (query, window-1 offset) recomputes its TK logits and ⟨dO ⊙ v1_j, v2_k⟩ against the tile's
 * keys in registers and stores P and dA; the invocations then switch to (key, vec4 column) and accumulate
 * dV2_k += dO_i ⊙ Σ_j P v1_j and dK2_k += s·q_i ⊙ Σ_j dA k1_j. No float atomics. result = [dK2 | dV2].
 */
class TiledDk2Program extends TiledKeyProgram {
  constructor(outSize: number, dims: Dims, o: Resolved) {
    super('dk2', outSize, dims, o);
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const R1 = TJ + TQ - 1;
    const cols = range(Math.ceil(D4 / TJ));
    const guard = (c: number, st: string) => (D4 % TJ === 0 ? st : `if (cj + ${c * TJ} < D4) { ${st} }`);
    const regs = (v: string) =>
      range(TK)
        .map((kk) => `var ${v}${kk} = 0.0;`)
        .join(' ');
    return `${keyTileHeader(this.dims, this.o, this.s1, this.s2)}
const R1 = ${R1};
const NQC = ${Math.ceil((TK + this.s2 - 1) / TQ)};
const NCH = ${Math.ceil(this.s1 / TJ)};
var<workgroup> sK2 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sV2 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sQ : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sDO : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sK1 : array<vec4<f32>, ${R1 * (D4 + 1)}>;
var<workgroup> sV1 : array<vec4<f32>, ${R1 * (D4 + 1)}>;
var<workgroup> sP : array<f32, ${TQ * TJ * TK}>;
var<workgroup> sA : array<f32, ${TQ * TJ * TK}>;
var<workgroup> sL : array<f32, ${2 * TQ}>;
fn main(index : i32) {${this.prologue()}
  // roles: (query qi, window-1 offset dj) for the logits; (key kr, vec4 columns cj + c·8) for the sums
  let qi = lid / JC;
  let dj = lid - qi * JC;
  let kr = lid / JC;
  let cj = dj;
  ${loadKvRows('K2', 'V2', 'sK2', 'sV2', 't0', 'BK')}
  ${cols.map((c) => `var dk${c} = vec4<f32>(0.0); var dv${c} = vec4<f32>(0.0);`).join(' ')}
  for (var hh = 0; hh < group; hh++) {
    let h = g * group + hh;
    let bh = b * uniforms.Hq + h;
    for (var qc = 0; qc < NQC; qc++) {
      // queries i in [t0 + W2 − S2, t0 + BK − 1 + W2 − 1]
      let ib = t0 + W2 - S2 + qc * BQ;
      workgroupBarrier();
      ${loadQueryRows('ib')}
      let i = ib + qi;
      let qOK = live && i >= 0 && i < n;
      for (var ch = 0; ch < NCH; ch++) {
        workgroupBarrier();
        ${loadKvRows('K1', 'V1', 'sK1', 'sV1', 'ib - (W1 - 1) + ch * JC', 'R1')}
        workgroupBarrier();
        let dlt = ch * JC + dj;
        let j = i - (W1 - 1) + dlt;
        let pOK = qOK && dlt < S1 && j >= 0 && j < n;
        ${regs('a')}
        ${regs('s')}
        if (pOK) {
          let jr = (qi + dj) * RS;
          for (var e4 = 0; e4 < D4; e4++) {
            let t = sQ[qi * RS + e4] * sK1[jr + e4];
            let r = sDO[qi * RS + e4] * sV1[jr + e4];
            ${range(TK)
              .map((kk) => `a${kk} += dot(t, sK2[${kk * (D4 + 1)} + e4]); s${kk} += dot(r, sV2[${kk * (D4 + 1)} + e4]);`)
              .join('\n            ')}
          }
        }
        let lse = sL[qi];
        let dl = sL[BQ + qi];
        let pb = lid * BK;
        ${range(TK)
          .map(
            (kk) =>
              `{ var p = 0.0; var dA = 0.0; let dk = t0 + ${kk} - i + W2 - 1; if (pOK && t0 + ${kk} < n && dk >= 0 && dk < S2) { p = exp(a${kk} - lse); dA = p * (s${kk} - dl); } sP[pb + ${kk}] = p; sA[pb + ${kk}] = dA; }`,
          )
          .join('\n        ')}
        workgroupBarrier();
        for (var t = 0; t < BQ; t++) {
          ${cols.map((c) => `var u${c} = vec4<f32>(0.0); var z${c} = vec4<f32>(0.0);`).join(' ')}
          let pr = t * JC * BK + kr;
          for (var tj = 0; tj < JC; tj++) {
            let p = sP[pr + tj * BK];
            let da = sA[pr + tj * BK];
            let vr = (t + tj) * RS + cj;
            ${cols.map((c) => guard(c, `u${c} += p * sV1[vr + ${c * TJ}]; z${c} += da * sK1[vr + ${c * TJ}];`)).join('\n            ')}
          }
          let qr = t * RS + cj;
          ${cols.map((c) => guard(c, `dv${c} += sDO[qr + ${c * TJ}] * u${c}; dk${c} += sQ[qr + ${c * TJ}] * z${c};`)).join('\n          ')}
        }
      }
    }
  }${this.epilogue(cols, guard)}
}
`;
  }
}

/**
 * dQ: one invocation per (b, h, i). LD = [lse | ⟨dO_i, O_i⟩], each [B·Hq·n] (one binding for both: WebGPU's default
 * limit is 8 storage buffers per stage, the output included).
 */
class DqProgram extends SimplicialProgram {
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  getUserCode(): string {
    return `${this.header()}
fn main(index : i32) {
  if (index >= uniforms.total) { return; }
  let n = uniforms.n;
  let i = index % n;
  let bh = index / n;
  let h = bh % uniforms.Hq;
  let b = bh / uniforms.Hq;
  let g = h / (uniforms.Hq / uniforms.Hkv);
  let qo = ((b * n + i) * uniforms.Hq + h) * D;
  let kvStride = uniforms.Hkv * D;
  let kvBase = b * n * kvStride + g * D;
  let lse = LD[bh * n + i];
  let dl = LD[uniforms.nq + bh * n + i];
  var qv : array<f32, D>;
  var dov : array<f32, D>;
  var t : array<f32, D>;
  var r : array<f32, D>;
  var z : array<f32, D>;
  var dq : array<f32, D>;
  for (var e = 0; e < D; e++) { qv[e] = Q[qo + e] * uniforms.scale; dov[e] = DO[qo + e]; dq[e] = 0.0; }
  let k0 = tsLo(i, uniforms.w2);
  let kEnd = tsHi(i, uniforms.w2);
  for (var j = tsLo(i, uniforms.w1); j <= tsHi(i, uniforms.w1); j++) {
    let jo = kvBase + j * kvStride;
    for (var e = 0; e < D; e++) { t[e] = qv[e] * K1[jo + e]; r[e] = dov[e] * V1[jo + e]; z[e] = 0.0; }
    for (var k = k0; k <= kEnd; k++) {
      let ko = kvBase + k * kvStride;
      var a = 0.0;
      var ds = 0.0;
      for (var e = 0; e < D; e++) { a += t[e] * K2[ko + e]; ds += r[e] * V2[ko + e]; }
      let dA = exp(a - lse) * (ds - dl);
      for (var e = 0; e < D; e++) { z[e] += dA * K2[ko + e]; }
    }
    for (var e = 0; e < D; e++) { dq[e] += K1[jo + e] * z[e]; }
  }
  for (var e = 0; e < D; e++) { result[qo + e] = dq[e] * uniforms.scale; }
}
`;
  }
}

/**
 * dK1 and dV1: one invocation per (b, kv-head g, key row j), over the q-heads of the group and the queries i whose
 * window 1 contains j; result = [dK1 | dV1], each B·n·Hkv·d.
 */
class Dk1Program extends SimplicialProgram {
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  getUserCode(): string {
    return `${this.header()}
fn main(index : i32) {
  if (index >= uniforms.total) { return; }
  let n = uniforms.n;
  let j = index % n;
  let bg = index / n;
  let g = bg % uniforms.Hkv;
  let b = bg / uniforms.Hkv;
  let group = uniforms.Hq / uniforms.Hkv;
  let kvStride = uniforms.Hkv * D;
  let kvBase = b * n * kvStride + g * D;
  let jo = kvBase + j * kvStride;
  var k1v : array<f32, D>;
  var v1v : array<f32, D>;
  var t : array<f32, D>;
  var r : array<f32, D>;
  var u : array<f32, D>;
  var z : array<f32, D>;
  var dk : array<f32, D>;
  var dv : array<f32, D>;
  for (var e = 0; e < D; e++) { k1v[e] = K1[jo + e] * uniforms.scale; v1v[e] = V1[jo + e]; dk[e] = 0.0; dv[e] = 0.0; }
  for (var hh = 0; hh < group; hh++) {
    let h = g * group + hh;
    let bh = b * uniforms.Hq + h;
    for (var i = tsQLo(j, uniforms.w1); i <= tsQHi(j, uniforms.w1); i++) {
      let qo = ((b * n + i) * uniforms.Hq + h) * D;
      let lse = LD[bh * n + i];
      let dl = LD[uniforms.nq + bh * n + i];
      for (var e = 0; e < D; e++) { t[e] = Q[qo + e] * k1v[e]; r[e] = DO[qo + e] * v1v[e]; u[e] = 0.0; z[e] = 0.0; }
      for (var k = tsLo(i, uniforms.w2); k <= tsHi(i, uniforms.w2); k++) {
        let ko = kvBase + k * kvStride;
        var a = 0.0;
        var ds = 0.0;
        for (var e = 0; e < D; e++) { a += t[e] * K2[ko + e]; ds += r[e] * V2[ko + e]; }
        let p = exp(a - lse);
        let dA = p * (ds - dl);
        for (var e = 0; e < D; e++) { u[e] += p * V2[ko + e]; z[e] += dA * K2[ko + e]; }
      }
      for (var e = 0; e < D; e++) { dv[e] += DO[qo + e] * u[e]; dk[e] += Q[qo + e] * z[e]; }
    }
  }
  for (var e = 0; e < D; e++) { result[jo + e] = dk[e] * uniforms.scale; result[uniforms.total * D + jo + e] = dv[e]; }
}
`;
  }
}

/** dK2 and dV2: one invocation per (b, g, key row k), over the group's q-heads, queries i with k in window 2, j in window 1. */
class Dk2Program extends SimplicialProgram {
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  getUserCode(): string {
    return `${this.header()}
fn main(index : i32) {
  if (index >= uniforms.total) { return; }
  let n = uniforms.n;
  let k = index % n;
  let bg = index / n;
  let g = bg % uniforms.Hkv;
  let b = bg / uniforms.Hkv;
  let group = uniforms.Hq / uniforms.Hkv;
  let kvStride = uniforms.Hkv * D;
  let kvBase = b * n * kvStride + g * D;
  let ko = kvBase + k * kvStride;
  var k2v : array<f32, D>;
  var v2v : array<f32, D>;
  var qv : array<f32, D>;
  var dov : array<f32, D>;
  var dk : array<f32, D>;
  var dv : array<f32, D>;
  for (var e = 0; e < D; e++) { k2v[e] = K2[ko + e]; v2v[e] = V2[ko + e]; dk[e] = 0.0; dv[e] = 0.0; }
  for (var hh = 0; hh < group; hh++) {
    let h = g * group + hh;
    let bh = b * uniforms.Hq + h;
    for (var i = tsQLo(k, uniforms.w2); i <= tsQHi(k, uniforms.w2); i++) {
      let qo = ((b * n + i) * uniforms.Hq + h) * D;
      let lse = LD[bh * n + i];
      let dl = LD[uniforms.nq + bh * n + i];
      for (var e = 0; e < D; e++) { qv[e] = Q[qo + e] * uniforms.scale; dov[e] = DO[qo + e]; }
      for (var j = tsLo(i, uniforms.w1); j <= tsHi(i, uniforms.w1); j++) {
        let jo = kvBase + j * kvStride;
        var a = 0.0;
        var ds = 0.0;
        for (var e = 0; e < D; e++) { a += qv[e] * K1[jo + e] * k2v[e]; ds += dov[e] * V1[jo + e] * v2v[e]; }
        let p = exp(a - lse);
        let dA = p * (ds - dl);
        for (var e = 0; e < D; e++) { dk[e] += dA * qv[e] * K1[jo + e]; dv[e] += p * dov[e] * V1[jo + e]; }
      }
    }
  }
  for (var e = 0; e < D; e++) { result[ko + e] = dk[e]; result[uniforms.total * D + ko + e] = dv[e]; }
}
`;
  }
}

function resolve(
  fn: string,
  q: unknown,
  kv: Record<string, unknown>,
  o: WebGPUSimplicialOptions | undefined,
): { dims: Dims; ro: Resolved; span: number } {
  const qt = checkTensor(q, fn, 'q', { dtype: 'float32', rank: 4 });
  const [B, n, Hq, d] = qt.shape;
  if (B < 1 || n < 1 || Hq < 1 || d < 1)
    throw new TesseraError('INVALID_SHAPE', fn, 'q must have no empty dimension', `shape [${qt.shape.join(', ')}]`);
  let Hkv = -1;
  for (const [name, t] of Object.entries(kv)) {
    const x = checkTensor(t, fn, name, { dtype: 'float32', rank: 4 });
    const [b, m, h, e] = x.shape;
    if (b !== B || m !== n || e !== d || (Hkv !== -1 && h !== Hkv))
      throw new TesseraError(
        'INVALID_SHAPE',
        fn,
        `${name} must be [${B}, ${n}, Hkv, ${d}] like q, one Hkv for all`,
        `shape [${x.shape.join(', ')}]`,
      );
    Hkv = h;
  }
  if (Hkv < 1 || Hq % Hkv !== 0)
    throw new TesseraError('INVALID_SHAPE', fn, `the query heads (${Hq}) must be a multiple of the key/value heads`, Hkv);
  if (o !== undefined && (typeof o !== 'object' || o === null))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'options must be an object', String(o));
  const opts = o ?? {};
  const win = (v: unknown, name: string, dflt: number) => {
    const w = v ?? dflt;
    if (w === Number.POSITIVE_INFINITY) return n;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1)
      throw new TesseraError('INVALID_ARGUMENT', fn, `${name} must be a positive integer or Infinity`, w);
    return Math.min(w, n);
  };
  const w1 = win(opts.w1, 'w1', 512);
  const w2 = win(opts.w2, 'w2', 32);
  const causal = opts.causal ?? true;
  if (typeof causal !== 'boolean') throw new TesseraError('INVALID_ARGUMENT', fn, 'causal must be a boolean', causal);
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  if (typeof scale !== 'number' || !Number.isFinite(scale))
    throw new TesseraError('INVALID_ARGUMENT', fn, 'scale must be a finite number', scale);
  const variant = opts.variant ?? 'trilinear';
  if (variant !== 'trilinear' && variant !== 'determinant')
    throw new TesseraError('INVALID_ARGUMENT', fn, "variant must be 'trilinear' or 'determinant'", variant);
  if (variant !== 'trilinear')
    throw new TesseraError('UNSUPPORTED', fn, "the WGSL kernels implement the 'trilinear' variant only", variant);
  const span = Math.min(n, causal ? w2 : 2 * w2 - 1);
  if (d > SIMPLICIAL_WEBGPU_MAX_D)
    throw new TesseraError('UNSUPPORTED', fn, `head dimension d must be at most ${SIMPLICIAL_WEBGPU_MAX_D}`, d);
  if (span > SIMPLICIAL_WEBGPU_MAX_W2_SPAN)
    throw new TesseraError(
      'UNSUPPORTED',
      fn,
      `the window-2 span (w2 causal, 2·w2 − 1 otherwise) must be at most ${SIMPLICIAL_WEBGPU_MAX_W2_SPAN}`,
      span,
    );
  return { dims: { B, n, Hq, Hkv, d }, ro: { w1, w2, causal, scale }, span };
}

function uniforms(total: number, dims: Dims, o: Resolved): { type: string; data: number[] }[] {
  return [
    { type: 'int32', data: [total] },
    { type: 'int32', data: [dims.n] },
    { type: 'int32', data: [dims.Hq] },
    { type: 'int32', data: [dims.Hkv] },
    { type: 'int32', data: [o.w1] },
    { type: 'int32', data: [o.w2] },
    { type: 'float32', data: [o.scale] },
    { type: 'int32', data: [dims.B * dims.Hq * dims.n] },
  ];
}

function run(be: WebGPUBackendLike, p: Program, inputs: tf.Tensor[], u: { type: string; data: number[] }[]): tf.Tensor1D {
  return tf.engine().makeTensorFromTensorInfo(be.runWebGPUProgram(p, inputs, 'float32', u)) as tf.Tensor1D;
}

/**
 * Forward programs: `'auto'` (default) = `'tiled'` where it applies, else the untiled one; `'rows'` forces the untiled
 * (one invocation per query) forward and dQ; `'tiled-reg'` runs the tiled forward and dQ with their register-tiled
 * second phase, `'tiled-j2'` the tiled forward and dQ with two window-1 offsets per invocation (chunks of 16 offsets; each
 * window-2 row read from workgroup memory once for both), where the tiled ones apply and fit; `'split'` runs the
 * forward and dQ of simplicial-split.ts (each invocation keeps its (query, window-1 offset) role, probabilities and
 * a partial output in registers; partials combined once per query) and `'split-j2'` the same forward with two
 * window-1 offsets per invocation (dQ as `'split'`), where d ≤ 64, span2 ≤ 32 and they fit, else `'tiled'`. @internal
 */
export type SimplicialForwardVariant = 'auto' | 'rows' | 'tiled' | 'tiled-reg' | 'tiled-j2' | 'split' | 'split-j2';
let fwdVariant: SimplicialForwardVariant = 'auto';
/** The tiled program `'auto'` runs (the one-line switch once a GPU run has compared them). */
const AUTO_TILED: 'tiled' | 'tiled-reg' | 'tiled-j2' = 'tiled';
/** The tiled program in effect. */
const tiledVariant = () => (fwdVariant === 'auto' ? AUTO_TILED : fwdVariant);
/** Whether a 'split' program was chosen and applies (d, span2) and its workgroup memory fits. */
function useSplit(be: WebGPUBackendLike, dims: Dims, ro: Resolved, bytes: (d: number, s2: number) => number): boolean {
  if (fwdVariant !== 'split' && fwdVariant !== 'split-j2') return false;
  const s2 = ro.causal ? ro.w2 : 2 * ro.w2 - 1;
  return splitApplies(dims.d, s2) && useTiled(be, dims, ro, bytes);
}
/** Chooses the forward (and, for `'rows'`, the dQ) program (tests and benchmarks). @internal */
export function setSimplicialForwardVariant(v: SimplicialForwardVariant): void {
  fwdVariant = v;
}
let keyVariant: 'auto' | 'rows' | 'split' = 'auto';
/**
 * Forces the untiled (one invocation per key row) dK1/dV1 and dK2/dV2 kernels (`'rows'`), or lets the tiled ones
 * run where they apply (`'auto'`, the default), or runs the split dK1/dV1 and dK2/dV2 of simplicial-split.ts (`'split'`:
 * each (key, query) invocation keeps P, dA and partial key-gradient rows in registers), where d ≤ 64,
 * span2 ≤ 32 and it fits. Tests and benchmarks. @internal
 */
export function setSimplicialKeyGradVariant(v: 'auto' | 'rows' | 'split'): void {
  keyVariant = v;
}

/** Largest window-2 span the tiled forward keeps in registers (one logit per offset). */
const TILED_MAX_S2 = 64;

/** Whether the tiled forward runs: d a multiple of 4, span2 ≤ 64, and its workgroup memory within the device limit. */
function useTiled(be: WebGPUBackendLike, dims: Dims, ro: Resolved, bytes = tiledForwardBytes, keySide = false): boolean {
  if (!keySide && fwdVariant === 'rows') return false;
  const s2 = ro.causal ? ro.w2 : 2 * ro.w2 - 1;
  if (dims.d % 4 !== 0 || s2 > TILED_MAX_S2) return false;
  const limits = (be as unknown as { device?: { limits?: { maxComputeWorkgroupStorageSize?: number } } }).device?.limits;
  return bytes(dims.d, s2) <= (limits?.maxComputeWorkgroupStorageSize ?? 16384);
}

/** Result of {@link simplicialAttentionWebGPU}. */
export interface WebGPUSimplicialResult {
  /** `[B, n, Hq, d]`. */
  out: tf.Tensor4D;
  /** `[B, Hq, n]`, natural log of Σ exp(logits) per query. */
  lse: tf.Tensor3D;
}

function backward(
  be: WebGPUBackendLike,
  x: tf.Tensor[],
  out: tf.Tensor,
  dOut: tf.Tensor,
  lse: tf.Tensor,
  dims: Dims,
  ro: Resolved,
  span: number,
): tf.Tensor4D[] {
  const { B, n, Hq, Hkv, d } = dims;
  return tf.tidy(() => {
    const dlt = tf.reshape(tf.transpose(tf.sum(tf.mul(dOut, out), -1), [0, 2, 1]), [B * Hq * n]); // ⟨dO_i, O_i⟩ as [B, Hq, n]
    const ld = tf.concat([tf.reshape(lse, [B * Hq * n]), dlt]);
    const ins = [...x, dOut, ld];
    const nq = B * Hq * n;
    const nk = B * Hkv * n;
    const dqJm = tiledVariant() === 'tiled-j2' && useTiled(be, dims, ro, (dd, s2) => tiledDqBytes(dd, s2, 2)) ? 2 : 1;
    const tiledU = [...[nq, n, Hq, Hkv, B * Hq].map((v) => ({ type: 'int32', data: [v] })), { type: 'float32', data: [ro.scale] }];
    const dq = useSplit(be, dims, ro, splitDqBytes)
      ? run(be, new SplitDqProgram(nq * d, dims, ro), ins, tiledU)
      : useTiled(be, dims, ro, tiledDqBytes)
        ? run(be, new TiledDqProgram(nq * d, dims, ro, dqJm, tiledVariant() === 'tiled-reg'), ins, [
            ...[nq, n, Hq, Hkv, B * Hq].map((v) => ({ type: 'int32', data: [v] })),
            { type: 'float32', data: [ro.scale] },
          ])
        : run(be, new DqProgram('dq', nq * d, nq, dims, ro, span), ins, uniforms(nq, dims, ro));
    const keyU = [
      ...[nk, n, Hq, Hkv, B * Hkv].map((v) => ({ type: 'int32', data: [v] })),
      { type: 'float32', data: [ro.scale] },
      { type: 'int32', data: [nq] },
    ];
    const tiledKeys = keyVariant !== 'rows';
    const s2 = ro.causal ? ro.w2 : 2 * ro.w2 - 1;
    const splitKeys = keyVariant === 'split' && splitApplies(d, s2) && useTiled(be, dims, ro, splitDk1Bytes, true);
    const d1 = splitKeys
      ? run(be, new SplitDk1Program(2 * nk * d, dims, ro), ins, keyU)
      : tiledKeys && useTiled(be, dims, ro, tiledDk1Bytes, true)
        ? run(be, new TiledDk1Program(2 * nk * d, dims, ro), ins, keyU)
        : run(be, new Dk1Program('dk1', 2 * nk * d, nk, dims, ro, span), ins, uniforms(nk, dims, ro));
    const d2 =
      keyVariant === 'split' && splitApplies(d, s2) && useTiled(be, dims, ro, splitDk2Bytes, true)
        ? run(be, new SplitDk2Program(2 * nk * d, dims, ro), ins, keyU)
        : tiledKeys && useTiled(be, dims, ro, tiledDk2Bytes, true)
          ? run(be, new TiledDk2Program(2 * nk * d, dims, ro), ins, keyU)
          : run(be, new Dk2Program('dk2', 2 * nk * d, nk, dims, ro, span), ins, uniforms(nk, dims, ro));
    const kvShape = [B, n, Hkv, d] as [number, number, number, number];
    const half = nk * d;
    return [
      tf.reshape(dq, [B, n, Hq, d]),
      tf.reshape(tf.slice(d1, [0], [half]), kvShape),
      tf.reshape(tf.slice(d2, [0], [half]), kvShape),
      tf.reshape(tf.slice(d1, [half], [half]), kvShape),
      tf.reshape(tf.slice(d2, [half], [half]), kvShape),
    ] as tf.Tensor4D[];
  });
}

/**
 * Windowed 2-simplicial attention on the GPU: the same function as `simplicialAttention` of
 * @tessera/simplicial-attention (trilinear form; windows, causality, GQA and scale as there) from one WGSL forward
 * kernel, with a backward of three WGSL kernels (dQ; dK1 and dV1; dK2 and dV2) that recompute the probabilities
 * from the saved lse. Float32 throughout, so results agree with the float64 host kernels to float32 rounding
 * (see the tests for the tolerances). `out` is differentiable with respect to all five inputs; `lse` is not.
 *
 * @throws TesseraError `BACKEND_UNAVAILABLE` unless the webgpu backend is active; `INVALID_ARGUMENT`,
 * `INVALID_DTYPE`, `INVALID_SHAPE` as simplicialAttention; `UNSUPPORTED` for the determinant variant, d above
 * {@link SIMPLICIAL_WEBGPU_MAX_D} or a window-2 span above {@link SIMPLICIAL_WEBGPU_MAX_W2_SPAN}.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { simplicialAttentionWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const [q, k1, k2, v1, v2] = [1, 2, 3, 4, 5].map((s) => tf.randomNormal([1, 64, 2, 16], 0, 1, 'float32', s)) as tf.Tensor4D[];
 *   const { out, lse } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, { w1: 16, w2: 8 });
 *   tf.dispose([q, k1, k2, v1, v2, out, lse]);
 * }
 * ```
 */
export function simplicialAttentionWebGPU(
  q: tf.Tensor4D,
  k1: tf.Tensor4D,
  k2: tf.Tensor4D,
  v1: tf.Tensor4D,
  v2: tf.Tensor4D,
  o?: WebGPUSimplicialOptions,
): WebGPUSimplicialResult {
  const fn = 'simplicialAttentionWebGPU';
  const { dims, ro, span } = resolve(fn, q, { k1, k2, v1, v2 }, o);
  const be = webgpuBackend(fn);
  const { B, n, Hq, d } = dims;
  const nq = B * Hq * n;
  let lse: tf.Tensor3D | null = null;
  const f = tf.customGrad(((qi: tf.Tensor, k1i: tf.Tensor, k2i: tf.Tensor, v1i: tf.Tensor, v2i: tf.Tensor, save: tf.GradSaveFunc) => {
    const x = [qi, k1i, k2i, v1i, v2i];
    // 'tiled-j2' where its larger tile fits, else the one-offset tile
    const jm = tiledVariant() === 'tiled-j2' && useTiled(be, dims, ro, (dd, s2) => tiledForwardBytes(dd, s2, 2)) ? 2 : 1;
    const sjm = fwdVariant === 'split-j2' && useSplit(be, dims, ro, (dd, s2) => splitForwardBytes(dd, s2, 2)) ? 2 : 1;
    const tiledU = [...[nq, n, Hq, dims.Hkv, B * Hq].map((v) => ({ type: 'int32', data: [v] })), { type: 'float32', data: [ro.scale] }];
    const both = useSplit(be, dims, ro, (dd, s2) => splitForwardBytes(dd, s2, sjm))
      ? run(be, new SplitForwardProgram(nq * d + nq, dims, ro, sjm), x, tiledU)
      : useTiled(be, dims, ro)
        ? run(be, new TiledForwardProgram(nq * d + nq, dims, ro, tiledVariant() === 'tiled-reg', jm), x, [
            ...[nq, n, Hq, dims.Hkv, B * Hq].map((v) => ({ type: 'int32', data: [v] })),
            { type: 'float32', data: [ro.scale] },
          ])
        : run(be, new ForwardProgram('fwd', nq * d + nq, nq, dims, ro, span), x, uniforms(nq, dims, ro));
    const value = tf.reshape(tf.slice(both, [0], [nq * d]), [B, n, Hq, d]);
    // kept: customGrad runs this function inside a tidy that would dispose a second output
    lse = tf.keep(tf.reshape(tf.slice(both, [nq * d], [nq]), [B, Hq, n]) as tf.Tensor3D);
    both.dispose();
    save([value, lse]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(be, x, saved[0], dy, saved[1], dims, ro, span),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = f(q, k1, k2, v1, v2) as tf.Tensor4D;
  // a clone made here belongs to the caller's scope (a tidy around a loss that ignores lse disposes it)
  const kept = lse as unknown as tf.Tensor3D;
  const lseOut = tf.clone(kept);
  kept.dispose();
  return { out, lse: lseOut };
}

/**
 * The backward of {@link simplicialAttentionWebGPU} on its own (as `simplicialBackward` of
 * @tessera/simplicial-attention): gradients of Σ dOut ⊙ out with respect to q, k1, k2, v1, v2, recomputing the
 * probabilities from `lse`. Options must be those of the forward call.
 *
 * @throws TesseraError as {@link simplicialAttentionWebGPU}, and `INVALID_SHAPE` when out, dOut or lse do not match q.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@tessera/core';
 * import { simplicialAttentionWebGPU, simplicialBackwardWebGPU } from '@tessera/webgpu';
 * const info = await initBackend();
 * if (info.name === 'webgpu') {
 *   const [q, k1, k2, v1, v2] = [1, 2, 3, 4, 5].map((s) => tf.randomNormal([1, 32, 1, 8], 0, 1, 'float32', s)) as tf.Tensor4D[];
 *   const { out, lse } = simplicialAttentionWebGPU(q, k1, k2, v1, v2, { w1: 8, w2: 4 });
 *   const g = simplicialBackwardWebGPU(q, k1, k2, v1, v2, out, tf.onesLike(out), lse, { w1: 8, w2: 4 });
 *   tf.dispose([q, k1, k2, v1, v2, out, lse, g.dq, g.dk1, g.dk2, g.dv1, g.dv2]);
 * }
 * ```
 */
export function simplicialBackwardWebGPU(
  q: tf.Tensor4D,
  k1: tf.Tensor4D,
  k2: tf.Tensor4D,
  v1: tf.Tensor4D,
  v2: tf.Tensor4D,
  out: tf.Tensor4D,
  dOut: tf.Tensor4D,
  lse: tf.Tensor3D,
  o?: WebGPUSimplicialOptions,
): { dq: tf.Tensor4D; dk1: tf.Tensor4D; dk2: tf.Tensor4D; dv1: tf.Tensor4D; dv2: tf.Tensor4D } {
  const fn = 'simplicialBackwardWebGPU';
  const { dims, ro, span } = resolve(fn, q, { k1, k2, v1, v2 }, o);
  const { B, n, Hq, d } = dims;
  const want = (t: unknown, name: string, shape: number[]) => {
    const x = checkTensor(t, fn, name, { dtype: 'float32' });
    if (x.shape.length !== shape.length || x.shape.some((s, i) => s !== shape[i]))
      throw new TesseraError('INVALID_SHAPE', fn, `${name} must be [${shape.join(', ')}]`, `shape [${x.shape.join(', ')}]`);
  };
  want(out, 'out', [B, n, Hq, d]);
  want(dOut, 'dOut', [B, n, Hq, d]);
  want(lse, 'lse', [B, Hq, n]);
  const be = webgpuBackend(fn);
  const [dq, dk1, dk2, dv1, dv2] = backward(be, [q, k1, k2, v1, v2], out, dOut, lse, dims, ro, span);
  return { dq, dk1, dk2, dv1, dv2 };
}
