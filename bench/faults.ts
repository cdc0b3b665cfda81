// Faults (issue 11), loopback only, bounded in time:
//  1. PostgreSQL restarted under load (`pg_ctlcluster 15 main restart`): requests during the outage fail with a clear
//     error, the same server process recovers by itself. Needs BENCH_DATABASE_URL and root (pg_ctlcluster).
//  2. Embedded database: the server killed with SIGKILL during writes restarts on a consistent store (see writeKill()).
// Usage: npm run bench -- faults      FAULT_SECONDS=30 BENCH_DATABASE_URL=postgresql://...
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { postQuery, startServer } from './server.js';
import { writeKill } from './faults-embedded.js';

const SECONDS = Number(process.env.FAULT_SECONDS ?? 30);
const QUERY = '{ city(code: "320100") { name metrics(years: [2019]) { gdp } } }';

async function pgRestart(databaseUrl: string) {
  const srv = await startServer({ port: 4750, databaseUrl, env: { AGGLOMERA_LOG_LEVEL: 'warn' } });
  const pid = srv.child.pid;
  const probes: { t: number; ok: boolean; what: string }[] = [];
  const t0 = Date.now();
  let probing = true;
  const probeLoop = (async () => {
    while (probing) {
      const t = Date.now() - t0;
      try {
        const r = await postQuery(srv.url, QUERY);
        const err = r.body.errors?.[0];
        probes.push({ t, ok: !err && r.status === 200, what: err ? `${r.status} ${err.extensions?.code ?? ''}: ${err.message}` : `${r.status} ok` });
      } catch (e) {
        probes.push({ t, ok: false, what: `no HTTP answer: ${(e as Error).message}` });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const load = autocannon({ url: srv.url, method: 'POST', connections: 50, duration: SECONDS, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) } as any);
  await new Promise((r) => setTimeout(r, Math.min(8, SECONDS / 3) * 1000));
  const cluster = execFileSync('bash', ['-c', 'ls /etc/postgresql | head -n1']).toString().trim();
  const tRestart = Date.now() - t0;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { stdio: 'inherit' });
  const tBack = Date.now() - t0;
  const result = await load;
  probing = false;
  await probeLoop;
  const after = await postQuery(srv.url, QUERY);
  const failures = probes.filter((p) => !p.ok);
  const firstOkAfter = probes.find((p) => p.t > tRestart && p.ok && probes.some((q) => !q.ok && q.t < p.t));
  const messages = [...new Set(failures.map((p) => p.what))];
  console.log(`PostgreSQL restart under load (${SECONDS} s, 50 connections; restart issued at ${(tRestart / 1000).toFixed(1)} s, cluster up again at ${(tBack / 1000).toFixed(1)} s)`);
  console.log(`  load: ${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} socket errors, ${result.timeouts} timeouts`);
  console.log(`  probes: ${probes.length}, failed ${failures.length} (between ${failures.length ? (failures[0].t / 1000).toFixed(1) : '-'} s and ${failures.length ? (failures[failures.length - 1].t / 1000).toFixed(1) : '-'} s)`);
  for (const m of messages.slice(0, 5)) console.log(`  error seen: ${m}`);
  console.log(`  first success after the outage: ${firstOkAfter ? `${(firstOkAfter.t / 1000).toFixed(1)} s` : failures.length ? 'NONE' : 'no outage seen by the probe'}`);
  const alive = srv.child.exitCode === null && srv.child.pid === pid;
  console.log(`  same server process (pid ${pid}) still running: ${alive ? 'yes' : 'NO'}; query after the run: ${after.body.errors ? `ERROR ${after.body.errors[0].message}` : 'ok'}`);
  await srv.stop();
  if (!alive || after.body.errors) process.exitCode = 1;
}

const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (pgUrl) await pgRestart(pgUrl); else console.log('PostgreSQL restart: skipped (set BENCH_DATABASE_URL)');
await writeKill();
