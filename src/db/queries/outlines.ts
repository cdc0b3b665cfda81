// Every stored unit's outline as GeoJSON (for drawing maps in process; no geometry work in the database).
import type { Db } from '../db.js';
import { sql } from '../sql.js';

export interface Outline { code: string; name: string; geojson: string }

/** All units with a boundary, in code order; coordinates to 4 decimals (~10 m). */
export async function cityOutlines(db: Db): Promise<Outline[]> {
  return db.query<Outline>(sql`SELECT code, name, ST_AsGeoJSON(boundary, 4) AS geojson FROM city WHERE boundary IS NOT NULL ORDER BY code`);
}
