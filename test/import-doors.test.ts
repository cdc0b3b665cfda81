// An empty store (no demo) starts and answers every top-level query; then the HTTP and GraphQL doors of the import:
// anonymous callers are refused, an admin's import is written and logged, and dataset { synthetic } tells the truth.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { graphql, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraphQLSchema } from '../src/app.js';
import type { Principal } from '../src/auth/roles.js';
import type { Db } from '../src/db/db.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { importRoute } from '../src/http/import-route.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { storeDigest } from './helpers/digest.js';
import { dropFreshDatabase, freshStore } from './helpers/fresh-store.js';

const ADMIN: Principal = { role: 'admin', anonymousRole: 'reader', keyId: 'key-test-admin' };
let db: Db, schema: GraphQLSchema, server: RunningServer, adminServer: http.Server, adminOrigin: string;

const run = async (source: string, principal?: Principal, variableValues?: Record<string, unknown>) =>
  graphql({ schema, source, variableValues, contextValue: makeContext(db, principal ? { principal } : undefined) }) as Promise<{ data?: any; errors?: readonly any[] }>;

const square = (code: string, x: number, y: number) => ({ type: 'Feature', properties: { code, name: `Unit ${code}` }, geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]] } });
const file = (...f: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features: f });

beforeAll(async () => {
  db = await freshStore('import_doors');
  schema = await buildGraphQLSchema();
  server = await startHttp(db, 0);
  // the route module as the server runs it, with the principal an admin API key would give
  adminServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void importRoute(req, res, { db, url, origin: adminOrigin, principal: ADMIN }).then((done) => { if (!done) { res.writeHead(404); res.end(); } });
  });
  await new Promise<void>((r) => adminServer.listen(0, r));
  adminOrigin = `http://localhost:${(adminServer.address() as AddressInfo).port}`;
}, 600_000);
afterAll(async () => {
  await server?.stop();
  await new Promise((r) => adminServer?.close(r));
  await db?.close();
  await dropFreshDatabase('import_doors');
});

describe('an empty store (AGGLOMERA_LOAD_DEMO=false) answers every top-level query', () => {
  it('lists, counts and provenance are empty, nothing is an internal error', async () => {
    const ok = await run(`{
      cities(first: 5) { totalCount nodes { code } }
      dataset { synthetic description cities firms cityYears }
      spatialVariables
      imports(first: 5) { id }
      agglomeration(index: RTA, year: 2015) { cityCode }
    }`);
    expect(ok.errors).toBeUndefined();
    expect(ok.data.cities).toEqual({ totalCount: 0, nodes: [] });
    expect(ok.data.dataset).toEqual({ synthetic: false, description: 'no data loaded', cities: 0, firms: 0, cityYears: 0 });
    expect(ok.data.imports).toEqual([]);
    expect(ok.data.agglomeration).toEqual([]);
    // queries about things that do not exist answer with a user error, never an internal one
    const asks = [
      '{ city(code: "X1") { code } }',
      '{ firm(id: 1) { id } }',
      '{ job(id: "1") { id } }',
      '{ nqpWeights(year: 2015) { year } }',
      '{ firmKinds(city: "X1", year: 2015) { kind } }',
      '{ spatialAutocorrelation(variable: "gdp", year: 2015, weights: { type: QUEEN }, permutations: 0) { variable } }',
      '{ descriptives(level: CITY, variables: ["gdp"]) { variable } }',
      '{ estimate(spec: { estimator: "ols", formula: "NQP ~ RTA" }) { nobs } }',
      '{ regressionTable(specs: [{ estimator: "ols", formula: "NQP ~ RTA" }], format: MARKDOWN) }',
    ];
    for (const q of asks) {
      const r = await run(q);
      const codes = (r.errors ?? []).map((e) => e.extensions?.code);
      expect(codes.includes('INTERNAL_SERVER_ERROR'), `${q}: ${JSON.stringify(r.errors)}`).toBe(false);
      expect(r.errors?.length ?? 0, `${q} answers data or a reason`).toBeGreaterThanOrEqual(r.data === null ? 1 : 0);
    }
  }, 300_000);
});

describe('HTTP door: POST /api/import/{kind}', () => {
  it('refuses anonymous callers (401) and writes nothing', async () => {
    const before = await storeDigest(db);
    const res = await fetch(`${server.origin}/api/import/boundaries`, { method: 'POST', body: file(square('H1', 0, 0)), headers: { 'content-type': 'application/geo+json' } });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatch(/import needs an API key with the admin role/);
    expect(await storeDigest(db)).toEqual(before);
  });

  it('an admin imports; bad input answers 422 with every bad row; the report is the CLI report', async () => {
    const bad = await fetch(`${adminOrigin}/api/import/boundaries?code=code`, { method: 'POST', body: file(square('H1', 0, 0), square('H1', 1, 0), { ...square('H3', 2, 0), geometry: null }), headers: { 'content-type': 'application/geo+json' } });
    expect(bad.status).toBe(422);
    const br = await bad.json();
    expect(br).toMatchObject({ status: 'rejected', problemCount: 2, rowsRead: 3 });
    expect(br.problems.map((p: { line: number; reason: string }) => `${p.line}: ${p.reason}`)).toEqual(['2: duplicate unit code (also feature 1)', '3: feature has no geometry']);
    const res = await fetch(`${adminOrigin}/api/import/boundaries?contiguity=exact&fileName=two.geojson`, { method: 'POST', body: file(square('H1', 0, 0), square('H2', 1, 0)), headers: { 'content-type': 'application/geo+json' } });
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r).toMatchObject({ status: 'ok', kind: 'boundaries', fileName: 'two.geojson', counts: { inserted: 2, updated: 0, unchanged: 0, deleted: 0 } });
    const q = await fetch(`${adminOrigin}/api/import/boundaries?contiguity=diagonal`, { method: 'POST', body: '{}' });
    expect(q.status).toBe(400);
    const g = await run('{ city(code: "H2") { name neighbours(type: QUEEN) { city { code } sharedKm } } }');
    expect(g.errors).toBeUndefined();
    expect(g.data.city.name).toBe('Unit H2');
    expect(g.data.city.neighbours.map((n: { city: { code: string } }) => n.city.code)).toEqual(['H1']);
    expect(g.data.city.neighbours[0].sharedKm).toBeCloseTo(111.2, 0);
  });
});

describe('GraphQL door: importData and imports', () => {
  it('importData needs the admin role', async () => {
    const r = await run('mutation { importData(kind: "boundaries", content: "{}") { status } }');
    expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const f = await run('mutation { importData(kind: "boundaries", content: "{}") { status } }', { role: 'analyst', anonymousRole: 'reader', keyId: 'k2' });
    expect(f.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('an admin imports inline; imports(first) lists every import with status, rows, problems and who', async () => {
    const m = await run(`mutation($c: String!) { importData(kind: "boundaries", content: $c, fileName: "g.geojson", options: { contiguity: band }) {
      id status rowsRead counts { inserted unchanged } derived keyId via } }`, ADMIN, { c: file(square('H1', 0, 0), square('H2', 1, 0), square('G3', 2, 0)) });
    expect(m.errors).toBeUndefined();
    expect(m.data.importData).toMatchObject({ status: 'ok', rowsRead: 3, counts: { inserted: 1, unchanged: 2 }, keyId: 'key-test-admin', via: 'graphql' });
    expect(m.data.importData.derived[1]).toMatch(/^neighbours \(band\): 2 pairs/);
    const l = await run('{ imports(first: 10) { id kind fileName status rowsRead problemCount problems { line reason } keyId via dataVersion counts { inserted } } dataset { synthetic description cities } }');
    expect(l.errors).toBeUndefined();
    expect(l.data.imports.map((i: { status: string; via: string }) => `${i.status}/${i.via}`)).toEqual(['ok/graphql', 'ok/http', 'rejected/http']);
    expect(l.data.imports[2]).toMatchObject({ problemCount: 2, keyId: 'key-test-admin' });
    expect(l.data.imports[2].problems[0]).toEqual({ line: 2, reason: 'duplicate unit code (also feature 1)' });
    expect(l.data.dataset.synthetic).toBe(false);
    expect(l.data.dataset.cities).toBe(3);
    expect(l.data.dataset.description).toMatch(/^User data imported \(boundaries; last: boundaries from g.geojson\)\. Store now holds 3 units/);
    const big = await run('mutation($c: String!) { importData(kind: "boundaries", content: $c) { status } }', ADMIN, { c: ' '.repeat(5 * 1024 * 1024 + 1) });
    expect(big.errors?.[0].message).toMatch(/inline imports take at most/);
  });
});
