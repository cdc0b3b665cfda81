// From formula + frame to the estimation sample: evaluate terms, apply sample.where, listwise deletion
// (counted in nobsDropped), and code fixed-effect and cluster factors on the kept rows.
import { Matrix, zeros } from './linalg.js';
import { DataFrame, Evaluator, PanelIndex, evalWhere, factorCodes } from './frame.js';
import { Expr, ParsedFormula, exprName } from './formula.js';
import { EstimationInputError } from './result.js';
import { Factor, recode } from './absorb.js';

export interface DesignOptions {
  panel?: { id: string; time: string };
  /** `sample.where`; applied after lags are built, so lags may reach into excluded periods (as Stata's `if`) */
  where?: string;
  /** fixed-effect factors: column names */
  fixedEffects?: string[];
  clusters?: string[];
  /** extra expressions that must be non-missing (e.g. GMM instrument bases are NOT listed: they may be missing) */
  require?: Expr[];
  /** force no intercept column (absorbed fixed effects, within models) */
  noIntercept?: boolean;
}

export interface Design {
  y: Float64Array;
  yName: string;
  /** regressors in formula order, "(Intercept)" first when present */
  X: Matrix;
  names: string[];
  intercept: boolean;
  /** frame rows of the estimation sample, in frame order */
  rows: Int32Array;
  nobsDropped: number;
  panel?: PanelIndex;
  /** panel id and time of the kept rows (when a panel is given) */
  id?: Factor;
  time?: Float64Array;
  fixedEffects: Factor[];
  clusters: Factor[];
  evaluator: Evaluator;
}

export function buildDesign(frame: DataFrame, f: ParsedFormula, opts: DesignOptions = {}): Design {
  const panel = opts.panel ? new PanelIndex(frame, opts.panel.id, opts.panel.time) : undefined;
  const ev = new Evaluator(frame, panel);
  const y = ev.eval(f.lhs, f.lhsName);
  const cols = f.terms.map((t) => ev.evalProduct(t.factors, t.name));
  const extra = (opts.require ?? []).map((e) => ev.eval(e, exprName(e)));
  const feCodes = (opts.fixedEffects ?? []).map((name) => ({ name, ...factorCodes(frame, name, 'the fixed effects') }));
  const clCodes = (opts.clusters ?? []).map((name) => ({ name, ...factorCodes(frame, name, 'vcov.cluster') }));
  const keepWhere = opts.where ? evalWhere(frame, opts.where, panel) : null;
  const n = frame.nrows;
  const rows: number[] = [];
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    if (keepWhere && !keepWhere[i]) continue;
    let ok = Number.isFinite(y[i]);
    for (let j = 0; ok && j < cols.length; j++) ok = Number.isFinite(cols[j][i]);
    for (let j = 0; ok && j < extra.length; j++) ok = Number.isFinite(extra[j][i]);
    for (let j = 0; ok && j < feCodes.length; j++) ok = feCodes[j].codes[i] >= 0;
    for (let j = 0; ok && j < clCodes.length; j++) ok = clCodes[j].codes[i] >= 0;
    if (ok && panel) ok = panel.id[i] >= 0 && Number.isFinite(panel.time[i]);
    if (ok) rows.push(i);
    else dropped++;
  }
  const m = rows.length;
  if (m === 0) throw new EstimationInputError(`no complete observations for formula (all ${n} rows have a missing value${opts.where ? ' or fail sample.where' : ''})`, 'formula');
  const rowIdx = Int32Array.from(rows);
  const intercept = f.intercept && !opts.noIntercept;
  const names = [...(intercept ? ['(Intercept)'] : []), ...f.terms.map((t) => t.name)];
  const X = zeros(m, names.length);
  let j0 = 0;
  if (intercept) { X.data.fill(1, 0, m); j0 = 1; }
  cols.forEach((c, j) => {
    const o = (j + j0) * m;
    for (let i = 0; i < m; i++) X.data[o + i] = c[rowIdx[i]];
  });
  const yk = new Float64Array(m);
  for (let i = 0; i < m; i++) yk[i] = y[rowIdx[i]];
  const design: Design = {
    y: yk,
    yName: f.lhsName,
    X,
    names,
    intercept,
    rows: rowIdx,
    nobsDropped: dropped,
    panel,
    fixedEffects: feCodes.map((c) => recode(c.codes, rowIdx, c.name)),
    clusters: clCodes.map((c) => recode(c.codes, rowIdx, c.name)),
    evaluator: ev,
  };
  if (panel) {
    design.id = recode(panel.id, rowIdx, opts.panel!.id);
    const t = (design.time = new Float64Array(m));
    for (let i = 0; i < m; i++) t[i] = panel.time[rowIdx[i]];
  }
  return design;
}

/** Time as a factor on the kept rows (for time / two-way effects). */
export function timeFactor(d: Design, name: string): Factor {
  const t = d.time!;
  const levels = [...new Set(t)].sort((a, b) => a - b);
  const idx = new Map(levels.map((v, i) => [v, i]));
  return { name, codes: Int32Array.from(t, (v) => idx.get(v)!), nlevels: levels.length };
}
