// Entropy-weight composite index (the paper's new-quality-productivity score): min-max normalisation by direction,
// a small shift so that ln p is defined, entropy e_j = -sum p ln p / ln n, weights (1 - e_j) / sum (1 - e), score = sum w z.
import { EstimationInputError } from './result.js';

export interface EntropyOptions {
  /** +1 = larger is better, -1 = smaller is better; one per column (default all +1) */
  direction?: number[];
  /** added to every normalised value (default 1e-4) */
  shift?: number;
  /** 'entropy' (default): w_j = (1 - e_j) / sum (1 - e); 'equal': w_j = 1 / k (entropy still reported) */
  method?: 'entropy' | 'equal';
}

export interface EntropyResult {
  names: string[];
  weights: Float64Array;
  entropy: Float64Array;
  /** composite score per row (NaN where a component is missing) */
  scores: Float64Array;
}

export function entropyWeights(columns: { name: string; values: ArrayLike<number> }[], opts: EntropyOptions = {}): EntropyResult {
  const k = columns.length;
  if (!k) throw new EstimationInputError('entropy weights need at least one indicator', 'columns');
  const n = columns[0].values.length;
  const shift = opts.shift ?? 1e-4;
  const dir = opts.direction ?? columns.map(() => 1);
  if (dir.length !== k) throw new EstimationInputError(`entropy: ${dir.length} directions for ${k} indicators`, 'direction');
  // rows complete in every indicator enter the weights
  const complete: number[] = [];
  for (let i = 0; i < n; i++) if (columns.every((c) => Number.isFinite(c.values[i]))) complete.push(i);
  const m = complete.length;
  if (m < 2) throw new EstimationInputError('entropy weights need at least two complete rows', 'columns');
  const Z = columns.map((c, j) => {
    if (dir[j] !== 1 && dir[j] !== -1) throw new EstimationInputError(`entropy: direction of '${c.name}' must be 1 or -1`, 'direction');
    let lo = Infinity, hi = -Infinity;
    for (const i of complete) { lo = Math.min(lo, c.values[i]); hi = Math.max(hi, c.values[i]); }
    if (!(hi > lo)) throw new EstimationInputError(`entropy: indicator '${c.name}' is constant`, c.name);
    return Float64Array.from({ length: n }, (_, i) => {
      const v = c.values[i];
      return Number.isFinite(v) ? (dir[j] > 0 ? v - lo : hi - v) / (hi - lo) + shift : NaN;
    });
  });
  const entropy = new Float64Array(k);
  Z.forEach((z, j) => {
    let s = 0;
    for (const i of complete) s += z[i];
    let h = 0;
    for (const i of complete) { const p = z[i] / s; if (p > 0) h -= p * Math.log(p); }
    entropy[j] = h / Math.log(m);
  });
  let dsum = 0;
  for (let j = 0; j < k; j++) dsum += 1 - entropy[j];
  const weights = opts.method === 'equal' ? new Float64Array(k).fill(1 / k) : Float64Array.from(entropy, (e) => (1 - e) / dsum);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += weights[j] * Z[j][i];
    scores[i] = s;
  }
  return { names: columns.map((c) => c.name), weights, entropy, scores };
}

export interface GroupWeights {
  /** the group's key (a year), null for pooled weights */
  group: number | null;
  weights: Float64Array;
  entropy: Float64Array;
  /** rows of the group complete in every indicator (those the weights were estimated from and that get a score) */
  n: number;
}

/**
 * The composite of `columns` (one array per indicator, all of one length) with weights estimated within each group
 * (groups[i] = row i's group; null = one pooled group). Normalisation, entropy and weights are those of
 * entropyWeights within each group; groups run in ascending key order. Scores are NaN where a row is incomplete.
 */
export function groupedComposite(names: readonly string[], columns: readonly ArrayLike<number>[], groups: readonly (number | null)[] | null,
  opts: EntropyOptions = {}): { scores: Float64Array; groups: GroupWeights[] } {
  const n = columns.length ? columns[0].length : 0;
  const byGroup = new Map<number | null, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups ? groups[i] : null;
    const l = byGroup.get(g);
    if (l) l.push(i); else byGroup.set(g, [i]);
  }
  const scores = new Float64Array(n).fill(NaN);
  const out: GroupWeights[] = [];
  for (const [group, idx] of [...byGroup].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    let r: EntropyResult;
    try {
      r = entropyWeights(names.map((name, j) => ({ name, values: Float64Array.from(idx, (i) => columns[j][i]) })), opts);
    } catch (e) {
      // say which group failed (a year of per-year weights)
      if (e instanceof EstimationInputError && group !== null) throw new EstimationInputError(`year ${group}: ${e.message}`, e.field);
      throw e;
    }
    let m = 0;
    idx.forEach((i, p) => { if (Number.isFinite(r.scores[p])) { scores[i] = r.scores[p]; m++; } });
    out.push({ group, weights: r.weights, entropy: r.entropy, n: m });
  }
  return { scores, groups: out };
}
