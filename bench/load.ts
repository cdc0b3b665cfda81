// Load (issue 11): 200 concurrent clients for LOAD_SECONDS (default 60) on the one-city query and on the nested
// all-cities query, against a server process this script starts, on the embedded database and (BENCH_DATABASE_URL)
// PostgreSQL; then a cheap query's latency while 4 estimates run in the background. Loopback only, bounded in time.
// Usage: npm run bench -- load        LOAD_SECONDS=20 LOAD_CONNECTIONS=200 BENCH_DATABASE_URL=postgresql://...
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { postQuery, startServer, type ServerProc } from './server.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 200);
// seconds a request may take before autocannon counts it as an error (the embedded database serialises statements)
const TIMEOUT = Number(process.env.LOAD_TIMEOUT ?? 120);
let auth: Record<string, string> = {};

/** An analyst key for the estimates (created with the keys CLI before the server holds the store). */
function analystKey(t: { databaseUrl?: string; dataDir?: string }): string {
  const out = execFileSync(process.execPath, ['bin/agglomera.mjs', 'keys', 'create', '--name', 'load-bench', '--role', 'analyst'],
    { env: { ...process.env, DATABASE_URL: t.databaseUrl ?? '', ...(t.dataDir ? { AGGLOMERA_DATA_DIR: t.dataDir } : {}) }, encoding: 'utf8' });
  const key = out.match(/agk_[A-Za-z0-9_-]+/)?.[0];
  if (!key) throw new Error(`keys create printed no key:\n${out}`);
  return key;
}

const QUERIES = {
  'one city x 20 years': '{ city(code: "320100") { name province metrics { year gdp population } } }',
  'all cities nested': `{ cities(first: 1000) { nodes { code name metrics { year gdp population }
      neighbours { city { code metrics(years: [2019]) { gdp } } } } } }`,
};
const CHEAP = '{ city(code: "320100") { name } }';

interface Row { db: string; query: string; connections: number; seconds: number; requests: number; reqPerSec: number; p50: number; p99: number; errors: number; non2xx: number; graphqlErrors: number }

async function cannon(url: string, query: string, connections: number, seconds: number) {
  let graphqlErrors = 0;
  const result = await autocannon({
    url, method: 'POST', connections, duration: seconds, timeout: TIMEOUT,
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ query }),
    setupClient(client: any) {
      client.on('body', (b: Buffer) => { if (b.includes('"errors"')) graphqlErrors++; });
    },
  } as any);
  return { result, graphqlErrors };
}

async function loadRows(label: string, srv: ServerProc): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, q] of Object.entries(QUERIES)) {
    const check = await postQuery(srv.url, q, undefined, auth);
    if (check.body.errors) throw new Error(`${name}: ${check.body.errors[0].message}`);
    await cannon(srv.url, q, 20, 3); // warm-up
    const { result: r, graphqlErrors } = await cannon(srv.url, q, CONNECTIONS, SECONDS);
    rows.push({ db: label, query: name, connections: CONNECTIONS, seconds: SECONDS, requests: r.requests.total,
      reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, graphqlErrors });
  }
  return rows;
}

const SPEC = (from: number) => ({ estimator: 'sys_gmm', formula: 'NQP ~ lag(NQP, 1) + RTA + Popsiz + Urbrate',
  panel: { id: 'city', time: 'year' }, gmm: { instruments: ['lag(NQP, 2:99)'], steps: 2, collapse: false, timeDummies: true },
  sample: { where: `year >= ${from}` } });

/** Cheap-query latency alone, then while 4 estimates (distinct specs, so none is a cache hit) run as jobs. */
async function underEstimates(label: string, srv: ServerProc) {
  const alone = (await cannon(srv.url, CHEAP, 10, 10)).result.latency;
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await postQuery(srv.url, 'mutation($s: ModelSpecInput!) { submitEstimate(spec: $s) { id status } }', { s: SPEC(2001 + i) }, auth);
    if (r.body.errors) return `${label}: submitEstimate refused: ${r.body.errors[0].message} `;
    ids.push(r.body.data.submitEstimate.id);
  }
  const during = (await cannon(srv.url, CHEAP, 10, 10)).result.latency;
  const states: string[] = [];
  for (const id of ids) {
    const r = await postQuery(srv.url, `{ job(id: "${id}") { status } }`, undefined, auth);
    states.push(r.body.data?.job?.status ?? 'unknown');
  }
  return `${label}: cheap query p50/p99 alone ${alone.p50}/${alone.p99} ms; while 4 estimates run ${during.p50}/${during.p99} ms `
    + `(job states at the end of the window: ${states.join(', ')}); p99 < 100 ms: ${during.p99 < 100 ? 'yes' : 'NO'}`;
}

const targets: { label: string; databaseUrl?: string; dataDir?: string }[] = [{ label: 'embedded', dataDir: process.env.BENCH_DATA_DIR ?? '/tmp/agglomera-bench-pglite' }];
const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (pgUrl) targets.push({ label: 'postgres', databaseUrl: pgUrl });

const all: Row[] = [];
const notes: string[] = [];
for (const [i, t] of targets.entries()) {
  auth = { authorization: `Bearer ${analystKey(t)}` };
  const srv = await startServer({ port: 4700 + i, databaseUrl: t.databaseUrl, dataDir: t.dataDir, env: { AGGLOMERA_LOG_LEVEL: 'warn' } });
  try {
    all.push(...await loadRows(t.label, srv));
    notes.push(await underEstimates(t.label, srv));
  } finally {
    await srv.stop();
  }
}
console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per query, loopback`);
console.log('db        query                  requests  req/s    p50 ms  p99 ms  errors  non-2xx  graphql-errors');
for (const r of all) {
  console.log(`${r.db.padEnd(9)} ${r.query.padEnd(22)} ${String(r.requests).padStart(8)} ${r.reqPerSec.toFixed(0).padStart(6)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(7)} ${String(r.errors).padStart(7)} ${String(r.non2xx).padStart(8)} ${String(r.graphqlErrors).padStart(15)}`);
}
const base = all.find((r) => r.db === 'postgres' && r.query.startsWith('one city'));
if (base) console.log(`baseline from the issue (PostgreSQL, one-city query, 200 connections, before this work): 595 req/s, p50 308 ms, p99 537 ms -> now ${base.reqPerSec.toFixed(0)} req/s (${(base.reqPerSec / 595).toFixed(2)}x), p99 ${base.p99} ms`);
for (const n of notes) console.log(n);
const failed = all.filter((r) => r.errors + r.non2xx + r.graphqlErrors > 0);
if (failed.length) { console.log(`FAILED: errors under load in ${failed.map((r) => `${r.db}/${r.query}`).join(', ')}`); process.exitCode = 1; }
