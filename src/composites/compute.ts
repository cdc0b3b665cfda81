// A composite's values and weights from the stored variables (view unit_variable), computed by the pure numerics of
// src/estimation/composite.ts and kept per database handle and data version: any change of an input (an import, a
// definition) bumps the version, and the next read recomputes.
import type { Db } from '../db/db.js';
import { cityYearKeys, storedVariableColumns, type CompositeRow, type VariableColumn } from '../db/queries/composites.js';
import { dataVersion } from '../db/queries/domain.js';
import { DomainInputError } from '../domain/errors.js';
import { groupedComposite } from '../estimation/composite.js';
import { EstimationInputError } from '../estimation/result.js';
import { indicatorDirection, indicatorName, type CompositeDefinition } from './definition.js';

export interface IndicatorWeight { indicator: string; direction: 1 | -1; weight: number; entropy: number }

export interface CompositeWeights {
  /** null: pooled weights */
  year: number | null;
  indicators: IndicatorWeight[];
  /** city-years the weights were estimated from (complete in every indicator) */
  n: number;
}

export interface CompositeResult {
  definition: CompositeDefinition;
  dataVersion: number;
  /** every city-year within the definition's years, ordered by unit code and year; values[i] null = incomplete row */
  codes: string[];
  years: number[];
  values: (number | null)[];
  weights: CompositeWeights[];
  /** city-years with a value */
  n: number;
}

export interface ComputeOptions {
  /**
   * The built-in NQP: indicators with no stored value at all in the years are left out (the demo stores up to 28);
   * with none left every value is null. Other composites refuse an unknown indicator.
   */
  skipAbsent?: boolean;
  /** overrides the directions of the indicators used (NQP's `directions` option); `label` prefixes its errors */
  directions?: number[];
  label?: string;
}

const cache = new WeakMap<Db, { version: number; results: Map<string, Promise<CompositeResult>> }>();
const columnCache = new WeakMap<Db, { version: number; columns: Map<string, Promise<VariableColumn | null>> }>();

/**
 * Stored variables (imported, NQP indicators) as columns over all years, read once per data version and name (one
 * statement for the names not read yet); names without a stored row are absent from the map.
 */
export async function storedColumns(db: Db, names: readonly string[], version?: number): Promise<Map<string, VariableColumn>> {
  const v = version ?? await dataVersion(db);
  let entry = columnCache.get(db);
  if (!entry || entry.version !== v) columnCache.set(db, (entry = { version: v, columns: new Map() }));
  const columns = entry.columns;
  const missing = [...new Set(names)].filter((n) => !columns.has(n));
  if (missing.length) {
    const read = storedVariableColumns(db, missing, null);
    for (const n of missing) {
      const p = read.then((cols) => cols.find((c) => c.name === n) ?? null);
      columns.set(n, p);
      p.catch(() => { if (columns.get(n) === p) columns.delete(n); });
    }
  }
  const out = new Map<string, VariableColumn>();
  for (const n of names) { const c = await columns.get(n)!; if (c) out.set(n, c); }
  return out;
}

/** The composite of `def` on the store's current data (cached per data version). */
export async function computeComposite(db: Db, def: CompositeDefinition, opts: ComputeOptions = {}): Promise<CompositeResult> {
  const version = await dataVersion(db);
  let entry = cache.get(db);
  if (!entry || entry.version !== version) cache.set(db, (entry = { version, results: new Map() }));
  const key = JSON.stringify([def, opts]);
  let p = entry.results.get(key);
  if (!p) {
    const results = entry.results;
    p = compute(db, def, opts, version);
    results.set(key, p);
    p.catch(() => { if (results.get(key) === p) results.delete(key); });
  }
  return p;
}

async function compute(db: Db, def: CompositeDefinition, opts: ComputeOptions, version: number): Promise<CompositeResult> {
  const label = opts.label ?? `composite ${def.name}`;
  const keys = await cityYearKeys(db, def.years);
  if (!keys.codes.length) {
    throw new DomainInputError(`${label}: no city-year ${def.years ? `in ${def.years[0]}-${def.years[1]}` : 'in the store'}`, opts.label ? `${opts.label}.years` : 'composite.years');
  }
  // all years' columns (cached); values outside the definition's years find no row below and are ignored
  const stored = await storedColumns(db, def.indicators.map(indicatorName), version);
  if (def.years) for (const [n, c] of stored) if (!c.years.some((y) => y >= def.years![0] && y <= def.years![1])) stored.delete(n);
  const used: string[] = [];
  def.indicators.forEach((s, i) => {
    if (stored.has(indicatorName(s))) used.push(s);
    else if (!opts.skipAbsent) {
      throw new DomainInputError(`composite.indicators.${i}: no stored variable '${indicatorName(s)}'${def.years ? ` in ${def.years[0]}-${def.years[1]}` : ''} (see cityVariables)`, `composite.indicators.${i}`);
    }
  });
  const base = { definition: def, dataVersion: version, codes: keys.codes, years: keys.years };
  if (!used.length) return { ...base, values: keys.codes.map(() => null), weights: [], n: 0 };
  let dir = used.map(indicatorDirection) as number[];
  if (opts.directions) {
    if (opts.directions.length !== used.length) {
      throw new DomainInputError(`${label}.directions: ${opts.directions.length} directions for ${used.length} indicators`, `${label}.directions`);
    }
    dir = opts.directions;
  }
  // align each indicator on the city-year rows; absent or NULL = missing
  const row = new Map(keys.codes.map((c, i) => [`${c}|${keys.years[i]}`, i]));
  const names = used.map(indicatorName);
  const columns = names.map((name) => {
    const col = new Float64Array(keys.codes.length).fill(NaN);
    const c = stored.get(name)!;
    for (let k = 0; k < c.codes.length; k++) {
      const i = row.get(`${c.codes[k]}|${c.years[k]}`);
      const v = c.values[k];
      if (i !== undefined && v !== null) col[i] = Number(v);
    }
    return col;
  });
  let r;
  try {
    r = groupedComposite(names, columns, def.weighting === 'per-year' ? keys.years : null, { direction: dir, shift: def.shift, method: def.method });
  } catch (e) {
    if (e instanceof EstimationInputError) throw new DomainInputError(`${label}: ${e.message}`, opts.label ?? 'composite.indicators');
    throw e;
  }
  const values = Array.from(r.scores, (s) => (Number.isFinite(s) ? s : null));
  return {
    ...base,
    values,
    weights: r.groups.map((g) => ({
      year: g.group,
      indicators: names.map((indicator, j) => ({ indicator, direction: dir[j] as 1 | -1, weight: g.weights[j], entropy: g.entropy[j] })),
      n: g.n,
    })),
    n: values.filter((v) => v !== null).length,
  };
}

export const definitionOf = (r: CompositeRow): CompositeDefinition => ({
  name: r.name, indicators: r.indicators, method: r.method, weighting: r.weighting,
  years: r.yearFrom !== null && r.yearTo !== null ? [r.yearFrom, r.yearTo] : null, shift: r.shift,
});

/** How a stored row is computed: the built-in NQP keeps the paper's conventions (see ComputeOptions). */
export const computeOptionsOf = (r: Pick<CompositeRow, 'name' | 'builtin'>): ComputeOptions =>
  (r.builtin ? { skipAbsent: true, label: r.name.toLowerCase() } : {});

