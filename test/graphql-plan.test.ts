// Look-ahead planning (src/resolvers/plan.ts): the planned shapes answer in ONE statement, and every planned answer
// equals the DataLoader path's (plan: false) for queries with aliases, arguments, fragments, variables and directives.
import { describe, expect, it } from 'vitest';
import { sql } from '../src/db/sql.js';
import { NESTED_ALL_CITIES } from './helpers/queries.js';
import { dbKind, getStore, gql } from './helpers/store.js';

/** The planned and the unplanned answer of one query, with their statement counts. */
async function both(query: string, variables?: Record<string, unknown>) {
  const planned = await gql(query, variables);
  const unplanned = await gql(query, variables, undefined, { plan: false });
  return { planned, unplanned };
}

// The peer benchmark's queries (bench/peers.ts): PostGraphile answers each in one statement.
const PEER = {
  oneCity: '{ city(code: "320100") { name province metrics { year gdp population } } }',
  allCities: '{ cities(first: 1000) { nodes { code name metrics { year gdp population } } } }',
  nested: `{ cities(first: 1000) { nodes { code name metrics { year gdp population }
      firms(first: 1000) { nodes { id name } }
      neighbours { city { code metrics(years: [2019]) { gdp } } } } } }`,
  outlines: '{ cities(first: 1000) { nodes { code boundary(simplify: 0.01) } } }',
  outlinesFull: '{ cities(first: 1000) { nodes { code boundary } } }',
};

const SHAPES: [string, string, Record<string, unknown>?][] = [
  ['aliases with different arguments and fields, a fragment, variables, @include / @skip', `
    query ($years: [Int!], $firms: Boolean!, $noCentroid: Boolean!) {
      cities(first: 12, filter: { province: ["江苏省", "浙江省"] }) {
        totalCount
        nodes {
          ...Base
          a: metrics(years: $years) { gdp year }
          b: metrics { year pc nqpIndicators value(name: "gdp") }
          c: metrics(years: [2019, 2010]) { __typename urbanShare }
          firms(first: 3) @include(if: $firms) { totalCount pageInfo { hasNextPage endCursor } nodes { id ... on Firm { name industry } history { year kind reasons } } }
          more: firms(kind: GAZELLE, first: 2) { nodes { id founded city { code name } } }
          centroid @skip(if: $noCentroid)
        }
      }
    }
    fragment Base on City {
      code name
      neighbours(type: KNN, k: 3) { distanceKm city { name centroid boundary(simplify: 0.05) metrics(years: [2019]) { gdp } } }
      rook: neighbours(type: ROOK) { sharedKm city { code region neighbours { city { code } } } }
    }`, { years: [2018, 2019], firms: true, noCentroid: false }],
  ['one city with every nested field, DISTANCE neighbours and firm pages after a cursor', `
    query ($after: String) {
      city(code: "320100") {
        code name province provinceCode region areaKm2 lon lat centroid
        boundary(simplify: 0.02)
        metrics { year population urbanShare fiscalSpending fiscalRevenue tertiaryShare educationShare loans gdp nqpIndicators dfu rid pc }
        firms(first: 4, after: $after, year: 2015) { totalCount pageInfo { hasNextPage endCursor } nodes { id name cityCode techIntensive strategicEmerging listed listedOn stFlag financial history { year revenue employees assets leverage rnd patents valuationUsd revenueGrowth kind intendedKind } } }
        neighbours(type: DISTANCE, km: 150) { distanceKm sharedKm city { code name lat lon areaKm2 } }
      }
    }`, { after: 'ZmlybToy' }],
  ['nearest (distance order kept), a computed tolerance and the N+1 test query', `
    { near: cities(filter: { nearest: { lon: 118.8, lat: 32.05, k: 5 } }) { nodes { code metrics(years: [2019]) { gdp } boundary(simplify: 0.0123) } }
      far: cities(first: 3, after: "Y2l0eTo2NTAwMDA") { pageInfo { hasNextPage endCursor } nodes { code boundary } } }`],
  ['the N+1 test query', NESTED_ALL_CITIES, { first: 40 }],
  ['the peer queries', `{ one: city(code: "110000") { name metrics { year gdp } }
      all: cities(first: 1000) { nodes { code name metrics { year gdp population } firms(first: 1000) { nodes { id name } } neighbours { city { code metrics(years: [2019]) { gdp } } } } } }`],
];

describe(`look-ahead planning on ${dbKind}`, () => {
  it.each(Object.entries(PEER))('answers the peer query %s in one statement, as the DataLoader path does', async (_name, query) => {
    const { planned, unplanned } = await both(query);
    expect(planned.errors).toBeUndefined();
    expect(planned.statements).toBe(1);
    expect(unplanned.statements).toBeGreaterThan(1);
    expect(planned.data).toEqual(unplanned.data);
  });

  it.each(SHAPES)('same answer as the DataLoader path: %s', async (_name, query, variables) => {
    const { planned, unplanned } = await both(query, variables);
    expect(planned.errors).toBeUndefined();
    expect(unplanned.errors).toBeUndefined();
    expect(planned.data).toEqual(unplanned.data);
    expect(planned.statements).toBeLessThan(unplanned.statements);
  });

  it('plans the N+1 test query into one statement at any page size', async () => {
    for (const first of [5, 100, 1000]) expect((await gql(NESTED_ALL_CITIES, { first })).statements).toBe(1);
  });

  it('leaves what it does not plan to the loaders: a tolerance that is not stored costs one batched statement', async () => {
    const r = await gql('{ cities(first: 1000) { nodes { code boundary(simplify: 0.0123) metrics(years: [2019]) { gdp } } } }');
    expect(r.errors).toBeUndefined();
    expect(r.statements).toBe(2);
    expect(r.data!.cities.nodes.length).toBeGreaterThanOrEqual(300);
  });

  it('reports bad arguments exactly as the DataLoader path does', async () => {
    for (const q of [
      '{ cities(first: 3) { nodes { code metrics(years: [1800]) { gdp } } } }',
      '{ city(code: "320100") { firms(first: 0) { totalCount } } }',
      '{ city(code: "320100") { neighbours(type: KNN, k: 500) { distanceKm } } }',
      '{ cities(first: 2) { nodes { boundary(simplify: -1) } } }',
      '{ city(code: "320100") { firms(after: "Y2l0eTozMjAxMDA") { totalCount } } }',
    ]) {
      const { planned, unplanned } = await both(q);
      expect(planned.errors?.map((e) => [e.message, e.extensions?.argument, e.path])).toEqual(unplanned.errors?.map((e) => [e.message, e.extensions?.argument, e.path]));
      expect(planned.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(planned.data).toEqual(unplanned.data);
    }
    const missing = await both('{ city(code: "999999") { name metrics { year } } }');
    expect(missing.planned.errors?.[0].extensions?.argument).toBe('code');
    expect(missing.planned.errors?.[0].message).toBe(missing.unplanned.errors?.[0].message);
  });

  it('serves held outlines from the process and re-reads them after the geometry version changes', async () => {
    const { db } = await getStore();
    const q = '{ cities(filter: { province: ["江苏省"] }, first: 100) { nodes { code boundary(simplify: 0.005) } } }';
    const cold = await gql(q);
    const warm = await gql(q);
    expect(warm.data).toEqual(cold.data);
    expect(warm.statements).toBe(1);
    await db.query(sql`UPDATE dataset_meta SET value = (value::bigint + 1)::text WHERE key = 'geometry_version'`);
    const after = await gql(q);
    expect(after.data).toEqual(cold.data);
    expect(after.statements).toBe(1);
    const { unplanned } = await both(q);
    expect(after.data).toEqual(unplanned.data);
    for (const n of after.data!.cities.nodes as { boundary: { type: string } }[]) expect(n.boundary.type).toBe('MultiPolygon');
  });

  it('sends, in the same statement, the outlines a process does not hold yet', async () => {
    const { db } = await getStore();
    await db.query(sql`UPDATE dataset_meta SET value = (value::bigint + 1)::text WHERE key = 'geometry_version'`);
    const some = await gql('{ cities(filter: { province: ["浙江省"] }, first: 100) { nodes { code boundary(simplify: 0.02) } } }');
    expect(some.statements).toBe(1); // a new version: the statement sends the texts, and the process keeps them
    const q = '{ cities(first: 1000) { nodes { code boundary(simplify: 0.02) } } }';
    const first = await gql(q);
    expect(first.statements).toBe(1); // the held ones from the process, the others from the statement
    const again = await gql(q);
    expect(again.statements).toBe(1);
    const { unplanned } = await both(q);
    expect(first.data).toEqual(unplanned.data);
    expect(again.data).toEqual(unplanned.data);
    expect((again.data!.cities.nodes as unknown[]).length).toBeGreaterThanOrEqual(300);
  });
});
