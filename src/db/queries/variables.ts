// Stored named city-year variables — the analyst's imported ones ("city_variable") and the NQP indicators of
// city_year.nqp_indicators, both read through the view "unit_variable": names, and values by unit and year (NULL = missing).
// Composites come on top of these in src/composites/values.ts.
import type { Db } from '../db.js';
import { sql } from '../sql.js';

export interface VariableValue { code: string; year: number; name: string; value: number | null }

/** Names of the stored variables, sorted, with how many unit-years carry a (non-missing) value and in which years. */
export async function variableNames(db: Db): Promise<{ name: string; count: number; years: number[] }[]> {
  return db.query<{ name: string; count: number; years: number[] }>(
    sql`SELECT name, count(value)::int AS count, array_agg(DISTINCT year ORDER BY year) AS years FROM unit_variable GROUP BY name ORDER BY name`,
  );
}

/** Values of the given variables for the given units (null = all) and years (null = all). */
export async function variableValues(db: Db, names: readonly string[], codes: readonly string[] | null, years: readonly number[] | null): Promise<VariableValue[]> {
  if (!names.length) return [];
  return db.query<VariableValue>(sql`
    SELECT city_code AS code, year, name, value FROM unit_variable
    WHERE name = ANY(${[...names]}::text[])
      AND (${codes === null} OR city_code = ANY(${codes ? [...codes] : []}::text[]))
      AND (${years === null} OR year = ANY(${years ? [...years] : []}::int[]))
    ORDER BY city_code, year, name`);
}

/**
 * One statement for a batch of (unit, year, name) lookups: the values of `names` over `codes` × `years`, plus one row
 * (code NULL) per name that exists at all, so that names absent from the store can be told from missing values.
 */
export async function variableValuesAndNames(db: Db, names: readonly string[], codes: readonly string[], years: readonly number[]): Promise<(Omit<VariableValue, 'code' | 'year'> & { code: string | null; year: number | null })[]> {
  return db.query(sql`
    SELECT city_code AS code, year, name, value FROM unit_variable
    WHERE name = ANY(${[...names]}::text[]) AND city_code = ANY(${[...codes]}::text[]) AND year = ANY(${[...years]}::int[])
    UNION ALL
    SELECT DISTINCT NULL, NULL::int, name, NULL::float8 FROM unit_variable WHERE name = ANY(${[...names]}::text[])`);
}
