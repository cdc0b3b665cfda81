// Publication tables (src/report) on the Grunfeld fixture results: the paper's layout (coefficient with stars, SE in
// parentheses below, FE rows, N, R², SE footnote) in Markdown, LaTeX and HTML, and escaping of each format.
import { describe, expect, it } from 'vitest';
import { describe as describeVar, estimate } from '../src/estimation/index.js';
import { descriptivesTable, regressionTable, regressionTableModel, stars } from '../src/report/index.js';
import { readExpected, readFixtureCsv } from './estimation-helpers.js';

const frame = readFixtureCsv('grunfeld/data.csv');
const ex = readExpected('grunfeld');
const ols = estimate({ estimator: 'ols', formula: ex.formula }, frame);
const fe = estimate({ estimator: 'fe', formula: ex.formula, panel: ex.panel, effects: 'twoways', vcov: { cluster: ['firm'] } }, frame);
const opts = { title: 'Grunfeld investment', fixedEffectRows: { 'Firm FE': ['firm'], 'Year FE': ['year'] } };
const f4 = (x: number) => x.toFixed(4);

describe('regression table layout', () => {
  it('columns = models; estimate with stars, SE in parentheses below; FE rows; N; R²; SE footnote', () => {
    const t = regressionTableModel([{ result: ols, title: 'OLS' }, { result: fe, title: 'Two-way FE' }], opts);
    expect(t.header).toEqual(['', 'OLS', 'Two-way FE']);
    const [coefs, info, stats] = t.groups;
    // intercept last, each coefficient row followed by its SE row; numbers are the R references' (fixture)
    expect(coefs.map((r) => r[0])).toEqual(['value', '', 'capital', '', '(Intercept)', '']);
    expect(coefs[0]).toEqual(['value', `${f4(ex.pooled_ols.coef.value)}***`, `${f4(ex.within_twoways.coef.value)}***`]);
    expect(coefs[1]).toEqual(['', `(${f4(ex.pooled_ols.se_iid.value)})`, `(${f4(ex.within_twoways.se_cluster_firm_plm_HC1.value)})`]);
    expect(coefs[2][2]).toBe(`${f4(ex.within_twoways.coef.capital)}***`);
    expect(coefs[4]).toEqual(['(Intercept)', `${f4(ex.pooled_ols.coef['(Intercept)'])}***`, '']);
    expect(info).toEqual([['Firm FE', 'No', 'Yes'], ['Year FE', 'No', 'Yes']]);
    expect(stats).toEqual([['N', '200', '200'], ['R²', f4(ex.pooled_ols.r2), f4(ex.within_twoways.r2_within)]]);
    expect(t.notes[0]).toBe('Standard errors in parentheses: OLS iid; Two-way FE cluster(firm), plm HC1.');
    expect(t.notes[1]).toBe('*** p < 0.01, ** p < 0.05, * p < 0.1.');
  });

  it('stars at 1%, 5%, 10%', () => {
    expect([0.0099, 0.01, 0.049, 0.05, 0.099, 0.1, 0.5].map(stars)).toEqual(['***', '**', '**', '*', '*', '', '']);
  });

  it('controls collapse into one Yes/No row; chosen terms and labels', () => {
    const t = regressionTableModel([ols, estimate({ estimator: 'ols', formula: 'inv ~ value' }, frame)], { terms: ['value'], controls: ['capital'], labels: { value: 'Market value' } });
    expect(t.groups[0][0][0]).toBe('Market value');
    expect(t.groups[0]).toHaveLength(2);
    expect(t.groups[1][0]).toEqual(['Controls', 'Yes', 'No']);
    expect(t.groups[1]).toContainEqual(['City FE', 'No', 'No']);
  });

  it('Markdown', () => {
    const md = regressionTable([ols, fe], 'markdown', opts);
    const lines = md.split('\n');
    expect(lines[0]).toBe('**Grunfeld investment**');
    expect(lines).toContain('|  | (1) | (2) |');
    expect(lines).toContain('|:---|---:|---:|');
    expect(lines).toContain(`| value | ${f4(ex.pooled_ols.coef.value)}*** | ${f4(ex.within_twoways.coef.value)}*** |`);
    expect(lines).toContain(`|  | (${f4(ex.pooled_ols.se_iid.value)}) | (${f4(ex.within_twoways.se_cluster_firm_plm_HC1.value)}) |`);
    expect(lines).toContain('| Firm FE | No | Yes |');
    expect(lines).toContain('| N | 200 | 200 |');
    expect(md).toContain('\\*\\*\\* p < 0.01');
  });

  it('LaTeX: booktabs-free tabular, stars as superscripts, R² in math, escaped specials', () => {
    const tex = regressionTable([{ result: ols, title: 'log_inv & co' }], 'latex', { ...opts, title: '100% Grunfeld' });
    expect(tex).toContain('\\begin{tabular}{lc}');
    expect(tex).toContain('\\caption{100\\% Grunfeld}');
    expect(tex).toContain(' & log\\_inv \\& co \\\\');
    expect(tex).toContain(`value & ${f4(ex.pooled_ols.coef.value)}$^{***}$ \\\\`);
    expect(tex).toContain(` & (${f4(ex.pooled_ols.se_iid.value)}) \\\\`);
    expect(tex).toContain(`$R^2$ & ${f4(ex.pooled_ols.r2)} \\\\`);
    expect(tex.match(/\\hline/g)!.length).toBeGreaterThanOrEqual(5);
    expect(tex.trim().endsWith('\\end{table}')).toBe(true);
  });

  it('HTML: one tbody per group, row headers, escaped text, footnote', () => {
    const html = regressionTable([{ result: ols, title: '<OLS>' }, fe], 'html', opts);
    expect(html).toContain('<caption>Grunfeld investment</caption>');
    expect(html).toContain('<th>&lt;OLS&gt;</th>');
    expect(html).toContain(`<tr><th scope="row">value</th><td>${f4(ex.pooled_ols.coef.value)}***</td><td>${f4(ex.within_twoways.coef.value)}***</td></tr>`);
    expect(html).toContain(`<td>(${f4(ex.within_twoways.se_cluster_firm_plm_HC1.capital)})</td>`);
    expect(html.match(/<tbody>/g)).toHaveLength(3);
    expect(html).toContain('p &lt; 0.01');
  });
});

describe('descriptives table', () => {
  it('N, mean, SD, min, median, max per variable', () => {
    const rows = ['inv', 'value', 'capital'].map((v) => describeVar(v, frame.columns[v] as Float64Array));
    const md = descriptivesTable(rows, 'markdown', { title: 'Table 1' });
    const d = rows[0];
    expect(md).toContain('| Variable | N | Mean | SD | Min | Median | Max |');
    expect(md).toContain(`| inv | 200 | ${f4(d.mean)} | ${f4(d.sd)} | ${f4(d.min)} | ${f4(d.median)} | ${f4(d.max)} |`);
    const inv = Array.from(frame.columns.inv as Float64Array);
    expect(d.mean).toBeCloseTo(inv.reduce((a, b) => a + b, 0) / inv.length, 10);
    expect(d.max).toBe(Math.max(...inv));
  });
});
