// spatialAutocorrelation over GraphQL: every number equals the spatial library called directly on the same vector and
// the same stored weights; sanity on a smooth variable; islands and missing values left out; bad arguments named.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { cityYearVariable, storedWeights, withoutUnits, type StoredWeightsSpec } from '../src/db/queries/weights.js';
import { sql } from '../src/db/sql.js';
import { nqpScores } from '../src/domain/index.js';
import {
  gearyTest, lag, localMoran, localMoranPermutation, moranPermutation, moranTest, type SpatialWeights,
} from '../src/estimation/spatial/index.js';
import { dbKind, getStore, gql } from './helpers/store.js';

const HAINAN = ['460100', '460200', '460300', '460400'];

const Q = `query ($variable: String!, $year: Int!, $weights: WeightsInput, $permutations: Int, $seed: Int) {
  spatialAutocorrelation(variable: $variable, year: $year, weights: $weights, permutations: $permutations, seed: $seed) {
    variable year islands missing
    weights { type k km style n links meanNeighbours }
    moran { I expectation variance z pValue }
    moranPermutation { permutations seed mean variance z pValue }
    geary { C expectation variance z pValue }
    local { code value spatialLag Ii expectation variance z pValue quadrant pSim zSim }
  }
}`;

type Result = {
  variable: string; year: number; islands: string[]; missing: string[];
  weights: { type: string; k: number | null; km: number | null; style: string; n: number; links: number; meanNeighbours: number };
  moran: { I: number; expectation: number; variance: number; z: number; pValue: number };
  moranPermutation: { permutations: number; seed: number; mean: number; variance: number; z: number; pValue: number } | null;
  geary: { C: number; expectation: number; variance: number; z: number; pValue: number };
  local: { code: string; value: number; spatialLag: number; Ii: number; expectation: number; variance: number; z: number; pValue: number; quadrant: string; pSim: number | null; zSim: number | null }[];
};

async function run(variables: Record<string, unknown>): Promise<Result> {
  const r = await gql<{ spatialAutocorrelation: Result }>(Q, variables);
  expect(r.errors).toBeUndefined();
  return r.data!.spatialAutocorrelation;
}

async function errorOf(variables: Record<string, unknown>) {
  const r = await gql(Q, variables);
  expect(r.errors?.length).toBe(1);
  return { code: r.errors![0].extensions?.code, argument: r.errors![0].extensions?.argument, message: r.errors![0].message };
}

/** The library's answer, computed here without the resolver: same store, same weights, same vector. */
async function direct(db: Db, variable: string, year: number, spec: StoredWeightsSpec) {
  const values = new Map((await cityYearVariable(db, variable, year)).map((r) => [r.code, r.value as number]));
  const full = await storedWeights(db, spec, [...values.keys()]);
  const w = withoutUnits(full, full.islands!);
  const x = Float64Array.from(w.ids, (id) => values.get(id)!);
  return { w, x, islands: full.islands! };
}

function expectSameAsLibrary(r: Result, w: SpatialWeights, x: Float64Array) {
  const m = moranTest(x, w), g = gearyTest(x, w), loc = localMoran(x, w), wx = lag(w, x);
  expect(r.moran).toEqual({ I: m.I, expectation: m.expectation, variance: m.variance, z: m.z, pValue: m.pValue });
  expect(r.geary).toEqual({ C: g.C, expectation: g.expectation, variance: g.variance, z: g.z, pValue: g.pValue });
  expect(r.local.map((l) => l.code)).toEqual(w.ids);
  r.local.forEach((l, i) => {
    expect(l.value).toBe(x[i]);
    expect(l.spatialLag).toBe(wx[i]);
    expect([l.Ii, l.expectation, l.variance, l.z, l.pValue, l.quadrant]).toEqual([loc[i].Ii, loc[i].expectation, loc[i].variance, loc[i].z, loc[i].pValue, loc[i].quadrant]);
  });
}

describe(`spatialAutocorrelation on ${dbKind}`, () => {
  let db: Db;
  let year: number;
  beforeAll(async () => {
    db = (await getStore()).db;
    [{ year }] = await db.query<{ year: number }>(sql`SELECT max(year)::int AS year FROM city_year`);
  });

  it('defaults to row-standardised queen weights, leaves the Hainan islands out and equals the library exactly', async () => {
    const r = await run({ variable: 'population', year });
    const { w, x, islands } = await direct(db, 'population', year, { type: 'QUEEN', style: 'W' });
    expect(islands).toEqual(HAINAN);
    expect(r.islands).toEqual(HAINAN);
    expect(r.missing).toEqual([]);
    expect(r.weights).toEqual({ type: 'QUEEN', k: null, km: null, style: 'W', n: 334, links: 1796, meanNeighbours: 1796 / 334 });
    expect(r.moranPermutation).toBeNull();
    expectSameAsLibrary(r, w, x);
    for (const l of r.local) expect(l.pSim).toBeNull();
  });

  it('equals the library for KNN (binary) and DISTANCE weights on other variables', async () => {
    const knn = await run({ variable: 'gdp', year, weights: { type: 'KNN', k: 6, style: 'B' } });
    const a = await direct(db, 'gdp', year, { type: 'KNN', k: 6, style: 'B' });
    expect(knn.islands).toEqual([]);
    expect(knn.weights).toMatchObject({ type: 'KNN', k: 6, km: null, style: 'B', n: 338, links: 338 * 6 });
    expectSameAsLibrary(knn, a.w, a.x);
    const dist = await run({ variable: 'urbanShare', year, weights: { type: 'DISTANCE', km: 250 } });
    const b = await direct(db, 'urbanShare', year, { type: 'DISTANCE', km: 250, style: 'W' });
    expect(dist.islands).toEqual(b.islands);
    expect(dist.islands.length).toBeGreaterThan(0);
    expect(dist.weights.n).toBe(338 - b.islands.length);
    expectSameAsLibrary(dist, b.w, b.x);
  });

  it('adds a seeded permutation test and local permutation p-values when permutations > 0', async () => {
    const r = await run({ variable: 'dfu', year, permutations: 199, seed: 7 });
    const { w, x } = await direct(db, 'dfu', year, { type: 'QUEEN', style: 'W' });
    const p = moranPermutation(x, w, 199, 7);
    expect(r.moranPermutation).toEqual({ permutations: 199, seed: 7, mean: p.expectation, variance: p.variance, z: p.z, pValue: p.pValue });
    const lp = localMoranPermutation(x, w, 199, 7);
    r.local.forEach((l, i) => { expect(l.pSim).toBe(lp[i].pSim); expect(l.zSim).toBe(lp[i].zSim); });
    expect(r.moranPermutation!.pValue).toBeGreaterThanOrEqual(1 / 200);
    expect((await run({ variable: 'dfu', year, permutations: 199, seed: 7 })).moranPermutation).toEqual(r.moranPermutation);
    const other = await run({ variable: 'dfu', year, permutations: 199, seed: 8 });
    expect(other.moranPermutation!.mean).not.toBe(r.moranPermutation!.mean);
    expect((await run({ variable: 'dfu', year, permutations: 199 })).moranPermutation!.seed).toBe(1);
  });

  it('serves the domain variables NQP and RTA', async () => {
    const r = await run({ variable: 'NQP', year });
    const nqp = new Map((await nqpScores(db)).rows.filter((q) => q.year === year).map((q) => [q.cityCode, q.nqp]));
    for (const l of r.local) expect(l.value).toBe(nqp.get(l.code));
    expect(r.weights.n + r.islands.length + r.missing.length).toBe(nqp.size);
    const rta = await run({ variable: 'RTA', year });
    expect(rta.local.length).toBeGreaterThan(300);
    expect(Number.isFinite(rta.moran.I)).toBe(true);
  });

  it("sanity: a latitude-driven (spatially smooth) variable has Moran's I > 0.5 and Geary's C < 0.5 on the stored weights", async () => {
    const w0 = await storedWeights(db, { type: 'QUEEN', style: 'W' });
    const w = withoutUnits(w0, w0.islands!);
    const lat = new Map((await db.query<{ code: string; y: number }>(sql`SELECT code::text, ST_Y(centroid) AS y FROM city`)).map((r) => [r.code, r.y]));
    const x = Float64Array.from(w.ids, (id) => 100 + 3 * lat.get(id)!);
    const m = moranTest(x, w);
    expect(m.I).toBeGreaterThan(0.5);
    expect(m.pValue).toBeLessThan(1e-10);
    expect(gearyTest(x, w).C).toBeLessThan(0.5);
    const knn = await storedWeights(db, { type: 'KNN', k: 4, style: 'W' });
    expect(moranTest(Float64Array.from(knn.ids, (id) => lat.get(id)!), knn).I).toBeGreaterThan(0.5);
  });

  it('resolves the city of each local row in one batched statement', async () => {
    const r = await gql<{ spatialAutocorrelation: { local: { code: string; city: { code: string; name: string } }[] } }>(
      `{ spatialAutocorrelation(variable: "pc", year: ${year}) { local { code city { code name } } } }`);
    expect(r.errors).toBeUndefined();
    const rows = r.data!.spatialAutocorrelation.local;
    expect(rows.length).toBe(334);
    for (const l of rows) expect(l.city.code).toBe(l.code);
    expect(rows.find((l) => l.code === '320100')!.city.name).toContain('南京');
    expect(r.statements).toBeLessThanOrEqual(3); // values, weights, cities
  });

  it('lists the accepted variables', async () => {
    const r = await gql<{ spatialVariables: string[] }>('{ spatialVariables }');
    expect(r.data!.spatialVariables).toEqual(expect.arrayContaining(['population', 'urbanShare', 'gdp', 'dfu', 'rid', 'pc', 'NQP', 'RTA']));
  });

  it('rejects bad arguments with BAD_USER_INPUT naming the argument', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ variable: 'popul', year }, 'variable', /unknown variable "popul"/],
      [{ variable: 'nqp_indicators', year }, 'variable', /unknown variable/],
      [{ variable: 'population', year: 2035 }, 'year', /no city-year data for 2035; stored years are \d{4}-\d{4}/],
      [{ variable: 'population', year: 1800 }, 'year', /between 1900 and 2100/],
      [{ variable: 'population', year, weights: { type: 'QUEEN', k: 3 } }, 'weights.k', /KNN weights only/],
      [{ variable: 'population', year, weights: { type: 'KNN', k: 0 } }, 'weights.k', /from 1 to 100/],
      [{ variable: 'population', year, weights: { type: 'KNN', km: 50 } }, 'weights.km', /DISTANCE weights only/],
      [{ variable: 'population', year, weights: { type: 'DISTANCE', km: -1 } }, 'weights.km', /above 0/],
      [{ variable: 'population', year, weights: { type: 'DISTANCE', km: 1 } }, 'weights', /only 0 cities with neighbours/],
      [{ variable: 'population', year, permutations: -1 }, 'permutations', /from 0 to 9999/],
      [{ variable: 'population', year, permutations: 100000 }, 'permutations', /from 0 to 9999/],
    ];
    for (const [vars, argument, message] of cases) {
      const e = await errorOf(vars);
      expect(e, JSON.stringify(vars)).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(e.message).toMatch(message);
    }
    const style = await gql(Q, { variable: 'population', year, weights: { type: 'QUEEN', style: 'X' } });
    expect(style.errors![0].message).toMatch(/WeightsStyle/); // enum values are checked by GraphQL itself
  });
});
