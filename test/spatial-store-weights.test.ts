// Weights of the stored cities (storedWeights) and "two sources, same answer": in-process weights computed from the
// committed GeoJSON agree with those PostGIS produced for the store, and where they do not, the test says why.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { neighboursOf, type NeighbourType } from '../src/db/queries/neighbours.js';
import { storedWeights, withoutUnits } from '../src/db/queries/weights.js';
import { sql } from '../src/db/sql.js';
import { loadCityFeatures } from '../src/demo/cities.js';
import { contiguity as bandContiguity } from '../src/demo/contiguity.js';
import { greatCircleKm, pointWeights, weightsFromGeoJSON, type GeoJSONFeatureCollection, type SpatialWeights } from '../src/estimation/spatial/index.js';
import { dbKind, getStore } from './helpers/store.js';

const HAINAN = ['460100', '460200', '460300', '460400'];

/** Unordered neighbour pairs "a,b" (a < b) of symmetric weights. */
function pairsOf(w: SpatialWeights): Set<string> {
  const s = new Set<string>();
  w.ids.forEach((a, i) => w.neighbours[i].forEach((j) => { const b = w.ids[j]; s.add(a < b ? `${a},${b}` : `${b},${a}`); }));
  return s;
}
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();
const nbCodes = (w: SpatialWeights, i: number) => Array.from(w.neighbours[i], (j) => w.ids[j]);

const features = loadCityFeatures();
const byCode = [...features].sort((a, b) => (a.properties.code < b.properties.code ? -1 : 1));
const geojson = { type: 'FeatureCollection', features: byCode } as unknown as GeoJSONFeatureCollection;

describe(`storedWeights on ${dbKind}`, () => {
  let db: Db;
  beforeAll(async () => { db = (await getStore()).db; });

  it('issues one statement per call and returns every city in code order, islands listed', async () => {
    for (const type of ['QUEEN', 'ROOK', 'KNN', 'DISTANCE'] as const) {
      const before = db.statementCount;
      const w = await storedWeights(db, { type, style: 'W' });
      expect(db.statementCount - before).toBe(1);
      expect(w.ids.length).toBe(338);
      expect([...w.ids].sort()).toEqual(w.ids);
      expect(w.style).toBe('W');
      w.weights.forEach((v, i) => {
        const s = v.reduce((a, b) => a + b, 0);
        if (w.neighbours[i].length) expect(s).toBeCloseTo(1, 12); else expect(s).toBe(0);
      });
      if (type === 'QUEEN' || type === 'ROOK') expect(w.islands).toEqual(HAINAN);
      if (type === 'KNN') expect(w.islands).toEqual([]);
    }
  });

  it('has exactly the neighbour sets of neighboursOf (the resolvers\' source) for every type', async () => {
    const cases: [NeighbourType, { k?: number; km?: number }][] = [['QUEEN', {}], ['ROOK', {}], ['KNN', { k: 4 }], ['KNN', { k: 7 }], ['DISTANCE', { km: 150 }]];
    for (const [type, opts] of cases) {
      const w = await storedWeights(db, { type, style: 'B', ...opts });
      const rows = await neighboursOf(db, w.ids, type, opts);
      const expected = new Map<string, string[]>();
      for (const r of rows) expected.set(r.cityCode, [...(expected.get(r.cityCode) ?? []), r.neighbourCode]);
      w.ids.forEach((id, i) => expect(nbCodes(w, i), `${type} ${id}`).toEqual((expected.get(id) ?? []).sort()));
      for (const v of w.weights) for (const x of v) expect(x).toBe(1);
    }
  });

  it('stores symmetric contiguity: 898 queen pairs, rook the same on these outlines (every band contact >= 1 km)', async () => {
    const queen = await storedWeights(db, { type: 'QUEEN', style: 'B' });
    const rook = await storedWeights(db, { type: 'ROOK', style: 'B' });
    expect(pairsOf(queen).size).toBe(898);
    expect(minus(pairsOf(queen), pairsOf(rook))).toEqual([]);
    queen.ids.forEach((id, i) => queen.neighbours[i].forEach((j) => expect(Array.from(queen.neighbours[j])).toContain(i)));
  });

  it('builds a subset on its own: neighbours only among the chosen cities, new islands reported', async () => {
    const codes = ['320100', '321000', '320300', '460100', '110000'];
    const q = await storedWeights(db, { type: 'QUEEN', style: 'W' }, codes);
    expect(q.ids).toEqual(['110000', '320100', '320300', '321000', '460100']);
    expect(nbCodes(q, 1)).toEqual(['321000']); // 南京 - 扬州
    expect(q.islands).toEqual(['110000', '320300', '460100']);
    const k = await storedWeights(db, { type: 'KNN', k: 2, style: 'B' }, codes);
    k.neighbours.forEach((nb) => expect(nb.length).toBe(2));
  });

  it('withoutUnits drops islands without touching the other rows', async () => {
    const w = await storedWeights(db, { type: 'QUEEN', style: 'W' });
    const v = withoutUnits(w, w.islands!);
    expect(v.ids.length).toBe(334);
    expect(v.islands).toEqual([]);
    v.ids.forEach((id, r) => {
      const i = w.ids.indexOf(id);
      expect(nbCodes(v, r)).toEqual(nbCodes(w, i));
      expect(Array.from(v.weights[r])).toEqual(Array.from(w.weights[i]));
    });
  });

  it('rejects unknown codes and bad k / km / style, naming the field', async () => {
    await expect(storedWeights(db, { type: 'QUEEN', style: 'W' }, ['320100', '999900'])).rejects.toMatchObject({ field: 'codes', message: expect.stringContaining('999900') });
    await expect(storedWeights(db, { type: 'KNN', k: 0, style: 'W' })).rejects.toMatchObject({ field: 'k' });
    await expect(storedWeights(db, { type: 'KNN', k: 3, style: 'W' }, ['320100', '321000'])).rejects.toMatchObject({ field: 'k' });
    await expect(storedWeights(db, { type: 'DISTANCE', km: -5, style: 'W' })).rejects.toMatchObject({ field: 'km' });
    await expect(storedWeights(db, { type: 'QUEEN', style: 'X' as 'W' })).rejects.toMatchObject({ field: 'style' });
  });
});

describe(`two sources, same answer (GeoJSON in process vs PostGIS on ${dbKind})`, () => {
  let db: Db;
  beforeAll(async () => { db = (await getStore()).db; });

  it('(a) the band rule in JS on data/cities.geojson gives the stored queen and rook pairs exactly', async () => {
    const stored = pairsOf(await storedWeights(db, { type: 'QUEEN', style: 'B' }));
    const storedRook = pairsOf(await storedWeights(db, { type: 'ROOK', style: 'B' }));
    const band = bandContiguity(features);
    const key = (a: string, b: string) => (a < b ? `${a},${b}` : `${b},${a}`);
    const js = new Set(band.pairs.map((p) => key(p.a, p.b)));
    const jsRook = new Set(band.pairs.filter((p) => p.km >= 1).map((p) => key(p.a, p.b)));
    expect(minus(stored, js)).toEqual([]);
    expect(minus(js, stored)).toEqual([]);
    expect(minus(storedRook, jsRook)).toEqual([]);
    expect(minus(jsRook, storedRook)).toEqual([]);
    expect(band.islands.map((p) => p.code)).toEqual(HAINAN);
  });

  it('(a\') vertex-snap queen (weightsFromGeoJSON, poly2nb rule) misses 11 stored pairs: outlines that overlap without a common vertex', async () => {
    const stored = pairsOf(await storedWeights(db, { type: 'QUEEN', style: 'B' }));
    const snapped = weightsFromGeoJSON(geojson, 'code', { type: 'queen', style: 'B' });
    expect(snapped.ids).toEqual(byCode.map((f) => f.properties.code));
    expect(snapped.islands).toEqual(HAINAN);
    const p = pairsOf(snapped);
    expect(minus(p, stored)).toEqual([]); // every shared vertex is within the band
    const missed = minus(stored, p);
    expect(missed).toEqual([
      '120000,130900', '130900,131000', '130900,131100', '130900,371400', '130900,371600', '141100,610600',
      '310000,320600', '350100,350700', '410200,411000', '510300,511400', '530100,530600',
    ]);
    // Why: each pair's outlines cross (digitised independently), overlapping by a sliver, with no vertex in common.
    const a = missed.map((m) => m.split(',')[0]), b = missed.map((m) => m.split(',')[1]);
    const why = await db.query<{ pair: string; overlapKm2: number }>(sql`
      SELECT x.code || ',' || y.code AS pair, ST_Area(ST_Intersection(x.boundary, y.boundary)::geography) / 1e6 AS "overlapKm2"
      FROM unnest(${a}::text[], ${b}::text[]) AS t(a, b) JOIN city x ON x.code = t.a JOIN city y ON y.code = t.b ORDER BY 1`);
    expect(why.map((r) => r.pair)).toEqual(missed);
    for (const r of why) expect(r.overlapKm2).toBeGreaterThan(0.01);
    // A wider snap closes most of them; the band rule is what closes all without merging non-neighbours.
    const wide = pairsOf(weightsFromGeoJSON(geojson, 'code', { type: 'queen', style: 'B', snap: 0.005 }));
    expect(minus(stored, wide).length).toBe(1);
    expect(minus(wide, stored)).toEqual([]);
  });

  it('(b) KNN k = 4 on the stored interior points: 335 of 338 rows identical; the 3 others are 4th/5th near-ties (< 0.5 km) that sphere and ellipsoid order differently', async () => {
    const pts = await db.query<{ code: string; x: number; y: number }>(sql`SELECT code, ST_X(centroid) AS x, ST_Y(centroid) AS y FROM city ORDER BY code`);
    const ids = pts.map((p) => p.code);
    const stored = await storedWeights(db, { type: 'KNN', k: 4, style: 'W' });
    expect(stored.ids).toEqual(ids);
    // point features as tiny diamonds: weightsFromGeoJSON takes polygons, and a diamond's centroid is its centre
    const e = 1e-7;
    const diamonds = {
      type: 'FeatureCollection',
      features: pts.map((p) => ({
        type: 'Feature', properties: { code: p.code },
        geometry: { type: 'Polygon', coordinates: [[[p.x - e, p.y], [p.x, p.y - e], [p.x + e, p.y], [p.x, p.y + e], [p.x - e, p.y]]] },
      })),
    };
    const fromGeo = weightsFromGeoJSON(diamonds, 'code', { type: 'knn', k: 4, style: 'W' });
    const fromPts = pointWeights(ids, pts.map((p) => [p.x, p.y]), { type: 'knn', k: 4, style: 'W', longlat: true });
    const differing: string[] = [];
    ids.forEach((id, i) => {
      expect(nbCodes(fromGeo, i)).toEqual(nbCodes(fromPts, i));
      if (nbCodes(fromGeo, i).join() !== nbCodes(stored, i).join()) differing.push(id);
      else expect(Array.from(fromGeo.weights[i])).toEqual(Array.from(stored.weights[i]));
    });
    expect(differing).toEqual(['370300', '411600', '430300']);
    const at = new Map(pts.map((p) => [p.code, p]));
    for (const id of differing) {
      const i = ids.indexOf(id);
      const onlyGeo = nbCodes(fromGeo, i).filter((c) => !nbCodes(stored, i).includes(c));
      const onlyDb = nbCodes(stored, i).filter((c) => !nbCodes(fromGeo, i).includes(c));
      expect(onlyGeo.length).toBe(1);
      expect(onlyDb.length).toBe(1);
      const sphere = (c: string) => greatCircleKm(at.get(id)!.x, at.get(id)!.y, at.get(c)!.x, at.get(c)!.y);
      const [d] = await db.query<{ g: number; s: number }>(sql`
        SELECT ST_Distance(a.centroid::geography, g.centroid::geography) / 1000 AS g, ST_Distance(a.centroid::geography, s.centroid::geography) / 1000 AS s
        FROM city a, city g, city s WHERE a.code = ${id} AND g.code = ${onlyGeo[0]} AND s.code = ${onlyDb[0]}`);
      expect(sphere(onlyGeo[0])).toBeLessThan(sphere(onlyDb[0])); // the sphere prefers the JS choice
      expect(d.s).toBeLessThan(d.g); // the ellipsoid prefers the stored one
      expect(Math.abs(d.g - d.s)).toBeLessThan(0.5);
      expect(Math.abs(sphere(onlyGeo[0]) - sphere(onlyDb[0]))).toBeLessThan(0.5);
    }
  });
});
