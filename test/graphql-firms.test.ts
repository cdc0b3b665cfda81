// Firms under a city: kind filters use the stored per-year classification; histories explain each year's kind.
import { describe, expect, it } from 'vitest';
import { dbKind, gql } from './helpers/store.js';

describe(`firms on ${dbKind}`, () => {
  it('filters by kind and year, and every returned firm was that kind that year, with reasons', async () => {
    const r = await gql(`{ cities(filter: { province: ["江苏省", "浙江省", "广东省"] }, first: 50) { nodes {
      code firms(kind: GAZELLE, year: 2015, first: 100) { totalCount nodes { id cityCode city { code } history { year kind reasons intendedKind } } }
    } } }`);
    expect(r.errors).toBeUndefined();
    const cities = r.data!.cities.nodes as any[];
    const firms = cities.flatMap((c) => c.firms.nodes.map((f: any) => ({ ...f, parent: c.code })));
    expect(firms.length).toBeGreaterThan(0);
    for (const f of firms) {
      expect(f.city.code).toBe(f.parent);
      const y = f.history.find((h: any) => h.year === 2015);
      expect(y.kind).toBe('GAZELLE');
      expect(y.reasons.length).toBeGreaterThan(0);
    }
    for (const c of cities) expect(c.firms.totalCount).toBeGreaterThanOrEqual(c.firms.nodes.length);
  });

  it('classifies each year from that year (kinds change over a life) and reproduces the generator on demo data', async () => {
    const r = await gql(`{ cities(first: 40) { nodes { firms(first: 50) { nodes { history { year kind intendedKind } } } } } }`);
    expect(r.errors).toBeUndefined();
    const histories = (r.data!.cities.nodes as any[]).flatMap((c) => c.firms.nodes.map((f: any) => f.history));
    let years = 0, changed = 0;
    for (const h of histories) {
      for (const y of h) { expect(y.kind).toBe(y.intendedKind); years++; }
      if (new Set(h.map((y: any) => y.kind)).size > 1) changed++;
    }
    expect(years).toBeGreaterThan(1000);
    expect(changed).toBeGreaterThan(10);
  });

  it('pages firms with cursors without overlap or loss', async () => {
    const q = `query ($a: String) { city(code: "320100") { firms(first: 7, after: $a) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } }`;
    const seen: number[] = [];
    let after: string | null = null, total = 0;
    for (let i = 0; i < 50; i++) {
      const r: any = await gql(q, { a: after });
      expect(r.errors).toBeUndefined();
      const page = r.data.city.firms;
      total = page.totalCount;
      seen.push(...page.nodes.map((n: any) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    // past the last firm: an empty page that still knows the total
    const end: any = await gql(q, { a: Buffer.from(`firm:${seen[seen.length - 1]}`).toString('base64url') });
    expect(end.data.city.firms.nodes).toEqual([]);
    expect(end.data.city.firms.totalCount).toBe(total);
    expect(end.data.city.firms.pageInfo.hasNextPage).toBe(false);
  });

  it('rejects a firm cursor from another field and an unknown firm id', async () => {
    const bad = await gql(`{ city(code: "320100") { firms(after: "Y2l0eTozMjAxMDA") { totalCount } } }`);
    expect(bad.errors?.[0].extensions?.argument).toBe('after');
    const none = await gql(`{ firm(id: -5) { name } }`);
    expect(none.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(none.errors?.[0].extensions?.argument).toBe('id');
  });
});
