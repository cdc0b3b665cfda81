// The response cache across processes: two real app processes on one PostgreSQL database, both with the cache on and
// REDIS_URL. A query computed by process A is a hit in process B (from Redis); an import through A moves the data
// version, and the same query in B — which holds the old answer in its own memory — answers the new data, as does A
// afterwards. Needs DATABASE_URL: on the embedded store one process owns the PGlite folder, there is no second
// process to share with (test/graphql-response-cache.test.ts covers invalidation in one process on both databases).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/app.js';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { JsonLogProcess } from './helpers/json-log.js';
import { dropFreshDatabase, freshDatabaseUrl } from './helpers/fresh-store.js';

const HAS_PG = !!process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.resolve(import.meta.dirname, '..');
// this run's own keys: parallel runs on one Redis do not share answers, and the keys are removed after
const PREFIX = `agglomera-test-rc-${randomUUID().slice(0, 8)}:`;
const SUFFIX = 'rcache_procs';

interface App { p: JsonLogProcess; origin: string }
const apps: App[] = [];
let db: Db | undefined;
let city = '';

async function startApp(databaseUrl: string): Promise<App> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: databaseUrl, REDIS_URL, PORT: '0', AGGLOMERA_LOG_FORMAT: 'json', AGGLOMERA_LOG_LEVEL: 'info',
    AGGLOMERA_RESPONSE_CACHE: 'true', AGGLOMERA_CACHE_PREFIX: PREFIX,
    // callers on this machine may import (the write under test); no job runs here
    AGGLOMERA_LOOPBACK_ROLE: 'admin', AGGLOMERA_RUN_JOBS: 'false', AGGLOMERA_QUEUE_PREFIX: `${PREFIX}queue`,
  };
  delete env.VITEST;
  const p = new JsonLogProcess(spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const ready = await Promise.race([
    p.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('GraphQL ready')),
    p.exited.then((c) => { throw new Error(`app process exited with ${c} before it was ready`); }),
  ]);
  const app = { p, origin: new URL(String(ready.url)).origin.replace('localhost', '127.0.0.1') };
  apps.push(app);
  return app;
}

const Q = (code: string) => `{ city(code: "${code}") { code metrics(years: [2019]) { gdp } } }`;

async function query(app: App, q: string) {
  const r = await fetch(`${app.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) });
  const text = await r.text();
  return { status: r.status, timing: r.headers.get('server-timing') ?? '', etag: r.headers.get('etag'), gdp: JSON.parse(text).data?.city?.metrics?.[0]?.gdp as number, text };
}

beforeAll(async () => {
  if (!HAS_PG) return;
  const url = (await freshDatabaseUrl(SUFFIX))!;
  db = await openStore({ databaseUrl: url, demoSeed: 20260101 }); // migrated, demo loaded, before the apps start
  const [r] = await db.query<{ code: string }>(sql`SELECT city_code::text AS code FROM city_year WHERE year = 2019 AND gdp IS NOT NULL ORDER BY city_code LIMIT 1`);
  city = r.code.trim();
  await Promise.all([startApp(url), startApp(url)]);
}, 600_000);

afterAll(async () => {
  for (const a of apps) { if (a.p.proc.exitCode === null) a.p.proc.kill('SIGTERM'); await a.p.exited; }
  await db?.close();
  if (HAS_PG) await dropFreshDatabase(SUFFIX);
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${PREFIX}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
}, 120_000);

describe.skipIf(!HAS_PG)('response cache across two app processes with REDIS_URL (needs DATABASE_URL: the embedded store is one process)', () => {
  it('B serves what A computed; after an import through A, B (holding the old answer) and A answer the new data', async () => {
    const [a, b] = apps;
    const q = Q(city);
    const first = await query(a, q);
    expect(first.status).toBe(200);
    expect(first.timing).toMatch(/cache;desc=miss/);
    const fromRedis = await query(b, q);
    expect(fromRedis.timing).toMatch(/cache;desc=hit-shared/);
    expect(fromRedis.text).toBe(first.text);
    expect(fromRedis.etag).toBe(first.etag);
    const own = await query(b, q); // now in B's memory too
    expect(own.timing).toMatch(/cache;desc=hit(?!-)/);

    const next = Math.round(first.gdp) + 12345.25;
    const imp = await fetch(`${a.origin}/api/import/city-years`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `code,year,gdp\n${city},2019,${next}\n` });
    expect(imp.status).toBe(200);

    const afterInB = await query(b, q);
    expect(afterInB.timing).toMatch(/cache;desc=miss/);
    expect(afterInB.gdp).toBeCloseTo(next, 6);
    expect(afterInB.etag).not.toBe(first.etag);
    const afterInA = await query(a, q); // A's memory holds the old answer: the new version's is B's, through Redis
    expect(afterInA.timing).toMatch(/cache;desc=hit-shared/);
    expect(afterInA.gdp).toBeCloseTo(next, 6);

    const metrics = await (await fetch(`${a.origin}/metrics`)).text();
    expect(Number(/^agglomera_response_cache_shared_hits_total (\d+)/m.exec(metrics)?.[1])).toBe(1);
  });
});
