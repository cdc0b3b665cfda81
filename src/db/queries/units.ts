// The stored units as the unit matcher needs them (code, name, parent).
import type { Db } from '../db.js';
import { sql } from '../sql.js';
import type { UnitRecord } from '../../units/match.js';

export async function storedUnits(db: Db): Promise<UnitRecord[]> {
  return db.query<UnitRecord>(sql`SELECT code, name, province, province_code AS "provinceCode" FROM city ORDER BY code`);
}
