// Tiles over HTTP (startHttp on port 0): the /tiles listing, TileJSON 3.0.0, a tile with its headers (type, CORS,
// ETag, Cache-Control), 304 on If-None-Match, 204 for an empty tile, and 400 / 404 answers that say what is wrong.
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type RunningServer } from '../src/http.js';
import { dbKind, getStore } from './helpers/store.js';

describe(`tiles over HTTP on ${dbKind}`, () => {
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    server = await startHttp((await getStore()).db, 0);
    base = server.origin;
  });
  afterAll(async () => { await server?.stop(); });

  it('lists the tilesets with OGC API - Tiles style links', async () => {
    const r = await fetch(`${base}/tiles`);
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const body = await r.json() as any;
    expect(body.tilesets.map((t: any) => t.title)).toHaveLength(2);
    const cities = body.tilesets[0];
    expect(cities.tileMatrixSetURI).toBe('http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad');
    expect(cities.links.find((l: any) => l.rel === 'item')).toMatchObject({ templated: true, type: 'application/vnd.mapbox-vector-tile', href: `${base}/tiles/cities/{tileMatrix}/{tileCol}/{tileRow}.mvt` });
    expect(cities.links.find((l: any) => l.rel === 'self').href).toBe(`${base}/tiles/cities.json`);
  });

  it('describes each layer in TileJSON 3.0.0, with the year carried into the tile URL', async () => {
    const r = await fetch(`${base}/tiles/cities.json?year=2015`);
    expect(r.status).toBe(200);
    const tj = await r.json() as any;
    expect(tj).toMatchObject({ tilejson: '3.0.0', name: 'cities', scheme: 'xyz', minzoom: 0, maxzoom: 12, years: [2000, 2019] });
    expect(tj.tiles).toEqual([`${base}/tiles/cities/{z}/{x}/{y}.mvt?year=2015`]);
    const [w, s, e, n] = tj.bounds;
    expect(w).toBeGreaterThan(73); expect(e).toBeLessThan(136); expect(s).toBeGreaterThan(3); expect(n).toBeLessThan(54);
    expect(tj.vector_layers[0].id).toBe('cities');
    expect(Object.keys(tj.vector_layers[0].fields)).toEqual(expect.arrayContaining(['code', 'name', 'province', 'gdp', 'population', 'rta', 'nqp', 'fledgling', 'gazelle', 'unicorn']));
    const firms = await (await fetch(`${base}/tiles/firms.json`)).json() as any;
    expect(firms.tiles).toEqual([`${base}/tiles/firms/{z}/{x}/{y}.mvt`]);
    expect(Object.keys(firms.vector_layers[0].fields)).toEqual(expect.arrayContaining(['id', 'name', 'city', 'kind']));
  });

  it('serves a tile with type, CORS, ETag and Cache-Control, and 304 for a matching If-None-Match', async () => {
    const url = `${base}/tiles/cities/7/106/52.mvt?year=2019`;
    const r = await fetch(url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const etag = r.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const vt = new VectorTile(new PbfReader(new Uint8Array(await r.arrayBuffer())));
    const names = Array.from({ length: vt.layers.cities.length }, (_, i) => vt.layers.cities.feature(i).properties.name);
    expect(names).toEqual(expect.arrayContaining(['上海市', '苏州市', '南京市']));
    const again = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    const otherYear = await fetch(`${base}/tiles/cities/7/106/52.mvt?year=2018`, { headers: { 'if-none-match': etag } });
    expect(otherYear.status).toBe(200);
    expect(otherYear.headers.get('x-tile-year')).toBe('2018');
  });

  it('answers 204 for a tile without features and preflight requests with CORS', async () => {
    const r = await fetch(`${base}/tiles/cities/7/120/55.mvt`);
    expect(r.status).toBe(204);
    expect(r.headers.get('etag')).toBeTruthy();
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const pre = await fetch(`${base}/tiles/cities/7/106/52.mvt`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it.each([
    ['/tiles/roads/1/0/0.mvt', 404, /no tile layer "roads"/],
    ['/tiles/roads.json', 404, /no tile layer "roads"/],
    ['/tiles/cities/7/128/0.mvt', 400, /x and y must lie within 0..127 at zoom 7/],
    ['/tiles/cities/13/0/0.mvt', 400, /zoom 13 is outside 0..12/],
    ['/tiles/cities/a/0/0.mvt', 400, /must be non-negative integers/],
    ['/tiles/cities/7/106/52.mvt?year=1990', 404, /year 1990 has no data; stored years: 2000..2019/],
    ['/tiles/cities/7/106/52.mvt?year=twenty', 400, /year must be a year/],
    ['/tiles/cities/7/106/52.mvt?bbox=1,2,3,4', 400, /unknown query parameter "bbox"/],
    ['/tiles/cities/7/106.mvt', 404, /tile paths are/],
  ])('%s → %i with a clear message', async (path, status, message) => {
    const r = await fetch(`${base}${path}`);
    expect(r.status).toBe(status);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect((await r.json() as any).error).toMatch(message);
  });
});
