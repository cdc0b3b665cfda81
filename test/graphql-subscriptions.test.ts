// Subscriptions over graphql-ws with a real client: jobUpdated follows a submitted estimate to DONE with its result,
// dataChanged reports a write, roles and keys hold as for queries (both databases).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createKey } from '../src/auth/keys.js';
import { sql } from '../src/db/sql.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { getStore } from './helpers/store.js';

let server: RunningServer;
let analystKey: string;
const clients: Client[] = [];

// a client that looks remote (a proxy header): no-key callers on this machine get the loopback role (docs/security.md)
class RemoteWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) { super(url, protocols, { headers: { 'x-forwarded-for': '203.0.113.9' } }); }
}

const client = (connectionParams?: Record<string, unknown>, remote = true) => {
  const c = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: remote ? RemoteWebSocket : WebSocket, connectionParams, retryAttempts: 0, lazy: true });
  clients.push(c);
  return c;
};

/** Runs an operation to its end; the events (data or errors) in order. */
function collect(c: Client, query: string, variables?: Record<string, unknown>, until?: (e: any) => boolean): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const stop = c.subscribe({ query, variables }, {
      next: (e) => { events.push(e); if (until?.(e)) { stop(); resolve(events); } },
      error: (e) => (Array.isArray(e) ? resolve([...events, { errors: e }]) : reject(e instanceof Error ? e : new Error(`socket closed: ${(e as { code?: number }).code}`))),
      complete: () => resolve(events),
    });
  });
}

async function post(query: string, key?: string) {
  const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify({ query }) });
  return res.json() as Promise<any>;
}

beforeAll(async () => {
  const { db } = await getStore();
  server = await startHttp(db, 0);
  analystKey = (await createKey(db, `subscriptions ${Date.now()}`, 'analyst')).key;
});

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await server?.stop();
});

describe('subscriptions over graphql-ws', () => {
  it('jobUpdated follows a submitted estimate: progress, then DONE with the result', async () => {
    // a spec of its own (sample years drawn per run) so the result is computed, not served from the result cache
    const from = 2001 + Math.floor(Math.random() * 5), to = 2016 + Math.floor(Math.random() * 4), lagMax = 3 + Math.floor(Math.random() * 4);
    const submitted = await post(`mutation { submitEstimate(spec: { estimator: "sys_gmm", formula: "NQP ~ lag(NQP, 1) + RTA + Popsiz", panel: { id: "city", time: "year" },
      gmm: { instruments: ["lag(NQP, 2:${lagMax})"], collapse: true, steps: 2 }, sample: { years: [${from}, ${to}] } }) { id status } }`, analystKey);
    expect(submitted.errors).toBeUndefined();
    const id = submitted.data.submitEstimate.id;
    const events = await collect(client({ authorization: `Bearer ${analystKey}` }),
      `subscription($id: ID!) { jobUpdated(id: $id) { id status progress result { nobs coefficients { term estimate } } } }`, { id });
    const jobs = events.map((e) => e.data?.jobUpdated);
    expect(events.every((e) => !e.errors)).toBe(true);
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    const last = jobs[jobs.length - 1];
    expect(jobs.some((j) => j.status === 'QUEUED' || j.status === 'RUNNING')).toBe(true);
    expect(last.status).toBe('DONE');
    expect(last.progress).toBe(1);
    expect(last.result.coefficients.map((c: { term: string }) => c.term)).toContain('RTA');
    // the same result as job(id) over HTTP
    const polled = await post(`{ job(id: "${id}") { status result { nobs coefficients { term estimate } } } }`, analystKey);
    expect(polled.data.job.result).toEqual(last.result);
    // progress never goes back
    const p = jobs.map((j) => j.progress);
    expect(p).toEqual([...p].sort((a, b) => a - b));
  });

  it('dataChanged reports the new data version after a write', async () => {
    const { db } = await getStore();
    const c = client();
    // other test files write to the same store meanwhile: wait for a version past the one read before our write
    let before = Infinity;
    const got = collect(c, `subscription { dataChanged { version } }`, undefined, (e) => e.data?.dataChanged.version > before);
    await new Promise((r) => setTimeout(r, 1500)); // the poller has read the current version
    const [{ v }] = await db.query<{ v: string }>(sql`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`);
    before = Number(v);
    await db.query(sql`UPDATE city_year SET gdp = gdp WHERE city_code = '320100' AND year = 2019`);
    const events = await got;
    expect(events.every((e) => !e.errors)).toBe(true);
    expect(events.at(-1).data.dataChanged.version).toBeGreaterThan(before);
  });

  it('refuses: jobUpdated without a key (reader), a bad key (socket closed 4403), a document over the limits', async () => {
    const anon = await collect(client(), `subscription { jobUpdated(id: "1") { status } }`);
    expect(anon[anon.length - 1].errors[0].extensions.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    // the same from this machine without a proxy: the loopback role (analyst) may follow a job; an unknown one is named
    const local = await collect(client(undefined, false), `subscription { jobUpdated(id: "999999999") { status } }`);
    expect(local[local.length - 1].errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
    await expect(collect(client({ authorization: 'Bearer agk_not-a-key' }), `subscription { dataChanged { version } }`)).rejects.toThrow(/4403/);
    const deep = 'neighbours { city { '.repeat(8) + 'code' + ' } }'.repeat(8);
    const r = await collect(client({ authorization: `Bearer ${analystKey}` }), `{ city(code: "320100") { ${deep} } }`);
    expect(r[r.length - 1].errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });
});
