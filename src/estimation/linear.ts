// Least-squares core shared by every linear estimator: collinearity screening, solve, residuals, and the
// coefficient table (t tests with a given df, or normal tests when df is null).
import { Matrix, crossprod, crossprodVec, invSPD, collinearColumns, fromColumns, column, SingularMatrixError } from './linalg.js';
import { pT, pNorm } from './distributions.js';
import { CoefficientRow, EstimationInputError } from './result.js';

export interface LsFit {
  names: string[];
  /** design after dropping collinear columns (same columns as names) */
  X: Matrix;
  coef: Float64Array;
  resid: Float64Array;
  xtxInv: Matrix;
  ssr: number;
  /** names of columns removed for collinearity */
  dropped: string[];
  warnings: string[];
}

/** Keeps the listed columns of a matrix. */
export function selectColumns(X: Matrix, keep: number[]): Matrix {
  return fromColumns(keep.map((j) => column(X, j)), X.rows);
}

/** OLS of y on X; perfectly collinear columns are dropped with a warning naming them (as fixest). */
export function leastSquares(y: Float64Array, X: Matrix, names: string[], context = 'the model'): LsFit {
  if (X.rows !== y.length) throw new Error('leastSquares: row mismatch');
  const warnings: string[] = [];
  let xtx = crossprod(X);
  const drop = X.cols ? collinearColumns(xtx) : [];
  const dropped = drop.map((j) => names[j]);
  let Xk = X, namesK = names;
  if (drop.length) {
    const keep = names.map((_, j) => j).filter((j) => !drop.includes(j));
    Xk = selectColumns(X, keep);
    namesK = keep.map((j) => names[j]);
    xtx = crossprod(Xk);
    warnings.push(`${dropped.length === 1 ? 'variable' : 'variables'} ${dropped.map((d) => `'${d}'`).join(', ')} removed because of collinearity in ${context}`);
  }
  if (X.cols > 0 && Xk.cols === 0)
    throw new EstimationInputError(`singular design in ${context}: every term is collinear or constant (${dropped.map((d) => `'${d}'`).join(', ')})`, 'formula');
  if (Xk.rows < Xk.cols) throw new EstimationInputError(`${context}: ${Xk.rows} observations for ${Xk.cols} coefficients`, 'formula');
  let xtxInv: Matrix;
  try {
    xtxInv = Xk.cols ? invSPD(xtx) : { rows: 0, cols: 0, data: new Float64Array(0) };
  } catch (e) {
    if (e instanceof SingularMatrixError) throw new EstimationInputError(`singular design in ${context} (near-collinear terms around '${namesK[e.index] ?? '?'}')`, 'formula');
    throw e;
  }
  const xty = crossprodVec(Xk, y);
  const k = Xk.cols, n = Xk.rows;
  const coef = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += xtxInv.data[i + j * k] * xty[j];
    coef[i] = s;
  }
  const resid = y.slice();
  for (let j = 0; j < k; j++) {
    const b = coef[j], o = j * n;
    for (let i = 0; i < n; i++) resid[i] -= Xk.data[o + i] * b;
  }
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += resid[i] * resid[i];
  return { names: namesK, X: Xk, coef, resid, xtxInv, ssr, dropped, warnings };
}

/** Coefficient rows from estimates and a covariance matrix; df = null uses the normal distribution. */
export function coefficientTable(names: string[], coef: ArrayLike<number>, V: Matrix, df: number | null): CoefficientRow[] {
  return names.map((term, j) => {
    const v = V.data[j + j * V.rows];
    const stdError = v >= 0 ? Math.sqrt(v) : NaN;
    const statistic = coef[j] / stdError;
    const pValue = df === null ? pNorm(statistic) : pT(statistic, df);
    return { term, estimate: coef[j], stdError, statistic, pValue };
  });
}

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Sum of squared deviations from the mean. */
export function tss(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return s;
}
