// The table blocks of a study: a regression table of model specs, three-step mediation per mediator, Moran's I by
// period, and a spatial panel model with its impacts. Each returns Table models in the paper's layout.
import { buildDesign } from '../estimation/design.js';
import { parseFormula } from '../estimation/formula.js';
import { EstimationInputError, type EstimationResult } from '../estimation/result.js';
import type { ModelSpec } from '../estimation/spec.js';
import { fitSpatialPanel, moranTest } from '../estimation/spatial/index.js';
import { storedWeights } from '../jobs/store.js';
import { regressionTableModel } from '../report/regression.js';
import { num, stars, type Table } from '../report/table.js';
import { expandDeep, StudyInputError } from './roles.js';
import type { BlockContext } from './run.js';
import type { MediationBlock, MoranBlock, RegressionBlock, SpatialBlock } from './schema.js';

type Notes = (ns: string[], extra?: Record<string, string>) => string[];

/** A library error on a model, named after the study field. */
async function fitAt(c: BlockContext, spec: ModelSpec, panel: BlockContext['panel'], path: string): Promise<EstimationResult> {
  try {
    return await c.fit(spec, panel);
  } catch (e) {
    if (e instanceof EstimationInputError && !(e instanceof StudyInputError)) throw new StudyInputError(e.message, `${path}${e.field && /^[a-z]+(\.|$)/.test(e.field) ? `.${e.field}` : ''}`);
    throw e;
  }
}

function at(r: EstimationResult, path: string): string {
  let v: unknown = r;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v === undefined || v === null ? '' : String(v);
}

export async function regressionBlockTable(b: RegressionBlock, c: BlockContext, notes: Notes): Promise<Table> {
  const res: EstimationResult[] = [];
  for (const [i, m] of b.models.entries()) {
    const panel = m.data ? await c.panelOf({ sample: { ...b.data?.sample, ...m.data.sample }, rta: { ...b.data?.rta, ...m.data.rta } }) : c.panel;
    res.push(await fitAt(c, m.spec as ModelSpec, panel, `${c.path}.models.${i}.spec`));
  }
  return regressionTableModel(res.map((r, i) => ({ result: r, title: b.models[i].title })), {
    title: b.title,
    terms: b.terms, labels: b.labels, controls: b.controls, fixedEffectRows: b.fixedEffectRows, tests: b.tests, digits: b.digits,
    extraRows: b.extraRows?.map((x) => [x.label, res.map((r) => at(r, x.from))] as [string, string[]]),
    notes: notes(b.notes),
    unitId: c.study.data.panel.id, timeId: c.study.data.panel.time,
  });
}

interface MediationParams { mediator: string; indirect: number; proportionMediated: number | null; bootstrap: { ci: [number, number] | null } | null }

export async function mediationTable(b: MediationBlock, c: BlockContext, notes: Notes): Promise<Table> {
  const res: EstimationResult[] = [];
  for (const [i, m] of b.mediators.entries()) res.push(await fitAt(c, expandDeep(b.spec, { mediator: m }, `${c.path}.spec`, new Set()) as ModelSpec, c.panel, `${c.path}.mediators.${i}`));
  const spec = b.spec as { mediation?: { treatment?: string; outcome?: string } };
  const treatment = spec.mediation?.treatment ?? '', outcome = spec.mediation?.outcome ?? '';
  const p = (r: EstimationResult) => r.params as unknown as MediationParams;
  const coef = (r: EstimationResult, term: string) => {
    const k = r.coefficients.find((x) => x.term === term);
    return k ? [`${num(k.estimate)}${stars(k.pValue)}`, `(${num(k.stdError)})`] : ['', ''];
  };
  const header = ['', ...b.mediators.flatMap((m) => [`${m}: ${outcome}`, `${m}: ${m}`, `${m}: ${outcome}`])];
  const cells = (f: (r: EstimationResult, step: number) => string[]) => res.flatMap((r) => [0, 1, 2].map((s) => f(r, s)));
  const stepTerm = ['total', 'a', 'direct'];
  const tr = cells((r, s) => coef(r, `${stepTerm[s]}/${treatment}`));
  const med = cells((r, s) => (s === 2 ? coef(r, `direct/${p(r).mediator}`) : ['', '']));
  const body: string[][] = [
    [treatment, ...tr.map((x) => x[0])], ['', ...tr.map((x) => x[1])],
    ['Mediator', ...med.map((x) => x[0])], ['', ...med.map((x) => x[1])],
  ];
  const ci = (r: EstimationResult) => p(r).bootstrap?.ci;
  const info: string[][] = [
    ['Indirect effect a×b', ...res.flatMap((r) => ['', '', num(p(r).indirect, 5)])],
    ['Sobel z', ...res.flatMap((r) => ['', '', `${num(r.tests.sobel.statistic, 3)}${stars(r.tests.sobel.pValue)}`])],
    ['Bootstrap 95% CI', ...res.flatMap((r) => ['', '', ci(r) ? `[${num(ci(r)![0], 5)}, ${num(ci(r)![1], 5)}]` : ''])],
    ['Share mediated', ...res.flatMap((r) => ['', '', num(p(r).proportionMediated, 3)])],
    ['Controls / City FE / Year FE', ...res.flatMap(() => ['Yes', 'Yes', 'Yes'])],
    ['N', ...res.flatMap((r) => [String(r.nobs), String(r.nobs), String(r.nobs)])],
  ];
  return { title: b.title, header, groups: [body, info], notes: notes(b.notes, { vcovType: res[0].vcovType }) };
}

/** Unit ids and periods of a panel (the study's id / time columns). */
function unitsAndTimes(c: BlockContext, path: string): { codes: string[]; years: Float64Array } {
  const { id, time } = c.study.data.panel;
  const codes = c.panel.columns[id], years = c.panel.columns[time];
  if (!codes || codes instanceof Float64Array) throw new StudyInputError(`no unit id column '${id}' in the panel`, 'data.panel.id');
  if (!(years instanceof Float64Array)) throw new StudyInputError(`no numeric period column '${time}' in the panel`, `data.panel.time (${path})`);
  return { codes: codes as string[], years };
}

export async function moranTable(b: MoranBlock, c: BlockContext, notes: Notes): Promise<Table> {
  const { codes, years } = unitsAndTimes(c, c.path);
  const v = c.panel.columns[b.variable];
  if (!(v instanceof Float64Array)) throw new StudyInputError(`no numeric variable '${b.variable}' in the panel`, `${c.path}.variable`);
  const ids = [...new Set(codes)].sort();
  const W = await storedWeights(c.db, b.weights, ids);
  const pos = new Map(W.ids.map((id, i) => [id, i]));
  const ys = [...new Set(years)].sort((a, b2) => a - b2);
  const rows = ys.map((y) => {
    const x = new Float64Array(W.ids.length);
    for (let i = 0; i < c.panel.nrows; i++) if (years[i] === y) x[pos.get(codes[i])!] = v[i];
    const m = moranTest(x, W);
    return [String(y), num(m.I), num(m.expectation), num(m.z, 3), `${num(m.pValue, 4)}${stars(m.pValue)}`];
  });
  const islands = W.islands?.length ?? W.neighbours.filter((n) => n.length === 0).length;
  return {
    title: b.title,
    header: ['Year', "Moran's I", 'E[I]', 'z', 'p-value'],
    groups: [rows],
    notes: notes(b.notes, { n: String(ids.length), islands: String(islands) }),
  };
}

export async function spatialTables(b: SpatialBlock, c: BlockContext, notes: Notes): Promise<Table[]> {
  const { codes, years } = unitsAndTimes(c, c.path);
  const ids = [...new Set(codes)].sort();
  const W = await storedWeights(c.db, b.weights, ids);
  let fit: EstimationResult;
  const f = parseFormula(b.formula);
  try {
    const d = buildDesign(c.panel, f, { noIntercept: true });
    fit = fitSpatialPanel({
      model: b.model, y: d.y, yName: f.lhsName, X: d.X, names: d.names, W,
      unit: Array.from(d.rows, (r) => codes[r]), time: Array.from(d.rows, (r) => years[r]),
    });
  } catch (e) {
    if (e instanceof EstimationInputError) throw new StudyInputError(e.message, `${c.path}.formula`);
    throw e;
  }
  const coefRows: string[][] = [];
  for (const k of fit.coefficients) coefRows.push([k.term === 'rho' ? `ρ (W·${f.lhsName})` : k.term.replace(/^lag\./, 'W·'), `${num(k.estimate)}${stars(k.pValue)}`], ['', `(${num(k.stdError)})`]);
  const coefTable: Table = {
    title: b.title,
    header: ['', b.column ?? b.model.toUpperCase()],
    groups: [coefRows, [['N', String(fit.nobs)], ['Log-likelihood', num(fit.fit.logLik, 2)]]],
    notes: [...notes(b.notes), ...fit.warnings],
  };
  const se = (x?: number) => (x === undefined ? '' : ` (${num(x)})`);
  const impacts = fit.impacts ?? [];
  if (!impacts.length || !b.impactsTitle) return [coefTable];
  return [coefTable, {
    title: b.impactsTitle,
    header: ['Variable', 'Direct', 'Indirect', 'Total'],
    groups: [impacts.map((i) => [i.term, `${num(i.direct)}${se(i.directSE)}`, `${num(i.indirect)}${se(i.indirectSE)}`, `${num(i.total)}${se(i.totalSE)}`])],
    notes: notes(b.impactsNotes),
  }];
}
