// GraphQL against a peer (issues 13, 20, 21): PostGraphile 5 (Amber preset, bench/peers-postgraphile.ts) and Agglomera
// over the SAME PostgreSQL database, each in a server process of its own started here, timed on the same nested queries
// over HTTP, alternating run by run (median of PEERS_RUNS, default 20, after one warm-up each); statements per request
// counted inside each server process (bench/peers-count.mjs). Then two load tests against each (autocannon, loopback):
// all cities × 20 years at 50 connections and the one-city query at 200 connections, PEERS_LOAD_SECONDS each.
// Sides: PostGraphile; Agglomera on PostgreSQL as shipped (response cache on); the same
// with AGGLOMERA_RESPONSE_CACHE=false (every answer computed); Agglomera on its embedded PGlite store, cache on (same demo seed). The goals of issues 20 and 21 are
// printed at the end as `goal …: met | NOT MET (measured)`. Queries and method follow ../shared/peers/graphql/compare.mjs.
//
// Usage: BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db loaded by Agglomera> npm run bench -- peers
//   PEERS_RUNS=20  PEERS_LOAD_SECONDS=20  PEERS_CONNECTIONS=200  PEERS_HEAVY_CONNECTIONS=50
//   PEERS_EMBEDDED=false (skip the embedded store)  PEERS_UNCACHED=false (skip the cache-off server)
//   PEERS_PORTS=4630,4631,4639,4632 (Agglomera on PostgreSQL, Agglomera embedded, PostGraphile, Agglomera cache off)
//   PEERS_DATA_DIR=/tmp/agglomera-peers-pglite (embedded store; the demo is loaded into it on first use, ~1 min)
//   PEERS_ONLY=oneCity20y,allCities20y (a subset of the queries)  PEERS_LOAD=false (skip the load tests)
// PostgreSQL's JIT: Agglomera's pool turns it off (src/db/db.ts); PostGraphile runs with the server's setting, as in
// the reference run; PGOPTIONS='-c jit=off' in the environment turns it off for both.
// It adds the SQL function public.city_geojson(city, float8) to the database for PostGraphile and drops it at the end.
import autocannon from 'autocannon';
import pg from 'pg';
import { startServer, type ServerProc } from './server.js';

const pgUrl = process.env.BENCH_DATABASE_URL;
if (!pgUrl) {
  console.log('peers: skipped. It needs a PostgreSQL + PostGIS database loaded by Agglomera (the demo data), e.g.\n'
    + "  psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE agglomera_bench'\n"
    + '  BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/agglomera_bench npm run bench -- peers\n'
    + '(an empty database is migrated and loaded by the Agglomera server this benchmark starts)');
  process.exit(0);
}
const RUNS = Number(process.env.PEERS_RUNS ?? 20);
const LOAD_SECONDS = Number(process.env.PEERS_LOAD_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.PEERS_CONNECTIONS ?? 200);
const HEAVY_CONNECTIONS = Number(process.env.PEERS_HEAVY_CONNECTIONS ?? 50);
// a fourth server over the same PostgreSQL database with AGGLOMERA_RESPONSE_CACHE=false: every answer computed
const UNCACHED = process.env.PEERS_UNCACHED !== 'false';
const EMBEDDED = process.env.PEERS_EMBEDDED !== 'false';
const [AGG_PORT, EMB_PORT, PGL_PORT, UNC_PORT = PGL_PORT + 1] = (process.env.PEERS_PORTS ?? '4630,4631,4639,4632').split(',').map(Number);
const DATA_DIR = process.env.PEERS_DATA_DIR ?? '/tmp/agglomera-peers-pglite';

type Digest = (data: any) => string;
/** Each query twice (PostGraphile, Agglomera) and a digest of the answer, so both are seen to return the same data. */
const QUERIES: { name: string; label: string; pg: string; agg: string; digest: [Digest, Digest] }[] = [
  {
    name: 'oneCity20y', label: 'one city × 20 years of metrics',
    pg: '{ cityByCode(code: "320100") { name province cityYearsByCityCode(orderBy: YEAR_ASC) { nodes { year gdp population } } } }',
    agg: '{ city(code: "320100") { name province metrics { year gdp population } } }',
    digest: [
      (d) => `${d.cityByCode.name} years=${d.cityByCode.cityYearsByCityCode.nodes.length} gdp=${sum(d.cityByCode.cityYearsByCityCode.nodes.map((n: any) => n.gdp))}`,
      (d) => `${d.city.name} years=${d.city.metrics.length} gdp=${sum(d.city.metrics.map((n: any) => n.gdp))}`],
  },
  {
    name: 'allCities20y', label: 'all 338 cities × 20 years',
    pg: '{ allCities { nodes { code name cityYearsByCityCode { nodes { year gdp population } } } } }',
    agg: '{ cities(first: 1000) { nodes { code name metrics { year gdp population } } } }',
    digest: [
      (d) => `cities=${d.allCities.nodes.length} years=${sum(d.allCities.nodes.map((c: any) => c.cityYearsByCityCode.nodes.length))}`,
      (d) => `cities=${d.cities.nodes.length} years=${sum(d.cities.nodes.map((c: any) => c.metrics.length))}`],
  },
  {
    name: 'allCitiesFirmsNeighbours', label: "+ all firms + neighbours' 2019 gdp",
    pg: `{ allCities { nodes { code name cityYearsByCityCode { nodes { year gdp population } }
        firmsByCityCode { nodes { id name } }
        cityNeighboursByCityCode { nodes { cityByNeighbourCode { code cityYearsByCityCode(condition: { year: 2019 }) { nodes { gdp } } } } } } } }`,
    agg: `{ cities(first: 1000) { nodes { code name metrics { year gdp population }
        firms(first: 1000) { nodes { id name } }
        neighbours { city { code metrics(years: [2019]) { gdp } } } } } }`,
    digest: [
      (d) => `cities=${d.allCities.nodes.length} firms=${sum(d.allCities.nodes.map((c: any) => c.firmsByCityCode.nodes.length))} neighbours=${sum(d.allCities.nodes.map((c: any) => c.cityNeighboursByCityCode.nodes.length))}`,
      (d) => `cities=${d.cities.nodes.length} firms=${sum(d.cities.nodes.map((c: any) => c.firms.nodes.length))} neighbours=${sum(d.cities.nodes.map((c: any) => c.neighbours.length))}`],
  },
  {
    name: 'outlines001', label: 'all outlines, simplified 0.01',
    pg: '{ allCities { nodes { code geojson(tolerance: 0.01) } } }',
    agg: '{ cities(first: 1000) { nodes { code boundary(simplify: 0.01) } } }',
    // not the same outlines: the precomputed ones (src/db/queries/outlines.ts) drop rings smaller than the tolerance
    digest: [
      (d) => `cities=${d.allCities.nodes.filter((c: any) => c.geojson.type === 'MultiPolygon').length}`,
      (d) => `cities=${d.cities.nodes.filter((c: any) => c.boundary.type === 'MultiPolygon').length}`],
  },
  {
    name: 'outlinesFull', label: 'all outlines, full',
    pg: '{ allCities { nodes { code geojson(tolerance: 0) } } }',
    agg: '{ cities(first: 1000) { nodes { code boundary } } }',
    digest: [
      (d) => `cities=${d.allCities.nodes.length} vertices=${sum(d.allCities.nodes.map((c: any) => c.geojson.coordinates.flat(2).length))}`,
      (d) => `cities=${d.cities.nodes.length} vertices=${sum(d.cities.nodes.map((c: any) => c.boundary.coordinates.flat(2).length))}`],
  },
  {
    // PostGraphile's orderBy on the city_year table (condition year = 2019) against cities(orderBy:) of a variable-year
    name: 'top10gdp2019', label: 'top 10 cities by a 2019 value',
    pg: '{ allCityYears(condition: { year: 2019 }, orderBy: GDP_DESC, first: 10) { nodes { gdp cityByCityCode { code name } } } }',
    agg: '{ cities(orderBy: [{ variable: "gdp", year: 2019, direction: DESC }], first: 10) { nodes { code name metrics(years: [2019]) { gdp } } } }',
    digest: [
      (d) => d.allCityYears.nodes.map((n: any) => `${n.cityByCityCode.code}:${n.gdp}`).join(','),
      (d) => d.cities.nodes.map((n: any) => `${n.code}:${n.metrics[0].gdp}`).join(',')],
  },
];
const ONE_CITY = QUERIES[0];

const sum = (xs: number[]) => +xs.reduce((a, b) => a + (b ?? 0), 0).toFixed(3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

async function post(url: string, query: string): Promise<{ ms: number; bytes: number; data: any }> {
  const t0 = performance.now();
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query }) });
  const text = await r.text();
  const ms = performance.now() - t0;
  const j = JSON.parse(text);
  if (j.errors) throw new Error(`${url}: ${j.errors[0].message}`);
  return { ms, bytes: text.length, data: j.data };
}

/** Statements the server process has sent so far (bench/peers-count.mjs answers over IPC). */
function statements(p: ServerProc): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no statement count over IPC')), 5000);
    p.child.once('message', (m: { statements: number }) => { clearTimeout(t); resolve(m.statements); });
    p.child.send('statements?');
  });
}

/** `goal …: met|not met (measured)` lines, collected and printed at the end. */
const goals: string[] = [];
const goal = (what: string, ok: boolean, measured: string) => goals.push(`goal ${what}: ${ok ? 'met' : 'NOT MET'} (${measured})`);

interface Side { label: string; srv: ServerProc; peer: boolean; key: 'pg' | 'uncached' | 'embedded' }

// Default limits: the nested firms query costs 27,380 on the demo store (costs follow the data, src/limits/cost.ts).
const quiet = { AGGLOMERA_LOG_LEVEL: 'warn', AGGLOMERA_RUN_JOBS: 'false' };
const preload = ['./bench/peers-count.mjs'];
const cached = { ...quiet, AGGLOMERA_RESPONSE_CACHE: 'true' };
console.log(`peers: starting Agglomera (PostgreSQL :${AGG_PORT}${UNCACHED ? `, PostgreSQL without the response cache :${UNC_PORT}` : ''}${EMBEDDED ? `, embedded :${EMB_PORT}` : ''}) and PostGraphile (:${PGL_PORT})`);
// Agglomera first: on an empty database it migrates and loads the demo, which PostGraphile then introspects.
const agg = await startServer({ port: AGG_PORT, databaseUrl: pgUrl, env: cached, preload, ipc: true });
// Fresh planner statistics for both (a store loaded before Agglomera analysed after loading, on a server without
// autovacuum, has none: its estimates then pick poor plans and pass jit_above_cost for every nested query).
{
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query('ANALYZE');
  await c.end();
}
const sides: Side[] = [];
const stops: ServerProc[] = [agg];
try {
  const pgl = await startServer({ port: PGL_PORT, databaseUrl: pgUrl, script: 'bench/peers-postgraphile.ts', preload, ipc: true, probe: '{ __typename }' });
  stops.push(pgl);
  sides.push({ label: 'PostGraphile', srv: pgl, peer: true, key: 'pg' }, { label: 'Agglomera, cache on', srv: agg, peer: false, key: 'pg' });
  if (UNCACHED) {
    const unc = await startServer({ port: UNC_PORT, databaseUrl: pgUrl, env: { ...quiet, AGGLOMERA_RESPONSE_CACHE: 'false' }, preload, ipc: true });
    stops.push(unc);
    sides.push({ label: 'Agglomera, cache off', srv: unc, peer: false, key: 'uncached' });
  }
  if (EMBEDDED) {
    const emb = await startServer({ port: EMB_PORT, dataDir: DATA_DIR, env: cached, preload, ipc: true });
    stops.push(emb);
    sides.push({ label: 'Agglomera embedded', srv: emb, peer: false, key: 'embedded' });
  }
  await run();
} finally {
  for (const s of stops) await s.stop();
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query('DROP FUNCTION IF EXISTS public.city_geojson(public.city, float8)');
  await c.end();
}

async function run() {
  const only = process.env.PEERS_ONLY?.split(',');
  const rows: string[] = [];
  const json: unknown[] = [];
  for (const q of QUERIES.filter((x) => !only || only.includes(x.name))) {
    const times = sides.map(() => [] as number[]);
    const bytes = sides.map(() => 0);
    const digests = await Promise.all(sides.map(async (s) => {
      const r = await post(s.srv.url, s.peer ? q.pg : q.agg); // warm-up (and the answers' digests)
      return q.digest[s.peer ? 0 : 1](r.data);
    }));
    const s0 = await Promise.all(sides.map((s) => statements(s.srv)));
    for (let i = 0; i < RUNS; i++) {
      for (const [k, s] of sides.entries()) {
        const r = await post(s.srv.url, s.peer ? q.pg : q.agg);
        times[k].push(r.ms);
        bytes[k] = r.bytes;
      }
    }
    const s1 = await Promise.all(sides.map((s) => statements(s.srv)));
    const perRequest = sides.map((_, k) => (s1[k] - s0[k]) / RUNS);
    const med = times.map(median);
    const cells = sides.map((_, k) => `${med[k].toFixed(1)} ms (${fmtStatements(perRequest[k])} SQL)${k ? ` ${(med[k] / med[0]).toFixed(2)}×` : ''}`);
    rows.push(`| ${q.label} | ${cells.join(' | ')} |`);
    json.push({ query: q.name, runs: RUNS, sides: sides.map((s, k) => ({ side: s.label, median_ms: +med[k].toFixed(2), p90_ms: +pct(times[k], 0.9).toFixed(2), bytes: bytes[k], statements_per_request: perRequest[k], answer: digests[k] })) });
    if (new Set(digests).size !== 1) console.log(`WARNING ${q.name}: the answers differ: ${digests.join(' | ')}`);
    // (issue 20) a repeated identical query, server time from Server-Timing: the cache-on sides only
    for (const s of sides.filter((x) => !x.peer && x.key !== 'uncached')) {
      const dur = await serverTiming(s.srv.url, q.agg);
      if (dur !== null) goal(`(issue 20) repeated ${q.name}, ${s.label}: server time <= 1 ms`, dur <= 1, `${dur.toFixed(2)} ms`);
    }
    if (q.name === 'top10gdp2019') {
      for (const [k, s] of sides.entries()) {
        if (!k) continue;
        goal(`(issue 21) top 10 cities by a 2019 value, ${s.label}: median <= PostGraphile's`, med[k] <= med[0], `${med[k].toFixed(2)} vs ${med[0].toFixed(2)} ms, ${(med[k] / med[0]).toFixed(2)}×`);
      }
    }
  }
  console.log(`\nmedian of ${RUNS} alternating runs over HTTP, after one warm-up; ratio = Agglomera / PostGraphile (below 1 = Agglomera faster)`);
  console.log(`| query | ${sides.map((s) => s.label).join(' | ')} |`);
  console.log(`|---|${sides.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(r);
  for (const j of json) console.log(JSON.stringify(j));
  if (process.env.PEERS_LOAD !== 'false') {
    const all = QUERIES.find((q) => q.name === 'allCities20y')!;
    const heavy = await load(all, HEAVY_CONNECTIONS);
    const light = await load(ONE_CITY, CONNECTIONS);
    const byKey = (r: LoadRow[], key: Side['key']) => r.find((x) => !x.peer && x.key === key);
    const peerOf = (r: LoadRow[]) => r.find((x) => x.peer)!;
    for (const [rowsOf, name, minRatio, p99] of [[heavy, `${HEAVY_CONNECTIONS} connections, all cities × 20 years`, 5, true], [light, `${CONNECTIONS} connections, one city`, 3, false]] as const) {
      const peer = peerOf(rowsOf);
      const a = byKey(rowsOf, 'pg');
      if (a) {
        goal(`${name}: Agglomera >= ${minRatio}× PostGraphile's throughput`, a.rps >= minRatio * peer.rps, `${a.rps.toFixed(0)} vs ${peer.rps.toFixed(0)} req/s, ${(a.rps / peer.rps).toFixed(2)}×`);
        if (p99) goal(`${name}: Agglomera p99 below PostGraphile's`, a.p99 < peer.p99, `${a.p99} vs ${peer.p99} ms`);
        goal(`${name}: Agglomera 0 errors`, a.errors === 0, `${a.errors}`);
      }
      const e = byKey(rowsOf, 'embedded');
      if (e) goal(`${name}: embedded >= 1.0× PostGraphile's throughput`, e.rps >= peer.rps, `${e.rps.toFixed(0)} vs ${peer.rps.toFixed(0)} req/s, ${(e.rps / peer.rps).toFixed(2)}×`);
    }
  }
  console.log('');
  for (const g of goals) console.log(g);
}

/** Median `app;dur=` of the Server-Timing header over 21 repeated requests (the response cache's hit time), or null without it. */
async function serverTiming(url: string, query: string): Promise<number | null> {
  const ask = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  await (await ask()).arrayBuffer();
  const durs: number[] = [];
  for (let i = 0; i < 21; i++) {
    const r = await ask();
    await r.arrayBuffer();
    const m = /cache;desc=hit, app;dur=([\d.]+)/.exec(r.headers.get('server-timing') ?? '');
    if (!m) return null;
    durs.push(Number(m[1]));
  }
  return median(durs);
}

function fmtStatements(n: number) { return Number.isInteger(n) ? String(n) : n.toFixed(1); }

interface LoadRow { label: string; key: Side['key']; peer: boolean; rps: number; p99: number; errors: number }

async function load(q: (typeof QUERIES)[number], connections: number): Promise<LoadRow[]> {
  const res: LoadRow[] = [];
  for (const s of sides) {
    const body = JSON.stringify({ query: s.peer ? q.pg : q.agg });
    const opts = { url: s.srv.url, method: 'POST' as const, headers: { 'content-type': 'application/json', accept: 'application/json' }, body };
    await autocannon({ ...opts, connections: 20, duration: 3 }); // warm-up
    let graphqlErrors = 0;
    const r = await autocannon({
      ...opts, connections, duration: LOAD_SECONDS, timeout: 60,
      setupClient(client: any) { client.on('body', (b: Buffer) => { if (b.includes('"errors"')) graphqlErrors++; }); },
    } as any);
    res.push({ label: s.label, key: s.key, peer: s.peer, rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx + graphqlErrors });
  }
  console.log(`\n${q.label}, ${connections} connections, ${LOAD_SECONDS} s each (autocannon, loopback); ratio = req/s over PostGraphile's (above 1 = more throughput)`);
  console.log('| server | req/s | p99 ms | errors | ratio |');
  console.log('|---|---|---|---|---|');
  for (const r of res) console.log(`| ${r.label} | ${r.rps.toFixed(0)} | ${r.p99} | ${r.errors} | ${(r.rps / res[0].rps).toFixed(2)}× |`);
  return res;
}
