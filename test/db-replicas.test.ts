// Read replicas against a real hot standby: a second PostgreSQL 15 cluster on port 5433, base-backed-up from the
// primary (DATABASE_URL's server at 5432) with `pg_basebackup -R`, started and dropped by this file.
// Shown: plain reads answered by the standby (its own transaction counter), writes on the primary, no stale read
// right after an import (in process and, with X-Agglomera-Min-Data-Version, from another writer), and no failed
// request when the standby stops under load; the standby is used again after it comes back.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/app.js';
import type { Db } from '../src/db/db.js';
import { replicaCounts, readVersion, hasReplicas } from '../src/db/replicas.js';
import { sql } from '../src/db/sql.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { runImport } from '../src/import/core.js';
import { limits, setLimits } from '../src/limits/settings.js';
import { getStore, keepDatasetMeta } from './helpers/store.js';

const CLUSTER = 'agglo_replica_test';
const VERSION = '15';
const PORT = 5433;
const DATA = `/var/lib/postgresql/${VERSION}/${CLUSTER}`;

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 }).toString();
const has = (cmd: string) => { try { run('sh', ['-c', `command -v ${cmd}`]); return true; } catch { return false; } };

function skipReason(): string | undefined {
  if (!process.env.DATABASE_URL) return 'DATABASE_URL not set (a replica needs a PostgreSQL primary)';
  for (const c of ['pg_createcluster', 'pg_ctlcluster', 'pg_dropcluster', 'pg_basebackup', 'runuser']) if (!has(c)) return `${c} not installed (postgresql-common / PostgreSQL 15 client)`;
  if (process.getuid?.() !== 0) return 'not root: creating a PostgreSQL cluster needs root (pg_createcluster)';
  const u = new URL(process.env.DATABASE_URL);
  if (!['127.0.0.1', 'localhost'].includes(u.hostname) || (u.port || '5432') !== '5432') return 'DATABASE_URL is not the local server at 127.0.0.1:5432';
  try {
    run('psql', [`host=127.0.0.1 port=5432 user=${u.username || 'postgres'} replication=true`, '-c', 'IDENTIFY_SYSTEM']);
  } catch {
    return 'the primary at 127.0.0.1:5432 refuses replication connections (pg_hba.conf: host replication all 127.0.0.1/32 trust)';
  }
  return undefined;
}
const reason = skipReason();

function dropCluster() {
  try { run('pg_dropcluster', ['--stop', VERSION, CLUSTER]); } catch { /* not there */ }
}

/** Creates the cluster (config in /etc), replaces its data with a base backup of the whole primary, starts it. */
function buildStandby() {
  dropCluster();
  run('pg_createcluster', [VERSION, CLUSTER, '-p', String(PORT)]);
  writeFileSync(`/etc/postgresql/${VERSION}/${CLUSTER}/pg_hba.conf`, 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  run('find', [DATA, '-mindepth', '1', '-delete']);
  run('runuser', ['-u', 'postgres', '--', 'pg_basebackup', '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-D', DATA, '-R', '-X', 'stream', '-c', 'fast']);
  run('pg_ctlcluster', [VERSION, CLUSTER, 'start']);
}

const dbName = () => new URL(process.env.DATABASE_URL!).pathname.slice(1);
const standbyUrl = () => { const u = new URL(process.env.DATABASE_URL!); u.port = String(PORT); return u.toString(); };

async function standbyQuery<T>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: standbyUrl() });
  await c.connect();
  try { return (await c.query(text)).rows as T[]; } finally { await c.end(); }
}
/** Transactions committed in the test database on the standby: every read it answers is one. */
async function standbyCommits(): Promise<number> {
  const [r] = await standbyQuery<{ n: string }>(`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = '${dbName()}'`);
  return Number(r.n);
}

const VAR = 'replica_probe';
const LABEL = () => `127.0.0.1:${PORT}/${dbName()}`;

describe.skipIf(reason)(`read replicas on a hot standby${reason ? ` (skipped: ${reason})` : ''}`, () => {
  keepDatasetMeta();
  let app: Db;
  let server: RunningServer;
  let code: string;

  beforeAll(async () => {
    const { db } = await getStore(); // migrated and seeded before the backup: the standby holds the same database
    [{ code }] = await db.query<{ code: string }>(sql`SELECT city_code AS code FROM city_year WHERE year = 2019 ORDER BY city_code LIMIT 1`);
    buildStandby();
    app = await openStore({ databaseUrl: process.env.DATABASE_URL, replicaUrls: [standbyUrl()], loadDemo: false });
    // the response cache off: every probe must reach a database for the routing to show (a kept answer reaches none)
    const before = limits();
    setLimits({ ...before, responseCache: false });
    try { server = await startHttp(app, 0); } finally { setLimits(before); }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await app?.close();
    dropCluster();
    const { db } = await getStore();
    await db.query(sql`DELETE FROM city_variable WHERE name = ${VAR}`);
  }, 60_000);

  const probe = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.origin}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: `{ city(code: "${code}") { metrics(years: [2019]) { v: value(name: "${VAR}") } } }` }),
    });
    const body = await res.json() as { data?: { city: { metrics: { v: number | null }[] } }; errors?: unknown[] };
    return { status: res.status, errors: body.errors, value: body.data?.city.metrics[0]?.v ?? null };
  };
  const importValue = async (v: number) => { const r = await runImport(app, 'city-years', { fileName: 'probe.csv', body: Buffer.from(`code,year,${VAR}\n${code},2019,${v}\n`) }); expect(r.status).toBe('ok'); return r; };

  it('is a standby: in recovery, fed by the primary', async () => {
    expect(hasReplicas(app)).toBe(true);
    const [s] = await standbyQuery<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    expect(s.r).toBe(true);
    await expect(standbyQuery('CREATE TABLE replica_should_fail (x int)')).rejects.toThrow(/read-only/);
  });

  it('serves plain reads from the standby and writes on the primary', async () => {
    const report = await importValue(1);
    expect(report.status).toBe('ok');
    // until the standby has replayed the import (and its version was re-read) the primary answers: wait for that
    const first = replicaCounts.reads.get(LABEL()) ?? 0;
    for (let i = 0; i < 200 && (replicaCounts.reads.get(LABEL()) ?? 0) === first; i++) {
      expect((await probe()).value).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
    }
    const [onPrimary] = await app.background().query<{ v: number }>(sql`SELECT value AS v FROM city_variable WHERE name = ${VAR} AND city_code = ${code} AND year = 2019`);
    expect(onPrimary.v).toBe(1);
    const commits = await standbyCommits();
    const reads = replicaCounts.reads.get(LABEL()) ?? 0;
    for (let i = 0; i < 20; i++) expect((await probe()).value).toBe(1);
    expect((replicaCounts.reads.get(LABEL()) ?? 0) - reads).toBeGreaterThanOrEqual(20);
    // the standby's own statistics: backends flush them when idle (up to ~10 s later)
    let served = 0;
    for (let i = 0; i < 60 && served < 20; i++) {
      served = await standbyCommits() - commits;
      if (served < 20) await new Promise((r) => setTimeout(r, 250));
    }
    expect(served).toBeGreaterThanOrEqual(20);
    const [conns] = await standbyQuery<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${dbName()}' AND pid <> pg_backend_pid()`);
    expect(conns.n).toBeGreaterThan(0); // the app's replica pool is connected to the standby
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`agglomera_db_reads_total\\{target="${LABEL().replace(/[./]/g, '\\$&')}"\\} [1-9]`));
  });

  it('never answers older data than the caller wrote: import then read, 25 times', async () => {
    let stale = 0;
    for (let i = 2; i < 27; i++) {
      await importValue(i);
      const got = await probe();
      expect(got.errors).toBeUndefined();
      if (got.value !== i) stale++;
    }
    expect(stale).toBe(0);
    expect(await readVersion(app)).toBeGreaterThan(0);
  });

  it('honours X-Agglomera-Min-Data-Version for a write made by another process', async () => {
    const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      let stale = 0;
      for (let i = 100; i < 110; i++) {
        await other.query(`UPDATE city_variable SET value = $1 WHERE name = $2 AND city_code = $3 AND year = 2019`, [i, VAR, code]);
        const [{ v }] = (await other.query(`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`)).rows as { v: string }[];
        const got = await probe({ 'X-Agglomera-Min-Data-Version': v });
        if (got.value !== i) stale++;
      }
      expect(stale).toBe(0);
    } finally { await other.end(); }
    expect((await probe({ 'X-Agglomera-Min-Data-Version': 'not-a-number' })).status).toBe(200); // ignored, not an error
  });

  it('loses no request when the standby stops under load, and uses it again once it is back', async () => {
    const downBefore = replicaCounts.down.get(LABEL()) ?? 0;
    let ok = 0, failed = 0, stop = false;
    const worker = async () => {
      while (!stop) {
        const r = await probe().catch(() => ({ status: 0, errors: ['fetch failed'], value: null }));
        if (r.status === 200 && !r.errors && r.value === 109) ok++; else failed++;
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    const servedBefore = replicaCounts.reads.get(LABEL()) ?? 0;
    await new Promise((r) => setTimeout(r, 500));
    expect(replicaCounts.reads.get(LABEL()) ?? 0).toBeGreaterThan(servedBefore); // the load is on the standby
    run('pg_ctlcluster', [VERSION, CLUSTER, 'stop', '-m', 'immediate']);
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(workers);
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(50);
    expect(replicaCounts.down.get(LABEL()) ?? 0).toBeGreaterThan(downBefore);

    run('pg_ctlcluster', [VERSION, CLUSTER, 'start']);
    const reads = replicaCounts.reads.get(LABEL()) ?? 0;
    // one client here over the 8 keep-alive sockets of the load: the server closes the idle ones after its
    // keep-alive timeout, and a fetch that picks one at that moment gets ECONNRESET before sending (a client-side
    // race, not an answer of the app), so this phase, unlike the load above, tries a request twice
    const again = () => probe().catch(() => probe());
    for (let i = 0; i < 300 && (replicaCounts.reads.get(LABEL()) ?? 0) === reads; i++) {
      expect((await again()).value).toBe(109);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(replicaCounts.reads.get(LABEL()) ?? 0).toBeGreaterThan(reads);
  }, 60_000);
});
