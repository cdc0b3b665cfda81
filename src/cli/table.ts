// Readable regression table: estimates with significance stars (*** 0.01, ** 0.05, * 0.1), SE in parentheses,
// one column per model (mediation: total / a-path / direct), then N, groups, R2 and tests.
import type { CoefficientRow, EstimationResult } from '../estimation/result.js';

const stars = (p: number) => (p < 0.01 ? '***' : p < 0.05 ? '**' : p < 0.1 ? '*' : '');

function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-4)) return x.toExponential(3);
  return x.toFixed(digits);
}

interface Col { title: string; rows: CoefficientRow[]; stats: [string, string][] }

function render(cols: Col[]): string {
  const terms: string[] = [];
  for (const c of cols) for (const r of c.rows) if (!terms.includes(r.term)) terms.push(r.term);
  const statNames: string[] = [];
  for (const c of cols) for (const [k] of c.stats) if (!statNames.includes(k)) statNames.push(k);
  const cells: string[][] = [['', ...cols.map((c) => c.title)]];
  for (const t of terms) {
    const est = cols.map((c) => { const r = c.rows.find((x) => x.term === t); return r ? `${fmt(r.estimate)}${stars(r.pValue)}` : ''; });
    const se = cols.map((c) => { const r = c.rows.find((x) => x.term === t); return r ? `(${fmt(r.stdError)})` : ''; });
    cells.push([t, ...est], ['', ...se]);
  }
  const rule = cells.length;
  for (const s of statNames) cells.push([s, ...cols.map((c) => c.stats.find(([k]) => k === s)?.[1] ?? '')]);
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join('   ').trimEnd();
  const sep = '-'.repeat(widths.reduce((a, b) => a + b + 3, -3));
  const out = [sep, line(cells[0]), sep, ...cells.slice(1, rule).map(line), sep, ...cells.slice(rule).map(line), sep];
  return out.join('\n');
}

function statsOf(r: { nobs?: number; r2?: number | null; ngroups?: number | null; r2Within?: number | null }): [string, string][] {
  const s: [string, string][] = [];
  if (r.nobs !== undefined) s.push(['N', String(r.nobs)]);
  if (r.ngroups !== null && r.ngroups !== undefined) s.push(['Groups', String(r.ngroups)]);
  if (r.r2 !== null && r.r2 !== undefined) s.push(['R2', fmt(r.r2)]);
  if (r.r2Within !== null && r.r2Within !== undefined && r.r2Within !== r.r2) s.push(['R2 within', fmt(r.r2Within)]);
  return s;
}

export function formatTable(r: EstimationResult, title?: string): string {
  const lines: string[] = [];
  if (title) lines.push(title);
  lines.push(`Estimator: ${r.estimator}    Covariance: ${r.vcovType}`);
  let cols: Col[];
  const steps = r.steps as Record<string, { dependent: string; nobs: number; r2: number | null; coefficients: CoefficientRow[] }> | undefined;
  if (r.estimator === 'mediation' && steps) {
    cols = Object.entries(steps).map(([k, s]) => ({ title: `${k} (${s.dependent})`, rows: s.coefficients, stats: statsOf({ nobs: s.nobs, r2: s.r2 }) }));
  } else {
    const stats = statsOf({ nobs: r.nobs, ngroups: r.ngroups, r2: r.fit.r2, r2Within: r.fit.r2Within });
    if (r.fit.r2Adj !== null) stats.push(['Adj. R2', fmt(r.fit.r2Adj)]);
    if (r.fit.logLik !== null) stats.push(['Log lik.', fmt(r.fit.logLik, 3)]);
    cols = [{ title: r.estimator, rows: r.coefficients, stats }];
  }
  lines.push(render(cols));
  const params = Object.entries(r.params).filter(([k, v]) => typeof v === 'number' && !['a', 'b', 'total', 'direct'].includes(k));
  if (params.length) lines.push(`Parameters: ${params.map(([k, v]) => `${k} = ${fmt(v as number)}`).join(', ')}`);
  const boot = r.params.bootstrap as { ci: [number, number] | null; replications: number; level: number } | null | undefined;
  if (boot?.ci) lines.push(`Bootstrap ${Math.round(boot.level * 100)}% CI of the indirect effect (${boot.replications} replications): [${fmt(boot.ci[0])}, ${fmt(boot.ci[1])}]`);
  for (const [k, t] of Object.entries(r.tests)) lines.push(`Test ${k}: statistic = ${fmt(t.statistic)}${t.df !== undefined ? `, df = ${t.df}` : ''}, p = ${fmt(t.pValue)}`);
  if (r.impacts?.length) {
    lines.push('Impacts:');
    const w = Math.max(...r.impacts.map((i) => i.term.length));
    for (const i of r.impacts) lines.push(`  ${i.term.padEnd(w)}  direct ${fmt(i.direct)}  indirect ${fmt(i.indirect)}  total ${fmt(i.total)}`);
  }
  if (typeof r.nobsDropped === 'number' && r.nobsDropped > 0) lines.push(`Rows dropped for missing values: ${r.nobsDropped}`);
  for (const w of r.warnings) lines.push(`Warning: ${w}`);
  lines.push('Significance: *** p<0.01, ** p<0.05, * p<0.1; standard errors in parentheses');
  return lines.join('\n');
}
