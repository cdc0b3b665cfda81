// `agglomera keys create | list | revoke` round trip on DATABASE_URL or a fresh embedded folder, then the keys as the
// server sees them (KeyStore lookups on the same database).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/app.js';
import { KeyStore } from '../src/auth/keys.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'agglomera-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, AGGLOMERA_DATA_DIR: path.join(tmp, 'db') };
const dbKind = process.env.DATABASE_URL ? 'postgres' : 'embedded';

function keys(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/agglomera.mjs', 'keys', ...args], { encoding: 'utf8', env, timeout: 300_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe(`agglomera keys on ${dbKind}`, () => {
  it('creates (printing the key once), lists and revokes by prefix and by id', { timeout: 900_000 }, async () => {
    const name = `cli ${Date.now()}`;
    const a = keys('create', '--name', `${name} a`, '--role', 'analyst');
    expect(a.status, a.err).toBe(0);
    const keyA = a.out.trim().split('\n').pop()!;
    expect(keyA).toMatch(/^agk_[A-Za-z0-9_-]{43}$/);
    expect(a.out).toMatch(new RegExp(`^created key (\\d+) "${name} a" with the analyst role; it is shown only now:`));
    const b = keys('create', '--name', `${name} b`, '--role', 'admin');
    const keyB = b.out.trim().split('\n').pop()!;
    const idB = /created key (\d+)/.exec(b.out)![1];

    const list = keys('list');
    expect(list.status, list.err).toBe(0);
    const rowA = list.out.split('\n').find((l) => l.includes(`${name} a`))!;
    expect(rowA).toContain(keyA.slice(0, 12));
    expect(rowA).toContain('analyst');
    expect(list.out).not.toContain(keyA); // never the secret
    expect(list.out.split('\n')[0]).toMatch(/^id\s+prefix\s+role\s+name\s+created\s+last used\s+revoked$/);

    const r1 = keys('revoke', keyA.slice(0, 12));
    expect(r1.status, r1.err).toBe(0);
    expect(r1.out).toMatch(new RegExp(`^revoked key \\d+ "${name} a" \\(${keyA.slice(0, 12)}\\) at 20`));
    const r2 = keys('revoke', idB);
    expect(r2.out).toContain(`revoked key ${idB} "${name} b"`);
    const json = JSON.parse(keys('list', '--json').out) as { name: string; revokedAt: string | null }[];
    expect(json.filter((k) => k.name.startsWith(name)).map((k) => k.revokedAt !== null)).toEqual([true, true]);

    const c = keys('create', '--name', `${name} c`, '--role', 'reader');
    const keyC = c.out.trim().split('\n').pop()!;
    const db = await openStore({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: env.AGGLOMERA_DATA_DIR, loadDemo: false });
    try {
      const store = new KeyStore(db, 1000);
      expect(await store.lookup(keyA)).toEqual({ ok: false, reason: 'revoked' });
      expect(await store.lookup(keyB)).toEqual({ ok: false, reason: 'revoked' });
      expect(await store.lookup(keyC)).toMatchObject({ ok: true, name: `${name} c`, role: 'reader' });
      store.close();
    } finally { await db.close(); }
  });

  it('refuses bad arguments with one line and exit code 2', { timeout: 600_000 }, () => {
    const bad = keys('create', '--name', 'x', '--role', 'root');
    expect(bad.status).toBe(2);
    expect(bad.err).toBe('agglomera: keys create needs --role reader|analyst|admin\n');
    const none = keys('revoke', 'agk_nosuchkey');
    expect(none.status).toBe(2);
    expect(none.err).toContain('no API key with id or prefix "agk_nosuchkey"');
    expect(keys('rotate').err).toContain("unknown keys command 'rotate'");
  });
});
