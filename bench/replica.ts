// Reads/s of one app process against the primary alone and against the primary + a streaming replica
// (DATABASE_REPLICA_URLS), same query, same run, and which server answered (from the app's /metrics).
//   BENCH_DATABASE_URL=postgresql://…:5432/<db> BENCH_REPLICA_URL=postgresql://…:5433/<db> npx tsx bench/replica.ts
// The replica is a hot standby of the primary (docs/operations.md, "Read replicas"). BENCH_SECONDS (default 15),
// BENCH_CONNECTIONS (default 50), BENCH_PORT (default 4720; +1 for the second server).
// On one machine both servers share the CPU, so the throughput ratio shows the routing's overhead rather than the
// capacity a replica on its own machine adds; the goals are that the replica answers the reads and nothing fails.
import autocannon from 'autocannon';
import { postQuery, startServer } from './server.js';

const primary = process.env.BENCH_DATABASE_URL;
const replica = process.env.BENCH_REPLICA_URL;
if (!primary || !replica) {
  console.log('skipped: set BENCH_DATABASE_URL (primary) and BENCH_REPLICA_URL (a hot standby of it)');
  process.exit(0);
}
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PORT = Number(process.env.BENCH_PORT ?? 4720);
const QUERY = '{ city(code: "320100") { name province metrics { year gdp population } } }';

async function run(label: string, port: number, env: Record<string, string>) {
  const srv = await startServer({ port, databaseUrl: primary, env: { AGGLOMERA_LOAD_DEMO: 'false', AGGLOMERA_RUN_JOBS: 'false', ...env } });
  try {
    const check = await postQuery(srv.url, QUERY);
    if (check.body.errors) throw new Error(check.body.errors[0].message);
    await autocannon({ url: srv.url, method: 'POST', connections: 10, duration: 2, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
    const r = await autocannon({ url: srv.url, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
    const metrics = await (await fetch(`${srv.origin}/metrics`)).text();
    const reads: Record<string, number> = {};
    for (const m of metrics.matchAll(/^agglomera_db_reads_total\{target="([^"]+)"\} (\S+)$/gm)) reads[m[1]] = Number(m[2]);
    const row = { label, reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed: r.errors + r.timeouts + r.non2xx, reads };
    console.log(JSON.stringify(row));
    return row;
  } finally { await srv.stop(); }
}

const alone = await run('primary only', PORT, {});
const both = await run('primary + replica', PORT + 1, { DATABASE_REPLICA_URLS: replica });
const onReplica = Object.entries(both.reads).filter(([k]) => k !== 'primary').reduce((s, [, v]) => s + v, 0);
const share = onReplica / Math.max(1, onReplica + (both.reads.primary ?? 0));
const ratio = both.reqPerSec / alone.reqPerSec;
console.log(`reads/s: primary only ${alone.reqPerSec.toFixed(0)}, primary + replica ${both.reqPerSec.toFixed(0)} (${ratio.toFixed(2)}x); p99 ${alone.p99} / ${both.p99} ms`);
console.log(`goal reads served by the replica (>= 90% of plain reads): ${share >= 0.9 ? 'met' : `NOT MET (${(share * 100).toFixed(1)}%)`} (${(share * 100).toFixed(1)}%)`);
console.log(`goal no failed request: ${alone.failed + both.failed === 0 ? 'met' : `NOT MET (${alone.failed} + ${both.failed})`}`);
console.log(`goal primary + replica >= 0.8x primary-only reads/s on one shared machine: ${ratio >= 0.8 ? 'met' : `NOT MET (${ratio.toFixed(2)}x)`}`);
