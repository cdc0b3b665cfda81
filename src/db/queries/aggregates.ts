// Aggregates by group in one statement each: city statistics of variables in a year (by province / region / all) and
// firm counts (by province / city / industry) in a year, optionally of one kind.
import type { Db } from '../db.js';
import { join, sql, type SqlFragment } from '../sql.js';
import type { FirmKind } from './panel.js';
import { sqlText } from './keyset.js';

const text = sqlText;

export type CityGroup = 'province' | 'region' | 'all';
const CITY_GROUP: Record<CityGroup, string> = { province: 'c.province', region: 'c.region::text', all: `'all'` };

export interface StatsRow { group: string | null; n: number; stats: { n: number; mean: number | null; sd: number | null; min: number | null; max: number | null; sum: number | null }[] }

/** Per group: the number of units and, per relation (code, value), count / mean / sample sd / min / max / sum. */
export async function cityStats(db: Db, group: CityGroup, relations: readonly SqlFragment[]): Promise<StatsRow[]> {
  const v = (i: number) => text(`v${i}`);
  const ctes = relations.map((r, i) => sql`${v(i)} AS (${r})`);
  const cols = relations.map((_, i) => sql`, json_build_array(count(${v(i)}.value), avg(${v(i)}.value), stddev_samp(${v(i)}.value), min(${v(i)}.value), max(${v(i)}.value), sum(${v(i)}.value)) AS ${text(`a${i}`)}`);
  const rows = await db.query<Record<string, unknown> & { grp: string | null; n: number }>(sql`
    ${ctes.length ? sql`WITH ${join(ctes, sql`, `)}` : sql``}
    SELECT ${text(CITY_GROUP[group])} AS grp, count(*)::int AS n ${join(cols, sql``)}
    FROM city c ${join(relations.map((_, i) => sql`LEFT JOIN ${v(i)} ON ${v(i)}.code = c.code::text`), sql` `)}
    GROUP BY 1 ORDER BY 1 NULLS LAST`);
  return rows.map((r) => ({
    group: r.grp,
    n: r.n,
    stats: relations.map((_, i) => {
      const [n, mean, sd, min, max, sum] = r[`a${i}`] as (number | null)[];
      return { n: Number(n), mean, sd, min, max, sum };
    }),
  }));
}

export type FirmGroup = 'province' | 'city' | 'industry';
const FIRM_GROUP: Record<FirmGroup, string> = { province: 'c.province', city: 'f.city_code::text', industry: 'f.industry' };

/** Firms with figures in `year` (classified as `kind` that year when given), counted per group. */
export async function firmCounts(db: Db, group: FirmGroup, year: number, kind: FirmKind | undefined, ruleVersion: string): Promise<{ group: string | null; count: number }[]> {
  return db.query(sql`
    SELECT ${text(FIRM_GROUP[group])} AS "group", count(*)::int AS count
    FROM firm f JOIN city c ON c.code = f.city_code JOIN firm_year y ON y.firm_id = f.id AND y.year = ${year}::int
    ${kind ? sql`JOIN firm_kind k ON k.firm_id = f.id AND k.year = y.year AND k.rule_version = ${ruleVersion} AND k.kind = ${kind}` : sql``}
    GROUP BY 1 ORDER BY 1 NULLS LAST`);
}
