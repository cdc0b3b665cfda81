// No N+1: the statements a nested query issues do not grow with the number of cities it covers.
import { describe, expect, it } from 'vitest';
import { dbKind, gql } from './helpers/store.js';
import { NESTED_ALL_CITIES } from './helpers/queries.js';

const DEEP = NESTED_ALL_CITIES;

describe(`statement count on ${dbKind}`, () => {
  it('does not grow from 5 cities to 100 to all cities x 20 years x firms x neighbours', async () => {
    const small = await gql(DEEP, { first: 5 });
    const mid = await gql(DEEP, { first: 100 });
    const all = await gql(DEEP, { first: 1000 });
    expect(small.errors).toBeUndefined();
    expect(mid.errors).toBeUndefined();
    expect(all.errors).toBeUndefined();
    expect(mid.statements).toBe(small.statements);
    const nodes = all.data!.cities.nodes as any[];
    expect(nodes.length).toBeGreaterThanOrEqual(300);
    expect(nodes[0].metrics).toHaveLength(20);
    expect(nodes.some((c) => c.firms.nodes.length > 0 && c.firms.nodes[0].history.length > 0)).toBe(true);
    // With every city on the page, neighbours' rows are already loaded: one statement fewer, never more.
    expect(all.statements).toBeLessThanOrEqual(small.statements);
    expect(small.statements).toBeLessThanOrEqual(8);
  });
});
