// Root queries: city search with spatial filters, single city, firm, and what the data set is.
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { Arg, Ctx, Info, Int, Query, Resolver } from 'type-graphql';
import { citiesByCodes, geometryProblem, searchCities, type CitySearch } from '../db/queries/cities.js';
import { datasetInfo } from '../db/queries/dataset.js';
import { City, CityConnection, CityFilter, Dataset, Firm } from '../schema/types.js';
import { badInput } from './errors.js';
import type { Context } from './loaders.js';
import { planCity, planCityConnection } from './plan.js';
import { addValueTerms, sortedCursor } from './city-values.js';
import { CityOrderInput } from '../schema/query-inputs.js';
import { checkBbox, checkCode, checkGeoJSON, checkLonLat, checkPositive, checkPositiveInt, cursor } from './validate.js';

export const MAX_PAGE = 1000;

@Resolver()
export class QueryResolver {
  @Query(() => CityConnection, { description: 'Cities matching every given filter, ordered by code (by distance with `nearest`).' })
  async cities(
    @Ctx() ctx: Context,
    @Arg('filter', () => CityFilter, { nullable: true }) filter?: CityFilter,
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Info() info?: GraphQLResolveInfo,
    @Arg('orderBy', () => [CityOrderInput], { nullable: true, description: 'Sort keys (variable in a year, nulls last), then code' }) orderBy?: CityOrderInput[],
  ): Promise<CityConnection> {
    checkPositiveInt('first', first, MAX_PAGE);
    const search = await toSearch(ctx, filter ?? {});
    const verifyYears = await addValueTerms(ctx.db, search, filter?.values ?? undefined, orderBy ?? undefined);
    if (search.relations?.length && info && !asksTotal(info)) search.count = false;
    const keys = search.sort?.length ?? 0;
    const afterKey = !after ? undefined : keys ? sortedCursor.decode('after', after, keys) : cursor.decode('after', 'city', after);
    // the nested fields the nodes ask for, fetched in the same statement (plan.ts)
    const plan = ctx.loaders.planning && info ? planCityConnection(info, ctx.db) : null;
    const { rows, total } = await searchCities(ctx.db, search, first, afterKey, plan?.extras);
    const nodes = rows.slice(0, first) as (City & { _sort?: (number | null)[] })[];
    // nothing matched, or the best has no value: was a year asked for that has no data at all?
    if (search.relations?.length && (!nodes.length || nodes[0]._sort?.some((v) => v === null))) await verifyYears();
    if (plan) plan.prime(ctx.loaders, nodes);
    else nodes.forEach((c) => ctx.loaders.primeCity(c));
    const last = nodes[nodes.length - 1];
    return {
      nodes,
      totalCount: total,
      pageInfo: { hasNextPage: rows.length > first, endCursor: !last ? null : keys ? sortedCursor.encode(last._sort ?? [], last.code) : cursor.encode('city', last.code) },
    };
  }

  @Query(() => City, { description: 'One city by its 6-digit code.' })
  async city(@Ctx() ctx: Context, @Arg('code', () => String) code: string, @Info() info?: GraphQLResolveInfo): Promise<City> {
    checkCode('code', code);
    const plan = ctx.loaders.planning && info ? planCity(info, ctx.db) : null;
    if (plan) {
      const rows = await citiesByCodes(ctx.db, [code], plan.extras);
      if (!rows.length) throw badInput('code', `no city with code ${code}`);
      plan.prime(ctx.loaders, rows);
      return rows[0] as City;
    }
    const c = await ctx.loaders.city(code);
    if (!c) throw badInput('code', `no city with code ${code}`);
    return c as City;
  }

  @Query(() => Firm, { description: 'One firm by id.' })
  async firm(@Ctx() ctx: Context, @Arg('id', () => Int) id: number): Promise<Firm> {
    const f = await ctx.loaders.firm(id);
    if (!f) throw badInput('id', `no firm with id ${id}`);
    return f as Firm;
  }

  @Query(() => Dataset, { description: 'Provenance of the loaded data: boundaries are real, demo firms and metrics are synthetic.' })
  async dataset(@Ctx() ctx: Context): Promise<Dataset> {
    return datasetInfo(ctx.db);
  }
}

/** Does the selection of this connection field read totalCount (directly or in a fragment)? */
function asksTotal(info: GraphQLResolveInfo): boolean {
  const seen = (set: SelectionSetNode | undefined): boolean => !!set && set.selections.some((x) =>
    x.kind === Kind.FIELD ? x.name.value === 'totalCount'
      : x.kind === Kind.INLINE_FRAGMENT ? seen(x.selectionSet)
        : (info.fragments?.[x.name.value] ? seen(info.fragments[x.name.value].selectionSet) : true)); // unknown fragment: count
  return info.fieldNodes.some((n) => seen(n.selectionSet));
}

async function toSearch(ctx: Context, f: CityFilter): Promise<CitySearch> {
  const s: CitySearch = { province: f.province, region: f.region, name: f.name };
  if (f.code) {
    f.code.forEach((c) => checkCode('filter.code', c));
    s.code = f.code;
  }
  if (f.bbox) s.bbox = checkBbox('filter.bbox', f.bbox);
  if (f.intersects !== undefined && f.intersects !== null) {
    checkGeoJSON('filter.intersects', f.intersects);
    const g = (f.intersects as { type: string; geometry?: object }).type === 'Feature' ? (f.intersects as { geometry: object }).geometry : f.intersects;
    const problem = await geometryProblem(ctx.db, g);
    if (problem) throw badInput('filter.intersects', `invalid geometry: ${problem}`);
    s.intersects = g;
  }
  if (f.withinDistance) {
    const { lon, lat, km } = f.withinDistance;
    checkLonLat('filter.withinDistance', lon, lat);
    checkPositive('filter.withinDistance.km', km, 20_000);
    s.withinDistance = { lon, lat, km };
  }
  if (f.containsPoint) {
    checkLonLat('filter.containsPoint', f.containsPoint.lon, f.containsPoint.lat);
    s.containsPoint = { ...f.containsPoint };
  }
  if (f.nearest) {
    checkLonLat('filter.nearest', f.nearest.lon, f.nearest.lat);
    checkPositiveInt('filter.nearest.k', f.nearest.k, MAX_PAGE);
    s.nearest = { ...f.nearest };
  }
  return s;
}
