// City lookups and spatial filters. Every filter is a parameterised fragment; all geometry work happens in PostGIS.
import type { Db } from '../db.js';
import { join, sql, type SqlFragment } from '../sql.js';
import { jsonRecord, raw, withFields } from './json.js';
import { compareValue, keysetAfter, orderAfter, type ValueOp } from './keyset.js';
import { isStoredTolerance, storedOutlineTexts } from './outlines.js';

export interface CityRecord {
  code: string;
  name: string;
  province: string | null;
  provinceCode: string | null;
  region: 'East' | 'Central' | 'West' | null;
  areaKm2: number;
  lon: number;
  lat: number;
}

export interface CitySearch {
  province?: string[];
  region?: string[];
  code?: string[];
  name?: string;
  bbox?: [number, number, number, number];
  intersects?: object;
  withinDistance?: { lon: number; lat: number; km: number };
  containsPoint?: { lon: number; lat: number };
  nearest?: { lon: number; lat: number; k: number };
  /** (code, value) relations of variable-years (cityValueRelation), referred to by index below */
  relations?: SqlFragment[];
  /** value conditions, ANDed */
  values?: ValueCondition[];
  /** sort keys before the code (nulls last) */
  sort?: { rel: number; desc: boolean }[];
  /** false: the caller does not ask for the total (value searches then skip counting; the total reads 0) */
  count?: boolean;
}

export type { ValueOp };
export interface ValueCondition { rel: number; op: ValueOp; value: number | boolean }

/** Position after which a sorted page starts: the sort keys' values and the code of the last row seen. */
export interface SortedAfter { values: (number | null)[]; code: string }

const rel = (i: number) => raw(`v${i}`);
const sortCol = (i: number) => raw(`s${i}`);

const valueCondition = (c: ValueCondition) => compareValue(sql`${rel(c.rel)}.value`, c.op, c.value);

/** The sort keys as columns s0, s1 … of the alias `t`. */
const sortKeys = (sort: readonly { desc: boolean }[], t: string) => sort.map((k, i) => ({ col: sql`${raw(t)}.${sortCol(i)}`, desc: k.desc }));

/** The region as the GraphQL enum knows it: imported units may carry any text (or none), which reads as null. */
const REGION = (a: string) => `CASE WHEN ${a}.region IN ('East', 'Central', 'West') THEN ${a}.region END`;

const columns = sql`c.code, c.name, c.province, c.province_code AS "provinceCode", ${raw(REGION('c'))} AS region,
  c.area_km2 AS "areaKm2", ST_X(c.centroid) AS lon, ST_Y(c.centroid) AS lat`;

/**
 * A value the query planner (src/resolvers/plan.ts) adds to every city row: `expr(code, d)` is a SQL expression over
 * the city's code (`code`, a column of the enclosing statement) whose table aliases are numbered from depth `d`.
 */
export interface CityExtra { key: string; expr: (code: SqlFragment, d: number) => SqlFragment }

const extraColumns = (extras: readonly CityExtra[], code: SqlFragment) =>
  sql`${join(extras.map((e) => sql`, ${e.expr(code, 1)} AS ${raw(`"${checkKey(e.key)}"`)}`), sql``)}`;

const checkKey = (k: string) => { if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad column key ${k}`); return k; };

/** City record fields as SQL over a city row aliased `a`. */
const CITY_SQL: Record<string, (a: string) => string> = {
  code: (a) => `${a}.code`, name: (a) => `${a}.name`, province: (a) => `${a}.province`, provinceCode: (a) => `${a}.province_code`,
  region: REGION, areaKm2: (a) => `${a}.area_km2`, lon: (a) => `ST_X(${a}.centroid)`, lat: (a) => `ST_Y(${a}.centroid)`,
};
export const CITY_FIELDS: readonly string[] = Object.keys(CITY_SQL);

/**
 * A city row aliased `a` (in the enclosing statement) as an object (jsonRecord) of the given record fields (null =
 * all; `code` always) and the planner's `extras`, whose aliases are numbered from depth `d`.
 */
export function cityObject(a: string, fields: readonly string[] | null, d: number, extras: readonly CityExtra[]): SqlFragment {
  const names = withFields(fields ?? CITY_FIELDS, ['code'], CITY_SQL);
  return jsonRecord(d, [...names.map((n) => [n, CITY_SQL[n](a)] as const), ...extras.map((e) => [e.key, e.expr(sql`${raw(a)}.code`, d)] as const)]);
}

function conditions(f: CitySearch): SqlFragment[] {
  const w: SqlFragment[] = [];
  if (f.province?.length) w.push(sql`c.province = ANY(${f.province}::text[])`);
  if (f.region?.length) w.push(sql`c.region::text = ANY(${f.region}::text[])`);
  if (f.code?.length) w.push(sql`c.code = ANY(${f.code}::text[])`);
  if (f.name) w.push(sql`strpos(c.name, ${f.name}) > 0`);
  if (f.bbox) {
    const [x1, y1, x2, y2] = f.bbox;
    w.push(sql`ST_Intersects(c.boundary, ST_MakeEnvelope(${x1}::float8, ${y1}::float8, ${x2}::float8, ${y2}::float8, 4326))`);
  }
  if (f.intersects) w.push(sql`ST_Intersects(c.boundary, ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(f.intersects)}::text), 4326))`);
  if (f.withinDistance) {
    const { lon, lat, km } = f.withinDistance;
    w.push(sql`ST_DWithin(c.boundary::geography, ST_SetSRID(ST_MakePoint(${lon}::float8, ${lat}::float8), 4326)::geography, ${km * 1000}::float8)`);
  }
  if (f.containsPoint) {
    const { lon, lat } = f.containsPoint;
    w.push(sql`ST_Contains(c.boundary, ST_SetSRID(ST_MakePoint(${lon}::float8, ${lat}::float8), 4326))`);
  }
  for (const c of f.values ?? []) w.push(valueCondition(c));
  return w;
}

/**
 * One page of cities ordered by code (or by distance for `nearest`), plus the total matching count. `extras` (the
 * planner's nested fields) are computed for the page's rows only, in the same statement.
 */
export async function searchCities(db: Db, f: CitySearch, first: number, after?: string | SortedAfter, extras: readonly CityExtra[] = []): Promise<{ rows: (CityRecord & { total: number; _sort?: (number | null)[] })[]; total: number }> {
  if (f.relations?.length) return searchCitiesByValues(db, f, first, typeof after === 'string' ? { values: [], code: after } : after, extras);
  const afterCode = after as string | undefined;
  const where = conditions(f);
  const whereSql = where.length ? sql`WHERE ${join(where, sql` AND `)}` : sql``;
  if (f.nearest) {
    const { lon, lat, k } = f.nearest;
    const distance = sql`ST_Distance(c.boundary::geography, ST_SetSRID(ST_MakePoint(${lon}::float8, ${lat}::float8), 4326)::geography)`;
    const rows = await db.query<CityRecord & { total: number }>(extras.length
      ? sql`WITH page AS (SELECT ${columns}, count(*) OVER () AS total, row_number() OVER (ORDER BY ${distance}, c.code) AS ord
                          FROM city c ${whereSql} ORDER BY ord LIMIT ${Math.min(k, first)}::int)
            SELECT page.* ${extraColumns(extras, sql`page.code`)} FROM page ORDER BY page.ord`
      : sql`SELECT ${columns}, count(*) OVER () AS total FROM city c ${whereSql} ORDER BY ${distance}, c.code LIMIT ${Math.min(k, first)}::int`);
    return { rows, total: rows.length };
  }
  const page = sql`
    WITH m AS (SELECT ${columns} FROM city c ${whereSql})
    SELECT m.*, (SELECT count(*) FROM m)::int AS total FROM m
    ${afterCode ? sql`WHERE m.code > ${afterCode}` : sql``}
    ORDER BY m.code LIMIT ${first + 1}::int`;
  const rows = await db.query<CityRecord & { total: number }>(extras.length
    ? sql`WITH page AS (${page}) SELECT page.* ${extraColumns(extras, sql`page.code`)} FROM page ORDER BY page.code`
    : page);
  return { rows, total: rows[0]?.total ?? (await countCities(db, whereSql)) };
}

/**
 * The same page when value conditions or sort keys are given: each variable-year relation joined once (LEFT JOIN:
 * a unit without a value has NULL), ordered by the sort keys (nulls last) then code, keyset pagination after `after`.
 */
async function searchCitiesByValues(db: Db, f: CitySearch, first: number, after: SortedAfter | undefined, extras: readonly CityExtra[]) {
  const rels = f.relations ?? [];
  const sort = f.sort ?? [];
  const where = conditions(f);
  const whereSql = where.length ? sql`WHERE ${join(where, sql` AND `)}` : sql``;
  const ctes = rels.map((r, i) => sql`${rel(i)} AS (${r})`);
  const joins = join(rels.map((_, i) => sql`LEFT JOIN ${rel(i)} ON ${rel(i)}.code = c.code::text`), sql` `);
  const sortCols = join(sort.map((k, i) => sql`, ${rel(k.rel)}.value AS ${sortCol(i)}`), sql``);
  const order = orderAfter(sortKeys(sort, 'm'), sql`m.code`);
  // sorted and cut on the narrow (code, sort values) relation; the city columns are read for the page's rows only
  const page = sql`
    WITH ${join(ctes, sql`, `)},
    m AS (SELECT c.code ${sortCols} FROM city c ${joins} ${whereSql}),
    k AS (SELECT m.* ${f.count === false ? sql`` : sql`, (SELECT count(*) FROM m)::int AS total`} FROM m
      ${after ? sql`WHERE ${keysetAfter(sortKeys(sort, 'm'), after.values, sql`m.code`, sql`${after.code}`)}` : sql``}
      ORDER BY ${order} LIMIT ${first + 1}::int)
    SELECT ${columns} ${join(sort.map((_, i) => sql`, k.${sortCol(i)}`), sql``)} ${f.count === false ? sql`` : sql`, k.total`}
    FROM k JOIN city c ON c.code = k.code ORDER BY ${orderAfter(sortKeys(sort, 'k'), sql`k.code`)}`;
  const rows = await db.query<CityRecord & { total: number } & Record<string, unknown>>(extras.length
    ? sql`WITH page AS (${page}) SELECT page.* ${extraColumns(extras, sql`page.code`)} FROM page ORDER BY ${orderAfter(sortKeys(sort, 'page'), sql`page.code`)}`
    : page);
  const out = rows.map((r) => {
    const _sort = sort.map((_, i) => (r[`s${i}`] ?? null) as number | null);
    for (let i = 0; i < sort.length; i++) delete r[`s${i}`];
    return Object.assign(r, { _sort });
  });
  let total = f.count === false ? 0 : rows[0]?.total;
  if (total === undefined) {
    const [{ n }] = await db.query<{ n: number }>(sql`WITH ${join(ctes, sql`, `)} SELECT count(*)::int AS n FROM city c ${joins} ${whereSql}`);
    total = n;
  }
  return { rows: out, total };
}

async function countCities(db: Db, whereSql: SqlFragment): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city c ${whereSql}`);
  return n;
}

/** Cities by code, with the planner's `extras` computed in the same statement. */
export async function citiesByCodes(db: Db, codes: readonly string[], extras: readonly CityExtra[] = []): Promise<CityRecord[]> {
  return db.query(sql`SELECT ${columns} ${extraColumns(extras, sql`c.code`)} FROM city c WHERE c.code = ANY(${[...codes]}::text[])`);
}

/**
 * Boundaries as GeoJSON text, optionally simplified (degrees) with topology preserved per city: the precomputed
 * outline when `tolerance` is a stored one (src/db/queries/outlines.ts), else (and for units not yet outlined)
 * computed here.
 */
export async function boundaries(db: Db, codes: readonly string[], tolerance: number): Promise<Map<string, string>> {
  if (!isStoredTolerance(tolerance)) return computedBoundaries(db, codes, tolerance);
  const stored = await storedOutlineTexts(db, codes, tolerance);
  if (stored.size === codes.length) return stored;
  for (const [code, text] of await computedBoundaries(db, codes.filter((c) => !stored.has(c)), tolerance)) stored.set(code, text);
  return stored;
}

async function computedBoundaries(db: Db, codes: readonly string[], tolerance: number): Promise<Map<string, string>> {
  const rows = await db.query<{ code: string; geojson: string }>(sql`
    SELECT c.code, ST_AsGeoJSON(${tolerance > 0 ? sql`ST_Multi(ST_SimplifyPreserveTopology(c.boundary, ${tolerance}::float8))` : sql`c.boundary`}, 5) AS geojson
    FROM city c WHERE c.code = ANY(${[...codes]}::text[])`);
  return new Map(rows.map((r) => [r.code, r.geojson]));
}

/** Checks a client geometry with PostGIS itself; returns the reason when invalid. */
export async function geometryProblem(db: Db, geojson: object): Promise<string | null> {
  try {
    const [r] = await db.query<{ valid: boolean; reason: string }>(sql`
      SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason FROM (SELECT ST_GeomFromGeoJSON(${JSON.stringify(geojson)}::text) AS g) s`);
    return r.valid ? null : r.reason;
  } catch (e) {
    return (e as Error).message;
  }
}
