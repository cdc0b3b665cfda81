// Regression tables in the paper's layout: one column per model; each coefficient with stars (*** 1%, ** 5%, * 10%)
// and its standard error in parentheses below; then rows for controls, fixed effects (City FE / Year FE: Yes/No),
// tests, N and R²; a footnote says which standard errors were used.
import type { Describe } from '../estimation/describe.js';
import type { EstimationResult } from '../estimation/result.js';
import { num, render, stars, type Format, type Table } from './table.js';

export interface ModelColumn {
  result: EstimationResult;
  /** column header; default (1), (2), ... */
  title?: string;
  /** override the detected fixed effects */
  fixedEffects?: Record<string, boolean>;
}

export interface RegressionTableOptions {
  title?: string;
  /** coefficient rows to show, in order (default: every term of every model, first seen first, intercept last) */
  terms?: string[];
  /** display names of terms */
  labels?: Record<string, string>;
  /** terms summarised as one "Controls: Yes/No" row instead of their own rows */
  controls?: string[];
  /** fixed-effect rows: label → the factor names that mean it (default City FE ← city, Year FE ← year) */
  fixedEffectRows?: Record<string, string[]>;
  /** tests to show as rows (key of result.tests → label); default AR(1), AR(2), Hansen, Sobel when present */
  tests?: Record<string, string>;
  /** extra rows: label → one cell per model */
  extraRows?: [string, string[]][];
  digits?: number;
  notes?: string[];
  /** the unit identifier, whose effect difference GMM and FD remove (default city) */
  unitId?: string;
  /** the period identifier, whose effect GMM time dummies are (default year) */
  timeId?: string;
}

const DEFAULT_TESTS: Record<string, string> = {
  ar1: 'AR(1) p-value', ar2: 'AR(2) p-value', hansen: 'Hansen p-value', sobel: 'Sobel z',
};

const asColumns = (models: (EstimationResult | ModelColumn)[]): ModelColumn[] =>
  models.map((m) => ('result' in m && typeof (m as ModelColumn).result === 'object' && !('coefficients' in m) ? (m as ModelColumn) : { result: m as EstimationResult }));

/** Factor names a result absorbed or differenced out. */
export function detectedEffects(r: EstimationResult, unitId = 'city', timeId = 'year'): Set<string> {
  const s = new Set<string>();
  for (const f of (r.fixedEffects as { name: string }[] | undefined) ?? []) s.add(f.name);
  const eff = r.effects as string | undefined;
  const spec = r.spec as { panel?: { id: string; time: string }; effects?: string } | undefined;
  if (spec?.panel && (spec.effects ?? eff)) {
    const e = spec.effects ?? eff;
    if (e === 'individual' || e === 'twoways') s.add(spec.panel.id);
    if (e === 'time' || e === 'twoways') s.add(spec.panel.time);
  }
  // difference GMM removes the unit effect; time dummies are the year effect
  if (r.estimator === 'diff_gmm' || r.estimator === 'sys_gmm' || r.estimator === 'fd') s.add(unitId);
  if (timeDummyTerms(r).size) s.add(timeId);
  return s;
}

/** GMM time-dummy coefficients: summarised by the Year FE row, not shown one by one. */
function timeDummyTerms(r: EstimationResult): Set<string> {
  return new Set(((r.params as { timeDummyTerms?: string[] }).timeDummyTerms) ?? []);
}

function seType(r: EstimationResult): string {
  return r.vcovType;
}

export function regressionTableModel(models: (EstimationResult | ModelColumn)[], o: RegressionTableOptions = {}): Table {
  const cols = asColumns(models);
  if (!cols.length) throw new Error('regression table: no model');
  const d = o.digits ?? 4;
  const controls = new Set(o.controls ?? []);
  const label = (t: string) => o.labels?.[t] ?? t;
  let terms = o.terms;
  if (!terms) {
    const seen: string[] = [];
    for (const c of cols) {
      const dummies = timeDummyTerms(c.result);
      for (const k of c.result.coefficients) if (!seen.includes(k.term) && !controls.has(k.term) && !dummies.has(k.term)) seen.push(k.term);
    }
    terms = [...seen.filter((t) => t !== '(Intercept)'), ...seen.filter((t) => t === '(Intercept)')];
  }
  const header = ['', ...cols.map((c, i) => c.title ?? `(${i + 1})`)];
  const coefRows: string[][] = [];
  for (const t of terms) {
    const est: string[] = [label(t)], se: string[] = [''];
    let any = false;
    for (const c of cols) {
      const k = c.result.coefficients.find((x) => x.term === t);
      if (k) any = true;
      est.push(k ? `${num(k.estimate, d)}${stars(k.pValue)}` : '');
      se.push(k ? `(${num(k.stdError, d)})` : '');
    }
    if (any) coefRows.push(est, se);
  }
  const info: string[][] = [];
  if (controls.size) info.push(['Controls', ...cols.map((c) => (c.result.coefficients.some((k) => controls.has(k.term)) ? 'Yes' : 'No'))]);
  const feRows = o.fixedEffectRows ?? { 'City FE': ['city', 'firm'], 'Year FE': ['year'] };
  for (const [lab, names] of Object.entries(feRows)) {
    info.push([lab, ...cols.map((c) => {
      const over = c.fixedEffects?.[lab];
      if (over !== undefined) return over ? 'Yes' : 'No';
      const det = detectedEffects(c.result, o.unitId, o.timeId);
      return names.some((n) => det.has(n)) ? 'Yes' : 'No';
    })]);
  }
  for (const [lab, cells] of o.extraRows ?? []) info.push([lab, ...cols.map((_, i) => cells[i] ?? '')]);
  const tests = o.tests ?? DEFAULT_TESTS;
  for (const [key, lab] of Object.entries(tests)) {
    if (!cols.some((c) => c.result.tests[key])) continue;
    info.push([lab, ...cols.map((c) => {
      const t = c.result.tests[key];
      if (!t) return '';
      return key === 'sobel' ? `${num(t.statistic, 3)}${stars(t.pValue)}` : num(t.pValue, 3);
    })]);
  }
  const stats: string[][] = [
    ['N', ...cols.map((c) => String(c.result.nobs))],
  ];
  if (cols.some((c) => c.result.fit.r2 !== null)) stats.push(['R²', ...cols.map((c) => num(c.result.fit.r2, 4))]);
  if (cols.some((c) => c.result.fit.logLik !== null && c.result.fit.r2 === null)) stats.push(['Log-likelihood', ...cols.map((c) => num(c.result.fit.logLik, 2))]);
  const types = [...new Set(cols.map((c) => seType(c.result)))];
  const seNote = types.length === 1
    ? `Standard errors in parentheses (${types[0]}).`
    : `Standard errors in parentheses: ${cols.map((c, i) => `${header[i + 1]} ${seType(c.result)}`).join('; ')}.`;
  return {
    title: o.title ?? 'Regression results',
    header,
    groups: [coefRows, info, stats].filter((g) => g.length),
    notes: [seNote, '*** p < 0.01, ** p < 0.05, * p < 0.1.', ...(o.notes ?? [])],
  };
}

/** Renders one or more results as a publication table in Markdown, LaTeX or HTML. */
export function regressionTable(models: (EstimationResult | ModelColumn)[], format: Format = 'markdown', o: RegressionTableOptions = {}): string {
  return render(regressionTableModel(models, o), format);
}

/** Table 1 style descriptive statistics. */
export function descriptivesTableModel(rows: Describe[], o: { title?: string; digits?: number; notes?: string[] } = {}): Table {
  const d = o.digits ?? 4;
  return {
    title: o.title ?? 'Descriptive statistics',
    header: ['Variable', 'N', 'Mean', 'SD', 'Min', 'Median', 'Max'],
    groups: [rows.map((r) => [r.variable, String(r.n), num(r.mean, d), num(r.sd, d), num(r.min, d), num(r.median, d), num(r.max, d)])],
    notes: o.notes ?? [],
  };
}

export function descriptivesTable(rows: Describe[], format: Format = 'markdown', o: { title?: string; digits?: number; notes?: string[] } = {}): string {
  return render(descriptivesTableModel(rows, o), format);
}
