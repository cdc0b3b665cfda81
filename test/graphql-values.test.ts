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
      const r: any = await gql(TOP, { v: 'population', first: 37, after });
      expect(r.errors).toBeUndefined();
      seen.push(...r.data.cities.nodes.map((n: { code: string }) => n.code));
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

describe('cityStats and firmCounts equal GROUP BY in SQL', () => {
  it('cityStats by province (gdp, population) equals GROUP BY', async () => {
    const { db } = await getStore();
    const ref = await db.query<{ g: string; n: number; cnt: number; mean: number; sd: number; min: number; max: number; sum: number; pmean: number }>(sql`
      SELECT c.province AS g, count(*)::int AS n, count(y.gdp)::int AS cnt, avg(y.gdp) AS mean, stddev_samp(y.gdp) AS sd, min(y.gdp) AS min,
             max(y.gdp) AS max, sum(y.gdp) AS sum, avg(y.population) AS pmean
      FROM city c LEFT JOIN city_year y ON y.city_code = c.code AND y.year = 2019 GROUP BY c.province ORDER BY c.province`);
    const r = await gql(`{ cityStats(groupBy: PROVINCE, year: 2019, variables: ["gdp", "population"]) { group n values { variable n mean sd min max sum } } }`);
    expect(r.errors).toBeUndefined();
    const got = r.data!.cityStats;
    expect(got.map((g: { group: string }) => g.group)).toEqual(ref.map((x) => x.g));
    got.forEach((g: any, i: number) => {
      expect(g.n).toBe(ref[i].n);
      expect(g.values[0]).toMatchObject({ variable: 'gdp', n: ref[i].cnt });
      for (const k of ['mean', 'min', 'max', 'sum'] as const) expect(g.values[0][k]).toBeCloseTo(ref[i][k], 6);
      if (ref[i].sd === null) expect(g.values[0].sd).toBeNull(); else expect(g.values[0].sd).toBeCloseTo(ref[i].sd, 6);
      expect(g.values[1].mean).toBeCloseTo(ref[i].pmean, 6);
    });
  });

  it('cityStats of NQP over ALL equals the mean of the domain values', async () => {
    const r = await gql(`{ cityStats(year: 2019, variables: ["NQP"]) { group n values { n mean } } cities(first: 1000) { nodes { nqp(year: 2019) } } }`);
    expect(r.errors).toBeUndefined();
    const vals = r.data!.cities.nodes.map((c: { nqp: number | null }) => c.nqp).filter((x: number | null) => x !== null) as number[];
    expect(r.data!.cityStats).toHaveLength(1);
    expect(r.data!.cityStats[0].group).toBe('all');
    expect(r.data!.cityStats[0].values[0].n).toBe(vals.length);
    expect(r.data!.cityStats[0].values[0].mean).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / vals.length, 10);
  });

  it('firmCounts by province / industry, of a kind, equal GROUP BY', async () => {
    const { db } = await getStore();
    const [{ v }] = await db.query<{ v: string }>(sql`SELECT DISTINCT rule_version AS v FROM firm_kind LIMIT 1`);
    const ref = await db.query<{ group: string; count: number }>(sql`
      SELECT c.province AS "group", count(*)::int AS count FROM firm f JOIN city c ON c.code = f.city_code
      JOIN firm_kind k ON k.firm_id = f.id AND k.year = 2019 AND k.kind = 'gazelle' AND k.rule_version = ${v} GROUP BY 1 ORDER BY 1`);
    const r = await gql(`{ firmCounts(groupBy: PROVINCE, year: 2019, kind: GAZELLE) { group count } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.firmCounts).toEqual(ref);
    const ind = await db.query<{ group: string; count: number }>(sql`
      SELECT f.industry AS "group", count(*)::int AS count FROM firm f JOIN firm_year y ON y.firm_id = f.id AND y.year = 2015 GROUP BY 1 ORDER BY 1`);
    const r2 = await gql(`{ firmCounts(groupBy: INDUSTRY, year: 2015) { group count } }`);
    expect(r2.data!.firmCounts).toEqual(ind);
  });
});

describe('firms: filter and orderBy', () => {
  it('top-level: listed gazelles of Jiangsu with revenue > x in 2019, sorted by revenue, equal SQL; pages visit each once', async () => {
    const { db } = await getStore();
    const [{ v }] = await db.query<{ v: string }>(sql`SELECT DISTINCT rule_version AS v FROM firm_kind LIMIT 1`);
    const ref = await db.query<{ id: number }>(sql`
      SELECT f.id FROM firm f JOIN city c ON c.code = f.city_code JOIN firm_year y ON y.firm_id = f.id AND y.year = 2019
      WHERE c.province = '江苏省' AND y.revenue > 10 AND f.founded >= '2005-01-01'
      ORDER BY y.revenue DESC, f.id`);
    expect(ref.length).toBeGreaterThan(5);
    const q = `query($after: String) { firms(filter: { province: ["江苏省"], founded: { from: "2005" }, values: [{ variable: "revenue", year: 2019, gt: 10 }] },
      orderBy: [{ variable: "revenue", year: 2019, direction: DESC }], first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }`;
    const seen: number[] = [];
    let after: string | null = null;
    for (let i = 0; i < 200; i++) {
      const r: any = await gql(q, { after });
      expect(r.errors).toBeUndefined();
      expect(r.data.firms.totalCount).toBe(ref.length);
      seen.push(...r.data.firms.nodes.map((n: { id: number }) => n.id));
      if (!r.data.firms.pageInfo.hasNextPage) break;
      after = r.data.firms.pageInfo.endCursor;
    }
    expect(seen).toEqual(ref.map((x) => x.id));
    const kinds = await db.query<{ id: number }>(sql`SELECT f.id FROM firm f JOIN firm_kind k ON k.firm_id = f.id AND k.year = 2019 AND k.kind = 'unicorn' AND k.rule_version = ${v} ORDER BY f.id`);
    const r = await gql(`{ firms(filter: { kind: UNICORN, year: 2019 }, first: 1000) { totalCount nodes { id } } }`);
    expect(r.data!.firms.nodes.map((n: { id: number }) => n.id)).toEqual(kinds.map((x) => x.id));
  });

  it('under a city: sorted by founded per city, one statement for all cities, equal SQL', async () => {
    const { db } = await getStore();
    const ref = await db.query<{ code: string; ids: number[] }>(sql`
      SELECT c.code::text AS code, (SELECT coalesce(array_agg(id ORDER BY founded DESC, id), '{}') FROM (SELECT f.id, f.founded FROM firm f WHERE f.city_code = c.code AND f.listed = false ORDER BY f.founded DESC, f.id LIMIT 3) s) AS ids
      FROM city c WHERE c.province = '江苏省' ORDER BY c.code`);
    const r = await gql(`{ cities(filter: { province: ["江苏省"] }, first: 100) { nodes { code firms(filter: { listed: false }, orderBy: [{ variable: "founded", direction: DESC }], first: 3) { nodes { id founded } } } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.cities.nodes.map((c: any) => ({ code: c.code, ids: c.firms.nodes.map((f: { id: number }) => f.id) }))).toEqual(ref);
    expect(r.statements).toBeLessThanOrEqual(4);
  });

  it('bad input names the argument', async () => {
    const a = await gql(`{ firms(orderBy: [{ variable: "revenue" }]) { nodes { id } } }`);
    expect(a.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'orderBy[0].year' });
    const b = await gql(`{ firms(filter: { values: [{ variable: "gdp", year: 2019, gt: 1 }] }) { nodes { id } } }`);
    expect(b.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.values[0].variable' });
    const c = await gql(`{ firms(filter: { founded: { from: "last year" } }) { nodes { id } } }`);
    expect(c.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'filter.founded.from' });
  });
});
