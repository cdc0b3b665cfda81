// Acceptance on the demo cities: a city-year CSV with two columns the schema has never seen (greenspace, wellbeing;
// drawn from a seeded PRNG with a known effect of 0.8, a few values NA) is imported; GraphQL then reads the values
// (CityYear.value, cityVariables, batched), estimates FE (equal to the CLI on the same CSV to 1e-10, truth within
// 3 SE) and SAR on the stored queen weights (equal to the library on the same CSV with the same weights), and runs
// spatialAutocorrelation and descriptives on the new column. The variables are deleted afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvFrame } from '../src/cli/read.js';
import type { Db } from '../src/db/db.js';
import { storedWeights } from '../src/db/queries/weights.js';
import { sql } from '../src/db/sql.js';
import { estimate } from '../src/estimation/estimate.js';
import { mulberry32 } from '../src/estimation/prng.js';
import { moranTest } from '../src/estimation/spatial/index.js';
import { cityYearsImporter } from '../src/import/city-years.js';
import { importCsv } from './import-helpers.js';
import { getStore, gql, keepDatasetMeta } from './helpers/store.js';
import { cliEstimate, expectSameCoefficients } from './helpers/estimate-cli.js';

keepDatasetMeta();

const NAMES = ['greenspace', 'wellbeing'];
const TRUE_EFFECT = 0.8;
const YEARS = [2010, 2011, 2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019];

let db: Db;
let dir: string;
let csvPath: string;
let rows: { city: string; year: number; greenspace: number | null; wellbeing: number | null }[];

function normal(r: { next(): number }): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

beforeAll(async () => {
  db = (await getStore()).db;
  const codes = (await db.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code`)).map((r) => r.code);
  const rng = mulberry32(20261201);
  const unit = new Map(codes.map((c) => [c, normal(rng)]));
  const time = new Map(YEARS.map((y) => [y, 0.1 * (y - 2010) + 0.2 * normal(rng)]));
  rows = [];
  let k = 0;
  for (const c of codes) for (const y of YEARS) {
    const g = 5 + 2 * normal(rng) + 0.5 * unit.get(c)!; // correlated with the unit effect: pooled OLS would be biased
    const w = TRUE_EFFECT * g + unit.get(c)! + time.get(y)! + 0.5 * normal(rng);
    k++;
    rows.push({ city: c, year: y, greenspace: k % 97 === 0 ? null : g, wellbeing: k % 89 === 0 ? null : w });
  }
  dir = mkdtempSync(path.join(os.tmpdir(), 'agglomera-import-'));
  csvPath = path.join(dir, 'greenspace.csv');
  writeFileSync(csvPath, `city,year,greenspace,wellbeing\n${rows.map((r) => `${r.city},${r.year},${r.greenspace ?? 'NA'},${r.wellbeing ?? ''}`).join('\n')}\n`);
  await db.query(sql`DELETE FROM city_variable WHERE name = ANY(${NAMES}::text[])`);
}, 600_000);

afterAll(async () => {
  await db?.query(sql`DELETE FROM city_variable WHERE name = ANY(${NAMES}::text[])`);
});

const ESTIMATE = `query($s: ModelSpecInput!) { estimate(spec: $s) { nobs ngroups warnings params { rho } coefficients { term estimate stdError } } }`;
// the stored panel without the paper's cleaning, so that its sample is the CSV's
const NEUTRAL = { dropBrokenCities: false, dropMissing: false, keepNqpOutliers: true, noWinsorize: true };

const cli = (spec: object) => cliEstimate(dir, csvPath, spec);
const expectSame = expectSameCoefficients;

describe('a CSV column the schema has never seen, used everywhere', () => {
  it('imports: every stored unit-year updated, two new variables', async () => {
    const { report, rejected } = await importCsv(db, cityYearsImporter, `${'city,year,greenspace,wellbeing'}\n${rows.map((r) => `${r.city},${r.year},${r.greenspace ?? 'NA'},${r.wellbeing ?? ''}`).join('\n')}\n`, { codeField: 'city' });
    expect(rejected).toBeNull();
    expect(report!.rowsRead).toBe(rows.length);
    expect(report!.counts).toEqual({ inserted: 0, updated: rows.length, unchanged: 0, deleted: 0 });
    expect(report!.variables).toEqual(NAMES);
    console.log(`imported ${rows.length} city-years of greenspace, wellbeing (${rows.filter((r) => r.greenspace === null).length} greenspace NA)`);
  });

  it('cityVariables and CityYear.value (batched: one statement for the values whatever the page size)', async () => {
    const v = await gql(`{ cityVariables { name count years } spatialVariables }`);
    expect(v.errors).toBeUndefined();
    const gs = v.data!.cityVariables.find((x: any) => x.name === 'greenspace');
    expect(gs).toEqual({ name: 'greenspace', count: rows.filter((r) => r.greenspace !== null).length, years: YEARS });
    expect(v.data!.spatialVariables).toEqual(expect.arrayContaining(['gdp', 'NQP', 'greenspace', 'wellbeing']));
    const q = (n: number) => gql(`{ cities(first: ${n}) { nodes { code metrics(years: [2018, 2019]) { year g: value(name: "greenspace") w: value(name: "wellbeing") population p: value(name: "population") u: value(name: "urban_share") urbanShare } } } }`);
    const small = await q(5), big = await q(200);
    expect(big.errors).toBeUndefined();
    expect(big.statements).toBe(small.statements);
    const byKey = new Map(rows.map((r) => [`${r.city}|${r.year}`, r]));
    let nulls = 0;
    for (const c of big.data!.cities.nodes) for (const m of c.metrics) {
      const r = byKey.get(`${c.code}|${m.year}`)!;
      expect(m.g).toBe(r.greenspace);
      expect(m.w).toBe(r.wellbeing);
      expect(m.p).toBe(m.population);
      expect(m.u).toBe(m.urbanShare);
      if (m.g === null) nulls++;
    }
    expect(nulls).toBeGreaterThan(0);
    const bad = await gql(`{ cities(first: 2) { nodes { metrics(years: [2019]) { value(name: "nonesuch") } } } }`);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'name' });
  });

  it('FE estimate via GraphQL equals the CLI on the same CSV to 1e-10 and recovers the true effect', async () => {
    const spec = { estimator: 'fe', formula: 'wellbeing ~ greenspace | city + year', vcov: { cluster: ['city'] } };
    const r = await gql(ESTIMATE, { s: { ...spec, sample: NEUTRAL } });
    expect(r.errors).toBeUndefined();
    const g = r.data!.estimate, lib = cli(spec);
    expect(g.nobs).toBe(lib.nobs);
    expect(g.nobs).toBe(rows.filter((x) => x.greenspace !== null && x.wellbeing !== null).length);
    expectSame(g, lib);
    const b = g.coefficients[0];
    console.log(`FE greenspace: ${b.estimate.toFixed(5)} (SE ${b.stdError.toFixed(5)}), true ${TRUE_EFFECT}; CLI ${lib.coefficients[0].estimate.toFixed(5)}; nobs ${g.nobs}`);
    expect(Math.abs(b.estimate - TRUE_EFFECT) / b.stdError).toBeLessThan(3);
    expect(g.warnings.some((w: string) => /^greenspace: \d+ of \d+ panel rows missing \(NULL in the store\)/.test(w))).toBe(true);
  });

  it('SAR on the stored queen weights equals the library on the same CSV with the same weights to 1e-10', async () => {
    const spec = { estimator: 'sar', formula: 'wellbeing ~ greenspace', sample: { where: 'year == 2019' } };
    const r = await gql(ESTIMATE, { s: { ...spec, weights: { type: 'QUEEN' }, sample: { ...NEUTRAL, where: 'year == 2019' } } });
    expect(r.errors).toBeUndefined();
    const complete = rows.filter((x) => x.year === 2019 && x.greenspace !== null && x.wellbeing !== null).map((x) => x.city);
    const W = await storedWeights(db, { type: 'QUEEN', style: 'W' }, complete);
    const lib = estimate({ ...spec, weights: { type: 'queen', id: 'city' } } as never, readCsvFrame(`city,year,greenspace,wellbeing\n${rows.map((x) => `${x.city},${x.year},${x.greenspace ?? 'NA'},${x.wellbeing ?? ''}`).join('\n')}`, 'greenspace.csv'), { weights: W });
    const g = r.data!.estimate;
    expect(g.nobs).toBe(complete.length);
    expect(g.nobs).toBe(lib.nobs);
    expectSame(g, lib);
    expect(Math.abs(g.params.rho - lib.params.rho!)).toBeLessThanOrEqual(1e-10);
    console.log(`SAR 2019: n ${g.nobs} (of 338; rows with NA dropped), rho ${g.params.rho.toFixed(5)}, ${g.coefficients.map((c: any) => `${c.term} ${c.estimate.toFixed(5)}`).join(", ")}`);
  });

  it('spatialAutocorrelation and descriptives take the imported column', async () => {
    const r = await gql(`{ spatialAutocorrelation(variable: "greenspace", year: 2019) { missing islands weights { n } moran { I z } } }`);
    expect(r.errors).toBeUndefined();
    const s = r.data!.spatialAutocorrelation;
    const y19 = rows.filter((x) => x.year === 2019);
    expect(s.missing).toEqual(y19.filter((x) => x.greenspace === null).map((x) => x.city));
    const have = y19.filter((x) => x.greenspace !== null).map((x) => x.city);
    const W = await storedWeights(db, { type: 'QUEEN', style: 'W' }, have.filter((c) => !s.islands.includes(c)));
    const value = new Map(y19.map((x) => [x.city, x.greenspace]));
    const m = moranTest(Float64Array.from(W.ids, (id) => value.get(id)!), W);
    expect(s.weights.n).toBe(W.ids.length);
    expect(s.moran.I).toBeCloseTo(m.I, 12);
    const d = await gql(`{ descriptives(variables: ["greenspace"], sample: { dropBrokenCities: false, dropMissing: false, keepNqpOutliers: true, noWinsorize: true }) { variable n mean } }`);
    expect(d.errors).toBeUndefined();
    const vals = rows.map((x) => x.greenspace).filter((x): x is number => x !== null);
    expect(d.data!.descriptives[0].n).toBe(vals.length);
    expect(d.data!.descriptives[0].mean).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / vals.length, 10);
    const bad = await gql(`{ spatialAutocorrelation(variable: "nonesuch", year: 2019) { moran { I } } }`);
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'variable' });
  });
});
