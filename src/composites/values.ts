// Named variables: what a variable name means everywhere one goes (CityYear.value, formulas and descriptives through
// the panel, spatialAutocorrelation, OGC properties, tiles, the map). A name is a stored variable (view unit_variable:
// imported ones and the NQP indicators) or a composite (computed per data version); a composite hides a stored
// variable of the same name (defineComposite refuses such names, an import may bring one later).
import type { Db } from '../db/db.js';
import { compositeRows } from '../db/queries/composites.js';
import { variableNames, variableValues, type VariableValue } from '../db/queries/variables.js';
import { dataVersion } from '../db/queries/domain.js';
import { DomainInputError } from '../domain/errors.js';
import type { VariableColumn } from '../db/queries/composites.js';
import { computeComposite, computeOptionsOf, definitionOf, storedColumns, type CompositeResult } from './compute.js';

export type { VariableValue, VariableColumn };

export interface NamedVariable {
  name: string;
  kind: 'stored' | 'composite';
  /** unit-years with a (non-missing) value */
  count: number;
  /** years with a row (value or missing) */
  years: number[];
  /** composites only: true for the built-in NQP */
  builtin: boolean;
}

/** The composite `name` on the current data (cached per data version); null when no composite has that name. */
export async function compositeValuesOf(db: Db, name: string): Promise<CompositeResult | null> {
  const r = (await compositeRows(db)).find((c) => c.name === name);
  return r ? computeComposite(db, definitionOf(r), computeOptionsOf(r)) : null;
}

/** Every named variable: stored ones sorted by name, then the composites (built-in first). A composite that cannot be
 *  computed on the current data has count 0. */
export async function namedVariables(db: Db): Promise<NamedVariable[]> {
  const version = await dataVersion(db);
  const hit = listCache.get(db);
  if (hit && hit.version === version) return hit.list;
  const list = listNamed(db);
  listCache.set(db, { version, list });
  list.catch(() => { if (listCache.get(db)?.list === list) listCache.delete(db); });
  return list;
}

const listCache = new WeakMap<Db, { version: number; list: Promise<NamedVariable[]> }>();

async function listNamed(db: Db): Promise<NamedVariable[]> {
  const comps = await compositeRows(db);
  const out = new Map<string, NamedVariable>();
  for (const v of await variableNames(db)) out.set(v.name, { ...v, kind: 'stored', builtin: false });
  for (const r of comps) {
    let c: CompositeResult | null = null;
    try {
      c = await computeComposite(db, definitionOf(r), computeOptionsOf(r));
    } catch (e) { if (!(e instanceof DomainInputError)) throw e; }
    out.set(r.name, { name: r.name, kind: 'composite', count: c?.n ?? 0, years: c ? [...new Set(c.years)].sort((a, b) => a - b) : [], builtin: r.builtin });
  }
  return [...out.values()];
}

/**
 * Values of named variables for the given units (null = all) and years (null = all), as rows ordered by unit, year and
 * name. Names that are neither stored nor composite yield no rows (check them against namedVariables). A composite
 * that cannot be computed on the current data throws its DomainInputError.
 */
export async function namedVariableValues(db: Db, names: readonly string[], codes: readonly string[] | null, years: readonly number[] | null): Promise<VariableValue[]> {
  if (!names.length) return [];
  const comps = new Map((await compositeRows(db)).map((r) => [r.name, r]));
  const stored = names.filter((n) => !comps.has(n));
  const out = await variableValues(db, stored, codes, years);
  const codeSet = codes ? new Set(codes) : null, yearSet = years ? new Set(years) : null;
  for (const n of new Set(names)) {
    const r = comps.get(n);
    if (!r) continue;
    const c = await computeComposite(db, definitionOf(r), computeOptionsOf(r));
    for (let i = 0; i < c.codes.length; i++) {
      if ((codeSet && !codeSet.has(c.codes[i])) || (yearSet && !yearSet.has(c.years[i]))) continue;
      out.push({ code: c.codes[i], year: c.years[i], name: n, value: c.values[i] });
    }
  }
  if (out.length && comps.size && names.some((n) => comps.has(n))) {
    out.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : a.year - b.year || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  }
  return out;
}

/** One variable's values in one year by unit code (null = missing), for every unit with a city-year row that year. */
export async function namedVariableByUnit(db: Db, name: string, year: number): Promise<Map<string, number | null>> {
  const rows = await namedVariableValues(db, [name], null, [year]);
  return new Map(rows.map((r) => [r.code, r.value]));
}

/** Names of the stored composites. */
export async function compositeNames(db: Db): Promise<Set<string>> {
  return new Set((await compositeRows(db)).map((r) => r.name));
}

/**
 * Named variables as columns over all years (stored ones cached per data version, composites computed per data
 * version): { name, codes, years, values } per name found, in the order asked. The panel reads its variables so.
 */
export async function namedVariableColumns(db: Db, names: readonly string[]): Promise<VariableColumn[]> {
  const comps = new Map((await compositeRows(db)).map((r) => [r.name, r]));
  const stored = await storedColumns(db, names.filter((n) => !comps.has(n)));
  const out: VariableColumn[] = [];
  for (const n of names) {
    const r = comps.get(n);
    if (r) {
      const c = await computeComposite(db, definitionOf(r), computeOptionsOf(r));
      out.push({ name: n, codes: c.codes, years: c.years, values: c.values });
    } else if (stored.has(n)) out.push(stored.get(n)!);
  }
  return out;
}
