// Precomputed simplified outlines (table city_outline): each unit's boundary at a few tolerances, in lon/lat with
// its GeoJSON text ready to send (GraphQL `City.boundary(simplify:)`) and in Web Mercator (vector tiles).
//
// Import engines: after changing boundaries, call `refreshOutlines(db, codes)` with the unit codes touched (inside
// the import's transaction is fine: it joins it). Changing a city's boundary deletes its outlines (a trigger), so a
// stale outline is never served; missing ones are computed per request (GraphQL) until refreshed, and the tile
// service and start-up fill them (`fillMissingOutlines`).
import type { Db } from '../db.js';
import { sql } from '../sql.js';
import { GEOMETRY_CHUNK } from './load.js';
import { multiPolygonJson, simplifyMultiPolygon, type MultiPolygonCoords } from '../../tiles/simplify-outline.js';

/** Stored tolerances in degrees; 0 is the boundary itself (kept for the tiles' high zooms and for GraphQL). */
export const OUTLINE_TOLERANCES: readonly number[] = [0, 0.001, 0.005, 0.01, 0.02, 0.05];

export const isStoredTolerance = (t: number) => OUTLINE_TOLERANCES.includes(t);

/**
 * Outline used by tiles at zoom `z`: the largest stored tolerance within half a pixel of a 256-px tile there
 * (z 0-3 → 0.05, 4-5 → 0.02, 6 → 0.01, 7 → 0.005, 8-9 → 0.001, 10+ → the boundary).
 */
export function toleranceForZoom(z: number): number {
  const halfPixel = 360 / 2 ** (z + 9);
  return Math.max(0, ...OUTLINE_TOLERANCES.filter((t) => t <= halfPixel));
}

/** Halvings of the tolerance tried when PostGIS finds a simplified outline invalid; then the boundary itself. */
const MAX_HALVINGS = 6;

export interface OutlineRefresh {
  /** units whose outlines were (re)computed */
  units: number;
  /** rows stored (units × tolerances) */
  rows: number;
  /** unit-tolerance pairs that needed a smaller tolerance (or the boundary) to stay valid */
  retried: number;
}

interface Pending { code: string; tolerance: number; source: MultiPolygonCoords; round: number }

/**
 * (Re)computes the outlines of the given units (all units when `codes` is omitted), in one transaction (joins the
 * caller's). Throws on unknown codes and when the database stores fewer rows than sent (the embedded PostGIS was
 * seen to drop rows of heavy geometry statements), so nothing half-done is kept.
 */
export async function refreshOutlines(db: Db, codes?: readonly string[]): Promise<OutlineRefresh> {
  const wanted = codes ? [...new Set(codes)] : undefined;
  return db.transaction(async (tx) => {
    const filter = wanted ? sql`WHERE code = ANY(${wanted}::text[])` : sql``;
    const sources = await tx.query<{ code: string; geojson: string }>(sql`
      SELECT code, ST_AsGeoJSON(boundary, 15) AS geojson FROM city ${filter} ORDER BY code`);
    if (wanted && sources.length !== wanted.length) {
      const found = new Set(sources.map((s) => s.code));
      throw new Error(`refreshOutlines: unknown unit codes ${wanted.filter((c) => !found.has(c)).slice(0, 10).join(', ')}`);
    }
    await tx.query(sql`DELETE FROM city_outline ${wanted ? sql`WHERE city_code = ANY(${wanted}::text[])` : sql``}`);
    let rows = 0, retried = 0;
    for (let i = 0; i < sources.length; i += GEOMETRY_CHUNK) {
      let pending: Pending[] = sources.slice(i, i + GEOMETRY_CHUNK).flatMap((s) => {
        const source = (JSON.parse(s.geojson) as { coordinates: MultiPolygonCoords }).coordinates;
        return OUTLINE_TOLERANCES.map((tolerance) => ({ code: s.code, tolerance, source, round: 0 }));
      });
      while (pending.length) {
        const invalid = await insertOutlines(tx, pending);
        rows += pending.length - invalid.length;
        retried += invalid.filter((p) => p.round === 0).length;
        pending = invalid.map((p) => ({ ...p, round: p.round + 1 }));
      }
    }
    return { units: sources.length, rows, retried };
  });
}

/**
 * Inserts one batch; returns the pairs PostGIS found invalid (their rows are removed again). Outlines are stored as
 * sent (5 decimals, ~1 m); tolerance 0 and the last resort after MAX_HALVINGS take the stored boundary itself.
 */
async function insertOutlines(db: Db, batch: Pending[]): Promise<Pending[]> {
  const texts = batch.map((p) => p.tolerance === 0 || p.round > MAX_HALVINGS ? null
    : multiPolygonJson(simplifyMultiPolygon(p.source, p.tolerance / 2 ** p.round)));
  const stored = await db.query<{ code: string; tolerance: number; valid: boolean }>(sql`
    INSERT INTO city_outline (city_code, tolerance, outline, outline_3857, geojson, vertices)
    SELECT t.code, t.tolerance, g.outline, ST_Transform(g.outline, 3857), coalesce(t.text, ST_AsGeoJSON(g.outline, 5)), ST_NPoints(g.outline)
    FROM unnest(${batch.map((p) => p.code)}::text[], ${batch.map((p) => p.tolerance)}::float8[], ${texts}::text[]) AS t(code, tolerance, text)
    JOIN city c ON c.code = t.code
    CROSS JOIN LATERAL (SELECT CASE WHEN t.text IS NULL THEN c.boundary
                                    ELSE ST_SetSRID(ST_GeomFromGeoJSON(t.text), 4326)::geometry(MultiPolygon, 4326) END AS outline) g
    RETURNING city_code AS code, tolerance, CASE WHEN tolerance = 0 THEN true ELSE (ST_IsValidDetail(outline)).valid END AS valid`);
  if (stored.length !== batch.length) {
    throw new Error(`refreshOutlines: the database stored ${stored.length} of ${batch.length} outlines (first unit ${batch[0].code}); nothing was kept`);
  }
  const bad = new Set(stored.filter((r) => !r.valid).map((r) => `${r.code}|${r.tolerance}`));
  const invalid = batch.filter((p) => bad.has(`${p.code}|${p.tolerance}`));
  const last = invalid.find((p) => p.round > MAX_HALVINGS);
  if (last) throw new Error(`refreshOutlines: the boundary of ${last.code} is not a valid MultiPolygon`);
  if (invalid.length) {
    const removed = await db.query(sql`
      DELETE FROM city_outline o USING unnest(${invalid.map((p) => p.code)}::text[], ${invalid.map((p) => p.tolerance)}::float8[]) AS t(code, tolerance)
      WHERE o.city_code = t.code AND o.tolerance = t.tolerance RETURNING o.city_code`);
    if (removed.length !== invalid.length) throw new Error(`refreshOutlines: removed ${removed.length} of ${invalid.length} invalid outlines`);
  }
  return invalid;
}

/** Computes the outlines of units that lack some (new units, changed boundaries, stores loaded before the table). */
export async function fillMissingOutlines(db: Db, log?: (m: string) => void): Promise<number> {
  const missing = await db.query<{ code: string }>(sql`
    SELECT c.code FROM city c
    LEFT JOIN (SELECT city_code, count(*) AS n FROM city_outline GROUP BY city_code) o ON o.city_code = c.code
    WHERE coalesce(o.n, 0) < ${OUTLINE_TOLERANCES.length}::int ORDER BY c.code`);
  if (!missing.length) return 0;
  const t0 = Date.now();
  const r = await refreshOutlines(db, missing.map((m) => m.code));
  log?.(`computed outlines of ${r.units} units (${r.rows} rows, ${r.retried} simplified again to stay valid) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r.units;
}

/** Parsed stored outlines per database handle and tolerance, valid for one geometry version. */
const parsed = new WeakMap<Db, Map<number, { version: string; byCode: Map<string, object> }>>();

/**
 * Stored outlines of some units at a stored tolerance as parsed GeoJSON; units without one are absent. One statement:
 * it reads the geometry version and only the outlines this process has not parsed under that version, so a warm
 * query over all units moves a few bytes instead of megabytes of text to parse again.
 */
export async function storedOutlineObjects(db: Db, codes: readonly string[], tolerance: number): Promise<Map<string, object>> {
  let perTolerance = parsed.get(db);
  if (!perTolerance) parsed.set(db, (perTolerance = new Map()));
  const cached = perTolerance.get(tolerance);
  const missing = cached ? codes.filter((c) => !cached.byCode.has(c)) : [...codes];
  const rows = await db.query<{ version: string; code: string | null; geojson: string | null }>(sql`
    SELECT m.value AS version, o.city_code AS code, o.geojson
    FROM dataset_meta m
    LEFT JOIN city_outline o ON o.tolerance = ${tolerance}::float8
     AND o.city_code = ANY(CASE WHEN m.value = ${cached?.version ?? ''} THEN ${missing}::text[] ELSE ${[...codes]}::text[] END)
    WHERE m.key = 'geometry_version'`);
  const version = rows[0]?.version ?? '';
  const entry = cached && cached.version === version ? cached : { version, byCode: new Map<string, object>() };
  perTolerance.set(tolerance, entry);
  for (const r of rows) if (r.code !== null && r.geojson !== null) entry.byCode.set(r.code, JSON.parse(r.geojson));
  const out = new Map<string, object>();
  for (const c of codes) { const g = entry.byCode.get(c); if (g) out.set(c, g); }
  return out;
}

/** dataset_meta's data_version and geometry_version (bumped by triggers), read together. */
export async function mapVersions(db: Db): Promise<{ data: number; geometry: number }> {
  const rows = await db.query<{ key: string; value: string }>(sql`
    SELECT key, value FROM dataset_meta WHERE key IN ('data_version', 'geometry_version')`);
  const get = (k: string) => Number(rows.find((r) => r.key === k)?.value ?? 0);
  return { data: get('data_version'), geometry: get('geometry_version') };
}

// Every stored unit's outline as GeoJSON (for drawing maps in process, e.g. replicate's report; no geometry work in the database).
export interface Outline { code: string; name: string; geojson: string }

/** All units with a boundary, in code order; coordinates to 4 decimals (~10 m). */
export async function cityOutlines(db: Db): Promise<Outline[]> {
  return db.query<Outline>(sql`SELECT code, name, ST_AsGeoJSON(boundary, 4) AS geojson FROM city WHERE boundary IS NOT NULL ORDER BY code`);
}
