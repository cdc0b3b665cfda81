// OGC API - Features over HTTP (startHttp on port 0): landing, conformance, collections, paged items with bbox, year
// metrics and simplified outlines, one item, parameter errors naming the parameter, and the old root paths' redirects.
// More in test/ogc-*.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { dbKind, getStore } from './helpers/store.js';

type Feature = { type: string; id: string; geometry: { type: string; coordinates: number[][][][] }; properties: Record<string, unknown> };
type Page = { type: string; numberMatched: number; numberReturned: number; features: Feature[]; links: { rel: string; href: string }[] };

const vertices = (f: Feature) => f.geometry.coordinates.flat(2).length;

describe(`OGC API - Features on ${dbKind}`, () => {
  let db: Db;
  let server: RunningServer;
  let base: string;
  const get = async (path: string) => {
    const r = await fetch(`${base}${path.startsWith('/ogc') ? path : `/ogc${path}`}`);
    return { status: r.status, type: r.headers.get('content-type'), body: await r.json() as any };
  };

  beforeAll(async () => {
    db = (await getStore()).db;
    server = await startHttp(db, 0);
    base = server.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => { await server?.stop(); });

  it('serves the landing page, conformance and the cities collection with its extent', async () => {
    const landing = await get('/ogc');
    expect(landing.status).toBe(200);
    const rels = landing.body.links.map((l: { rel: string }) => l.rel);
    for (const rel of ['self', 'alternate', 'service-desc', 'conformance', 'data']) expect(rels).toContain(rel);
    expect(landing.body.links.find((l: { rel: string }) => l.rel === 'data').href).toBe(`${base}/ogc/collections?f=json`);
    const conf = await get('/conformance');
    expect(conf.body.conformsTo).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson');
    const cols = await get('/collections');
    expect(cols.body.collections.map((c: { id: string }) => c.id)).toEqual(['cities', 'firms']);
    const [x1, y1, x2, y2] = cols.body.collections[0].extent.spatial.bbox[0];
    expect(x1).toBeGreaterThan(73); expect(x2).toBeLessThan(136); expect(y1).toBeGreaterThan(3); expect(y2).toBeLessThan(54);
    expect((await get('/collections/cities')).body.id).toBe('cities');
  });

  it('pages through all cities in code order with next/prev links', async () => {
    const first = await get('/collections/cities/items?limit=100');
    expect(first.status).toBe(200);
    expect(first.type).toContain('application/geo+json');
    const p = first.body as Page;
    expect(p.type).toBe('FeatureCollection');
    expect(p.numberMatched).toBe(338);
    expect(p.numberReturned).toBe(100);
    expect(p.links.find((l) => l.rel === 'prev')).toBeUndefined();
    const all: string[] = [];
    let href: string | undefined = `${base}/ogc/collections/cities/items?limit=100`;
    while (href) {
      const page = (await (await fetch(href)).json()) as Page;
      all.push(...page.features.map((f) => f.id));
      href = page.links.find((l) => l.rel === 'next')?.href;
    }
    expect(all.length).toBe(338);
    expect([...all].sort()).toEqual(all);
    const last = (await get('/collections/cities/items?limit=100&offset=300')).body as Page;
    expect(last.numberReturned).toBe(38);
    expect(last.links.find((l) => l.rel === 'prev')!.href).toContain('offset=200');
    expect(last.links.find((l) => l.rel === 'next')).toBeUndefined();
    expect(((await get('/collections/cities/items')).body as Page).numberReturned).toBe(10); // default limit
  });

  it('filters by bbox like PostGIS and adds that year\'s metrics', async () => {
    const [{ year }] = await db.query<{ year: number }>(sql`SELECT max(year)::int AS year FROM city_year`);
    const box = [118.5, 31.8, 119.3, 32.4]; // around 南京
    const r = (await get(`/collections/cities/items?bbox=${box.join(',')}&datetime=${year}&limit=1000&simplify=0.01`)).body as Page;
    const expected = await db.query<{ code: string }>(sql`SELECT code::text FROM city
      WHERE ST_Intersects(boundary, ST_MakeEnvelope(${box[0]}::float8, ${box[1]}::float8, ${box[2]}::float8, ${box[3]}::float8, 4326)) ORDER BY code`);
    expect(r.features.map((f) => f.id)).toEqual(expected.map((e) => e.code));
    expect(r.numberMatched).toBe(expected.length);
    const nj = r.features.find((f) => f.id === '320100')!;
    expect(nj.properties.name).toContain('南京');
    const [m] = await db.query<{ population: number; gdp: number }>(sql`SELECT population, gdp FROM city_year WHERE city_code = '320100' AND year = ${year}::int`);
    expect(nj.properties).toMatchObject({ code: '320100', province: '江苏省', region: 'East', year, population: m.population, gdp: m.gdp });
    expect(nj.geometry.type).toBe('MultiPolygon');
  });

  it('simplifies outlines on request and serves one item by code', async () => {
    const full = (await get('/collections/cities/items/320100')).body as Feature;
    const light = (await get('/collections/cities/items/320100?simplify=0.02')).body as Feature;
    expect(full.id).toBe('320100');
    const [{ latest }] = await db.query<{ latest: number }>(sql`SELECT max(year)::int AS latest FROM city_year`);
    expect(full.properties.year).toBe(latest); // no datetime: the latest year
    expect(vertices(light)).toBeLessThan(vertices(full) / 3);
    for (const ring of light.geometry.coordinates.flat()) expect(ring[0]).toEqual(ring[ring.length - 1]);
    expect((await get('/collections/cities/items/999900')).status).toBe(404);
  });

  it('rejects bad parameters with 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['bbox=1,2,3', 'bbox'], ['bbox=120,40,110,30', 'bbox'], ['limit=0', 'limit'], ['limit=2.5', 'limit'], ['offset=-1', 'offset'],
      ['year=2035', 'year'], ['year=abc', 'year'], ['simplify=2', 'simplify'], ['colour=red', 'colour'], ['f=xml', 'f'],
      ['datetime=1990', 'datetime'], ['datetime=2019/2010', 'datetime'], ['datetime=../..', 'datetime'], ['datetime=yesterday', 'datetime'],
      ['bbox-crs=EPSG:3857&bbox=1,2,3,4', 'bbox-crs'], ['filter=gdp%20%3E', 'filter'], ['filter=gdp>1&filter-lang=cql2-json', 'filter-lang'],
      ['province=a&province=b', 'province'], ['areaKm2=big', 'areaKm2'],
    ];
    for (const [q, param] of cases) {
      const r = await get(`/collections/cities/items?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body).toMatchObject({ code: 'InvalidParameterValue', parameter: param });
    }
    // a limit above the maximum is clamped, not refused (Part 1, /req/core/fc-limit-response-1)
    const big = (await get('/collections/cities/items?limit=5000&simplify=0.1')).body as Page;
    expect(big.numberReturned).toBe(338);
    expect(big.links.find((l) => l.rel === 'self')!.href).toContain('limit=1000');
    expect((await get('/collections/towns')).status).toBe(404);
    expect((await get('/collections/towns')).body.code).toBe('NotFound');
    expect((await get('/collections/cities/items/no%20such')).status).toBe(404);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404); // other paths still reach the GraphQL front
  });

  it('redirects the old root paths to /ogc with 308, keeping the query', async () => {
    for (const old of ['/conformance', '/collections', '/collections/cities/items?limit=3&bbox=118,31,119,32']) {
      const r = await fetch(`${base}${old}`, { redirect: 'manual' });
      expect(r.status, old).toBe(308);
      expect(r.headers.get('location')).toBe(`${base}/ogc${old}`);
    }
    const followed = await fetch(`${base}/collections/cities/items?limit=3`);
    expect(((await followed.json()) as Page).numberReturned).toBe(3);
  });
});
