// Composite definitions (table "composite") and the column-wise reads the composite core computes from: the city-year
// rows (the universe a composite is defined on) and named variables as one array per name.
import type { Db } from '../db.js';
import { sql } from '../sql.js';

export interface CompositeRow {
  name: string; indicators: string[]; method: 'entropy' | 'equal'; weighting: 'pooled' | 'per-year';
  yearFrom: number | null; yearTo: number | null; shift: number; builtin: boolean;
}

const columns = sql`name, indicators, method, weighting, year_from AS "yearFrom", year_to AS "yearTo", shift, builtin`;

export async function compositeRows(db: Db): Promise<CompositeRow[]> {
  return db.query(sql`SELECT ${columns} FROM composite ORDER BY builtin DESC, name`);
}

export async function compositeRow(db: Db, name: string): Promise<CompositeRow | null> {
  const [r] = await db.query<CompositeRow>(sql`SELECT ${columns} FROM composite WHERE name = ${name}`);
  return r ?? null;
}

/** Inserts or replaces a (non built-in) definition; false when `name` is a built-in one (left as it is). */
export async function upsertComposite(db: Db, r: Omit<CompositeRow, 'builtin'>): Promise<boolean> {
  const rows = await db.query(sql`
    INSERT INTO composite (name, indicators, method, weighting, year_from, year_to, shift)
    VALUES (${r.name}, ${r.indicators}::text[], ${r.method}, ${r.weighting}, ${r.yearFrom}::int, ${r.yearTo}::int, ${r.shift}::float8)
    ON CONFLICT (name) DO UPDATE SET indicators = EXCLUDED.indicators, method = EXCLUDED.method, weighting = EXCLUDED.weighting,
      year_from = EXCLUDED.year_from, year_to = EXCLUDED.year_to, shift = EXCLUDED.shift, created_at = now()
      WHERE NOT composite.builtin
    RETURNING name`);
  return rows.length === 1;
}

/** Deletes a non built-in definition; false when there was none. */
export async function deleteComposite(db: Db, name: string): Promise<boolean> {
  return (await db.query(sql`DELETE FROM composite WHERE name = ${name} AND NOT builtin RETURNING name`)).length === 1;
}

/** Every city-year (within `years`), ordered by unit code and year: the rows a composite has a value (or null) for. */
export async function cityYearKeys(db: Db, years: readonly [number, number] | null): Promise<{ codes: string[]; years: number[] }> {
  const [r] = await db.query<{ codes: string[] | null; years: number[] | null }>(sql`
    SELECT array_agg(city_code ORDER BY city_code, year) AS codes, array_agg(year ORDER BY city_code, year) AS years FROM city_year
    ${years ? sql`WHERE year BETWEEN ${years[0]}::int AND ${years[1]}::int` : sql``}`);
  return { codes: r?.codes ?? [], years: r?.years ?? [] };
}

export interface VariableColumn { name: string; codes: string[]; years: number[]; values: (number | null)[] }

/**
 * Named variables (view unit_variable: imported variables and the NQP indicators) as one array triple per name, within
 * `years`; names without a row are absent from the answer. Arrays travel far lighter than one row per value.
 */
export async function storedVariableColumns(db: Db, names: readonly string[], years: readonly [number, number] | null): Promise<VariableColumn[]> {
  if (!names.length) return [];
  return db.query(sql`
    SELECT name, array_agg(city_code) AS codes, array_agg(year) AS years, array_agg(value) AS values FROM unit_variable
    WHERE name = ANY(${[...names]}::text[]) ${years ? sql`AND year BETWEEN ${years[0]}::int AND ${years[1]}::int` : sql``}
    GROUP BY name`);
}
