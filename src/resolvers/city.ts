// Nested fields of City and Firm: thin adapters over the per-request loaders. Each field is a plain function
// (source, args, context, info) that returns the value itself when the loaders hold it (planned ahead, or loaded
// earlier in the request) and a promise only when it must load: installDirectResolvers() puts these functions in the
// built schema as they are, without type-graphql's per-call wrapper (which copies the source into a class instance
// and validates arguments asynchronously, so every call would return a promise). The decorated methods declare the
// schema and call the same functions.
import type { GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { Arg, Ctx, Float, FieldResolver, Info, Int, Resolver, Root } from 'type-graphql';
import { DEFAULT_K, DEFAULT_KM, type NeighbourType } from '../db/queries/neighbours.js';
import type { FirmPage, FirmPageArgs } from '../db/queries/panel.js';
import { RawJson } from '../graphql/raw-json.js';
import { GeoJSONScalar } from '../schema/scalars.js';
import {
  City, CityYear, Firm, FirmConnection, FirmFilter, FirmKindEnum, FirmYear, Neighbour, NeighbourTypeEnum,
} from '../schema/types.js';
import { FirmOrderInput } from '../schema/query-inputs.js';
import { firmCursor, firmSearchConnection, firmSearchOf } from './firms.js';
import { badInput } from './errors.js';
import { andThen, type Context, type Maybe } from './loaders.js';
import { MAX_PAGE } from './query.js';
import { cityYearFields, firmFields, scopeOf } from './selection.js';
import { checkPositive, checkPositiveInt, checkYear, cursor } from './validate.js';

// ---- arguments, checked the same way for the resolvers and the planner ----

export function boundaryTolerance(simplify: number | undefined | null): number {
  const t = simplify ?? 0;
  if (!Number.isFinite(t) || t < 0 || t > 1) throw badInput('simplify', `tolerance must be within [0, 1] degrees, got ${t}`);
  return t;
}

/** Sorted years, or null for all years (omitted or empty). */
export function metricsYears(years: readonly number[] | undefined | null): number[] | null {
  if (years?.some((y) => !Number.isInteger(y) || y < 1900 || y > 2100)) throw badInput('years', 'years must be integers between 1900 and 2100');
  return years?.length ? [...years].sort((a, b) => a - b) : null;
}

export interface FirmsArgs { kind?: FirmKindEnum | null; year?: number | null; first?: number; after?: string | null; filter?: FirmFilter | null; orderBy?: FirmOrderInput[] | null }

export function firmPageArgs(a: FirmsArgs): Omit<FirmPageArgs, 'ruleVersion'> {
  const first = a.first ?? 20;
  checkPositiveInt('first', first, MAX_PAGE);
  const year = a.year ?? undefined;
  if (year !== undefined) checkYear('year', year);
  let afterId: number | undefined;
  if (a.after) {
    afterId = Number(cursor.decode('after', 'firm', a.after));
    if (!Number.isInteger(afterId)) throw badInput('after', 'is not a firm cursor');
  }
  return { kind: (a.kind ?? undefined) as FirmPageArgs['kind'], year, first, afterId };
}

export interface NeighboursArgs { type?: NeighbourTypeEnum; k?: number | null; km?: number | null }

export function neighbourArgs(a: NeighboursArgs): { type: NeighbourType; opts: { k?: number; km?: number } } {
  const type = a.type ?? NeighbourTypeEnum.QUEEN;
  if (a.k !== undefined && a.k !== null) checkPositiveInt('k', a.k, 100);
  if (a.km !== undefined && a.km !== null) checkPositive('km', a.km, 5000);
  return { type, opts: type === 'KNN' ? { k: a.k ?? DEFAULT_K } : type === 'DISTANCE' ? { km: a.km ?? DEFAULT_KM } : {} };
}

// ---- the fields ----

const raw = (text: string | null) => (text === null ? null : new RawJson(text));

export function cityBoundary(city: City, args: { simplify?: number | null }, ctx: Context): Maybe<RawJson | null> {
  return andThen(ctx.loaders.boundary(city.code, boundaryTolerance(args.simplify)), raw);
}

export const cityCentroid = (city: City): object => ({ type: 'Point', coordinates: [city.lon, city.lat] });

export function cityMetrics(city: City, args: { years?: number[] | null }, ctx: Context, info: GraphQLResolveInfo): Maybe<CityYear[]> {
  const years = metricsYears(args.years);
  const fields = ctx.loaders.memo(info.fieldNodes, () => cityYearFields(scopeOf(info), info.fieldNodes));
  return ctx.loaders.metrics(city.code, years, fields) as Maybe<CityYear[]>;
}

export function cityFirms(city: City, args: FirmsArgs, ctx: Context, info: GraphQLResolveInfo): Maybe<FirmConnection> {
  if (args.filter || args.orderBy?.length) {
    if (args.filter?.city?.length || args.filter?.province?.length) throw badInput('filter', 'city and province do not apply under a city');
    if (args.filter && (args.kind || (args.year !== undefined && args.year !== null))) throw badInput('filter', 'give kind and year inside filter, not beside it');
    const first = args.first ?? 20;
    checkPositiveInt('first', first, MAX_PAGE);
    const s = firmSearchOf({ kind: args.kind ?? undefined, year: args.year ?? undefined, ...args.filter }, args.orderBy);
    const after = args.after ? firmCursor.decode('after', args.after, s.sort?.length ?? 0) : undefined;
    return andThen(ctx.loaders.firmSearch(city.code, s, first, after), (p) => firmSearchConnection(p, first));
  }
  const a = firmPageArgs(args);
  const { fields, count } = ctx.loaders.memo(info.fieldNodes, () => firmFields(scopeOf(info), info.fieldNodes));
  return andThen(ctx.loaders.firms(city.code, a, fields, count), (p) => firmConnection(p, a.first));
}

function firmConnection(page: FirmPage, first: number): FirmConnection {
  const nodes = page.rows.length > first ? page.rows.slice(0, first) : page.rows;
  const last = nodes[nodes.length - 1];
  return {
    nodes: nodes as Firm[],
    totalCount: page.total as number, // null only when the selection does not ask for it
    pageInfo: { hasNextPage: page.rows.length > first, endCursor: last ? cursor.encode('firm', last.id) : null },
  };
}

export function cityNeighbours(city: City, args: NeighboursArgs, ctx: Context): Maybe<Neighbour[]> {
  const { type, opts } = neighbourArgs(args);
  return andThen(ctx.loaders.neighbours(city.code, type, opts), (rows) => {
    // a planned row carries its city (the fields the selection reads); else the city loader
    const cities = rows.map((r) => r.city ?? ctx.loaders.city(r.neighbourCode));
    const build = (cs: readonly unknown[]) => rows.map((r, i) => ({ city: cs[i] as City, sharedKm: r.sharedKm, distanceKm: r.distanceKm }));
    return cities.some((c) => c instanceof Promise) ? Promise.all(cities).then(build) : build(cities);
  });
}

export const firmCity = (firm: Firm, _a: unknown, ctx: Context): Maybe<City> => ctx.loaders.city(firm.cityCode) as Maybe<City>;

export const firmHistory = (firm: Firm, _a: unknown, ctx: Context): Maybe<FirmYear[]> =>
  ctx.loaders.history(firm.id) as Maybe<FirmYear[]>;

type Direct = (source: never, args: never, ctx: Context, info: GraphQLResolveInfo) => unknown;
const DIRECT: Record<string, Record<string, Direct>> = {
  City: { boundary: cityBoundary, centroid: cityCentroid, metrics: cityMetrics, firms: cityFirms, neighbours: cityNeighbours },
  Firm: { city: firmCity, history: firmHistory },
};

/** Puts the functions above into the built schema in place of type-graphql's wrappers of the methods below. */
export function installDirectResolvers(schema: GraphQLSchema): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(DIRECT)) {
    const defs = (schema.getType(typeName) as GraphQLObjectType).getFields();
    for (const [name, fn] of Object.entries(fields)) {
      if (!defs[name]) throw new Error(`installDirectResolvers: no field ${typeName}.${name}`);
      defs[name].resolve = fn as never;
    }
  }
  return schema;
}

@Resolver(() => City)
export class CityResolver {
  @FieldResolver(() => GeoJSONScalar, { description: 'Outline as a GeoJSON MultiPolygon; `simplify` (degrees, e.g. 0.01) gives a lighter outline.' })
  boundary(
    @Root() city: City, @Ctx() ctx: Context,
    @Arg('simplify', () => Float, { defaultValue: 0 }) simplify: number,
  ): Maybe<RawJson | null> {
    return cityBoundary(city, { simplify }, ctx);
  }

  @FieldResolver(() => GeoJSONScalar, { description: 'Interior point as a GeoJSON Point.' })
  centroid(@Root() city: City): object {
    return cityCentroid(city);
  }

  @FieldResolver(() => [CityYear], { description: 'City-year metrics, ordered by year; all years when `years` is omitted.' })
  metrics(
    @Root() city: City, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo,
    @Arg('years', () => [Int], { nullable: true }) years?: number[],
  ): Maybe<CityYear[]> {
    return cityMetrics(city, { years }, ctx, info);
  }

  @FieldResolver(() => FirmConnection, { description: 'Firms located in the city, by id; `kind` keeps firms classified as that kind (in `year` if given), `year` alone keeps firms with figures that year.' })
  firms(
    @Root() city: City, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo,
    @Arg('kind', () => FirmKindEnum, { nullable: true }) kind?: FirmKindEnum,
    @Arg('year', () => Int, { nullable: true }) year?: number,
    @Arg('first', () => Int, { defaultValue: 20 }) first = 20,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('filter', () => FirmFilter, { nullable: true, description: 'as Query.firms (without city / province)' }) filter?: FirmFilter,
    @Arg('orderBy', () => [FirmOrderInput], { nullable: true, description: 'sort keys (nulls last), then id' }) orderBy?: FirmOrderInput[],
  ): Maybe<FirmConnection> {
    return cityFirms(city, { kind, year, first, after, filter, orderBy }, ctx, info);
  }

  @FieldResolver(() => [Neighbour], { description: 'Spatial neighbours; the contiguity relations are symmetric and precomputed.' })
  neighbours(
    @Root() city: City, @Ctx() ctx: Context,
    @Arg('type', () => NeighbourTypeEnum, { defaultValue: NeighbourTypeEnum.QUEEN }) type: NeighbourTypeEnum,
    @Arg('k', () => Int, { nullable: true, description: 'KNN: number of neighbours (default 4)' }) k?: number,
    @Arg('km', () => Float, { nullable: true, description: 'DISTANCE: band in km (default 100)' }) km?: number,
  ): Maybe<Neighbour[]> {
    return cityNeighbours(city, { type, k, km }, ctx);
  }
}

@Resolver(() => Firm)
export class FirmResolver {
  @FieldResolver(() => City)
  city(@Root() firm: Firm, @Ctx() ctx: Context): Maybe<City> {
    return firmCity(firm, undefined, ctx);
  }

  @FieldResolver(() => [FirmYear], { description: "The firm's yearly figures, by year." })
  history(@Root() firm: Firm, @Ctx() ctx: Context): Maybe<FirmYear[]> {
    return firmHistory(firm, undefined, ctx);
  }
}

