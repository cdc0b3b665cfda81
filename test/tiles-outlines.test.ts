// Precomputed outlines (city_outline): complete, valid, lighter with the tolerance, the same bytes on both engines,
// served by GraphQL's boundary(simplify:) for stored tolerances, refreshed for given units, dropped when a boundary
// changes and filled again. Mutations run in transactions that are rolled back (the store is shared by all files).
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { fillMissingOutlines, OUTLINE_TOLERANCES, refreshOutlines, toleranceForZoom } from '../src/db/queries/outlines.js';
import { dbKind, getStore, gql } from './helpers/store.js';

class Rollback extends Error {}
/** Runs `fn` in a transaction that is always rolled back. */
async function rolledBack(db: Db, fn: (tx: Db) => Promise<void>) {
  await expect(db.transaction(async (tx) => { await fn(tx); throw new Rollback(); })).rejects.toBeInstanceOf(Rollback);
}

type Boundary = { type: string; coordinates: number[][][][] };

describe(`precomputed outlines on ${dbKind}`, () => {
  let db: Db;
  let cityCount: number;
  beforeAll(async () => {
    db = (await getStore()).db;
    [{ n: cityCount }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city`);
  });

  it('stores every unit at every tolerance, all valid, fewer vertices as the tolerance grows', async () => {
    const rows = await db.query<{ tolerance: number; n: number; invalid: number; vertices: number; area: number }>(sql`
      SELECT tolerance, count(*)::int AS n, count(*) FILTER (WHERE NOT ST_IsValid(outline))::int AS invalid,
             sum(vertices)::int AS vertices, sum(ST_Area(outline)) AS area
      FROM city_outline GROUP BY tolerance ORDER BY tolerance`);
    expect(rows.map((r) => r.tolerance)).toEqual([...OUTLINE_TOLERANCES]);
    const [{ points, area }] = await db.query<{ points: number; area: number }>(sql`SELECT sum(ST_NPoints(boundary))::int AS points, sum(ST_Area(boundary)) AS area FROM city`);
    expect(rows[0].vertices).toBe(points); // tolerance 0 is the boundary itself
    for (const [i, r] of rows.entries()) {
      expect(r.n).toBe(cityCount);
      expect(r.invalid).toBe(0);
      if (i > 0) expect(r.vertices).toBeLessThan(rows[i - 1].vertices);
      // generalisation moves the area little: within 1% at 0.05 degrees over the whole country
      expect(Math.abs(r.area - area) / area).toBeLessThan(0.01);
    }
    expect(rows.find((r) => r.tolerance === 0.05)!.vertices).toBeLessThan(points / 5);
    // the Mercator copy is the same outline
    const [m] = await db.query<{ off: number }>(sql`
      SELECT max(ST_Distance(ST_Transform(ST_PointOnSurface(outline), 3857), outline_3857)) AS off FROM city_outline WHERE tolerance = 0.01`);
    expect(m.off).toBeLessThan(1e-6);
  });

  it('keeps each simplified vertex on the original outline (within the 5-decimal rounding)', async () => {
    const [r] = await db.query<{ worst: number }>(sql`
      SELECT max(ST_Distance(p.geom, ST_Boundary(c.boundary))) AS worst
      FROM city_outline o JOIN city c ON c.code = o.city_code, ST_DumpPoints(o.outline) p
      WHERE o.tolerance = 0.02 AND o.city_code IN ('320100', '320500', '310000', '330200', '460100')`);
    expect(r.worst).toBeLessThan(1e-5);
  });

  it('is the same on both engines (digest of every stored outline text)', async () => {
    const rows = await db.query<{ code: string; tolerance: number; geojson: string }>(sql`
      SELECT city_code AS code, tolerance, geojson FROM city_outline WHERE tolerance > 0 ORDER BY tolerance, city_code`);
    const digest = createHash('sha256');
    for (const r of rows) digest.update(`${r.code}|${r.tolerance}|${JSON.stringify(JSON.parse(r.geojson))}\n`);
    // Recorded on both engines (PGlite: PostGIS 3.6 / GEOS 3.14; PostgreSQL 15: PostGIS 3.3 / GEOS 3.11), which
    // give different vertices for ST_SimplifyPreserveTopology but the very same in-process outlines.
    expect(digest.digest('hex')).toBe(OUTLINES_DIGEST);
  });

  it('answers GraphQL boundary(simplify:) from the stored outline, and computes other tolerances as before', async () => {
    const q = (t: number) => gql<{ cities: { nodes: { code: string; boundary: Boundary }[] } }>(
      `{ cities(filter: { province: ["江苏省"] }, first: 100) { nodes { code boundary(simplify: ${t}) } } }`);
    const stored = await q(0.01);
    expect(stored.errors).toBeUndefined();
    const nodes = stored.data!.cities.nodes;
    expect(nodes.length).toBe(13);
    const texts = await db.query<{ code: string; geojson: string }>(sql`
      SELECT city_code AS code, geojson FROM city_outline WHERE tolerance = 0.01 AND city_code = ANY(${nodes.map((n) => n.code)}::text[])`);
    const byCode = new Map(texts.map((t) => [t.code, JSON.parse(t.geojson)]));
    for (const n of nodes) expect(n.boundary).toEqual(byCode.get(n.code));
    const other = await q(0.011);
    expect(other.errors).toBeUndefined();
    for (const n of other.data!.cities.nodes) {
      expect(n.boundary.type).toBe('MultiPolygon');
      const v = n.boundary.coordinates.flat(2).length;
      const s = byCode.get(n.code).coordinates.flat(2).length;
      expect(v).toBeGreaterThan(s / 3); // a similar generalisation, computed by ST_SimplifyPreserveTopology
      expect(v).toBeLessThan(s * 3);
    }
  });

  it('refreshes the outlines of given units to the same result and rejects unknown codes', async () => {
    const before = await db.query<{ tolerance: number; geojson: string }>(sql`
      SELECT tolerance, geojson FROM city_outline WHERE city_code = '320500' ORDER BY tolerance`);
    await rolledBack(db, async (tx) => {
      const r = await refreshOutlines(tx, ['320500', '320500']);
      expect(r).toMatchObject({ units: 1, rows: OUTLINE_TOLERANCES.length });
      const after = await tx.query<{ tolerance: number; geojson: string }>(sql`
        SELECT tolerance, geojson FROM city_outline WHERE city_code = '320500' ORDER BY tolerance`);
      expect(after).toEqual(before);
    });
    await expect(refreshOutlines(db, ['320500', 'NOPE1'])).rejects.toThrow(/unknown unit codes NOPE1/);
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city_outline WHERE city_code = '320500'`);
    expect(n).toBe(OUTLINE_TOLERANCES.length); // the failed refresh kept nothing half-done
  });

  it('drops the outlines of a changed boundary; fillMissingOutlines computes them from the new one', async () => {
    await rolledBack(db, async (tx) => {
      await tx.query(sql`UPDATE city SET boundary = ST_Multi(ST_Translate(boundary, 0.5, 0)) WHERE code = '320100'`);
      await tx.query(sql`UPDATE city SET name = name WHERE code = '320200'`); // not the boundary: outlines stay
      const left = await tx.query<{ code: string; n: number }>(sql`
        SELECT city_code AS code, count(*)::int AS n FROM city_outline WHERE city_code IN ('320100', '320200') GROUP BY city_code`);
      expect(left).toEqual([{ code: '320200', n: OUTLINE_TOLERANCES.length }]);
      expect(await fillMissingOutlines(tx)).toBe(1);
      const [moved] = await tx.query<{ dx: number }>(sql`
        SELECT ST_X(ST_Centroid(o.outline)) - ST_X(ST_Centroid(c.boundary)) AS dx
        FROM city_outline o JOIN city c ON c.code = o.city_code WHERE o.city_code = '320100' AND o.tolerance = 0.01`);
      expect(Math.abs(moved.dx)).toBeLessThan(0.01); // follows the moved boundary
      const [{ x }] = await tx.query<{ x: number }>(sql`SELECT ST_X(ST_Centroid(boundary)) AS x FROM city WHERE code = '320100'`);
      expect(x).toBeGreaterThan(119.2); // 南京 moved half a degree east
      expect(await fillMissingOutlines(tx)).toBe(0);
    });
  });

  it('maps zoom levels to tolerances within half a 256-pixel tile pixel', () => {
    expect([0, 3, 4, 5, 6, 7, 8, 9, 10, 14].map(toleranceForZoom)).toEqual([0.05, 0.05, 0.02, 0.02, 0.01, 0.005, 0.001, 0.001, 0, 0]);
    for (let z = 0; z <= 14; z++) expect(toleranceForZoom(z)).toBeLessThanOrEqual(360 / 2 ** (z + 9));
  });
});

const OUTLINES_DIGEST = 'edeb87609c9c5a267c769976825a402048730c98d99d69650f6ada0f11614ef1';
