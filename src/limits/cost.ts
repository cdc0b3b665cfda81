// What an operation costs before it runs (graphql-query-complexity): each field has a base cost, and a list field
// multiplies what is selected under it by the number of items it can return (its `first`, its years, its neighbours).
// Names and numbers cost nothing; outlines, firm pages, neighbour lists and models cost more.
import { getNamedType, getNullableType, isLeafType, isListType } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { DocumentNode, GraphQLSchema } from 'graphql';

type Args = Record<string, any>;

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
};

/** Cities in a store of prefecture-level cities (an upper bound used where a list returns one row per city). */
const PER_CITY = 400;

/** Items a list field can return (default 10 when unknown). Connections count at the field that takes `first`. */
const ITEMS: Record<string, number | ((a: Args) => number)> = {
  'Query.cities': (a) => a.first ?? 50,
  'City.firms': (a) => a.first ?? 20,
  'CityConnection.nodes': 1,
  'FirmConnection.nodes': 1,
  'City.metrics': (a) => (Array.isArray(a.years) && a.years.length ? a.years.length : 20),
  'City.neighbours': (a) => (a.type === 'KNN' ? a.k ?? 4 : a.type === 'DISTANCE' ? 20 : 6),
  'Firm.history': 20,
  'Query.agglomeration': (a) => (a.filter?.code?.length ? a.filter.code.length : PER_CITY),
  'SpatialAutocorrelation.local': PER_CITY,
  'Query.firmKinds': 100,
  'Query.firms': (a) => a.first ?? 50,
  'Query.cityStats': 40,
  'Query.firmCounts': PER_CITY,
  'CityGroupStats.values': 20,
  'Query.descriptives': (a) => Math.max(1, a.variables?.length ?? 1),
  'Query.regressionTable': 1,
};

const value = (v: number | ((a: Args) => number) | undefined, a: Args, fallback: number) =>
  v === undefined ? fallback : typeof v === 'number' ? v : v(a);

export const fieldCost: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const key = `${type.name}.${field.name}`;
  const t = getNullableType(field.type);
  const base = value(BASE[key], args, isLeafType(getNamedType(field.type)) ? 0 : 1);
  const items = isListType(t) || ITEMS[key] !== undefined ? value(ITEMS[key], args, 10) : 1;
  return base + Math.max(0, items) * childComplexity;
};

/** The estimated cost of an operation (variables applied); throws the library's GraphQLError on a bad document. */
export function operationCost(schema: GraphQLSchema, query: DocumentNode, variables?: Record<string, unknown>, operationName?: string): number {
  return getComplexity({ schema, query, variables: variables ?? {}, operationName, estimators: [fieldCost] });
}

