// The demeaning of src/estimation/absorb.ts before issue 13 (alternating projections over full-length vectors,
// Irons-Tuck every third sweep), kept verbatim as the in-run baseline of bench/estimation.ts and the reference
// of test/estimation-absorb.test.ts. Not used by src/.
import type { Factor } from '../src/estimation/absorb.js';

export interface PlainDemeanOptions {
  tol?: number;
  maxIter?: number;
  /** false: no Irons-Tuck steps at all (the textbook method) */
  accelerate?: boolean;
}

function counts(f: Factor): Float64Array {
  const c = new Float64Array(f.nlevels);
  for (let i = 0; i < f.codes.length; i++) c[f.codes[i]]++;
  return c;
}

/**
 * One cycle of alternating projections over all factors, in place; returns the largest absolute change.
 * The subtraction for factor f and the accumulation for factor f+1 share a pass (F+1 passes, not 2F).
 */
function cycle(x: Float64Array, factors: Factor[], cnts: Float64Array[], sums: Float64Array[]): number {
  const n = x.length, F = factors.length;
  let maxChange = 0;
  sums[0].fill(0);
  const c0 = factors[0].codes, s0 = sums[0];
  for (let i = 0; i < n; i++) s0[c0[i]] += x[i];
  for (let f = 0; f < F; f++) {
    const m = sums[f], cnt = cnts[f], codes = factors[f].codes;
    for (let g = 0; g < m.length; g++) {
      m[g] = cnt[g] > 0 ? m[g] / cnt[g] : 0;
      const a = Math.abs(m[g]);
      if (a > maxChange) maxChange = a;
    }
    if (f + 1 < F) {
      const next = sums[f + 1], nc = factors[f + 1].codes;
      next.fill(0);
      for (let i = 0; i < n; i++) {
        const v = x[i] - m[codes[i]];
        x[i] = v;
        next[nc[i]] += v;
      }
    } else for (let i = 0; i < n; i++) x[i] -= m[codes[i]];
  }
  return maxChange;
}

/**
 * Residuals of each column on the dummies of all factors (the within transformation), by alternating
 * projections with Irons-Tuck acceleration every third sweep (as fixest), exact in one pass for one factor.
 */
export function demeanPlain(columns: Float64Array[], factors: Factor[], opts: PlainDemeanOptions = {}): { columns: Float64Array[]; iterations: number; converged: boolean } {
  const tol = opts.tol ?? 1e-10, maxIter = opts.maxIter ?? 10000;
  const cnts = factors.map(counts);
  const sums = factors.map((f) => new Float64Array(f.nlevels));
  let iterations = 0, converged = true;
  const out = columns.map((c) => {
    const x = Float64Array.from(c);
    if (!factors.length) return x;
    let scale = 0;
    for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(x[i]));
    scale = Math.max(scale, 1e-300);
    const once = () => cycle(x, factors, cnts, sums);
    let ch = once();
    if (factors.length === 1) { iterations = Math.max(iterations, 1); return x; }
    let it = 1;
    if (opts.accelerate === false) {
      while (ch > tol * scale && it < maxIter) { ch = once(); it++; }
      if (ch > tol * scale) converged = false;
      iterations = Math.max(iterations, it);
      return x;
    }
    const x0 = new Float64Array(x.length), x1 = new Float64Array(x.length);
    while (ch > tol * scale && it < maxIter) {
      // Irons-Tuck: from x, T(x), T(T(x)) extrapolate along the second difference
      x0.set(x);
      ch = once();
      it++;
      if (!(ch > tol * scale)) break;
      x1.set(x);
      ch = once();
      it++;
      if (!(ch > tol * scale)) break;
      let num = 0, den = 0;
      for (let i = 0; i < x.length; i++) {
        const d1 = x[i] - x1[i], d2 = x[i] - 2 * x1[i] + x0[i];
        num += d1 * d2;
        den += d2 * d2;
      }
      if (den > 0) {
        const coef = num / den;
        for (let i = 0; i < x.length; i++) x[i] -= coef * (x[i] - x1[i]);
      }
      ch = once();
      it++;
    }
    if (ch > tol * scale) converged = false;
    iterations = Math.max(iterations, it);
    return x;
  });
  return { columns: out, iterations, converged };
}

