// Absorbing fixed effects: the within transformation (one exact pass for a single factor; for several, a solve in
// the space of the fixed-effect coefficients, ./demean.ts), on Int32Array factor codes, never dense dummies, so
// 10M rows x 3 factors fits in memory. Also the degrees of freedom the factors use (connected components for two
// factors) and nesting in cluster variables.
import { demeanCoef } from './demean.js';

export interface Factor {
  name: string;
  /** codes 0..nlevels-1 per row (no missing) */
  codes: Int32Array;
  nlevels: number;
}

export interface DemeanOptions {
  /** stop when no fixed-effect coefficient would move by more than tol x the column's largest absolute value */
  tol?: number;
  /** most sweeps per column (one sweep = one product with the factors' normal matrix, the cost of one pass of
   * alternating projections over the factors) */
  maxIter?: number;
  /** arrays (length n) receiving the demeaned columns, e.g. the columns of a design matrix; may be the inputs */
  out?: Float64Array[];
}

export interface DemeanResult {
  columns: Float64Array[];
  /** sweeps (the largest column's count; 1 for a single factor) */
  iterations: number;
  converged: boolean;
  /** components[i][j]: connected components of factors i and j (as components()), found on the way; for factorDf */
  components?: number[][];
}

/**
 * Residuals of each column on the dummies of all factors (the within transformation): exact in one pass for one
 * factor; for several, accelerated alternating projections on the fixed-effect coefficients (./demean.ts).
 */
export function demean(columns: Float64Array[], factors: Factor[], opts: DemeanOptions = {}): DemeanResult {
  const n = factors.length ? factors[0].codes.length : columns[0]?.length ?? 0;
  for (const f of factors) if (f.codes.length !== n) throw new Error(`demean: factor '${f.name}' has ${f.codes.length} rows, expected ${n}`);
  columns.forEach((c, k) => { if (c.length !== n) throw new Error(`demean: column ${k} has ${c.length} rows, expected ${n}`); });
  const out = opts.out ?? columns.map(() => new Float64Array(n));
  if (out.length !== columns.length || out.some((o) => o.length !== n)) throw new Error('demean: opts.out must hold one n-length array per column');
  if (!factors.length) {
    columns.forEach((c, k) => { if (out[k] !== c) out[k].set(c); });
    return { columns: out, iterations: 0, converged: true };
  }
  const r = demeanCoef(columns, factors, { tol: opts.tol ?? 1e-10, maxIter: opts.maxIter ?? 10000, out });
  return { columns: out, ...r };
}

/** Number of connected components of the bipartite graph of two factors (the redundant dummies between them). */
export function components(a: Factor, b: Factor): number {
  // union-find with path halving, finds inlined; components = nodes - successful unions
  const La = a.nlevels, N = La + b.nlevels, parent = new Int32Array(N);
  for (let i = 0; i < N; i++) parent[i] = i;
  const ca = a.codes, cb = b.codes;
  let unions = 0, pa = -1, pb = -1;
  for (let i = 0; i < ca.length; i++) {
    const x = ca[i], y = cb[i];
    if (x === pa && y === pb) continue;
    pa = x;
    pb = y;
    let r1 = x;
    while (parent[r1] !== r1) { const g = parent[parent[r1]]; parent[r1] = g; r1 = g; }
    let r2 = La + y;
    while (parent[r2] !== r2) { const g = parent[parent[r2]]; parent[r2] = g; r2 = g; }
    if (r1 !== r2) { parent[r1] = r2; unions++; }
  }
  return N - unions;
}

/**
 * Parameters each factor uses: the first its levels; a factor nested in an earlier one none; the second its levels
 * minus the connected components it forms with the first (exact for two factors); later ones their levels minus the
 * largest number of components they form with any earlier factor (an approximation, like fixest's for 3+ factors).
 * comps: the pairwise components when already known (DemeanResult.components), else counted on the rows.
 */
export function factorDf(factors: Factor[], comps?: number[][]): number[] {
  return factors.map((f, j) => {
    if (j === 0) return f.nlevels;
    const earlier = factors.slice(0, j);
    if (earlier.some((e) => nestedIn(f, e))) return 0;
    return f.nlevels - Math.max(...earlier.map((e, i) => (comps ? comps[i][j] : components(e, f))));
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
