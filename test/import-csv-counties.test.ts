// Full acceptance on a fresh store (no demo): the us-atlas counties imported through the import core with exact
// contiguity (3,231 units), then a county-year CSV over four years with columns the schema has never seen
// (greenspace, wellbeing; seeded, true effect 0.8). GraphQL estimates FE and SAR (on the stored exact contiguity)
// and runs spatialAutocorrelation on the imported column; the estimates equal the CLI's (`agglomera estimate
// --data <the same CSV> --spec ...`, SAR weights from the counties GeoJSON) to 1e-10.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { graphql, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usAtlasCounties } from '../scripts/usatlas-geojson.js';
import { buildGraphQLSchema } from '../src/app.js';
import type { Db } from '../src/db/db.js';
import { storedWeights, withoutUnits } from '../src/db/queries/weights.js';
import { sql } from '../src/db/sql.js';
import { mulberry32 } from '../src/estimation/prng.js';
import { moranTest } from '../src/estimation/spatial/index.js';
import { runImport } from '../src/import/core.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { dropFreshDatabase, freshStore } from './helpers/fresh-store.js';
import { cliEstimate, expectSameCoefficients } from './helpers/estimate-cli.js';

const YEARS = [2015, 2016, 2017, 2018];
const TRUE_EFFECT = 0.8;

let db: Db;
let schema: GraphQLSchema;
let dir: string;
let csv: string;
const counties = usAtlasCounties();
let rows: { GEOID: string; year: number; greenspace: number | null; wellbeing: number }[] = [];

const normal = (r: { next(): number }) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

async function gql(query: string, variables?: Record<string, unknown>) {
  return graphql({ schema, source: query, variableValues: variables, contextValue: makeContext(db, { principal: { role: 'admin', anonymousRole: 'reader' } }) }) as Promise<{ data?: Record<string, any>; errors?: readonly any[] }>;
}

const cli = (spec: object) => cliEstimate(dir, path.join(dir, 'county-years.csv'), spec);
const expectSame = expectSameCoefficients;

beforeAll(async () => {
  db = await freshStore('import_panel_counties');
  schema = await buildGraphQLSchema();
  dir = mkdtempSync(path.join(os.tmpdir(), 'agglomera-counties-'));
  // features in code order, the order of the stored units (the weights' row order on both sides)
  const sorted = { ...counties, features: [...counties.features].sort((p, q) => (String(p.properties.GEOID) < String(q.properties.GEOID) ? -1 : 1)) };
  writeFileSync(path.join(dir, 'counties.geojson'), JSON.stringify(sorted));
  const rng = mulberry32(3231);
  const ids = counties.features.map((f) => String(f.properties.GEOID)).sort();
  const unit = new Map(ids.map((c) => [c, normal(rng)]));
  let k = 0;
  for (const id of ids) for (const y of YEARS) {
    const g = 3 + normal(rng) + 0.5 * unit.get(id)!;
    k++;
    // a few missing greenspace values, none in 2018 (the SAR year: the CLI's weights need every county's row)
    rows.push({ GEOID: id, year: y, greenspace: y !== 2018 && k % 101 === 0 ? null : g, wellbeing: TRUE_EFFECT * g + unit.get(id)! + 0.05 * (y - 2015) + 0.5 * normal(rng) });
  }
  csv = `GEOID,year,greenspace,wellbeing\n${rows.map((r) => `${r.GEOID},${r.year},${r.greenspace ?? 'NA'},${r.wellbeing}`).join('\n')}\n`;
  writeFileSync(path.join(dir, 'county-years.csv'), csv);
}, 600_000);

afterAll(async () => { await db?.close(); await dropFreshDatabase('import_panel_counties'); });

const ESTIMATE = `query($s: ModelSpecInput!) { estimate(spec: $s) { nobs warnings params { rho } coefficients { term estimate stdError } } }`;
const NEUTRAL = { dropBrokenCities: false, dropMissing: false, keepNqpOutliers: true, noWinsorize: true };

describe('us-atlas counties: boundaries, a county-year panel, estimates equal to the CLI', () => {
  it('imports 3,231 counties with exact contiguity, then the county-year CSV (new unit-years, two new variables)', async () => {
    const b = await runImport(db, 'boundaries', { fileName: 'counties.geojson', body: Buffer.from(JSON.stringify(counties)) }, { codeField: 'GEOID', repair: true, contiguity: 'exact' });
    expect(b.status, JSON.stringify(b.problems)).toBe('ok');
    expect(b.counts.inserted).toBe(3231);
    const r = await runImport(db, 'city-years', { fileName: 'county-years.csv', body: Buffer.from(csv) }, { codeField: 'GEOID' });
    expect(r.status, JSON.stringify(r.problems)).toBe('ok');
    expect(r.counts).toEqual({ inserted: 3231 * YEARS.length, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.variables).toEqual(['greenspace', 'wellbeing']);
    const again = await runImport(db, 'city-years', { fileName: 'county-years.csv', body: Buffer.from(csv) }, { codeField: 'GEOID' });
    expect(again.counts).toEqual({ inserted: 0, updated: 0, unchanged: 3231 * YEARS.length, deleted: 0 });
    expect(again.dataVersion).toBe(r.dataVersion);
    const v = await gql(`{ cityVariables { name count years } city(code: "06075") { metrics(years: [2018]) { population value(name: "greenspace") } } }`);
    expect(v.errors).toBeUndefined();
    expect(v.data!.cityVariables[0]).toEqual({ name: 'greenspace', count: rows.filter((x) => x.greenspace !== null).length, years: YEARS });
    expect(v.data!.city.metrics[0]).toEqual({ population: null, value: rows.find((x) => x.GEOID === '06075' && x.year === 2018)!.greenspace });
  }, 900_000);

  it('FE via GraphQL equals the CLI on the same CSV to 1e-10 and recovers the true effect', async () => {
    const r = await gql(ESTIMATE, { s: { estimator: 'fe', formula: 'wellbeing ~ greenspace | city + year', vcov: { cluster: ['city'] }, sample: NEUTRAL } });
    expect(r.errors).toBeUndefined();
    const g = r.data!.estimate;
    const lib = cli({ estimator: 'fe', formula: 'wellbeing ~ greenspace | GEOID + year', vcov: { cluster: ['GEOID'] } });
    expect(g.nobs).toBe(lib.nobs);
    expect(g.nobs).toBe(rows.filter((x) => x.greenspace !== null).length);
    expectSame(g, lib);
    const b = g.coefficients[0];
    console.log(`counties FE: greenspace ${b.estimate.toFixed(5)} (SE ${b.stdError.toFixed(5)}), true ${TRUE_EFFECT}, CLI ${lib.coefficients[0].estimate.toFixed(5)}, nobs ${g.nobs}`);
    expect(Math.abs(b.estimate - TRUE_EFFECT) / b.stdError).toBeLessThan(3);
  }, 600_000);

  it('SAR on the stored exact contiguity equals the CLI with queen weights from the counties GeoJSON to 1e-10', async () => {
    const r = await gql(ESTIMATE, { s: { estimator: 'sar', formula: 'wellbeing ~ greenspace', weights: { type: 'QUEEN' }, sample: { ...NEUTRAL, where: 'year == 2018' } } });
    expect(r.errors).toBeUndefined();
    const g = r.data!.estimate;
    const lib = cli({ estimator: 'sar', formula: 'wellbeing ~ greenspace', weights: { geojson: path.join(dir, 'counties.geojson'), id: 'GEOID', type: 'queen' }, sample: { where: 'year == 2018' } });
    expect(g.nobs).toBe(3231);
    expect(lib.nobs).toBe(3231);
    expectSame(g, lib);
    expect(Math.abs(g.params.rho - lib.params.rho)).toBeLessThanOrEqual(1e-10);
    console.log(`counties SAR 2018: rho ${g.params.rho.toFixed(6)} (CLI ${lib.params.rho.toFixed(6)}), ${g.coefficients.map((c: any) => `${c.term} ${c.estimate.toFixed(5)}`).join(", ")}`);
  }, 600_000);

  it('spatialAutocorrelation of the imported column on the stored weights equals the library', async () => {
    const r = await gql(`{ spatialAutocorrelation(variable: "greenspace", year: 2018) { islands missing weights { n } moran { I z pValue } } }`);
    expect(r.errors).toBeUndefined();
    const s = r.data!.spatialAutocorrelation;
    expect(s.missing).toEqual([]);
    expect(s.islands).toHaveLength(15);
    const W = withoutUnits(await storedWeights(db, { type: 'QUEEN', style: 'W' }), s.islands);
    const value = new Map(rows.filter((x) => x.year === 2018).map((x) => [x.GEOID, x.greenspace!]));
    const m = moranTest(Float64Array.from(W.ids, (id) => value.get(id)!), W);
    expect(s.weights.n).toBe(3231 - 15);
    expect(s.moran.I).toBeCloseTo(m.I, 12);
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city_variable`);
    expect(n).toBe(2 * 3231 * YEARS.length);
  }, 600_000);
});
