// Workers on their own: `agglomera worker` processes run the jobs that app processes started with
// AGGLOMERA_RUN_JOBS=false only store. 1. the worker refuses the embedded database (always); 2. a submit-only manager
// runs nothing, a job-running one claims its jobs from the table (either database, in process); 3. a server process
// + a separate worker process finish a job submitted over GraphQL, with Redis (BullMQ) and without (table polling);
// 4. two workers, several jobs, each run exactly once; a worker killed mid-job → another takes it over after the
// stale time. 3 and 4 need DATABASE_URL (on the embedded database the server is the only process).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonLogProcess, type LogLine } from './helpers/json-log.js';
import { sql } from '../src/db/sql.js';
import type { AnalysisRequest } from '../src/jobs/analysis.js';
import { prepareEstimate, runPrepared } from '../src/jobs/analysis.js';
import { JobManager } from '../src/jobs/manager.js';
import { openStore } from '../src/app.js';
import type { Db } from '../src/db/db.js';
import { dropFreshDatabase, freshDatabaseUrl } from './helpers/fresh-store.js';

// A database of its own (demo loaded): job managers left by other files in this vitest process poll the shared
// store's table without Redis and would take the unheld jobs these tests give to their workers.
let DATABASE_URL: string | undefined;
let own: Promise<Db> | undefined;
const getStore = async () => {
  own ??= (async () => {
    DATABASE_URL = await freshDatabaseUrl('workers');
    return openStore({ databaseUrl: DATABASE_URL, demoSeed: 20260101 });
  })();
  return { db: await own };
};
const HAS_PG = !!process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.resolve(import.meta.dirname, '..');
const SLOW = { timeout: 600_000 };
const PANEL = { id: 'city', time: 'year' };
// a `where` no run has seen keeps the result cache out of the way
const fresh = () => `year > ${(1900 + Math.random() * 50).toFixed(6)}`;
const feSpec = () => ({ estimator: 'fe', formula: 'NQP ~ RTA + Popsiz', panel: PANEL, effects: 'twoways', sample: { where: fresh() } });
const slowSpec = (bootstrap: number) => ({
  estimator: 'mediation', panel: PANEL, effects: 'twoways', sample: { where: fresh() },
  mediation: { treatment: 'RTA', mediator: 'DFU', outcome: 'NQP', bootstrap, seed: Math.floor(Math.random() * 1e6) },
});

/** A child process logging JSON lines (the server or `agglomera worker`); a wait fails when it exits first. */
class Proc extends JsonLogProcess {
  waitFor(test: (l: LogLine) => boolean, what = 'the line'): Promise<LogLine> {
    return Promise.race([
      super.waitFor(test),
      this.exited.then((c) => { throw new Error(`process exited with ${c} before ${what}`); }),
    ]);
  }
  claimed(): string[] { return this.lines.filter((l) => l.msg === 'job claimed').map((l) => String(l.job)); }
  async stop(sig: NodeJS.Signals = 'SIGTERM') { if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig); return this.exited; }
}

const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  if (own) { await (await own).close(); await dropFreshDatabase('workers'); }
}, 120_000);

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, AGGLOMERA_LOG_LEVEL: 'info', AGGLOMERA_LOG_FORMAT: 'json', ...env };
  delete e.VITEST;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  return e;
}

async function startWorker(env: Record<string, string | undefined>) {
  const p = new Proc(spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--concurrency', '1'], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
  procs.push(p);
  const ready = await p.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('worker ready'), 'worker ready');
  return { p, id: String(ready.worker), ready };
}

async function startServer(env: Record<string, string | undefined>) {
  const p = new Proc(spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT, env: childEnv({ PORT: '0', AGGLOMERA_ANONYMOUS_ROLE: 'analyst', ...env }), stdio: ['ignore', 'pipe', 'pipe'],
  }));
  procs.push(p);
  const ready = await p.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('GraphQL ready'), 'GraphQL ready');
  const origin = new URL(String(ready.url)).origin.replace('localhost', '127.0.0.1');
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const r = await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return (await r.json()) as { data?: any; errors?: any[] };
  };
  return { p, gql, ready };
}

describe('agglomera worker on the embedded database', () => {
  it('refuses with exit code 2, naming DATABASE_URL, and opens no store', () => {
    const dataDir = path.join(os.tmpdir(), `agglo-worker-refusal-${process.pid}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], { cwd: ROOT, env: childEnv({ DATABASE_URL: undefined, AGGLOMERA_DATA_DIR: dataDir }), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/agglomera worker needs DATABASE_URL \(PostgreSQL\)/);
    expect(r.stdout).not.toMatch(/worker ready/);
    expect(spawnSync('test', ['-e', dataDir]).status).not.toBe(0); // the folder was never created
    const help = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--concurrency', '0'], { cwd: ROOT, env: childEnv({ DATABASE_URL: 'postgresql://x@127.0.0.1:1/x' }), encoding: 'utf8' });
    expect(help.status).toBe(2);
    expect(help.stderr).toMatch(/--concurrency must be a whole number >= 1, got "0"/);
  });
});

describe.skipIf(!HAS_PG)('a submit-only manager (AGGLOMERA_RUN_JOBS=false) and a job runner (needs DATABASE_URL: a store of its own, out of reach of the job managers other files leave in this process)', SLOW, () => {
  it('the submit-only one stores the job unheld and runs nothing; the runner claims it from the table', async () => {
    const { db } = await getStore();
    const submitOnly = new JobManager(db, { runJobs: false, pollMs: 50, staleSeconds: 30 });
    const req: AnalysisRequest = { spec: feSpec() };
    const j = await submitOnly.submit(req);
    const row = async () => (await db.query<{ status: string; worker: string | null; attempts: number }>(sql`SELECT status, worker, attempts FROM estimate_job WHERE id = ${j.id}`))[0];
    expect(await row()).toEqual({ status: 'QUEUED', worker: null, attempts: 0 });
    // many of its poll periods later it has still claimed nothing: it has no poll, no sweep, no pool in use
    await new Promise((r) => setTimeout(r, 500));
    expect(submitOnly.load).toEqual({ queued: 0, running: 0 });
    const runner = new JobManager(db, { pollMs: 50, staleSeconds: 30 });
    try {
      await runner.start();
      const done = (await submitOnly.wait(j.id))!;
      expect(done).toMatchObject({ status: 'DONE', attempts: 1, cached: false });
      expect((await row()).worker).toBe(runner.worker);
      const p = await prepareEstimate(db, req);
      expect(done.result!.coefficients.map((c) => c.estimate)).toEqual(runPrepared(p.spec, p.panel, p.weights).coefficients.map((c) => c.estimate));
    } finally {
      await runner.close();
      await submitOnly.close();
    }
  });
});

const SUBMIT = `mutation($s: ModelSpecInput!) { submitEstimate(spec: $s) { id status } }`;
const JOB = `query($id: ID!) { job(id: $id) { id status attempts cached error { message } result { nobs coefficients { term estimate } } } }`;

describe.skipIf(!HAS_PG)('server (AGGLOMERA_RUN_JOBS=false) + a separate worker process (needs DATABASE_URL: the embedded database is one process)', SLOW, () => {
  for (const mode of ['table', 'redis'] as const) {
    it(`a job submitted over GraphQL is run by the worker (${mode === 'redis' ? 'REDIS_URL, BullMQ' : 'no Redis, table polling'})`, async () => {
      await getStore(); // the own database exists before the processes are pointed at it
      const env = mode === 'redis'
        ? { DATABASE_URL, REDIS_URL, AGGLOMERA_QUEUE_PREFIX: `worker-test-${randomUUID().slice(0, 8)}` }
        : { DATABASE_URL, REDIS_URL: undefined, AGGLOMERA_JOB_POLL_MS: '200' };
      const server = await startServer({ ...env, AGGLOMERA_RUN_JOBS: 'false' });
      expect(server.ready.runJobs).toBe(false);
      const worker = await startWorker(env);
      expect(worker.ready).toMatchObject({ mode, concurrency: 1 });
      const spec = feSpec();
      const sub = await server.gql(SUBMIT, { s: spec });
      expect(sub.errors).toBeUndefined();
      const id = sub.data!.submitEstimate.id as string;
      let job;
      for (;;) {
        job = (await server.gql(JOB, { id })).data!.job;
        if (job.status !== 'QUEUED' && job.status !== 'RUNNING') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(job).toMatchObject({ status: 'DONE', attempts: 1, cached: false, error: null });
      // the same estimate run here, in process
      const { db } = await getStore();
      const p = await prepareEstimate(db, { spec } as AnalysisRequest);
      const direct = runPrepared(p.spec, p.panel, p.weights);
      expect(job.result.nobs).toBe(direct.nobs);
      expect(job.result.coefficients.map((c: { estimate: number }) => c.estimate)).toEqual(direct.coefficients.map((c) => c.estimate));
      const [r] = await db.query<{ worker: string }>(sql`SELECT worker FROM estimate_job WHERE id = ${id}`);
      expect(r.worker).toBe(worker.id);
      expect(worker.p.claimed()).toEqual([id]);
      expect(await worker.p.stop()).toBe(0);
      expect(await server.p.stop()).toBe(0);
    });
  }
});

describe.skipIf(!HAS_PG)('several worker processes on one PostgreSQL (table polling; needs DATABASE_URL)', SLOW, () => {
  it('each job runs exactly once; a killed worker\'s job is taken over after the stale time; SIGTERM hands a job back at once', async () => {
    await getStore();
    const env = { DATABASE_URL, REDIS_URL: undefined, AGGLOMERA_JOB_POLL_MS: '200', AGGLOMERA_JOB_STALE_SECONDS: '3', AGGLOMERA_DRAIN_SECONDS: '0' };
    const { db } = await getStore();
    const submitOnly = new JobManager(db, { runJobs: false });
    const holder = async (id: string) => (await db.query<{ status: string; worker: string | null; attempts: number; progress: number }>(
      sql`SELECT status, worker, attempts, progress FROM estimate_job WHERE id = ${id}`))[0];
    const runningSomewhere = async (id: string) => { for (;;) { const h = await holder(id); if (h.status === 'RUNNING' && h.progress >= 0.5) return h; expect(h.status).toMatch(/QUEUED|RUNNING/); await new Promise((r) => setTimeout(r, 50)); } };

    const a = await startWorker(env);
    const b = await startWorker(env);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await submitOnly.submit({ spec: feSpec() })).id);
    const done = await Promise.all(ids.map((id) => submitOnly.wait(id)));
    expect(done.map((j) => [j!.status, j!.attempts])).toEqual(ids.map(() => ['DONE', 1]));
    const claims = [...a.p.claimed(), ...b.p.claimed()].filter((id) => ids.includes(id));
    expect(claims.sort()).toEqual([...ids].sort()); // every job claimed once, by one of the two
    console.log(`6 jobs: ${a.p.claimed().length} run by worker A, ${b.p.claimed().length} by worker B`);

    // a long job; its holder is killed mid-job: the other takes it over once the heartbeat is 3 s stale (attempt 2)
    const long = (await submitOnly.submit({ spec: slowSpec(400) })).id;
    const h1 = await runningSomewhere(long);
    const [killed, other] = h1.worker === a.id ? [a, b] : [b, a];
    expect(h1.worker).toBe(killed.id);
    await killed.p.stop('SIGKILL');
    const end = (await submitOnly.wait(long))!;
    expect(end).toMatchObject({ status: 'DONE', attempts: 2, error: null });
    expect((await holder(long)).worker).toBe(other.id);
    expect(other.p.claimed().filter((x) => x === long)).toHaveLength(1);

    // SIGTERM with a job in hand (drain 0 s): it is handed back (attempt not counted) and the third worker finishes it
    const c = await startWorker(env);
    const again = (await submitOnly.submit({ spec: slowSpec(400) })).id;
    const h2 = await runningSomewhere(again);
    const [stopped, rest] = h2.worker === other.id ? [other, c] : [c, other];
    expect(await stopped.p.stop('SIGTERM')).toBe(0);
    const end2 = (await submitOnly.wait(again))!;
    expect(end2).toMatchObject({ status: 'DONE', attempts: 1, error: null });
    expect((await holder(again)).worker).toBe(rest.id);
    expect(stopped.p.lines.some((l) => l.msg === 'drain wait over: jobs in hand stopped and handed back (QUEUED)')).toBe(true);
    await submitOnly.close();
  });
});

describe.skipIf(!HAS_PG)('`npx agglomera worker` (bin/agglomera.mjs; needs DATABASE_URL)', SLOW, () => {
  it('a SIGTERM to the bin process reaches the worker: it stops cleanly and both exit 0, none left running', async () => {
    await getStore();
    const p = new Proc(spawn(process.execPath, [path.join(ROOT, 'bin/agglomera.mjs'), 'worker', '--concurrency', '1'], {
      cwd: ROOT, env: childEnv({ DATABASE_URL, REDIS_URL: undefined }), stdio: ['ignore', 'pipe', 'pipe'],
    }));
    procs.push(p);
    const ready = await p.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('worker ready'), 'worker ready');
    const workerPid = Number(ready.pid);
    expect(workerPid).not.toBe(p.proc.pid); // the worker is a child of the bin process (through tsx)
    p.proc.kill('SIGTERM');
    await p.waitFor((l) => l.msg === 'stopped', 'stopped');
    expect(await p.exited).toBe(0);
    expect(p.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('stopping'))).toMatchObject({ signal: 'SIGTERM' });
    // the worker process is gone (before, it ran on orphaned: the bin waited in spawnSync and died of the signal)
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(workerPid, 0)).toThrow(/ESRCH/);
  });
});
