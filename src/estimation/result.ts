// The uniform result object of every estimator (DESIGN.md "Analyst contract"); the CLI prints it as JSON.

export interface CoefficientRow {
  term: string;
  estimate: number;
  stdError: number;
  statistic: number;
  pValue: number;
}

export interface TestStat {
  statistic: number;
  pValue: number;
  df?: number;
}

export interface Fit {
  r2: number | null;
  r2Within: number | null;
  r2Adj: number | null;
  logLik: number | null;
  aic: number | null;
  sigma2: number | null;
}

export interface Impact {
  term: string;
  direct: number;
  indirect: number;
  total: number;
  directSE?: number;
  indirectSE?: number;
  totalSE?: number;
}

export interface EstimationResult {
  estimator: string;
  nobs: number;
  ngroups: number | null;
  dfResid: number | null;
  vcovType: string;
  coefficients: CoefficientRow[];
  fit: Fit;
  params: { rho: number | null; lambda: number | null; theta: number | null; [k: string]: unknown };
  tests: Record<string, TestStat>;
  impacts?: Impact[];
  warnings: string[];
  /** rows dropped for missing values, and anything else an estimator wants to report */
  [extra: string]: unknown;
}

export const emptyFit = (): Fit => ({ r2: null, r2Within: null, r2Adj: null, logLik: null, aic: null, sigma2: null });

/** Raised for problems the user can fix (unknown column, singular design, bad spec): printed without a stack trace. */
export class EstimationInputError extends Error {
  constructor(message: string, public readonly field?: string) {
    super(message);
    this.name = 'EstimationInputError';
  }
}
