// What an operation costs before it runs (graphql-query-complexity): each field has a base cost, and a list field
// multiplies what is selected under it by the number of items it can return. That number comes from the data: the
// longest such list the store holds per parent (src/limits/stats.ts: cities in total, most firms / city-years /
// neighbours of one city, most years of one firm, read per data version), capped by the field's `first` or `years`.
// Nesting still multiplies, so an attacker's only levers are `first` (capped by the data) and depth (capped by the
// shape limits). Without statistics (`stats` null) the page sizes and fixed guesses of a store we know nothing of apply.
// Names and numbers cost nothing; outlines, firm pages, neighbour lists and models cost more.
import { getNamedType, getNullableType, isLeafType, isListType } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { StoreStats } from './stats.js';

type Args = Record<string, any>;
type St = StoreStats | null;

/** Base cost of one resolution of `Type.field` (default: 0 for scalars, 1 for objects). */
const BASE: Record<string, number | ((a: Args) => number)> = {
  'City.boundary': (a) => (a.simplify ? 10 : 20),
  'City.firms': 2,
  'City.rta': 2,
  'City.nqp': 2,
  'Query.cities': (a) => 2 + 5 * ((a.filter?.values?.length ?? 0) + (a.orderBy?.length ?? 0)),
  'Query.firms': (a) => 2 + 5 * ((a.filter?.values?.length ?? 0) + (a.orderBy?.length ?? 0)),
  'Query.cityStats': (a) => 20 + 10 * (a.variables?.length ?? 1),
  'Query.firmCounts': 20,
  'Query.dataset': 5,
  'Query.agglomeration': 50,
  'Query.nqpWeights': 50,
  'Query.firmKinds': 20,
  'Query.descriptives': 100,
  'Query.estimate': 1000,
  'Query.regressionTable': (a) => 1000 * Math.max(1, a.specs?.length ?? 1),
  'Query.spatialAutocorrelation': (a) => 200 + Math.ceil((a.permutations ?? 0) / 10),
  'Mutation.submitEstimate': 100,
  'Mutation.submitStudy': 100,
  'Query.composites': 50,
  'Mutation.defineComposite': 100,
};

/** Without statistics: cities in a store of prefecture-level cities (an upper bound where a list has one row per city). */
const PER_CITY = 400;

/** `asked` (a page size, a list of years) capped by what the store holds; `guess` when there are no statistics. */
const upTo = (asked: number | undefined, held: number | undefined, guess: number) =>
  held === undefined ? asked ?? guess : Math.min(asked ?? held, held);

const cities = (st: St) => st?.cities;
/** Other cities a city can list (DISTANCE / KNN neighbours): every city but itself. */
const others = (st: St) => (st ? Math.max(0, st.cities - 1) : undefined);

/** Items a list field can return (default 10 when unknown). Connections count at the field that takes `first`. */
const ITEMS: Record<string, number | ((a: Args, st: St) => number)> = {
  'Query.cities': (a, st) => upTo(a.first, cities(st), 50),
  'City.firms': (a, st) => upTo(a.first, st?.firmsPerCity, 20),
  'CityConnection.nodes': 1,
  'FirmConnection.nodes': 1,
  'City.metrics': (a, st) => upTo(Array.isArray(a.years) && a.years.length ? a.years.length : undefined, st?.yearsPerCity, 20),
  'City.neighbours': (a, st) => (a.type === 'KNN' ? upTo(a.k ?? 4, others(st), 4)
    : a.type === 'DISTANCE' ? upTo(undefined, others(st), 20) // any city may lie within `km`
      : upTo(undefined, st?.neighboursPerCity, 6)),
  'Firm.history': (_a, st) => upTo(undefined, st?.yearsPerFirm, 20),
  'Query.agglomeration': (a, st) => upTo(a.filter?.code?.length || undefined, cities(st), PER_CITY),
  'SpatialAutocorrelation.local': (_a, st) => upTo(undefined, cities(st), PER_CITY),
  'Query.firmKinds': (_a, st) => upTo(undefined, st?.firmsPerCity, 100),
  'Query.firms': (a) => a.first ?? 50,
  'Query.cityStats': (_a, st) => upTo(undefined, cities(st), 40), // groups: provinces / regions / one
  'Query.firmCounts': (_a, st) => upTo(undefined, cities(st), PER_CITY),
  'CityGroupStats.values': 20,
  'Query.descriptives': (a) => Math.max(1, a.variables?.length ?? 1),
  'Query.regressionTable': 1,
};

const value = (v: number | ((a: Args, st: St) => number) | undefined, a: Args, st: St, fallback: number) =>
  v === undefined ? fallback : typeof v === 'number' ? v : v(a, st);

/** The field estimator over the store statistics `st` (null: none known). */
export function fieldCost(st: St): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    const key = `${type.name}.${field.name}`;
    const t = getNullableType(field.type);
    const base = value(BASE[key], args, st, isLeafType(getNamedType(field.type)) ? 0 : 1);
    const items = isListType(t) || ITEMS[key] !== undefined ? value(ITEMS[key], args, st, 10) : 1;
    return base + Math.max(0, items) * childComplexity;
  };
}

/**
 * The estimated cost of an operation (variables applied) on a store holding `stats` (null or absent: page sizes and
 * fixed guesses); throws the library's GraphQLError on a bad document.
 */
export function operationCost(schema: GraphQLSchema, query: DocumentNode, variables?: Record<string, unknown>, operationName?: string,
  stats: StoreStats | null = null): number {
  return getComplexity({ schema, query, variables: variables ?? {}, operationName, estimators: [fieldCost(stats)] });
}
