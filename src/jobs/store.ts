// Store reads of the analysis API: spatial weights in the model spec's terms (over the shared stored-weights query),
// and stored firm kinds of one city-year with the firms' names.
import type { Db } from '../db/db.js';
import type { NeighbourType } from '../db/queries/neighbours.js';
import { storedWeights as sharedStoredWeights } from '../db/queries/weights.js';
import { sql } from '../db/sql.js';
import type { SpatialWeights } from '../estimation/spatial/index.js';

export interface StoredWeightsOptions {
  type: 'queen' | 'rook' | 'knn' | 'distance';
  k?: number;
  km?: number;
  style?: 'W' | 'B';
}

/**
 * Spatial weights over `codes` (all cities when absent), ids in code order, from the shared stored-weights query
 * (src/db/queries/weights.ts: QUEEN / ROOK from city_neighbour, KNN / DISTANCE among the given cities' interior
 * points). The spec's lower-case type names map onto its NeighbourType; row-standardised unless style says 'B'.
 */
export async function storedWeights(db: Db, o: StoredWeightsOptions, codes?: readonly string[]): Promise<SpatialWeights> {
  return sharedStoredWeights(db, { type: o.type.toUpperCase() as NeighbourType, k: o.k, km: o.km, style: o.style ?? 'W' }, codes);
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
