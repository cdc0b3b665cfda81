// Spatial weights of the stored cities, ready for src/estimation/spatial: contiguity from the precomputed
// city_neighbour table (the band rule of ./neighbours.ts), KNN / distance bands on the interior points (great circle
// on the ellipsoid, as neighboursOf). One statement per call; rows in code order; islands listed.
// Also the stored city-year values such weights are applied to (cityYearVariable).
import type { Db } from '../db.js';
import { sql, type SqlFragment } from '../sql.js';
import { EstimationInputError } from '../../estimation/result.js';
import { fromNeighbourLists, type SpatialWeights } from '../../estimation/spatial/index.js';
import { DEFAULT_K, DEFAULT_KM, ROOK_MIN_KM, type NeighbourType } from './neighbours.js';

export { DEFAULT_K, DEFAULT_KM };

export interface StoredWeightsSpec {
  type: NeighbourType;
  /** KNN: neighbours per city (default 4) */
  k?: number;
  /** DISTANCE: band in km between interior points (default 100) */
  km?: number;
  style: 'W' | 'B';
}

/**
 * Weights over the stored cities (all, or `codes`), ids in code order. Neighbours are sought among the chosen cities
 * only, so a subset gets its own KNN sets and may have islands the full set has not. For the full set the neighbour
 * sets equal `neighboursOf` (same tables, same distance, same tie order: distance, then code).
 * Unknown codes throw EstimationInputError naming `codes`.
 */
export async function storedWeights(db: Db, spec: StoredWeightsSpec, codes?: readonly string[]): Promise<SpatialWeights> {
  const { type, style } = spec;
  if (style !== 'W' && style !== 'B') throw new EstimationInputError(`style must be W or B, got ${String(style)}`, 'style');
  const k = spec.k ?? DEFAULT_K, km = spec.km ?? DEFAULT_KM;
  if (type === 'KNN' && (!Number.isInteger(k) || k < 1)) throw new EstimationInputError(`k must be a positive integer, got ${k}`, 'k');
  if (type === 'DISTANCE' && !(Number.isFinite(km) && km > 0)) throw new EstimationInputError(`km must be a positive number, got ${km}`, 'km');
  const list = codes ? [...new Set(codes)] : null;
  const units = list
    ? sql`SELECT code, centroid FROM city WHERE code = ANY(${list}::text[])`
    : sql`SELECT code, centroid FROM city`;
  let q;
  switch (type) {
    case 'QUEEN':
    case 'ROOK':
      q = sql`
        WITH u AS (${units})
        SELECT u.code, COALESCE(array_agg(n.neighbour_code::text ORDER BY n.neighbour_code) FILTER (WHERE n.neighbour_code IS NOT NULL), '{}') AS nb
        FROM u LEFT JOIN city_neighbour n ON n.city_code = u.code AND n.neighbour_code IN (SELECT code FROM u)
          ${type === 'ROOK' ? sql`AND n.shared_km >= ${ROOK_MIN_KM}::float8` : sql``}
        GROUP BY u.code ORDER BY u.code`;
      break;
    case 'KNN':
      q = sql`
        WITH u AS (${units})
        SELECT u.code, COALESCE((
          SELECT array_agg(o.code::text) FROM (
            SELECT v.code FROM u v WHERE v.code <> u.code
            ORDER BY ST_Distance(u.centroid::geography, v.centroid::geography), v.code LIMIT ${k}::int
          ) o), '{}') AS nb
        FROM u ORDER BY u.code`;
      break;
    case 'DISTANCE':
      q = sql`
        WITH u AS (${units})
        SELECT u.code, COALESCE(array_agg(v.code::text ORDER BY v.code) FILTER (WHERE v.code IS NOT NULL), '{}') AS nb
        FROM u LEFT JOIN u v ON v.code <> u.code
          AND ST_DWithin(u.centroid::geography, v.centroid::geography, ${km * 1000}::float8)
        GROUP BY u.code ORDER BY u.code`;
      break;
    default:
      throw new EstimationInputError(`unknown weights type ${String(type)}`, 'type');
  }
  const rows = await db.query<{ code: string; nb: string[] }>(q);
  if (list && rows.length !== list.length) {
    const found = new Set(rows.map((r) => r.code));
    const missing = list.filter((c) => !found.has(c));
    throw new EstimationInputError(`no stored city with code ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5} more)` : ''}`, 'codes');
  }
  if (type === 'KNN' && k >= rows.length) throw new EstimationInputError(`k = ${k} needs more than ${rows.length} cities`, 'k');
  const ids = rows.map((r) => r.code);
  const index = new Map(ids.map((c, i) => [c, i]));
  return fromNeighbourLists(ids, rows.map((r) => r.nb.map((c) => index.get(c)!)), style);
}

/**
 * The same weights without the given units (e.g. islands, or cities lacking a value): links to them are dropped and
 * rows re-standardised from the raw values. Dropping islands of symmetric weights leaves every other row unchanged.
 */
export function withoutUnits(w: SpatialWeights, drop: Iterable<string>): SpatialWeights {
  const gone = new Set(drop);
  if (gone.size === 0) return w;
  const keep = w.ids.map((id, i) => (gone.has(id) ? -1 : i)).filter((i) => i >= 0);
  const to = new Int32Array(w.ids.length).fill(-1);
  keep.forEach((i, r) => { to[i] = r; });
  const nbs: number[][] = [], vals: number[][] = [];
  for (const i of keep) {
    const nb: number[] = [], v: number[] = [];
    const scale = w.style === 'W' && w.rawRowSums ? w.rawRowSums[i] : 1;
    w.neighbours[i].forEach((j, t) => { if (to[j] >= 0) { nb.push(to[j]); v.push(w.weights[i][t] * scale); } });
    nbs.push(nb);
    vals.push(v);
  }
  return fromNeighbourLists(keep.map((i) => w.ids[i]), nbs, w.style, vals);
}

/** The stored city_year columns by their GraphQL names (CityYear); the only SQL they reach is this fixed list. */
export const CITY_YEAR_COLUMNS: Record<string, SqlFragment> = {
  population: sql`population`,
  urbanShare: sql`urban_share`,
  fiscalSpending: sql`fiscal_spending`,
  fiscalRevenue: sql`fiscal_revenue`,
  tertiaryShare: sql`tertiary_share`,
  educationShare: sql`education_share`,
  loans: sql`loans`,
  gdp: sql`gdp`,
  dfu: sql`dfu`,
  rid: sql`rid`,
  pc: sql`pc`,
};

/** One stored city-year column for one year, by city code (empty when the year has no data). */
export async function cityYearVariable(db: Db, variable: string, year: number): Promise<{ code: string; value: number | null }[]> {
  const col = Object.hasOwn(CITY_YEAR_COLUMNS, variable) ? CITY_YEAR_COLUMNS[variable] : undefined;
  if (!col) throw new EstimationInputError(`unknown city-year column ${variable}`, 'variable');
  return db.query(sql`SELECT city_code::text AS code, ${col}::float8 AS value FROM city_year WHERE year = ${year}::int ORDER BY city_code`);
}

/** First and last stored year (null when none): for error messages. */
export async function storedYears(db: Db): Promise<{ min: number | null; max: number | null }> {
  const [r] = await db.query<{ min: number | null; max: number | null }>(sql`SELECT min(year)::int AS min, max(year)::int AS max FROM city_year`);
  return r;
}
