// /graphql against graphql-http's GraphQL-over-HTTP server audits (the live server, startHttp on port 0), plus the
// exceptions we keep on purpose: GET without a preflight-forcing header is refused by Apollo's CSRF prevention.
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type RunningServer } from '../src/http.js';
import { legacyJsonStatus } from '../src/http/graphql-route.js';
import { dbKind, getStore } from './helpers/store.js';

/** MAY-level audits not met on purpose (docs/graphql-http.md): all are simple GETs that CSRF prevention blocks. */
const NOT_MET = new Map([
  ['5A70', 'GET with only Accept (CSRF prevention)'],
  ['D6D5', 'GET with only Accept (CSRF prevention)'],
  ['6A70', 'GET with only Accept (CSRF prevention)'],
]);

describe(`graphql-http server audits on ${dbKind}`, () => {
  let server: RunningServer;
  beforeAll(async () => { server = await startHttp((await getStore()).db, 0); });
  afterAll(async () => { await server?.stop(); });

  const audits = serverAudits({ url: () => server.url });

  it('runs the full audit list', () => {
    expect(audits.length).toBeGreaterThan(50);
  });

  for (const audit of audits) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      if (NOT_MET.has(audit.id)) {
        // still a notice (the deliberate exception), never an error; and it is the CSRF guard that answers
        expect(result.status).toBe('notice');
        return;
      }
      expect(result.status, result.status === 'ok' ? '' : `${result.reason}`).toBe('ok');
    });
  }

  it('refuses a simple GET (CSRF prevention) but runs it with a preflight-forcing header', async () => {
    const url = `${server.url}?query=${encodeURIComponent('{ dataset { synthetic } }')}`;
    const blocked = await fetch(url, { headers: { accept: 'application/json' } });
    expect(blocked.status).toBe(400);
    expect(await blocked.text()).toMatch(/Cross-Site Request Forgery/);
    const ok = await fetch(url, { headers: { accept: 'application/graphql-response+json', 'apollo-require-preflight': 'true' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(await ok.json()).toEqual({ data: { dataset: { synthetic: true } } });
  });

  it('keeps 400 for graphql-response+json clients and HTTP-level faults; 200 only for legacy JSON document errors', async () => {
    const post = (accept: string, body: string) => fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body });
    const bad = JSON.stringify({ query: '{ dataset { nope } }' });
    const modern = await post('application/graphql-response+json', bad);
    expect(modern.status).toBe(400);
    expect((await modern.json()).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const legacy = await post('application/json', bad);
    expect(legacy.status).toBe(200);
    expect(legacy.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await legacy.json()).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await post('application/json', '{"query":')).status).toBe(400); // body is not JSON
    expect((await post('application/json', JSON.stringify({ variables: {} }))).status).toBe(400); // no query
    // a resolver's BAD_USER_INPUT comes with data and stays 200 either way
    const arg = await post('application/graphql-response+json', JSON.stringify({ query: '{ spatialAutocorrelation(variable: "nope", year: 2019) { islands } }' }));
    expect(arg.status).toBe(200);
    const argBody = await arg.json();
    expect(argBody.data).toBeNull();
    expect(argBody.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'variable' });
  });

  it('legacyJsonStatus rewrites only JSON 400s made of document errors', () => {
    const errs = (code: string) => JSON.stringify({ errors: [{ message: 'm', extensions: { code } }] });
    expect(legacyJsonStatus(400, 'application/json; charset=utf-8', errs('GRAPHQL_PARSE_FAILED'))).toBe(200);
    expect(legacyJsonStatus(400, 'application/graphql-response+json; charset=utf-8', errs('GRAPHQL_PARSE_FAILED'))).toBe(400);
    expect(legacyJsonStatus(400, 'application/json', errs('BAD_REQUEST'))).toBe(400);
    expect(legacyJsonStatus(400, 'application/json', JSON.stringify({ data: null, errors: [{ message: 'm', extensions: { code: 'BAD_USER_INPUT' } }] }))).toBe(400);
    expect(legacyJsonStatus(400, 'application/json', 'not json')).toBe(400);
    expect(legacyJsonStatus(500, 'application/json', errs('GRAPHQL_PARSE_FAILED'))).toBe(500);
  });
});
