// The CLI door on a store of its own (embedded folder in /tmp, or a fresh PostgreSQL database): reports and exit
// codes, and a process killed (SIGKILL) in the middle of an import leaves the store as it was.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/app.js';
import { usAtlasCounties } from '../scripts/usatlas-geojson.js';
import { storeDigest } from './helpers/digest.js';
import { dropFreshDatabase, freshDatabaseUrl } from './helpers/fresh-store.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'import-cli-'));
const dataDir = path.join(dir, 'pglite');
let env: NodeJS.ProcessEnv;

// one node process (no tsx wrapper process), so a SIGKILL hits the process that writes
const cliArgs = (args: string[]) => ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'import', ...args];
const cli = (args: string[]) => spawnSync(process.execPath, cliArgs(args), { cwd: root, env, encoding: 'utf8', timeout: 600_000 });

async function digest() {
  const db = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.DATABASE_URL ? undefined : dataDir, loadDemo: false });
  try { return await storeDigest(db); } finally { await db.close(); }
}

const sq = (code: string, x: number) => ({ type: 'Feature', properties: { code, name: code }, geometry: { type: 'Polygon', coordinates: [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]] } });
const write = (name: string, features: unknown[]) => {
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify({ type: 'FeatureCollection', features }));
  return f;
};

beforeAll(async () => {
  const { DATABASE_URL: _d, ...rest } = process.env;
  const url = await freshDatabaseUrl('import_cli');
  env = { ...rest, AGGLOMERA_LOAD_DEMO: 'false', AGGLOMERA_DATA_DIR: dataDir, ...(url ? { DATABASE_URL: url } : {}) };
}, 120_000);
afterAll(() => dropFreshDatabase('import_cli'));

describe('agglomera import (CLI)', () => {
  it('writes a good file (exit 0), refuses a bad one (exit 2, every bad row, nothing written)', async () => {
    const good = cli(['boundaries', '--file', write('good.geojson', [sq('U1', 0), sq('U2', 1)]), '--format', 'json']);
    expect(good.status, good.stderr).toBe(0);
    const r = JSON.parse(good.stdout);
    expect(r).toMatchObject({ status: 'ok', counts: { inserted: 2 }, kind: 'boundaries', fileName: 'good.geojson' });
    expect(r.derived[1]).toMatch(/^neighbours \(exact\): 1 pairs/);
    const before = await digest();
    const bad = cli(['boundaries', '--file', write('bad.geojson', [sq('U3', 5), sq('U3', 6), { ...sq('', 7), properties: {} }])]);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toContain('2 problems; nothing was written');
    expect(bad.stdout).toContain('line/feature 2 [U3] code = "U3": duplicate unit code (also feature 1)');
    expect(bad.stdout).toContain('line/feature 3 code: missing unit code');
    expect(await digest()).toEqual(before);
    const usage = cli(['nonsense', '--file', 'x']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/import needs one kind/);
  }, 900_000);

  it('a process killed (SIGKILL) mid-import leaves the store as before', async () => {
    const big = path.join(dir, 'counties.geojson');
    writeFileSync(big, JSON.stringify(usAtlasCounties()));
    const before = await digest();
    const child = spawn(process.execPath, cliArgs(['boundaries', '--file', big, '--code', 'GEOID', '--repair']), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const killedAt = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /progress (\d+)\/(\d+)/.exec(err);
        if (m && Number(m[1]) > 0 && !child.killed) { child.kill('SIGKILL'); resolve(m[0]); }
      });
      child.on('exit', (code) => { if (!child.killed) reject(new Error(`import ended (${code}) before it could be killed: ${err}`)); });
    });
    await new Promise((r) => child.on('close', r));
    expect(child.signalCode).toBe('SIGKILL');
    expect(killedAt).toMatch(/^progress \d+\/6462$/);
    expect(await digest()).toEqual(before);
  }, 600_000);
});
