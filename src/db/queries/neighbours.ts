// Contiguity on the stored outlines, computed once per boundary import.
// Adjacent outlines overlap or gap by slivers, so ST_Touches misses real neighbours (南京/扬州 share ~79 km of
// border yet do not "touch"). Rule: two cities are QUEEN neighbours when their outlines come within
// CONTACT_DEG of each other; ROOK neighbours when, in addition, the stretch of boundary lying within that band
// is at least ROOK_MIN_KM long. The length is measured both ways and the larger kept, so the relation is symmetric.
import type { Db } from '../db.js';
import { sql } from '../sql.js';

export const CONTACT_DEG = 0.005; // ~0.5 km: wider than the slivers, far narrower than any city
export const ROOK_MIN_KM = 1;

export async function rebuildNeighbours(db: Db): Promise<number> {
  await db.query(sql`DELETE FROM city_neighbour`);
  await db.query(sql`
    WITH b AS (
      SELECT code, boundary, centroid, ST_Buffer(boundary, ${CONTACT_DEG}::float8, 'quad_segs=2') AS band FROM city
    ),
    pairs AS (
      SELECT a.code AS a, c.code AS c,
        ST_Length(ST_Intersection(ST_Boundary(a.boundary), c.band)::geography) / 1000 AS ab_km,
        ST_Length(ST_Intersection(ST_Boundary(c.boundary), a.band)::geography) / 1000 AS ca_km,
        ST_Distance(a.centroid::geography, c.centroid::geography) / 1000 AS dist_km
      FROM b a JOIN b c ON a.code < c.code AND a.band && c.boundary AND ST_Intersects(a.band, c.boundary)
    )
    INSERT INTO city_neighbour (city_code, neighbour_code, shared_km, distance_km)
    SELECT a, c, GREATEST(ab_km, ca_km), dist_km FROM pairs
    UNION ALL
    SELECT c, a, GREATEST(ab_km, ca_km), dist_km FROM pairs`);
  const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city_neighbour`);
  return n;
}

export type NeighbourType = 'QUEEN' | 'ROOK' | 'KNN' | 'DISTANCE';

export interface NeighbourRecord {
  cityCode: string;
  neighbourCode: string;
  sharedKm: number | null;
  distanceKm: number;
}

/** Neighbours of a batch of cities: contiguity from the precomputed table, KNN / distance bands on centroids (great circle). */
export async function neighboursOf(
  db: Db, codes: readonly string[], type: NeighbourType, opts: { k?: number; km?: number },
): Promise<NeighbourRecord[]> {
  const list = [...codes];
  switch (type) {
    case 'QUEEN':
    case 'ROOK':
      return db.query(sql`
        SELECT city_code AS "cityCode", neighbour_code AS "neighbourCode", shared_km AS "sharedKm", distance_km AS "distanceKm"
        FROM city_neighbour WHERE city_code = ANY(${list}::text[])
        ${type === 'ROOK' ? sql`AND shared_km >= ${ROOK_MIN_KM}::float8` : sql``}
        ORDER BY city_code, neighbour_code`);
    case 'KNN':
      return db.query(sql`
        SELECT c.code AS "cityCode", n.code AS "neighbourCode", NULL::float8 AS "sharedKm", n.d AS "distanceKm"
        FROM city c CROSS JOIN LATERAL (
          SELECT o.code, ST_Distance(c.centroid::geography, o.centroid::geography) / 1000 AS d
          FROM city o WHERE o.code <> c.code ORDER BY d, o.code LIMIT ${opts.k ?? 4}::int
        ) n WHERE c.code = ANY(${list}::text[]) ORDER BY c.code, n.d, n.code`);
    case 'DISTANCE':
      return db.query(sql`
        SELECT c.code AS "cityCode", o.code AS "neighbourCode", NULL::float8 AS "sharedKm",
               ST_Distance(c.centroid::geography, o.centroid::geography) / 1000 AS "distanceKm"
        FROM city c JOIN city o ON o.code <> c.code
          AND ST_DWithin(c.centroid::geography, o.centroid::geography, ${(opts.km ?? 100) * 1000}::float8)
        WHERE c.code = ANY(${list}::text[]) ORDER BY c.code, "distanceKm", o.code`);
  }
}
