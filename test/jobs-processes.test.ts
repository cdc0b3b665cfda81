// The server as its operators run it: child processes of `tsx src/server.ts`.
// 1. Restart + SIGTERM (either database; embedded in a fresh /tmp data dir): a job finishes; a slow request is in
//    flight when SIGTERM comes: it completes, a new connection is refused, the exit code is 0; a second start reads
//    the finished job's result unchanged.
// 2. Two processes on one PostgreSQL + Redis (BullMQ): jobs submitted to one are finished by either and readable
//    from both; a process stopped with a job in hand hands it back and the other finishes it. Needs DATABASE_URL
//    (the embedded database is one process).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/app.js';
import { dropFreshDatabase, freshDatabaseUrl } from './helpers/fresh-store.js';
import { JsonLogProcess, type LogLine } from './helpers/json-log.js';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.resolve(import.meta.dirname, '..');

class Server extends JsonLogProcess {
  origin = '';
  worker = '';
  private constructor(proc: ChildProcess) { super(proc); }

  static async start(env: Record<string, string | undefined>): Promise<Server> {
    // Jobs need the analyst role; these processes grant it to callers without a key (roles are tested in test/auth-roles.test.ts).
    const e: NodeJS.ProcessEnv = { ...process.env, PORT: '0', AGGLOMERA_LOG_LEVEL: 'debug', AGGLOMERA_DRAIN_SECONDS: '120', AGGLOMERA_ANONYMOUS_ROLE: 'analyst', ...env };
    delete e.VITEST;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
    const s = new Server(spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] }));
    const ready = await Promise.race([
      s.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('GraphQL ready')),
      s.exited.then((c) => { throw new Error(`server exited with ${c} before it was ready`); }),
    ]);
    s.origin = new URL(String(ready.url)).origin.replace('localhost', '127.0.0.1');
    s.worker = String(ready.worker);
    return s;
  }

  async gql(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
    const r = await fetch(`${this.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return (await r.json()) as { data?: any; errors?: any[] };
  }

  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }
}

/** A request on a new connection (no keep-alive pool): resolves with the status, or rejects with the socket error. */
function freshConnection(origin: string, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${origin}${p}`, { agent: false }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
  });
}

// child processes start, load and estimate on a machine that may be busy: room for each test
const SLOW = { timeout: 600_000 };
const started: Server[] = [];
const start = async (env: Record<string, string | undefined>) => { const s = await Server.start(env); started.push(s); return s; };
afterAll(async () => { await Promise.all(started.map((s) => s.stop())); });

const SUBMIT = `mutation($s: ModelSpecInput!) { submitEstimate(spec: $s) { id status } }`;
const JOB = `query($id: ID!) { job(id: $id) { id status attempts error { message } result { nobs coefficients { term estimate stdError } } } }`;
const mediation = (bootstrap: number) => ({
  estimator: 'mediation', panel: { id: 'city', time: 'year' }, effects: 'twoways',
  mediation: { treatment: 'RTA', mediator: 'DFU', outcome: 'NQP', bootstrap, seed: Math.floor(Math.random() * 1e9) },
});

async function poll(s: Server, id: string) {
  for (;;) {
    const j = (await s.gql(JOB, { id })).data!.job;
    if (j.status !== 'QUEUED' && j.status !== 'RUNNING') return j;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe(`server process (${DATABASE_URL ? 'PostgreSQL' : 'embedded'})`, SLOW, () => {
  const dataDir = path.join(os.tmpdir(), `agglomera-jobs-test-${process.pid}`);
  const env = DATABASE_URL ? { DATABASE_URL, REDIS_URL: undefined } : { DATABASE_URL: undefined, REDIS_URL: undefined, AGGLOMERA_DATA_DIR: dataDir };
  afterAll(() => { if (!DATABASE_URL) rmSync(dataDir, { recursive: true, force: true }); });

  it('SIGTERM drains an in-flight request, refuses new connections, exits 0; a restart keeps the finished job', async () => {
    const a = await start(env);
    expect(await freshConnection(a.origin, '/ready')).toBe(200);
    const sub = await a.gql(SUBMIT, { s: mediation(20) });
    expect(sub.errors).toBeUndefined();
    const id = sub.data!.submitEstimate.id as string;
    const done = await poll(a, id);
    expect(done).toMatchObject({ status: 'DONE', attempts: 1, error: null });
    expect(done.result.nobs).toBeGreaterThan(1000);

    // a slow synchronous estimate, then SIGTERM while it runs
    const reqId = `slow-${randomUUID()}`;
    const slow = a.gql(`query($s: ModelSpecInput!) { estimate(spec: $s) { nobs } }`, { s: mediation(60) }, { 'x-request-id': reqId });
    await a.waitFor((l) => l.reqId === reqId && l.msg === 'request start');
    a.proc.kill('SIGTERM');
    await a.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('draining'));
    await expect(freshConnection(a.origin, '/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const answer = await slow;
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.estimate.nobs).toBeGreaterThan(1000);
    expect(await a.exited).toBe(0);
    // the structured log line of that request
    const line = a.lines.find((l) => l.reqId === reqId && l.msg === 'request')!;
    expect(line).toMatchObject({ method: 'POST', path: '/graphql', status: 200 });
    expect(line.durationMs as number).toBeGreaterThan(0);
    expect(a.lines.findIndex((l) => l.msg === 'in-flight requests finished')).toBeGreaterThan(a.lines.indexOf(line));

    const b = await start(env);
    const again = (await b.gql(JOB, { id })).data!.job;
    expect(again).toEqual(done);
    expect(await freshConnection(b.origin, '/ready')).toBe(200);
    expect(await b.stop()).toBe(0);
  });
});

describe.skipIf(!DATABASE_URL)('two server processes on one PostgreSQL + Redis (BullMQ)', SLOW, () => {
  it('a job submitted to one is finished by either and readable from both; a stopping process hands its job over', async () => {
    // a database of its own (demo loaded here, once, before both start): job managers other files leave in this vitest
    // process poll the shared store's table without Redis and would take the queued jobs meant for A and B
    const own = (await freshDatabaseUrl('procs'))!;
    await (await openStore({ databaseUrl: own, demoSeed: 20260101 })).close();
    const env = { DATABASE_URL: own, REDIS_URL, AGGLOMERA_QUEUE_PREFIX: `agglomera-test-${randomUUID().slice(0, 8)}` };
    const a = await start(env);
    const b = await start(env);
    expect(a.worker).not.toBe(b.worker);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await a.gql(SUBMIT, { s: mediation(20) })).data!.submitEstimate.id);
    const fromB = await Promise.all(ids.map((id) => poll(b, id)));
    expect(fromB.map((j) => j.status)).toEqual(['DONE', 'DONE', 'DONE', 'DONE']);
    const fromA = await Promise.all(ids.map(async (id) => (await a.gql(JOB, { id })).data!.job));
    expect(fromA).toEqual(fromB);

    const client = new pg.Client({ connectionString: own });
    await client.connect();
    try {
      const workers = (await client.query(`SELECT worker FROM estimate_job WHERE id = ANY($1::text[])`, [ids])).rows.map((r) => r.worker as string);
      expect(workers.every((w) => w === a.worker || w === b.worker)).toBe(true);
      console.log(`4 jobs submitted to A: ${workers.filter((w) => w === a.worker).length} run by A, ${workers.filter((w) => w === b.worker).length} by B`);

      // submitted to A, then A stops: B finishes it (A hands it back if it had it)
      const last = (await a.gql(SUBMIT, { s: mediation(60) })).data!.submitEstimate.id as string;
      expect(await a.stop()).toBe(0);
      const end = await poll(b, last);
      expect(end.status).toBe('DONE');
      const w = (await client.query(`SELECT worker FROM estimate_job WHERE id = $1`, [last])).rows[0].worker;
      expect(w).toBe(b.worker);
    } finally {
      await client.end();
      await Promise.all([a.stop(), b.stop()]);
      await dropFreshDatabase('procs');
    }
  });
});
