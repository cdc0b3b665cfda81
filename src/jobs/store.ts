// Store reads of the analysis API that no shared query module offers: spatial weights from the stored contiguity
// (or city centroids for KNN / distance bands), and stored firm kinds of one city-year with the firms' names.
import type { Db } from '../db/db.js';
import { ROOK_MIN_KM } from '../db/queries/neighbours.js';
import { sql } from '../db/sql.js';
import { EstimationInputError } from '../estimation/result.js';
import { fromNeighbourLists, pointWeights, type SpatialWeights } from '../estimation/spatial/index.js';

export interface StoredWeightsOptions {
  type: 'queen' | 'rook' | 'knn' | 'distance';
  k?: number;
  km?: number;
  style?: 'W' | 'B';
}

/**
 * Spatial weights over `codes` (ids in that order; all cities when absent). Contiguity comes from city_neighbour
 * (QUEEN: every stored pair, ROOK: shared border >= 1 km); KNN and distance bands use the stored interior points
 * (great circle), among the given cities only so that every unit keeps k neighbours.
 */
export async function storedWeights(db: Db, o: StoredWeightsOptions, codes?: readonly string[]): Promise<SpatialWeights> {
  const cities = await db.query<{ code: string; lon: number; lat: number }>(sql`
    SELECT code, ST_X(centroid) AS lon, ST_Y(centroid) AS lat FROM city
    ${codes ? sql`WHERE code = ANY(${[...codes]}::text[])` : sql``} ORDER BY code`);
  const found = new Map(cities.map((c) => [c.code.trim(), c]));
  const ids = codes ? [...codes] : cities.map((c) => c.code.trim());
  const unknown = ids.filter((c) => !found.has(c));
  if (unknown.length) throw new EstimationInputError(`weights: no stored city with code ${unknown.slice(0, 5).join(', ')}`, 'weights');
  const style = o.style ?? 'W';
  if (o.type === 'knn' || o.type === 'distance') {
    return pointWeights(ids, ids.map((c) => [found.get(c)!.lon, found.get(c)!.lat]), { type: o.type, k: o.k, km: o.km, style, longlat: true });
  }
  const pairs = await db.query<{ a: string; b: string }>(sql`
    SELECT city_code AS a, neighbour_code AS b FROM city_neighbour
    WHERE city_code = ANY(${ids}::text[]) AND neighbour_code = ANY(${ids}::text[])
    ${o.type === 'rook' ? sql`AND shared_km >= ${ROOK_MIN_KM}::float8` : sql``}`);
  const index = new Map(ids.map((c, i) => [c, i]));
  const nbs: number[][] = ids.map(() => []);
  for (const p of pairs) nbs[index.get(p.a.trim())!].push(index.get(p.b.trim())!);
  return fromNeighbourLists(ids, nbs, style);
}

export interface CityFirmKindRow {
  firmId: number;
  name: string;
  year: number;
  kind: string;
  qualified: string[];
  reasons: string[];
  ruleVersion: string;
}

/** Stored classifications of the firms of a city in a year under a rule version (classified firm-years only). */
export async function cityFirmKinds(db: Db, ruleVersion: string, cityCode: string, year: number): Promise<CityFirmKindRow[]> {
  return db.query(sql`
    SELECT k.firm_id AS "firmId", f.name, k.year, k.kind, k.qualified, k.reasons, k.rule_version AS "ruleVersion"
    FROM firm_kind k JOIN firm f ON f.id = k.firm_id
    WHERE k.rule_version = ${ruleVersion} AND k.year = ${year}::int AND f.city_code = ${cityCode}
    ORDER BY k.firm_id`);
}
