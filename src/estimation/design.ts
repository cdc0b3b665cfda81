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
  // a column used as panel id, fixed effect or cluster (worker FE, clustered by worker) is coded once
  const coded = new Map<string, { codes: Int32Array; nlevels: number; missing: number }>();
  if (panel) coded.set(panel.idName, { codes: panel.id, nlevels: panel.ngroups, missing: panel.idMissing });
  const codesOf = (name: string, what: string) => {
    let c = coded.get(name);
    if (!c) coded.set(name, (c = factorCodes(frame, name, what)));
    return { name, codes: c.codes, nlevels: c.nlevels, missing: c.missing };
  };
  const feCodes = (opts.fixedEffects ?? []).map((name) => codesOf(name, 'the fixed effects'));
  const clCodes = (opts.clusters ?? []).map((name) => codesOf(name, 'vcov.cluster'));
  const keepWhere = opts.where ? evalWhere(frame, opts.where, panel) : null;
  const n = frame.nrows;
  // rows with a missing value anywhere, marked column by column (tight loops), then the kept rows listed
  const bad = new Uint8Array(n);
  let excluded = 0; // by sample.where: not counted as dropped
  if (keepWhere) for (let i = 0; i < n; i++) if (!keepWhere[i]) { bad[i] = 1; excluded++; }
  for (const v of [y, ...cols, ...extra]) for (let i = 0; i < n; i++) if (!Number.isFinite(v[i])) bad[i] = 1;
  for (const { codes, missing } of [...feCodes, ...clCodes]) if (missing) for (let i = 0; i < n; i++) if (codes[i] < 0) bad[i] = 1;
  if (panel) for (let i = 0; i < n; i++) if (panel.id[i] < 0 || !Number.isFinite(panel.time[i])) bad[i] = 1;
  let m = 0;
  for (let i = 0; i < n; i++) m += 1 - bad[i];
  const dropped = n - excluded - m;
  if (m === 0) throw new EstimationInputError(`no complete observations for formula (all ${n} rows have a missing value${opts.where ? ' or fail sample.where' : ''})`, 'formula');
  // every row kept (the common case for large data): columns are copied whole, factor codes reused as they are, and
  // the row list (the identity) only built if asked for
  const all = m === n;
  let rowIdx: Int32Array | undefined;
  if (!all) {
    rowIdx = new Int32Array(m);
    for (let i = 0, k = 0; i < n; i++) if (!bad[i]) rowIdx[k++] = i;
  }
  const rowList = (): Int32Array => {
    if (!rowIdx) {
      rowIdx = new Int32Array(n);
      for (let i = 0; i < n; i++) rowIdx[i] = i;
    }
    return rowIdx;
  };
  const intercept = f.intercept && !opts.noIntercept;
  const names = [...(intercept ? ['(Intercept)'] : []), ...f.terms.map((t) => t.name)];
  const X = zeros(m, names.length);
  let j0 = 0;
  if (intercept) { X.data.fill(1, 0, m); j0 = 1; }
  cols.forEach((c, j) => {
    const o = (j + j0) * m;
    if (all) X.data.set(c, o);
    else for (let i = 0; i < m; i++) X.data[o + i] = c[rowIdx![i]];
  });
  let yk: Float64Array;
  if (all) yk = y.slice();
  else {
    yk = new Float64Array(m);
    for (let i = 0; i < m; i++) yk[i] = y[rowIdx![i]];
  }
  // factorCodes numbers levels in order of first appearance, so on all rows recode() would return the same codes
  const factorOf = (c: { name: string; codes: Int32Array; nlevels: number }): Factor =>
    all ? { name: c.name, codes: c.codes, nlevels: c.nlevels } : recode(c.codes, rowIdx!, c.name);
  const design: Design = {
    y: yk,
    yName: f.lhsName,
    X,
    names,
    intercept,
    get rows() { return rowList(); },
    nobsDropped: dropped,
    panel,
    fixedEffects: feCodes.map(factorOf),
    clusters: clCodes.map(factorOf),
    evaluator: ev,
  };
  if (panel) {
    design.id = factorOf({ name: opts.panel!.id, codes: panel.id, nlevels: panel.ngroups });
    if (all) design.time = panel.time; // read only, as the frame's columns
    else {
      const t = (design.time = new Float64Array(m));
      for (let i = 0; i < m; i++) t[i] = panel.time[rowIdx![i]];
    }
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
