// Arellano-Bond difference GMM and Blundell-Bond system GMM with the conventions of R plm::pgmm (see docs/gmm.md).
import { pChisq, pNorm } from '../distributions.js';
import { emptyFit, EstimationInputError, type CoefficientRow, type EstimationResult } from '../result.js';
import { buildDesign, type FirstStepMatrix } from './design.js';
import { fitDesign, UnidentifiedError } from './estimate.js';
import { buildGrid } from './panel.js';

export { lagWithin } from './panel.js';

export interface GmmInput {
  /** integer group code and integer time per row (rows in any order) */
  id: ArrayLike<number>;
  time: ArrayLike<number>;
  /** dependent, in levels, NaN = missing */
  y: Float64Array;
  yName: string;
  /** in levels, formula order, already lagged where the formula says lag(...) */
  regressors: { name: string; values: Float64Array }[];
  /** GMM-style instruments in levels, e.g. log(sales) with lags 2..99 */
  gmmInstruments: { name: string; values: Float64Array; minLag: number; maxLag: number }[];
  /**
   * IV-style ("normal") instruments in levels, used differenced in the differenced equation and in levels in the
   * level equation. Undefined = plm's default: every regressor whose variable is not a GMM instrument
   * (`x` or `lag(x, k)` with x not among gmmInstruments names); [] = none.
   */
  ivInstruments?: { name: string; values: Float64Array }[];
  transformation: 'd' | 'ld';
  steps: 1 | 2;
  collapse: boolean;
  /** plm effect = "twoways"; for 'ld' this also adds the intercept */
  timeDummies: boolean;
  /** first-step weighting matrix (plm fsm): 'G' (default for 'd') or 'I'; 'full' (default for 'ld') or 'GI' */
  fsm?: FirstStepMatrix;
  /** plm lost.ts (TL1): periods lost at the start; inferred from the data when omitted */
  lostPeriods?: number;
  /**
   * Reproduce plm's instrument matrix bit for bit when GMM instruments have different minimum lags: plm then gives
   * the first differenced period of the variable with the larger minimum lag the instrument at lag minLag - 1
   * (R's x[1:0] is x[1]). Off by default (that instrument is invalid under the stated lags); see docs/gmm.md.
   */
  emulatePlmLagRange?: boolean;
}

const norm = (s: string) => s.replace(/\s+/g, '');

/** the variable a regressor name is a lag of: `lag(x, 2)` -> `x`, `lag(x)` -> `x`, `x` -> `x` */
export function baseVariable(name: string): string {
  const n = norm(name);
  if (!n.startsWith('lag(') || !n.endsWith(')')) return n;
  const inner = n.slice(4, -1);
  let depth = 0;
  for (let i = inner.length - 1; i >= 0; i--) {
    const ch = inner[i];
    if (ch === ')') depth++;
    else if (ch === '(') depth--;
    else if (ch === ',' && depth === 0) return /^-?\d+$/.test(inner.slice(i + 1)) ? inner.slice(0, i) : n;
  }
  return inner;
}

function checkColumn(name: string, values: ArrayLike<number>, n: number, field: string) {
  if (!values || values.length !== n) {
    throw new EstimationInputError(`${field} '${name}' has ${values?.length ?? 0} values but the panel has ${n} rows`, field);
  }
}

export function fitGmm(input: GmmInput): EstimationResult {
  const n = input.y.length;
  checkColumn('id', input.id, n, 'panel.id');
  checkColumn('time', input.time, n, 'panel.time');
  input.regressors.forEach((r) => checkColumn(r.name, r.values, n, 'regressor'));
  if (input.regressors.length === 0) throw new EstimationInputError('GMM needs at least one regressor', 'formula');
  if (!input.gmmInstruments.length) {
    throw new EstimationInputError('no valid instruments: GMM needs at least one GMM-style instrument, e.g. lag(y, 2:99)', 'gmm.instruments');
  }
  for (const z of input.gmmInstruments) {
    checkColumn(z.name, z.values, n, 'gmm.instruments');
    if (!Number.isInteger(z.minLag) || !Number.isInteger(z.maxLag) || z.minLag < 0 || z.maxLag < z.minLag) {
      throw new EstimationInputError(`GMM instrument '${z.name}': lags ${z.minLag}:${z.maxLag} must be integers with 0 <= min <= max`, 'gmm.instruments');
    }
  }
  if (input.transformation !== 'd' && input.transformation !== 'ld') {
    throw new EstimationInputError(`transformation must be 'd' or 'ld', got '${input.transformation}'`, 'transformation');
  }
  if (input.steps !== 1 && input.steps !== 2) throw new EstimationInputError(`steps must be 1 or 2, got ${input.steps}`, 'gmm.steps');
  const system = input.transformation === 'ld';
  const fsm = input.fsm ?? (system ? 'full' : 'G');
  if (system ? !(fsm === 'full' || fsm === 'GI') : !(fsm === 'G' || fsm === 'I')) {
    throw new EstimationInputError(`fsm '${fsm}' does not fit transformation '${input.transformation}' (d: G or I; ld: full or GI)`, 'gmm.fsm');
  }
  if (input.lostPeriods !== undefined && !(Number.isInteger(input.lostPeriods) && input.lostPeriods >= 1)) {
    throw new EstimationInputError(`lostPeriods must be a positive integer, got ${input.lostPeriods}`, 'gmm.lostPeriods');
  }
  const gmmNames = new Set(input.gmmInstruments.map((z) => norm(z.name)));
  const iv = input.ivInstruments ?? input.regressors.filter((r) => !gmmNames.has(baseVariable(r.name)));
  iv.forEach((z) => checkColumn(z.name, z.values, n, 'iv instrument'));

  const grid = buildGrid(input.id, input.time, 'GMM panel');
  const design = buildDesign({
    grid, y: input.y, yName: input.yName, regressors: input.regressors, gmm: input.gmmInstruments, iv,
    system, collapse: input.collapse, timeDummies: input.timeDummies, fsm, lostPeriods: input.lostPeriods,
    emulatePlmLagRange: input.emulatePlmLagRange,
  });
  const { K, L } = design;
  if (L < K) {
    throw new EstimationInputError(`under-identified: ${L} instruments for ${K} coefficients (${design.termNames.join(', ')})`, 'gmm.instruments');
  }
  let fit;
  try {
    fit = fitDesign(design, input.steps);
  } catch (e) {
    if (e instanceof UnidentifiedError) {
      throw new EstimationInputError(`coefficient of '${design.termNames[e.column] ?? e.column}' is not identified: it is collinear with other terms given the instruments`, 'formula');
    }
    throw e;
  }

  const warnings = [...fit.warnings];
  if (design.droppedDummies.length) warnings.push(`time dummies not identified in this sample and dropped: ${design.droppedDummies.join(', ')}`);
  if (design.droppedInstruments.length) {
    warnings.push(`${design.droppedInstruments.length} instrument column(s) are zero in every group and were dropped (plm keeps them, counting them in the Sargan df)`);
  }
  if (L > design.groupsUsed) {
    warnings.push(`too many instruments: ${L} instruments for ${design.groupsUsed} groups; the Hansen/Sargan test is weak and two-step estimates are biased (consider collapse)`);
  }
  const se = (i: number) => Math.sqrt(fit.vcovRobust.data[i + i * K]);
  const coefficients: CoefficientRow[] = design.termNames.map((term, i) => {
    const estimate = fit.coef[i], stdError = se(i), statistic = estimate / stdError;
    return { term, estimate, stdError, statistic, pValue: pNorm(statistic) };
  });
  const df = L - K;
  const jTest = { statistic: fit.sargan, df, pValue: df > 0 ? pChisq(fit.sargan, df) : NaN };
  const tests: EstimationResult['tests'] = { sargan: jTest, hansen: { ...jTest } };
  for (const order of [1, 2]) {
    const s = fit.ar(order);
    if (s !== null && Number.isFinite(s)) tests[`ar${order}`] = { statistic: s, pValue: pNorm(s) };
  }
  const slopes = input.regressors.length;
  if (slopes > 0) {
    // Wald test of the slopes (plm summary: wald.coef), robust vcov
    const idx = Array.from({ length: slopes }, (_, i) => i);
    const w = waldStat(idx, fit.coef, fit.vcovRobust.data, K);
    if (w !== null) tests.wald = { statistic: w, df: slopes, pValue: pChisq(w, slopes) };
  }
  return {
    estimator: system ? 'sys_gmm' : 'diff_gmm',
    nobs: design.nobs,
    ngroups: design.groupsUsed,
    dfResid: null,
    vcovType: input.steps === 2 ? 'Windmeijer (two-step)' : 'robust (one-step)',
    coefficients,
    fit: emptyFit(),
    params: {
      rho: null, lambda: null, theta: null,
      instruments: L,
      instrumentNames: design.instrumentNames,
      timeDummyTerms: design.timeDummyTerms,
      transformation: input.transformation,
      steps: input.steps,
      collapse: input.collapse,
      fsm,
      lostPeriods: design.TL1,
      ivInstruments: iv.map((z) => z.name),
      stepOneCoefficients: Object.fromEntries(design.termNames.map((t, i) => [t, fit.coef1[i]])),
    },
    tests,
    warnings,
  };
}

function waldStat(idx: number[], b: Float64Array, V: Float64Array, K: number): number | null {
  const m = idx.length;
  // solve V_sub x = b_sub by Gaussian elimination
  const A = idx.map((i) => idx.map((j) => V[i + j * K]));
  const x = idx.map((i) => b[i]);
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let i = c + 1; i < m; i++) if (Math.abs(A[i][c]) > Math.abs(A[p][c])) p = i;
    if (!(Math.abs(A[p][c]) > 0)) return null;
    [A[c], A[p]] = [A[p], A[c]]; [x[c], x[p]] = [x[p], x[c]];
    for (let i = c + 1; i < m; i++) {
      const f = A[i][c] / A[c][c];
      for (let j = c; j < m; j++) A[i][j] -= f * A[c][j];
      x[i] -= f * x[c];
    }
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let j = i + 1; j < m; j++) x[i] -= A[i][j] * x[j];
    x[i] /= A[i][i];
  }
  return idx.reduce((s, i, k) => s + b[i] * x[k], 0);
}
