// Query.cities filter.values / orderBy, Query.firms, cityStats and firmCounts compared with the same question asked in
// plain SQL of the same store (both databases).
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/db/sql.js';
import { cityAgglomeration } from '../src/domain/index.js';
import { getStore, gql } from './helpers/store.js';

const TOP = `query($v: String!, $first: Int!, $after: String) {
  cities(orderBy: [{ variable: $v, year: 2019, direction: DESC }], first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { code name }
  }
}`;

beforeAll(async () => { await getStore(); });

describe('cities: orderBy and filter.values', () => {
  it('top 10 by gdp in 2019 equals ORDER BY in SQL (order and values)', async () => {
    const { db } = await getStore();
    const ref = await db.query<{ code: string }>(sql`SELECT city_code::text AS code FROM city_year WHERE year = 2019 ORDER BY gdp DESC NULLS LAST, city_code LIMIT 10`);
    const r = await gql(TOP, { v: 'gdp', first: 10 });
    expect(r.errors).toBeUndefined();
    expect(r.data!.cities.nodes.map((n: { code: string }) => n.code)).toEqual(ref.map((x) => x.code));
    expect(r.data!.cities.totalCount).toBe(338);
  });

  it('top 10 by RTA in 2019 equals the domain values sorted (nulls last, ties by code)', async () => {
    const { db } = await getStore();
    const rows = (await cityAgglomeration(db)).rows.filter((x) => x.year === 2019);
    const ref = [...rows].sort((a, b) => (a.rta === null ? 1 : 0) - (b.rta === null ? 1 : 0) || (b.rta ?? 0) - (a.rta ?? 0) || (a.cityCode < b.cityCode ? -1 : 1)).slice(0, 10);
    const r = await gql(`{ cities(orderBy: [{ variable: "RTA", year: 2019, direction: DESC }], first: 10) { nodes { code rta(year: 2019) } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.cities.nodes.map((n: { code: string }) => n.code)).toEqual(ref.map((x) => x.cityCode));
    r.data!.cities.nodes.forEach((n: { rta: number | null }, i: number) => expect(n.rta).toBe(ref[i].rta));
  });

  it('two conditions ANDed: the same set as WHERE in SQL', async () => {
    const { db } = await getStore();
    const ref = await db.query<{ code: string }>(sql`SELECT city_code::text AS code FROM city_year WHERE year = 2019 AND gdp > 3000 AND population < 600 ORDER BY city_code`);
    expect(ref.length).toBeGreaterThan(3);
    const r = await gql(`{ cities(filter: { values: [{ variable: "gdp", year: 2019, gt: 3000 }, { variable: "population", year: 2019, lt: 600 }] }, first: 1000) { totalCount nodes { code } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.cities.nodes.map((n: { code: string }) => n.code)).toEqual(ref.map((x) => x.code));
    expect(r.data!.cities.totalCount).toBe(ref.length);
  });

  it('keyset pagination under orderBy visits every city exactly once, in order', async () => {
    const { db } = await getStore();
    const ref = await db.query<{ code: string }>(sql`SELECT c.code::text AS code FROM city c LEFT JOIN city_year y ON y.city_code = c.code AND y.year = 2019
      ORDER BY (y.population IS NULL), y.population DESC, c.code`);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const r: { errors?: unknown; data?: { cities: { pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: { code: string }[] } } } = await gql(TOP, { v: 'population', first: 37, after });
      expect(r.errors).toBeUndefined();
      seen.push(...r.data!.cities.nodes.map((n) => n.code));
      if (!r.data!.cities.pageInfo.hasNextPage) break;
      after = r.data!.cities.pageInfo.endCursor;
    }
    expect(seen).toEqual(ref.map((x) => x.code));
    expect(new Set(seen).size).toBe(338);
  });

  it('bad input names the argument: unknown variable, year without data, a cursor of another order', async () => {
    const a = await gql(`{ cities(orderBy: [{ variable: "nope", year: 2019 }]) { nodes { code } } }`);
    expect(a.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'orderBy[0].variable' });
    expect(a.errors?.[0].message).toContain('nope');
    const b = await gql(`{ cities(filter: { values: [{ variable: "gdp", year: 1950, gt: 1 }] }) { nodes { code } } }`);
    expect(b.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.values[0].year' });
    const c = await gql(`{ cities(filter: { values: [{ variable: "gdp", year: 2019 }] }) { nodes { code } } }`);
    expect(c.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.values[0]' });
    const first = await gql(`{ cities(first: 2) { pageInfo { endCursor } } }`);
    const d = await gql(TOP, { v: 'gdp', first: 2, after: first.data!.cities.pageInfo.endCursor });
    expect(d.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});
