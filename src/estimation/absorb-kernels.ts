// Products with the small factors' normal matrix M = D_s'(I - P_big)D_s for the coefficient-space demeaning
// (./demean.ts), read through the plan's cross-tabulations (./absorb-plan.ts), never the n rows.
import type { Plan, PatternLink, DirectLink } from './absorb-plan.js';

/**
 * The big factor's coefficients given the small ones (state X): a_g = (S0_g - sum of X over g's rows) / rows of g,
 * S0 = per-level sums of the column, or 0 when S0 is null. With `A` given, also adds into A, for each small
 * coefficient, the sum of a over its rows.
 */
export function bigStep(p: Plan, S0: Float64Array | null, X: Float64Array, a: Float64Array, A: Float64Array | null) {
  const P = p.patterns, D = p.direct;
  for (const { start, idx, cnt, v, sumA } of P) {
    for (let j = 0; j < start.length - 1; j++) {
      let s = 0;
      for (let e = start[j]; e < start[j + 1]; e++) s += cnt[e] * X[idx[e]];
      v[j] = s;
    }
    sumA.fill(0);
  }
  if (P.length <= 1 && D.length <= 1) bigStepFused(p.bigInv, S0, X, a, A, P[0], D[0]);
  else bigStepGeneral(p, S0, X, a, A);
  if (A === null) return;
  for (const { start, idx, cnt, sumA } of P) {
    for (let j = 0; j < start.length - 1; j++) {
      const sj = sumA[j];
      for (let e = start[j]; e < start[j + 1]; e++) A[idx[e]] += cnt[e] * sj;
    }
  }
}

const NO_PATTERN: PatternLink = { pat: new Int32Array(0), start: new Int32Array(1), idx: new Int32Array(0), cnt: new Float64Array(0), v: new Float64Array(0), sumA: new Float64Array(0) };
const NO_DIRECT: DirectLink = { start: new Int32Array(1), idx: new Int32Array(0), cnt: null };

/** bigStep for at most one pattern link and one direct link (two or three factors): one loop over the big levels. */
function bigStepFused(inv: Float64Array, S0: Float64Array | null, X: Float64Array, a: Float64Array, A: Float64Array | null, pl = NO_PATTERN, dl = NO_DIRECT) {
  const L0 = inv.length, hasP = pl !== NO_PATTERN, hasD = dl !== NO_DIRECT, { pat, v, sumA } = pl, { start, idx, cnt } = dl;
  for (let g = 0; g < L0; g++) {
    let s = S0 === null ? 0 : S0[g];
    if (hasP) s -= v[pat[g]];
    const e0 = hasD ? start[g] : 0, e1 = hasD ? start[g + 1] : 0;
    if (cnt === null) for (let e = e0; e < e1; e++) s -= X[idx[e]];
    else for (let e = e0; e < e1; e++) s -= cnt[e] * X[idx[e]];
    const ag = s * inv[g];
    a[g] = ag;
    if (A === null) continue;
    if (cnt === null) for (let e = e0; e < e1; e++) A[idx[e]] += ag;
    else for (let e = e0; e < e1; e++) A[idx[e]] += cnt[e] * ag;
    if (hasP) sumA[pat[g]] += ag;
  }
}

/** bigStep for any number of links: one pass per link. */
function bigStepGeneral(p: Plan, S0: Float64Array | null, X: Float64Array, a: Float64Array, A: Float64Array | null) {
  const inv = p.bigInv, L0 = inv.length;
  for (let g = 0; g < L0; g++) a[g] = S0 === null ? 0 : S0[g];
  for (const { pat, v } of p.patterns) for (let g = 0; g < L0; g++) a[g] -= v[pat[g]];
  for (const { start, idx, cnt } of p.direct) {
    for (let g = 0; g < L0; g++) {
      let s = 0;
      if (cnt === null) for (let e = start[g]; e < start[g + 1]; e++) s += X[idx[e]];
      else for (let e = start[g]; e < start[g + 1]; e++) s += cnt[e] * X[idx[e]];
      a[g] -= s;
    }
  }
  for (let g = 0; g < L0; g++) a[g] *= inv[g];
  if (A === null) return;
  for (const { start, idx, cnt } of p.direct) {
    for (let g = 0; g < L0; g++) {
      const ag = a[g];
      if (cnt === null) for (let e = start[g]; e < start[g + 1]; e++) A[idx[e]] += ag;
      else for (let e = start[g]; e < start[g + 1]; e++) A[idx[e]] += cnt[e] * ag;
    }
  }
  for (const { pat, sumA } of p.patterns) for (let g = 0; g < L0; g++) sumA[pat[g]] += a[g];
}

// ---- M applied to a block of K <= 3 columns at once: vectors interleaved, coefficient j of column k at j*K + k,
// so one pass over the cross-tabulations serves every column (the pass is memory-bound: K columns cost little more
// than one). Hand-unrolled per K: V8 keeps the per-column sums in registers only then.

const NO_I = new Int32Array(1), NO_F = new Float64Array(1);

/**
 * A -= D_s'P_big D_s X for K lanes when the plan has at most one pattern link and one direct link (two or three
 * factors): per big level, minus the mean of the small coefficients over its rows, scattered back. false otherwise.
 */
function bigLanes(p: Plan, K: number, X: Float64Array, A: Float64Array): boolean {
  if (p.patterns.length > 1 || p.direct.length > 1) return false;
  const pl = p.patterns[0], dl = p.direct[0], hasP = pl !== undefined, hasD = dl !== undefined;
  const pat = hasP ? pl.pat : NO_I, v = hasP ? pl.v : NO_F, sumA = hasP ? pl.sumA : NO_F;
  if (hasP) {
    const { start, idx, cnt } = pl, np = start.length - 1;
    v.fill(0, 0, np * K);
    sumA.fill(0, 0, np * K);
    for (let j = 0; j < np; j++) {
      for (let e = start[j]; e < start[j + 1]; e++) for (let k = 0; k < K; k++) v[j * K + k] += cnt[e] * X[idx[e] * K + k];
    }
  }
  const start = hasD ? dl.start : NO_I, idx = hasD ? dl.idx : NO_I, cnt = hasD ? dl.cnt : null;
  if (K === 1) lanes1(p.bigInv, X, A, hasP, pat, v, sumA, hasD, start, idx, cnt);
  else if (K === 2) lanes2(p.bigInv, X, A, hasP, pat, v, sumA, hasD, start, idx, cnt);
  else lanes3(p.bigInv, X, A, hasP, pat, v, sumA, hasD, start, idx, cnt);
  if (hasP) {
    const { start, idx, cnt } = pl, np = start.length - 1;
    for (let j = 0; j < np; j++) {
      for (let e = start[j]; e < start[j + 1]; e++) for (let k = 0; k < K; k++) A[idx[e] * K + k] += cnt[e] * sumA[j * K + k];
    }
  }
  return true;
}

function lanes1(inv: Float64Array, X: Float64Array, A: Float64Array, hasP: boolean, pat: Int32Array, v: Float64Array, sumA: Float64Array,
  hasD: boolean, start: Int32Array, idx: Int32Array, cnt: Int32Array | null) {
  for (let g = 0; g < inv.length; g++) {
    const pg = hasP ? pat[g] : 0;
    let s0 = hasP ? -v[pg] : 0;
    const e0 = hasD ? start[g] : 0, e1 = hasD ? start[g + 1] : 0;
    if (cnt === null) for (let e = e0; e < e1; e++) s0 -= X[idx[e]];
    else for (let e = e0; e < e1; e++) s0 -= cnt[e] * X[idx[e]];
    s0 *= inv[g];
    if (cnt === null) for (let e = e0; e < e1; e++) A[idx[e]] += s0;
    else for (let e = e0; e < e1; e++) A[idx[e]] += cnt[e] * s0;
    if (hasP) sumA[pg] += s0;
  }
}

function lanes2(inv: Float64Array, X: Float64Array, A: Float64Array, hasP: boolean, pat: Int32Array, v: Float64Array, sumA: Float64Array,
  hasD: boolean, start: Int32Array, idx: Int32Array, cnt: Int32Array | null) {
  for (let g = 0; g < inv.length; g++) {
    const pg = hasP ? pat[g] * 2 : 0;
    let s0 = hasP ? -v[pg] : 0, s1 = hasP ? -v[pg + 1] : 0;
    const e0 = hasD ? start[g] : 0, e1 = hasD ? start[g + 1] : 0;
    for (let e = e0; e < e1; e++) {
      const c = cnt === null ? 1 : cnt[e], j = idx[e] * 2;
      s0 -= c * X[j];
      s1 -= c * X[j + 1];
    }
    const ig = inv[g];
    s0 *= ig;
    s1 *= ig;
    for (let e = e0; e < e1; e++) {
      const c = cnt === null ? 1 : cnt[e], j = idx[e] * 2;
      A[j] += c * s0;
      A[j + 1] += c * s1;
    }
    if (hasP) { sumA[pg] += s0; sumA[pg + 1] += s1; }
  }
}

function lanes3(inv: Float64Array, X: Float64Array, A: Float64Array, hasP: boolean, pat: Int32Array, v: Float64Array, sumA: Float64Array,
  hasD: boolean, start: Int32Array, idx: Int32Array, cnt: Int32Array | null) {
  for (let g = 0; g < inv.length; g++) {
    const pg = hasP ? pat[g] * 3 : 0;
    let s0 = hasP ? -v[pg] : 0, s1 = hasP ? -v[pg + 1] : 0, s2 = hasP ? -v[pg + 2] : 0;
    const e0 = hasD ? start[g] : 0, e1 = hasD ? start[g + 1] : 0;
    for (let e = e0; e < e1; e++) {
      const c = cnt === null ? 1 : cnt[e], j = idx[e] * 3;
      s0 -= c * X[j];
      s1 -= c * X[j + 1];
      s2 -= c * X[j + 2];
    }
    const ig = inv[g];
    s0 *= ig;
    s1 *= ig;
    s2 *= ig;
    for (let e = e0; e < e1; e++) {
      const c = cnt === null ? 1 : cnt[e], j = idx[e] * 3;
      A[j] += c * s0;
      A[j + 1] += c * s1;
      A[j + 2] += c * s2;
    }
    if (hasP) { sumA[pg] += s0; sumA[pg + 1] += s1; sumA[pg + 2] += s2; }
  }
}

/**
 * out = M x = D_s'D_s x - D_s'P_big D_s x for K interleaved columns: the counts times x, the small factors'
 * cross-tabulations, and the big factor's means of D_s x scattered back (column by column through bigStep when the
 * plan has several links of a kind).
 */
export function applyM(p: Plan, K: number, x: Float64Array, out: Float64Array, a: Float64Array) {
  const S = p.stateLen, cnt0 = p.smallCount;
  for (let j = 0; j < S; j++) for (let k = 0; k < K; k++) out[j * K + k] = cnt0[j] * x[j * K + k];
  if (!bigLanes(p, K, x, out)) {
    const xk = new Float64Array(S), ok = new Float64Array(S);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < S; j++) xk[j] = x[j * K + k];
      ok.fill(0);
      bigStep(p, null, xk, a, ok);
      for (let j = 0; j < S; j++) out[j * K + k] += ok[j];
    }
  }
  const Q = p.small.length;
  for (let q = 0; q < Q; q++) {
    for (let h = q + 1; h < Q; h++) {
      const { start, idx, cnt } = p.cross[q][h], oq = p.off[q], oh = p.off[h];
      for (let l = 0; l < p.small[q].nlevels; l++) {
        const jl = (oq + l) * K;
        for (let e = start[l]; e < start[l + 1]; e++) {
          const jh = (oh + idx[e]) * K, c = cnt === null ? 1 : cnt[e];
          for (let k = 0; k < K; k++) { out[jl + k] += c * x[jh + k]; out[jh + k] += c * x[jl + k]; }
        }
      }
    }
  }
}

