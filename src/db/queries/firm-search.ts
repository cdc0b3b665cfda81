// Firms by attributes, firm-year values and kinds, sorted by firm-year values or attributes (nulls last, ties by id),
// with keyset pagination: the top-level `firms` query (one page) and filtered / sorted `City.firms` (a page per city of
// a batch, in one statement).
import type { Db } from '../db.js';
import { join, sql, type SqlFragment } from '../sql.js';
import { compareValue, keysetAfter, orderAfter, sqlText, type SortKey, type ValueOp } from './keyset.js';
import type { FirmKind, FirmPage, FirmRecord } from './panel.js';

/** Firm-year figures usable in conditions and sort keys → columns of firm_year (constants, never input). */
export const FIRM_YEAR_VALUES: Record<string, string> = {
  revenue: 'revenue', employees: 'employees', assets: 'assets', leverage: 'leverage', rnd: 'rnd', patents: 'patents',
  valuationUsd: 'valuation_usd', revenueGrowth: 'revenue_growth',
};
/** Firm attributes usable as sort keys (no year). */
export const FIRM_SORT_ATTRIBUTES: Record<string, { expr: string; type: 'text' | 'int' }> = {
  founded: { expr: `to_char(f.founded, 'YYYY-MM-DD')`, type: 'text' }, name: { expr: 'f.name', type: 'text' }, id: { expr: 'f.id', type: 'int' },
};

export type Op = ValueOp;
export interface FirmSearch {
  kind?: FirmKind;
  year?: number;
  industry?: string[];
  listed?: boolean;
  city?: string[];
  province?: string[];
  founded?: { from?: string; to?: string };
  values?: { field: string; year: number; op: Op; value: number | boolean }[];
  sort?: ({ field: string; year: number } | { attribute: string })[];
  desc?: boolean[];
  ruleVersion: string;
}
export type SortValue = number | string | null;
export interface FirmAfter { values: SortValue[]; id: number }

const text = sqlText;

function plan(s: FirmSearch) {
  const rels = new Map<string, { i: number; field: string; year: number }>();
  const relOf = (field: string, year: number) => {
    const k = `${field}|${year}`;
    let r = rels.get(k);
    if (!r) rels.set(k, (r = { i: rels.size, field, year }));
    return text(`v${r.i}`);
  };
  const where: SqlFragment[] = [];
  if (s.kind) where.push(sql`EXISTS (SELECT 1 FROM firm_kind k WHERE k.firm_id = f.id AND k.rule_version = ${s.ruleVersion} AND k.kind = ${s.kind} ${s.year !== undefined ? sql`AND k.year = ${s.year}::int` : sql``})`);
  else if (s.year !== undefined) where.push(sql`EXISTS (SELECT 1 FROM firm_year y WHERE y.firm_id = f.id AND y.year = ${s.year}::int)`);
  if (s.industry?.length) where.push(sql`f.industry = ANY(${s.industry}::text[])`);
  if (s.listed !== undefined) where.push(sql`f.listed = ${s.listed}::boolean`);
  if (s.city?.length) where.push(sql`f.city_code = ANY(${s.city}::text[])`);
  if (s.province?.length) where.push(sql`c.province = ANY(${s.province}::text[])`);
  if (s.founded?.from) where.push(sql`f.founded >= ${s.founded.from}::date`);
  if (s.founded?.to) where.push(sql`f.founded <= ${s.founded.to}::date`);
  for (const v of s.values ?? []) {
    const col = sql`${relOf(v.field, v.year)}.value`;
    where.push(compareValue(col, v.op, v.value));
  }
  const keys = (s.sort ?? []).map((k, i) => {
    const desc = s.desc?.[i] ?? false;
    if ('attribute' in k) { const a = FIRM_SORT_ATTRIBUTES[k.attribute]; return { expr: text(a.expr), type: a.type, desc }; }
    return { expr: sql`${relOf(k.field, k.year)}.value`, type: 'float8' as const, desc };
  });
  const ctes = [...rels.values()].map((r) => sql`${text(`v${r.i}`)} AS (SELECT firm_id, ${text(FIRM_YEAR_VALUES[r.field])}::float8 AS value FROM firm_year WHERE year = ${r.year}::int)`);
  const joins = [...rels.values()].map((r) => sql`LEFT JOIN ${text(`v${r.i}`)} ON ${text(`v${r.i}`)}.firm_id = f.id`);
  return { where, keys, ctes, joins };
}

/** The sort keys as columns s0, s1 … of the alias `t`, for the keyset and the order. */
const keysOf = (keys: readonly { type: 'float8' | 'text' | 'int'; desc: boolean }[], t: string): SortKey[] =>
  keys.map((k, i) => ({ col: text(`${t}.s${i}`), desc: k.desc, type: k.type }));

const FIRM_COLS = sql`f.id, f.name, f.city_code::text AS "cityCode", f.industry, f.tech_intensive AS "techIntensive",
  f.strategic_emerging AS "strategicEmerging", to_char(f.founded, 'YYYY-MM-DD') AS founded, f.listed,
  to_char(f.listed_on, 'YYYY-MM-DD') AS "listedOn", f.st_flag AS "stFlag", f.financial`;

type Row = FirmRecord & { total: number; _sort: SortValue[]; _code?: string } & Record<string, unknown>;

/**
 * Pages of matching firms: one page overall (`byCity` absent) or one page per city of `byCity` (the same conditions
 * and cursor in each), `first + 1` rows per page (one more tells whether a next page exists), with the totals.
 */
export async function searchFirms(db: Db, s: FirmSearch, first: number, after: FirmAfter | undefined, byCity?: readonly string[]): Promise<Map<string, FirmPage<FirmRecord & { _sort: SortValue[] }>>> {
  const p = plan(s);
  const where = [...p.where, ...(byCity ? [sql`f.city_code = ANY(${[...byCity]}::text[])`] : [])];
  const sortCols = join(p.keys.map((k, i) => sql`, ${k.expr} AS ${text(`s${i}`)}`), sql``);
  const part = byCity ? sql`PARTITION BY city_code` : sql``;
  const rows = await db.query<Row>(sql`
    WITH ${join([...p.ctes, sql`m AS (SELECT f.id, f.city_code::text AS city_code ${sortCols} FROM firm f JOIN city c ON c.code = f.city_code ${join(p.joins, sql` `)}
      ${where.length ? sql`WHERE ${join(where, sql` AND `)}` : sql``})`], sql`, `)},
    counted AS (SELECT m.*, count(*) OVER (${part}) AS total FROM m),
    ranked AS (SELECT counted.*, row_number() OVER (${part} ORDER BY ${orderAfter(keysOf(p.keys, 'counted'), text('counted.id'))}) AS rn FROM counted
               ${after ? sql`WHERE ${keysetAfter(keysOf(p.keys, 'counted'), after.values, text('counted.id'), sql`${after.id}::int`)}` : sql``})
    SELECT ${FIRM_COLS}, r.total::int AS total, r.city_code AS _code ${join(p.keys.map((_, i) => sql`, r.${text(`s${i}`)} AS ${text(`s${i}`)}`), sql``)}
    FROM ranked r JOIN firm f ON f.id = r.id WHERE r.rn <= ${first + 1}::int ORDER BY ${byCity ? sql`r.city_code, r.rn` : sql`r.rn`}`);
  const out = new Map<string, FirmPage<FirmRecord & { _sort: SortValue[] }>>();
  for (const r of rows) {
    const key = byCity ? r._code! : '';
    const _sort = p.keys.map((_, i) => (r[`s${i}`] ?? null) as SortValue);
    for (let i = 0; i < p.keys.length; i++) delete r[`s${i}`];
    const { total, _code, ...firm } = r;
    let page = out.get(key);
    if (!page) out.set(key, (page = { total: Number(total), rows: [] }));
    page.rows.push({ ...(firm as FirmRecord), _sort });
  }
  return out;
}
