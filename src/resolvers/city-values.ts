// Arguments `filter.values` and `orderBy` of Query.cities → the relations, conditions and sort keys of searchCities,
// and the cursor of a sorted page (its sort values and code, so pages stay stable: keyset, not offset).
import type { Db } from '../db/db.js';
import { checkCityYear, cityValueRelation, UnknownVariableError, UnknownYearError } from '../db/queries/city-values.js';
import type { CitySearch, SortedAfter, ValueCondition } from '../db/queries/cities.js';
import type { SqlFragment } from '../db/sql.js';
import { SortDirection, type CityOrderInput, type ValueFilterInput } from '../schema/query-inputs.js';
import { badInput } from './errors.js';
import { checkYear, valueComparisons } from './validate.js';

export const MAX_VALUE_TERMS = 10;
/**
 * Adds the value conditions and sort keys to `s`, each distinct (variable, year) read once. Returns the check of the
 * stored columns' years, for the caller to run when the page comes back empty or unsorted (a year without data is then
 * an error naming the argument; with data it costs no statement).
 */
export async function addValueTerms(db: Db, s: CitySearch, values: readonly ValueFilterInput[] | undefined, orderBy: readonly CityOrderInput[] | undefined): Promise<() => Promise<void>> {
  const deferred: { arg: string; year: number }[] = [];
  const verify = async () => {
    for (const d of deferred) {
      try { await checkCityYear(db, d.year); } catch (e) {
        if (e instanceof UnknownYearError) throw badInput(`${d.arg}.year`, e.message);
        throw e;
      }
    }
  };
  if (!values?.length && !orderBy?.length) return verify;
  if ((values?.length ?? 0) + (orderBy?.length ?? 0) > MAX_VALUE_TERMS) throw badInput('filter.values', `at most ${MAX_VALUE_TERMS} value conditions and sort keys together`);
  if (orderBy?.length && s.nearest) throw badInput('orderBy', 'cannot be combined with filter.nearest (which orders by distance)');
  const relations: SqlFragment[] = [];
  const index = new Map<string, number>();
  const relationOf = async (arg: string, variable: string, year: number): Promise<number> => {
    checkYear(`${arg}.year`, year);
    const key = `${variable}\u0000${year}`;
    let i = index.get(key);
    if (i === undefined) {
      try {
        relations.push(await cityValueRelation(db, variable, year, { deferYearCheck: true }));
        deferred.push({ arg, year });
      } catch (e) {
        if (e instanceof UnknownVariableError) throw badInput(`${arg}.variable`, e.message);
        if (e instanceof UnknownYearError) throw badInput(`${arg}.year`, e.message);
        throw e;
      }
      index.set(key, (i = relations.length - 1));
    }
    return i;
  };
  const conditions: ValueCondition[] = [];
  for (const [j, v] of (values ?? []).entries()) {
    const arg = `filter.values[${j}]`;
    const rel = await relationOf(arg, v.variable, v.year);
    for (const c of valueComparisons(arg, v)) conditions.push({ rel, ...c });
  }
  const sort: NonNullable<CitySearch['sort']> = [];
  for (const [j, o] of (orderBy ?? []).entries()) sort.push({ rel: await relationOf(`orderBy[${j}]`, o.variable, o.year), desc: o.direction === SortDirection.DESC });
  Object.assign(s, { relations, values: conditions, sort });
  return verify;
}

// `cities:<json [values..., code]>` in base64url; the number of values must match the sort keys it is used with
export const sortedCursor = {
  encode: (values: readonly (number | null)[], code: string) => Buffer.from(`cities:${JSON.stringify([...values, code])}`, 'utf8').toString('base64url'),
  decode(arg: string, c: string, keys: number): SortedAfter {
    const s = Buffer.from(c, 'base64url').toString('utf8');
    let a: unknown;
    try { a = s.startsWith('cities:') ? JSON.parse(s.slice(7)) : undefined; } catch { a = undefined; }
    if (!Array.isArray(a) || a.length !== keys + 1 || typeof a[keys] !== 'string' || !a.slice(0, keys).every((v) => v === null || typeof v === 'number')) {
      throw badInput(arg, 'is not a cursor returned by this field with this orderBy');
    }
    return { values: a.slice(0, keys) as (number | null)[], code: a[keys] as string };
  },
};
