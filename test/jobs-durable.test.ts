// Durable jobs on the test store (either database): rows in estimate_job, interrupted jobs re-queued or failed by the
// sweep (bounded attempts), a cancel from another manager stops the run, the result cache is a table, and the row /
// instrument / time bounds cancel a job (naming the setting) or refuse a synchronous estimate with BAD_USER_INPUT.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from '../src/db/sql.js';
import type { AnalysisRequest } from '../src/jobs/analysis.js';
import { cacheKey, prepareEstimate, runPrepared } from '../src/jobs/analysis.js';
import { cachedResult, insertJob, jsonText } from '../src/jobs/jobstore.js';
import { DEFAULT_LIMITS, gmmInstrumentBound, readLimits } from '../src/jobs/limits.js';
import { JobManager } from '../src/jobs/manager.js';
import { getStore, gql } from './helpers/store.js';

const PANEL = { id: 'city', time: 'year' };
// a `where` no run has seen before keeps the persistent cache out of the way (the whole panel: years 2000-2019)
const fresh = () => `year > ${(1900 + Math.random() * 50).toFixed(6)}`;
const fe = (extra: Record<string, unknown> = {}): AnalysisRequest => ({
  spec: { estimator: 'fe', formula: 'NQP ~ RTA + Popsiz', panel: PANEL, effects: 'twoways', sample: { where: fresh() }, ...extra },
});
const mediation = (bootstrap = 40): AnalysisRequest => ({
  spec: {
    estimator: 'mediation', panel: PANEL, effects: 'twoways', sample: { where: fresh() },
    mediation: { treatment: 'RTA', mediator: 'DFU', outcome: 'NQP', bootstrap, seed: Math.floor(Math.random() * 1e6) },
  },
});

const managers: JobManager[] = [];
async function manager(o: ConstructorParameters<typeof JobManager>[1] = {}) {
  const { db } = await getStore();
  const m = new JobManager(db, { maxAttempts: 2, staleSeconds: 5, pollMs: 100, ...o });
  managers.push(m);
  return m;
}
beforeAll(async () => { await getStore(); }); // the demo load belongs to the hook's budget, not a test's
afterAll(async () => { for (const m of managers) await m.close(); });
// estimates run in worker threads shared by the machine's other work: give each test room
const SLOW = { timeout: 300_000 };

describe('durable jobs', SLOW, () => {
  it('a finished job is a row: another manager (a restarted process) reads the same result', async () => {
    const a = await manager();
    const req = fe();
    const j = await a.submit(req, 'key-1');
    expect(j).toMatchObject({ status: 'QUEUED', progress: 0, attempts: 0, ownerKeyId: 'key-1' });
    const done = (await a.wait(j.id))!;
    expect(done.status).toBe('DONE');
    expect(done.attempts).toBe(1);
    const { db } = await getStore();
    // the same numbers as the library run on this thread
    const p = await prepareEstimate(db, req);
    const direct = runPrepared(p.spec, p.panel, p.weights);
    expect(done.result!.coefficients.map((c) => c.estimate)).toEqual(direct.coefficients.map((c) => c.estimate));
    const b = await manager();
    const again = (await b.get(j.id))!;
    expect(again.result).toEqual(done.result);
    expect(again.finishedAt!.getTime()).toBe(done.finishedAt!.getTime());
    // the result cache is a table too: a new manager answers the same request from it. The key is the one the run
    // used (its result carries it): it names the data version of that run, which other files' writes may since have moved
    const { key } = await cacheKey(db, req);
    expect((await cachedResult(db, done.result!.cacheKey))!.coefficients).toEqual(done.result!.coefficients);
    const hit = (await b.wait((await b.submit(req)).id))!;
    // unless the data version moved since (then a new submit is rightly not a hit)
    expect(hit).toMatchObject({ status: 'DONE', cached: key === done.result!.cacheKey });
    // jobs(): newest first, by owner
    const mine = await b.list({ ownerKeyId: 'key-1' });
    expect(mine.map((x) => x.id)).toContain(j.id);
    expect(mine.every((x) => x.ownerKeyId === 'key-1')).toBe(true);
    expect((await b.list({ status: ['DONE'], first: 5 })).every((x) => x.status === 'DONE')).toBe(true);
  });

  it("the sweep re-queues a dead process's running job (attempt 2) and fails one that used its attempts", async () => {
    const { db } = await getStore();
    const m = await manager();
    await m.start();
    const stale = async (attempts: number) => {
      const req = fe();
      const { key, dataVersion } = await cacheKey(db, req);
      const row = await insertJob(db, { id: randomUUID(), request: req, cacheKey: key, dataVersion, ownerKeyId: null, worker: 'dead-host:1:x' });
      // as a process that died while running it 10 s ago (this manager's threshold: 5 s; the test store's own: 30 s)
      await db.query(sql`UPDATE estimate_job SET status = 'RUNNING', attempts = ${attempts}, started_at = now() - interval '12 seconds',
        heartbeat_at = now() - interval '10 seconds' WHERE id = ${row.id}`);
      return row.id;
    };
    const retry = await stale(1);
    const spent = await stale(2);
    const r = await m.sweep(5);
    expect(r.requeued).toContain(retry);
    expect(r.failed).toContain(spent);
    const done = (await m.wait(retry))!;
    expect(done).toMatchObject({ status: 'DONE', attempts: 2, error: null });
    const failed = (await m.get(spent))!;
    expect(failed.status).toBe('FAILED');
    expect(failed.error!.message).toMatch(/process running it stopped.*AGGLOMERA_JOB_MAX_ATTEMPTS/);
    expect(failed.error!.limit).toBe('AGGLOMERA_JOB_MAX_ATTEMPTS');
    expect(failed.result).toBeNull();
    // a job that is alive (fresh heartbeat) is left alone
    const alive = await stale(1);
    await db.query(sql`UPDATE estimate_job SET heartbeat_at = now() WHERE id = ${alive}`);
    expect((await m.sweep(5)).requeued).not.toContain(alive);
    await db.query(sql`UPDATE estimate_job SET status = 'CANCELLED', finished_at = now() WHERE id = ${alive}`);
  });

  it('cancelJob through another manager stops the run of the one that holds it', async () => {
    const a = await manager();
    const b = await manager();
    const j = await a.submit(mediation(400));
    for (;;) { // until it runs in a's worker
      const s = (await a.get(j.id))!;
      if (s.progress >= 0.5 || s.status !== 'QUEUED' && s.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const c = (await b.cancel(j.id))!;
    expect(c.status).toBe('CANCELLED');
    const end = (await a.wait(j.id))!;
    expect(end).toMatchObject({ status: 'CANCELLED', result: null });
    // the holder notices at its next status check and stops its worker thread
    await vi.waitFor(() => expect(a.load.running).toBe(0), { timeout: 60_000, interval: 50 });
    expect(await b.cancel('no-such-job')).toBeNull();
  });

  it('close() hands held jobs back as QUEUED without counting the attempt', async () => {
    const { db } = await getStore();
    // managers of earlier tests sweep too: close them so the sweep below is the only one that can take the job
    for (const m of managers.splice(0)) await m.close();
    const a = await manager();
    const j = await a.submit(mediation(400));
    while ((await a.get(j.id))!.status === 'QUEUED') await new Promise((r) => setTimeout(r, 20));
    await a.close();
    const row = (await db.query<{ status: string; attempts: number; worker: string | null }>(sql`SELECT status, attempts, worker FROM estimate_job WHERE id = ${j.id}`))[0];
    expect(row).toEqual({ status: 'QUEUED', attempts: 0, worker: null });
    // the next manager's sweep takes it over and finishes it
    const b = await manager();
    expect((await b.sweep(5)).requeued).toContain(j.id);
    expect((await b.cancel(j.id))!.status).toBe('CANCELLED');
  });
});

describe('estimate bounds', SLOW, () => {
  it('settings: documented defaults, environment overrides, bad values named', () => {
    expect(readLimits({})).toEqual(DEFAULT_LIMITS);
    expect(readLimits({ AGGLOMERA_ESTIMATE_MAX_ROWS: '100', AGGLOMERA_ESTIMATE_MAX_SECONDS: '0.5' })).toEqual({ ...DEFAULT_LIMITS, maxRows: 100, maxSeconds: 0.5 });
    expect(() => readLimits({ AGGLOMERA_ESTIMATE_MAX_INSTRUMENTS: 'many' })).toThrow(/AGGLOMERA_ESTIMATE_MAX_INSTRUMENTS/);
    expect(() => readLimits({ AGGLOMERA_ESTIMATE_MAX_ROWS: '-1' })).toThrow(/AGGLOMERA_ESTIMATE_MAX_ROWS/);
  });

  it("the instrument bound equals the GMM design's GMM-style columns on the balanced demo panel", async () => {
    const { db } = await getStore();
    for (const [estimator, collapse, lags] of [['diff_gmm', false, '2:5'], ['diff_gmm', true, '2:99'], ['sys_gmm', false, '2:3'], ['sys_gmm', true, '2:4']] as const) {
      const req: AnalysisRequest = { spec: { estimator, formula: 'NQP ~ lag(NQP, 1) + RTA', panel: PANEL, gmm: { instruments: [`lag(NQP, ${lags})`], collapse } } };
      const p = await prepareEstimate(db, req);
      const r = runPrepared(p.spec, p.panel, p.weights);
      const names = r.params.instrumentNames as string[];
      const gmmStyle = names.filter((n) => /@|\[collapsed\]|level eq\., collapsed/.test(n)).length;
      const periods = new Set(Array.from(p.panel.columns.year as Float64Array)).size;
      expect(periods).toBe(20);
      expect(gmmInstrumentBound(p.spec, periods), `${estimator} collapse=${collapse} lags ${lags}`).toBe(gmmStyle);
    }
  });

  it('a job over the row, instrument or time bound is CANCELLED naming the setting', async () => {
    const rows = await manager({ limits: { ...DEFAULT_LIMITS, maxRows: 100 } });
    const r = (await rows.wait((await rows.submit(fe())).id))!;
    expect(r).toMatchObject({ status: 'CANCELLED', result: null });
    expect(r.error).toMatchObject({ limit: 'AGGLOMERA_ESTIMATE_MAX_ROWS', path: 'sampleRules' });
    expect(r.error!.message).toMatch(/has \d+ rows .* over the limit of 100 \(AGGLOMERA_ESTIMATE_MAX_ROWS\)/);

    const inst = await manager({ limits: { ...DEFAULT_LIMITS, maxInstruments: 50 } });
    const gmm: AnalysisRequest = { spec: { estimator: 'diff_gmm', formula: 'NQP ~ lag(NQP, 1) + RTA', panel: PANEL, sample: { where: fresh() }, gmm: { instruments: ['lag(NQP, 2:99)'] } } };
    const g = (await inst.wait((await inst.submit(gmm)).id))!;
    expect(g.status).toBe('CANCELLED');
    expect(g.error).toMatchObject({ limit: 'AGGLOMERA_ESTIMATE_MAX_INSTRUMENTS', path: 'spec.gmm.instruments' });
    // lags 2..19 of 20 periods: 1 + 2 + ... + 18 = 171 columns
    expect(g.error!.message).toContain('up to 171 columns over 20 periods, over the limit of 50');

    const time = await manager({ limits: { ...DEFAULT_LIMITS, maxSeconds: 0.001 } });
    const t = (await time.wait((await time.submit(mediation(200))).id))!;
    expect(t).toMatchObject({ status: 'CANCELLED', result: null });
    expect(t.error).toMatchObject({ limit: 'AGGLOMERA_ESTIMATE_MAX_SECONDS', path: null });
    expect(t.error!.message).toMatch(/time limit of 0.001 s \(AGGLOMERA_ESTIMATE_MAX_SECONDS\)/);
  });

  it('the synchronous estimate refuses over-limit requests with BAD_USER_INPUT naming the limit', async () => {
    const q = `query($s: ModelSpecInput!) { estimate(spec: $s) { nobs } }`;
    const where = () => ({ where: fresh() });
    const withEnv = async (name: string, value: string, s: Record<string, unknown>) => {
      process.env[name] = value;
      try { return await gql(q, { s }); } finally { delete process.env[name]; }
    };
    const r = await withEnv('AGGLOMERA_ESTIMATE_MAX_ROWS', '1000', { estimator: 'ols', formula: 'NQP ~ RTA', sample: where() });
    expect(r.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'spec.sample' });
    expect(r.errors![0].message).toMatch(/over the limit of 1000 \(AGGLOMERA_ESTIMATE_MAX_ROWS\)/);
    const g = await withEnv('AGGLOMERA_ESTIMATE_MAX_INSTRUMENTS', '10', {
      estimator: 'diff_gmm', formula: 'NQP ~ lag(NQP, 1) + RTA', panel: PANEL, sample: where(), gmm: { instruments: ['lag(NQP, 2:99)'], collapse: true },
    });
    expect(g.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'spec.gmm.instruments' });
    expect(g.errors![0].message).toMatch(/up to 18 columns .* over the limit of 10 \(AGGLOMERA_ESTIMATE_MAX_INSTRUMENTS\)/);
    const t = await withEnv('AGGLOMERA_ESTIMATE_MAX_SECONDS', '0.001', {
      estimator: 'mediation', panel: PANEL, effects: 'twoways', sample: where(),
      mediation: { treatment: 'RTA', mediator: 'DFU', outcome: 'NQP', bootstrap: 200, seed: 5 },
    });
    expect(t.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'spec' });
    expect(t.errors![0].message).toMatch(/AGGLOMERA_ESTIMATE_MAX_SECONDS/);
    // under the bounds the same request runs
    const ok = await gql(q, { s: { estimator: 'ols', formula: 'NQP ~ RTA', sample: where() } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.estimate.nobs).toBeGreaterThan(1000);
  });
});

// keep jsonText honest: what the store keeps is what JSON can hold
describe('stored JSON', () => {
  it('typed arrays become arrays, non-finite numbers null', () => {
    expect(JSON.parse(jsonText({ a: Float64Array.of(1, 2.5), b: NaN, c: Infinity, d: [1, -Infinity] }))).toEqual({ a: [1, 2.5], b: null, c: null, d: [1, null] });
  });
});
