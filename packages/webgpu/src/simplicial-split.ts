// 'split' programs of the tiled 2-simplicial forward and dQ (opt-in; see setSimplicialForwardVariant).
//
// Where the time of the 'tiled' forward goes (an estimate from its WGSL and NVIDIA's shared-memory model: 128 B of
// workgroup memory per clock per SM, one vec4 FMA = 4 lanes' FFMA): phase 1 (logits) loads one vec4 of K2 per
// dot(q ⊙ k1, k2) and the 8 invocations of a query read the same address (broadcast): about one wavefront per
// 4 FFMA warp instructions, i.e. close to the FMA rate. Phase 2 (acc += v1 ⊙ Σ_k p v2) switches the invocations to
// (query, vec4 column) roles: each warp instruction loading V2 touches 32 distinct vec4s (4 queries × 8 columns,
// 512 B, 4 wavefronts) for one vec4 FMA per lane, plus a scalar load of P per row: about 9 wavefronts for 8 FFMA
// warp instructions, so phase 2, which carries half of the 4·d FLOPs per (query, j1, j2) triple, runs ~4× below
// the FMA rate; 'tiled-reg' trades those loads for registers but keeps the role switch. The role switch also costs
// a store of P to workgroup memory, two barriers and a shared max/sum per chunk. The exp() count (one per triple
// against 4·64 FLOPs) is not what limits it.
//
// 'split' keeps each invocation in its (query, window-1 offset) role for both phases: its span2 probabilities
// stay in registers, and it accumulates its own partial output Σ_{j ∈ its offsets} v1_j ⊙ Σ_k p_jk v2_k over all
// D/4 vec4 columns in registers (d ≤ 64: 16 vec4), reading each V2 row at the address its query's 7 other
// invocations read (a broadcast, as phase 1's K2 loads): one wavefront per 4 FFMA warp instructions in both phases.
// Each invocation keeps its own running max and sum (flash-decoding's split softmax over window 1: Dao et al.,
// "Flash-Decoding for long-context inference", 2023), so a chunk needs no shared max, no P in workgroup memory and
// only the two barriers around the K1/V1 loads; the 8 partials of a query (max, sum, vec4 columns) are combined
// once at the end through workgroup memory, 4 vec4 columns per round. 'split-j2' gives each invocation two window-1
// offsets per chunk (chunks of 16), so every K2 and V2 vec4 read from workgroup memory feeds two dot products/FMAs.
// dQ 'split' is the same structure without softmax state (lse is saved): dq partial += k1_j ⊙ Σ_k dA_jk k2_k.
// Workgroup memory (d 64, span2 16): forward 26.6 KiB ('split'), 31.1 KiB ('split-j2'); dQ 28.2 KiB — all within
// lavapipe's 32 KiB and the H200's 48 KiB; registers ≈ 16 vec4 accumulators + span2·jm logits.
import type { Program } from './program.js';
import { flatDispatch } from './program.js';

interface SplitDims {
  B: number;
  n: number;
  Hq: number;
  Hkv: number;
  d: number;
}
interface SplitResolved {
  w1: number;
  w2: number;
  causal: boolean;
}

const TQ = 8;
const TJ = 8;
const WG = TQ * TJ;
/** vec4 columns per round of the final combine. */
const CG = 4;

const range = (n: number) => [...Array(n).keys()];

/** Largest head dimension and window-2 span the split programs take (their accumulators are unrolled registers). */
export const SPLIT_MAX_D = 64;
export const SPLIT_MAX_S2 = 32;

/** Workgroup memory (bytes) of the split forward. @internal */
export function splitForwardBytes(d: number, s2: number, jm = 1): number {
  const D4 = d / 4;
  const RS = D4 + 1;
  return 16 * (TQ * D4 + 2 * (TJ * jm + TQ - 1) * RS + 2 * (TQ + s2 - 1) * RS + WG * CG) + 4 * 2 * WG;
}

/** Workgroup memory (bytes) of the split dQ. @internal */
export function splitDqBytes(d: number, s2: number, jm = 1): number {
  const D4 = d / 4;
  const RS = D4 + 1;
  return 16 * (2 * TQ * D4 + 2 * (TJ * jm + TQ - 1) * RS + 2 * (TQ + s2 - 1) * RS + WG * CG);
}

/** Whether the split programs can be generated for head dimension d and window-2 span s2. @internal */
export function splitApplies(d: number, s2: number): boolean {
  return d % 4 === 0 && d <= SPLIT_MAX_D && s2 <= SPLIT_MAX_S2;
}

function header(dims: SplitDims, o: SplitResolved, jm: number): string {
  const D4 = dims.d / 4;
  const s1 = o.causal ? o.w1 : 2 * o.w1 - 1;
  const s2 = o.causal ? o.w2 : 2 * o.w2 - 1;
  const JC = TJ * jm;
  return `
const D = ${dims.d};
const D4 = ${D4};
const RS = ${D4 + 1};
const BQ = ${TQ};
const LJ = ${TJ};
const JC = ${JC};
const WG = ${WG};
const W1 = ${o.w1};
const W2 = ${o.w2};
const S1 = ${s1};
const S2 = ${s2};
const R1 = ${JC + TQ - 1};
const R2 = ${TQ + s2 - 1};
const NCH = ${Math.ceil(s1 / JC)};
const NEG = -3.0e38;
var<workgroup> sK1 : array<vec4<f32>, ${(JC + TQ - 1) * (D4 + 1)}>;
var<workgroup> sV1 : array<vec4<f32>, ${(JC + TQ - 1) * (D4 + 1)}>;
var<workgroup> sK2 : array<vec4<f32>, ${(TQ + s2 - 1) * (D4 + 1)}>;
var<workgroup> sV2 : array<vec4<f32>, ${(TQ + s2 - 1) * (D4 + 1)}>;
var<workgroup> sR : array<vec4<f32>, ${WG * CG}>;
`;
}

/** WGSL: workgroup → (b, h, first query i0); invocation → (query qi, window-1 offset dj). */
const PROLOGUE = `
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
  let kvBase = b * n * kvRow + g * D4;`;

/** WGSL: loads rows [r0, r0 + rows) of two kv inputs into padded workgroup arrays (zeros outside [0, n)). */
function loadRows(a: string, c: string, sa: string, sc: string, r0: string, rows: string): string {
  return `for (var x = lid; x < ${rows} * D4; x += WG) {
      let r = x / D4;
      let e4 = x - r * D4;
      let row = ${r0} + r;
      var va = vec4<f32>(0.0);
      var vc = vec4<f32>(0.0);
      if (live && row >= 0 && row < n) {
        let o = kvBase + row * kvRow + e4;
        va = ${a}[o];
        vc = ${c}[o];
      }
      ${sa}[r * RS + e4] = va;
      ${sc}[r * RS + e4] = vc;
    }`;
}

/**
 * WGSL: sums the LJ partial accumulators `${acc}0 … ${acc}{D4−1}` (each already weighted) of every output row through
 * sR, CG vec4 columns per round: invocation lid belongs to row `own` = lid / LJ; invocation (own, lane < CG) of a
 * row with `ok` writes column round·CG + lane times `mul` into result at offset `base` (in floats).
 */
function combine(D4: number, acc: string, mul: string, own = 'qi', lane = 'dj', ok = 'qOK', base = 'qo'): string {
  const rounds = Math.ceil(D4 / CG);
  return range(rounds)
    .map((r) => {
      const cs = range(CG).filter((c) => r * CG + c < D4);
      return `
  workgroupBarrier();
  ${cs.map((c) => `sR[lid * ${CG} + ${c}] = ${acc}${r * CG + c};`).join(' ')}
  workgroupBarrier();
  if (${ok} && ${lane} < ${cs.length}) {
    var s = vec4<f32>(0.0);
    for (var t = 0; t < LJ; t++) { s += sR[(${own} * LJ + t) * ${CG} + ${lane}]; }
    s *= ${mul};
    let o = ${base} + 4 * (${r * CG} + ${lane});
    result[o] = s.x; result[o + 1] = s.y; result[o + 2] = s.z; result[o + 3] = s.w;
  }`;
    })
    .join('');
}

/**
 * Split forward: result = [out (B·n·Hq·d) | lse (B·Hq·n)], workgroups of TQ = 8 queries × TJ = 8 window-1 offsets
 * as the tiled forward, each invocation (query, offset) keeping its probabilities, softmax state and partial output
 * in registers (see the comment at the top of this file).
 */
export class SplitForwardProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2'];
  variableComponents = [4, 4, 4, 4, 4];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'total : i32, n : i32, Hq : i32, Hkv : i32, nbh : i32, scale : f32,';
  size = false;
  constructor(
    outSize: number,
    private readonly dims: SplitDims,
    private readonly o: SplitResolved,
    private readonly jm = 1,
  ) {
    this.outputShape = [outSize];
    const groups = dims.B * dims.Hq * Math.ceil(dims.n / TQ);
    this.dispatch = flatDispatch(groups * WG, WG);
    this.shaderKey = `tessera_simplicial_splitfwd${jm}_${dims.d}_${o.w1}_${o.w2}_${o.causal}`;
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const S2 = this.o.causal ? this.o.w2 : 2 * this.o.w2 - 1;
    const ms = range(this.jm);
    const ks = range(S2);
    const es = range(D4);
    const each = (f: (mm: number, kk: number) => string, sep = ' ') => ms.map((mm) => ks.map((kk) => f(mm, kk)).join(sep)).join(sep);
    return `${header(this.dims, this.o, this.jm)}
var<workgroup> sQ : array<vec4<f32>, ${TQ * D4}>;
var<workgroup> sM : array<f32, ${WG}>;
var<workgroup> sL : array<f32, ${WG}>;
fn main(index : i32) {${PROLOGUE}
  for (var x = lid; x < BQ * D4; x += WG) {
    let r = x / D4;
    let ii = i0 + r;
    var v = vec4<f32>(0.0);
    if (live && ii < n) { v = Q[((b * n + ii) * uniforms.Hq + h) * D4 + x - r * D4] * uniforms.scale; }
    sQ[x] = v;
  }
  ${loadRows('K2', 'V2', 'sK2', 'sV2', 'i0 - (W2 - 1)', 'R2')}
  var m = NEG;
  var l = 0.0;
  ${es.map((e) => `var acc${e} = vec4<f32>(0.0);`).join(' ')}
  let k0 = i - (W2 - 1);
  for (var ch = 0; ch < NCH; ch++) {
    workgroupBarrier();
    ${loadRows('K1', 'V1', 'sK1', 'sV1', 'i0 - (W1 - 1) + ch * JC', 'R1')}
    workgroupBarrier();
    ${ms.map((mm) => `let dlt${mm} = ch * JC + dj + ${mm * TJ}; let j${mm} = i - (W1 - 1) + dlt${mm}; let jOK${mm} = qOK && dlt${mm} < S1 && j${mm} >= 0 && j${mm} < n; let jr${mm} = (qi + dj + ${mm * TJ}) * RS;`).join('\n    ')}
    if (${ms.map((mm) => `jOK${mm}`).join(' || ')}) {
      ${each((mm, kk) => `var a${mm}_${kk} = 0.0;`)}
      for (var e4 = 0; e4 < D4; e4++) {
        let qv = sQ[qi * D4 + e4];
        ${ms.map((mm) => `let t${mm} = qv * sK1[jr${mm} + e4];`).join(' ')}
        let kr = qi * RS + e4;
        ${ks.map((kk) => `{ let k2v = sK2[kr + ${kk * (D4 + 1)}]; ${ms.map((mm) => `a${mm}_${kk} += dot(t${mm}, k2v);`).join(' ')} }`).join('\n        ')}
      }
      var lm = NEG;
      ${each((mm, kk) => `if (!jOK${mm} || k0 + ${kk} < 0 || k0 + ${kk} >= n) { a${mm}_${kk} = NEG; } lm = max(lm, a${mm}_${kk});`, '\n      ')}
      if (lm > m) {
        let alpha = exp(m - lm);
        l *= alpha;
        ${es.map((e) => `acc${e} *= alpha;`).join(' ')}
        m = lm;
      }
      ${each((mm, kk) => `var p${mm}_${kk} = 0.0; if (a${mm}_${kk} > NEG) { p${mm}_${kk} = exp(a${mm}_${kk} - m); l += p${mm}_${kk}; }`, '\n      ')}
      ${es
        .map(
          (e) => `{
        ${ms.map((mm) => `var u${mm} = vec4<f32>(0.0);`).join(' ')}
        ${ks.map((kk) => `{ let v2v = sV2[qi * RS + ${kk * (D4 + 1) + e}]; ${ms.map((mm) => `u${mm} += p${mm}_${kk} * v2v;`).join(' ')} }`).join('\n        ')}
        acc${e} += ${ms.map((mm) => `sV1[jr${mm} + ${e}] * u${mm}`).join(' + ')};
      }`,
        )
        .join('\n      ')}
    }
  }
  // combine the LJ partials of each query: M = max m_t, out = Σ e^(m_t − M) acc_t / Σ e^(m_t − M) l_t
  sM[lid] = m;
  sL[lid] = l;
  workgroupBarrier();
  var mx = NEG;
  for (var t = 0; t < LJ; t++) { mx = max(mx, sM[qi * LJ + t]); }
  var sum = 0.0;
  for (var t = 0; t < LJ; t++) { let mt = sM[qi * LJ + t]; if (mt > NEG) { sum += exp(mt - mx) * sL[qi * LJ + t]; } }
  var f = 0.0;
  if (m > NEG) { f = exp(m - mx); }
  ${es.map((e) => `acc${e} *= f;`).join(' ')}
  var inv = 0.0;
  if (sum > 0.0) { inv = 1.0 / sum; }
  let qo = ((b * n + i) * uniforms.Hq + h) * D;${combine(D4, 'acc', 'inv')}
  if (qOK && dj == 0) { result[uniforms.total * D + bh * n + i] = mx + log(sum); }
}
`;
  }
}

/**
 * Split dQ: invocation (query, window-1 offset) recomputes its logits and ⟨dO ⊙ v1_j, v2_k⟩, forms
 * dA = exp(a − lse)·(ds − ⟨dO, O⟩) in registers and accumulates its partial dq += k1_j ⊙ Σ_k dA k2_k over all vec4
 * columns; the LJ partials of a query are summed at the end. LD = [lse | ⟨dO_i, O_i⟩].
 */
export class SplitDqProgram implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  variableComponents = [4, 4, 4, 4, 4, 4, 1];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'total : i32, n : i32, Hq : i32, Hkv : i32, nbh : i32, scale : f32,';
  size = false;
  constructor(
    outSize: number,
    private readonly dims: SplitDims,
    private readonly o: SplitResolved,
  ) {
    this.outputShape = [outSize];
    const groups = dims.B * dims.Hq * Math.ceil(dims.n / TQ);
    this.dispatch = flatDispatch(groups * WG, WG);
    this.shaderKey = `tessera_simplicial_splitdq_${dims.d}_${o.w1}_${o.w2}_${o.causal}`;
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const S2 = this.o.causal ? this.o.w2 : 2 * this.o.w2 - 1;
    const ks = range(S2);
    const es = range(D4);
    return `${header(this.dims, this.o, 1)}
var<workgroup> sQ : array<vec4<f32>, ${TQ * D4}>;
var<workgroup> sDO : array<vec4<f32>, ${TQ * D4}>;
fn main(index : i32) {${PROLOGUE}
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
  ${loadRows('K2', 'V2', 'sK2', 'sV2', 'i0 - (W2 - 1)', 'R2')}
  var lse = 0.0;
  var dl = 0.0;
  if (qOK) {
    lse = LD[bh * n + i];
    dl = LD[uniforms.total + bh * n + i];
  }
  ${es.map((e) => `var dq${e} = vec4<f32>(0.0);`).join(' ')}
  let k0 = i - (W2 - 1);
  for (var ch = 0; ch < NCH; ch++) {
    workgroupBarrier();
    ${loadRows('K1', 'V1', 'sK1', 'sV1', 'i0 - (W1 - 1) + ch * JC', 'R1')}
    workgroupBarrier();
    let dlt = ch * JC + dj;
    let j = i - (W1 - 1) + dlt;
    let jOK = qOK && dlt < S1 && j >= 0 && j < n;
    let jr = (qi + dj) * RS;
    if (jOK) {
      ${ks.map((kk) => `var a${kk} = 0.0; var s${kk} = 0.0;`).join(' ')}
      for (var e4 = 0; e4 < D4; e4++) {
        let t = sQ[qi * D4 + e4] * sK1[jr + e4];
        let r = sDO[qi * D4 + e4] * sV1[jr + e4];
        let kr = qi * RS + e4;
        ${ks.map((kk) => `a${kk} += dot(t, sK2[kr + ${kk * (D4 + 1)}]); s${kk} += dot(r, sV2[kr + ${kk * (D4 + 1)}]);`).join('\n        ')}
      }
      ${ks.map((kk) => `var da${kk} = 0.0; if (k0 + ${kk} >= 0 && k0 + ${kk} < n) { da${kk} = exp(a${kk} - lse) * (s${kk} - dl); }`).join('\n      ')}
      ${es
        .map(
          (e) => `{
        var z = vec4<f32>(0.0);
        ${ks.map((kk) => `z += da${kk} * sK2[qi * RS + ${kk * (D4 + 1) + e}];`).join(' ')}
        dq${e} += sK1[jr + ${e}] * z;
      }`,
        )
        .join('\n      ')}
    }
  }
  let qo = ((b * n + i) * uniforms.Hq + h) * D;${combine(D4, 'dq', 'uniforms.scale')}
}
`;
  }
}

/** Keys per workgroup of the split dK1/dV1. */
const TK = 8;

/** Workgroup memory (bytes) of the split dK1/dV1. @internal */
export function splitDk1Bytes(d: number, s2: number): number {
  const RS = d / 4 + 1;
  return 16 * RS * (2 * TK + 2 * TQ + 2 * (TQ + s2 - 1)) + 4 * 2 * TQ + 16 * WG * CG;
}

/**
 * Split dK1 and dV1: the tiling of the tiled dK1/dV1 (TK = 8 key rows j of one (b, kv-head g) in workgroup memory,
 * the queries whose window 1 holds them walked in chunks of TQ = 8 with their window-2 rows of K2/V2), but invocation
 * (key, query) keeps its role: its P = exp(a − lse) and dA = P·(ds − ⟨dO, O⟩) over window 2 stay in registers, and it
 * accumulates its partial dV1_j += dO_i ⊙ Σ_k P v2_k and dK1_j += s·q_i ⊙ Σ_k dA k2_k over all vec4 columns (V2/K2
 * rows read at addresses shared by the 4 keys of a warp); the TQ partials of a key are summed once at the end.
 * No P in workgroup memory, two barriers per query chunk, no float atomics. result = [dK1 | dV1].
 */
export class SplitDk1Program implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  variableComponents = [4, 4, 4, 4, 4, 4, 1];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'total : i32, n : i32, Hq : i32, Hkv : i32, nbg : i32, scale : f32, nq : i32,';
  size = false;
  constructor(
    outSize: number,
    private readonly dims: SplitDims,
    private readonly o: SplitResolved,
  ) {
    this.outputShape = [outSize];
    const groups = dims.B * dims.Hkv * Math.ceil(dims.n / TK);
    this.dispatch = flatDispatch(groups * WG, WG);
    this.shaderKey = `tessera_simplicial_splitdk1_${dims.d}_${o.w1}_${o.w2}_${o.causal}`;
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const s1 = this.o.causal ? this.o.w1 : 2 * this.o.w1 - 1;
    const S2 = this.o.causal ? this.o.w2 : 2 * this.o.w2 - 1;
    const R2 = TQ + S2 - 1;
    const ks = range(S2);
    const es = range(D4);
    return `
const D = ${this.dims.d};
const D4 = ${D4};
const RS = ${D4 + 1};
const BQ = ${TQ};
const LJ = ${TQ};
const BK = ${TK};
const WG = ${WG};
const W1 = ${this.o.w1};
const W2 = ${this.o.w2};
const S1 = ${s1};
const S2 = ${S2};
const R2 = ${R2};
const NQC = ${Math.ceil((TK + s1 - 1) / TQ)};
var<workgroup> sK1 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sV1 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sQ : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sDO : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sK2 : array<vec4<f32>, ${R2 * (D4 + 1)}>;
var<workgroup> sV2 : array<vec4<f32>, ${R2 * (D4 + 1)}>;
var<workgroup> sL : array<f32, ${2 * TQ}>;
var<workgroup> sR : array<vec4<f32>, ${WG * CG}>;
fn main(index : i32) {
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
  let kvBase = b * n * kvRow + g * D4;
  let kr = lid / BQ;
  let qi = lid - kr * BQ;
  let j = t0 + kr;
  ${loadRows('K1', 'V1', 'sK1', 'sV1', 't0', 'BK')}
  ${es.map((e) => `var dk${e} = vec4<f32>(0.0); var dv${e} = vec4<f32>(0.0);`).join(' ')}
  for (var hh = 0; hh < group; hh++) {
    let h = g * group + hh;
    let bh = b * uniforms.Hq + h;
    for (var qc = 0; qc < NQC; qc++) {
      let ib = t0 + W1 - S1 + qc * BQ;
      workgroupBarrier();
      for (var x = lid; x < BQ * D4; x += WG) {
        let r = x / D4;
        let e4 = x - r * D4;
        let ii = ib + r;
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
        let ii = ib + r;
        var v = 0.0;
        if (live && ii >= 0 && ii < n) { v = LD[(lid / BQ) * uniforms.nq + bh * n + ii]; }
        sL[lid] = v;
      }
      ${loadRows('K2', 'V2', 'sK2', 'sV2', 'ib - (W2 - 1)', 'R2')}
      workgroupBarrier();
      let i = ib + qi;
      let dlt = j - i + W1 - 1;
      let pOK = live && i >= 0 && i < n && j < n && dlt >= 0 && dlt < S1;
      if (pOK) {
        ${ks.map((kk) => `var a${kk} = 0.0; var s${kk} = 0.0;`).join(' ')}
        for (var e4 = 0; e4 < D4; e4++) {
          let t = sQ[qi * RS + e4] * sK1[kr * RS + e4];
          let r = sDO[qi * RS + e4] * sV1[kr * RS + e4];
          let k2r = qi * RS + e4;
          ${ks.map((kk) => `a${kk} += dot(t, sK2[k2r + ${kk * (D4 + 1)}]); s${kk} += dot(r, sV2[k2r + ${kk * (D4 + 1)}]);`).join('\n          ')}
        }
        let lse = sL[qi];
        let dl = sL[BQ + qi];
        let k0 = i - (W2 - 1);
        ${ks.map((kk) => `var p${kk} = 0.0; var da${kk} = 0.0; if (k0 + ${kk} >= 0 && k0 + ${kk} < n) { p${kk} = exp(a${kk} - lse); da${kk} = p${kk} * (s${kk} - dl); }`).join('\n        ')}
        ${es
          .map(
            (e) => `{
          var u = vec4<f32>(0.0);
          var z = vec4<f32>(0.0);
          ${ks.map((kk) => `{ let o = qi * RS + ${kk * (D4 + 1) + e}; u += p${kk} * sV2[o]; z += da${kk} * sK2[o]; }`).join(' ')}
          dv${e} += sDO[qi * RS + ${e}] * u;
          dk${e} += sQ[qi * RS + ${e}] * z;
        }`,
          )
          .join('\n        ')}
      }
    }
  }
  let kOK = live && j < n;
  let ko = ((b * n + j) * uniforms.Hkv + g) * D;${combine(D4, 'dk', '1.0', 'kr', 'qi', 'kOK', 'ko')}${combine(D4, 'dv', '1.0', 'kr', 'qi', 'kOK', 'uniforms.total * D + ko')}
}
`;
  }
}

/** Workgroup memory (bytes) of the split dK2/dV2. @internal */
export function splitDk2Bytes(d: number, _s2: number): number {
  const RS = d / 4 + 1;
  return 16 * RS * (2 * TK + 2 * TQ + 2 * (TJ + TQ - 1)) + 4 * 2 * TQ + 16 * WG * CG;
}

/**
 * Split dK2 and dV2: TK = 8 key rows k of K2/V2 of one (b, g) in workgroup memory, the queries whose window 2 holds
 * them in chunks of TQ = 8 and, per chunk, window 1 in chunks of TJ = 8 offsets (TJ + TQ − 1 rows of K1/V1), as the
 * tiled dK2/dV2; but invocation (key, query) keeps its role: for its pair it recomputes the logits
 * ⟨q_i ⊙ k2_k, k1_j⟩ and ⟨dO_i ⊙ v2_k, v1_j⟩ over the chunk's offsets, keeps P and dA in registers and accumulates
 * its partial dV2_k += dO_i ⊙ Σ_j P v1_j and dK2_k += s·q_i ⊙ Σ_j dA k1_j over all vec4 columns; the TQ partials of a
 * key are summed once at the end. result = [dK2 | dV2].
 */
export class SplitDk2Program implements Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['Q', 'K1', 'K2', 'V1', 'V2', 'DO', 'LD'];
  variableComponents = [4, 4, 4, 4, 4, 4, 1];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'total : i32, n : i32, Hq : i32, Hkv : i32, nbg : i32, scale : f32, nq : i32,';
  size = false;
  constructor(
    outSize: number,
    private readonly dims: SplitDims,
    private readonly o: SplitResolved,
  ) {
    this.outputShape = [outSize];
    const groups = dims.B * dims.Hkv * Math.ceil(dims.n / TK);
    this.dispatch = flatDispatch(groups * WG, WG);
    this.shaderKey = `tessera_simplicial_splitdk2_${dims.d}_${o.w1}_${o.w2}_${o.causal}`;
  }
  getUserCode(): string {
    const D4 = this.dims.d / 4;
    const s1 = this.o.causal ? this.o.w1 : 2 * this.o.w1 - 1;
    const S2 = this.o.causal ? this.o.w2 : 2 * this.o.w2 - 1;
    const R1 = TJ + TQ - 1;
    const ts = range(TJ);
    const es = range(D4);
    return `
const D = ${this.dims.d};
const D4 = ${D4};
const RS = ${D4 + 1};
const BQ = ${TQ};
const LJ = ${TQ};
const JC = ${TJ};
const BK = ${TK};
const WG = ${WG};
const W1 = ${this.o.w1};
const W2 = ${this.o.w2};
const S1 = ${s1};
const S2 = ${S2};
const R1 = ${R1};
const NQC = ${Math.ceil((TK + S2 - 1) / TQ)};
const NCH = ${Math.ceil(s1 / TJ)};
var<workgroup> sK2 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sV2 : array<vec4<f32>, ${TK * (D4 + 1)}>;
var<workgroup> sQ : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sDO : array<vec4<f32>, ${TQ * (D4 + 1)}>;
var<workgroup> sK1 : array<vec4<f32>, ${R1 * (D4 + 1)}>;
var<workgroup> sV1 : array<vec4<f32>, ${R1 * (D4 + 1)}>;
var<workgroup> sL : array<f32, ${2 * TQ}>;
var<workgroup> sR : array<vec4<f32>, ${WG * CG}>;
fn main(index : i32) {
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
  let kvBase = b * n * kvRow + g * D4;
  let kr = lid / BQ;
  let qi = lid - kr * BQ;
  let k = t0 + kr;
  ${loadRows('K2', 'V2', 'sK2', 'sV2', 't0', 'BK')}
  ${es.map((e) => `var dk${e} = vec4<f32>(0.0); var dv${e} = vec4<f32>(0.0);`).join(' ')}
  for (var hh = 0; hh < group; hh++) {
    let h = g * group + hh;
    let bh = b * uniforms.Hq + h;
    for (var qc = 0; qc < NQC; qc++) {
      // queries i in [t0 + W2 − S2, t0 + BK − 1 + W2 − 1]
      let ib = t0 + W2 - S2 + qc * BQ;
      workgroupBarrier();
      for (var x = lid; x < BQ * D4; x += WG) {
        let r = x / D4;
        let e4 = x - r * D4;
        let ii = ib + r;
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
        let ii = ib + r;
        var v = 0.0;
        if (live && ii >= 0 && ii < n) { v = LD[(lid / BQ) * uniforms.nq + bh * n + ii]; }
        sL[lid] = v;
      }
      let i = ib + qi;
      let dkk = k - i + W2 - 1;
      let pOK = live && i >= 0 && i < n && k < n && dkk >= 0 && dkk < S2;
      for (var ch = 0; ch < NCH; ch++) {
        workgroupBarrier();
        ${loadRows('K1', 'V1', 'sK1', 'sV1', 'ib - (W1 - 1) + ch * JC', 'R1')}
        workgroupBarrier();
        if (pOK) {
          ${ts.map((t) => `var a${t} = 0.0; var s${t} = 0.0;`).join(' ')}
          for (var e4 = 0; e4 < D4; e4++) {
            let t = sQ[qi * RS + e4] * sK2[kr * RS + e4];
            let r = sDO[qi * RS + e4] * sV2[kr * RS + e4];
            let jr = qi * RS + e4;
            ${ts.map((t) => `a${t} += dot(t, sK1[jr + ${t * (D4 + 1)}]); s${t} += dot(r, sV1[jr + ${t * (D4 + 1)}]);`).join('\n            ')}
          }
          let lse = sL[qi];
          let dl = sL[BQ + qi];
          let jb = i - (W1 - 1) + ch * JC;
          ${ts.map((t) => `var p${t} = 0.0; var da${t} = 0.0; if (ch * JC + ${t} < S1 && jb + ${t} >= 0 && jb + ${t} < n) { p${t} = exp(a${t} - lse); da${t} = p${t} * (s${t} - dl); }`).join('\n          ')}
          ${es
            .map(
              (e) => `{
            var w = vec4<f32>(0.0);
            var y = vec4<f32>(0.0);
            ${ts.map((t) => `{ let o = qi * RS + ${t * (D4 + 1) + e}; w += p${t} * sV1[o]; y += da${t} * sK1[o]; }`).join(' ')}
            dv${e} += sDO[qi * RS + ${e}] * w;
            dk${e} += sQ[qi * RS + ${e}] * y;
          }`,
            )
            .join('\n          ')}
        }
      }
    }
  }
  let kOK = live && k < n;
  let ko = ((b * n + k) * uniforms.Hkv + g) * D;${combine(D4, 'dk', '1.0', 'kr', 'qi', 'kOK', 'ko')}${combine(D4, 'dv', '1.0', 'kr', 'qi', 'kOK', 'uniforms.total * D + ko')}
}
`;
  }
}
