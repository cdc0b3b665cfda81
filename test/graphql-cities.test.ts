// The nested city query on real boundaries: counts, GeoJSON validity, contiguity facts, filters and bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import { dbKind, getStore, gql } from './helpers/store.js';

// Island cities (Hainan's prefecture-level cities, the Sansha islands, the Zhoushan archipelago):
// the only units allowed to have no contiguity neighbours.
const ISLANDS = new Set(['460100', '460200', '460300', '460400', '330900']);

const NESTED = `query ($first: Int!) {
  cities(first: $first) {
    totalCount
    nodes {
      code name province region
      boundary(simplify: 0.01)
      neighbours { city { code } sharedKm }
      metrics(years: [2019]) { year population nqpIndicators }
    }
  }
}`;

type NestedCity = {
  code: string; name: string; province: string; region: string; boundary: { type: string; coordinates: number[][][][] };
  neighbours: { city: { code: string }; sharedKm: number }[]; metrics: { year: number; population: number; nqpIndicators: number[] }[];
};

describe(`cities on ${dbKind}`, () => {
  let cities: NestedCity[];
  beforeAll(async () => {
    await getStore();
    const r = await gql<{ cities: { totalCount: number; nodes: NestedCity[] } }>(NESTED, { first: 1000 });
    expect(r.errors).toBeUndefined();
    cities = r.data!.cities.nodes;
  });

  it('returns at least 300 real cities with valid simplified MultiPolygons and 2019 metrics', () => {
    expect(cities.length).toBeGreaterThanOrEqual(300);
    for (const c of cities) {
      expect(c.code).toMatch(/^[1-8]\d{5}$/);
      expect(['East', 'Central', 'West']).toContain(c.region);
      expect(c.boundary.type).toBe('MultiPolygon');
      for (const ring of c.boundary.coordinates.flat()) {
        expect(ring.length).toBeGreaterThanOrEqual(4);
        expect(ring[0]).toEqual(ring[ring.length - 1]);
        for (const [lon, lat] of ring) {
          expect(lon).toBeGreaterThan(73);
          expect(lon).toBeLessThan(136);
          expect(lat).toBeGreaterThan(3);
          expect(lat).toBeLessThan(54);
        }
      }
      expect(c.metrics.map((m) => m.year)).toEqual([2019]);
    }
  });

  it('finds 南京 and 扬州 as neighbours although their outlines overlap by slivers', () => {
    const nanjing = cities.find((c) => c.code === '320100')!;
    expect(nanjing.name).toContain('南京');
    const yz = nanjing.neighbours.find((n) => n.city.code === '321000');
    expect(yz).toBeDefined();
    expect(yz!.sharedKm).toBeGreaterThan(40);
  });

  it('has symmetric neighbour relations', () => {
    const set = new Set(cities.flatMap((c) => c.neighbours.map((n) => `${c.code}>${n.city.code}`)));
    for (const key of set) {
      const [a, b] = key.split('>');
      expect(set.has(`${b}>${a}`), `${b} should list ${a}`).toBe(true);
    }
  });

  it('leaves only island cities without neighbours', () => {
    const lonely = cities.filter((c) => c.neighbours.length === 0).map((c) => `${c.code} ${c.name}`);
    for (const l of lonely) expect(ISLANDS.has(l.slice(0, 6)), `${l} has no neighbour but is not an island`).toBe(true);
  });

  it('ROOK is a subset of QUEEN; KNN returns exactly k; DISTANCE stays inside the band', async () => {
    const r = await gql(`{ city(code: "320100") {
      q: neighbours(type: QUEEN) { city { code } }
      r: neighbours(type: ROOK) { city { code } sharedKm }
      k: neighbours(type: KNN, k: 5) { city { code } distanceKm }
      d: neighbours(type: DISTANCE, km: 150) { distanceKm }
    } }`);
    expect(r.errors).toBeUndefined();
    const c = r.data!.city;
    const queen = new Set(c.q.map((n: any) => n.city.code));
    for (const n of c.r) { expect(queen.has(n.city.code)).toBe(true); expect(n.sharedKm).toBeGreaterThanOrEqual(1); }
    expect(c.k).toHaveLength(5);
    const dk = c.k.map((n: any) => n.distanceKm);
    expect([...dk].sort((a: number, b: number) => a - b)).toEqual(dk);
    expect(c.d.length).toBeGreaterThan(0);
    for (const n of c.d) expect(n.distanceKm).toBeLessThanOrEqual(150);
  });
});

describe(`spatial filters on ${dbKind}`, () => {
  it('containsPoint finds the city under a point (新街口, 南京)', async () => {
    const r = await gql(`{ cities(filter: { containsPoint: { lon: 118.78, lat: 32.04 } }) { nodes { code name } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.cities.nodes.map((c: any) => c.code)).toEqual(['320100']);
  });

  it('bbox, intersects and withinDistance agree on a small box around 南京', async () => {
    const box = [118.7, 32.0, 118.9, 32.1];
    const poly = { type: 'Polygon', coordinates: [[[118.7, 32.0], [118.9, 32.0], [118.9, 32.1], [118.7, 32.1], [118.7, 32.0]]] };
    const a = await gql(`query ($b: [Float!]) { cities(filter: { bbox: $b }) { nodes { code } } }`, { b: box });
    const b = await gql(`query ($g: GeoJSON) { cities(filter: { intersects: $g }) { nodes { code } } }`, { g: poly });
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(a.data!.cities.nodes).toEqual(b.data!.cities.nodes);
    expect(a.data!.cities.nodes.map((c: any) => c.code)).toContain('320100');
    const w = await gql(`{ cities(filter: { withinDistance: { lon: 118.78, lat: 32.04, km: 60 } }) { nodes { code } } }`);
    const codes = w.data!.cities.nodes.map((c: any) => c.code);
    expect(codes).toContain('320100');
    expect(codes).toContain('321000'); // 扬州 lies within 60 km of central 南京
    expect(codes).not.toContain('110100');
  });

  it('nearest returns k cities, nearest first, the containing city first', async () => {
    const r = await gql(`{ cities(filter: { nearest: { lon: 121.47, lat: 31.23, k: 3 } }) { nodes { code } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.cities.nodes).toHaveLength(3);
    expect(r.data!.cities.nodes[0].code).toBe('310000');
  });

  it('filters by province and region and pages with cursors without overlap', async () => {
    const p1 = await gql(`{ cities(filter: { province: ["江苏省"] }, first: 5) { totalCount nodes { code province } pageInfo { hasNextPage endCursor } } }`);
    expect(p1.errors).toBeUndefined();
    expect(p1.data!.cities.totalCount).toBe(13);
    expect(p1.data!.cities.pageInfo.hasNextPage).toBe(true);
    const p2 = await gql(`query ($a: String) { cities(filter: { province: ["江苏省"] }, first: 20, after: $a) { nodes { code } pageInfo { hasNextPage } } }`, { a: p1.data!.cities.pageInfo.endCursor });
    const all = [...p1.data!.cities.nodes.map((c: any) => c.code), ...p2.data!.cities.nodes.map((c: any) => c.code)];
    expect(new Set(all).size).toBe(13);
    expect(p2.data!.cities.pageInfo.hasNextPage).toBe(false);
    const west = await gql(`{ cities(filter: { region: [West] }, first: 1000) { nodes { province } } }`);
    expect(west.data!.cities.nodes.length).toBeGreaterThan(50);
    expect(west.data!.cities.nodes.some((c: any) => c.province.startsWith('江苏'))).toBe(false);
  });

  it('says the demo firms and metrics are synthetic', async () => {
    const r = await gql(`{ dataset { synthetic description cities firms cityYears } }`);
    expect(r.data!.dataset.synthetic).toBe(true);
    expect(r.data!.dataset.description).toMatch(/SYNTHETIC/);
    expect(r.data!.dataset.cityYears).toBe(r.data!.dataset.cities * 20);
  });
});

describe(`bad arguments on ${dbKind}`, () => {
  const cases: [string, string, string][] = [
    ['negative k', `{ city(code: "320100") { neighbours(type: KNN, k: -2) { distanceKm } } }`, 'k'],
    ['bbox outside lon/lat', `{ cities(filter: { bbox: [100, 20, 200, 30] }) { totalCount } }`, 'filter.bbox'],
    ['bbox of 3 numbers', `{ cities(filter: { bbox: [100, 20, 110] }) { totalCount } }`, 'filter.bbox'],
    ['malformed GeoJSON', `{ cities(filter: { intersects: { type: "Polygon", coordinates: [[1, 2]] } }) { totalCount } }`, 'filter.intersects'],
    ['self-intersecting polygon', `{ cities(filter: { intersects: { type: "Polygon", coordinates: [[[0,0],[1,1],[1,0],[0,1],[0,0]]] } }) { totalCount } }`, 'filter.intersects'],
    ['unknown code', `{ city(code: "999999") { name } }`, 'code'],
    ['malformed code', `{ city(code: "abc") { name } }`, 'code'],
    ['first = 0', `{ cities(first: 0) { totalCount } }`, 'first'],
    ['negative simplify', `{ city(code: "320100") { boundary(simplify: -1) } }`, 'simplify'],
    ['foreign cursor', `{ cities(after: "bm9wZQ") { totalCount } }`, 'after'],
    ['negative km', `{ cities(filter: { withinDistance: { lon: 118, lat: 32, km: -5 } }) { totalCount } }`, 'filter.withinDistance.km'],
  ];
  for (const [name, q, arg] of cases) {
    it(`${name} → BAD_USER_INPUT naming ${arg}`, async () => {
      const r = await gql(q);
      expect(r.errors?.length).toBe(1);
      expect(r.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors![0].extensions?.argument).toBe(arg);
      expect(r.errors![0].message).toContain(arg);
    });
  }
});
