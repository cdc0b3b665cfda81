// The GraphQL response cache (AGGLOMERA_RESPONSE_CACHE, src/cache/): a repeated query is served from the cache with
// the same bytes, ETag / If-None-Match → 304, and a write between two identical queries — by this process or by
// another connection to the store, or an import — gives the new data, never the kept answer. Both databases. On the
// embedded store a hit sends no statement at all (this process owns the store: src/cache/version-barrier.ts).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/db/sql.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { runImport } from '../src/import/core.js';
import { readLimits, setLimits } from '../src/limits/settings.js';
import { dbKind, getStore, keepDatasetMeta } from './helpers/store.js';

const defaults = readLimits({});
let server: RunningServer;
let city = '';
let gdp0 = 0;

const Q = (code: string) => `{ city(code: "${code}") { code metrics(years: [2019]) { gdp } } }`;

// Statements that reach the engine from any handle (the version read goes through a background handle with a counter
// of its own, so the Db's statementCount does not see it): PGlite's query / exec, or pg's Client.query.
let engineStatements = 0;
const unwrap: (() => void)[] = [];
async function countEngineStatements() {
  const wrap = (proto: Record<string, unknown>, name: string) => {
    const original = proto[name] as (...a: unknown[]) => unknown;
    proto[name] = function (this: unknown, ...a: unknown[]) { engineStatements++; return original.apply(this, a); };
    unwrap.push(() => { proto[name] = original; });
  };
  if (dbKind === 'postgres') wrap(pg.Client.prototype as never, 'query');
  else {
    const { PGlite } = await import('@electric-sql/pglite');
    wrap(PGlite.prototype as never, 'query');
    wrap(PGlite.prototype as never, 'exec');
  }
}

keepDatasetMeta(); // the import below describes the store as user data

beforeAll(async () => {
  await countEngineStatements();
  const { db } = await getStore();
  setLimits({ ...defaults, responseCache: true });
  server = await startHttp(db, 0);
  setLimits(defaults);
  const [r] = await db.query<{ code: string; gdp: number }>(sql`SELECT city_code::text AS code, gdp FROM city_year WHERE year = 2019 AND gdp IS NOT NULL ORDER BY city_code LIMIT 1`);
  city = r.code;
  gdp0 = Number(r.gdp);
}, 120_000);

afterAll(async () => {
  for (const u of unwrap) u();
  const { db } = await getStore();
  await db.query(sql`UPDATE city_year SET gdp = ${gdp0} WHERE city_code = ${city} AND year = 2019`);
  await server?.stop();
});

async function post(query: string, headers: Record<string, string> = {}) {
  const r = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return {
    status: r.status, etag: r.headers.get('etag'), timing: r.headers.get('server-timing') ?? '', cacheControl: r.headers.get('cache-control'),
    contentType: r.headers.get('content-type'), vary: r.headers.get('vary') ?? '', text: await r.text(),
  };
}

async function setGdp(v: number, viaOtherConnection: boolean) {
  if (viaOtherConnection && process.env.DATABASE_URL) {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    try { await c.query('UPDATE city_year SET gdp = $1 WHERE city_code = $2 AND year = 2019', [v, city]); } finally { await c.end(); }
  } else {
    const { db } = await getStore();
    await db.query(sql`UPDATE city_year SET gdp = ${v} WHERE city_code = ${city} AND year = 2019`);
  }
}

describe(`response cache (${dbKind})`, () => {
  it('the metric query exists and answers the stored value', async () => {
    const r = await post(Q(city));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).data.city.metrics[0].gdp).toBeCloseTo(gdp0, 6);
  });

  it('a repeated query is a hit with the same bytes and ETag; If-None-Match gives 304 without a body', async () => {
    const q = `{ cities(first: 5) { nodes { code name } } }`;
    const a = await post(q);
    const b = await post(q);
    expect(b.timing).toMatch(/cache;desc=hit/);
    expect(b.text).toBe(a.text);
    expect(b.etag).toBe(a.etag);
    expect(b.etag).toMatch(/^"[\w-]+"$/);
    expect(b.cacheControl).toMatch(/no-cache/);
    const c = await post(q, { 'if-none-match': b.etag! });
    expect(c.status).toBe(304);
    expect(c.text).toBe('');
    const d = await post(q, { 'if-none-match': '"something-else"' });
    expect(d.status).toBe(200);
    expect(d.text).toBe(a.text);
  });

  it('a hit carries the media type its own request negotiated, and Vary names what chose it', async () => {
    const q = `{ cities(first: 3) { nodes { code } } }`;
    const a = await post(q, { accept: 'application/graphql-response+json' });
    expect(a.contentType).toBe('application/graphql-response+json; charset=utf-8');
    const b = await post(q, { accept: 'application/json' });
    expect(b.timing).toMatch(/cache;desc=hit/);
    expect(b.text).toBe(a.text);
    expect(b.contentType).toBe('application/json; charset=utf-8');
    const c = await post(q, {}); // no Accept: application/json (GraphQL over HTTP, legacy clients)
    expect(c.contentType).toBe('application/json; charset=utf-8');
    for (const h of ['Accept', 'Authorization', 'X-API-Key', 'Accept-Encoding']) expect(b.vary.split(/,\s*/)).toContain(h);
  });

  for (const other of [false, true]) {
    it(`a write ${other ? 'through another connection' : 'by this process'} between two identical queries: the second has the new value`, async () => {
      const q = Q(city);
      await post(q); // kept
      const kept = await post(q);
      expect(kept.timing).toMatch(/cache;desc=hit/);
      const before = JSON.parse(kept.text).data.city.metrics[0].gdp as number;
      const next = before + 1.5;
      await setGdp(next, other);
      const after = await post(q);
      expect(after.timing).toMatch(/cache;desc=miss/);
      expect(JSON.parse(after.text).data.city.metrics[0].gdp).toBeCloseTo(next, 6);
      expect(after.etag).not.toBe(kept.etag);
      // the old validator no longer matches: a 200 with the new body, not a 304
      const revalidate = await post(q, { 'if-none-match': kept.etag! });
      expect(revalidate.status).toBe(200);
      expect(JSON.parse(revalidate.text).data.city.metrics[0].gdp).toBeCloseTo(next, 6);
    });
  }

  it(`a repeated query sends ${dbKind === 'embedded' ? 'no statement (the data version is known in process)' : 'the version reads only (other processes write)'}`, async () => {
    const q = `{ city(code: "${city}") { code name metrics { year gdp population } } }`;
    await post(q); // computed and kept
    // the first hit reads the version once: the statements that computed the answer moved the epoch (any may write)
    expect((await post(q)).timing).toMatch(/cache;desc=hit/);
    const before = engineStatements;
    for (let i = 0; i < 5; i++) expect((await post(q)).timing).toMatch(/cache;desc=hit/);
    const burst = await Promise.all(Array.from({ length: 20 }, () => post(q)));
    for (const r of burst) expect(r.timing).toMatch(/cache;desc=hit/);
    const sent = engineStatements - before;
    // PostgreSQL: each sequential hit reads the version (a burst shares reads)
    if (dbKind === 'embedded') expect(sent).toBe(0);
    else expect(sent).toBeGreaterThanOrEqual(5);
  });

  for (const how of ['an import through the import core', 'an UPDATE through the Db'] as const) {
    it(`${how} between two identical queries: the second has the new value, and is kept again`, async () => {
      const { db } = await getStore();
      const q = Q(city);
      await post(q);
      const kept = await post(q);
      expect(kept.timing).toMatch(/cache;desc=hit/);
      const next = (JSON.parse(kept.text).data.city.metrics[0].gdp as number) + 2.25;
      if (how === 'an UPDATE through the Db') await db.query(sql`UPDATE city_year SET gdp = ${next} WHERE city_code = ${city} AND year = 2019`);
      else {
        const r = await runImport(db, 'city-years', { fileName: 'rcache.csv', body: Buffer.from(`code,year,gdp\n${city},2019,${next}\n`) });
        expect(r.status).toBe('ok');
      }
      const after = await post(q);
      expect(after.timing).toMatch(/cache;desc=miss/);
      expect(JSON.parse(after.text).data.city.metrics[0].gdp).toBeCloseTo(next, 6);
      for (let i = 0; i < 2; i++) {
        // the second of these sends nothing on the embedded store (the first reads the version once, as above)
        const before = engineStatements;
        const again = await post(q);
        expect(again.timing).toMatch(/cache;desc=hit/);
        expect(again.text).toBe(after.text);
        if (i && dbKind === 'embedded') expect(engineStatements - before).toBe(0);
      }
    });
  }

  it('answers that change without a data version move are not kept (jobs); errors are not kept', async () => {
    const jobs = await post(`{ jobs(first: 1) { id } }`);
    const again = await post(`{ jobs(first: 1) { id } }`);
    expect(again.timing).not.toMatch(/cache;desc=hit/);
    expect(jobs.etag ?? again.etag).toBeNull();
    await post(`{ city(code: "999999") { code } }`);
    const missing = await post(`{ cities(filter: { values: [{ variable: "no_such_variable", year: 2019, gt: 1 }] }, first: 1) { nodes { code } } }`);
    expect(JSON.parse(missing.text).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(missing.etag).toBeNull();
  });

  it('/metrics counts hits and misses and the bytes held', async () => {
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    const val = (name: string) => Number(new RegExp(`^${name} (\\d+(?:\\.\\d+)?)`, 'm').exec(text)?.[1] ?? NaN);
    expect(val('agglomera_response_cache_hits_total')).toBeGreaterThanOrEqual(3);
    expect(val('agglomera_response_cache_misses_total')).toBeGreaterThanOrEqual(3);
    expect(val('agglomera_response_cache_bytes')).toBeGreaterThan(0);
  });
});
