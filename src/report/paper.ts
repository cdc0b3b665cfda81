// The paper's tables on the stored data (docs/analysis.md): descriptives, baseline, robustness, dynamic GMM,
// mediation, kind-specific agglomeration and spatial spillovers. Panels come from the domain layer, estimates from
// the pure library; each table is a Table model rendered to Markdown / LaTeX / HTML by the caller.
import type { Db } from '../db/db.js';
import { cityPanel, type Panel } from '../domain/index.js';
import { describe } from '../estimation/describe.js';
import { estimate } from '../estimation/estimate.js';
import { buildDesign } from '../estimation/design.js';
import { parseFormula } from '../estimation/formula.js';
import { column } from '../estimation/linalg.js';
import type { EstimationResult } from '../estimation/result.js';
import { fitSpatialPanel, moranTest } from '../estimation/spatial/index.js';
import type { ModelSpec } from '../estimation/spec.js';
import { storedWeights } from '../jobs/store.js';
import { descriptivesTableModel, regressionTableModel } from './regression.js';
import { num, stars, type Table } from './table.js';

export const CONTROLS = ['Popsiz', 'Urbrate', 'Fispress', 'Indstru', 'Eduexp', 'Findev'];
const CTRL = CONTROLS.join(' + ');
const PANEL = { id: 'city', time: 'year' };
const CLUSTER = { cluster: ['city'] };

export interface PaperTable {
  /** file stem, e.g. table2 */
  id: string;
  table: Table;
  /** a second part (the spatial table has Moran's I and the SDM) */
  more?: Table[];
}

export interface PaperContext {
  panel: Panel;
  db: Db;
}

const fe2 = (formula: string, extra: Partial<ModelSpec> = {}): ModelSpec =>
  ({ estimator: 'fe', formula, panel: PANEL, effects: 'twoways', vcov: CLUSTER, ...extra }) as ModelSpec;

function sampleNote(p: Panel): string {
  const dropped = p.report.filter((r) => r.rowsDropped > 0).map((r) => `${r.rule} −${r.rowsDropped}`);
  const w = p.meta.sample.winsorize;
  return `Sample: ${p.nrows} city-years${dropped.length ? ` (${dropped.join(', ')})` : ''}; winsorised at ${w ? `${w.lower * 100}% / ${w.upper * 100}%` : 'no'}; RTA = 1/Var(Q1,Q2,Q3), ${p.meta.agglomeration.rta.variance} variance. Data version ${p.meta.dataVersion}, rules ${p.meta.ruleVersion}.`;
}

export function table1(c: PaperContext): PaperTable {
  const vars = ['NQP', 'RTA', 'Q1', 'Q2', 'Q3', ...CONTROLS, 'DFU', 'RID', 'PC'];
  const rows = vars.map((v) => describe(v, c.panel.columns[v] as Float64Array));
  return { id: 'table1', table: descriptivesTableModel(rows, { title: 'Table 1. Descriptive statistics', notes: [sampleNote(c.panel)] }) };
}

export function table2(c: PaperContext): PaperTable {
  const ols = (f: string): ModelSpec => ({ estimator: 'ols', formula: f, vcov: CLUSTER }) as ModelSpec;
  const specs = [
    ols('NQP ~ RTA'),
    ols(`NQP ~ RTA + ${CTRL}`),
    fe2('NQP ~ RTA'),
    fe2('NQP ~ RTA + Popsiz + Urbrate + Fispress'),
    fe2(`NQP ~ RTA + ${CTRL}`),
  ];
  const res = specs.map((s) => estimate(s, c.panel));
  return {
    id: 'table2',
    table: regressionTableModel(res.map((r, i) => ({ result: r, title: `(${i + 1}) ${i < 2 ? 'OLS' : 'FE'}` })), {
      title: 'Table 2. Baseline: pooled OLS and two-way fixed effects, controls added stepwise',
      terms: ['RTA', ...CONTROLS, '(Intercept)'],
      notes: [sampleNote(c.panel)],
    }),
  };
}

const dynamicGmm = (steps: 1 | 2): ModelSpec => ({
  estimator: 'diff_gmm',
  formula: `NQP ~ lag(NQP, 1) + RTA + lag(RTA, 1) + ${CTRL}`,
  panel: PANEL,
  gmm: { instruments: ['lag(NQP, 2:5)', 'lag(RTA, 2:5)'], ivInstruments: CONTROLS, steps, collapse: true, timeDummies: true },
}) as ModelSpec;

export async function table3(c: PaperContext): Promise<PaperTable> {
  const alt = await cityPanel(c.db, { rta: { variance: 'sample' } });
  const res: EstimationResult[] = [
    estimate(fe2(`NQP ~ RTA + ${CTRL}`, { effects: 'individual' }), c.panel),
    estimate({ estimator: 're', formula: `NQP ~ RTA + ${CTRL}`, panel: PANEL, vcov: CLUSTER } as ModelSpec, c.panel),
    estimate({ ...dynamicGmm(1), formula: `NQP ~ lag(NQP, 1) + RTA + ${CTRL}`, gmm: { instruments: ['lag(NQP, 2:5)'], ivInstruments: ['RTA', ...CONTROLS], steps: 1, collapse: true, timeDummies: true } } as ModelSpec, c.panel),
    estimate(fe2(`NQP ~ RTA + ${CTRL}`, { sample: { where: 'year >= 2014' } }), c.panel),
    estimate(fe2(`NQP ~ RTA_entropy + ${CTRL}`), c.panel),
    estimate(fe2(`NQP ~ RTA + ${CTRL}`), alt),
  ];
  const titles = ['(1) FE', '(2) RE', '(3) Diff GMM', '(4) 2014–2019', '(5) Entropy RTA', '(6) Sample-var RTA'];
  return {
    id: 'table3',
    table: regressionTableModel(res.map((r, i) => ({ result: r, title: titles[i] })), {
      title: 'Table 3. Robustness: FE, RE, difference GMM, 2014–2019 subsample, alternative RTA measures',
      terms: ['RTA', 'RTA_entropy', 'lag(NQP, 1)'],
      labels: { RTA_entropy: 'RTA (entropy measure)', 'lag(NQP, 1)': 'L1.NQP' },
      controls: CONTROLS,
      fixedEffectRows: { 'City FE': ['city'], 'Year FE': ['year'] },
      notes: [
        '(1) city effects only; (2) Swamy-Arora random effects; (3) one-step difference GMM, GMM instruments L2-L5 of NQP (collapsed), RTA and controls as IV instruments, time dummies; (4) two-way FE on 2014-2019; (5) RTA replaced by the normalised entropy of the kind shares; (6) RTA with the sample variance (÷2) instead of the population variance.',
        sampleNote(c.panel),
      ],
    }),
  };
}

export function table4(c: PaperContext): PaperTable {
  const res = [estimate(dynamicGmm(1), c.panel), estimate(dynamicGmm(2), c.panel)];
  return {
    id: 'table4',
    table: regressionTableModel(res.map((r, i) => ({ result: r, title: i === 0 ? '(1) One-step' : '(2) Two-step' })), {
      title: 'Table 4. Dynamic panel: difference GMM with L1.NQP and L1.RTA',
      terms: ['lag(NQP, 1)', 'RTA', 'lag(RTA, 1)', ...CONTROLS],
      labels: { 'lag(NQP, 1)': 'L1.NQP', 'lag(RTA, 1)': 'L1.RTA' },
      extraRows: [['Instruments', res.map((r) => String((r.params as { instruments?: number }).instruments ?? ''))], ['Groups', res.map((r) => String(r.ngroups ?? ''))]],
      notes: ['GMM instruments: L2-L5 of NQP and RTA, collapsed; controls as IV instruments; time dummies. Two-step SEs Windmeijer-corrected. AR(1), AR(2): Arellano-Bond tests; Hansen: overidentifying restrictions.'],
    }),
  };
}

export function table5(c: PaperContext): PaperTable {
  const mediators = ['DFU', 'RID', 'PC'];
  const res = mediators.map((m) => estimate({
    estimator: 'mediation', panel: PANEL, effects: 'twoways', vcov: CLUSTER,
    mediation: { treatment: 'RTA', mediator: m, outcome: 'NQP', controls: CONTROLS, bootstrap: 200, seed: 1 },
  } as ModelSpec, c.panel));
  const p = (r: EstimationResult) => r.params as unknown as { a: number; b: number; total: number; direct: number; indirect: number; sobelSE: number; proportionMediated: number | null; bootstrap: { ci: [number, number] | null } | null };
  const coef = (r: EstimationResult, term: string) => {
    const k = r.coefficients.find((x) => x.term === term);
    return k ? [`${num(k.estimate)}${stars(k.pValue)}`, `(${num(k.stdError)})`] : ['', ''];
  };
  const header = ['', ...mediators.flatMap((m) => [`${m}: NQP`, `${m}: ${m}`, `${m}: NQP`])];
  const cells = (f: (r: EstimationResult, step: number) => string[]) => res.flatMap((r) => [0, 1, 2].map((s) => f(r, s)));
  const stepTerm = ['total', 'a', 'direct'];
  const rta = cells((r, s) => coef(r, `${stepTerm[s]}/RTA`));
  const med = cells((r, s) => (s === 2 ? coef(r, `direct/${(r.params as unknown as { mediator: string }).mediator}`) : ['', '']));
  const body: string[][] = [
    ['RTA', ...rta.map((x) => x[0])], ['', ...rta.map((x) => x[1])],
    ['Mediator', ...med.map((x) => x[0])], ['', ...med.map((x) => x[1])],
  ];
  const info: string[][] = [
    ['Indirect effect a×b', ...res.flatMap((r) => ['', '', num(p(r).indirect, 5)])],
    ['Sobel z', ...res.flatMap((r) => ['', '', `${num(r.tests.sobel.statistic, 3)}${stars(r.tests.sobel.pValue)}`])],
    ['Bootstrap 95% CI', ...res.flatMap((r) => ['', '', p(r).bootstrap?.ci ? `[${num(p(r).bootstrap!.ci![0], 5)}, ${num(p(r).bootstrap!.ci![1], 5)}]` : ''])],
    ['Share mediated', ...res.flatMap((r) => ['', '', num(p(r).proportionMediated, 3)])],
    ['Controls / City FE / Year FE', ...res.flatMap(() => ['Yes', 'Yes', 'Yes'])],
    ['N', ...res.flatMap((r) => [String(r.nobs), String(r.nobs), String(r.nobs)])],
  ];
  return {
    id: 'table5',
    table: {
      title: 'Table 5. Mechanisms: three-step mediation through DFU, RID and PC',
      header, groups: [body, info],
      notes: [`Standard errors in parentheses (${res[0].vcovType}). *** p < 0.01, ** p < 0.05, * p < 0.1. Per mediator: total effect (NQP ~ RTA), a-path (M ~ RTA), direct effect (NQP ~ RTA + M); two-way FE and controls in every step; Sobel test of a×b; bootstrap of whole cities (200 replications, seed 1).`],
    },
  };
}

export function table6(c: PaperContext): PaperTable {
  const specs = ['log1p(Q1)', 'log1p(Q2)', 'log1p(Q3)', 'log1p(Q1) + log1p(Q2) + log1p(Q3)'].map((x) => fe2(`NQP ~ ${x} + ${CTRL}`));
  const res = specs.map((s) => estimate(s, c.panel));
  return {
    id: 'table6',
    table: regressionTableModel(res.map((r, i) => ({ result: r, title: ['(1) Fledgling', '(2) Gazelle', '(3) Unicorn', '(4) All'][i] })), {
      title: 'Table 6. Heterogeneity: fledgling, gazelle and unicorn agglomeration',
      terms: ['log1p(Q1)', 'log1p(Q2)', 'log1p(Q3)'],
      labels: { 'log1p(Q1)': 'ln(1 + Q1) fledgling', 'log1p(Q2)': 'ln(1 + Q2) gazelle', 'log1p(Q3)': 'ln(1 + Q3) unicorn' },
      controls: CONTROLS,
      notes: ['Kind-specific agglomeration: ln(1 + count of firms of that kind in the city-year). Two-way FE.'],
    }),
  };
}

export async function table7(c: PaperContext): Promise<PaperTable> {
  const bal = await cityPanel(c.db, { sample: { balanced: true } });
  const codes = bal.columns.city as string[];
  const years = bal.columns.year as Float64Array;
  const ids = [...new Set(codes)].sort();
  const W = await storedWeights(c.db, { type: 'queen', style: 'W' }, ids);
  const pos = new Map(W.ids.map((id, i) => [id, i]));
  const ys = [...new Set(years)].sort((a, b) => a - b);
  const nqp = bal.columns.NQP as Float64Array;
  const moranRows = ys.map((y) => {
    const x = new Float64Array(W.ids.length);
    for (let i = 0; i < bal.nrows; i++) if (years[i] === y) x[pos.get(codes[i])!] = nqp[i];
    const m = moranTest(x, W);
    return [String(y), num(m.I), num(m.expectation), num(m.z, 3), `${num(m.pValue, 4)}${stars(m.pValue)}`];
  });
  const moran: Table = {
    title: "Table 7a. Spatial autocorrelation: global Moran's I of NQP by year (queen contiguity, row-standardised)",
    header: ['Year', "Moran's I", 'E[I]', 'z', 'p-value'],
    groups: [moranRows],
    notes: [`${ids.length} cities of the balanced panel; ${W.islands?.length ?? W.neighbours.filter((n) => n.length === 0).length} without contiguity neighbours (islands) keep zero rows. Randomisation inference, one-sided (greater).`],
  };
  const f = parseFormula(`NQP ~ RTA + ${CTRL}`);
  const d = buildDesign(bal, f, { noIntercept: true });
  const sdm = fitSpatialPanel({
    model: 'sdm', y: d.y, yName: 'NQP', X: d.X, names: d.names, W,
    unit: Array.from(d.rows, (r) => codes[r]), time: Array.from(d.rows, (r) => years[r]),
  });
  const coefRows: string[][] = [];
  for (const k of sdm.coefficients) coefRows.push([k.term === 'rho' ? 'ρ (W·NQP)' : k.term.replace(/^lag\./, 'W·'), `${num(k.estimate)}${stars(k.pValue)}`], ['', `(${num(k.stdError)})`]);
  const impacts = sdm.impacts ?? [];
  const sdmTable: Table = {
    title: 'Table 7b. Spatial Durbin panel model with two-way fixed effects (Lee-Yu bias-corrected ML): coefficients',
    header: ['', 'SDM'],
    groups: [coefRows, [['N', String(sdm.nobs)], ['Log-likelihood', num(sdm.fit.logLik, 2)]]],
    notes: ['Standard errors in parentheses. *** p < 0.01, ** p < 0.05, * p < 0.1.', ...sdm.warnings],
  };
  const se = (x?: number) => (x === undefined ? '' : ` (${num(x)})`);
  const impactTable: Table = {
    title: 'Table 7c. Spatial Durbin model: direct, indirect (spillover) and total effects',
    header: ['Variable', 'Direct', 'Indirect', 'Total'],
    groups: [impacts.map((i) => [i.term, `${num(i.direct)}${se(i.directSE)}`, `${num(i.indirect)}${se(i.indirectSE)}`, `${num(i.total)}${se(i.totalSE)}`])],
    notes: ['Impacts of LeSage & Pace (2009), averaged over units; simulated standard errors in parentheses where available.'],
  };
  return { id: 'table7', table: moran, more: [sdmTable, impactTable] };
}

export const PAPER_TABLES: { id: string; label: string; run: (c: PaperContext) => PaperTable | Promise<PaperTable> }[] = [
  { id: 'table1', label: 'Table 1 descriptives', run: table1 },
  { id: 'table2', label: 'Table 2 baseline', run: table2 },
  { id: 'table3', label: 'Table 3 robustness', run: table3 },
  { id: 'table4', label: 'Table 4 dynamic GMM', run: table4 },
  { id: 'table5', label: 'Table 5 mediation', run: table5 },
  { id: 'table6', label: 'Table 6 firm kinds', run: table6 },
  { id: 'table7', label: 'Table 7 spatial', run: table7 },
];
