// Least-squares core shared by every linear estimator: collinearity screening, solve, residuals, and the
// coefficient table (t tests with a given df, or normal tests when df is null).
import { Matrix, zeros, invSPD, collinearColumns, fromColumns, column, SingularMatrixError } from './linalg.js';
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

/** Rows per chunk of the one-pass products below: a chunk of every column stays in cache while it is combined. */
const CHUNK = 2048;

/** X'X and X'y in one pass over the rows (each column read once from memory, not once per product). */
function gram(X: Matrix, y: Float64Array): { xtx: Matrix; xty: Float64Array } {
  const n = X.rows, k = X.cols, d = X.data, xtx = zeros(k, k), xty = new Float64Array(k);
  for (let r0 = 0; r0 < n; r0 += CHUNK) {
    const r1 = Math.min(n, r0 + CHUNK);
    for (let a = 0; a < k; a++) {
      const oa = a * n;
      let sy = 0;
      for (let r = r0; r < r1; r++) sy += d[oa + r] * y[r];
      xty[a] += sy;
      for (let b = a; b < k; b++) {
        const ob = b * n;
        let s = 0;
        for (let r = r0; r < r1; r++) s += d[oa + r] * d[ob + r];
        xtx.data[a + b * k] += s;
      }
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) xtx.data[a + b * k] = xtx.data[b + a * k];
  return { xtx, xty };
}

/** OLS of y on X; perfectly collinear columns are dropped with a warning naming them (as fixest). */
export function leastSquares(y: Float64Array, X: Matrix, names: string[], context = 'the model'): LsFit {
  if (X.rows !== y.length) throw new Error('leastSquares: row mismatch');
  const warnings: string[] = [];
  const g = gram(X, y);
  let xtx = g.xtx, xty = g.xty;
  const drop = X.cols ? collinearColumns(xtx) : [];
  const dropped = drop.map((j) => names[j]);
  let Xk = X, namesK = names;
  if (drop.length) {
    const keep = names.map((_, j) => j).filter((j) => !drop.includes(j));
    Xk = selectColumns(X, keep);
    namesK = keep.map((j) => names[j]);
    // the kept columns' products are a sub-block of the full ones
    const m = keep.length, full = xtx;
    xtx = zeros(m, m);
    keep.forEach((a, i) => keep.forEach((b, j) => { xtx.data[i + j * m] = full.data[a + b * X.cols]; }));
    xty = Float64Array.from(keep, (a) => g.xty[a]);
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
  const k = Xk.cols, n = Xk.rows;
  const coef = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += xtxInv.data[i + j * k] * xty[j];
    coef[i] = s;
  }
  // residuals and their sum of squares chunk by chunk (same operations, in the same order, as column by column)
  const resid = new Float64Array(n), d = Xk.data;
  let ssr = 0;
  for (let r0 = 0; r0 < n; r0 += CHUNK) {
    const r1 = Math.min(n, r0 + CHUNK);
    for (let r = r0; r < r1; r++) resid[r] = y[r];
    for (let j = 0; j < k; j++) {
      const b = coef[j], o = j * n;
      for (let r = r0; r < r1; r++) resid[r] -= d[o + r] * b;
    }
    for (let r = r0; r < r1; r++) ssr += resid[r] * resid[r];
  }
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
