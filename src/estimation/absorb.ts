// Absorbing fixed effects: demeaning by alternating projections (one exact pass for a single factor), on
// Int32Array factor codes, never dense dummies, so 10M rows x 3 factors fits in memory. Also the degrees of
// freedom the factors use (connected components for two factors) and nesting in cluster variables.

export interface Factor {
  name: string;
  /** codes 0..nlevels-1 per row (no missing) */
  codes: Int32Array;
  nlevels: number;
}

export interface DemeanOptions {
  /** stop when a sweep changes no value by more than tol x the column's scale */
  tol?: number;
  maxIter?: number;
}

export interface DemeanResult {
  columns: Float64Array[];
  iterations: number;
  converged: boolean;
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
export function demean(columns: Float64Array[], factors: Factor[], opts: DemeanOptions = {}): DemeanResult {
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

/** Number of connected components of the bipartite graph of two factors (the redundant dummies between them). */
export function components(a: Factor, b: Factor): number {
  const parent = Int32Array.from({ length: a.nlevels + b.nlevels }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) { parent[i] = parent[parent[i]]; i = parent[i]; }
    return i;
  };
  for (let i = 0; i < a.codes.length; i++) {
    const r1 = find(a.codes[i]), r2 = find(a.nlevels + b.codes[i]);
    if (r1 !== r2) parent[r1] = r2;
  }
  const roots = new Set<number>();
  for (let i = 0; i < parent.length; i++) roots.add(find(i));
  return roots.size;
}

/**
 * Parameters each factor uses: the first its levels; a factor nested in an earlier one none; the second its levels
 * minus the connected components it forms with the first (exact for two factors); later ones their levels minus the
 * largest number of components they form with any earlier factor (an approximation, like fixest's for 3+ factors).
 */
export function factorDf(factors: Factor[]): number[] {
  return factors.map((f, j) => {
    if (j === 0) return f.nlevels;
    const earlier = factors.slice(0, j);
    if (earlier.some((e) => nestedIn(f, e))) return 0;
    return f.nlevels - Math.max(...earlier.map((e) => components(e, f)));
  });
}

/** True when every level of f lies within a single level of the cluster variable. */
export function nestedIn(f: Factor, cluster: { codes: Int32Array; nlevels: number }): boolean {
  const owner = new Int32Array(f.nlevels).fill(-1);
  for (let i = 0; i < f.codes.length; i++) {
    const g = f.codes[i], c = cluster.codes[i];
    if (owner[g] === -1) owner[g] = c;
    else if (owner[g] !== c) return false;
  }
  return true;
}

/** Dense 0..k-1 codes of the given rows of a code vector (missing = -1 must have been removed). */
export function recode(codes: Int32Array, rows: Int32Array, name: string): Factor {
  const map = new Int32Array(Math.max(0, ...sampleMax(codes)) + 1).fill(-1);
  const out = new Int32Array(rows.length);
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const c = codes[rows[i]];
    if (map[c] < 0) map[c] = k++;
    out[i] = map[c];
  }
  return { name, codes: out, nlevels: k };
}

function sampleMax(codes: Int32Array): number[] {
  let m = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] > m) m = codes[i];
  return [m];
}
