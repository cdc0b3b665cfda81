// Firms placed where they are. The in-process locator (flatbush + point-in-polygon-hao, used on the embedded
// database) against PostGIS ST_Contains over the stored boundaries: 10,000 seeded random points over the units'
// extent, 0 differ. Then the firms import on the demo store: a row by code lands on its code, a row by point lands in
// the unit containing it, a point in the sea and a point on a shared border are problem rows naming the nearest unit;
// the report counts firms placed per method. Imports run in rolled-back transactions (the shared store stays as it was).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { containingUnits, loadUnitLocator } from '../src/db/queries/locate.js';
import { sql } from '../src/db/sql.js';
import { mulberry32 } from '../src/estimation/prng.js';
import type { UnitLocator } from '../src/geo/locate.js';
import { firmsImporter } from '../src/import/firms.js';
import { importCsv, rolledBack } from './import-helpers.js';
import { getStore } from './helpers/store.js';

let db: Db;
let locator: UnitLocator;
let extent: { x0: number; y0: number; x1: number; y1: number };

beforeAll(async () => {
  db = (await getStore()).db;
  locator = await loadUnitLocator(db);
  [extent] = await db.query<typeof extent>(sql`
    SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1 FROM (SELECT ST_Extent(boundary)::geometry AS e FROM city) t`);
}, 600_000);

describe('points in units: in process equals PostGIS ST_Contains', () => {
  it('10,000 seeded random points over the stored boundaries\' extent: 0 differ', async () => {
    expect(locator.size).toBe(338);
    const rng = mulberry32(20261206);
    const points: [number, number][] = Array.from({ length: 10_000 }, () =>
      [extent.x0 + rng.next() * (extent.x1 - extent.x0), extent.y0 + rng.next() * (extent.y1 - extent.y0)]);
    // small batches: the embedded PostGIS was seen to drop rows in heavy statements; containingUnits checks the count
    const reference: string[][] = [];
    for (let i = 0; i < points.length; i += 250) reference.push(...await containingUnits(db, points.slice(i, i + 250)));
    const differ = points.filter(([x, y], i) => locator.classify(x, y).inside.join() !== reference[i].join());
    expect(differ).toEqual([]);
    // the comparison is not vacuous: many points fall in a unit, many in none, and every unit-holding one in exactly one
    const inside = reference.filter((r) => r.length === 1).length;
    expect(inside).toBeGreaterThan(2_000);
    expect(points.length - inside).toBeGreaterThan(2_000);
    expect(reference.every((r) => r.length <= 1)).toBe(true);
  }, 600_000);
});

const HEADER = 'id,name,code,industry,founded,lon,lat';

describe('firms import: by code and by point', () => {
  let inner: { code: string; lon: number; lat: number };
  let other: string;
  beforeAll(async () => {
    // a point surely inside one unit (PostGIS's point on surface), and another unit's code
    [inner] = await db.query<typeof inner>(sql`
      SELECT code, ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT code, ST_PointOnSurface(boundary) AS p FROM city ORDER BY code LIMIT 1 OFFSET 100) t`);
    [{ code: other }] = await db.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code LIMIT 1 OFFSET 7`);
  });

  it('places a row by code on its code and a row by point in the unit containing it; counts per method', async () => {
    const csv = [HEADER,
      `910000001,By Code,${other},software,2015-01-01,,`,
      `910000002,By Point,,robotics,2016-05-01,${inner.lon},${inner.lat}`,
      `910000003,Code Wins,${other},software,2017-01-01,${inner.lon},${inner.lat}`,
    ].join('\n');
    const out = await rolledBack(db, async (tx) => {
      const { report, rejected } = await importCsv(tx, firmsImporter, csv);
      expect(rejected?.problems ?? []).toEqual([]);
      const firms = await tx.query<{ id: number; city_code: string; lon: number; lat: number }>(sql`
        SELECT id, city_code, ST_X(location) AS lon, ST_Y(location) AS lat FROM firm WHERE id >= 910000001 ORDER BY id`);
      return { report: report!, firms };
    });
    expect(out.report.placed).toEqual({ code: 2, point: 1 });
    expect(out.report.counts.inserted).toBe(3);
    expect(out.firms.map((f) => f.city_code)).toEqual([other, inner.code, other]);
    expect(out.firms[1].lon).toBeCloseTo(inner.lon, 9);
    expect(out.firms[1].lat).toBeCloseTo(inner.lat, 9);
  });

  it('refuses a point inside no unit and a point on a shared border, naming the nearest unit and its distance', async () => {
    // a vertex shared by two units' boundaries (a point of their common border)
    let border: { lon: number; lat: number; codes: string[] } | undefined;
    for (const u of locator.all) {
      for (const [lon, lat] of u.coordinates[0][0]) {
        const c = locator.classify(lon, lat);
        if (!c.inside.length && c.edge.length === 2) { border = { lon, lat, codes: c.edge }; break; }
      }
      if (border) break;
    }
    expect(border).toBeDefined();
    const csv = [HEADER,
      `910000011,In The Sea,,shipping,2015-01-01,150,10`,
      `910000012,On The Border,,logistics,2015-01-01,${border!.lon},${border!.lat}`,
      `910000013,Nowhere,,software,2015-01-01,,`,
      `910000014,Unknown,XX0000,software,2015-01-01,,`,
      `910000015,Placed,,software,2015-01-01,${inner.lon},${inner.lat}`,
    ].join('\n');
    const before = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM firm`);
    const { report, rejected } = await importCsv(db, firmsImporter, csv);
    expect(report).toBeNull();
    const near = locator.nearest(150, 10)!;
    expect(near.km).toBeGreaterThan(100);
    const p = rejected!.problems;
    expect(p.map((x) => x.line)).toEqual([2, 3, 4, 5]);
    expect(p[0]).toMatchObject({ column: 'lon/lat', value: '150 10' });
    expect(p[0].reason).toMatch(new RegExp(`^point inside no stored unit; nearest unit ${near.code} \\(${near.name}\\), \\d+\\.\\d km$`));
    // the distance agrees between the engines' methods to 1% (PostGIS geodesic on PostgreSQL, local projection here)
    const km = Number(/, ([\d.]+) km$/.exec(p[0].reason)![1]);
    expect(Math.abs(km - near.km) / near.km).toBeLessThan(0.01);
    expect(p[1].reason).toMatch(new RegExp(`^point on the border of ${border!.codes.join(' / ')}: no unit contains it; nearest unit (${border!.codes.join('|')}) .*, 0\\.0 km$`));
    expect(p[2]).toMatchObject({ column: 'code', reason: 'no unit: give code or lon/lat' });
    expect(p[3]).toMatchObject({ column: 'code', value: 'XX0000', reason: "unknown unit 'XX0000' (not among the stored units)" });
    expect(rejected!.problemCount).toBe(4);
    expect(await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM firm`)).toEqual(before);
  });
});
