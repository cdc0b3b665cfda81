// Automatic persisted queries (Apollo's APQ) on /graphql with the response cache on: an unknown hash gets Apollo's
// PersistedQueryNotFound (HTTP 200), a hash with its text registers it, a text that is not the hash's is refused, a GET
// by hash is answered on the fast path with ETag, Cache-Control and 304, a mutation over GET is refused (405). The
// fast path and Apollo share one registry, and with REDIS_URL a second server knows a hash the first registered.
// Both databases.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/graphql/persisted-queries.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { readLimits, setLimits } from '../src/limits/settings.js';
import { dbKind, getStore } from './helpers/store.js';

const defaults = readLimits({});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// a prefix of this run's own: parallel runs on one Redis do not see each other's entries
const PREFIX = `agglomera-test-apq-${randomUUID().slice(0, 8)}:`;
let a: RunningServer;
let b: RunningServer;

beforeAll(async () => {
  const { db } = await getStore();
  setLimits({ ...defaults, responseCache: true, redisUrl: REDIS_URL, cachePrefix: PREFIX });
  a = await startHttp(db, 0);
  b = await startHttp(db, 0); // a second server: its own in-process registry and cache, the same Redis
  setLimits(defaults);
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${PREFIX}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

const ext = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const GET_HEADERS = { 'apollo-require-preflight': 'true' };

async function post(s: RunningServer, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

async function get(s: RunningServer, params: Record<string, unknown>, headers: Record<string, string> = GET_HEADERS) {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const r = await fetch(`${s.url}?${q}`, { headers });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

/** A query text no other test (or earlier run) registered. */
const uniqueQuery = (tag: string) => `query Apq${tag}${randomUUID().slice(0, 8)}($n: Int!) { cities(first: $n) { nodes { code name } } }`;

describe(`automatic persisted queries (${dbKind})`, () => {
  it('an unknown hash alone: PersistedQueryNotFound, HTTP 200, by POST and by GET', async () => {
    const hash = sha256Hex(uniqueQuery('Unknown'));
    for (const r of [await post(a, { extensions: ext(hash), variables: { n: 2 } }), await get(a, { extensions: ext(hash), variables: { n: 2 } })]) {
      expect(r.status).toBe(200);
      const body = JSON.parse(r.text);
      expect(body.errors[0].message).toBe('PersistedQueryNotFound');
      expect(body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(r.headers.get('etag')).toBeNull();
    }
  });

  it('the text with its hash registers it; then the hash alone answers the same bytes', async () => {
    const query = uniqueQuery('Register');
    const hash = sha256Hex(query);
    const reg = await post(a, { query, variables: { n: 3 }, extensions: ext(hash) });
    expect(reg.status).toBe(200);
    const data = JSON.parse(reg.text).data;
    expect(data.cities.nodes).toHaveLength(3);
    const byHash = await post(a, { extensions: ext(hash), variables: { n: 3 } });
    expect(byHash.status).toBe(200);
    expect(byHash.text).toBe(reg.text);
    expect(byHash.headers.get('server-timing')).toMatch(/cache;desc=hit/);
  });

  it('a text that is not its hash\'s is refused and not registered', async () => {
    const query = uniqueQuery('Mismatch');
    const wrong = sha256Hex(`${query} `);
    const r = await post(a, { query, variables: { n: 1 }, extensions: ext(wrong) });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).errors[0].message).toBe('provided sha does not match query');
    const after = await post(a, { extensions: ext(wrong), variables: { n: 1 } });
    expect(JSON.parse(after.text).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('GET by hash: ETag, public Cache-Control for an anonymous caller, 304 on If-None-Match, the POST\'s bytes', async () => {
    const query = uniqueQuery('Get');
    const hash = sha256Hex(query);
    const reg = await post(a, { query, variables: { n: 4 }, extensions: ext(hash) });
    const g = await get(a, { extensions: ext(hash), variables: { n: 4 } });
    expect(g.status).toBe(200);
    expect(g.text).toBe(reg.text);
    const etag = g.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(g.headers.get('cache-control')).toBe('public, no-cache');
    expect(g.headers.get('vary')).toBe('Accept, Authorization, X-API-Key, Accept-Encoding');
    expect(g.headers.get('server-timing')).toMatch(/cache;desc=hit/);
    const again = await get(a, { extensions: ext(hash), variables: { n: 4 } }, { ...GET_HEADERS, 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    // other variables: another answer, another validator
    const other = await get(a, { extensions: ext(hash), variables: { n: 5 } });
    expect(JSON.parse(other.text).data.cities.nodes).toHaveLength(5);
    expect(other.headers.get('etag')).not.toBe(etag);
  });

  it('a GET without a preflight header or JSON content type is refused as Apollo does (CSRF)', async () => {
    const r = await get(a, { query: '{ cities(first: 1) { nodes { code } } }' }, {});
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/Cross-Site Request Forgery/);
  });

  it('a mutation over GET is refused with 405 (by text and by a registered hash)', async () => {
    const mutation = 'mutation { cancelJob(id: "no-such-job") { id } }';
    const byText = await get(a, { query: mutation });
    expect(byText.status).toBe(405);
    expect(byText.headers.get('allow')).toBe('POST');
    const hash = sha256Hex(mutation);
    await post(a, { query: mutation, extensions: ext(hash) }); // registered by Apollo (a mutation is not the fast path's)
    const byHash = await get(a, { extensions: ext(hash) });
    expect(byHash.status).toBe(405);
  });

  it('one registry for both paths: a hash registered through Apollo (a batch) is answered by the fast path', async () => {
    const query = uniqueQuery('Batch');
    const hash = sha256Hex(query);
    const batch = await post(a, [{ query, variables: { n: 2 }, extensions: ext(hash) }]);
    expect(batch.status).toBe(200);
    const single = await post(a, { extensions: ext(hash), variables: { n: 2 } });
    expect(JSON.parse(single.text).data.cities.nodes).toHaveLength(2);
    expect(single.headers.get('server-timing')).toMatch(/cache;desc=/); // taken by the fast path (its header)
  });

  it('with REDIS_URL a second server knows a hash the first registered', async () => {
    const query = uniqueQuery('Shared');
    const hash = sha256Hex(query);
    await post(a, { query, variables: { n: 2 }, extensions: ext(hash) });
    const g = await get(b, { extensions: ext(hash), variables: { n: 2 } });
    expect(g.status).toBe(200);
    expect(JSON.parse(g.text).data.cities.nodes).toHaveLength(2);
  });

  it('/metrics counts hashes found, not found and texts registered', async () => {
    const text = await (await fetch(`${a.origin}/metrics`)).text();
    for (const result of ['hit', 'not_found', 'registered']) {
      expect(Number(new RegExp(`^agglomera_persisted_queries_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1])).toBeGreaterThan(0);
    }
  });
});

describe(`Redis unreachable (${dbKind})`, () => {
  let c: RunningServer;
  beforeAll(async () => {
    const { db } = await getStore();
    // nothing listens on port 1: every Redis command fails at once
    setLimits({ ...defaults, responseCache: true, redisUrl: 'redis://127.0.0.1:1', cachePrefix: PREFIX });
    c = await startHttp(db, 0);
    setLimits(defaults);
  });
  afterAll(async () => { await c?.stop(); });

  it('requests are answered in process: persisted queries register and answer, repeated answers are hits', async () => {
    const query = uniqueQuery('NoRedis');
    const hash = sha256Hex(query);
    const reg = await post(c, { query, variables: { n: 2 }, extensions: ext(hash) });
    expect(reg.status).toBe(200);
    expect(JSON.parse(reg.text).data.cities.nodes).toHaveLength(2);
    const g = await get(c, { extensions: ext(hash), variables: { n: 2 } });
    expect(g.status).toBe(200);
    expect(g.text).toBe(reg.text);
    expect(g.headers.get('server-timing')).toMatch(/cache;desc=hit/);
    const metrics = await (await fetch(`${c.origin}/metrics`)).text();
    expect(Number(/^agglomera_cache_redis_errors_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });
});
