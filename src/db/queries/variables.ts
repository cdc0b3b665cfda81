// The analyst's own city-year variables ("city_variable"): names, and values by unit and year (NULL = missing).
import type { Db } from '../db.js';
import { sql } from '../sql.js';

export interface VariableValue { code: string; year: number; name: string; value: number | null }

/** Names of the imported variables, sorted, with how many unit-years carry a (non-missing) value. */
export async function variableNames(db: Db): Promise<{ name: string; count: number }[]> {
  return db.query<{ name: string; count: number }>(
    sql`SELECT name, count(value)::int AS count FROM city_variable GROUP BY name ORDER BY name`,
  );
}

/** Values of the given variables for the given units (null = all) and years (null = all). */
export async function variableValues(db: Db, names: readonly string[], codes: readonly string[] | null, years: readonly number[] | null): Promise<VariableValue[]> {
  if (!names.length) return [];
  return db.query<VariableValue>(sql`
    SELECT city_code AS code, year, name, value FROM city_variable
    WHERE name = ANY(${[...names]}::text[])
      AND (${codes === null} OR city_code = ANY(${codes ? [...codes] : []}::text[]))
      AND (${years === null} OR year = ANY(${years ? [...years] : []}::int[]))
    ORDER BY city_code, year, name`);
}
