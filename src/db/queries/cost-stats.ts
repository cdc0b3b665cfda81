// What the store holds, as the cost estimate needs it (src/limits/stats.ts): the longest list each list field can
// return per parent. Read once per data version, in one statement; the version alone is the per-request check.
import type { Db } from '../db.js';
import { sql } from '../sql.js';

export interface StoreStats {
  /** dataset_meta.data_version the numbers were read at (0: never imported) */
  version: number;
  /** cities (areal units) in total */
  cities: number;
  /** most firms of one city */
  firmsPerCity: number;
  /** most city-years of one city */
  yearsPerCity: number;
  /** most contiguity (QUEEN) neighbours of one city; ROOK neighbours are a subset */
  neighboursPerCity: number;
  /** most firm-years of one firm */
  yearsPerFirm: number;
}

export async function storeDataVersion(db: Db): Promise<number> {
  const r = await db.query<{ v: string }>(sql`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`);
  return r.length ? Number(r[0].v) : 0;
}

/** The maxima per parent, each from its table's index on the parent key (a few ms on 10,000 firms). */
export async function readStoreStats(db: Db): Promise<StoreStats> {
  const [r] = await db.query<Record<keyof StoreStats, string | number | null>>(sql`SELECT
    (SELECT coalesce(max(value::bigint), 0) FROM dataset_meta WHERE key = 'data_version') AS version,
    (SELECT count(*) FROM city) AS cities,
    (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM firm GROUP BY city_code) x) AS "firmsPerCity",
    (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM city_year GROUP BY city_code) x) AS "yearsPerCity",
    (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM city_neighbour GROUP BY city_code) x) AS "neighboursPerCity",
    (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM firm_year GROUP BY firm_id) x) AS "yearsPerFirm"`);
  return {
    version: Number(r.version), cities: Number(r.cities), firmsPerCity: Number(r.firmsPerCity), yearsPerCity: Number(r.yearsPerCity),
    neighboursPerCity: Number(r.neighboursPerCity), yearsPerFirm: Number(r.yearsPerFirm),
  };
}
