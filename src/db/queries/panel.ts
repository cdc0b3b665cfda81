// Firms, firm-years and city-years for batches of cities: one statement per batch, whatever its size.
import type { Db } from '../db.js';
import { sql, type SqlFragment } from '../sql.js';
import { jsonList, raw, withFields } from './json.js';

export type FirmKind = 'fledgling' | 'gazelle' | 'unicorn';

export interface FirmRecord {
  id: number; name: string; cityCode: string; industry: string; techIntensive: boolean; strategicEmerging: boolean;
  founded: string; listed: boolean; listedOn: string | null; stFlag: boolean; financial: boolean;
}

const firmColumns = sql`f.id, f.name, f.city_code AS "cityCode", f.industry, f.tech_intensive AS "techIntensive",
  f.strategic_emerging AS "strategicEmerging", to_char(f.founded, 'YYYY-MM-DD') AS founded, f.listed,
  to_char(f.listed_on, 'YYYY-MM-DD') AS "listedOn", f.st_flag AS "stFlag", f.financial`;

export interface FirmPageArgs { kind?: FirmKind; year?: number; first: number; afterId?: number; ruleVersion: string }

/** One city's page of firms: the matching total (null when not counted) and the first `first + 1` matches after the
 *  cursor (one more than the page tells whether a next page exists). */
export interface FirmPage<F = FirmRecord> { total: number | null; rows: F[] }

/** Firm fields as SQL over a firm row aliased `a` (constants of this file; never built from input). */
const FIRM_SQL: Record<string, (a: string) => string> = {
  id: (a) => `${a}.id`, name: (a) => `${a}.name`, cityCode: (a) => `${a}.city_code`, industry: (a) => `${a}.industry`,
  techIntensive: (a) => `${a}.tech_intensive`, strategicEmerging: (a) => `${a}.strategic_emerging`,
  founded: (a) => `to_char(${a}.founded, 'YYYY-MM-DD')`, listed: (a) => `${a}.listed`,
  listedOn: (a) => `to_char(${a}.listed_on, 'YYYY-MM-DD')`, stFlag: (a) => `${a}.st_flag`, financial: (a) => `${a}.financial`,
};
export const FIRM_FIELDS: readonly string[] = Object.keys(FIRM_SQL);

/**
 * Firm pages of cities as one JSON value per city, `codeExpr` being the city's code in the enclosing statement and
 * `d` the nesting depth (table aliases are numbered by it, so nested subqueries never shadow their parent's).
 * `fields` picks the firm fields (null = all; `id` and `cityCode` always come); `count` counts the matches (else
 * `total` is null); `history` adds each firm's yearly figures under `_history` (as firmHistoryJson). A firm matches
 * when it has a firm-year (in `year` if given) classified as `kind` (if given) under the rule set.
 */
export function firmPageJson(codeExpr: SqlFragment, a: FirmPageArgs, fields: readonly string[] | null, count: boolean, history: boolean, d: number): SqlFragment {
  const f = `f${d}`, k = `k${d}`, y = `y${d}`;
  const match = a.kind
    ? sql`AND EXISTS (SELECT 1 FROM firm_kind ${raw(k)} WHERE ${raw(k)}.firm_id = ${raw(f)}.id AND ${raw(k)}.rule_version = ${a.ruleVersion}
        AND ${raw(k)}.kind = ${a.kind} ${a.year !== undefined ? sql`AND ${raw(k)}.year = ${a.year}::int` : sql``})`
    : a.year !== undefined
      ? sql`AND EXISTS (SELECT 1 FROM firm_year ${raw(y)} WHERE ${raw(y)}.firm_id = ${raw(f)}.id AND ${raw(y)}.year = ${a.year}::int)`
      : sql``;
  const names = withFields(fields ?? FIRM_FIELDS, ['id', 'cityCode'], FIRM_SQL);
  const cols = [...names.map((n) => [n, FIRM_SQL[n](f)] as const),
    ...(history ? [['_history', firmHistoryJson(sql`${raw(f)}.id`, a.ruleVersion, d + 1)] as const] : [])];
  return sql`json_build_object(
    'total', ${count ? sql`(SELECT count(*) FROM firm ${raw(f)} WHERE ${raw(f)}.city_code = ${codeExpr} ${match})` : sql`NULL`},
    'rows', ${jsonList(d, cols, sql`FROM firm ${raw(f)} WHERE ${raw(f)}.city_code = ${codeExpr} ${match} AND ${raw(f)}.id > ${a.afterId ?? -1}::int
      ORDER BY ${raw(f)}.id LIMIT ${a.first + 1}::int`, ['id'])})`;
}

/** Firm pages of a batch of cities in one statement (the loaders' path; the planner embeds firmPageJson). */
export async function firmPagesOf(db: Db, codes: readonly string[], a: FirmPageArgs, fields: readonly string[] | null, count: boolean): Promise<Map<string, FirmPage>> {
  const rows = await db.query<{ code: string; v: FirmPage }>(sql`
    SELECT u.code, ${firmPageJson(sql`u.code`, a, fields, count, false, 1)} AS v FROM unnest(${[...codes]}::text[]) AS u(code)`);
  return new Map(rows.map((r) => [r.code, r.v]));
}

export async function firmsByIds(db: Db, ids: readonly number[]): Promise<FirmRecord[]> {
  return db.query(sql`SELECT ${firmColumns} FROM firm f WHERE f.id = ANY(${[...ids]}::int[])`);
}

export interface FirmYearRecord {
  firmId: number; year: number; revenue: number; employees: number; assets: number; leverage: number; rnd: number;
  patents: number; valuationUsd: number | null; revenueGrowth: number | null;
  kind: FirmKind | null; reasons: string[] | null; intendedKind: FirmKind | null;
}

/** Yearly figures of one firm (`idExpr`) as a JSON array by year, with the kind each year was classified as under
 *  `ruleVersion` (and why). */
export function firmHistoryJson(idExpr: SqlFragment, ruleVersion: string, d: number): SqlFragment {
  const y = `y${d}`, k = `k${d}`;
  return jsonList(d, [
    ['firmId', `${y}.firm_id`], ['year', `${y}.year`], ['revenue', `${y}.revenue`], ['employees', `${y}.employees`],
    ['assets', `${y}.assets`], ['leverage', `${y}.leverage`], ['rnd', `${y}.rnd`], ['patents', `${y}.patents`],
    ['valuationUsd', `${y}.valuation_usd`], ['revenueGrowth', `${y}.revenue_growth`], ['kind', `${k}.kind`],
    ['reasons', `${k}.reasons`], ['intendedKind', `${y}.intended_kind`]],
  sql`FROM firm_year ${raw(y)} LEFT JOIN firm_kind ${raw(k)} ON ${raw(k)}.firm_id = ${raw(y)}.firm_id AND ${raw(k)}.year = ${raw(y)}.year
      AND ${raw(k)}.rule_version = ${ruleVersion}
    WHERE ${raw(y)}.firm_id = ${idExpr}`, ['year']);
}

export async function firmHistoriesOf(db: Db, ids: readonly number[], ruleVersion: string): Promise<Map<number, FirmYearRecord[]>> {
  const rows = await db.query<{ id: number; v: FirmYearRecord[] }>(sql`
    SELECT u.id, ${firmHistoryJson(sql`u.id`, ruleVersion, 1)} AS v FROM unnest(${[...ids]}::int[]) AS u(id)`);
  return new Map(rows.map((r) => [r.id, r.v]));
}

export interface CityYearRecord {
  cityCode: string; year: number; population: number | null; urbanShare: number | null; fiscalSpending: number | null;
  fiscalRevenue: number | null; tertiaryShare: number | null; educationShare: number | null; loans: number | null; gdp: number | null;
  /** NULL = missing (imported panels may leave any metric out) */
  nqpIndicators: number[]; dfu: number | null; rid: number | null; pc: number | null;
}

/** CityYear fields → city_year columns. */
const CITY_YEAR_COLUMNS: Record<string, string> = {
  cityCode: 'city_code', year: 'year', population: 'population', urbanShare: 'urban_share', fiscalSpending: 'fiscal_spending',
  fiscalRevenue: 'fiscal_revenue', tertiaryShare: 'tertiary_share', educationShare: 'education_share', loans: 'loans', gdp: 'gdp',
  nqpIndicators: 'nqp_indicators', dfu: 'dfu', rid: 'rid', pc: 'pc',
};
export const CITY_YEAR_FIELDS: readonly string[] = Object.keys(CITY_YEAR_COLUMNS);

/**
 * One city's years (`codeExpr`), ordered by year, as a JSON array of objects with the given CityYear fields (null =
 * all; `year` always comes). Only the asked-for columns travel: the 28 indicators of every row are most of a row.
 */
export function cityYearsJson(codeExpr: SqlFragment, years: readonly number[] | null, fields: readonly string[] | null, d: number): SqlFragment {
  const y = `y${d}`;
  const names = withFields(fields ?? CITY_YEAR_FIELDS, ['year'], CITY_YEAR_COLUMNS);
  return jsonList(d, names.map((n) => [n, `${y}.${CITY_YEAR_COLUMNS[n]}`]), sql`FROM city_year ${raw(y)}
    WHERE ${raw(y)}.city_code = ${codeExpr} ${years ? sql`AND ${raw(y)}.year = ANY(${[...years]}::int[])` : sql``}`, ['year']);
}

/** Years of a batch of cities in one statement (the loaders' path; the planner embeds cityYearsJson). */
export async function cityYearsOf(db: Db, codes: readonly string[], years: readonly number[] | null, fields: readonly string[] | null): Promise<Map<string, CityYearRecord[]>> {
  const rows = await db.query<{ code: string; v: CityYearRecord[] }>(sql`
    SELECT u.code, ${cityYearsJson(sql`u.code`, years, fields, 1)} AS v FROM unnest(${[...codes]}::text[]) AS u(code)`);
  return new Map(rows.map((r) => [r.code, r.v]));
}
