// Bounds of one estimate: panel rows, GMM instruments and worker time (settings; defaults in docs/operations.md).
// Rows and instruments are checked before anything runs; time is enforced by terminating the worker.
import { instrumentSpec, parseExpression, parseFormula } from '../estimation/formula.js';
import type { ModelSpec } from '../estimation/spec.js';
import type { Panel } from '../domain/index.js';

export interface EstimateLimits {
  /** rows of the panel after the sample rules */
  maxRows: number;
  /** GMM-style instrument columns (an upper bound of the count before all-zero columns are dropped) */
  maxInstruments: number;
  /** wall time of the estimate in its worker, seconds */
  maxSeconds: number;
}

export const LIMIT_SETTINGS = {
  maxRows: 'AGGLOMERA_ESTIMATE_MAX_ROWS',
  maxInstruments: 'AGGLOMERA_ESTIMATE_MAX_INSTRUMENTS',
  maxSeconds: 'AGGLOMERA_ESTIMATE_MAX_SECONDS',
} as const;

export const DEFAULT_LIMITS: EstimateLimits = { maxRows: 2_000_000, maxInstruments: 1000, maxSeconds: 300 };

/** Read at each use, so a running server and the tests see the environment as it is now. */
export function readLimits(env: NodeJS.ProcessEnv = process.env): EstimateLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(LIMIT_SETTINGS) as (keyof EstimateLimits)[]) {
    const raw = env[LIMIT_SETTINGS[k]];
    if (raw === undefined || raw === '') continue;
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${LIMIT_SETTINGS[k]} must be a positive number, got "${raw}"`);
    out[k] = v;
  }
  return out;
}

/** An estimate over one of its bounds; `limit` is the setting's name, `path` the request field it concerns. */
export class LimitError extends Error {
  constructor(message: string, readonly limit: string, readonly path: string) {
    super(message);
    this.name = 'LimitError';
  }
}

/**
 * Upper bound of the GMM-style instrument columns the GMM design would build (src/estimation/gmm/design.ts, with the
 * fewest periods lost: TL1 = max(min lag, 1)): per instrument, one column per usable lag when collapsed, else one per
 * (period, lag); system GMM adds the level equation's differences.
 */
export function gmmInstrumentBound(spec: ModelSpec, periods: number): number {
  if (spec.estimator !== 'diff_gmm' && spec.estimator !== 'sys_gmm') return 0;
  const exprs = spec.gmm?.instruments?.length
    ? spec.gmm.instruments.map((s) => parseExpression(s, 'gmm.instruments'))
    : spec.formula ? (parseFormula(spec.formula).parts[0] ?? []) : [];
  const inst = exprs.map((e) => instrumentSpec(e, 'gmm.instruments'));
  if (!inst.length) return 0;
  const T = periods;
  const tl1 = Math.max(1, Math.min(...inst.map((z) => z.minLag)));
  const collapse = spec.gmm?.collapse ?? false;
  let L = 0;
  for (const z of inst) {
    if (collapse) L += Math.max(0, Math.min(z.maxLag, T - 1) - z.minLag + 1);
    else for (let p = tl1; p < T; p++) L += Math.max(0, p - z.minLag - Math.max(0, p - z.maxLag) + 1);
    if (spec.estimator === 'sys_gmm') {
      let levelRows = 0;
      for (let p = tl1 - 1; p < T; p++) if (p >= 2) levelRows++;
      L += collapse ? Math.min(1, levelRows) : levelRows;
    }
  }
  return L;
}

/** Throws LimitError when the prepared estimate is over the row or instrument bound. */
export function checkSize(spec: ModelSpec, panel: Panel, limits: EstimateLimits): void {
  if (panel.nrows > limits.maxRows) {
    throw new LimitError(
      `the panel has ${panel.nrows} rows after the sample rules, over the limit of ${limits.maxRows} (${LIMIT_SETTINGS.maxRows}); narrow the sample`,
      LIMIT_SETTINGS.maxRows, 'sampleRules');
  }
  if (spec.estimator === 'diff_gmm' || spec.estimator === 'sys_gmm') {
    const time = spec.panel ? panel.columns[spec.panel.time] : undefined;
    const periods = time ? new Set(Array.from(time as ArrayLike<unknown>).filter((t) => t !== null && !(typeof t === 'number' && Number.isNaN(t)))).size : 0;
    const L = gmmInstrumentBound(spec, periods);
    if (L > limits.maxInstruments) {
      throw new LimitError(
        `the GMM instruments would make up to ${L} columns over ${periods} periods, over the limit of ${limits.maxInstruments} (${LIMIT_SETTINGS.maxInstruments}); collapse them (gmm.collapse) or use fewer lags`,
        LIMIT_SETTINGS.maxInstruments, 'spec.gmm.instruments');
    }
  }
}

export function timeLimitMessage(limits: EstimateLimits): string {
  return `the estimate ran longer than the time limit of ${limits.maxSeconds} s (${LIMIT_SETTINGS.maxSeconds}) and was stopped`;
}
