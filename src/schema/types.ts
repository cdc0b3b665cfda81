// GraphQL object, input and enum types. Every decorator names its type explicitly: esbuild-based runners emit no metadata.
// simpleResolvers: the plain fields of the types a large answer is made of read the source's property with graphql's
// default resolver; type-graphql would otherwise wrap each in a resolver of its own (a context object per field).
import 'reflect-metadata';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateRangeInput, ValueFilterInput } from './query-inputs.js';
import { GeoJSONScalar } from './scalars.js';

export enum Region { East = 'East', Central = 'Central', West = 'West' }
registerEnumType(Region, { name: 'Region', description: 'East / Central / West as the National Bureau of Statistics groups provinces (three-way split).' });

export enum FirmKindEnum { FLEDGLING = 'fledgling', GAZELLE = 'gazelle', UNICORN = 'unicorn' }
registerEnumType(FirmKindEnum, { name: 'FirmKind', description: 'Innovative-firm kind of one firm-year (雏鹰 / 瞪羚 / 独角兽).' });

export enum NeighbourTypeEnum { QUEEN = 'QUEEN', ROOK = 'ROOK', KNN = 'KNN', DISTANCE = 'DISTANCE' }
registerEnumType(NeighbourTypeEnum, {
  name: 'NeighbourType',
  description: 'QUEEN: outlines within ~0.5 km; ROOK: sharing at least 1 km of border; KNN: k nearest centroids; DISTANCE: centroids within km (great circle).',
});

@ObjectType({ description: 'An areal unit with its real boundary: a prefecture-level city in the demo, any imported unit (county, NUTS region, ...) otherwise.', simpleResolvers: true })
export class City {
  @Field(() => ID, { description: 'Unit code: 6-digit GB/T 2260 in the demo, the imported key (FIPS, NUTS, ...) otherwise' }) code!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true, description: 'Province / parent unit; null when the import gave none' }) province!: string | null;
  @Field(() => String, { nullable: true, description: 'null when unknown (imported units)' }) provinceCode!: string | null;
  @Field(() => Region, { nullable: true, description: 'null when unknown or not one of East / Central / West (imported units)' }) region!: Region | null;
  @Field(() => Float, { description: 'Area in km² on the ellipsoid' }) areaKm2!: number;
  @Field(() => Float, { description: 'Longitude of a point inside the city (ST_PointOnSurface)' }) lon!: number;
  @Field(() => Float, { description: 'Latitude of a point inside the city' }) lat!: number;
}

@ObjectType({ description: 'One city-year of metrics (SYNTHETIC in the demo data set).', simpleResolvers: true })
export class CityYear {
  /** the unit's code (not a GraphQL field: lets CityYear.value find the unit) */
  cityCode?: string;
  @Field(() => Int) year!: number;
  @Field(() => Float, { nullable: true, description: 'Population, 10k persons' }) population!: number | null;
  @Field(() => Float, { nullable: true }) urbanShare!: number | null;
  @Field(() => Float, { nullable: true }) fiscalSpending!: number | null;
  @Field(() => Float, { nullable: true }) fiscalRevenue!: number | null;
  @Field(() => Float, { nullable: true }) tertiaryShare!: number | null;
  @Field(() => Float, { nullable: true }) educationShare!: number | null;
  @Field(() => Float, { nullable: true }) loans!: number | null;
  @Field(() => Float, { nullable: true }) gdp!: number | null;
  @Field(() => [Float], { description: 'The new-quality-productivity indicators (up to 28), raw values' }) nqpIndicators!: number[];
  @Field(() => Float, { nullable: true, description: 'Data-factor use' }) dfu!: number | null;
  @Field(() => Float, { nullable: true, description: 'Robot density' }) rid!: number | null;
  @Field(() => Float, { nullable: true, description: 'Patents' }) pc!: number | null;
}

@ObjectType({ description: 'An innovative firm (SYNTHETIC in the demo data set).', simpleResolvers: true })
export class Firm {
  @Field(() => Int) id!: number;
  @Field(() => String) name!: string;
  @Field(() => String) cityCode!: string;
  @Field(() => String) industry!: string;
  @Field(() => Boolean) techIntensive!: boolean;
  @Field(() => Boolean) strategicEmerging!: boolean;
  @Field(() => String, { description: 'Founding date, YYYY-MM-DD' }) founded!: string;
  @Field(() => Boolean) listed!: boolean;
  @Field(() => String, { nullable: true }) listedOn!: string | null;
  @Field(() => Boolean, { description: 'ST / *ST (special treatment) flag' }) stFlag!: boolean;
  @Field(() => Boolean) financial!: boolean;
}

@ObjectType({ description: "One year of a firm's figures, classified from that year's figures only (no survivor bias).", simpleResolvers: true })
export class FirmYear {
  @Field(() => Int) year!: number;
  @Field(() => Float) revenue!: number;
  @Field(() => Int) employees!: number;
  @Field(() => Float) assets!: number;
  @Field(() => Float) leverage!: number;
  @Field(() => Float) rnd!: number;
  @Field(() => Int) patents!: number;
  @Field(() => Float, { nullable: true }) valuationUsd!: number | null;
  @Field(() => Float, { nullable: true }) revenueGrowth!: number | null;
  @Field(() => FirmKindEnum, { nullable: true, description: "Kind that year's figures qualify for under the current rule set (data/rules), null for none" }) kind!: FirmKindEnum | null;
  @Field(() => [String], { nullable: true, description: 'The conditions of `kind` as met that year' }) reasons!: string[] | null;
  @Field(() => FirmKindEnum, { nullable: true, description: 'Demo data only: the kind the synthetic generator designed the figures for' }) intendedKind!: FirmKindEnum | null;
}

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class CityConnection {
  @Field(() => [City]) nodes!: City[];
  @Field(() => Int) totalCount!: number;
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ simpleResolvers: true })
export class FirmConnection {
  @Field(() => [Firm]) nodes!: Firm[];
  @Field(() => Int) totalCount!: number;
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ simpleResolvers: true })
export class Neighbour {
  @Field(() => City) city!: City;
  @Field(() => Float, { nullable: true, description: 'Length of shared border, km (contiguity types only)' }) sharedKm!: number | null;
  @Field(() => Float, { description: 'Great-circle distance between the two cities’ interior points, km' }) distanceKm!: number;
}

@ObjectType({ description: 'What the loaded data set is; the demo firms and metrics are synthetic.' })
export class Dataset {
  @Field(() => Boolean) synthetic!: boolean;
  @Field(() => String) description!: string;
  @Field(() => String, { nullable: true }) seed!: string | null;
  @Field(() => String, { nullable: true }) boundariesSource!: string | null;
  @Field(() => Int) cities!: number;
  @Field(() => Int) firms!: number;
  @Field(() => Int) cityYears!: number;
  @Field(() => String, { description: 'What the units are, as a heading (demo: "Prefecture-level cities"; set by dataset_meta title, else from the boundaries imported)' }) title!: string;
  @Field(() => String, { description: 'One unit, in words ("city", "unit")' }) unitLabel!: string;
  @Field(() => String, { description: 'Where the outlines and data come from, for a map attribution' }) attribution!: string;
  @Field(() => String, { description: 'Placeholder of a unit search box, with a stored name as the example' }) searchHint!: string;
  @Field(() => [Float], { nullable: true, description: 'The units\' extent [minLon, minLat, maxLon, maxLat] (units on both sides of the antimeridian: the shortest longitude span of their interior points, maxLon may exceed 180); null without units' }) extent!: number[] | null;
}

@InputType()
export class PointInput {
  @Field(() => Float) lon!: number;
  @Field(() => Float) lat!: number;
}

@InputType()
export class DistanceInput {
  @Field(() => Float) lon!: number;
  @Field(() => Float) lat!: number;
  @Field(() => Float, { description: 'Radius in km, measured on the ellipsoid from the city outline' }) km!: number;
}

@InputType()
export class NearestInput {
  @Field(() => Float) lon!: number;
  @Field(() => Float) lat!: number;
  @Field(() => Int) k!: number;
}

@InputType({ description: 'All given conditions must hold.' })
export class CityFilter {
  @Field(() => [String], { nullable: true }) province?: string[];
  @Field(() => [Region], { nullable: true }) region?: Region[];
  @Field(() => [String], { nullable: true }) code?: string[];
  @Field(() => String, { nullable: true, description: 'Substring of the name' }) name?: string;
  @Field(() => [Float], { nullable: true, description: '[minLon, minLat, maxLon, maxLat]' }) bbox?: number[];
  @Field(() => GeoJSONScalar, { nullable: true, description: 'Cities whose outline intersects this geometry' }) intersects?: object;
  @Field(() => DistanceInput, { nullable: true }) withinDistance?: DistanceInput;
  @Field(() => PointInput, { nullable: true }) containsPoint?: PointInput;
  @Field(() => NearestInput, { nullable: true, description: 'The k cities nearest to a point (by outline), nearest first' }) nearest?: NearestInput;
  @Field(() => [ValueFilterInput], { nullable: true, description: 'Conditions on variables in given years, ANDed' }) values?: ValueFilterInput[];
}

@InputType({ description: 'All given conditions must hold.' })
export class FirmFilter {
  @Field(() => FirmKindEnum, { nullable: true, description: 'classified as this kind (in `year` if given)' }) kind?: FirmKindEnum;
  @Field(() => Int, { nullable: true, description: 'with figures that year (with `kind`: classified that year)' }) year?: number;
  @Field(() => [String], { nullable: true }) industry?: string[];
  @Field(() => Boolean, { nullable: true }) listed?: boolean;
  @Field(() => [String], { nullable: true, description: 'unit codes' }) city?: string[];
  @Field(() => [String], { nullable: true }) province?: string[];
  @Field(() => DateRangeInput, { nullable: true }) founded?: DateRangeInput;
  @Field(() => [ValueFilterInput], { nullable: true, description: 'conditions on firm-year figures (revenue, employees, assets, leverage, rnd, patents, valuationUsd, revenueGrowth)' }) values?: ValueFilterInput[];
}
