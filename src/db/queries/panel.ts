// Firms, firm-years and city-years for batches of cities: one statement per batch, whatever its size.
import type { Db } from '../db.js';
import { sql } from '../sql.js';

export type FirmKind = 'fledgling' | 'gazelle' | 'unicorn';

export interface FirmRecord {
  id: number; name: string; cityCode: string; industry: string; techIntensive: boolean; strategicEmerging: boolean;
  founded: string; listed: boolean; listedOn: string | null; stFlag: boolean; financial: boolean;
}

const firmColumns = sql`f.id, f.name, f.city_code AS "cityCode", f.industry, f.tech_intensive AS "techIntensive",
  f.strategic_emerging AS "strategicEmerging", to_char(f.founded, 'YYYY-MM-DD') AS founded, f.listed,
  to_char(f.listed_on, 'YYYY-MM-DD') AS "listedOn", f.st_flag AS "stFlag", f.financial`;

export interface FirmPageArgs { kind?: FirmKind; year?: number; first: number; afterId?: number; ruleVersion: string }

/** For each city, the first `first` firms (by id, after `afterId`) matching kind/year, and the matching total. */
export async function firmsOfCities(db: Db, codes: readonly string[], a: FirmPageArgs): Promise<(FirmRecord & { total: number })[]> {
  // A firm matches when it has a firm-year (in `year` if given) classified as `kind` (if given) under the rule set.
  const match = a.kind
    ? sql`AND EXISTS (SELECT 1 FROM firm_kind k WHERE k.firm_id = f.id AND k.rule_version = ${a.ruleVersion}
        AND k.kind = ${a.kind} ${a.year !== undefined ? sql`AND k.year = ${a.year}::int` : sql``})`
    : a.year !== undefined
      ? sql`AND EXISTS (SELECT 1 FROM firm_year y WHERE y.firm_id = f.id AND y.year = ${a.year}::int)`
      : sql``;
  // `rn` counts matching firms after the cursor, so `first + 1` rows per city tell whether a next page exists.
  // A city whose matches all lie before the cursor returns its last match (id <= afterId) only to carry `total`.
  const after = a.afterId ?? -1;
  return db.query(sql`
    SELECT * FROM (
      SELECT ${firmColumns}, count(*) OVER (PARTITION BY f.city_code)::int AS total,
             count(*) FILTER (WHERE f.id > ${after}::int) OVER (PARTITION BY f.city_code ORDER BY f.id) AS rn,
             f.id = max(f.id) OVER (PARTITION BY f.city_code) AS is_last
      FROM firm f WHERE f.city_code = ANY(${[...codes]}::text[]) ${match}
    ) s WHERE (s.id > ${after}::int AND s.rn <= ${a.first + 1}::int) OR (s.rn = 0 AND s.is_last)
    ORDER BY s."cityCode", s.id`);
}

export async function firmsByIds(db: Db, ids: readonly number[]): Promise<FirmRecord[]> {
  return db.query(sql`SELECT ${firmColumns} FROM firm f WHERE f.id = ANY(${[...ids]}::int[])`);
}

export interface FirmYearRecord {
  firmId: number; year: number; revenue: number; employees: number; assets: number; leverage: number; rnd: number;
  patents: number; valuationUsd: number | null; revenueGrowth: number | null;
  kind: FirmKind | null; reasons: string[] | null; intendedKind: FirmKind | null;
}

/** Yearly figures with the kind each year was classified as under `ruleVersion` (and why). */
export async function firmHistories(db: Db, ids: readonly number[], ruleVersion: string): Promise<FirmYearRecord[]> {
  return db.query(sql`
    SELECT y.firm_id AS "firmId", y.year, y.revenue, y.employees, y.assets, y.leverage, y.rnd, y.patents,
           y.valuation_usd AS "valuationUsd", y.revenue_growth AS "revenueGrowth", k.kind, k.reasons,
           y.intended_kind AS "intendedKind"
    FROM firm_year y
    LEFT JOIN firm_kind k ON k.firm_id = y.firm_id AND k.year = y.year AND k.rule_version = ${ruleVersion}
    WHERE y.firm_id = ANY(${[...ids]}::int[]) ORDER BY y.firm_id, y.year`);
}

export interface CityYearRecord {
  cityCode: string; year: number; population: number | null; urbanShare: number | null; fiscalSpending: number | null;
  fiscalRevenue: number | null; tertiaryShare: number | null; educationShare: number | null; loans: number | null; gdp: number | null;
  /** NULL = missing (imported panels may leave any metric out) */
  nqpIndicators: number[]; dfu: number | null; rid: number | null; pc: number | null;
}

export async function cityYears(db: Db, codes: readonly string[], years: number[] | null): Promise<CityYearRecord[]> {
  return db.query(sql`
    SELECT city_code AS "cityCode", year, population, urban_share AS "urbanShare", fiscal_spending AS "fiscalSpending",
           fiscal_revenue AS "fiscalRevenue", tertiary_share AS "tertiaryShare", education_share AS "educationShare",
           loans, gdp, nqp_indicators AS "nqpIndicators", dfu, rid, pc
    FROM city_year WHERE city_code = ANY(${[...codes]}::text[])
    ${years ? sql`AND year = ANY(${years}::int[])` : sql``}
    ORDER BY city_code, year`);
}
