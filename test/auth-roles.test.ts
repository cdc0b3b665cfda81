// Roles on every protected operation, over HTTP: no key / reader / analyst / admin / revoked / garbage key, and the
// anonymous role as a setting (reads open by default; `none` closes GraphQL and the OGC routes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, KeyStore, revokeKey, listKeys } from '../src/auth/keys.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { readLimits, setLimits } from '../src/limits/settings.js';
import { dbKind, getStore } from './helpers/store.js';
import { get, PING, query, type Reply } from './limits-helpers.js';

let server: RunningServer;
const keys: Record<string, string> = {};
// This file is about keys and anonymous NETWORK callers: the loopback role (which would make its own requests from
// 127.0.0.1 analysts) is off here on purpose and tested in test/auth-loopback.test.ts.
const defaults = { ...readLimits({}), loopbackRole: null };
const tag = `t${Date.now()}`;

beforeAll(async () => {
  setLimits(defaults);
  const { db } = await getStore();
  for (const role of ['reader', 'analyst', 'admin']) keys[role] = (await createKey(db, `${tag} ${role}`, role)).key;
  const revoked = await createKey(db, `${tag} revoked`, 'admin');
  await revokeKey(db, String(revoked.info.id));
  keys.revoked = revoked.key;
  keys.garbage = 'agk_' + 'A'.repeat(43); // well-formed, unknown
  server = await startHttp(db, 0);
});
afterAll(async () => { await server?.stop(); setLimits(readLimits({})); }); // the files after this one get the real defaults

type Caller = 'none' | 'reader' | 'analyst' | 'admin' | 'revoked' | 'garbage' | 'malformed';
const CALLERS: Caller[] = ['none', 'reader', 'analyst', 'admin', 'revoked', 'garbage', 'malformed'];
const headersOf = (c: Caller, style: 'bearer' | 'x-api-key' = 'bearer'): Record<string, string> => {
  if (c === 'none') return {};
  const key = c === 'malformed' ? 'let-me-in' : keys[c];
  return style === 'bearer' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key };
};
const rank = { reader: 0, analyst: 1, admin: 2 } as const;

/** Every protected operation, the role it needs, and what a caller with that role gets back. */
const OPS: { name: string; role: 'analyst' | 'admin'; query: string; check: (r: Reply) => void }[] = [
  { name: 'estimate', role: 'analyst', query: '{ estimate(spec: { estimator: "ols", formula: "NQP ~ RTA" }) { nobs coefficients { term } } }',
    check: (r) => { expect(r.json.data.estimate.nobs).toBeGreaterThan(1000); expect(r.json.data.estimate.coefficients.map((c: any) => c.term)).toEqual(['(Intercept)', 'RTA']); } },
  { name: 'descriptives', role: 'analyst', query: '{ descriptives(variables: ["NQP"]) { variable n mean } }',
    check: (r) => { expect(r.json.data.descriptives[0].variable).toBe('NQP'); expect(r.json.data.descriptives[0].n).toBeGreaterThan(1000); } },
  { name: 'regressionTable', role: 'analyst', query: '{ regressionTable(specs: [{ estimator: "ols", formula: "NQP ~ RTA" }]) }',
    check: (r) => expect(r.json.data.regressionTable).toContain('RTA') },
  { name: 'job', role: 'analyst', query: '{ job(id: "no-such-job") { id } }', check: (r) => { expect(r.json.errors).toBeUndefined(); expect(r.json.data.job).toBeNull(); } },
  { name: 'submitEstimate', role: 'analyst', query: 'mutation { submitEstimate(spec: { estimator: "ols", formula: "NQP ~ RTA" }) { id status } }',
    check: (r) => expect(r.json.data.submitEstimate.id).toMatch(/\S/) },
  { name: 'cancelJob', role: 'analyst', query: 'mutation { cancelJob(id: "no-such-job") { id } }',
    check: (r) => expect(r.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' }) },
  { name: 'apiKeys', role: 'admin', query: '{ apiKeys { name role revokedAt } }',
    check: (r) => expect(r.json.data.apiKeys.find((k: any) => k.name === `${tag} revoked`).revokedAt).toMatch(/^20/) },
  { name: 'createApiKey', role: 'admin', query: `mutation { createApiKey(name: "${tag} made", role: "reader") { key info { role prefix } } }`,
    check: (r) => { const c = r.json.data.createApiKey; expect(c.key.startsWith(c.info.prefix)).toBe(true); expect(c.info.role).toBe('reader'); } },
  { name: 'revokeApiKey', role: 'admin', query: 'mutation { revokeApiKey(key: "999999999") { id } }',
    check: (r) => expect(r.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'key' }) },
];

describe(`roles on every protected operation on ${dbKind}`, () => {
  for (const op of OPS) {
    it(`${op.name} needs ${op.role}`, async () => {
      for (const c of CALLERS) {
        const r = await query(server, op.query, headersOf(c));
        const err = r.json.errors?.[0];
        if (c === 'revoked' || c === 'garbage' || c === 'malformed') {
          expect(r.status, c).toBe(401);
          expect(err.extensions.code, c).toBe('UNAUTHENTICATED');
          expect(err.message).toMatch(c === 'revoked' ? /has been revoked/ : c === 'garbage' ? /not a known API key/ : /is malformed/);
        } else if (c === 'none') {
          expect(err.extensions.code, c).toBe('UNAUTHENTICATED');
          expect(err.message).toBe(`${op.name} needs an API key with the ${op.role} role (send "Authorization: Bearer <key>")`);
        } else if (rank[c] < rank[op.role]) {
          expect(err.extensions.code, c).toBe('FORBIDDEN');
          expect(err.message).toBe(`${op.name} needs the ${op.role} role; this key has the ${c} role`);
        } else {
          op.check(r);
        }
      }
    });
  }

  it('reads are open without a key and with every valid key; X-API-Key works as Bearer does', async () => {
    for (const c of ['none', 'reader', 'analyst', 'admin'] as const) {
      for (const style of ['bearer', 'x-api-key'] as const) {
        const r = await query(server, PING, headersOf(c, style));
        expect(r.status).toBe(200);
        expect(r.json.data.dataset.cities).toBeGreaterThan(300);
      }
    }
    expect((await query(server, PING, headersOf('revoked', 'x-api-key'))).status).toBe(401);
    const ogc = await get(server, '/collections');
    expect(ogc.status).toBe(200);
    const bad = await get(server, '/collections', headersOf('garbage'));
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('is not a known API key');
    expect(bad.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('records when a key was last used', async () => {
    const { db } = await getStore();
    const k = (await listKeys(db)).find((x) => x.name === `${tag} analyst`)!;
    expect(k.lastUsedAt).not.toBeNull();
    expect(k.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(k.createdAt.getTime());
    expect((await listKeys(db)).find((x) => x.name === `${tag} garbage`)).toBeUndefined();
  });
});

describe(`anonymous role as a setting on ${dbKind}`, () => {
  it('none: GraphQL and OGC need a key; a reader key opens them', async () => {
    const { db } = await getStore();
    setLimits({ anonymousRole: null });
    const closed = await startHttp(db, 0);
    try {
      const r = await query(closed, PING);
      expect(r.status).toBe(401);
      expect(r.json.errors[0]).toMatchObject({ message: 'GraphQL needs an API key with the reader role (send "Authorization: Bearer <key>")', extensions: { code: 'UNAUTHENTICATED' } });
      expect((await query(closed, PING, headersOf('reader'))).json.data.dataset.cities).toBeGreaterThan(300);
      const ogc = await get(closed, '/collections');
      expect(ogc.status).toBe(401);
      expect(ogc.text).toContain('GET /collections needs an API key with the reader role');
      expect((await get(closed, '/collections', headersOf('reader'))).status).toBe(200);
    } finally { await closed.stop(); setLimits(defaults); }
  });

  it('analyst: estimates open without a key, admin operations still closed', async () => {
    const { db } = await getStore();
    setLimits({ anonymousRole: 'analyst' });
    const open = await startHttp(db, 0);
    try {
      expect((await query(open, '{ job(id: "x") { id } }')).json).toEqual({ data: { job: null } });
      const r = await query(open, '{ apiKeys { id } }');
      expect(r.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    } finally { await open.stop(); setLimits(defaults); }
  });
});

describe(`key store on ${dbKind}`, () => {
  it('caches lookups and forgets a key the moment this process revokes it', async () => {
    const { db } = await getStore();
    const store = new KeyStore(db, 60_000);
    const { key, info } = await createKey(db, `${tag} cached`, 'analyst');
    expect(await store.lookup(key)).toEqual({ ok: true, id: info.id, name: `${tag} cached`, role: 'analyst' });
    const before = db.statementCount;
    expect((await store.lookup(key)).ok).toBe(true);
    expect(db.statementCount - before).toBe(0); // cached (the last-used write is throttled)
    await revokeKey(db, info.prefix);
    expect(await store.lookup(key)).toEqual({ ok: false, reason: 'revoked' });
    expect(await store.lookup('agk_short')).toEqual({ ok: false, reason: 'malformed' });
    store.close();
  });

  it('refuses a bad role, an empty name and an unknown id or prefix', async () => {
    const { db } = await getStore();
    await expect(createKey(db, 'x', 'root')).rejects.toThrow('role must be one of reader, analyst, admin, got "root"');
    await expect(createKey(db, '  ', 'reader')).rejects.toThrow('a key needs a --name');
    await expect(revokeKey(db, '999999999')).rejects.toThrow('no API key with id or prefix "999999999"');
    await expect(revokeKey(db, 'zzz')).rejects.toThrow('no API key with id or prefix "zzz"');
  });
});
