// The README, top to bottom, against a fresh server started with `npm start` (a process of its own, as a newcomer
// runs it): every ```graphql operation and every ```sh command, extracted from README.md itself so they cannot drift,
// in order, without a key (the loopback role) and without editing anything but the port (`localhost:4000` → the
// test server's). A test per example, named by its README line. Blocks marked `<!-- readme-test: skip (reason) -->`
// are reported as skipped with their reason.
// - GraphQL: no `errors`; the `"…"` placeholder is the id the previous mutation returned; `job(id:)` is polled until
//   the job ends and must end DONE.
// - Shell: exit code 0 (curl runs with --fail-with-body through CURL_HOME), in a scratch copy of the clone (symlinks)
//   so written files land there; CLI commands get the server's store (AGGLOMERA_DATA_DIR / DATABASE_URL).
// - CLI commands that open the store (import, keys, replicate, export-panel, …) on the EMBEDDED store run only when
//   the server holds its folder through the one-writer channel (issue 19 point 1): two processes must never open one
//   PGlite folder. Until then they are skipped, saying so. On PostgreSQL they always run.
// Embedded: the demo store folder is built once per migrations / demo version (.data/readme-store-<hash>) and copied
// for each run; the first build takes as long as a first `npm start`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/app.js';
import { dropFreshDatabase, freshDatabaseUrl } from './helpers/fresh-store.js';
import { readmeExamples, type Example } from './helpers/readme.js';
import { dbKind } from './helpers/store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = readmeExamples(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
const where = (e: Example) => `README.md:${e.line}`;
const STORE_CLI = /\bagglomera\s+(import|keys|replicate|export-panel|composite|study)\b/;
const TERMINAL = new Set(['DONE', 'FAILED', 'CANCELLED']);

let server: ChildProcess | undefined;
let origin = '';
let dataDir: string | undefined;
let databaseUrl: string | undefined;
let scratch = '';
let serverLog = '';
const report = { graphql: 0, sh: 0, skipped: [] as string[] };
/** Sections where a store-opening command was skipped: their later GraphQL examples may read what it would have written. */
const deferredSections = new Set<string>();

/** Hash of what decides the demo store's content: migrations, demo generator and loader, data files, engine version. */
function storeKey(): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const f of fs.readdirSync(p).sort()) walk(path.join(p, f));
    else { h.update(path.relative(ROOT, p)); h.update(fs.readFileSync(p)); }
  };
  for (const p of ['prisma/migrations', 'src/demo', 'src/db/seed.ts', 'src/db/queries', 'data']) walk(path.join(ROOT, p));
  h.update(JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version);
  return h.digest('hex').slice(0, 16);
}

/** A fresh embedded store folder with the demo loaded: a copy of the cached one (built here the first time). */
async function freshEmbeddedDir(): Promise<string> {
  const cache = path.join(ROOT, '.data', `readme-store-${storeKey()}`);
  if (!fs.existsSync(cache)) {
    const building = `${cache}.building-${process.pid}`;
    fs.rmSync(building, { recursive: true, force: true });
    const db = await openStore({ dataDir: building, demoSeed: 20260101 });
    await db.close();
    fs.renameSync(building, cache);
  }
  const dir = fs.mkdtempSync(path.join(ROOT, '.data', 'readme-run-'));
  // without the builder's lock or channel files (the one-writer lock names this process, which is alive)
  fs.cpSync(cache, dir, { recursive: true, filter: (src) => !/(^|\/)agglomera\.(lock|sock)/.test(path.relative(cache, src)) });
  return dir;
}

/**
 * The clone as a newcomer has it, where commands may write files: a copy of the working tree (~8 MB; tsx applies
 * tsconfig.json only to files under it, so symlinks would not do) with node_modules linked.
 */
function makeScratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agglomera-readme-'));
  for (const f of fs.readdirSync(ROOT)) {
    if (['.git', '.data', 'out'].includes(f)) continue;
    if (f === 'node_modules') fs.symlinkSync(fs.realpathSync(path.join(ROOT, f)), path.join(dir, f));
    else fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  }
  // curl: an HTTP error status fails the command (the README's `curl -s` would exit 0)
  fs.mkdirSync(path.join(dir, '.curl'));
  fs.writeFileSync(path.join(dir, '.curl', '.curlrc'), 'fail-with-body\nshow-error\n');
  return dir;
}

/** The environment of the server and the commands: this one without vitest's, the store of this run. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'DATABASE_URL' && k !== 'AGGLOMERA_DATA_DIR') e[k] = v;
  if (databaseUrl) e.DATABASE_URL = databaseUrl;
  if (dataDir) e.AGGLOMERA_DATA_DIR = dataDir;
  e.CURL_HOME = path.join(scratch, '.curl');
  return e;
}

/** Does the server hold its embedded folder so that a CLI process goes through it (a socket or lock of the channel)? */
function storeChannel(): boolean {
  if (!dataDir) return true; // PostgreSQL: any number of processes
  const near = [...fs.readdirSync(dataDir).map((f) => path.join(dataDir!, f)), `${dataDir}.lock`, `${dataDir}.sock`];
  return near.some((p) => { try { const st = fs.lstatSync(p); return st.isSocket() || /\.(lock|sock)$/.test(p); } catch { return false; } });
}

async function startServer(): Promise<void> {
  const e = { ...env(), PORT: '0', AGGLOMERA_LOG_LEVEL: 'info', AGGLOMERA_LOG_FORMAT: 'json' };
  // `npm start`, as the README says; its own process group, so stopping it reaches tsx's node child
  server = spawn('npm', ['start'], { cwd: scratch, env: e, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stderr!.setEncoding('utf8').on('data', (c: string) => { serverLog += c; });
  origin = await new Promise<string>((resolve, reject) => {
    let buf = '';
    server!.stdout!.setEncoding('utf8').on('data', (c: string) => {
      serverLog += c;
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const l = JSON.parse(line);
          if (typeof l.msg === 'string' && l.msg.startsWith('GraphQL ready') && l.url) resolve(new URL(l.url).origin);
        } catch { /* not a log record */ }
      }
    });
    server!.once('exit', (code) => reject(new Error(`npm start exited with ${code} before it was ready:\n${serverLog.slice(-3000)}`)));
  });
}

async function stopServer(): Promise<void> {
  const s = server;
  if (!s || s.exitCode !== null || s.pid === undefined) return;
  const exited = new Promise((r) => s.once('exit', r));
  process.kill(-s.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (s.exitCode === null) process.kill(-s.pid, 'SIGKILL');
}

beforeAll(async () => {
  scratch = makeScratch();
  if (process.env.DATABASE_URL) databaseUrl = await freshDatabaseUrl('readme');
  else dataDir = await freshEmbeddedDir();
  await startServer();
}, 1_800_000);

afterAll(async () => {
  await stopServer();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  if (databaseUrl) await dropFreshDatabase('readme');
  const ran = report.graphql + report.sh;
  console.log(`README examples on ${dbKind}: ${ran} ran (${report.graphql} GraphQL operations, ${report.sh} shell commands), `
    + `${report.skipped.length} skipped${report.skipped.length ? `:\n  ${report.skipped.join('\n  ')}` : ''}`);
}, 120_000);

/** Last id a mutation returned: stands for the README's `"…"`. */
let lastId: string | undefined;
const firstId = (o: unknown): string | undefined => {
  if (!o || typeof o !== 'object') return undefined;
  if (typeof (o as { id?: unknown }).id === 'string') return (o as { id: string }).id;
  for (const v of Object.values(o)) { const id = firstId(v); if (id) return id; }
  return undefined;
};

async function runGraphql(e: Example): Promise<void> {
  let query = e.text.replaceAll('localhost:4000', new URL(origin).host);
  if (query.includes('"…"')) {
    expect(lastId, `${where(e)}: "…" stands for an id, but no earlier mutation returned one`).toBeDefined();
    query = query.replaceAll('"…"', JSON.stringify(lastId));
  }
  const deadline = Date.now() + 600_000;
  for (;;) {
    const r = await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const text = await r.text();
    let body: { data?: any; errors?: { message: string }[] };
    try { body = JSON.parse(text); } catch { throw new Error(`${where(e)}: HTTP ${r.status}, not JSON: ${text.slice(0, 500)}`); }
    expect(body.errors?.map((x) => x.message), `${where(e)} (${e.section}): errors`).toBeUndefined();
    expect(r.status, where(e)).toBe(200);
    if (/^\s*mutation\b/.test(query)) lastId = firstId(body.data) ?? lastId;
    const job = body.data?.job;
    if (job && typeof job.status === 'string' && !TERMINAL.has(job.status) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 1000));
      continue;
    }
    if (job) expect(job.status, `${where(e)}: the job ended ${job.status}`).toBe('DONE');
    return;
  }
}

function runShell(e: Example): Promise<void> {
  const cmd = e.text.replaceAll('localhost:4000', new URL(origin).host);
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', cmd], { cwd: scratch, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (c) => { out += c; });
    p.stderr!.setEncoding('utf8').on('data', (c) => { out += c; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 600_000);
    p.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${where(e)} (${e.section}): \`${cmd}\` exited ${code ?? signal}:\n${out.slice(-3000)}`));
    });
  });
}

describe(`README.md examples, in order, against npm start on ${dbKind}`, () => {
  for (const e of examples) {
    const name = `${where(e)} ${e.kind}: ${e.text.replace(/\s+/g, ' ').slice(0, 90)}`;
    if (e.skip) {
      report.skipped.push(`${where(e)} ${e.kind} (${e.skip})`);
      it.skip(`${name} — skipped: ${e.skip}`, () => undefined);
      continue;
    }
    it(name, async (ctx) => {
      if (e.kind === 'graphql') {
        if (deferredSections.has(e.section)) {
          report.skipped.push(`${where(e)} graphql (reads what a skipped command of its section writes)`);
          ctx.skip('reads what a skipped command of its section writes');
        }
        await runGraphql(e);
        report.graphql++;
      } else {
        if (STORE_CLI.test(e.text) && !storeChannel()) {
          report.skipped.push(`${where(e)} sh (opens the embedded store, and this server has no one-writer channel yet)`);
          deferredSections.add(e.section);
          ctx.skip('opens the embedded store: runs once the server has the one-writer channel (issue 19 point 1)');
        }
        await runShell(e);
        report.sh++;
      }
    }, 900_000);
  }
});
