// Fault 2 (issue 11): the server on the embedded database killed with SIGKILL while imports write, then restarted on
// the same folder: the store must open, answer, and hold every import whole or not at all (one transaction each).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { postQuery, startServer } from './server.js';

const SOURCE = process.env.BENCH_DATA_DIR ?? '/tmp/agglomera-bench-pglite';
const DIR = '/tmp/agglomera-fault-pglite';
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 3);

function keysCreate(dir: string): string {
  const out = execFileSync(process.execPath, ['bin/agglomera.mjs', 'keys', 'create', '--name', 'fault-test', '--role', 'admin'],
    { env: { ...process.env, DATABASE_URL: '', AGGLOMERA_DATA_DIR: dir }, encoding: 'utf8' });
  const key = out.match(/agk_[A-Za-z0-9_-]+/)?.[0];
  if (!key) throw new Error(`keys create printed no key:\n${out}`);
  return key;
}

async function cityYears(url: string, key: string): Promise<string[]> {
  const r = await postQuery(url, '{ cities(first: 1000) { nodes { code } } }', undefined, { authorization: `Bearer ${key}` });
  return r.body.data.cities.nodes.map((n: { code: string }) => n.code);
}

export async function writeKill() {
  if (!existsSync(SOURCE)) { console.log(`embedded SIGKILL during writes: skipped (no demo store at ${SOURCE}; run the load benchmark first)`); return; }
  rmSync(DIR, { recursive: true, force: true });
  cpSync(SOURCE, DIR, { recursive: true });
  const key = keysCreate(DIR);
  const auth = { authorization: `Bearer ${key}` };
  let port = 4760;
  let srv = await startServer({ port: port++, dataDir: DIR, env: { AGGLOMERA_LOG_LEVEL: 'warn' } });
  const codes = await cityYears(srv.url, key);
  const names: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // One import per variable: every unit x 20 years. The kill lands while one of them is being written.
    const started: Promise<unknown>[] = [];
    for (let k = 0; k < 4; k++) {
      const name = `fault_r${round}_v${k}`;
      names.push(name);
      const rows = [`code,year,${name}`];
      for (const c of codes) for (let y = 2000; y < 2020; y++) rows.push(`${c},${y},${(y - 2000) * 0.5 + k}`);
      started.push(fetch(`${srv.origin}/api/import/city-years`, { method: 'POST', headers: { 'content-type': 'text/csv', ...auth }, body: rows.join('\n') }).catch(() => undefined));
    }
    await new Promise((r) => setTimeout(r, 1500 + 1000 * round));
    srv.child.kill('SIGKILL');
    await Promise.all(started);
    srv = await startServer({ port: port++, dataDir: DIR, env: { AGGLOMERA_LOG_LEVEL: 'warn' } });
    const ready = await fetch(`${srv.origin}/ready`).then((r) => r.status);
    const counts: string[] = [];
    let partial = 0;
    for (const name of names) {
      const r = await postQuery(srv.url, `{ cityVariables { name count } }`, undefined, auth);
      const v = (r.body.data?.cityVariables ?? []).find((x: { name: string }) => x.name === name);
      const n = v?.count ?? 0;
      if (n !== 0 && n !== codes.length * 20) partial++;
      counts.push(`${name}=${n}`);
    }
    console.log(`embedded SIGKILL round ${round + 1}: restarted, /ready ${ready}; rows per imported variable: ${counts.join(' ')}; partial imports: ${partial}`);
    if (ready !== 200 || partial) process.exitCode = 1;
  }
  await srv.stop();
}
