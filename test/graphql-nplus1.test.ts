// No N+1: the statements a nested query issues do not grow with the number of cities it covers.
import { describe, expect, it } from 'vitest';
import { dbKind, gql } from './helpers/store.js';

const DEEP = `query ($first: Int!) {
  cities(first: $first) {
    nodes {
      code boundary(simplify: 0.05)
      metrics { year population dfu }
      firms(first: 5) { totalCount nodes { id name city { code } history { year revenue kind } } }
      neighbours { sharedKm city { code name metrics(years: [2019]) { year } } }
    }
  }
}`;

describe(`statement count on ${dbKind}`, () => {
  it('is the same for 5 cities and for all cities x 20 years x firms x neighbours', async () => {
    const small = await gql(DEEP, { first: 5 });
    const all = await gql(DEEP, { first: 1000 });
    expect(small.errors).toBeUndefined();
    expect(all.errors).toBeUndefined();
    const nodes = all.data!.cities.nodes as any[];
    expect(nodes.length).toBeGreaterThanOrEqual(300);
    expect(nodes[0].metrics).toHaveLength(20);
    expect(nodes.some((c) => c.firms.nodes.length > 0 && c.firms.nodes[0].history.length > 0)).toBe(true);
    expect(all.statements).toBe(small.statements);
    expect(all.statements).toBeLessThanOrEqual(10);
  });
});
