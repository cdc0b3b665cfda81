// Maximum likelihood spatial lag (SAR), spatial error (SEM) and spatial Durbin (SDM) models, and SLX by OLS,
// following spatialreg (lagsarlm, errorsarlm, lagsarlm(type = "mixed"), lmSLX): concentrated likelihood over
// rho / lambda maximised by Brent's method (R's optimize) on the log-determinant's interval. SEs: the asymptotic
// information matrix (eigen, LU, MC), or - with the sparse Cholesky log-determinant ('Matrix'), as lagsarlm /
// errorsarlm do for sparse methods above `small` units (their fdHess) - the Hessian of the concentrated
// log-likelihood in (rho, beta), here analytic except d^2/drho^2 log|I - rho W| (central differences).
import { column, crossprod, crossprodVec, fromColumns, inverse, invSPD, matvec, zeros, type Matrix, collinearColumns } from '../linalg.js';
import { pNorm, pT, pChisq } from '../distributions.js';
import { EstimationInputError, emptyFit, type CoefficientRow, type EstimationResult, type Impact } from '../result.js';
import { chooseLogDet, type LogDet, type LogDetMethod, type Traces } from './logdet.js';
import { brentMin } from './optimize.js';
import { normalStream, mulberry32 } from './rng.js';
import { ImRhoW } from './solve.js';
import { checkAligned, lag, lagCSR8, LANES, toCSR, type SpatialWeights } from './types.js';

export interface SpatialInput { y: Float64Array; yName: string; X: Matrix; names: string[]; W: SpatialWeights }

export interface SpatialOptions {
  /** log-determinant: 'auto' = eigenvalues for n <= eigenMax and the sparse Cholesky ('Matrix') above for
   * symmetrisable W; LU for small asymmetric W, else MC (see chooseLogDet) */
  logdet?: LogDetMethod | 'auto';
  /** largest n for dense eigenvalues under 'auto' (default EIGEN_MAX) */
  eigenMax?: number;
  /** spatialreg's `small` (1500): up to it tr((AW)'AW) of the information matrix is exact (n solves), above it a
   * Hutchinson estimate (eigen / LU / MC paths only) */
  small?: number;
  /** simulation draws for impact SEs (0 = none) */
  impactDraws?: number;
  seed?: number;
  /** Hutchinson probes for tr((AW)'AW) when n > small */
  probes?: number;
}

const LOG2PI = Math.log(2 * Math.PI);
const HESSIAN_VCOV = 'Hessian of the concentrated log-likelihood (as spatialreg for sparse methods)';

function ols(X: Matrix, y: ArrayLike<number>) {
  const XtXi = invSPD(crossprod(X));
  const b = matvec(XtXi, crossprodVec(X, y));
  const fit = matvec(X, b);
  const e = Float64Array.from(y, (v, i) => v - fit[i]);
  let sse = 0;
  for (const v of e) sse += v * v;
  return { b, e, sse, XtXi };
}

function validate(input: SpatialInput) {
  const { y, X, names, W } = input;
  checkAligned(W, y.length, input.yName || 'y');
  if (X.rows !== y.length) throw new EstimationInputError(`X has ${X.rows} rows but ${input.yName} has ${y.length}`, 'X');
  if (names.length !== X.cols) throw new EstimationInputError(`names has ${names.length} entries for ${X.cols} columns of X`, 'names');
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) throw new EstimationInputError(`${input.yName}: non-finite value at unit ${W.ids[i]}`, input.yName);
  for (let j = 0; j < X.cols; j++) {
    const c = column(X, j);
    for (let i = 0; i < c.length; i++) if (!Number.isFinite(c[i])) throw new EstimationInputError(`${names[j]}: non-finite value at unit ${W.ids[i]}`, names[j]);
  }
  const dropped = collinearColumns(crossprod(X));
  if (dropped.length) throw new EstimationInputError(`singular design: ${dropped.map((j) => names[j]).join(', ')} collinear with earlier terms`, names[dropped[0]]);
  if (y.length <= X.cols + 1) throw new EstimationInputError(`${y.length} units are too few for ${X.cols} coefficients and a spatial parameter`, 'X');
}

/** [X, WX] with spatialreg's names lag.<term>; the intercept is not lagged for row-standardised W (it is constant). */
export function durbinDesign(X: Matrix, names: string[], W: SpatialWeights): { X: Matrix; names: string[]; lagged: number[] } {
  const cols: Float64Array[] = [], nm: string[] = [], lagged: number[] = [];
  for (let j = 0; j < X.cols; j++) { cols.push(Float64Array.from(column(X, j))); nm.push(names[j]); }
  for (let j = 0; j < X.cols; j++) {
    if (names[j] === '(Intercept)' && W.style === 'W') continue;
    cols.push(lag(W, column(X, j))); nm.push(`lag.${names[j]}`); lagged.push(j);
  }
  return { X: fromColumns(cols, X.rows), names: nm, lagged };
}

function coefRows(names: string[], est: ArrayLike<number>, se: ArrayLike<number>, p: (z: number) => number): CoefficientRow[] {
  return names.map((term, j) => ({ term, estimate: est[j], stdError: se[j], statistic: est[j] / se[j], pValue: p(est[j] / se[j]) }));
}

/** ||M||_F^2 for M = A W (which = 'AW') or W A: exact by n solves when n <= small, else Hutchinson probes. The
 * vectors go through the solver eight at a time (interleaved lanes); each is solved and summed exactly as alone. */
function frobenius(W: SpatialWeights, solver: ImRhoW, which: 'AW' | 'WA', exact: boolean, probes: number, seed: number): number {
  const n = W.ids.length, L = LANES, csr = toCSR(W);
  const e = new Float64Array(n * L), we = new Float64Array(n * L);
  const count = exact ? n : probes, u = exact ? null : mulberry32(seed);
  let s = 0;
  for (let j0 = 0; j0 < count; j0 += L) {
    const b = Math.min(L, count - j0);
    e.fill(0);
    for (let l = 0; l < b; l++) {
      if (u) for (let i = 0; i < n; i++) e[i * L + l] = u() < 0.5 ? -1 : 1;
      else e[(j0 + l) * L + l] = 1;
    }
    const v = which === 'AW' ? solver.solve8(lagCSR8(csr, e, we)) : lagCSR8(csr, solver.solve8(e), we);
    for (let l = 0; l < b; l++) for (let i = 0; i < n; i++) { const x = v[i * L + l]; s += x * x; }
  }
  return exact ? s : s / probes;
}

interface LagFit {
  rho: number; beta: Float64Array; s2: number; LL: number; vcov: Matrix; /* (rho, beta) */ ld: LogDet; solver?: ImRhoW;
  interval: [number, number]; warnings: string[]; sse: number; residuals: Float64Array;
}

/** SAR / SDM engine (X already holds the Durbin columns for SDM). */
function fitLag(y: Float64Array, X: Matrix, W: SpatialWeights, opts: SpatialOptions): LagFit {
  const n = y.length, p = X.cols, warnings: string[] = [];
  const ld = chooseLogDet(W, { method: opts.logdet, eigenMax: opts.eigenMax, seed: opts.seed });
  if (ld.note) warnings.push(ld.note);
  const wy = lag(W, y);
  const f0 = ols(X, y), fw = ols(X, wy);
  let ea = 0, eb = 0, ec = 0;
  for (let i = 0; i < n; i++) { ea += f0.e[i] ** 2; eb += fw.e[i] * f0.e[i]; ec += fw.e[i] ** 2; }
  const negLL = (rho: number) => {
    const sse = ea - 2 * rho * eb + rho * rho * ec, s2 = sse / n;
    return -(ld.ldet(rho) - (n / 2) * LOG2PI - (n / 2) * Math.log(s2) - sse / (2 * s2));
  };
  const [lo, hi] = ld.interval;
  const opt = brentMin(negLL, lo, hi);
  const rho = opt.x;
  if (Math.abs(rho - lo) < 1e-6 || Math.abs(rho - hi) < 1e-6) warnings.push('rho on interval bound - results should not be used');
  const beta = Float64Array.from(f0.b, (b, j) => b - rho * fw.b[j]);
  const sse = ea - 2 * rho * eb + rho * rho * ec, s2 = sse / n;
  const fit = matvec(X, beta);
  const residuals = Float64Array.from(y, (v, i) => v - rho * wy[i] - fit[i]);
  if (ld.method === 'Matrix') {
    const vcov = lagHessianVcov(X, y, wy, residuals, sse, ld.traces(rho).trAW2);
    return { rho, beta, s2, LL: -opt.f, vcov, ld, interval: [lo, hi], warnings, sse, residuals };
  }
  const solver = new ImRhoW(W, rho);
  // information matrix in (sigma2, rho, beta)
  const tr = ld.traces(rho);
  const exact = n <= (opts.small ?? 1500);
  const trAWtAW = frobenius(W, solver, 'AW', exact, opts.probes ?? 64, (opts.seed ?? 1) + 7);
  if (!exact) warnings.push(`tr((AW)'AW) for the rho SE estimated with ${opts.probes ?? 64} Hutchinson probes`);
  const awxb = solver.solve(lag(W, fit));
  let awxb2 = 0;
  for (const v of awxb) awxb2 += v * v;
  const xtawxb = crossprodVec(X, awxb);
  const xtx = crossprod(X);
  const k = p + 2, I = zeros(k, k);
  const set = (i: number, j: number, v: number) => { I.data[i + j * k] = v; I.data[j + i * k] = v; };
  set(0, 0, n / (2 * s2 * s2));
  set(0, 1, tr.trAW / s2);
  set(1, 1, tr.trAW2 + trAWtAW + awxb2 / s2);
  for (let j = 0; j < p; j++) {
    set(1, 2 + j, xtawxb[j] / s2);
    for (let l = 0; l < p; l++) I.data[2 + j + (2 + l) * k] = xtx.data[j + l * p] / s2;
  }
  const V = inverse(I);
  const vcov = zeros(p + 1, p + 1);
  for (let i = 0; i < p + 1; i++) for (let j = 0; j < p + 1; j++) vcov.data[i + j * (p + 1)] = V.data[i + 1 + (j + 1) * k];
  return { rho, beta, s2, LL: -opt.f, vcov, ld, solver, interval: [lo, hi], warnings, sse, residuals };
}

/** Covariance of (rho, beta) as the inverse negative Hessian of the concentrated log-likelihood
 *   l(rho, beta) = log|I - rho W| - n/2 log(2 pi) - n/2 log(s / n) - n/2,  s = |y - rho Wy - X beta|^2,
 * which is what lagsarlm's fdHess differentiates numerically for sparse methods above `small`. With e the
 * residuals: s_rho = -2 e'Wy, s_beta = -2 X'e, s_rho,rho = 2 |Wy|^2, s_rho,beta = 2 X'Wy, s_beta,beta = 2 X'X,
 * d2 l = d2 log|.| - n/2 (s_ab / s - s_a s_b / s^2) and d2/drho2 log|I - rho W| = -tr((AW)^2). */
function lagHessianVcov(X: Matrix, y: Float64Array, wy: Float64Array, e: Float64Array, s: number, trAW2: number): Matrix {
  const n = y.length, p = X.cols, k = p + 1;
  const g = new Float64Array(k); // s_a
  let ewy = 0, wy2 = 0;
  for (let i = 0; i < n; i++) { ewy += e[i] * wy[i]; wy2 += wy[i] * wy[i]; }
  g[0] = -2 * ewy;
  const xe = crossprodVec(X, e), xwy = crossprodVec(X, wy), xtx = crossprod(X);
  for (let j = 0; j < p; j++) g[1 + j] = -2 * xe[j];
  const S2 = zeros(k, k); // s_ab
  S2.data[0] = 2 * wy2;
  for (let j = 0; j < p; j++) {
    S2.data[1 + j] = S2.data[(1 + j) * k] = 2 * xwy[j];
    for (let l = 0; l < p; l++) S2.data[1 + j + (1 + l) * k] = 2 * xtx.data[j + l * p];
  }
  const negH = zeros(k, k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) negH.data[a + b * k] = (n / 2) * (S2.data[a + b * k] / s - (g[a] * g[b]) / (s * s));
  negH.data[0] += trAW2;
  return inverse(negH);
}

/** SEM analogue of lagHessianVcov (errorsarlm's fdHess for sparse methods): e = u - lambda W u with u = y - X
 * beta, Xl = X - lambda WX; s_lambda = -2 e'Wu, s_beta = -2 Xl'e, s_lambda,lambda = 2 |Wu|^2,
 * s_lambda,beta = 2 Xl'Wu + 2 (WX)'e, s_beta,beta = 2 Xl'Xl. Returns the (lambda, beta) covariance. */
function errorHessianVcov(Xl: Matrix, WX: Float64Array[], wy: Float64Array, y: Float64Array, beta: ArrayLike<number>, e: Float64Array, s: number, trAW2: number): Matrix {
  const n = y.length, p = Xl.cols, k = p + 1;
  const wu = Float64Array.from(wy);
  for (let j = 0; j < p; j++) { const c = WX[j], b = beta[j]; for (let i = 0; i < n; i++) wu[i] -= c[i] * b; }
  const g = new Float64Array(k), S2 = zeros(k, k);
  let ewu = 0, wu2 = 0;
  for (let i = 0; i < n; i++) { ewu += e[i] * wu[i]; wu2 += wu[i] * wu[i]; }
  g[0] = -2 * ewu;
  S2.data[0] = 2 * wu2;
  const xle = crossprodVec(Xl, e), xlwu = crossprodVec(Xl, wu), xtx = crossprod(Xl);
  for (let j = 0; j < p; j++) {
    g[1 + j] = -2 * xle[j];
    let wxe = 0;
    for (let i = 0; i < n; i++) wxe += WX[j][i] * e[i];
    S2.data[1 + j] = S2.data[(1 + j) * k] = 2 * xlwu[j] + 2 * wxe;
    for (let l = 0; l < p; l++) S2.data[1 + j + (1 + l) * k] = 2 * xtx.data[j + l * p];
  }
  const negH = zeros(k, k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) negH.data[a + b * k] = (n / 2) * (S2.data[a + b * k] / s - (g[a] * g[b]) / (s * s));
  negH.data[0] += trAW2;
  return inverse(negH);
}

/** OLS log-likelihood (ML sigma2), for LR tests against the spatial fit. */
function olsLogLik(sse: number, n: number) {
  return -(n / 2) * (LOG2PI + Math.log(sse / n) + 1);
}

export interface ImpactParts { term: string; b: number[]; /** indices into (rho, beta...) vector: direct coefficient, lagged coefficient or -1 */ jb: number; jt: number }

/** Direct / indirect / total impacts of a lag model at (rho, beta) given the traces at rho. */
function impactsAt(theta: Float64Array, parts: ImpactParts[], tr: Traces, n: number, totA: number, totAW: number) {
  return parts.map((pt) => {
    const b = theta[pt.jb], t = pt.jt >= 0 ? theta[pt.jt] : 0;
    const direct = (b * tr.trA + t * tr.trAW) / n;
    const total = b * totA + t * totAW;
    return { direct, indirect: total - direct, total };
  });
}

/** mean row sums of A = (I - rho W)^-1 and of AW: 1/(1-rho) for row-standardised W. */
function totals(W: SpatialWeights, rho: number, solver?: ImRhoW): [number, number] {
  const n = W.ids.length;
  if (W.style === 'W' && W.islands?.length === 0) return [1 / (1 - rho), 1 / (1 - rho)];
  const s = solver ?? new ImRhoW(W, rho);
  const a = s.solve(new Float64Array(n).fill(1)), aw = s.solve(lag(W, new Float64Array(n).fill(1)));
  let sa = 0, saw = 0;
  for (let i = 0; i < n; i++) { sa += a[i]; saw += aw[i]; }
  return [sa / n, saw / n];
}

/** Cholesky-based multivariate normal draws of (rho, beta) as spatialreg impacts(R = draws). */
function simulateImpacts(fit: LagFit, parts: ImpactParts[], W: SpatialWeights, draws: number, seed: number): { se: { d: number; i: number; t: number }[]; used: number; traces: (rho: number) => Traces } {
  const k = fit.vcov.rows, L = new Float64Array(k * k), V = fit.vcov.data;
  for (let j = 0; j < k; j++) {
    let d = V[j + j * k];
    for (let l = 0; l < j; l++) d -= L[j + l * k] ** 2;
    const ljj = Math.sqrt(Math.max(d, 0));
    L[j + j * k] = ljj;
    for (let i = j + 1; i < k; i++) {
      let s = V[i + j * k];
      for (let l = 0; l < j; l++) s -= L[i + l * k] * L[j + l * k];
      L[i + j * k] = ljj > 0 ? s / ljj : 0;
    }
  }
  const z = normalStream(seed), mu = [fit.rho, ...fit.beta], n = W.ids.length;
  const acc = parts.map(() => ({ d: [0, 0], i: [0, 0], t: [0, 0] }));
  // draws first (those with rho outside the interval dropped), then the traces over their rho range: one trace
  // model for all draws where the log-determinant offers one (Matrix), else per-draw traces
  const kept: Float64Array[] = [];
  const e = new Float64Array(k);
  let rlo = Infinity, rhi = -Infinity;
  for (let r = 0; r < draws; r++) {
    const theta = new Float64Array(k);
    for (let j = 0; j < k; j++) e[j] = z();
    for (let i = 0; i < k; i++) { let s = mu[i]; for (let j = 0; j <= i; j++) s += L[i + j * k] * e[j]; theta[i] = s; }
    const rho = theta[0];
    if (!(rho > fit.interval[0] && rho < fit.interval[1])) continue;
    kept.push(theta);
    if (rho < rlo) rlo = rho;
    if (rho > rhi) rhi = rho;
  }
  const used = kept.length;
  const traces = fit.ld.traceModel && used > 1 ? fit.ld.traceModel(rlo, rhi) : (r: number) => fit.ld.traces(r);
  for (const theta of kept) {
    const rho = theta[0];
    const [ta, taw] = totals(W, rho);
    const imp = impactsAt(theta, parts, traces(rho), n, ta, taw);
    imp.forEach((m, q) => {
      acc[q].d[0] += m.direct; acc[q].d[1] += m.direct ** 2;
      acc[q].i[0] += m.indirect; acc[q].i[1] += m.indirect ** 2;
      acc[q].t[0] += m.total; acc[q].t[1] += m.total ** 2;
    });
  }
  const sd = (s: number[]) => Math.sqrt(Math.max(0, (s[1] - (s[0] * s[0]) / used) / (used - 1)));
  return { se: acc.map((a) => ({ d: sd(a.d), i: sd(a.i), t: sd(a.t) })), used, traces };
}

function lagModel(model: 'sar' | 'sdm', input: SpatialInput, opts: SpatialOptions): EstimationResult {
  validate(input);
  const { y, W } = input, n = y.length;
  const design = model === 'sdm' ? durbinDesign(input.X, input.names, W) : { X: input.X, names: input.names, lagged: [] as number[] };
  const fit = fitLag(y, design.X, W, opts);
  const se = Array.from({ length: fit.vcov.rows }, (_, j) => Math.sqrt(fit.vcov.data[j + j * fit.vcov.rows]));
  const names = ['rho', ...design.names];
  const est = [fit.rho, ...fit.beta];
  const k = design.X.cols;
  // impacts for every non-intercept regressor of the original X
  const parts: ImpactParts[] = [];
  input.names.forEach((nm, j) => {
    if (nm === '(Intercept)') return;
    const lj = design.lagged.indexOf(j);
    const jt = lj >= 0 ? 1 + input.X.cols + lj : -1;
    parts.push({ term: nm, b: [], jb: 1 + j, jt });
  });
  const draws = opts.impactDraws ?? 1000, seed = opts.seed ?? 1;
  const sim = draws > 0 ? simulateImpacts(fit, parts, W, draws, seed) : null;
  // point impacts at rho^: the draws' trace model covers it (Matrix: no extra factorisations), else exact traces
  const [ta, taw] = totals(W, fit.rho, fit.solver);
  const point = impactsAt(Float64Array.from(est), parts, (sim?.traces ?? ((r: number) => fit.ld.traces(r)))(fit.rho), n, ta, taw);
  const impacts: Impact[] = parts.map((pt, q) => ({
    term: pt.term, direct: point[q].direct, indirect: point[q].indirect, total: point[q].total,
    ...(sim ? { directSE: sim.se[q].d, indirectSE: sim.se[q].i, totalSE: sim.se[q].t } : {}),
  }));
  const llOLS = olsLogLik(ols(design.X, y).sse, n);
  const lr = 2 * (fit.LL - llOLS);
  return {
    estimator: model, nobs: n, ngroups: null, dfResid: n - k - 1,
    vcovType: fit.ld.method === 'Matrix' ? HESSIAN_VCOV : 'asymptotic (information matrix)',
    coefficients: coefRows(names, est, se, pNorm),
    fit: { ...emptyFit(), logLik: fit.LL, aic: -2 * fit.LL + 2 * (k + 2), sigma2: fit.s2 },
    params: { rho: fit.rho, lambda: null, theta: null, rhoSE: se[0], interval: fit.interval, logdet: fit.ld.method },
    tests: { LR_rho: { statistic: lr, df: 1, pValue: pChisq(lr, 1) } },
    impacts,
    impactsMethod: `${fit.ld.method === 'MC' ? 'power-series traces (Monte Carlo tr(W^k))' : fit.ld.method === 'Matrix' ? 'traces as derivatives of the sparse Cholesky log-determinant (a Chebyshev interpolant over the draws, central differences without draws)' : 'exact traces'}; SEs from ${sim ? `${sim.used} of ${draws} multivariate normal draws of (rho, beta), seed ${seed}` : 'none'}`,
    residuals: Array.from(fit.residuals),
    yName: input.yName,
    warnings: fit.warnings,
  };
}

function errorModel(input: SpatialInput, opts: SpatialOptions): EstimationResult {
  validate(input);
  const { y, X, W, names } = input, n = y.length, p = X.cols, warnings: string[] = [];
  const ld = chooseLogDet(W, { method: opts.logdet, eigenMax: opts.eigenMax, seed: opts.seed });
  if (ld.note) warnings.push(ld.note);
  const wy = lag(W, y);
  const WX = Array.from({ length: p }, (_, j) => lag(W, column(X, j)));
  const Xl = zeros(n, p), yl = new Float64Array(n);
  const transform = (lam: number) => {
    for (let i = 0; i < n; i++) yl[i] = y[i] - lam * wy[i];
    for (let j = 0; j < p; j++) { const c = column(X, j); for (let i = 0; i < n; i++) Xl.data[i + j * n] = c[i] - lam * WX[j][i]; }
  };
  const negLL = (lam: number) => {
    transform(lam);
    const s = ols(Xl, yl).sse, s2 = s / n;
    return -(ld.ldet(lam) - (n / 2) * LOG2PI - (n / 2) * Math.log(s2) - s / (2 * s2));
  };
  const [lo, hi] = ld.interval;
  const opt = brentMin(negLL, lo, hi);
  const lambda = opt.x;
  if (Math.abs(lambda - lo) < 1e-6 || Math.abs(lambda - hi) < 1e-6) warnings.push('lambda on interval bound - results should not be used');
  transform(lambda);
  const f = ols(Xl, yl), s2 = f.sse / n;
  let lamSE: number;
  if (ld.method === 'Matrix') {
    lamSE = Math.sqrt(errorHessianVcov(Xl, WX, wy, y, f.b, f.e, f.sse, ld.traces(lambda).trAW2).data[0]);
  } else {
    const solver = new ImRhoW(W, lambda);
    const tr = ld.traces(lambda);
    const exact = n <= (opts.small ?? 1500);
    const trWAtWA = frobenius(W, solver, 'WA', exact, opts.probes ?? 64, (opts.seed ?? 1) + 11);
    if (!exact) warnings.push(`tr((WA)'WA) for the lambda SE estimated with ${opts.probes ?? 64} Hutchinson probes`);
    // (sigma2, lambda) block of the information matrix; betas are block-diagonal
    const a11 = n / (2 * s2 * s2), a12 = tr.trAW / s2, a22 = tr.trAW2 + trWAtWA;
    const det = a11 * a22 - a12 * a12;
    lamSE = Math.sqrt(a11 / det);
  }
  const bse = Array.from({ length: p }, (_, j) => Math.sqrt(f.XtXi.data[j + j * p] * s2));
  const LL = -opt.f;
  const llOLS = olsLogLik(ols(X, y).sse, n), lr = 2 * (LL - llOLS);
  const resid = f.e;
  return {
    estimator: 'sem', nobs: n, ngroups: null, dfResid: n - p - 1,
    vcovType: ld.method === 'Matrix' ? `${HESSIAN_VCOV} (lambda; betas from the transformed regression)` : 'asymptotic (information matrix)',
    coefficients: coefRows(['lambda', ...names], [lambda, ...f.b], [lamSE, ...bse], pNorm),
    fit: { ...emptyFit(), logLik: LL, aic: -2 * LL + 2 * (p + 2), sigma2: s2 },
    params: { rho: null, lambda, theta: null, lambdaSE: lamSE, interval: [lo, hi], logdet: ld.method },
    tests: { LR_lambda: { statistic: lr, df: 1, pValue: pChisq(lr, 1) } },
    residuals: Array.from(resid),
    yName: input.yName,
    warnings,
  };
}

/** lmSLX: OLS of y on [X, WX] with classical SEs; impacts direct = beta, indirect = theta, total = beta + theta. */
function slxModel(input: SpatialInput): EstimationResult {
  validate(input);
  const { y, W } = input, n = y.length;
  const d = durbinDesign(input.X, input.names, W), k = d.X.cols;
  if (n <= k) throw new EstimationInputError(`${n} units are too few for ${k} SLX coefficients`, 'X');
  const f = ols(d.X, y), s2 = f.sse / (n - k);
  const V = (i: number, j: number) => f.XtXi.data[i + j * k] * s2;
  const se = Array.from({ length: k }, (_, j) => Math.sqrt(V(j, j)));
  let tss = 0, my = 0;
  for (const v of y) my += v;
  my /= n;
  for (const v of y) tss += (v - my) ** 2;
  const hasInt = input.names.includes('(Intercept)');
  const r2 = hasInt ? 1 - f.sse / tss : null;
  const impacts: Impact[] = [];
  input.names.forEach((nm, j) => {
    if (nm === '(Intercept)') return;
    const lj = d.lagged.indexOf(j), jt = input.X.cols + lj;
    impacts.push({
      term: nm, direct: f.b[j], indirect: f.b[jt], total: f.b[j] + f.b[jt],
      directSE: se[j], indirectSE: se[jt], totalSE: Math.sqrt(V(j, j) + V(jt, jt) + 2 * V(j, jt)),
    });
  });
  const LL = -(n / 2) * (LOG2PI + Math.log(f.sse / n) + 1);
  return {
    estimator: 'slx', nobs: n, ngroups: null, dfResid: n - k, vcovType: 'iid',
    coefficients: coefRows(d.names, f.b, se, (t) => pT(t, n - k)),
    fit: { ...emptyFit(), r2, r2Adj: r2 === null ? null : 1 - (1 - r2) * (n - 1) / (n - k), logLik: LL, aic: -2 * LL + 2 * (k + 1), sigma2: s2 },
    params: { rho: null, lambda: null, theta: null },
    tests: {}, impacts, impactsMethod: 'linear combinations of coefficients (SE from the OLS covariance)',
    residuals: Array.from(f.e), yName: input.yName, warnings: [],
  };
}

export function fitSpatial(model: 'sar' | 'sem' | 'sdm' | 'slx', input: SpatialInput, opts: SpatialOptions = {}): EstimationResult {
  switch (model) {
    case 'sar': return lagModel('sar', input, opts);
    case 'sdm': return lagModel('sdm', input, opts);
    case 'sem': return errorModel(input, opts);
    case 'slx': return slxModel(input);
    default: throw new EstimationInputError(`unknown spatial model ${String(model)}`, 'estimator');
  }
}
