// Points placed in stored units (firms by coordinates). PostgreSQL: PostGIS ST_Contains over the GiST-indexed
// boundaries, set-based. Embedded: the boundaries are read once and the points located in process (src/geo/locate.ts),
// since the embedded PostGIS was seen to drop rows in heavy geometry statements; updates check their row counts.
// Both give ST_Contains semantics: a point on a boundary is in no unit and becomes a problem row.
import type { Db } from '../db.js';
import { sql, type SqlFragment } from '../sql.js';
import { placementProblem, UnitLocator, type MultiPolygonCoords, type Placement } from '../../geo/locate.js';
import type { RowProblem } from '../../import/types.js';

/** The stored units' boundaries as an in-process locator. */
export async function loadUnitLocator(db: Db): Promise<UnitLocator> {
  const rows = await db.query<{ code: string; name: string | null; geojson: string }>(sql`
    SELECT code, name, ST_AsGeoJSON(boundary, 15) AS geojson FROM city WHERE boundary IS NOT NULL ORDER BY code`);
  return new UnitLocator(rows.map((r) => ({ code: r.code, name: r.name, coordinates: (JSON.parse(r.geojson) as { coordinates: MultiPolygonCoords }).coordinates })));
}

/** Codes of the units whose boundary contains each point, by PostGIS ST_Contains (the reference for the tests). */
export async function containingUnits(db: Db, points: [number, number][]): Promise<string[][]> {
  const rows = await db.query<{ i: number; codes: string[] | null }>(sql`
    SELECT p.i, array_agg(c.code ORDER BY c.code) FILTER (WHERE c.code IS NOT NULL) AS codes
    FROM unnest(${points.map((p) => p[0])}::float8[], ${points.map((p) => p[1])}::float8[]) WITH ORDINALITY AS p(lon, lat, i)
    LEFT JOIN city c ON ST_Contains(c.boundary, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
    GROUP BY p.i ORDER BY p.i`);
  if (rows.length !== points.length) throw new Error(`containingUnits: ${rows.length} rows for ${points.length} points`);
  return rows.map((r) => r.codes ?? []);
}

export interface PointPlacement {
  /** rows given a unit code from their point */
  placed: number;
  /** the first `max` rows no single unit contains, and how many there are */
  problems: RowProblem[];
  problemCount: number;
}

const POINT_BATCH = 50_000;

/**
 * Sets `code` (and `how` = 'point') on the rows of staging table `S` (columns line, code, lon, lat, how) that have a
 * point and no code, to the unit containing the point. Rows no single unit contains keep a NULL code and are
 * returned as problems (column `column`), naming the nearest unit and its distance.
 */
export async function placeStagedPoints(db: Db, S: SqlFragment, max: number, column = 'lon/lat'): Promise<PointPlacement> {
  const problem = (line: number, lon: number, lat: number, reason: string): RowProblem => ({ line, column, value: `${lon} ${lat}`, reason });
  if (db.kind === 'postgres') {
    const [u] = await db.query<{ n: number }>(sql`
      WITH m AS (
        SELECT s.line, min(c.code) AS code FROM ${S} s
        JOIN city c ON ST_Contains(c.boundary, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
        WHERE s.code IS NULL AND s.lon IS NOT NULL GROUP BY s.line HAVING count(*) = 1),
      u AS (UPDATE ${S} s SET code = m.code, how = 'point' FROM m WHERE s.line = m.line RETURNING 1)
      SELECT count(*)::int AS n FROM u`);
    const [t] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${S} WHERE code IS NULL AND lon IS NOT NULL`);
    const rows = !t.n ? [] : await db.query<{ line: number; lon: number; lat: number; inside: string[] | null; edge: string[] | null; code: string | null; name: string | null; km: number | null }>(sql`
      SELECT s.line, s.lon, s.lat,
        (SELECT array_agg(c.code ORDER BY c.code) FROM city c WHERE ST_Contains(c.boundary, q.p)) AS inside,
        (SELECT array_agg(c.code ORDER BY c.code) FROM city c WHERE ST_Touches(c.boundary, q.p)) AS edge,
        n.code, n.name, n.km
      FROM (SELECT * FROM ${S} WHERE code IS NULL AND lon IS NOT NULL ORDER BY line LIMIT ${max}::int) s
      CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) AS p) q
      LEFT JOIN LATERAL (
        SELECT k.code, k.name, ST_Distance(k.boundary::geography, q.p::geography) / 1000 AS km
        FROM (SELECT code, name, boundary FROM city WHERE boundary IS NOT NULL ORDER BY boundary <-> q.p LIMIT 8) k
        ORDER BY 3 LIMIT 1) n ON true
      ORDER BY s.line`);
    const problems = rows.map((r) => {
      const p: Placement = r.inside && r.inside.length > 1 ? { kind: 'several', codes: r.inside } : r.edge?.length ? { kind: 'border', codes: r.edge } : { kind: 'none' };
      return problem(r.line, r.lon, r.lat, placementProblem(p as Exclude<Placement, { kind: 'inside' }>, r.code ? { code: r.code, name: r.name, km: r.km ?? 0 } : null));
    });
    return { placed: u.n, problems, problemCount: t.n };
  }

  const [todo] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${S} WHERE code IS NULL AND lon IS NOT NULL`);
  if (!todo.n) return { placed: 0, problems: [], problemCount: 0 };
  const locator = await loadUnitLocator(db);
  const problems: RowProblem[] = [];
  let placed = 0, problemCount = 0, after = 0;
  for (;;) {
    const batch = await db.query<{ line: number; lon: number; lat: number }>(sql`
      SELECT line, lon, lat FROM ${S} WHERE code IS NULL AND lon IS NOT NULL AND line > ${after}::int ORDER BY line LIMIT ${POINT_BATCH}::int`);
    if (!batch.length) break;
    after = batch[batch.length - 1].line;
    const lines: number[] = [], codes: string[] = [];
    for (const r of batch) {
      const p = locator.locate(r.lon, r.lat);
      if (p.kind === 'inside') { lines.push(r.line); codes.push(p.code); continue; }
      problemCount++;
      if (problems.length < max) problems.push(problem(r.line, r.lon, r.lat, placementProblem(p, locator.nearest(r.lon, r.lat))));
    }
    if (!lines.length) continue;
    const [u] = await db.query<{ n: number }>(sql`
      WITH m AS (SELECT * FROM unnest(${lines}::int[], ${codes}::text[]) AS m(line, code)),
      u AS (UPDATE ${S} s SET code = m.code, how = 'point' FROM m WHERE s.line = m.line RETURNING 1)
      SELECT count(*)::int AS n FROM u`);
    if (u.n !== lines.length) throw new Error(`placing points: ${u.n} rows updated for ${lines.length} located`);
    placed += u.n;
  }
  return { placed, problems, problemCount };
}
