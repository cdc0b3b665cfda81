// Precomputed simplified outlines (table city_outline): each unit's boundary at a few tolerances, in lon/lat with
// its GeoJSON text ready to send (GraphQL `City.boundary(simplify:)`) and in Web Mercator (vector tiles).
//
// Import engines: after changing boundaries, call `refreshOutlines(db, codes)` with the unit codes touched (inside
// the import's transaction is fine: it joins it). Changing a city's boundary deletes its outlines (a trigger), so a
// stale outline is never served; missing ones are computed per request (GraphQL) until refreshed, and the tile
// service and start-up fill them (`fillMissingOutlines`).
import type { Db } from '../db.js';
import { sql, type SqlFragment } from '../sql.js';
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

/**
 * Stored outlines' GeoJSON texts this process has read, per database handle and tolerance, valid for one geometry
 * version (dataset_meta 'geometry_version', bumped by triggers on any change of units or outlines). GraphQL sends
 * the texts as they are (RawJson), so a warm query over all units reads a few bytes and parses nothing.
 */
interface OutlineCache { version: string; byCode: Map<string, string> }
const cached = new WeakMap<Db, Map<number, OutlineCache>>();

/** This process's outline texts of one stored tolerance (an empty cache of version '' at first). */
export function outlineCache(db: Db, tolerance: number): OutlineCache {
  let perTolerance = cached.get(db);
  if (!perTolerance) cached.set(db, (perTolerance = new Map()));
  let c = perTolerance.get(tolerance);
  if (!c) perTolerance.set(tolerance, (c = { version: '', byCode: new Map() }));
  return c;
}

/**
 * Records texts read under `version`: a newer version empties the cache first, an older one (a statement that ran
 * before a concurrent change) is not kept. Versions are counters, so they compare as numbers.
 */
export function keepOutlines(db: Db, tolerance: number, version: string, texts: Iterable<[string, string]>): void {
  const c = outlineCache(db, tolerance);
  if (c.version !== version) {
    if (c.version !== '' && Number(version) < Number(c.version)) return;
    c.version = version;
    c.byCode = new Map();
  }
  for (const [code, text] of texts) c.byCode.set(code, text);
}

/** The current geometry version, as a SQL expression (an InitPlan: evaluated once per statement). */
export const geometryVersionSql = sql`(SELECT value FROM dataset_meta WHERE key = 'geometry_version')`;

/**
 * One unit's stored outline text (`code`, a column of the enclosing statement) at a stored tolerance, or NULL when
 * this process holds it already (`held`: the codes held under `version` when the statement was built) and the version
 * is still current, or when the unit has no stored outline yet. The caller reads geometryVersionSql in the same
 * statement to tell the two apart.
 */
export function outlineTextSql(code: SqlFragment, tolerance: number, held: { version: string; codes: readonly string[] }): SqlFragment {
  const lookup = sql`(SELECT o.geojson FROM city_outline o WHERE o.city_code = ${code} AND o.tolerance = ${tolerance}::float8)`;
  if (!held.version || !held.codes.length) return lookup;
  return sql`CASE WHEN ${geometryVersionSql} = ${held.version} AND ${code} = ANY(${held.codes}::text[]) THEN NULL ELSE ${lookup} END`;
}

/**
 * Stored outline texts of some units at a stored tolerance; units without one are absent. One statement: it reads
 * the geometry version and only the outlines this process does not hold under that version.
 */
export async function storedOutlineTexts(db: Db, codes: readonly string[], tolerance: number): Promise<Map<string, string>> {
  const cache = outlineCache(db, tolerance);
  const missing = cache.version ? codes.filter((c) => !cache.byCode.has(c)) : [...codes];
  const rows = await db.query<{ version: string; code: string | null; geojson: string | null }>(sql`
    SELECT m.value AS version, o.city_code AS code, o.geojson
    FROM dataset_meta m
    LEFT JOIN city_outline o ON o.tolerance = ${tolerance}::float8
     AND o.city_code = ANY(CASE WHEN m.value = ${cache.version} THEN ${missing}::text[] ELSE ${[...codes]}::text[] END)
    WHERE m.key = 'geometry_version'`);
  const version = rows[0]?.version ?? '';
  const read = rows.filter((r) => r.code !== null && r.geojson !== null).map((r) => [r.code, r.geojson] as [string, string]);
  keepOutlines(db, tolerance, version, read);
  if (version !== cache.version) return new Map(read); // a newer version is held already: answer with what was read
  const out = new Map<string, string>();
  for (const c of codes) { const g = cache.byCode.get(c); if (g !== undefined) out.set(c, g); }
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
