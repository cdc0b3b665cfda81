// /health, /ready (and its 503 reasons), /metrics counters and job gauges, request ids — on the real HTTP server.
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/db/db.js';
import { migrationsDir } from '../src/db/migrate.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { jobCounts } from '../src/jobs/jobstore.js';
import { jobManager } from '../src/jobs/manager.js';
import { setJobSource } from '../src/ops/metrics.js';
import { readiness } from '../src/ops/ready.js';
import { getStore } from './helpers/store.js';

let server: RunningServer;
beforeAll(async () => {
  const { db } = await getStore();
  setJobSource(async () => ({ store: await jobCounts(db), local: jobManager(db).load }));
  server = await startHttp(db, 0);
});
afterAll(async () => { setJobSource(undefined); await server?.stop(); });

const get = (p: string, headers: Record<string, string> = {}) => fetch(`${server.origin}${p}`, { headers });

/** The value of one sample line of the Prometheus text. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

describe('health and readiness', () => {
  it('/health answers while the process is up; /ready when the database is migrated', async () => {
    const h = await get('/health');
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok' });
    const r = await get('/ready');
    expect(r.status).toBe(200);
    const migrations = readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).length;
    expect(await r.json()).toEqual({ status: 'ready', ready: true, migrations });
  });

  it('not ready: a migration not applied, a database that does not answer, a draining process', async () => {
    const { db } = await getStore();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agglomera-migrations-'));
    try {
      for (const d of readdirSync(migrationsDir)) mkdirSync(path.join(dir, d));
      mkdirSync(path.join(dir, '20991231000000_not_yet'));
      expect(await readiness(db, { dir })).toEqual({ ready: false, reason: 'migrations not applied: 20991231000000_not_yet' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const closed = await openDb({ databaseUrl: process.env.DATABASE_URL || undefined });
    await closed.close();
    const r = await readiness(closed);
    expect(r.ready).toBe(false);
    expect(r.reason).toMatch(/^database unreachable: /);
    expect(await readiness(db, { draining: true })).toEqual({ ready: false, reason: 'shutting down' });
  }, 600_000); // a second embedded database boots slowly on a busy machine
});

describe('request ids', () => {
  it('echoes a sane x-request-id, generates one otherwise', async () => {
    expect((await get('/health', { 'x-request-id': 'abc-123' })).headers.get('x-request-id')).toBe('abc-123');
    const gen = (await get('/health')).headers.get('x-request-id')!;
    expect(gen).toMatch(/^[0-9a-f-]{36}$/);
    const bad = (await get('/health', { 'x-request-id': 'no spaces <allowed>' })).headers.get('x-request-id')!;
    expect(bad).toMatch(/^[0-9a-f-]{36}$/);
    expect((await get('/graphql?query=%7B__typename%7D')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('metrics', () => {
  it('request counters and the latency histogram move; 404s are one route; job gauges match the store', async () => {
    const before = await (await get('/metrics')).text();
    expect(before).toContain('agglomera_process_cpu_user_seconds_total');
    for (let i = 0; i < 3; i++) expect((await get('/health')).status).toBe(200);
    expect((await get('/no/such/path')).status).toBe(404);
    const gq = await fetch(`${server.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ dataset { cities } }' }) });
    expect(((await gq.json()) as any).data.dataset.cities).toBe(338);
    const { db } = await getStore();
    const c1 = await jobCounts(db);
    const after = await (await get('/metrics')).text();
    const c2 = await jobCounts(db);
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('agglomera_http_requests_total', { route: '/health', method: 'GET', status: '200' })).toBe(3);
    expect(delta('agglomera_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(delta('agglomera_http_requests_total', { route: '/graphql', method: 'POST', status: '200' })).toBe(1);
    // the previous /metrics request is counted once it ended
    expect(delta('agglomera_http_requests_total', { route: '/metrics', method: 'GET', status: '200' })).toBe(1);
    expect(delta('agglomera_http_request_duration_seconds_count', { route: '/health', method: 'GET' })).toBe(3);
    expect(sample(after, 'agglomera_http_request_duration_seconds_bucket', { route: '/health', method: 'GET', le: '+Inf' }))
      .toBe(sample(after, 'agglomera_http_request_duration_seconds_count', { route: '/health', method: 'GET' }));
    // the gauges read the store (jobs of other tests may finish meanwhile: between the counts before and after)
    const finished = sample(after, 'agglomera_estimate_jobs', { state: 'finished' });
    expect(finished).toBeGreaterThanOrEqual(c1.DONE);
    expect(finished).toBeLessThanOrEqual(c2.DONE);
    expect(sample(after, 'agglomera_estimate_jobs', { state: 'failed' })).toBeGreaterThanOrEqual(c1.FAILED);
    expect(sample(after, 'agglomera_estimate_jobs', { state: 'failed' })).toBeLessThanOrEqual(c2.FAILED);
    // a job that finishes moves the finished gauge by one
    const m = jobManager(db);
    const j = await m.submit({ spec: { estimator: 'ols', formula: 'NQP ~ RTA', sample: { where: `year > ${(1900 + Math.random() * 50).toFixed(6)}` } } });
    expect((await m.wait(j.id))!.status).toBe('DONE');
    const later = await (await get('/metrics')).text();
    expect(sample(later, 'agglomera_estimate_jobs', { state: 'finished' })).toBeGreaterThanOrEqual(finished + 1);
  });
});
