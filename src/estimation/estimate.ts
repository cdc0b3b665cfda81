// One entry point for every estimator: validates the spec, builds the sample from formula + frame and dispatches
// to the linear/panel core, mediation, GMM (./gmm) or spatial ML (./spatial).
import { ModelSpec, ModelSpecSchema } from './spec.js';
import { EstimationInputError, EstimationResult } from './result.js';
import { DataFrame, Evaluator, PanelIndex, evalWhere, factorCodes, numericColumn } from './frame.js';
import { Expr, ParsedFormula, exprName, instrumentSpec, parseExpression, parseFormula } from './formula.js';
import { buildDesign, DesignOptions } from './design.js';
import { fitPooled, fitWithin, fitFirstDiff, fitBetween, fitRandom, hausman, LinearModel } from './panel.js';
import { VcovOption } from './vcov.js';
import { fitMediation } from './mediation.js';
import { fitGmm, type GmmInput } from './gmm/index.js';
import { fitSpatial, type SpatialWeights } from './spatial/index.js';
import { fromColumns, column } from './linalg.js';

export interface EstimateContext {
  /** spatial weights for sar / sem / sdm / slx (the CLI builds them from spec.weights.geojson) */
  weights?: SpatialWeights;
}

const PANEL_ESTIMATORS = new Set(['re', 'fd', 'between', 'diff_gmm', 'sys_gmm']);

/** Validates a spec with zod; the error names the field by its path (e.g. `vcov.cluster`). */
export function validateSpec(spec: unknown): ModelSpec {
  const r = ModelSpecSchema.safeParse(spec);
  if (r.success) return r.data;
  // for a union (e.g. vcov: 'iid' | {cluster}) report the branch that got furthest into the input
  type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };
  const deepest = (issue: Issue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string } => {
    const here = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union' || !issue.errors?.length) return { path: here, message: issue.message };
    const cands = issue.errors.flat().map((i) => deepest(i, here));
    const wrongType = (m: string) => /expected (object|string|one of)/.test(m);
    cands.sort((a, b) => b.path.length - a.path.length || Number(wrongType(a.message)) - Number(wrongType(b.message)));
    return cands[0] ?? { path: here, message: issue.message };
  };
  const { path: p, message } = deepest(r.error.issues[0] as unknown as Issue, []);
  const path = p.map(String).join('.') || '(spec)';
  throw new EstimationInputError(`invalid spec at '${path}': ${message}`, path);
}

function requireFormula(spec: ModelSpec): ParsedFormula {
  if (!spec.formula) throw new EstimationInputError(`estimator '${spec.estimator}' needs a formula`, 'formula');
  return parseFormula(spec.formula);
}

function requirePanel(spec: ModelSpec): { id: string; time: string } {
  if (!spec.panel) throw new EstimationInputError(`estimator '${spec.estimator}' needs panel {id, time}`, 'panel');
  return spec.panel;
}

/** Fixed-effect column names from the formula's `| a + b` part and from `effects` (with the panel). */
function fixedEffectNames(spec: ModelSpec, f: ParsedFormula): string[] {
  if (f.parts.length > 1) throw new EstimationInputError(`formula has ${f.parts.length + 1} parts separated by '|'; only GMM estimators take a second part`, 'formula');
  const names: string[] = [];
  for (const e of f.parts[0] ?? []) {
    if (e.kind !== 'var') throw new EstimationInputError(`fixed effect '${exprName(e)}' after '|' must be a column name`, 'formula');
    names.push(e.name);
  }
  const effects = spec.effects ?? (spec.estimator === 'fe' && !names.length ? 'individual' : undefined);
  if (effects) {
    const p = requirePanel(spec);
    if (effects === 'individual' || effects === 'twoways') names.unshift(p.id);
    if (effects === 'time' || effects === 'twoways') names.splice(effects === 'twoways' ? 1 : 0, 0, p.time);
  }
  return [...new Set(names)];
}

function vcovOf(spec: ModelSpec): VcovOption {
  return (spec.vcov ?? 'iid') as VcovOption;
}

function clusterNames(spec: ModelSpec): string[] {
  return spec.vcov && typeof spec.vcov === 'object' ? spec.vcov.cluster : [];
}

/** Estimates the model a spec describes on a data frame. Throws EstimationInputError for user errors. */
export function estimate(specIn: ModelSpec | unknown, frame: DataFrame, ctx: EstimateContext = {}): EstimationResult {
  const spec = validateSpec(specIn);
  const est = spec.estimator;
  if (PANEL_ESTIMATORS.has(est)) requirePanel(spec);
  switch (est) {
    case 'ols':
    case 'fe':
    case 're':
    case 'fd':
    case 'between':
      return linear(spec, frame).result;
    case 'mediation':
      return mediation(spec, frame);
    case 'diff_gmm':
    case 'sys_gmm':
      return gmm(spec, frame);
    case 'sar':
    case 'sem':
    case 'sdm':
    case 'slx':
      return spatial(spec, frame, ctx);
  }
}

/** The linear and panel estimators (ols, fe, re, fd, between); returns the model with its covariance matrix. */
export function linear(spec: ModelSpec, frame: DataFrame): LinearModel {
  const f = requireFormula(spec);
  const est = spec.estimator;
  const fe = est === 'ols' || est === 'fe' ? fixedEffectNames(spec, f) : [];
  if (est !== 'ols' && est !== 'fe') {
    if (f.parts.length) throw new EstimationInputError(`estimator '${est}' does not absorb fixed effects: remove the '|' part of the formula`, 'formula');
    if (spec.effects && spec.effects !== 'individual') throw new EstimationInputError(`estimator '${est}' supports effects 'individual' only`, 'effects');
  }
  const opts: DesignOptions = { panel: spec.panel, where: spec.sample?.where, fixedEffects: fe, clusters: clusterNames(spec), noIntercept: fe.length > 0 };
  const d = buildDesign(frame, f, opts);
  // plm refuses duplicate (id, time) couples for its panel estimators; the check sorts the panel once
  if (d.panel && (est === 're' || est === 'fd' || est === 'between' || spec.effects)) void d.panel.order;
  const vcov = vcovOf(spec);
  switch (est) {
    case 'ols':
    case 'fe':
      // the design is not used after the fit: demean its columns in place (no copies of 10M-row columns)
      return fe.length ? fitWithin(d, d.fixedEffects, { vcov, estimator: est, inPlace: true }) : fitPooled(d, { vcov, estimator: est });
    case 'fd':
      return fitFirstDiff(d, { vcov, gaps: spec.fdGaps });
    case 'between':
      return fitBetween(d, { vcov });
    case 're': {
      const re = fitRandom(d, { vcov });
      // Hausman within vs random on the default (iid) covariances, as plm::phtest
      try {
        const within = fitWithin(d, [d.id!], { vcov: 'iid' });
        const reIid = vcov === 'iid' ? re : fitRandom(d, { vcov: 'iid' });
        re.result.tests.hausman = hausman(within, reIid);
      } catch (e) {
        if (!(e instanceof EstimationInputError)) throw e;
        re.result.warnings.push(`Hausman test not computed: ${e.message}`);
      }
      return re;
    }
    default:
      throw new EstimationInputError(`estimator '${est}' is not linear`, 'estimator');
  }
}

function mediation(spec: ModelSpec, frame: DataFrame): EstimationResult {
  const m = spec.mediation;
  if (!m) throw new EstimationInputError(`estimator 'mediation' needs spec.mediation {treatment, mediator, outcome}`, 'mediation');
  const fe: string[] = [];
  if (spec.formula) {
    const f = parseFormula(spec.formula);
    fe.push(...fixedEffectNames({ ...spec, estimator: 'ols' }, f));
  } else if (spec.effects) fe.push(...fixedEffectNames({ ...spec, estimator: 'ols' }, { lhs: { kind: 'num', value: 0 }, lhsName: '', terms: [], intercept: true, parts: [] }));
  return fitMediation(frame, {
    ...m, vcov: vcovOf(spec), panel: spec.panel, fixedEffects: fe, where: spec.sample?.where,
  });
}

/** Integer codes of the panel id and integer time per row (GMM input). */
function gmmPanel(frame: DataFrame, p: { id: string; time: string }) {
  const id = factorCodes(frame, p.id, 'panel.id').codes;
  const time = numericColumn(frame, p.time, 'panel.time');
  for (let i = 0; i < frame.nrows; i++)
    if (Number.isFinite(time[i]) && !Number.isInteger(time[i])) throw new EstimationInputError(`panel time '${p.time}' must be integer for GMM (row ${i + 1}: ${time[i]})`, 'panel.time');
  return { id, time };
}

function gmm(spec: ModelSpec, frame: DataFrame): EstimationResult {
  const f = requireFormula(spec);
  const p = requirePanel(spec);
  const panel = new PanelIndex(frame, p.id, p.time);
  const ev = new Evaluator(frame, panel);
  const { id, time } = gmmPanel(frame, p);
  const g = spec.gmm ?? {};
  let instExprs: Expr[] = f.parts[0] ?? [];
  if (g.instruments?.length) instExprs = g.instruments.map((s) => parseExpression(s, 'gmm.instruments'));
  if (!instExprs.length) throw new EstimationInputError(`GMM needs instruments: 'y ~ ... | lag(y, 2:99)' or gmm.instruments`, 'gmm.instruments');
  let ivExprs: Expr[] | undefined = f.parts[1];
  if (g.ivInstruments) ivExprs = g.ivInstruments.map((s) => parseExpression(s, 'gmm.ivInstruments'));
  if (f.parts.length > 2) throw new EstimationInputError(`GMM formula takes at most 'y ~ x | gmm instruments | iv instruments'`, 'formula');
  // rows outside sample.where are blanked (NaN), so lags computed above still see them (as Stata's `if`)
  const keep = spec.sample?.where ? evalWhere(frame, spec.sample.where, panel) : null;
  const sel = (v: Float64Array) => (keep ? v.map((x, i) => (keep[i] ? x : NaN)) : v);
  const input: GmmInput = {
    id, time,
    y: sel(ev.eval(f.lhs, f.lhsName)),
    yName: f.lhsName,
    regressors: f.terms.map((t) => ({ name: t.name, values: sel(ev.evalProduct(t.factors, t.name)) })),
    gmmInstruments: instExprs.map((e) => {
      const s = instrumentSpec(e, 'gmm.instruments');
      return { name: s.name, values: ev.eval(s.base, s.name), minLag: s.minLag, maxLag: s.maxLag };
    }),
    ivInstruments: ivExprs?.map((e) => ({ name: exprName(e), values: ev.eval(e, exprName(e)) })),
    transformation: spec.estimator === 'sys_gmm' ? 'ld' : 'd',
    steps: g.steps ?? 1,
    collapse: g.collapse ?? false,
    timeDummies: g.timeDummies ?? (spec.effects ? spec.effects === 'twoways' : true),
  };
  return fitGmm(input);
}

function spatial(spec: ModelSpec, frame: DataFrame, ctx: EstimateContext): EstimationResult {
  const f = requireFormula(spec);
  if (f.parts.length) throw new EstimationInputError(`spatial models do not absorb fixed effects: remove the '|' part`, 'formula');
  const W = ctx.weights;
  if (!W) throw new EstimationInputError(`estimator '${spec.estimator}' needs spatial weights (spec.weights with a geojson file)`, 'weights');
  const idName = spec.weights?.id;
  if (!idName) throw new EstimationInputError(`spec.weights.id must name the column that matches the weights' ids`, 'weights.id');
  const idCol = frame.columns[idName];
  if (!idCol) throw new EstimationInputError(`unknown column '${idName}' in weights.id`, 'weights.id');
  const d = buildDesign(frame, f, { where: spec.sample?.where });
  const rowOf = new Map<string, number>();
  d.rows.forEach((r, i) => {
    const v = idCol[r];
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) return;
    const key = String(v);
    if (rowOf.has(key)) throw new EstimationInputError(`duplicate id '${key}' in column '${idName}' (spatial models take one row per unit)`, 'weights.id');
    rowOf.set(key, i);
  });
  const missingData = W.ids.filter((s) => !rowOf.has(s));
  const wSet = new Set(W.ids);
  const missingW = [...rowOf.keys()].filter((s) => !wSet.has(s));
  const list = (a: string[]) => a.slice(0, 10).join(', ') + (a.length > 10 ? `, ... (${a.length})` : '');
  if (missingData.length)
    throw new EstimationInputError(`ids in the weights with no complete data row (${idName}): ${list(missingData)}`, 'weights.id');
  if (missingW.length) throw new EstimationInputError(`ids in the data missing from the weights (${idName}): ${list(missingW)}`, 'weights.id');
  const order = W.ids.map((s) => rowOf.get(s)!);
  const y = Float64Array.from(order, (i) => d.y[i]);
  const X = fromColumns(d.names.map((_, j) => { const c = column(d.X, j); return Float64Array.from(order, (i) => c[i]); }), order.length);
  const result = fitSpatial(spec.estimator as 'sar' | 'sem' | 'sdm' | 'slx', { y, yName: d.yName, X, names: d.names, W }, { logdet: spec.logdet });
  if (d.nobsDropped) result.warnings.push(`${d.nobsDropped} rows with missing values dropped`);
  return result;
}
