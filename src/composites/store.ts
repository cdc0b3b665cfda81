// Defining, listing and dropping composites: the one place the doors (CLI `composite`, GraphQL defineComposite /
// composites, study files) go through. A definition is checked and computed once before it is stored.
import type { Db } from '../db/db.js';
import { compositeRow, compositeRows, deleteComposite, upsertComposite, type CompositeRow } from '../db/queries/composites.js';
import { variableNames } from '../db/queries/variables.js';
import { DomainInputError } from '../domain/errors.js';
import { variableNameProblem } from '../import/city-years.js';
import { computeComposite, computeOptionsOf, definitionOf, type CompositeWeights } from './compute.js';
import { indicatorName, parseCompositeDefinition, type CompositeDefinition, type CompositeDefinitionInput } from './definition.js';

export interface CompositeInfo extends CompositeDefinition {
  builtin: boolean;
  /** one entry for pooled weights, one per year for per-year weights; [] when it cannot be computed (see error) */
  weights: CompositeWeights[];
  /** city-years with a value */
  n: number;
  /** why the composite cannot be computed on the current data (e.g. an indicator was dropped or became constant) */
  error: string | null;
}

async function info(db: Db, r: CompositeRow): Promise<CompositeInfo> {
  const def = definitionOf(r);
  try {
    const c = await computeComposite(db, def, computeOptionsOf(r));
    return { ...def, builtin: r.builtin, weights: c.weights, n: c.n, error: null };
  } catch (e) {
    if (!(e instanceof DomainInputError)) throw e;
    return { ...def, builtin: r.builtin, weights: [], n: 0, error: e.message };
  }
}

/**
 * Checks, computes and stores a composite (replacing a non built-in one of the same name); bumps the data version.
 * Refuses (DomainInputError naming the field) a bad definition, a name taken by a built-in column, a stored variable
 * or a built-in composite, an indicator that is a composite or not a stored variable, and data the method cannot
 * weight (a constant indicator, fewer than two complete city-years).
 */
export async function defineComposite(db: Db, input: CompositeDefinitionInput): Promise<CompositeInfo> {
  const def = parseCompositeDefinition(input);
  const existing = await compositeRows(db);
  const same = existing.find((r) => r.name.toLowerCase() === def.name.toLowerCase());
  if (same?.builtin) throw new DomainInputError(`composite.name: '${same.name}' is a built-in composite and cannot be redefined`, 'composite.name');
  if (same && same.name !== def.name) throw new DomainInputError(`composite.name: '${def.name}' differs from the composite '${same.name}' only in case`, 'composite.name');
  const problem = variableNameProblem(def.name);
  if (problem) throw new DomainInputError(`composite.name: ${problem}`, 'composite.name');
  const stored = (await variableNames(db)).find((v) => v.name.toLowerCase() === def.name.toLowerCase());
  if (stored) throw new DomainInputError(`composite.name: '${def.name}' is taken by the stored variable '${stored.name}'`, 'composite.name');
  const composites = new Set(existing.map((r) => r.name));
  def.indicators.forEach((s, i) => {
    if (composites.has(indicatorName(s))) {
      throw new DomainInputError(`composite.indicators.${i}: '${indicatorName(s)}' is a composite; indicators are stored variables`, `composite.indicators.${i}`);
    }
  });
  await computeComposite(db, def);
  const row = { name: def.name, indicators: def.indicators, method: def.method, weighting: def.weighting, yearFrom: def.years?.[0] ?? null, yearTo: def.years?.[1] ?? null, shift: def.shift };
  if (!(await upsertComposite(db, row))) throw new DomainInputError(`composite.name: '${def.name}' is a built-in composite`, 'composite.name');
  return info(db, { ...row, builtin: false });
}

/** Every stored composite (built-in first, then by name) with its weights on the current data. */
export async function listComposites(db: Db): Promise<CompositeInfo[]> {
  const out: CompositeInfo[] = [];
  for (const r of await compositeRows(db)) out.push(await info(db, r));
  return out;
}

export async function getComposite(db: Db, name: string): Promise<CompositeInfo | null> {
  const r = await compositeRow(db, name);
  return r ? info(db, r) : null;
}

/** Drops a composite (not a built-in one); bumps the data version. */
export async function dropComposite(db: Db, name: string): Promise<void> {
  const r = await compositeRow(db, name);
  if (!r) throw new DomainInputError(`composite '${name}' does not exist`, 'name');
  if (r.builtin) throw new DomainInputError(`composite '${name}' is built in and cannot be dropped`, 'name');
  await deleteComposite(db, name);
}
