// The cross-tabulations behind the coefficient-space demeaning (./demean.ts), built once per call and shared by all
// columns: the largest ("big") factor linked to each other ("small") factor - compressed where rows repeat a pair,
// stored once per distinct multiset of small levels where many big levels share one ("patterns": every worker seen
// in the same years) - and the small factors' cross-tabulations with each other; plus level counts and diag(M).
import type { Factor } from './absorb.js';

/** Cross-tabulation grouped by the levels of one factor: level g meets the other factor's levels idx[start[g]..start[g+1])
 * in cnt[] rows each (cnt null: one row per entry, entries may repeat a level). */
export interface Crosstab {
  start: Int32Array;
  idx: Int32Array;
  cnt: Float64Array | null;
}

/** Big level g -> the small factor's coefficients its rows meet, idx[start[g]..start[g+1]) (indices into the state),
 * cnt[] rows each (cnt null when no pair repeats). */
export interface DirectLink {
  start: Int32Array;
  idx: Int32Array;
  cnt: Int32Array | null;
}

/** Big level g -> pattern pat[g]; pattern p = the small coefficients idx[start[p]..start[p+1]) met cnt[] times each. */
export interface PatternLink {
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
export interface Plan {
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
  /** the link of each small factor (the same objects as in direct / patterns) */
  links: (DirectLink | PatternLink)[];
  /** cross[q][h] for q < h: level of small q -> levels of small h */
  cross: Crosstab[][];
  /** rows of each small level (state order) and the inverse of diag(M), the preconditioner (0 where M_ll = 0) */
  smallCount: Float64Array;
  preInv: Float64Array;
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
  if (gs.sorted || fs.length === 0) return fs.map((f) => f.codes);
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

const NO_COUNTS = new Int32Array(0);

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
 * One pass: each group's distinct levels are matched against the patterns while they may pay, and written
 * compacted (over the grouped codes themselves when `owned`) once they do not.
 */
function linkSmall(start: Int32Array, grouped: Int32Array, owned: boolean, nlevels: number, offset: number): DirectLink | PatternLink {
  const L = start.length - 1, n = grouped.length;
  const seen = new Int32Array(nlevels).fill(-1), times = new Int32Array(nlevels), list = new Int32Array(nlevels);
  // patterns: canonical form = sorted levels with their counts, found by hash and compared exactly
  const pat = new Int32Array(L), pStart = new Grow(new Int32Array(64)), pIdx = new Grow(new Int32Array(256)), pCnt = new Grow(new Float64Array(256));
  const pNext = new Grow(new Int32Array(64)), head = new Map<number, number>();
  const byMask = nlevels <= 16 ? new Int32Array(1 << nlevels).fill(-1) : null;
  pStart.push(0);
  // the direct link, compacted in place (or into a copy when the codes are not ours) once patterns are given up
  const st = new Int32Array(L + 1);
  let comp = grouped, times1 = NO_COUNTS;
  let k = 0, nnz = 0, repeated = false, usePatterns = true;
  const compact = (g: number, m: number) => {
    for (let j = 0; j < m; j++) {
      const c = list[j];
      comp[k] = offset + c;
      times1[k++] = times[c];
    }
    st[g + 1] = k;
  };
  // compact groups 0..to-1 from their codes (still intact: the write position never passes the read position)
  const compactUpTo = (to: number) => {
    if (!owned) comp = new Int32Array(n);
    times1 = new Int32Array(n);
    for (let h = 0; h < to; h++) {
      let m = 0;
      for (let e = start[h]; e < start[h + 1]; e++) {
        const c = grouped[e];
        if (seen[c] !== -2 - h) { seen[c] = -2 - h; times[c] = 1; list[m++] = c; } else times[c]++;
      }
      compact(h, m);
    }
  };
  for (let g = 0; g < L; g++) {
    let m = 0;
    for (let e = start[g]; e < start[g + 1]; e++) {
      const c = grouped[e];
      if (seen[c] !== g) { seen[c] = g; times[c] = 1; list[m++] = c; } else times[c]++;
    }
    let repeats = 0;
    for (let j = 0; j < m; j++) if (times[list[j]] > 1) repeats++;
    nnz += m;
    if (repeats) repeated = true;
    if (!usePatterns) { compact(g, m); continue; }
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
    // (distinct pairs) without; then compact the groups seen so far (their codes are still intact) and go on
    if (g >= 1024 && 2 * (pIdx.len + g) > nnz) {
      usePatterns = false;
      compactUpTo(g + 1);
    }
  }
  if (usePatterns && 2 * (pIdx.len + L) <= nnz) {
    const np = pStart.len - 1;
    return { pat, start: pStart.done(), idx: pIdx.done(), cnt: pCnt.done(), v: new Float64Array(3 * np), sumA: new Float64Array(3 * np) };
  }
  // patterns kept to the end but not worth it (few big levels): compact everything now
  if (usePatterns) compactUpTo(L);
  return { start: st, idx: k === n ? comp : comp.slice(0, k), cnt: repeated ? times1.slice(0, k) : null };
}

/**
 * Patterns of a small factor with at most 30 levels from one pass over the rows in their own order: each big level's
 * set of small levels as a bit mask (OR is order-free). null when some big level meets a small level twice (the
 * set does not say how often) or when the patterns would not pay (see linkSmall).
 */
function maskPatterns(big: Factor, f: Factor, offset: number): PatternLink | null {
  const c0 = big.codes, c = f.codes, n = c0.length, L = big.nlevels, masks = new Int32Array(L);
  for (let i = 0; i < n; i++) {
    const g = c0[i], bit = 1 << c[i];
    if (masks[g] & bit) return null;
    masks[g] |= bit;
  }
  const pat = new Int32Array(L), pStart = new Grow(new Int32Array(64)), pIdx = new Grow(new Int32Array(256));
  const byMask = f.nlevels <= 16 ? new Int32Array(1 << f.nlevels).fill(-1) : null, byMap = new Map<number, number>();
  pStart.push(0);
  for (let g = 0; g < L; g++) {
    const mask = masks[g];
    let id = byMask !== null ? byMask[mask] : byMap.get(mask) ?? -1;
    if (id < 0) {
      id = pStart.len - 1;
      if (byMask !== null) byMask[mask] = id; else byMap.set(mask, id);
      for (let l = 0; l < f.nlevels; l++) if ((mask >>> l) & 1) pIdx.push(offset + l);
      pStart.push(pIdx.len);
      if (2 * (pIdx.len + L) > n) return null;
    }
    pat[g] = id;
  }
  const np = pStart.len - 1;
  return { pat, start: pStart.done(), idx: pIdx.done(), cnt: new Float64Array(pIdx.len).fill(1), v: new Float64Array(3 * np), sumA: new Float64Array(3 * np) };
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

export function makePlan(factors: Factor[]): Plan {
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
  // small factors of few levels (years) first try bit-mask patterns on the rows as they come; the others (and
  // those where a unit meets a level twice) are grouped by big level
  const links: (DirectLink | PatternLink | null)[] = small.map((f, q) => (f.nlevels <= 30 ? maskPatterns(big, f, off[q]) : null));
  const rest = small.filter((_, q) => links[q] === null);
  const grouped: (Int32Array | null)[] = groupedCodes(big, gs, rest);
  small.forEach((f, q) => {
    if (links[q] === null) {
      const r = rest.indexOf(f);
      links[q] = linkSmall(gs.start, grouped[r]!, !gs.sorted, f.nlevels, off[q]);
      grouped[r] = null; // free the n-length copy before the next link is built
    }
    const link = links[q]!;
    if ('pat' in link) patterns.push(link); else direct.push(link);
  });
  const cross: Crosstab[][] = small.map((f, q) => small.map((h, j) => (j > q ? crosstab(f, h) : { start: new Int32Array(0), idx: new Int32Array(0), cnt: null })));
  // rows of each small level, from the links (every row is in exactly one big level)
  const bigInv = new Float64Array(big.nlevels), smallCount = new Float64Array(stateLen);
  for (let g = 0; g < big.nlevels; g++) { const c = gs.start[g + 1] - gs.start[g]; bigInv[g] = c > 0 ? 1 / c : 0; }
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
  return { big, bigInv, small, off, stateLen, direct, patterns, links: links as (DirectLink | PatternLink)[], cross, smallCount, preInv };
}


/** Union-find over N nodes counting successful unions (components = N - unions). */
class Components {
  private parent: Int32Array;
  unions = 0;
  constructor(readonly N: number) {
    this.parent = new Int32Array(N);
    for (let i = 0; i < N; i++) this.parent[i] = i;
  }
  private find(i: number): number {
    const parent = this.parent;
    while (parent[i] !== i) { const g = parent[parent[i]]; parent[i] = g; i = g; }
    return i;
  }
  union(a: number, b: number) {
    const r1 = this.find(a), r2 = this.find(b);
    if (r1 !== r2) { this.parent[r1] = r2; this.unions++; }
  }
  get count() { return this.N - this.unions; }
}

/**
 * Connected components of the bipartite graph of each pair of factors, from the distinct pairs the plan holds
 * rather than the n rows: comps[i][j] (i, j in the order of `factors`, as absorb.ts components()).
 */
export function planComponents(p: Plan, factors: Factor[]): number[][] {
  const Q = factors.length, out = factors.map(() => new Array<number>(Q).fill(0));
  const pos = (f: Factor) => factors.indexOf(f);
  const set = (a: Factor, b: Factor, c: number) => { out[pos(a)][pos(b)] = c; out[pos(b)][pos(a)] = c; };
  const L0 = p.big.nlevels;
  p.small.forEach((f, q) => {
    const uf = new Components(L0 + f.nlevels), link = p.links[q], base = L0 - p.off[q];
    if ('pat' in link) {
      // a pattern's levels are connected to each other through any big level that has the pattern
      const { pat, start, idx } = link, used = new Uint8Array(start.length - 1);
      for (let g = 0; g < L0; g++) {
        const j = pat[g];
        if (start[j] < start[j + 1]) { uf.union(g, base + idx[start[j]]); used[j] = 1; }
      }
      for (let j = 0; j < used.length; j++) if (used[j]) for (let e = start[j] + 1; e < start[j + 1]; e++) uf.union(base + idx[start[j]], base + idx[e]);
    } else {
      const { start, idx } = link;
      for (let g = 0; g < L0; g++) for (let e = start[g]; e < start[g + 1]; e++) uf.union(g, base + idx[e]);
    }
    set(p.big, f, uf.count);
  });
  p.small.forEach((f, q) => p.small.forEach((h, r) => {
    if (r <= q) return;
    const uf = new Components(f.nlevels + h.nlevels), { start, idx } = p.cross[q][r];
    for (let l = 0; l < f.nlevels; l++) for (let e = start[l]; e < start[l + 1]; e++) uf.union(l, f.nlevels + idx[e]);
    set(f, h, uf.count);
  }));
  return out;
}
