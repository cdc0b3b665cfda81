// Nested fields of City and Firm: thin adapters over the per-request loaders.
import { Arg, Ctx, Float, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { DEFAULT_K, DEFAULT_KM } from '../db/queries/neighbours.js';
import { GeoJSONScalar } from '../schema/scalars.js';
import {
  City, CityYear, Firm, FirmConnection, FirmKindEnum, FirmYear, Neighbour, NeighbourTypeEnum,
} from '../schema/types.js';
import { badInput } from './errors.js';
import type { Context } from './loaders.js';
import { MAX_PAGE } from './query.js';
import { checkPositive, checkPositiveInt, cursor } from './validate.js';

@Resolver(() => City)
export class CityResolver {
  @FieldResolver(() => GeoJSONScalar, { description: 'Outline as a GeoJSON MultiPolygon; `simplify` (degrees, e.g. 0.01) gives a lighter outline.' })
  async boundary(
    @Root() city: City, @Ctx() ctx: Context,
    @Arg('simplify', () => Float, { defaultValue: 0 }) simplify: number,
  ): Promise<object | null> {
    if (!Number.isFinite(simplify) || simplify < 0 || simplify > 1) throw badInput('simplify', `tolerance must be within [0, 1] degrees, got ${simplify}`);
    const g = await ctx.loaders.boundary(city.code, simplify);
    return typeof g === 'string' ? JSON.parse(g) : g;
  }

  @FieldResolver(() => GeoJSONScalar, { description: 'Interior point as a GeoJSON Point.' })
  centroid(@Root() city: City): object {
    return { type: 'Point', coordinates: [city.lon, city.lat] };
  }

  @FieldResolver(() => [CityYear], { description: 'City-year metrics, ordered by year; all years when `years` is omitted.' })
  async metrics(
    @Root() city: City, @Ctx() ctx: Context,
    @Arg('years', () => [Int], { nullable: true }) years?: number[],
  ): Promise<CityYear[]> {
    if (years?.some((y) => !Number.isInteger(y) || y < 1900 || y > 2100)) throw badInput('years', 'years must be integers between 1900 and 2100');
    return ctx.loaders.metrics(city.code, years?.length ? [...years].sort((a, b) => a - b) : null);
  }

  @FieldResolver(() => FirmConnection, { description: 'Firms located in the city, by id; `kind` keeps firms classified as that kind (in `year` if given), `year` alone keeps firms with figures that year.' })
  async firms(
    @Root() city: City, @Ctx() ctx: Context,
    @Arg('kind', () => FirmKindEnum, { nullable: true }) kind?: FirmKindEnum,
    @Arg('year', () => Int, { nullable: true }) year?: number,
    @Arg('first', () => Int, { defaultValue: 20 }) first = 20,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<FirmConnection> {
    checkPositiveInt('first', first, MAX_PAGE);
    if (year !== undefined && year !== null && (!Number.isInteger(year) || year < 1900 || year > 2100)) throw badInput('year', `must be a year between 1900 and 2100, got ${year}`);
    let afterId: number | undefined;
    if (after) {
      afterId = Number(cursor.decode('after', 'firm', after));
      if (!Number.isInteger(afterId)) throw badInput('after', 'is not a firm cursor');
    }
    const rows = await ctx.loaders.firms(city.code, { kind, year: year ?? undefined, first, afterId });
    const pageRows = rows.filter((r) => r.id > (afterId ?? -1));
    const nodes = pageRows.slice(0, first);
    const last = nodes[nodes.length - 1];
    return {
      nodes,
      totalCount: rows[0]?.total ?? 0,
      pageInfo: { hasNextPage: pageRows.length > first, endCursor: last ? cursor.encode('firm', last.id) : null },
    };
  }

  @FieldResolver(() => [Neighbour], { description: 'Spatial neighbours; the contiguity relations are symmetric and precomputed.' })
  async neighbours(
    @Root() city: City, @Ctx() ctx: Context,
    @Arg('type', () => NeighbourTypeEnum, { defaultValue: NeighbourTypeEnum.QUEEN }) type: NeighbourTypeEnum,
    @Arg('k', () => Int, { nullable: true, description: 'KNN: number of neighbours (default 4)' }) k?: number,
    @Arg('km', () => Float, { nullable: true, description: 'DISTANCE: band in km (default 100)' }) km?: number,
  ): Promise<Neighbour[]> {
    if (k !== undefined && k !== null) checkPositiveInt('k', k, 100);
    if (km !== undefined && km !== null) checkPositive('km', km, 5000);
    const opts = type === 'KNN' ? { k: k ?? DEFAULT_K } : type === 'DISTANCE' ? { km: km ?? DEFAULT_KM } : {};
    const rows = await ctx.loaders.neighbours(city.code, type, opts);
    const cities = await Promise.all(rows.map((r) => ctx.loaders.city(r.neighbourCode)));
    return rows.map((r, i) => ({ city: cities[i] as City, sharedKm: r.sharedKm, distanceKm: r.distanceKm }));
  }
}

@Resolver(() => Firm)
export class FirmResolver {
  @FieldResolver(() => City)
  async city(@Root() firm: Firm, @Ctx() ctx: Context): Promise<City> {
    return (await ctx.loaders.city(firm.cityCode)) as City;
  }

  @FieldResolver(() => [FirmYear], { description: "The firm's yearly figures, by year." })
  history(@Root() firm: Firm, @Ctx() ctx: Context): Promise<FirmYear[]> {
    return ctx.loaders.history(firm.id) as Promise<FirmYear[]>;
  }
}
