// OGC API - Features beyond the basics (startHttp on port 0 and the framework-free ogcResponse): the cities'
// derived measures against the domain layer, the firms' kinds against the stored classification, datetime, property
// and CQL2 filters against plain SQL, Part 3 conformance and queryables, OpenAPI, HTML, imported variables (inserted
// in a transaction that is rolled back) and the number of statements per page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { cityAgglomeration, DEFAULT_RULE_SET, nqpScores } from '../src/domain/index.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { ogcResponse } from '../src/ogc/features.js';
import { esc, featuresTable, featureView } from '../src/ogc/html.js';
import { dbKind, getStore } from './helpers/store.js';

type Feature = { type: string; id: string | number; geometry: { type: string; coordinates: unknown } | null; properties: Record<string, any> };
type Page = { type: string; numberMatched: number; numberReturned: number; features: Feature[]; links: { rel: string; href: string; type: string }[] };

class Rollback extends Error {}

describe(`OGC API - Features: measures, filters, formats on ${dbKind}`, () => {
  let db: Db;
  let server: RunningServer;
  let base: string;
  let latest: number;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${base}/ogc${path}`, { headers });
    const text = await r.text();
    return { status: r.status, type: r.headers.get('content-type') ?? '', text, body: (r.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : null };
  };
  const page = async (path: string) => {
    const r = await get(path);
    expect(r.status, `${path}: ${r.text.slice(0, 300)}`).toBe(200);
    return r.body as Page;
  };
  const codes = (p: Page) => p.features.map((f) => String(f.id));

  beforeAll(async () => {
    db = (await getStore()).db;
    server = await startHttp(db, 0);
    base = server.origin;
    [{ latest }] = await db.query<{ latest: number }>(sql`SELECT max(year)::int AS latest FROM city_year`);
  });
  afterAll(async () => { await server?.stop(); });

  it('declares Part 3 filtering and CQL2 text, and describes queryables as JSON Schema', async () => {
    const conf = (await get('/conformance')).body.conformsTo as string[];
    for (const c of ['ogcapi-features-3/1.0/conf/filter', 'ogcapi-features-3/1.0/conf/features-filter', 'ogcapi-features-3/1.0/conf/queryables',
      'ogcapi-features-3/1.0/conf/queryables-query-parameters', 'cql2/1.0/conf/cql2-text', 'cql2/1.0/conf/basic-cql2', 'ogcapi-features-1/1.0/conf/html']) {
      expect(conf).toContain(`http://www.opengis.net/spec/${c}`);
    }
    const q = await get('/collections/firms/queryables');
    expect(q.type).toContain('application/schema+json');
    expect(q.body.properties.kind).toEqual({ title: expect.any(String), type: 'string', enum: ['fledgling', 'gazelle', 'unicorn'] });
    expect(q.body.properties.founded).toMatchObject({ type: 'string', format: 'date' });
    expect(q.body.properties.geometry.format).toBe('geometry-point');
    const cq = (await get('/collections/cities/queryables')).body;
    expect(Object.keys(cq.properties)).toEqual(expect.arrayContaining(['province', 'gdp', 'nqp', 'rta', 'nGazelle']));
    expect(cq.properties.year).toBeUndefined(); // the year is chosen with datetime
    const links = (await get('/collections/cities')).body.links as { rel: string; href: string }[];
    expect(links.find((l) => l.rel === 'http://www.opengis.net/def/rel/ogc/1.0/queryables')!.href).toBe(`${base}/ogc/collections/cities/queryables?f=json`);
  });

  it('serves an OpenAPI 3 document listing each collection\'s queryables as parameters', async () => {
    const r = await get('/api');
    expect(r.type).toContain('application/vnd.oai.openapi+json');
    expect(r.body.openapi).toMatch(/^3\.0\./);
    expect(r.body.components.parameters.limit.schema).toEqual({ type: 'integer', minimum: 1, maximum: 1000, default: 10 });
    const firmParams = (r.body.paths['/collections/firms/items'].get.parameters as { name?: string; $ref?: string }[]).map((p) => p.name ?? p.$ref);
    expect(firmParams).toEqual(expect.arrayContaining(['kind', 'province', '#/components/parameters/filter']));
    const landing = (await get('')).body.links as { rel: string; href: string }[];
    expect(landing.find((l) => l.rel === 'service-desc')!.href).toBe(`${base}/ogc/api`);
  });

  it('gives each city that year\'s NQP, RTA and kind counts as the domain layer computes them', async () => {
    const year = 2015;
    const p = await page(`/collections/cities/items?datetime=${year}&limit=1000&simplify=0.05`);
    expect(p.numberReturned).toBe(338);
    const agg = new Map((await cityAgglomeration(db)).rows.filter((r) => r.year === year).map((r) => [r.cityCode, r]));
    const nqp = new Map((await nqpScores(db)).rows.filter((r) => r.year === year).map((r) => [r.cityCode, r.nqp]));
    let compared = 0;
    for (const f of p.features) {
      expect(f.properties.year).toBe(year);
      const a = agg.get(String(f.id));
      if (!a) { expect(f.properties.nGazelle).toBeNull(); continue; }
      expect([f.properties.nFledgling, f.properties.nGazelle, f.properties.nUnicorn, f.properties.nFirms]).toEqual([a.q1, a.q2, a.q3, a.nFirms]);
      expect(f.properties.rta).toBe(a.rta);
      expect(f.properties.nqp).toBe(nqp.get(String(f.id)) ?? null);
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
    expect(p.features.some((f) => f.properties.nGazelle > 0 && typeof f.properties.rta === 'number')).toBe(true);
  });

  it('serves the firms of a year at their locations with the stored kind', async () => {
    const year = 2016;
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM firm_year WHERE year = ${year}::int`);
    const all = await page(`/collections/firms/items?datetime=${year}&limit=5`);
    expect(all.numberMatched).toBe(n);
    expect(all.features[0].geometry!.type).toBe('Point');
    const kinds = await db.query<{ kind: string; n: number }>(sql`
      SELECT kind, count(*)::int AS n FROM firm_kind WHERE year = ${year}::int AND rule_version = ${DEFAULT_RULE_SET.version} GROUP BY kind`);
    expect(kinds.length).toBe(3);
    for (const k of kinds) {
      const g = await page(`/collections/firms/items?datetime=${year}&kind=${k.kind}&limit=1000`);
      expect(g.numberMatched, k.kind).toBe(k.n);
      expect(g.features.every((f) => f.properties.kind === k.kind && f.properties.year === year)).toBe(true);
    }
    // one firm: its kind in two years matches firm_kind
    const [fk] = await db.query<{ firmId: number }>(sql`SELECT firm_id AS "firmId" FROM firm_kind WHERE year = ${year}::int AND kind = 'gazelle' ORDER BY firm_id LIMIT 1`);
    const one = (await get(`/collections/firms/items/${fk.firmId}?datetime=${year}`)).body as Feature;
    expect(one.id).toBe(fk.firmId);
    expect(one.properties.kind).toBe('gazelle');
    const [loc] = await db.query<{ x: number; y: number }>(sql`SELECT ST_X(location) AS x, ST_Y(location) AS y FROM firm WHERE id = ${fk.firmId}::int`);
    expect(one.geometry!.coordinates).toEqual([Number(loc.x.toFixed(6)), Number(loc.y.toFixed(6))]);
    expect((await get('/collections/firms/items/999999999')).status).toBe(404);
  });

  it('maps datetime instants and intervals to the year of the metrics', async () => {
    const yearOf = async (dt: string) => (await page(`/collections/cities/items?limit=1&datetime=${encodeURIComponent(dt)}`)).features[0].properties.year;
    expect(await yearOf('2012')).toBe(2012);
    expect(await yearOf('2012-05-01')).toBe(2012);
    expect(await yearOf('2012-05-01T10:00:00Z')).toBe(2012);
    expect(await yearOf('2010/2014-06-30')).toBe(2014);
    expect(await yearOf('2010-01-01T00:00:00Z/2010-12-31T23:59:59Z')).toBe(2010); // a QGIS temporal frame
    expect(await yearOf('../2003')).toBe(2003);
    expect(await yearOf('2005/..')).toBe(latest);
    expect(await yearOf('1990/2001')).toBe(2001);
    expect((await page('/collections/cities/items?limit=1')).features[0].properties.year).toBe(latest);
    const bad = await get('/collections/cities/items?datetime=1980/1990');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'InvalidParameterValue', parameter: 'datetime' });
  });

  it('filters by property parameters and CQL2 text exactly as SQL does', async () => {
    const y = 2018;
    const ref = async (cond: ReturnType<typeof sql>) => (await db.query<{ code: string }>(sql`
      SELECT c.code FROM city c LEFT JOIN city_year cy ON cy.city_code = c.code AND cy.year = ${y}::int WHERE ${cond} ORDER BY c.code`)).map((r) => r.code);
    const q = (f: string) => `/collections/cities/items?datetime=${y}&limit=1000&simplify=0.1&filter-lang=cql2-text&filter=${encodeURIComponent(f)}`;

    const js = await page(`/collections/cities/items?datetime=${y}&limit=1000&simplify=0.1&province=${encodeURIComponent('江苏省')}`);
    expect(codes(js)).toEqual(await ref(sql`c.province = '江苏省'`));
    expect(js.numberMatched).toBe(13);

    const [{ med }] = await db.query<{ med: number }>(sql`SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY gdp) AS med FROM city_year WHERE year = ${y}::int`);
    expect(codes(await page(q(`province = '江苏省' AND gdp > ${med}`)))).toEqual(await ref(sql`c.province = '江苏省' AND cy.gdp > ${med}::float8`));
    expect(codes(await page(q(`NOT (gdp <= ${med}) OR region = 'West'`)))).toEqual(await ref(sql`NOT (cy.gdp <= ${med}::float8) OR c.region = 'West'`));
    expect(codes(await page(q("name LIKE '南%'")))).toEqual(await ref(sql`c.name LIKE '南%'`));
    expect(codes(await page(q("province IN ('江苏省', '浙江省') AND urbanShare BETWEEN 0.5 AND 0.7")))).toEqual(
      await ref(sql`c.province IN ('江苏省', '浙江省') AND cy.urban_share BETWEEN 0.5 AND 0.7`));
    expect(codes(await page(q('provinceCode IS NULL')))).toEqual(await ref(sql`c.province_code IS NULL`));
    const box = [118.5, 31.8, 119.3, 32.4];
    const spatial = codes(await page(q(`S_INTERSECTS(geometry, BBOX(${box.join(', ')}))`)));
    expect(spatial).toEqual(codes(await page(`/collections/cities/items?datetime=${y}&limit=1000&simplify=0.1&bbox=${box.join(',')}`)));
    expect(spatial).toContain('320100');
    const point = await page(q("S_INTERSECTS(geometry, POINT(118.78 32.06)) AND name LIKE '南京%'"));
    expect(codes(point)).toEqual(['320100']);

    // kind counts and RTA are filterable (they are bound into the page statement, not filtered in memory)
    const agg = (await cityAgglomeration(db)).rows.filter((r) => r.year === y);
    const want = agg.filter((r) => r.q2 >= 3 && r.q3 === 0).map((r) => r.cityCode).sort();
    expect(codes(await page(q('nGazelle >= 3 AND nUnicorn = 0')))).toEqual(want);

    // paging keeps the filter; numberMatched counts them all
    const p1 = await page(`/collections/cities/items?province=${encodeURIComponent('江苏省')}&limit=5`);
    expect([p1.numberMatched, p1.numberReturned]).toEqual([13, 5]);
    const next = p1.links.find((l) => l.rel === 'next')!.href;
    expect(new URL(next).searchParams.get('province')).toBe('江苏省');
    expect(((await (await fetch(next)).json()) as Page).features.every((f) => f.properties.province === '江苏省')).toBe(true);

    for (const [qs, param] of [['filter=colour%3D1', 'filter'], ['filter=gdp%20%3D%20%27x%27', 'filter'], ['kind=gazelle', 'kind'], ['filter-lang=cql2-text', 'filter-lang'], ['firms:kind=dragon', 'kind']]) {
      const [col, q] = qs.startsWith('firms:') ? ['firms', qs.slice(6)] : ['cities', qs];
      const r = await get(`/collections/${col}/items?${q}`);
      expect(r.status, qs).toBe(400);
      expect(r.body.parameter, qs).toBe(param);
      expect(r.body.description.length).toBeGreaterThan(10);
    }
  });

  it('serves HTML views by f=html and by the Accept header, escaping values', async () => {
    const viaF = await get('/collections/cities/items?limit=2&f=html');
    expect(viaF.type).toContain('text/html');
    expect(viaF.text).toContain('北京市');
    expect(viaF.text).toMatch(/rel="next"/);
    expect(viaF.text).not.toMatch(/<script|<link|src="http/);
    const browser = await get('/collections', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(browser.type).toContain('text/html');
    expect(browser.text).toContain('/ogc/collections/firms');
    expect((await get('/collections', { accept: 'application/json' })).type).toContain('application/json');
    for (const path of ['', '/conformance', '/collections/firms', '/collections/firms/queryables', '/collections/cities/items/320100']) {
      const r = await get(`${path}?f=html`);
      expect([r.status, r.type.split(';')[0]], path).toEqual([200, 'text/html']);
    }
    const evil = { type: 'Feature' as const, id: '<b>1</b>', geometry: null, properties: { name: '<script>alert("x")</script>', n: 1 } };
    const html = featuresTable([evil], (id) => `/ogc/x/${id}?a=1&b="2"`) + featureView(evil);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>1');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('href="/ogc/x/&lt;b&gt;1&lt;/b&gt;?a=1&amp;b=&quot;2&quot;"');
    expect(esc(`'&`)).toBe('&#39;&amp;');
  });

  it('issues the same statements for a page of 10 or 1000 features (one page statement + the version check)', async () => {
    await page('/collections/firms/items?limit=1'); // snapshot of this data version
    const count = async (path: string) => {
      const before = db.statementCount;
      await page(path);
      return db.statementCount - before;
    };
    const small = await count('/collections/firms/items?limit=10');
    expect(small).toBeLessThanOrEqual(2);
    expect(await count('/collections/firms/items?limit=1000&kind=gazelle')).toBe(small);
    expect(await count('/collections/cities/items?limit=1000&simplify=0.1&filter=nGazelle%3E1')).toBe(small);
  });
  // last: its long transaction may outlive the HTTP client's keep-alive socket
  it('shows imported variables as properties and queryables (rows inserted in a transaction that is rolled back)', async () => {
    const url = (path: string) => new URL(`http://test/ogc${path}`);
    const json = async (tx: Db, path: string) => JSON.parse((await ogcResponse(tx, url(path), 'http://test'))!.body);
    await expect(db.transaction(async (tx) => {
      await tx.query(sql`INSERT INTO city_variable (city_code, year, name, value) VALUES
        ('320100', 2017, 'green_patents', 12.5), ('320200', 2017, 'green_patents', 3), ('110000', 2017, 'green_patents', NULL), ('320100', 2016, 'green_patents', 7)`);
      const p = await json(tx, '/collections/cities/items?datetime=2017&limit=1000&simplify=0.1') as Page;
      const byCode = new Map(p.features.map((f) => [String(f.id), f.properties]));
      expect(byCode.get('320100')!.green_patents).toBe(12.5);
      expect(byCode.get('320200')!.green_patents).toBe(3);
      expect(byCode.get('110000')!.green_patents).toBeNull();
      expect(byCode.get('310000')!.green_patents).toBeNull();
      expect((await json(tx, '/collections/cities/items/320100?datetime=2016')).properties.green_patents).toBe(7);
      expect(codes(await json(tx, '/collections/cities/items?datetime=2017&filter=green_patents%20%3E%205'))).toEqual(['320100']);
      expect(codes(await json(tx, '/collections/cities/items?datetime=2017&green_patents=3'))).toEqual(['320200']);
      expect((await json(tx, '/collections/cities/queryables')).properties.green_patents).toMatchObject({ type: 'number' });
      throw new Rollback();
    })).rejects.toThrow(Rollback);
    // (the store directly, not over HTTP: the long transaction may have outlived the client's keep-alive socket)
    expect((await json(db, '/collections/cities/items/320100?datetime=2017')).properties.green_patents).toBeUndefined();
    expect((await ogcResponse(db, url('/collections/cities/items?green_patents=3'), 'http://test'))!.status).toBe(400);
  });

});
