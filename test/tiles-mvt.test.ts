// Vector tiles decoded with @mapbox/vector-tile + pbf: the Yangtze delta tile holds the cities whose outlines meet
// the tile (checked with PostGIS and with the GeoJSON outlines), with GraphQL's values for the year; firm points;
// on PostgreSQL the ST_AsMVT tile and the in-process (geojson-vt + vt-pbf) tile carry the same features.
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { toleranceForZoom } from '../src/db/queries/outlines.js';
import { getTile, parseTile, resolveYear, yearParam } from '../src/tiles/service.js';
import type { Encoder } from '../src/tiles/encode.js';
import { pointInRing } from '../src/geo/geojson.js';
import { dbKind, getStore, gql } from './helpers/store.js';

type Props = Record<string, string | number | boolean>;
interface Decoded { id: number | undefined; props: Props; type: number; rings: { x: number; y: number }[][] }

function decode(body: Buffer, layer: string): Decoded[] {
  if (!body.length) return [];
  const vt = new VectorTile(new PbfReader(body));
  expect(Object.keys(vt.layers)).toEqual([layer]);
  const l = vt.layers[layer];
  expect(l.extent).toBe(4096);
  const out: Decoded[] = [];
  for (let i = 0; i < l.length; i++) {
    const f = l.feature(i);
    out.push({ id: f.id, props: f.properties, type: f.type, rings: f.loadGeometry() });
  }
  return out;
}

// Tile arithmetic written out here (slippy-map formulas), independent of src/tiles/tile-math.ts.
const N = (z: number) => 2 ** z;
const lonToX = (lon: number, z: number) => ((lon + 180) / 360) * N(z);
const latToY = (lat: number, z: number) => { const r = (lat * Math.PI) / 180; return ((1 - Math.asinh(Math.tan(r)) / Math.PI) / 2) * N(z); };
const xToLon = (x: number, z: number) => (x / N(z)) * 360 - 180;
const yToLat = (y: number, z: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / N(z)))) * 180) / Math.PI;
const MARGIN = 64 / 4096;
/** lon/lat box of the tile grown by `margin` tiles: [west, south, east, north] */
const box = (z: number, x: number, y: number, margin = 0) =>
  [xToLon(x - margin, z), yToLat(y + 1 + margin, z), xToLon(x + 1 + margin, z), yToLat(y - margin, z)] as const;

const byKey = (fs: Decoded[]) => fs.map((f) => ({ id: f.id, props: f.props })).sort((a, b) => String(a.props.code ?? a.id).localeCompare(String(b.props.code ?? b.id)));

describe(`vector tiles on ${dbKind}`, () => {
  let db: Db;
  const tileOf = async (layer: 'cities' | 'firms', z: number, x: number, y: number, year?: number, encoder?: Encoder) =>
    decode((await getTile(db, { layer, tile: { z, x, y }, year }, { encoder })).body, layer);

  // 苏州 (Suzhou) at zoom 7: the tile also meets 上海 and 南京
  const z = 7, x = Math.floor(lonToX(120.58, 7)), y = Math.floor(latToY(31.3, 7));
  let delta: Decoded[];
  beforeAll(async () => {
    db = (await getStore()).db;
    delta = await tileOf('cities', z, x, y, 2019);
  });

  it('holds the cities whose zoom-7 outlines meet the tile (PostGIS), Shanghai, Suzhou and Nanjing among them', async () => {
    expect([x, y]).toEqual([106, 52]);
    const meeting = async (margin: number) => {
      const [w, s, e, n] = box(z, x, y, margin);
      return (await db.query<{ code: string }>(sql`
        SELECT city_code AS code FROM city_outline
        WHERE tolerance = ${toleranceForZoom(z)}::float8 AND ST_Intersects(outline, ST_MakeEnvelope(${w}::float8, ${s}::float8, ${e}::float8, ${n}::float8, 4326))
        ORDER BY city_code`)).map((r) => r.code);
    };
    const inTile = await meeting(0), inBuffered = await meeting(MARGIN);
    const codes = delta.map((f) => String(f.props.code)).sort();
    // every outline meeting the tile is there; beyond them only outlines meeting the 64-unit buffer (those whose part
    // there is smaller than one tile unit collapse and are left out, as ST_AsMVTGeom does)
    expect(codes).toEqual(expect.arrayContaining(inTile));
    expect(inBuffered).toEqual(expect.arrayContaining(codes));
    expect(inTile.length).toBeGreaterThan(10);
    for (const c of ['310000', '320500', '320100']) expect(codes).toContain(c);
    for (const f of delta) {
      expect(f.type).toBe(3); // polygons
      expect(f.id).toBe(Number(f.props.code));
    }
  });

  it('agrees with a bbox computation on the GeoJSON outlines from GraphQL', async () => {
    const r = await gql<{ cities: { nodes: { code: string; boundary: { coordinates: number[][][][] } }[] } }>(
      `{ cities(filter: { bbox: [114, 28, 125, 35] }, first: 1000) { nodes { code boundary(simplify: ${toleranceForZoom(z)}) } } }`);
    expect(r.errors).toBeUndefined();
    const [w, s, e, n] = box(z, x, y, MARGIN);
    const [iw, is, ie, inn] = box(z, x, y);
    const inTile = new Set(delta.map((f) => String(f.props.code)));
    let vertexInside = 0;
    for (const c of r.data!.cities.nodes) {
      const pts = c.boundary.coordinates.flat(2);
      const lons = pts.map((p) => p[0]), lats = pts.map((p) => p[1]);
      const overlaps = Math.min(...lons) <= e && Math.max(...lons) >= w && Math.min(...lats) <= n && Math.max(...lats) >= s;
      if (!overlaps) expect(inTile.has(c.code)).toBe(false);
      if (pts.some(([lon, lat]) => lon > iw && lon < ie && lat > is && lat < inn)) { vertexInside++; expect(inTile.has(c.code)).toBe(true); }
    }
    expect(vertexInside).toBeGreaterThan(5);
  });

  it('carries the 2019 values GraphQL gives (gdp, population, RTA, NQP, Q1-Q3)', async () => {
    const codes = delta.map((f) => String(f.props.code));
    const r = await gql<{ cities: { nodes: any[] }; agglomeration: { city: { code: string }; value: number | null; q1: number; q2: number; q3: number }[] }>(`
      query ($codes: [String!]) {
        cities(filter: { code: $codes }, first: 100) { nodes { code name province rta(year: 2019) nqp(year: 2019) metrics(years: [2019]) { gdp population } } }
        agglomeration(year: 2019, index: RTA) { city { code } value q1 q2 q3 }
      }`, { codes });
    expect(r.errors).toBeUndefined();
    const agg = new Map(r.data!.agglomeration.map((a) => [a.city.code, a]));
    const firms = new Map((await db.query<{ code: string; n: number }>(sql`
      SELECT f.city_code AS code, count(*)::int AS n FROM firm f JOIN firm_year y ON y.firm_id = f.id AND y.year = 2019
      WHERE NOT f.st_flag AND NOT f.financial GROUP BY f.city_code`)).map((x) => [x.code, x.n]));
    expect(r.data!.cities.nodes.length).toBe(codes.length);
    for (const c of r.data!.cities.nodes) {
      const p = delta.find((f) => f.props.code === c.code)!.props;
      const a = agg.get(c.code)!;
      const want: Props = {
        code: c.code, name: c.name, province: c.province, year: 2019, gdp: c.metrics[0].gdp, population: c.metrics[0].population,
        nqp: c.nqp, fledgling: a.q1, gazelle: a.q2, unicorn: a.q3, firmCount: firms.get(c.code) ?? 0,
      };
      if (c.rta !== null) want.rta = c.rta; // MVT has no null: an undefined RTA is left out
      expect(a.value).toBe(c.rta);
      expect(p).toEqual(want);
    }
  });

  it('draws each city around its interior point (tile coordinates)', async () => {
    const pts = await db.query<{ code: string; lon: number; lat: number }>(sql`
      SELECT code, ST_X(centroid) AS lon, ST_Y(centroid) AS lat FROM city WHERE code IN ('320500', '310000')`);
    for (const p of pts) {
      const px = (lonToX(p.lon, z) - x) * 4096, py = (latToY(p.lat, z) - y) * 4096;
      if (px < 0 || px > 4096 || py < 0 || py > 4096) continue; // Shanghai's interior point lies east of the tile
      const f = delta.find((d) => d.props.code === p.code)!;
      const inside = f.rings.filter((ring) => pointInRing([px, py], ring.map((q) => [q.x, q.y]))).length;
      expect(inside % 2).toBe(1);
    }
  });

  it('gives another year\'s values with ?year= and firm points of that year', async () => {
    const y2010 = await tileOf('cities', z, x, y, 2010);
    const r = await gql<{ city: { metrics: { gdp: number }[] } }>(`{ city(code: "320500") { metrics(years: [2010]) { gdp } } }`);
    expect(y2010.find((f) => f.props.code === '320500')!.props).toMatchObject({ year: 2010, gdp: r.data!.city.metrics[0].gdp });
    const firms = await tileOf('firms', z, x, y, 2019);
    const [w, s, e, n] = box(z, x, y, MARGIN);
    const expected = await db.query<{ id: number }>(sql`
      SELECT f.id FROM firm f JOIN firm_year y ON y.firm_id = f.id AND y.year = 2019
      WHERE ST_X(f.location) BETWEEN ${w}::float8 AND ${e}::float8 AND ST_Y(f.location) BETWEEN ${s}::float8 AND ${n}::float8 ORDER BY f.id`);
    expect(firms.map((f) => f.id).sort((a, b) => a! - b!)).toEqual(expected.map((r) => r.id));
    expect(firms.length).toBeGreaterThan(100);
    const kinds = await gql<{ firmKinds: { firm: { id: number }; kind: string }[] }>(`{ firmKinds(year: 2019, city: "320500") { firm { id } kind } }`);
    const kindOf = new Map(kinds.data!.firmKinds.map((k) => [Number(k.firm.id), k.kind]));
    const suzhou = firms.filter((f) => f.props.city === '320500');
    expect(suzhou.length).toBeGreaterThan(5);
    for (const f of suzhou) {
      expect(f.type).toBe(1);
      expect(f.props.id).toBe(f.id);
      expect(f.props.kind).toBe(kindOf.get(f.id!)); // undefined (left out) when the firm-year is of no kind
    }
    expect(suzhou.some((f) => f.props.kind !== undefined)).toBe(true);
  });

  it('answers a tile without features with an empty body (Pacific Ocean)', async () => {
    const t = await getTile(db, { layer: 'cities', tile: { z: 7, x: Math.floor(lonToX(160, 7)), y: Math.floor(latToY(20, 7)) } });
    expect(t.body.length).toBe(0);
    expect((await getTile(db, { layer: 'firms', tile: { z: 7, x: 120, y: 55 } })).body.length).toBe(0);
  });

  it('gives one ETag per data, tile and year; If-None-Match skips the tile', async () => {
    const a = await getTile(db, { layer: 'cities', tile: { z, x, y }, year: 2019 });
    const b = await getTile(db, { layer: 'cities', tile: { z, x, y } }); // latest year = 2019
    expect(b.year).toBe(2019);
    expect(b.etag).toBe(a.etag);
    expect(b.body.equals(a.body)).toBe(true);
    const c = await getTile(db, { layer: 'cities', tile: { z, x, y }, year: 2018 });
    expect(c.etag).not.toBe(a.etag);
    const nm = await getTile(db, { layer: 'cities', tile: { z, x, y }, year: 2019 }, { ifNoneMatch: `"x", ${a.etag}` });
    expect(nm.notModified).toBe(true);
    expect(nm.body.length).toBe(0);
  });

  it('rejects bad layers, tiles and years with clear messages', async () => {
    expect(() => parseTile('roads', '1', '0', '0')).toThrow(expect.objectContaining({ status: 404, message: expect.stringMatching(/no tile layer "roads"; layers: cities, firms/) }));
    expect(() => parseTile('cities', '7', '128', '0')).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/x and y must lie within 0..127/) }));
    expect(() => parseTile('cities', '13', '0', '0')).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/zoom 13 is outside 0..12/) }));
    expect(() => parseTile('cities', '-1', '0', '0')).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => parseTile('cities', '1.5', '0', '0')).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => yearParam(new URLSearchParams('year=20x9'))).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/year must be a year/) }));
    expect(() => yearParam(new URLSearchParams('year=2019&simplify=1'))).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/unknown query parameter "simplify"/) }));
    await expect(resolveYear(db, 1990)).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/year 1990 has no data; stored years: 2000..2019/) });
  });

  it.runIf(dbKind === 'postgres')('gives the same features from ST_AsMVT and from geojson-vt + vt-pbf', async () => {
    const tiles: [number, number, number][] = [[0, 0, 0], [7, x, y], [7, 106, 51], [10, Math.floor(lonToX(121.47, 10)), Math.floor(latToY(31.23, 10))]];
    for (let tx = 12; tx <= 13; tx++) for (let ty = 5; ty <= 7; ty++) tiles.push([4, tx, ty]);
    for (let tx = 25; tx <= 26; tx++) for (let ty = 12; ty <= 14; ty++) tiles.push([5, tx, ty]);
    let features = 0;
    for (const [tz, tx, ty] of tiles) {
      for (const layer of ['cities', 'firms'] as const) {
        const pg = await tileOf(layer, tz, tx, ty, 2015, 'postgis');
        const js = await tileOf(layer, tz, tx, ty, 2015, 'js');
        expect({ tile: `${layer} ${tz}/${tx}/${ty}`, f: byKey(js) }).toEqual({ tile: `${layer} ${tz}/${tx}/${ty}`, f: byKey(pg) });
        features += pg.length;
      }
    }
    expect(features).toBeGreaterThan(1000);
  });
});
