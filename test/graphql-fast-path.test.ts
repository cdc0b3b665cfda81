// The fast path (src/graphql/fast-path.ts: cached documents, graphql-jit, one serialisation) answers exactly what
// Apollo answers: the same status, content type, cache-control and body bytes for nested queries, variables, errors,
// limit refusals and timeouts, on two servers over one store (fast path on / off). The document cache keeps nothing
// that depends on who asks or on the variables, and stays within its bound.
import { GraphQLObjectType, GraphQLScalarType, GraphQLSchema, GraphQLString, getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keys.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { FastPath } from '../src/graphql/fast-path.js';
import { sha256Hex } from '../src/graphql/persisted-queries.js';
import { RawJson } from '../src/graphql/raw-json.js';
import { readLimits, setLimits, type LimitSettings } from '../src/limits/settings.js';
import { dbKind, getStore } from './helpers/store.js';
import { NESTED_ALL_CITIES } from './helpers/queries.js';

const defaults = readLimits({});
let fast: RunningServer;
let canonical: RunningServer;
const keys: Record<string, string> = {};

beforeAll(async () => {
  const { db } = await getStore();
  setLimits({ ...defaults, graphqlFastPath: false });
  canonical = await startHttp(db, 0);
  // the response cache off: this file compares every computed answer, headers included, with Apollo's
  // (test/graphql-response-cache.test.ts covers kept answers)
  setLimits({ ...defaults, responseCache: false });
  fast = await startHttp(db, 0);
  setLimits({ ...defaults });
  const tag = `fast${Date.now()}`;
  for (const role of ['reader', 'analyst'] as const) keys[role] = (await createKey(db, `${tag} ${role}`, role)).key;
}, 120_000);
afterAll(async () => { await fast?.stop(); await canonical?.stop(); setLimits(defaults); });

interface Raw { status: number; contentType: string | null; cacheControl: string | null; text: string }

async function send(server: RunningServer, body: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  const r = await fetch(server.url, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, contentType: r.headers.get('content-type'), cacheControl: r.headers.get('cache-control'), text: await r.text() };
}

/** Fast-path answers counted by the server's metrics (the canonical server never takes it). */
async function fastAnswers(): Promise<number> {
  const text = await (await fetch(`${fast.origin}/metrics`)).text();
  return Number(/^agglomera_graphql_requests_total\{path="fast"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/**
 * Both servers, the same request: identical answers; returns the fast server's and whether it took the fast path.
 * The fast server is asked twice: a new text runs on graphql-js first, compiled by graphql-jit from its second use.
 */
async function same(body: unknown, headers: Record<string, string> = {}): Promise<Raw & { tookFast: boolean }> {
  const before = await fastAnswers();
  const a = await send(fast, body, headers);
  const again = await send(fast, body, headers);
  const tookFast = (await fastAnswers()) > before;
  const b = await send(canonical, body, headers);
  expect(a).toEqual(b);
  expect(again).toEqual(b);
  return { ...a, tookFast };
}

const q = (query: string, variables?: Record<string, unknown>, operationName?: string) => ({ query, variables, operationName });

describe(`fast path = Apollo, byte for byte, on ${dbKind}`, () => {
  it('nested cities, metrics, firms and neighbours; all cities with variables; fragments, aliases, directives', async () => {
    const one = await same(q('{ city(code: "320100") { name province metrics { year gdp population } } }'));
    expect(one.tookFast).toBe(true);
    expect(JSON.parse(one.text).data.city.name).toBe('南京市');
    expect(one.text.endsWith('}\n')).toBe(true);
    const all = await same(q(NESTED_ALL_CITIES, { first: 1000 }));
    expect(all.tookFast).toBe(true);
    // DataLoader batching is the same on both paths: one statement per field and argument set, not per city
    const { db } = await getStore();
    const statements = async (server: RunningServer) => {
      const s0 = db.statementCount;
      await send(server, q(NESTED_ALL_CITIES, { first: 1000 }));
      return db.statementCount - s0;
    };
    const nFast = await statements(fast);
    expect(nFast).toBe(await statements(canonical));
    expect(nFast).toBeLessThanOrEqual(8);
    expect(JSON.parse(all.text).data.cities.nodes.length).toBeGreaterThan(300);
    const firms = await same(q(`{ cities(first: 40) { nodes { code name metrics { year gdp population }
        firms(first: 50) { totalCount nodes { id name history { year revenue kind } } }
        neighbours { sharedKm city { code metrics(years: [2019]) { gdp } } } } } }`));
    expect(firms.tookFast).toBe(true);
    const shapes = await same(q(`query Shapes($years: [Int!], $withFirms: Boolean!, $code: String!) {
        c: city(code: $code) { ...Names metrics(years: $years) { year gdp __typename }
          firms(first: 3) @include(if: $withFirms) { nodes { name } } lon @skip(if: $withFirms) }
        d: dataset { synthetic } }
      fragment Names on City { code name region }`, { years: [2018, 2019], withFirms: true, code: '320100' }));
    expect(shapes.tookFast).toBe(true);
    expect(JSON.parse(shapes.text).data.c.metrics).toHaveLength(2);
    // directives on fragment spreads and inline fragments, enum arguments from variables, __typename at the root
    for (const flag of [true, false]) {
      const frag = await same(q(`query ($f: Boolean!, $t: NeighbourType!) { __typename city(code: "320100") {
          ...Names @include(if: $f) ... on City @skip(if: $f) { lat } neighbours(type: $t) { city { ...Names } } } }
        fragment Names on City { code name }`, { f: flag, t: 'QUEEN' }));
      expect(frag.tookFast).toBe(true);
    }
    // outlines (GeoJSON scalar), stored and computed tolerances
    expect((await same(q('{ cities(first: 3) { nodes { code boundary(simplify: 0.01) centroid } } }'))).tookFast).toBe(true);
    expect((await same(q('{ cities(first: 2) { nodes { code boundary(simplify: 0.037) } } }'))).tookFast).toBe(true);
  }, 120_000);

  it('field merging, aliases with arguments, repeated fragments with directives inside', async () => {
    const docs = [
      '{ city(code: "320100") { metrics(years: [2019]) { year } metrics(years: [2019]) { gdp } } }',
      '{ a: city(code: "320100") { m: metrics(years: [2018]) { year gdp } } b: city(code: "320100") { m: metrics(years: [2019]) { year gdp } } }',
      `query ($s: Boolean!) { city(code: "320100") { ...F neighbours { city { ...F } } } }
       fragment F on City { code name @skip(if: $s) metrics(years: [2019]) @include(if: $s) { year } }`,
      '{ cities(first: 3, filter: { province: ["江苏省"] }) { totalCount pageInfo { hasNextPage endCursor } nodes { code region areaKm2 } } }',
      '{ cities(first: 2) { nodes { firms(first: 2) { nodes { id city { code } history { year kind } } } } } }',
      '{ spatialVariables dataset { synthetic description } }',
    ];
    for (const d of docs) for (const s of [true, false]) expect((await same(q(d, { s }))).tookFast).toBe(true);
  });

  it('operation names, introspection, Accept variants', async () => {
    const doc = 'query A { dataset { cities } } query B { city(code: "320100") { name } } mutation M { __typename }';
    expect((await same(q(doc, undefined, 'B'))).tookFast).toBe(true);
    expect((await same(q(doc, undefined, 'A'))).tookFast).toBe(true);
    expect((await same(q(doc))).tookFast).toBe(false); // which operation? Apollo says
    expect((await same(q(doc, undefined, 'Z'))).tookFast).toBe(false);
    const intro = await same(q(getIntrospectionQuery()));
    expect(intro.tookFast).toBe(true);
    expect(JSON.parse(intro.text).data.__schema.queryType.name).toBe('Query');
    for (const accept of ['application/graphql-response+json', 'application/json', '*/*',
      'application/graphql-response+json, application/json;q=0.9', 'application/json;q=0.5, application/graphql-response+json;q=0.6']) {
      const r = await same(q('{ city(code: "320100") { name } }'), { accept });
      expect(r.tookFast).toBe(true);
    }
    const html = await same(q('{ city(code: "320100") { name } }'), { accept: 'text/html' });
    expect(html.status).toBe(406);
  });

  it('errors: resolver errors with codes, null propagation, bad arguments, variables that do not coerce, invalid documents', async () => {
    const missing = await same(q('{ dataset { cities } city(code: "999999") { name } }'));
    expect(missing.tookFast).toBe(true);
    expect(JSON.parse(missing.text)).toMatchObject({ data: null });
    const page = await same(q('{ cities(first: 5000) { totalCount } }'));
    expect(JSON.parse(page.text).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const nested = await same(q('{ cities(first: 2) { nodes { code firms(first: 1001) { totalCount } } } }'));
    expect(nested.tookFast).toBe(true);
    const vars = await same(q('query ($n: Int!) { cities(first: $n) { totalCount } }', { n: 'many' }));
    expect(vars.tookFast).toBe(false);
    expect(vars.status).toBe(200); // legacy application/json: document errors are 200
    expect(JSON.parse(vars.text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const varsNew = await same(q('query ($n: Int!) { cities(first: $n) { totalCount } }', {}), { accept: 'application/graphql-response+json' });
    expect(varsNew.status).toBe(400);
    for (const bad of ['{ city(code: "320100") { nam } }', '{ city(code: ', '', '# only a comment', 'subscription { dataset { cities } }']) {
      const r = await same(q(bad));
      expect(r.tookFast).toBe(false);
    }
    // bodies the fast path leaves to Apollo
    for (const body of [{}, { query: 1 }, { query: '{ dataset { cities } }', variables: '{}' }, { query: '{ dataset { cities } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }, '[1', 'null']) {
      expect((await same(body)).tookFast).toBe(false);
    }
  });

  it('limit refusals (depth, cost with variables, aliases, tokens) come from Apollo, unchanged', async () => {
    let deep = 'code';
    for (let i = 0; i < 8; i++) deep = `code neighbours { city { ${deep} } }`;
    const depth = await same(q(`{ cities(first: 10) { nodes { ${deep} } } }`));
    expect(depth.tookFast).toBe(false);
    expect(JSON.parse(depth.text).errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxDepth', found: 19 });
    // costs follow the data (a firm page costs what the store holds per city), so neighbours nested 3 deep make it costly
    const costly = 'query ($n: Int!) { cities(first: $n) { nodes { neighbours { city { neighbours { city { neighbours { city { code } } } } } } } } }';
    expect((await same(q(costly, { n: 1 }))).tookFast).toBe(true);
    const over = await same(q(costly, { n: 1000 })); // the same cached document, other variables
    expect(over.tookFast).toBe(false);
    expect(JSON.parse(over.text).errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxCost' });
    expect((await same(q(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: dataset { cities }`).join(' ')} }`))).tookFast).toBe(false);
    expect((await same(q(`{ dataset { ${'cities '.repeat(6000)} } }`))).tookFast).toBe(false);
  });

  it('response-size refusal and timeout: the same bodies and statuses', async () => {
    setLimits({ maxResponseBytes: 50_000 });
    try {
      const big = await same(q('{ cities(first: 100) { nodes { code boundary } } }'));
      expect(big.tookFast).toBe(true);
      expect(big.status).toBe(400);
      expect(JSON.parse(big.text).errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', max: 50_000 });
    } finally { setLimits({ maxResponseBytes: defaults.maxResponseBytes }); }
    setLimits({ requestTimeoutMs: 1 });
    try {
      const slow = await same(q(NESTED_ALL_CITIES, { first: 1000 }));
      expect(slow.tookFast).toBe(true);
      expect(slow.status).toBe(503);
      expect(JSON.parse(slow.text)).toMatchObject({ data: null, errors: [{ extensions: { code: 'TIMEOUT', max: 1 } }] });
    } finally { setLimits({ requestTimeoutMs: defaults.requestTimeoutMs }); }
  }, 120_000);

  it('GET by text and by persisted hash (Apollo APQ), and their refusals: the same answers as Apollo', async () => {
    const get = async (server: RunningServer, params: Record<string, unknown>, headers: Record<string, string> = { 'apollo-require-preflight': 'true' }): Promise<Raw> => {
      const search = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      const r = await fetch(`${server.url}?${search}`, { headers });
      return { status: r.status, contentType: r.headers.get('content-type'), cacheControl: r.headers.get('cache-control'), text: await r.text() };
    };
    const ext = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } });
    const query = 'query Two($n: Int!) { cities(first: $n) { nodes { code name } } }';
    // each server has its own registry (no Redis here): registered on both by POST
    for (const server of [fast, canonical]) expect((await send(server, { query, variables: { n: 2 }, extensions: ext(query) })).status).toBe(200);
    const cases: [Record<string, unknown>, boolean][] = [
      [{ query, variables: { n: 2 } }, true],
      [{ extensions: ext(query), variables: { n: 2 } }, true],
      [{ extensions: ext(query), variables: { n: 'two' } }, false], // variables that do not coerce
      [{ extensions: ext(`${query} # never registered`), variables: { n: 2 } }, false], // PersistedQueryNotFound
      [{ query, extensions: ext('{ other }'), variables: { n: 2 } }, false], // hash mismatch
      [{ query: 'mutation { cancelJob(id: "x") { id } }' }, false], // 405
      [{ query, variables: '{not json' }, false],
    ];
    for (const [params, takesFast] of cases) {
      const before = await fastAnswers();
      const a = await get(fast, params);
      expect(a, JSON.stringify(params)).toEqual(await get(canonical, params));
      expect((await fastAnswers()) > before, JSON.stringify(params)).toBe(takesFast);
    }
    expect(JSON.parse((await get(fast, cases[1][0])).text).data.cities.nodes).toHaveLength(2);
  });
});

describe('the document cache and who asks', () => {
  it('a reader cannot get an analyst-only result through a document an analyst ran', async () => {
    const estimate = '{ descriptives(variables: ["NQP"]) { variable n } }';
    const analyst = await same(q(estimate), { authorization: `Bearer ${keys.analyst}` });
    expect(analyst.tookFast).toBe(true);
    expect(JSON.parse(analyst.text).data.descriptives[0].n).toBeGreaterThan(1000);
    const reader = await same(q(estimate), { authorization: `Bearer ${keys.reader}` });
    expect(reader.status).toBe(403);
    expect(JSON.parse(reader.text)).toMatchObject({ data: null, errors: [{ extensions: { code: 'FORBIDDEN', requiredRole: 'analyst' } }] });
    // a network client without a key (a proxy relayed it: not local) is refused; a local one has the loopback role
    const anonymous = await same(q(estimate), { 'x-forwarded-for': '203.0.113.9' });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text)).toMatchObject({ data: null, errors: [{ extensions: { code: 'UNAUTHENTICATED', requiredRole: 'analyst' } }] });
    const local = await same(q(estimate));
    expect(local.tookFast).toBe(true);
    expect(JSON.parse(local.text).data.descriptives[0].n).toBe(JSON.parse(analyst.text).data.descriptives[0].n);
  }, 120_000);

  it('with no anonymous role, a cached document does not run for a network client without a key', async () => {
    const { db } = await getStore();
    const one = q('{ city(code: "320100") { name } }');
    expect((await same(one)).tookFast).toBe(true); // cached by now
    setLimits({ ...defaults, anonymousRole: null, responseCache: false }); // read when a server starts
    const closed = await startHttp(db, 0);
    try {
      const r = await send(closed, one, { 'x-forwarded-for': '203.0.113.9' }); // a network client (the loopback role would let a local one in)
      expect(r.status).toBe(401);
      expect(JSON.parse(r.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const keyed = await send(closed, one, { authorization: `Bearer ${keys.reader}` });
      expect(JSON.parse(keyed.text).data.city.name).toBe('南京市');
    } finally { await closed.stop(); setLimits(defaults); }
  }, 120_000);

  it('variables are never cached: the same document answers each request with its own', async () => {
    const doc = 'query ($c: String!) { city(code: $c) { code name } }';
    const a = JSON.parse((await same(q(doc, { c: '320100' }))).text);
    const b = JSON.parse((await same(q(doc, { c: '110000' }))).text);
    expect(a.data.city.code).toBe('320100');
    expect(b.data.city.code).toBe('110000');
  });
});

describe('FastPath on its own', () => {
  // a tiny schema whose field returns precomputed JSON text (RawJson), as precomputed outlines do
  const Raw = new GraphQLScalarType({ name: 'Raw', serialize: (v) => v });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        geo: { type: Raw, resolve: () => new RawJson('{"type":"Point","coordinates":[118.79647,32.05838000]}') },
        name: { type: GraphQLString, resolve: () => 'x' },
      },
    }),
  });
  const principal = { role: null, anonymousRole: 'reader' as const };
  function call(fp: FastPath, query: string) {
    const out: { status?: number; headers?: Record<string, string>; body?: string } = {};
    // the final write is src/http/compress.ts's sendBody (identity here: no Accept-Encoding)
    const res = { getHeader: () => undefined, writeHead: (s: number, h: Record<string, string>) => { out.status = s; out.headers = h; }, end: (b: Buffer) => { out.body = b.toString('utf8'); } };
    const req = { method: 'POST', headers: {} };
    return fp.answer({ query }, req as never, res as never, { principal, db: null as never, url: null as never, origin: '' }).then((took) => ({ took, ...out }));
  }

  it('splices RawJson text once, verbatim, and measures the size on that text', async () => {
    let s: LimitSettings = { ...defaults };
    const fp = new FastPath(schema, () => s);
    const r = await call(fp, '{ geo name }');
    expect(r.took).toBe(true);
    expect(r.body).toBe('{"data":{"geo":{"type":"Point","coordinates":[118.79647,32.05838000]},"name":"x"}}\n');
    expect(r.headers).toEqual({ 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8', vary: 'Accept-Encoding', 'content-length': String(Buffer.byteLength(r.body!)) });
    s = { ...defaults, maxResponseBytes: 60 };
    const over = await call(fp, '{ geo name }');
    expect(over.status).toBe(400);
    expect(JSON.parse(over.body!).errors[0].extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', found: r.body!.length - 1 });
  });

  it('keeps at most AGGLOMERA_GRAPHQL_DOCUMENT_CACHE documents (least recently used go first)', async () => {
    const s: LimitSettings = { ...defaults, graphqlDocumentCache: 3 };
    const fp = new FastPath(schema, () => s);
    for (let i = 0; i < 10; i++) expect((await call(fp, `{ a${i}: name }`)).took).toBe(true);
    expect(fp.cache.size).toBe(3);
    // compiled by graphql-jit from the second use of a text
    const doc = '{ geo }';
    await call(fp, doc);
    expect(fp.cache.document(doc, s).operations.get('')?.engine).toBe('graphql-js');
    await call(fp, doc);
    expect(fp.cache.document(doc, s).operations.get('')?.engine).toBe('jit');
    expect(fp.cache.jitFailures).toEqual([]);
    expect(readLimits({}).graphqlDocumentCache).toBe(500);
    expect(readLimits({ AGGLOMERA_GRAPHQL_DOCUMENT_CACHE: '20', AGGLOMERA_GRAPHQL_FAST_PATH: 'false' })).toMatchObject({ graphqlDocumentCache: 20, graphqlFastPath: false });
    expect(() => readLimits({ AGGLOMERA_GRAPHQL_FAST_PATH: 'sometimes' })).toThrow('AGGLOMERA_GRAPHQL_FAST_PATH must be true or false');
  });
});
