// The analysis API through GraphQL on the shared demo store: nested indices (batched), per-city index values, NQP
// weights, firm kinds, estimate (truth recovery, equality with the CLI on the exported panel, bad specs), jobs
// (submit / poll / cancel / cache, event loop free while estimates run) and regression tables.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { frameToCsv } from '../src/cli/export.js';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { loadCityFeatures } from '../src/demo/cities.js';
import { generateDemo } from '../src/demo/generate.js';
import { cityAgglomeration, rta } from '../src/domain/index.js';
import { buildPanel } from '../src/jobs/analysis.js';
import { compositeScale, CTRL } from './analysis-helpers.js';
import { getStore, gql } from './helpers/store.js';

let db: Db;
beforeAll(async () => { db = (await getStore()).db; }, 600_000);

const FE_SPEC = {
  estimator: 'fe', formula: `NQP ~ RTA + DFU + RID + PC + ${CTRL}`, panel: { id: 'city', time: 'year' },
  effects: 'twoways', vcov: { cluster: ['city'] },
};
const ESTIMATE = `query($s: ModelSpecInput!) { estimate(spec: $s) {
  estimator level nobs ngroups dfResid vcovType coefficients { term estimate stdError statistic pValue }
  fit { r2 r2Within } params { rho theta } tests { name statistic pValue df } warnings dataVersion
  sampleReport { rule rowsBefore rowsDropped rowsAfter citiesDropped } } }`;

async function badField(spec: Record<string, unknown>): Promise<{ argument: string; message: string }> {
  const r = await gql(`query($s: ModelSpecInput!) { estimate(spec: $s) { nobs } }`, { s: spec });
  expect(r.errors, JSON.stringify(r.data)).toBeDefined();
  const e = r.errors![0];
  expect(e.extensions?.code).toBe('BAD_USER_INPUT');
  return { argument: e.extensions!.argument as string, message: e.message };
}

describe('indices under City and per city', () => {
  it('City.rta / City.nqp are batched and equal the domain values', async () => {
    const q = (n: number) => gql(`{ cities(first: ${n}) { nodes { code rta(year: 2019) s: rta(year: 2019, options: {variance: "sample"}) nqp(year: 2019) } } }`);
    await q(5); // warm: classification and the measure cache are per data version, not per request
    const small = await q(5), big = await q(200);
    expect(big.errors).toBeUndefined();
    expect(big.statements).toBe(small.statements); // one domain call per field and option set, whatever the page size
    const agg = new Map((await cityAgglomeration(db)).rows.filter((r) => r.year === 2019).map((r) => [r.cityCode, r]));
    for (const c of big.data!.cities.nodes) {
      const a = agg.get(c.code)!;
      expect(c.rta).toBe(a.rta);
      expect(c.s).toBeCloseTo(rta([a.q1, a.q2, a.q3], { variance: 'sample' }).value!, 12);
      expect(c.nqp).toBeGreaterThan(0);
    }
  });

  it('agglomeration(year, index, filter): RTA from the counts, entropy in [0, 1], region filter', async () => {
    const r = await gql(`{ a: agglomeration(year: 2015) { cityCode value note q1 q2 q3 city { region } }
      e: agglomeration(year: 2015, index: ENTROPY, filter: {region: [West]}) { value city { region } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.a.length).toBeGreaterThan(300);
    for (const x of r.data!.a) expect(x.value).toBe(rta([x.q1, x.q2, x.q3]).value);
    expect(r.data!.e.every((x: any) => x.city.region === 'West' && (x.value === null || (x.value >= 0 && x.value <= 1)))).toBe(true);
    const bad = await gql(`{ agglomeration(year: 2015, rta: {variance: "median"}) { value } }`);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'rta.variance' });
  });

  it('nqpWeights: entropy weights summing to 1, pooled and per year', async () => {
    const r = await gql(`{ p: nqpWeights { year n indicators { name direction weight } } y: nqpWeights(year: 2010) { year n indicators { weight } } }`);
    expect(r.errors).toBeUndefined();
    for (const w of [r.data!.p, r.data!.y]) expect(w.indicators.reduce((s: number, i: any) => s + i.weight, 0)).toBeCloseTo(1, 12);
    expect(r.data!.p.year).toBeNull();
    expect(r.data!.y).toMatchObject({ year: 2010, n: 338 });
  });

  it('firmKinds(year, city): kinds with reasons and the rule version', async () => {
    await gql(`{ agglomeration(year: 2019) { value } }`); // classifies the store if needed
    const [hit] = await db.query<{ city: string; year: number }>(sql`
      SELECT f.city_code AS city, k.year FROM firm_kind k JOIN firm f ON f.id = k.firm_id WHERE k.kind = 'unicorn' ORDER BY k.firm_id LIMIT 1`);
    const r = await gql(`query($c: String!, $y: Int!) { firmKinds(year: $y, city: $c) { firmId firm { cityCode } kind qualified reasons ruleVersion } }`, { c: hit.city.trim(), y: hit.year });
    expect(r.errors).toBeUndefined();
    const rows = r.data!.firmKinds;
    expect(rows.some((x: any) => x.kind === 'unicorn')).toBe(true);
    for (const x of rows) {
      expect(x.firm.cityCode.trim()).toBe(hit.city.trim());
      expect(x.qualified).toContain(x.kind);
      expect(x.reasons.length).toBeGreaterThan(0);
      expect(x.ruleVersion).toBe('firm-kinds-v1');
    }
    const bad = await gql(`{ firmKinds(year: 2019, city: "999999") { kind } }`);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'city' });
  });
});

describe('estimate', () => {
  it('recovers the generator\'s true direct effect of RTA on NQP within 2 SE', async () => {
    const r = await gql(ESTIMATE, { s: FE_SPEC });
    expect(r.errors).toBeUndefined();
    const e = r.data!.estimate;
    const b = e.coefficients.find((c: any) => c.term === 'RTA');
    const [{ seed }] = await db.query<{ seed: string }>(sql`SELECT value AS seed FROM dataset_meta WHERE key = 'seed'`);
    const demo = generateDemo(loadCityFeatures().map((f) => ({ code: f.properties.code, region: f.properties.region })), { seed: Number(seed) });
    const scale = compositeScale(await buildPanel(db, 'city', { sampleRules: { winsorize: null, nqpOutlierK: null } }), demo);
    const target = demo.truth.nqp.rta * scale;
    const z = (b.estimate - target) / b.stdError;
    console.log(`store seed ${seed}: true c' ${demo.truth.nqp.rta} × composite scale ${scale.toFixed(4)} = ${target.toFixed(5)}; GraphQL estimate ${b.estimate.toFixed(5)} (SE ${b.stdError.toFixed(5)}), z = ${z.toFixed(2)}`);
    expect(Math.abs(z)).toBeLessThan(2);
    // the mediators' true effects too (b_m · scale)
    for (const m of ['DFU', 'RID', 'PC'] as const) {
      const c = e.coefficients.find((x: any) => x.term === m);
      expect(Math.abs(c.estimate - demo.truth.nqp.mediators[m] * scale) / c.stdError).toBeLessThan(3);
    }
    expect(e).toMatchObject({ estimator: 'fe', level: 'CITY', vcovType: 'cluster(city), plm HC1' });
    expect(e.sampleReport.map((x: any) => x.rule)).toEqual(['years', 'dropStFirms', 'dropFinancialFirms', 'dropBrokenCities', 'dropMissing', 'nqpOutlier', 'balanced', 'log', 'winsorize']);
    expect(e.sampleReport.at(-1).rowsAfter).toBe(e.nobs);
    expect(e.tests.find((t: any) => t.name === 'f')).toMatchObject({ df: 10 });
  });

  it('equals the CLI on the exported panel to 1e-10', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agglomera-analysis-'));
    writeFileSync(path.join(dir, 'panel.csv'), frameToCsv(await buildPanel(db, 'city', {})));
    const specs = [
      FE_SPEC,
      { estimator: 'diff_gmm', formula: `NQP ~ lag(NQP, 1) + RTA + Popsiz`, panel: { id: 'city', time: 'year' }, gmm: { instruments: ['lag(NQP, 2:4)'], ivInstruments: ['RTA', 'Popsiz'], collapse: true, steps: 2 } },
    ];
    for (const [k, spec] of specs.entries()) {
      writeFileSync(path.join(dir, `spec${k}.json`), JSON.stringify(spec));
      const cli = spawnSync(process.execPath, ['bin/agglomera.mjs', 'estimate', '--data', path.join(dir, 'panel.csv'), '--spec', path.join(dir, `spec${k}.json`), '--format', 'json'], { encoding: 'utf8' });
      expect(cli.status, cli.stderr).toBe(0);
      const lib = JSON.parse(cli.stdout);
      const g = (await gql(ESTIMATE, { s: spec })).data!.estimate;
      expect(g.nobs).toBe(lib.nobs);
      expect(g.coefficients.map((c: any) => c.term)).toEqual(lib.coefficients.map((c: any) => c.term));
      g.coefficients.forEach((c: any, i: number) => {
        for (const f of ['estimate', 'stdError'] as const) {
          expect(Math.abs(c[f] - lib.coefficients[i][f])).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(lib.coefficients[i][f])));
        }
      });
    }
  });

  it('firm level (equation (1)) absorbs firm, industry and year effects', async () => {
    const r = await gql(`query($s: ModelSpecInput!) { estimate(spec: $s) { level nobs coefficients { term } raw } }`,
      { s: { estimator: 'fe', formula: 'log(revenue) ~ RTA + leverage', level: 'FIRM', vcov: { cluster: ['city'] } } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.estimate.level).toBe('FIRM');
    expect(r.data!.estimate.raw.fixedEffects.map((f: any) => f.name)).toEqual(['firm', 'industry', 'year']);
    expect(r.data!.estimate.coefficients.map((c: any) => c.term)).toEqual(['RTA', 'leverage']);
  });

  it('spatial Durbin on stored queen weights returns impacts', async () => {
    const r = await gql(`query($s: ModelSpecInput!) { estimate(spec: $s) { nobs params { rho } impacts { term direct indirect total } } }`,
      { s: { estimator: 'sdm', formula: 'NQP ~ RTA + Popsiz', weights: { type: 'QUEEN' }, sample: { where: 'year == 2019' } } });
    expect(r.errors).toBeUndefined();
    const e = r.data!.estimate;
    expect(e.nobs).toBeGreaterThan(300);
    expect(e.impacts.map((i: any) => i.term)).toEqual(['RTA', 'Popsiz']);
    for (const i of e.impacts) expect(i.total).toBeCloseTo(i.direct + i.indirect, 10);
  });

  it('bad specs → BAD_USER_INPUT naming the field', async () => {
    expect((await badField({ ...FE_SPEC, formula: 'NQP ~ RTA + Nonesuch' })).argument).toBe('spec.formula');
    expect((await badField({ ...FE_SPEC, formula: 'NQP ~ ~' })).argument).toBe('spec.formula');
    expect((await badField({ ...FE_SPEC, estimator: 'lasso' })).argument).toBe('spec.estimator');
    expect((await badField({ ...FE_SPEC, effects: 'both' })).argument).toBe('spec.effects');
    expect((await badField({ ...FE_SPEC, vcov: { type: 'hc9' } })).argument).toBe('spec.vcov');
    expect((await badField({ estimator: 'diff_gmm', formula: 'NQP ~ lag(NQP, 1)', gmm: { instruments: ['lag(NQP, 2:9)'] } })).argument).toBe('spec.gmm.instruments');
    expect((await badField({ estimator: 'diff_gmm', formula: 'NQP ~ lag(NQP, 1)', panel: { id: 'city', time: 'year' }, gmm: { steps: 3 } })).argument).toBe('spec.gmm.steps');
    const empty = await badField({ ...FE_SPEC, sample: { nqpOutlierK: 0.01 } });
    expect(empty.argument).toBe('spec.sample');
    expect(empty.message).toMatch(/no observation left.*nqpOutlier dropped/);
    expect((await badField({ ...FE_SPEC, sample: { winsorize: { lower: 0.9, upper: 0.1 } } })).argument).toBe('spec.sample.winsorize.lower');
    expect((await badField({ ...FE_SPEC, sample: { years: [2030, 2031] } })).argument).toBe('spec.sample.years');
    expect((await badField({ ...FE_SPEC, sample: { where: 'nonesuch > 1' } })).argument).toBe('spec.sample.where');
    expect((await badField({ estimator: 'sar', formula: 'NQP ~ RTA' })).argument).toBe('spec.weights');
    expect((await badField({ estimator: 'sar', formula: 'NQP ~ RTA', weights: { type: 'QUEEN' } })).argument).toBe('spec.sample.where');
    expect((await badField({ estimator: 'sar', formula: 'NQP ~ RTA', weights: { type: 'QUEEN' }, logdet: 'cholesky' })).argument).toBe('spec.logdet');
    expect((await badField({ estimator: 'mediation', mediation: { treatment: 'RTA', mediator: 'Nope', outcome: 'NQP' } })).argument).toBe('spec.mediation');
  });
});

describe('descriptives and regression tables', () => {
  it('descriptives after the sample rules', async () => {
    const r = await gql(`{ descriptives(variables: ["NQP", "RTA"]) { variable n mean sd min median max } }`);
    expect(r.errors).toBeUndefined();
    const [nqp, rt] = r.data!.descriptives;
    expect(nqp.n).toBe(rt.n);
    expect(nqp.min).toBeLessThanOrEqual(nqp.median);
    expect(rt.max).toBeLessThanOrEqual(4.5);
    const bad = await gql(`{ descriptives(variables: ["NQP", "GDPX"]) { n } }`);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'variables.1' });
  });

  it('regressionTable in MARKDOWN, LATEX and HTML; a bad second spec is named', async () => {
    const specs = [
      { estimator: 'ols', formula: `NQP ~ RTA + ${CTRL}`, vcov: { cluster: ['city'] }, title: 'OLS' },
      { ...FE_SPEC, formula: `NQP ~ RTA + ${CTRL}`, title: 'FE' },
    ];
    const q = `query($s: [ModelSpecInput!]!, $f: TableFormat!) { regressionTable(specs: $s, format: $f, title: "Baseline", controls: ["Popsiz", "Urbrate", "Fispress", "Indstru", "Eduexp", "Findev"]) }`;
    const md = (await gql(q, { s: specs, f: 'MARKDOWN' })).data!.regressionTable as string;
    const fe = (await gql(ESTIMATE, { s: specs[1] })).data!.estimate.coefficients.find((c: any) => c.term === 'RTA');
    expect(md).toContain('|  | OLS | FE |');
    expect(md).toMatch(new RegExp(`\\| RTA \\| [0-9.]+\\*{0,3} \\| ${fe.estimate.toFixed(4)}\\*\\*\\* \\|`));
    expect(md).toContain(`| (${fe.stdError.toFixed(4)}) |`);
    expect(md).toContain('| Controls | Yes | Yes |');
    expect(md).toContain('| City FE | No | Yes |');
    expect(md).toContain('| Year FE | No | Yes |');
    const tex = (await gql(q, { s: specs, f: 'LATEX' })).data!.regressionTable as string;
    expect(tex).toContain(`RTA & `);
    expect(tex).toContain(`${fe.estimate.toFixed(4)}$^{***}$`);
    const html = (await gql(q, { s: specs, f: 'HTML' })).data!.regressionTable as string;
    expect(html).toContain('<caption>Baseline</caption>');
    expect(html).toContain(`<td>(${fe.stdError.toFixed(4)})</td>`);
    const bad = await gql(q, { s: [specs[0], { ...specs[1], formula: 'NQP ~ Nope' }], f: 'HTML' });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'specs.1.formula' });
  });
});

describe('jobs', () => {
  const JOB = `query($id: ID!) { job(id: $id) { id status progress cached error { message field } result { nobs coefficients { term estimate } } } }`;
  const submit = async (s: Record<string, unknown>) => {
    const r = await gql(`mutation($s: ModelSpecInput!) { submitEstimate(spec: $s) { id status progress } }`, { s });
    expect(r.errors).toBeUndefined();
    return r.data!.submitEstimate as { id: string; status: string; progress: number };
  };
  const poll = async (id: string, until: (j: any) => boolean) => {
    for (;;) {
      const j = (await gql(JOB, { id })).data!.job;
      if (until(j)) return j;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const mediation = (seed: number) => ({
    estimator: 'mediation', panel: { id: 'city', time: 'year' }, effects: 'twoways', vcov: { cluster: ['city'] },
    mediation: { treatment: 'RTA', mediator: 'DFU', outcome: 'NQP', bootstrap: 150, seed },
  });

  it('submit → poll → DONE with the estimate\'s result; resubmitting hits the cache', async () => {
    const spec = { ...FE_SPEC, formula: 'NQP ~ RTA + Popsiz' };
    const j = await submit(spec);
    expect(j.status).toBe('QUEUED');
    expect(j.progress).toBe(0);
    const done = await poll(j.id, (x) => x.status === 'DONE' || x.status === 'FAILED');
    expect(done).toMatchObject({ status: 'DONE', progress: 1, error: null });
    const direct = (await gql(ESTIMATE, { s: spec })).data!.estimate;
    expect(done.result.coefficients).toEqual(direct.coefficients.map((c: any) => ({ term: c.term, estimate: c.estimate })));
    const again = await poll((await submit(spec)).id, (x) => x.status === 'DONE');
    expect(again.cached).toBe(true);
  });

  it('a failing spec ends FAILED with the field', async () => {
    const j = await submit({ ...FE_SPEC, sample: { nqpOutlierK: 0.01 } });
    const f = await poll(j.id, (x) => x.status !== 'QUEUED' && x.status !== 'RUNNING');
    expect(f.status).toBe('FAILED');
    expect(f.error.field).toBe('spec.sample');
    expect(f.result).toBeNull();
    const bad = await gql(`mutation($s: ModelSpecInput!) { submitEstimate(spec: $s) { id } }`, { s: { ...FE_SPEC, estimator: 'nope' } });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'spec.estimator' });
  });

  it('cancelJob stops a queued or running job; unknown ids are named', async () => {
    const j = await submit(mediation(101));
    const c = await gql(`mutation($id: ID!) { cancelJob(id: $id) { status finishedAt } }`, { id: j.id });
    expect(c.data!.cancelJob.status).toBe('CANCELLED');
    // stays cancelled: nothing completes it later
    const later = await submit({ ...FE_SPEC, formula: 'NQP ~ RTA + Urbrate' });
    await poll(later.id, (x) => x.status === 'DONE');
    const after = (await gql(JOB, { id: j.id })).data!.job;
    expect(after).toMatchObject({ status: 'CANCELLED', result: null });
    const bad = await gql(`mutation { cancelJob(id: "nope") { status } }`);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    expect((await gql(`{ job(id: "nope") { status } }`)).data!.job).toBeNull();
  });

  it('estimates run in worker threads: a cheap query answers while 4 estimates are pending', async () => {
    const jobs = await Promise.all([201, 202, 203, 204].map((s) => submit(mediation(s))));
    const cheap = await gql(`{ dataset { cities } }`);
    expect(cheap.data!.dataset.cities).toBe(338);
    const states = await Promise.all(jobs.map(async (j) => (await gql(JOB, { id: j.id })).data!.job.status));
    // the cheap answer came back before the estimates were all finished
    expect(states.some((s) => s === 'QUEUED' || s === 'RUNNING')).toBe(true);
    const done = await Promise.all(jobs.map((j) => poll(j.id, (x) => x.status === 'DONE' || x.status === 'FAILED')));
    expect(done.map((d) => d.status)).toEqual(['DONE', 'DONE', 'DONE', 'DONE']);
    // different seeds, same point estimates, different bootstrap draws
    expect(new Set(done.map((d) => d.result.coefficients[1].estimate)).size).toBe(1);
  });
});
