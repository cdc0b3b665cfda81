// Demeaning on absorbed factors in the space of the fixed-effect coefficients (as fixest's demeaning.cpp), not of
// n-length vectors. The unknowns are the coefficients of every factor but the largest (firms and years in a worker x
// firm x year problem: thousands of numbers, not millions); the largest ("big") factor is solved out exactly, which
// leaves the normal equations M x = b of the other ("small") factors, M = D_s'(I - P_big)D_s. They are solved by
// conjugate gradients preconditioned with diag(M). One product M x never reads the n rows: it reads cross-
// tabulations built once - big x each small factor, and between the small factors - compressed where rows repeat a
// pair, and where many big levels meet the same multiset of a small factor's levels (every worker observed in the
// same years) stored once per distinct multiset ("pattern"); a balanced id x year panel costs O(ids) per product.
//
// Why CG rather than fixest's Irons-Tuck-accelerated alternating projections: both were implemented on this state;
// on the 10M-row worker x firm x year benchmark IT needed 23 sweeps for tol 1e-10 and this CG 10 (one sweep = one
// product = the cost of one projection), and on a chain of firms linked by few movers (a badly conditioned graph)
// IT had not converged after 10,000 sweeps where CG took about 2,100. CG's error falls with sqrt(condition number),
// alternating projections' with the condition number.
import type { Factor } from './absorb.js';

/** Cross-tabulation grouped by the levels of one factor: level g meets the other factor's levels idx[start[g]..start[g+1])
 * in cnt[] rows each (cnt null: one row per entry, entries may repeat a level). */
interface Crosstab {
  start: Int32Array;
  idx: Int32Array;
  cnt: Float64Array | null;
}

/** Big level g -> the small factor's coefficients its rows meet, idx[start[g]..start[g+1]) (indices into the state),
 * cnt[] rows each (cnt null when no pair repeats). */
interface DirectLink {
  start: Int32Array;
  idx: Int32Array;
  cnt: Int32Array | null;
}

/** Big level g -> pattern pat[g]; pattern p = the small coefficients idx[start[p]..start[p+1]) met cnt[] times each. */
interface PatternLink {
  pat: Int32Array;
  start: Int32Array;
  idx: Int32Array;
  cnt: Float64Array;
  /** per sweep: each pattern's sum of coefficients, and the sum of the big coefficients of its levels (room for
   * 3 interleaved columns) */
  v: Float64Array;
  sumA: Float64Array;
}

/** What the products need about the factors, built once per demean call (shared by all columns). */
interface Plan {
  big: Factor;
  /** 1 / rows of each big level (0 for an empty level) */
  bigInv: Float64Array;
  /** the other factors, larger first; their coefficients form the iterated state */
  small: Factor[];
  /** offset of each small factor's coefficients in the state */
  off: number[];
  stateLen: number;
  direct: DirectLink[];
  patterns: PatternLink[];
  /** cross[q][h] for q < h: level of small q -> levels of small h */
  cross: Crosstab[][];
  /** rows of each small level (state order) and the inverse of diag(M), the preconditioner (0 where M_ll = 0) */
  smallCount: Float64Array;
  preInv: Float64Array;
}

function inverseCounts(f: Factor): Float64Array {
  const c = new Float64Array(f.nlevels), codes = f.codes;
  for (let i = 0; i < codes.length; i++) c[codes[i]]++;
  for (let l = 0; l < c.length; l++) c[l] = c[l] > 0 ? 1 / c[l] : 0;
  return c;
}

interface Groups {
  /** rows of level g are start[g]..start[g+1] in grouped order */
  start: Int32Array;
  /** rows already come grouped (no sort needed) */
  sorted: boolean;
}

function groupStarts(by: Factor): Groups {
  const c0 = by.codes, n = c0.length, L = by.nlevels, start = new Int32Array(L + 1);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    start[c0[i] + 1]++;
    if (i > 0 && c0[i] < c0[i - 1]) sorted = false;
  }
  for (let g = 0; g < L; g++) start[g + 1] += start[g];
  return { start, sorted };
}

/** Codes of each of fs in the row order grouped by `by` (one stable counting sort for all; the codes themselves when
 * the rows already come grouped). */
function groupedCodes(by: Factor, gs: Groups, fs: Factor[]): Int32Array[] {
  if (gs.sorted) return fs.map((f) => f.codes);
  const c0 = by.codes, n = c0.length, cur = gs.start.slice(0, by.nlevels), outs = fs.map(() => new Int32Array(n));
  if (fs.length === 2) {
    const [o1, o2] = outs, c1 = fs[0].codes, c2 = fs[1].codes;
    for (let i = 0; i < n; i++) { const r = cur[c0[i]]++; o1[r] = c1[i]; o2[r] = c2[i]; }
    return outs;
  }
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[i] = cur[c0[i]]++;
  fs.forEach((f, q) => { const o = outs[q], c = f.codes; for (let i = 0; i < n; i++) o[rank[i]] = c[i]; });
  return outs;
}

/** Growable Int32 / Float64 buffer (pattern tables are small but of unknown size). */
class Grow<T extends Int32Array | Float64Array> {
  len = 0;
  constructor(public buf: T) {}
  push(v: number) {
    if (this.len === this.buf.length) {
      const b = new (this.buf.constructor as new (n: number) => T)(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.len++] = v;
  }
  done(): T { return this.buf.slice(0, this.len) as T; }
}

/** Whether stored pattern id is the sorted level list `list` (m levels) with counts `times`. */
function samePattern(pStart: Int32Array, pIdx: Int32Array, pCnt: Float64Array, id: number, list: Int32Array, m: number, times: Int32Array, offset: number): boolean {
  const p0 = pStart[id];
  if (pStart[id + 1] - p0 !== m) return false;
  for (let j = 0; j < m; j++) if (pIdx[p0 + j] !== offset + list[j] || pCnt[p0 + j] !== times[list[j]]) return false;
  return true;
}

/**
 * The link of the big factor to one small factor (codes grouped by big level): the distinct multisets of small
 * levels, when storing each once (plus a pattern id per big level) takes under half the entries of the direct
 * cross-tabulation; else the direct cross-tabulation. Small levels are stored as state indices (offset added).
 * One pass: each group's distinct levels are both matched against the patterns and written compacted (over the
 * grouped codes themselves when `owned`: the write position never passes the read position).
 */
function linkSmall(start: Int32Array, grouped: Int32Array, owned: boolean, nlevels: number, offset: number): DirectLink | PatternLink {
  const L = start.length - 1, n = grouped.length;
  const seen = new Int32Array(nlevels).fill(-1), times = new Int32Array(nlevels), list = new Int32Array(nlevels);
  // patterns: canonical form = sorted levels with their counts, found by hash and compared exactly
  const pat = new Int32Array(L), pStart = new Grow(new Int32Array(64)), pIdx = new Grow(new Int32Array(256)), pCnt = new Grow(new Float64Array(256));
  const pNext = new Grow(new Int32Array(64)), head = new Map<number, number>();
  const byMask = nlevels <= 16 ? new Int32Array(1 << nlevels).fill(-1) : null;
  pStart.push(0);
  const comp = owned ? grouped : new Int32Array(n), times1 = new Int32Array(n), st = new Int32Array(L + 1);
  let k = 0, repeated = false, usePatterns = true;
  for (let g = 0; g < L; g++) {
    let m = 0;
    for (let e = start[g]; e < start[g + 1]; e++) {
      const c = grouped[e];
      if (seen[c] !== g) { seen[c] = g; times[c] = 1; list[m++] = c; } else times[c]++;
    }
    let repeats = 0;
    for (let j = 0; j < m; j++) {
      const c = list[j], t = times[c];
      comp[k] = offset + c;
      times1[k++] = t;
      if (t > 1) repeats++;
    }
    st[g + 1] = k;
    if (repeats) repeated = true;
    if (!usePatterns) continue;
    let id: number;
    if (byMask !== null && repeats === 0) {
      // few small levels (years), each met once: the set of levels as a bit mask indexes the patterns directly
      let mask = 0;
      for (let j = 0; j < m; j++) mask |= 1 << list[j];
      id = byMask[mask];
      if (id < 0) {
        id = byMask[mask] = pStart.len - 1;
        for (let c = 0; c < nlevels; c++) if ((mask >>> c) & 1) { pIdx.push(offset + c); pCnt.push(1); }
        pStart.push(pIdx.len);
        pNext.push(-1);
      }
    } else {
      // insertion sort: a big level meets few small levels
      for (let j = 1; j < m; j++) {
        const v = list[j];
        let i = j - 1;
        while (i >= 0 && list[i] > v) { list[i + 1] = list[i]; i--; }
        list[i + 1] = v;
      }
      // consecutive big levels often share a pattern: try the previous one before hashing
      let h = 0;
      id = g > 0 && samePattern(pStart.buf, pIdx.buf, pCnt.buf, pat[g - 1], list, m, times, offset) ? pat[g - 1] : -1;
      if (id < 0) {
        h = m;
        for (let j = 0; j < m; j++) h = Math.imul(h ^ (list[j] * 31 + times[list[j]]), 0x01000193);
        id = head.get(h) ?? -1;
        while (id >= 0 && !samePattern(pStart.buf, pIdx.buf, pCnt.buf, id, list, m, times, offset)) id = pNext.buf[id];
      }
      if (id < 0) {
        id = pStart.len - 1;
        for (let j = 0; j < m; j++) { pIdx.push(offset + list[j]); pCnt.push(times[list[j]]); }
        pStart.push(pIdx.len);
        pNext.push(head.get(h) ?? -1);
        head.set(h, id);
      }
    }
    pat[g] = id;
    // give up on patterns once they stop paying: a product costs about (pattern entries + big levels) with them,
    // (distinct pairs) without
    if (g >= 1024 && 2 * (pIdx.len + g) > k) usePatterns = false;
  }
  if (usePatterns && 2 * (pIdx.len + L) <= k) {
    const np = pStart.len - 1;
    return { pat, start: pStart.done(), idx: pIdx.done(), cnt: pCnt.done(), v: new Float64Array(3 * np), sumA: new Float64Array(3 * np) };
  }
  return { start: st, idx: k === n ? comp : comp.slice(0, k), cnt: repeated ? times1.slice(0, k) : null };
}

/** Entries of grouped codes deduplicated within each group, when that saves at least a quarter of them. */
function compress(start: Int32Array, codes: Int32Array, nlevels: number): Crosstab {
  const L = start.length - 1, mark = new Int32Array(nlevels).fill(-1);
  let nnz = 0;
  for (let g = 0; g < L; g++) {
    for (let e = start[g], end = start[g + 1]; e < end; e++) {
      const c = codes[e];
      if (mark[c] !== g) { mark[c] = g; nnz++; }
    }
  }
  if (nnz > 0.75 * codes.length) return { start, idx: codes, cnt: null };
  const st = new Int32Array(L + 1), idx = new Int32Array(nnz), cnt = new Float64Array(nnz), pos = new Int32Array(nlevels);
  mark.fill(-1);
  let k = 0;
  for (let g = 0; g < L; g++) {
    st[g] = k;
    for (let e = start[g], end = start[g + 1]; e < end; e++) {
      const c = codes[e];
      if (mark[c] !== g) { mark[c] = g; pos[c] = k; idx[k] = c; cnt[k] = 1; k++; } else cnt[pos[c]]++;
    }
  }
  st[L] = k;
  return { start: st, idx, cnt };
}

/** Cross-tabulation of a by b grouped by level of a: dense counting when the two have few levels, else sorted. */
function crosstab(a: Factor, b: Factor): Crosstab {
  const n = a.codes.length, M = b.nlevels;
  if (a.nlevels * M > Math.min(n, 1 << 22)) {
    const gs = groupStarts(a);
    return compress(gs.start, groupedCodes(a, gs, [b])[0], M);
  }
  const t = new Float64Array(a.nlevels * M), ca = a.codes, cb = b.codes;
  for (let i = 0; i < n; i++) t[ca[i] * M + cb[i]]++;
  let nnz = 0;
  for (let j = 0; j < t.length; j++) if (t[j] > 0) nnz++;
  const start = new Int32Array(a.nlevels + 1), idx = new Int32Array(nnz), cnt = new Float64Array(nnz);
  let k = 0;
  for (let g = 0; g < a.nlevels; g++) {
    start[g] = k;
    for (let h = 0, o = g * M; h < M; h++) if (t[o + h] > 0) { idx[k] = h; cnt[k] = t[o + h]; k++; }
  }
  start[a.nlevels] = k;
  return { start, idx, cnt };
}

function makePlan(factors: Factor[]): Plan {
  let b = 0;
  factors.forEach((f, j) => { if (f.nlevels > factors[b].nlevels) b = j; });
  const big = factors[b];
  // larger small factors first: their coefficients move most, and the last ones see the freshest values
  const small = factors.filter((_, j) => j !== b).sort((x, y) => y.nlevels - x.nlevels);
  const off: number[] = [];
  let stateLen = 0;
  for (const f of small) { off.push(stateLen); stateLen += f.nlevels; }
  const gs = groupStarts(big);
  const direct: DirectLink[] = [], patterns: PatternLink[] = [];
  const grouped: (Int32Array | null)[] = groupedCodes(big, gs, small);
  small.forEach((f, q) => {
    const link = linkSmall(gs.start, grouped[q]!, !gs.sorted, f.nlevels, off[q]);
    grouped[q] = null; // free the n-length copy before the next link is built
    if ('pat' in link) patterns.push(link); else direct.push(link);
  });
  const cross: Crosstab[][] = small.map((f, q) => small.map((h, j) => (j > q ? crosstab(f, h) : { start: new Int32Array(0), idx: new Int32Array(0), cnt: null })));
  // rows of each small level, from the links (every row is in exactly one big level)
  const bigInv = inverseCounts(big), smallCount = new Float64Array(stateLen);
  for (const { start, idx, cnt } of direct) for (let e = 0; e < idx.length && e < start[start.length - 1]; e++) smallCount[idx[e]] += cnt === null ? 1 : cnt[e];
  for (const { pat, start, idx, cnt } of patterns) {
    const uses = new Float64Array(start.length - 1);
    for (let g = 0; g < pat.length; g++) uses[pat[g]]++;
    for (let j = 0; j < uses.length; j++) for (let e = start[j]; e < start[j + 1]; e++) smallCount[idx[e]] += cnt[e] * uses[j];
  }
  // diag(M)_l = n_l - sum over big levels g of N_gl^2 / n_g
  const dg = smallCount.slice();
  for (const { start, idx, cnt } of direct) {
    for (let g = 0; g < bigInv.length; g++) {
      for (let e = start[g]; e < start[g + 1]; e++) { const c = cnt === null ? 1 : cnt[e]; dg[idx[e]] -= c * c * bigInv[g]; }
    }
  }
  for (const { pat, start, idx, cnt } of patterns) {
    const tot = new Float64Array(start.length - 1);
    for (let g = 0; g < bigInv.length; g++) tot[pat[g]] += bigInv[g];
    for (let j = 0; j < tot.length; j++) for (let e = start[j]; e < start[j + 1]; e++) dg[idx[e]] -= cnt[e] * cnt[e] * tot[j];
  }
  // a level whose rows the big factor explains entirely (M_ll ~ 0 up to rounding) has a zero row in M: left at 0
  const preInv = dg.map((v, l) => (v > 1e-9 * smallCount[l] ? 1 / v : 0));
  return { big, bigInv, small, off, stateLen, direct, patterns, cross, smallCount, preInv };
}

/**
 * The big factor's coefficients given the small ones (state X): a_g = (S0_g - sum of X over g's rows) / rows of g,
 * S0 = per-level sums of the column, or 0 when S0 is null. With `A` given, also adds into A, for each small
 * coefficient, the sum of a over its rows.
 */
function bigStep(p: Plan, S0: Float64Array | null, X: Float64Array, a: Float64Array, A: Float64Array | null) {
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
function applyM(p: Plan, K: number, x: Float64Array, out: Float64Array, a: Float64Array) {
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

/**
 * Preconditioned conjugate gradients for M x_k = b_k, k < K, from x = 0, one recurrence per column sharing the
 * products. A column stops when its preconditioned residual diag(M)^-1 r - the change a Jacobi step would make to
 * each coefficient - is below its tolerance everywhere; its search direction is then zeroed. M is singular when the
 * factors' dummies are collinear (they always are between two factors); b lies in its range, so CG stays consistent
 * and the residuals do not depend on which solution it reaches.
 */
function solveCG(p: Plan, bs: Float64Array[], tolAbs: number[], maxIter: number, a: Float64Array) {
  const S = p.stateLen, K = bs.length, pre = p.preInv, SK = S * K;
  const x = new Float64Array(SK), r = new Float64Array(SK), z = new Float64Array(SK), d = new Float64Array(SK), Md = new Float64Array(SK);
  const rz = new Float64Array(K), zmax = new Float64Array(K), dMd = new Float64Array(K), alpha = new Float64Array(K), beta = new Float64Array(K);
  const sweeps = new Array<number>(K).fill(0), active = new Array<boolean>(K).fill(false);
  for (let j = 0; j < S; j++) {
    for (let k = 0; k < K; k++) {
      const i = j * K + k, rv = bs[k][j], zv = rv * pre[j];
      r[i] = rv; z[i] = zv; d[i] = zv;
      rz[k] += rv * zv;
      zmax[k] = Math.max(zmax[k], Math.abs(zv));
    }
  }
  for (let k = 0; k < K; k++) active[k] = zmax[k] > tolAbs[k];
  let done = !active.includes(true);
  for (let k = 0; k < K; k++) if (!active[k]) for (let j = 0; j < S; j++) d[j * K + k] = 0;
  while (!done) {
    applyM(p, K, d, Md, a);
    dMd.fill(0);
    for (let i = 0; i < SK; i++) dMd[i % K] += d[i] * Md[i];
    for (let k = 0; k < K; k++) {
      if (!active[k]) { alpha[k] = 0; continue; }
      sweeps[k]++;
      // d in M's null space: nothing left to reduce for this column
      if (!(dMd[k] > 0)) { active[k] = false; alpha[k] = 0; } else alpha[k] = rz[k] / dMd[k];
    }
    const rzNew = new Float64Array(K);
    zmax.fill(0);
    for (let j = 0; j < S; j++) {
      for (let k = 0; k < K; k++) {
        const i = j * K + k;
        x[i] += alpha[k] * d[i];
        r[i] -= alpha[k] * Md[i];
        const zv = (z[i] = r[i] * pre[j]);
        rzNew[k] += r[i] * zv;
        if (Math.abs(zv) > zmax[k]) zmax[k] = Math.abs(zv);
      }
    }
    for (let k = 0; k < K; k++) {
      if (active[k] && (!(zmax[k] > tolAbs[k]) || sweeps[k] >= maxIter)) active[k] = false;
      beta[k] = active[k] ? rzNew[k] / rz[k] : 0;
      rz[k] = rzNew[k];
    }
    for (let j = 0; j < S; j++) for (let k = 0; k < K; k++) { const i = j * K + k; d[i] = active[k] ? z[i] + beta[k] * d[i] : 0; }
    done = !active.includes(true);
  }
  return bs.map((_, k) => ({ x: Float64Array.from({ length: S }, (_, j) => x[j * K + k]), sweeps: sweeps[k], converged: !(zmax[k] > tolAbs[k]) }));
}

/** Per-level sums of y for the big factor (into S0) and the small ones (into Ss, state order), in one pass;
 * returns the largest |y| (the scale of the tolerance). */
function levelSums(p: Plan, y: Float64Array, S0: Float64Array, Ss: Float64Array): number {
  const c0 = p.big.codes, n = c0.length, sc = p.small.map((f) => f.codes), off = p.off;
  S0.fill(0);
  Ss.fill(0);
  let m = 0;
  if (sc.length === 1) {
    const c1 = sc[0];
    for (let i = 0; i < n; i++) {
      const v = y[i];
      S0[c0[i]] += v;
      Ss[c1[i]] += v;
      if (Math.abs(v) > m) m = Math.abs(v);
    }
  } else if (sc.length === 2) {
    const c1 = sc[0], c2 = sc[1], o2 = off[1];
    for (let i = 0; i < n; i++) {
      const v = y[i];
      S0[c0[i]] += v;
      Ss[c1[i]] += v;
      Ss[o2 + c2[i]] += v;
      if (Math.abs(v) > m) m = Math.abs(v);
    }
  } else {
    for (let i = 0; i < n; i++) { const v = y[i]; S0[c0[i]] += v; if (Math.abs(v) > m) m = Math.abs(v); }
    sc.forEach((c, q) => { const o = off[q]; for (let i = 0; i < n; i++) Ss[o + c[i]] += y[i]; });
  }
  return m;
}

function bigSums(codes: Int32Array, y: Float64Array, S0: Float64Array) {
  S0.fill(0);
  for (let i = 0; i < codes.length; i++) S0[codes[i]] += y[i];
}

/** out = y minus the fitted fixed effects (a for the big factor, the state for the others), row by row. */
function residuals(p: Plan, y: Float64Array, a: Float64Array, X: Float64Array, out: Float64Array) {
  const c0 = p.big.codes, n = c0.length, sc = p.small.map((f) => f.codes), off = p.off;
  if (sc.length === 0) for (let i = 0; i < n; i++) out[i] = y[i] - a[c0[i]];
  else if (sc.length === 1) {
    const c1 = sc[0];
    for (let i = 0; i < n; i++) out[i] = y[i] - a[c0[i]] - X[c1[i]];
  } else if (sc.length === 2) {
    const c1 = sc[0], c2 = sc[1], o2 = off[1];
    for (let i = 0; i < n; i++) out[i] = y[i] - a[c0[i]] - X[c1[i]] - X[o2 + c2[i]];
  } else {
    for (let i = 0; i < n; i++) out[i] = y[i] - a[c0[i]];
    sc.forEach((c, q) => { const o = off[q]; for (let i = 0; i < n; i++) out[i] -= X[o + c[i]]; });
  }
}

export interface CoefDemeanOptions {
  /** stop when no coefficient would move by more than tol x the largest absolute value of its column */
  tol: number;
  /** most products M x (sweeps) per column */
  maxIter: number;
  /** arrays receiving the demeaned columns (may be the inputs themselves) */
  out: Float64Array[];
}

/**
 * Residuals of the columns on the dummies of all factors, written into opts.out; returns the most sweeps any column
 * took and whether every column converged. factors.length >= 1. Columns go through CG in blocks of up to 3 sharing
 * the products; the plan (cross-tabulations, preconditioner) is shared by all.
 */
export function demeanCoef(columns: Float64Array[], factors: Factor[], opts: CoefDemeanOptions): { iterations: number; converged: boolean } {
  if (!columns.length) return { iterations: 0, converged: true };
  const p = makePlan(factors);
  const S = p.stateLen, L0 = p.big.nlevels, K = columns.length;
  const a = new Float64Array(L0), zeroState = new Float64Array(S);
  const S0 = columns.map(() => new Float64Array(L0));
  let iterations = 1, converged = true;
  const xs: Float64Array[] = columns.map(() => zeroState);
  if (S > 0) {
    const Ss = new Float64Array(S), bs: Float64Array[] = [], tols: number[] = [];
    columns.forEach((y, k) => {
      const scale = levelSums(p, y, S0[k], Ss);
      // b = D_s'(I - P_big) y = Ss - scatter of the big factor's means of y
      const b = new Float64Array(S);
      bigStep(p, S0[k], zeroState, a, b);
      for (let j = 0; j < S; j++) b[j] = Ss[j] - b[j];
      bs.push(b);
      tols.push(opts.tol * Math.max(scale, 1e-300));
    });
    // blocks of 3 (4 columns: 2 + 2)
    for (let k0 = 0; k0 < K;) {
      const size = K - k0 === 4 ? 2 : Math.min(3, K - k0);
      solveCG(p, bs.slice(k0, k0 + size), tols.slice(k0, k0 + size), opts.maxIter, a).forEach((r, j) => {
        xs[k0 + j] = r.x;
        iterations = Math.max(iterations, r.sweeps);
        converged &&= r.converged;
      });
      k0 += size;
    }
  } else columns.forEach((y, k) => bigSums(p.big.codes, y, S0[k]));
  // the big factor's coefficients given the solution, then the residuals
  columns.forEach((y, k) => {
    bigStep(p, S0[k], xs[k], a, null);
    residuals(p, y, a, xs[k], opts.out[k]);
  });
  return { iterations, converged };
}
