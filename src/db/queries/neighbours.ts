// Contiguity on the stored outlines, computed once per boundary import.
// Adjacent outlines overlap or gap by slivers, so ST_Touches misses real neighbours (南京/扬州 share ~79 km of
// border yet do not "touch"). Rule: two cities are QUEEN neighbours when their outlines come within
// CONTACT_DEG of each other; ROOK neighbours when, in addition, the stretch of boundary lying within that band
// is at least ROOK_MIN_KM long. The length is measured both ways and the larger kept, so the relation is symmetric.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db.js';
import { sql, type SqlFragment } from '../sql.js';
import { jsonList, raw, type JsonColumn } from './json.js';
import { GEOMETRY_CHUNK } from './load.js';

export const CONTACT_DEG = 0.005; // ~0.5 km: wider than the slivers, far narrower than any city
export const ROOK_MIN_KM = 1;
/** Defaults of the KNN and DISTANCE neighbour types. */
export const DEFAULT_K = 4;
export const DEFAULT_KM = 100;

export const NEIGHBOURS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../data/city-neighbours.json');

/** [cityA, cityB, sharedKm, distanceKm] with cityA < cityB */
export type NeighbourPair = [string, string, number, number];

export async function readNeighbourFile(file = NEIGHBOURS_FILE): Promise<NeighbourPair[]> {
  return (JSON.parse(await readFile(file, 'utf8')) as { pairs: NeighbourPair[] }).pairs;
}

/** Stores precomputed pairs in both directions (the relation is symmetric by construction). */
export async function insertNeighbourPairs(db: Db, pairs: NeighbourPair[]): Promise<number> {
  const a = pairs.map((p) => p[0]), c = pairs.map((p) => p[1]), km = pairs.map((p) => p[2]), d = pairs.map((p) => p[3]);
  await db.query(sql`DELETE FROM city_neighbour`);
  const rows = await db.query(sql`
    INSERT INTO city_neighbour (city_code, neighbour_code, shared_km, distance_km)
    SELECT a, c, km, d FROM unnest(${a}::text[], ${c}::text[], ${km}::float8[], ${d}::float8[]) AS t(a, c, km, d)
    UNION ALL
    SELECT c, a, km, d FROM unnest(${a}::text[], ${c}::text[], ${km}::float8[], ${d}::float8[]) AS t(a, c, km, d)
    RETURNING 1`);
  if (rows.length !== 2 * pairs.length) throw new Error(`neighbour import stored ${rows.length} of ${2 * pairs.length} rows`);
  return rows.length;
}

/** Recomputes contiguity from the stored outlines (on PostgreSQL + PostGIS; see scripts/build-neighbours.ts). */
export async function rebuildNeighbours(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(sql`DELETE FROM city_neighbour`);
    await tx.query(sql`DROP TABLE IF EXISTS pg_temp.city_band`);
    await tx.query(sql`CREATE TEMP TABLE city_band (code char(6) PRIMARY KEY, band geometry NOT NULL)`);
    const codes = (await tx.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code`)).map((r) => r.code);
    // Chunked: the embedded engine has been seen to drop large PostGIS statements silently, so each is checked.
    for (let i = 0; i < codes.length; i += GEOMETRY_CHUNK) {
      const part = codes.slice(i, i + GEOMETRY_CHUNK);
      const made = await tx.query(sql`
        INSERT INTO city_band SELECT code, ST_Buffer(boundary, ${CONTACT_DEG}::float8, 'quad_segs=2') FROM city
        WHERE code = ANY(${part}::text[]) RETURNING code`);
      if (made.length !== part.length) throw new Error(`neighbour bands: ${made.length} of ${part.length} computed`);
    }
    await tx.query(sql`CREATE INDEX ON city_band USING gist (band)`);
    await tx.query(sql`DROP TABLE IF EXISTS pg_temp.city_contact`);
    await tx.query(sql`CREATE TEMP TABLE city_contact (a char(6), c char(6), km float8, PRIMARY KEY (a, c))`);
    for (let i = 0; i < codes.length; i += GEOMETRY_CHUNK) {
      const part = codes.slice(i, i + GEOMETRY_CHUNK);
      // km: length of a's border lying within c's band
      await tx.query(sql`
        INSERT INTO city_contact
        SELECT a.code, b.code, ST_Length(ST_Intersection(ST_Boundary(a.boundary), b.band)::geography) / 1000
        FROM city a JOIN city_band b ON a.code <> b.code AND a.boundary && b.band AND ST_Intersects(a.boundary, b.band)
        WHERE a.code = ANY(${part}::text[])`);
    }
    // Symmetric by construction: a pair found in either direction counts both ways, with the longer measurement.
    await tx.query(sql`
      WITH p AS (
        SELECT LEAST(a, c) AS a, GREATEST(a, c) AS c, max(km) AS km FROM city_contact GROUP BY 1, 2
      ), d AS (
        SELECT p.a, p.c, p.km, ST_Distance(x.centroid::geography, y.centroid::geography) / 1000 AS dist
        FROM p JOIN city x ON x.code = p.a JOIN city y ON y.code = p.c
      )
      INSERT INTO city_neighbour (city_code, neighbour_code, shared_km, distance_km)
      SELECT a, c, km, dist FROM d UNION ALL SELECT c, a, km, dist FROM d`);
    await tx.query(sql`DROP TABLE city_band`);
    await tx.query(sql`DROP TABLE city_contact`);
    const [{ n }] = await tx.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city_neighbour`);
    return n;
  });
}

export type NeighbourType = 'QUEEN' | 'ROOK' | 'KNN' | 'DISTANCE';

export interface NeighbourRecord {
  cityCode: string;
  neighbourCode: string;
  sharedKm: number | null;
  distanceKm: number;
}

/**
 * One city's neighbours (`code`, a column of the enclosing statement) as a JSON array of {neighbourCode, sharedKm,
 * distanceKm} in the order of each type (contiguity: by code; KNN and DISTANCE: by distance, then code):
 * contiguity from the precomputed table, KNN / distance bands on centroids (great circle). `city` adds each
 * neighbour's city under `city`: `city.json(alias, d)` builds its JSON (e.g. cities.ts cityObject) from the city
 * table joined as `alias`, or from an alias whose only column is `code` when `city.row` is false (no join), with
 * table aliases numbered from depth `d + 1`.
 */
export function neighboursJson(code: SqlFragment, type: NeighbourType, opts: { k?: number; km?: number }, d: number,
  city?: { row: boolean; json: (alias: string, d: number) => SqlFragment }): SqlFragment {
  const n = `n${d}`, c = `c${d}`, o = `o${d}`, nc = `nc${d}`;
  const cols = (codeSql: string, shared: string, dist: string): JsonColumn[] => [
    ['neighbourCode', codeSql], ['sharedKm', shared], ['distanceKm', dist], ...(city ? [['city', city.json(nc, d + 1)] as const] : [])];
  const join = (codeSql: string) => (!city ? sql``
    : city.row ? sql`LEFT JOIN city ${raw(nc)} ON ${raw(nc)}.code = ${raw(codeSql)}`
      : sql`CROSS JOIN LATERAL (SELECT ${raw(codeSql)} AS code) ${raw(nc)}`);
  switch (type) {
    case 'QUEEN':
    case 'ROOK':
      return jsonList(d, cols(`${n}.neighbour_code`, `${n}.shared_km`, `${n}.distance_km`), sql`
        FROM city_neighbour ${raw(n)} ${join(`${n}.neighbour_code`)} WHERE ${raw(n)}.city_code = ${code}
        ${type === 'ROOK' ? sql`AND ${raw(n)}.shared_km >= ${ROOK_MIN_KM}::float8` : sql``}`, ['neighbourCode']);
    case 'KNN':
      return jsonList(d, cols(`${n}.code`, 'NULL::float8', `${n}.d`), sql`
        FROM city ${raw(c)} CROSS JOIN LATERAL (
          SELECT ${raw(o)}.code, ST_Distance(${raw(c)}.centroid::geography, ${raw(o)}.centroid::geography) / 1000 AS d
          FROM city ${raw(o)} WHERE ${raw(o)}.code <> ${raw(c)}.code ORDER BY d, ${raw(o)}.code LIMIT ${opts.k ?? DEFAULT_K}::int
        ) ${raw(n)} ${join(`${n}.code`)} WHERE ${raw(c)}.code = ${code}`, ['distanceKm', 'neighbourCode']);
    case 'DISTANCE':
      return jsonList(d, cols(`${n}.code`, 'NULL::float8', `${n}.d`), sql`
        FROM city ${raw(c)} CROSS JOIN LATERAL (
          SELECT ${raw(o)}.code, ST_Distance(${raw(c)}.centroid::geography, ${raw(o)}.centroid::geography) / 1000 AS d
          FROM city ${raw(o)} WHERE ${raw(o)}.code <> ${raw(c)}.code
            AND ST_DWithin(${raw(c)}.centroid::geography, ${raw(o)}.centroid::geography, ${(opts.km ?? DEFAULT_KM) * 1000}::float8)
        ) ${raw(n)} ${join(`${n}.code`)} WHERE ${raw(c)}.code = ${code}`, ['distanceKm', 'neighbourCode']);
  }
}

/** Neighbours of a batch of cities in one statement (the loaders' path; the planner embeds neighboursJson). */
export async function neighboursByCity(db: Db, codes: readonly string[], type: NeighbourType, opts: { k?: number; km?: number }): Promise<Map<string, Omit<NeighbourRecord, 'cityCode'>[]>> {
  const rows = await db.query<{ code: string; v: Omit<NeighbourRecord, 'cityCode'>[] }>(sql`
    SELECT u.code, ${neighboursJson(sql`u.code`, type, opts, 1)} AS v FROM unnest(${[...codes]}::text[]) AS u(code)`);
  return new Map(rows.map((r) => [r.code, r.v]));
}

/** Neighbours of a batch of cities as rows, by city code then in each type's order (the same statement as the resolvers'). */
export async function neighboursOf(
  db: Db, codes: readonly string[], type: NeighbourType, opts: { k?: number; km?: number },
): Promise<NeighbourRecord[]> {
  const byCity = await neighboursByCity(db, codes, type, opts);
  return [...new Set(codes)].sort().flatMap((c) => (byCity.get(c) ?? []).map((r) => ({ cityCode: c, ...r })));
}
