// SQL of the domain layer: firm-year facts for classification, the firm_kind table, the data version, city-year
// counts of the three kinds (one statement), the agglomeration cache, and the raw rows behind the panels.
import type { Db } from '../db.js';
import { csvField } from '../copy-csv.js';
import { sql, type SqlFragment } from '../sql.js';

const CHUNK = 20_000;

export interface FirmYearFactsRow {
  firmId: number; year: number; founded: string; listedOn: string | null; strategicEmerging: boolean; techIntensive: boolean;
  stFlag: boolean; financial: boolean; revenue: number; employees: number; assets: number; leverage: number; rnd: number; patents: number;
  valuationUsd: number | null; revenueGrowth: number | null; intendedKind: string | null;
}

/** The facts of a firm-year y with its firm f, as FirmYearFactsRow; `intended`: where the intended kind is read. */
const factsColumns = (intended: string) => sql([`
    y.firm_id AS "firmId", y.year, to_char(f.founded, 'YYYY-MM-DD') AS founded, to_char(f.listed_on, 'YYYY-MM-DD') AS "listedOn",
    f.strategic_emerging AS "strategicEmerging", f.tech_intensive AS "techIntensive", f.st_flag AS "stFlag", f.financial, y.revenue, y.employees, y.assets,
    y.leverage, y.rnd, y.patents, y.valuation_usd AS "valuationUsd", y.revenue_growth AS "revenueGrowth", ${intended} AS "intendedKind"`]);

/** Every firm-year with its firm's attributes (optionally of some firms / one year / the firms of a query of firm ids /
 *  meeting a condition on y and f), ordered by firm and year. */
export async function firmYearFacts(db: Db, f: { firmIds?: readonly number[]; year?: number; firmsIn?: SqlFragment; where?: SqlFragment } = {}): Promise<FirmYearFactsRow[]> {
  return db.query(sql`
    SELECT ${factsColumns('y.intended_kind')}
    FROM firm_year y JOIN firm f ON f.id = y.firm_id
    WHERE TRUE ${f.firmIds ? sql`AND y.firm_id = ANY(${[...f.firmIds]}::int[])` : sql``}
          ${f.year !== undefined ? sql`AND y.year = ${f.year}::int` : sql``}
          ${f.firmsIn ? sql`AND y.firm_id IN (${f.firmsIn})` : sql``}
          ${f.where ? sql`AND ${f.where}` : sql``}
    ORDER BY y.firm_id, y.year`);
}

/** `values` of the stored row o against the staged row s, true when they differ (or no row is stored). */
export function stagedRowDiffers(values: readonly string[], o = 'o', s = 'y'): SqlFragment {
  const cols = (p: string) => values.map((v) => `${p}.${v}`).join(', ');
  return sql([`(${o}.firm_id IS NULL OR (${cols(o)}) IS DISTINCT FROM (${cols(s)}))`]);
}

/** The firm-years of a stage (firm_year's columns, before they are written) that are new or differ from the stored
 *  row in `values`, as facts (the intended kind is the stored one: imports do not write it), meeting `where` on y
 *  (the staged row) and f. `allNew`: no staged row is stored (the caller counted), so no stored row is looked up.
 *  Not ordered. */
export async function stagedFirmYearFacts(db: Db, stage: SqlFragment, values: readonly string[], where?: SqlFragment, allNew = false): Promise<FirmYearFactsRow[]> {
  const and = where ? sql`AND ${where}` : sql``;
  if (allNew) {
    return db.query(sql`SELECT ${factsColumns('NULL::text')} FROM ${stage} y JOIN firm f ON f.id = y.firm_id WHERE TRUE ${and}`);
  }
  return db.query(sql`
    SELECT ${factsColumns('o.intended_kind')}
    FROM ${stage} y JOIN firm f ON f.id = y.firm_id LEFT JOIN firm_year o ON o.firm_id = y.firm_id AND o.year = y.year
    WHERE ${stagedRowDiffers(values)} ${and}`);
}

export interface FirmKindRow { firmId: number; year: number; kind: string; qualified: string[]; reasons: string[] }


/** Stores classifications of one rule version (rows not yet stored; call inside a transaction): through COPY where the
 *  store has it (no array parameters to build and unpack, no per-row JSON cast in SQL). */
export async function insertFirmKinds(db: Db, ruleVersion: string, rows: readonly FirmKindRow[]): Promise<void> {
  if (db.copyFrom) {
    const version = csvField(ruleVersion);
    for (let i = 0; i < rows.length; i += CHUNK) {
      let text = '';
      for (const r of rows.slice(i, i + CHUNK)) {
        // qualified as an array literal of kind names (plain words), reasons as JSON text
        text += `${version},${r.firmId},${r.year},${csvField(r.kind)},${csvField(`{${r.qualified.join(',')}}`)},${csvField(JSON.stringify(r.reasons))}\n`;
      }
      await db.copyFrom('COPY firm_kind (rule_version, firm_id, year, kind, qualified, reasons) FROM STDIN (FORMAT csv)', [text]);
    }
    return;
  }
  for (let i = 0; i < rows.length; i += CHUNK) {
    const p = rows.slice(i, i + CHUNK);
    // text[] of JSON texts: arrays of unequal length cannot travel as a 2-D array
    await db.query(sql`
      INSERT INTO firm_kind (rule_version, firm_id, year, kind, qualified, reasons)
      SELECT ${ruleVersion}, t.firm_id, t.year, t.kind,
             ARRAY(SELECT jsonb_array_elements_text(t.qualified::jsonb)), t.reasons::jsonb
      FROM unnest(${p.map((r) => r.firmId)}::int[], ${p.map((r) => r.year)}::int[], ${p.map((r) => r.kind)}::text[],
                  ${p.map((r) => JSON.stringify(r.qualified))}::text[], ${p.map((r) => JSON.stringify(r.reasons))}::text[])
           AS t(firm_id, year, kind, qualified, reasons)`);
  }
}

/** Replaces the classifications of one rule version (call inside a transaction). */
export async function replaceFirmKinds(db: Db, ruleVersion: string, rows: readonly FirmKindRow[]): Promise<void> {
  await db.query(sql`DELETE FROM firm_kind WHERE rule_version = ${ruleVersion}`);
  await insertFirmKinds(db, ruleVersion, rows);
}

export interface StoredKindRow extends FirmKindRow { ruleVersion: string }

export async function storedFirmKinds(db: Db, f: { ruleVersion: string; firmIds?: readonly number[]; year?: number }): Promise<StoredKindRow[]> {
  return db.query(sql`
    SELECT rule_version AS "ruleVersion", firm_id AS "firmId", year, kind, qualified, reasons
    FROM firm_kind WHERE rule_version = ${f.ruleVersion}
    ${f.firmIds ? sql`AND firm_id = ANY(${[...f.firmIds]}::int[])` : sql``}
    ${f.year !== undefined ? sql`AND year = ${f.year}::int` : sql``}
    ORDER BY firm_id, year`);
}

/** Rule versions with stored classifications, and how many firm-years each classified. */
export async function ruleVersions(db: Db): Promise<{ ruleVersion: string; rows: number }[]> {
  return db.query(sql`SELECT rule_version AS "ruleVersion", count(*)::int AS rows FROM firm_kind GROUP BY rule_version ORDER BY rule_version`);
}

/** The counter bumped by triggers on firm, firm_year, city_year and firm_kind (migration 20261125010000_domain). */
export async function dataVersion(db: Db): Promise<number> {
  const r = await db.query<{ v: string }>(sql`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`);
  return r.length ? Number(r[0].v) : 0;
}

export interface CountFilter { ruleVersion: string; dropStFirms: boolean; dropFinancialFirms: boolean }

export interface CountRow { cityCode: string; year: number; q1: number; q2: number; q3: number; nFirms: number }

/**
 * Q1 (fledgling), Q2 (gazelle), Q3 (unicorn) and all sampled firms with a firm-year, for EVERY city-year of
 * city_year (zeros where no firm), in one statement. ST/*ST and financial firms are left out when asked.
 */
export async function cityYearCounts(db: Db, f: CountFilter): Promise<CountRow[]> {
  return db.query(sql`
    SELECT cy.city_code AS "cityCode", cy.year,
           count(k.kind) FILTER (WHERE k.kind = 'fledgling')::int AS q1,
           count(k.kind) FILTER (WHERE k.kind = 'gazelle')::int AS q2,
           count(k.kind) FILTER (WHERE k.kind = 'unicorn')::int AS q3,
           count(fy.firm_id)::int AS "nFirms"
    FROM city_year cy
    LEFT JOIN (firm_year fy
               JOIN firm f ON f.id = fy.firm_id
                          AND NOT (${f.dropStFirms}::bool AND f.st_flag)
                          AND NOT (${f.dropFinancialFirms}::bool AND f.financial)
               LEFT JOIN firm_kind k ON k.firm_id = fy.firm_id AND k.year = fy.year AND k.rule_version = ${f.ruleVersion})
           ON f.city_code = cy.city_code AND fy.year = cy.year
    GROUP BY cy.city_code, cy.year
    ORDER BY cy.city_code, cy.year`);
}

/** Firm-years and firms the ST / financial filters leave out (for the sample report). */
export async function droppedFirmCounts(db: Db): Promise<{ stFirms: number; stFirmYears: number; finFirms: number; finFirmYears: number }> {
  const [r] = await db.query<{ stFirms: number; stFirmYears: number; finFirms: number; finFirmYears: number }>(sql`
    SELECT count(DISTINCT f.id) FILTER (WHERE f.st_flag)::int AS "stFirms", count(*) FILTER (WHERE f.st_flag)::int AS "stFirmYears",
           count(DISTINCT f.id) FILTER (WHERE f.financial AND NOT f.st_flag)::int AS "finFirms",
           count(*) FILTER (WHERE f.financial AND NOT f.st_flag)::int AS "finFirmYears"
    FROM firm_year y JOIN firm f ON f.id = y.firm_id`);
  return r;
}

export interface CachedMeasureRow extends CountRow {
  rta: number | null; rtaNote: string | null; entropy: number | null; invHhi: number | null; eg: number | null;
}

export async function readAgglomerationCache(db: Db, version: number, optionsKey: string): Promise<CachedMeasureRow[]> {
  return db.query(sql`
    SELECT city_code AS "cityCode", year, q1, q2, q3, n_firms AS "nFirms", rta, rta_note AS "rtaNote", entropy,
           inv_hhi AS "invHhi", eg
    FROM agglomeration_cache WHERE data_version = ${version}::bigint AND options_key = ${optionsKey}
    ORDER BY city_code, year`);
}

/** Stores one version's measures and drops those of older versions (stale by construction). */
export async function writeAgglomerationCache(db: Db, version: number, optionsKey: string, rows: readonly CachedMeasureRow[]): Promise<void> {
  await db.query(sql`DELETE FROM agglomeration_cache WHERE data_version < ${version}::bigint`);
  for (let i = 0; i < rows.length; i += CHUNK) {
    const p = rows.slice(i, i + CHUNK);
    await db.query(sql`
      INSERT INTO agglomeration_cache (data_version, options_key, city_code, year, q1, q2, q3, n_firms, rta, rta_note, entropy, inv_hhi, eg)
      SELECT ${version}::bigint, ${optionsKey}, * FROM unnest(${p.map((r) => r.cityCode)}::text[], ${p.map((r) => r.year)}::int[],
        ${p.map((r) => r.q1)}::int[], ${p.map((r) => r.q2)}::int[], ${p.map((r) => r.q3)}::int[], ${p.map((r) => r.nFirms)}::int[],
        ${p.map((r) => r.rta)}::float8[], ${p.map((r) => r.rtaNote)}::text[], ${p.map((r) => r.entropy)}::float8[],
        ${p.map((r) => r.invHhi)}::float8[], ${p.map((r) => r.eg)}::float8[])
      ON CONFLICT DO NOTHING`);
  }
}

export interface CityYearRawRow {
  cityCode: string; province: string | null; region: string | null; year: number; population: number | null; urbanShare: number | null;
  fiscalSpending: number | null; fiscalRevenue: number | null; tertiaryShare: number | null; educationShare: number | null;
  loans: number | null; gdp: number | null; nqpIndicators: number[]; dfu: number | null; rid: number | null; pc: number | null;
}

export async function cityYearRaw(db: Db, years?: readonly [number, number]): Promise<CityYearRawRow[]> {
  return db.query(sql`
    SELECT cy.city_code AS "cityCode", c.province, c.region::text AS region, cy.year, cy.population, cy.urban_share AS "urbanShare",
           cy.fiscal_spending AS "fiscalSpending", cy.fiscal_revenue AS "fiscalRevenue", cy.tertiary_share AS "tertiaryShare",
           cy.education_share AS "educationShare", cy.loans, cy.gdp, cy.nqp_indicators AS "nqpIndicators", cy.dfu, cy.rid, cy.pc
    FROM city_year cy JOIN city c ON c.code = cy.city_code
    ${years ? sql`WHERE cy.year BETWEEN ${years[0]}::int AND ${years[1]}::int` : sql``}
    ORDER BY cy.city_code, cy.year`);
}

export interface NqpRawRow { cityCode: string; year: number; nqpIndicators: number[] }

export async function nqpIndicatorRows(db: Db, years?: readonly [number, number]): Promise<NqpRawRow[]> {
  return db.query(sql`
    SELECT city_code AS "cityCode", year, nqp_indicators AS "nqpIndicators" FROM city_year
    ${years ? sql`WHERE year BETWEEN ${years[0]}::int AND ${years[1]}::int` : sql``}
    ORDER BY city_code, year`);
}

export interface FirmPanelRawRow {
  firmId: number; cityCode: string; industry: string; year: number; founded: string; listedOn: string | null;
  stFlag: boolean; financial: boolean; techIntensive: boolean; strategicEmerging: boolean;
  revenue: number; employees: number; assets: number; leverage: number; rnd: number; patents: number;
  valuationUsd: number | null; revenueGrowth: number | null; kind: string | null;
}

/** Firm-years with firm attributes and the kind under `ruleVersion`, ST / financial firms left out when asked. */
export async function firmPanelRaw(db: Db, f: CountFilter & { years?: readonly [number, number] }): Promise<FirmPanelRawRow[]> {
  return db.query(sql`
    SELECT y.firm_id AS "firmId", f.city_code AS "cityCode", f.industry, y.year, to_char(f.founded, 'YYYY-MM-DD') AS founded,
           to_char(f.listed_on, 'YYYY-MM-DD') AS "listedOn", f.st_flag AS "stFlag", f.financial,
           f.tech_intensive AS "techIntensive", f.strategic_emerging AS "strategicEmerging",
           y.revenue, y.employees, y.assets, y.leverage, y.rnd, y.patents, y.valuation_usd AS "valuationUsd",
           y.revenue_growth AS "revenueGrowth", k.kind
    FROM firm_year y JOIN firm f ON f.id = y.firm_id
    LEFT JOIN firm_kind k ON k.firm_id = y.firm_id AND k.year = y.year AND k.rule_version = ${f.ruleVersion}
    WHERE NOT (${f.dropStFirms}::bool AND f.st_flag) AND NOT (${f.dropFinancialFirms}::bool AND f.financial)
    ${f.years ? sql`AND y.year BETWEEN ${f.years[0]}::int AND ${f.years[1]}::int` : sql``}
    ORDER BY y.firm_id, y.year`);
}

export interface KindAgreement { firmYears: number; agree: number; mismatches: { firmId: number; year: number; stored: string | null; intended: string | null }[] }

/** Stored kinds of `ruleVersion` against firm_year.intended_kind (the generator's truth on demo data), in one statement. */
export async function kindAgreement(db: Db, ruleVersion: string, sampleSize = 20): Promise<KindAgreement> {
  const [r] = await db.query<{ firmYears: number; agree: number; mismatches: KindAgreement['mismatches'] | null }>(sql`
    WITH j AS (
      SELECT y.firm_id, y.year, k.kind AS stored, y.intended_kind AS intended
      FROM firm_year y LEFT JOIN firm_kind k ON k.firm_id = y.firm_id AND k.year = y.year AND k.rule_version = ${ruleVersion})
    SELECT count(*)::int AS "firmYears", count(*) FILTER (WHERE stored IS NOT DISTINCT FROM intended)::int AS agree,
           (SELECT jsonb_agg(jsonb_build_object('firmId', firm_id, 'year', year, 'stored', stored, 'intended', intended))
            FROM (SELECT * FROM j WHERE stored IS DISTINCT FROM intended ORDER BY firm_id, year LIMIT ${sampleSize}::int) m) AS mismatches
    FROM j`);
  return { firmYears: r.firmYears, agree: r.agree, mismatches: r.mismatches ?? [] };
}

/** Firms whose stored kind differs between years (including classified vs unclassified years). */
export async function kindChangers(db: Db, ruleVersion: string): Promise<{ firms: number; example: { firmId: number; kinds: (string | null)[] } | null }> {
  const rows = await db.query<{ firmId: number; kinds: (string | null)[] }>(sql`
    SELECT y.firm_id AS "firmId", array_agg(k.kind ORDER BY y.year) AS kinds
    FROM firm_year y LEFT JOIN firm_kind k ON k.firm_id = y.firm_id AND k.year = y.year AND k.rule_version = ${ruleVersion}
    GROUP BY y.firm_id
    HAVING count(DISTINCT coalesce(k.kind, '-')) > 1
    ORDER BY y.firm_id`);
  return { firms: rows.length, example: rows[0] ?? null };
}
