// CityYear.value(name) — any stored metric column or imported variable, batched to one statement per request — and
// Query.cityVariables. The loader is attached to the request Context through a WeakMap (Context stays as it is).
import DataLoader from 'dataloader';
import { Arg, Ctx, FieldResolver, Float, Query, Resolver, Root } from 'type-graphql';
import { compositeNames, namedVariables, namedVariableValues } from '../composites/index.js';
import { variableValuesAndNames } from '../db/queries/variables.js';
import { KNOWN_METRICS, VARIABLE_NAME } from '../import/city-years.js';
import { CityYear } from '../schema/types.js';
import { CityVariable } from '../schema/variables.js';
import { badInput } from './errors.js';
import type { Context } from './loaders.js';

class UnknownVariable extends Error {}

const sep = '\u0000';
const loaders = new WeakMap<Context, DataLoader<string, number | null>>();

/** (code, year, name) → value: one statement for every key of a request tick. */
function valueLoader(ctx: Context): DataLoader<string, number | null> {
  let l = loaders.get(ctx);
  if (!l) {
    l = new DataLoader<string, number | null>(async (keys) => {
      const parts = keys.map((k) => k.split(sep));
      const codes = [...new Set(parts.map((p) => p[0]))], years = [...new Set(parts.map((p) => Number(p[1])))], names = [...new Set(parts.map((p) => p[2]))];
      // composites (computed per data version) and stored variables (one statement)
      const comps = await compositeNames(ctx.db);
      const stored = names.filter((n) => !comps.has(n)), composite = names.filter((n) => comps.has(n));
      const rows = [...(stored.length ? await variableValuesAndNames(ctx.db, stored, codes, years) : []),
        ...await namedVariableValues(ctx.db, composite, codes, years)];
      const known = new Set([...rows.map((r) => r.name), ...composite]);
      const m = new Map(rows.filter((r) => r.code !== null).map((r) => [[r.code, r.year, r.name].join(sep), r.value]));
      return parts.map((p, i) => (known.has(p[2]) ? m.get(keys[i]) ?? null : new UnknownVariable(p[2])));
    }, { batchScheduleFn: (run) => setImmediate(run), maxBatchSize: 100_000 });
    loaders.set(ctx, l);
  }
  return l;
}

@Resolver(() => CityYear)
export class CityYearValueResolver {
  @FieldResolver(() => Float, {
    nullable: true,
    description: 'A stored metric column (population, urbanShare or urban_share, ...) or a named variable (Query.cityVariables: imported, NQP indicator or composite) by name; null when missing.',
  })
  async value(@Root() cy: CityYear, @Ctx() ctx: Context, @Arg('name', () => String) name: string): Promise<number | null> {
    const metric = KNOWN_METRICS[name];
    if (metric) {
      const camel = metric.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase()) as keyof CityYear;
      return (cy[camel] as number | null | undefined) ?? null;
    }
    if (!VARIABLE_NAME.test(name)) throw badInput('name', `'${name}' is not a variable name`);
    try {
      return await valueLoader(ctx).load([cy.cityCode, cy.year, name].join(sep));
    } catch (e) {
      if (e instanceof UnknownVariable) throw badInput('name', `unknown variable '${name}': not a stored metric (${Object.keys(KNOWN_METRICS).filter((k) => !k.includes('_')).join(', ')}) nor a named variable (see cityVariables)`);
      throw e;
    }
  }
}

@Resolver()
export class VariablesResolver {
  @Query(() => [CityVariable], { description: 'Named city-year variables, by name: imported ones, the NQP indicators and the composites (kind).' })
  cityVariables(@Ctx() ctx: Context): Promise<CityVariable[]> {
    return namedVariables(ctx.db);
  }
}

export const VARIABLE_RESOLVERS = [CityYearValueResolver, VariablesResolver] as const;
