// Pooled OLS and the plm panel estimators on a built Design: within (any set of absorbed factors, unbalanced),
// first differences, between, random effects (Swamy-Arora, unbalanced as Baltagi & Chang), and the Hausman test.
import { Matrix, fromColumns, zeros, solve, ginvSym, SingularMatrixError } from './linalg.js';
import { pChisq, pF } from './distributions.js';
import { EstimationInputError, EstimationResult, emptyFit } from './result.js';
import { Design } from './design.js';
import { leastSquares, coefficientTable, tss, LsFit } from './linear.js';
import { VcovOption, computeVcov, ClusterVar } from './vcov.js';
import { Factor, demean, factorDf, nestedIn } from './absorb.js';

/** A fitted linear model: the JSON result plus what other procedures (Hausman, mediation) need. */
export interface LinearModel {
  result: EstimationResult;
  names: string[];
  coef: Float64Array;
  V: Matrix;
  fit: LsFit;
}

export interface LinearOptions {
  vcov?: VcovOption;
  estimator?: string;
}

function subsetFactor(f: Factor, keep: Int32Array): Factor {
  const map = new Int32Array(f.nlevels).fill(-1);
  let k = 0;
  const codes = Int32Array.from(keep, (i) => {
    const c = f.codes[i];
    if (map[c] < 0) map[c] = k++;
    return map[c];
  });
  return { name: f.name, codes, nlevels: k };
}

interface Assemble {
  estimator: string;
  d: Design;
  fit: LsFit;
  nobs: number;
  dfResid: number;
  kPlm: number;
  kStata: (cl: ClusterVar[]) => number;
  clusters: Factor[];
  vcov: VcovOption;
  ngroups: number | null;
  r2: number | null;
  r2Within: number | null;
  r2AdjDen: number;
  warnings: string[];
  extra?: Record<string, unknown>;
  /** z tests and a Wald chi-square instead of t tests and F (plm's random-effects summary) */
  normal?: boolean;
}

function assemble(a: Assemble): LinearModel {
  const { fit } = a;
  if (a.dfResid <= 0) throw new EstimationInputError(`no residual degrees of freedom (${a.nobs} observations for ${fit.names.length} coefficients and the fixed effects)`, 'formula');
  const vc = computeVcov(a.vcov, { X: fit.X, resid: fit.resid, xtxInv: fit.xtxInv, dfResid: a.dfResid, kPlm: a.kPlm, kStata: a.kStata, clusters: a.clusters });
  const sigma2 = fit.ssr / a.dfResid;
  const r2 = a.r2Within ?? a.r2;
  const r2Adj = r2 === null ? null : 1 - (1 - r2) * (a.r2AdjDen / a.dfResid);
  const n = a.nobs, k = fit.names.length;
  const logLik = -0.5 * n * (Math.log(2 * Math.PI) + Math.log(fit.ssr / n) + 1);
  const result: EstimationResult = {
    estimator: a.estimator,
    nobs: a.nobs,
    ngroups: a.ngroups,
    dfResid: a.dfResid,
    vcovType: vc.type,
    coefficients: coefficientTable(fit.names, fit.coef, vc.V, a.normal ? null : vc.df),
    fit: { ...emptyFit(), r2, r2Within: a.r2Within, r2Adj, sigma2, logLik, aic: -2 * logLik + 2 * (k + 1) },
    params: { rho: null, lambda: null, theta: null },
    tests: {},
    warnings: [...a.warnings, ...fit.warnings],
    nobsDropped: a.d.nobsDropped,
    ...a.extra,
  };
  const df1 = k - (a.r2Within === null && a.d.intercept ? 1 : 0);
  if (a.normal) {
    const slopes = fit.names.map((nm, j) => (nm === '(Intercept)' ? -1 : j)).filter((j) => j >= 0);
    const w = waldChisq(fit.coef, vc.V, slopes);
    if (w !== null) result.tests.wald = { statistic: w, df: slopes.length, pValue: pChisq(w, slopes.length) };
  } else if (r2 !== null && df1 > 0) {
    const F = (r2 / df1) / ((1 - r2) / a.dfResid);
    result.tests.f = { statistic: F, df: df1, pValue: pF(F, df1, a.dfResid) };
  }
  return { result, names: fit.names, coef: fit.coef, V: vc.V, fit };
}

/** b_S' V_SS^-1 b_S for the coefficient subset S (null when V_SS is singular). */
function waldChisq(b: Float64Array, V: Matrix, idx: number[]): number | null {
  const m = idx.length;
  if (!m) return null;
  const Vs = zeros(m, m), bs = zeros(m, 1);
  idx.forEach((i, a) => { bs.data[a] = b[i]; idx.forEach((j, c) => { Vs.data[a + c * m] = V.data[i + j * V.rows]; }); });
  try {
    const x = solve(Vs, bs);
    let s = 0;
    for (let a = 0; a < m; a++) s += bs.data[a] * x.data[a];
    return s;
  } catch (e) {
    if (e instanceof SingularMatrixError) return null;
    throw e;
  }
}

const kStataPlain = (k: number) => () => k;

/** Pooled OLS (lm / plm "pooling"). */
export function fitPooled(d: Design, opts: LinearOptions = {}): LinearModel {
  const fit = leastSquares(d.y, d.X, d.names, 'the pooled OLS model');
  const n = d.y.length, k = fit.names.length;
  let r2: number;
  if (d.intercept) r2 = 1 - fit.ssr / tss(d.y);
  else { let s = 0; for (const v of d.y) s += v * v; r2 = 1 - fit.ssr / s; }
  return assemble({
    estimator: opts.estimator ?? 'ols', d, fit, nobs: n, dfResid: n - k, kPlm: k, kStata: kStataPlain(k),
    clusters: d.clusters, vcov: opts.vcov ?? 'iid', ngroups: d.id ? d.id.nlevels : null,
    r2, r2Within: null, r2AdjDen: d.intercept ? n - 1 : n, warnings: [],
  });
}

/**
 * Within estimator: y and X demeaned on all factors (one factor exact, several by accelerated alternating projections).
 * dfResid = n - k - parameters of the factors (plm / LSDV); plm's HC1 k is the number of slopes.
 * inPlace: the design's y and X (no intercept column) are overwritten by their demeaned values instead of copied,
 * for callers that drop the design afterwards (saves two n x (k+1) copies on large data).
 */
export function fitWithin(d: Design, factors: Factor[], opts: LinearOptions & { tol?: number; inPlace?: boolean } = {}): LinearModel {
  if (!factors.length) throw new Error('fitWithin: no factors');
  const n = d.y.length;
  const slopes = d.names.map((nm, j) => (nm === '(Intercept)' ? -1 : j)).filter((j) => j >= 0);
  const names = slopes.map((j) => d.names[j]);
  const inPlace = opts.inPlace === true && slopes.length === d.X.cols;
  const X = inPlace ? d.X : zeros(n, slopes.length);
  const yd = inPlace ? d.y : new Float64Array(n);
  const xcols = slopes.map((j) => d.X.data.subarray(j * n, (j + 1) * n));
  const outs = slopes.map((_, j) => X.data.subarray(j * n, (j + 1) * n));
  const dm = demean([d.y, ...xcols], factors, { tol: opts.tol ?? 1e-10, out: [yd, ...outs] });
  const warnings: string[] = [];
  if (!dm.converged) warnings.push(`fixed-effect demeaning did not converge in ${dm.iterations} iterations`);
  const fit = leastSquares(yd, X, names, 'the within model');
  const k = fit.names.length;
  const feDf = factorDf(factors, dm.components);
  const dfResid = n - k - feDf.reduce((a, b) => a + b, 0);
  const r2w = 1 - fit.ssr / tss(yd);
  const kStata = (cl: ClusterVar[]) => {
    // fixest "nested": factors nested in a cluster variable do not count (a constant stands in for them)
    const nested = factors.map((f) => cl.some((c) => nestedIn(f, c)));
    if (!nested.some(Boolean)) return k + feDf.reduce((a, b) => a + b, 0);
    return k + 1 + factors.reduce((s, f, j) => s + (nested[j] ? 0 : f.nlevels - 1), 0);
  };
  const idF = d.id;
  return assemble({
    estimator: opts.estimator ?? 'fe', d, fit, nobs: n, dfResid, kPlm: k, kStata,
    clusters: d.clusters, vcov: opts.vcov ?? 'iid', ngroups: idF ? idF.nlevels : factors[0].nlevels,
    r2: null, r2Within: r2w, r2AdjDen: n - 1, warnings,
    extra: { fixedEffects: factors.map((f, j) => ({ name: f.name, levels: f.nlevels, df: feDf[j] })), demeanIterations: dm.iterations },
  });
}

/**
 * First differences within id, keeping an intercept as plm. gaps 'plm' (default) differences consecutive observed
 * rows of an id, bridging missing periods as plm does; 'stata' differences only adjacent periods (t and t-1), as
 * Stata's D. operator, so a row after a gap has no difference.
 */
export function fitFirstDiff(d: Design, opts: LinearOptions & { gaps?: 'plm' | 'stata' } = {}): LinearModel {
  if (!d.panel || !d.id || !d.time) throw new EstimationInputError(`estimator 'fd' needs panel {id, time}`, 'panel');
  const cur: number[] = [], prev: number[] = [];
  const warnings: string[] = [];
  if (opts.gaps === 'stata') {
    const lag = d.panel.lagRows(1);
    const pos = new Int32Array(d.panel.id.length).fill(-1);
    d.rows.forEach((r, i) => { pos[r] = i; });
    d.rows.forEach((r, i) => {
      const s = lag[r];
      if (s >= 0 && pos[s] >= 0) { cur.push(i); prev.push(pos[s]); }
    });
  } else {
    const id = d.id.codes, t = d.time;
    const order = Array.from({ length: d.y.length }, (_, i) => i).sort((a, b) => id[a] - id[b] || t[a] - t[b]);
    let bridged = 0;
    for (let k = 1; k < order.length; k++) {
      const a = order[k - 1], b = order[k];
      if (id[a] !== id[b]) continue;
      cur.push(b); prev.push(a);
      if (t[b] - t[a] > 1) bridged++;
    }
    if (bridged) warnings.push(`${bridged} differences span a gap of more than one period (plm convention; fdGaps: 'stata' drops them)`);
  }
  const m = cur.length;
  if (!m) throw new EstimationInputError(`no consecutive periods within ids for first differences`, 'panel');
  const y = Float64Array.from(cur, (i, j) => d.y[i] - d.y[prev[j]]);
  const X = zeros(m, d.X.cols);
  const N = d.X.rows;
  d.names.forEach((nm, j) => {
    for (let t = 0; t < m; t++) X.data[j * m + t] = nm === '(Intercept)' ? 1 : d.X.data[j * N + cur[t]] - d.X.data[j * N + prev[t]];
  });
  const fit = leastSquares(y, X, d.names, 'the first-difference model');
  const k = fit.names.length;
  const keep = Int32Array.from(cur);
  const ids = subsetFactor(d.id, keep);
  return assemble({
    estimator: opts.estimator ?? 'fd', d, fit, nobs: m, dfResid: m - k, kPlm: k, kStata: kStataPlain(k),
    clusters: d.clusters.map((c) => subsetFactor(c, keep)), vcov: opts.vcov ?? 'iid', ngroups: ids.nlevels,
    r2: d.intercept ? 1 - fit.ssr / tss(y) : null, r2Within: null, r2AdjDen: m - 1, warnings,
  });
}

/** Group means of every column (rows of d grouped by the panel id). */
function groupMeans(d: Design): { y: Float64Array; X: Matrix; T: Float64Array } {
  const id = d.id!, G = id.nlevels, n = d.y.length;
  const T = new Float64Array(G), y = new Float64Array(G), X = zeros(G, d.X.cols);
  for (let i = 0; i < n; i++) { T[id.codes[i]]++; y[id.codes[i]] += d.y[i]; }
  for (let j = 0; j < d.X.cols; j++) for (let i = 0; i < n; i++) X.data[j * G + id.codes[i]] += d.X.data[j * n + i];
  for (let g = 0; g < G; g++) {
    y[g] /= T[g];
    for (let j = 0; j < d.X.cols; j++) X.data[j * G + g] /= T[g];
  }
  return { y, X, T };
}

/** Between estimator: OLS on the id means (each id once, as plm). */
export function fitBetween(d: Design, opts: LinearOptions = {}): LinearModel {
  if (!d.id) throw new EstimationInputError(`estimator 'between' needs panel {id, time}`, 'panel');
  if (opts.vcov && typeof opts.vcov === 'object') throw new EstimationInputError(`vcov cluster is not available for the between estimator (one row per id)`, 'vcov');
  const { y, X } = groupMeans(d);
  const fit = leastSquares(y, X, d.names, 'the between model');
  const G = y.length, k = fit.names.length;
  return assemble({
    estimator: opts.estimator ?? 'between', d, fit, nobs: G, dfResid: G - k, kPlm: k, kStata: kStataPlain(k),
    clusters: [], vcov: opts.vcov ?? 'iid', ngroups: G,
    r2: d.intercept ? 1 - fit.ssr / tss(y) : null, r2Within: null, r2AdjDen: G - 1, warnings: [],
    extra: { nobsPanel: d.y.length },
  });
}

/**
 * Random effects, Swamy-Arora variance components. Unbalanced panels follow Baltagi & Chang (1994):
 * sigma2_mu = [u'Pu - (G-K-1) sigma2_nu] / [N - tr((Z'PZ)^-1 Z'Z_mu Z_mu'Z)], theta_i = 1 - sqrt(s2nu / (T_i s2mu + s2nu)).
 */
export function fitRandom(d: Design, opts: LinearOptions = {}): LinearModel {
  if (!d.id) throw new EstimationInputError(`estimator 're' needs panel {id, time}`, 'panel');
  if (!d.intercept) throw new EstimationInputError(`estimator 're' needs an intercept (remove '- 1' / '+ 0')`, 'formula');
  const within = fitWithin(d, [d.id], { estimator: 'fe' });
  const N = d.y.length, G = d.id.nlevels, Kw = within.names.length;
  const s2nu = within.fit.ssr / (N - G - Kw);
  const { y: yb, X: Xb, T } = groupMeans(d);
  // between on P-transformed data: each id mean repeated T_i times = weighted least squares with weights T_i
  const sw = Float64Array.from(T, Math.sqrt);
  const Xw = zeros(G, Xb.cols);
  for (let j = 0; j < Xb.cols; j++) for (let g = 0; g < G; g++) Xw.data[j * G + g] = Xb.data[j * G + g] * sw[g];
  const bw = leastSquares(Float64Array.from(yb, (v, g) => v * sw[g]), Xw, d.names, 'the between model of the random-effects estimator');
  const K1 = bw.names.length; // K + 1 (intercept included)
  // tr((Z'PZ)^-1 Z'Z_mu Z_mu'Z) with Z'PZ = sum T_i zbar zbar', Z'Z_mu Z_mu'Z = sum T_i^2 zbar zbar'
  const Zb = bw.X; // sqrt(T)-weighted means of kept columns
  let tr = 0;
  for (let a = 0; a < K1; a++) for (let b = 0; b < K1; b++) {
    let s = 0;
    for (let g = 0; g < G; g++) s += T[g] * Zb.data[b * G + g] * Zb.data[a * G + g];
    tr += bw.xtxInv.data[a + b * K1] * s;
  }
  const warnings: string[] = [];
  let s2mu = (bw.ssr - (G - K1) * s2nu) / (N - tr);
  if (!(s2mu > 0)) {
    warnings.push(`negative individual variance component (${s2mu.toPrecision(4)}) set to 0: random effects reduce to pooled OLS`);
    s2mu = 0;
  }
  const theta = Float64Array.from(T, (t) => 1 - Math.sqrt(s2nu / (t * s2mu + s2nu)));
  const n = N, id = d.id.codes;
  const yt = Float64Array.from(d.y, (v, i) => v - theta[id[i]] * yb[id[i]]);
  const Xt = zeros(n, d.X.cols);
  for (let j = 0; j < d.X.cols; j++) for (let i = 0; i < n; i++) Xt.data[j * n + i] = d.X.data[j * n + i] - theta[id[i]] * Xb.data[j * G + id[i]];
  const fit = leastSquares(yt, Xt, d.names, 'the random-effects model');
  const k = fit.names.length;
  const balanced = T.every((t) => t === T[0]);
  // summary over observations (each id's theta once per row), as plm's ercomp$theta
  const sorted = Float64Array.from(id, (g) => theta[g]).sort();
  const q = (p: number) => quantile7(sorted, p);
  const model = assemble({
    estimator: opts.estimator ?? 're', d, fit, nobs: n, dfResid: n - k, kPlm: k, kStata: kStataPlain(k),
    clusters: d.clusters, vcov: opts.vcov ?? 'iid', ngroups: G,
    r2: 1 - fit.ssr / tss(yt), r2Within: null, r2AdjDen: n - 1, warnings, normal: true,
  });
  model.result.params = {
    ...model.result.params,
    theta: balanced ? theta[0] : null,
    thetaSummary: balanced ? null : { min: sorted[0], q1: q(0.25), median: q(0.5), mean: sorted.reduce((a, b) => a + b, 0) / n, q3: q(0.75), max: sorted[n - 1] },
    sigma2Idios: s2nu,
    sigma2Id: s2mu,
    varianceMethod: 'swar',
  };
  return model;
}

/** Type-7 (R default) quantile of sorted values. */
export function quantile7(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const h = (n - 1) * p, lo = Math.floor(h), hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Hausman test of within vs random effects on the common slopes (plm::phtest): d'(V_fe - V_re)^-1 d ~ chi2(k). */
export function hausman(fe: LinearModel, re: LinearModel): { statistic: number; df: number; pValue: number } {
  const common = fe.names.filter((nm) => re.names.includes(nm) && nm !== '(Intercept)');
  const k = common.length;
  if (!k) throw new EstimationInputError('Hausman test: no common coefficients', 'formula');
  const iF = common.map((nm) => fe.names.indexOf(nm)), iR = common.map((nm) => re.names.indexOf(nm));
  const dvec = zeros(k, 1), M = zeros(k, k);
  for (let a = 0; a < k; a++) {
    dvec.data[a] = fe.coef[iF[a]] - re.coef[iR[a]];
    for (let b = 0; b < k; b++) M.data[a + b * k] = fe.V.data[iF[a] + iF[b] * fe.V.rows] - re.V.data[iR[a] + iR[b] * re.V.rows];
  }
  let sol: Matrix;
  try {
    sol = solve(M, dvec);
  } catch (e) {
    if (!(e instanceof SingularMatrixError)) throw e;
    const Mi = ginvSym(M);
    sol = zeros(k, 1);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) sol.data[a] += Mi.data[a + b * k] * dvec.data[b];
  }
  let stat = 0;
  for (let a = 0; a < k; a++) stat += dvec.data[a] * sol.data[a];
  return { statistic: stat, df: k, pValue: pChisq(stat, k) };
}
