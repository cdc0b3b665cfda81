// A digest of what an import may touch, to prove that a rejected / killed / repeated import left the store as it was.
import type { Db } from '../../src/db/db.js';
import { sql } from '../../src/db/sql.js';

export async function storeDigest(db: Db): Promise<Record<string, string | null>> {
  const [r] = await db.query<Record<string, string | null>>(sql`SELECT
    (SELECT md5(string_agg(concat_ws('|', code, name, province, province_code, region, encode(ST_AsBinary(boundary), 'hex'),
            encode(ST_AsBinary(centroid), 'hex'), area_km2::text), ',' ORDER BY code)) FROM city) AS city,
    (SELECT md5(string_agg(concat_ws('|', city_code, neighbour_code, shared_km::text, distance_km::text), ',' ORDER BY city_code, neighbour_code)) FROM city_neighbour) AS neighbours,
    (SELECT md5(string_agg(concat_ws('|', key, value), ',' ORDER BY key)) FROM dataset_meta) AS meta,
    (SELECT count(*)::text FROM city) AS cities`);
  return r;
}
