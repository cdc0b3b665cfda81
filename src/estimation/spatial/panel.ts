// Spatial panel SAR / SDM with two-way (unit and period) fixed effects for a balanced N x T panel, estimated by
// the direct ML approach on two-way demeaned data and bias-corrected as Lee & Yu (2010) / Elhorst (2014):
//
//  direct ML: LL(rho) = -(NT/2) log(2 pi s2) + T log|I - rho W| - e'e / (2 s2), e = y~ - rho Wy~ - X~ beta
//  Lee-Yu correction (derivation in docs/spatial.md):
//    theta_bc = theta^ + T * I(theta^)^-1 [0_k, 1/(1 - rho^), 1/(2 s2^)]'      (time-effects bias, O(1/N))
//    s2_bc    = T/(T - 1) * theta_bc[s2]                                         (unit-effects bias, O(1/T))
//  I(theta) is the information matrix of (beta, rho, s2); SEs come from it at the corrected values.
// The transformation approach (exact (N-1)(T-1) likelihood, Jacobian (T-1)(log|I - rho W| - log(1 - rho))) is
// available as method 'transformation' and is asymptotically equivalent - the tests check that they agree.
import { column, crossprod, crossprodVec, inverse, invSPD, matvec, zeros, type Matrix, collinearColumns } from '../linalg.js';
import { pChisq, pNorm } from '../distributions.js';
import { EstimationInputError, emptyFit, type EstimationResult, type Impact } from '../result.js';
import { chooseLogDet, type LogDet, type LogDetMethod } from './logdet.js';
import { brentMin } from './optimize.js';
import { normalStream } from './rng.js';
import { ImRhoW } from './solve.js';
import { lag, lagCSR8, LANES, toCSR, type SpatialWeights } from './types.js';

export interface SpatialPanelInput {
  model: 'sar' | 'sdm';
  y: ArrayLike<number>;
  yName: string;
  /** regressors without intercept (absorbed by the fixed effects), column-major, one row per unit-period */
  X: Matrix;
  names: string[];
  W: SpatialWeights;
  /** unit id of each row (must be one of W.ids) and its period */
  unit: ArrayLike<string>;
  time: ArrayLike<string | number>;
}

export interface SpatialPanelOptions {
  /** 'leeyu' (direct ML + Lee-Yu bias correction, default), 'direct' (uncorrected), 'transformation' */
  method?: 'leeyu' | 'direct' | 'transformation';
  logdet?: LogDetMethod | 'auto';
  /** largest N for dense eigenvalues under 'auto' */
  eigenMax?: number;
  /** up to `small` units tr(G'G) is exact (N solves), above a Hutchinson estimate */
  small?: number;
  impactDraws?: number;
  seed?: number;
}

const LOG2PI = Math.log(2 * Math.PI);

/** Rows reordered to period-major blocks [t][i] and two-way demeaned (x - x_i. - x_.t + x..). */
function arrange(input: SpatialPanelInput) {
  const { W } = input, N = W.ids.length, nobs = input.y.length;
  const unitIndex = new Map(W.ids.map((id, i) => [id, i]));
  const periods = [...new Set(Array.from(input.time, (t) => String(t)))].sort((a, b) => {
    const na = Number(a), nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });
  const T = periods.length, tIndex = new Map(periods.map((p, t) => [p, t]));
  if (T < 2) throw new EstimationInputError('a spatial panel needs at least 2 periods', 'time');
  if (nobs !== N * T) throw new EstimationInputError(`panel is not balanced: ${nobs} rows for ${N} units x ${T} periods`, 'time');
  const pos = new Int32Array(nobs).fill(-1), seen = new Uint8Array(nobs);
  for (let r = 0; r < nobs; r++) {
    const i = unitIndex.get(String(input.unit[r]));
    if (i === undefined) throw new EstimationInputError(`row ${r + 1}: unit "${input.unit[r]}" is not in the spatial weights`, 'unit');
    const t = tIndex.get(String(input.time[r]))!;
    const p = t * N + i;
    if (seen[p]) throw new EstimationInputError(`row ${r + 1}: unit "${input.unit[r]}" appears twice in period ${input.time[r]}`, 'time');
    seen[p] = 1; pos[r] = p;
  }
  return { N, T, periods, pos };
}

function demean2(v: Float64Array, N: number, T: number): Float64Array {
  const mi = new Float64Array(N), mt = new Float64Array(T);
  let m = 0;
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) { const x = v[t * N + i]; mi[i] += x; mt[t] += x; m += x; }
  for (let i = 0; i < N; i++) mi[i] /= T;
  for (let t = 0; t < T; t++) mt[t] /= N;
  m /= N * T;
  return Float64Array.from(v, (x, p) => x - mi[p % N] - mt[Math.floor(p / N)] + m);
}

function lagPanel(W: SpatialWeights, v: ArrayLike<number>, N: number, T: number): Float64Array {
  const out = new Float64Array(N * T);
  for (let t = 0; t < T; t++) out.set(lag(W, (v as Float64Array).subarray(t * N, (t + 1) * N)), t * N);
  return out;
}

export function fitSpatialPanel(input: SpatialPanelInput, opts: SpatialPanelOptions = {}): EstimationResult {
  const { W } = input, method = opts.method ?? 'leeyu', warnings: string[] = [];
  if (input.model !== 'sar' && input.model !== 'sdm') throw new EstimationInputError(`spatial panel model must be sar or sdm, got ${String(input.model)}`, 'estimator');
  if (input.X.rows !== input.y.length) throw new EstimationInputError(`X has ${input.X.rows} rows but ${input.yName} has ${input.y.length}`, 'X');
  if (input.unit.length !== input.y.length || input.time.length !== input.y.length) throw new EstimationInputError('unit and time must have one entry per row', 'unit');
  if (input.names.includes('(Intercept)')) throw new EstimationInputError('drop (Intercept): it is absorbed by the two-way fixed effects', '(Intercept)');
  if (W.style !== 'W') warnings.push('weights are not row-standardised: the Lee-Yu correction assumes W 1 = 1');
  const { N, T, pos } = arrange(input);
  const n = N * T;
  const yy = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    if (!Number.isFinite(input.y[r])) throw new EstimationInputError(`${input.yName}: non-finite value in row ${r + 1}`, input.yName);
    yy[pos[r]] = input.y[r];
  }
  const rawCols: { name: string; v: Float64Array }[] = input.names.map((name, j) => {
    const c = column(input.X, j), v = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      if (!Number.isFinite(c[r])) throw new EstimationInputError(`${name}: non-finite value in row ${r + 1}`, name);
      v[pos[r]] = c[r];
    }
    return { name, v };
  });
  if (input.model === 'sdm') for (const c of [...rawCols]) rawCols.push({ name: `lag.${c.name}`, v: lagPanel(W, c.v, N, T) });
  const k = rawCols.length;
  const Xd = zeros(n, k);
  rawCols.forEach((c, j) => Xd.data.set(demean2(c.v, N, T), j * n));
  const dropped = collinearColumns(crossprod(Xd));
  if (dropped.length) throw new EstimationInputError(`singular design after two-way demeaning: ${dropped.map((j) => rawCols[j].name).join(', ')} (no within variation or collinear)`, rawCols[dropped[0]].name);
  const yd = demean2(yy, N, T), wyd = demean2(lagPanel(W, yy, N, T), N, T);
  const XtXi = invSPD(crossprod(Xd));
  const b0 = matvec(XtXi, crossprodVec(Xd, yd)), bd = matvec(XtXi, crossprodVec(Xd, wyd));
  const f0 = matvec(Xd, b0), fd = matvec(Xd, bd);
  let ea = 0, eb = 0, ec = 0;
  for (let p = 0; p < n; p++) { const e0 = yd[p] - f0[p], ed = wyd[p] - fd[p]; ea += e0 * e0; eb += e0 * ed; ec += ed * ed; }
  const ld: LogDet = chooseLogDet(W, { method: opts.logdet, eigenMax: opts.eigenMax, seed: opts.seed });
  if (ld.note) warnings.push(ld.note);
  const sseOf = (rho: number) => ea - 2 * rho * eb + rho * rho * ec;
  const transformation = method === 'transformation';
  const nEff = transformation ? (N - 1) * (T - 1) : n;
  const negLL = (rho: number) => {
    const s2 = sseOf(rho) / nEff;
    const jac = transformation ? (T - 1) * (ld.ldet(rho) - Math.log(1 - rho)) : T * ld.ldet(rho);
    return -(jac - (nEff / 2) * (LOG2PI + Math.log(s2) + 1));
  };
  const [lo, hi] = ld.interval;
  const opt = brentMin(negLL, lo, hi);
  let rho = opt.x;
  if (Math.abs(rho - lo) < 1e-6 || Math.abs(rho - hi) < 1e-6) warnings.push('rho on interval bound - results should not be used');
  let beta = Float64Array.from(b0, (b, j) => b - rho * bd[j]);
  let s2 = sseOf(rho) / nEff;
  const LL = -opt.f;

  // information matrix of (beta, rho, s2) at given values (Elhorst's analytical form)
  const info = (rho: number, beta: Float64Array, s2: number): Matrix => {
    const solver = new ImRhoW(W, rho), tr = ld.traces(rho);
    const xb = matvec(Xd, beta);
    const gxb = new Float64Array(n);
    for (let t = 0; t < T; t++) gxb.set(lag(W, solver.solve(xb.subarray(t * N, (t + 1) * N))), t * N);
    let g2 = 0;
    for (const v of gxb) g2 += v * v;
    const xg = crossprodVec(Xd, gxb);
    // tr(G'G) = ||W A||_F^2: exact by N solves for moderate N, else Hutchinson probes
    // (eight vectors per blocked solve; each lane is solved and summed exactly as alone)
    let trGtG = 0;
    const L = LANES, e = new Float64Array(N * L), we = new Float64Array(N * L), csr = toCSR(W);
    const exact = N <= (opts.small ?? 1500);
    const reps = exact ? N : 64;
    const u = normalStream((opts.seed ?? 1) + 5);
    for (let j0 = 0; j0 < reps; j0 += L) {
      const b = Math.min(L, reps - j0);
      e.fill(0);
      for (let l = 0; l < b; l++) {
        if (exact) e[(j0 + l) * L + l] = 1; else for (let i = 0; i < N; i++) e[i * L + l] = u() < 0 ? -1 : 1;
      }
      const v = lagCSR8(csr, solver.solve8(e), we);
      for (let l = 0; l < b; l++) for (let i = 0; i < N; i++) { const x = v[i * L + l]; trGtG += x * x; }
    }
    if (!exact) trGtG /= reps;
    const m = k + 2, I = zeros(m, m), xtx = crossprod(Xd);
    const set = (i: number, j: number, v: number) => { I.data[i + j * m] = v; I.data[j + i * m] = v; };
    for (let a = 0; a < k; a++) { for (let b = 0; b < k; b++) I.data[a + b * m] = xtx.data[a + b * k] / s2; set(a, k, xg[a] / s2); }
    set(k, k, g2 / s2 + T * (tr.trAW2 + trGtG));
    set(k, k + 1, (T * tr.trAW) / s2);
    set(k + 1, k + 1, n / (2 * s2 * s2));
    return I;
  };

  let correction: number[] | null = null;
  if (method === 'leeyu') {
    const Iinv = inverse(info(rho, beta, s2));
    const m = k + 2, g = new Float64Array(m);
    g[k] = T / (1 - rho); g[k + 1] = T / (2 * s2);
    const d = matvec(Iinv, g);
    const theta = [...beta, rho, s2].map((v, j) => v + d[j]);
    const s2bc = (T / (T - 1)) * theta[k + 1];
    correction = [...d.subarray(0, k + 1), s2bc - s2];
    beta = Float64Array.from(theta.slice(0, k)); rho = theta[k]; s2 = s2bc;
  }
  const V = inverse(info(rho, beta, s2));
  const m = k + 2;
  const se = Array.from({ length: k + 1 }, (_, j) => Math.sqrt(V.data[j + j * m]));
  // (rho, beta) covariance for impact simulation
  const idx = [k, ...Array.from({ length: k }, (_, j) => j)];
  const C = zeros(k + 1, k + 1);
  idx.forEach((a, p) => idx.forEach((b, q) => (C.data[p + q * (k + 1)] = V.data[a + b * m])));
  const names = rawCols.map((c) => c.name);
  const coefficients = [
    { term: 'rho', estimate: rho, stdError: se[k], statistic: rho / se[k], pValue: pNorm(rho / se[k]) },
    ...names.map((term, j) => ({ term, estimate: beta[j], stdError: se[j], statistic: beta[j] / se[j], pValue: pNorm(beta[j] / se[j]) })),
  ];
  const impacts = panelImpacts(input, names, rho, beta, C, ld, N, W, [lo, hi], opts);
  const llOLS = -(nEff / 2) * (LOG2PI + Math.log(ea / nEff) + 1);
  const lr = 2 * (LL - llOLS);
  return {
    estimator: `panel_${input.model}`, nobs: n, ngroups: N, dfResid: n - N - T + 1 - k - 1,
    vcovType: 'asymptotic (information matrix)',
    coefficients,
    fit: { ...emptyFit(), logLik: LL, aic: -2 * LL + 2 * (k + 2), sigma2: s2 },
    params: { rho, lambda: null, theta: null, rhoSE: se[k], effects: 'twoways', periods: T, method, biasCorrection: correction },
    tests: { LR_rho: { statistic: lr, df: 1, pValue: pChisq(lr, 1) } },
    impacts,
    warnings,
  };
}

function panelImpacts(input: SpatialPanelInput, names: string[], rho: number, beta: Float64Array, C: Matrix, ld: LogDet, N: number,
  W: SpatialWeights, interval: [number, number], opts: SpatialPanelOptions): Impact[] {
  const p = input.names.length;
  const at = (r: number, b: ArrayLike<number>, traces: (r: number) => { trA: number; trAW: number } = (x) => ld.traces(x)) => {
    const tr = traces(r);
    return input.names.map((_, j) => {
      const bj = b[j], tj = input.model === 'sdm' ? b[p + j] : 0;
      const direct = (bj * tr.trA + tj * tr.trAW) / N, total = (bj + tj) / (1 - r);
      return [direct, total - direct, total];
    });
  };
  const point = at(rho, beta);
  const draws = opts.impactDraws ?? 1000, k = C.rows;
  const acc = input.names.map(() => [[0, 0], [0, 0], [0, 0]]);
  let used = 0;
  if (draws > 0) {
    const L = zeros(k, k);
    for (let j = 0; j < k; j++) {
      let d = C.data[j + j * k];
      for (let l = 0; l < j; l++) d -= L.data[j + l * k] ** 2;
      const ljj = Math.sqrt(Math.max(d, 0));
      L.data[j + j * k] = ljj;
      for (let i = j + 1; i < k; i++) {
        let s = C.data[i + j * k];
        for (let l = 0; l < j; l++) s -= L.data[i + l * k] * L.data[j + l * k];
        L.data[i + j * k] = ljj > 0 ? s / ljj : 0;
      }
    }
    const z = normalStream(opts.seed ?? 1), mu = [rho, ...beta], e = new Float64Array(k);
    // draws first, then one trace model over their rho range where the log-determinant offers one (Matrix)
    const kept: Float64Array[] = [];
    let rlo = Infinity, rhi = -Infinity;
    for (let r = 0; r < draws; r++) {
      const th = new Float64Array(k);
      for (let j = 0; j < k; j++) e[j] = z();
      for (let i = 0; i < k; i++) { let s = mu[i]; for (let j = 0; j <= i; j++) s += L.data[i + j * k] * e[j]; th[i] = s; }
      if (!(th[0] > interval[0] && th[0] < interval[1])) continue;
      kept.push(th);
      rlo = Math.min(rlo, th[0]); rhi = Math.max(rhi, th[0]);
    }
    used = kept.length;
    const traces = ld.traceModel && used > 1 ? ld.traceModel(rlo, rhi) : (x: number) => ld.traces(x);
    for (const th of kept) at(th[0], th.subarray(1), traces).forEach((v, q) => v.forEach((x, c) => { acc[q][c][0] += x; acc[q][c][1] += x * x; }));
  }
  const sd = (s: number[]) => Math.sqrt(Math.max(0, (s[1] - (s[0] * s[0]) / used) / (used - 1)));
  void names;
  return input.names.map((term, q) => ({
    term, direct: point[q][0], indirect: point[q][1], total: point[q][2],
    ...(used > 1 ? { directSE: sd(acc[q][0]), indirectSE: sd(acc[q][1]), totalSE: sd(acc[q][2]) } : {}),
  }));
}
