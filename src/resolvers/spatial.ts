// spatialAutocorrelation: a city-year variable, stored weights, and the library's Moran / Geary / local Moran on them.
import { GraphQLError } from 'graphql';
import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { Db } from '../db/db.js';
import {
  CITY_YEAR_COLUMNS, cityYearVariable, DEFAULT_K, DEFAULT_KM, storedWeights, storedYears, withoutUnits,
  type StoredWeightsSpec,
} from '../db/queries/weights.js';
import { namedVariables, namedVariableValues } from '../composites/index.js';
import { cityAgglomeration, nqpScores } from '../domain/index.js';
import { EstimationInputError } from '../estimation/result.js';
import {
  gearyTest, lag, localMoran, localMoranPermutation, moranPermutation, moranTest, type SpatialWeights,
} from '../estimation/spatial/index.js';
import {
  LisaQuadrantEnum, LocalMoranCity, SpatialAutocorrelation, WeightsInput, WeightsStyleEnum,
} from '../schema/spatial.js';
import { City, NeighbourTypeEnum } from '../schema/types.js';
import { badInput } from './errors.js';
import { checkYear } from './validate.js';
import type { Context } from './loaders.js';

/** Domain variables beside the stored columns: NQP (entropy-weighted composite, pooled weights), RTA (default options). */
const DOMAIN_VARIABLES = ['NQP', 'RTA'] as const;
export const SPATIAL_VARIABLES = [...Object.keys(CITY_YEAR_COLUMNS), ...DOMAIN_VARIABLES];

export const MAX_PERMUTATIONS = 9999;

/** Checks a WeightsInput (argument name `arg`, e.g. "weights") and turns it into the storedWeights spec. */
export function checkWeightsInput(arg: string, w: WeightsInput | null | undefined): StoredWeightsSpec {
  const type = w?.type ?? NeighbourTypeEnum.QUEEN, style = w?.style ?? WeightsStyleEnum.W;
  const k = w?.k ?? undefined, km = w?.km ?? undefined;
  if (k !== undefined && type !== NeighbourTypeEnum.KNN) throw badInput(`${arg}.k`, `applies to KNN weights only, not ${type}`);
  if (km !== undefined && type !== NeighbourTypeEnum.DISTANCE) throw badInput(`${arg}.km`, `applies to DISTANCE weights only, not ${type}`);
  if (k !== undefined && (!Number.isInteger(k) || k < 1 || k > 100)) throw badInput(`${arg}.k`, `must be an integer from 1 to 100, got ${k}`);
  if (km !== undefined && !(Number.isFinite(km) && km > 0 && km <= 5000)) throw badInput(`${arg}.km`, `must be a number above 0 and at most 5000, got ${km}`);
  return {
    type,
    style,
    ...(type === NeighbourTypeEnum.KNN ? { k: k ?? DEFAULT_K } : {}),
    ...(type === NeighbourTypeEnum.DISTANCE ? { km: km ?? DEFAULT_KM } : {}),
  };
}

/** Library and store errors about user input become BAD_USER_INPUT naming `arg` (with the field inside it). */
function asBadInput(e: unknown, arg: string): never {
  if (e instanceof EstimationInputError) throw badInput(e.field && e.field !== arg ? `${arg}.${e.field}` : arg, e.message);
  throw e;
}

/** Values of `variable` in `year` by city code (null where missing). */
async function variableValues(db: Db, variable: string, year: number): Promise<Map<string, number | null>> {
  if (variable === 'NQP') {
    const r = await nqpScores(db);
    return new Map(r.rows.filter((x) => x.year === year).map((x) => [x.cityCode, x.nqp]));
  }
  if (variable === 'RTA') {
    const r = await cityAgglomeration(db);
    return new Map(r.rows.filter((x) => x.year === year).map((x) => [x.cityCode, x.rta]));
  }
  if (Object.hasOwn(CITY_YEAR_COLUMNS, variable)) return new Map((await cityYearVariable(db, variable, year)).map((r) => [r.code, r.value]));
  // a named variable (imported, NQP indicator, composite): units with a city-year row that year but no value are missing
  const [rows, units] = [await namedVariableValues(db, [variable], null, [year]), await cityYearVariable(db, 'population', year)];
  const m = new Map<string, number | null>(units.map((r) => [r.code, null]));
  for (const r of rows) m.set(r.code, r.value);
  return m;
}

/** The stored columns, NQP, RTA and the named variables (imported, NQP indicators, composites), in that order. */
export async function spatialVariables(db: Db): Promise<string[]> {
  return [...new Set([...SPATIAL_VARIABLES, ...(await namedVariables(db)).map((v) => v.name)])];
}

export interface AutocorrelationInput { variable: string; year: number; weights: StoredWeightsSpec; permutations: number; seed: number }

/** The computation behind the query (usable without GraphQL); arguments already checked. */
export async function spatialAutocorrelationOf(db: Db, a: AutocorrelationInput): Promise<SpatialAutocorrelation> {
  let values: Map<string, number | null>;
  try {
    values = await variableValues(db, a.variable, a.year);
  } catch (e) { asBadInput(e, 'variable'); } // a composite that cannot be computed on the current data
  if (values.size === 0) {
    const { min, max } = await storedYears(db);
    throw badInput('year', `no city-year data for ${a.year}${min !== null ? `; stored years are ${min}-${max}` : ''}`);
  }
  const missing: string[] = [], codes: string[] = [];
  for (const [code, v] of [...values].sort((p, q) => (p[0] < q[0] ? -1 : 1))) (v !== null && Number.isFinite(v) ? codes : missing).push(code);
  let full: SpatialWeights;
  try {
    full = await storedWeights(db, a.weights, codes);
  } catch (e) { asBadInput(e, 'weights'); }
  const islands = full.islands ?? [];
  const w = withoutUnits(full, islands);
  if (w.ids.length < 4) throw badInput('weights', `only ${w.ids.length} cities with neighbours: the statistics need at least 4`);
  const x = Float64Array.from(w.ids, (id) => values.get(id) as number);
  if (x.every((v) => v === x[0])) throw badInput('variable', `${a.variable} is the same in every city in ${a.year}: autocorrelation is undefined`);
  try {
    const moran = moranTest(x, w);
    const geary = gearyTest(x, w);
    const perm = a.permutations > 0 ? moranPermutation(x, w, a.permutations, a.seed) : null;
    const local = a.permutations > 0 ? localMoranPermutation(x, w, a.permutations, a.seed) : localMoran(x, w);
    const wx = lag(w, x);
    const links = w.neighbours.reduce((s, nb) => s + nb.length, 0);
    return {
      variable: a.variable,
      year: a.year,
      weights: {
        type: a.weights.type as NeighbourTypeEnum, k: a.weights.k ?? null, km: a.weights.km ?? null,
        style: a.weights.style as WeightsStyleEnum, n: w.ids.length, links, meanNeighbours: links / w.ids.length,
      },
      islands,
      missing,
      moran: { I: moran.I, expectation: moran.expectation, variance: moran.variance, z: moran.z, pValue: moran.pValue },
      moranPermutation: perm
        ? { permutations: a.permutations, seed: a.seed, mean: perm.expectation, variance: perm.variance, z: perm.z, pValue: perm.pValue }
        : null,
      geary: { C: geary.C, expectation: geary.expectation, variance: geary.variance, z: geary.z, pValue: geary.pValue },
      local: local.map((r, i) => ({
        code: r.id, value: x[i], spatialLag: wx[i], Ii: r.Ii, expectation: r.expectation, variance: r.variance, z: r.z,
        pValue: r.pValue, quadrant: r.quadrant as LisaQuadrantEnum,
        pSim: 'pSim' in r ? (r as { pSim: number }).pSim : null, zSim: 'zSim' in r ? (r as { zSim: number }).zSim : null,
      })),
    };
  } catch (e) { asBadInput(e, 'variable'); }
}

@Resolver()
export class SpatialResolver {
  @Query(() => SpatialAutocorrelation, {
    description: "Global Moran's I, Geary's C and local Moran of a city-year variable over the stored cities' weights. "
      + 'Variables: the CityYear columns (population, urbanShare, fiscalSpending, fiscalRevenue, tertiaryShare, educationShare, loans, gdp, dfu, rid, pc), NQP, RTA and the named variables (cityVariables: imported, NQP indicators, composites).',
  })
  async spatialAutocorrelation(
    @Ctx() ctx: Context,
    @Arg('variable', () => String) variable: string,
    @Arg('year', () => Int) year: number,
    @Arg('weights', () => WeightsInput, { defaultValue: { type: NeighbourTypeEnum.QUEEN, style: WeightsStyleEnum.W } }) weights: WeightsInput,
    @Arg('permutations', () => Int, { defaultValue: 0 }) permutations: number,
    @Arg('seed', () => Int, { nullable: true, description: 'seed of the permutations (default 1)' }) seed?: number | null,
  ): Promise<SpatialAutocorrelation> {
    if (!SPATIAL_VARIABLES.includes(variable)) {
      const all = await spatialVariables(ctx.db);
      if (!all.includes(variable)) throw badInput('variable', `unknown variable "${variable}"; one of ${all.join(', ')}`);
    }
    checkYear('year', year);
    if (!Number.isInteger(permutations) || permutations < 0 || permutations > MAX_PERMUTATIONS) {
      throw badInput('permutations', `must be an integer from 0 to ${MAX_PERMUTATIONS}, got ${permutations}`);
    }
    const spec = checkWeightsInput('weights', weights);
    return spatialAutocorrelationOf(ctx.db, { variable, year, weights: spec, permutations, seed: seed ?? 1 });
  }

  @Query(() => [String], { description: 'Variables spatialAutocorrelation accepts: the stored columns, NQP, RTA and the named variables (cityVariables).' })
  spatialVariables(@Ctx() ctx: Context): Promise<string[]> {
    return spatialVariables(ctx.db);
  }
}

@Resolver(() => LocalMoranCity)
export class LocalMoranResolver {
  @FieldResolver(() => City)
  async city(@Root() row: LocalMoranCity, @Ctx() ctx: Context): Promise<City> {
    const c = await ctx.loaders.city(row.code);
    if (!c) throw new GraphQLError(`city ${row.code} vanished from the store`);
    return c as City;
  }
}
