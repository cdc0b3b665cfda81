// Analysis API: thin adapters from GraphQL arguments to the domain layer (indices, NQP, firm kinds), the estimate
// service and job manager (src/jobs) and the table renderers (src/report). User errors → BAD_USER_INPUT naming the
// argument path (`spec.gmm.instruments`, `specs.1.formula`, `options.variance`).
import { Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { describe } from '../estimation/describe.js';
import { EstimationInputError } from '../estimation/result.js';
import { DEFAULT_RULE_SET, DomainInputError, ensureClassified, cityAgglomeration, nqpWeights, type RtaOptions } from '../domain/index.js';
import { buildPanel, requestPath, type AnalysisRequest, type AnalysisResult } from '../jobs/analysis.js';
import { jobManager, type Job as JobRecord } from '../jobs/manager.js';
import { cityFirmKinds } from '../jobs/store.js';
import { regressionTable, regressionTableModel } from '../report/index.js';
import { tablesToDocx } from '../report/docx.js';
import { StudyInputError } from '../studies/roles.js';
import {
  AgglomerationFilter, AgglomerationIndex, AgglomerationValue, DescriptiveRow, EstimateResult, FirmKindResult, Job, JobStatusEnum,
  JSONScalar, ModelSpecInput, NqpWeightsResult, PanelLevel, RtaOptionsInput, SampleRulesInput, StudyJob, TableFormat,
} from '../schema/analysis.js';
import { City, Firm } from '../schema/types.js';
import { analysisLoaders } from './analysisLoaders.js';
import { badInput } from './errors.js';
import type { Context } from './loaders.js';
import { checkCode, checkYear } from './validate.js';
import { requireRole } from '../auth/roles.js';

/** Drops null / undefined recursively and turns input class instances into plain objects. */
function plain<T>(v: T): T {
  if (Array.isArray(v)) return v.map(plain) as T;
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) o[k] = plain(x);
    return o as T;
  }
  return v;
}

/** GraphQL ModelSpecInput → the estimate service's request (the JSON ModelSpec + panel options). */
export function toRequest(input: ModelSpecInput, arg = 'spec'): AnalysisRequest {
  const s = plain(input) as ModelSpecInput;
  const spec: Record<string, unknown> = {
    estimator: s.estimator, formula: s.formula, panel: s.panel, effects: s.effects, fdGaps: s.fdGaps, gmm: s.gmm, mediation: s.mediation,
    logdet: s.logdet,
  };
  if (s.vcov) {
    if (s.vcov.cluster?.length) spec.vcov = { cluster: s.vcov.cluster, ...(s.vcov.smallSample ? { smallSample: s.vcov.smallSample } : {}) };
    else if (s.vcov.type === 'cluster') throw badInput(`${arg}.vcov.cluster`, "type 'cluster' needs the cluster variables");
    else if (s.vcov.type) spec.vcov = s.vcov.type;
  }
  if (s.weights) spec.weights = { ...s.weights, type: String(s.weights.type).toLowerCase() };
  const { where, keepNqpOutliers, noWinsorize, years, ...rules } = (s.sample ?? {}) as SampleRulesInput;
  if (where) spec.sample = { where };
  const sampleRules: Record<string, unknown> = { ...rules };
  if (keepNqpOutliers) sampleRules.nqpOutlierK = null;
  if (noWinsorize) sampleRules.winsorize = null;
  if (years) sampleRules.years = years;
  for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
  return { spec, level: s.level ?? PanelLevel.CITY, sampleRules, rta: s.rta as RtaOptions | undefined };
}

/** Request path (src/jobs/analysis.ts) → argument path of the GraphQL input. */
function argumentPath(path: string, arg: string): string {
  if (path.startsWith('spec')) return `${arg}${path.slice(4)}`;
  if (path.startsWith('sampleRules')) return `${arg}.sample${path.slice('sampleRules'.length)}`;
  return `${arg}.${path}`;
}

function userError(e: unknown, arg: string): never {
  if (e instanceof EstimationInputError) throw badInput(argumentPath(requestPath(e), arg), e.message);
  throw e;
}

const fin = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function toEstimateResult(r: AnalysisResult): EstimateResult {
  return {
    estimator: r.estimator,
    level: r.level as PanelLevel,
    nobs: r.nobs,
    ngroups: r.ngroups,
    dfResid: fin(r.dfResid),
    vcovType: r.vcovType,
    coefficients: r.coefficients.map((c) => ({ term: c.term, estimate: c.estimate, stdError: fin(c.stdError), statistic: fin(c.statistic), pValue: fin(c.pValue) })) as EstimateResult['coefficients'],
    fit: Object.fromEntries(Object.entries(r.fit).map(([k, v]) => [k, fin(v)])) as unknown as EstimateResult['fit'],
    params: { rho: fin(r.params.rho), lambda: fin(r.params.lambda), theta: fin(r.params.theta), all: r.params },
    tests: Object.entries(r.tests).map(([name, t]) => ({ name, statistic: fin(t.statistic), pValue: fin(t.pValue), df: fin(t.df) })),
    impacts: r.impacts?.map((i) => ({ term: i.term, direct: i.direct, indirect: i.indirect, total: i.total, directSE: fin(i.directSE), indirectSE: fin(i.indirectSE), totalSE: fin(i.totalSE) })) ?? null,
    warnings: r.warnings,
    sampleReport: r.sampleReport.map((x) => ({ ...x, valuesChanged: x.valuesChanged ?? null, upstream: x.upstream ?? null })),
    dataVersion: r.dataVersion,
    raw: r,
  };
}

export function toJob(j: JobRecord): Job {
  return {
    id: j.id, status: j.status as Job['status'], progress: j.progress, cached: j.cached,
    result: j.result ? toEstimateResult(j.result) : null,
    error: j.error ? { message: j.error.message, field: j.error.path ? argumentPath(j.error.path, 'spec') : null, limit: j.error.limit ?? null } : null,
    submittedAt: j.submittedAt.toISOString(), finishedAt: j.finishedAt?.toISOString() ?? null, attempts: j.attempts,
  };
}

function toStudyJob(j: JobRecord): StudyJob {
  const r = j.study;
  return {
    id: j.id, status: j.status as StudyJob['status'], progress: j.progress, cached: j.cached,
    error: j.error ? { message: j.error.message, field: j.error.path ?? null, limit: j.error.limit ?? null } : null,
    title: r?.title ?? null, tables: r?.tables ?? null, reportMarkdown: r?.reportMarkdown ?? null, docx: r?.docx ?? null,
    submittedAt: j.submittedAt.toISOString(), finishedAt: j.finishedAt?.toISOString() ?? null, attempts: j.attempts,
  };
}

/** RTA options with domain errors named after the GraphQL argument. */
function rtaArg(arg: string, o?: RtaOptionsInput | null): RtaOptions | undefined {
  return o ? (plain(o) as RtaOptions) : undefined;
}

function domainError(e: unknown, arg: string): never {
  if (e instanceof DomainInputError) {
    const f = e.field ?? '';
    throw badInput(f.startsWith('rta') ? `${arg}${f.slice(3)}` : f.startsWith('agglomeration.rta') ? `${arg}${f.slice('agglomeration.rta'.length)}` : `${arg}.${f}`, e.message);
  }
  throw e;
}

const INDEX_FIELD: Record<AgglomerationIndex, 'rta' | 'entropy' | 'invHhi' | 'eg' | 'q1' | 'q2' | 'q3'> = {
  RTA: 'rta', ENTROPY: 'entropy', INV_HHI: 'invHhi', EG: 'eg', Q1: 'q1', Q2: 'q2', Q3: 'q3',
};

@Resolver(() => City)
export class AnalysisCityResolver {
  @FieldResolver(() => Float, { nullable: true, description: 'RTA = 1/Var(Q1,Q2,Q3) of the city-year (options: docs/domain.md); null when not stored or undefined under the options.' })
  async rta(
    @Root() city: City, @Ctx() ctx: Context,
    @Arg('year', () => Int) year: number,
    @Arg('options', () => RtaOptionsInput, { nullable: true }) options?: RtaOptionsInput,
  ): Promise<number | null> {
    checkYear('year', year);
    try {
      return (await analysisLoaders(ctx).measures(city.code, year, rtaArg('options', options)))?.rta ?? null;
    } catch (e) { domainError(e, 'options'); }
  }

  @FieldResolver(() => Float, { nullable: true, description: 'New quality productivity: entropy-weight composite (weights pooled over all years).' })
  async nqp(@Root() city: City, @Ctx() ctx: Context, @Arg('year', () => Int) year: number): Promise<number | null> {
    checkYear('year', year);
    return analysisLoaders(ctx).nqp(city.code, year);
  }
}

@Resolver(() => FirmKindResult)
export class FirmKindResolver {
  @FieldResolver(() => Firm)
  async firm(@Root() r: FirmKindResult, @Ctx() ctx: Context): Promise<Firm> {
    return (await ctx.loaders.firm(r.firmId)) as Firm;
  }
}

@Resolver(() => AgglomerationValue)
export class AgglomerationValueResolver {
  @FieldResolver(() => City)
  async city(@Root() r: AgglomerationValue, @Ctx() ctx: Context): Promise<City> {
    return (await ctx.loaders.city(r.cityCode)) as City;
  }
}

@Resolver()
export class AnalysisResolver {
  @Query(() => [AgglomerationValue], { description: 'Per-city value of RTA or an alternative index in a year, ordered by city code.' })
  async agglomeration(
    @Ctx() ctx: Context,
    @Arg('year', () => Int) year: number,
    @Arg('index', () => AgglomerationIndex, { defaultValue: AgglomerationIndex.RTA }) index: AgglomerationIndex,
    @Arg('filter', () => AgglomerationFilter, { nullable: true }) filter?: AgglomerationFilter,
    @Arg('rta', () => RtaOptionsInput, { nullable: true, description: 'options of RTA' }) rta?: RtaOptionsInput,
  ): Promise<AgglomerationValue[]> {
    checkYear('year', year);
    filter?.code?.forEach((c) => checkCode('filter.code', c));
    let rows;
    try {
      rows = (await cityAgglomeration(ctx.db, { rta: rtaArg('rta', rta) })).rows.filter((r) => r.year === year);
    } catch (e) { domainError(e, 'rta'); }
    if (filter?.code?.length) rows = rows.filter((r) => filter.code!.includes(r.cityCode));
    if (filter?.province?.length || filter?.region?.length) {
      const cities = await Promise.all(rows.map((r) => ctx.loaders.city(r.cityCode)));
      rows = rows.filter((_, i) => {
        const c = cities[i];
        return c && (!filter.province?.length || (c.province !== null && filter.province.includes(c.province))) && (!filter.region?.length || filter.region.includes(c.region as never));
      });
    }
    const f = INDEX_FIELD[index];
    return rows
      .sort((a, b) => (a.cityCode < b.cityCode ? -1 : 1))
      .map((r) => ({
        cityCode: r.cityCode, year: r.year, q1: r.q1, q2: r.q2, q3: r.q3, value: r[f] ?? null,
        note: f === 'rta' ? r.rtaNote : r[f] === null ? 'undefined: no firm of any kind in the city-year (or year)' : null,
      }) as AgglomerationValue);
  }

  @Query(() => NqpWeightsResult, { description: 'Entropy weights of the NQP indicators: pooled over all years, or estimated within `year`.' })
  async nqpWeights(@Ctx() ctx: Context, @Arg('year', () => Int, { nullable: true }) year?: number): Promise<NqpWeightsResult> {
    if (year !== undefined && year !== null) checkYear('year', year);
    let w;
    try {
      w = await nqpWeights(ctx.db, year ?? undefined);
    } catch (e) { domainError(e, 'year'); }
    if (!w) throw badInput('year', `no city-year with NQP indicators in ${year}`);
    return { year: w.year, n: w.n, indicators: w.names.map((name, i) => ({ name, direction: w.directions[i], weight: w.weights[i], entropy: w.entropy[i] })) };
  }

  @Query(() => [FirmKindResult], { description: 'Classified firm-years of a city in a year, with the conditions met and the rule version.' })
  async firmKinds(
    @Ctx() ctx: Context,
    @Arg('year', () => Int) year: number,
    @Arg('city', () => String) city: string,
  ): Promise<FirmKindResult[]> {
    checkYear('year', year);
    checkCode('city', city);
    if (!(await ctx.loaders.city(city))) throw badInput('city', `no city with code ${city}`);
    await ensureClassified(ctx.db, DEFAULT_RULE_SET);
    return (await cityFirmKinds(ctx.db, DEFAULT_RULE_SET.version, city, year)) as unknown as FirmKindResult[];
  }

  @Query(() => EstimateResult, { description: 'Fits a model spec on the stored panel (in a worker thread); cached by spec and data version.' })
  async estimate(@Ctx() ctx: Context, @Arg('spec', () => ModelSpecInput) spec: ModelSpecInput): Promise<EstimateResult> {
    requireRole(ctx.principal, 'analyst', 'estimate');
    try {
      return toEstimateResult(await jobManager(ctx.db).run(toRequest(spec)));
    } catch (e) { userError(e, 'spec'); }
  }

  @Query(() => [DescriptiveRow], { description: 'N, mean, SD, min, median, max of panel variables after the sample rules (Table 1).' })
  async descriptives(
    @Ctx() ctx: Context,
    @Arg('variables', () => [String]) variables: string[],
    @Arg('sample', () => SampleRulesInput, { nullable: true }) sample?: SampleRulesInput,
    @Arg('level', () => PanelLevel, { defaultValue: PanelLevel.CITY }) level: PanelLevel = PanelLevel.CITY,
  ): Promise<DescriptiveRow[]> {
    requireRole(ctx.principal, 'analyst', 'descriptives');
    if (!variables.length) throw badInput('variables', 'name at least one variable');
    const req = toRequest({ estimator: 'ols', level, sample } as ModelSpecInput, 'sample');
    let panel;
    try {
      panel = await buildPanel(ctx.db, req.level!, req);
    } catch (e) {
      if (e instanceof EstimationInputError) throw badInput(argumentPath(requestPath(e), 'spec').replace(/^spec\.sample/, 'sample'), e.message);
      throw e;
    }
    return variables.map((v, i) => {
      const c = panel.columns[v];
      if (!c) throw badInput(`variables.${i}`, `unknown variable '${v}' (columns: ${Object.keys(panel.columns).join(', ')})`);
      if (!(c instanceof Float64Array)) throw badInput(`variables.${i}`, `'${v}' is not numeric`);
      const d = describe(v, c);
      return { variable: v, n: d.n, mean: fin(d.mean), sd: fin(d.sd), min: fin(d.min), median: fin(d.median), max: fin(d.max) };
    });
  }

  @Query(() => String, { description: "Fits each spec and renders them side by side in the paper's layout." })
  async regressionTable(
    @Ctx() ctx: Context,
    @Arg('specs', () => [ModelSpecInput]) specs: ModelSpecInput[],
    @Arg('format', () => TableFormat, { defaultValue: TableFormat.MARKDOWN }) format: TableFormat,
    @Arg('title', () => String, { nullable: true }) title?: string,
    @Arg('controls', () => [String], { nullable: true, description: 'terms summarised as one "Controls: Yes/No" row' }) controls?: string[],
  ): Promise<string> {
    requireRole(ctx.principal, 'analyst', 'regressionTable');
    if (!specs.length) throw badInput('specs', 'give at least one model spec');
    const m = jobManager(ctx.db);
    const reqs = specs.map((s, i) => toRequest(s, `specs.${i}`));
    const results = await Promise.all(reqs.map((r, i) => m.run(r).catch((e) => userError(e, `specs.${i}`))));
    const models = results.map((r, i) => ({ result: r, title: specs[i].title ?? undefined }));
    const o = { title: title ?? undefined, controls: controls ?? undefined };
    if (format === TableFormat.DOCX) return (await tablesToDocx([regressionTableModel(models, o)])).toString('base64');
    return regressionTable(models, format, o);
  }

  @Query(() => Job, { nullable: true, description: 'A background estimate by id (null when unknown).' })
  async job(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Job | null> {
    requireRole(ctx.principal, 'analyst', 'job');
    const j = await jobManager(ctx.db).get(id);
    return j ? toJob(j) : null;
  }

  @Query(() => [Job], { description: "Background estimates, newest first: the caller's own (by API key), or everyone's without a key." })
  async jobs(
    @Ctx() ctx: Context,
    @Arg('status', () => [JobStatusEnum], { nullable: true }) status?: JobStatusEnum[],
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
  ): Promise<Job[]> {
    requireRole(ctx.principal, 'analyst', 'jobs');
    if (first < 1 || first > 500) throw badInput('first', `must be 1-500, got ${first}`);
    const owner = ctx.principal?.keyId;
    return (await jobManager(ctx.db).list({ status: status ?? undefined, first, ...(owner ? { ownerKeyId: owner } : {}) })).map(toJob);
  }

  @Mutation(() => Job, { description: 'Queues an estimate; poll job(id) for status, progress and result.' })
  async submitEstimate(@Ctx() ctx: Context, @Arg('spec', () => ModelSpecInput) spec: ModelSpecInput): Promise<Job> {
    requireRole(ctx.principal, 'analyst', 'submitEstimate');
    try {
      return toJob(await jobManager(ctx.db).submit(toRequest(spec), ctx.principal?.keyId ?? null));
    } catch (e) { userError(e, 'spec'); }
  }

  @Mutation(() => StudyJob, { description: 'Queues a study file (docs/studies.md) as a job; poll studyJob(id) for the rendered tables. A bad file is refused naming the field (study.tables.1.block.models.0.spec.estimator).' })
  async submitStudy(@Ctx() ctx: Context, @Arg('study', () => JSONScalar) study: unknown): Promise<StudyJob> {
    requireRole(ctx.principal, 'analyst', 'submitStudy');
    try {
      return toStudyJob(await jobManager(ctx.db).submitStudy(study, ctx.principal?.keyId ?? null));
    } catch (e) {
      if (e instanceof StudyInputError) throw badInput(`study.${e.path}`, e.message.slice(e.path.length + 2));
      throw e;
    }
  }

  @Query(() => StudyJob, { nullable: true, description: 'A study job by id (null when unknown or not a study).' })
  async studyJob(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<StudyJob | null> {
    requireRole(ctx.principal, 'analyst', 'studyJob');
    const j = await jobManager(ctx.db).get(id);
    return j && (j.study || j.status !== 'DONE' || !j.result) ? toStudyJob(j) : null;
  }

  @Mutation(() => Job, { description: 'Cancels a queued or running estimate (a finished job is returned unchanged).' })
  async cancelJob(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Job> {
    requireRole(ctx.principal, 'analyst', 'cancelJob');
    const j = await jobManager(ctx.db).cancel(id);
    if (!j) throw badInput('id', `no job with id ${id}`);
    return toJob(j);
  }
}

export const ANALYSIS_RESOLVERS = [AnalysisResolver, AnalysisCityResolver, FirmKindResolver, AgglomerationValueResolver] as const;
