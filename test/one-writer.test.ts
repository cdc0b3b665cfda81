// One writer per embedded store (issue 19, "Done when" 1).
// 1. The lock (src/db/lock.ts), in this process: a second open is refused naming the holder; a dead holder's lock
//    and a lock whose pid now belongs to another process are taken over at once; release removes only our record.
// 2. ONE_WRITER_ROUNDS rounds (default 20) on one embedded folder with the server as a child process: while it runs,
//    `keys create`, `import boundaries`, `import city-years` and `export-panel` run as CLI processes and go through
//    the server's admin channel; every acknowledged write is visible on the server at once (GraphQL with the new key
//    as Bearer, OGC items) and after SIGKILL + restart; the store opens every time. Every ONE_WRITER_CHECK_EVERY
//    rounds (default 5, and the first), also: a second server on the folder refuses naming the holder; SIGTERM +
//    restart (everything acknowledged so far visible); and, between the two, while a CLI import holds the folder
//    (reading a FIFO) another CLI refuses naming it — the held import is then acknowledged and visible too.
//    (Every round restarts the server once; the costlier checks are shared so that 20 rounds stay affordable.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runThroughServer } from '../src/cli/channel.js';
import { LOCK_NAME, lockStore, procStartOf, StoreInUseError, type Holder } from '../src/db/lock.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const EMBEDDED = !process.env.DATABASE_URL;
const ROUNDS = Number(process.env.ONE_WRITER_ROUNDS ?? 20);
const CHECK_EVERY = Number(process.env.ONE_WRITER_CHECK_EVERY ?? 5);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'agglomera-one-writer-'));
const kids = new Set<ChildProcess>();
afterAll(() => {
  for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const readHolder = (dir: string): Holder | null => { try { return JSON.parse(readFileSync(path.join(dir, LOCK_NAME), 'utf8')) as Holder; } catch { return null; } };

describe('the store lock (src/db/lock.ts)', () => {
  it('refuses a second open, names the holder, takes over dead or reused-pid locks at once, releases only its own', async () => {
    const dir = path.join(tmp, 'lock');
    const a = await lockStore(dir, { command: 'agglomera test holder' });
    expect(readHolder(dir)).toMatchObject({ pid: process.pid, command: 'agglomera test holder', host: os.hostname() });
    const second = await lockStore(dir).then(() => null, (e: unknown) => e);
    expect(second).toBeInstanceOf(StoreInUseError);
    expect((second as Error).message).toMatch(new RegExp(`^the store in ${dir} is in use by pid ${process.pid} \\(agglomera test holder, since 20\\d\\d-\\d\\d-\\d\\dT[\\d:]+Z\\); wait for it or stop it`));
    await a.update({ port: 4999 });
    expect(((await lockStore(dir).then(() => null, (e: unknown) => e)) as Error).message).toContain(`pid ${process.pid} (agglomera test holder, port 4999, since`);
    await a.release();
    expect(existsSync(path.join(dir, LOCK_NAME))).toBe(false);

    // a holder that is gone (its process ended): taken over at once
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    const record = (pid: number, procStart?: string): Holder => ({ pid, host: os.hostname(), procStart, since: new Date().toISOString(), command: 'agglomera import city-years', token: `t${pid}` });
    writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify(record(dead.pid!)));
    const b = await lockStore(dir);
    expect(readHolder(dir)!.pid).toBe(process.pid);
    await b.release();

    // a live process that is the holder refuses; the same pid with another start time (a reused pid) does not
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    kids.add(live);
    await new Promise((r) => live.once('spawn', r));
    const start = procStartOf(live.pid!);
    writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify(record(live.pid!, start)));
    const refused = await lockStore(dir).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreInUseError);
    expect((refused as StoreInUseError).holder.pid).toBe(live.pid);
    expect((refused as Error).message).toContain(`in use by pid ${live.pid} (agglomera import city-years, since`);
    if (start !== undefined) { // Linux: /proc tells a reused pid
      writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify(record(live.pid!, String(Number(start) + 1))));
      const c = await lockStore(dir);
      // releasing after another process replaced the record (it judged us dead) leaves that record alone
      const theirs = { ...record(live.pid!, start), token: 'theirs' };
      writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify(theirs));
      await c.release();
      expect(readHolder(dir)!.token).toBe('theirs');
    }
    live.kill('SIGKILL');
    await new Promise((r) => live.once('exit', r));
    const d = await lockStore(dir); // the live holder is gone now
    await d.release();
  }, 60_000);
});

// ---- the server and the CLI as processes ----

interface Run { code: number | null; out: string; err: string }
interface Server { child: ChildProcess; pid: number; port: number; exited: Promise<number | null>; log: string[] }

const dataDir = path.join(tmp, 'store');
const inDir = path.join(tmp, 'in');
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, AGGLOMERA_DATA_DIR: dataDir, AGGLOMERA_LOAD_DEMO: 'false', AGGLOMERA_LOG_LEVEL: 'info', PORT: '0', AGGLOMERA_DRAIN_SECONDS: '60',
    TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json') }; // CLI processes run from another folder
  delete e.DATABASE_URL;
  delete e.VITEST; // the server logs (silent under vitest otherwise)
  return e;
};

function proc(args: string[], cwd: string): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, args, { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  kids.add(child);
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString('utf8'); });
  const done = new Promise<Run>((r) => child.once('close', (code) => { kids.delete(child); r({ code, out, err }); }));
  return { child, done };
}

/** `agglomera <args>` in one node process (its pid is the one in the lock), from the folder with the input files
 *  (relative paths resolve there) */
const cliArgs = (args: string[]) => ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, path.join(ROOT, 'src/cli/main.ts'), ...args];
const cli = (args: string[]) => proc(cliArgs(args), inDir).done;
/** once per run also through bin/agglomera.mjs (what `npx agglomera` runs) */
const npxAgglomera = (args: string[]) => proc([path.join(ROOT, 'bin/agglomera.mjs'), ...args], inDir).done;

async function startServer(): Promise<Server> {
  const p = proc(['--import', 'tsx', 'src/server.ts'], ROOT);
  const log: string[] = [];
  p.child.stdout!.on('data', (d: Buffer) => log.push(d.toString('utf8')));
  p.child.stderr!.on('data', (d: Buffer) => log.push(d.toString('utf8')));
  const exited = p.done.then((r) => r.code);
  let gone: number | null | undefined;
  void exited.then((c) => { gone = c; });
  // ready when the server's record in the lock names its HTTP port (written once HTTP listens) and GraphQL answers
  for (;;) {
    if (gone !== undefined) throw new Error(`the server exited with ${gone} before it was ready:\n${log.join('').slice(-3000)}`);
    const h = readHolder(dataDir);
    if (h && h.pid === p.child.pid && h.port && h.socket) {
      const r = await fetch(`http://127.0.0.1:${h.port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ dataset { cities } }"}' }).catch(() => null);
      if (r?.ok) return { child: p.child, pid: p.child.pid!, port: h.port, exited, log };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function gql(s: Server, query: string, key?: string) {
  const r = await fetch(`http://127.0.0.1:${s.port}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify({ query }),
  });
  return (await r.json()) as { data?: any; errors?: { message: string }[] };
}

// what has been acknowledged so far: keys, units, variables with their values
const keys: { name: string; key: string }[] = [];
const units: string[] = [];
const vars = new Map<string, Map<string, number>>(); // variable -> unit -> value (year 2019)

const square = (code: string, x: number) => ({ type: 'Feature', properties: { code, name: `Unit ${code}` }, geometry: { type: 'Polygon', coordinates: [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]] } });
const csvOf = (name: string, values: Map<string, number>) => `code,year,${name}\n${[...values].map(([c, v]) => `${c},2019,${v}`).join('\n')}\n`;

/** Everything acknowledged is what the server serves: keys work as Bearer, units and variables over GraphQL and OGC. */
async function verify(s: Server, when: string) {
  const admin = keys[keys.length - 1].key;
  const names = [...vars.keys()];
  const r = await gql(s, `{ cityVariables { name kind } dataset { cities } apiKeys { name revokedAt }
    cities(first: 1000) { totalCount nodes { code metrics(years: [2019]) { ${names.map((n) => `${n}: value(name: "${n}")`).join(' ')} } } } }`, admin);
  expect(r.errors, when).toBeUndefined();
  expect(r.data.cityVariables.filter((v: { kind: string }) => v.kind === 'stored').map((v: { name: string }) => v.name).sort(), when).toEqual([...names].sort());
  expect(r.data.dataset.cities, when).toBe(units.length);
  expect(r.data.cities.totalCount, when).toBe(units.length);
  expect(r.data.apiKeys.map((k: { name: string }) => k.name), when).toEqual(keys.map((k) => k.name));
  for (const n of r.data.cities.nodes as { code: string; metrics: Record<string, number | null>[] }[]) {
    for (const [v, byUnit] of vars) expect(n.metrics[0]?.[v] ?? null, `${when}: ${n.code} ${v}`).toBe(byUnit.get(n.code) ?? null);
  }
  // every key made so far authenticates (an admin-only query)
  for (const k of keys) expect((await gql(s, '{ apiKeys { id } }', k.key)).errors, `${when}: key ${k.name}`).toBeUndefined();
  // the OGC snapshot (cached per data version) has the same units and the newest variable
  const o = await (await fetch(`http://127.0.0.1:${s.port}/ogc/collections/cities/items?f=json&limit=1000`)).json() as { numberMatched: number; features: { id: string; properties: Record<string, unknown> }[] };
  expect(o.numberMatched, when).toBe(units.length);
  const last = names[names.length - 1];
  for (const f of o.features) expect(f.properties[last] ?? null, `${when}: OGC ${f.id} ${last}`).toBe(vars.get(last)!.get(f.id) ?? null);
}

const stop = async (s: Server, signal: NodeJS.Signals) => { s.child.kill(signal); return s.exited; };

/** A second server on the folder refuses at once, naming the running one. */
async function secondServerRefuses(s: Server) {
  const p = proc(['--import', 'tsx', 'src/server.ts'], ROOT);
  const r = await p.done;
  expect(r.code).toBe(2);
  expect(r.err).toContain(`agglomera: the store in ${dataDir} is in use by pid ${s.pid} (agglomera server, port ${s.port}, since`);
  expect(readHolder(dataDir)!.pid).toBe(s.pid); // and the lock is still the running server's
}

/** With no server: a CLI import holds the folder (waiting on a FIFO); another CLI refuses naming it; then it ends. */
async function cliRefusesCli(round: number) {
  const fifo = path.join(inDir, `held-${round}.csv`);
  execFileSync('mkfifo', [fifo]);
  const held = proc(cliArgs(['import', 'city-years', '--file', path.basename(fifo)]), inDir);
  while (readHolder(dataDir)?.pid !== held.child.pid) {
    if (held.child.exitCode !== null) throw new Error(`the held import ended early: ${(await held.done).err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const other = await cli(['keys', 'list']);
  expect(other.code).toBe(2);
  expect(other.err).toMatch(new RegExp(`^agglomera: the store in ${dataDir} is in use by pid ${held.child.pid} \\(agglomera import city-years --file held-${round}\\.csv, since [^)]+\\); wait for it or stop it`));
  expect(other.out).toBe('');
  const name = `f${round}`;
  const values = new Map(units.map((u, i) => [u, round + i / 10]));
  await writeFile(fifo, csvOf(name, values)); // opens the FIFO for writing: the import reads it and commits
  const r = await held.done;
  expect(r.code, r.err).toBe(0);
  expect(r.out).toContain(`city-years import of held-${round}.csv: ok`);
  vars.set(name, values);
}

describe.skipIf(!EMBEDDED)('one writer: CLI commands go through the running server (embedded store only; skipped with DATABASE_URL: PostgreSQL serves many processes, there is no folder to lock)', () => {
  it(`${ROUNDS} rounds: writes through the server are visible at once, after SIGTERM and after SIGKILL`, async () => {
    mkdirSync(inDir, { recursive: true });
    const t0 = Date.now();
    let s = await startServer();
    for (let round = 1; round <= ROUNDS; round++) {
      const check = round === 1 || round % CHECK_EVERY === 0;
      // keys create (the first round through bin/agglomera.mjs, as `npx agglomera`)
      const name = `round ${round}`;
      const k = await (round === 1 ? npxAgglomera : cli)(['keys', 'create', '--name', name, '--role', 'admin']);
      expect(k.code, k.err).toBe(0);
      const key = k.out.trim().split('\n').pop()!;
      expect(key).toMatch(/^agk_[A-Za-z0-9_-]{43}$/);
      keys.push({ name, key });

      // a new unit, relative file path (resolves against the CLI's folder, not the server's)
      const unit = `U${round}`;
      writeFileSync(path.join(inDir, `b${round}.geojson`), JSON.stringify({ type: 'FeatureCollection', features: [square(unit, round)] }));
      const b = await cli(['import', 'boundaries', '--file', `b${round}.geojson`]);
      expect(b.code, b.err).toBe(0);
      expect(b.out).toMatch(new RegExp(`^boundaries import of b${round}\\.geojson: ok \\(import \\d+\\)\\nrows read 1; inserted 1, `));
      units.push(unit);

      // a new variable for every unit
      const v = `v${round}`;
      const values = new Map(units.map((u, i) => [u, round * 1000 + i + 0.25]));
      writeFileSync(path.join(inDir, `cy${round}.csv`), csvOf(v, values));
      const c = await cli(['import', 'city-years', '--file', `cy${round}.csv`]);
      expect(c.code, c.err).toBe(0);
      expect(c.out).toMatch(new RegExp(`^city-years import of cy${round}\\.csv: ok \\(import \\d+\\)\\nrows read ${units.length}; inserted 1, updated ${units.length - 1}, `));
      expect(c.err).toContain(`importing cy${round}.csv`); // progress reaches the CLI's stderr
      vars.set(v, values);

      const e = await cli(['export-panel', '--out', `panel${round}.csv`]);
      expect(e.code, e.err).toBe(0);
      const [head, ...rows] = readFileSync(path.join(inDir, `panel${round}.csv`), 'utf8').trim().split('\n');
      const cols = head.split(',');
      expect(rows.length).toBe(units.length);
      const row = rows.find((l) => l.startsWith(`${unit},2019,`))!.split(',');
      expect(Number(row[cols.indexOf(v)])).toBe(values.get(unit));

      // the exported client of the channel, in this process
      let listed = '';
      expect(await runThroughServer(dataDir, ['keys', 'list'], { out: (x) => { listed += x; }, err: () => undefined })).toBe(0);
      expect(listed).toContain(name);

      await verify(s, `round ${round}, at once`);
      if (check) await secondServerRefuses(s);

      if (check) {
        // SIGTERM: a clean stop releases the lock and the channel
        expect(await stop(s, 'SIGTERM')).toBe(0);
        expect(existsSync(path.join(dataDir, LOCK_NAME))).toBe(false);
        expect(existsSync(path.join(dataDir, 'agglomera.sock'))).toBe(false);
        await cliRefusesCli(round);
        s = await startServer();
        await verify(s, `round ${round}, after SIGTERM + restart`);
      }

      // SIGKILL: the lock of the dead server stays behind and is taken over at the next start
      const killed = s.pid;
      await stop(s, 'SIGKILL');
      expect(readHolder(dataDir)!.pid).toBe(killed);
      s = await startServer();
      await verify(s, `round ${round}, after SIGKILL + restart`);
    }
    expect(await stop(s, 'SIGTERM')).toBe(0);
    process.stdout.write(`one-writer: ${ROUNDS} rounds in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }, 4 * 3600_000);
});
