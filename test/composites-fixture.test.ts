// Done-when 1 of the composites: on a fresh store, a panel imported through the real import core and composites
// defined through GraphQL equal an independent numpy computation (test/fixtures/composite/make.py) to 1e-10, pooled and
// per year, with a cost indicator; a two-way FE on the composite over GraphQL equals `agglomera estimate` (the CLI) on
// the same panel with numpy's composite values to 1e-10. Also: bad definitions are refused naming the field, readers
// may not define, the built-in NQP cannot be redefined, and an import that changes an input recomputes the values.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { graphql, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraphQLSchema } from '../src/app.js';
import type { Principal } from '../src/auth/roles.js';
import { defineComposite, listComposites, namedVariableValues } from '../src/composites/index.js';
import type { Db } from '../src/db/db.js';
import { dataVersion } from '../src/domain/index.js';
import { runImport } from '../src/import/core.js';
import { ogcSnapshot } from '../src/ogc/measures.js';
import { cityMetricsIndex } from '../src/tiles/metrics.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { cliEstimate, expectSameCoefficients } from './helpers/estimate-cli.js';
import { dropFreshDatabase, freshStore } from './helpers/fresh-store.js';

const FIX = 'test/fixtures/composite';
const expected = JSON.parse(readFileSync(`${FIX}/expected.json`, 'utf8')) as {
  indicators: string[]; shift: number; rows: [string, number][];
  pooled: { weights: { year: number | null; weights: number[]; entropy: number[]; n: number }[]; values: (number | null)[] };
  perYear: { years: [number, number]; weights: { year: number; weights: number[]; entropy: number[]; n: number }[]; values: (number | null)[] };
};
const panelCsv = readFileSync(`${FIX}/panel.csv`, 'utf8');
const ADMIN: Principal = { role: 'admin', anonymousRole: 'reader' };
const READER: Principal = { role: 'reader', anonymousRole: 'reader' };

let db: Db;
let schema: GraphQLSchema;
let dir: string;

async function gql(query: string, variables?: Record<string, unknown>, principal = ADMIN) {
  return graphql({ schema, source: query, variableValues: variables, contextValue: makeContext(db, { principal }) }) as Promise<{ data?: Record<string, any>; errors?: readonly any[] }>;
}

const near = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-10 * Math.max(1, Math.abs(b)));
const DEFINE = `mutation($c: CompositeInput!) { defineComposite(composite: $c) { name indicators method weighting years shift n error weights { year indicator direction weight entropy } } }`;
const VALUES = (name: string) => `{ cities(first: 100) { nodes { code metrics { year v: value(name: "${name}") } } } }`;

async function valuesOf(name: string): Promise<Map<string, number | null>> {
  const r = await gql(VALUES(name));
  expect(r.errors).toBeUndefined();
  const m = new Map<string, number | null>();
  for (const c of r.data!.cities.nodes) for (const y of c.metrics) m.set(`${c.code}|${y.year}`, y.v);
  return m;
}

beforeAll(async () => {
  db = await freshStore('composites_fixture');
  schema = await buildGraphQLSchema();
  dir = mkdtempSync(path.join(os.tmpdir(), 'agglomera-composites-'));
  const b = await runImport(db, 'boundaries', { fileName: 'units.geojson', body: readFileSync(`${FIX}/units.geojson`) }, { codeField: 'code' });
  expect(b.status, JSON.stringify(b.problems)).toBe('ok');
  const r = await runImport(db, 'city-years', { fileName: 'panel.csv', body: Buffer.from(panelCsv) }, { codeField: 'code' });
  expect(r.status, JSON.stringify(r.problems)).toBe('ok');
  expect(r.variables).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'yout']);
}, 600_000);

afterAll(async () => { await db?.close(); await dropFreshDatabase('composites_fixture'); });

describe('composite of imported indicators vs numpy (test/fixtures/composite)', () => {
  it('pooled entropy weights and values equal numpy to 1e-10 (x4 a cost indicator, one missing x3)', async () => {
    const v0 = await dataVersion(db);
    const r = await gql(DEFINE, { c: { name: 'C6', indicators: expected.indicators } });
    expect(r.errors).toBeUndefined();
    const c = r.data!.defineComposite;
    expect(c).toMatchObject({ name: 'C6', indicators: ['x1', 'x2', 'x3', '-x4', 'x5', 'x6'], method: 'ENTROPY', weighting: 'POOLED', years: null, shift: 1e-4, error: null });
    expect(await dataVersion(db)).toBeGreaterThan(v0);
    const e = expected.pooled.weights[0];
    expect(c.n).toBe(e.n);
    expect(c.weights.map((w: any) => [w.year, w.indicator, w.direction])).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6'].map((x, j) => [null, x, j === 3 ? -1 : 1]));
    c.weights.forEach((w: any, j: number) => {
      expect(near(w.weight, e.weights[j]), `weight ${w.indicator}: ${w.weight} vs ${e.weights[j]}`).toBe(true);
      expect(near(w.entropy, e.entropy[j])).toBe(true);
    });
    const vals = await valuesOf('C6');
    expected.rows.forEach(([code, year], i) => expect(near(vals.get(`${code}|${year}`)!, expected.pooled.values[i]), `${code} ${year}`).toBe(true));
    expect(vals.get('U03|2010')).toBeNull();
    console.log(`C6 pooled weights ${c.weights.map((w: any) => `${w.indicator} ${w.weight.toFixed(6)}`).join(', ')}; n ${c.n}`);
  });

  it('per-year weights over 2009-2012 equal numpy to 1e-10; years outside the range have no value', async () => {
    const r = await gql(DEFINE, { c: { name: 'C6y', indicators: expected.indicators, weighting: 'PER_YEAR', years: [2009, 2012] } });
    expect(r.errors).toBeUndefined();
    const c = r.data!.defineComposite;
    expect(c.weights).toHaveLength(4 * 6);
    for (const e of expected.perYear.weights) {
      const got = c.weights.filter((w: any) => w.year === e.year);
      got.forEach((w: any, j: number) => { expect(near(w.weight, e.weights[j])).toBe(true); expect(near(w.entropy, e.entropy[j])).toBe(true); });
    }
    const vals = await valuesOf('C6y');
    expected.rows.forEach(([code, year], i) => expect(near(vals.get(`${code}|${year}`) ?? null, expected.perYear.values[i]), `${code} ${year}`).toBe(true));
    // the library door gives the same
    const lib = await namedVariableValues(db, ['C6y'], ['U05'], [2011]);
    expect(lib[0].value).toBe(vals.get('U05|2011'));
  });

  it('equal weights: 1/6 each, value = mean of the normalised indicators', async () => {
    const r = await gql(DEFINE, { c: { name: 'C6e', indicators: expected.indicators, method: 'EQUAL' } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.defineComposite.weights.map((w: any) => w.weight)).toEqual(Array(6).fill(1 / 6));
    const [all] = (await listComposites(db)).filter((x) => x.name === 'C6e');
    expect(all.n).toBe(expected.pooled.weights[0].n);
  });

  it('two-way FE on the composite over GraphQL equals the CLI on the panel with numpy\'s values (1e-10)', async () => {
    const csv = path.join(dir, 'panel-c6.csv');
    const yout = new Map(panelCsv.trim().split('\n').slice(1).map((l) => { const f = l.split(','); return [`${f[0]}|${f[1]}`, f[8]]; }));
    writeFileSync(csv, `code,year,C6,yout\n${expected.rows.map(([code, year], i) => `${code},${year},${expected.pooled.values[i] ?? 'NA'},${yout.get(`${code}|${year}`)}`).join('\n')}\n`);
    const r = await gql(`query($s: ModelSpecInput!) { estimate(spec: $s) { nobs coefficients { term estimate stdError } } }`, {
      s: { estimator: 'fe', formula: 'yout ~ C6 | city + year', vcov: { cluster: ['city'] }, sample: { dropBrokenCities: false, dropMissing: false, keepNqpOutliers: true, noWinsorize: true } },
    });
    expect(r.errors).toBeUndefined();
    const g = r.data!.estimate;
    const lib = cliEstimate(dir, csv, { estimator: 'fe', formula: 'yout ~ C6 | code + year', vcov: { cluster: ['code'] } });
    expect(g.nobs).toBe(59);
    expect(lib.nobs).toBe(59);
    expectSameCoefficients(g, lib);
    console.log(`FE yout ~ C6: GraphQL ${g.coefficients[0].estimate} (SE ${g.coefficients[0].stdError}), CLI ${lib.coefficients[0].estimate} (SE ${lib.coefficients[0].stdError})`);
  }, 600_000);

  it('OGC cities and the tiles carry the composites under their names', async () => {
    const snap = await ogcSnapshot(db);
    expect(snap.composites).toEqual(['C6', 'C6e', 'C6y']);
    expect(snap.variables).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'yout']);
    const y = snap.byYear.get(2011)!;
    const vals = await valuesOf('C6');
    y.codes.forEach((code, i) => expect(y.composites[0][i]).toBe(vals.get(`${code}|2011`)));
    const tiles = await cityMetricsIndex(db, await dataVersion(db));
    expect(tiles.byYear.get(2011)!.get('U02')!.C6).toBe(vals.get('U02|2011'));
  });

  it('an import that changes an input recomputes the composite (data version)', async () => {
    const before = (await valuesOf('C6')).get('U01|2008')!;
    const r = await runImport(db, 'city-years', { fileName: 'fix.csv', body: Buffer.from('code,year,x5\nU01,2008,1000\n') }, { codeField: 'code' });
    expect(r.status).toBe('ok');
    const after = (await valuesOf('C6')).get('U01|2008')!;
    expect(after).not.toBe(before);
    expect(after).toBeGreaterThan(before); // x5 a benefit indicator, now the largest
    const back = panelCsv.split('\n').find((l) => l.startsWith('U01,2008,'))!.split(',')[6];
    await runImport(db, 'city-years', { fileName: 'back.csv', body: Buffer.from(`code,year,x5\nU01,2008,${back}\n`) }, { codeField: 'code' });
    expect(near((await valuesOf('C6')).get('U01|2008')!, before)).toBe(true);
  }, 600_000);

  it('refuses bad definitions naming the field, readers, and redefining NQP', async () => {
    const bad = async (c: object, field: RegExp, principal = ADMIN) => {
      const r = await gql(DEFINE, { c }, principal);
      expect(r.errors?.[0]?.message).toMatch(field);
      return r.errors![0];
    };
    expect((await bad({ name: 'B1', indicators: ['x1', 'nosuch'] }, /composite\.indicators\.1: no stored variable 'nosuch'/)).extensions.code).toBe('BAD_USER_INPUT');
    await bad({ name: 'B2', indicators: ['x1', '-x1'] }, /composite\.indicators\.1: 'x1' is already indicator 0/);
    await bad({ name: 'x1', indicators: ['x2', 'x3'] }, /composite\.name: 'x1' is taken by the stored variable/);
    await bad({ name: '2bad', indicators: ['x2'] }, /composite\.name/);
    await bad({ name: 'B3', indicators: ['x1', 'C6'] }, /'C6' is a composite/);
    await bad({ name: 'B4', indicators: ['x1'], shift: 0 }, /composite\.shift/);
    await bad({ name: 'B5', indicators: ['x1'], years: [2012, 2009] }, /composite\.years/);
    await bad({ name: 'NQP', indicators: ['x1', 'x2'] }, /built-in composite/);
    expect((await bad({ name: 'B6', indicators: ['x1'] }, /needs the analyst role/, READER)).extensions.code).toBe('FORBIDDEN');
    await expect(defineComposite(db, { name: 'B7', indicators: ['x1', 'x2'], years: [1990, 1991] })).rejects.toMatchObject({ field: 'composite.years' });
    const names = (await listComposites(db)).map((c) => c.name);
    expect(names).toEqual(['NQP', 'C6', 'C6e', 'C6y']);
    const d = await gql('mutation { dropComposite(name: "C6e") }');
    expect(d.data!.dropComposite).toBe(true);
    expect((await gql('mutation { dropComposite(name: "NQP") }')).errors![0].message).toMatch(/built in/);
    expect((await gql('{ composites { name n } }')).data!.composites.map((c: any) => c.name)).toEqual(['NQP', 'C6', 'C6y']);
  });
});
