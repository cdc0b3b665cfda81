// The analyst's estimate on the stored panel: a request (model spec + level + sample rules + RTA options) is checked,
// the panel assembled by the domain layer, spatial weights read from the store, and the pure estimation library run
// on the result (in a worker thread, see pool.ts). Errors name the request field (`spec.gmm.instruments`, ...).
import { createHash } from 'node:crypto';
import type { Db } from '../db/db.js';
import { cityPanel, dataVersion, DomainInputError, firmPanel, type Panel, type RtaOptions, type SampleSpec } from '../domain/index.js';
import { estimate, validateSpec } from '../estimation/estimate.js';
import { buildDesign } from '../estimation/design.js';
import { evalWhere, PanelIndex } from '../estimation/frame.js';
import { parseFormula } from '../estimation/formula.js';
import { EstimationInputError, type EstimationResult } from '../estimation/result.js';
import type { ModelSpec } from '../estimation/spec.js';
import type { SpatialWeights } from '../estimation/spatial/index.js';
import type { RuleReport } from '../domain/sample.js';
import { storedWeights } from './store.js';

export type Level = 'city' | 'firm';

/** What an estimate on the stored data needs: the model spec plus how to build the panel. */
export interface AnalysisRequest {
  /** the ModelSpec (src/estimation/spec.ts); `weights` need only {type, k, km, style}: the store provides them */
  spec: Record<string, unknown>;
  level?: Level;
  /** the domain's sample rules (docs/domain.md section 4) */
  sampleRules?: SampleSpec;
  rta?: RtaOptions;
}

export interface AnalysisResult extends EstimationResult {
  level: Level;
  sampleReport: RuleReport[];
  dataVersion: number;
  cacheKey: string;
}

/** A user error with the dotted path of the request field at fault. */
export class AnalysisInputError extends EstimationInputError {
  constructor(message: string, public readonly path: string) {
    super(message, path);
    this.name = 'AnalysisInputError';
  }
}

const SPATIAL = new Set(['sar', 'sem', 'sdm', 'slx']);
const SPEC_KEYS = new Set(['estimator', 'formula', 'panel', 'effects', 'fdGaps', 'vcov', 'gmm', 'weights', 'logdet', 'mediation', 'sample']);

/** Maps a library error onto the request field it concerns. */
export function requestPath(e: EstimationInputError, estimator?: unknown): string {
  if (e instanceof AnalysisInputError) return e.path;
  if (e instanceof DomainInputError) {
    const f = e.field ?? 'sample';
    if (f.startsWith('sample.') || f === 'sample') return `sampleRules${f.slice('sample'.length)}`;
    if (f.startsWith('rta')) return f;
    // the NQP window is the sample's
    if (f === 'nqp.years') return 'sampleRules.years';
    return `sampleRules.${f}`;
  }
  const f = e.field ?? '';
  if (SPEC_KEYS.has(f.split('.')[0])) return `spec.${f}`;
  if (/\bwhere\b/.test(e.message)) return 'spec.sample.where';
  // anything else names a column or term: of the mediation variables, or of the formula
  return estimator === 'mediation' || /mediation|treatment|mediator|outcome/.test(e.message) ? 'spec.mediation' : 'spec.formula';
}

function fail(path: string, message: string): never {
  throw new AnalysisInputError(`${message}`, path);
}

/** Validates the spec (zod + the checks the library would only make after the panel is built). */
export function checkRequest(req: AnalysisRequest): { spec: ModelSpec; level: Level } {
  const level = req.level ?? 'city';
  if (level !== 'city' && level !== 'firm') fail('level', `must be CITY or FIRM, got ${String(level)}`);
  let spec: ModelSpec;
  try {
    spec = validateSpec(req.spec);
  } catch (e) {
    if (e instanceof EstimationInputError) fail(`spec.${e.field === '(spec)' ? '' : e.field}`.replace(/\.$/, ''), e.message);
    throw e;
  }
  if (spec.gmm?.instruments?.length && !spec.panel) fail('spec.gmm.instruments', 'GMM instruments are lags within a panel: give spec.panel {id, time}');
  if ((spec.estimator === 'diff_gmm' || spec.estimator === 'sys_gmm' || spec.estimator === 're' || spec.estimator === 'fd' || spec.estimator === 'between') && !spec.panel)
    fail('spec.panel', `estimator '${spec.estimator}' needs panel {id, time}`);
  if (spec.formula) {
    try { parseFormula(spec.formula); } catch (e) { if (e instanceof EstimationInputError) fail('spec.formula', e.message); throw e; }
  }
  if (SPATIAL.has(spec.estimator)) {
    if (!spec.weights) fail('spec.weights', `estimator '${spec.estimator}' needs weights {type: QUEEN | ROOK | KNN | DISTANCE}`);
    if (spec.weights.geojson) fail('spec.weights.geojson', 'the stored panel uses the stored city contiguity; leave geojson out');
    if (level !== 'city') fail('level', 'spatial estimators run on the city panel (level CITY)');
  }
  return { spec, level };
}

/** Stable JSON (sorted keys) for hashing. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

export async function cacheKey(db: Db, req: AnalysisRequest): Promise<{ key: string; dataVersion: number }> {
  const v = await dataVersion(db);
  const key = createHash('sha256').update(canonical({ v, level: req.level ?? 'city', spec: req.spec, sampleRules: req.sampleRules ?? null, rta: req.rta ?? null })).digest('hex');
  return { key, dataVersion: v };
}

/** The panel of a request, with domain errors mapped to request fields. */
export async function buildPanel(db: Db, level: Level, req: Pick<AnalysisRequest, 'sampleRules' | 'rta'>): Promise<Panel> {
  try {
    const o = { sample: req.sampleRules, rta: req.rta };
    return level === 'firm' ? await firmPanel(db, o) : await cityPanel(db, o);
  } catch (e) {
    if (e instanceof EstimationInputError) fail(requestPath(e), e.message);
    throw e;
  }
}

export interface PreparedEstimate {
  spec: ModelSpec;
  level: Level;
  panel: Panel;
  weights?: SpatialWeights;
  /** what the store's missing values (NULL) removed from the estimation sample */
  warnings: string[];
}

/** Per panel variable named in the spec: rows (within sample.where) where it is missing, hence dropped. */
function missingWarnings(panel: Panel, spec: ModelSpec): string[] {
  const text = [spec.formula ?? '', ...Object.values(spec.mediation ?? {}).flat().filter((x) => typeof x === 'string')].join(' ');
  let keep: ArrayLike<boolean | number> | null = null;
  try {
    keep = spec.sample?.where ? evalWhere(panel, spec.sample.where, spec.panel ? new PanelIndex(panel, spec.panel.id, spec.panel.time) : undefined) : null;
  } catch { return []; }
  const out: string[] = [];
  for (const [name, c] of Object.entries(panel.columns)) {
    if (!(c instanceof Float64Array) || !new RegExp(`(^|[^A-Za-z0-9_.])${name}($|[^A-Za-z0-9_])`).test(text)) continue;
    let n = 0;
    for (let i = 0; i < c.length; i++) if ((!keep || keep[i]) && !Number.isFinite(c[i])) n++;
    if (n) out.push(`${name}: ${n} of ${keep ? Array.from(keep).filter(Boolean).length : c.length} panel rows missing (NULL in the store), dropped from the estimation sample`);
  }
  return out;
}

/** Builds everything an estimate needs from the store; the estimate itself is `runPrepared` (pure). */
export async function prepareEstimate(db: Db, req: AnalysisRequest): Promise<PreparedEstimate> {
  const { spec: checked, level } = checkRequest(req);
  const spec: ModelSpec = { ...checked };
  const panel = await buildPanel(db, level, req);
  if (panel.nrows === 0) {
    const cut = panel.report.filter((r) => r.rowsDropped > 0).map((r) => `${r.rule} dropped ${r.rowsDropped}`).join(', ');
    fail('sampleRules', `no observation left after the sample rules${cut ? ` (${cut})` : ''}`);
  }
  // firm level (equation (1)): firm, industry and year effects unless the spec chose its own
  if (level === 'firm' && (spec.estimator === 'ols' || spec.estimator === 'fe') && spec.formula && !spec.formula.includes('|') && !spec.effects) {
    spec.formula = `${spec.formula} | firm + industry + year`;
  }
  let weights: SpatialWeights | undefined;
  if (SPATIAL.has(spec.estimator) && spec.weights) {
    let keep: Uint8Array | boolean[] | null = null;
    try {
      keep = spec.sample?.where ? evalWhere(panel, spec.sample.where, spec.panel ? new PanelIndex(panel, spec.panel.id, spec.panel.time) : undefined) : null;
    } catch (e) {
      if (e instanceof EstimationInputError) fail('spec.sample.where', e.message);
      throw e;
    }
    // rows missing a formula variable (NULL in the store) leave the weights too; the estimator reports them dropped
    if (spec.formula) {
      try {
        const complete = new Set(buildDesign(panel, parseFormula(spec.formula), { where: spec.sample?.where }).rows);
        const k0 = keep;
        keep = Array.from({ length: panel.nrows }, (_, i) => complete.has(i) && (!k0 || Boolean(k0[i])));
      } catch (e) {
        if (!(e instanceof EstimationInputError)) throw e; // the estimator names the same error later
      }
    }
    const codes = panel.columns.city as (string | null)[];
    const ids = [...new Set(codes.filter((c, i) => c !== null && (!keep || keep[i])) as string[])].sort();
    if (ids.length !== codes.filter((c, i) => c !== null && (!keep || keep[i])).length)
      fail('spec.sample.where', `spatial estimators take one row per city: restrict the sample to one year, e.g. "year == 2019"`);
    try {
      weights = await storedWeights(db, spec.weights, ids);
    } catch (e) {
      if (e instanceof EstimationInputError) fail(`spec.weights${e.field && e.field !== 'weights' && e.field !== 'codes' ? `.${e.field}` : ''}`, e.message);
      throw e;
    }
    spec.weights = { ...spec.weights, id: 'city' };
  }
  return { spec, level, panel, weights, warnings: missingWarnings(panel, spec) };
}

/** The pure part: the estimation library on a prepared frame (what the worker threads run). */
export function runPrepared(spec: ModelSpec, frame: Parameters<typeof estimate>[1], weights?: SpatialWeights): EstimationResult {
  return estimate(spec, frame, { weights });
}

/** Prepare + run on this thread (the library path the worker path must equal). */
export async function estimateOnStore(db: Db, req: AnalysisRequest): Promise<AnalysisResult> {
  const { key, dataVersion: v } = await cacheKey(db, req);
  const p = await prepareEstimate(db, req);
  let r: EstimationResult;
  try {
    r = runPrepared(p.spec, p.panel, p.weights);
  } catch (e) {
    if (e instanceof EstimationInputError) fail(requestPath(e, p.spec.estimator), e.message);
    throw e;
  }
  return { ...r, warnings: [...p.warnings, ...r.warnings], level: p.level, sampleReport: p.panel.report, dataVersion: v, cacheKey: key };
}
