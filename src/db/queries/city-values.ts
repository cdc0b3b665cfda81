// A city-year variable of one year as a SQL relation (code, value), so filters, sort keys and aggregates over any
// variable run inside one statement: stored columns and imported variables are read where they live; measures computed
// in process (NQP, RTA, the kind counts, composites) travel as two bound arrays (unnest), at most one entry per unit.
import type { Db } from '../db.js';
import { sql, type SqlFragment } from '../sql.js';
import { CITY_YEAR_COLUMNS, storedYears } from './weights.js';
import { cityAgglomeration, nqpScores, DomainInputError } from '../../domain/index.js';
import { namedVariableByUnit, namedVariables } from '../../composites/index.js';

/** Measures computed in process; the names are those of formulas (NQP, RTA, Q1..Q3) and of the OGC collection. */
const DERIVED: Record<string, 'nqp' | 'rta' | 'q1' | 'q2' | 'q3' | 'nFirms'> = {
  NQP: 'nqp', RTA: 'rta', Q1: 'q1', Q2: 'q2', Q3: 'q3', nFledgling: 'q1', nGazelle: 'q2', nUnicorn: 'q3', nFirms: 'nFirms', Nfirms: 'nFirms',
};

export const DERIVED_VARIABLES: readonly string[] = Object.keys(DERIVED);

export class UnknownVariableError extends Error {
  constructor(readonly variable: string, message: string) { super(message); }
}

export class UnknownYearError extends Error {
  constructor(readonly year: number, message: string) { super(message); }
}

const arrays = (codes: string[], values: (number | null)[]) =>
  sql`SELECT t.code, t.value FROM unnest(${codes}::text[], ${values}::float8[]) AS t(code, value)`;

/**
 * `SELECT code, value` of `variable` in `year` (one row per unit at most; units without a value may be absent or
 * NULL). Unknown names and years without any city-year data are errors naming them.
 */
export async function cityValueRelation(db: Db, variable: string, year: number, opts: { deferYearCheck?: boolean } = {}): Promise<SqlFragment> {
  if (Object.hasOwn(CITY_YEAR_COLUMNS, variable)) {
    // deferred: the caller checks the year (checkCityYear) only when the answer comes back empty, saving a statement
    if (!opts.deferYearCheck) await checkYear(db, year);
    return sql`SELECT city_code::text AS code, ${CITY_YEAR_COLUMNS[variable]}::float8 AS value FROM city_year WHERE year = ${year}::int`;
  }
  const derived = Object.hasOwn(DERIVED, variable) ? DERIVED[variable] : undefined;
  if (derived) {
    await checkYear(db, year);
    const codes: string[] = [], values: (number | null)[] = [];
    if (derived === 'nqp') {
      try {
        for (const r of (await nqpScores(db)).rows) if (r.year === year) { codes.push(r.cityCode); values.push(r.nqp); }
      } catch (e) {
        if (!(e instanceof DomainInputError)) throw e; // no indicators stored: NQP is missing everywhere
      }
    } else {
      for (const r of (await cityAgglomeration(db)).rows) if (r.year === year) { codes.push(r.cityCode); values.push(r[derived]); }
    }
    return arrays(codes, values);
  }
  // named variables: imported (and the demo's indicators, through the unit_variable view) or composites
  const named = (await namedVariables(db)).find((v) => v.name === variable);
  if (!named) throw new UnknownVariableError(variable, `unknown variable ${variable}: not a stored metric (${Object.keys(CITY_YEAR_COLUMNS).join(', ')}), a derived measure (${DERIVED_VARIABLES.join(', ')}), a composite or an imported variable (see cityVariables)`);
  if (!named.years.includes(year)) throw new UnknownYearError(year, `no values of ${variable} in ${year}${named.years.length ? `; its years are ${named.years[0]}-${named.years[named.years.length - 1]}` : ''}`);
  if (named.kind === 'composite') {
    const m = await namedVariableByUnit(db, variable, year);
    return arrays([...m.keys()], [...m.values()]);
  }
  return sql`SELECT city_code::text AS code, value FROM unit_variable WHERE name = ${variable} AND year = ${year}::int`;
}

/** Throws UnknownYearError when no city-year data exist for `year`. */
export async function checkCityYear(db: Db, year: number): Promise<void> {
  return checkYear(db, year);
}

async function checkYear(db: Db, year: number): Promise<void> {
  const [r] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city_year WHERE year = ${year}::int`);
  if (r.n) return;
  const { min, max } = await storedYears(db);
  throw new UnknownYearError(year, `no city-year data for ${year}${min !== null ? `; stored years are ${min}-${max}` : ''}`);
}
